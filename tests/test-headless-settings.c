/* test-headless-settings.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * A restarted app comes back with its saved settings: the real `guardnest
 * --headless` binary, run with XDG_CONFIG_HOME in a temporary directory,
 * listens on the port saved in guardnest/settings.ini; a --port option wins
 * for that run only; a bad value is reported on stderr, the file is kept as
 * settings.ini.bad and the rest of the settings still apply; the file never
 * opens the proxy to other computers (headless without --allow-remote, and
 * the window's session, stay on loopback) and a CR/LF upstream-host is
 * reported and not used.
 *
 * Threading: main thread; the binary is a child process (GSubprocess).
 */

#include <signal.h>
#include <string.h>

#include <glib/gstdio.h>

#include "gn-error.h"
#include "gn-session.h"
#include "gn-settings-store.h"
#include "test-utils.h"

typedef struct
{
  char *config_home;   /* (owned) */
  char *settings;      /* (owned) config_home/guardnest/settings.ini */
} Fixture;

static void
fixture_setup (Fixture       *f,
               gconstpointer  data)
{
  g_autoptr(GError) error = NULL;

  f->config_home = g_dir_make_tmp ("gn-headless-XXXXXX", &error);
  g_assert_no_error (error);
  f->settings = g_build_filename (f->config_home, "guardnest", "settings.ini", NULL);
}

/* Everything the binary left there too (the blocklist manager saves
 * guardnest/blocklists.json), so no directory is left in /tmp. */
static void
remove_tree (const char *path)
{
  GDir *dir = g_dir_open (path, 0, NULL);
  const char *name;

  if (dir == NULL)
    {
      g_unlink (path);
      return;
    }
  while ((name = g_dir_read_name (dir)) != NULL)
    {
      g_autofree char *child = g_build_filename (path, name, NULL);

      remove_tree (child);
    }
  g_dir_close (dir);
  g_rmdir (path);
}

static void
fixture_teardown (Fixture       *f,
                  gconstpointer  data)
{
  remove_tree (f->config_home);
  g_assert_false (g_file_test (f->config_home, G_FILE_TEST_EXISTS));
  g_free (f->settings);
  g_free (f->config_home);
}

static void
save_settings (Fixture    *f,
               guint16     port,
               const char *extra)
{
  g_autoptr(GnSettingsStore) store = gn_settings_store_new (f->settings);
  g_autoptr(GnEngineConfig) config = gn_engine_config_new ();
  g_autoptr(GError) error = NULL;

  config->port = port;
  config->max_connections = 77;
  gn_settings_store_set_config (store, config);
  gn_settings_store_set_protection (store, TRUE);
  g_assert_true (gn_settings_store_save (store, &error));
  g_assert_no_error (error);

  if (extra != NULL)
    {
      g_autofree char *contents = NULL;
      g_autofree char *patched = NULL;

      g_assert_true (g_file_get_contents (f->settings, &contents, NULL, NULL));
      patched = g_strconcat (contents, extra, NULL);
      g_assert_true (g_file_set_contents (f->settings, patched, -1, NULL));
    }
}

/* Runs guardnest --headless ARGS… until it prints the port it listens on;
 * returns that port (the line in @listening_out), checks that it serves
 * (@origin's /hello through it, if given), stops it with SIGTERM and
 * checks it exits cleanly. */
