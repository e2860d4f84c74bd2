/* gn-blocklists-page.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The Blocklists page: every subscribed source with its switch and honest
 * status, adding and removing a source by URL, Refresh Now with per-source
 * progress and a one-line result, and the user's own allow and block lists.
 *
 * Threading: main thread only.
 */

#include <glib/gi18n.h>

#include "gn-blocklists-page.h"

struct _GnBlocklistsPage
{
  GtkWidget   parent_instance;

  /* template */
  GtkLabel   *result_label;
  GtkListBox *sources_list;
  GtkEntry   *url_entry;
  GtkButton  *add_source_button;
  GtkLabel   *add_error_label;
  GtkEntry   *allow_entry;
  GtkButton  *allow_add_button;
  GtkListBox *allow_list;
  GtkEntry   *block_entry;
  GtkButton  *block_add_button;
  GtkListBox *block_list;
};

G_DEFINE_FINAL_TYPE (GnBlocklistsPage, gn_blocklists_page, GTK_TYPE_WIDGET)

static void
gn_blocklists_page_dispose (GObject *object)
{
  gtk_widget_dispose_template (GTK_WIDGET (object), GN_TYPE_BLOCKLISTS_PAGE);

  G_OBJECT_CLASS (gn_blocklists_page_parent_class)->dispose (object);
}

static void
gn_blocklists_page_class_init (GnBlocklistsPageClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = gn_blocklists_page_dispose;

  gtk_widget_class_set_template_from_resource (widget_class,
                                               "/io/github/guardnest/GuardNest/ui/gn-blocklists-page.ui");
  gtk_widget_class_bind_template_child (widget_class, GnBlocklistsPage, result_label);
  gtk_widget_class_bind_template_child (widget_class, GnBlocklistsPage, sources_list);
  gtk_widget_class_bind_template_child (widget_class, GnBlocklistsPage, url_entry);
  gtk_widget_class_bind_template_child (widget_class, GnBlocklistsPage, add_source_button);
  gtk_widget_class_bind_template_child (widget_class, GnBlocklistsPage, add_error_label);
  gtk_widget_class_bind_template_child (widget_class, GnBlocklistsPage, allow_entry);
  gtk_widget_class_bind_template_child (widget_class, GnBlocklistsPage, allow_add_button);
  gtk_widget_class_bind_template_child (widget_class, GnBlocklistsPage, allow_list);
  gtk_widget_class_bind_template_child (widget_class, GnBlocklistsPage, block_entry);
  gtk_widget_class_bind_template_child (widget_class, GnBlocklistsPage, block_add_button);
  gtk_widget_class_bind_template_child (widget_class, GnBlocklistsPage, block_list);

  gtk_widget_class_set_layout_manager_type (widget_class, GTK_TYPE_BIN_LAYOUT);
  gtk_widget_class_set_css_name (widget_class, "blocklistspage");
}

static void
gn_blocklists_page_init (GnBlocklistsPage *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
}

void
gn_blocklists_page_set_result (GnBlocklistsPage *self,
                               const char       *text,
                               gboolean          is_error)
{
  g_return_if_fail (GN_IS_BLOCKLISTS_PAGE (self));

  gtk_label_set_text (self->result_label, text ? text : "");
  if (is_error)
    gtk_widget_add_css_class (GTK_WIDGET (self->result_label), "error-text");
  else
    gtk_widget_remove_css_class (GTK_WIDGET (self->result_label), "error-text");
}
