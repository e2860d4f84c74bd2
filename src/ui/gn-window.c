/* gn-window.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The main window: the header bar (Protection switch, Restart, the page
 * switcher, the primary menu), the status line with its next step, and the
 * four pages in a GtkStack. The window owns no data: the models live in
 * GnApplication (so they keep counting while the window is closed) and the
 * pages are handed them here. Every command is a GAction: app.* ones in
 * GnApplication, the page commands (win.find, win.close-connection, …) below,
 * each enabled only when it can act.
 *
 * Threading: main thread only.
 */

#include <glib/gi18n.h>

#include "gn-blocked-page.h"
#include "gn-blocklists-page.h"
#include "gn-connections-page.h"
#include "gn-overview-page.h"
#include "gn-source-row.h"
#include "gn-window.h"

#define RESULT_SECONDS 8

struct _GnWindow
{
  GtkApplicationWindow  parent_instance;

  GnApplication        *app;            /* (unowned) outlives the window */
  GnProtection         *protection;     /* (owned) */
  GSettings            *settings;       /* (owned) */
  guint                 result_timeout;

  /* template */
  GtkWidget            *protection_switch;
  GtkLabel             *protection_label;
  GtkWidget            *restart_button;
  GtkStack             *restart_stack;
  GtkSpinner           *restart_spinner;
  GtkWidget            *status_bar;
  GtkImage             *status_icon;
  GtkLabel             *status_label;
  GtkLabel             *hint_label;
  GtkLabel             *result_label;
  GtkWidget            *retry_button;
  GtkWidget            *lists_retry_button;
  GtkWidget            *prefs_button;
  GtkStack             *stack;
  GnOverviewPage       *overview_page;
  GnConnectionsPage    *connections_page;
  GnBlockedPage        *blocked_page;
  GnBlocklistsPage     *blocklists_page;
};

G_DEFINE_FINAL_TYPE (GnWindow, gn_window, GTK_TYPE_APPLICATION_WINDOW)

static void
set_action_enabled (GnWindow   *self,
                    const char *name,
                    gboolean    enabled)
{
  GAction *action = g_action_map_lookup_action (G_ACTION_MAP (self), name);

  g_simple_action_set_enabled (G_SIMPLE_ACTION (action), enabled);
}

/* ---- status line ---- */

static gboolean
clear_result_cb (gpointer user_data)
{
  GnWindow *self = user_data;

  self->result_timeout = 0;
  gtk_label_set_text (self->result_label, "");
  return G_SOURCE_REMOVE;
}

static void
update_status (GnWindow *self)
{
  GnProtectionState state = gn_protection_get_state (self->protection);
  const char *hint = gn_protection_get_hint (self->protection);
  gboolean busy = state == GN_PROTECTION_STARTING || state == GN_PROTECTION_RESTARTING;
  /* On, but no rule in force: not the green "protecting" look. */
  gboolean idle = state == GN_PROTECTION_ON && !gn_protection_get_blocking (self->protection);

  gtk_label_set_text (self->status_label, gn_protection_get_status_text (self->protection));
  /* The switch's state in words, next to it. */
  gtk_label_set_text (self->protection_label, gn_protection_get_enabled (self->protection)
                                              ? _("Protection on") : _("Protection off"));
  gtk_label_set_text (self->hint_label, hint ? hint : "");
  gtk_widget_set_visible (GTK_WIDGET (self->hint_label), hint != NULL);

  gtk_widget_remove_css_class (self->status_bar, "on");
  gtk_widget_remove_css_class (self->status_bar, "error");
  gtk_widget_remove_css_class (self->status_bar, "busy");
  gtk_widget_remove_css_class (self->status_bar, "warning");
  if (idle)
    gtk_widget_add_css_class (self->status_bar, "warning");
  else if (state == GN_PROTECTION_ON)
    gtk_widget_add_css_class (self->status_bar, "on");
  else if (state == GN_PROTECTION_ERROR)
    gtk_widget_add_css_class (self->status_bar, "error");
  else if (busy)
    gtk_widget_add_css_class (self->status_bar, "busy");

  gtk_image_set_from_icon_name (self->status_icon,
                                state == GN_PROTECTION_ERROR ? "dialog-error-symbolic"
                                : idle ? "dialog-warning-symbolic"
                                : state == GN_PROTECTION_OFF ? "action-unavailable-symbolic"
                                : "io.github.guardnest.GuardNest-symbolic");

  /* In an error the status line already says what the result would. */
  gtk_widget_set_visible (GTK_WIDGET (self->result_label), state != GN_PROTECTION_ERROR);
  gtk_widget_set_visible (self->retry_button, state == GN_PROTECTION_ERROR);
  gtk_widget_set_visible (self->lists_retry_button,
                          idle && gn_protection_get_rules_state (self->protection) == GN_RULES_NOT_DOWNLOADED);
  gtk_widget_set_visible (self->restart_button, state != GN_PROTECTION_ERROR);
  gtk_widget_set_visible (self->prefs_button, state == GN_PROTECTION_ERROR);

  gtk_stack_set_visible_child_name (self->restart_stack, busy ? "busy" : "icon");
  gtk_spinner_set_spinning (self->restart_spinner, busy);
}

