/* gn-application.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * GuardNest's GtkApplication (io.github.guardnest.GuardNest, single
 * instance: launching it again presents the existing window). It is the
 * window's front end over GnSession (src/app/gn-session.h), which owns
 * what outlives a window — the engine, the Protection controller, the OS
 * proxy guard, the blocklists and the saved settings — exactly as the
 * headless mode does. Here live the GSettings of the window (bypass list,
 * PAC mode, restore behaviour, start minimised) and the models the pages
 * show (connections, blocked domains, traffic statistics), all fed from
 * one subscription to the engine's connection registry, whose batches
 * arrive on the main context a few times per second.
 *
 * The app.* actions live here (enable, restart, refresh-lists, preferences,
 * about, quit), with their accelerators. The "domain blocked"
 * notification, the tray and closing to the background are in
 * gn-application-background.c. `guardnest --background` (the login
 * autostart entry) starts with the window hidden.
 *
 * The window follows the system's light/dark preference through
 * GtkSettings (GNOME's color-scheme key, when that schema is installed),
 * since GTK 4.8 alone does not.
 *
 * Threading: main thread only; the engine runs its own thread behind its
 * thread-safe API.
 */

#include <glib/gi18n.h>

#include "gn-application-private.h"
#include "gn-preferences-dialog.h"
#include "gn-resources.h"
#include "gn-style.h"
#include "gn-window.h"

#define BATCH_INTERVAL_MS 250


G_DEFINE_FINAL_TYPE (GnApplication, gn_application, GTK_TYPE_APPLICATION)

