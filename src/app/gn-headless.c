/* gn-headless.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Headless mode (see gn-headless.h), a thin runner over GnSession:
 *
 *   guardnest --headless [--port N] [--listen ADDRESS] [--blocklist FILE]…
 *                        [--system-proxy [--pac]] [--metrics]
 *   guardnest --headless --export-history FILE
 *
 * The session loads the saved settings (the options given here win for
 * this run), the user's subscriptions with their refresh schedule (or the
 * --blocklist files instead), decides the upstream and, with
 * --system-proxy, points the system proxy here exactly as the window does.
 * This file only parses the options, prints what the session says
 * ("guardnest: …" on stderr), logs one line per finished connection from
 * the registry's batched deliveries (never from the hot path), reloads on
 * SIGHUP (settings and lists, then a restart without a gap) and stops
 * gracefully on Ctrl+C, SIGTERM or a system shutdown: the system proxy is
 * restored, then open connections drain up to the drain timeout. A start
 * failure prints the engine's message ("Port 3000 is already used by
 * another program") and exits with status 1. Both record the statistics
 * history (GnSession's store, fed from the same batches);
 * --export-history writes it to FILE (CSV, or JSON for *.json) and exits.
 *
 * Threading: main thread; the engine runs its own thread.
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <gio/gio.h>
#include <glib/gi18n.h>

#include "gn-app-resolver.h"
#include "gn-block-notifier.h"
#include "gn-headless.h"
#include "gn-session.h"

typedef struct
{
  GMainLoop      *loop;
  GnSession      *session;   /* (unowned) */
  GnAppResolver  *apps;      /* (owned) which program made each connection */
  GnBlockNotifier *notifier; /* (owned) one line per group of new blocked domains */
  GHashTable     *logged;    /* (owned) ids of closed connections already logged */
  gboolean        stopping;  /* a signal came, maybe before the loop ran */
  gboolean        announced; /* "listening on …" printed */
  int             status;    /* the exit status */
  /* What the command line set, kept across SIGHUP reloads. */
  int             port;      /* -1: from the settings file */
  gboolean        metrics;   /* --metrics: on, whatever the file says */
  const char     *listen;    /* (nullable) */
  gboolean        allow_remote;
  gboolean        quiet;     /* --quiet: no line per connection */
} Headless;

static const char *
kind_name (GnConnectionKind kind)
{
  switch (kind)
    {
    case GN_CONNECTION_KIND_TUNNEL:  return "tunnel";
    case GN_CONNECTION_KIND_HTTP:    return "http";
    case GN_CONNECTION_KIND_BLOCKED: return "blocked";
    case GN_CONNECTION_KIND_ERROR:   return "error";
    case GN_CONNECTION_KIND_UNKNOWN:
    default:                         return "none";
    }
}

/* Appends one line for @info if it is closed and not logged yet. */
static void
log_closed (Headless         *h,
            GTimeZone        *tz,
            GString          *out,
            GnConnectionInfo *info)
{
  g_autoptr(GDateTime) utc = NULL;
  g_autoptr(GDateTime) when = NULL;
  g_autofree char *stamp = NULL;

  if (info->state != GN_CONNECTION_STATE_CLOSED ||
      !g_hash_table_add (h->logged, g_memdup2 (&info->id, sizeof info->id)))
    return;

  utc = g_date_time_new_from_unix_utc ((info->ended_at ? info->ended_at : info->started_at) / G_USEC_PER_SEC);
  when = utc != NULL ? g_date_time_to_timezone (utc, tz) : NULL;
  stamp = when != NULL ? g_date_time_format (when, "%F %T") : g_strdup ("?");
  g_string_append_printf (out, "%s %s:%u %s %s:%u", stamp,
                          info->client_address ? info->client_address : "?", info->client_port,
                          kind_name (info->kind), info->host ? info->host : "-", info->port);
  if (info->status != 0)
    g_string_append_printf (out, " %u", info->status);
  g_string_append_printf (out, " up=%" G_GUINT64_FORMAT " down=%" G_GUINT64_FORMAT,
                          info->bytes_up, info->bytes_down);
  if (info->list_name != NULL)
    g_string_append_printf (out, " list=\"%s\" rule=\"%s\"", info->list_name,
                            info->rule ? info->rule : "");
  if (info->reason != NULL)
    g_string_append_printf (out, " reason=\"%s\"", info->reason);
  if (info->app != NULL)
    g_string_append_printf (out, " app=\"%s\"", info->app);
  else if (gn_app_resolver_lookup (h->apps, info->id) != NULL)
    g_string_append_printf (out, " app=\"%s\"", gn_app_resolver_lookup (h->apps, info->id));
  g_string_append_c (out, '\n');
}