/* The words next to the switch need about 110 px that the header bar has
 * only when the window is wider than its smallest size (800 px). */
#define PROTECTION_LABEL_MIN_WIDTH 920

static void
width_changed_cb (GnWindow *self)
{
  int width, height;

  gtk_window_get_default_size (GTK_WINDOW (self), &width, &height);
  gtk_widget_set_visible (GTK_WIDGET (self->protection_label),
                          width >= PROTECTION_LABEL_MIN_WIDTH ||
                          gtk_window_is_maximized (GTK_WINDOW (self)));
}

static void
update_result (GnWindow *self)
{
  const char *result = gn_protection_get_last_result (self->protection);

  g_clear_handle_id (&self->result_timeout, g_source_remove);
  gtk_label_set_text (self->result_label, result ? result : "");
  if (result != NULL)
    self->result_timeout = g_timeout_add_seconds (RESULT_SECONDS, clear_result_cb, self);
}

/* ---- win.* actions ---- */

static void
find_activated (GSimpleAction *action,
                GVariant      *param,
                gpointer       user_data)
{
  GnWindow *self = user_data;

  if (gtk_stack_get_visible_child (self->stack) == GTK_WIDGET (self->blocked_page))
    gn_blocked_page_focus_search (self->blocked_page);
  else
    {
      gtk_stack_set_visible_child (self->stack, GTK_WIDGET (self->connections_page));
      gn_connections_page_focus_search (self->connections_page);
    }
}

static GnConnectionRegistry *
registry (GnWindow *self)
{
  return gn_engine_get_registry (gn_application_get_engine (self->app));
}

static void
close_connection_activated (GSimpleAction *action,
                            GVariant      *param,
                            gpointer       user_data)
{
  GnWindow *self = user_data;
  GnConnectionRow *row = gn_connections_page_get_selected (self->connections_page);

  if (row != NULL && !gn_connection_row_get_closed (row) && registry (self) != NULL)
    gn_connection_registry_close_by_id (registry (self), gn_connection_row_get_id (row));
}

static void
close_all_activated (GSimpleAction *action,
                     GVariant      *param,
                     gpointer       user_data)
{
  GnWindow *self = user_data;
  GListModel *rows = gn_connection_model_get_rows (gn_application_get_connections (self->app));
  GnConnectionRegistry *reg = registry (self);

  if (reg == NULL)
    return;
  for (guint i = 0; i < g_list_model_get_n_items (rows); i++)
    {
      g_autoptr(GnConnectionRow) row = g_list_model_get_item (rows, i);

      if (!gn_connection_row_get_closed (row))
        gn_connection_registry_close_by_id (reg, gn_connection_row_get_id (row));
    }
}

static void
pause_changed (GSimpleAction *action,
               GVariant      *state,
               gpointer       user_data)
{
  GnWindow *self = user_data;

  gn_connection_model_set_paused (gn_application_get_connections (self->app),
                                  g_variant_get_boolean (state));
  g_simple_action_set_state (action, state);
}

static void
allow_domain_activated (GSimpleAction *action,
                        GVariant      *param,
                        gpointer       user_data)
{
  GnWindow *self = user_data;
  GnBlockedRow *row = gn_blocked_page_get_selected (self->blocked_page);
  g_autoptr(GError) error = NULL;

  if (row == NULL)
    return;
  if (!gn_application_allow_domain (self->app, gn_blocked_row_get_domain (row), &error))
    {
      g_autofree char *text = g_strdup_printf (_("Could not allow %s: %s"),
                                               gn_blocked_row_get_domain (row), error->message);
      gtk_label_set_text (self->result_label, text);
      return;
    }
  gn_blocked_model_set_allowed (gn_application_get_blocked (self->app),
                                gn_blocked_row_get_domain (row), TRUE);
  set_action_enabled (self, "allow-domain", FALSE);
}

