/* gn-proxy-server.h
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * GnProxyServer is a listening socket (on Linux one per worker, with
 * SO_REUSEPORT: gn-proxy-accept.c) and the client connections it
 * accepted, spread over the engine's workers (gn-worker.h). It binds
 * (refusing non-loopback addresses unless allowed) or takes over the
 * listening sockets of the server it replaces, accepts, enforces
 * max_connections (503 + Retry-After past it, the listener keeps running),
 * and stops in the order a restart needs: stop accepting and release the
 * port at once, then let the open connections drain up to drain_timeout_ms
 * in the background, close the rest, and report. A stopped server that
 * still drains lives beside the engine's next one, which may already
 * listen on the same port.
 *
 * Threading: new, start, stop, free and set_blocklist on the engine
 * thread, with the engine's context pushed as thread-default when created;
 * each connection runs on the worker it was handed to and sees the server
 * only through its GnListenerContext (gn-listener-context.h).
 * get_n_open and is_listening are atomic reads, any thread.
 * The stopped callback runs on the engine thread.
 */

#pragma once

#include <gio/gio.h>

#include "gn-blocklist.h"
#include "gn-buffer-pool.h"
#include "gn-connection-registry.h"
#include "gn-engine-config.h"
#include "gn-worker.h"

G_BEGIN_DECLS

typedef struct _GnProxyServer GnProxyServer;

typedef void (*GnProxyServerStoppedFunc) (GnProxyServer *server,
                                          gpointer       user_data);

GnProxyServer        *gn_proxy_server_new            (GnEngineConfig       *config,
                                                      GnBlocklist          *blocklist,
                                                      GnConnectionRegistry *registry,
                                                      GnWorker * const     *workers,
                                                      guint                 n_workers);
/* After the stopped callback (or if it never started, or failed to). */
void                  gn_proxy_server_free           (GnProxyServer        *self);
/* Starts listening. With @previous (a running server this one replaces;
 * nullable), port 0 in the config means @previous's port, and if the bind
 * address and port are @previous's, @self takes over @previous's listening
 * sockets instead of binding: @previous stops accepting without closing
 * them, so connections waiting in the kernel's accept queues are accepted
 * by @self and none is refused. Otherwise @self binds its own sockets and
 * @previous is left untouched (it keeps serving if this fails: stop it
 * after this succeeds) — except for @previous's port on another address,
 * which Linux refuses while @previous listens: @previous then closes first
 * and, if the bind fails, listens again (check is_listening() after a
 * failure: in the unlikely case that failed too, @previous no longer
 * accepts). */
gboolean              gn_proxy_server_start          (GnProxyServer        *self,
                                                      GnProxyServer        *previous,
                                                      GError              **error);
/* Stops accepting (the port is free when this returns, unless the sockets
 * were handed over), then drains in the background: idle keep-alive
 * connections close at once, the rest get drain_timeout_ms, whatever is
 * left is closed. Calls @func on the engine thread when the last
 * connection is gone (possibly from within this call). */
void                  gn_proxy_server_stop           (GnProxyServer        *self,
                                                      GnProxyServerStoppedFunc func,
                                                      gpointer              user_data);
guint16               gn_proxy_server_get_port       (GnProxyServer        *self);
/* Connections still open, counted or answering 503 (any thread). */
guint                 gn_proxy_server_get_n_open     (GnProxyServer        *self);
/* The rules for new connections; every worker also checks its open
 * connections against them and closes those whose target they now block. */
void                  gn_proxy_server_set_blocklist  (GnProxyServer        *self,
                                                      GnBlocklist          *blocklist);
/* The connections it serves at once: the config's max_connections, or
 * fewer when the open-file limit allows fewer (gn-fd-budget.h). */
guint                 gn_proxy_server_get_max_connections (GnProxyServer   *self);
/* Whether it accepts new connections (any thread). */
gboolean              gn_proxy_server_is_listening   (GnProxyServer        *self);

G_END_DECLS
