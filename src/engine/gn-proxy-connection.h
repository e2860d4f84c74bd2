/* gn-proxy-connection.h
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * One accepted client connection: reads request heads (with the header
 * timeout and size limits), then either answers itself (errors, blocked
 * hosts, the status page), opens a CONNECT tunnel, or forwards plain-HTTP
 * requests (gn-forward.c) for as long as both sides keep the connection
 * alive. Every outcome is recorded in the connection registry.
 *
 * Threading: one worker thread (the one the server handed it to) from
 * creation to the last unref. The server owns its connections; a
 * connection tells the server when it is done; the server then drops its
 * reference (pending callbacks hold their own and never touch the server
 * once the connection is closed).
 */

#pragma once

#include <gio/gio.h>

#include "gn-proxy-server.h"

G_BEGIN_DECLS

/* A @rejected connection only answers 503; it has no registry record and
 * no @blocklist. @pool and @socket_client are the worker's. */
GnProxyConnection *gn_proxy_connection_new      (GnProxyServer     *server,
                                                 guint              slot,
                                                 GnBufferPool      *pool,
                                                 GSocketClient     *socket_client,
                                                 GSocketConnection *client,
                                                 GnBlocklist       *blocklist,
                                                 gboolean           rejected);
void               gn_proxy_connection_start    (GnProxyConnection *self);
/* Ends the connection now (both sockets); the server is told at once. */
void               gn_proxy_connection_close    (GnProxyConnection *self);
GnProxyConnection *gn_proxy_connection_ref      (GnProxyConnection *self);
void               gn_proxy_connection_unref    (GnProxyConnection *self);
/* Between keep-alive requests with nothing received: safe to close. */
gboolean           gn_proxy_connection_is_idle  (GnProxyConnection *self);

G_END_DECLS