/* The selected domain for 10 minutes; blocked again by itself after. */
static void
allow_for_a_while_activated (GSimpleAction *action,
                             GVariant      *param,
                             gpointer       user_data)
{
  GnWindow *self = user_data;
  GnBlockedRow *row = gn_blocked_page_get_selected (self->blocked_page);
  g_autoptr(GError) error = NULL;
  g_autofree char *text = NULL;

  if (row == NULL)
    return;
  if (!gn_application_allow_domain_for (self->app, gn_blocked_row_get_domain (row), 10, &error))
    text = g_strdup_printf (_("Could not allow %s: %s"), gn_blocked_row_get_domain (row),
                            error->message);
  else
    text = g_strdup_printf (_("%s is allowed for 10 minutes"), gn_blocked_row_get_domain (row));
  gtk_label_set_text (self->result_label, text);
}

static void
copy_domain_activated (GSimpleAction *action,
                       GVariant      *param,
                       gpointer       user_data)
{
  GnWindow *self = user_data;
  GnBlockedRow *row = gn_blocked_page_get_selected (self->blocked_page);

  if (row != NULL)
    gdk_clipboard_set_text (gtk_widget_get_clipboard (GTK_WIDGET (self)),
                            gn_blocked_row_get_domain (row));
}

static void
clear_blocked_activated (GSimpleAction *action,
                         GVariant      *param,
                         gpointer       user_data)
{
  GnWindow *self = user_data;

  gn_blocked_model_clear (gn_application_get_blocked (self->app));
}

static void
show_page_activated (GSimpleAction *action,
                     GVariant      *param,
                     gpointer       user_data)
{
  gn_window_show_page (user_data, g_variant_get_string (param, NULL));
}

static const GActionEntry win_entries[] = {
  { "find", find_activated, NULL, NULL, NULL, { 0 } },
  { "close-connection", close_connection_activated, NULL, NULL, NULL, { 0 } },
  { "close-all", close_all_activated, NULL, NULL, NULL, { 0 } },
  { "pause-updates", NULL, NULL, "false", pause_changed, { 0 } },
  { "allow-domain", allow_domain_activated, NULL, NULL, NULL, { 0 } },
  { "allow-domain-for-a-while", allow_for_a_while_activated, NULL, NULL, NULL, { 0 } },
  { "copy-domain", copy_domain_activated, NULL, NULL, NULL, { 0 } },
  { "clear-blocked", clear_blocked_activated, NULL, NULL, NULL, { 0 } },
  { "show-page", show_page_activated, "s", NULL, NULL, { 0 } },
};

static void
connection_selection_changed (GnWindow *self)
{
  GnConnectionRow *row = gn_connections_page_get_selected (self->connections_page);

  set_action_enabled (self, "close-connection", row != NULL && !gn_connection_row_get_closed (row));
}

static void
blocked_selection_changed (GnWindow *self)
{
  GnBlockedRow *row = gn_blocked_page_get_selected (self->blocked_page);

  set_action_enabled (self, "allow-domain", row != NULL && !gn_blocked_row_get_allowed (row));
  set_action_enabled (self, "allow-domain-for-a-while",
                      row != NULL && !gn_blocked_row_get_allowed (row));
  set_action_enabled (self, "copy-domain", row != NULL);
}

static void
blocked_count_changed (GnWindow *self)
{
  GnBlockedModel *blocked = gn_application_get_blocked (self->app);

  set_action_enabled (self, "clear-blocked",
                      g_list_model_get_n_items (gn_blocked_model_get_rows (blocked)) > 0);
}

static void
open_count_changed (GnWindow *self)
{
  set_action_enabled (self, "close-all",
                      gn_connection_model_get_n_open (gn_application_get_connections (self->app)) > 0);
  connection_selection_changed (self);
}

static GtkWidget *
create_glance_row (gpointer item,
                   gpointer user_data)
{
  return gn_source_row_new (item, TRUE);
}

static void
lists_refreshed_cb (GnApplication *app,
                    const char    *summary,
                    gboolean       failed,
                    GnWindow      *self)
{
  gn_blocklists_page_set_result (self->blocklists_page, summary, failed);
}

