/* test-blocklist.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include <unistd.h>

#include <glib/gstdio.h>

#include "gn-blocklist.h"
#include "gn-error.h"

static char *
write_list (const char *contents)
{
  g_autoptr(GError) error = NULL;
  char *path = NULL;
  int fd = g_file_open_tmp ("gn-list-XXXXXX.txt", &path, &error);

  g_assert_no_error (error);
  close (fd);
  g_file_set_contents (path, contents, -1, &error);
  g_assert_no_error (error);
  return path;
}

static void
test_plain_subdomains (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GnBlocklist) list = NULL;
  g_autofree char *path = write_list ("# comment\nbad.example\nAds.Tracker.Test.\n\n");
  const char *paths[] = { path, NULL };
  GnMatch match;

  list = gn_blocklist_new_from_files (paths, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (gn_blocklist_get_n_rules (list), ==, 2);

  g_assert_cmpint (gn_blocklist_lookup (list, "bad.example", &match), ==, GN_MATCH_BLOCK);
  g_assert_cmpstr (match.rule, ==, "bad.example");
  g_assert_nonnull (match.list_name);
  g_assert_cmpint (gn_blocklist_lookup (list, "a.b.BAD.example.", &match), ==, GN_MATCH_BLOCK);
  g_assert_cmpstr (match.rule, ==, "bad.example");
  g_assert_cmpint (gn_blocklist_lookup (list, "ads.tracker.test", NULL), ==, GN_MATCH_BLOCK);
  /* a parent is not blocked by its child, nor a look-alike by a suffix */
  g_assert_cmpint (gn_blocklist_lookup (list, "tracker.test", &match), ==, GN_MATCH_NONE);
  g_assert_null (match.rule);
  g_assert_cmpint (gn_blocklist_lookup (list, "notbad.example", NULL), ==, GN_MATCH_NONE);
  g_assert_cmpint (gn_blocklist_lookup (list, "example", NULL), ==, GN_MATCH_NONE);

  g_unlink (path);
}

static void
test_binary_rejected (void)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *path = NULL;
  const char *paths[2] = { NULL, NULL };
  char *tmp = NULL;
  int fd = g_file_open_tmp ("gn-bin-XXXXXX", &tmp, &error);
  const char bin[] = { 'a', '\0', 'b', '\n' };

  g_assert_no_error (error);
  path = tmp;
  g_assert_cmpint (write (fd, bin, sizeof bin), ==, sizeof bin);
  close (fd);
  paths[0] = path;
  g_assert_null (gn_blocklist_new_from_files (paths, &error));
  g_assert_error (error, GN_ERROR, GN_ERROR_INVALID_DATA);
  g_unlink (path);
}

int
main (int argc, char *argv[])
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/blocklist/plain/subdomains", test_plain_subdomains);
  g_test_add_func ("/blocklist/binary-rejected", test_binary_rejected);
  return g_test_run ();
}
