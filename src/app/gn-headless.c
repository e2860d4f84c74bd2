/* gn-headless.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Headless mode (see gn-headless.h):
 *
 *   guardnest --headless [--port N] [--listen ADDRESS] [--blocklist FILE]…
 *
 * Reads the saved engine settings (GnSettingsStore, the options given here
 * win for this run), loads the blocklists, starts the engine, logs one line per finished
 * connection from the registry's batched deliveries (never from the hot
 * path), and stops gracefully on Ctrl+C or SIGTERM: the engine drains open
 * connections up to its drain timeout before the process exits. A start
 * failure prints the engine's message ("Port 3000 is already used by
 * another program") and exits with status 1.
 *
 * Threading: main thread; the engine runs its own thread.
 */

#include <stdio.h>
#include <stdlib.h>

#include <gio/gio.h>
#ifdef G_OS_UNIX
#include <glib-unix.h>
#endif

#include "gn-engine.h"
#include "gn-headless.h"
#include "gn-os-proxy-headless.h"
#include "gn-settings-store.h"

typedef struct
{
  GMainLoop  *loop;
  GHashTable *logged;   /* (owned) ids of closed connections already logged */
  gboolean    stopping; /* a signal came, maybe before the loop ran */
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
  g_string_append_c (out, '\n');
}

/* One batch, one write: thousands of connections a second must not cost
 * the main thread a time-zone lookup and a write(2) each. */
static void
on_batch (const GnConnectionBatch *batch,
          gpointer                 user_data)
{
  Headless *h = user_data;
  g_autoptr(GTimeZone) tz = g_time_zone_new_local ();
  g_autoptr(GString) out = g_string_new (NULL);

  for (guint i = 0; i < batch->added->len; i++)
    log_closed (h, tz, out, g_ptr_array_index (batch->added, i));
  for (guint i = 0; i < batch->changed->len; i++)
    log_closed (h, tz, out, g_ptr_array_index (batch->changed, i));
  for (guint i = 0; i < batch->removed->len; i++)
    g_hash_table_remove (h->logged, &g_array_index (batch->removed, guint64, i));
  if (out->len > 0)
    g_print ("%s", out->str);
}

#ifdef G_OS_UNIX
static gboolean
on_signal (gpointer user_data)
{
  Headless *h = user_data;

  g_printerr ("guardnest: stopping\n");
  h->stopping = TRUE;
  g_main_loop_quit (h->loop);
  return G_SOURCE_CONTINUE;
}
#endif