/* ---- window state ---- */

static gboolean
gn_window_close_request (GtkWindow *window)
{
  GnWindow *self = GN_WINDOW (window);
  int width, height;

  gtk_window_get_default_size (window, &width, &height);
  g_settings_set_int (self->settings, "window-width", width);
  g_settings_set_int (self->settings, "window-height", height);
  g_settings_set_boolean (self->settings, "window-maximized", gtk_window_is_maximized (window));
  g_settings_set_string (self->settings, "visible-page",
                         gtk_stack_get_visible_child_name (self->stack));

  /* Protecting with a tray icon: hidden, not closed (asked once). */
  if (gn_application_close_window (self->app, window))
    return TRUE;

  return GTK_WINDOW_CLASS (gn_window_parent_class)->close_request (window);
}

static void
gn_window_dispose (GObject *object)
{
  GnWindow *self = (GnWindow *) object;

  g_clear_handle_id (&self->result_timeout, g_source_remove);
  if (self->protection != NULL)
    g_signal_handlers_disconnect_by_data (self->protection, self);
  if (self->app != NULL)
    {
      g_signal_handlers_disconnect_by_data (gn_application_get_blocked (self->app), self);
      g_signal_handlers_disconnect_by_data (gn_application_get_connections (self->app), self);
    }
  /* The pages' selections change while the template is torn down. */
  if (self->connections_page != NULL)
    g_signal_handlers_disconnect_by_data (gn_connections_page_get_shown (self->connections_page), self);
  if (self->blocked_page != NULL)
    g_signal_handlers_disconnect_by_data (gn_blocked_page_get_shown (self->blocked_page), self);
  gtk_widget_dispose_template (GTK_WIDGET (self), GN_TYPE_WINDOW);
  g_clear_object (&self->protection);
  g_clear_object (&self->settings);

  G_OBJECT_CLASS (gn_window_parent_class)->dispose (object);
}

static void
gn_window_class_init (GnWindowClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);
  GtkWindowClass *window_class = GTK_WINDOW_CLASS (klass);

  object_class->dispose = gn_window_dispose;
  window_class->close_request = gn_window_close_request;

  g_type_ensure (GN_TYPE_OVERVIEW_PAGE);
  g_type_ensure (GN_TYPE_CONNECTIONS_PAGE);
  g_type_ensure (GN_TYPE_BLOCKED_PAGE);
  g_type_ensure (GN_TYPE_BLOCKLISTS_PAGE);

  gtk_widget_class_set_template_from_resource (widget_class,
                                               "/io/github/guardnest/GuardNest/ui/gn-window.ui");
  gtk_widget_class_bind_template_child (widget_class, GnWindow, protection_switch);
  gtk_widget_class_bind_template_child (widget_class, GnWindow, protection_label);
  gtk_widget_class_bind_template_child (widget_class, GnWindow, restart_button);
  gtk_widget_class_bind_template_child (widget_class, GnWindow, restart_stack);
  gtk_widget_class_bind_template_child (widget_class, GnWindow, restart_spinner);
  gtk_widget_class_bind_template_child (widget_class, GnWindow, status_bar);
  gtk_widget_class_bind_template_child (widget_class, GnWindow, status_icon);
  gtk_widget_class_bind_template_child (widget_class, GnWindow, status_label);
  gtk_widget_class_bind_template_child (widget_class, GnWindow, hint_label);
  gtk_widget_class_bind_template_child (widget_class, GnWindow, result_label);
  gtk_widget_class_bind_template_child (widget_class, GnWindow, retry_button);
  gtk_widget_class_bind_template_child (widget_class, GnWindow, lists_retry_button);
  gtk_widget_class_bind_template_child (widget_class, GnWindow, prefs_button);
  gtk_widget_class_bind_template_child (widget_class, GnWindow, stack);
  gtk_widget_class_bind_template_child (widget_class, GnWindow, overview_page);
  gtk_widget_class_bind_template_child (widget_class, GnWindow, connections_page);
  gtk_widget_class_bind_template_child (widget_class, GnWindow, blocked_page);
  gtk_widget_class_bind_template_child (widget_class, GnWindow, blocklists_page);
}

static void
gn_window_init (GnWindow *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
  g_action_map_add_action_entries (G_ACTION_MAP (self), win_entries,
                                   G_N_ELEMENTS (win_entries), self);
}

