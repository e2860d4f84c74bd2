/* gn-connections-page.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The Connections page: a GtkColumnView declared in the .ui over
 * GtkSingleSelection → GtkSortListModel (a GnLiveSorter over the view's
 * sorter, re-sorted on the model's ::rows-updated, so a connection that
 * closes while sorted by State moves at once) →
 * GtkFilterListModel (a GtkStringFilter on the host, fed by the search
 * entry) → the GnConnectionModel's GListStore of rows that the registry's
 * batches update in place. The page only shows; the commands (close,
 * close all, pause) are window actions that ask the page for its selection.
 *
 * While the page is not mapped (another page of the window's stack shows)
 * the column view has no model: the selection, sort and filter models keep
 * following the rows (so the selection and get_shown() stay what they
 * were), but no row widgets are created, bound and dropped for a table
 * nobody sees, which at 1,000 new connections a second was most of the
 * main loop's work on the other pages. Mapping gives the model back and
 * scrolls to the selected row.
 *
 * Threading: main thread only.
 */

#include <glib/gi18n.h>

#include "gn-column-menu.h"
#include "gn-live-sorter.h"
#include "gn-connections-page.h"

struct _GnConnectionsPage
{
  GtkWidget           parent_instance;

  GnConnectionModel  *model;          /* (owned) (nullable) */
  gulong              rows_changed_id;
  gulong              rows_updated_id;

  /* template */
  GtkSearchEntry     *search_entry;
  GtkLabel           *count_label;
  GtkColumnView      *column_view;
  GtkSingleSelection *selection;
  GtkFilterListModel *filter_model;
  GnLiveSorter       *live_sorter;
  GtkStringFilter    *filter;
  GtkWidget          *placeholder;
  GtkColumnViewColumn *col_started;
};

G_DEFINE_FINAL_TYPE (GnConnectionsPage, gn_connections_page, GTK_TYPE_WIDGET)

static void
update_count (GnConnectionsPage *self)
{
  guint total = 0, shown;
  g_autofree char *text = NULL;

  if (self->model != NULL)
    total = g_list_model_get_n_items (gn_connection_model_get_rows (self->model));
  shown = g_list_model_get_n_items (G_LIST_MODEL (self->filter_model));

  /* Translators: "12 shown / 40 total" connections */
  text = g_strdup_printf (_("%u shown / %u total"), shown, total);
  gtk_label_set_text (self->count_label, text);
  gtk_widget_set_visible (self->placeholder, total == 0);
}

static void
gn_connections_page_map (GtkWidget *widget)
{
  GnConnectionsPage *self = GN_CONNECTIONS_PAGE (widget);
  guint selected;

  if (gtk_column_view_get_model (self->column_view) == NULL)
    {
      gtk_column_view_set_model (self->column_view, GTK_SELECTION_MODEL (self->selection));
      selected = gtk_single_selection_get_selected (self->selection);
      if (selected != GTK_INVALID_LIST_POSITION)
        {
          /* The action is the column view's inner list view's (GTK 4.8
           * has no gtk_column_view_scroll_to()). */
          for (GtkWidget *child = gtk_widget_get_first_child (GTK_WIDGET (self->column_view));
               child != NULL; child = gtk_widget_get_next_sibling (child))
            if (GTK_IS_LIST_VIEW (child))
              gtk_widget_activate_action (child, "list.scroll-to-item", "u", selected);
        }
    }
  GTK_WIDGET_CLASS (gn_connections_page_parent_class)->map (widget);
}

static void
gn_connections_page_unmap (GtkWidget *widget)
{
  GnConnectionsPage *self = GN_CONNECTIONS_PAGE (widget);

  GTK_WIDGET_CLASS (gn_connections_page_parent_class)->unmap (widget);
  gtk_column_view_set_model (self->column_view, NULL);
}

static void
stop_search_cb (GnConnectionsPage *self)
{
  gtk_editable_set_text (GTK_EDITABLE (self->search_entry), "");
  gtk_widget_grab_focus (GTK_WIDGET (self->column_view));
}

static void
gn_connections_page_dispose (GObject *object)
{
  GnConnectionsPage *self = (GnConnectionsPage *) object;

  if (self->model != NULL)
    {
      g_clear_signal_handler (&self->rows_changed_id, gn_connection_model_get_rows (self->model));
      g_clear_signal_handler (&self->rows_updated_id, self->model);
    }
  gtk_widget_dispose_template (GTK_WIDGET (self), GN_TYPE_CONNECTIONS_PAGE);
  {
    GtkWidget *child;

    /* The template's unnamed top-level children. */
    while ((child = gtk_widget_get_first_child (GTK_WIDGET (self))) != NULL)
      gtk_widget_unparent (child);
  }
  g_clear_object (&self->model);

  G_OBJECT_CLASS (gn_connections_page_parent_class)->dispose (object);
}

