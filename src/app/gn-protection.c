/* gn-protection.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * What the Protection switch means, in one object: "on" is the engine
 * running and the OS proxy pointed at it; "off" is the OS proxy restored and
 * the engine stopped. It turns the engine's status and errors into the
 * window's status line ("Protecting — 127.0.0.1:3000", "Off", "Starting…",
 * "Error: port 3000 is used by another program") and a next step the user
 * can take, so no error lives only in a log.
 *
 * The OS proxy goes through GnOsProxyGuard (snapshot → journal → apply, and
 * compare-and-clear on the way back), always after the engine is listening
 * and before it stops, so the system never points at a closed port. When
 * this desktop's proxy settings cannot be managed, or applying fails, the
 * proxy still runs and the hint says what to do by hand.
 *
 * The configuration the engine runs with is computed here at every start
 * and restart: the base configuration (what the user saved, or gave on the
 * command line) with the upstream decided by gn-upstream-policy.h from the
 * system's proxy settings, and the system's bypass list for the PAC
 * script. The window and the headless mode both go through this object, so
 * they always decide alike.
 *
 * "On" is only called "Protecting" when rules are in force: GnSession tells
 * this object the number of blocking rules and, when there are none, why
 * (lists downloading, not downloadable, all turned off), and the status
 * line says "Not blocking anything yet — …" instead.
 *
 * Starting is queued at G_PRIORITY_DEFAULT — above GTK's redraws, so a busy
 * or slow display can never hold it back — and restarting uses the
 * engine's asynchronous restart and reports how long it took. Lines worth
 * telling a user who has no window (the headless log) are emitted as
 * "message".
 *
 * Threading: main thread only (the engine's owner thread).
 */

#include <glib/gi18n.h>

#include "gn-compat.h"
#include "gn-protection-private.h"

G_DEFINE_FINAL_TYPE (GnProtection, gn_protection, G_TYPE_OBJECT)

static GParamSpec *properties[N_PROPS];

