/* gn-overview-page.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The Overview page: today's figures (GnTrafficStats), the per-minute chart
 * (GnChart), the five most blocked domains and the blocklists at a glance.
 * The top-five list is a GtkSliceListModel over a GtkSortListModel of the
 * blocked-domain rows; a sort model does not watch its items, so the sorter
 * is told to re-sort when the number of hits changes (a few dozen domains,
 * once per batch at most).
 *
 * Threading: main thread only.
 */

#include <glib/gi18n.h>

#include "gn-chart.h"
#include "gn-overview-page.h"

#define N_TOP 5

struct _GnOverviewPage
{
  GtkWidget         parent_instance;

  GnTrafficStats   *stats;       /* (owned) (nullable) */
  GnBlockedModel   *blocked;     /* (owned) (nullable) */
  GtkSorter        *top_sorter;  /* (owned) */
  GtkSliceListModel *top;        /* (owned) */
  gulong            stats_id;
  gulong            hits_id;

  /* template */
  GtkLabel         *open_value;
  GtkLabel         *requests_value;
  GtkLabel         *blocked_value;
  GtkLabel         *sent_value;
  GtkLabel         *received_value;
  GnChart          *chart;
  GtkListBox       *top_list;
  GtkListBox       *lists_list;
};

G_DEFINE_FINAL_TYPE (GnOverviewPage, gn_overview_page, GTK_TYPE_WIDGET)

static void
set_number (GtkLabel *label,
            guint64   value)
{
  char text[32];

  g_snprintf (text, sizeof text, "%'" G_GUINT64_FORMAT, value);
  gtk_label_set_text (label, text);
}

static void
update_figures (GnOverviewPage *self)
{
  const GnCounters *today;
  g_autofree char *up = NULL, *down = NULL;

  if (self->stats == NULL)
    return;

  today = gn_traffic_stats_get_today (self->stats);
  set_number (self->open_value, gn_traffic_stats_get_open_now (self->stats));
  set_number (self->requests_value, today->requests);
  set_number (self->blocked_value, today->blocked);
  up = g_format_size (today->bytes_up);
  down = g_format_size (today->bytes_down);
  gtk_label_set_text (self->sent_value, up);
  gtk_label_set_text (self->received_value, down);
}

static GtkWidget *
create_top_row (gpointer item,
                gpointer user_data)
{
  GtkWidget *box = gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 12);
  GtkWidget *domain = gtk_label_new (NULL);
  GtkWidget *count = gtk_label_new (NULL);

  gtk_widget_set_margin_top (box, 4);
  gtk_widget_set_margin_bottom (box, 4);
  gtk_widget_set_margin_start (box, 6);
  gtk_widget_set_margin_end (box, 6);
  gtk_label_set_xalign (GTK_LABEL (domain), 0);
  gtk_label_set_ellipsize (GTK_LABEL (domain), PANGO_ELLIPSIZE_MIDDLE);
  gtk_widget_set_hexpand (domain, TRUE);
  gtk_widget_add_css_class (count, "numeric");
  gtk_widget_add_css_class (count, "dim-label");
  g_object_bind_property (item, "domain", domain, "label", G_BINDING_SYNC_CREATE);
  g_object_bind_property (item, "count", count, "label", G_BINDING_SYNC_CREATE);
  gtk_box_append (GTK_BOX (box), domain);
  gtk_box_append (GTK_BOX (box), count);
  return box;
}

static void
hits_changed_cb (GnOverviewPage *self)
{
  gtk_sorter_changed (self->top_sorter, GTK_SORTER_CHANGE_DIFFERENT);
}

static void
gn_overview_page_dispose (GObject *object)
{
  GnOverviewPage *self = (GnOverviewPage *) object;

  gn_overview_page_set_stats (self, NULL);
  gn_overview_page_set_blocked (self, NULL);
  gtk_widget_dispose_template (GTK_WIDGET (self), GN_TYPE_OVERVIEW_PAGE);
  {
    GtkWidget *child;

    /* The template's unnamed top-level children. */
    while ((child = gtk_widget_get_first_child (GTK_WIDGET (self))) != NULL)
      gtk_widget_unparent (child);
  }
  g_clear_object (&self->top);
  g_clear_object (&self->top_sorter);

  G_OBJECT_CLASS (gn_overview_page_parent_class)->dispose (object);
}

