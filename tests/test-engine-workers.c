/* test-engine-workers.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The engine with several worker threads (GnEngineConfig.n_workers): many
 * concurrent tunnels and plain-HTTP requests (raw GIO clients on several
 * threads and curl --parallel) are all served and spread over every worker;
 * max_connections is one limit across workers (503 past it, room again when
 * one leaves); restart under load drains the workers' connections, rebinds
 * and serves again; stop returns when the last tunnel on any worker ends and
 * closes stuck ones at the drain timeout; close-by-id from the main thread
 * ends a connection that lives on a worker; and the file descriptors (the
 * workers' own included) are back to their start once the engine is gone.
 * "Served" is checked with the status page, asked for with a Host that
 * names the proxy (any other gets 421).
 *
 * Threading: the engine and its workers on their own threads, the origin on
 * its own, blocking clients on the main thread and on client threads.
 */

#include <string.h>

#include "test-utils.h"

/* GET / of the proxy's own status page, with a Host naming it (421 otherwise). */
static char *
exchange_own_page (guint16 port)
{
  g_autofree char *request = g_strdup_printf ("GET / HTTP/1.1\r\nHost: 127.0.0.1:%u\r\n\r\n", port);

  return gn_test_exchange (port, request);
}

#define N_WORKERS 4

/* Whether the workers accept for themselves (gn-proxy-accept.c:
 * GN_ACCEPT=reuseport or shared, Linux only; by default the engine thread
 * accepts and hands each connection over). */
static gboolean
workers_accept (void)
{
#ifdef __linux__
  const char *mode = g_getenv ("GN_ACCEPT");

  return g_strcmp0 (mode, "reuseport") == 0 || g_strcmp0 (mode, "polled") == 0;
#else
  return FALSE;
#endif
}

static GnEngineConfig *
config_new (guint n_workers)
{
  GnEngineConfig *config = gn_engine_config_new ();

  config->port = 0;
  config->n_workers = n_workers;
  return config;
}

/* The worker threads of this process by name, with their voluntary context
 * switches: a worker that served connections has woken up for them. */
static GHashTable *
worker_switches (void)
{
  GHashTable *switches = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  g_autoptr(GDir) dir = g_dir_open ("/proc/self/task", 0, NULL);
  const char *tid;

  g_assert_nonnull (dir);
  while ((tid = g_dir_read_name (dir)) != NULL)
    {
      g_autofree char *comm_path = g_strdup_printf ("/proc/self/task/%s/comm", tid);
      g_autofree char *status_path = g_strdup_printf ("/proc/self/task/%s/status", tid);
      g_autofree char *comm = NULL;
      g_autofree char *status = NULL;
      const char *line;

      if (!g_file_get_contents (comm_path, &comm, NULL, NULL) ||
          !g_file_get_contents (status_path, &status, NULL, NULL))
        continue;
      g_strchomp (comm);
      if (!g_str_has_prefix (comm, "gn-worker-"))
        continue;
      line = strstr (status, "voluntary_ctxt_switches:");
      g_assert_nonnull (line);
      g_hash_table_insert (switches, g_strdup (comm),
                           GUINT_TO_POINTER ((guint) g_ascii_strtoull (line + 24, NULL, 10)));
    }
  return switches;
}

static gboolean
n_worker_threads_is (gpointer data)
{
  g_autoptr(GHashTable) threads = worker_switches ();

  return g_hash_table_size (threads) == GPOINTER_TO_UINT (data);
}

/* ---- many clients at once --------------------------------------------- */

typedef struct
{
  guint16  port;
  char    *tunnel;     /* CONNECT + GET, Connection: close */
  char    *forward;    /* absolute-form GET, Connection: close */
  guint    rounds;
  gint     n_ok;       /* atomic */
} Load;

static gpointer
load_thread (gpointer data)
{
  Load *load = data;

  for (guint i = 0; i < load->rounds; i++)
    {
      g_autofree char *a = gn_test_exchange (load->port, load->tunnel);
      g_autofree char *b = gn_test_exchange (load->port, load->forward);

      if (gn_test_status (a) == 200 && strstr (a, "hello world") != NULL)
        g_atomic_int_inc (&load->n_ok);
      if (gn_test_status (b) == 200 && g_str_has_suffix (b, "hello world"))
        g_atomic_int_inc (&load->n_ok);
    }
  return NULL;
}