enum {
  MESSAGE,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

void
_gn_protection_say (GnProtection *self,
                    const char   *message)
{
  if (message != NULL && *message != '\0')
    g_signal_emit (self, signals[MESSAGE], 0, message);
}

void
_gn_protection_set_string (GnProtection  *self,
                           char         **field,
                           const char    *value,
                           guint          prop)
{
  if (gn_set_str (field, value))
    g_object_notify_by_pspec (G_OBJECT (self), properties[prop]);
}

static guint16
configured_port (GnProtection *self)
{
  g_autoptr(GnEngineConfig) config = gn_engine_dup_config (self->engine);

  return config != NULL ? config->port : 0;
}

static void
describe_error (GnProtection *self,
                const GError *error)
{
  g_autofree char *text = NULL;
  const char *hint;

  if (g_error_matches (error, GN_ERROR, GN_ERROR_ADDRESS_IN_USE))
    {
      text = g_strdup_printf (_("Error: port %u is used by another program"),
                              configured_port (self));
      hint = _("Close the other program, or choose another port in Preferences, then turn protection on again.");
    }
  else
    {
      text = g_strdup_printf (_("Error: %s"), error != NULL ? error->message : _("the proxy stopped"));
      if (g_error_matches (error, GN_ERROR, GN_ERROR_INVALID_CONFIG) ||
          g_error_matches (error, GN_ERROR, GN_ERROR_NOT_LOOPBACK))
        hint = _("Check the port in Preferences, then turn protection on again.");
      else
        hint = _("Turn protection off and on again; if it keeps failing, restart the computer.");
    }

  _gn_protection_set_string (self, &self->status_text, text, PROP_STATUS_TEXT);
  _gn_protection_set_string (self, &self->hint, hint, PROP_HINT);
}

static void
set_state (GnProtection      *self,
           GnProtectionState  state,
           const GError      *error)
{
  gboolean was_busy = self->state == GN_PROTECTION_STARTING || self->state == GN_PROTECTION_RESTARTING;
  gboolean busy = state == GN_PROTECTION_STARTING || state == GN_PROTECTION_RESTARTING;

  g_object_freeze_notify (G_OBJECT (self));

  g_clear_error (&self->error);
  if (state == GN_PROTECTION_ERROR)
    self->error = error != NULL ? g_error_copy (error)
                                : g_error_new_literal (GN_ERROR, GN_ERROR_FAILED, _("The proxy stopped"));

  switch (state)
    {
    case GN_PROTECTION_OFF:
      {
        guint n = gn_engine_get_n_draining (self->engine);
        g_autofree char *text = NULL;

        /* The system proxy is already back; the open connections finish. */
        if (n > 0)
          text = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "Off — closing %u connection…",
                                               "Off — closing %u connections…", n), n);
        _gn_protection_set_string (self, &self->status_text, text ? text : _("Off"), PROP_STATUS_TEXT);
        _gn_protection_set_string (self, &self->hint, _("To filter this computer’s web traffic, turn on the "
                                         "Protection switch at the top left (Ctrl+E)."), PROP_HINT);
      }
      break;
    case GN_PROTECTION_STARTING:
      _gn_protection_set_string (self, &self->status_text, _("Starting…"), PROP_STATUS_TEXT);
      _gn_protection_set_string (self, &self->hint, NULL, PROP_HINT);
      break;
    case GN_PROTECTION_RESTARTING:
      _gn_protection_set_string (self, &self->status_text, _("Restarting…"), PROP_STATUS_TEXT);
      _gn_protection_set_string (self, &self->hint, _("Open connections get a few seconds to finish."), PROP_HINT);
      break;
    case GN_PROTECTION_ON:
      {
        g_autoptr(GnEngineConfig) config = gn_engine_dup_config (self->engine);
        g_autofree char *text = NULL;
        g_autofree char *hint = NULL;
        const char *why = NULL;

        /* A pause the user asked for says so first. */
        if (self->paused_until != 0)
          {
            gint64 left = self->paused_until - g_get_real_time ();
            guint minutes = (guint) MAX ((left + 60 * G_USEC_PER_SEC - 1) / (60 * G_USEC_PER_SEC), 1);
            g_autoptr(GDateTime) end = g_date_time_new_from_unix_local (self->paused_until / G_USEC_PER_SEC);
            g_autofree char *at = end != NULL ? g_date_time_format (end, "%H:%M") : g_strdup ("?");
            g_autofree char *resume = g_strdup_printf (_("Blocking resumes by itself at %s; Resume "
                                                       "Protection ends the pause now."), at);

            text = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE,
                                                 "Paused — nothing is blocked for %u more minute",
                                                 "Paused — nothing is blocked for %u more minutes",
                                                 minutes), minutes);
            _gn_protection_set_string (self, &self->status_text, text, PROP_STATUS_TEXT);
            _gn_protection_set_string (self, &self->hint, resume, PROP_HINT);
            break;
          }
        switch (self->rules_state)
          {
          case GN_RULES_LOADING:
            text = g_strdup (_("Not blocking anything yet — loading lists…"));
            break;
          case GN_RULES_DOWNLOADING:
            text = g_strdup (_("Not blocking anything yet — downloading lists…"));
            why = _("Blocking starts as soon as a list has arrived.");
            break;
          case GN_RULES_NOT_DOWNLOADED:
            text = g_strdup (_("Not blocking anything yet — the lists could not be downloaded"));
            hint = g_strdup_printf (_("%s. Check the connection, then choose Retry."),
                                    self->rules_reason != NULL ? self->rules_reason
                                                               : _("No list has been downloaded"));
            break;
          case GN_RULES_ALL_OFF:
            text = g_strdup (_("Not blocking anything — every blocklist is turned off"));
            why = _("Turn a list on, or add your own rules, on the Blocklists page.");
            break;
          case GN_RULES_IN_FORCE:
          default:
            break;
          }
        if (text != NULL)
          {
            if (hint == NULL)
              hint = g_strdup_printf (_("The proxy runs on 127.0.0.1:%u. %s"),
                                      gn_engine_get_port (self->engine), why ? why : "");
            if (self->os_hint != NULL)
              {
                char *both = g_strconcat (hint, " ", self->os_hint, NULL);
                g_free (hint);
                hint = both;
              }
            g_strstrip (hint);
            _gn_protection_set_string (self, &self->status_text, text, PROP_STATUS_TEXT);
            _gn_protection_set_string (self, &self->hint, hint, PROP_HINT);
            break;
          }

        if (config->upstream_host != NULL)
          text = g_strdup_printf (_("Protecting — 127.0.0.1:%u, via your proxy %s:%u"),
                                  gn_engine_get_port (self->engine), config->upstream_host,
                                  config->upstream_port);
        else
          text = g_strdup_printf (_("Protecting — 127.0.0.1:%u"), gn_engine_get_port (self->engine));
        _gn_protection_set_string (self, &self->status_text, text, PROP_STATUS_TEXT);
        _gn_protection_set_string (self, &self->hint, self->os_hint, PROP_HINT);
      }
      break;
    case GN_PROTECTION_ERROR:
      describe_error (self, error);
      break;
    default:
      g_assert_not_reached ();
    }

  if (self->state != state)
    {
      self->state = state;
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_STATE]);
    }
  if (was_busy != busy)
    g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_BUSY]);

  g_object_thaw_notify (G_OBJECT (self));
}

