/* ui-stall.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Load benchmark for the window (not a test): starts the GuardNest window
 * with the real engine on a free port, turns protection on, and drives
 * 200 plain-HTTP requests per second through the proxy for 10 seconds (one
 * new client connection each, to a SoupServer origin on loopback running on
 * its own thread), with the Connections page visible. Meanwhile a 5 ms timer
 * on the main loop records how late it fires: the longest lateness is the
 * main loop's longest stall, the time the window could not react.
 *
 *   xvfb-run -a ./_build/app/bench/ui-stall [--rate N] [--seconds S] [--page NAME]
 *
 * The statistics history is recorded as in normal use (the session's
 * store, flushed every 2 s on its writer thread); at the end the bench
 * says how many requests it recorded and how big the day's file grew.
 * `--rate 1000 --seconds 60 --page overview` is the history's acceptance
 * run (the chart reloads its hour after each flush).
 *
 * Runs with a memory GSettings backend, temporary XDG directories and no OS
 * proxy management, so it touches nothing of the user's.
 */

#include <glib/gstdio.h>
#include <libsoup/soup.h>

#include "gn-application.h"
#include "gn-window.h"

#define TICK_MS 5

static struct
{
  GnApplication *app;
  guint16        origin_port;
  guint16        proxy_port;
  guint          rate;
  guint          seconds;

  gint64         last_tick;
  gint64         max_late;
  gint64         max_late_at;  /* µs after the load started */
  gint64         max_late_warm; /* longest after the first 2 s (warm-up) */
  gint64         load_start;
  gint64         load_end;
  GArray        *lateness;     /* gint64 µs, one per tick while loaded */

  gint           sent;         /* atomic */
  gint           ok;           /* atomic */
  gint           failed;       /* atomic */
  gint           done_threads; /* atomic */
  guint          max_rows;
  const char    *page;
  guint          n_flushed;    /* history batches written */
} B;

/* ---- origin on its own thread ---- */

static void
origin_cb (SoupServer        *server,
           SoupServerMessage *msg,
           const char        *path,
           GHashTable        *query,
           gpointer           user_data)
{
  static const char body[] = "hello from the origin\n";

  soup_server_message_set_response (msg, "text/plain", SOUP_MEMORY_STATIC, body, strlen (body));
  soup_server_message_set_status (msg, 200, NULL);
}

static gpointer
origin_thread (gpointer data)
{
  GMainContext *context = g_main_context_new ();
  GMainLoop *loop = g_main_loop_new (context, FALSE);
  SoupServer *server;
  GSList *uris;
  GError *error = NULL;

  g_main_context_push_thread_default (context);
  server = soup_server_new (NULL, NULL);
  soup_server_add_handler (server, NULL, origin_cb, NULL, NULL);
  if (!soup_server_listen_local (server, 0, SOUP_SERVER_LISTEN_IPV4_ONLY, &error))
    g_error ("origin: %s", error->message);
  uris = soup_server_get_uris (server);
  g_atomic_int_set ((gint *) &B.origin_port, g_uri_get_port (uris->data));
  g_slist_free_full (uris, (GDestroyNotify) g_uri_unref);
  g_main_loop_run (loop);  /* until the process ends */
  return NULL;
}

/* ---- load: threads of blocking clients, paced ---- */

#define N_LOAD_THREADS 8

static gboolean
one_request (GSocketClient *client)
{
  g_autoptr(GSocketConnection) conn = NULL;
  g_autofree char *request = NULL;
  char buf[4096];
  gssize n;
  gsize total = 0;
  gboolean ok = FALSE;
  GInputStream *in;

  conn = g_socket_client_connect_to_host (client, "127.0.0.1", B.proxy_port, NULL, NULL);
  if (conn == NULL)
    return FALSE;
  request = g_strdup_printf ("GET http://127.0.0.1:%u/ HTTP/1.1\r\nHost: 127.0.0.1:%u\r\n"
                             "Connection: close\r\n\r\n", B.origin_port, B.origin_port);
  if (!g_output_stream_write_all (g_io_stream_get_output_stream (G_IO_STREAM (conn)),
                                  request, strlen (request), NULL, NULL, NULL))
    return FALSE;
  in = g_io_stream_get_input_stream (G_IO_STREAM (conn));
  while ((n = g_input_stream_read (in, buf, sizeof buf, NULL, NULL)) > 0)
    {
      /* The status line is in the first read; later reads overwrite buf. */
      if (total == 0)
        ok = n >= 12 && memcmp (buf, "HTTP/1.1 200", 12) == 0;
      total += n;
    }
  return ok;
}

