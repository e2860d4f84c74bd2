/* gn-peer-lookup.h
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * GnPeerLookup: the application's GnPeerIdentifier (gn-peer-identifier.h):
 * which program made a connection, asked by the engine as it accepts it,
 * answered by the platform's exact process lookup
 * (gn_process_lookup_connections(): on Linux one sock_diag request per
 * socket and a /proc scan; on Windows GetExtendedTcpTable) on one thread
 * of its own. The questions that come in while a lookup runs are answered
 * together by the next one, so a burst of connections costs a few scans.
 *
 * Threading: any thread (the engine's workers call it); each answer comes
 * back on the asking thread's thread-default main context. A cancelled
 * question is answered at once (G_IO_ERROR_CANCELLED), from the thread
 * that cancelled it.
 */

#pragma once

#include <gio/gio.h>

#include "gn-peer-identifier.h"

G_BEGIN_DECLS

#define GN_TYPE_PEER_LOOKUP (gn_peer_lookup_get_type ())
G_DECLARE_FINAL_TYPE (GnPeerLookup, gn_peer_lookup, GN, PEER_LOOKUP, GObject)

GnPeerLookup *gn_peer_lookup_new          (void);
/* How many lookups (scans) ran so far, for tests and benchmarks. */
guint         gn_peer_lookup_get_n_scans  (GnPeerLookup *self);

G_END_DECLS