static void
test_spread (void)
{
  const guint n_threads = 8, rounds = 40, n_curl = 32;
  guint fds_before = gn_test_count_fds_settled ();
  g_autoptr(GnEngineConfig) config = config_new (N_WORKERS);
  GnEngine *engine;
  GnTestOrigin *origin = gn_test_origin_new (FALSE);
  g_autoptr(GHashTable) before = NULL;
  g_autoptr(GHashTable) after = NULL;
  g_autoptr(GBytes) out = NULL;
  g_autofree char *proxy = NULL;
  g_autofree char *url = NULL;
  GThread *threads[8];
  Load load = { 0 };
  GHashTableIter iter;
  gpointer name, value;
  guint n_accepting = 0, by_workers = 0, handed = 0;

  engine = gn_test_engine_new (config, NULL);
  g_assert_cmpuint (gn_engine_get_n_workers (engine), ==, N_WORKERS);
  /* A new thread names itself once it runs. */
  g_assert_true (gn_test_wait_until (n_worker_threads_is, GUINT_TO_POINTER (N_WORKERS), 5000));
  before = worker_switches ();
  g_assert_cmpuint (g_hash_table_size (before), ==, N_WORKERS);

  load.port = gn_engine_get_port (engine);
  load.rounds = rounds;
  load.tunnel = g_strdup_printf ("CONNECT 127.0.0.1:%u HTTP/1.1\r\n\r\n"
                                 "GET /hello HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
                                 gn_test_origin_get_port (origin));
  load.forward = g_strdup_printf ("GET http://127.0.0.1:%u/hello HTTP/1.1\r\nHost: x\r\n"
                                  "Connection: close\r\n\r\n", gn_test_origin_get_port (origin));
  for (guint i = 0; i < n_threads; i++)
    threads[i] = g_thread_new ("client", load_thread, &load);

  /* Meanwhile curl, many transfers in parallel (keep-alive and tunnels). */
  proxy = gn_test_proxy_url (load.port);
  url = g_strdup_printf ("http://127.0.0.1:%u/hello", gn_test_origin_get_port (origin));
  {
    /* curl reads the URLs from a config file: one line each. */
    g_autoptr(GString) urls = g_string_new (NULL);
    g_autofree char *list = NULL;

    for (guint i = 0; i < n_curl; i++)
      g_string_append_printf (urls, "url = \"%s\"\n", url);
    list = gn_test_write_list (urls->str);
    g_assert_cmpint (gn_test_curl (&out, "--parallel", "--parallel-max", "16",
                                   "--no-progress-meter", "-x", proxy, "-K", list, NULL), ==, 0);
    gn_test_remove_file (list);
  }
  {
    g_autoptr(GString) all = g_string_new (NULL);

    for (guint i = 0; i < n_curl; i++)
      g_string_append (all, "hello world");
    g_assert_cmpmem (g_bytes_get_data (out, NULL), g_bytes_get_size (out), all->str, all->len);
  }

  for (guint i = 0; i < n_threads; i++)
    g_thread_join (threads[i]);
  g_assert_cmpint (g_atomic_int_get (&load.n_ok), ==, n_threads * rounds * 2);
  gn_test_wait_open (engine, 0);

  /* Every worker took part. */
  after = worker_switches ();
  g_hash_table_iter_init (&iter, after);
  while (g_hash_table_iter_next (&iter, &name, &value))
    {
      guint was = GPOINTER_TO_UINT (g_hash_table_lookup (before, name));

      g_test_message ("%s: %u wake-ups", (char *) name, GPOINTER_TO_UINT (value) - was);
      g_assert_cmpuint (GPOINTER_TO_UINT (value), >=, was + 20);
    }

  /* Who accepted: with GN_ACCEPT=reuseport or shared each worker on the
   * listening socket itself, the engine thread never (and the kernel or
   * whoever wakes first spreads them: two workers at least); otherwise
   * the engine thread, handing every connection over. */
  for (guint i = 0; i < N_WORKERS; i++)
    {
      guint w, e;

      gn_engine_get_worker_accepted (engine, i, &w, &e);
      g_test_message ("gn-worker-%u accepted %u itself, was handed %u", i, w, e);
      by_workers += w;
      handed += e;
      n_accepting += w > 0;
    }
  /* Every client thread's exchange is a connection of its own. */
  g_assert_cmpuint (by_workers + handed, >=, n_threads * rounds * 2);
  if (workers_accept ())
    {
      g_assert_cmpuint (handed, ==, 0);
      g_assert_cmpuint (n_accepting, >=, 2);
    }
  else
    g_assert_cmpuint (by_workers, ==, 0);

  gn_engine_stop (engine);
  g_assert_finalize_object (engine);
  gn_test_origin_free (origin);
  g_free (load.tunnel);
  g_free (load.forward);
  /* The workers' threads and contexts are gone with the engine. */
  g_clear_pointer (&after, g_hash_table_unref);
  after = worker_switches ();
  g_assert_cmpuint (g_hash_table_size (after), ==, 0);
  g_assert_cmpuint (gn_test_wait_fds (fds_before), <=, fds_before);
}

