/* gn-application-background.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * What GnApplication does while nobody looks at its window.
 *
 * The "domain blocked" desktop notification: GnBlockNotifier (src/app)
 * decides when and what; this sends it as a GNotification (GIO picks the
 * portal, GTK's server or org.freedesktop.Notifications) whose buttons are
 * app actions — allow-for-a-while, always-allow and show-blocked, each
 * taking the group's domains — so they work while the window is hidden.
 *
 * Staying running: while protection is on and a tray shows our icon
 * (GnTray, src/platform), closing the window hides it and holds the
 * application, after asking once ("Keep protecting in the background?",
 * GSettings run-in-background: ask / always / never); GnBackground
 * (src/app) decides that and what the tray shows. Without a tray the close
 * button quits as it always did.
 *
 * Threading: main thread only.
 */

#include <glib/gi18n.h>

#include "gn-application-private.h"
#include "gn-window.h"

#define NOTIFY_ALLOW_MINUTES 10
#define NOTIFICATION_ID "blocked"

/* ---- the "domain blocked" notification ---- */

static void
block_group_cb (GnApplication   *self,
                GStrv            domains,
                const char      *title,
                const char      *body)
{
  g_autoptr(GNotification) notification = NULL;
  GVariant *target;

  /* Windows: the tray's balloon (GLib's backend there is a stub); a click
   * shows the Blocked page. */
  if (self->tray != NULL && gn_tray_show_message (self->tray, title, body))
    return;

  notification = g_notification_new (title);
  target = g_variant_ref_sink (g_variant_new_strv ((const char * const *) domains, -1));
  g_notification_set_body (notification, body);
  g_notification_set_priority (notification, G_NOTIFICATION_PRIORITY_LOW);
  g_notification_set_default_action_and_target_value (notification, "app.show-blocked", target);
  g_notification_add_button_with_target_value (notification, _("Allow for 10 minutes"),
                                               "app.allow-for-a-while", target);
  g_notification_add_button_with_target_value (notification, _("Always allow"),
                                               "app.always-allow", target);
  g_notification_add_button_with_target_value (notification, _("Show"),
                                               "app.show-blocked", target);
  g_variant_unref (target);
  /* One id: a newer group replaces the one still on screen. */
  g_application_send_notification (G_APPLICATION (self), NOTIFICATION_ID, notification);
}

/* At quit: a notification left on screen would offer buttons nobody
 * answers any more. (It also avoids a crash in GLib 2.74's freedesktop
 * backend, which cannot be finalised while it still tracks one.) */
void
_gn_application_withdraw_notifications (GnApplication *self)
{
  g_application_withdraw_notification (G_APPLICATION (self), NOTIFICATION_ID);
}

static void
notify_blocked_changed_cb (GnApplication *self)
{
  gn_block_notifier_set_enabled (self->notifier,
                                 g_settings_get_boolean (self->settings, "notify-blocked"));
}

static void
allow_for_a_while_activated (GSimpleAction *action,
                             GVariant      *param,
                             gpointer       user_data)
{
  GnApplication *self = user_data;
  g_autofree const char **domains = g_variant_get_strv (param, NULL);

  for (guint i = 0; domains[i] != NULL; i++)
    {
      g_autoptr(GError) error = NULL;

      if (!gn_application_allow_domain_for (self, domains[i], NOTIFY_ALLOW_MINUTES, &error))
        {
          g_autofree char *text = g_strdup_printf (_("Could not allow %s: %s"), domains[i],
                                                   error->message);
          gn_protection_report (self->protection, text);
        }
    }
  g_application_withdraw_notification (G_APPLICATION (self), NOTIFICATION_ID);
}

static void
always_allow_activated (GSimpleAction *action,
                        GVariant      *param,
                        gpointer       user_data)
{
  GnApplication *self = user_data;
  g_autofree const char **domains = g_variant_get_strv (param, NULL);

  for (guint i = 0; domains[i] != NULL; i++)
    {
      g_autoptr(GError) error = NULL;

      if (self->blocklists == NULL ||
          !gn_application_allow_domain (self, domains[i], &error))
        {
          g_autofree char *text = g_strdup_printf (_("Could not allow %s: %s"), domains[i],
                                                   error ? error->message
                                                         : _("GuardNest is using local lists only"));
          gn_protection_report (self->protection, text);
          continue;
        }
      gn_blocked_model_set_allowed (self->blocked, domains[i], TRUE);
    }
  g_application_withdraw_notification (G_APPLICATION (self), NOTIFICATION_ID);
}

