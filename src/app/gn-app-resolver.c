/* gn-app-resolver.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * GnAppResolver (see gn-app-resolver.h). The engine names most
 * connections itself (GnConnectionInfo.app, from the GnPeerIdentifier
 * the session installs): those names are passed on as they come, and only
 * the connections the engine does not look up (GN_APP_LOOKUP_NONE) are
 * looked up here, with a GnProcessTable. One lookup runs at a time: the
 * connections queued while it runs go into the next one, so a burst of a
 * thousand new connections costs a couple of scans, not a thousand. Names
 * are kept per connection id until the registry removes the connection.
 *
 * Threading: the owner thread; each lookup is one GTask in a worker.
 */

#include "gn-app-resolver.h"
#include "gn-process-table.h"

typedef struct
{
  guint64 id;
  guint16 client_port;
} Pending;

typedef struct
{
  guint16  server_port;
  GArray  *pending;   /* (owned) Pending */
  GArray  *names;     /* (owned) char* (owned), NULL when unknown; parallel to pending */
} Lookup;

struct _GnAppResolver
{
  GObject       parent_instance;

  GHashTable   *names;        /* (owned) id (guint64*) → name */
  GArray       *queue;        /* (owned) Pending, for the next lookup */
  guint16       queue_port;   /* the proxy's port they connected to */
  gboolean      busy;
  GCancellable *cancellable;  /* (owned) */
};

G_DEFINE_FINAL_TYPE (GnAppResolver, gn_app_resolver, G_TYPE_OBJECT)

enum { RESOLVED, N_SIGNALS };
static guint signals[N_SIGNALS];

static void
lookup_free (gpointer data)
{
  Lookup *lookup = data;

  g_array_unref (lookup->pending);
  if (lookup->names != NULL)
    {
      for (guint i = 0; i < lookup->names->len; i++)
        g_free (g_array_index (lookup->names, char *, i));
      g_array_unref (lookup->names);
    }
  g_free (lookup);
}

static void
lookup_thread (GTask        *task,
               gpointer      source_object,
               gpointer      task_data,
               GCancellable *cancellable)
{
  Lookup *lookup = task_data;
  g_autofree guint16 *ports = g_new (guint16, lookup->pending->len);
  g_autoptr(GnProcessTable) table = NULL;

  for (guint i = 0; i < lookup->pending->len; i++)
    ports[i] = g_array_index (lookup->pending, Pending, i).client_port;
  table = gn_process_table_new (lookup->server_port, ports, lookup->pending->len);
  lookup->names = g_array_sized_new (FALSE, TRUE, sizeof (char *), lookup->pending->len);
  for (guint i = 0; i < lookup->pending->len; i++)
    {
      const GnProcessInfo *info = gn_process_table_lookup (table, ports[i]);
      char *name = info != NULL ? g_strdup (info->name) : NULL;

      g_array_append_val (lookup->names, name);
    }
  g_task_return_boolean (task, TRUE);
}

static void start_lookup (GnAppResolver *self);

static void
lookup_done (GObject      *source,
             GAsyncResult *result,
             gpointer      user_data)
{
  GnAppResolver *self = GN_APP_RESOLVER (source);
  Lookup *lookup = g_task_get_task_data (G_TASK (result));

  if (!g_task_propagate_boolean (G_TASK (result), NULL))
    return;  /* cancelled: the resolver is going away */
  self->busy = FALSE;
  for (guint i = 0; i < lookup->pending->len; i++)
    {
      char *name = g_array_index (lookup->names, char *, i);
      guint64 id = g_array_index (lookup->pending, Pending, i).id;

      if (name == NULL)
        continue;
      g_hash_table_replace (self->names, g_memdup2 (&id, sizeof id), g_strdup (name));
      g_signal_emit (self, signals[RESOLVED], 0, id, name);
    }
  start_lookup (self);
}

static void
start_lookup (GnAppResolver *self)
{
  g_autoptr(GTask) task = NULL;
  Lookup *lookup;

  if (self->busy || self->queue->len == 0)
    return;
  lookup = g_new0 (Lookup, 1);
  lookup->server_port = self->queue_port;
  lookup->pending = g_steal_pointer (&self->queue);
  self->queue = g_array_new (FALSE, FALSE, sizeof (Pending));
  self->busy = TRUE;

  task = g_task_new (self, self->cancellable, lookup_done, NULL);
  g_task_set_source_tag (task, start_lookup);
  g_task_set_task_data (task, lookup, lookup_free);
  g_task_set_return_on_cancel (task, TRUE);
  g_task_run_in_thread (task, lookup_thread);
}

