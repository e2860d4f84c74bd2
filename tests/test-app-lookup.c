/* test-app-lookup.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Which program made each connection, looked up by the engine as it
 * accepts it (GnPeerIdentifier, answered by the app core's GnPeerLookup
 * on the platform's exact process lookup):
 *  - a real engine in-process: 20 real curls blocked (10 CONNECT, 10
 *    plain-HTTP block pages) each leave a closed, blocked record naming
 *    "curl", which GnAppResolver passes on; a connection of this process
 *    held open names this program;
 *  - the bound: an identifier that never answers does not hold a blocked
 *    answer past peer_wait_ms;
 *  - the real `guardnest --headless` with its default bound: 20 blocked
 *    curls, every log line says app="curl".
 *
 * Threading: the test's main thread; the engine and the lookup thread run
 * on their own.
 */

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gn-app-resolver.h"
#include "gn-engine.h"
#include "gn-peer-lookup.h"
#include "test-utils.h"

#define N_BLOCKED 20

/* ---- collecting the registry's records ---- */

typedef struct
{
  GHashTable    *closed_blocked;  /* id → app (nullable) */
  GHashTable    *apps;            /* id → app, any state */
  GnAppResolver *resolver;        /* (nullable) fed the batches too */
  guint16        port;
} Seen;

static void
seen_batch (const GnConnectionBatch *batch,
            gpointer                 user_data)
{
  Seen *seen = user_data;
  GPtrArray *lists[] = { batch->added, batch->changed };

  for (guint l = 0; l < G_N_ELEMENTS (lists); l++)
    for (guint i = 0; i < lists[l]->len; i++)
      {
        GnConnectionInfo *info = g_ptr_array_index (lists[l], i);

        if (info->app != NULL)
          g_hash_table_replace (seen->apps, g_memdup2 (&info->id, sizeof info->id), g_strdup (info->app));
        if (info->state == GN_CONNECTION_STATE_CLOSED && info->kind == GN_CONNECTION_KIND_BLOCKED)
          g_hash_table_replace (seen->closed_blocked, g_memdup2 (&info->id, sizeof info->id),
                                g_strdup (info->app));
      }
  if (seen->resolver != NULL)
    gn_app_resolver_apply_batch (seen->resolver, batch, seen->port);
}

static gboolean
all_blocked_cb (gpointer data)
{
  Seen *seen = data;

  return g_hash_table_size (seen->closed_blocked) >= N_BLOCKED;
}

static void
seen_init (Seen *seen)
{
  seen->closed_blocked = g_hash_table_new_full (g_int64_hash, g_int64_equal, g_free, g_free);
  seen->apps = g_hash_table_new_full (g_int64_hash, g_int64_equal, g_free, g_free);
  seen->resolver = NULL;
  seen->port = 0;
}

static void
seen_clear (Seen *seen)
{
  g_hash_table_unref (seen->closed_blocked);
  g_hash_table_unref (seen->apps);
  g_clear_object (&seen->resolver);
}

/* curl through the proxy to a blocked host: the status it got. */
static guint
curl_blocked (guint16  port,
              gboolean tunnel)
{
  g_autofree char *proxy = gn_test_proxy_url (port);
  g_autoptr(GBytes) out = NULL;
  g_autofree char *text = NULL;
  guint code = 0, connect_code = 0;

  gn_test_curl (&out, "-o", "/dev/null", "-w", "%{http_code} %{http_connect}", "-x", proxy,
                tunnel ? "https://ads.example/" : "http://ads.example/", NULL);
  text = g_strndup (g_bytes_get_data (out, NULL), g_bytes_get_size (out));
  g_assert_cmpint (sscanf (text, "%u %u", &code, &connect_code), ==, 2);
  return tunnel ? connect_code : code;
}

static char *
own_comm (void)
{
  char *comm = NULL;

  g_assert_true (g_file_get_contents ("/proc/self/comm", &comm, NULL, NULL));
  return g_strchomp (comm);
}

typedef struct
{
  Seen       *seen;
  const char *app;
} WaitApp;

static gboolean
some_app_cb (gpointer data)
{
  WaitApp *w = data;
  GHashTableIter iter;
  gpointer value;

  g_hash_table_iter_init (&iter, w->seen->apps);
  while (g_hash_table_iter_next (&iter, NULL, &value))
    if (g_strcmp0 (value, w->app) == 0)
      return TRUE;
  return FALSE;
}

/* ---- a real engine ---- */

