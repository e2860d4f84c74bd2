/* test-upstream-policy.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * One table of saved settings × system proxy settings → the upstream the
 * engine gets, checked three ways: the pure rule (gn-upstream-policy.c),
 * and a real GnSession started as the window starts it and as the headless
 * mode starts it, reading the system proxy from Debian's
 * org.gnome.system.proxy schema on the key-file GSettings backend in a
 * temporary XDG_CONFIG_HOME, with settings.ini written to disk. Both front
 * ends must give the same answer for the same settings.
 */

#include <gio/gio.h>
#include <glib/gstdio.h>

#include "gn-session.h"
#include "gn-upstream-policy.h"
#include "test-utils.h"

typedef struct
{
  const char *name;
  /* settings.ini */
  const char *saved_host;
  guint16     saved_port;
  /* the system (GNOME) proxy, manual mode when host is set */
  const char *sys_host;
  guint16     sys_port;
  const char *sys_user;
  const char *sys_password;
  /* expected */
  const char *host;
  guint16     port;
  const char *user;
} Row;

static const Row rows[] = {
  { "nothing", NULL, 0, NULL, 0, NULL, NULL, NULL, 0, NULL },
  { "system-only", NULL, 0, "corp.example", 8080, NULL, NULL, "corp.example", 8080, NULL },
  { "system-with-password", NULL, 0, "corp.example", 8080, "alice", "s3cret",
    "corp.example", 8080, "alice" },
  { "saved-only", "saved.example", 3128, NULL, 0, NULL, NULL, "saved.example", 3128, NULL },
  { "saved-wins", "saved.example", 3128, "corp.example", 8080, "alice", "s3cret",
    "saved.example", 3128, NULL },
  { "saved-same-as-system-gets-credentials", "corp.example", 8080, "corp.example", 8080,
    "alice", "s3cret", "corp.example", 8080, "alice" },
  { "saved-same-host-other-port", "corp.example", 8081, "corp.example", 8080, "alice", "s3cret",
    "corp.example", 8081, NULL },
  /* A dead loopback proxy is no way out (nothing listens on port 1). */
  { "system-dead-loopback", NULL, 0, "127.0.0.1", 1, NULL, NULL, NULL, 0, NULL },
};

static char *tmp_root;

static void
check_config (const Row            *row,
              const GnEngineConfig *config)
{
  g_assert_cmpstr (config->upstream_host, ==, row->host);
  g_assert_cmpuint (config->upstream_port, ==, row->port);
  g_assert_cmpstr (config->upstream_user, ==, row->user);
  if (row->user != NULL)
    g_assert_cmpstr (config->upstream_password, ==, row->sys_password);
  else
    g_assert_null (config->upstream_password);
}

static void
test_rule (gconstpointer data)
{
  const Row *row = data;
  g_autoptr(GnEngineConfig) base = gn_engine_config_new ();
  g_autoptr(GnEngineConfig) config = NULL;
  GnSystemUpstream system = { row->sys_host, row->sys_port, row->sys_user, row->sys_password };
  g_autofree char *message = NULL;

  /* The guard never reports a dead loopback proxy: not this rule's job. */
  if (g_strcmp0 (row->sys_host, "127.0.0.1") == 0)
    system.host = NULL;
  base->upstream_host = g_strdup (row->saved_host);
  base->upstream_port = row->saved_port;
  config = gn_upstream_policy_apply (base, &system, &message);
  check_config (row, config);
  /* The user is told when the system's proxy is taken, only then. */
  g_assert_true ((message != NULL) == (row->saved_host == NULL && row->host != NULL));
}

