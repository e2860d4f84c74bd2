/* gn-blocked-model.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The history of blocked domains, one GnBlockedRow per domain, built from
 * the connection registry's batches: every connection the engine answered
 * with a blocklist 403 counts once for its domain, however many batches
 * mention it (the connection may first appear as "reading" and turn
 * "blocked" in a later batch). Rows are appended as new domains appear and
 * update in place afterwards; clearing the history is the only removal.
 * After rows changed in place (a hit, Allow) ::rows-updated tells sorted
 * views to sort again — before the batch's new rows are inserted, so they
 * go into an order that is right.
 *
 * Which program was blocked: the application passes on what GnAppResolver
 * found (gn_blocked_model_set_app), which may come before the connection
 * turns blocked or after; either way each blocked connection's program is
 * counted once on its domain's row.
 *
 * Threading: main thread only.
 */

#include <string.h>

#include "gn-blocked-model.h"
#include "gn-timed-rules.h"

struct _GnBlockedModel
{
  GObject     parent_instance;

  GListStore *rows;      /* (owned) of GnBlockedRow */
  GHashTable *by_domain; /* (owned) char* → GnBlockedRow (borrowed) */
  GHashTable *counted;   /* (owned) guint64* connection id already counted → its row (borrowed; NULL once cleared) */
  GHashTable *apps;      /* (owned) guint64* connection id → program name, until the registry drops it */
  GnTimedRules *timed;   /* (owned) (nullable) the timed allows shown in the Status column */
  guint       n_hits;
};

G_DEFINE_FINAL_TYPE (GnBlockedModel, gn_blocked_model, G_TYPE_OBJECT)

