/* test-platform.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The OS proxy module against a real GSettings backend (keyfile, in a temp
 * XDG_CONFIG_HOME, with Debian's org.gnome.system.proxy schema) and a real
 * kioslaverc: exact round trips for manual / PAC / auto / none, the journal,
 * compare-and-clear against a third party (the `gsettings` command, another
 * process), the dead-loopback rule on real sockets, a SIGKILL between
 * journal and apply, repair after a simulated crash, and the upstream
 * (company proxy) detection.
 */

#include <signal.h>
#include <unistd.h>

#include <glib/gstdio.h>

#include "gn-os-proxy-guard-private.h"
#include "gn-os-proxy-journal.h"
#include "gn-os-proxy-private.h"
#include "gn-os-proxy-repair.h"

static char *tmp_root;

typedef struct
{
  GnOsProxy      *backend;
  GnOsProxyGuard *guard;
  char           *journal;
  GSettings      *root, *http, *https, *ftp, *socks;
} Fixture;

static const char * const schemas[] = {
  "org.gnome.system.proxy", "org.gnome.system.proxy.http", "org.gnome.system.proxy.https",
  "org.gnome.system.proxy.ftp", "org.gnome.system.proxy.socks", NULL
};

static void
reset_all (void)
{
  for (guint i = 0; schemas[i]; i++)
    {
      g_autoptr(GSettings) s = g_settings_new (schemas[i]);
      g_autoptr(GSettingsSchema) schema = NULL;
      g_auto(GStrv) keys = NULL;

      g_object_get (s, "settings-schema", &schema, NULL);
      keys = g_settings_schema_list_keys (schema);
      for (guint k = 0; keys[k]; k++)
        g_settings_reset (s, keys[k]);
    }
  g_settings_sync ();
}

static void
fixture_setup (Fixture *f, gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *autostart = _gn_os_proxy_xdg_repair_entry_path ();

  reset_all ();
  g_unlink (autostart);
  f->journal = g_build_filename (tmp_root, "state", "proxy-journal.json", NULL);
  g_unlink (f->journal);
  f->backend = _gn_os_proxy_gnome_new (&error);
  g_assert_no_error (error);
  f->guard = gn_os_proxy_guard_new (f->backend, f->journal);
  f->root = g_settings_new (schemas[0]);
  f->http = g_settings_new (schemas[1]);
  f->https = g_settings_new (schemas[2]);
  f->ftp = g_settings_new (schemas[3]);
  f->socks = g_settings_new (schemas[4]);
}

static void
fixture_teardown (Fixture *f, gconstpointer data)
{
  g_clear_object (&f->guard);
  g_assert_finalize_object (f->backend);
  g_clear_object (&f->root);
  g_clear_object (&f->http);
  g_clear_object (&f->https);
  g_clear_object (&f->ftp);
  g_clear_object (&f->socks);
  g_unlink (f->journal);
  g_free (f->journal);
  /* Let pending GSettings/monitor events drain before the next test. */
  while (g_main_context_iteration (NULL, FALSE))
    ;
}

static void
set_manual (Fixture *f, const char *host, int port)
{
  g_settings_set_string (f->http, "host", host);
  g_settings_set_int (f->http, "port", port);
  g_settings_set_boolean (f->http, "enabled", TRUE);
  g_settings_set_string (f->https, "host", host);
  g_settings_set_int (f->https, "port", port);
  g_settings_set_string (f->root, "mode", "manual");
}

static GnOsProxySettings *
read_settings (Fixture *f)
{
  g_autoptr(GError) error = NULL;
  GnOsProxySettings *s = gn_os_proxy_read (f->backend, &error);

  g_assert_no_error (error);
  g_assert_nonnull (s);
  return s;
}

/* A loopback listener standing in for "something runs there". */
static GSocketListener *
listen_loopback (guint16 *port)
{
  g_autoptr(GError) error = NULL;
  GSocketListener *listener = g_socket_listener_new ();
  g_autoptr(GInetAddress) lo = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
  g_autoptr(GSocketAddress) addr = g_inet_socket_address_new (lo, 0);
  g_autoptr(GSocketAddress) bound = NULL;

  g_socket_listener_add_address (listener, addr, G_SOCKET_TYPE_STREAM, G_SOCKET_PROTOCOL_TCP,
                                 NULL, &bound, &error);
  g_assert_no_error (error);
  *port = g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (bound));
  return listener;
}

/* A port nothing listens on (bound, then closed). */
static guint16
dead_port (void)
{
  guint16 port;
  g_autoptr(GSocketListener) l = listen_loopback (&port);

  g_socket_listener_close (l);
  return port;
}

static void
assert_json_round_trip (const GnOsProxySettings *s)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonNode) node = gn_os_proxy_settings_to_json (s);
  g_autoptr(GnOsProxySettings) back = gn_os_proxy_settings_new_from_json (node, &error);

  g_assert_no_error (error);
  g_assert_true (gn_os_proxy_settings_equal (s, back));
}

/* Enable then disable must give back exactly `before`. */
/* What protection writes as the bypass list: ours, then the user's own
 * entries (from @before's main entry) that were not among them. */
static GStrv
merged_bypass (const char * const      *ours,
               const GnOsProxySettings *before)
{
  g_autoptr(GStrvBuilder) want = g_strv_builder_new ();
  const char * const *theirs =
    (const char * const *) gn_os_proxy_settings_get_entry (before, 0)->bypass;

  g_strv_builder_addv (want, (const char **) ours);
  for (guint k = 0; theirs != NULL && theirs[k] != NULL; k++)
    if (!g_strv_contains (ours, theirs[k]))
      g_strv_builder_add (want, theirs[k]);
  return g_strv_builder_end (want);
}

static void
enable_disable_exact (Fixture *f, GnOsProxyMode expected_mode)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GnOsProxySettings) before = read_settings (f);
  g_autoptr(GnOsProxySettings) during = NULL;
  g_autoptr(GnOsProxySettings) after = NULL;
  g_autoptr(GSocketListener) us = NULL;
  g_autofree char *message = NULL;
  g_autofree char *mode = NULL;
  GnOsProxyRestoreFlags flags;
  guint16 port;

  g_assert_cmpint (gn_os_proxy_entry_get_mode (gn_os_proxy_settings_get_entry (before, 0)), ==,
                   expected_mode);
  assert_json_round_trip (before);

  us = listen_loopback (&port);
  g_assert_true (gn_os_proxy_guard_enable (f->guard, "127.0.0.1", port, &error));
  g_assert_no_error (error);
  g_assert_true (gn_os_proxy_guard_get_active (f->guard));
  g_assert_true (g_file_test (f->journal, G_FILE_TEST_EXISTS));

  mode = g_settings_get_string (f->root, "mode");
  g_assert_cmpstr (mode, ==, "manual");
  during = read_settings (f);
  g_assert_true (gn_os_proxy_settings_points_at (during, "127.0.0.1", port));
  {
    g_auto(GStrv) expected = merged_bypass (gn_os_proxy_default_bypass (), before);

    g_assert_cmpstrv (gn_os_proxy_settings_get_entry (during, 0)->bypass, expected);
  }

  g_assert_true (gn_os_proxy_guard_disable (f->guard, &flags, &message, &error));
  g_assert_no_error (error);
  g_assert_cmpint (flags, ==, GN_OS_PROXY_RESTORE_RESTORED);
  g_assert_nonnull (strstr (message, "put back"));
  g_assert_false (g_file_test (f->journal, G_FILE_TEST_EXISTS));

  after = read_settings (f);
  g_assert_true (gn_os_proxy_settings_equal (before, after));
}

