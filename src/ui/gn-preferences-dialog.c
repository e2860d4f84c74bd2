/* gn-preferences-dialog.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The Preferences window. Each value is written through its owner the
 * moment it changes: the port to the engine settings store (it takes effect
 * on the next restart, as the row says), the update interval to the
 * blocklist manager, the bypass list to GSettings (the app validates it and
 * hands it to the OS proxy guard), start minimised, the blocked-domain
 * notification and closing to the background to GSettings, start at login
 * to the autostart entry (gn-autostart.h). A bad
 * value shows its error under the rows and is not saved.
 *
 * Threading: main thread only.
 */

#include <glib/gi18n.h>

#include "gn-autostart.h"

#include "gn-preferences-dialog.h"

struct _GnPreferencesDialog
{
  GtkWindow      parent_instance;

  GnApplication *app;            /* (owned) */
  GSettings     *settings;       /* (owned) */

  /* template */
  GtkSpinButton *port_spin;
  GtkSpinButton *history_spin;
  GtkDropDown   *interval_dropdown;
  GtkEntry      *bypass_entry;
  GtkDropDown   *restore_dropdown;
  GtkSwitch     *pac_switch;
  GtkSwitch     *minimised_switch;
  GtkSwitch     *notify_switch;
  GtkSwitch     *login_switch;
  GtkSwitch     *background_switch;
  GtkLabel      *background_note;
  GtkLabel      *error_label;
};

G_DEFINE_FINAL_TYPE (GnPreferencesDialog, gn_preferences_dialog, GTK_TYPE_WINDOW)

static const guint interval_hours[] = { 0, 1, 6, 12, 24 };

static void
show_error (GnPreferencesDialog *self,
            const char          *text)
{
  gtk_label_set_text (self->error_label, text ? text : "");
  gtk_widget_set_visible (GTK_WIDGET (self->error_label), text != NULL);
}

/* The manager's hours ↔ the drop-down's rows. */
static gboolean
interval_to_index (GBinding     *binding,
                   const GValue *from,
                   GValue       *to,
                   gpointer      user_data)
{
  guint hours = g_value_get_uint (from);

  for (guint i = 0; i < G_N_ELEMENTS (interval_hours); i++)
    if (interval_hours[i] == hours)
      {
        g_value_set_uint (to, i);
        return TRUE;
      }
  g_value_set_uint (to, G_N_ELEMENTS (interval_hours) - 1);
  return TRUE;
}

static gboolean
index_to_interval (GBinding     *binding,
                   const GValue *from,
                   GValue       *to,
                   gpointer      user_data)
{
  guint i = g_value_get_uint (from);

  if (i >= G_N_ELEMENTS (interval_hours))
    return FALSE;
  g_value_set_uint (to, interval_hours[i]);
  return TRUE;
}

static gboolean
restore_get_mapping (GValue   *value,
                     GVariant *variant,
                     gpointer  user_data)
{
  g_value_set_uint (value, g_str_equal (g_variant_get_string (variant, NULL), "no-proxy") ? 1 : 0);
  return TRUE;
}

static GVariant *
restore_set_mapping (const GValue       *value,
                     const GVariantType *expected_type,
                     gpointer            user_data)
{
  return g_variant_new_string (g_value_get_uint (value) == 1 ? "no-proxy" : "previous");
}

static void
port_changed_cb (GnPreferencesDialog *self)
{
  g_autoptr(GError) error = NULL;
  guint16 port = (guint16) gtk_spin_button_get_value_as_int (self->port_spin);

  if (!gn_application_set_port (self->app, port, &error))
    show_error (self, error->message);
  else
    show_error (self, NULL);
}

/* The history's retention: saved with the engine settings (headless
 * reads it too), older days deleted at once. */
static void
history_changed_cb (GnPreferencesDialog *self)
{
  g_autoptr(GError) error = NULL;
  guint days = (guint) gtk_spin_button_get_value_as_int (self->history_spin);

  if (!gn_session_set_history_days (gn_application_get_session (self->app), days, &error))
    show_error (self, error->message);
  else
    show_error (self, NULL);
}

