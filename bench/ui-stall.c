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
 *   xvfb-run -a ./_build/dev/bench/ui-stall [--rate N] [--seconds S] [--page NAME]
 *                                             [--external-load]
 *
 * With --external-load (Linux) the origin is an nginx and the load a
 * separate process (bench/http-load: one thread, epoll, a fixed rate of new
 * connections), so the window's process holds only the app and a profile
 * of it (perf record -t MAIN_THREAD) shows the app's own work. The bench
 * prints its pid and main thread id for that.
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

#include <stdio.h>

#include <glib/gstdio.h>
#include <gio/gio.h>
#include <libsoup/soup.h>
#ifdef G_OS_UNIX
#include <signal.h>
#include <sys/types.h>
#include <unistd.h>
#endif

#include "gn-application.h"
#include "gn-window.h"

#define TICK_MS 5
#define STALL_MS 50

typedef struct
{
  gint64 end;   /* monotonic µs when the late tick ran */
  gint64 late;  /* µs */
} Stall;

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
  guint64        run_ns0, wait_ns0;  /* main_schedstat() at the load's start */
  gboolean       have_schedstat;
  GArray        *lateness;     /* gint64 µs, one per tick while loaded */
  GArray        *stalls;       /* Stall: each tick later than STALL_MS */

  gint           sent;         /* atomic */
  gint           ok;           /* atomic */
  gint           failed;       /* atomic */
  gint           done_threads; /* atomic */
  guint          max_rows;
  const char    *page;
  guint          n_flushed;    /* history batches written */

  gboolean       external;     /* --external-load: nginx + http-load processes */
  char          *tmp;
  char          *load_client;  /* path of http-load */
  GSubprocess   *nginx;
  gboolean       client_done;
  char          *client_result;
} B;

/* The main thread's time on a CPU and waiting for one (runnable, not
 * running), in ns, from the scheduler's statistics (Linux). */
static gboolean
main_schedstat (guint64 *run_ns,
                guint64 *wait_ns)
{
  g_autofree char *text = NULL;

  if (!g_file_get_contents ("/proc/thread-self/schedstat", &text, NULL, NULL))
    return FALSE;
  return sscanf (text, "%" G_GUINT64_FORMAT " %" G_GUINT64_FORMAT, run_ns, wait_ns) == 2;
}

static char *
loadavg (void)
{
  g_autofree char *text = NULL;
  g_auto(GStrv) fields = NULL;

  if (!g_file_get_contents ("/proc/loadavg", &text, NULL, NULL))
    return g_strdup ("?");
  fields = g_strsplit (text, " ", 3);
  return g_strdup_printf ("%s %s", fields[0], fields[1] != NULL ? fields[1] : "");
}

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
      if (late > STALL_MS * 1000)
        {
          Stall stall = { now, late };

          g_array_append_val (B.stalls, stall);
        }
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
  g_autofree char *load = NULL;

  if (B.external ? !B.client_done : g_atomic_int_get (&B.done_threads) < N_LOAD_THREADS)
    return G_SOURCE_CONTINUE;

  g_array_sort (B.lateness, cmp_i64);
  if (B.external)
    g_print ("requests (external http-load, nginx origin): %s in %u s (target %u/s)\n",
             B.client_result != NULL ? g_strstrip (B.client_result) : "client failed",
             B.seconds, B.rate);
  else
    g_print ("requests: %d sent, %d ok, %d failed in %u s (target %u/s)\n",
             g_atomic_int_get (&B.sent), g_atomic_int_get (&B.ok), g_atomic_int_get (&B.failed),
             B.seconds, B.rate);
  load = loadavg ();
  g_print ("load average (1 and 5 min) at the end: %s\n", load);
  {
    guint64 run_ns, wait_ns;

    if (B.have_schedstat && main_schedstat (&run_ns, &wait_ns))
      g_print ("main thread during the load: %.1f s on a CPU, %.1f s runnable waiting for one\n",
               (run_ns - B.run_ns0) / 1e9, (wait_ns - B.wait_ns0) / 1e9);
  }
  g_print ("rows in the Connections model (peak): %u\n", B.max_rows);
  if (B.lateness->len > 0)
    g_print ("main loop lateness over %u ticks of %d ms: median %.2f ms, p99 %.2f ms, "
             "longest stall %.2f ms (%.1f s into the load), longest after the first 2 s %.2f ms\n",
             B.lateness->len, TICK_MS,
             g_array_index (B.lateness, gint64, B.lateness->len / 2) / 1000.0,
             g_array_index (B.lateness, gint64, B.lateness->len * 99 / 100) / 1000.0,
             B.max_late / 1000.0, B.max_late_at / (double) G_USEC_PER_SEC,
             B.max_late_warm / 1000.0);
  /* CLOCK_MONOTONIC seconds, to find them in `perf record -k CLOCK_MONOTONIC`. */
  g_print ("stalls over %d ms: %u", STALL_MS, B.stalls->len);
  for (guint i = 0; i < B.stalls->len && i < 20; i++)
    {
      Stall *stall = &g_array_index (B.stalls, Stall, i);

      g_print ("%s %.0f ms ending at %.3f (%.1f s in)", i == 0 ? ":" : ",", stall->late / 1000.0,
               stall->end / (double) G_USEC_PER_SEC,
               (stall->end - B.load_start) / (double) G_USEC_PER_SEC);
    }
  g_print ("\n");
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

