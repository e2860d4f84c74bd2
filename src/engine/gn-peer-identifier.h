/* gn-peer-identifier.h
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * GnPeerIdentifier: which program holds the other end of a client
 * connection, asked by the engine as it starts serving the connection. The
 * engine only defines the question; the application installs an answer
 * (gn_engine_set_peer_identifier(); GnPeerLookup in src/app, on top of the
 * process lookup in src/platform), so the engine knows neither.
 *
 * The name goes into the connection's registry record (GnConnectionInfo.app).
 * A connection that is answered with a block waits for it, a short bound
 * at most (GnEngineConfig.peer_wait_ms), so that the client (curl closes at
 * once after a 403) is still connected when its owner is looked up.
 *
 * Threading contract for implementations: identify_async() is called on
 * the engine's worker threads and must not block them (do the work on a
 * thread of your own); its callback runs on the caller's thread-default
 * main context, like any GTask's. When the cancellable is cancelled, the
 * callback must come promptly (a stopping worker waits for nothing), with
 * G_IO_ERROR_CANCELLED.
 */

#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

#define GN_TYPE_PEER_IDENTIFIER (gn_peer_identifier_get_type ())
G_DECLARE_INTERFACE (GnPeerIdentifier, gn_peer_identifier, GN, PEER_IDENTIFIER, GObject)

struct _GnPeerIdentifierInterface
{
  GTypeInterface g_iface;

  void  (*identify_async)  (GnPeerIdentifier    *self,
                            GSocketAddress      *client,
                            GSocketAddress      *server,
                            GCancellable        *cancellable,
                            GAsyncReadyCallback  callback,
                            gpointer             user_data);
  char *(*identify_finish) (GnPeerIdentifier    *self,
                            GAsyncResult        *result,
                            GError             **error);
};

/* Which program holds the client end of the TCP connection from @client
 * to @server (the proxy's own address, as accepted). */
void  gn_peer_identifier_identify_async  (GnPeerIdentifier    *self,
                                          GSocketAddress      *client,
                                          GSocketAddress      *server,
                                          GCancellable        *cancellable,
                                          GAsyncReadyCallback  callback,
                                          gpointer             user_data);
/* (transfer full) (nullable): the program's short name ("firefox",
 * "curl.exe"), or NULL when it could not be found (gone, another user's,
 * another machine's) or on error. */
char *gn_peer_identifier_identify_finish (GnPeerIdentifier    *self,
                                          GAsyncResult        *result,
                                          GError             **error);

G_END_DECLS
