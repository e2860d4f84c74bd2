/* gn-buffer-pool.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * A free list of equally sized buffers (see gn-buffer-pool.h). At most
 * max_free buffers are kept for reuse; the rest go back to the system, so a
 * burst of traffic does not pin its peak memory forever.
 *
 * Memory: on Unix every buffer is its own anonymous mapping, so a buffer
 * given back is gone from the process at once. From malloc, buffers of this
 * size land in the thread's arena once glibc's dynamic mmap threshold has
 * risen past them (it does after the first free of one), and the arena
 * cannot shrink around the small blocks allocated in between: after a burst
 * of 60,000 setups each worker's arena kept ~5 MB. Kept buffers are trimmed
 * too: every TRIM_INTERVAL_S (only while some are kept) the buffers that
 * stayed on the free list during the whole interval are given back, so an
 * idle proxy ends with none.
 *
 * Threading: one worker thread only (each worker has its own pool); the
 * trim timer runs on the context given at creation, which is that thread's.
 */

#include "gn-buffer-pool.h"
#include "gn-fd-budget.h"

#ifdef G_OS_UNIX
#include <sys/mman.h>
#endif

#define TRIM_INTERVAL_S 5

struct _GnBufferPool
{
  gsize         buffer_size;
  guint         max_free;
  guint         n_in_use;
  GSList       *free_list;   /* (owned) (element-type gpointer) */
  guint         n_free;
  guint         low_water;   /* fewest free buffers since the last trim */
  GMainContext *context;     /* (owned) (nullable) for the trim timer */
  GSource      *trim_timer;  /* (owned) (nullable) while buffers are kept */
  GnPipePool   *pipes;       /* (owned) (nullable) until first asked for */
};

static gpointer
buffer_alloc (gsize size)
{
#ifdef G_OS_UNIX
  gpointer buffer = mmap (NULL, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

  if (buffer == MAP_FAILED)
    g_error ("%s: failed to map %" G_GSIZE_FORMAT " bytes", G_STRLOC, size);
  return buffer;
#else
  return g_malloc (size);
#endif
}

static void
buffer_free (gpointer buffer,
             gsize    size)
{
#ifdef G_OS_UNIX
  munmap (buffer, size);
#else
  (void) size;
  g_free (buffer);
#endif
}

static gboolean
trim_timer_cb (gpointer user_data)
{
  GnBufferPool *self = user_data;

  gn_buffer_pool_trim (self);
  if (self->n_free > 0)
    return G_SOURCE_CONTINUE;
  g_clear_pointer (&self->trim_timer, g_source_unref);
  return G_SOURCE_REMOVE;
}

GnBufferPool *
gn_buffer_pool_new (gsize         buffer_size,
                    guint         max_free,
                    GMainContext *trim_context)
{
  GnBufferPool *self;

  g_return_val_if_fail (buffer_size > 0, NULL);

  self = g_new0 (GnBufferPool, 1);
  self->buffer_size = buffer_size;
  self->max_free = max_free;
  if (trim_context != NULL)
    self->context = g_main_context_ref (trim_context);
  return self;
}

void
gn_buffer_pool_free (GnBufferPool *self)
{
  if (self == NULL)
    return;

  g_warn_if_fail (self->n_in_use == 0);
  g_clear_pointer (&self->pipes, gn_pipe_pool_free);
  if (self->trim_timer != NULL)
    {
      g_source_destroy (self->trim_timer);
      g_clear_pointer (&self->trim_timer, g_source_unref);
    }
  while (self->free_list != NULL)
    {
      buffer_free (self->free_list->data, self->buffer_size);
      self->free_list = g_slist_delete_link (self->free_list, self->free_list);
    }
  g_clear_pointer (&self->context, g_main_context_unref);
  g_free (self);
}

gpointer
gn_buffer_pool_acquire (GnBufferPool *self)
{
  gpointer buffer;

  self->n_in_use++;
  if (self->free_list == NULL)
    return buffer_alloc (self->buffer_size);

  buffer = self->free_list->data;
  self->free_list = g_slist_delete_link (self->free_list, self->free_list);
  self->n_free--;
  self->low_water = MIN (self->low_water, self->n_free);
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
      buffer_free (buffer, self->buffer_size);
      return;
    }
  self->free_list = g_slist_prepend (self->free_list, buffer);
  self->n_free++;
  if (self->trim_timer == NULL && self->context != NULL)
    {
      self->trim_timer = g_timeout_source_new_seconds (TRIM_INTERVAL_S);
      g_source_set_static_name (self->trim_timer, "[guardnest] buffer pool trim");
      g_source_set_callback (self->trim_timer, trim_timer_cb, self, NULL);
      g_source_attach (self->trim_timer, self->context);
    }
}

guint
gn_buffer_pool_trim (GnBufferPool *self)
{
  guint n = MIN (self->low_water, self->n_free);

  for (guint i = 0; i < n; i++)
    {
      /* The list is used from its head: the tail is the longest unused. */
      GSList *last = g_slist_last (self->free_list);

      buffer_free (last->data, self->buffer_size);
      self->free_list = g_slist_delete_link (self->free_list, last);
    }
  self->n_free -= n;
  self->low_water = self->n_free;
  return n;
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

guint
gn_buffer_pool_get_n_free (GnBufferPool *self)
{
  return self->n_free;
}
