/* test-timed-rules.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Pauses and timed allows (src/app/gn-timed-rules.c) on their own with an
 * injected clock, and through a real GnSession and engine: nothing is
 * blocked while paused (a listed domain is let through, the status says so
 * with the minutes left), the pause and the allow end by themselves, and
 * both survive a restart of the app (and end while it is not running).
 */

#include <string.h>

#include <glib/gstdio.h>

#include "gn-session.h"
#include "gn-timed-rules.h"
#include "test-utils.h"

#define MINUTE ((gint64) 60 * G_USEC_PER_SEC)

static char *tmp_root;

static gint64
fake_clock (gpointer data)
{
  return *(gint64 *) data;
}

static char *
rules_path (const char *name)
{
  return g_build_filename (tmp_root, name, NULL);
}

static void
test_unit (void)
{
  g_autofree char *path = rules_path ("unit.json");
  g_autoptr(GnTimedRules) rules = gn_timed_rules_new (path);
  g_autoptr(GnTimedRules) again = NULL;
  g_autoptr(GError) error = NULL;
  g_auto(GStrv) allowed = NULL;
  gint64 t = (gint64) 1700000000 * G_USEC_PER_SEC;

  gn_timed_rules_set_clock (rules, fake_clock, &t);
  g_assert_true (gn_timed_rules_load (rules, &error));
  g_assert_cmpint (gn_timed_rules_get_paused_until (rules), ==, 0);

  /* Bad input: a clear error, nothing changes. */
  g_assert_false (gn_timed_rules_pause (rules, 0, &error));
  g_assert_error (error, GN_ERROR, GN_ERROR_INVALID_CONFIG);
  g_clear_error (&error);
  g_assert_false (gn_timed_rules_allow (rules, "not a domain", 10, &error));
  g_assert_error (error, GN_ERROR, GN_ERROR_INVALID_DATA);
  g_clear_error (&error);

  g_assert_true (gn_timed_rules_pause (rules, 5, &error));
  g_assert_true (gn_timed_rules_allow (rules, "Ads.Example.", 10, &error));
  g_assert_no_error (error);
  g_assert_cmpint (gn_timed_rules_get_paused_until (rules), ==, t + 5 * MINUTE);
  g_assert_cmpint (gn_timed_rules_get_allowed_until (rules, "ads.example"), ==, t + 10 * MINUTE);

  /* Saved with their expiry: another instance reads them. */
  again = gn_timed_rules_new (path);
  gn_timed_rules_set_clock (again, fake_clock, &t);
  g_assert_true (gn_timed_rules_load (again, &error));
  g_assert_cmpint (gn_timed_rules_get_paused_until (again), ==, t + 5 * MINUTE);
  allowed = gn_timed_rules_dup_allowed (again);
  g_assert_cmpstrv (allowed, ((const char *[]) { "ads.example", NULL }));
  g_clear_object (&again);

  /* They end by themselves: the pause first, then the allow. */
  t += 5 * MINUTE;
  gn_timed_rules_check (rules);
  g_assert_cmpint (gn_timed_rules_get_paused_until (rules), ==, 0);
  g_assert_cmpint (gn_timed_rules_get_allowed_until (rules, "ads.example"), !=, 0);
  t += 5 * MINUTE;
  gn_timed_rules_check (rules);
  g_assert_cmpint (gn_timed_rules_get_allowed_until (rules, "ads.example"), ==, 0);

  /* ... and while nothing runs: loaded later, they are over. */
  g_assert_true (gn_timed_rules_pause (rules, 60, &error));
  g_clear_object (&rules);
  t += 61 * MINUTE;
  rules = gn_timed_rules_new (path);
  gn_timed_rules_set_clock (rules, fake_clock, &t);
  g_assert_true (gn_timed_rules_load (rules, &error));
  g_assert_cmpint (gn_timed_rules_get_paused_until (rules), ==, 0);
}

static void
test_damaged_file (void)
{
  g_autofree char *path = rules_path ("damaged.json");
  g_autofree char *bad = g_strconcat (path, ".bad", NULL);
  g_autoptr(GnTimedRules) rules = gn_timed_rules_new (path);
  g_autoptr(GError) error = NULL;

  g_assert_true (g_file_set_contents (path, "{ \"version\": 1, \"paused-until\": ", -1, NULL));
  g_assert_false (gn_timed_rules_load (rules, &error));
  g_assert_error (error, GN_ERROR, GN_ERROR_INVALID_DATA);
  g_assert_nonnull (strstr (error->message, "could not be read"));
  /* Kept for the user, never overwritten silently; nothing is paused. */
  g_assert_true (g_file_test (bad, G_FILE_TEST_EXISTS));
  g_assert_cmpint (gn_timed_rules_get_paused_until (rules), ==, 0);
}

static gboolean
lookup_is (GnEngine    *engine,
           const char  *host,
           GnMatchKind  kind)
{
  g_autoptr(GnBlocklist) list = gn_engine_dup_blocklist (engine);

  return gn_blocklist_lookup (list, host, NULL) == kind;
}

typedef struct
{
  GnEngine    *engine;
  const char  *host;
  GnMatchKind  kind;
} Lookup;

