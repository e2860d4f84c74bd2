/* gn-source-row.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * One subscribed blocklist in a list box: its switch, name, URL, honest
 * status ("12,345 entries · updated 3 h ago · last try 5 min ago"), the
 * last error in red when there is one, and while it downloads a spinner
 * with the bytes received. It listens to the source's property
 * notifications, so it updates in place while a refresh runs. The compact
 * form (Overview) shows only the name and status.
 *
 * The name is a GtkEditableLabel in the full form: editing it emits
 * "rename-requested" with the new name. Removing emits "remove-requested".
 * The page owns the manager and does both.
 *
 * Threading: main thread only.
 */

#include <glib/gi18n.h>

#include "gn-source-row.h"

struct _GnSourceRow
{
  GtkListBoxRow      parent_instance;

  GnBlocklistSource *source;      /* (owned) */

  /* template */
  GtkSwitch         *enabled_switch;
  GtkEditableLabel  *name_label;
  GtkLabel          *url_label;
  GtkLabel          *status_label;
  GtkLabel          *error_label;
  GtkWidget         *progress_box;
  GtkSpinner        *spinner;
  GtkLabel          *progress_label;
  GtkWidget         *remove_button;
};

G_DEFINE_FINAL_TYPE (GnSourceRow, gn_source_row, GTK_TYPE_LIST_BOX_ROW)

enum {
  REMOVE_REQUESTED,
  RENAME_REQUESTED,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

static char *
format_ago (gint64 when,
            gint64 now)
{
  gint64 s = MAX (0, now - when);

  if (s < 60)
    return g_strdup (_("just now"));
  if (s < 3600)
    return g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "%d min ago", "%d min ago", s / 60), (int) (s / 60));
  if (s < 86400 * 2)
    return g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "%d hour ago", "%d hours ago", s / 3600), (int) (s / 3600));
  return g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "%d day ago", "%d days ago", s / 86400), (int) (s / 86400));
}

/* "12,345 entries · updated 3 h ago · last try 5 min ago" */
char *
gn_source_describe_status (GnBlocklistSource *source,
                           gint64             now)
{
  GString *s = g_string_new (NULL);
  gint64 success = gn_blocklist_source_get_last_success (source);
  gint64 attempt = gn_blocklist_source_get_last_attempt (source);
  guint64 entries = gn_blocklist_source_get_entries (source);

  if (!gn_blocklist_source_get_enabled (source))
    g_string_append (s, _("Off"));
  else
    g_string_append_printf (s, g_dngettext (GETTEXT_PACKAGE, "%'" G_GUINT64_FORMAT " entry",
                                            "%'" G_GUINT64_FORMAT " entries", entries), entries);

  if (success > 0)
    {
      g_autofree char *ago = format_ago (success, now);
      g_string_append_printf (s, _(" · updated %s"), ago);
    }
  else
    g_string_append (s, _(" · never updated"));

  if (attempt > 0 && attempt != success)
    {
      g_autofree char *ago = format_ago (attempt, now);
      g_string_append_printf (s, _(" · last try %s"), ago);
    }

  return g_string_free (s, FALSE);
}

static void
update (GnSourceRow *self)
{
  GnBlocklistSource *source = self->source;
  g_autofree char *status = gn_source_describe_status (source, g_get_real_time () / G_USEC_PER_SEC);
  const char *error = gn_blocklist_source_get_last_error (source);
  gboolean updating = gn_blocklist_source_get_updating (source);

  if (!gtk_editable_label_get_editing (self->name_label))
    gtk_editable_set_text (GTK_EDITABLE (self->name_label), gn_blocklist_source_get_name (source));
  gtk_label_set_text (self->url_label, gn_blocklist_source_get_url (source));
  gtk_label_set_text (self->status_label, status);
  gtk_label_set_text (self->error_label, error ? error : "");
  gtk_widget_set_visible (GTK_WIDGET (self->error_label), error != NULL);

  gtk_widget_set_visible (self->progress_box, updating);
  gtk_spinner_set_spinning (self->spinner, updating);
  if (updating)
    {
      g_autofree char *size = g_format_size (gn_blocklist_source_get_bytes_received (source));
      gtk_label_set_text (self->progress_label, size);
    }
}