/* The window (created if hidden) on the Blocked page. */
static void
show_blocked_activated (GSimpleAction *action,
                        GVariant      *param,
                        gpointer       user_data)
{
  GnApplication *self = user_data;
  GtkWindow *window;

  g_application_activate (G_APPLICATION (self));
  window = gtk_application_get_active_window (GTK_APPLICATION (self));
  if (GN_IS_WINDOW (window))
    gn_window_show_page (GN_WINDOW (window), "blocked");
}

/* ---- the tray and running in the background ---- */

static void
tray_state_cb (GnApplication *self)
{
  g_auto(GnTrayView) view = { 0 };

  if (self->tray == NULL)
    return;
  gn_background_tray_view (gn_protection_get_state (self->protection),
                           gn_protection_get_status_text (self->protection),
                           gn_protection_get_blocking (self->protection),
                           gn_timed_rules_get_paused_until (gn_session_get_timed_rules (self->session)),
                           &view);
  gn_tray_set_state (self->tray, _("GuardNest"), view.state, view.attention);
  gn_tray_set_can_pause (self->tray, view.can_pause);
}

static void
tray_item_cb (GnApplication *self,
              GnTrayItem     item)
{
  switch (item)
    {
    case GN_TRAY_ITEM_PAUSE:
      g_action_group_activate_action (G_ACTION_GROUP (self), "pause", g_variant_new_uint32 (15));
      break;
    case GN_TRAY_ITEM_OPEN:
      g_application_activate (G_APPLICATION (self));
      break;
    case GN_TRAY_ITEM_QUIT:
      g_action_group_activate_action (G_ACTION_GROUP (self), "quit", NULL);
      break;
    case GN_TRAY_ITEM_MESSAGE:
      g_action_group_activate_action (G_ACTION_GROUP (self), "show-blocked",
                                      g_variant_new_strv (NULL, 0));
      break;
    default:
      g_assert_not_reached ();
    }
}

static void
hide_to_background (GnApplication *self,
                    GtkWindow     *window)
{
  gtk_widget_set_visible (GTK_WIDGET (window), FALSE);
  if (!self->held)
    {
      self->held = TRUE;
      g_application_hold (G_APPLICATION (self));
    }
}

static void
ask_response_cb (GtkDialog     *dialog,
                 int            response,
                 GnApplication *self)
{
  GtkWindow *window = gtk_window_get_transient_for (GTK_WINDOW (dialog));
  GtkWidget *check = g_object_get_data (G_OBJECT (dialog), "dont-ask");
  gboolean keep = response == GTK_RESPONSE_ACCEPT;

  if ((keep || response == GTK_RESPONSE_REJECT) &&
      gtk_check_button_get_active (GTK_CHECK_BUTTON (check)))
    g_settings_set_string (self->settings, "run-in-background", keep ? "always" : "never");
  self->ask_dialog = NULL;
  gtk_window_destroy (GTK_WINDOW (dialog));

  if (keep)
    hide_to_background (self, window);
  else if (response == GTK_RESPONSE_REJECT)
    g_action_group_activate_action (G_ACTION_GROUP (self), "quit", NULL);
}