static void
gn_connections_page_class_init (GnConnectionsPageClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = gn_connections_page_dispose;
  widget_class->map = gn_connections_page_map;
  widget_class->unmap = gn_connections_page_unmap;

  g_type_ensure (GN_TYPE_CONNECTION_ROW);
  g_type_ensure (GN_TYPE_LIVE_SORTER);
  gtk_widget_class_set_template_from_resource (widget_class,
                                               "/io/github/guardnest/GuardNest/ui/gn-connections-page.ui");
  gtk_widget_class_bind_template_child (widget_class, GnConnectionsPage, search_entry);
  gtk_widget_class_bind_template_child (widget_class, GnConnectionsPage, count_label);
  gtk_widget_class_bind_template_child (widget_class, GnConnectionsPage, column_view);
  gtk_widget_class_bind_template_child (widget_class, GnConnectionsPage, selection);
  gtk_widget_class_bind_template_child (widget_class, GnConnectionsPage, filter_model);
  gtk_widget_class_bind_template_child (widget_class, GnConnectionsPage, live_sorter);
  gtk_widget_class_bind_template_child (widget_class, GnConnectionsPage, filter);
  gtk_widget_class_bind_template_child (widget_class, GnConnectionsPage, placeholder);
  gtk_widget_class_bind_template_child (widget_class, GnConnectionsPage, col_started);

  gtk_widget_class_set_layout_manager_type (widget_class, GTK_TYPE_BOX_LAYOUT);
  gtk_widget_class_set_css_name (widget_class, "connectionspage");
}

static void
gn_connections_page_init (GnConnectionsPage *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
  gtk_orientable_set_orientation (GTK_ORIENTABLE (gtk_widget_get_layout_manager (GTK_WIDGET (self))),
                                  GTK_ORIENTATION_VERTICAL);

  gn_column_menu_install (self->column_view, GTK_WIDGET (self), "conncolumns");
  g_signal_connect_swapped (self->filter_model, "items-changed", G_CALLBACK (update_count), self);
  g_signal_connect_swapped (self->search_entry, "stop-search", G_CALLBACK (stop_search_cb), self);
  gtk_search_entry_set_key_capture_widget (self->search_entry, GTK_WIDGET (self->column_view));

  /* Newest first until the user picks another order. */
  gtk_column_view_sort_by_column (self->column_view, self->col_started, GTK_SORT_DESCENDING);
  update_count (self);
  /* Not mapped yet: the model comes with the first map. */
  gtk_column_view_set_model (self->column_view, NULL);
}

void
gn_connections_page_set_model (GnConnectionsPage *self,
                               GnConnectionModel *model)
{
  g_return_if_fail (GN_IS_CONNECTIONS_PAGE (self));
  g_return_if_fail (model == NULL || GN_IS_CONNECTION_MODEL (model));

  if (self->model != NULL)
    {
      g_clear_signal_handler (&self->rows_changed_id, gn_connection_model_get_rows (self->model));
      g_clear_signal_handler (&self->rows_updated_id, self->model);
    }
  g_set_object (&self->model, model);
  if (model != NULL)
    self->rows_updated_id = g_signal_connect_swapped (model, "rows-updated",
                                                      G_CALLBACK (gn_live_sorter_refresh),
                                                      self->live_sorter);

  gtk_filter_list_model_set_model (self->filter_model,
                                   model ? gn_connection_model_get_rows (model) : NULL);
  if (model != NULL)
    self->rows_changed_id = g_signal_connect_swapped (gn_connection_model_get_rows (model),
                                                      "items-changed",
                                                      G_CALLBACK (update_count), self);
  update_count (self);
}

void
gn_connections_page_bind_settings (GnConnectionsPage *self,
                                   GSettings         *settings)
{
  g_return_if_fail (GN_IS_CONNECTIONS_PAGE (self));
  static const char * const ids[] = {
    "app", "host", "port", "kind", "state", "result", "client", "started", "duration", "up",
    "down", "rate", NULL
  };

  gn_column_menu_bind (self->column_view, settings, "hidden-columns", ids);
}

GnConnectionRow *
gn_connections_page_get_selected (GnConnectionsPage *self)
{
  g_return_val_if_fail (GN_IS_CONNECTIONS_PAGE (self), NULL);
  return gtk_single_selection_get_selected_item (self->selection);
}

/* What the view shows, filtered and sorted. */
GListModel *
gn_connections_page_get_shown (GnConnectionsPage *self)
{
  g_return_val_if_fail (GN_IS_CONNECTIONS_PAGE (self), NULL);
  return G_LIST_MODEL (self->selection);
}

void
gn_connections_page_focus_search (GnConnectionsPage *self)
{
  g_return_if_fail (GN_IS_CONNECTIONS_PAGE (self));
  gtk_widget_grab_focus (GTK_WIDGET (self->search_entry));
}
