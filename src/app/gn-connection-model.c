/* gn-connection-model.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Applies the connection registry's batches to a GListStore of
 * GnConnectionRow without ever rebuilding it: a changed connection updates
 * its row in place (the row notifies the properties that changed), new
 * connections are appended with one splice per batch, and connections the
 * registry dropped after their linger time are removed in contiguous runs,
 * each one items-changed with the smallest range. That is what keeps the
 * Connections table smooth at thousands of rows and hundreds of changes per
 * second: the cost of a batch is proportional to what changed in it.
 *
 * Rows changing in place do not move in a sorted view by themselves (GTK's
 * sort models keep each item's key), so after every batch or tick that
 * changed rows in place the model emits ::rows-updated — once, and before
 * that batch's new rows are inserted — and the window re-sorts.
 *
 * While paused, batches are merged into a pending set (the newest info per
 * connection, the ids removed meanwhile) whose size is bounded by the number
 * of connections, and applied as one batch when updates resume.
 *
 * Under heavy churn the same pending set throttles the model: a batch that
 * adds or removes at least GN_CONNECTION_MODEL_BURST_ROWS rows and arrives
 * less than GN_CONNECTION_MODEL_THROTTLE_MS after the last apply is held
 * (with every batch after it, to keep their order) and applied together
 * when that interval is over. At 1,000 new connections a second that makes
 * one insertion and one removal a second instead of four of each: a GTK
 * 4.8 list view keeps widgets for up to 200 rows around its anchor row and
 * rebuilds them when those rows go, so each apply costs a rebuild of the
 * rows shown whatever its size. Quiet traffic (small batches) is applied at
 * once, as before.
 *
 * Threading: main thread only. Batches arrive on the main context from the
 * registry subscription made by the application.
 */

#include "gn-connection-model.h"

struct _GnConnectionModel
{
  GObject     parent_instance;

  GListStore *rows;            /* (owned) of GnConnectionRow */
  GHashTable *by_id;           /* (owned) guint64* → GnConnectionRow (borrowed, the store owns) */
  guint       n_open;
  guint       tick_id;

  gboolean    paused;
  gint64      last_apply_us;   /* monotonic time of the last apply() */
  guint       throttle_id;     /* applies the held batches when due */
  GHashTable *pending_infos;   /* (owned) guint64* → GnConnectionInfo (owned) */
  GHashTable *pending_removed; /* (owned) set of guint64* */
  GHashTable *pending_apps;    /* (owned) guint64* → char* (owned): programs of held rows */
};

G_DEFINE_FINAL_TYPE (GnConnectionModel, gn_connection_model, G_TYPE_OBJECT)

enum {
  PROP_0,
  PROP_ROWS,
  PROP_N_TOTAL,
  PROP_N_OPEN,
  PROP_PAUSED,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

enum {
  ROWS_UPDATED,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

static guint64 *
id_dup (guint64 id)
{
  return g_memdup2 (&id, sizeof id);
}

static void
update_n_open (GnConnectionModel *self)
{
  GHashTableIter iter;
  gpointer value;
  guint n = 0;

  g_hash_table_iter_init (&iter, self->by_id);
  while (g_hash_table_iter_next (&iter, NULL, &value))
    if (!gn_connection_row_get_closed (value))
      n++;

  if (n != self->n_open)
    {
      self->n_open = n;
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_N_OPEN]);
    }
}

static void
remove_ids (GnConnectionModel *self,
            GHashTable        *ids)
{
  guint n, i, left;

  left = g_hash_table_size (ids);
  if (left == 0)
    return;

  /* One pass; each contiguous run of removed rows is one splice. Rows go
   * in arrival order and lingering ends in that order too, so the runs are
   * usually one block at the front. */
  n = g_list_model_get_n_items (G_LIST_MODEL (self->rows));
  i = 0;
  while (i < n && left > 0)
    {
      guint run = 0;

      while (i + run < n)
        {
          g_autoptr(GnConnectionRow) row = g_list_model_get_item (G_LIST_MODEL (self->rows), i + run);
          guint64 id = gn_connection_row_get_id (row);

          if (!g_hash_table_contains (ids, &id))
            break;
          g_hash_table_remove (self->by_id, &id);
          run++;
          left--;
        }

      if (run > 0)
        {
          g_list_store_splice (self->rows, i, run, NULL, 0);
          n -= run;
        }
      else
        i++;
    }
}

