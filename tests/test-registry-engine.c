/* test-registry-engine.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The connection registry as the window sees it, fed by the real engine:
 * real clients open CONNECT tunnels, plain-HTTP requests and blocked
 * requests through GnEngine on loopback; the test subscribes on its main
 * context and checks that what the batches say agrees exactly with what the
 * clients did (bytes each way, kind, target, verdict), that closing a
 * connection by id ends both of its sockets, and that no file descriptor is
 * left open afterwards.
 *
 * Threading: the engine runs on its own thread, the raw origin on another,
 * the clients on worker threads with blocking sockets; the subscriber and
 * every assertion on batches run on the test's main thread.
 */

#include <string.h>

#include "gn-engine.h"
#include "test-utils.h"

/* ------------------------------------------------------------------------ */
/* A raw origin: reads until EOF (or holds), then answers 2n+7 bytes         */

typedef struct
{
  GThread          *thread;
  GMainContext     *context;
  GMainLoop        *loop;
  GSocketService   *service;
  guint16           port;
  gint              n_eof;       /* atomic: connections whose client sent EOF */
  gint              n_served;    /* atomic */
  GMutex            lock;
  GCond             cond;
  gboolean          ready;
} RawOrigin;

static guint8
pattern (guint64 offset)
{
  return (guint8) ((offset * 13 + offset / 241) & 0xff);
}

static gboolean
origin_run_cb (GThreadedSocketService *service,
               GSocketConnection      *conn,
               GObject                *source,
               gpointer                data)
{
  RawOrigin *origin = data;
  GInputStream *in = g_io_stream_get_input_stream (G_IO_STREAM (conn));
  GOutputStream *out = g_io_stream_get_output_stream (G_IO_STREAM (conn));
  char buf[16384];
  guint64 got = 0, reply;
  gsize off = 0;

  g_socket_set_timeout (g_socket_connection_get_socket (conn), 30);
  for (;;)
    {
      gssize n = g_input_stream_read (in, buf, sizeof buf, NULL, NULL);

      if (n < 0)
        return FALSE;
      if (n == 0)
        break;
      for (gssize i = 0; i < n; i++)
        g_assert_cmpint ((guint8) buf[i], ==, pattern (got + i));
      got += n;
    }
  g_atomic_int_inc (&origin->n_eof);

  reply = got * 2 + 7;
  while (off < reply)
    {
      gsize chunk = MIN (sizeof buf, reply - off);

      for (gsize i = 0; i < chunk; i++)
        buf[i] = (char) pattern (off + i);
      if (!g_output_stream_write_all (out, buf, chunk, NULL, NULL, NULL))
        return FALSE;
      off += chunk;
    }
  g_io_stream_close (G_IO_STREAM (conn), NULL, NULL);
  g_atomic_int_inc (&origin->n_served);
  return FALSE;
}

static gpointer
origin_thread (gpointer data)
{
  RawOrigin *origin = data;
  g_autoptr(GError) error = NULL;

  g_main_context_push_thread_default (origin->context);
  origin->service = g_threaded_socket_service_new (64);
  origin->port = g_socket_listener_add_any_inet_port (G_SOCKET_LISTENER (origin->service),
                                                      NULL, &error);
  g_assert_no_error (error);
  g_signal_connect (origin->service, "run", G_CALLBACK (origin_run_cb), origin);
  g_socket_service_start (origin->service);

  g_mutex_lock (&origin->lock);
  origin->ready = TRUE;
  g_cond_signal (&origin->cond);
  g_mutex_unlock (&origin->lock);

  g_main_loop_run (origin->loop);

  g_socket_service_stop (origin->service);
  g_socket_listener_close (G_SOCKET_LISTENER (origin->service));
  g_clear_object (&origin->service);
  /* Let the cancelled accept finish, or it keeps the context (and its fd). */
  while (g_main_context_iteration (origin->context, FALSE))
    ;
  g_main_context_pop_thread_default (origin->context);
  return NULL;
}

