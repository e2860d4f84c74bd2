/* gn-blocked-page.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The Blocked page: one row per blocked domain (GnBlockedModel), in a
 * GtkColumnView declared in the .ui with the same selection → sort →
 * filter chain as the Connections page. Allow, Copy and Clear History are
 * window actions (win.allow-domain, win.copy-domain, win.clear-blocked) that
 * act on this page's selection; their sensitivity follows it. The App
 * column is the program blocked most on the domain; the search matches the
 * domain or any program blocked on it (GnBlockedRow:search-text), and is
 * run again when rows change in place (a program found after the hit).
 *
 * Threading: main thread only.
 */

#include <glib/gi18n.h>

#include "gn-blocked-page.h"
#include "gn-column-menu.h"
#include "gn-live-sorter.h"

struct _GnBlockedPage
{
  GtkWidget           parent_instance;

  GnBlockedModel     *model;       /* (owned) (nullable) */
  gulong              rows_changed_id;
  gulong              rows_updated_id;

  /* template */
  GtkSearchEntry     *search_entry;
  GtkLabel           *count_label;
  GtkColumnView      *column_view;
  GtkSingleSelection *selection;
  GtkFilterListModel *filter_model;
  GtkFilter          *filter;
  GnLiveSorter       *live_sorter;
  GtkWidget          *placeholder;
  GtkColumnViewColumn *col_count;
};

G_DEFINE_FINAL_TYPE (GnBlockedPage, gn_blocked_page, GTK_TYPE_WIDGET)

static void
update_count (GnBlockedPage *self)
{
  guint total = 0, shown;
  g_autofree char *text = NULL;

  if (self->model != NULL)
    total = g_list_model_get_n_items (gn_blocked_model_get_rows (self->model));
  shown = g_list_model_get_n_items (G_LIST_MODEL (self->filter_model));

  /* Translators: blocked domains, "3 shown / 10 domains" */
  text = g_strdup_printf (_("%u shown / %u domains"), shown, total);
  gtk_label_set_text (self->count_label, text);
  gtk_widget_set_visible (self->placeholder, total == 0);
}

static void
stop_search_cb (GnBlockedPage *self)
{
  gtk_editable_set_text (GTK_EDITABLE (self->search_entry), "");
  gtk_widget_grab_focus (GTK_WIDGET (self->column_view));
}

/* Rows changed in place: sort again, and filter again while searching (a
 * row may now name the program searched for). */
static void
rows_updated_cb (GnBlockedPage *self)
{
  if (*gtk_editable_get_text (GTK_EDITABLE (self->search_entry)) != '\0')
    gtk_filter_changed (self->filter, GTK_FILTER_CHANGE_DIFFERENT);
  gn_live_sorter_refresh (self->live_sorter);
}

static void
gn_blocked_page_dispose (GObject *object)
{
  GnBlockedPage *self = (GnBlockedPage *) object;

  if (self->model != NULL)
    {
      g_clear_signal_handler (&self->rows_changed_id, gn_blocked_model_get_rows (self->model));
      g_clear_signal_handler (&self->rows_updated_id, self->model);
    }
  gtk_widget_dispose_template (GTK_WIDGET (self), GN_TYPE_BLOCKED_PAGE);
  {
    GtkWidget *child;

    /* The template's unnamed top-level children. */
    while ((child = gtk_widget_get_first_child (GTK_WIDGET (self))) != NULL)
      gtk_widget_unparent (child);
  }
  g_clear_object (&self->model);

  G_OBJECT_CLASS (gn_blocked_page_parent_class)->dispose (object);
}

static void
gn_blocked_page_class_init (GnBlockedPageClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = gn_blocked_page_dispose;

  g_type_ensure (GN_TYPE_BLOCKED_ROW);
  g_type_ensure (GN_TYPE_LIVE_SORTER);
  gtk_widget_class_set_template_from_resource (widget_class,
                                               "/io/github/guardnest/GuardNest/ui/gn-blocked-page.ui");
  gtk_widget_class_bind_template_child (widget_class, GnBlockedPage, search_entry);
  gtk_widget_class_bind_template_child (widget_class, GnBlockedPage, count_label);
  gtk_widget_class_bind_template_child (widget_class, GnBlockedPage, column_view);
  gtk_widget_class_bind_template_child (widget_class, GnBlockedPage, selection);
  gtk_widget_class_bind_template_child (widget_class, GnBlockedPage, filter_model);
  gtk_widget_class_bind_template_child (widget_class, GnBlockedPage, filter);
  gtk_widget_class_bind_template_child (widget_class, GnBlockedPage, live_sorter);
  gtk_widget_class_bind_template_child (widget_class, GnBlockedPage, placeholder);
  gtk_widget_class_bind_template_child (widget_class, GnBlockedPage, col_count);

  gtk_widget_class_set_layout_manager_type (widget_class, GTK_TYPE_BOX_LAYOUT);
  gtk_widget_class_set_css_name (widget_class, "blockedpage");
}

static void
gn_blocked_page_init (GnBlockedPage *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
  gtk_orientable_set_orientation (GTK_ORIENTABLE (gtk_widget_get_layout_manager (GTK_WIDGET (self))),
                                  GTK_ORIENTATION_VERTICAL);

  gn_column_menu_install (self->column_view, GTK_WIDGET (self), "blockedcolumns");
  g_signal_connect_swapped (self->filter_model, "items-changed", G_CALLBACK (update_count), self);
  g_signal_connect_swapped (self->search_entry, "stop-search", G_CALLBACK (stop_search_cb), self);
  gtk_search_entry_set_key_capture_widget (self->search_entry, GTK_WIDGET (self->column_view));
  gtk_column_view_sort_by_column (self->column_view, self->col_count, GTK_SORT_DESCENDING);
  update_count (self);
}

void
gn_blocked_page_set_model (GnBlockedPage  *self,
                           GnBlockedModel *model)
{
  g_return_if_fail (GN_IS_BLOCKED_PAGE (self));
  g_return_if_fail (model == NULL || GN_IS_BLOCKED_MODEL (model));

  if (self->model != NULL)
    {
      g_clear_signal_handler (&self->rows_changed_id, gn_blocked_model_get_rows (self->model));
      g_clear_signal_handler (&self->rows_updated_id, self->model);
    }
  g_set_object (&self->model, model);
  if (model != NULL)
    self->rows_updated_id = g_signal_connect_swapped (model, "rows-updated",
                                                      G_CALLBACK (rows_updated_cb), self);

  gtk_filter_list_model_set_model (self->filter_model,
                                   model ? gn_blocked_model_get_rows (model) : NULL);
  if (model != NULL)
    self->rows_changed_id = g_signal_connect_swapped (gn_blocked_model_get_rows (model),
                                                      "items-changed",
                                                      G_CALLBACK (update_count), self);
  update_count (self);
}

GnBlockedRow *
gn_blocked_page_get_selected (GnBlockedPage *self)
{
  g_return_val_if_fail (GN_IS_BLOCKED_PAGE (self), NULL);
  return gtk_single_selection_get_selected_item (self->selection);
}

GListModel *
gn_blocked_page_get_shown (GnBlockedPage *self)
{
  g_return_val_if_fail (GN_IS_BLOCKED_PAGE (self), NULL);
  return G_LIST_MODEL (self->selection);
}

void
gn_blocked_page_focus_search (GnBlockedPage *self)
{
  g_return_if_fail (GN_IS_BLOCKED_PAGE (self));
  gtk_widget_grab_focus (GTK_WIDGET (self->search_entry));
}
