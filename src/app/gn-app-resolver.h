/* gn-app-resolver.h
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Which program made each connection, for the Connections and Blocked
 * pages and the headless log: fed the registry's batches, it looks up the
 * owners of the new connections' client ends (GnProcessTable, in
 * src/platform) on a worker thread, many at a time, and reports each name
 * once with "resolved". Only loopback clients can be looked up (a remote
 * client's process is on another machine); a connection whose client end
 * was closed before its lookup (about one batch interval, 0.1 s, plus the
 * lookup) stays unknown: a program that closes at once after a blocked
 * answer is often not named.
 *
 * Threading: the owner (main) thread; lookups run in GTask threads and
 * their results come back to the owner's thread-default main context.
 */

#pragma once

#include <gio/gio.h>

#include "gn-connection-registry.h"

G_BEGIN_DECLS

#define GN_TYPE_APP_RESOLVER (gn_app_resolver_get_type ())
G_DECLARE_FINAL_TYPE (GnAppResolver, gn_app_resolver, GN, APP_RESOLVER, GObject)

GnAppResolver *gn_app_resolver_new          (void);
/* Queues the connections @batch adds (open, from loopback) for a lookup
 * against the proxy on @server_port, and forgets the ones it removes. */
void           gn_app_resolver_apply_batch  (GnAppResolver           *self,
                                             const GnConnectionBatch *batch,
                                             guint16                  server_port);
/* (nullable): the program that made connection @id, once resolved. */
const char    *gn_app_resolver_lookup       (GnAppResolver           *self,
                                             guint64                  id);

/* Signal "resolved" (guint64 id, const char *name). */

G_END_DECLS
