/* gn-engine.h
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * GnEngine is the filtering proxy as one object: it owns a thread with its
 * own GMainContext on which the listener and the connection registry run,
 * and worker threads (GnEngineConfig.n_workers) with their own contexts on
 * which the connections run, so no amount of traffic can stall the caller's
 * (the window's) main loop, and connection setups use every CPU.
 *
 * Lifecycle: stopping closes the listener at once (the port is free, the
 * status leaves RUNNING) and lets the open connections drain in the
 * background, up to drain_timeout_ms; the engine can start again at once,
 * the new listener serving while the old connections drain. A restart
 * never leaves a moment when nothing accepts: with the same address and
 * port the new server takes the very listening socket over, otherwise it
 * binds first and the old one stops only if that worked (but for the same
 * port on another address, which Linux lets only one socket listen on: the
 * old listener closes first there). "n-draining" counts the connections
 * still open on stopped servers.
 *
 * Open files: starting raises the process's soft RLIMIT_NOFILE to its hard
 * limit, and a server serves at most as many connections as that leaves
 * room for (gn_engine_get_max_connections(), logged when lower than
 * max_connections; see gn-fd-budget.h).
 *
 * Threading contract: create, configure, start, stop and restart the engine
 * from one thread (the "owner" thread, normally the main thread). Those calls
 * marshal to the engine thread and are done in the order they were made.
 * gn_engine_start(), gn_engine_restart() and the part of a stop that closes
 * the listener take one round trip to the engine thread; only
 * gn_engine_stop() also blocks for the drain (bounded by drain_timeout_ms),
 * for quitting; a UI should use gn_engine_stop_async(). Async results,
 * "notify::status" and "notify::n-draining" and the registry's batches are
 * delivered on the owner's thread-default main context (the one current
 * when the engine, or for tasks the call, was made).
 */

#pragma once

#include <gio/gio.h>

#include "gn-blocklist.h"
#include "gn-connection-registry.h"
#include "gn-engine-config.h"
#include "gn-engine-enums.h"
#include "gn-error.h"

G_BEGIN_DECLS

typedef enum
{
  GN_ENGINE_STATUS_STOPPED,
  GN_ENGINE_STATUS_STARTING,
  GN_ENGINE_STATUS_RUNNING,
  /* Stopped, with connections still draining. */
  GN_ENGINE_STATUS_DRAINING,
  GN_ENGINE_STATUS_FAILED,
} GnEngineStatus;

#define GN_TYPE_ENGINE (gn_engine_get_type ())
G_DECLARE_FINAL_TYPE (GnEngine, gn_engine, GN, ENGINE, GObject)

GnEngine             *gn_engine_new               (GnEngineConfig       *config);
GnEngineConfig       *gn_engine_dup_config        (GnEngine             *self);
/* Takes effect on the next start or restart. */
void                  gn_engine_set_config        (GnEngine             *self,
                                                   GnEngineConfig       *config);
/* Which program made each connection (gn-peer-identifier.h), for every
 * config from the next start or restart on, whatever its own
 * peer_identifier; NULL: the config's. */
void                  gn_engine_set_peer_identifier (GnEngine           *self,
                                                     GnPeerIdentifier   *identifier);

gboolean              gn_engine_start             (GnEngine             *self,
                                                   GError              **error);
/* Stops accepting and releases the port, then waits until every connection
 * of this and of earlier stopped servers is gone: drained, or closed at
 * drain_timeout_ms. For quitting; elsewhere use gn_engine_stop_async(). */
void                  gn_engine_stop              (GnEngine             *self);
/* Stops accepting and releases the port within one round trip to the engine
 * thread (the status is DRAINING, or STOPPED, from then on; start may be
 * called at once), then completes on the caller's context when every
 * connection of the stopped server(s) is gone — drained, or closed at
 * drain_timeout_ms — and the status is STOPPED (unless a start came in
 * between). Cancelling does not undo the stop; the result is then
 * G_IO_ERROR_CANCELLED. */
void                  gn_engine_stop_async        (GnEngine             *self,
                                                   GCancellable         *cancellable,
                                                   GAsyncReadyCallback   callback,
                                                   gpointer              user_data);
gboolean              gn_engine_stop_finish       (GnEngine             *self,
                                                   GAsyncResult         *result,
                                                   GError              **error);
/* Applies the current config without a moment when nothing accepts: the
 * new server takes over the listening socket (same bind address, and the
 * same port or port 0) or binds its own first (the same port on another
 * address is the exception: see above). Done as soon as the new server
 * accepts; the old connections drain in the background. On error
 * (GN_ERROR_ADDRESS_IN_USE, …) the running server keeps serving unchanged,
 * RUNNING. If nothing runs, the same as start. */
gboolean              gn_engine_restart           (GnEngine             *self,
                                                   GError              **error);
void                  gn_engine_restart_async     (GnEngine             *self,
                                                   GCancellable         *cancellable,
                                                   GAsyncReadyCallback   callback,
                                                   gpointer              user_data);
gboolean              gn_engine_restart_finish    (GnEngine             *self,
                                                   GAsyncResult         *result,
                                                   GError              **error);

GnEngineStatus        gn_engine_get_status        (GnEngine             *self);
/* Any thread: a copy of the error that put the engine in
 * GN_ENGINE_STATUS_FAILED, or NULL. */
GError               *gn_engine_dup_error         (GnEngine             *self);
/* Any thread: connections still open on stopped servers (the "n-draining"
 * property, which is notified on the owner's context at most every 100 ms
 * and when it reaches 0). */
guint                 gn_engine_get_n_draining    (GnEngine             *self);
/* The port actually bound (useful when the config asked for port 0). */
guint16               gn_engine_get_port          (GnEngine             *self);
/* The connections served at once while running: the config's
 * max_connections, or fewer when the open-file limit (raised to its hard
 * limit at start) leaves room for fewer — two descriptors each plus a
 * reserve; logged with g_message() when it is lower. Not running: the
 * config's. */
guint                 gn_engine_get_max_connections (GnEngine           *self);

/* Any thread. Swaps the whole rule set atomically. New connections and
 * the next request on a kept-alive one use it; open tunnels and kept-alive
 * connections whose target host (or a parent domain of it) it blocks are
 * closed at once, on their workers, and recorded with the reason "Closed:
 * now blocked". A request already being answered finishes with the rules
 * it started with. */
void                  gn_engine_set_blocklist     (GnEngine             *self,
                                                   GnBlocklist          *blocklist);
GnBlocklist          *gn_engine_dup_blocklist     (GnEngine             *self);

/* Threads running connections (1: the engine thread itself). */
guint                 gn_engine_get_n_workers     (GnEngine             *self);
/* Any thread: connections worker @index accepted itself on the listening
 * socket and those the engine thread accepted and handed to it, since the
 * engine started (for tests and benchmarks). */
void                  gn_engine_get_worker_accepted (GnEngine           *self,
                                                     guint               index,
                                                     guint              *by_worker,
                                                     guint              *handed);
GnConnectionRegistry *gn_engine_get_registry      (GnEngine             *self);

G_END_DECLS