static void
test_engine_blocked_curl (void)
{
  g_autoptr(GnEngineConfig) config = gn_engine_config_new ();
  g_autoptr(GnPeerLookup) lookup = gn_peer_lookup_new ();
  g_autoptr(GnEngine) engine = NULL;
  g_autoptr(GSocketConnection) held = NULL;
  g_autofree char *comm = own_comm ();
  GnConnectionRegistry *registry;
  GHashTableIter iter;
  gpointer key, value;
  guint sub;
  Seen seen;
  WaitApp wait = { &seen, NULL };

  config->port = 0;
  /* The mechanism under test, not the machine's speed: a bound no loaded
   * machine reaches (the headless test below uses the default). */
  config->peer_wait_ms = 10 * 1000;
  engine = gn_test_engine_new (config, "ads.example\n");
  gn_engine_stop (engine);
  gn_engine_set_peer_identifier (engine, GN_PEER_IDENTIFIER (lookup));
  {
    g_autoptr(GError) error = NULL;

    g_assert_true (gn_engine_start (engine, &error));
    g_assert_no_error (error);
  }
  registry = gn_engine_get_registry (engine);
  seen_init (&seen);
  /* What the window and headless do with the batches: the names pass
   * through the resolver. */
  seen.resolver = gn_app_resolver_new ();
  seen.port = gn_engine_get_port (engine);
  sub = gn_connection_registry_subscribe (registry, g_main_context_default (), 50,
                                          seen_batch, &seen, NULL);

  for (guint i = 0; i < N_BLOCKED; i++)
    g_assert_cmpuint (curl_blocked (gn_engine_get_port (engine), i % 2 == 0), ==, 403);
  g_assert_true (gn_test_wait_until (all_blocked_cb, &seen, 20 * 1000));
  g_hash_table_iter_init (&iter, seen.closed_blocked);
  while (g_hash_table_iter_next (&iter, &key, &value))
    {
      g_assert_cmpstr (value, ==, "curl");
      g_assert_cmpstr (gn_app_resolver_lookup (seen.resolver, *(guint64 *) key), ==, "curl");
    }
  g_assert_cmpuint (g_hash_table_size (seen.closed_blocked), ==, N_BLOCKED);
  g_assert_cmpuint (gn_peer_lookup_get_n_scans (lookup), >=, 1);

  /* A connection of ours, held open: this program. */
  held = gn_test_connect ("127.0.0.1", gn_engine_get_port (engine));
  wait.app = comm;
  g_assert_true (gn_test_wait_until (some_app_cb, &wait, 20 * 1000));
  g_io_stream_close (G_IO_STREAM (held), NULL, NULL);

  gn_connection_registry_unsubscribe (registry, sub);
  gn_engine_stop (engine);
  seen_clear (&seen);
}

/* ---- the bound: an identifier that answers only when cancelled ---- */

#define GN_TYPE_TEST_SILENT (gn_test_silent_get_type ())
G_DECLARE_FINAL_TYPE (GnTestSilent, gn_test_silent, GN, TEST_SILENT, GObject)

struct _GnTestSilent
{
  GObject parent_instance;
  gint    n_asked;   /* atomic */
};

static void silent_identifier_init (GnPeerIdentifierInterface *iface);

G_DEFINE_FINAL_TYPE_WITH_CODE (GnTestSilent, gn_test_silent, G_TYPE_OBJECT,
                               G_IMPLEMENT_INTERFACE (GN_TYPE_PEER_IDENTIFIER, silent_identifier_init))

static void
silent_cancelled (GCancellable *cancellable,
                  gpointer      data)
{
  g_task_return_new_error (data, G_IO_ERROR, G_IO_ERROR_CANCELLED, "Cancelled");
}

static void
silent_identify_async (GnPeerIdentifier    *identifier,
                       GSocketAddress      *client,
                       GSocketAddress      *server,
                       GCancellable        *cancellable,
                       GAsyncReadyCallback  callback,
                       gpointer             user_data)
{
  GTask *task = g_task_new (NULL, cancellable, callback, user_data);

  g_atomic_int_inc (&GN_TEST_SILENT (identifier)->n_asked);
  /* The cancellable (the connection's) holds the task until it goes. */
  g_cancellable_connect (cancellable, G_CALLBACK (silent_cancelled), task, g_object_unref);
}

static char *
silent_identify_finish (GnPeerIdentifier  *identifier,
                        GAsyncResult      *result,
                        GError           **error)
{
  return g_task_propagate_pointer (G_TASK (result), error);
}

static void
silent_identifier_init (GnPeerIdentifierInterface *iface)
{
  iface->identify_async = silent_identify_async;
  iface->identify_finish = silent_identify_finish;
}

static void
gn_test_silent_class_init (GnTestSilentClass *klass)
{
}

static void
gn_test_silent_init (GnTestSilent *self)
{
}