/* ---- one limit across workers ------------------------------------------ */

static GSocketConnection *
open_tunnel (guint16     port,
             const char *request)
{
  GSocketConnection *conn = gn_test_connect ("127.0.0.1", port);
  g_autofree char *head = NULL;

  gn_test_send (conn, request, -1);
  head = gn_test_read_head (conn);
  g_assert_cmpuint (gn_test_status (head), ==, 200);
  return conn;
}

static void
test_limit (void)
{
  const guint limit = 6;
  guint fds_before = gn_test_count_fds_settled ();
  g_autoptr(GnEngineConfig) config = config_new (N_WORKERS);
  GnEngine *engine;
  GnTestOrigin *origin = gn_test_origin_new (FALSE);
  g_autoptr(GPtrArray) held = g_ptr_array_new_with_free_func (g_object_unref);
  g_autoptr(GPtrArray) extra = g_ptr_array_new_with_free_func (g_object_unref);
  g_autofree char *request = NULL;
  g_autofree char *again = NULL;
  g_autoptr(GPtrArray) snapshot = NULL;
  GnCounters total;
  guint16 port;

  config->max_connections = limit;
  engine = gn_test_engine_new (config, NULL);
  port = gn_engine_get_port (engine);
  request = g_strdup_printf ("CONNECT 127.0.0.1:%u HTTP/1.1\r\n\r\n", gn_test_origin_get_port (origin));

  /* The limit's worth of tunnels, spread over the workers. */
  for (guint i = 0; i < limit; i++)
    g_ptr_array_add (held, open_tunnel (port, request));
  gn_test_wait_open (engine, limit);

  /* A burst past it: every one is answered 503, whichever worker gets it. */
  for (guint i = 0; i < 3 * N_WORKERS; i++)
    {
      GSocketConnection *conn = gn_test_connect ("127.0.0.1", port);

      gn_test_send (conn, request, -1);
      g_ptr_array_add (extra, conn);
    }
  for (guint i = 0; i < extra->len; i++)
    {
      g_autofree char *head = gn_test_read_head (g_ptr_array_index (extra, i));

      g_assert_cmpuint (gn_test_status (head), ==, 503);
      g_assert_nonnull (strstr (head, "Retry-After: "));
    }
  snapshot = gn_connection_registry_snapshot (gn_engine_get_registry (engine), &total, NULL);
  g_assert_cmpuint (total.rejected, ==, 3 * N_WORKERS);
  g_assert_cmpuint (gn_connection_registry_get_n_open (gn_engine_get_registry (engine)), ==, limit);

  /* Room again once one leaves, on whichever worker it was. */
  g_ptr_array_remove_index (held, 0);
  gn_test_wait_open (engine, limit - 1);
  again = exchange_own_page (port);
  g_assert_cmpuint (gn_test_status (again), ==, 200);

  g_ptr_array_set_size (held, 0);
  g_ptr_array_set_size (extra, 0);
  gn_engine_stop (engine);
  g_assert_finalize_object (engine);
  gn_test_origin_free (origin);
  g_assert_cmpuint (gn_test_wait_fds (fds_before), <=, fds_before);
}

/* ---- restart under load --------------------------------------------------- */

typedef struct
{
  guint16   port;
  char     *forward;
  gint      stop;        /* atomic */
  gint      n_ok;        /* atomic */
  gint      n_other;     /* atomic: refused or cut by the restart */
} Hammer;

