/* gn-live-sorter.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Sorting that stays right while rows change in place. GTK 4.8's
 * GtkSortListModel caches each item's sort key (a GtkNumericSorter's
 * number, a GtkStringSorter's collation key) when the item arrives and
 * keeps those keys across gtk_sorter_changed() as long as the sorter stays
 * "compatible" — so a row whose count goes from 3 to 21 keeps sorting as 3,
 * and a later insertion into the stale order makes the tim-sort merge
 * report "Comparison method violates its general contract".
 *
 * GnLiveSorter wraps another sorter (a column view's, bound in the .ui) and
 * provides no keys of its own: GTK then keeps only the item and calls
 * compare(), which asks the wrapped sorter about the items' values as they
 * are now. The page calls gn_live_sorter_refresh() when its model says rows
 * changed in place (once per batch of the engine's updates, before new rows
 * are inserted), which re-sorts: the order is nearly right already, so the
 * tim-sort sees long runs and does about one comparison per row, and the
 * sort model announces only the range that really moved. Nothing is done
 * while the wrapped sorter has no order (no column picked).
 *
 * Threading: main thread only.
 */

#include "gn-live-sorter.h"

struct _GnLiveSorter
{
  GtkSorter  parent_instance;

  GtkSorter *sorter;      /* (owned) (nullable) */
  gulong     changed_id;
};

G_DEFINE_FINAL_TYPE (GnLiveSorter, gn_live_sorter, GTK_TYPE_SORTER)

enum {
  PROP_0,
  PROP_SORTER,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

static GtkOrdering
gn_live_sorter_compare (GtkSorter *sorter,
                        gpointer   item1,
                        gpointer   item2)
{
  GnLiveSorter *self = GN_LIVE_SORTER (sorter);

  if (self->sorter == NULL)
    return GTK_ORDERING_EQUAL;
  return gtk_sorter_compare (self->sorter, item1, item2);
}

static GtkSorterOrder
gn_live_sorter_get_order (GtkSorter *sorter)
{
  GnLiveSorter *self = GN_LIVE_SORTER (sorter);

  return self->sorter != NULL ? gtk_sorter_get_order (self->sorter) : GTK_SORTER_ORDER_NONE;
}

static void
inner_changed_cb (GtkSorter       *inner,
                  GtkSorterChange  change,
                  GnLiveSorter    *self)
{
  gtk_sorter_changed (GTK_SORTER (self), change);
}

static void
gn_live_sorter_dispose (GObject *object)
{
  GnLiveSorter *self = GN_LIVE_SORTER (object);

  if (self->sorter != NULL)
    g_clear_signal_handler (&self->changed_id, self->sorter);
  g_clear_object (&self->sorter);

  G_OBJECT_CLASS (gn_live_sorter_parent_class)->dispose (object);
}

static void
gn_live_sorter_get_property (GObject    *object,
                             guint       prop_id,
                             GValue     *value,
                             GParamSpec *pspec)
{
  GnLiveSorter *self = GN_LIVE_SORTER (object);

  switch (prop_id)
    {
    case PROP_SORTER:
      g_value_set_object (value, self->sorter);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
gn_live_sorter_set_property (GObject      *object,
                             guint         prop_id,
                             const GValue *value,
                             GParamSpec   *pspec)
{
  GnLiveSorter *self = GN_LIVE_SORTER (object);

  switch (prop_id)
    {
    case PROP_SORTER:
      gn_live_sorter_set_sorter (self, g_value_get_object (value));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
gn_live_sorter_class_init (GnLiveSorterClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkSorterClass *sorter_class = GTK_SORTER_CLASS (klass);

  object_class->dispose = gn_live_sorter_dispose;
  object_class->get_property = gn_live_sorter_get_property;
  object_class->set_property = gn_live_sorter_set_property;
  sorter_class->compare = gn_live_sorter_compare;
  sorter_class->get_order = gn_live_sorter_get_order;

  properties[PROP_SORTER] =
    g_param_spec_object ("sorter", NULL, NULL, GTK_TYPE_SORTER,
                         G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY);
  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
gn_live_sorter_init (GnLiveSorter *self)
{
}

/* @sorter: (nullable) (transfer none): the sorter asked about each pair */
GnLiveSorter *
gn_live_sorter_new (GtkSorter *sorter)
{
  g_return_val_if_fail (sorter == NULL || GTK_IS_SORTER (sorter), NULL);
  return g_object_new (GN_TYPE_LIVE_SORTER, "sorter", sorter, NULL);
}

GtkSorter *
gn_live_sorter_get_sorter (GnLiveSorter *self)
{
  g_return_val_if_fail (GN_IS_LIVE_SORTER (self), NULL);
  return self->sorter;
}

void
gn_live_sorter_set_sorter (GnLiveSorter *self,
                           GtkSorter    *sorter)
{
  g_return_if_fail (GN_IS_LIVE_SORTER (self));
  g_return_if_fail (sorter == NULL || GTK_IS_SORTER (sorter));

  if (self->sorter == sorter)
    return;
  if (self->sorter != NULL)
    g_clear_signal_handler (&self->changed_id, self->sorter);
  g_set_object (&self->sorter, sorter);
  if (sorter != NULL)
    self->changed_id = g_signal_connect (sorter, "changed", G_CALLBACK (inner_changed_cb), self);
  gtk_sorter_changed (GTK_SORTER (self), GTK_SORTER_CHANGE_DIFFERENT);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_SORTER]);
}

/* The rows' values changed in place: sort again by what they are now. */
void
gn_live_sorter_refresh (GnLiveSorter *self)
{
  g_return_if_fail (GN_IS_LIVE_SORTER (self));

  if (gn_live_sorter_get_order (GTK_SORTER (self)) != GTK_SORTER_ORDER_NONE)
    gtk_sorter_changed (GTK_SORTER (self), GTK_SORTER_CHANGE_DIFFERENT);
}