static void
client_done_cb (GObject      *source,
                GAsyncResult *result,
                gpointer      data)
{
  g_autoptr(GError) error = NULL;

  if (!g_subprocess_communicate_utf8_finish (G_SUBPROCESS (source), result,
                                             &B.client_result, NULL, &error))
    g_printerr ("http-load: %s\n", error->message);
  B.client_done = TRUE;
}

#ifdef G_OS_UNIX  /* --external-load: Linux only */
/* nginx on a free port in the temporary directory, answering every GET
 * with a short text, as the in-process SoupServer does. */
static void
start_nginx (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GSocket) probe = NULL;
  g_autoptr(GInetAddress) loopback = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
  g_autoptr(GSocketAddress) any = g_inet_socket_address_new (loopback, 0);
  g_autoptr(GSocketAddress) bound = NULL;
  g_autofree char *dir = g_build_filename (B.tmp, "nginx", NULL);
  g_autofree char *conf_path = g_build_filename (dir, "nginx.conf", NULL);
  g_autofree char *conf = NULL;
  gint64 deadline;

  probe = g_socket_new (G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_STREAM, G_SOCKET_PROTOCOL_TCP, &error);
  if (probe == NULL || !g_socket_bind (probe, any, FALSE, &error) ||
      (bound = g_socket_get_local_address (probe, &error)) == NULL)
    g_error ("free port: %s", error->message);
  B.origin_port = g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (bound));
  g_socket_close (probe, NULL);

  g_mkdir_with_parents (dir, 0700);
  conf = g_strdup_printf ("daemon off; worker_processes 1; pid %s/nginx.pid; error_log %s/error.log;\n"
                          "events { worker_connections 4096; }\n"
                          "http { access_log off;\n"
                          "  client_body_temp_path %s; proxy_temp_path %s; fastcgi_temp_path %s;\n"
                          "  uwsgi_temp_path %s; scgi_temp_path %s;\n"
                          "  server { listen 127.0.0.1:%u; default_type text/plain;\n"
                          "    location / { return 200 \"hello from the origin\\n\"; } } }\n",
                          dir, dir, dir, dir, dir, dir, dir, B.origin_port);
  if (!g_file_set_contents (conf_path, conf, -1, &error))
    g_error ("%s", error->message);
  B.nginx = g_subprocess_new (G_SUBPROCESS_FLAGS_STDERR_SILENCE, &error,
                              "nginx", "-c", conf_path, "-p", dir, NULL);
  if (B.nginx == NULL)
    g_error ("nginx (apt-get install nginx-light): %s", error->message);

  /* Until it accepts. */
  deadline = g_get_monotonic_time () + 10 * G_USEC_PER_SEC;
  for (;;)
    {
      g_autoptr(GSocketClient) client = g_socket_client_new ();
      g_autoptr(GSocketConnection) conn = NULL;

      g_socket_client_set_enable_proxy (client, FALSE);
      conn = g_socket_client_connect_to_host (client, "127.0.0.1", B.origin_port, NULL, NULL);
      if (conn != NULL)
        break;
      if (g_get_monotonic_time () > deadline || g_subprocess_get_identifier (B.nginx) == NULL)
        g_error ("nginx did not start (see %s/error.log)", dir);
      g_usleep (20 * 1000);
    }
}
#endif

