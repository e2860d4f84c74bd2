/* gn-top-apps.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The Overview's "Top apps" card: the five programs that made the most
 * connections through the proxy, each with its connections and how many
 * were blocked (GnAppStats, GTK-free, in src/app). A GtkSliceListModel over
 * a GtkSortListModel (most connections, then most blocked) of the
 * per-program totals; the totals change in place, so the sorter is a
 * GnLiveSorter, refreshed on the stats' ::rows-updated (GTK 4.8's sort
 * model would keep the numbers it first saw). A widget of its own so the
 * Overview only places it.
 *
 * Threading: main thread only.
 */

#include "gn-live-sorter.h"
#include "gn-top-apps.h"

#define N_TOP 5

struct _GnTopApps
{
  GtkWidget          parent_instance;

  GnAppStats        *stats;      /* (owned) (nullable) */
  gulong             updated_id;
  GnLiveSorter      *sorter;     /* (owned) */
  GtkSortListModel  *sorted;     /* (owned) */
  GtkSliceListModel *top;        /* (owned) */

  /* template */
  GtkListBox        *list;
};

G_DEFINE_FINAL_TYPE (GnTopApps, gn_top_apps, GTK_TYPE_WIDGET)

static GtkWidget *
create_row (gpointer item,
            gpointer user_data)
{
  GtkWidget *box = gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 12);
  GtkWidget *app = gtk_label_new (NULL);
  GtkWidget *connections = gtk_label_new (NULL);
  GtkWidget *blocked = gtk_label_new (NULL);

  gtk_widget_set_margin_top (box, 4);
  gtk_widget_set_margin_bottom (box, 4);
  gtk_widget_set_margin_start (box, 6);
  gtk_widget_set_margin_end (box, 6);
  gtk_label_set_xalign (GTK_LABEL (app), 0);
  gtk_label_set_ellipsize (GTK_LABEL (app), PANGO_ELLIPSIZE_END);
  gtk_widget_set_hexpand (app, TRUE);
  for (guint i = 0; i < 2; i++)
    {
      GtkWidget *number = i == 0 ? connections : blocked;

      gtk_label_set_xalign (GTK_LABEL (number), 1);
      gtk_label_set_width_chars (GTK_LABEL (number), 7);
      gtk_widget_add_css_class (number, "numeric");
    }
  gtk_widget_add_css_class (blocked, "dim-label");
  g_object_bind_property (item, "app", app, "label", G_BINDING_SYNC_CREATE);
  g_object_bind_property (item, "connections", connections, "label", G_BINDING_SYNC_CREATE);
  g_object_bind_property (item, "blocked", blocked, "label", G_BINDING_SYNC_CREATE);
  gtk_box_append (GTK_BOX (box), app);
  gtk_box_append (GTK_BOX (box), connections);
  gtk_box_append (GTK_BOX (box), blocked);
  return box;
}

static void
gn_top_apps_dispose (GObject *object)
{
  GnTopApps *self = GN_TOP_APPS (object);
  GtkWidget *child;

  gn_top_apps_set_stats (self, NULL);
  gtk_widget_dispose_template (GTK_WIDGET (self), GN_TYPE_TOP_APPS);
  while ((child = gtk_widget_get_first_child (GTK_WIDGET (self))) != NULL)
    gtk_widget_unparent (child);
  g_clear_object (&self->top);
  g_clear_object (&self->sorted);
  g_clear_object (&self->sorter);
  G_OBJECT_CLASS (gn_top_apps_parent_class)->dispose (object);
}

static void
gn_top_apps_class_init (GnTopAppsClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = gn_top_apps_dispose;

  gtk_widget_class_set_template_from_resource (widget_class,
                                               "/io/github/guardnest/GuardNest/ui/gn-top-apps.ui");
  gtk_widget_class_bind_template_child (widget_class, GnTopApps, list);
  gtk_widget_class_set_layout_manager_type (widget_class, GTK_TYPE_BIN_LAYOUT);
  gtk_widget_class_set_css_name (widget_class, "topapps");
}

static void
gn_top_apps_init (GnTopApps *self)
{
  GtkMultiSorter *order = gtk_multi_sorter_new ();
  const char *keys[] = { "connections", "blocked" };

  gtk_widget_init_template (GTK_WIDGET (self));

  for (guint i = 0; i < G_N_ELEMENTS (keys); i++)
    {
      GtkNumericSorter *by = gtk_numeric_sorter_new (
        gtk_property_expression_new (GN_TYPE_APP_TOTAL, NULL, keys[i]));

      gtk_numeric_sorter_set_sort_order (by, GTK_SORT_DESCENDING);
      gtk_multi_sorter_append (order, GTK_SORTER (by));
    }
  self->sorter = gn_live_sorter_new (GTK_SORTER (order));
  g_object_unref (order);
  self->sorted = gtk_sort_list_model_new (NULL, g_object_ref (GTK_SORTER (self->sorter)));
  self->top = gtk_slice_list_model_new (g_object_ref (G_LIST_MODEL (self->sorted)), 0, N_TOP);
  gtk_list_box_bind_model (self->list, G_LIST_MODEL (self->top), create_row, NULL, NULL);
}

void
gn_top_apps_set_stats (GnTopApps  *self,
                       GnAppStats *stats)
{
  g_return_if_fail (GN_IS_TOP_APPS (self));
  g_return_if_fail (stats == NULL || GN_IS_APP_STATS (stats));

  if (self->stats != NULL)
    g_clear_signal_handler (&self->updated_id, self->stats);
  g_set_object (&self->stats, stats);
  if (self->sorted == NULL)
    return;
  gtk_sort_list_model_set_model (self->sorted, stats ? gn_app_stats_get_totals (stats) : NULL);
  if (stats != NULL)
    self->updated_id = g_signal_connect_swapped (stats, "rows-updated",
                                                 G_CALLBACK (gn_live_sorter_refresh), self->sorter);
}

GListModel *
gn_top_apps_get_shown (GnTopApps *self)
{
  g_return_val_if_fail (GN_IS_TOP_APPS (self), NULL);
  return G_LIST_MODEL (self->top);
}
