/* test-engine-lifecycle.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Stopping and restarting the engine without blocking the caller and
 * without a moment when nothing accepts, on real loopback sockets:
 * gn_engine_stop_async() returns at once, closes the port within a round
 * trip while open tunnels keep working, lets a new start bind the same
 * port during the drain, and completes when the tunnels are gone (closed
 * by their clients, or at drain_timeout_ms); "n-draining" rises and comes
 * back to 0 in a few notifications; gn_engine_stop() waits for servers
 * that earlier restarts left draining. Restarts serve every one of 500
 * requests fired at them from several threads, move to a new port (the old
 * one closes after the new one serves), and fail on a port held by another
 * socket with GN_ERROR_ADDRESS_IN_USE while the old server keeps serving.
 *
 * Threading: the engine on its own threads, the origin on its own,
 * blocking clients on the main thread and on client threads; async results
 * and notifications must arrive on the main thread.
 */

#include <string.h>

#include "test-utils.h"

#define DRAIN_MS 1500

static GThread *main_thread;

static GnEngineConfig *
config_new (guint16 port,
            guint   drain_timeout_ms)
{
  GnEngineConfig *config = gn_engine_config_new ();

  config->port = port;
  config->drain_timeout_ms = drain_timeout_ms;
  return config;
}

static void
set_config (GnEngine *engine,
            guint16   port,
            guint     drain_timeout_ms)
{
  g_autoptr(GnEngineConfig) config = config_new (port, drain_timeout_ms);

  gn_engine_set_config (engine, config);
}

static GSocketConnection *
open_tunnel (guint16       port,
             GnTestOrigin *origin)
{
  g_autofree char *request = g_strdup_printf ("CONNECT 127.0.0.1:%u HTTP/1.1\r\n\r\n",
                                              gn_test_origin_get_port (origin));
  GSocketConnection *conn = gn_test_connect ("127.0.0.1", port);
  g_autofree char *head = NULL;

  gn_test_send (conn, request, -1);
  head = gn_test_read_head (conn);
  g_assert_cmpuint (gn_test_status (head), ==, 200);
  return conn;
}

/* One keep-alive request to the origin through an open tunnel. */
static void
assert_tunnel_works (GSocketConnection *conn)
{
  g_autofree char *head = NULL;
  g_autoptr(GBytes) body = NULL;

  gn_test_send (conn, "GET /hello HTTP/1.1\r\nHost: x\r\n\r\n", -1);
  head = gn_test_read_head (conn);
  g_assert_cmpuint (gn_test_status (head), ==, 200);
  body = gn_test_read_exact (conn, 11);
  g_assert_cmpmem (g_bytes_get_data (body, NULL), g_bytes_get_size (body), "hello world", 11);
}

static gboolean
connect_refused (guint16 port)
{
  g_autoptr(GSocketClient) client = g_socket_client_new ();
  g_autoptr(GSocketConnection) conn = NULL;
  g_autoptr(GError) error = NULL;

  g_socket_client_set_enable_proxy (client, FALSE);
  conn = g_socket_client_connect_to_host (client, "127.0.0.1", port, NULL, &error);
  return g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CONNECTION_REFUSED);
}

/* Polls (without iterating any context) until the status is not @status. */
static GnEngineStatus
wait_status_leaves (GnEngine       *engine,
                    GnEngineStatus  status,
                    guint           timeout_ms)
{
  gint64 end = g_get_monotonic_time () + timeout_ms * G_TIME_SPAN_MILLISECOND;

  while (gn_engine_get_status (engine) == status && g_get_monotonic_time () < end)
    g_usleep (1000);
  return gn_engine_get_status (engine);
}

typedef struct
{
  gboolean  done;
  gboolean  ok;
  GError   *error;
  gint64    at;        /* monotonic time of the callback */
} Result;

static void
on_stopped (GObject      *source,
            GAsyncResult *result,
            gpointer      user_data)
{
  Result *r = user_data;

  g_assert_true (g_thread_self () == main_thread);
  r->ok = gn_engine_stop_finish (GN_ENGINE (source), result, &r->error);
  r->at = g_get_monotonic_time ();
  r->done = TRUE;
}