static gint
compare_row_id (gconstpointer a,
                gconstpointer b)
{
  guint64 ia = gn_connection_row_get_id (*(GnConnectionRow * const *) a);
  guint64 ib = gn_connection_row_get_id (*(GnConnectionRow * const *) b);

  return ia < ib ? -1 : ia > ib;
}

static void
apply (GnConnectionModel *self,
       GPtrArray         *infos,
       GHashTable        *removed)
{
  g_autoptr(GPtrArray) new_rows = g_ptr_array_new_with_free_func (g_object_unref);
  gint64 now = g_get_real_time ();
  guint n_before = g_list_model_get_n_items (G_LIST_MODEL (self->rows));
  guint n_updated = 0;

  self->last_apply_us = g_get_monotonic_time ();

  for (guint i = 0; i < infos->len; i++)
    {
      const GnConnectionInfo *info = g_ptr_array_index (infos, i);
      GnConnectionRow *row;

      if (removed != NULL && g_hash_table_contains (removed, &info->id))
        continue;

      row = g_hash_table_lookup (self->by_id, &info->id);
      if (row != NULL)
        {
          gn_connection_row_update (row, info);
          n_updated++;
        }
      else
        {
          const char *app = g_hash_table_lookup (self->pending_apps, &info->id);

          row = gn_connection_row_new (info, now);
          if (app != NULL)
            gn_connection_row_set_app (row, app);
          g_hash_table_insert (self->by_id, id_dup (info->id), row);
          g_ptr_array_add (new_rows, row);
        }
    }

  /* Before the insertion, so a sorted view puts the new rows into an
   * order that is right again. */
  if (n_updated > 0)
    g_signal_emit (self, signals[ROWS_UPDATED], 0);

  /* Arrival order (ids grow with time), whatever order the batch used. */
  g_ptr_array_sort (new_rows, compare_row_id);
  if (new_rows->len > 0)
    g_list_store_splice (self->rows, n_before, 0, new_rows->pdata, new_rows->len);

  if (removed != NULL)
    remove_ids (self, removed);

  if (n_before != g_list_model_get_n_items (G_LIST_MODEL (self->rows)))
    g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_N_TOTAL]);
  update_n_open (self);
}

static gboolean
tick_cb (gpointer user_data)
{
  gn_connection_model_tick (user_data, g_get_real_time ());
  return G_SOURCE_CONTINUE;
}

static void
gn_connection_model_dispose (GObject *object)
{
  GnConnectionModel *self = (GnConnectionModel *) object;

  g_clear_handle_id (&self->tick_id, g_source_remove);
  g_clear_handle_id (&self->throttle_id, g_source_remove);

  G_OBJECT_CLASS (gn_connection_model_parent_class)->dispose (object);
}

static void
gn_connection_model_finalize (GObject *object)
{
  GnConnectionModel *self = (GnConnectionModel *) object;

  g_clear_pointer (&self->by_id, g_hash_table_unref);
  g_clear_object (&self->rows);
  g_clear_pointer (&self->pending_infos, g_hash_table_unref);
  g_clear_pointer (&self->pending_removed, g_hash_table_unref);
  g_clear_pointer (&self->pending_apps, g_hash_table_unref);

  G_OBJECT_CLASS (gn_connection_model_parent_class)->finalize (object);
}