/* One line for the log: the rules in force, or why there are none. */
char *
gn_protection_dup_rules_text (GnProtection *self)
{
  g_return_val_if_fail (GN_IS_PROTECTION (self), NULL);

  switch (self->rules_state)
    {
    case GN_RULES_LOADING:
      return g_strdup (_("Not blocking anything yet — loading lists…"));
    case GN_RULES_DOWNLOADING:
      return g_strdup (_("Not blocking anything yet — downloading lists…"));
    case GN_RULES_NOT_DOWNLOADED:
      return g_strdup_printf (_("Not blocking anything yet — the lists could not be downloaded (%s)"),
                              self->rules_reason ? self->rules_reason : _("no list has been downloaded"));
    case GN_RULES_ALL_OFF:
      return g_strdup (_("Not blocking anything — every blocklist is turned off"));
    case GN_RULES_IN_FORCE:
    default:
      return g_strdup_printf (g_dngettext (GETTEXT_PACKAGE,
                                           "Rules in force: %'" G_GUINT64_FORMAT " blocking rule",
                                           "Rules in force: %'" G_GUINT64_FORMAT " blocking rules",
                                           self->n_rules), self->n_rules);
    }
}

static gboolean
is_blocking (GnProtection *self)
{
  return self->state == GN_PROTECTION_ON && self->rules_state == GN_RULES_IN_FORCE;
}

void
gn_protection_set_rules (GnProtection *self,
                         guint64       n_rules,
                         GnRulesState  state,
                         const char   *reason)
{
  gboolean changed, n_changed;

  g_return_if_fail (GN_IS_PROTECTION (self));
  g_return_if_fail (state <= GN_RULES_ALL_OFF);

  if (state != GN_RULES_NOT_DOWNLOADED)
    reason = NULL;
  changed = self->rules_state != state || g_strcmp0 (self->rules_reason, reason) != 0;
  n_changed = self->n_rules != n_rules;

  g_object_freeze_notify (G_OBJECT (self));
  if (n_changed)
    {
      self->n_rules = n_rules;
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_N_RULES]);
    }
  if (changed)
    {
      g_free (self->rules_reason);
      self->rules_reason = g_strdup (reason);
      if (self->rules_state != state)
        {
          self->rules_state = state;
          g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_RULES_STATE]);
        }
      /* The status line says what "on" means now. */
      if (self->state == GN_PROTECTION_ON)
        set_state (self, GN_PROTECTION_ON, NULL);
    }
  if (changed || n_changed)
    {
      g_autofree char *line = gn_protection_dup_rules_text (self);
      _gn_protection_say (self, line);
    }
  g_object_thaw_notify (G_OBJECT (self));
}