static RawOrigin *
raw_origin_new (void)
{
  RawOrigin *origin = g_new0 (RawOrigin, 1);

  g_mutex_init (&origin->lock);
  g_cond_init (&origin->cond);
  origin->context = g_main_context_new ();
  origin->loop = g_main_loop_new (origin->context, FALSE);
  origin->thread = g_thread_new ("raw-origin", origin_thread, origin);
  g_mutex_lock (&origin->lock);
  while (!origin->ready)
    g_cond_wait (&origin->cond, &origin->lock);
  g_mutex_unlock (&origin->lock);
  return origin;
}

static void
raw_origin_free (RawOrigin *origin)
{
  g_main_loop_quit (origin->loop);
  g_thread_join (origin->thread);
  g_main_loop_unref (origin->loop);
  g_main_context_unref (origin->context);
  g_mutex_clear (&origin->lock);
  g_cond_clear (&origin->cond);
  g_free (origin);
}

/* ------------------------------------------------------------------------ */
/* The subscriber's table                                                   */

typedef struct
{
  GHashTable        *by_id;     /* id → GnConnectionInfo */
  GnConnectionBatch *last;      /* (owned) (nullable) */
  guint              deliveries;
} Table;

static void
table_batch_cb (const GnConnectionBatch *batch,
                gpointer                 data)
{
  Table *table = data;

  table->deliveries++;
  for (guint i = 0; i < batch->added->len; i++)
    {
      GnConnectionInfo *info = g_ptr_array_index (batch->added, i);

      g_assert_false (g_hash_table_contains (table->by_id, &info->id));
      g_hash_table_insert (table->by_id, &info->id, gn_connection_info_ref (info));
    }
  for (guint i = 0; i < batch->changed->len; i++)
    {
      GnConnectionInfo *info = g_ptr_array_index (batch->changed, i);

      g_assert_true (g_hash_table_contains (table->by_id, &info->id));
      g_hash_table_replace (table->by_id, &info->id, gn_connection_info_ref (info));
    }
  for (guint i = 0; i < batch->removed->len; i++)
    g_assert_true (g_hash_table_remove (table->by_id, &g_array_index (batch->removed, guint64, i)));
  g_clear_pointer (&table->last, gn_connection_batch_unref);
  table->last = gn_connection_batch_ref ((GnConnectionBatch *) batch);
}

static GnConnectionInfo *
table_find_client (Table   *table,
                   guint16  client_port)
{
  GHashTableIter iter;
  gpointer value;

  g_hash_table_iter_init (&iter, table->by_id);
  while (g_hash_table_iter_next (&iter, NULL, &value))
    if (((GnConnectionInfo *) value)->client_port == client_port)
      return value;
  return NULL;
}

/* ------------------------------------------------------------------------ */
/* Clients                                                                  */

#define N_TUNNELS        48
#define N_CLIENT_THREADS 4

typedef struct
{
  guint16  proxy_port;
  guint16  origin_port;
  guint16  client_ports[N_TUNNELS];
  guint64  up[N_TUNNELS];
  gint     next;       /* atomic */
  gint     done;       /* atomic */
  guint16  trickle_port;
  gint     trickle_done;   /* atomic */
} Tunnels;

#define TRICKLE_WRITES 100
#define TRICKLE_BYTES  10

static guint16
local_port (GSocketConnection *conn)
{
  g_autoptr(GSocketAddress) address = g_socket_connection_get_local_address (conn, NULL);

  g_assert_nonnull (address);
  return g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (address));
}

static GSocketConnection *
open_tunnel (guint16  proxy_port,
             guint16  origin_port,
             guint16 *client_port)
{
  GSocketConnection *conn = gn_test_connect ("127.0.0.1", proxy_port);
  g_autofree char *request = g_strdup_printf ("CONNECT 127.0.0.1:%u HTTP/1.1\r\n"
                                              "Host: 127.0.0.1:%u\r\n\r\n",
                                              origin_port, origin_port);
  g_autofree char *head = NULL;

  *client_port = local_port (conn);
  gn_test_send (conn, request, -1);
  head = gn_test_read_head (conn);
  g_assert_nonnull (head);
  g_assert_cmpuint (gn_test_status (head), ==, 200);
  return conn;
}