static void
test_round_trip_manual (Fixture *f, gconstpointer data)
{
  set_manual (f, "proxy.corp.example", 8080);
  g_settings_set_string (f->https, "host", "secure.corp.example");
  g_settings_set_int (f->https, "port", 8443);
  g_settings_set_string (f->ftp, "host", "ftp.corp.example");
  g_settings_set_int (f->ftp, "port", 2121);
  g_settings_set_string (f->socks, "host", "socks.corp.example");
  g_settings_set_int (f->socks, "port", 1080);
  g_settings_set_boolean (f->http, "use-authentication", TRUE);
  g_settings_set_string (f->http, "authentication-user", "alice");
  g_settings_set_string (f->http, "authentication-password", "s3cret");
  g_settings_set_boolean (f->root, "use-same-proxy", FALSE);
  g_settings_set_strv (f->root, "ignore-hosts",
                       (const char * const[]) { "*.corp.example", "10.0.0.0/8", NULL });
  enable_disable_exact (f, GN_OS_PROXY_MODE_MANUAL);

  /* Keys the user never set stay unset (not written with default values). */
  {
    g_autoptr(GVariant) v = g_settings_get_user_value (f->root, "autoconfig-url");
    g_assert_null (v);
  }
}

static void
test_round_trip_pac (Fixture *f, gconstpointer data)
{
  g_settings_set_string (f->root, "mode", "auto");
  g_settings_set_string (f->root, "autoconfig-url", "http://wpad.corp.example/proxy.pac");
  enable_disable_exact (f, GN_OS_PROXY_MODE_PAC);
}

static void
test_round_trip_auto (Fixture *f, gconstpointer data)
{
  g_settings_set_string (f->root, "mode", "auto");
  enable_disable_exact (f, GN_OS_PROXY_MODE_AUTO_DETECT);
}

static void
test_round_trip_none (Fixture *f, gconstpointer data)
{
  /* Nothing set at all, then an explicit none with leftovers. */
  enable_disable_exact (f, GN_OS_PROXY_MODE_NONE);
  g_settings_set_string (f->root, "mode", "none");
  g_settings_set_string (f->http, "host", "old.example");
  enable_disable_exact (f, GN_OS_PROXY_MODE_NONE);
}

static void
on_changed_by_other (GnOsProxyGuard *guard, const char *description, char **out)
{
  g_free (*out);
  *out = g_strdup (description);
}

static void
run_gsettings (const char *schema, const char *key, const char *value)
{
  g_autoptr(GError) error = NULL;
  const char *argv[] = { "gsettings", "set", schema, key, value, NULL };
  int status = -1;

  g_spawn_sync (NULL, (char **) argv, NULL, G_SPAWN_SEARCH_PATH, NULL, NULL, NULL, NULL,
                &status, &error);
  g_assert_no_error (error);
  g_assert_true (g_spawn_check_wait_status (status, NULL));
}

/* `gsettings get` in a fresh process: what is really on disk. Owned by a
 * small ring so tests can compare several in one expression. */
static const char *
gsettings_get (const char *schema, const char *key)
{
  static char *ring[8];
  static guint next;
  g_autoptr(GError) error = NULL;
  const char *argv[] = { "gsettings", "get", schema, key, NULL };
  char *out = NULL;
  int status = -1;

  g_spawn_sync (NULL, (char **) argv, NULL, G_SPAWN_SEARCH_PATH, NULL, NULL, &out, NULL,
                &status, &error);
  g_assert_no_error (error);
  g_assert_true (g_spawn_check_wait_status (status, NULL));
  g_free (ring[next % 8]);
  ring[next++ % 8] = g_strstrip (out);
  return out;
}

static void
test_compare_and_clear (Fixture *f, gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GnOsProxySettings) after = NULL;
  g_autofree char *seen = NULL;
  g_autofree char *message = NULL;
  const GnOsProxyEntry *e;
  GnOsProxyRestoreFlags flags;
  gint64 deadline;

  set_manual (f, "before.example", 3128);
  g_signal_connect (f->guard, "changed-by-other", G_CALLBACK (on_changed_by_other), &seen);
  g_assert_true (gn_os_proxy_guard_enable (f->guard, "127.0.0.1", dead_port (), &error));
  g_assert_no_error (error);

  /* Our own change is not "another program". */
  while (g_main_context_iteration (NULL, FALSE))
    ;
  g_assert_null (seen);

  /* Another process (the gsettings tool) points the OS elsewhere. */
  run_gsettings ("org.gnome.system.proxy.http", "host", "third.party.example");
  run_gsettings ("org.gnome.system.proxy.http", "port", "9999");
  run_gsettings ("org.gnome.system.proxy.https", "host", "third.party.example");
  run_gsettings ("org.gnome.system.proxy.https", "port", "9999");

  deadline = g_get_monotonic_time () + 10 * G_USEC_PER_SEC;
  while (seen == NULL && g_get_monotonic_time () < deadline)
    g_main_context_iteration (NULL, TRUE);
  g_assert_nonnull (seen);
  g_assert_nonnull (strstr (seen, "third.party.example:9999"));

  g_assert_true (gn_os_proxy_guard_disable (f->guard, &flags, &message, &error));
  g_assert_no_error (error);
  /* Its four keys are kept and named; ours (the bypass list, mode…) are
   * the user's again. */
  g_assert_cmpint (flags, ==, GN_OS_PROXY_RESTORE_KEPT_OTHERS | GN_OS_PROXY_RESTORE_RESTORED);
  g_assert_nonnull (strstr (message, "Another program changed http.host, http.port, https.host, "
                                     "https.port while GuardNest was on"));
  g_assert_false (g_file_test (f->journal, G_FILE_TEST_EXISTS));

  after = read_settings (f);
  e = gn_os_proxy_settings_get_entry (after, 0);
  g_assert_cmpstr (e->http.host, ==, "third.party.example");
  g_assert_cmpuint (e->http.port, ==, 9999);
  g_assert_null (g_settings_get_user_value (f->root, "ignore-hosts"));
}

/* ---- per-key compare-and-clear ------------------------------------------ */

typedef enum
{
  CHANGE_HTTP_HOST,    /* only the HTTP proxy's host */
  CHANGE_PORT,         /* only the HTTPS proxy's port */
  CHANGE_IGNORE_HOSTS, /* only the bypass list */
  CHANGE_MODE_NONE,    /* the proxy turned off */
} Change;

typedef struct
{
  Change   change;
  gboolean crash;  /* killed, then the journal is repaired by a new guard */
} PerKeyCase;

/* The user's own settings: a company proxy with its bypass list, a PAC
 * address kept for later and a SOCKS proxy. */
static void
set_user_settings (Fixture *f)
{
  set_manual (f, "user.example", 8080);
  g_settings_set_strv (f->root, "ignore-hosts",
                       (const char * const[]) { "*.corp.example", "localhost", NULL });
  g_settings_set_string (f->root, "autoconfig-url", "http://wpad.corp.example/wpad.dat");
  g_settings_set_string (f->socks, "host", "socks.corp.example");
  g_settings_set_int (f->socks, "port", 1080);
  g_settings_sync ();
}