static guint16
run_headless (Fixture      *f,
              char        **stderr_out,
              char        **listening_out,
              GnTestOrigin *origin,
              const char   *first_arg,
              ...)
{
  g_autoptr(GSubprocessLauncher) launcher =
    g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDOUT_PIPE | G_SUBPROCESS_FLAGS_STDERR_PIPE);
  g_autoptr(GPtrArray) argv = g_ptr_array_new ();
  g_autoptr(GSubprocess) proc = NULL;
  g_autoptr(GDataInputStream) out = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *line = NULL;
  g_autofree char *err_text = NULL;
  const char *marker = " port ";
  guint16 port = 0;
  va_list ap;

  g_ptr_array_add (argv, (gpointer) g_getenv ("GN_GUARDNEST"));
  g_ptr_array_add (argv, "--headless");
  va_start (ap, first_arg);
  for (const char *a = first_arg; a != NULL; a = va_arg (ap, const char *))
    g_ptr_array_add (argv, (gpointer) a);
  va_end (ap);
  g_ptr_array_add (argv, NULL);

  g_subprocess_launcher_setenv (launcher, "XDG_CONFIG_HOME", f->config_home, TRUE);
  proc = g_subprocess_launcher_spawnv (launcher, (const char * const *) argv->pdata, &error);
  g_assert_no_error (error);

  out = g_data_input_stream_new (g_subprocess_get_stdout_pipe (proc));
  line = g_data_input_stream_read_line_utf8 (out, NULL, NULL, &error);
  g_assert_no_error (error);
  g_assert_nonnull (line);
  g_test_message ("guardnest: %s", line);
  g_assert_true (g_str_has_prefix (line, "GuardNest proxy listening on"));
  port = (guint16) atoi (strstr (line, marker) + strlen (marker));

  /* It really listens there. */
  {
    g_autoptr(GSocketConnection) conn = gn_test_connect ("127.0.0.1", port);
    g_autofree char *head = NULL;

    gn_test_send (conn, "GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n", -1);
    head = gn_test_read_head (conn);
    g_assert_nonnull (head);
  }
  if (origin != NULL)
    gn_test_assert_served (port, origin);

  g_subprocess_send_signal (proc, SIGTERM);
  g_subprocess_wait (proc, NULL, &error);
  g_assert_no_error (error);
  g_assert_true (g_subprocess_get_if_exited (proc));
  g_assert_cmpint (g_subprocess_get_exit_status (proc), ==, 0);

  {
    g_autoptr(GDataInputStream) err = g_data_input_stream_new (g_subprocess_get_stderr_pipe (proc));
    gsize len;

    err_text = g_data_input_stream_read_upto (err, "", 0, &len, NULL, NULL);
  }
  if (stderr_out != NULL)
    *stderr_out = g_steal_pointer (&err_text);
  if (listening_out != NULL)
    *listening_out = g_steal_pointer (&line);
  return port;
}

static void
test_saved_port (Fixture       *f,
                 gconstpointer  data)
{
  guint16 saved = gn_test_free_port ();
  g_autofree char *errors = NULL;

  save_settings (f, saved, NULL);
  g_assert_cmpuint (run_headless (f, &errors, NULL, NULL, NULL), ==, saved);
  g_assert_null (strstr (errors ? errors : "", "could not be used"));

  /* A command-line port wins for that run, and is not saved. */
  {
    guint16 other = gn_test_free_port ();
    g_autofree char *arg = g_strdup_printf ("--port=%u", other);
    g_autoptr(GnSettingsStore) store = gn_settings_store_new (f->settings);
    g_autoptr(GnEngineConfig) config = NULL;

    g_assert_cmpuint (run_headless (f, NULL, NULL, NULL, arg, NULL), ==, other);
    g_assert_true (gn_settings_store_load (store, NULL));
    config = gn_settings_store_dup_config (store);
    g_assert_cmpuint (config->port, ==, saved);
    g_assert_cmpuint (config->max_connections, ==, 77);
    g_assert_true (gn_settings_store_get_protection (store));
  }
}

static void
test_bad_value_reported (Fixture       *f,
                         gconstpointer  data)
{
  guint16 saved = gn_test_free_port ();
  g_autofree char *errors = NULL;
  g_autofree char *bad = g_strconcat (f->settings, ".bad", NULL);

  /* A second [engine] group with a bad value: merged by GKeyFile, the
   * value is rejected, the port still applies. */
  save_settings (f, saved, "\n[engine]\nheader-timeout-ms=soon\n");
  g_assert_cmpuint (run_headless (f, &errors, NULL, NULL, NULL), ==, saved);
  g_test_message ("stderr: %s", errors);
  g_assert_nonnull (strstr (errors, "header-timeout-ms"));
  g_assert_nonnull (strstr (errors, bad));
  g_assert_true (g_file_test (bad, G_FILE_TEST_IS_REGULAR));
}

/* Runs guardnest --headless ARGS… that must refuse to start: returns its
 * stderr after checking it exited with status 1 and printed no
 * "listening" line. */
