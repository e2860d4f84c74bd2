/* gn-worker.h
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * A GnWorker is one thread with its own GMainContext on which the engine
 * runs client connections: each worker accepts on the listening socket
 * itself (Linux), or the engine thread accepts and hands each new
 * connection to the least-loaded worker (see gn-proxy-accept.c); the
 * connection then lives entirely on the worker's context (its sockets,
 * sources, timers, pumps).
 * Each worker has its own buffer pool and GSocketClient, so the hot path
 * takes no lock but the registry's.
 *
 * A worker created with a @shared_context runs no thread of its own: it is
 * the engine thread itself (the one-worker engine, exactly as before workers
 * existed).
 *
 * Threading: create and free on the engine thread. get_context and
 * get_load from any thread; get_pool and get_client on the worker's own
 * thread only. Free only when no connection is left on the worker: it quits
 * the loop, lets cancelled operations finish and joins the thread.
 */

#pragma once

#include <gio/gio.h>

#include "gn-buffer-pool.h"

G_BEGIN_DECLS

typedef struct _GnWorker GnWorker;

GnWorker      *gn_worker_new         (guint         index,
                                      GMainContext *shared_context,
                                      gsize         buffer_size,
                                      guint         max_free_buffers);
void           gn_worker_free        (GnWorker     *self);
GMainContext  *gn_worker_get_context (GnWorker     *self);
GnBufferPool  *gn_worker_get_pool    (GnWorker     *self);
GSocketClient *gn_worker_get_client  (GnWorker     *self);
/* Connections handed to this worker and not done yet (atomic). */
guint          gn_worker_get_load    (GnWorker     *self);
void           gn_worker_add_load    (GnWorker     *self,
                                      gint          delta);
/* Connections it accepted on the listening socket itself (@by_worker) or
 * that the engine thread accepted and handed to it, since it was created
 * (atomic; for tests and benchmarks). */
void           gn_worker_count_accepted (GnWorker   *self,
                                         gboolean    by_worker);
void           gn_worker_get_accepted   (GnWorker   *self,
                                         guint      *by_worker,
                                         guint      *handed);

G_END_DECLS