static void
on_restarted (GObject      *source,
              GAsyncResult *result,
              gpointer      user_data)
{
  Result *r = user_data;

  g_assert_true (g_thread_self () == main_thread);
  r->ok = gn_engine_restart_finish (GN_ENGINE (source), result, &r->error);
  r->at = g_get_monotonic_time ();
  r->done = TRUE;
}

static gboolean
result_done (gpointer data)
{
  return ((Result *) data)->done;
}

/* ---- stop_async ------------------------------------------------------------ */

static void
test_stop_async (void)
{
  const guint n = 5;
  guint fds_before = gn_test_count_fds_settled ();
  g_autoptr(GnEngineConfig) config = config_new (0, DRAIN_MS);
  GnTestOrigin *origin = gn_test_origin_new (FALSE);
  GnEngine *engine = gn_test_engine_new (config, NULL);
  g_autoptr(GPtrArray) tunnels = g_ptr_array_new_with_free_func (g_object_unref);
  g_autoptr(GPtrArray) stuck = g_ptr_array_new_with_free_func (g_object_unref);
  g_autoptr(GError) error = NULL;
  guint16 port = gn_engine_get_port (engine);
  Result r = { 0 };
  gint64 start, ms;

  for (guint i = 0; i < n; i++)
    g_ptr_array_add (tunnels, open_tunnel (port, origin));
  gn_test_wait_open (engine, n);

  start = g_get_monotonic_time ();
  gn_engine_stop_async (engine, NULL, on_stopped, &r);
  ms = (g_get_monotonic_time () - start) / 1000;
  g_test_message ("stop_async with %u open tunnels returned in %" G_GINT64_FORMAT " ms", n, ms);
  g_assert_cmpint (ms, <, 100);

  /* Within a round trip the listener is closed: nobody answers there,
   * while the tunnels still drain. */
  g_assert_cmpint (wait_status_leaves (engine, GN_ENGINE_STATUS_RUNNING, 1000), ==,
                   GN_ENGINE_STATUS_DRAINING);
  g_assert_cmpuint (gn_engine_get_port (engine), ==, 0);
  g_assert_true (connect_refused (port));
  g_assert_cmpuint (gn_engine_get_n_draining (engine), ==, n);
  g_assert_false (r.done);

  /* The tunnels keep working during the drain. */
  for (guint i = 0; i < n; i++)
    assert_tunnel_works (g_ptr_array_index (tunnels, i));

  /* A start at once binds the same port and serves, the old tunnels still
   * draining beside it. */
  gn_engine_config_unref (config);
  config = config_new (port, DRAIN_MS);
  gn_engine_set_config (engine, config);
  gn_engine_start (engine, &error);
  g_assert_no_error (error);
  g_assert_cmpint (gn_engine_get_status (engine), ==, GN_ENGINE_STATUS_RUNNING);
  g_assert_cmpuint (gn_engine_get_port (engine), ==, port);
  gn_test_assert_served (port, origin);
  assert_tunnel_works (g_ptr_array_index (tunnels, 0));
  g_assert_false (r.done);

  /* Three tunnels end from the client side; the last two stay open until
   * the drain timeout closes them, and only then does the stop complete. */
  for (guint i = 0; i < 2; i++)
    g_ptr_array_add (stuck, g_object_ref (g_ptr_array_index (tunnels, i)));
  g_ptr_array_remove_range (tunnels, 0, 2);
  for (guint i = 0; i < tunnels->len; i++)
    g_io_stream_close (g_ptr_array_index (tunnels, i), NULL, NULL);
  g_assert_true (gn_test_wait_until (result_done, &r, DRAIN_MS + 5000));
  ms = (r.at - start) / 1000;
  g_test_message ("stop_async completed after %" G_GINT64_FORMAT " ms", ms);
  g_assert_no_error (r.error);
  g_assert_true (r.ok);
  g_assert_cmpint (ms, >=, DRAIN_MS - 50);
  g_assert_cmpint (ms, <, DRAIN_MS + 3000);
  g_assert_cmpuint (gn_engine_get_n_draining (engine), ==, 0);
  gn_test_assert_closed (stuck);

  /* The server started meanwhile is untouched by the end of the drain. */
  g_assert_cmpint (gn_engine_get_status (engine), ==, GN_ENGINE_STATUS_RUNNING);
  gn_test_assert_served (port, origin);

  g_ptr_array_set_size (tunnels, 0);
  g_ptr_array_set_size (stuck, 0);
  gn_engine_stop (engine);
  g_assert_finalize_object (engine);
  gn_test_origin_free (origin);
  g_assert_cmpuint (gn_test_wait_fds (fds_before), <=, fds_before);
}

