/* gn-overview-page.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The Overview page: today's figures (GnTrafficStats), the per-minute chart
 * (GnChart), the five most blocked domains and the blocklists at a glance.
 * The top-five list is a GtkSliceListModel over a GtkSortListModel (most
 * hits first) over a GtkFilterListModel (domains still blocked: one the
 * user allowed leaves the list) of the blocked-domain rows. Neither model
 * watches its items, so both are told to look again on the blocked model's
 * ::rows-updated; the sorter is a GnLiveSorter, which compares the counts as
 * they are now (GTK 4.8's sort model would keep the counts it first saw).
 *
 * Threading: main thread only.
 */

#include <glib/gi18n.h>

#include "gn-chart.h"
#include "gn-live-sorter.h"
#include "gn-overview-page.h"
#include "gn-top-apps.h"

#define N_TOP 5

struct _GnOverviewPage
{
  GtkWidget         parent_instance;

  GnTrafficStats   *stats;       /* (owned) (nullable) */
  GnBlockedModel   *blocked;     /* (owned) (nullable) */
  GnLiveSorter     *top_sorter;  /* (owned) */
  GtkFilter        *top_filter;  /* (owned) */
  GtkFilterListModel *top_filtered; /* (owned) */
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
  GnTopApps        *top_apps;
  GtkListBox       *lists_list;
  GtkLabel         *rules_label;