enum {
  PROP_0,
  PROP_ROWS,
  PROP_N_DOMAINS,
  PROP_N_HITS,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

enum {
  ROWS_UPDATED,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

/* The end of the longest timed allow covering @domain (itself or a parent
 * domain, as the allow covers subdomains), 0 for none. */
static gint64
timed_allow_end (GnTimedRules *timed,
                 const char   *domain)
{
  gint64 until = 0;
  const char *d = domain;

  while (TRUE)
    {
      until = MAX (until, gn_timed_rules_get_allowed_until (timed, d));
      if ((d = strchr (d, '.')) == NULL)
        return until;
      d++;
    }
}

static void
gn_blocked_model_finalize (GObject *object)
{
  GnBlockedModel *self = (GnBlockedModel *) object;

  g_clear_pointer (&self->by_domain, g_hash_table_unref);
  g_clear_pointer (&self->counted, g_hash_table_unref);
  g_clear_pointer (&self->apps, g_hash_table_unref);
  if (self->timed != NULL)
    g_signal_handlers_disconnect_by_data (self->timed, self);
  g_clear_object (&self->timed);
  g_clear_object (&self->rows);

  G_OBJECT_CLASS (gn_blocked_model_parent_class)->finalize (object);
}

static void
gn_blocked_model_get_property (GObject    *object,
                               guint       prop_id,
                               GValue     *value,
                               GParamSpec *pspec)
{
  GnBlockedModel *self = GN_BLOCKED_MODEL (object);

  switch (prop_id)
    {
    case PROP_ROWS:
      g_value_set_object (value, self->rows);
      break;
    case PROP_N_DOMAINS:
      g_value_set_uint (value, g_list_model_get_n_items (G_LIST_MODEL (self->rows)));
      break;
    case PROP_N_HITS:
      g_value_set_uint (value, self->n_hits);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
gn_blocked_model_class_init (GnBlockedModelClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->finalize = gn_blocked_model_finalize;
  object_class->get_property = gn_blocked_model_get_property;

  properties[PROP_ROWS] =
    g_param_spec_object ("rows", NULL, NULL, G_TYPE_LIST_MODEL,
                         G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
  properties[PROP_N_DOMAINS] =
    g_param_spec_uint ("n-domains", NULL, NULL, 0, G_MAXUINT, 0,
                       G_PARAM_READABLE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY);
  properties[PROP_N_HITS] =
    g_param_spec_uint ("n-hits", NULL, NULL, 0, G_MAXUINT, 0,
                       G_PARAM_READABLE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY);

  g_object_class_install_properties (object_class, N_PROPS, properties);

  /**
   * GnBlockedModel::rows-updated:
   *
   * Rows changed in place (times, last time, allowed): a view sorted by
   * those values sorts again. At most once per batch, before the batch's
   * new rows are added.
   */
  signals[ROWS_UPDATED] =
    g_signal_new ("rows-updated", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 0);
}

static void
gn_blocked_model_init (GnBlockedModel *self)
{
  self->rows = g_list_store_new (GN_TYPE_BLOCKED_ROW);
  self->by_domain = g_hash_table_new (g_str_hash, g_str_equal);
  self->counted = g_hash_table_new_full (g_int64_hash, g_int64_equal, g_free, NULL);
  self->apps = g_hash_table_new_full (g_int64_hash, g_int64_equal, g_free, g_free);
}

GnBlockedModel *
gn_blocked_model_new (void)
{
  return g_object_new (GN_TYPE_BLOCKED_MODEL, NULL);
}

GListModel *
gn_blocked_model_get_rows (GnBlockedModel *self)
{
  g_return_val_if_fail (GN_IS_BLOCKED_MODEL (self), NULL);
  return G_LIST_MODEL (self->rows);
}

GnBlockedRow *
gn_blocked_model_lookup (GnBlockedModel *self,
                         const char     *domain)
{
  g_return_val_if_fail (GN_IS_BLOCKED_MODEL (self), NULL);
  g_return_val_if_fail (domain != NULL, NULL);
  return g_hash_table_lookup (self->by_domain, domain);
}

guint
gn_blocked_model_get_n_hits (GnBlockedModel *self)
{
  g_return_val_if_fail (GN_IS_BLOCKED_MODEL (self), 0);
  return self->n_hits;
}

static guint
count_infos (GnBlockedModel *self,
             GPtrArray      *infos,
             GPtrArray      *new_rows)
{
  guint n_updated = 0;

  for (guint i = 0; infos != NULL && i < infos->len; i++)
    {
      const GnConnectionInfo *info = g_ptr_array_index (infos, i);
      GnBlockedRow *row;
      const char *app;

      if (info->kind != GN_CONNECTION_KIND_BLOCKED || info->host == NULL)
        continue;
      if (g_hash_table_contains (self->counted, &info->id))
        continue;
      row = g_hash_table_lookup (self->by_domain, info->host);
      if (row == NULL)
        {
          row = gn_blocked_row_new (info->host);
          if (self->timed != NULL)
            gn_blocked_row_set_allowed_until (row, timed_allow_end (self->timed, info->host));
          g_hash_table_insert (self->by_domain,
                               (char *) gn_blocked_row_get_domain (row), row);
          g_ptr_array_add (new_rows, row);
        }
      else
        n_updated++;
      g_hash_table_insert (self->counted, g_memdup2 (&info->id, sizeof info->id), row);
      gn_blocked_row_add_hit (row, info);
      if ((app = g_hash_table_lookup (self->apps, &info->id)) != NULL)
        gn_blocked_row_add_app (row, app);
      self->n_hits++;
    }
  return n_updated;
}

void
gn_blocked_model_apply_batch (GnBlockedModel          *self,
                              const GnConnectionBatch *batch)
{
  g_autoptr(GPtrArray) new_rows = g_ptr_array_new_with_free_func (g_object_unref);
  guint hits_before;
  guint n_updated = 0;

  g_return_if_fail (GN_IS_BLOCKED_MODEL (self));
  g_return_if_fail (batch != NULL);

  hits_before = self->n_hits;
  n_updated += count_infos (self, batch->added, new_rows);
  n_updated += count_infos (self, batch->changed, new_rows);
  if (n_updated > 0)
    g_signal_emit (self, signals[ROWS_UPDATED], 0);

  /* A removed connection will never be mentioned again. */
  for (guint i = 0; batch->removed != NULL && i < batch->removed->len; i++)
    {
      g_hash_table_remove (self->counted, &g_array_index (batch->removed, guint64, i));
      g_hash_table_remove (self->apps, &g_array_index (batch->removed, guint64, i));
    }

  if (new_rows->len > 0)
    {
      g_list_store_splice (self->rows,
                           g_list_model_get_n_items (G_LIST_MODEL (self->rows)),
                           0, new_rows->pdata, new_rows->len);
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_N_DOMAINS]);
    }
  if (hits_before != self->n_hits)
    g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_N_HITS]);
}

/* Connection @id was made by program @app (GnAppResolver::resolved). */
void
gn_blocked_model_set_app (GnBlockedModel *self,
                          guint64         id,
                          const char     *app)
{
  GnBlockedRow *row;

  g_return_if_fail (GN_IS_BLOCKED_MODEL (self));
  g_return_if_fail (app != NULL);

  if (g_hash_table_contains (self->apps, &id))
    return;
  g_hash_table_insert (self->apps, g_memdup2 (&id, sizeof id), g_strdup (app));
  row = g_hash_table_lookup (self->counted, &id);
  if (row == NULL)
    return;  /* not blocked (yet), or its row cleared */
  gn_blocked_row_add_app (row, app);
  g_signal_emit (self, signals[ROWS_UPDATED], 0);
}

/* Marks @domain allowed (or not) in the history: the Status column and
 * the Overview's most-blocked list follow. */
void
gn_blocked_model_set_allowed (GnBlockedModel *self,
                              const char     *domain,
                              gboolean        allowed)
{
  GnBlockedRow *row;

  g_return_if_fail (GN_IS_BLOCKED_MODEL (self));
  g_return_if_fail (domain != NULL);

  row = g_hash_table_lookup (self->by_domain, domain);
  if (row == NULL || gn_blocked_row_get_allowed (row) == !!allowed)
    return;
  gn_blocked_row_set_allowed (row, allowed);
  g_signal_emit (self, signals[ROWS_UPDATED], 0);
}

static void
timed_changed_cb (GnBlockedModel *self)
{
  GHashTableIter iter;
  gpointer key, value;
  gboolean changed = FALSE;

  g_hash_table_iter_init (&iter, self->by_domain);
  while (g_hash_table_iter_next (&iter, &key, &value))
    {
      gint64 until = timed_allow_end (self->timed, key);

      if (gn_blocked_row_get_allowed_until (value) == until)
        continue;
      gn_blocked_row_set_allowed_until (value, until);
      changed = TRUE;
    }
  if (changed)
    g_signal_emit (self, signals[ROWS_UPDATED], 0);
}

/* Shows on every row, now and as @timed changes, whether a timed allow
 * lets it through and until when ("Allowed until 14:32"). */
void
gn_blocked_model_set_timed_rules (GnBlockedModel *self,
                                  GnTimedRules   *timed)
{
  g_return_if_fail (GN_IS_BLOCKED_MODEL (self));
  g_return_if_fail (timed == NULL || GN_IS_TIMED_RULES (timed));

  if (self->timed == timed)
    return;
  if (self->timed != NULL)
    g_signal_handlers_disconnect_by_data (self->timed, self);
  g_set_object (&self->timed, timed);
  if (timed == NULL)
    return;
  g_signal_connect_swapped (timed, "changed", G_CALLBACK (timed_changed_cb), self);
  timed_changed_cb (self);
}

/* Forgets the history; connections already counted stay counted, so a
 * later batch mentioning them does not bring their domain back. */
void
gn_blocked_model_clear (GnBlockedModel *self)
{
  GHashTableIter iter;
  gpointer value;

  g_return_if_fail (GN_IS_BLOCKED_MODEL (self));

  g_hash_table_iter_init (&iter, self->counted);
  while (g_hash_table_iter_next (&iter, NULL, &value))
    g_hash_table_iter_replace (&iter, NULL);
  g_hash_table_remove_all (self->by_domain);
  g_list_store_remove_all (self->rows);
  self->n_hits = 0;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_N_DOMAINS]);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_N_HITS]);
}