/* Waits until our GSettings sees what another process wrote. */
static void
wait_for_value (GSettings *settings, const char *key, const char *expected)
{
  gint64 deadline = g_get_monotonic_time () + 10 * G_USEC_PER_SEC;

  while (g_get_monotonic_time () < deadline)
    {
      g_autoptr(GVariant) value = g_settings_get_value (settings, key);
      g_autofree char *text = g_variant_print (value, FALSE);

      if (g_str_equal (text, expected))
        return;
      g_main_context_iteration (NULL, FALSE);
      g_usleep (10 * 1000);
    }
  g_error ("%s never became %s", key, expected);
}

static void
other_program_changes (Fixture *f, Change change)
{
  switch (change)
    {
    case CHANGE_HTTP_HOST:
      run_gsettings ("org.gnome.system.proxy.http", "host", "other.example");
      wait_for_value (f->http, "host", "'other.example'");
      break;
    case CHANGE_PORT:
      run_gsettings ("org.gnome.system.proxy.https", "port", "3129");
      wait_for_value (f->https, "port", "3129");
      break;
    case CHANGE_IGNORE_HOSTS:
      run_gsettings ("org.gnome.system.proxy", "ignore-hosts", "['other.example']");
      wait_for_value (f->root, "ignore-hosts", "['other.example']");
      break;
    case CHANGE_MODE_NONE:
    default:
      run_gsettings ("org.gnome.system.proxy", "mode", "none");
      wait_for_value (f->root, "mode", "'none'");
      break;
    }
}

#define assert_key(settings, key, expected) \
  G_STMT_START { \
    g_autoptr(GVariant) v_ = g_settings_get_value ((settings), (key)); \
    g_autofree char *t_ = g_variant_print (v_, FALSE); \
    g_assert_cmpstr (t_, ==, (expected)); \
  } G_STMT_END

/* Another program changes one key while we are on; at stop (or at repair
 * after a crash) that key keeps its value, every key still holding ours
 * gets the user's value back, and the message names the kept key. When it
 * turns the proxy off, our values go and the user's are not put back over
 * that choice, but kept for an explicit restore. */
static void
test_per_key_restore (Fixture *f, gconstpointer data)
{
  const PerKeyCase *c = data;
  g_autoptr(GError) error = NULL;
  g_autoptr(GnOsProxySettings) before = NULL;
  g_autoptr(GnOsProxySettings) after = NULL;
  g_autofree char *message = NULL;
  GnOsProxyRestoreFlags flags;
  guint16 port = dead_port ();
  const char *kept_key[] = { "http.host", "https.port", "ignore-hosts", NULL };

  set_user_settings (f);
  before = read_settings (f);
  g_assert_true (gn_os_proxy_guard_enable (f->guard, "127.0.0.1", port, &error));
  g_assert_no_error (error);
  assert_key (f->http, "host", "'127.0.0.1'");

  if (c->crash)
    {
      /* kill -9: the guard goes without a word; the journal stays */
      g_clear_object (&f->guard);
      f->guard = gn_os_proxy_guard_new (f->backend, f->journal);
    }
  other_program_changes (f, c->change);

  if (c->crash)
    g_assert_true (gn_os_proxy_guard_repair (f->guard, &flags, &message, &error));
  else
    g_assert_true (gn_os_proxy_guard_disable (f->guard, &flags, &message, &error));
  g_assert_no_error (error);
  g_test_message ("%s", message);
  g_assert_false (g_file_test (f->journal, G_FILE_TEST_EXISTS));

  if (c->change == CHANGE_MODE_NONE)
    {
      /* the mode is the key it changed, and kept */
      g_assert_cmpint (flags, ==, GN_OS_PROXY_RESTORE_TAKEN_OVER | GN_OS_PROXY_RESTORE_KEPT_OTHERS);
      g_assert_nonnull (strstr (message, "did not put your previous settings"));
      g_assert_nonnull (strstr (message, "changed mode while"));
      /* the other program's choice stands, without our address in it … */
      assert_key (f->root, "mode", "'none'");
      assert_key (f->http, "host", "''");
      assert_key (f->https, "host", "''");
      g_assert_null (g_settings_get_user_value (f->http, "host"));
      g_assert_null (g_settings_get_user_value (f->http, "port"));
      g_assert_null (g_settings_get_user_value (f->https, "host"));
      g_assert_null (g_settings_get_user_value (f->https, "port"));
      g_assert_null (g_settings_get_user_value (f->root, "ignore-hosts"));
      /* … and without the user's settings brought back over it */
      assert_key (f->root, "autoconfig-url", "''");
      assert_key (f->socks, "host", "''");
      g_assert_null (g_settings_get_user_value (f->socks, "port"));

      /* which are kept, and come back when asked for */
      g_assert_true (gn_os_proxy_guard_has_previous (f->guard));
      g_clear_pointer (&message, g_free);
      g_assert_true (gn_os_proxy_guard_restore_previous (f->guard, &message, &error));
      g_assert_no_error (error);
      g_assert_false (gn_os_proxy_guard_has_previous (f->guard));
      after = read_settings (f);
      g_assert_true (gn_os_proxy_settings_equal (before, after));
      return;
    }

  g_assert_cmpint (flags, ==, GN_OS_PROXY_RESTORE_RESTORED | GN_OS_PROXY_RESTORE_KEPT_OTHERS);
  g_assert_false (gn_os_proxy_guard_has_previous (f->guard));
  /* the message names the one key kept, and only it */
  for (guint i = 0; kept_key[i]; i++)
    {
      g_autofree char *named = g_strdup_printf ("changed %s while", kept_key[i]);

      g_assert_true ((strstr (message, named) != NULL) == (i == (guint) c->change));
    }

  /* the kept key … */
  if (c->change == CHANGE_HTTP_HOST)
    assert_key (f->http, "host", "'other.example'");
  else
    assert_key (f->http, "host", "'user.example'");
  if (c->change == CHANGE_PORT)
    assert_key (f->https, "port", "3129");
  else
    assert_key (f->https, "port", "8080");
  if (c->change == CHANGE_IGNORE_HOSTS)
    assert_key (f->root, "ignore-hosts", "['other.example']");
  else
    assert_key (f->root, "ignore-hosts", "['*.corp.example', 'localhost']");
  /* … and everything else the user's */
  assert_key (f->http, "port", "8080");
  assert_key (f->https, "host", "'user.example'");
  assert_key (f->root, "mode", "'manual'");
  assert_key (f->root, "autoconfig-url", "'http://wpad.corp.example/wpad.dat'");
  assert_key (f->socks, "host", "'socks.corp.example'");
  assert_key (f->socks, "port", "1080");
  assert_key (f->ftp, "host", "''");
  g_assert_null (g_settings_get_user_value (f->ftp, "host"));
}

static const PerKeyCase per_key_cases[] = {
  { CHANGE_HTTP_HOST, FALSE }, { CHANGE_PORT, FALSE }, { CHANGE_IGNORE_HOSTS, FALSE },
  { CHANGE_MODE_NONE, FALSE },
  { CHANGE_HTTP_HOST, TRUE }, { CHANGE_PORT, TRUE }, { CHANGE_IGNORE_HOSTS, TRUE },
  { CHANGE_MODE_NONE, TRUE },
};
static const char * const per_key_names[] = {
  "http-host", "port", "ignore-hosts", "mode-none",
};