  GnProtection     *protection;  /* (owned) (nullable) */
  gulong            rules_id;
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

static gboolean
still_blocked (gpointer item,
               gpointer user_data)
{
  return !gn_blocked_row_get_allowed (item);
}

static void
rows_updated_cb (GnOverviewPage *self)
{
  gtk_filter_changed (self->top_filter, GTK_FILTER_CHANGE_DIFFERENT);
  gn_live_sorter_refresh (self->top_sorter);
}

static void
gn_overview_page_dispose (GObject *object)
{
  GnOverviewPage *self = (GnOverviewPage *) object;

  gn_overview_page_set_stats (self, NULL);
  gn_overview_page_set_blocked (self, NULL);
  gn_overview_page_set_protection (self, NULL);
  gtk_widget_dispose_template (GTK_WIDGET (self), GN_TYPE_OVERVIEW_PAGE);
  {
    GtkWidget *child;

    /* The template's unnamed top-level children. */
    while ((child = gtk_widget_get_first_child (GTK_WIDGET (self))) != NULL)
      gtk_widget_unparent (child);
  }
  g_clear_object (&self->top);
  g_clear_object (&self->top_sorter);
  g_clear_object (&self->top_filter);
  g_clear_object (&self->top_filtered);

  G_OBJECT_CLASS (gn_overview_page_parent_class)->dispose (object);
}

static void
gn_overview_page_class_init (GnOverviewPageClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = gn_overview_page_dispose;

  g_type_ensure (GN_TYPE_CHART);
  g_type_ensure (GN_TYPE_TOP_APPS);
  gtk_widget_class_set_template_from_resource (widget_class,
                                               "/io/github/guardnest/GuardNest/ui/gn-overview-page.ui");
  gtk_widget_class_bind_template_child (widget_class, GnOverviewPage, open_value);
  gtk_widget_class_bind_template_child (widget_class, GnOverviewPage, requests_value);
  gtk_widget_class_bind_template_child (widget_class, GnOverviewPage, blocked_value);
  gtk_widget_class_bind_template_child (widget_class, GnOverviewPage, sent_value);
  gtk_widget_class_bind_template_child (widget_class, GnOverviewPage, received_value);
  gtk_widget_class_bind_template_child (widget_class, GnOverviewPage, chart);
  gtk_widget_class_bind_template_child (widget_class, GnOverviewPage, top_list);
  gtk_widget_class_bind_template_child (widget_class, GnOverviewPage, top_apps);
  gtk_widget_class_bind_template_child (widget_class, GnOverviewPage, lists_list);
  gtk_widget_class_bind_template_child (widget_class, GnOverviewPage, rules_label);

  gtk_widget_class_set_layout_manager_type (widget_class, GTK_TYPE_BIN_LAYOUT);
  gtk_widget_class_set_css_name (widget_class, "overviewpage");
}

static void
gn_overview_page_init (GnOverviewPage *self)
{
  g_autoptr(GtkSorter) by_count = NULL;
  GtkSortListModel *sorted;

  gtk_widget_init_template (GTK_WIDGET (self));

  by_count = GTK_SORTER (gtk_numeric_sorter_new (
    gtk_property_expression_new (GN_TYPE_BLOCKED_ROW, NULL, "count")));
  gtk_numeric_sorter_set_sort_order (GTK_NUMERIC_SORTER (by_count), GTK_SORT_DESCENDING);
  self->top_sorter = gn_live_sorter_new (by_count);
  self->top_filter = GTK_FILTER (gtk_custom_filter_new (still_blocked, NULL, NULL));
  self->top_filtered = gtk_filter_list_model_new (NULL, g_object_ref (self->top_filter));
  sorted = gtk_sort_list_model_new (g_object_ref (G_LIST_MODEL (self->top_filtered)),
                                    g_object_ref (GTK_SORTER (self->top_sorter)));
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

/* The chart's bars over longer ranges, and across restarts. */
void
gn_overview_page_set_history (GnOverviewPage *self,
                              GnHistoryStore *history)
{
  g_return_if_fail (GN_IS_OVERVIEW_PAGE (self));

  if (self->chart != NULL)
    gn_chart_set_history (self->chart, history);
}

void
gn_overview_page_set_blocked (GnOverviewPage *self,
                              GnBlockedModel *blocked)
{
  g_return_if_fail (GN_IS_OVERVIEW_PAGE (self));

  if (self->blocked != NULL)
    g_clear_signal_handler (&self->hits_id, self->blocked);
  g_set_object (&self->blocked, blocked);
  if (self->top_filtered == NULL)
    return;

  gtk_filter_list_model_set_model (self->top_filtered,
                                   blocked ? gn_blocked_model_get_rows (blocked) : NULL);
  if (blocked != NULL)
    self->hits_id = g_signal_connect_swapped (blocked, "rows-updated",
                                              G_CALLBACK (rows_updated_cb), self);
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

/* The "Top apps" card (gn-top-apps.c). */
GnTopApps *
gn_overview_page_get_top_apps (GnOverviewPage *self)
{
  g_return_val_if_fail (GN_IS_OVERVIEW_PAGE (self), NULL);
  return self->top_apps;
}

GListModel *
gn_overview_page_get_top (GnOverviewPage *self)
{
  g_return_val_if_fail (GN_IS_OVERVIEW_PAGE (self), NULL);
  return G_LIST_MODEL (self->top);
}

/* The rules in force, as GnProtection knows them from the session. */
static void
update_rules (GnOverviewPage *self)
{
  g_autofree char *text = NULL;
  guint64 n;

  if (self->protection == NULL)
    return;
  n = gn_protection_get_n_rules (self->protection);
  if (gn_protection_get_rules_state (self->protection) == GN_RULES_IN_FORCE && n > 0)
    {
      text = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "%'" G_GUINT64_FORMAT " blocking rule in force",
                                           "%'" G_GUINT64_FORMAT " blocking rules in force", n), n);
      gtk_widget_remove_css_class (GTK_WIDGET (self->rules_label), "warning");
      gtk_widget_add_css_class (GTK_WIDGET (self->rules_label), "dim-label");
    }
  else
    {
      text = g_strdup (_("No rule in force: nothing is blocked"));
      gtk_widget_remove_css_class (GTK_WIDGET (self->rules_label), "dim-label");
      gtk_widget_add_css_class (GTK_WIDGET (self->rules_label), "warning");
    }
  gtk_label_set_text (self->rules_label, text);
}

void
gn_overview_page_set_protection (GnOverviewPage *self,
                                 GnProtection   *protection)
{
  g_return_if_fail (GN_IS_OVERVIEW_PAGE (self));
  g_return_if_fail (protection == NULL || GN_IS_PROTECTION (protection));

  if (self->protection != NULL)
    g_clear_signal_handler (&self->rules_id, self->protection);
  g_set_object (&self->protection, protection);
  if (protection != NULL)
    {
      self->rules_id = g_signal_connect_swapped (protection, "notify",
                                                 G_CALLBACK (update_rules), self);
      update_rules (self);
    }
}

const char *
gn_overview_page_get_rules_text (GnOverviewPage *self)
{
  g_return_val_if_fail (GN_IS_OVERVIEW_PAGE (self), NULL);
  return gtk_label_get_text (self->rules_label);
}
