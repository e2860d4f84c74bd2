/* gn-session.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * GnSession (see gn-session.h): the composition root of the application
 * core. It owns the settings store, the engine, the OS proxy guard, the
 * protection controller and the blocklists, and wires them:
 *
 *   blocklists "blocklist-changed"  → the engine swaps the rule set in,
 *                                     and protection learns how many
 *                                     rules block (and, with none, why:
 *                                     the sources' updating/last-error);
 *   protection "notify::state"      → list downloads leave the way the
 *                                     engine's traffic does (the upstream);
 *   protection "notify::enabled"    → saved, with REMEMBER_PROTECTION;
 *   shutdown watch "shutdown"       → "shutdown", or "reload" for SIGHUP
 *                                     when the front end can reload;
 *   history "warning"               → "message" (a damaged history file,
 *                                     a failed write).
 *
 * The engine names the program behind each connection from this machine
 * with a GnPeerLookup (gn-peer-lookup.h), installed at start up (unless
 * GN_SESSION_NO_APP_NAMES); the
 * records carry the names (GnConnectionInfo.app).
 *
 * The history store is created at start up (its retention from the
 * settings); the front ends feed it the registry batches they already
 * receive (gn_history_store_apply_batch()), so history costs no second
 * subscription. Shutting down flushes it.
 *
 * Threading: main thread only (see gn-session.h).
 */

#include <glib/gi18n.h>

#include "gn-error.h"
#include "gn-peer-lookup.h"
#include "gn-session.h"
#include "gn-shutdown-watch.h"
#include "gn-timed-rules.h"

struct _GnSession
{
  GObject             parent_instance;

  GnSessionFlags      flags;
  GnSettingsStore    *store;        /* (owned) */
  GnEngineConfig     *config;       /* (owned) the base configuration */
  GnShutdownWatch    *watch;        /* (owned) */
  GnEngine           *engine;       /* (owned) (nullable) before start up */
  GnOsProxyGuard     *guard;        /* (owned) (nullable) */
  GnProtection       *protection;   /* (owned) (nullable) before start up */
  GnBlocklistManager *blocklists;   /* (owned) (nullable) */
  GnTimedRules       *timed;        /* (owned) (nullable) before start up */
  GnHistoryStore     *history;      /* (owned) (nullable) before start up */
  GnBlocklist        *rules;        /* (owned) (nullable) the rules in force unless paused */
  char              **local_files;  /* (owned) (nullable) */
  GCancellable       *cancellable;  /* (owned) */
  gboolean            shutting_down;
  gboolean            lists_built;  /* a rule set was built from the lists */
};

G_DEFINE_FINAL_TYPE (GnSession, gn_session, G_TYPE_OBJECT)