guint64
gn_protection_get_n_rules (GnProtection *self)
{
  g_return_val_if_fail (GN_IS_PROTECTION (self), 0);
  return self->n_rules;
}

GnRulesState
gn_protection_get_rules_state (GnProtection *self)
{
  g_return_val_if_fail (GN_IS_PROTECTION (self), GN_RULES_IN_FORCE);
  return self->rules_state;
}

gboolean
gn_protection_get_blocking (GnProtection *self)
{
  g_return_val_if_fail (GN_IS_PROTECTION (self), FALSE);
  return is_blocking (self);
}

static void
set_enabled_flag (GnProtection *self,
                  gboolean      enabled)
{
  if (self->enabled == enabled)
    return;
  self->enabled = enabled;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_ENABLED]);
}

static gboolean
start_cb (gpointer user_data)
{
  GnProtection *self = user_data;
  g_autoptr(GError) error = NULL;

  self->start_id = 0;

  /* A company proxy the user had becomes the engine's way out, so turning
   * protection on does not cut them off. */
  _gn_protection_update_engine_config (self);

  if (!gn_engine_start (self->engine, &error))
    {
      set_state (self, GN_PROTECTION_ERROR, error);
      return G_SOURCE_REMOVE;
    }

  _gn_protection_apply_os_proxy (self);
  set_state (self, GN_PROTECTION_ON, NULL);
  return G_SOURCE_REMOVE;
}

/* The engine changed status on its own (it failed, or someone else
 * restarted it): keep the status line true. */
static void
engine_status_cb (GnProtection *self)
{
  GnEngineStatus status = gn_engine_get_status (self->engine);

  if (self->state == GN_PROTECTION_RESTARTING || self->state == GN_PROTECTION_STARTING)
    return;

  if (status == GN_ENGINE_STATUS_FAILED && self->enabled)
    {
      g_autoptr(GError) error = gn_engine_dup_error (self->engine);

      _gn_protection_restore_os_proxy (self);
      set_state (self, GN_PROTECTION_ERROR, error);
    }
  else if (status == GN_ENGINE_STATUS_RUNNING && self->enabled)
    set_state (self, GN_PROTECTION_ON, NULL);
}

static void
engine_draining_cb (GnProtection *self)
{
  if (self->state == GN_PROTECTION_OFF)
    set_state (self, GN_PROTECTION_OFF, NULL);
}

static void
gn_protection_dispose (GObject *object)
{
  GnProtection *self = (GnProtection *) object;

  g_cancellable_cancel (self->cancellable);
  g_clear_handle_id (&self->start_id, g_source_remove);
  g_clear_handle_id (&self->countdown_id, g_source_remove);
  if (self->engine != NULL)
    {
      g_clear_signal_handler (&self->status_id, self->engine);
      g_clear_signal_handler (&self->draining_id, self->engine);
    }
  if (self->guard != NULL)
    g_signal_handlers_disconnect_by_data (self->guard, self);

  G_OBJECT_CLASS (gn_protection_parent_class)->dispose (object);
}

static void
gn_protection_finalize (GObject *object)
{
  GnProtection *self = (GnProtection *) object;

  g_clear_object (&self->engine);
  g_clear_pointer (&self->base_config, gn_engine_config_unref);
  g_clear_object (&self->guard);
  g_clear_pointer (&self->os_hint, g_free);
  g_clear_object (&self->cancellable);
  g_clear_pointer (&self->status_text, g_free);
  g_clear_pointer (&self->hint, g_free);
  g_clear_pointer (&self->last_result, g_free);
  g_clear_pointer (&self->rules_reason, g_free);
  g_clear_error (&self->error);

  G_OBJECT_CLASS (gn_protection_parent_class)->finalize (object);
}