static char *
run_headless_refused (Fixture    *f,
                      const char *first_arg,
                      ...)
{
  g_autoptr(GSubprocessLauncher) launcher =
    g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDOUT_PIPE | G_SUBPROCESS_FLAGS_STDERR_PIPE);
  g_autoptr(GPtrArray) argv = g_ptr_array_new ();
  g_autoptr(GSubprocess) proc = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *out = NULL;
  char *err = NULL;
  va_list ap;

  g_ptr_array_add (argv, (gpointer) g_getenv ("GN_GUARDNEST"));
  g_ptr_array_add (argv, "--headless");
  va_start (ap, first_arg);
  for (const char *a = first_arg; a != NULL; a = va_arg (ap, const char *))
    g_ptr_array_add (argv, (gpointer) a);
  va_end (ap);
  g_ptr_array_add (argv, NULL);

  g_subprocess_launcher_setenv (launcher, "XDG_CONFIG_HOME", f->config_home, TRUE);
  proc = g_subprocess_launcher_spawnv (launcher, (const char * const *) argv->pdata, &error);
  g_assert_no_error (error);
  g_subprocess_communicate_utf8 (proc, NULL, NULL, &out, &err, &error);
  g_assert_no_error (error);
  g_assert_true (g_subprocess_get_if_exited (proc));
  g_assert_cmpint (g_subprocess_get_exit_status (proc), ==, 1);
  g_assert_null (strstr (out, "listening"));
  return err;
}

/* The settings file alone never opens the proxy to other computers:
 * allow-non-loopback=true with bind-address=0.0.0.0 and no --allow-remote
 * gives a proxy on 127.0.0.1 and a message that names both keys and the
 * option that would do it. */
static void
test_file_cannot_allow_remote (Fixture       *f,
                               gconstpointer  data)
{
  guint16 saved = gn_test_free_port ();
  g_autofree char *errors = NULL;
  g_autofree char *listening = NULL;
  g_autofree char *bad = g_strconcat (f->settings, ".bad", NULL);

  save_settings (f, saved, "\n[engine]\nbind-address=0.0.0.0\nallow-non-loopback=true\n");
  g_assert_cmpuint (run_headless (f, &errors, &listening, NULL, NULL), ==, saved);
  g_test_message ("stdout: %s", listening);
  g_test_message ("stderr: %s", errors);
  g_assert_true (g_str_has_prefix (listening, "GuardNest proxy listening on 127.0.0.1 port "));
  g_assert_nonnull (strstr (errors, "allow-non-loopback: ignored"));
  g_assert_nonnull (strstr (errors, "bind-address: 0.0.0.0"));
  g_assert_nonnull (strstr (errors, "--allow-remote"));
  g_assert_true (g_file_test (bad, G_FILE_TEST_IS_REGULAR));

  /* --listen beyond loopback without --allow-remote: refused, whatever
   * the file says. */
  save_settings (f, saved, "\n[engine]\nallow-non-loopback=true\n");
  g_clear_pointer (&errors, g_free);
  errors = run_headless_refused (f, "--listen=0.0.0.0", NULL);
  g_test_message ("stderr: %s", errors);
  g_assert_nonnull (strstr (errors, "Refusing to listen on 0.0.0.0"));
  g_assert_nonnull (strstr (errors, "--allow-remote"));
}

/* The window's session (no GN_SESSION_ALLOW_REMOTE: it has no such option)
 * never listens beyond loopback, whatever the file or a caller says. */
static gboolean
protection_on (gpointer data)
{
  return gn_protection_get_state (data) == GN_PROTECTION_ON;
}

static void
say_cb (GnSession  *session,
        const char *text,
        GString    *said)
{
  g_string_append_printf (said, "%s\n", text);
}