enum {
  MESSAGE,
  SHUTDOWN,
  RELOAD,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

static void
say (GnSession  *self,
     const char *text)
{
  if (text != NULL && *text != '\0')
    g_signal_emit (self, signals[MESSAGE], 0, text);
}

static void
shutdown_cb (GnShutdownWatch *watch,
             const char      *reason,
             GnSession       *self)
{
  /* The daemon convention, for a front end that can reload. */
  if (g_strcmp0 (reason, "SIGHUP") == 0 &&
      g_signal_has_handler_pending (self, signals[RELOAD], 0, TRUE))
    {
      g_signal_emit (self, signals[RELOAD], 0);
      return;
    }
  g_signal_emit (self, signals[SHUTDOWN], 0, reason);
}

static void
gn_session_dispose (GObject *object)
{
  GnSession *self = (GnSession *) object;

  g_cancellable_cancel (self->cancellable);
  if (self->watch != NULL)
    g_signal_handlers_disconnect_by_data (self->watch, self);
  if (self->protection != NULL)
    g_signal_handlers_disconnect_by_data (self->protection, self);
  if (self->blocklists != NULL)
    g_signal_handlers_disconnect_by_data (self->blocklists, self);
  if (self->timed != NULL)
    g_signal_handlers_disconnect_by_data (self->timed, self);
  g_clear_object (&self->timed);
  if (self->history != NULL)
    g_signal_handlers_disconnect_by_data (self->history, self);
  g_clear_object (&self->history);
  g_clear_pointer (&self->rules, gn_blocklist_unref);
  g_clear_object (&self->blocklists);
  g_clear_object (&self->protection);
  g_clear_object (&self->guard);
  g_clear_object (&self->engine);
  g_clear_object (&self->watch);

  G_OBJECT_CLASS (gn_session_parent_class)->dispose (object);
}

static void
gn_session_finalize (GObject *object)
{
  GnSession *self = (GnSession *) object;

  g_clear_object (&self->store);
  g_clear_pointer (&self->config, gn_engine_config_unref);
  g_clear_pointer (&self->local_files, g_strfreev);
  g_clear_object (&self->cancellable);

  G_OBJECT_CLASS (gn_session_parent_class)->finalize (object);
}

static void
gn_session_class_init (GnSessionClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = gn_session_dispose;
  object_class->finalize = gn_session_finalize;

  signals[MESSAGE] = g_signal_new ("message", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                                   0, NULL, NULL, NULL, G_TYPE_NONE, 1, G_TYPE_STRING);
  signals[SHUTDOWN] = g_signal_new ("shutdown", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                                    0, NULL, NULL, NULL, G_TYPE_NONE, 1, G_TYPE_STRING);
  signals[RELOAD] = g_signal_new ("reload", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                                  0, NULL, NULL, NULL, G_TYPE_NONE, 0);
}

static void
gn_session_init (GnSession *self)
{
  self->cancellable = g_cancellable_new ();
}

GnSession *
gn_session_new (GnSessionFlags  flags,
                const char     *settings_path)
{
  GnSession *self = g_object_new (GN_TYPE_SESSION, NULL);

  self->flags = flags;
  self->store = gn_settings_store_new (settings_path);
  self->config = gn_settings_store_dup_config (self->store);
  /* First of all: a SIGTERM sent while we start (a service manager, a
   * script) must stop us gracefully, never in the middle of repairing the
   * system proxy settings. */
  self->watch = gn_shutdown_watch_new ();
  g_signal_connect (self->watch, "shutdown", G_CALLBACK (shutdown_cb), self);
  return self;
}

void
gn_session_load_settings (GnSession *self)
{
  g_autoptr(GError) error = NULL;

  g_return_if_fail (GN_IS_SESSION (self));

  if (!gn_settings_store_load (self->store, &error))
    say (self, error->message);
  g_clear_pointer (&self->config, gn_engine_config_unref);
  self->config = gn_settings_store_dup_config (self->store);
  if (self->protection != NULL)
    gn_protection_set_base_config (self->protection, self->config);
  if (self->history != NULL)
    gn_history_store_set_retention_days (self->history,
                                         gn_settings_store_get_history_days (self->store));
}

GnEngineConfig *
gn_session_dup_config (GnSession *self)
{
  g_return_val_if_fail (GN_IS_SESSION (self), NULL);
  return gn_engine_config_ref (self->config);
}

gboolean
gn_session_set_config (GnSession       *self,
                       GnEngineConfig  *config,
                       gboolean         save,
                       GError         **error)
{
  g_return_val_if_fail (GN_IS_SESSION (self), FALSE);
  g_return_val_if_fail (config != NULL, FALSE);

  if (config->allow_non_loopback && !(self->flags & GN_SESSION_ALLOW_REMOTE))
    {
      g_set_error (error, GN_ERROR, GN_ERROR_NOT_LOOPBACK,
                   _("Refusing to let other computers use the proxy on %s: only "
                     "“guardnest --headless --listen ADDRESS --allow-remote” can do that."),
                   config->bind_address ? config->bind_address : "");
      return FALSE;
    }
  if (!gn_engine_config_validate (config, error))
    return FALSE;
  gn_engine_config_unref (self->config);
  self->config = gn_engine_config_ref (config);
  if (self->protection != NULL)
    gn_protection_set_base_config (self->protection, config);
  if (!save)
    return TRUE;
  gn_settings_store_set_config (self->store, config);
  return gn_settings_store_save (self->store, error);
}

/* ---- wiring ---- */

static guint64
n_blocking_rules (GnBlocklist *blocklist)
{
  if (blocklist == NULL)
    return 0;
  return gn_blocklist_get_n_rules (blocklist) - gn_blocklist_get_n_allow_rules (blocklist);
}

/* What "on" means now: how many rules block and, when none, why. Told to
 * protection, which shows it and says it in the log. */
static void
update_rules (GnSession *self)
{
  g_autoptr(GnBlocklist) blocklist = NULL;
  GnRulesState state = GN_RULES_IN_FORCE;
  g_autofree char *reason = NULL;
  guint64 n_rules;

  if (self->engine == NULL || self->protection == NULL)
    return;
  /* The rules in force unless paused (a pause says so on its own). */
  blocklist = self->rules != NULL ? gn_blocklist_ref (self->rules) : NULL;
  n_rules = n_blocking_rules (blocklist);

  if (n_rules == 0 && self->blocklists != NULL)
    {
      GListModel *sources = gn_blocklist_manager_get_sources (self->blocklists);
      gboolean any_on = FALSE, updating = FALSE, cached = FALSE;

      for (guint i = 0; i < g_list_model_get_n_items (sources); i++)
        {
          g_autoptr(GnBlocklistSource) s = g_list_model_get_item (sources, i);

          if (!gn_blocklist_source_get_enabled (s))
            continue;
          any_on = TRUE;
          updating |= gn_blocklist_source_get_updating (s);
          cached |= gn_blocklist_source_get_entries (s) > 0;
          if (reason == NULL && gn_blocklist_source_get_last_error (s) != NULL)
            reason = g_strdup_printf ("%s: %s", gn_blocklist_source_get_name (s),
                                      gn_blocklist_source_get_last_error (s));
        }
      if (!any_on)
        state = GN_RULES_ALL_OFF;
      else if (updating)
        state = GN_RULES_DOWNLOADING;
      else if (cached && !self->lists_built)
        state = GN_RULES_LOADING;
      else
        state = GN_RULES_NOT_DOWNLOADED;
    }
  else if (n_rules == 0)
    state = GN_RULES_ALL_OFF;

  gn_protection_set_rules (self->protection, n_rules, state, reason);
}

/* The rules the engine gets: none while paused. */
static void
apply_rules (GnSession *self)
{
  gint64 paused = self->timed != NULL ? gn_timed_rules_get_paused_until (self->timed) : 0;

  if (paused != 0)
    {
      g_autoptr(GnBlocklist) none = gn_blocklist_new_empty ();

      gn_engine_set_blocklist (self->engine, none);
    }
  else if (self->rules != NULL)
    gn_engine_set_blocklist (self->engine, self->rules);
  if (self->protection != NULL)
    gn_protection_set_paused_until (self->protection, paused);
  update_rules (self);
}

static void
set_rules (GnSession   *self,
           GnBlocklist *blocklist)
{
  g_clear_pointer (&self->rules, gn_blocklist_unref);
  self->rules = gn_blocklist_ref (blocklist);
  apply_rules (self);
}

static void
blocklist_changed_cb (GnBlocklistManager *manager,
                      GnBlocklist        *blocklist,
                      GnSession          *self)
{
  self->lists_built = TRUE;
  set_rules (self, blocklist);
}

/* A pause or a timed allow began or ended. */
static void
timed_changed_cb (GnSession *self)
{
  if (self->blocklists != NULL)
    {
      g_auto(GStrv) allowed = gn_timed_rules_dup_allowed (self->timed);

      gn_blocklist_manager_set_temporary_allow (self->blocklists, (const char * const *) allowed);
    }
  apply_rules (self);
}

static void
sources_changed_cb (GListModel *sources,
                    guint       position,
                    guint       removed,
                    guint       added,
                    GnSession  *self)
{
  for (guint i = position; i < position + added; i++)
    {
      g_autoptr(GnBlocklistSource) s = g_list_model_get_item (sources, i);

      g_signal_connect_object (s, "notify::updating", G_CALLBACK (update_rules), self, G_CONNECT_SWAPPED);
      g_signal_connect_object (s, "notify::enabled", G_CALLBACK (update_rules), self, G_CONNECT_SWAPPED);
      g_signal_connect_object (s, "notify::last-error", G_CALLBACK (update_rules), self, G_CONNECT_SWAPPED);
    }
  update_rules (self);
}

/* List downloads leave the way the engine's traffic does: through the
 * user's own (company) proxy when there is one. */
static void
upstream_changed_cb (GnSession *self)
{
  g_autoptr(GnEngineConfig) config = NULL;
  g_autofree char *uri = NULL;

  if (self->blocklists == NULL)
    return;
  config = gn_engine_dup_config (self->engine);
  uri = gn_engine_config_dup_upstream_uri (config);
  gn_blocklist_manager_set_upstream (self->blocklists, uri);
}

static void
enabled_changed_cb (GnSession *self)
{
  g_autoptr(GError) error = NULL;

  /* Quitting turns protection off without changing what was saved. */
  if (self->shutting_down || !(self->flags & GN_SESSION_REMEMBER_PROTECTION))
    return;
  gn_settings_store_set_protection (self->store, gn_protection_get_enabled (self->protection));
  if (!gn_settings_store_save (self->store, &error))
    gn_protection_report (self->protection, error->message);
}

static GnBlocklist *
read_local_files (GnSession  *self,
                  GError    **error)
{
  return gn_blocklist_new_from_files ((const char * const *) self->local_files, error);
}

static void
repair (GnSession *self)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *message = NULL;
  GnOsProxyRestoreFlags flags = 0;
  GnOsProxy *backend = gn_os_proxy_guard_get_backend (self->guard);