static gpointer
hammer_thread (gpointer data)
{
  Hammer *h = data;

  while (!g_atomic_int_get (&h->stop))
    {
      g_autoptr(GSocketClient) client = g_socket_client_new ();
      g_autoptr(GSocketConnection) conn = NULL;
      g_autoptr(GBytes) reply = NULL;
      g_autofree char *text = NULL;

      g_socket_client_set_enable_proxy (client, FALSE);
      g_socket_client_set_timeout (client, 10);
      conn = g_socket_client_connect_to_host (client, "127.0.0.1", h->port, NULL, NULL);
      if (conn == NULL)
        {
          /* Counted, not expected: a restart hands the listening socket over
           * (test-engine-lifecycle.c asserts that none fails). */
          g_atomic_int_inc (&h->n_other);
          g_usleep (1000);
          continue;
        }
      gn_test_send (conn, h->forward, -1);
      reply = gn_test_read_all (conn, 65536);
      text = g_strndup (g_bytes_get_data (reply, NULL), g_bytes_get_size (reply));
      if (gn_test_status (text) == 200)
        g_atomic_int_inc (&h->n_ok);
      else
        g_atomic_int_inc (&h->n_other);
    }
  return NULL;
}

static gboolean
ok_at_least (gpointer data)
{
  Hammer *h = data;

  return g_atomic_int_get (&h->n_ok) >= 50;
}

static void
test_restart_under_load (void)
{
  const guint n = 200;
  guint fds_before = gn_test_count_fds_settled ();
  g_autoptr(GnEngineConfig) config = config_new (N_WORKERS);
  GnEngine *engine;
  GnTestOrigin *origin = gn_test_origin_new (FALSE);
  g_autoptr(GPtrArray) tunnels = g_ptr_array_new_with_free_func (g_object_unref);
  g_autofree char *request = NULL;
  g_autoptr(GError) error = NULL;
  Hammer h = { 0 };
  GThread *hammers[3];
  guint16 port;
  gint64 start, ms;

  config->drain_timeout_ms = 1000;
  engine = gn_test_engine_new (config, NULL);
  port = gn_engine_get_port (engine);
  gn_engine_config_unref (config);
  config = config_new (N_WORKERS);
  config->drain_timeout_ms = 1000;
  config->port = port;
  gn_engine_set_config (engine, config);

  request = g_strdup_printf ("CONNECT 127.0.0.1:%u HTTP/1.1\r\n\r\n", gn_test_origin_get_port (origin));
  for (guint i = 0; i < n; i++)
    g_ptr_array_add (tunnels, open_tunnel (port, request));
  gn_test_wait_open (engine, n);

  /* Requests keep coming from three threads through the restart. */
  h.port = port;
  h.forward = g_strdup_printf ("GET http://127.0.0.1:%u/hello HTTP/1.1\r\nHost: x\r\n"
                               "Connection: close\r\n\r\n", gn_test_origin_get_port (origin));
  for (guint i = 0; i < G_N_ELEMENTS (hammers); i++)
    hammers[i] = g_thread_new ("hammer", hammer_thread, &h);
  g_assert_true (gn_test_wait_until (ok_at_least, &h, 10000));

  start = g_get_monotonic_time ();
  gn_engine_restart (engine, &error);
  ms = (g_get_monotonic_time () - start) / 1000;
  g_assert_no_error (error);
  g_test_message ("restart with %u open tunnels on %u workers took %" G_GINT64_FORMAT " ms",
                  n, N_WORKERS, ms);
  g_assert_cmpint (gn_engine_get_status (engine), ==, GN_ENGINE_STATUS_RUNNING);
  g_assert_cmpuint (gn_engine_get_port (engine), ==, port);

  /* Served after the restart too. */
  g_atomic_int_set (&h.n_ok, 0);
  g_assert_true (gn_test_wait_until (ok_at_least, &h, 10000));
  g_atomic_int_set (&h.stop, TRUE);
  for (guint i = 0; i < G_N_ELEMENTS (hammers); i++)
    g_thread_join (hammers[i]);
  g_test_message ("%d requests refused or cut around the restart", g_atomic_int_get (&h.n_other));

  gn_test_assert_served (port, origin);

  /* The old tunnels, on every worker, were closed by the drain. */
  gn_test_assert_closed (tunnels);

  g_ptr_array_set_size (tunnels, 0);
  gn_test_wait_open (engine, 0);
  gn_engine_stop (engine);
  g_assert_finalize_object (engine);
  gn_test_origin_free (origin);
  g_free (h.forward);
  g_assert_cmpuint (gn_test_wait_fds (fds_before), <=, fds_before);
}

