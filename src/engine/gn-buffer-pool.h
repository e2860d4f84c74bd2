/* gn-buffer-pool.h
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Large copy buffers for the pumps, lent out while data flows and taken
 * back when a direction goes quiet, so that throughput gets big buffers and
 * ten thousand idle tunnels cost nothing. The same goes for the pipes of
 * zero-copy tunnels (gn-splice.h): the pool of the same worker lends them.
 *
 * Threading: a pool belongs to one worker thread (gn-worker.h); no locking.
 */

#pragma once

#include <glib.h>

#include "gn-splice.h"

G_BEGIN_DECLS

typedef struct _GnBufferPool GnBufferPool;

GnBufferPool *gn_buffer_pool_new             (gsize         buffer_size,
                                              guint         max_free);
void          gn_buffer_pool_free            (GnBufferPool *self);
gpointer      gn_buffer_pool_acquire         (GnBufferPool *self);
void          gn_buffer_pool_release         (GnBufferPool *self,
                                              gpointer      buffer);
gsize         gn_buffer_pool_get_buffer_size (GnBufferPool *self);
/* Buffers currently lent out (for tests and statistics). */
guint         gn_buffer_pool_get_n_in_use    (GnBufferPool *self);
/* The worker's pipes for splice(2), sized like the buffers; created on
 * first use (its size limit follows the descriptor limit then). */
GnPipePool   *gn_buffer_pool_get_pipes       (GnBufferPool *self);

G_END_DECLS