static void
check_dead_loopback (Fixture *f, gboolean keep_alive)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GSocketListener) tool = NULL;
  g_autoptr(GnOsProxySettings) before = NULL;
  g_autoptr(GnOsProxySettings) after = NULL;
  g_autofree char *message = NULL;
  g_autofree char *mode = NULL;
  g_autofree char *host = NULL;
  GnOsProxyRestoreFlags flags;
  guint16 tool_port;

  tool = listen_loopback (&tool_port);
  set_manual (f, "127.0.0.1", tool_port);
  before = read_settings (f);

  g_assert_true (gn_os_proxy_guard_enable (f->guard, "127.0.0.1", dead_port (), &error));
  g_assert_no_error (error);
  if (!keep_alive)
    g_socket_listener_close (tool);

  g_assert_true (gn_os_proxy_guard_disable (f->guard, &flags, &message, &error));
  g_assert_no_error (error);
  after = read_settings (f);
  mode = g_settings_get_string (f->root, "mode");
  if (keep_alive)
    {
      g_assert_cmpint (flags, ==, GN_OS_PROXY_RESTORE_RESTORED);
      g_assert_true (gn_os_proxy_settings_equal (before, after));
    }
  else
    {
      g_assert_cmpint (flags, ==, GN_OS_PROXY_RESTORE_RESTORED | GN_OS_PROXY_RESTORE_NO_PROXY);
      g_assert_cmpstr (mode, ==, "none");
      g_assert_nonnull (strstr (message, "not running any more"));
      host = g_settings_get_string (f->http, "host");
      g_assert_cmpstr (host, ==, "127.0.0.1");
    }
}

static void
test_dead_loopback (Fixture *f, gconstpointer data)
{
  check_dead_loopback (f, FALSE);
}

static void
test_live_loopback (Fixture *f, gconstpointer data)
{
  check_dead_loopback (f, TRUE);
}

static void
kill_self (gpointer data)
{
  raise (SIGKILL);
}

static void
test_kill_between_journal_and_apply (Fixture *f, gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GnOsProxySettings) before = NULL;
  g_autoptr(GnOsProxySettings) after = NULL;
  g_autoptr(GnOsProxyJournal) j = NULL;
  g_autofree char *message = NULL;
  GnOsProxyRestoreFlags flags;
  gint64 deadline;

  if (g_test_subprocess ())
    {
      set_manual (f, "user.example", 8080);
      _gn_os_proxy_guard_set_after_journal_hook (f->guard, kill_self, NULL);
      gn_os_proxy_guard_enable (f->guard, "127.0.0.1", 4242, NULL);
      g_assert_not_reached ();
    }

  g_test_trap_subprocess (NULL, 0, G_TEST_SUBPROCESS_DEFAULT);
  g_test_trap_assert_failed ();

  /* What the killed process left on disk, read by a fresh process. */
  g_assert_cmpstr (gsettings_get ("org.gnome.system.proxy", "mode"), ==, "'manual'");
  g_assert_cmpstr (gsettings_get ("org.gnome.system.proxy.http", "host"), ==, "'user.example'");
  g_assert_cmpstr (gsettings_get ("org.gnome.system.proxy.https", "port"), ==, "8080");

  /* Our own GSettings picks the child's writes up through its file monitor. */
  deadline = g_get_monotonic_time () + 10 * G_USEC_PER_SEC;
  while (g_get_monotonic_time () < deadline)
    {
      g_autofree char *host = g_settings_get_string (f->http, "host");

      if (g_str_equal (host, "user.example"))
        break;
      g_main_context_iteration (NULL, TRUE);
    }

  before = read_settings (f);
  g_assert_true (gn_os_proxy_entry_points_at (gn_os_proxy_settings_get_entry (before, 0),
                                              "user.example", 8080));
  j = gn_os_proxy_journal_load (f->journal, &error);
  g_assert_no_error (error);
  g_assert_nonnull (j);
  g_assert_cmpuint (j->port, ==, 4242);
  g_assert_true (gn_os_proxy_settings_equal (j->snapshot, before));

  /* Repair: nothing points at us, the journal goes, nothing changes. */
  g_assert_true (gn_os_proxy_guard_repair (f->guard, &flags, &message, &error));
  g_assert_no_error (error);
  g_assert_cmpint (flags, ==, GN_OS_PROXY_RESTORE_NOTHING);
  g_assert_false (g_file_test (f->journal, G_FILE_TEST_EXISTS));
  after = read_settings (f);
  g_assert_true (gn_os_proxy_settings_equal (before, after));
}

static void
test_repair_after_crash (Fixture *f, gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GnOsProxySettings) before = NULL;
  g_autoptr(GnOsProxySettings) after = NULL;
  g_autoptr(GSocketListener) us = NULL;
  g_autofree char *autostart = _gn_os_proxy_xdg_repair_entry_path ();
  g_autofree char *entry = NULL;
  g_autofree char *message = NULL;
  GnOsProxyRestoreFlags flags;
  guint16 port;

  g_settings_set_string (f->root, "mode", "auto");
  g_settings_set_string (f->root, "autoconfig-url", "http://wpad.example/wpad.dat");
  before = read_settings (f);

  us = listen_loopback (&port);
  g_assert_true (gn_os_proxy_guard_enable (f->guard, "127.0.0.1", port, &error));
  g_assert_no_error (error);
  g_assert_true (g_file_get_contents (autostart, &entry, NULL, NULL));
  g_assert_nonnull (strstr (entry, "--repair-proxy"));
  {
    const char *argv[] = { "desktop-file-validate", autostart, NULL };
    g_autofree char *out = NULL;
    int status = -1;

    g_assert_true (g_spawn_sync (NULL, (char **) argv, NULL, G_SPAWN_SEARCH_PATH, NULL, NULL,
                                 &out, NULL, &status, NULL));
    if (!g_spawn_check_wait_status (status, NULL))
      g_error ("desktop-file-validate: %s", out);
  }

  /* "Crash": the guard goes away without disabling. */
  g_clear_object (&f->guard);
  f->guard = gn_os_proxy_guard_new (f->backend, f->journal);

  /* While something still listens on our address, repair leaves it. */
  g_assert_true (gn_os_proxy_guard_repair (f->guard, &flags, &message, &error));
  g_assert_cmpint (flags, ==, GN_OS_PROXY_RESTORE_STILL_RUNNING);
  g_clear_pointer (&message, g_free);
  g_assert_true (g_file_test (f->journal, G_FILE_TEST_EXISTS));

  g_socket_listener_close (us);
  g_assert_cmpint (gn_os_proxy_repair_run (f->guard, &message), ==, 0);
  g_assert_true (g_str_has_prefix (message, "Repaired. Your previous proxy settings were put back"));
  g_clear_pointer (&message, g_free);
  g_assert_false (g_file_test (f->journal, G_FILE_TEST_EXISTS));
  g_assert_false (g_file_test (autostart, G_FILE_TEST_EXISTS));
  after = read_settings (f);
  g_assert_true (gn_os_proxy_settings_equal (before, after));

  /* Second run: nothing to do, still exit 0. */
  g_assert_true (gn_os_proxy_guard_repair (f->guard, &flags, &message, &error));
  g_assert_cmpint (flags, ==, GN_OS_PROXY_RESTORE_NOTHING);
  g_assert_nonnull (strstr (message, "Nothing to repair"));
}