/* ---- restarts under a flood of new connections ------------------------------ */

typedef struct
{
  guint16  port;
  char    *request;    /* absolute-form GET, Connection: close */
  gint     total;
  gint     next;       /* atomic: the next connection to open */
  gint     n_ok;       /* atomic */
  gint     n_failed;   /* atomic */
  GMutex   lock;
  char    *failure;    /* (owned) (nullable) the first, under lock */
} Flood;

#define FLOOD_BURST 20

static void
flood_failed (Flood      *f,
              const char *what)
{
  g_atomic_int_inc (&f->n_failed);
  g_mutex_lock (&f->lock);
  if (f->failure == NULL)
    f->failure = g_strdup (what);
  g_mutex_unlock (&f->lock);
}

/* Opens FLOOD_BURST connections at once (the kernel completes them
 * before anyone accepts: they wait in the accept queue), then sends each
 * its request and reads each answer; again until the total is reached. */
static gpointer
flood_thread (gpointer data)
{
  Flood *f = data;
  g_autoptr(GSocketClient) client = g_socket_client_new ();
  gint base;

  g_socket_client_set_enable_proxy (client, FALSE);
  g_socket_client_set_timeout (client, 10);
  while ((base = g_atomic_int_add (&f->next, FLOOD_BURST)) < f->total)
    {
      GSocketConnection *conns[FLOOD_BURST] = { NULL };
      guint n = MIN (FLOOD_BURST, (guint) (f->total - base));

      for (guint i = 0; i < n; i++)
        {
          g_autoptr(GError) error = NULL;

          conns[i] = g_socket_client_connect_to_host (client, "127.0.0.1", f->port, NULL, &error);
          if (conns[i] == NULL)
            flood_failed (f, error->message);
        }
      for (guint i = 0; i < n; i++)
        {
          g_autoptr(GError) error = NULL;

          if (conns[i] != NULL &&
              !g_output_stream_write_all (g_io_stream_get_output_stream (G_IO_STREAM (conns[i])),
                                          f->request, strlen (f->request), NULL, NULL, &error))
            {
              flood_failed (f, error->message);
              g_clear_object (&conns[i]);
            }
        }
      for (guint i = 0; i < n; i++)
        {
          g_autoptr(GBytes) reply = NULL;
          g_autofree char *text = NULL;

          if (conns[i] == NULL)
            continue;
          reply = gn_test_read_all (conns[i], 65536);
          text = g_strndup (g_bytes_get_data (reply, NULL), g_bytes_get_size (reply));
          if (gn_test_status (text) == 200 && g_str_has_suffix (text, "\r\n\r\nhello world"))
            g_atomic_int_inc (&f->n_ok);
          else
            flood_failed (f, text[0] != '\0' ? text : "closed or reset without an answer");
          g_clear_object (&conns[i]);
        }
    }
  return NULL;
}

static gint
flood_done (Flood *f)
{
  return g_atomic_int_get (&f->n_ok) + g_atomic_int_get (&f->n_failed);
}

/* Restarts while bursts of clients keep connecting: the listening socket
 * goes from server to server with its accept queue, whichever thread
 * accepts, so not one client is refused, reset or left unanswered. */