static void
ask_keep_running (GnApplication *self,
                  GtkWindow     *window)
{
  GtkWidget *dialog, *check;

  if (self->ask_dialog != NULL)
    {
      gtk_window_present (GTK_WINDOW (self->ask_dialog));
      return;
    }
  G_GNUC_BEGIN_IGNORE_DEPRECATIONS
  dialog = gtk_message_dialog_new (window, GTK_DIALOG_MODAL | GTK_DIALOG_DESTROY_WITH_PARENT,
                                   GTK_MESSAGE_QUESTION, GTK_BUTTONS_NONE,
                                   _("Keep protecting in the background?"));
  gtk_message_dialog_format_secondary_text (GTK_MESSAGE_DIALOG (dialog),
    _("GuardNest can keep blocking with its window closed; its icon in the tray opens it "
      "again or quits it. If you quit, the system proxy settings are put back and nothing "
      "is blocked."));
  gtk_dialog_add_buttons (GTK_DIALOG (dialog), _("_Quit"), GTK_RESPONSE_REJECT,
                          _("_Keep Protecting"), GTK_RESPONSE_ACCEPT, NULL);
  gtk_dialog_set_default_response (GTK_DIALOG (dialog), GTK_RESPONSE_ACCEPT);
  check = gtk_check_button_new_with_mnemonic (_("_Don’t ask again"));
  gtk_box_append (GTK_BOX (gtk_message_dialog_get_message_area (GTK_MESSAGE_DIALOG (dialog))), check);
  G_GNUC_END_IGNORE_DEPRECATIONS
  g_object_set_data (G_OBJECT (dialog), "dont-ask", check);
  g_signal_connect (dialog, "response", G_CALLBACK (ask_response_cb), self);
  self->ask_dialog = dialog;
  gtk_window_present (GTK_WINDOW (dialog));
}

/* Whether a tray shows GuardNest's icon now (so the window can hide). */
gboolean
gn_application_get_has_tray (GnApplication *self)
{
  g_return_val_if_fail (GN_IS_APPLICATION (self), FALSE);
  return self->tray != NULL && gn_tray_get_available (self->tray);
}

/* The window's close button: returns TRUE when the window is kept (hidden
 * in the background, or the question asked), FALSE to close it as before
 * (protection off, no tray, the user chose never, or quitting). */
gboolean
gn_application_close_window (GnApplication *self,
                             GtkWindow     *window)
{
  g_autofree char *mode = NULL;

  g_return_val_if_fail (GN_IS_APPLICATION (self), FALSE);
  g_return_val_if_fail (GTK_IS_WINDOW (window), FALSE);

  mode = g_settings_get_string (self->settings, "run-in-background");
  switch (gn_background_decide_close (gn_protection_get_enabled (self->protection),
                                      gn_application_get_has_tray (self), self->quitting, mode))
    {
    case GN_CLOSE_QUIT:
      return FALSE;
    case GN_CLOSE_HIDE:
      hide_to_background (self, window);
      return TRUE;
    case GN_CLOSE_ASK:
      ask_keep_running (self, window);
      return TRUE;
    default:
      g_assert_not_reached ();
    }
}

static const GActionEntry notify_entries[] = {
  { "allow-for-a-while", allow_for_a_while_activated, "as", NULL, NULL, { 0 } },
  { "always-allow", always_allow_activated, "as", NULL, NULL, { 0 } },
  { "show-blocked", show_blocked_activated, "as", NULL, NULL, { 0 } },
};

void
_gn_application_init_notifications (GnApplication *self)
{
  g_action_map_add_action_entries (G_ACTION_MAP (self), notify_entries,
                                   G_N_ELEMENTS (notify_entries), self);
  self->notifier = gn_block_notifier_new ();
  g_signal_connect_swapped (self->notifier, "group", G_CALLBACK (block_group_cb), self);
  g_signal_connect_swapped (self->settings, "changed::notify-blocked",
                            G_CALLBACK (notify_blocked_changed_cb), self);
  notify_blocked_changed_cb (self);
}

void
_gn_application_init_tray (GnApplication *self)
{
  self->tray = gn_tray_new (GN_APP_ID);
  g_signal_connect_swapped (self->tray, "item", G_CALLBACK (tray_item_cb), self);
  g_signal_connect_swapped (self->protection, "notify::status-text", G_CALLBACK (tray_state_cb), self);
  g_signal_connect_swapped (self->protection, "notify::state", G_CALLBACK (tray_state_cb), self);
  g_signal_connect_swapped (self->protection, "notify::rules-state", G_CALLBACK (tray_state_cb), self);
  g_signal_connect_swapped (gn_session_get_timed_rules (self->session), "changed",
                            G_CALLBACK (tray_state_cb), self);
  tray_state_cb (self);
}

void
_gn_application_shut_down_tray (GnApplication *self)
{
  if (self->tray == NULL)
    return;
  g_signal_handlers_disconnect_by_data (self->tray, self);
  g_clear_object (&self->tray);
}
