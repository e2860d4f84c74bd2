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
 * A connection knows its listener only through a GnListenerContext (the
 * config, limits, own addresses, Via token, registry, draining flag), and
 * its owner only through the one done callback given at creation: it
 * never calls into the server.
 *
 * Threading: one worker thread (the one the server handed it to) from
 * creation to the last unref. The server owns its connections; a
 * connection calls its done callback once, when it ends; the owner then
 * drops its reference (pending callbacks hold their own and do nothing
 * once the connection is closed).
 */

#pragma once

#include <gio/gio.h>

#include "gn-blocklist.h"
#include "gn-buffer-pool.h"
#include "gn-listener-context.h"

G_BEGIN_DECLS

typedef struct _GnProxyConnection GnProxyConnection;

/* The connection ended (called once, on its worker): the owner unlinks it,
 * closes its record (gn_proxy_connection_close_record()) and drops its
 * reference. */
typedef void (*GnProxyConnectionDoneFunc) (GnProxyConnection *connection,
                                           gpointer           user_data);

/* A @rejected connection only answers 503 (gn_proxy_connection_reject());
 * it has no registry record and no @blocklist. @pool and @socket_client
 * are the worker's. */
GnProxyConnection *gn_proxy_connection_new      (GnListenerContext *context,
                                                 GnBufferPool      *pool,
                                                 GSocketClient     *socket_client,
                                                 GSocketConnection *client,
                                                 GnBlocklist       *blocklist,
                                                 gboolean           rejected,
                                                 GnProxyConnectionDoneFunc done_func,
                                                 gpointer           done_data);
void               gn_proxy_connection_start    (GnProxyConnection *self);
/* Answers 503 + Retry-After and closes (a @rejected connection). */
void               gn_proxy_connection_reject   (GnProxyConnection *self);
/* The owner's list node for this connection (data is the connection). */
GList             *gn_proxy_connection_get_link (GnProxyConnection *self);
gboolean           gn_proxy_connection_is_rejected (GnProxyConnection *self);
/* Closes the registry record, if any (from the done callback). */
void               gn_proxy_connection_close_record (GnProxyConnection *self);
/* Ends the connection now (both sockets); the server is told at once. */
void               gn_proxy_connection_close    (GnProxyConnection *self);
/* The engine's rules changed: later requests use @blocklist, and if it
 * now blocks the connection's target (a tunnel, a kept-alive plain-HTTP
 * exchange, or one still connecting) the connection ends at once, its
 * record closed with the reason "Closed: now blocked". Returns whether it
 * ended (then it may be freed). */
gboolean           gn_proxy_connection_apply_blocklist (GnProxyConnection *self,
                                                        GnBlocklist       *blocklist);
GnProxyConnection *gn_proxy_connection_ref      (GnProxyConnection *self);
void               gn_proxy_connection_unref    (GnProxyConnection *self);
/* Between keep-alive requests with nothing received: safe to close. */
gboolean           gn_proxy_connection_is_idle  (GnProxyConnection *self);

G_END_DECLS
