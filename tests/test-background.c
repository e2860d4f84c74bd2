/* test-background.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Running in the background (src/app/gn-background.c): what the close
 * button does in every case, and what the tray shows.
 */

#include "gn-background.h"

/* Hiding needs protection on, a tray and no quit in progress; then the
 * saved answer decides, and anything but always/never asks. */
static void
test_decide_close (void)
{
  g_assert_cmpint (gn_background_decide_close (TRUE, TRUE, FALSE, "ask"), ==, GN_CLOSE_ASK);
  g_assert_cmpint (gn_background_decide_close (TRUE, TRUE, FALSE, "always"), ==, GN_CLOSE_HIDE);
  g_assert_cmpint (gn_background_decide_close (TRUE, TRUE, FALSE, "never"), ==, GN_CLOSE_QUIT);
  g_assert_cmpint (gn_background_decide_close (TRUE, TRUE, FALSE, NULL), ==, GN_CLOSE_ASK);

  /* No tray: as always, whatever was saved. */
  g_assert_cmpint (gn_background_decide_close (TRUE, FALSE, FALSE, "always"), ==, GN_CLOSE_QUIT);
  g_assert_cmpint (gn_background_decide_close (TRUE, FALSE, FALSE, "ask"), ==, GN_CLOSE_QUIT);
  /* Not protecting: nothing to keep running for. */
  g_assert_cmpint (gn_background_decide_close (FALSE, TRUE, FALSE, "always"), ==, GN_CLOSE_QUIT);
  /* Quit in progress (it closes the windows). */
  g_assert_cmpint (gn_background_decide_close (TRUE, TRUE, TRUE, "always"), ==, GN_CLOSE_QUIT);
}

static void
test_tray_view (void)
{
  {
    g_auto(GnTrayView) v = { 0 };
    gn_background_tray_view (GN_PROTECTION_ON, "Protecting — 127.0.0.1:3000", TRUE, 0, &v);
    g_assert_cmpstr (v.state, ==, "Protecting — 127.0.0.1:3000");
    g_assert_false (v.attention);
    g_assert_true (v.can_pause);
  }
  {
    g_auto(GnTrayView) v = { 0 };
    gn_background_tray_view (GN_PROTECTION_ON, "Paused", TRUE, g_get_real_time () + 60, &v);
    g_assert_true (v.attention);
    g_assert_false (v.can_pause);
  }
  {
    g_auto(GnTrayView) v = { 0 };
    gn_background_tray_view (GN_PROTECTION_ERROR, NULL, FALSE, 0, &v);
    g_assert_cmpstr (v.state, ==, "Off");
    g_assert_true (v.attention);
    g_assert_false (v.can_pause);
  }
  {
    g_auto(GnTrayView) v = { 0 };
    gn_background_tray_view (GN_PROTECTION_STARTING, "Starting…", FALSE, 0, &v);
    g_assert_false (v.attention);
    g_assert_false (v.can_pause);
  }
  {
    /* On with no rule in force: blocking nothing is worth a look. */
    g_auto(GnTrayView) v = { 0 };
    gn_background_tray_view (GN_PROTECTION_ON, "Not blocking anything yet", FALSE, 0, &v);
    g_assert_true (v.attention);
    g_assert_true (v.can_pause);
  }
}

int
main (int   argc,
      char *argv[])
{
  g_setenv ("LANGUAGE", "C", TRUE);
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/app/background/decide-close", test_decide_close);
  g_test_add_func ("/app/background/tray-view", test_tray_view);

  return g_test_run ();
}
