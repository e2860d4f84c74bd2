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

/* With @trim_context, a timer there gives back the buffers kept but not
 * needed for a while (gn_buffer_pool_trim() every few seconds while any
 * are kept). */
GnBufferPool *gn_buffer_pool_new             (gsize         buffer_size,
                                              guint         max_free,
                                              GMainContext *trim_context);
void          gn_buffer_pool_free            (GnBufferPool *self);
gpointer      gn_buffer_pool_acquire         (GnBufferPool *self);
void          gn_buffer_pool_release         (GnBufferPool *self,
                                              gpointer      buffer);
gsize         gn_buffer_pool_get_buffer_size (GnBufferPool *self);
/* Gives back the kept buffers that stayed unused since the previous trim
 * (all of them if none was taken since); returns how many. */
guint         gn_buffer_pool_trim            (GnBufferPool *self);
/* Buffers currently lent out, and kept for reuse (for tests and statistics). */
guint         gn_buffer_pool_get_n_in_use    (GnBufferPool *self);
/* The worker's pipes for splice(2), sized like the buffers; created on
 * first use (its size limit follows the descriptor limit then). */
GnPipePool   *gn_buffer_pool_get_pipes       (GnBufferPool *self);
guint         gn_buffer_pool_get_n_free      (GnBufferPool *self);

G_END_DECLS
