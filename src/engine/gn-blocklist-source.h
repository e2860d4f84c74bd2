/* gn-blocklist-source.h
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * One subscribed list: what the user chose (name, URL, enabled, format) and
 * its honest status (entries, size, last success, last attempt, last error,
 * bytes received while updating). The UI binds to these properties; every
 * one of them notifies only when its value really changes.
 *
 * Threading: owned by GnBlocklistManager on its (the main) thread; read and
 * write only there.
 */

#pragma once

#include <glib-object.h>

#include "gn-blocklist-parser.h"
#include "gn-engine-enums.h"

G_BEGIN_DECLS

#define GN_TYPE_BLOCKLIST_SOURCE (gn_blocklist_source_get_type ())
G_DECLARE_FINAL_TYPE (GnBlocklistSource, gn_blocklist_source, GN, BLOCKLIST_SOURCE, GObject)

GnBlocklistSource *gn_blocklist_source_new (const char        *id,
                                            const char        *name,
                                            const char        *url,
                                            GnBlocklistFormat  format);

/* A stable key, used for the cache file name. */
const char        *gn_blocklist_source_get_id            (GnBlocklistSource *self);
const char        *gn_blocklist_source_get_name          (GnBlocklistSource *self);
void               gn_blocklist_source_set_name          (GnBlocklistSource *self,
                                                          const char        *name);
const char        *gn_blocklist_source_get_url           (GnBlocklistSource *self);
void               gn_blocklist_source_set_url           (GnBlocklistSource *self,
                                                          const char        *url);
gboolean           gn_blocklist_source_get_enabled       (GnBlocklistSource *self);
void               gn_blocklist_source_set_enabled       (GnBlocklistSource *self,
                                                          gboolean           enabled);
GnBlocklistFormat  gn_blocklist_source_get_format        (GnBlocklistSource *self);
void               gn_blocklist_source_set_format        (GnBlocklistSource *self,
                                                          GnBlocklistFormat  format);

/* Status, written by the manager and the updater. Times are Unix seconds,
 * 0 for never. */
guint64            gn_blocklist_source_get_entries       (GnBlocklistSource *self);
void               gn_blocklist_source_set_entries       (GnBlocklistSource *self,
                                                          guint64            entries);
guint64            gn_blocklist_source_get_size          (GnBlocklistSource *self);
void               gn_blocklist_source_set_size          (GnBlocklistSource *self,
                                                          guint64            size);
gint64             gn_blocklist_source_get_last_success  (GnBlocklistSource *self);
void               gn_blocklist_source_set_last_success  (GnBlocklistSource *self,
                                                          gint64             when);
gint64             gn_blocklist_source_get_last_attempt  (GnBlocklistSource *self);
void               gn_blocklist_source_set_last_attempt  (GnBlocklistSource *self,
                                                          gint64             when);
/* NULL when the last attempt succeeded. */
const char        *gn_blocklist_source_get_last_error    (GnBlocklistSource *self);
void               gn_blocklist_source_set_last_error    (GnBlocklistSource *self,
                                                          const char        *error);
guint64            gn_blocklist_source_get_bytes_received (GnBlocklistSource *self);
void               gn_blocklist_source_set_bytes_received (GnBlocklistSource *self,
                                                           guint64            bytes);
/* TRUE while the name is the one made up from the URL's host: the list's
 * own "Title:" header replaces it; a rename by the user clears it. */
gboolean           gn_blocklist_source_get_auto_name     (GnBlocklistSource *self);
void               gn_blocklist_source_set_auto_name     (GnBlocklistSource *self,
                                                          gboolean           auto_name);
gboolean           gn_blocklist_source_get_updating      (GnBlocklistSource *self);
void               gn_blocklist_source_set_updating      (GnBlocklistSource *self,
                                                          gboolean           updating);

/* HTTP validators of the cached copy, for conditional requests. */
const char        *gn_blocklist_source_get_etag          (GnBlocklistSource *self);
void               gn_blocklist_source_set_etag          (GnBlocklistSource *self,
                                                          const char        *etag);
const char        *gn_blocklist_source_get_last_modified (GnBlocklistSource *self);
void               gn_blocklist_source_set_last_modified (GnBlocklistSource *self,
                                                          const char        *last_modified);

G_END_DECLS