static gboolean
is_loopback (const char *address)
{
  g_autoptr(GInetAddress) inet = g_inet_address_new_from_string (address);

  return inet != NULL && (g_inet_address_get_is_loopback (inet) ||
                          g_str_equal (address, "::ffff:127.0.0.1"));
}

/* A name the engine found: reported once. */
static void
take_names (GnAppResolver *self,
            GPtrArray     *infos)
{
  for (guint i = 0; i < infos->len; i++)
    {
      GnConnectionInfo *info = g_ptr_array_index (infos, i);

      if (info->app == NULL || g_hash_table_contains (self->names, &info->id))
        continue;
      g_hash_table_replace (self->names, g_memdup2 (&info->id, sizeof info->id), g_strdup (info->app));
      g_signal_emit (self, signals[RESOLVED], 0, info->id, info->app);
    }
}

void
gn_app_resolver_apply_batch (GnAppResolver           *self,
                             const GnConnectionBatch *batch,
                             guint16                  server_port)
{
  g_return_if_fail (GN_IS_APP_RESOLVER (self));
  g_return_if_fail (batch != NULL);

  for (guint i = 0; i < batch->removed->len; i++)
    g_hash_table_remove (self->names, &g_array_index (batch->removed, guint64, i));
  take_names (self, batch->added);
  take_names (self, batch->changed);
  if (server_port == 0)
    return;

  /* A new proxy port: what was queued for the old one is stale. */
  if (server_port != self->queue_port)
    g_array_set_size (self->queue, 0);
  self->queue_port = server_port;
  for (guint i = 0; i < batch->added->len; i++)
    {
      GnConnectionInfo *info = g_ptr_array_index (batch->added, i);
      Pending p = { info->id, info->client_port };

      /* Not the ones already closed: their client end is almost always
       * gone too, and a burst of short connections would cost a query
       * per batch for nothing. */
      if (info->app_lookup == GN_APP_LOOKUP_NONE &&
          info->state != GN_CONNECTION_STATE_CLOSED && info->client_address != NULL &&
          is_loopback (info->client_address))
        g_array_append_val (self->queue, p);
    }
  start_lookup (self);
}

const char *
gn_app_resolver_lookup (GnAppResolver *self,
                        guint64        id)
{
  g_return_val_if_fail (GN_IS_APP_RESOLVER (self), NULL);
  return g_hash_table_lookup (self->names, &id);
}

static void
gn_app_resolver_dispose (GObject *object)
{
  GnAppResolver *self = GN_APP_RESOLVER (object);

  g_cancellable_cancel (self->cancellable);
  G_OBJECT_CLASS (gn_app_resolver_parent_class)->dispose (object);
}

static void
gn_app_resolver_finalize (GObject *object)
{
  GnAppResolver *self = GN_APP_RESOLVER (object);

  g_clear_pointer (&self->names, g_hash_table_unref);
  g_clear_pointer (&self->queue, g_array_unref);
  g_clear_object (&self->cancellable);
  G_OBJECT_CLASS (gn_app_resolver_parent_class)->finalize (object);
}

static void
gn_app_resolver_class_init (GnAppResolverClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = gn_app_resolver_dispose;
  object_class->finalize = gn_app_resolver_finalize;

  signals[RESOLVED] = g_signal_new ("resolved", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                                    0, NULL, NULL, NULL, G_TYPE_NONE, 2,
                                    G_TYPE_UINT64, G_TYPE_STRING);
}

static void
gn_app_resolver_init (GnAppResolver *self)
{
  self->names = g_hash_table_new_full (g_int64_hash, g_int64_equal, g_free, g_free);
  self->queue = g_array_new (FALSE, FALSE, sizeof (Pending));
  self->cancellable = g_cancellable_new ();
}

GnAppResolver *
gn_app_resolver_new (void)
{
  return g_object_new (GN_TYPE_APP_RESOLVER, NULL);
}