static void
test_enable_repairs_stale_journal (Fixture *f, gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GnOsProxySettings) before = NULL;
  g_autoptr(GnOsProxySettings) after = NULL;
  g_autoptr(GnOsProxyJournal) j = NULL;
  guint16 port = dead_port ();

  set_manual (f, "company.example", 3128);
  before = read_settings (f);
  g_assert_true (gn_os_proxy_guard_enable (f->guard, "127.0.0.1", port, &error));
  g_clear_object (&f->guard);  /* crash */

  /* Next start: the new snapshot must be the user's, not ours. */
  f->guard = gn_os_proxy_guard_new (f->backend, f->journal);
  g_assert_true (gn_os_proxy_guard_enable (f->guard, "127.0.0.1", port, &error));
  g_assert_no_error (error);
  j = gn_os_proxy_journal_load (f->journal, &error);
  g_assert_no_error (error);
  g_assert_true (gn_os_proxy_settings_equal (j->snapshot, before));
  g_assert_true (gn_os_proxy_guard_disable (f->guard, NULL, NULL, &error));
  after = read_settings (f);
  g_assert_true (gn_os_proxy_settings_equal (before, after));
}

static void
test_damaged_journal (Fixture *f, gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *aside = g_strconcat (f->journal, ".damaged", NULL);
  g_autofree char *dir = g_path_get_dirname (f->journal);

  g_mkdir_with_parents (dir, 0700);
  g_assert_true (g_file_set_contents (f->journal, "{\"version\": 1, \"host\": 7", -1, NULL));
  g_assert_false (gn_os_proxy_guard_repair (f->guard, NULL, NULL, &error));
  g_assert_error (error, GN_ERROR, GN_ERROR_INVALID_DATA);
  g_assert_false (g_file_test (f->journal, G_FILE_TEST_EXISTS));
  g_assert_true (g_file_test (aside, G_FILE_TEST_EXISTS));
  g_unlink (aside);
}

static void
test_upstream (Fixture *f, gconstpointer data)
{
  g_autoptr(GSocketListener) cntlm = NULL;
  g_autofree char *host = NULL;
  g_autofree char *user = NULL;
  g_autofree char *password = NULL;
  guint16 port, local_port;

  g_assert_false (gn_os_proxy_guard_get_upstream (f->guard, "127.0.0.1", 3000, &host, &port, NULL, NULL));

  set_manual (f, "10.20.30.40", 8080);
  g_assert_true (gn_os_proxy_guard_get_upstream (f->guard, "127.0.0.1", 3000, &host, &port, NULL, NULL));
  g_assert_cmpstr (host, ==, "10.20.30.40");
  g_assert_cmpuint (port, ==, 8080);
  g_clear_pointer (&host, g_free);

  /* Ourselves, or a dead local tool: no upstream. */
  set_manual (f, "127.0.0.1", 3000);
  g_assert_false (gn_os_proxy_guard_get_upstream (f->guard, "127.0.0.1", 3000, &host, &port, NULL, NULL));
  set_manual (f, "127.0.0.1", dead_port ());
  g_assert_false (gn_os_proxy_guard_get_upstream (f->guard, "127.0.0.1", 3000, &host, &port, NULL, NULL));

  /* GNOME's "use authentication": the credentials come with it, also from
   * the snapshot while protection is on. */
  g_clear_pointer (&host, g_free);
  g_settings_set_boolean (f->http, "use-authentication", TRUE);
  g_settings_set_string (f->http, "authentication-user", "alice");
  g_settings_set_string (f->http, "authentication-password", "s3cret");
  set_manual (f, "10.20.30.40", 8080);
  g_assert_true (gn_os_proxy_guard_enable (f->guard, "127.0.0.1", dead_port (), NULL));
  g_assert_true (gn_os_proxy_guard_get_upstream (f->guard, "127.0.0.1", 3000, &host, &port,
                                                 &user, &password));
  g_assert_cmpstr (user, ==, "alice");
  g_assert_cmpstr (password, ==, "s3cret");
  g_assert_true (gn_os_proxy_guard_disable (f->guard, NULL, NULL, NULL));
  g_clear_pointer (&host, g_free);
  g_clear_pointer (&user, g_free);
  g_clear_pointer (&password, g_free);
  g_settings_set_boolean (f->http, "use-authentication", FALSE);
  g_assert_true (gn_os_proxy_guard_get_upstream (f->guard, "127.0.0.1", 3000, &host, &port,
                                                 &user, &password));
  g_assert_null (user);
  g_assert_null (password);
  g_clear_pointer (&host, g_free);

  /* A live local authenticating proxy (cntlm-style) is an upstream. */
  cntlm = listen_loopback (&local_port);
  set_manual (f, "127.0.0.1", local_port);
  g_assert_true (gn_os_proxy_guard_get_upstream (f->guard, "127.0.0.1", 3000, &host, &port, NULL, NULL));
  g_assert_cmpuint (port, ==, local_port);
}

/* PAC mode: the OS gets our script's address, switching modes while on
 * re-points it, the company proxy stays the upstream, and a crash in PAC
 * mode is repaired by a guard that knows nothing about PAC. */
static void
test_pac_mode (Fixture *f, gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GnOsProxySettings) before = NULL;
  g_autoptr(GnOsProxySettings) during = NULL;
  g_autoptr(GnOsProxySettings) after = NULL;
  g_autoptr(GSocketListener) us = NULL;
  g_autofree char *url = NULL;
  g_autofree char *expected = NULL;
  g_autofree char *mode = NULL;
  g_autofree char *host = NULL;
  g_autofree char *message = NULL;
  guint16 port, upstream_port;

  set_manual (f, "proxy.corp.example", 8080);
  before = read_settings (f);
  us = listen_loopback (&port);
  expected = g_strdup_printf ("http://127.0.0.1:%u/proxy.pac", port);

  g_assert_true (gn_os_proxy_guard_set_use_pac (f->guard, TRUE, &error));
  g_assert_no_error (error);
  g_assert_true (gn_os_proxy_guard_enable (f->guard, "127.0.0.1", port, &error));
  g_assert_no_error (error);
  mode = g_settings_get_string (f->root, "mode");
  url = g_settings_get_string (f->root, "autoconfig-url");
  g_assert_cmpstr (mode, ==, "auto");
  g_assert_cmpstr (url, ==, expected);
  during = read_settings (f);
  g_assert_true (gn_os_proxy_settings_points_at (during, "127.0.0.1", port));
  g_assert_false (gn_os_proxy_settings_points_at (during, "127.0.0.1", port + 1));
  g_assert_true (gn_os_proxy_guard_get_upstream (f->guard, "127.0.0.1", port, &host, &upstream_port,
                                                 NULL, NULL));
  g_assert_cmpstr (host, ==, "proxy.corp.example");

  /* Off while on: a manual proxy at once; on again: the script. */
  g_assert_true (gn_os_proxy_guard_set_use_pac (f->guard, FALSE, &error));
  g_clear_pointer (&mode, g_free);
  mode = g_settings_get_string (f->root, "mode");
  g_assert_cmpstr (mode, ==, "manual");
  g_assert_true (gn_os_proxy_guard_set_use_pac (f->guard, TRUE, &error));
  g_clear_pointer (&mode, g_free);
  mode = g_settings_get_string (f->root, "mode");
  g_assert_cmpstr (mode, ==, "auto");

  /* "Crash", then a repair by a fresh guard once nothing listens. */
  g_clear_object (&f->guard);
  f->guard = gn_os_proxy_guard_new (f->backend, f->journal);
  g_socket_listener_close (us);
  g_assert_cmpint (gn_os_proxy_repair_run (f->guard, &message), ==, 0);
  after = read_settings (f);
  g_assert_true (gn_os_proxy_settings_equal (before, after));
}