static gpointer
tunnel_client_thread (gpointer data)
{
  Tunnels *t = data;
  gint i;

  while ((i = g_atomic_int_add (&t->next, 1)) < N_TUNNELS)
    {
      g_autoptr(GSocketConnection) conn = open_tunnel (t->proxy_port, t->origin_port,
                                                       &t->client_ports[i]);
      g_autofree char *payload = g_malloc (t->up[i]);
      g_autoptr(GBytes) reply = NULL;
      const guint8 *bytes;
      gsize len;

      for (guint64 k = 0; k < t->up[i]; k++)
        payload[k] = (char) pattern (k);
      gn_test_send (conn, payload, (gssize) t->up[i]);
      g_socket_shutdown (g_socket_connection_get_socket (conn), FALSE, TRUE, NULL);
      reply = gn_test_read_all (conn, G_MAXSIZE);
      bytes = g_bytes_get_data (reply, &len);
      g_assert_cmpuint (len, ==, t->up[i] * 2 + 7);
      for (gsize k = 0; k < len; k += 4093)
        g_assert_cmpint (bytes[k], ==, pattern (k));
      g_io_stream_close (G_IO_STREAM (conn), NULL, NULL);
      g_atomic_int_inc (&t->done);
    }
  return NULL;
}

/* One slow tunnel: 100 small writes 10 ms apart, each one a byte-count
 * update in the engine, so that batching shows over a second or more. */
static gpointer
trickle_thread (gpointer data)
{
  Tunnels *t = data;
  g_autoptr(GSocketConnection) conn = open_tunnel (t->proxy_port, t->origin_port,
                                                   &t->trickle_port);
  g_autoptr(GBytes) reply = NULL;
  char payload[TRICKLE_BYTES];

  for (guint i = 0; i < TRICKLE_WRITES; i++)
    {
      for (guint k = 0; k < TRICKLE_BYTES; k++)
        payload[k] = (char) pattern (i * TRICKLE_BYTES + k);
      gn_test_send (conn, payload, TRICKLE_BYTES);
      g_usleep (10 * 1000);
    }
  g_socket_shutdown (g_socket_connection_get_socket (conn), FALSE, TRUE, NULL);
  reply = gn_test_read_all (conn, G_MAXSIZE);
  g_assert_cmpuint (g_bytes_get_size (reply), ==, TRICKLE_WRITES * TRICKLE_BYTES * 2 + 7);
  g_io_stream_close (G_IO_STREAM (conn), NULL, NULL);
  g_atomic_int_set (&t->trickle_done, TRUE);
  return NULL;
}

static gboolean
tunnels_done (gpointer data)
{
  Tunnels *t = data;

  return g_atomic_int_get (&t->done) == N_TUNNELS && g_atomic_int_get (&t->trickle_done);
}

static gboolean
all_closed (gpointer data)
{
  Table *table = ((gpointer *) data)[0];
  guint expected = GPOINTER_TO_UINT (((gpointer *) data)[1]);
  GHashTableIter iter;
  gpointer value;
  guint closed = 0;

  g_hash_table_iter_init (&iter, table->by_id);
  while (g_hash_table_iter_next (&iter, NULL, &value))
    closed += ((GnConnectionInfo *) value)->state == GN_CONNECTION_STATE_CLOSED;
  return closed == expected && table->last != NULL && table->last->open_now == 0;
}