GnWindow *
gn_window_new (GnApplication *app)
{
  GnWindow *self;
  g_autofree char *page = NULL;

  g_return_val_if_fail (GN_IS_APPLICATION (app), NULL);

  self = g_object_new (GN_TYPE_WINDOW, "application", app, NULL);
  self->app = app;
  self->settings = g_object_ref (gn_application_get_settings (app));
  self->protection = g_object_ref (gn_application_get_protection (app));

  gtk_window_set_default_size (GTK_WINDOW (self),
                               g_settings_get_int (self->settings, "window-width"),
                               g_settings_get_int (self->settings, "window-height"));
  if (g_settings_get_boolean (self->settings, "window-maximized"))
    gtk_window_maximize (GTK_WINDOW (self));

  gn_overview_page_set_stats (self->overview_page, gn_application_get_stats (app));
  gn_overview_page_set_history (self->overview_page,
                                gn_session_get_history (gn_application_get_session (app)));
  gn_overview_page_set_blocked (self->overview_page, gn_application_get_blocked (app));
  gn_top_apps_set_stats (gn_overview_page_get_top_apps (self->overview_page),
                         gn_application_get_app_stats (app));
  gn_overview_page_set_protection (self->overview_page, self->protection);
  gn_connections_page_set_model (self->connections_page, gn_application_get_connections (app));
  gn_connections_page_bind_settings (self->connections_page, self->settings);
  gn_blocked_page_set_model (self->blocked_page, gn_application_get_blocked (app));
  gn_blocklists_page_set_manager (self->blocklists_page, gn_application_get_blocklists (app));
  gn_overview_page_set_sources (self->overview_page,
                                gn_blocklist_manager_get_sources (gn_application_get_blocklists (app)),
                                create_glance_row, NULL);
  g_signal_connect_object (app, "lists-refreshed", G_CALLBACK (lists_refreshed_cb), self, 0);

  g_signal_connect_swapped (self->protection, "notify::status-text", G_CALLBACK (update_status), self);
  g_signal_connect_swapped (self->protection, "notify::hint", G_CALLBACK (update_status), self);
  g_signal_connect_swapped (self->protection, "notify::state", G_CALLBACK (update_status), self);
  g_signal_connect_swapped (self->protection, "notify::rules-state", G_CALLBACK (update_status), self);
  g_signal_connect_swapped (self->protection, "notify::enabled", G_CALLBACK (update_status), self);
  g_signal_connect (self, "notify::default-width", G_CALLBACK (width_changed_cb), NULL);
  g_signal_connect (self, "notify::maximized", G_CALLBACK (width_changed_cb), NULL);
  width_changed_cb (self);
  g_signal_connect_swapped (self->protection, "notify::last-result", G_CALLBACK (update_result), self);
  update_status (self);
  update_result (self);

  g_signal_connect_object (gn_connections_page_get_shown (self->connections_page), "notify::selected-item",
                           G_CALLBACK (connection_selection_changed), self, G_CONNECT_SWAPPED);
  g_signal_connect_object (gn_blocked_page_get_shown (self->blocked_page), "notify::selected-item",
                           G_CALLBACK (blocked_selection_changed), self, G_CONNECT_SWAPPED);
  g_signal_connect_swapped (gn_application_get_blocked (app), "notify::n-domains",
                            G_CALLBACK (blocked_count_changed), self);
  g_signal_connect_swapped (gn_application_get_connections (app), "notify::n-open",
                            G_CALLBACK (open_count_changed), self);
  connection_selection_changed (self);
  blocked_selection_changed (self);
  blocked_count_changed (self);
  open_count_changed (self);

  page = g_settings_get_string (self->settings, "visible-page");
  gn_window_show_page (self, page);

  return self;
}

void
gn_window_show_page (GnWindow   *self,
                     const char *name)
{
  g_return_if_fail (GN_IS_WINDOW (self));

  if (name != NULL && gtk_stack_get_child_by_name (self->stack, name) != NULL)
    gtk_stack_set_visible_child_name (self->stack, name);
}

GtkWidget *
gn_window_get_page (GnWindow   *self,
                    const char *name)
{
  g_return_val_if_fail (GN_IS_WINDOW (self), NULL);
  return gtk_stack_get_child_by_name (self->stack, name);
}

const char *
gn_window_get_status_text (GnWindow *self)
{
  g_return_val_if_fail (GN_IS_WINDOW (self), NULL);
  return gtk_label_get_text (self->status_label);
}