static void
test_restart_flood (void)
{
  const guint n_restarts = 5;
  guint fds_before = gn_test_count_fds_settled ();
  g_autoptr(GnEngineConfig) config = config_new (N_WORKERS);
  GnTestOrigin *origin = gn_test_origin_new (FALSE);
  GnEngine *engine;
  guint16 port;
  Flood f = { 0 };
  GThread *threads[4];
  guint by_workers = 0, handed = 0;

  config->drain_timeout_ms = 5000;
  engine = gn_test_engine_new (config, NULL);
  port = gn_engine_get_port (engine);
  g_mutex_init (&f.lock);
  f.port = port;
  f.total = 800;
  f.request = g_strdup_printf ("GET http://127.0.0.1:%u/hello HTTP/1.1\r\nHost: x\r\n"
                               "Connection: close\r\n\r\n", gn_test_origin_get_port (origin));

  for (guint i = 0; i < G_N_ELEMENTS (threads); i++)
    threads[i] = g_thread_new ("flood", flood_thread, &f);

  for (guint k = 0; k < n_restarts; k++)
    {
      gint due = (gint) ((k + 1) * f.total / (n_restarts + 2));
      g_autoptr(GError) error = NULL;

      while (flood_done (&f) < due)
        g_usleep (500);
      gn_engine_restart (engine, &error);
      g_assert_no_error (error);
      g_assert_cmpint (gn_engine_get_status (engine), ==, GN_ENGINE_STATUS_RUNNING);
      g_assert_cmpuint (gn_engine_get_port (engine), ==, port);
      g_test_message ("restart %u after %d connections", k + 1, flood_done (&f));
    }

  for (guint i = 0; i < G_N_ELEMENTS (threads); i++)
    g_thread_join (threads[i]);
  for (guint i = 0; i < N_WORKERS; i++)
    {
      guint w, e;

      gn_engine_get_worker_accepted (engine, i, &w, &e);
      by_workers += w;
      handed += e;
    }
  g_test_message ("%d of %d connections served through %u restarts "
                  "(%u accepted by workers, %u by the engine thread)",
                  f.n_ok, f.total, n_restarts, by_workers, handed);
  if (f.failure != NULL)
    g_test_message ("first failure: %s", f.failure);
  g_assert_cmpint (f.n_failed, ==, 0);
  g_assert_cmpint (f.n_ok, ==, f.total);
  g_assert_cmpuint (by_workers + handed, ==, (guint) f.total);
  if (workers_accept ())
    g_assert_cmpuint (by_workers, >, 0);
  else
    g_assert_cmpuint (by_workers, ==, 0);

  gn_test_wait_open (engine, 0);
  gn_engine_stop (engine);
  g_assert_finalize_object (engine);
  gn_test_origin_free (origin);
  g_free (f.request);
  g_free (f.failure);
  g_mutex_clear (&f.lock);
  g_assert_cmpuint (gn_test_wait_fds (fds_before), <=, fds_before);
}

/* ---- drain ------------------------------------------------------------------ */

static void
test_drain (void)
{
  guint fds_before = gn_test_count_fds_settled ();
  g_autoptr(GnEngineConfig) config = config_new (N_WORKERS);
  GnEngine *engine;
  GnTestOrigin *origin = gn_test_origin_new (FALSE);
  g_autoptr(GPtrArray) busy = g_ptr_array_new_with_free_func (g_object_unref);
  g_autoptr(GPtrArray) stuck = g_ptr_array_new_with_free_func (g_object_unref);
  g_autofree char *request = NULL;
  GThread *thread;
  gint64 start, ms;

  config->drain_timeout_ms = 5000;
  engine = gn_test_engine_new (config, NULL);
  request = g_strdup_printf ("CONNECT 127.0.0.1:%u HTTP/1.1\r\n\r\n", gn_test_origin_get_port (origin));

  /* Tunnels on every worker that end 300 ms into the drain: stop returns
   * when the last one is gone, not at the drain timeout. */
  for (guint i = 0; i < 2 * N_WORKERS; i++)
    g_ptr_array_add (busy, open_tunnel (gn_engine_get_port (engine), request));
  gn_test_wait_open (engine, 2 * N_WORKERS);
  thread = gn_test_close_later (busy, 300);
  start = g_get_monotonic_time ();
  gn_engine_stop (engine);
  ms = (g_get_monotonic_time () - start) / 1000;
  g_thread_join (thread);
  g_assert_cmpint (ms, >=, 250);
  g_assert_cmpint (ms, <, 2500);
  g_assert_cmpuint (gn_connection_registry_get_n_open (gn_engine_get_registry (engine)), ==, 0);

  /* Tunnels that never end are closed at the drain timeout, on every worker. */
  gn_engine_config_unref (config);
  config = config_new (N_WORKERS);
  config->drain_timeout_ms = 400;
  gn_engine_set_config (engine, config);
  g_assert_true (gn_engine_start (engine, NULL));
  for (guint i = 0; i < 2 * N_WORKERS; i++)
    g_ptr_array_add (stuck, open_tunnel (gn_engine_get_port (engine), request));
  gn_test_wait_open (engine, 2 * N_WORKERS);
  start = g_get_monotonic_time ();
  gn_engine_stop (engine);
  ms = (g_get_monotonic_time () - start) / 1000;
  g_assert_cmpint (ms, >=, 350);
  g_assert_cmpint (ms, <, 1400);
  for (guint i = 0; i < stuck->len; i++)
    {
      g_autoptr(GBytes) rest = gn_test_read_all (g_ptr_array_index (stuck, i), 16);

      g_assert_cmpuint (g_bytes_get_size (rest), ==, 0);
    }

  g_ptr_array_set_size (busy, 0);
  g_ptr_array_set_size (stuck, 0);
  g_assert_finalize_object (engine);
  gn_test_origin_free (origin);
  g_assert_cmpuint (gn_test_wait_fds (fds_before), <=, fds_before);
}