static void
test_engine_batches_exact (void)
{
  guint fds_before = gn_test_count_fds_settled ();
  RawOrigin *origin = raw_origin_new ();
  GnTestOrigin *http_origin = gn_test_origin_new (FALSE);
  GnEngine *engine = gn_test_engine_new (NULL, "blocked.test\n");
  GnConnectionRegistry *registry = gn_engine_get_registry (engine);
  Table table = { g_hash_table_new_full (g_int64_hash, g_int64_equal, NULL,
                                         (GDestroyNotify) gn_connection_info_unref) };
  Tunnels t = { gn_engine_get_port (engine), origin->port };
  GThread *threads[N_CLIENT_THREADS];
  GThread *trickle;
  guint64 sum_up = 0, sum_down = 0;
  guint16 blocked_port, http_port;
  gint64 start;
  guint sub, elapsed_ms;
  gpointer wait_data[2];
  GnConnectionInfo *info;

  for (guint i = 0; i < N_TUNNELS; i++)
    t.up[i] = 1 + i * 7919 % 200000;

  sub = gn_connection_registry_subscribe (registry, NULL, 200, table_batch_cb, &table, NULL);
  start = g_get_monotonic_time ();
  trickle = g_thread_new ("trickle", trickle_thread, &t);
  for (guint i = 0; i < N_CLIENT_THREADS; i++)
    threads[i] = g_thread_new ("client", tunnel_client_thread, &t);

  /* A blocked CONNECT and a plain-HTTP request alongside. */
  {
    g_autoptr(GSocketConnection) conn = gn_test_connect ("127.0.0.1", t.proxy_port);
    g_autofree char *head = NULL;

    blocked_port = local_port (conn);
    gn_test_send (conn, "CONNECT www.blocked.test:443 HTTP/1.1\r\nHost: www.blocked.test:443\r\n\r\n", -1);
    head = gn_test_read_head (conn);
    g_assert_cmpuint (gn_test_status (head), ==, 403);
  }
  {
    g_autoptr(GSocketConnection) conn = gn_test_connect ("127.0.0.1", t.proxy_port);
    g_autofree char *request = g_strdup_printf ("GET http://127.0.0.1:%u/hello HTTP/1.1\r\n"
                                                "Host: 127.0.0.1:%u\r\nConnection: close\r\n\r\n",
                                                gn_test_origin_get_port (http_origin),
                                                gn_test_origin_get_port (http_origin));
    g_autoptr(GBytes) all = NULL;

    http_port = local_port (conn);
    gn_test_send (conn, request, -1);
    all = gn_test_read_all (conn, 1 << 20);
    g_assert_nonnull (g_strstr_len (g_bytes_get_data (all, NULL), g_bytes_get_size (all),
                                    "hello world"));
  }

  /* Keep receiving batches while the clients run. */
  g_assert_true (gn_test_wait_until (tunnels_done, &t, 60000));
  for (guint i = 0; i < N_CLIENT_THREADS; i++)
    g_thread_join (threads[i]);
  g_thread_join (trickle);
  elapsed_ms = (guint) ((g_get_monotonic_time () - start) / 1000);

  wait_data[0] = &table;
  wait_data[1] = GUINT_TO_POINTER (N_TUNNELS + 3);
  g_assert_true (gn_test_wait_until (all_closed, wait_data, 10000));

  g_test_message ("%u connections in %u ms, %u batches", N_TUNNELS + 3, elapsed_ms,
                  table.deliveries);
  /* Batched: one delivery per 200 ms interval at most (plus the last),
   * far fewer than the trickle's 100 updates alone. */
  g_assert_cmpuint (elapsed_ms, >=, TRICKLE_WRITES * 10);
  g_assert_cmpuint (table.deliveries, >=, 3);
  g_assert_cmpuint (table.deliveries, <=, elapsed_ms / 200 + 3);

  info = table_find_client (&table, t.trickle_port);
  g_assert_nonnull (info);
  g_assert_cmpuint (info->bytes_up, ==, TRICKLE_WRITES * TRICKLE_BYTES);
  g_assert_cmpuint (info->bytes_down, ==, TRICKLE_WRITES * TRICKLE_BYTES * 2 + 7);
  g_assert_cmpint (info->state, ==, GN_CONNECTION_STATE_CLOSED);

  for (guint i = 0; i < N_TUNNELS; i++)
    {
      info = table_find_client (&table, t.client_ports[i]);
      g_assert_nonnull (info);
      g_assert_cmpint (info->kind, ==, GN_CONNECTION_KIND_TUNNEL);
      g_assert_cmpstr (info->host, ==, "127.0.0.1");
      g_assert_cmpuint (info->port, ==, origin->port);
      g_assert_cmpstr (info->client_address, ==, "127.0.0.1");
      g_assert_cmpuint (info->bytes_up, ==, t.up[i]);
      g_assert_cmpuint (info->bytes_down, ==, t.up[i] * 2 + 7);
      g_assert_cmpint (info->state, ==, GN_CONNECTION_STATE_CLOSED);
      g_assert_cmpint (info->ended_at, >=, info->started_at);
      sum_up += info->bytes_up;
      sum_down += info->bytes_down;
    }

  info = table_find_client (&table, blocked_port);
  g_assert_nonnull (info);
  g_assert_cmpint (info->kind, ==, GN_CONNECTION_KIND_BLOCKED);
  g_assert_cmpstr (info->host, ==, "www.blocked.test");
  g_assert_cmpstr (info->rule, ==, "blocked.test");
  g_assert_nonnull (info->list_name);
  g_assert_cmpuint (info->status, ==, 403);

  info = table_find_client (&table, http_port);
  g_assert_nonnull (info);
  g_assert_cmpint (info->kind, ==, GN_CONNECTION_KIND_HTTP);
  g_assert_cmpuint (info->port, ==, gn_test_origin_get_port (http_origin));
  g_assert_cmpuint (info->status, ==, 200);
  g_assert_cmpuint (info->bytes_down, >, strlen ("hello world"));

  g_assert_cmpuint (table.last->total.connections, ==, N_TUNNELS + 3);
  g_assert_cmpuint (table.last->total.blocked, ==, 1);
  g_assert_cmpuint (table.last->total.requests, >=, N_TUNNELS + 1);
  g_assert_cmpuint (table.last->total.bytes_up, >=, sum_up);
  g_assert_cmpuint (table.last->total.bytes_down, >=, sum_down + strlen ("hello world"));
  g_assert_cmpuint (table.last->today.connections, ==, table.last->total.connections);
  g_assert_cmpuint (gn_connection_registry_get_n_open (registry), ==, 0);
  g_assert_cmpint (g_atomic_int_get (&origin->n_served), ==, N_TUNNELS + 1);

  gn_connection_registry_unsubscribe (registry, sub);
  gn_engine_stop (engine);
  g_assert_finalize_object (engine);
  gn_test_origin_free (http_origin);
  raw_origin_free (origin);
  g_hash_table_unref (table.by_id);
  g_clear_pointer (&table.last, gn_connection_batch_unref);
  g_assert_cmpuint (gn_test_wait_fds (fds_before), ==, fds_before);
}