static void
test_bypass_validation (Fixture *f, gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GnOsProxySettings) s = NULL;
  g_autoptr(GnOsProxySettings) before = NULL;
  g_auto(GStrv) expected = NULL;
  const char * const good[] = { "*.intranet.example", "192.168.0.0/16", "[::1]", NULL };
  const char * const bad[] = { "ok.example", "bad host;rm", NULL };

  g_assert_false (gn_os_proxy_guard_set_bypass (f->guard, bad, &error));
  g_assert_error (error, GN_ERROR, GN_ERROR_INVALID_CONFIG);
  g_assert_cmpstrv (gn_os_proxy_guard_get_bypass (f->guard), gn_os_proxy_default_bypass ());
  g_clear_error (&error);

  before = read_settings (f);
  g_assert_true (gn_os_proxy_guard_enable (f->guard, "127.0.0.1", dead_port (), &error));
  g_assert_true (gn_os_proxy_guard_set_bypass (f->guard, good, &error));
  g_assert_no_error (error);
  s = read_settings (f);
  expected = merged_bypass (good, before);
  g_assert_cmpstrv (gn_os_proxy_settings_get_entry (s, 0)->bypass, expected);
  /* The user's own entries are really there (GNOME's default ones here). */
  g_assert_true (g_strv_contains ((const char * const *) expected, "localhost"));
  g_assert_true (gn_os_proxy_guard_disable (f->guard, NULL, NULL, &error));
}

/* The PAC script and the engine's upstream rule send the user's own bypass
 * entries direct too: ours, then theirs, before and while protecting. */
static void
test_effective_bypass (Fixture *f, gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  g_auto(GStrv) before = NULL;
  g_auto(GStrv) during = NULL;
  guint n_ours = g_strv_length ((char **) gn_os_proxy_default_bypass ());

  set_manual (f, "proxy.corp.example", 8080);
  g_settings_set_strv (f->root, "ignore-hosts",
                       (const char * const[]) { "intranet", "*.corp.example", "localhost", NULL });
  g_settings_sync ();
  before = gn_os_proxy_guard_dup_effective_bypass (f->guard);
  g_assert_true (gn_os_proxy_guard_enable (f->guard, "127.0.0.1", dead_port (), &error));
  g_assert_no_error (error);
  during = gn_os_proxy_guard_dup_effective_bypass (f->guard);
  g_assert_cmpstrv (before, during);
  g_assert_cmpuint (g_strv_length (during), ==, n_ours + 2);  /* localhost is ours already */
  g_assert_cmpstr (during[n_ours], ==, "intranet");
  g_assert_cmpstr (during[n_ours + 1], ==, "*.corp.example");
  g_assert_true (gn_os_proxy_guard_disable (f->guard, NULL, NULL, &error));
}

/* ------------------------------------------------------------------ KDE */

static const char kioslaverc[] =
  "[Cache]\n"
  "# a comment the user wrote\n"
  "MaxCacheSize=5120\n"
  "\n"
  "[Proxy Settings]\n"
  "NoProxyFor=.corp.example,localhost\n"
  "Proxy Config Script=\n"
  "ProxyType=1\n"
  "ReversedException=false\n"
  "httpProxy=http://proxy.corp.example 8080\n"
  "httpsProxy=http://proxy.corp.example 8443\n"
  "socksProxy=\n"
  "X-Unknown-Future-Key=kept\n";