static void
set_system_proxy (const Row *row)
{
  g_autoptr(GSettings) proxy = g_settings_new ("org.gnome.system.proxy");
  g_autoptr(GSettings) http = g_settings_new ("org.gnome.system.proxy.http");

  g_settings_delay (proxy);
  g_settings_delay (http);
  g_settings_set_string (http, "host", row->sys_host ? row->sys_host : "");
  g_settings_set_int (http, "port", row->sys_port);
  g_settings_set_boolean (http, "use-authentication", row->sys_user != NULL);
  g_settings_set_string (http, "authentication-user", row->sys_user ? row->sys_user : "");
  g_settings_set_string (http, "authentication-password", row->sys_password ? row->sys_password : "");
  g_settings_set_string (proxy, "mode", row->sys_host ? "manual" : "none");
  g_settings_apply (http);
  g_settings_apply (proxy);
  g_settings_sync ();
}

static char *
write_settings (const Row *row)
{
  g_autofree char *path = g_build_filename (tmp_root, "settings.ini", NULL);
  g_autoptr(GString) text = g_string_new ("[engine]\nport=0\n");
  g_autoptr(GError) error = NULL;

  if (row->saved_host != NULL)
    g_string_append_printf (text, "upstream-host=%s\nupstream-port=%u\n",
                            row->saved_host, row->saved_port);
  g_assert_true (g_file_set_contents (path, text->str, -1, &error));
  g_assert_no_error (error);
  return g_steal_pointer (&path);
}

static void
on_state (GnProtection *protection,
          GParamSpec   *pspec,
          gboolean     *done)
{
  GnProtectionState state = gn_protection_get_state (protection);

  if (state == GN_PROTECTION_ON || state == GN_PROTECTION_ERROR)
    *done = TRUE;
}

/* The decision a session makes, started with @flags, once protecting. */
static GnEngineConfig *
session_decision (const Row      *row,
                  GnSessionFlags  flags)
{
  g_autofree char *settings = write_settings (row);
  g_autoptr(GnSession) session = gn_session_new (flags, settings);
  g_autoptr(GError) error = NULL;
  GnProtection *protection;
  GnEngineConfig *config;
  gboolean done = FALSE;

  gn_session_load_settings (session);
  g_assert_true (gn_session_start_up (session, NULL, &error));
  g_assert_no_error (error);
  protection = gn_session_get_protection (session);
  g_signal_connect (protection, "notify::state", G_CALLBACK (on_state), &done);
  gn_protection_set_enabled (protection, TRUE);
  while (!done)
    g_main_context_iteration (NULL, TRUE);
  g_assert_cmpint (gn_protection_get_state (protection), ==, GN_PROTECTION_ON);
  config = gn_engine_dup_config (gn_session_get_engine (session));
  g_assert_true (gn_session_shut_down (session));
  g_signal_handlers_disconnect_by_data (protection, &done);
  return config;
}

static void
test_front_ends (gconstpointer data)
{
  const Row *row = data;
  /* How GnApplication and gn-headless.c (--system-proxy) start theirs. */
  g_autoptr(GnEngineConfig) window = NULL;
  g_autoptr(GnEngineConfig) headless = NULL;

  set_system_proxy (row);
  window = session_decision (row, GN_SESSION_SYSTEM_PROXY | GN_SESSION_REMEMBER_PROTECTION);
  set_system_proxy (row);
  headless = session_decision (row, GN_SESSION_SYSTEM_PROXY);
  check_config (row, window);
  check_config (row, headless);
}

int
main (int argc, char **argv)
{
  int ret;

  /* Before GLib caches the user directories. */
  tmp_root = gn_test_private_user_dirs ("upstream-policy");

  g_test_init (&argc, &argv, NULL);
  for (guint i = 0; i < G_N_ELEMENTS (rows); i++)
    {
      g_autofree char *rule = g_strdup_printf ("/upstream-policy/rule/%s", rows[i].name);
      g_autofree char *ends = g_strdup_printf ("/upstream-policy/front-ends/%s", rows[i].name);

      g_test_add_data_func (rule, &rows[i], test_rule);
      g_test_add_data_func (ends, &rows[i], test_front_ends);
    }
  ret = g_test_run ();
  gn_test_remove_tree (tmp_root);
  g_free (tmp_root);
  return ret;
}