/* One batch, one write: thousands of connections a second must not cost
 * the main thread a time-zone lookup and a write(2) each. */
static void
on_batch (const GnConnectionBatch *batch,
          gpointer                 user_data)
{
  Headless *h = user_data;
  g_autoptr(GTimeZone) tz = NULL;
  g_autoptr(GString) out = g_string_new (NULL);

  gn_history_store_apply_batch (gn_session_get_history (h->session), batch, g_get_real_time ());
  if (h->quiet)
    return;
  tz = g_time_zone_new_local ();
  for (guint i = 0; i < batch->added->len; i++)
    log_closed (h, tz, out, g_ptr_array_index (batch->added, i));
  for (guint i = 0; i < batch->changed->len; i++)
    log_closed (h, tz, out, g_ptr_array_index (batch->changed, i));
  for (guint i = 0; i < batch->removed->len; i++)
    g_hash_table_remove (h->logged, &g_array_index (batch->removed, guint64, i));
  /* After logging: it forgets the removed ones. */
  gn_app_resolver_apply_batch (h->apps, batch, gn_engine_get_port (gn_session_get_engine (h->session)));
  gn_block_notifier_apply_batch (h->notifier, batch);
  if (out->len > 0)
    g_print ("%s", out->str);
}

/* What the window shows as a desktop notification: one line per group
 * ("guardnest: 12 domains blocked: For example a, b, c and 9 more"). */
static void
on_block_group (GnBlockNotifier *notifier,
                GStrv            domains,
                const char      *title,
                const char      *body,
                gpointer         user_data)
{
  if (domains[1] == NULL)
    g_printerr ("guardnest: %s\n", title);
  else
    g_printerr ("guardnest: %s: %s\n", title, body);
}

static void
say (GnSession  *session,
     const char *text,
     gpointer    user_data)
{
  g_printerr ("guardnest: %s\n", text);
}

static void
on_shutdown (GnSession  *session,
             const char *reason,
             Headless   *h)
{
  g_printerr ("guardnest: %s: stopping\n", reason);
  h->stopping = TRUE;
  g_main_loop_quit (h->loop);
}

/* The saved settings with this command line's options on top. */
static GnEngineConfig *
effective_config (Headless *h)
{
  g_autoptr(GnEngineConfig) saved = gn_session_dup_config (h->session);
  GnEngineConfig *config = gn_engine_config_copy (saved);

  if (h->port >= 0)
    config->port = (guint16) h->port;
  if (h->metrics)
    config->metrics = TRUE;
  /* Listening beyond loopback is a command-line decision only. */
  config->allow_non_loopback = h->allow_remote;
  if (h->listen != NULL)
    {
      g_free (config->bind_address);
      config->bind_address = g_strdup (h->listen);
    }
  return config;
}

static void
describe_change (GString    *out,
                 const char *what,
                 const char *before,
                 const char *after)
{
  if (g_strcmp0 (before, after) == 0)
    return;
  g_string_append_printf (out, "%s%s %s → %s", out->len > 0 ? ", " : "", what,
                          before ? before : "none", after ? after : "none");
}

/* SIGHUP: settings and lists read again, then a restart that keeps
 * accepting throughout. */