static void
test_engine_bound (void)
{
  g_autoptr(GnEngineConfig) config = gn_engine_config_new ();
  g_autoptr(GnTestSilent) silent = g_object_new (GN_TYPE_TEST_SILENT, NULL);
  g_autoptr(GnEngine) engine = NULL;
  GnConnectionRegistry *registry;
  GHashTableIter iter;
  gpointer value;
  guint sub;
  Seen seen;

  config->port = 0;
  config->peer_wait_ms = 200;
  config->peer_identifier = g_object_ref (GN_PEER_IDENTIFIER (silent));
  engine = gn_test_engine_new (config, "ads.example\n");
  registry = gn_engine_get_registry (engine);
  seen_init (&seen);
  sub = gn_connection_registry_subscribe (registry, g_main_context_default (), 50,
                                          seen_batch, &seen, NULL);

  /* Answered all the same (curl's own timeout is 60 s), without a name. */
  for (guint i = 0; i < N_BLOCKED; i++)
    g_assert_cmpuint (curl_blocked (gn_engine_get_port (engine), i % 2 == 0), ==, 403);
  g_assert_cmpint (g_atomic_int_get (&silent->n_asked), ==, N_BLOCKED);
  g_assert_true (gn_test_wait_until (all_blocked_cb, &seen, 20 * 1000));
  g_hash_table_iter_init (&iter, seen.closed_blocked);
  while (g_hash_table_iter_next (&iter, NULL, &value))
    g_assert_null (value);

  gn_connection_registry_unsubscribe (registry, sub);
  gn_engine_stop (engine);
  seen_clear (&seen);
}

/* ---- the real binary ---- */

static void
test_headless_blocked_curl (void)
{
  g_autofree char *tmp = g_dir_make_tmp ("gn-app-lookup-XXXXXX", NULL);
  g_autofree char *list = g_build_filename (tmp, "ads.txt", NULL);
  g_autofree char *config_home = g_build_filename (tmp, "config", NULL);
  g_autofree char *data_home = g_build_filename (tmp, "data", NULL);
  g_autoptr(GSubprocessLauncher) launcher =
    g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDOUT_PIPE | G_SUBPROCESS_FLAGS_STDERR_SILENCE);
  g_autoptr(GSubprocess) proc = NULL;
  g_autoptr(GDataInputStream) out = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *first = NULL;
  const char *marker = " port ";
  guint16 port;
  guint n_lines = 0;

  /* tests/meson.build always names the binary: never skipped quietly. */
  if (g_getenv ("GN_GUARDNEST") == NULL)
    g_error ("GN_GUARDNEST is not set: run this test through meson test");
  g_assert_true (g_file_set_contents (list, "ads.example\n", -1, NULL));
  g_subprocess_launcher_setenv (launcher, "XDG_CONFIG_HOME", config_home, TRUE);
  g_subprocess_launcher_setenv (launcher, "XDG_DATA_HOME", data_home, TRUE);
  proc = g_subprocess_launcher_spawn (launcher, &error, g_getenv ("GN_GUARDNEST"),
                                      "--headless", "--port=0", "--blocklist", list, NULL);
  g_assert_no_error (error);
  out = g_data_input_stream_new (g_subprocess_get_stdout_pipe (proc));
  first = g_data_input_stream_read_line_utf8 (out, NULL, NULL, &error);
  g_assert_no_error (error);
  g_assert_nonnull (first);
  g_assert_nonnull (strstr (first, marker));
  port = (guint16) atoi (strstr (first, marker) + strlen (marker));

  for (guint i = 0; i < N_BLOCKED; i++)
    g_assert_cmpuint (curl_blocked (port, i % 2 == 0), ==, 403);

  /* One line per connection once it is closed, within a batch or two. */
  while (n_lines < N_BLOCKED)
    {
      g_autofree char *line = g_data_input_stream_read_line_utf8 (out, NULL, NULL, &error);

      g_assert_no_error (error);
      g_assert_nonnull (line);
      g_test_message ("%s", line);
      if (strstr (line, " blocked ads.example:") == NULL)
        continue;
      g_assert_nonnull (strstr (line, " app=\"curl\""));
      n_lines++;
    }

  g_subprocess_send_signal (proc, SIGTERM);
  g_assert_true (g_subprocess_wait (proc, NULL, &error));
  g_assert_no_error (error);
  gn_test_remove_tree (tmp);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/app-lookup/engine/blocked-curl", test_engine_blocked_curl);
  g_test_add_func ("/app-lookup/engine/bound", test_engine_bound);
  g_test_add_func ("/app-lookup/headless/blocked-curl", test_headless_blocked_curl);
  return g_test_run ();
}
