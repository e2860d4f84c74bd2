/* gn-preferences-dialog.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The Preferences window. The window's own settings (update interval, start
 * minimised) are GSettings keys bound directly to their widgets; the
 * engine's port and the OS-proxy options are written through their owners
 * when they change, and take effect as each row's subtitle says.
 *
 * Threading: main thread only.
 */

#include <glib/gi18n.h>

#include "gn-preferences-dialog.h"

struct _GnPreferencesDialog
{
  GtkWindow      parent_instance;

  GSettings     *settings;       /* (owned) */

  /* template */
  GtkSpinButton *port_spin;
  GtkDropDown   *interval_dropdown;
  GtkEntry      *bypass_entry;
  GtkDropDown   *restore_dropdown;
  GtkSwitch     *minimised_switch;
  GtkLabel      *error_label;
};

G_DEFINE_FINAL_TYPE (GnPreferencesDialog, gn_preferences_dialog, GTK_TYPE_WINDOW)

static const guint interval_hours[] = { 0, 1, 6, 12, 24 };

static gboolean
interval_get_mapping (GValue   *value,
                      GVariant *variant,
                      gpointer  user_data)
{
  guint hours = g_variant_get_uint32 (variant);

  for (guint i = 0; i < G_N_ELEMENTS (interval_hours); i++)
    if (interval_hours[i] == hours)
      {
        g_value_set_uint (value, i);
        return TRUE;
      }
  g_value_set_uint (value, G_N_ELEMENTS (interval_hours) - 1);
  return TRUE;
}

static GVariant *
interval_set_mapping (const GValue       *value,
                      const GVariantType *expected_type,
                      gpointer            user_data)
{
  guint i = g_value_get_uint (value);

  if (i >= G_N_ELEMENTS (interval_hours))
    return NULL;
  return g_variant_new_uint32 (interval_hours[i]);
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
  gtk_widget_class_bind_template_child (widget_class, GnPreferencesDialog, interval_dropdown);
  gtk_widget_class_bind_template_child (widget_class, GnPreferencesDialog, bypass_entry);
  gtk_widget_class_bind_template_child (widget_class, GnPreferencesDialog, restore_dropdown);
  gtk_widget_class_bind_template_child (widget_class, GnPreferencesDialog, minimised_switch);
  gtk_widget_class_bind_template_child (widget_class, GnPreferencesDialog, error_label);

  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_Escape, 0, "window.close", NULL);
}

static void
gn_preferences_dialog_init (GnPreferencesDialog *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
}

GtkWidget *
gn_preferences_dialog_new (GtkWindow *parent,
                           GSettings *settings)
{
  GnPreferencesDialog *self;

  g_return_val_if_fail (G_IS_SETTINGS (settings), NULL);

  self = g_object_new (GN_TYPE_PREFERENCES_DIALOG,
                       "transient-for", parent,
                       "application", parent ? gtk_window_get_application (parent) : NULL,
                       NULL);
  self->settings = g_object_ref (settings);

  g_settings_bind (settings, "start-minimised", self->minimised_switch, "active",
                   G_SETTINGS_BIND_DEFAULT);
  g_settings_bind_with_mapping (settings, "update-interval", self->interval_dropdown, "selected",
                                G_SETTINGS_BIND_DEFAULT,
                                interval_get_mapping, interval_set_mapping, NULL, NULL);

  return GTK_WIDGET (self);
}