static void
on_reload (GnSession *session,
           Headless  *h)
{
  GnProtection *protection = gn_session_get_protection (session);
  g_autoptr(GnEngineConfig) before = gn_protection_dup_base_config (protection);
  g_autoptr(GnEngineConfig) after = NULL;
  g_autoptr(GString) changes = g_string_new (NULL);
  g_autoptr(GError) error = NULL;
  g_autofree char *port_before = NULL;
  g_autofree char *port_after = NULL;

  g_printerr ("guardnest: SIGHUP: reloading the settings and the blocklists\n");
  gn_session_load_settings (session);
  after = effective_config (h);
  if (!gn_session_set_config (session, after, FALSE, &error))
    {
      g_printerr ("guardnest: the settings were not reloaded: %s\n", error->message);
      g_clear_pointer (&after, gn_engine_config_unref);
      after = gn_engine_config_ref (before);
      gn_session_set_config (session, before, FALSE, NULL);
    }
  port_before = g_strdup_printf ("%u", before->port);
  port_after = g_strdup_printf ("%u", after->port);
  describe_change (changes, "port", port_before, port_after);
  describe_change (changes, "listen", before->bind_address, after->bind_address);
  describe_change (changes, "upstream-host", before->upstream_host, after->upstream_host);
  describe_change (changes, "metrics", before->metrics ? "true" : "false",
                   after->metrics ? "true" : "false");
  g_printerr ("guardnest: settings: %s\n", changes->len > 0 ? changes->str : "unchanged");

  gn_session_reload_lists (session);
  gn_protection_restart (protection);
}

static void
on_state (GnProtection *protection,
          GParamSpec   *pspec,
          Headless     *h)
{
  GnEngine *engine = gn_session_get_engine (h->session);

  switch (gn_protection_get_state (protection))
    {
    case GN_PROTECTION_ON:
      if (!h->announced)
        {
          g_autoptr(GnEngineConfig) config = gn_engine_dup_config (engine);
          g_autoptr(GnBlocklist) blocklist = gn_engine_dup_blocklist (engine);

          h->announced = TRUE;
          g_print ("GuardNest proxy listening on %s port %u (%" G_GSIZE_FORMAT " blocklist rules)\n",
                   config->bind_address, gn_engine_get_port (engine),
                   gn_blocklist_get_n_rules (blocklist));
          if (config->metrics)
            {
              gboolean v6 = strchr (config->bind_address, ':') != NULL;

              g_print ("Prometheus metrics at http://%s%s%s:%u/metrics (this computer only)\n",
                       v6 ? "[" : "", config->bind_address, v6 ? "]" : "",
                       gn_engine_get_port (engine));
            }
        }
      break;
    case GN_PROTECTION_ERROR:
      {
        g_autoptr(GError) error = gn_protection_dup_error (protection);

        /* Nothing listens: a daemon that cannot serve says why and ends. */
        g_printerr ("guardnest: %s\n", error != NULL ? error->message
                                                    : gn_protection_get_status_text (protection));
        h->status = 1;
        g_main_loop_quit (h->loop);
      }
      break;
    case GN_PROTECTION_OFF:
    case GN_PROTECTION_STARTING:
    case GN_PROTECTION_RESTARTING:
    default:
      break;
    }
}

/* --export-history FILE: the saved history, with the saved retention. */
static int
export_history (const char *path)
{
  g_autoptr(GnSettingsStore) settings = gn_settings_store_new (NULL);
  g_autoptr(GnHistoryStore) history = NULL;
  g_autoptr(GError) error = NULL;

  if (!gn_settings_store_load (settings, &error))
    {
      g_printerr ("guardnest: %s\n", error->message);
      g_clear_error (&error);
    }
  history = gn_history_store_new (NULL);
  g_signal_connect (history, "warning", G_CALLBACK (say), NULL);
  gn_history_store_set_retention_days (history, gn_settings_store_get_history_days (settings));
  if (!gn_history_store_export (history, path, gn_history_format_for_path (path),
                                g_get_real_time (), &error))
    {
      g_printerr ("guardnest: %s\n", error->message);
      return 1;
    }
  /* Warnings about damaged files come through the main context. */
  while (g_main_context_iteration (NULL, FALSE))
    ;
  g_print (_("History exported to %s\n"), path);
  return 0;
}

