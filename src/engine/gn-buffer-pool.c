/* gn-buffer-pool.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * A free list of equally sized buffers (see gn-buffer-pool.h). At most
 * max_free buffers are kept for reuse; the rest go back to the system, so a
 * burst of traffic does not pin its peak memory forever.
 *
 * Threading: one worker thread only (each worker has its own pool).
 */

#include "gn-buffer-pool.h"
#include "gn-fd-budget.h"

struct _GnBufferPool
{
  gsize   buffer_size;
  guint   max_free;
  guint   n_in_use;
  GSList *free_list;   /* (owned) (element-type gpointer) */
  guint   n_free;
  GnPipePool *pipes;   /* (owned) (nullable) until first asked for */
};

GnBufferPool *
gn_buffer_pool_new (gsize buffer_size,
                    guint max_free)
{
  GnBufferPool *self = g_new0 (GnBufferPool, 1);

  g_return_val_if_fail (buffer_size > 0, NULL);

  self->buffer_size = buffer_size;
  self->max_free = max_free;
  return self;
}

void
gn_buffer_pool_free (GnBufferPool *self)
{
  if (self == NULL)
    return;

  g_warn_if_fail (self->n_in_use == 0);
  g_clear_pointer (&self->pipes, gn_pipe_pool_free);
  g_slist_free_full (self->free_list, g_free);
  g_free (self);
}

gpointer
gn_buffer_pool_acquire (GnBufferPool *self)
{
  gpointer buffer;

  self->n_in_use++;
  if (self->free_list == NULL)
    return g_malloc (self->buffer_size);

  buffer = self->free_list->data;
  self->free_list = g_slist_delete_link (self->free_list, self->free_list);
  self->n_free--;
  return buffer;
}

void
gn_buffer_pool_release (GnBufferPool *self,
                        gpointer      buffer)
{
  g_assert (self->n_in_use > 0);

  self->n_in_use--;
  if (self->n_free >= self->max_free)
    {
      g_free (buffer);
      return;
    }
  self->free_list = g_slist_prepend (self->free_list, buffer);
  self->n_free++;
}

gsize
gn_buffer_pool_get_buffer_size (GnBufferPool *self)
{
  return self->buffer_size;
}

guint
gn_buffer_pool_get_n_in_use (GnBufferPool *self)
{
  return self->n_in_use;
}

GnPipePool *
gn_buffer_pool_get_pipes (GnBufferPool *self)
{
  if (self->pipes == NULL)
    self->pipes = gn_pipe_pool_new (self->buffer_size, gn_fd_budget_max_pipes_per_worker ());
  return self->pipes;
}