  if (!gn_os_proxy_is_managed (backend))
    {
      g_autofree char *why = g_strdup_printf (_("The system proxy is not managed here: %s"),
                                              gn_os_proxy_get_unmanaged_reason (backend));
      say (self, why);
      return;
    }
  /* A crash may have left the system pointed at a proxy that is gone. */
  if (!gn_os_proxy_guard_repair (self->guard, &flags, &message, &error))
    say (self, error->message);
  else if (flags != GN_OS_PROXY_RESTORE_NOTHING)
    say (self, message);
}

gboolean
gn_session_start_up (GnSession           *self,
                     const char * const  *local_blocklists,
                     GError             **error)
{
  g_autoptr(GError) local_error = NULL;

  g_return_val_if_fail (GN_IS_SESSION (self), FALSE);
  g_return_val_if_fail (self->engine == NULL, FALSE);

  if (local_blocklists != NULL && local_blocklists[0] != NULL)
    {
      g_autoptr(GnBlocklist) blocklist = NULL;

      self->local_files = g_strdupv ((char **) local_blocklists);
      blocklist = read_local_files (self, error);
      if (blocklist == NULL)
        return FALSE;
      self->engine = gn_engine_new (self->config);
      self->rules = gn_blocklist_ref (blocklist);
    }
  else
    {
      self->engine = gn_engine_new (self->config);
      /* Lists from the cache first (no network), then the schedule. */
      self->blocklists = gn_blocklist_manager_new (NULL, NULL);
      /* Never-downloaded lists are fetched right after load; the test
       * suites set GN_BLOCKLIST_DOWNLOAD_MISSING=0 so that starting an app
       * never reaches the real default lists. */
      if (g_strcmp0 (g_getenv ("GN_BLOCKLIST_DOWNLOAD_MISSING"), "0") == 0)
        g_object_set (self->blocklists, "download-missing", FALSE, NULL);
      g_signal_connect (self->blocklists, "blocklist-changed",
                        G_CALLBACK (blocklist_changed_cb), self);
      if (!gn_blocklist_manager_load (self->blocklists, &local_error))
        say (self, local_error->message);
      g_clear_error (&local_error);
      self->rules = gn_blocklist_ref (gn_blocklist_manager_get_blocklist (self->blocklists));
    }

  if (!(self->flags & GN_SESSION_NO_APP_NAMES))
    {
      g_autoptr(GnPeerLookup) apps = gn_peer_lookup_new ();

      gn_engine_set_peer_identifier (self->engine, GN_PEER_IDENTIFIER (apps));
    }

  if (self->flags & GN_SESSION_SYSTEM_PROXY)
    {
      g_autoptr(GnOsProxy) backend = gn_os_proxy_new_for_desktop ();

      self->guard = gn_os_proxy_guard_new (backend, NULL);
    }
  self->protection = gn_protection_new (self->engine, self->guard);
  gn_protection_set_base_config (self->protection, self->config);

  /* Statistics that outlived the last run, and this run's. */
  self->history = gn_history_store_new (NULL);
  gn_history_store_set_retention_days (self->history,
                                       gn_settings_store_get_history_days (self->store));
  g_signal_connect_swapped (self->history, "warning", G_CALLBACK (say), self);

  /* Pauses and timed allows that outlived the last run. */
  self->timed = gn_timed_rules_new (NULL);
  g_signal_connect_swapped (self->timed, "changed", G_CALLBACK (timed_changed_cb), self);
  if (!gn_timed_rules_load (self->timed, &local_error))
    say (self, local_error->message);
  timed_changed_cb (self);
  upstream_changed_cb (self);
  g_signal_connect_swapped (self->protection, "notify::enabled",
                            G_CALLBACK (enabled_changed_cb), self);
  /* Turning protection on may find the user's company proxy. */
  g_signal_connect_swapped (self->protection, "notify::state",
                            G_CALLBACK (upstream_changed_cb), self);

  if (self->blocklists != NULL)
    {
      GListModel *sources = gn_blocklist_manager_get_sources (self->blocklists);

      g_signal_connect_object (sources, "items-changed", G_CALLBACK (sources_changed_cb), self, 0);
      sources_changed_cb (sources, 0, 0, g_list_model_get_n_items (sources), self);
    }
  else
    update_rules (self);

  if (self->guard != NULL)
    repair (self);

  /* Come back in the state the user left. */
  if ((self->flags & GN_SESSION_REMEMBER_PROTECTION) &&
      gn_settings_store_get_protection (self->store))
    gn_protection_set_enabled (self->protection, TRUE);
  return TRUE;
}