static void
test_kde_round_trip (Fixture *f, gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *dir = g_build_filename (tmp_root, "kde", NULL);
  g_autofree char *path = g_build_filename (dir, "kioslaverc", NULL);
  g_autofree char *text = NULL;
  g_autofree char *expected = NULL;
  g_autoptr(GnOsProxy) kde = NULL;
  g_autoptr(GnOsProxyGuard) guard = NULL;
  g_autoptr(GnOsProxySettings) before = NULL;
  g_autoptr(GnOsProxySettings) after = NULL;
  g_autoptr(GKeyFile) kf = g_key_file_new ();
  const GnOsProxyEntry *e;
  GnOsProxyRestoreFlags flags;
  guint16 port = dead_port ();

  g_mkdir_with_parents (dir, 0700);
  g_assert_true (g_file_set_contents (path, kioslaverc, -1, NULL));
  set_manual (f, "gnome.corp.example", 3128);

  kde = _gn_os_proxy_kde_new (dir, &error);
  g_assert_no_error (error);
  before = gn_os_proxy_read (kde, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (gn_os_proxy_settings_get_n_entries (before), ==, 2);
  e = gn_os_proxy_settings_lookup (before, NULL);
  g_assert_cmpint (gn_os_proxy_entry_get_mode (e), ==, GN_OS_PROXY_MODE_MANUAL);
  g_assert_cmpstr (e->http.host, ==, "proxy.corp.example");
  g_assert_cmpuint (e->https.port, ==, 8443);
  g_assert_cmpstrv (e->bypass, ((const char * const[]) { ".corp.example", "localhost", NULL }));
  assert_json_round_trip (before);

  guard = gn_os_proxy_guard_new (kde, f->journal);
  g_assert_true (gn_os_proxy_guard_enable (guard, "127.0.0.1", port, &error));
  g_assert_no_error (error);
  g_assert_true (g_key_file_load_from_file (kf, path, G_KEY_FILE_NONE, NULL));
  expected = g_strdup_printf ("http://127.0.0.1 %u", port);
  text = g_key_file_get_string (kf, "Proxy Settings", "httpProxy", NULL);
  g_assert_cmpstr (text, ==, expected);
  g_clear_pointer (&text, g_free);
  g_assert_cmpint (g_key_file_get_integer (kf, "Proxy Settings", "ProxyType", NULL), ==, 1);
  g_assert_true (gn_os_proxy_points_at (f->backend, "127.0.0.1", port, NULL));

  /* PAC mode: KDE's "use proxy auto configuration URL". */
  g_assert_true (gn_os_proxy_guard_set_use_pac (guard, TRUE, &error));
  g_assert_no_error (error);
  g_assert_true (g_key_file_load_from_file (kf, path, G_KEY_FILE_NONE, NULL));
  g_assert_cmpint (g_key_file_get_integer (kf, "Proxy Settings", "ProxyType", NULL), ==, 2);
  g_free (expected);
  expected = g_strdup_printf ("http://127.0.0.1:%u/proxy.pac", port);
  text = g_key_file_get_string (kf, "Proxy Settings", "Proxy Config Script", NULL);
  g_assert_cmpstr (text, ==, expected);
  g_clear_pointer (&text, g_free);

  g_assert_true (gn_os_proxy_guard_disable (guard, &flags, NULL, &error));
  g_assert_no_error (error);
  g_assert_cmpint (flags, ==, GN_OS_PROXY_RESTORE_RESTORED);
  after = gn_os_proxy_read (kde, &error);
  g_assert_true (gn_os_proxy_settings_equal (before, after));

  /* Other groups and the user's comment survive. */
  g_assert_true (g_file_get_contents (path, &text, NULL, NULL));
  g_assert_nonnull (strstr (text, "# a comment the user wrote"));
  g_assert_nonnull (strstr (text, "MaxCacheSize=5120"));
  g_assert_nonnull (strstr (text, "X-Unknown-Future-Key=kept"));
}

/* Another program edits kioslaverc while we are on. */
static void
kde_set_key (const char *path, const char *key, const char *value)
{
  g_autoptr(GKeyFile) kf = g_key_file_new ();
  g_autoptr(GError) error = NULL;

  g_assert_true (g_key_file_load_from_file (kf, path, G_KEY_FILE_KEEP_COMMENTS, &error));
  g_key_file_set_value (kf, "Proxy Settings", key, value);
  g_assert_true (g_key_file_save_to_file (kf, path, &error));
  g_assert_no_error (error);
}

static char *
kde_get_key (const char *path, const char *key)
{
  g_autoptr(GKeyFile) kf = g_key_file_new ();

  g_assert_true (g_key_file_load_from_file (kf, path, G_KEY_FILE_NONE, NULL));
  return g_key_file_get_value (kf, "Proxy Settings", key, NULL);
}

/* The same per-key rule for kioslaverc: a changed httpProxy is kept and
 * the rest is the user's; ProxyType=0 set by another program stays, our
 * values go, and the user's come back only when asked for. */
static void
test_kde_per_key (Fixture *f, gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *dir = g_build_filename (tmp_root, "kde-per-key", NULL);
  g_autofree char *path = g_build_filename (dir, "kioslaverc", NULL);
  g_autoptr(GnOsProxy) kde = NULL;
  g_autoptr(GnOsProxyGuard) guard = NULL;
  g_autoptr(GnOsProxySettings) before = NULL;
  g_autoptr(GnOsProxySettings) after = NULL;
  g_autofree char *message = NULL;
  g_autofree char *value = NULL;
  GnOsProxyRestoreFlags flags;
  guint16 port = dead_port ();

  g_mkdir_with_parents (dir, 0700);
  g_assert_true (g_file_set_contents (path, kioslaverc, -1, NULL));
  kde = _gn_os_proxy_kde_new (dir, &error);
  g_assert_no_error (error);
  before = gn_os_proxy_read (kde, &error);
  guard = gn_os_proxy_guard_new (kde, f->journal);

  /* only httpProxy */
  g_assert_true (gn_os_proxy_guard_enable (guard, "127.0.0.1", port, &error));
  g_assert_no_error (error);
  kde_set_key (path, "httpProxy", "http://other.example 3128");
  g_assert_true (gn_os_proxy_guard_disable (guard, &flags, &message, &error));
  g_assert_no_error (error);
  g_test_message ("%s", message);
  g_assert_cmpint (flags, ==, GN_OS_PROXY_RESTORE_RESTORED | GN_OS_PROXY_RESTORE_KEPT_OTHERS);
  g_assert_nonnull (strstr (message, "changed httpProxy while"));
  value = kde_get_key (path, "httpProxy");
  g_assert_cmpstr (value, ==, "http://other.example 3128");
  g_clear_pointer (&value, g_free);
  value = kde_get_key (path, "httpsProxy");
  g_assert_cmpstr (value, ==, "http://proxy.corp.example 8443");
  g_clear_pointer (&value, g_free);
  value = kde_get_key (path, "ProxyType");
  g_assert_cmpstr (value, ==, "1");
  g_clear_pointer (&value, g_free);
  value = kde_get_key (path, "X-Unknown-Future-Key");
  g_assert_cmpstr (value, ==, "kept");
  g_clear_pointer (&value, g_free);
  g_clear_pointer (&message, g_free);

  /* the proxy turned off: after a crash, at repair */
  g_assert_true (g_file_set_contents (path, kioslaverc, -1, NULL));
  g_assert_true (gn_os_proxy_guard_enable (guard, "127.0.0.1", port, &error));
  g_assert_no_error (error);
  g_clear_object (&guard);
  guard = gn_os_proxy_guard_new (kde, f->journal);
  kde_set_key (path, "ProxyType", "0");
  g_assert_true (gn_os_proxy_guard_repair (guard, &flags, &message, &error));
  g_assert_no_error (error);
  g_test_message ("%s", message);
  g_assert_true (flags & GN_OS_PROXY_RESTORE_TAKEN_OVER);
  value = kde_get_key (path, "ProxyType");
  g_assert_cmpstr (value, ==, "0");
  g_clear_pointer (&value, g_free);
  g_assert_null (kde_get_key (path, "httpProxy"));
  g_assert_null (kde_get_key (path, "httpsProxy"));
  value = kde_get_key (path, "X-Unknown-Future-Key");
  g_assert_cmpstr (value, ==, "kept");
  g_clear_pointer (&value, g_free);

  g_assert_true (gn_os_proxy_guard_restore_previous (guard, NULL, &error));
  g_assert_no_error (error);
  after = gn_os_proxy_read (kde, &error);
  g_assert_true (gn_os_proxy_settings_equal (before, after));
}

static void
test_kde_no_file (Fixture *f, gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *dir = g_build_filename (tmp_root, "kde-empty", NULL);
  g_autofree char *path = g_build_filename (dir, "kioslaverc", NULL);
  g_autoptr(GnOsProxy) kde = _gn_os_proxy_kde_new (dir, &error);
  g_autoptr(GnOsProxyGuard) guard = gn_os_proxy_guard_new (kde, f->journal);
  g_autoptr(GKeyFile) kf = g_key_file_new ();

  g_assert_true (gn_os_proxy_guard_enable (guard, "127.0.0.1", dead_port (), &error));
  g_assert_no_error (error);
  g_assert_true (g_file_test (path, G_FILE_TEST_EXISTS));
  g_assert_true (gn_os_proxy_guard_disable (guard, NULL, NULL, &error));
  g_assert_no_error (error);
  /* No [Proxy Settings] before: none after. */
  g_assert_true (g_key_file_load_from_file (kf, path, G_KEY_FILE_NONE, NULL));
  g_assert_false (g_key_file_has_group (kf, "Proxy Settings"));
}

static void
on_kio_signal (GDBusConnection *bus, const char *sender, const char *path, const char *iface,
               const char *name, GVariant *params, gpointer data)
{
  (*(guint *) data)++;
}

/* KIO is told to reread its configuration over a real session bus. */
static void
test_kde_notifies_kio (Fixture *f, gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GSubprocess) daemon = NULL;
  g_autoptr(GDataInputStream) out = NULL;
  g_autoptr(GDBusConnection) bus = NULL;
  g_autofree char *address = NULL;
  g_autofree char *dir = g_build_filename (tmp_root, "kde-bus", NULL);
  g_autoptr(GnOsProxy) kde = NULL;
  g_autoptr(GnOsProxyGuard) guard = NULL;
  guint received = 0, sub;
  gint64 deadline;

  daemon = g_subprocess_new (G_SUBPROCESS_FLAGS_STDOUT_PIPE, &error,
                             "dbus-daemon", "--session", "--nofork", "--print-address", NULL);
  g_assert_no_error (error);
  out = g_data_input_stream_new (g_subprocess_get_stdout_pipe (daemon));
  address = g_data_input_stream_read_line (out, NULL, NULL, &error);
  g_assert_no_error (error);
  g_assert_nonnull (address);

  /* The backend connects through the environment, as in a real session. */
  g_setenv ("DBUS_SESSION_BUS_ADDRESS", address, TRUE);
  bus = g_dbus_connection_new_for_address_sync (address,
                                                G_DBUS_CONNECTION_FLAGS_AUTHENTICATION_CLIENT |
                                                G_DBUS_CONNECTION_FLAGS_MESSAGE_BUS_CONNECTION,
                                                NULL, NULL, &error);
  g_assert_no_error (error);
  sub = g_dbus_connection_signal_subscribe (bus, NULL, "org.kde.KIO.Scheduler",
                                            "reparseSlaveConfiguration", "/KIO/Scheduler", NULL,
                                            G_DBUS_SIGNAL_FLAGS_NONE, on_kio_signal, &received,
                                            NULL);

  kde = _gn_os_proxy_kde_new (dir, &error);
  guard = gn_os_proxy_guard_new (kde, f->journal);
  g_assert_true (gn_os_proxy_guard_enable (guard, "127.0.0.1", dead_port (), &error));
  g_assert_no_error (error);
  g_assert_true (gn_os_proxy_guard_disable (guard, NULL, NULL, &error));
  g_assert_no_error (error);

  deadline = g_get_monotonic_time () + 10 * G_USEC_PER_SEC;
  while (received < 2 && g_get_monotonic_time () < deadline)
    g_main_context_iteration (NULL, TRUE);
  g_assert_cmpuint (received, ==, 2);  /* apply and restore */

  g_dbus_connection_signal_unsubscribe (bus, sub);
  g_dbus_connection_close_sync (bus, NULL, NULL);
  g_unsetenv ("DBUS_SESSION_BUS_ADDRESS");
  g_subprocess_force_exit (daemon);
  g_subprocess_wait (daemon, NULL, NULL);
}