int
gn_headless_run (int    argc,
                 char **argv)
{
  gboolean headless = FALSE;
  gboolean allow_remote = FALSE;
  gboolean system_proxy = FALSE;
  gboolean pac = FALSE;
  gboolean metrics = FALSE;
  gboolean quiet = FALSE;
  gboolean verbose = FALSE;
  int port = -1;   /* -1: from the settings file */
  g_autofree char *listen = NULL;
  g_auto(GStrv) blocklists = NULL;
  g_autofree char *export_path = NULL;
  const GOptionEntry entries[] = {
    { "headless", 0, 0, G_OPTION_ARG_NONE, &headless, N_("Run without a window"), NULL },
    { "port", 'p', 0, G_OPTION_ARG_INT, &port, N_("Port to listen on (default: the saved setting, 3000; 0 picks one)"), "N" },
    { "listen", 'l', 0, G_OPTION_ARG_STRING, &listen, N_("Address to listen on (default 127.0.0.1)"), "ADDRESS" },
    { "allow-remote", 0, 0, G_OPTION_ARG_NONE, &allow_remote, N_("Allow a non-loopback --listen address"), NULL },
    { "blocklist", 'b', 0, G_OPTION_ARG_FILENAME_ARRAY, &blocklists, N_("Block the domains in FILE instead of your subscribed lists and own rules (repeatable)"), "FILE" },
    { "system-proxy", 0, 0, G_OPTION_ARG_NONE, &system_proxy, N_("Point the system proxy settings at GuardNest while running (restored on exit)"), NULL },
    { "quiet", 'q', 0, G_OPTION_ARG_NONE, &quiet, N_("No line per connection (errors and what changes are still said)"), NULL },
    { "verbose", 'v', 0, G_OPTION_ARG_NONE, &verbose, N_("Also print debugging messages"), NULL },
    { "metrics", 0, 0, G_OPTION_ARG_NONE, &metrics, N_("Serve Prometheus metrics at http://ADDRESS:PORT/metrics to programs on this computer (also metrics=true in settings.ini)"), NULL },
    { "pac", 0, 0, G_OPTION_ARG_NONE, &pac, N_("With --system-proxy: point them at GuardNest's auto-configuration script (http://ADDRESS:PORT/proxy.pac) instead, so programs go direct if GuardNest is not running"), NULL },
    { "export-history", 0, 0, G_OPTION_ARG_FILENAME, &export_path, N_("Write the saved statistics history to FILE (CSV, or JSON when FILE ends in .json) and exit"), "FILE" },
    { NULL }
  };
  g_autoptr(GOptionContext) context =
    g_option_context_new (_("- the GuardNest filtering proxy without a window"));
  g_autoptr(GError) error = NULL;
  g_autoptr(GnSession) session = NULL;
  g_autoptr(GnEngineConfig) config = NULL;
  g_autoptr(GMainLoop) loop = NULL;
  GnProtection *protection;
  GnEngine *engine;
  Headless h = { 0 };
  guint subscription;

  g_option_context_add_main_entries (context, entries, GETTEXT_PACKAGE);
  g_option_context_set_summary (context,
    _("Without --blocklist, your subscribed lists are used and refreshed on their schedule. "
      "SIGHUP reloads the settings and the blocklists without dropping a connection; "
      "SIGTERM or Ctrl+C stops, restoring the system proxy settings first."));
  if (!g_option_context_parse (context, &argc, &argv, &error))
    {
      g_printerr ("guardnest: %s\n", error->message);
      return 2;
    }
  if (pac && !system_proxy)
    {
      g_printerr ("guardnest: %s\n", _("--pac only makes sense with --system-proxy"));
      return 2;
    }
  if (quiet && verbose)
    {
      g_printerr ("guardnest: %s\n", _("--quiet and --verbose contradict each other"));
      return 2;
    }
  if (verbose)
    g_log_set_debug_enabled (TRUE);
  if (port < -1 || port > 65535)
    {
      g_printerr ("guardnest: %s\n", _("--port must be between 0 and 65535"));
      return 2;
    }

  if (export_path != NULL)
    return export_history (export_path);

  loop = g_main_loop_new (NULL, FALSE);
  h.loop = loop;
  h.quiet = quiet;
  h.port = port;
  h.listen = listen;
  h.allow_remote = allow_remote;
  h.metrics = metrics;

  session = gn_session_new ((system_proxy ? GN_SESSION_SYSTEM_PROXY : GN_SESSION_FLAGS_NONE) |
                           (allow_remote ? GN_SESSION_ALLOW_REMOTE : GN_SESSION_FLAGS_NONE) |
                           /* No log line to name the program in. */
                           (quiet ? GN_SESSION_NO_APP_NAMES : GN_SESSION_FLAGS_NONE), NULL);
  h.session = session;
  g_signal_connect (session, "message", G_CALLBACK (say), NULL);
  g_signal_connect (session, "shutdown", G_CALLBACK (on_shutdown), &h);
  g_signal_connect (session, "reload", G_CALLBACK (on_reload), &h);

  /* The saved settings (what the window set, or defaults), then the
   * options given on this command line on top, for this run only. A bad
   * settings file is reported and kept as .bad; we run on defaults. */
  gn_session_load_settings (session);
  config = effective_config (&h);
  if (!gn_session_set_config (session, config, FALSE, &error))
    {
      g_printerr ("guardnest: %s\n", error->message);
      return 1;
    }
  if (!gn_session_start_up (session, (const char * const *) blocklists, &error))
    {
      g_printerr ("guardnest: %s\n", error->message);
      return 1;
    }
  if (pac)
    gn_os_proxy_guard_set_use_pac (gn_session_get_guard (session), TRUE, NULL);  /* not active yet */

  engine = gn_session_get_engine (session);
  protection = gn_session_get_protection (session);
  g_signal_connect (protection, "message", G_CALLBACK (say), NULL);
  {
    g_autofree char *rules = gn_protection_dup_rules_text (protection);
    say (session, rules, NULL);  /* later changes come as "message" */
  }
  g_signal_connect (protection, "notify::state", G_CALLBACK (on_state), &h);

  /* The per-connection log, unless quiet: then nobody reads the records,
   * and the engine keeps no more of them than its cap. */
  h.logged = g_hash_table_new_full (g_int64_hash, g_int64_equal, g_free, NULL);
  h.apps = gn_app_resolver_new ();
  h.notifier = gn_block_notifier_new ();
  g_signal_connect (h.notifier, "group", G_CALLBACK (on_block_group), NULL);
  /* Also with --quiet: the history is recorded from the batches. */
  subscription = gn_connection_registry_subscribe (gn_engine_get_registry (engine),
                                                   g_main_context_default (), 250,
                                                   on_batch, &h, NULL);

  gn_protection_set_enabled (protection, TRUE);
  /* A quit before the loop runs is lost: the flag is not. */
  if (!h.stopping)
    g_main_loop_run (loop);

  /* Restore the system proxy while the engine still answers, then drain. */
  if (!gn_session_shut_down (session) && h.status == 0)
    h.status = 1;
  /* The last batches (the drained connections) before leaving. */
  while (g_main_context_iteration (NULL, FALSE))
    ;
  if (subscription != 0)
    gn_connection_registry_unsubscribe (gn_engine_get_registry (engine), subscription);
  g_signal_handlers_disconnect_by_data (protection, &h);
  g_hash_table_unref (h.logged);
  g_clear_object (&h.apps);
  g_clear_object (&h.notifier);
  g_print ("GuardNest proxy stopped\n");
  return h.status;
}