static void
test_window_session_loopback (Fixture       *f,
                              gconstpointer  data)
{
  g_autoptr(GnSession) session = NULL;
  g_autoptr(GnEngineConfig) config = NULL;
  g_autoptr(GnEngineConfig) remote = NULL;
  g_autoptr(GnEngineConfig) running = NULL;
  g_autoptr(GString) said = g_string_new (NULL);
  g_autoptr(GError) error = NULL;
  g_autofree char *list = gn_test_write_list ("blocked.example\n");
  const char *lists[] = { list, NULL };
  GnProtection *protection;

  save_settings (f, 0, "\n[engine]\nbind-address=0.0.0.0\nallow-non-loopback=true\n");
  session = gn_session_new (GN_SESSION_FLAGS_NONE, f->settings);
  g_signal_connect (session, "message", G_CALLBACK (say_cb), said);
  gn_session_load_settings (session);
  g_test_message ("said: %s", said->str);
  g_assert_nonnull (strstr (said->str, "allow-non-loopback: ignored"));
  config = gn_session_dup_config (session);
  g_assert_cmpstr (config->bind_address, ==, "127.0.0.1");
  g_assert_false (config->allow_non_loopback);

  /* A caller cannot ask for it either. */
  remote = gn_engine_config_copy (config);
  g_free (remote->bind_address);
  remote->bind_address = g_strdup ("0.0.0.0");
  remote->allow_non_loopback = TRUE;
  g_assert_false (gn_session_set_config (session, remote, FALSE, &error));
  g_assert_error (error, GN_ERROR, GN_ERROR_NOT_LOOPBACK);
  g_test_message ("%s", error->message);
  g_assert_nonnull (strstr (error->message, "--allow-remote"));
  g_clear_pointer (&config, gn_engine_config_unref);
  config = gn_session_dup_config (session);
  g_assert_cmpstr (config->bind_address, ==, "127.0.0.1");
  g_clear_error (&error);

  g_assert_true (gn_session_start_up (session, lists, &error));
  g_assert_no_error (error);
  protection = gn_session_get_protection (session);
  gn_protection_set_enabled (protection, TRUE);
  g_assert_true (gn_test_wait_until (protection_on, protection, 10000));
  running = gn_engine_dup_config (gn_session_get_engine (session));
  g_assert_cmpstr (running->bind_address, ==, "127.0.0.1");
  g_assert_false (running->allow_non_loopback);
  g_assert_true (gn_session_shut_down (session));
  gn_test_remove_file (list);
}

/* An upstream-host with CR/LF in it (written as the \r\n escapes a key
 * file knows) is reported on one line and not used. The second file's
 * value would be a loopback upstream (which loopback targets use) on a port
 * that refuses, had the CR/LF been trimmed off and the rest used: the
 * origin on 127.0.0.1 answering through the proxy shows it was not. */
static void
test_upstream_host_crlf (Fixture       *f,
                         gconstpointer  data)
{
  guint16 saved = gn_test_free_port ();
  guint16 refusing_port = 0;
  g_autoptr(GSocket) refusing = gn_test_refusing_port_new (&refusing_port);
  GnTestOrigin *origin = gn_test_origin_new (FALSE);
  g_autofree char *errors = NULL;
  g_autofree char *extra = NULL;

  save_settings (f, saved, "\n[engine]\nupstream-host=corp.example\\r\\nX-Injected: 1\n"
                           "upstream-port=8080\n");
  g_assert_cmpuint (run_headless (f, &errors, NULL, NULL, NULL), ==, saved);
  g_test_message ("stderr: %s", errors);
  g_assert_nonnull (strstr (errors, "upstream-host: “corp.example\\r\\nX-Injected: 1” is not a "
                                    "host name or IP address"));
  g_assert_null (strchr (errors, '\r'));
  g_assert_null (strstr (errors, "\nX-Injected"));
  g_clear_pointer (&errors, g_free);

  extra = g_strdup_printf ("\n[engine]\nupstream-host=127.0.0.1\\r\\n\nupstream-port=%u\n",
                           refusing_port);
  save_settings (f, saved, extra);
  g_assert_cmpuint (run_headless (f, &errors, NULL, origin, NULL), ==, saved);
  g_test_message ("stderr: %s", errors);
  g_assert_nonnull (strstr (errors, "upstream-host: “127.0.0.1\\r\\n”"));
  gn_test_origin_free (origin);
}

int
main (int argc, char *argv[])
{
  g_test_init (&argc, &argv, NULL);
  g_assert_nonnull (g_getenv ("GN_GUARDNEST"));
  g_test_add ("/headless-settings/saved-port", Fixture, NULL,
              fixture_setup, test_saved_port, fixture_teardown);
  g_test_add ("/headless-settings/bad-value-reported", Fixture, NULL,
              fixture_setup, test_bad_value_reported, fixture_teardown);
  g_test_add ("/headless-settings/file-cannot-allow-remote", Fixture, NULL,
              fixture_setup, test_file_cannot_allow_remote, fixture_teardown);
  g_test_add ("/headless-settings/window-session-loopback", Fixture, NULL,
              fixture_setup, test_window_session_loopback, fixture_teardown);
  g_test_add ("/headless-settings/upstream-host-crlf", Fixture, NULL,
              fixture_setup, test_upstream_host_crlf, fixture_teardown);
  return g_test_run ();
}