static gpointer
load_thread (gpointer data)
{
  guint index = GPOINTER_TO_UINT (data);
  g_autoptr(GSocketClient) client = g_socket_client_new ();
  gint64 interval = G_USEC_PER_SEC * N_LOAD_THREADS / B.rate;
  gint64 next = B.load_start + index * interval / N_LOAD_THREADS;

  g_socket_client_set_enable_proxy (client, FALSE);
  while (next < B.load_end)
    {
      gint64 now = g_get_monotonic_time ();

      if (next > now)
        g_usleep (next - now);
      g_atomic_int_inc (&B.sent);
      if (one_request (client))
        g_atomic_int_inc (&B.ok);
      else
        g_atomic_int_inc (&B.failed);
      next += interval;
    }
  g_atomic_int_inc (&B.done_threads);
  return NULL;
}

/* ---- measuring the main loop ---- */

static gboolean
tick_cb (gpointer data)
{
  gint64 now = g_get_monotonic_time ();
  gint64 late = now - B.last_tick - TICK_MS * 1000;
  GListModel *rows = gn_connection_model_get_rows (gn_application_get_connections (B.app));

  if (B.last_tick != 0 && now >= B.load_start && now <= B.load_end + G_USEC_PER_SEC)
    {
      late = MAX (late, 0);
      g_array_append_val (B.lateness, late);
      if (late > B.max_late)
        {
          B.max_late = late;
          B.max_late_at = now - B.load_start;
        }
      if (now - B.load_start > 2 * G_USEC_PER_SEC)
        B.max_late_warm = MAX (B.max_late_warm, late);
    }
  B.last_tick = now;
  B.max_rows = MAX (B.max_rows, g_list_model_get_n_items (rows));
  return G_SOURCE_CONTINUE;
}

static gint
cmp_i64 (gconstpointer a,
         gconstpointer b)
{
  gint64 x = *(const gint64 *) a, y = *(const gint64 *) b;
  return x < y ? -1 : x > y;
}

static gboolean
finish_cb (gpointer data)
{
  if (g_atomic_int_get (&B.done_threads) < N_LOAD_THREADS)
    return G_SOURCE_CONTINUE;

  g_array_sort (B.lateness, cmp_i64);
  g_print ("requests: %d sent, %d ok, %d failed in %u s (target %u/s)\n",
           g_atomic_int_get (&B.sent), g_atomic_int_get (&B.ok), g_atomic_int_get (&B.failed),
           B.seconds, B.rate);
  g_print ("rows in the Connections model (peak): %u\n", B.max_rows);
  if (B.lateness->len > 0)
    g_print ("main loop lateness over %u ticks of %d ms: median %.2f ms, p99 %.2f ms, "
             "longest stall %.2f ms (%.1f s into the load), longest after the first 2 s %.2f ms\n",
             B.lateness->len, TICK_MS,
             g_array_index (B.lateness, gint64, B.lateness->len / 2) / 1000.0,
             g_array_index (B.lateness, gint64, B.lateness->len * 99 / 100) / 1000.0,
             B.max_late / 1000.0, B.max_late_at / (double) G_USEC_PER_SEC,
             B.max_late_warm / 1000.0);
  {
    GnHistoryStore *history = gn_session_get_history (gn_application_get_session (B.app));
    gint64 now_s = g_get_real_time () / G_USEC_PER_SEC;
    g_autoptr(GnHistory) h = gn_history_store_query (history, now_s - 2 * 3600, now_s + 60, 60, NULL);
    g_autoptr(GDir) dir = g_dir_open (gn_history_store_get_dir (history), 0, NULL);
    const char *name;
    goffset bytes = 0;

    while (dir != NULL && (name = g_dir_read_name (dir)) != NULL)
      {
        g_autofree char *path = g_build_filename (gn_history_store_get_dir (history), name, NULL);
        GStatBuf st;

        if (g_stat (path, &st) == 0)
          bytes += st.st_size;
      }
    g_print ("history: %" G_GUINT64_FORMAT " requests recorded, %u batches written, "
             "%" G_GOFFSET_FORMAT " bytes on disk\n",
             gn_history_total_requests (h), B.n_flushed, bytes);
  }
  g_action_group_activate_action (G_ACTION_GROUP (B.app), "quit", NULL);
  return G_SOURCE_REMOVE;
}