/* ------------------------------------------------------------------------ */
/* close_by_id                                                              */

typedef struct
{
  Table   *table;
  guint16  client_port;
  GnConnectionState state;
} WaitState;

static gboolean
record_in_state (gpointer data)
{
  WaitState *ws = data;
  GnConnectionInfo *info = table_find_client (ws->table, ws->client_port);

  return info != NULL && info->state == ws->state;
}

static gboolean
record_gone (gpointer data)
{
  WaitState *ws = data;

  return table_find_client (ws->table, ws->client_port) == NULL;
}

static gboolean
origin_saw_eof (gpointer data)
{
  return g_atomic_int_get (&((RawOrigin *) data)->n_eof) > 0;
}

static void
test_engine_close_by_id (void)
{
  guint fds_before = gn_test_count_fds_settled ();
  RawOrigin *origin = raw_origin_new ();
  g_autoptr(GnEngineConfig) config = gn_engine_config_new ();
  GnEngine *engine;
  GnConnectionRegistry *registry;
  Table table = { g_hash_table_new_full (g_int64_hash, g_int64_equal, NULL,
                                         (GDestroyNotify) gn_connection_info_unref) };
  g_autoptr(GSocketConnection) conn = NULL;
  gint64 closed_seen;
  GInputStream *in;
  WaitState ws = { &table };
  GnConnectionInfo *info;
  g_autoptr(GError) error = NULL;
  char c;
  gint64 asked;
  guint sub;

  /* Closed connections stay listed for the configured time. */
  config->port = 0;
  config->linger_ms = 700;
  engine = gn_test_engine_new (config, NULL);
  registry = gn_engine_get_registry (engine);

  sub = gn_connection_registry_subscribe (registry, NULL, 100, table_batch_cb, &table, NULL);
  conn = open_tunnel (gn_engine_get_port (engine), origin->port, &ws.client_port);
  gn_test_send (conn, "\x00\x0d", 2);   /* pattern (0), pattern (1) */

  ws.state = GN_CONNECTION_STATE_OPEN;
  g_assert_true (gn_test_wait_until (record_in_state, &ws, 5000));
  info = table_find_client (&table, ws.client_port);
  g_assert_nonnull (info);
  g_assert_cmpint (info->kind, ==, GN_CONNECTION_KIND_TUNNEL);

  /* The window's "close" button: from this thread, by id. */
  asked = g_get_monotonic_time ();
  gn_connection_registry_close_by_id (registry, info->id);

  /* Both sockets end: the origin reads EOF, the client reads EOF. */
  g_assert_true (gn_test_wait_until (origin_saw_eof, origin, 5000));
  in = g_io_stream_get_input_stream (G_IO_STREAM (conn));
  g_socket_set_timeout (g_socket_connection_get_socket (conn), 5);
  while (g_input_stream_read (in, &c, 1, NULL, &error) > 0)
    ;  /* the origin's reply may arrive before the end */
  /* EOF, or a reset; never still open (a timeout). */
  if (error != NULL)
    g_assert_true (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CONNECTION_CLOSED) ||
                   g_error_matches (error, G_IO_ERROR, G_IO_ERROR_BROKEN_PIPE));
  g_test_message ("closed in %" G_GINT64_FORMAT " ms",
                  (g_get_monotonic_time () - asked) / 1000);

  ws.state = GN_CONNECTION_STATE_CLOSED;
  g_assert_true (gn_test_wait_until (record_in_state, &ws, 5000));
  g_assert_cmpuint (gn_connection_registry_get_n_open (registry), ==, 0);
  closed_seen = g_get_monotonic_time ();
  info = table_find_client (&table, ws.client_port);
  g_assert_nonnull (info);
  g_assert_cmpuint (info->bytes_up, ==, 2);

  g_assert_true (gn_test_wait_until (record_gone, &ws, 5000));
  g_assert_cmpint (g_get_monotonic_time () - closed_seen, >=, (700 - 150) * 1000);
  g_assert_cmpint (g_get_monotonic_time () - asked, >=, 700 * 1000);

  g_io_stream_close (G_IO_STREAM (conn), NULL, NULL);
  g_clear_object (&conn);
  gn_connection_registry_unsubscribe (registry, sub);
  gn_engine_stop (engine);
  g_assert_finalize_object (engine);
  raw_origin_free (origin);
  g_hash_table_unref (table.by_id);
  g_clear_pointer (&table.last, gn_connection_batch_unref);
  g_assert_cmpuint (gn_test_wait_fds (fds_before), ==, fds_before);
}

int
main (int argc, char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  /* One-time process state (GLib's worker thread, the default main
   * context, the resolver) before the fd counts start. */
  {
    RawOrigin *origin = raw_origin_new ();
    GnTestOrigin *http_origin = gn_test_origin_new (FALSE);
    GnEngine *warm = gn_test_engine_new (NULL, NULL);
    guint16 client_port;
    GSocketConnection *conn = open_tunnel (gn_engine_get_port (warm), origin->port, &client_port);
    g_autofree char *request = g_strdup_printf ("GET http://127.0.0.1:%u/hello HTTP/1.1\r\n"
                                                "Connection: close\r\n\r\n",
                                                gn_test_origin_get_port (http_origin));

    g_io_stream_close (G_IO_STREAM (conn), NULL, NULL);
    g_object_unref (conn);
    g_free (gn_test_exchange (gn_engine_get_port (warm), request));
    gn_engine_stop (warm);
    g_object_unref (warm);
    gn_test_origin_free (http_origin);
    raw_origin_free (origin);
  }

  g_test_add_func ("/registry-engine/batches-exact", test_engine_batches_exact);
  g_test_add_func ("/registry-engine/close-by-id", test_engine_close_by_id);
  return g_test_run ();
}