/* ---- n-draining -------------------------------------------------------------- */

typedef struct
{
  GArray *n_draining;  /* (element-type guint) each notified value */
  GArray *status;      /* (element-type GnEngineStatus) */
} Seen;

static void
on_n_draining (GObject    *object,
               GParamSpec *pspec,
               gpointer    user_data)
{
  Seen *seen = user_data;
  guint n;

  g_assert_true (g_thread_self () == main_thread);
  g_object_get (object, "n-draining", &n, NULL);
  g_array_append_val (seen->n_draining, n);
}

static void
on_status (GObject    *object,
           GParamSpec *pspec,
           gpointer    user_data)
{
  Seen *seen = user_data;
  GnEngineStatus status;

  g_assert_true (g_thread_self () == main_thread);
  g_object_get (object, "status", &status, NULL);
  g_array_append_val (seen->status, status);
}

static void
test_n_draining (void)
{
  const guint n = 5;
  g_autoptr(GnEngineConfig) config = config_new (0, DRAIN_MS * 4);
  GnTestOrigin *origin = gn_test_origin_new (FALSE);
  GnEngine *engine = gn_test_engine_new (config, NULL);
  g_autoptr(GPtrArray) tunnels = g_ptr_array_new_with_free_func (g_object_unref);
  g_autoptr(GArray) values = g_array_new (FALSE, FALSE, sizeof (guint));
  g_autoptr(GArray) statuses = g_array_new (FALSE, FALSE, sizeof (GnEngineStatus));
  Seen seen = { values, statuses };
  GParamSpec *pspec;
  GThread *closer;
  Result r = { 0 };
  gint64 start, ms;

  /* The status is an enum GType. */
  pspec = g_object_class_find_property (G_OBJECT_GET_CLASS (engine), "status");
  g_assert_true (G_IS_PARAM_SPEC_ENUM (pspec));
  g_assert_true (pspec->value_type == GN_TYPE_ENGINE_STATUS);

  for (guint i = 0; i < n; i++)
    g_ptr_array_add (tunnels, open_tunnel (gn_engine_get_port (engine), origin));
  gn_test_wait_open (engine, n);
  while (g_main_context_iteration (NULL, FALSE))
    ;
  g_signal_connect (engine, "notify::n-draining", G_CALLBACK (on_n_draining), &seen);
  g_signal_connect (engine, "notify::status", G_CALLBACK (on_status), &seen);
  g_assert_cmpuint (gn_engine_get_n_draining (engine), ==, 0);

  /* The clients leave after 500 ms, well before the drain timeout. */
  start = g_get_monotonic_time ();
  gn_engine_stop_async (engine, NULL, on_stopped, &r);
  closer = gn_test_close_later (tunnels, 500);
  g_assert_true (gn_test_wait_until (result_done, &r, DRAIN_MS * 4));
  ms = (r.at - start) / 1000;
  g_thread_join (closer);
  g_test_message ("stop_async completed %" G_GINT64_FORMAT " ms after the call, "
                  "%u n-draining notifications", ms, values->len);
  g_assert_true (r.ok);
  g_assert_cmpint (ms, <, DRAIN_MS * 2);

  /* Up to the 5 open tunnels, back to 0 by the time the stop completed,
   * in a handful of notifications. */
  g_assert_cmpuint (values->len, >=, 2);
  g_assert_cmpuint (values->len, <=, 10);
  g_assert_cmpuint (g_array_index (values, guint, 0), >, 0);
  g_assert_cmpuint (g_array_index (values, guint, 0), <=, n);
  g_assert_cmpuint (g_array_index (values, guint, values->len - 1), ==, 0);
  g_assert_cmpuint (gn_engine_get_n_draining (engine), ==, 0);

  /* DRAINING while they drained, STOPPED when the task completed. */
  g_assert_cmpuint (statuses->len, ==, 2);
  g_assert_cmpint (g_array_index (statuses, GnEngineStatus, 0), ==, GN_ENGINE_STATUS_DRAINING);
  g_assert_cmpint (g_array_index (statuses, GnEngineStatus, 1), ==, GN_ENGINE_STATUS_STOPPED);
  g_assert_cmpint (gn_engine_get_status (engine), ==, GN_ENGINE_STATUS_STOPPED);

  g_signal_handlers_disconnect_by_data (engine, &seen);
  g_ptr_array_set_size (tunnels, 0);
  g_assert_finalize_object (engine);
  gn_test_origin_free (origin);
}