static void
flushed_cb (void)
{
  B.n_flushed++;
}

static gboolean
start_load_cb (gpointer data)
{
  GnProtection *protection = gn_application_get_protection (B.app);

  if (gn_protection_get_state (protection) != GN_PROTECTION_ON)
    return G_SOURCE_CONTINUE;

  B.proxy_port = gn_engine_get_port (gn_application_get_engine (B.app));
  B.load_start = g_get_monotonic_time () + 200 * 1000;
  B.load_end = B.load_start + B.seconds * G_USEC_PER_SEC;
  for (guint i = 0; i < N_LOAD_THREADS; i++)
    g_thread_unref (g_thread_new ("load", load_thread, GUINT_TO_POINTER (i)));
  g_timeout_add (100, finish_cb, NULL);
  return G_SOURCE_REMOVE;
}

static void
activate_cb (GApplication *app)
{
  static gboolean started;
  GtkWindow *window = gtk_application_get_active_window (GTK_APPLICATION (app));

  if (started)
    return;
  started = TRUE;
  gn_window_show_page (GN_WINDOW (window), B.page);
  g_signal_connect (gn_session_get_history (gn_application_get_session (B.app)), "flushed",
                    G_CALLBACK (flushed_cb), NULL);
  g_action_group_activate_action (G_ACTION_GROUP (app), "enable", NULL);
  g_timeout_add (TICK_MS, tick_cb, NULL);
  g_timeout_add (20, start_load_cb, NULL);
}

int
main (int   argc,
      char *argv[])
{
  g_autoptr(GnEngineConfig) config = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *tmp = NULL;
  int rate = 200, seconds = 10;
  g_autofree char *page = NULL;
  GOptionEntry entries[] = {
    { "page", 0, 0, G_OPTION_ARG_STRING, &page, "Page shown (default connections)", "NAME" },
    { "rate", 0, 0, G_OPTION_ARG_INT, &rate, "Requests per second", "N" },
    { "seconds", 0, 0, G_OPTION_ARG_INT, &seconds, "Duration", "S" },
    { NULL }
  };
  g_autoptr(GOptionContext) options = g_option_context_new ("- main-loop stall under load");
  char *app_argv[] = { argv[0], NULL };
  const char *vars[] = { "XDG_CONFIG_HOME", "XDG_CACHE_HOME", "XDG_DATA_HOME", "XDG_STATE_HOME" };

  g_option_context_add_main_entries (options, entries, NULL);
  if (!g_option_context_parse (options, &argc, &argv, &error))
    {
      g_printerr ("%s\n", error->message);
      return 2;
    }
  B.rate = CLAMP (rate, 1, 5000);
  B.seconds = CLAMP (seconds, 1, 600);
  B.page = page != NULL ? page : "connections";

  tmp = g_dir_make_tmp ("guardnest-bench-XXXXXX", &error);
  g_assert_no_error (error);
  for (guint i = 0; i < G_N_ELEMENTS (vars); i++)
    {
      g_autofree char *dir = g_build_filename (tmp, vars[i], NULL);
      g_mkdir_with_parents (dir, 0700);
      g_setenv (vars[i], dir, TRUE);
    }
  g_setenv ("GSETTINGS_BACKEND", "memory", TRUE);
  g_setenv ("GN_OS_PROXY_BACKEND", "none", TRUE);
  g_setenv ("GIO_USE_PROXY_RESOLVER", "dummy", TRUE);

  B.lateness = g_array_new (FALSE, FALSE, sizeof (gint64));
  g_thread_unref (g_thread_new ("origin", origin_thread, NULL));
  while (g_atomic_int_get ((gint *) &B.origin_port) == 0)
    g_usleep (1000);

  config = gn_engine_config_new ();
  config->port = 0;
  B.app = gn_application_new (config);
  g_application_set_flags (G_APPLICATION (B.app), G_APPLICATION_NON_UNIQUE);
  g_signal_connect_after (B.app, "activate", G_CALLBACK (activate_cb), NULL);
  g_application_run (G_APPLICATION (B.app), 1, app_argv);
  g_object_unref (B.app);
  g_array_unref (B.lateness);
  g_print ("(temporary files in %s)\n", tmp);
  return 0;
}