/* ---- close by id ---------------------------------------------------------- */

static void
test_close_by_id (void)
{
  const guint n = 3 * N_WORKERS;
  guint fds_before = gn_test_count_fds_settled ();
  g_autoptr(GnEngineConfig) config = config_new (N_WORKERS);
  GnEngine *engine;
  GnTestOrigin *origin = gn_test_origin_new (FALSE);
  g_autoptr(GPtrArray) tunnels = g_ptr_array_new_with_free_func (g_object_unref);
  g_autoptr(GPtrArray) infos = NULL;
  g_autoptr(GSocketConnection) spared = NULL;
  g_autofree char *request = NULL;
  GnConnectionRegistry *registry;
  guint64 spared_id = 0;
  guint64 closed_id = 0;
  guint16 spared_port;

  engine = gn_test_engine_new (config, NULL);
  registry = gn_engine_get_registry (engine);
  request = g_strdup_printf ("CONNECT 127.0.0.1:%u HTTP/1.1\r\n\r\n", gn_test_origin_get_port (origin));
  for (guint i = 0; i < n; i++)
    g_ptr_array_add (tunnels, open_tunnel (gn_engine_get_port (engine), request));
  spared = open_tunnel (gn_engine_get_port (engine), request);
  {
    g_autoptr(GSocketAddress) local = g_socket_connection_get_local_address (spared, NULL);

    spared_port = g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (local));
  }
  gn_test_wait_open (engine, n + 1);

  /* Close all but one by id, from this (the main) thread. */
  infos = gn_connection_registry_snapshot (registry, NULL, NULL);
  g_assert_cmpuint (infos->len, ==, n + 1);
  for (guint i = 0; i < infos->len; i++)
    {
      GnConnectionInfo *info = g_ptr_array_index (infos, i);

      if (info->client_port == spared_port)
        spared_id = info->id;
      else
        {
          closed_id = info->id;
          gn_connection_registry_close_by_id (registry, info->id);
        }
    }
  g_assert_cmpuint (spared_id, >, 0);

  gn_test_assert_closed (tunnels);
  gn_test_wait_open (engine, 1);

  /* The spared one still works both ways. */
  {
    g_autoptr(GBytes) reply = NULL;

    gn_test_send (spared, "GET /hello HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", -1);
    reply = gn_test_read_all (spared, 65536);
    g_assert_nonnull (g_strstr_len (g_bytes_get_data (reply, NULL), g_bytes_get_size (reply),
                                    "hello world"));
  }
  /* Closing an id that is gone (or unknown) does nothing. */
  gn_connection_registry_close_by_id (registry, closed_id);
  gn_connection_registry_close_by_id (registry, G_MAXUINT64);

  g_clear_object (&spared);
  g_ptr_array_set_size (tunnels, 0);
  gn_test_wait_open (engine, 0);
  gn_engine_stop (engine);
  g_assert_finalize_object (engine);
  gn_test_origin_free (origin);
  g_assert_cmpuint (gn_test_wait_fds (fds_before), <=, fds_before);
}

/* ---- connect timeout on the direct (IP address) path ----------------------- */