static gboolean
start_load_cb (gpointer data)
{
  GnProtection *protection = gn_application_get_protection (B.app);

  if (gn_protection_get_state (protection) != GN_PROTECTION_ON)
    return G_SOURCE_CONTINUE;

  B.proxy_port = gn_engine_get_port (gn_application_get_engine (B.app));
  if (B.external)
    {
      g_autoptr(GError) error = NULL;
      g_autofree char *proxy = g_strdup_printf ("%u", B.proxy_port);
      g_autofree char *origin = g_strdup_printf ("%u", B.origin_port);
      g_autofree char *rate = g_strdup_printf ("%u", B.rate);
      g_autofree char *seconds = g_strdup_printf ("%u", B.seconds);
      g_autoptr(GSubprocess) client = NULL;
      g_autofree char *load = loadavg ();

      g_print ("load average (1 and 5 min) at the start: %s\n", load);
      client = g_subprocess_new (G_SUBPROCESS_FLAGS_STDOUT_PIPE, &error, B.load_client,
                                 proxy, origin, rate, seconds, NULL);
      if (client == NULL)
        g_error ("%s: %s", B.load_client, error->message);
      B.load_start = g_get_monotonic_time ();
      B.load_end = B.load_start + B.seconds * G_USEC_PER_SEC;
      g_subprocess_communicate_utf8_async (client, NULL, NULL, client_done_cb, NULL);
    }
  else
    {
      B.load_start = g_get_monotonic_time () + 200 * 1000;
      B.load_end = B.load_start + B.seconds * G_USEC_PER_SEC;
      for (guint i = 0; i < N_LOAD_THREADS; i++)
        g_thread_unref (g_thread_new ("load", load_thread, GUINT_TO_POINTER (i)));
    }
  B.have_schedstat = main_schedstat (&B.run_ns0, &B.wait_ns0);
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
    { "external-load", 0, 0, G_OPTION_ARG_NONE, &B.external,
      "Origin (nginx) and load client (http-load) in processes of their own", NULL },
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
  B.tmp = tmp;
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
  B.stalls = g_array_new (FALSE, FALSE, sizeof (Stall));
  if (B.external)
    {
#ifdef G_OS_UNIX
      g_autofree char *bindir = g_path_get_dirname (argv[0]);

      B.load_client = g_build_filename (bindir, "http-load", NULL);
      if (!g_file_test (B.load_client, G_FILE_TEST_IS_EXECUTABLE))
        {
          g_printerr ("%s not found (built on Linux only)\n", B.load_client);
          return 2;
        }
      start_nginx ();
      g_print ("window process %d (its main thread has the same id; perf record -t %d)\n",
               (int) getpid (), (int) getpid ());
#else
      g_printerr ("--external-load needs Linux\n");
      return 2;
#endif
    }
  else
    {
      g_thread_unref (g_thread_new ("origin", origin_thread, NULL));
      while (g_atomic_int_get ((gint *) &B.origin_port) == 0)
        g_usleep (1000);
    }

  config = gn_engine_config_new ();
  config->port = 0;
  B.app = gn_application_new (config);
  g_application_set_flags (G_APPLICATION (B.app), G_APPLICATION_NON_UNIQUE);
  g_signal_connect_after (B.app, "activate", G_CALLBACK (activate_cb), NULL);
  g_application_run (G_APPLICATION (B.app), 1, app_argv);
  g_object_unref (B.app);
  g_array_unref (B.lateness);
  g_array_unref (B.stalls);
  if (B.nginx != NULL)
    {
#ifdef G_OS_UNIX
      g_subprocess_send_signal (B.nginx, SIGTERM);  /* the master stops its workers */
#endif
      g_subprocess_wait (B.nginx, NULL, NULL);
      g_clear_object (&B.nginx);
    }
  g_free (B.load_client);
  g_free (B.client_result);
  g_print ("(temporary files in %s)\n", tmp);
  return 0;
}