static void
bypass_changed_cb (GnPreferencesDialog *self)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) items = g_ptr_array_new_with_free_func (g_free);
  g_auto(GStrv) parts = g_strsplit_set (gtk_editable_get_text (GTK_EDITABLE (self->bypass_entry)), ",; ", -1);

  for (guint i = 0; parts[i] != NULL; i++)
    if (parts[i][0] != '\0')
      g_ptr_array_add (items, g_strdup (parts[i]));
  g_ptr_array_add (items, NULL);

  if (!gn_os_proxy_validate_bypass ((const char * const *) items->pdata, &error))
    {
      show_error (self, error->message);
      return;
    }
  show_error (self, NULL);
  g_settings_set_strv (self->settings, "proxy-bypass", (const char * const *) items->pdata);
}

/* Start at login: the autostart entry itself is the setting. */
static void
login_changed_cb (GnPreferencesDialog *self)
{
  gboolean wanted = gtk_switch_get_active (self->login_switch);
  g_autoptr(GError) error = NULL;

  if (wanted == gn_autostart_get_enabled ())
    return;
  if (!gn_autostart_set_enabled (wanted, &error))
    {
      show_error (self, error->message);
      gtk_switch_set_active (self->login_switch, gn_autostart_get_enabled ());
      return;
    }
  show_error (self, NULL);
}

/* run-in-background: "always" is on; off is "never" (no more asking). */
static gboolean
background_get_mapping (GValue   *value,
                        GVariant *variant,
                        gpointer  user_data)
{
  g_value_set_boolean (value, g_str_equal (g_variant_get_string (variant, NULL), "always"));
  return TRUE;
}

static GVariant *
background_set_mapping (const GValue       *value,
                        const GVariantType *type,
                        gpointer            user_data)
{
  return g_variant_new_string (g_value_get_boolean (value) ? "always" : "never");
}

static void
gn_preferences_dialog_dispose (GObject *object)
{
  GnPreferencesDialog *self = (GnPreferencesDialog *) object;

  gtk_widget_dispose_template (GTK_WIDGET (self), GN_TYPE_PREFERENCES_DIALOG);

  G_OBJECT_CLASS (gn_preferences_dialog_parent_class)->dispose (object);
}

static void
gn_preferences_dialog_finalize (GObject *object)
{
  GnPreferencesDialog *self = (GnPreferencesDialog *) object;

  g_clear_object (&self->settings);
  g_clear_object (&self->app);

  G_OBJECT_CLASS (gn_preferences_dialog_parent_class)->finalize (object);
}

static void
gn_preferences_dialog_class_init (GnPreferencesDialogClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = gn_preferences_dialog_dispose;
  object_class->finalize = gn_preferences_dialog_finalize;

  gtk_widget_class_set_template_from_resource (widget_class,
                                               "/io/github/guardnest/GuardNest/ui/gn-preferences-dialog.ui");
  gtk_widget_class_bind_template_child (widget_class, GnPreferencesDialog, port_spin);
  gtk_widget_class_bind_template_child (widget_class, GnPreferencesDialog, history_spin);
  gtk_widget_class_bind_template_child (widget_class, GnPreferencesDialog, interval_dropdown);
  gtk_widget_class_bind_template_child (widget_class, GnPreferencesDialog, bypass_entry);
  gtk_widget_class_bind_template_child (widget_class, GnPreferencesDialog, restore_dropdown);
  gtk_widget_class_bind_template_child (widget_class, GnPreferencesDialog, pac_switch);
  gtk_widget_class_bind_template_child (widget_class, GnPreferencesDialog, minimised_switch);
  gtk_widget_class_bind_template_child (widget_class, GnPreferencesDialog, notify_switch);
  gtk_widget_class_bind_template_child (widget_class, GnPreferencesDialog, login_switch);
  gtk_widget_class_bind_template_child (widget_class, GnPreferencesDialog, background_switch);
  gtk_widget_class_bind_template_child (widget_class, GnPreferencesDialog, background_note);
  gtk_widget_class_bind_template_child (widget_class, GnPreferencesDialog, error_label);

  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_Escape, 0, "window.close", NULL);
}