/* --------------------------------------------------------------- other */

static void
test_none_backend (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GnOsProxy) none = gn_os_proxy_new_none ("No desktop session was found.");
  g_autoptr(GnOsProxyGuard) guard = gn_os_proxy_guard_new (none, "/nonexistent/journal.json");

  g_assert_false (gn_os_proxy_is_managed (none));
  g_assert_cmpstr (gn_os_proxy_get_name (none), ==, "none");
  g_assert_false (gn_os_proxy_guard_enable (guard, "127.0.0.1", 3000, &error));
  g_assert_error (error, GN_ERROR, GN_ERROR_NOT_SUPPORTED);
  g_assert_nonnull (strstr (error->message, "No desktop session"));
}

static void
test_desktop_detection (void)
{
  static const struct { const char *desktop; const char *backend; } cases[] = {
    { "GNOME", "gnome" }, { "ubuntu:GNOME", "gnome" }, { "KDE", "kde" },
    { "X-Cinnamon", "gnome" }, { "", "none" }, { "sway", "none" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr(GnOsProxy) p = NULL;

      g_setenv ("XDG_CURRENT_DESKTOP", cases[i].desktop, TRUE);
      p = gn_os_proxy_new_for_desktop ();
      g_assert_cmpstr (gn_os_proxy_get_name (p), ==, cases[i].backend);
      if (g_str_equal (cases[i].backend, "none"))
        g_assert_nonnull (gn_os_proxy_get_unmanaged_reason (p));
    }
  g_unsetenv ("XDG_CURRENT_DESKTOP");
}

static void
test_json_rejects_bad (void)
{
  static const char * const bad[] = {
    "[]", "{\"version\": 2, \"backend\": \"gnome\", \"entries\": []}",
    "{\"version\": 1, \"backend\": \"gnome\", \"entries\": [{\"flags\": 99}]}",
    "{\"version\": 1, \"backend\": \"gnome\", \"entries\": [{\"connection\": null, \"flags\": 1,"
    " \"http\": {\"host\": \"a\", \"port\": 70000}}]}",
  };

  for (guint i = 0; i < G_N_ELEMENTS (bad); i++)
    {
      g_autoptr(GError) error = NULL;
      g_autoptr(JsonNode) node = json_from_string (bad[i], NULL);
      g_autoptr(GnOsProxySettings) s = gn_os_proxy_settings_new_from_json (node, &error);

      g_assert_null (s);
      g_assert_error (error, GN_ERROR, GN_ERROR_INVALID_DATA);
    }
}

int
main (int argc, char **argv)
{
  g_autofree char *config = NULL;
  g_autofree char *state = NULL;
  int ret;

  /* Must happen before GLib caches the user directories. Subprocesses
   * (g_test_trap_subprocess) share the parent's directories. */
  tmp_root = g_strdup (g_getenv ("GN_TEST_PLATFORM_ROOT"));
  if (tmp_root == NULL)
    {
      tmp_root = g_dir_make_tmp ("gn-platform-XXXXXX", NULL);
      g_assert_nonnull (tmp_root);
      g_setenv ("GN_TEST_PLATFORM_ROOT", tmp_root, TRUE);
    }
  config = g_build_filename (tmp_root, "config", NULL);
  state = g_build_filename (tmp_root, "state", NULL);
  g_setenv ("XDG_CONFIG_HOME", config, TRUE);
  g_setenv ("XDG_STATE_HOME", state, TRUE);
  g_setenv ("GSETTINGS_BACKEND", "keyfile", TRUE);
  g_unsetenv ("DBUS_SESSION_BUS_ADDRESS");
  g_unsetenv ("GN_OS_PROXY_BACKEND");
  g_unsetenv ("GN_PROXY_JOURNAL");

  g_test_init (&argc, &argv, NULL);

#define ADD(name, func) g_test_add (name, Fixture, NULL, fixture_setup, func, fixture_teardown)
  ADD ("/platform/gnome/round-trip/manual", test_round_trip_manual);
  ADD ("/platform/gnome/round-trip/pac", test_round_trip_pac);
  ADD ("/platform/gnome/round-trip/auto", test_round_trip_auto);
  ADD ("/platform/gnome/round-trip/none", test_round_trip_none);
  ADD ("/platform/guard/compare-and-clear", test_compare_and_clear);
  for (guint i = 0; i < G_N_ELEMENTS (per_key_cases); i++)
    {
      g_autofree char *name = g_strdup_printf ("/platform/guard/per-key/%s/%s",
                                               per_key_cases[i].crash ? "repair" : "stop",
                                               per_key_names[per_key_cases[i].change]);

      g_test_add (name, Fixture, &per_key_cases[i], fixture_setup, test_per_key_restore,
                  fixture_teardown);
    }
  ADD ("/platform/guard/dead-loopback", test_dead_loopback);
  ADD ("/platform/guard/live-loopback", test_live_loopback);
  ADD ("/platform/guard/kill-between-journal-and-apply", test_kill_between_journal_and_apply);
  ADD ("/platform/guard/repair-after-crash", test_repair_after_crash);
  ADD ("/platform/guard/enable-repairs-stale-journal", test_enable_repairs_stale_journal);
  ADD ("/platform/guard/damaged-journal", test_damaged_journal);
  ADD ("/platform/guard/upstream", test_upstream);
  ADD ("/platform/guard/bypass", test_bypass_validation);
  ADD ("/platform/guard/effective-bypass", test_effective_bypass);
  ADD ("/platform/guard/pac-mode", test_pac_mode);
  ADD ("/platform/kde/round-trip", test_kde_round_trip);
  ADD ("/platform/kde/no-file", test_kde_no_file);
  ADD ("/platform/kde/per-key", test_kde_per_key);
  ADD ("/platform/kde/notifies-kio", test_kde_notifies_kio);
#undef ADD
  g_test_add_func ("/platform/none", test_none_backend);
  g_test_add_func ("/platform/desktop-detection", test_desktop_detection);
  g_test_add_func ("/platform/json/rejects-bad", test_json_rejects_bad);

  ret = g_test_run ();
  if (!g_test_subprocess ())
    {
      const char *rm[] = { "rm", "-rf", tmp_root, NULL };
      g_spawn_sync (NULL, (char **) rm, NULL, G_SPAWN_SEARCH_PATH, NULL, NULL, NULL, NULL,
                    NULL, NULL);
    }
  g_free (tmp_root);
  return ret;
}
