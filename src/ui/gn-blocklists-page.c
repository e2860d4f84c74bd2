/* gn-blocklists-page.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The Blocklists page: every subscribed source with its switch and honest
 * status, adding and removing a source by URL, Refresh Now with per-source
 * progress and a one-line result, and the user's own allow and block lists.
 *
 * The page talks to the GnBlocklistManager directly: switches bind to the
 * sources' "enabled" property, rows follow the sources' notifications, the
 * user lists are rebuilt from the manager after each edit. Refresh Now is
 * the app.refresh-lists action; its summary comes back through
 * gn_blocklists_page_set_result().
 *
 * Threading: main thread only.
 */

#include <glib/gi18n.h>

#include "gn-blocklists-page.h"
#include "gn-error.h"
#include "gn-source-row.h"

struct _GnBlocklistsPage
{
  GtkWidget           parent_instance;

  GnBlocklistManager *manager;      /* (owned) (nullable) */
  GCancellable       *cancellable;  /* (owned) */

  /* template */
  GtkLabel           *result_label;
  GtkListBox         *sources_list;
  GtkEntry           *url_entry;
  GtkButton          *add_source_button;
  GtkLabel           *add_error_label;
  GtkEntry           *allow_entry;
  GtkButton          *allow_add_button;
  GtkListBox         *allow_list;
  GtkEntry           *block_entry;
  GtkButton          *block_add_button;
  GtkListBox         *block_list;
};

G_DEFINE_FINAL_TYPE (GnBlocklistsPage, gn_blocklists_page, GTK_TYPE_WIDGET)

static void
show_error (GnBlocklistsPage *self,
            const char       *text)
{
  gtk_label_set_text (self->add_error_label, text ? text : "");
  gtk_widget_set_visible (GTK_WIDGET (self->add_error_label), text != NULL);
}

static void
remove_source_cb (GnSourceRow      *row,
                  GnBlocklistsPage *self)
{
  if (self->manager != NULL)
    gn_blocklist_manager_remove_source (self->manager, gn_source_row_get_source (row));
}

static void
rename_source_cb (GnSourceRow      *row,
                  const char       *name,
                  GnBlocklistsPage *self)
{
  g_autoptr(GError) error = NULL;

  if (self->manager == NULL)
    return;
  if (!gn_blocklist_manager_rename_source (self->manager, gn_source_row_get_source (row), name, &error))
    gn_blocklists_page_set_result (self, error->message, TRUE);
}

static GtkWidget *
create_source_row (gpointer item,
                   gpointer user_data)
{
  GtkWidget *row = gn_source_row_new (item, FALSE);

  g_signal_connect (row, "remove-requested", G_CALLBACK (remove_source_cb), user_data);
  g_signal_connect (row, "rename-requested", G_CALLBACK (rename_source_cb), user_data);
  return row;
}

static void
remove_rule_cb (GtkButton        *button,
                GnBlocklistsPage *self);

static void
rebuild_rules (GnBlocklistsPage *self,
               GtkListBox       *box,
               GnMatchKind       kind)
{
  const char * const *rules;
  GtkListBoxRow *row;

  while ((row = gtk_list_box_get_row_at_index (box, 0)) != NULL)
    gtk_list_box_remove (box, GTK_WIDGET (row));

  if (self->manager == NULL)
    return;

  rules = gn_blocklist_manager_get_user_rules (self->manager, kind);
  for (guint i = 0; rules != NULL && rules[i] != NULL; i++)
    {
      GtkWidget *line = gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 6);
      GtkWidget *label = gtk_label_new (rules[i]);
      GtkWidget *remove = gtk_button_new_from_icon_name ("list-remove-symbolic");
      g_autofree char *a11y = g_strdup_printf (_("Remove %s"), rules[i]);

      gtk_label_set_xalign (GTK_LABEL (label), 0);
      gtk_label_set_ellipsize (GTK_LABEL (label), PANGO_ELLIPSIZE_MIDDLE);
      gtk_label_set_selectable (GTK_LABEL (label), TRUE);
      gtk_widget_set_focusable (label, FALSE);
      gtk_widget_set_hexpand (label, TRUE);
      gtk_widget_set_margin_start (line, 6);
      gtk_widget_add_css_class (remove, "flat");
      gtk_widget_set_tooltip_text (remove, a11y);
      gtk_accessible_update_property (GTK_ACCESSIBLE (remove), GTK_ACCESSIBLE_PROPERTY_LABEL, a11y, -1);
      g_object_set_data_full (G_OBJECT (remove), "gn-rule", g_strdup (rules[i]), g_free);
      g_object_set_data (G_OBJECT (remove), "gn-kind", GINT_TO_POINTER (kind));
      g_signal_connect (remove, "clicked", G_CALLBACK (remove_rule_cb), self);
      gtk_box_append (GTK_BOX (line), label);
      gtk_box_append (GTK_BOX (line), remove);
      gtk_list_box_append (box, line);
    }
}

static void
rebuild_all_rules (GnBlocklistsPage *self)
{
  rebuild_rules (self, self->allow_list, GN_MATCH_ALLOW);
  rebuild_rules (self, self->block_list, GN_MATCH_BLOCK);
}

static void
remove_rule_cb (GtkButton        *button,
                GnBlocklistsPage *self)
{
  const char *rule = g_object_get_data (G_OBJECT (button), "gn-rule");
  GnMatchKind kind = GPOINTER_TO_INT (g_object_get_data (G_OBJECT (button), "gn-kind"));
  g_autofree char *copy = g_strdup (rule);

  if (self->manager == NULL)
    return;
  gn_blocklist_manager_remove_user_rule (self->manager, kind, copy);
  rebuild_all_rules (self);
}