static void
editing_changed_cb (GnSourceRow *self)
{
  const char *text;

  if (gtk_editable_label_get_editing (self->name_label))
    return;
  text = gtk_editable_get_text (GTK_EDITABLE (self->name_label));
  if (g_strcmp0 (text, gn_blocklist_source_get_name (self->source)) != 0)
    g_signal_emit (self, signals[RENAME_REQUESTED], 0, text);
  /* Refused or unchanged: show the name in force. */
  gtk_editable_set_text (GTK_EDITABLE (self->name_label), gn_blocklist_source_get_name (self->source));
}

static void
remove_clicked (GnSourceRow *self)
{
  g_signal_emit (self, signals[REMOVE_REQUESTED], 0);
}

static void
gn_source_row_dispose (GObject *object)
{
  GnSourceRow *self = (GnSourceRow *) object;

  if (self->source != NULL)
    g_signal_handlers_disconnect_by_data (self->source, self);
  gtk_widget_dispose_template (GTK_WIDGET (self), GN_TYPE_SOURCE_ROW);
  g_clear_object (&self->source);

  G_OBJECT_CLASS (gn_source_row_parent_class)->dispose (object);
}

static void
gn_source_row_class_init (GnSourceRowClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = gn_source_row_dispose;

  signals[REMOVE_REQUESTED] =
    g_signal_new ("remove-requested", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 0);
  /**
   * GnSourceRow::rename-requested:
   * @name: what the user typed
   */
  signals[RENAME_REQUESTED] =
    g_signal_new ("rename-requested", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 1, G_TYPE_STRING);

  gtk_widget_class_set_template_from_resource (widget_class,
                                               "/io/github/guardnest/GuardNest/ui/gn-source-row.ui");
  gtk_widget_class_bind_template_child (widget_class, GnSourceRow, enabled_switch);
  gtk_widget_class_bind_template_child (widget_class, GnSourceRow, name_label);
  gtk_widget_class_bind_template_child (widget_class, GnSourceRow, url_label);
  gtk_widget_class_bind_template_child (widget_class, GnSourceRow, status_label);
  gtk_widget_class_bind_template_child (widget_class, GnSourceRow, error_label);
  gtk_widget_class_bind_template_child (widget_class, GnSourceRow, progress_box);
  gtk_widget_class_bind_template_child (widget_class, GnSourceRow, spinner);
  gtk_widget_class_bind_template_child (widget_class, GnSourceRow, progress_label);
  gtk_widget_class_bind_template_child (widget_class, GnSourceRow, remove_button);
}

static void
gn_source_row_init (GnSourceRow *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
  g_signal_connect_swapped (self->remove_button, "clicked", G_CALLBACK (remove_clicked), self);
  g_signal_connect_swapped (self->name_label, "notify::editing", G_CALLBACK (editing_changed_cb), self);
}

GtkWidget *
gn_source_row_new (GnBlocklistSource *source,
                   gboolean           compact)
{
  GnSourceRow *self;

  g_return_val_if_fail (GN_IS_BLOCKLIST_SOURCE (source), NULL);

  self = g_object_new (GN_TYPE_SOURCE_ROW, NULL);
  self->source = g_object_ref (source);

  g_object_bind_property (source, "enabled", self->enabled_switch, "active",
                          G_BINDING_SYNC_CREATE | G_BINDING_BIDIRECTIONAL);
  g_signal_connect_swapped (source, "notify", G_CALLBACK (update), self);

  if (compact)
    {
      gtk_widget_set_visible (GTK_WIDGET (self->enabled_switch), FALSE);
      gtk_widget_set_visible (GTK_WIDGET (self->url_label), FALSE);
      gtk_widget_set_visible (self->remove_button, FALSE);
      /* Only a name here: renaming is on the Blocklists page. */
      gtk_editable_set_editable (GTK_EDITABLE (self->name_label), FALSE);
      gtk_widget_set_can_target (GTK_WIDGET (self->name_label), FALSE);
      gtk_widget_set_focusable (GTK_WIDGET (self->name_label), FALSE);
      gtk_widget_set_tooltip_text (GTK_WIDGET (self->name_label), NULL);
    }
  else
    {
      g_autofree char *label = g_strdup_printf (_("Use %s"), gn_blocklist_source_get_name (source));
      gtk_accessible_update_property (GTK_ACCESSIBLE (self->enabled_switch),
                                      GTK_ACCESSIBLE_PROPERTY_LABEL, label, -1);
    }

  update (self);
  return GTK_WIDGET (self);
}

GnBlocklistSource *
gn_source_row_get_source (GnSourceRow *self)
{
  g_return_val_if_fail (GN_IS_SOURCE_ROW (self), NULL);
  return self->source;
}
