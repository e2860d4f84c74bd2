/* gn-app-resolver.h
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Which program made each connection, for the Connections and Blocked
 * pages and the headless log: fed the registry's batches, it reports each
 * name once with "resolved". Most names come in the batches themselves
 * (GnConnectionInfo.app: the engine looks each connection up as it
 * accepts it, and a blocked answer waits for it, see gn-peer-identifier.h);
 * for the connections the engine does not look up (no identifier
 * installed) it looks up the owners of the new connections' client ends
 * (GnProcessTable, in src/platform) on a worker thread, many at a time.
 * Only loopback clients can be looked up (a remote client's process is on
 * another machine); such a connection whose client end was closed before
 * its lookup (about one batch interval, 0.1 s, plus the lookup) stays
 * unknown.
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
/* Reports the names @batch carries, queues the connections it adds that
 * the engine does not look up (open, from loopback) for a lookup against
 * the proxy on @server_port, and forgets the ones it removes. */
void           gn_app_resolver_apply_batch  (GnAppResolver           *self,
                                             const GnConnectionBatch *batch,
                                             guint16                  server_port);
/* (nullable): the program that made connection @id, once resolved. */
const char    *gn_app_resolver_lookup       (GnAppResolver           *self,
                                             guint64                  id);

/* Signal "resolved" (guint64 id, const char *name). */

G_END_DECLS