static void
add_rule (GnBlocklistsPage *self,
          GtkEntry         *entry,
          GnMatchKind       kind)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *domain = g_strstrip (g_strdup (gtk_editable_get_text (GTK_EDITABLE (entry))));

  if (self->manager == NULL || domain[0] == '\0')
    return;
  if (!gn_blocklist_manager_add_user_rule (self->manager, kind, domain, &error))
    {
      show_error (self, error->message);
      return;
    }
  show_error (self, NULL);
  gtk_editable_set_text (GTK_EDITABLE (entry), "");
  rebuild_all_rules (self);
}

static void
allow_add_cb (GnBlocklistsPage *self)
{
  add_rule (self, self->allow_entry, GN_MATCH_ALLOW);
}

static void
block_add_cb (GnBlocklistsPage *self)
{
  add_rule (self, self->block_entry, GN_MATCH_BLOCK);
}

static void
refresh_one_cb (GObject      *source,
                GAsyncResult *result,
                gpointer      user_data)
{
  g_autoptr(GnBlocklistsPage) self = user_data;
  g_autoptr(GError) error = NULL;
  g_autofree char *summary = gn_blocklist_manager_refresh_finish (GN_BLOCKLIST_MANAGER (source),
                                                                  result, &error);

  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;
  gn_blocklists_page_set_result (self, summary ? summary : error->message, summary == NULL);
}

gboolean
gn_blocklists_page_add_source (GnBlocklistsPage  *self,
                               const char        *url,
                               GError           **error)
{
  g_autofree char *stripped = NULL;
  GnBlocklistSource *source;

  g_return_val_if_fail (GN_IS_BLOCKLISTS_PAGE (self), FALSE);
  g_return_val_if_fail (url != NULL, FALSE);

  if (self->manager == NULL)
    {
      g_set_error_literal (error, GN_ERROR, GN_ERROR_FAILED, _("The blocklists are not loaded"));
      return FALSE;
    }
  /* Named after the host until the list's Title arrives; a URL already
   * subscribed is refused, naming the list. */
  stripped = g_strstrip (g_strdup (url));
  source = gn_blocklist_manager_subscribe (self->manager, stripped, GN_BLOCKLIST_FORMAT_AUTO, error);
  if (source == NULL)
    return FALSE;
  gn_blocklist_manager_refresh_async (self->manager, source, self->cancellable,
                                      refresh_one_cb, g_object_ref (self));
  return TRUE;
}

static void
add_source_cb (GnBlocklistsPage *self)
{
  g_autoptr(GError) error = NULL;

  if (!gn_blocklists_page_add_source (self, gtk_editable_get_text (GTK_EDITABLE (self->url_entry)),
                                      &error))
    {
      show_error (self, error->message);
      return;
    }
  show_error (self, NULL);
  gtk_editable_set_text (GTK_EDITABLE (self->url_entry), "");
}

static void
gn_blocklists_page_dispose (GObject *object)
{
  GnBlocklistsPage *self = (GnBlocklistsPage *) object;

  g_cancellable_cancel (self->cancellable);
  /* A rebuild may still finish after the window is gone. */
  if (self->manager != NULL)
    g_signal_handlers_disconnect_by_data (self->manager, self);
  gtk_widget_dispose_template (GTK_WIDGET (object), GN_TYPE_BLOCKLISTS_PAGE);
  {
    GtkWidget *child;

    /* The template's unnamed top-level children. */
    while ((child = gtk_widget_get_first_child (GTK_WIDGET (object))) != NULL)
      gtk_widget_unparent (child);
  }
  g_clear_object (&self->manager);
  g_clear_object (&self->cancellable);

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
  self->cancellable = g_cancellable_new ();

  g_signal_connect_swapped (self->add_source_button, "clicked", G_CALLBACK (add_source_cb), self);
  g_signal_connect_swapped (self->url_entry, "activate", G_CALLBACK (add_source_cb), self);
  g_signal_connect_swapped (self->allow_add_button, "clicked", G_CALLBACK (allow_add_cb), self);
  g_signal_connect_swapped (self->allow_entry, "activate", G_CALLBACK (allow_add_cb), self);
  g_signal_connect_swapped (self->block_add_button, "clicked", G_CALLBACK (block_add_cb), self);
  g_signal_connect_swapped (self->block_entry, "activate", G_CALLBACK (block_add_cb), self);
}

void
gn_blocklists_page_set_manager (GnBlocklistsPage   *self,
                                GnBlocklistManager *manager)
{
  g_return_if_fail (GN_IS_BLOCKLISTS_PAGE (self));

  if (self->manager != NULL)
    g_signal_handlers_disconnect_by_data (self->manager, self);
  g_set_object (&self->manager, manager);
  gtk_list_box_bind_model (self->sources_list,
                           manager ? gn_blocklist_manager_get_sources (manager) : NULL,
                           create_source_row, self, NULL);
  /* Allow from the Blocked page edits the same lists. */
  if (manager != NULL)
    g_signal_connect_swapped (manager, "blocklist-changed", G_CALLBACK (rebuild_all_rules), self);
  rebuild_all_rules (self);
}

void
gn_blocklists_page_set_result (GnBlocklistsPage *self,
                               const char       *text,
                               gboolean          is_error)
{
  g_return_if_fail (GN_IS_BLOCKLISTS_PAGE (self));

  gtk_label_set_text (self->result_label, text ? text : "");
  /* The line ellipsizes; the whole summary is in the tooltip. */
  gtk_widget_set_tooltip_text (GTK_WIDGET (self->result_label), text && *text ? text : NULL);
  if (is_error)
    gtk_widget_add_css_class (GTK_WIDGET (self->result_label), "error");
  else
    gtk_widget_remove_css_class (GTK_WIDGET (self->result_label), "error");
}