static void
test_connect_timeout (void)
{
  g_autoptr(GnEngineConfig) config = config_new (N_WORKERS);
  GnEngine *engine;
  g_autoptr(GSocket) full = g_socket_new (G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_STREAM,
                                          G_SOCKET_PROTOCOL_TCP, NULL);
  g_autoptr(GInetAddress) loopback = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
  g_autoptr(GSocketAddress) any = g_inet_socket_address_new (loopback, 0);
  g_autoptr(GSocketAddress) bound = NULL;
  g_autoptr(GPtrArray) fillers = g_ptr_array_new_with_free_func (g_object_unref);
  g_autofree char *request = NULL;
  g_autofree char *reply = NULL;
  guint fds_before;

  /* A listener that never accepts, its queue full: the kernel drops new
   * SYNs, so a connect to it hangs until our connect timeout. */
  g_assert_nonnull (full);
  g_socket_set_listen_backlog (full, 0);
  g_assert_true (g_socket_bind (full, any, TRUE, NULL));
  g_assert_true (g_socket_listen (full, NULL));
  bound = g_socket_get_local_address (full, NULL);
  for (guint i = 0; i < 4; i++)
    {
      GSocket *filler = g_socket_new (G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_STREAM,
                                      G_SOCKET_PROTOCOL_TCP, NULL);

      g_socket_set_blocking (filler, FALSE);
      g_socket_connect (filler, bound, NULL, NULL);
      g_ptr_array_add (fillers, filler);
    }
  g_usleep (100 * 1000);

  fds_before = gn_test_count_fds_settled ();
  config->connect_timeout_ms = 300;
  engine = gn_test_engine_new (config, NULL);
  request = g_strdup_printf ("CONNECT 127.0.0.1:%u HTTP/1.1\r\n\r\n",
                             g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (bound)));
  reply = gn_test_exchange (gn_engine_get_port (engine), request);
  g_assert_cmpuint (gn_test_status (reply), ==, 504);
  gn_test_wait_open (engine, 0);
  gn_engine_stop (engine);
  g_assert_finalize_object (engine);
  g_assert_cmpuint (gn_test_wait_fds (fds_before), <=, fds_before);
}

/* ---- one worker: the engine thread itself ---------------------------------- */

static void
test_one_worker (void)
{
  g_autoptr(GnEngineConfig) config = config_new (1);
  GnEngine *engine = gn_test_engine_new (config, NULL);
  g_autoptr(GHashTable) threads = worker_switches ();
  g_autofree char *reply = NULL;

  g_assert_cmpuint (gn_engine_get_n_workers (engine), ==, 1);
  g_assert_cmpuint (g_hash_table_size (threads), ==, 0);
  reply = exchange_own_page (gn_engine_get_port (engine));
  g_assert_cmpuint (gn_test_status (reply), ==, 200);
  gn_engine_stop (engine);
  g_assert_finalize_object (engine);
}

/* GLib's process-wide helpers (GTask's worker context, the resolver's
 * threads) open descriptors once, on first use: let that happen before any
 * test counts descriptors. */
static void
warm_up (void)
{
  g_autoptr(GnEngineConfig) config = config_new (2);
  GnEngine *engine = gn_test_engine_new (config, NULL);
  GnTestOrigin *origin = gn_test_origin_new (FALSE);
  g_autofree char *request = g_strdup_printf ("CONNECT 127.0.0.1:%u HTTP/1.1\r\n\r\n"
                                              "GET /hello HTTP/1.1\r\nHost: x\r\n"
                                              "Connection: close\r\n\r\n",
                                              gn_test_origin_get_port (origin));
  g_autofree char *reply = gn_test_exchange (gn_engine_get_port (engine), request);

  g_assert_cmpuint (gn_test_status (reply), ==, 200);
  gn_engine_stop (engine);
  g_assert_finalize_object (engine);
  gn_test_origin_free (origin);
}

int
main (int argc, char *argv[])
{
  g_test_init (&argc, &argv, NULL);
  warm_up ();
  g_test_add_func ("/engine/workers/spread", test_spread);
  g_test_add_func ("/engine/workers/limit", test_limit);
  g_test_add_func ("/engine/workers/restart-under-load", test_restart_under_load);
  g_test_add_func ("/engine/workers/restart-flood", test_restart_flood);
  g_test_add_func ("/engine/workers/drain", test_drain);
  g_test_add_func ("/engine/workers/close-by-id", test_close_by_id);
  g_test_add_func ("/engine/workers/connect-timeout", test_connect_timeout);
  g_test_add_func ("/engine/workers/one-worker", test_one_worker);
  return g_test_run ();
}