enum {
  LISTS_REFRESHED,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

/* An uninstalled build (the README's run command, the tests) finds the
 * schema compiled in the build directory. */
static GSettings *
new_settings (void)
{
  GSettingsSchemaSource *source = g_settings_schema_source_get_default ();
  g_autoptr(GSettingsSchemaSource) build_source = NULL;
  g_autoptr(GSettingsSchema) schema = NULL;

  if (source != NULL)
    schema = g_settings_schema_source_lookup (source, GN_APP_ID, TRUE);
#ifdef GN_SCHEMA_BUILD_DIR
  if (schema == NULL)
    {
      build_source = g_settings_schema_source_new_from_directory (GN_SCHEMA_BUILD_DIR, source,
                                                                  FALSE, NULL);
      if (build_source != NULL)
        schema = g_settings_schema_source_lookup (build_source, GN_APP_ID, FALSE);
    }
#endif
  if (schema == NULL)
    g_error ("The settings schema %s is not installed; run “meson install” or start "
             "GuardNest from its build directory.", GN_APP_ID);

  return g_settings_new_full (schema, NULL, NULL);
}

static GSettings *
new_interface_settings (void)
{
  GSettingsSchemaSource *source = g_settings_schema_source_get_default ();
  g_autoptr(GSettingsSchema) schema = NULL;

  if (source != NULL)
    schema = g_settings_schema_source_lookup (source, "org.gnome.desktop.interface", TRUE);
  if (schema == NULL || !g_settings_schema_has_key (schema, "color-scheme"))
    return NULL;
  return g_settings_new_full (schema, NULL, NULL);
}

static void
color_scheme_changed (GnApplication *self)
{
  g_autofree char *scheme = g_settings_get_string (self->interface, "color-scheme");

  g_object_set (gtk_settings_get_default (), "gtk-application-prefer-dark-theme",
                g_strcmp0 (scheme, "prefer-dark") == 0, NULL);
}

static void
batch_cb (const GnConnectionBatch *batch,
          gpointer                 user_data)
{
  GnApplication *self = user_data;

  gn_connection_model_apply_batch (self->connections, batch);
  gn_app_resolver_apply_batch (self->apps, batch, gn_engine_get_port (self->engine));
  gn_blocked_model_apply_batch (self->blocked, batch);
  gn_app_stats_apply_batch (self->app_stats, batch);
  gn_block_notifier_apply_batch (self->notifier, batch);
  gn_traffic_stats_apply_batch (self->stats, batch, g_get_real_time ());
  gn_history_store_apply_batch (gn_session_get_history (self->session), batch, g_get_real_time ());
}

static void
app_resolved_cb (GnApplication *self,
                 guint64        id,
                 const char    *name)
{
  gn_connection_model_set_app (self->connections, id, name);
  gn_blocked_model_set_app (self->blocked, id, name);
  gn_app_stats_set_app (self->app_stats, id, name);
}

/* ---- app.* actions ---- */

static void
enable_changed (GSimpleAction *action,
                GVariant      *state,
                gpointer       user_data)
{
  GnApplication *self = user_data;

  gn_protection_set_enabled (self->protection, g_variant_get_boolean (state));
}

static void
protection_enabled_cb (GnApplication *self)
{
  GAction *action = g_action_map_lookup_action (G_ACTION_MAP (self), "enable");

  g_simple_action_set_state (G_SIMPLE_ACTION (action),
                             g_variant_new_boolean (gn_protection_get_enabled (self->protection)));
}

static void
restore_behaviour_cb (GnApplication *self)
{
  g_autofree char *behaviour = g_settings_get_string (self->settings, "restore-behaviour");

  gn_protection_set_restore_no_proxy (self->protection, g_str_equal (behaviour, "no-proxy"));
}

/* The engine's PAC script sends the bypass list direct, like the OS
 * settings do. The protection controller hands the engine the guard's
 * list at every start: a change while the script is in use restarts the
 * engine, so both agree at once. */
static void
sync_pac_bypass (GnApplication *self)
{
  g_autoptr(GnEngineConfig) current = gn_engine_dup_config (self->engine);
  g_auto(GStrv) bypass = gn_os_proxy_guard_dup_effective_bypass (self->guard);

  if (current->pac_bypass != NULL &&
      g_strv_equal ((const char * const *) current->pac_bypass, (const char * const *) bypass))
    return;
  if (gn_os_proxy_guard_get_use_pac (self->guard) &&
      gn_protection_get_state (self->protection) == GN_PROTECTION_ON)
    gn_protection_restart (self->protection);
}

static void
bypass_changed_cb (GnApplication *self)
{
  g_auto(GStrv) bypass = g_settings_get_strv (self->settings, "proxy-bypass");
  g_autoptr(GError) error = NULL;

  if (!gn_os_proxy_guard_set_bypass (self->guard, bypass[0] ? (const char * const *) bypass : NULL,
                                     &error))
    gn_protection_report (self->protection, error->message);
  sync_pac_bypass (self);
}

static void
use_pac_changed_cb (GnApplication *self)
{
  g_autoptr(GError) error = NULL;

  if (!gn_os_proxy_guard_set_use_pac (self->guard, g_settings_get_boolean (self->settings, "use-pac"),
                                      &error))
    gn_protection_report (self->protection, error->message);
}

/* Pause / Resume: the session's timed rules; the status line counts down. */
static void
timed_changed_cb (GnApplication *self)
{
  GAction *resume = g_action_map_lookup_action (G_ACTION_MAP (self), "resume");
  GnTimedRules *timed = gn_session_get_timed_rules (self->session);

  g_simple_action_set_enabled (G_SIMPLE_ACTION (resume),
                               gn_timed_rules_get_paused_until (timed) != 0);
}

static void
pause_activated (GSimpleAction *action,
                 GVariant      *param,
                 gpointer       user_data)
{
  GnApplication *self = user_data;
  g_autoptr(GError) error = NULL;

  if (!gn_timed_rules_pause (gn_session_get_timed_rules (self->session),
                             g_variant_get_uint32 (param), &error))
    gn_protection_report (self->protection, error->message);
}

static void
resume_activated (GSimpleAction *action,
                  GVariant      *param,
                  gpointer       user_data)
{
  GnApplication *self = user_data;
  g_autoptr(GError) error = NULL;

  if (!gn_timed_rules_resume (gn_session_get_timed_rules (self->session), &error))
    gn_protection_report (self->protection, error->message);
}

static void
restart_activated (GSimpleAction *action,
                   GVariant      *param,
                   gpointer       user_data)
{
  GnApplication *self = user_data;

  gn_protection_restart (self->protection);
}

static void
set_refresh_enabled (GnApplication *self,
                     gboolean       enabled)
{
  GAction *action = g_action_map_lookup_action (G_ACTION_MAP (self), "refresh-lists");

  g_simple_action_set_enabled (G_SIMPLE_ACTION (action), enabled);
}

static void
refresh_cb (GObject      *source,
            GAsyncResult *result,
            gpointer      user_data)
{
  g_autoptr(GnApplication) self = user_data;
  g_autoptr(GError) error = NULL;
  g_autofree char *summary = gn_blocklist_manager_refresh_finish (GN_BLOCKLIST_MANAGER (source),
                                                                  result, &error);

  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;
  set_refresh_enabled (self, TRUE);
  g_signal_emit (self, signals[LISTS_REFRESHED], 0,
                 summary ? summary : error->message, summary == NULL);
}

static void
refresh_lists_activated (GSimpleAction *action,
                         GVariant      *param,
                         gpointer       user_data)
{
  GnApplication *self = user_data;

  set_refresh_enabled (self, FALSE);
  g_signal_emit (self, signals[LISTS_REFRESHED], 0, _("Refreshing…"), FALSE);
  gn_blocklist_manager_refresh_async (self->blocklists, NULL, self->cancellable,
                                      refresh_cb, g_object_ref (self));
}

static void
preferences_activated (GSimpleAction *action,
                       GVariant      *param,
                       gpointer       user_data)
{
  GnApplication *self = user_data;
  GtkWindow *parent = gtk_application_get_active_window (GTK_APPLICATION (self));
  GtkWidget *dialog = gn_preferences_dialog_new (parent, self);

  gtk_window_present (GTK_WINDOW (dialog));
}

static void
about_activated (GSimpleAction *action,
                 GVariant      *param,
                 gpointer       user_data)
{
  GnApplication *self = user_data;
  static const char *developers[] = { "The GuardNest developers", NULL };

  gtk_show_about_dialog (gtk_application_get_active_window (GTK_APPLICATION (self)),
                         "program-name", _("GuardNest"),
                         "logo-icon-name", GN_APP_ID,
                         "version", GN_VERSION,
                         "comments", _("Protects every program on this computer from malicious domains."),
                         "license-type", GTK_LICENSE_GPL_3_0,
                         "authors", developers,
                         "website", "https://github.com/guardnest/guardnest",
                         NULL);
}

static void
quit_ready_cb (GObject      *source,
               GAsyncResult *result,
               gpointer      user_data)
{
  g_autoptr(GnApplication) self = user_data;
  GList *windows = gtk_application_get_windows (GTK_APPLICATION (self));

  gn_session_shut_down_finish (GN_SESSION (source), result);
  /* Closing the windows saves their state; the last one ends the app. */
  for (GList *l = windows; l != NULL;)
    {
      GList *next = l->next;
      gtk_window_close (l->data);
      l = next;
    }
  g_application_release (G_APPLICATION (self));
  g_application_quit (G_APPLICATION (self));
}

/* The system proxy goes back at once; the window stays while open
 * connections finish ("Off — closing 3 connections…", bounded by the drain
 * timeout), then closes. */
static void
quit_activated (GSimpleAction *action,
                GVariant      *param,
                gpointer       user_data)
{
  GnApplication *self = user_data;

  if (self->quitting)
    return;
  self->quitting = TRUE;
  g_simple_action_set_enabled (action, FALSE);
  g_application_hold (G_APPLICATION (self));
  gn_session_shut_down_async (self->session, quit_ready_cb, g_object_ref (self));
}

static const GActionEntry app_entries[] = {
  { "enable", NULL, NULL, "false", enable_changed, { 0 } },
  { "restart", restart_activated, NULL, NULL, NULL, { 0 } },
  { "pause", pause_activated, "u", NULL, NULL, { 0 } },
  { "resume", resume_activated, NULL, NULL, NULL, { 0 } },
  { "refresh-lists", refresh_lists_activated, NULL, NULL, NULL, { 0 } },
  { "preferences", preferences_activated, NULL, NULL, NULL, { 0 } },
  { "about", about_activated, NULL, NULL, NULL, { 0 } },
  { "quit", quit_activated, NULL, NULL, NULL, { 0 } },
};

static const struct {
  const char *action;
  const char *accels[3];
} accels[] = {
  { "app.enable", { "<Control>e", NULL } },
  { "app.restart", { "<Control>r", NULL } },
  { "app.refresh-lists", { "<Control><Shift>r", NULL } },
  { "app.preferences", { "<Control>comma", NULL } },
  { "app.quit", { "<Control>q", NULL } },
  { "win.show-help-overlay", { "<Control>question", NULL } },
  { "win.find", { "<Control>f", NULL } },
  { "win.close-connection", { "Delete", NULL } },
  { "win.close-all", { "<Control><Shift>Delete", NULL } },
  { "win.pause-updates", { "<Control>p", NULL } },
  { "win.allow-domain", { "<Control><Shift>a", NULL } },
  { "win.copy-domain", { "<Control><Shift>c", NULL } },
  { "win.clear-blocked", { "<Control><Shift>k", NULL } },
  { "win.show-page('overview')", { "<Alt>1", NULL } },
  { "win.show-page('connections')", { "<Alt>2", NULL } },
  { "win.show-page('blocked')", { "<Alt>3", NULL } },
  { "win.show-page('blocklists')", { "<Alt>4", NULL } },
};

/* ---- GApplication ---- */

/* Start-up problems and crash repairs, in the status line; before the
 * controller exists they wait for it. */
static void
session_message_cb (GnApplication *self,
                    const char    *message)
{
  GnProtection *protection = gn_session_get_protection (self->session);

  if (protection != NULL)
    gn_protection_report (protection, message);
  else
    g_message ("%s", message);
}

static void
gn_application_startup (GApplication *application)
{
  GnApplication *self = GN_APPLICATION (application);
  g_autoptr(GtkCssProvider) css = NULL;

  G_APPLICATION_CLASS (gn_application_parent_class)->startup (application);

  g_set_application_name (_("GuardNest"));
  gtk_window_set_default_icon_name (GN_APP_ID);

  css = gtk_css_provider_new ();
  gtk_css_provider_load_from_resource (css, "/io/github/guardnest/GuardNest/ui/style.css");
  gtk_style_context_add_provider_for_display (gdk_display_get_default (), GTK_STYLE_PROVIDER (css),
                                              GTK_STYLE_PROVIDER_PRIORITY_APPLICATION);
  /* The theme's status colours, readable in its light and dark variants. */
  gn_style_install (gdk_display_get_default ());

  self->settings = new_settings ();
  self->interface = new_interface_settings ();
  if (self->interface != NULL)
    {
      g_signal_connect_swapped (self->interface, "changed::color-scheme",
                                G_CALLBACK (color_scheme_changed), self);
      color_scheme_changed (self);
    }

  self->session = gn_session_new (GN_SESSION_SYSTEM_PROXY | GN_SESSION_REMEMBER_PROTECTION, NULL);
  g_signal_connect_swapped (self->session, "message", G_CALLBACK (session_message_cb), self);
  gn_session_load_settings (self->session);
  if (self->config != NULL)
    gn_session_set_config (self->session, self->config, FALSE, NULL);
  gn_session_start_up (self->session, NULL, NULL);  /* cannot fail without local lists */
  self->engine = gn_session_get_engine (self->session);
  self->protection = gn_session_get_protection (self->session);
  self->blocklists = gn_session_get_blocklists (self->session);
  self->guard = gn_session_get_guard (self->session);
  self->connections = gn_connection_model_new ();
  self->blocked = gn_blocked_model_new ();
  gn_blocked_model_set_timed_rules (self->blocked, gn_session_get_timed_rules (self->session));
  self->stats = gn_traffic_stats_new ();
  self->app_stats = gn_app_stats_new ();
  self->apps = gn_app_resolver_new ();
  g_signal_connect_swapped (self->apps, "resolved", G_CALLBACK (app_resolved_cb), self);
  _gn_application_init_notifications (self);
  _gn_application_init_history (self);

  self->subscription = gn_connection_registry_subscribe (gn_engine_get_registry (self->engine),
                                                         NULL, BATCH_INTERVAL_MS,
                                                         batch_cb, self, NULL);

  g_action_map_add_action_entries (G_ACTION_MAP (self), app_entries,
                                   G_N_ELEMENTS (app_entries), self);
  g_signal_connect_swapped (self->protection, "notify::enabled",
                            G_CALLBACK (protection_enabled_cb), self);
  protection_enabled_cb (self);
  g_signal_connect_swapped (gn_session_get_timed_rules (self->session), "changed",
                            G_CALLBACK (timed_changed_cb), self);
  timed_changed_cb (self);

  _gn_application_init_tray (self);

  for (guint i = 0; i < G_N_ELEMENTS (accels); i++)
    gtk_application_set_accels_for_action (GTK_APPLICATION (self), accels[i].action,
                                           accels[i].accels);

  g_signal_connect_swapped (self->settings, "changed::proxy-bypass",
                            G_CALLBACK (bypass_changed_cb), self);
  bypass_changed_cb (self);
  g_signal_connect_swapped (self->settings, "changed::use-pac",
                            G_CALLBACK (use_pac_changed_cb), self);
  use_pac_changed_cb (self);
  g_signal_connect_swapped (self->settings, "changed::restore-behaviour",
                            G_CALLBACK (restore_behaviour_cb), self);
  restore_behaviour_cb (self);

  /* Logging out, shutting down or a SIGTERM quits like the Quit command:
   * the system proxy is restored, protection stays saved as it was. */
  g_signal_connect_swapped (self->session, "shutdown", G_CALLBACK (g_application_quit), self);
}

static void
gn_application_activate (GApplication *application)
{
  GnApplication *self = GN_APPLICATION (application);
  GtkWindow *window = gtk_application_get_active_window (GTK_APPLICATION (self));

  if (window == NULL)
    {
      window = GTK_WINDOW (gn_window_new (self));
      if ((g_settings_get_boolean (self->settings, "start-minimised") || self->start_hidden) &&
          !self->held)
        {
          self->start_hidden = FALSE;
          /* Keep running without showing anything; the next launch
           * (activate) presents the window. */
          self->held = TRUE;
          g_application_hold (application);
          return;
        }
    }

  if (self->held)
    {
      self->held = FALSE;
      g_application_release (application);
    }
  gtk_window_present (window);
}

/* --background: start with the window hidden (the login autostart entry);
 * when GuardNest already runs, nothing happens. */
static int
gn_application_handle_local_options (GApplication *application,
                                     GVariantDict *options)
{
  GnApplication *self = GN_APPLICATION (application);
  g_autoptr(GError) error = NULL;

  if (!g_variant_dict_contains (options, "background"))
    return -1;
  if (!g_application_register (application, NULL, &error))
    {
      g_printerr ("guardnest: %s\n", error->message);
      return 1;
    }
  if (g_application_get_is_remote (application))
    return 0;
  self->start_hidden = TRUE;
  return -1;
}

static void
gn_application_shutdown (GApplication *application)
{
  GnApplication *self = GN_APPLICATION (application);

  g_cancellable_cancel (self->cancellable);
  _gn_application_withdraw_notifications (self);
  _gn_application_shut_down_tray (self);
  if (self->session != NULL)
    {
      g_signal_handlers_disconnect_by_data (gn_session_get_timed_rules (self->session), self);
      g_signal_handlers_disconnect_by_data (self->session, self);
      g_signal_handlers_disconnect_by_data (self->protection, self);
      gn_session_shut_down (self->session);
    }
  if (self->subscription != 0)
    {
      gn_connection_registry_unsubscribe (gn_engine_get_registry (self->engine), self->subscription);
      self->subscription = 0;
    }

  G_APPLICATION_CLASS (gn_application_parent_class)->shutdown (application);
}

static void
gn_application_finalize (GObject *object)
{
  GnApplication *self = (GnApplication *) object;

  g_clear_object (&self->connections);
  g_clear_object (&self->blocked);
  g_clear_object (&self->stats);
  g_clear_object (&self->app_stats);
  g_clear_object (&self->apps);
  g_clear_object (&self->notifier);
  g_clear_object (&self->session);
  g_clear_object (&self->cancellable);
  g_clear_object (&self->settings);
  g_clear_object (&self->interface);
  g_clear_pointer (&self->config, gn_engine_config_unref);

  G_OBJECT_CLASS (gn_application_parent_class)->finalize (object);
}

static void
gn_application_class_init (GnApplicationClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GApplicationClass *app_class = G_APPLICATION_CLASS (klass);

  /* Before any widget class loads its template from the resources. */
  gn_register_resource ();

  object_class->finalize = gn_application_finalize;
  app_class->startup = gn_application_startup;
  app_class->activate = gn_application_activate;
  app_class->shutdown = gn_application_shutdown;
  app_class->handle_local_options = gn_application_handle_local_options;

  /**
   * GnApplication::lists-refreshed:
   * @summary: one line for people ("2 lists updated, …") or the error
   * @failed: TRUE when the refresh as a whole failed
   *
   * Emitted when app.refresh-lists starts ("Refreshing…") and ends.
   */
  signals[LISTS_REFRESHED] =
    g_signal_new ("lists-refreshed", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 2, G_TYPE_STRING, G_TYPE_BOOLEAN);
}

static void
gn_application_init (GnApplication *self)
{
  self->cancellable = g_cancellable_new ();
}

/* @config: (nullable): the engine settings to use instead of the saved
 * ones (the tests pass a free port). */
GnApplication *
gn_application_new (GnEngineConfig *config)
{
  GnApplication *self = g_object_new (GN_TYPE_APPLICATION,
                                      "application-id", GN_APP_ID,
                                      "resource-base-path", "/io/github/guardnest/GuardNest",
                                      NULL);
  if (config != NULL)
    self->config = gn_engine_config_ref (config);
  g_application_add_main_option (G_APPLICATION (self), "background", 0, G_OPTION_FLAG_NONE,
                                 G_OPTION_ARG_NONE,
                                 _("Start protecting with the window hidden (as at login)"), NULL);
  return self;
}

GSettings *
gn_application_get_settings (GnApplication *self)
{
  g_return_val_if_fail (GN_IS_APPLICATION (self), NULL);
  return self->settings;
}

GnEngine *
gn_application_get_engine (GnApplication *self)
{
  g_return_val_if_fail (GN_IS_APPLICATION (self), NULL);
  return self->engine;
}

GnProtection *
gn_application_get_protection (GnApplication *self)
{
  g_return_val_if_fail (GN_IS_APPLICATION (self), NULL);
  return self->protection;
}

GnConnectionModel *
gn_application_get_connections (GnApplication *self)
{
  g_return_val_if_fail (GN_IS_APPLICATION (self), NULL);
  return self->connections;
}

GnBlockedModel *
gn_application_get_blocked (GnApplication *self)
{
  g_return_val_if_fail (GN_IS_APPLICATION (self), NULL);
  return self->blocked;
}

GnAppStats *
gn_application_get_app_stats (GnApplication *self)
{
  g_return_val_if_fail (GN_IS_APPLICATION (self), NULL);
  return self->app_stats;
}

GnTrafficStats *
gn_application_get_stats (GnApplication *self)
{
  g_return_val_if_fail (GN_IS_APPLICATION (self), NULL);
  return self->stats;
}

/* Adds @domain to the user's allowlist; the manager rebuilds the rule set
 * and the engine swaps it in, so the next request passes. */
gboolean
gn_application_allow_domain (GnApplication  *self,
                             const char     *domain,
                             GError        **error)
{
  g_return_val_if_fail (GN_IS_APPLICATION (self), FALSE);
  g_return_val_if_fail (domain != NULL, FALSE);

  return gn_blocklist_manager_add_user_rule (self->blocklists, GN_MATCH_ALLOW, domain, error);
}

GnSettingsStore *
gn_application_get_store (GnApplication *self)
{
  g_return_val_if_fail (GN_IS_APPLICATION (self), NULL);
  return gn_session_get_store (self->session);
}

GnSession *
gn_application_get_session (GnApplication *self)
{
  g_return_val_if_fail (GN_IS_APPLICATION (self), NULL);
  return self->session;
}

/* Saves the port; it takes effect on the next start or restart. */
gboolean
gn_application_set_port (GnApplication  *self,
                         guint16         port,
                         GError        **error)
{
  g_autoptr(GnEngineConfig) current = NULL;
  g_autoptr(GnEngineConfig) config = NULL;

  g_return_val_if_fail (GN_IS_APPLICATION (self), FALSE);

  current = gn_session_dup_config (self->session);
  if (current->port == port)
    return TRUE;
  config = gn_engine_config_copy (current);
  config->port = port;
  return gn_session_set_config (self->session, config, TRUE, error);
}

/* Lets @domain through for @minutes (the session's timed rules). */
gboolean
gn_application_allow_domain_for (GnApplication  *self,
                                 const char     *domain,
                                 guint           minutes,
                                 GError        **error)
{
  g_return_val_if_fail (GN_IS_APPLICATION (self), FALSE);
  g_return_val_if_fail (domain != NULL, FALSE);

  return gn_timed_rules_allow (gn_session_get_timed_rules (self->session), domain, minutes, error);
}

GnBlocklistManager *
gn_application_get_blocklists (GnApplication *self)
{
  g_return_val_if_fail (GN_IS_APPLICATION (self), NULL);
  return self->blocklists;
}

GnBlockNotifier *
gn_application_get_block_notifier (GnApplication *self)
{
  g_return_val_if_fail (GN_IS_APPLICATION (self), NULL);
  return self->notifier;
}

/* (nullable): the tray icon, NULL after shutdown. */
GnTray *
gn_application_get_tray (GnApplication *self)
{
  g_return_val_if_fail (GN_IS_APPLICATION (self), NULL);
  return self->tray;
}