static void
gn_connection_model_get_property (GObject    *object,
                                  guint       prop_id,
                                  GValue     *value,
                                  GParamSpec *pspec)
{
  GnConnectionModel *self = GN_CONNECTION_MODEL (object);

  switch (prop_id)
    {
    case PROP_ROWS:
      g_value_set_object (value, self->rows);
      break;
    case PROP_N_TOTAL:
      g_value_set_uint (value, g_list_model_get_n_items (G_LIST_MODEL (self->rows)));
      break;
    case PROP_N_OPEN:
      g_value_set_uint (value, self->n_open);
      break;
    case PROP_PAUSED:
      g_value_set_boolean (value, self->paused);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
gn_connection_model_set_property (GObject      *object,
                                  guint         prop_id,
                                  const GValue *value,
                                  GParamSpec   *pspec)
{
  GnConnectionModel *self = GN_CONNECTION_MODEL (object);

  switch (prop_id)
    {
    case PROP_PAUSED:
      gn_connection_model_set_paused (self, g_value_get_boolean (value));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
gn_connection_model_class_init (GnConnectionModelClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = gn_connection_model_dispose;
  object_class->finalize = gn_connection_model_finalize;
  object_class->get_property = gn_connection_model_get_property;
  object_class->set_property = gn_connection_model_set_property;

  properties[PROP_ROWS] =
    g_param_spec_object ("rows", NULL, NULL, G_TYPE_LIST_MODEL,
                         G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
  properties[PROP_N_TOTAL] =
    g_param_spec_uint ("n-total", NULL, NULL, 0, G_MAXUINT, 0,
                       G_PARAM_READABLE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY);
  properties[PROP_N_OPEN] =
    g_param_spec_uint ("n-open", NULL, NULL, 0, G_MAXUINT, 0,
                       G_PARAM_READABLE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY);
  properties[PROP_PAUSED] =
    g_param_spec_boolean ("paused", NULL, NULL, FALSE,
                          G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY);

  g_object_class_install_properties (object_class, N_PROPS, properties);

  /**
   * GnConnectionModel::rows-updated:
   *
   * Rows changed in place (bytes, state, duration, rate…): a view sorted
   * by those values sorts again. Emitted at most once per batch or tick,
   * before the batch's new rows are added.
   */
  signals[ROWS_UPDATED] =
    g_signal_new ("rows-updated", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 0);
}

static void
gn_connection_model_init (GnConnectionModel *self)
{
  self->rows = g_list_store_new (GN_TYPE_CONNECTION_ROW);
  self->by_id = g_hash_table_new_full (g_int64_hash, g_int64_equal, g_free, NULL);
  self->pending_infos = g_hash_table_new_full (g_int64_hash, g_int64_equal, g_free,
                                               (GDestroyNotify) gn_connection_info_unref);
  self->pending_removed = g_hash_table_new_full (g_int64_hash, g_int64_equal, g_free, NULL);
  self->pending_apps = g_hash_table_new_full (g_int64_hash, g_int64_equal, g_free, g_free);
  self->tick_id = g_timeout_add_seconds (1, tick_cb, self);
}

GnConnectionModel *
gn_connection_model_new (void)
{
  return g_object_new (GN_TYPE_CONNECTION_MODEL, NULL);
}

GListModel *
gn_connection_model_get_rows (GnConnectionModel *self)
{
  g_return_val_if_fail (GN_IS_CONNECTION_MODEL (self), NULL);
  return G_LIST_MODEL (self->rows);
}

GnConnectionRow *
gn_connection_model_lookup (GnConnectionModel *self,
                            guint64            id)
{
  g_return_val_if_fail (GN_IS_CONNECTION_MODEL (self), NULL);
  return g_hash_table_lookup (self->by_id, &id);
}

/* The program that made connection @id (GnAppResolver::resolved), kept
 * for a row that is still held (paused or throttled) until it is added. */
void
gn_connection_model_set_app (GnConnectionModel *self,
                             guint64            id,
                             const char        *app)
{
  GnConnectionRow *row;

  g_return_if_fail (GN_IS_CONNECTION_MODEL (self));

  row = g_hash_table_lookup (self->by_id, &id);
  if (row != NULL)
    gn_connection_row_set_app (row, app);
  else if (g_hash_table_contains (self->pending_infos, &id))
    g_hash_table_replace (self->pending_apps, id_dup (id), g_strdup (app));
}

static void
merge_pending (GnConnectionModel *self,
               GPtrArray         *infos)
{
  for (guint i = 0; infos != NULL && i < infos->len; i++)
    {
      GnConnectionInfo *info = g_ptr_array_index (infos, i);

      g_hash_table_replace (self->pending_infos, id_dup (info->id),
                            gn_connection_info_ref (info));
    }
}

static void
merge_batch (GnConnectionModel       *self,
             const GnConnectionBatch *batch)
{
  merge_pending (self, batch->added);
  merge_pending (self, batch->changed);
  for (guint i = 0; batch->removed != NULL && i < batch->removed->len; i++)
    {
      guint64 id = g_array_index (batch->removed, guint64, i);

      g_hash_table_remove (self->pending_infos, &id);
      g_hash_table_add (self->pending_removed, id_dup (id));
    }
}

static gint compare_info_id (gconstpointer a,
                             gconstpointer b);

/* Applies the pending set (held while paused or throttled) as one batch. */
static void
apply_pending (GnConnectionModel *self)
{
  g_autoptr(GPtrArray) infos = g_ptr_array_new ();
  GHashTableIter iter;
  gpointer value;

  g_hash_table_iter_init (&iter, self->pending_infos);
  while (g_hash_table_iter_next (&iter, NULL, &value))
    g_ptr_array_add (infos, value);

  /* Keep the order of arrival (ids grow with time) for new rows. */
  g_ptr_array_sort (infos, compare_info_id);
  apply (self, infos, self->pending_removed);
  g_hash_table_remove_all (self->pending_infos);
  g_hash_table_remove_all (self->pending_removed);
  g_hash_table_remove_all (self->pending_apps);
}

static gboolean
throttle_cb (gpointer user_data)
{
  GnConnectionModel *self = user_data;

  self->throttle_id = 0;
  if (!self->paused)
    apply_pending (self);
  return G_SOURCE_REMOVE;
}

void
gn_connection_model_apply_batch (GnConnectionModel       *self,
                                 const GnConnectionBatch *batch)
{
  g_autoptr(GHashTable) removed = NULL;
  g_autoptr(GPtrArray) infos = NULL;
  guint n_churn;
  gint64 since;

  g_return_if_fail (GN_IS_CONNECTION_MODEL (self));
  g_return_if_fail (batch != NULL);

  /* Held while paused, and behind batches already held by the throttle. */
  if (self->paused || self->throttle_id != 0)
    {
      merge_batch (self, batch);
      return;
    }

  n_churn = (batch->added ? batch->added->len : 0) + (batch->removed ? batch->removed->len : 0);
  since = g_get_monotonic_time () - self->last_apply_us;
  if (n_churn >= GN_CONNECTION_MODEL_BURST_ROWS &&
      self->last_apply_us != 0 &&
      since < GN_CONNECTION_MODEL_THROTTLE_MS * 1000)
    {
      merge_batch (self, batch);
      /* Not at idle priority: the table must not wait for a busy loop to go quiet. */
      self->throttle_id = g_timeout_add_full (G_PRIORITY_DEFAULT,
                                              (GN_CONNECTION_MODEL_THROTTLE_MS * 1000 - since + 999) / 1000,
                                              throttle_cb, self, NULL);
      return;
    }

  removed = g_hash_table_new_full (g_int64_hash, g_int64_equal, g_free, NULL);
  for (guint i = 0; batch->removed != NULL && i < batch->removed->len; i++)
    g_hash_table_add (removed, id_dup (g_array_index (batch->removed, guint64, i)));

  infos = g_ptr_array_new ();
  if (batch->added != NULL)
    g_ptr_array_extend (infos, batch->added, NULL, NULL);
  if (batch->changed != NULL)
    g_ptr_array_extend (infos, batch->changed, NULL, NULL);

  apply (self, infos, removed);
}

static gint
compare_info_id (gconstpointer a,
                 gconstpointer b)
{
  const GnConnectionInfo *ia = *(const GnConnectionInfo * const *) a;
  const GnConnectionInfo *ib = *(const GnConnectionInfo * const *) b;

  return ia->id < ib->id ? -1 : ia->id > ib->id;
}

void
gn_connection_model_set_paused (GnConnectionModel *self,
                                gboolean           paused)
{
  g_return_if_fail (GN_IS_CONNECTION_MODEL (self));

  paused = !!paused;
  if (self->paused == paused)
    return;
  self->paused = paused;

  if (!paused)
    {
      g_clear_handle_id (&self->throttle_id, g_source_remove);
      apply_pending (self);
    }

  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_PAUSED]);
}

gboolean
gn_connection_model_get_paused (GnConnectionModel *self)
{
  g_return_val_if_fail (GN_IS_CONNECTION_MODEL (self), FALSE);
  return self->paused;
}

guint
gn_connection_model_get_n_open (GnConnectionModel *self)
{
  g_return_val_if_fail (GN_IS_CONNECTION_MODEL (self), 0);
  return self->n_open;
}

/* Durations and rates of open rows; frozen while paused. */
void
gn_connection_model_tick (GnConnectionModel *self,
                          gint64             now_us)
{
  GHashTableIter iter;
  gpointer value;

  g_return_if_fail (GN_IS_CONNECTION_MODEL (self));

  if (self->paused)
    return;

  if (g_hash_table_size (self->by_id) == 0)
    return;
  g_hash_table_iter_init (&iter, self->by_id);
  while (g_hash_table_iter_next (&iter, NULL, &value))
    gn_connection_row_tick (value, now_us);
  g_signal_emit (self, signals[ROWS_UPDATED], 0);
}