static void
refresh_cb (GObject      *source,
            GAsyncResult *result,
            gpointer      user_data)
{
  g_autoptr(GnSession) self = user_data;
  g_autoptr(GError) error = NULL;
  g_autofree char *summary = gn_blocklist_manager_refresh_finish (GN_BLOCKLIST_MANAGER (source),
                                                                  result, &error);

  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;
  say (self, summary != NULL ? summary : error->message);
}

void
gn_session_reload_lists (GnSession *self)
{
  g_return_if_fail (GN_IS_SESSION (self));
  g_return_if_fail (self->engine != NULL);

  {
    g_autoptr(GError) error = NULL;

    /* Another instance (the window) may have paused or allowed meanwhile. */
    if (!gn_timed_rules_load (self->timed, &error))
      say (self, error->message);
  }
  if (self->local_files != NULL)
    {
      g_autoptr(GError) error = NULL;
      g_autoptr(GnBlocklist) blocklist = read_local_files (self, &error);
      g_autofree char *line = NULL;
      gsize n_rules;

      /* A list that went bad keeps the rules in force. */
      if (blocklist == NULL)
        {
          line = g_strdup_printf (_("The blocklists were not reloaded, the previous rules stay: %s"),
                                  error->message);
          say (self, line);
          return;
        }
      set_rules (self, blocklist);
      n_rules = gn_blocklist_get_n_rules (blocklist);
      line = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "Blocklists reloaded: %lu rule",
                                           "Blocklists reloaded: %lu rules", n_rules),
                              (gulong) n_rules);
      say (self, line);
      update_rules (self);
      return;
    }
  gn_blocklist_manager_refresh_async (self->blocklists, NULL, self->cancellable,
                                      refresh_cb, g_object_ref (self));
}