static void
gn_preferences_dialog_init (GnPreferencesDialog *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
}

GtkWidget *
gn_preferences_dialog_new (GtkWindow     *parent,
                           GnApplication *app)
{
  GnPreferencesDialog *self;
  g_autoptr(GnEngineConfig) config = NULL;
  g_auto(GStrv) bypass = NULL;
  g_autofree char *bypass_text = NULL;
  GnOsProxyGuard *guard;

  g_return_val_if_fail (GN_IS_APPLICATION (app), NULL);

  self = g_object_new (GN_TYPE_PREFERENCES_DIALOG,
                       "transient-for", parent,
                       "application", app,
                       NULL);
  self->app = g_object_ref (app);
  self->settings = g_object_ref (gn_application_get_settings (app));

  config = gn_engine_dup_config (gn_application_get_engine (app));
  gtk_spin_button_set_value (self->port_spin, config->port);
  g_signal_connect_swapped (self->port_spin, "value-changed", G_CALLBACK (port_changed_cb), self);
  gtk_spin_button_set_value (self->history_spin,
                             gn_settings_store_get_history_days (gn_application_get_store (app)));
  g_signal_connect_swapped (self->history_spin, "value-changed", G_CALLBACK (history_changed_cb), self);

  g_object_bind_property_full (gn_application_get_blocklists (app), "refresh-interval",
                               self->interval_dropdown, "selected",
                               G_BINDING_SYNC_CREATE | G_BINDING_BIDIRECTIONAL,
                               interval_to_index, index_to_interval, NULL, NULL);

  bypass = g_settings_get_strv (self->settings, "proxy-bypass");
  guard = gn_protection_get_guard (gn_application_get_protection (app));
  if (bypass[0] == NULL && guard != NULL)
    bypass_text = g_strjoinv (", ", (char **) gn_os_proxy_guard_get_bypass (guard));
  else
    bypass_text = g_strjoinv (", ", bypass);
  gtk_editable_set_text (GTK_EDITABLE (self->bypass_entry), bypass_text);
  g_signal_connect_swapped (self->bypass_entry, "activate", G_CALLBACK (bypass_changed_cb), self);
  g_signal_connect_swapped (self, "close-request", G_CALLBACK (bypass_changed_cb), self);

  g_settings_bind (self->settings, "start-minimised", self->minimised_switch, "active",
                   G_SETTINGS_BIND_DEFAULT);
  g_settings_bind (self->settings, "notify-blocked", self->notify_switch, "active",
                   G_SETTINGS_BIND_DEFAULT);
  gtk_switch_set_active (self->login_switch, gn_autostart_get_enabled ());
  g_signal_connect_swapped (self->login_switch, "notify::active", G_CALLBACK (login_changed_cb), self);
  g_settings_bind_with_mapping (self->settings, "run-in-background", self->background_switch, "active",
                                G_SETTINGS_BIND_DEFAULT, background_get_mapping,
                                background_set_mapping, NULL, NULL);
  /* Without a tray there is nothing to come back through: say so. */
  gtk_label_set_text (self->background_note,
                      gn_application_get_has_tray (app)
                      ? _("While protecting, closing the window hides it; the tray icon opens it again or quits.")
                      : _("There is no tray on this desktop, so closing the window quits GuardNest "
                          "and stops protecting."));
  gtk_widget_set_sensitive (GTK_WIDGET (self->background_switch), gn_application_get_has_tray (app));
  g_settings_bind (self->settings, "use-pac", self->pac_switch, "active", G_SETTINGS_BIND_DEFAULT);
  g_settings_bind_with_mapping (self->settings, "restore-behaviour", self->restore_dropdown, "selected",
                                G_SETTINGS_BIND_DEFAULT, restore_get_mapping, restore_set_mapping,
                                NULL, NULL);

  return GTK_WIDGET (self);
}