int
gn_headless_run (int    argc,
                 char **argv)
{
  gboolean headless = FALSE;
  gboolean allow_remote = FALSE;
  gboolean system_proxy = FALSE;
  gboolean pac = FALSE;
  int port = -1;   /* -1: from the settings file */
  g_autofree char *listen = NULL;
  g_auto(GStrv) blocklists = NULL;
  const GOptionEntry entries[] = {
    { "headless", 0, 0, G_OPTION_ARG_NONE, &headless, "Run without a window", NULL },
    { "port", 'p', 0, G_OPTION_ARG_INT, &port, "Port to listen on (default: the saved setting, 3000; 0 picks one)", "N" },
    { "listen", 'l', 0, G_OPTION_ARG_STRING, &listen, "Address to listen on (default 127.0.0.1)", "ADDRESS" },
    { "allow-remote", 0, 0, G_OPTION_ARG_NONE, &allow_remote, "Allow a non-loopback --listen address", NULL },
    { "blocklist", 'b', 0, G_OPTION_ARG_FILENAME_ARRAY, &blocklists, "A domains file to block (repeatable)", "FILE" },
    { "system-proxy", 0, 0, G_OPTION_ARG_NONE, &system_proxy, "Point the system proxy settings at GuardNest while running (restored on exit)", NULL },
    { "pac", 0, 0, G_OPTION_ARG_NONE, &pac, "With --system-proxy: point them at GuardNest's auto-configuration script (http://ADDRESS:PORT/proxy.pac) instead, so programs go direct if GuardNest is not running", NULL },
    { NULL }
  };
  g_autoptr(GOptionContext) context = g_option_context_new ("- the GuardNest filtering proxy without a window");
  g_autoptr(GError) error = NULL;
  g_autoptr(GnSettingsStore) settings = gn_settings_store_new (NULL);
  g_autoptr(GnEngineConfig) config = NULL;
  g_autoptr(GnBlocklist) blocklist = NULL;
  g_autoptr(GnEngine) engine = NULL;
  g_autoptr(GMainLoop) loop = NULL;
  Headless h = { 0 };
  guint subscription;
  GnOsProxyHeadless *os_proxy = NULL;  /* (owned) (nullable) with --system-proxy */
  int status = 0;

  g_option_context_add_main_entries (context, entries, NULL);
  if (!g_option_context_parse (context, &argc, &argv, &error))
    {
      g_printerr ("guardnest: %s\n", error->message);
      return 2;
    }
  if (pac && !system_proxy)
    {
      g_printerr ("guardnest: --pac only makes sense with --system-proxy\n");
      return 2;
    }
  if (port < -1 || port > 65535)
    {
      g_printerr ("guardnest: --port must be between 0 and 65535\n");
      return 2;
    }

  /* The saved settings (what the window set, or defaults), then the
   * options given on this command line on top, for this run only. A bad
   * settings file is reported and kept as .bad; we run on defaults. */
  if (!gn_settings_store_load (settings, &error))
    {
      g_printerr ("guardnest: %s\n", error->message);
      g_clear_error (&error);
    }
  {
    g_autoptr(GnEngineConfig) saved = gn_settings_store_dup_config (settings);
    config = gn_engine_config_copy (saved);
  }
  if (port >= 0)
    config->port = (guint16) port;
  if (allow_remote)
    config->allow_non_loopback = TRUE;
  if (listen != NULL)
    {
      g_free (config->bind_address);
      config->bind_address = g_strdup (listen);
    }

  if (blocklists != NULL)
    {
      blocklist = gn_blocklist_new_from_files ((const char * const *) blocklists, &error);
      if (blocklist == NULL)
        {
          g_printerr ("guardnest: %s\n", error->message);
          return 1;
        }
    }
  else
    blocklist = gn_blocklist_new_empty ();

  /* First of all: a SIGTERM sent while we start (a service manager, a
   * script) must stop us gracefully, never in the middle of repairing the
   * system proxy settings. The signal waits for the loop, which then quits
   * at once. */
  loop = g_main_loop_new (NULL, FALSE);
  h.loop = loop;
#ifdef G_OS_UNIX
  g_unix_signal_add (SIGINT, on_signal, &h);
  g_unix_signal_add (SIGTERM, on_signal, &h);
#endif

  /* --system-proxy: repair a crash's leftovers first, and take the user's
   * own (company) proxy as upstream, before the engine is created. */
  if (system_proxy)
    os_proxy = gn_os_proxy_headless_prepare (config, pac);

  engine = gn_engine_new (config);
  gn_engine_set_blocklist (engine, blocklist);

  h.logged = g_hash_table_new_full (g_int64_hash, g_int64_equal, g_free, NULL);
  subscription = gn_connection_registry_subscribe (gn_engine_get_registry (engine),
                                                   g_main_context_default (), 250,
                                                   on_batch, &h, NULL);

  if (!gn_engine_start (engine, &error))
    {
      g_printerr ("guardnest: %s\n", error->message);
      gn_connection_registry_unsubscribe (gn_engine_get_registry (engine), subscription);
      g_hash_table_unref (h.logged);
      gn_os_proxy_headless_finish (os_proxy);
      return 1;
    }

  g_print ("GuardNest proxy listening on %s port %u (%" G_GSIZE_FORMAT " blocklist rules)\n",
           config->bind_address, gn_engine_get_port (engine), gn_blocklist_get_n_rules (blocklist));
  if (os_proxy != NULL)
    {
      const char *bind = config->bind_address;
      const char *host = g_str_equal (bind, "0.0.0.0") || g_str_equal (bind, "::") ? "127.0.0.1" : bind;

      /* On failure the proxy keeps running; the message says why. */
      if (!gn_os_proxy_headless_enable (os_proxy, host, gn_engine_get_port (engine), loop, &error))
        {
          g_printerr ("guardnest: %s\n", error->message);
          g_clear_error (&error);
        }
    }

  /* A quit before the loop runs is lost: the flag is not. */
  if (!h.stopping)
    g_main_loop_run (loop);

  /* Restore the system proxy while the engine still answers. */
  if (!gn_os_proxy_headless_finish (g_steal_pointer (&os_proxy)))
    status = 1;
  gn_engine_stop (engine);
  /* The last batches (the drained connections) before leaving. */
  while (g_main_context_iteration (NULL, FALSE))
    ;
  gn_connection_registry_unsubscribe (gn_engine_get_registry (engine), subscription);
  g_clear_object (&engine);
  g_hash_table_unref (h.logged);
  g_print ("GuardNest proxy stopped\n");
  return status;
}
