/* gn-worker.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Worker threads for the engine's connections (see gn-worker.h). The
 * worker's context is pushed as thread-default for the thread's whole life,
 * so every source a connection creates with
 * g_main_context_get_thread_default() and every GTask of its GSocketClient
 * attaches there.
 *
 * Quitting goes through the worker's own context (an idle callback that
 * quits the loop), never g_main_loop_quit() from outside: a quit that came
 * before g_main_loop_run() started would be lost.
 *
 * Threading: see gn-worker.h.
 */

#include "gn-worker.h"

struct _GnWorker
{
  guint          index;
  GMainContext  *context;   /* (owned) */
  GMainLoop     *loop;      /* (owned) (nullable) NULL when sharing the engine's */
  GThread       *thread;    /* (owned) (nullable) */
  GnBufferPool  *pool;      /* (owned) worker thread only */
  GSocketClient *client;    /* (owned) worker thread only */
  gint           load;      /* atomic */
  gint           n_accepted; /* atomic: connections it accepted itself */
  gint           n_handed;   /* atomic: connections the engine thread handed it */
};

static gpointer
worker_thread (gpointer data)
{
  GnWorker *self = data;

  g_main_context_push_thread_default (self->context);
  g_main_loop_run (self->loop);
  /* Let operations cancelled by their connections finish and let go. */
  while (g_main_context_iteration (self->context, FALSE))
    ;
  g_main_context_pop_thread_default (self->context);
  return NULL;
}

GnWorker *
gn_worker_new (guint         index,
               GMainContext *shared_context,
               gsize         buffer_size,
               guint         max_free_buffers)
{
  GnWorker *self = g_new0 (GnWorker, 1);

  self->index = index;
  /* Our own connections never use the OS proxy: once protection is on,
   * that proxy is us, and every request would loop. */
  self->client = g_socket_client_new ();
  g_socket_client_set_enable_proxy (self->client, FALSE);

  self->context = shared_context != NULL ? g_main_context_ref (shared_context)
                                          : g_main_context_new ();
  self->pool = gn_buffer_pool_new (buffer_size, max_free_buffers, self->context);
  if (shared_context != NULL)
    return self;

  self->loop = g_main_loop_new (self->context, FALSE);
  {
    g_autofree char *name = g_strdup_printf ("gn-worker-%u", index);

    self->thread = g_thread_new (name, worker_thread, self);
  }
  return self;
}

static gboolean
quit_cb (gpointer data)
{
  g_main_loop_quit (data);
  return G_SOURCE_REMOVE;
}

void
gn_worker_free (GnWorker *self)
{
  if (self == NULL)
    return;

  if (self->thread != NULL)
    {
      g_main_context_invoke (self->context, quit_cb, self->loop);
      g_thread_join (self->thread);
    }
  g_clear_object (&self->client);
  g_clear_pointer (&self->pool, gn_buffer_pool_free);
  g_clear_pointer (&self->loop, g_main_loop_unref);
  g_clear_pointer (&self->context, g_main_context_unref);
  g_free (self);
}

GMainContext *
gn_worker_get_context (GnWorker *self)
{
  return self->context;
}

GnBufferPool *
gn_worker_get_pool (GnWorker *self)
{
  return self->pool;
}

GSocketClient *
gn_worker_get_client (GnWorker *self)
{
  return self->client;
}

guint
gn_worker_get_load (GnWorker *self)
{
  return (guint) g_atomic_int_get (&self->load);
}

void
gn_worker_add_load (GnWorker *self,
                    gint      delta)
{
  g_atomic_int_add (&self->load, delta);
}

void
gn_worker_count_accepted (GnWorker *self,
                          gboolean  by_worker)
{
  g_atomic_int_inc (by_worker ? &self->n_accepted : &self->n_handed);
}

void
gn_worker_get_accepted (GnWorker *self,
                        guint    *by_worker,
                        guint    *handed)
{
  *by_worker = (guint) g_atomic_int_get (&self->n_accepted);
  *handed = (guint) g_atomic_int_get (&self->n_handed);
}