/* What was recorded reaches the disk before we stop. */
static void
flush_history (GnSession *self)
{
  g_autoptr(GError) error = NULL;

  if (self->history != NULL && !gn_history_store_sync (self->history, &error))
    say (self, error->message);
}

gboolean
gn_session_shut_down (GnSession *self)
{
  gboolean restored = TRUE;

  g_return_val_if_fail (GN_IS_SESSION (self), FALSE);

  self->shutting_down = TRUE;
  g_cancellable_cancel (self->cancellable);
  flush_history (self);
  if (self->protection != NULL)
    restored = gn_protection_shut_down (self->protection);
  /* Restored: logind may go on with the shutdown. */
  gn_shutdown_watch_release_inhibitor (self->watch);
  return restored;
}

static void
shut_down_cb (GObject      *source,
              GAsyncResult *result,
              gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  GnSession *self = g_task_get_source_object (task);
  gboolean restored = gn_protection_shut_down_finish (GN_PROTECTION (source), result);

  gn_shutdown_watch_release_inhibitor (self->watch);
  g_task_return_boolean (task, restored);
}

/* The window's Quit: like gn_session_shut_down(), but the drain runs while
 * the main loop does, so the window can show it. */
void
gn_session_shut_down_async (GnSession           *self,
                            GAsyncReadyCallback  callback,
                            gpointer             user_data)
{
  GTask *task;

  g_return_if_fail (GN_IS_SESSION (self));

  task = g_task_new (self, NULL, callback, user_data);
  g_task_set_source_tag (task, gn_session_shut_down_async);
  flush_history (self);
  self->shutting_down = TRUE;
  g_cancellable_cancel (self->cancellable);
  if (self->protection == NULL)
    {
      g_task_return_boolean (task, TRUE);
      g_object_unref (task);
      return;
    }
  gn_protection_shut_down_async (self->protection, shut_down_cb, task);
}