static void
gn_overview_page_class_init (GnOverviewPageClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = gn_overview_page_dispose;

  g_type_ensure (GN_TYPE_CHART);
  gtk_widget_class_set_template_from_resource (widget_class,
                                               "/io/github/guardnest/GuardNest/ui/gn-overview-page.ui");
  gtk_widget_class_bind_template_child (widget_class, GnOverviewPage, open_value);
  gtk_widget_class_bind_template_child (widget_class, GnOverviewPage, requests_value);
  gtk_widget_class_bind_template_child (widget_class, GnOverviewPage, blocked_value);
  gtk_widget_class_bind_template_child (widget_class, GnOverviewPage, sent_value);
  gtk_widget_class_bind_template_child (widget_class, GnOverviewPage, received_value);
  gtk_widget_class_bind_template_child (widget_class, GnOverviewPage, chart);
  gtk_widget_class_bind_template_child (widget_class, GnOverviewPage, top_list);
  gtk_widget_class_bind_template_child (widget_class, GnOverviewPage, lists_list);

  gtk_widget_class_set_layout_manager_type (widget_class, GTK_TYPE_BIN_LAYOUT);
  gtk_widget_class_set_css_name (widget_class, "overviewpage");
}

static void
gn_overview_page_init (GnOverviewPage *self)
{
  GtkSortListModel *sorted;

  gtk_widget_init_template (GTK_WIDGET (self));

  self->top_sorter = GTK_SORTER (gtk_numeric_sorter_new (
    gtk_property_expression_new (GN_TYPE_BLOCKED_ROW, NULL, "count")));
  gtk_numeric_sorter_set_sort_order (GTK_NUMERIC_SORTER (self->top_sorter), GTK_SORT_DESCENDING);
  sorted = gtk_sort_list_model_new (NULL, g_object_ref (self->top_sorter));
  self->top = gtk_slice_list_model_new (G_LIST_MODEL (sorted), 0, N_TOP);
  gtk_list_box_bind_model (self->top_list, G_LIST_MODEL (self->top), create_top_row, NULL, NULL);
}

void
gn_overview_page_set_stats (GnOverviewPage *self,
                            GnTrafficStats *stats)
{
  g_return_if_fail (GN_IS_OVERVIEW_PAGE (self));

  if (self->stats != NULL)
    g_clear_signal_handler (&self->stats_id, self->stats);
  g_set_object (&self->stats, stats);
  if (self->chart != NULL)
    gn_chart_set_stats (self->chart, stats);
  if (stats != NULL)
    {
      self->stats_id = g_signal_connect_swapped (stats, "changed", G_CALLBACK (update_figures), self);
      update_figures (self);
    }
}

void
gn_overview_page_set_blocked (GnOverviewPage *self,
                              GnBlockedModel *blocked)
{
  GtkSortListModel *sorted;

  g_return_if_fail (GN_IS_OVERVIEW_PAGE (self));

  if (self->blocked != NULL)
    g_clear_signal_handler (&self->hits_id, self->blocked);
  g_set_object (&self->blocked, blocked);
  if (self->top == NULL)
    return;

  sorted = GTK_SORT_LIST_MODEL (gtk_slice_list_model_get_model (self->top));
  gtk_sort_list_model_set_model (sorted, blocked ? gn_blocked_model_get_rows (blocked) : NULL);
  if (blocked != NULL)
    self->hits_id = g_signal_connect_swapped (blocked, "notify::n-hits",
                                              G_CALLBACK (hits_changed_cb), self);
}

void
gn_overview_page_set_sources (GnOverviewPage             *self,
                              GListModel                 *sources,
                              GtkListBoxCreateWidgetFunc  create_row,
                              gpointer                    user_data)
{
  g_return_if_fail (GN_IS_OVERVIEW_PAGE (self));
  gtk_list_box_bind_model (self->lists_list, sources, create_row, user_data, NULL);
}