static gboolean
lookup_cb (gpointer data)
{
  Lookup *l = data;

  return lookup_is (l->engine, l->host, l->kind);
}

static void
wait_lookup (GnEngine    *engine,
             const char  *host,
             GnMatchKind  kind)
{
  Lookup l = { engine, host, kind };

  g_assert_true (gn_test_wait_until (lookup_cb, &l, 5000));
}

static GnSession *
session_start (const char * const *local_lists)
{
  GnSession *session = gn_session_new (GN_SESSION_FLAGS_NONE, NULL);
  g_autoptr(GnEngineConfig) config = gn_engine_config_new ();
  g_autoptr(GError) error = NULL;

  config->port = 0;
  g_assert_true (gn_session_set_config (session, config, FALSE, &error));
  g_assert_true (gn_session_start_up (session, local_lists, &error));
  g_assert_no_error (error);
  return session;
}

static gboolean
is_on (gpointer data)
{
  return gn_protection_get_state (data) == GN_PROTECTION_ON;
}

/* A pause takes every rule out of the engine and says so; it survives a
 * restart and ends by itself. */
static void
test_session_pause (void)
{
  g_autofree char *list = gn_test_write_list ("ads.example\n");
  const char *lists[] = { list, NULL };
  g_autoptr(GnSession) session = session_start (lists);
  GnProtection *protection = gn_session_get_protection (session);
  GnEngine *engine = gn_session_get_engine (session);
  g_autoptr(GError) error = NULL;
  gint64 t;

  gn_protection_set_enabled (protection, TRUE);
  g_assert_true (gn_test_wait_until (is_on, protection, 5000));
  g_assert_true (lookup_is (engine, "ads.example", GN_MATCH_BLOCK));

  g_assert_true (gn_timed_rules_pause (gn_session_get_timed_rules (session), 15, &error));
  g_assert_true (lookup_is (engine, "ads.example", GN_MATCH_NONE));
  g_assert_cmpstr (gn_protection_get_status_text (protection), ==,
                   "Paused — nothing is blocked for 15 more minutes");
  g_assert_nonnull (strstr (gn_protection_get_hint (protection), "Blocking resumes by itself"));
  g_assert_true (gn_session_shut_down (session));
  g_clear_object (&session);

  /* The app starts again within the 15 minutes: still paused. */
  session = session_start (lists);
  engine = gn_session_get_engine (session);
  protection = gn_session_get_protection (session);
  gn_protection_set_enabled (protection, TRUE);
  g_assert_true (gn_test_wait_until (is_on, protection, 5000));
  g_assert_true (lookup_is (engine, "ads.example", GN_MATCH_NONE));
  g_assert_true (g_str_has_prefix (gn_protection_get_status_text (protection), "Paused"));

  /* 15 minutes later it ends by itself: blocked again, status back. */
  t = g_get_real_time () + 16 * MINUTE;
  gn_timed_rules_set_clock (gn_session_get_timed_rules (session), fake_clock, &t);
  gn_timed_rules_check (gn_session_get_timed_rules (session));
  g_assert_true (lookup_is (engine, "ads.example", GN_MATCH_BLOCK));
  g_assert_true (g_str_has_prefix (gn_protection_get_status_text (protection), "Protecting"));

  g_assert_true (gn_session_shut_down (session));
  gn_test_remove_file (list);
}

/* A timed allow lets one domain (and its subdomains) through, then ends. */
static void
test_session_allow (void)
{
  g_autoptr(GnSession) session = session_start (NULL);
  GnEngine *engine = gn_session_get_engine (session);
  GnBlocklistManager *lists = gn_session_get_blocklists (session);
  GnTimedRules *timed = gn_session_get_timed_rules (session);
  g_autoptr(GError) error = NULL;
  gint64 t = g_get_real_time ();

  gn_timed_rules_set_clock (timed, fake_clock, &t);
  g_assert_true (gn_blocklist_manager_add_user_rule (lists, GN_MATCH_BLOCK, "ads.example", &error));
  wait_lookup (engine, "cdn.ads.example", GN_MATCH_BLOCK);

  g_assert_true (gn_timed_rules_allow (timed, "ads.example", 10, &error));
  wait_lookup (engine, "cdn.ads.example", GN_MATCH_ALLOW);
  g_assert_true (lookup_is (engine, "other.example", GN_MATCH_NONE));

  t += 10 * MINUTE;
  gn_timed_rules_check (timed);
  wait_lookup (engine, "cdn.ads.example", GN_MATCH_BLOCK);

  g_assert_true (gn_session_shut_down (session));
}

int
main (int argc, char **argv)
{
  int ret;

  /* Before GLib caches the user directories. */
  tmp_root = gn_test_private_user_dirs ("timed-rules");

  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/timed-rules/unit", test_unit);
  g_test_add_func ("/timed-rules/damaged-file", test_damaged_file);
  g_test_add_func ("/timed-rules/session/pause", test_session_pause);
  g_test_add_func ("/timed-rules/session/allow", test_session_allow);
  ret = g_test_run ();
  gn_test_remove_tree (tmp_root);
  g_free (tmp_root);
  return ret;
}
