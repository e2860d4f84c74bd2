/* gn-app-stats.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Per-program totals since the window opened, for the Overview's "Top
 * apps": each connection whose program GnAppResolver found counts once for
 * that program (gn_app_stats_set_app, from ::resolved), and once more as
 * blocked if the engine refused it with a blocklist answer (from the
 * registry's batches). The two arrive in either order, so each connection
 * keeps a small entry (its program, whether it was blocked) until the
 * registry drops it. Connections whose program is not known (remote
 * clients, ones gone before their lookup) are not counted.
 * One GnAppTotal per program, appended as programs appear and updated in
 * place; ::rows-updated (at most once per batch or name) tells sorted
 * views to sort again.
 *
 * Threading: main thread only.
 */

#include "gn-app-stats.h"

typedef struct
{
  GnAppTotal *total;    /* (borrowed) (nullable) its program's, once known */
  gboolean    blocked;  /* refused by a blocklist */
} Entry;

struct _GnAppStats
{
  GObject     parent_instance;

  GListStore *totals;    /* (owned) of GnAppTotal */
  GHashTable *by_app;    /* (owned) name → GnAppTotal (borrowed) */
  GHashTable *entries;   /* (owned) guint64* connection id → Entry (owned) */
};

G_DEFINE_FINAL_TYPE (GnAppStats, gn_app_stats, G_TYPE_OBJECT)

enum { ROWS_UPDATED, N_SIGNALS };
static guint signals[N_SIGNALS];

static void
gn_app_stats_finalize (GObject *object)
{
  GnAppStats *self = GN_APP_STATS (object);

  g_clear_pointer (&self->entries, g_hash_table_unref);
  g_clear_pointer (&self->by_app, g_hash_table_unref);
  g_clear_object (&self->totals);
  G_OBJECT_CLASS (gn_app_stats_parent_class)->finalize (object);
}

static void
gn_app_stats_class_init (GnAppStatsClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = gn_app_stats_finalize;

  signals[ROWS_UPDATED] = g_signal_new ("rows-updated", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                                        0, NULL, NULL, NULL, G_TYPE_NONE, 0);
}

static void
gn_app_stats_init (GnAppStats *self)
{
  self->totals = g_list_store_new (GN_TYPE_APP_TOTAL);
  self->by_app = g_hash_table_new (g_str_hash, g_str_equal);
  self->entries = g_hash_table_new_full (g_int64_hash, g_int64_equal, g_free, g_free);
}

GnAppStats *
gn_app_stats_new (void)
{
  return g_object_new (GN_TYPE_APP_STATS, NULL);
}

GListModel *
gn_app_stats_get_totals (GnAppStats *self)
{
  g_return_val_if_fail (GN_IS_APP_STATS (self), NULL);
  return G_LIST_MODEL (self->totals);
}

GnAppTotal *
gn_app_stats_lookup (GnAppStats *self,
                     const char *app)
{
  g_return_val_if_fail (GN_IS_APP_STATS (self), NULL);
  g_return_val_if_fail (app != NULL, NULL);
  return g_hash_table_lookup (self->by_app, app);
}

static Entry *
get_entry (GnAppStats *self,
           guint64     id)
{
  Entry *entry = g_hash_table_lookup (self->entries, &id);

  if (entry == NULL)
    {
      entry = g_new0 (Entry, 1);
      g_hash_table_insert (self->entries, g_memdup2 (&id, sizeof id), entry);
    }
  return entry;
}

static gboolean
mark_blocked (GnAppStats *self,
              GPtrArray  *infos)
{
  gboolean updated = FALSE;

  for (guint i = 0; infos != NULL && i < infos->len; i++)
    {
      const GnConnectionInfo *info = g_ptr_array_index (infos, i);
      Entry *entry;

      if (info->kind != GN_CONNECTION_KIND_BLOCKED)
        continue;
      entry = get_entry (self, info->id);
      if (entry->blocked)
        continue;
      entry->blocked = TRUE;
      if (entry->total != NULL)
        {
          gn_app_total_add (entry->total, 0, 1);
          updated = TRUE;
        }
    }
  return updated;
}

void
gn_app_stats_apply_batch (GnAppStats              *self,
                          const GnConnectionBatch *batch)
{
  gboolean updated;

  g_return_if_fail (GN_IS_APP_STATS (self));
  g_return_if_fail (batch != NULL);

  updated = mark_blocked (self, batch->added);
  updated |= mark_blocked (self, batch->changed);
  for (guint i = 0; batch->removed != NULL && i < batch->removed->len; i++)
    g_hash_table_remove (self->entries, &g_array_index (batch->removed, guint64, i));
  if (updated)
    g_signal_emit (self, signals[ROWS_UPDATED], 0);
}

/* Connection @id was made by program @app (GnAppResolver::resolved). */
void
gn_app_stats_set_app (GnAppStats *self,
                      guint64     id,
                      const char *app)
{
  Entry *entry;
  GnAppTotal *total;

  g_return_if_fail (GN_IS_APP_STATS (self));
  g_return_if_fail (app != NULL);

  entry = get_entry (self, id);
  if (entry->total != NULL)
    return;
  total = g_hash_table_lookup (self->by_app, app);
  if (total == NULL)
    {
      g_autoptr(GnAppTotal) created = gn_app_total_new (app);

      total = created;
      g_hash_table_insert (self->by_app, (char *) gn_app_total_get_app (total), total);
      entry->total = total;
      gn_app_total_add (total, 1, entry->blocked ? 1 : 0);
      g_list_store_append (self->totals, total);
      return;
    }
  entry->total = total;
  gn_app_total_add (total, 1, entry->blocked ? 1 : 0);
  g_signal_emit (self, signals[ROWS_UPDATED], 0);
}
