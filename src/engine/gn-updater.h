/* gn-updater.h
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Downloads one subscribed list with libsoup 3 and, only if the new copy is
 * sound, replaces the cached file. Sound means: a 2xx answer (or 304 Not
 * Modified, which keeps the cache), a non-empty body under the size cap,
 * text that parses as a list, at least one entry, and no shrink by more
 * than the allowed share. Anything else fails with a GError whose message
 * says why, and the cached file (so the active list) stays as it was.
 *
 * Threading: call from the owner (main) thread; the callback runs there.
 * The download is async on that thread's main context; parsing and the
 * atomic cache write run in a GTask worker, which never sees the
 * SoupMessage (the response's validators are copied on the owner thread).
 * The source's bytes-received property is updated as data arrives.
 */

#pragma once

#include <libsoup/soup.h>

#include "gn-blocklist-source.h"

G_BEGIN_DECLS

typedef struct
{
  gboolean  not_modified;   /* 304: the cached copy is current */
  guint64   entries;        /* rules in the new copy (0 when not_modified) */
  guint64   size;           /* bytes of the new copy */
  char     *etag;           /* (owned) (nullable) */
  char     *last_modified;  /* (owned) (nullable) */
} GnUpdateResult;

void            gn_update_result_free  (GnUpdateResult *result);

/* Builds the session the engine's downloads use: never the OS proxy, which
 * points at us while protection is on, but @upstream_uri ("http://host:port",
 * the user's own company proxy) when there is one, else direct; an I/O
 * timeout, TLS verified against the system store. */
SoupSession    *gn_updater_new_session (guint                timeout_seconds,
                                        const char          *upstream_uri);

void            gn_updater_fetch_async  (SoupSession          *session,
                                         GnBlocklistSource    *source,
                                         const char           *cache_path,
                                         guint64               max_bytes,
                                         double               max_shrink,
                                         GCancellable         *cancellable,
                                         GAsyncReadyCallback   callback,
                                         gpointer              user_data);
GnUpdateResult *gn_updater_fetch_finish (GAsyncResult         *result,
                                         GError              **error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (GnUpdateResult, gn_update_result_free)

G_END_DECLS