gboolean
gn_session_shut_down_finish (GnSession     *self,
                             GAsyncResult  *result)
{
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);
  return g_task_propagate_boolean (G_TASK (result), NULL);
}

GnSettingsStore *
gn_session_get_store (GnSession *self)
{
  g_return_val_if_fail (GN_IS_SESSION (self), NULL);
  return self->store;
}

GnEngine *
gn_session_get_engine (GnSession *self)
{
  g_return_val_if_fail (GN_IS_SESSION (self), NULL);
  return self->engine;
}

GnProtection *
gn_session_get_protection (GnSession *self)
{
  g_return_val_if_fail (GN_IS_SESSION (self), NULL);
  return self->protection;
}

GnBlocklistManager *
gn_session_get_blocklists (GnSession *self)
{
  g_return_val_if_fail (GN_IS_SESSION (self), NULL);
  return self->blocklists;
}

GnTimedRules *
gn_session_get_timed_rules (GnSession *self)
{
  g_return_val_if_fail (GN_IS_SESSION (self), NULL);
  return self->timed;
}

GnOsProxyGuard *
gn_session_get_guard (GnSession *self)
{
  g_return_val_if_fail (GN_IS_SESSION (self), NULL);
  return self->guard;
}

GnHistoryStore *
gn_session_get_history (GnSession *self)
{
  g_return_val_if_fail (GN_IS_SESSION (self), NULL);
  return self->history;
}

gboolean
gn_session_set_history_days (GnSession  *self,
                             guint       days,
                             GError    **error)
{
  g_return_val_if_fail (GN_IS_SESSION (self), FALSE);

  gn_settings_store_set_history_days (self->store, days);
  if (self->history != NULL)
    gn_history_store_set_retention_days (self->history,
                                         gn_settings_store_get_history_days (self->store));
  return gn_settings_store_save (self->store, error);
}