static void
gn_protection_get_property (GObject    *object,
                            guint       prop_id,
                            GValue     *value,
                            GParamSpec *pspec)
{
  GnProtection *self = GN_PROTECTION (object);

  switch (prop_id)
    {
    case PROP_ENGINE:
      g_value_set_object (value, self->engine);
      break;
    case PROP_GUARD:
      g_value_set_object (value, self->guard);
      break;
    case PROP_ENABLED:
      g_value_set_boolean (value, self->enabled);
      break;
    case PROP_STATE:
      g_value_set_enum (value, self->state);
      break;
    case PROP_STATUS_TEXT:
      g_value_set_string (value, self->status_text);
      break;
    case PROP_HINT:
      g_value_set_string (value, self->hint);
      break;
    case PROP_LAST_RESULT:
      g_value_set_string (value, self->last_result);
      break;
    case PROP_BUSY:
      g_value_set_boolean (value, self->state == GN_PROTECTION_STARTING ||
                                  self->state == GN_PROTECTION_RESTARTING);
      break;
    case PROP_N_RULES:
      g_value_set_uint64 (value, self->n_rules);
      break;
    case PROP_RULES_STATE:
      g_value_set_int (value, self->rules_state);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
gn_protection_set_property (GObject      *object,
                            guint         prop_id,
                            const GValue *value,
                            GParamSpec   *pspec)
{
  GnProtection *self = GN_PROTECTION (object);

  switch (prop_id)
    {
    case PROP_ENGINE:
      self->engine = g_value_dup_object (value);
      break;
    case PROP_GUARD:
      self->guard = g_value_dup_object (value);
      break;
    case PROP_ENABLED:
      gn_protection_set_enabled (self, g_value_get_boolean (value));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
gn_protection_constructed (GObject *object)
{
  GnProtection *self = (GnProtection *) object;

  G_OBJECT_CLASS (gn_protection_parent_class)->constructed (object);

  g_assert (GN_IS_ENGINE (self->engine));
  self->base_config = gn_engine_dup_config (self->engine);
  self->status_id = g_signal_connect_swapped (self->engine, "notify::status",
                                              G_CALLBACK (engine_status_cb), self);
  self->draining_id = g_signal_connect_swapped (self->engine, "notify::n-draining",
                                                G_CALLBACK (engine_draining_cb), self);
  if (self->guard != NULL)
    g_signal_connect (self->guard, "changed-by-other", G_CALLBACK (_gn_protection_changed_by_other_cb), self);
  set_state (self, GN_PROTECTION_OFF, NULL);
}

static void
gn_protection_class_init (GnProtectionClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  const GParamFlags ro = G_PARAM_READABLE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY;

  object_class->constructed = gn_protection_constructed;
  object_class->dispose = gn_protection_dispose;
  object_class->finalize = gn_protection_finalize;
  object_class->get_property = gn_protection_get_property;
  object_class->set_property = gn_protection_set_property;

  properties[PROP_ENGINE] =
    g_param_spec_object ("engine", NULL, NULL, GN_TYPE_ENGINE,
                         G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);
  properties[PROP_GUARD] =
    g_param_spec_object ("guard", NULL, NULL, GN_TYPE_OS_PROXY_GUARD,
                         G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);
  properties[PROP_ENABLED] =
    g_param_spec_boolean ("enabled", NULL, NULL, FALSE,
                          G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY);
  properties[PROP_STATE] = g_param_spec_enum ("state", NULL, NULL, GN_TYPE_PROTECTION_STATE,
                                              GN_PROTECTION_OFF, ro);
  properties[PROP_STATUS_TEXT] = g_param_spec_string ("status-text", NULL, NULL, NULL, ro);
  properties[PROP_HINT] = g_param_spec_string ("hint", NULL, NULL, NULL, ro);
  properties[PROP_LAST_RESULT] = g_param_spec_string ("last-result", NULL, NULL, NULL, ro);
  properties[PROP_BUSY] = g_param_spec_boolean ("busy", NULL, NULL, FALSE, ro);
  properties[PROP_N_RULES] = g_param_spec_uint64 ("n-rules", NULL, NULL, 0, G_MAXUINT64, 0, ro);
  properties[PROP_RULES_STATE] = g_param_spec_int ("rules-state", NULL, NULL, 0, GN_RULES_ALL_OFF,
                                                   GN_RULES_IN_FORCE, ro);

  g_object_class_install_properties (object_class, N_PROPS, properties);

  /**
   * GnProtection::message:
   * @text: one sentence for the user
   *
   * What happened that a user without a window should read in the log:
   * the upstream taken, the system proxy pointed here or put back,
   * another program changing it.
   */
  signals[MESSAGE] =
    g_signal_new ("message", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 1, G_TYPE_STRING);
}

static void
gn_protection_init (GnProtection *self)
{
  self->cancellable = g_cancellable_new ();
}

/* @guard: (nullable): the OS proxy guard, NULL to leave the OS alone. */
GnProtection *
gn_protection_new (GnEngine       *engine,
                   GnOsProxyGuard *guard)
{
  g_return_val_if_fail (GN_IS_ENGINE (engine), NULL);
  g_return_val_if_fail (guard == NULL || GN_IS_OS_PROXY_GUARD (guard), NULL);
  return g_object_new (GN_TYPE_PROTECTION, "engine", engine, "guard", guard, NULL);
}

GnOsProxyGuard *
gn_protection_get_guard (GnProtection *self)
{
  g_return_val_if_fail (GN_IS_PROTECTION (self), NULL);
  return self->guard;
}

GnEngine *
gn_protection_get_engine (GnProtection *self)
{
  g_return_val_if_fail (GN_IS_PROTECTION (self), NULL);
  return self->engine;
}

static void
stop_cb (GObject      *source,
         GAsyncResult *result,
         gpointer      user_data)
{
  g_autoptr(GnProtection) self = user_data;
  g_autoptr(GError) error = NULL;

  if (!gn_engine_stop_finish (GN_ENGINE (source), result, &error) &&
      g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;
  /* "Off — closing 3 connections…" becomes "Off". */
  if (self->state == GN_PROTECTION_OFF)
    set_state (self, GN_PROTECTION_OFF, NULL);
}

void
gn_protection_set_enabled (GnProtection *self,
                           gboolean      enabled)
{
  g_return_if_fail (GN_IS_PROTECTION (self));

  enabled = !!enabled;
  if (enabled == self->enabled &&
      (self->state != GN_PROTECTION_ERROR || !enabled))
    return;

  set_enabled_flag (self, enabled);
  _gn_protection_set_string (self, &self->last_result, NULL, PROP_LAST_RESULT);

  if (enabled)
    {
      if (self->start_id == 0)
        self->start_id = g_idle_add_full (G_PRIORITY_DEFAULT, start_cb, self, NULL);
      set_state (self, GN_PROTECTION_STARTING, NULL);
    }
  else
    {
      g_clear_handle_id (&self->start_id, g_source_remove);
      /* The OS first, so nothing is pointed at a closed port; the open
       * connections then drain in the background, never in this call. */
      _gn_protection_restore_os_proxy (self);
      gn_engine_stop_async (self->engine, self->cancellable, stop_cb, g_object_ref (self));
      set_state (self, GN_PROTECTION_OFF, NULL);
    }
}

gboolean
gn_protection_get_enabled (GnProtection *self)
{
  g_return_val_if_fail (GN_IS_PROTECTION (self), FALSE);
  return self->enabled;
}

GnProtectionState
gn_protection_get_state (GnProtection *self)
{
  g_return_val_if_fail (GN_IS_PROTECTION (self), GN_PROTECTION_OFF);
  return self->state;
}

const char *
gn_protection_get_status_text (GnProtection *self)
{
  g_return_val_if_fail (GN_IS_PROTECTION (self), NULL);
  return self->status_text;
}

const char *
gn_protection_get_hint (GnProtection *self)
{
  g_return_val_if_fail (GN_IS_PROTECTION (self), NULL);
  return self->hint;
}

const char *
gn_protection_get_last_result (GnProtection *self)
{
  g_return_val_if_fail (GN_IS_PROTECTION (self), NULL);
  return self->last_result;
}

static void
restart_cb (GObject      *source,
            GAsyncResult *result,
            gpointer      user_data)
{
  g_autoptr(GnProtection) self = user_data;
  g_autoptr(GError) error = NULL;
  g_autofree char *text = NULL;

  if (!gn_engine_restart_finish (GN_ENGINE (source), result, &error))
    {
      if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        return;
      if (gn_engine_get_status (self->engine) == GN_ENGINE_STATUS_RUNNING)
        {
          /* The running server was kept: still protecting, as before. */
          text = g_strdup_printf (_("Restart failed, still protecting on port %u: %s"),
                                  gn_engine_get_port (self->engine), error->message);
          _gn_protection_set_string (self, &self->last_result, text, PROP_LAST_RESULT);
          _gn_protection_say (self, text);
          set_state (self, GN_PROTECTION_ON, NULL);
          return;
        }
      /* Nothing listens now: never leave the system pointed at us. */
      _gn_protection_restore_os_proxy (self);
      text = g_strdup_printf (_("Restart failed: %s"), error->message);
      _gn_protection_set_string (self, &self->last_result, text, PROP_LAST_RESULT);
      _gn_protection_say (self, text);
      set_state (self, GN_PROTECTION_ERROR, error);
      return;
    }

  text = g_strdup_printf (_("Restarted in %.1f s"),
                          (g_get_monotonic_time () - self->restart_began) / (double) G_USEC_PER_SEC);
  _gn_protection_set_string (self, &self->last_result, text, PROP_LAST_RESULT);
  _gn_protection_say (self, text);
  /* The port may have changed (Preferences); the guard keeps its snapshot. */
  _gn_protection_apply_os_proxy (self);
  set_state (self, GN_PROTECTION_ON, NULL);
}

/* Shows a one-line message in the status line's result area. */
void
gn_protection_report (GnProtection *self,
                      const char   *message)
{
  g_return_if_fail (GN_IS_PROTECTION (self));
  _gn_protection_set_string (self, &self->last_result, message, PROP_LAST_RESULT);
}

/* Restarts the engine (drains open connections, binds again) and reports
 * the result in "last-result". Turns protection on if it was off. */
void
gn_protection_restart (GnProtection *self)
{
  g_return_if_fail (GN_IS_PROTECTION (self));

  if (self->state == GN_PROTECTION_RESTARTING || self->state == GN_PROTECTION_STARTING)
    return;

  if (!self->enabled || gn_engine_get_status (self->engine) != GN_ENGINE_STATUS_RUNNING)
    {
      /* Nothing to drain: a restart is a start. */
      set_enabled_flag (self, FALSE);
      gn_protection_set_enabled (self, TRUE);
      return;
    }

  _gn_protection_set_string (self, &self->last_result, NULL, PROP_LAST_RESULT);
  _gn_protection_update_engine_config (self);
  self->restart_began = g_get_monotonic_time ();
  set_state (self, GN_PROTECTION_RESTARTING, NULL);
  gn_engine_restart_async (self->engine, self->cancellable, restart_cb, g_object_ref (self));
}

/* The configuration the user chose (saved settings, or the command line's
 * on top of them); the engine gets it, with the upstream policy applied, at
 * the next start or restart. */
void
gn_protection_set_base_config (GnProtection   *self,
                               GnEngineConfig *config)
{
  g_return_if_fail (GN_IS_PROTECTION (self));
  g_return_if_fail (config != NULL);

  gn_engine_config_unref (self->base_config);
  self->base_config = gn_engine_config_ref (config);
}

GnEngineConfig *
gn_protection_dup_base_config (GnProtection *self)
{
  g_return_val_if_fail (GN_IS_PROTECTION (self), NULL);
  return gn_engine_config_ref (self->base_config);
}

/* Quitting, step one: the system proxy back, the switch off. Returns
 * FALSE when the user's proxy settings could not be put back. */
static gboolean
begin_shut_down (GnProtection *self)
{
  gboolean restored;

  g_clear_handle_id (&self->start_id, g_source_remove);
  restored = _gn_protection_restore_os_proxy (self);
  set_enabled_flag (self, FALSE);
  return restored;
}

/* Quitting from a signal or the end of the session: the system proxy back
 * first, then the engine stopped with its bounded drain (the only path
 * that blocks for it). Returns FALSE when the user's proxy settings could
 * not be put back. */
gboolean
gn_protection_shut_down (GnProtection *self)
{
  gboolean restored;

  g_return_val_if_fail (GN_IS_PROTECTION (self), FALSE);

  restored = begin_shut_down (self);
  g_cancellable_cancel (self->cancellable);
  gn_engine_stop (self->engine);
  set_state (self, GN_PROTECTION_OFF, NULL);
  return restored;
}

static void
shut_down_cb (GObject      *source,
              GAsyncResult *result,
              gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  GnProtection *self = g_task_get_source_object (task);

  gn_engine_stop_finish (GN_ENGINE (source), result, NULL);
  set_state (self, GN_PROTECTION_OFF, NULL);
  g_task_return_boolean (task, GPOINTER_TO_INT (g_task_get_task_data (task)));
}

/* Quitting from the window: the same, but the drain runs while the main
 * loop does, so the window can say "Off — closing 3 connections…". Done
 * when every connection is gone (bounded by the drain timeout). */
void
gn_protection_shut_down_async (GnProtection        *self,
                               GAsyncReadyCallback  callback,
                               gpointer             user_data)
{
  GTask *task;

  g_return_if_fail (GN_IS_PROTECTION (self));

  task = g_task_new (self, NULL, callback, user_data);
  g_task_set_source_tag (task, gn_protection_shut_down_async);
  g_task_set_task_data (task, GINT_TO_POINTER (begin_shut_down (self)), NULL);
  gn_engine_stop_async (self->engine, NULL, shut_down_cb, task);
  set_state (self, GN_PROTECTION_OFF, NULL);
}

/* Returns FALSE when the user's proxy settings could not be put back. */
gboolean
gn_protection_shut_down_finish (GnProtection  *self,
                                GAsyncResult  *result)
{
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);
  return g_task_propagate_boolean (G_TASK (result), NULL);
}

/* Returns: (transfer full) (nullable): why protection is in
 * GN_PROTECTION_ERROR. */
GError *
gn_protection_dup_error (GnProtection *self)
{
  g_return_val_if_fail (GN_IS_PROTECTION (self), NULL);
  return self->error != NULL ? g_error_copy (self->error) : NULL;
}

static gboolean
countdown_cb (gpointer user_data)
{
  GnProtection *self = user_data;

  if (self->state == GN_PROTECTION_ON)
    set_state (self, GN_PROTECTION_ON, NULL);
  return G_SOURCE_CONTINUE;
}

/* A pause (GnTimedRules): while @until (wall clock µs) lies ahead the
 * status says nothing is blocked, with the minutes left; 0 ends it. The
 * session takes the rules out of the engine; this only tells the user. */
void
gn_protection_set_paused_until (GnProtection *self,
                                gint64        until)
{
  g_return_if_fail (GN_IS_PROTECTION (self));

  if (self->paused_until == until)
    return;
  self->paused_until = until;
  g_clear_handle_id (&self->countdown_id, g_source_remove);
  if (until != 0)
    self->countdown_id = g_timeout_add_seconds_full (G_PRIORITY_DEFAULT, 15, countdown_cb, self, NULL);
  if (self->state == GN_PROTECTION_ON)
    set_state (self, GN_PROTECTION_ON, NULL);
}

gint64
gn_protection_get_paused_until (GnProtection *self)
{
  g_return_val_if_fail (GN_IS_PROTECTION (self), 0);
  return self->paused_until;
}