/* A synchronous stop waits for what earlier restarts left draining too. */
static void
test_stop_waits_for_earlier (void)
{
  g_autoptr(GnEngineConfig) config = config_new (0, DRAIN_MS * 4);
  GnTestOrigin *origin = gn_test_origin_new (FALSE);
  GnEngine *engine = gn_test_engine_new (config, NULL);
  g_autoptr(GPtrArray) tunnels = g_ptr_array_new_with_free_func (g_object_unref);
  g_autoptr(GError) error = NULL;
  GThread *closer;
  gint64 start, ms;

  g_ptr_array_add (tunnels, open_tunnel (gn_engine_get_port (engine), origin));
  gn_test_wait_open (engine, 1);
  gn_engine_restart (engine, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (gn_engine_get_n_draining (engine), ==, 1);

  start = g_get_monotonic_time ();
  closer = gn_test_close_later (tunnels, 400);
  gn_engine_stop (engine);
  ms = (g_get_monotonic_time () - start) / 1000;
  g_thread_join (closer);
  g_test_message ("stop waited %" G_GINT64_FORMAT " ms for the earlier server", ms);
  g_assert_cmpint (ms, >=, 350);
  g_assert_cmpint (ms, <, DRAIN_MS * 4);
  g_assert_cmpuint (gn_engine_get_n_draining (engine), ==, 0);
  g_assert_cmpint (gn_engine_get_status (engine), ==, GN_ENGINE_STATUS_STOPPED);

  g_ptr_array_set_size (tunnels, 0);
  g_assert_finalize_object (engine);
  gn_test_origin_free (origin);
}

/* ---- restart ----------------------------------------------------------------- */

typedef struct
{
  guint16  port;
  char    *request;    /* absolute-form GET, Connection: close */
  gint     total;
  gint     next;       /* atomic: the next request to send */
  gint     n_ok;       /* atomic */
  gint     n_failed;   /* atomic */
  GMutex   lock;
  char    *failure;    /* (owned) (nullable) the first, under lock */
} Clients;

static void
client_failed (Clients    *c,
               guint       i,
               const char *what)
{
  g_atomic_int_inc (&c->n_failed);
  g_mutex_lock (&c->lock);
  if (c->failure == NULL)
    c->failure = g_strdup_printf ("request %u: %s", i, what);
  g_mutex_unlock (&c->lock);
}

/* A new connection per request, through the proxy to the origin. */
static gpointer
client_thread (gpointer data)
{
  Clients *c = data;
  g_autoptr(GSocketClient) client = g_socket_client_new ();
  gint i;

  g_socket_client_set_enable_proxy (client, FALSE);
  g_socket_client_set_timeout (client, 10);
  while ((i = g_atomic_int_add (&c->next, 1)) < c->total)
    {
      g_autoptr(GSocketConnection) conn = NULL;
      g_autoptr(GError) error = NULL;
      g_autoptr(GBytes) reply = NULL;
      g_autofree char *text = NULL;

      conn = g_socket_client_connect_to_host (client, "127.0.0.1", c->port, NULL, &error);
      if (conn == NULL)
        {
          client_failed (c, i, error->message);
          continue;
        }
      if (!g_output_stream_write_all (g_io_stream_get_output_stream (G_IO_STREAM (conn)),
                                      c->request, strlen (c->request), NULL, NULL, &error))
        {
          client_failed (c, i, error->message);
          continue;
        }
      reply = gn_test_read_all (conn, 65536);
      if (g_bytes_get_size (reply) == 0)
        {
          client_failed (c, i, "closed without an answer");
          continue;
        }
      text = g_strndup (g_bytes_get_data (reply, NULL), g_bytes_get_size (reply));
      if (gn_test_status (text) == 200 && g_str_has_suffix (text, "\r\n\r\nhello world"))
        g_atomic_int_inc (&c->n_ok);
      else
        client_failed (c, i, text);
    }
  return NULL;
}

static gint
clients_done (Clients *c)
{
  return g_atomic_int_get (&c->n_ok) + g_atomic_int_get (&c->n_failed);
}

static void
test_restart_no_gap (void)
{
  const guint n_restarts = 5;
  guint fds_before = gn_test_count_fds_settled ();
  g_autoptr(GnEngineConfig) config = config_new (0, 3000);
  GnTestOrigin *origin = gn_test_origin_new (FALSE);
  GnEngine *engine = gn_test_engine_new (config, NULL);
  g_autoptr(GPtrArray) tunnels = g_ptr_array_new_with_free_func (g_object_unref);
  guint16 port = gn_engine_get_port (engine);
  Clients c = { 0 };
  GThread *threads[5];

  g_mutex_init (&c.lock);
  c.port = port;
  c.total = 500;
  c.request = g_strdup_printf ("GET http://127.0.0.1:%u/hello HTTP/1.1\r\nHost: x\r\n"
                               "Connection: close\r\n\r\n", gn_test_origin_get_port (origin));

  /* A tunnel stays open: were a restart to wait for the drain, it would
   * take the whole drain timeout. */
  g_ptr_array_add (tunnels, open_tunnel (port, origin));

  for (guint i = 0; i < G_N_ELEMENTS (threads); i++)
    threads[i] = g_thread_new ("client", client_thread, &c);

  for (guint k = 0; k < n_restarts; k++)
    {
      gint due = (gint) ((k + 1) * c.total / (n_restarts + 2));
      g_autoptr(GError) error = NULL;
      gint64 start, ms;

      while (clients_done (&c) < due)
        g_usleep (1000);

      /* Port 0 keeps the current port; an explicit one the same. */
      set_config (engine, k % 2 == 0 ? 0 : port, 3000);
      start = g_get_monotonic_time ();
      if (k % 2 == 0)
        {
          Result r = { 0 };

          gn_engine_restart_async (engine, NULL, on_restarted, &r);
          g_assert_true (gn_test_wait_until (result_done, &r, 10000));
          g_assert_no_error (r.error);
          g_assert_true (r.ok);
        }
      else
        {
          gn_engine_restart (engine, &error);
          g_assert_no_error (error);
        }
      ms = (g_get_monotonic_time () - start) / 1000;
      g_test_message ("restart %u (%s) after %d requests took %" G_GINT64_FORMAT " ms",
                      k + 1, k % 2 == 0 ? "async" : "sync", clients_done (&c), ms);
      g_assert_cmpint (ms, <, 1000);
      g_assert_cmpint (gn_engine_get_status (engine), ==, GN_ENGINE_STATUS_RUNNING);
      g_assert_cmpuint (gn_engine_get_port (engine), ==, port);
    }

  for (guint i = 0; i < G_N_ELEMENTS (threads); i++)
    g_thread_join (threads[i]);
  g_test_message ("%d of %d requests served through %u restarts", c.n_ok, c.total, n_restarts);
  if (c.failure != NULL)
    g_test_message ("first failure: %s", c.failure);
  g_assert_cmpint (c.n_failed, ==, 0);
  g_assert_cmpint (c.n_ok, ==, c.total);

  g_ptr_array_set_size (tunnels, 0);
  gn_engine_stop (engine);
  g_assert_finalize_object (engine);
  gn_test_origin_free (origin);
  g_free (c.request);
  g_free (c.failure);
  g_mutex_clear (&c.lock);
  g_assert_cmpuint (gn_test_wait_fds (fds_before), <=, fds_before);
}

static void
test_restart_new_port (void)
{
  g_autoptr(GnEngineConfig) config = config_new (0, DRAIN_MS);
  GnTestOrigin *origin = gn_test_origin_new (FALSE);
  GnEngine *engine = gn_test_engine_new (config, NULL);
  g_autoptr(GPtrArray) tunnels = g_ptr_array_new_with_free_func (g_object_unref);
  g_autoptr(GError) error = NULL;
  guint16 old_port = gn_engine_get_port (engine);
  guint16 new_port = gn_test_free_port ();

  g_ptr_array_add (tunnels, open_tunnel (old_port, origin));
  gn_test_wait_open (engine, 1);

  set_config (engine, new_port, DRAIN_MS);
  gn_engine_restart (engine, &error);
  g_assert_no_error (error);
  g_assert_cmpint (gn_engine_get_status (engine), ==, GN_ENGINE_STATUS_RUNNING);
  g_assert_cmpuint (gn_engine_get_port (engine), ==, new_port);

  /* The new port serves, the old one is closed, its tunnel drains. */
  gn_test_assert_served (new_port, origin);
  g_assert_true (connect_refused (old_port));
  g_assert_cmpuint (gn_engine_get_n_draining (engine), ==, 1);
  assert_tunnel_works (g_ptr_array_index (tunnels, 0));

  /* Closed at the drain timeout. */
  gn_test_assert_closed (tunnels);
  g_ptr_array_set_size (tunnels, 0);
  gn_engine_stop (engine);
  g_assert_finalize_object (engine);
  gn_test_origin_free (origin);
}

/* 127.0.0.1:P to 0.0.0.0:P and back: Linux lets only one of them listen,
 * so the old listener closes first; either way P serves afterwards. */
static void
test_restart_other_address (void)
{
  g_autoptr(GnEngineConfig) config = config_new (0, DRAIN_MS);
  g_autoptr(GnEngineConfig) any = NULL;
  GnTestOrigin *origin = gn_test_origin_new (FALSE);
  GnEngine *engine = gn_test_engine_new (config, NULL);
  g_autoptr(GError) error = NULL;
  guint16 port = gn_engine_get_port (engine);

  any = config_new (port, DRAIN_MS);
  g_free (any->bind_address);
  any->bind_address = g_strdup ("0.0.0.0");
  any->allow_non_loopback = TRUE;
  gn_engine_set_config (engine, any);
  gn_engine_restart (engine, &error);
  g_assert_no_error (error);
  g_assert_cmpint (gn_engine_get_status (engine), ==, GN_ENGINE_STATUS_RUNNING);
  g_assert_cmpuint (gn_engine_get_port (engine), ==, port);
  gn_test_assert_served (port, origin);

  set_config (engine, 0, DRAIN_MS);
  gn_engine_restart (engine, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (gn_engine_get_port (engine), ==, port);
  gn_test_assert_served (port, origin);

  gn_engine_stop (engine);
  g_assert_finalize_object (engine);
  gn_test_origin_free (origin);
}

static void
test_restart_port_in_use (void)
{
  g_autoptr(GnEngineConfig) config = config_new (0, DRAIN_MS);
  GnTestOrigin *origin = gn_test_origin_new (FALSE);
  GnEngine *engine = gn_test_engine_new (config, NULL);
  g_autoptr(GError) error = NULL;
  g_autoptr(GError) engine_error = NULL;
  g_autoptr(GInetAddress) lo = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
  g_autoptr(GSocketAddress) any_port = g_inet_socket_address_new (lo, 0);
  g_autoptr(GSocketAddress) bound = NULL;
  g_autoptr(GSocket) taken = NULL;
  guint16 port = gn_engine_get_port (engine);
  guint16 taken_port;
  Result r = { 0 };

  /* Another program listens there. */
  taken = g_socket_new (G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_STREAM, G_SOCKET_PROTOCOL_TCP, &error);
  g_assert_no_error (error);
  g_socket_bind (taken, any_port, FALSE, &error);
  g_assert_no_error (error);
  g_socket_listen (taken, &error);
  g_assert_no_error (error);
  bound = g_socket_get_local_address (taken, &error);
  g_assert_no_error (error);
  taken_port = g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (bound));

  set_config (engine, taken_port, DRAIN_MS);
  g_assert_false (gn_engine_restart (engine, &error));
  g_assert_error (error, GN_ERROR, GN_ERROR_ADDRESS_IN_USE);
  g_test_message ("%s", error->message);

  /* The old server keeps serving, unchanged. */
  g_assert_cmpint (gn_engine_get_status (engine), ==, GN_ENGINE_STATUS_RUNNING);
  g_assert_cmpuint (gn_engine_get_port (engine), ==, port);
  engine_error = gn_engine_dup_error (engine);
  g_assert_null (engine_error);
  g_assert_cmpuint (gn_engine_get_n_draining (engine), ==, 0);
  gn_test_assert_served (port, origin);

  /* The same through restart_async. */
  gn_engine_restart_async (engine, NULL, on_restarted, &r);
  g_assert_true (gn_test_wait_until (result_done, &r, 10000));
  g_assert_false (r.ok);
  g_assert_error (r.error, GN_ERROR, GN_ERROR_ADDRESS_IN_USE);
  g_clear_error (&r.error);
  g_assert_cmpint (gn_engine_get_status (engine), ==, GN_ENGINE_STATUS_RUNNING);
  gn_test_assert_served (port, origin);

  gn_engine_stop (engine);
  g_assert_finalize_object (engine);
  gn_test_origin_free (origin);
}

/* One-time process state (GLib's worker thread, resolver, the origin's
 * threads) before the fd counts start. */
static void
warm_up (void)
{
  g_autoptr(GnEngineConfig) config = config_new (0, DRAIN_MS);
  GnEngine *engine = gn_test_engine_new (config, NULL);
  GnTestOrigin *origin = gn_test_origin_new (FALSE);
  g_autoptr(GSocketConnection) tunnel = open_tunnel (gn_engine_get_port (engine), origin);
  Result r = { 0 };

  assert_tunnel_works (tunnel);
  gn_test_assert_served (gn_engine_get_port (engine), origin);
  g_io_stream_close (G_IO_STREAM (tunnel), NULL, NULL);
  gn_engine_stop_async (engine, NULL, on_stopped, &r);
  g_assert_true (gn_test_wait_until (result_done, &r, 10000));
  g_assert_finalize_object (engine);
  gn_test_origin_free (origin);
}

int
main (int argc, char *argv[])
{
  g_test_init (&argc, &argv, NULL);
  main_thread = g_thread_self ();
  warm_up ();

  g_test_add_func ("/engine/lifecycle/stop-async", test_stop_async);
  g_test_add_func ("/engine/lifecycle/n-draining", test_n_draining);
  g_test_add_func ("/engine/lifecycle/stop-waits-for-earlier", test_stop_waits_for_earlier);
  g_test_add_func ("/engine/lifecycle/restart-no-gap", test_restart_no_gap);
  g_test_add_func ("/engine/lifecycle/restart-new-port", test_restart_new_port);
  g_test_add_func ("/engine/lifecycle/restart-other-address", test_restart_other_address);
  g_test_add_func ("/engine/lifecycle/restart-port-in-use", test_restart_port_in_use);
  return g_test_run ();
}
