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
 * Threading contract: create, configure, start, stop and restart the engine
 * from one thread (the "owner" thread, normally the main thread). Those calls
 * marshal to the engine thread and return success or a GError. The
 * "notify::status" signal and the registry's batches are emitted on the
 * owner's thread-default main context.
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

gboolean              gn_engine_start             (GnEngine             *self,
                                                   GError              **error);
/* Stops accepting, drains open connections up to drain_timeout_ms, closes the
 * rest and releases the port before returning. */
void                  gn_engine_stop              (GnEngine             *self);
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
/* The port actually bound (useful when the config asked for port 0). */
guint16               gn_engine_get_port          (GnEngine             *self);

/* Any thread. Swaps the whole rule set atomically; connections in flight
 * keep the set they started with. */
void                  gn_engine_set_blocklist     (GnEngine             *self,
                                                   GnBlocklist          *blocklist);
GnBlocklist          *gn_engine_dup_blocklist     (GnEngine             *self);

/* Threads running connections (1: the engine thread itself). */
guint                 gn_engine_get_n_workers     (GnEngine             *self);
GnConnectionRegistry *gn_engine_get_registry      (GnEngine             *self);

G_END_DECLS
