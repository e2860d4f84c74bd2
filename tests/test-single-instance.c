/* test-single-instance.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * GnSingleInstance with real processes: this program runs itself as the
 * later instance. Where the object does the uniqueness (Windows, run under
 * Wine: G_APPLICATION_NON_UNIQUE, a named mutex and a message-only window,
 * no gdbus.exe), a second process with the same name is not primary and
 * makes the first emit "activate" exactly once (not at all when quiet, as
 * at login), and once the first is gone a new process is primary again.
 * Where GApplication's D-Bus uniqueness applies (Linux), every instance is
 * primary and nothing is emitted.
 *
 * Threading: main thread; the child processes are watched from its loop.
 */

#include <string.h>

#include <glib.h>

#include "gn-single-instance.h"

#define EXIT_NOT_PRIMARY 3

static const char *self_path;

typedef struct
{
  GMainLoop *loop;
  guint      activated;
  gboolean   exited;
  int        status;
} Run;

static void
on_activate (GnSingleInstance *instance,
             Run              *run)
{
  run->activated++;
}

static void
on_child_exit (GPid     pid,
               int      wait_status,
               gpointer data)
{
  Run *run = data;
  g_autoptr(GError) error = NULL;

  run->exited = TRUE;
  run->status = g_spawn_check_wait_status (wait_status, &error) ? 0
                : error->domain == G_SPAWN_EXIT_ERROR ? error->code : -1;
  g_spawn_close_pid (pid);
  g_main_loop_quit (run->loop);
}

static gboolean
on_timeout (gpointer data)
{
  g_main_loop_quit (data);
  return G_SOURCE_REMOVE;
}

/* Runs this program as another instance of @name; its exit status. */
static int
run_second (const char *name,
            gboolean    quiet,
            Run        *run)
{
  const char *argv[] = { self_path, quiet ? "--second-quiet" : "--second", name, NULL };
  g_autoptr(GError) error = NULL;
  GPid pid;
  guint timeout;

  run->exited = FALSE;
  g_assert_true (g_spawn_async (NULL, (char **) argv, NULL, G_SPAWN_DO_NOT_REAP_CHILD, NULL,
                                NULL, &pid, &error));
  g_assert_no_error (error);
  g_child_watch_add (pid, on_child_exit, run);
  /* A bound for a stuck child only (a loaded machine under Wine is slow). */
  timeout = g_timeout_add_seconds (120, on_timeout, run->loop);
  g_main_loop_run (run->loop);
  g_source_remove (timeout);
  g_assert_true (run->exited);
  /* The first instance's answer was queued before the child's send returned. */
  while (g_main_context_iteration (NULL, FALSE))
    ;
  return run->status;
}

static void
test_second_instance (void)
{
  g_autofree char *name = g_strdup_printf ("io.github.guardnest.Test%08x", g_random_int ());
  g_autoptr(GnSingleInstance) first = gn_single_instance_new (name, FALSE);
  g_autoptr(GMainLoop) loop = g_main_loop_new (NULL, FALSE);
  gboolean own_uniqueness = (gn_single_instance_app_flags () & G_APPLICATION_NON_UNIQUE) != 0;
  Run run = { loop, 0, FALSE, -1 };

  g_assert_true (gn_single_instance_is_primary (first));
  g_signal_connect (first, "activate", G_CALLBACK (on_activate), &run);

  if (!own_uniqueness)
    {
      /* GApplication's uniqueness applies: nothing to do here. */
      g_assert_cmpint (gn_single_instance_app_flags (), ==, G_APPLICATION_DEFAULT_FLAGS);
      g_assert_cmpint (run_second (name, FALSE, &run), ==, 0);
      g_assert_cmpuint (run.activated, ==, 0);
      return;
    }

  /* A second start: not primary, and the first is asked to show itself. */
  g_assert_cmpint (run_second (name, FALSE, &run), ==, EXIT_NOT_PRIMARY);
  g_assert_cmpuint (run.activated, ==, 1);
  /* A second start at login: not primary, nothing shown. */
  g_assert_cmpint (run_second (name, TRUE, &run), ==, EXIT_NOT_PRIMARY);
  g_assert_cmpuint (run.activated, ==, 1);
  /* Another name is another application. */
  {
    g_autofree char *other = g_strconcat (name, "Other", NULL);
    g_assert_cmpint (run_second (other, FALSE, &run), ==, 0);
    g_assert_cmpuint (run.activated, ==, 1);
  }
  /* The first is gone: the next start is the only instance. */
  g_clear_object (&first);
  g_assert_cmpint (run_second (name, FALSE, &run), ==, 0);
}

int
main (int   argc,
      char *argv[])
{
  self_path = argv[0];
  if (argc == 3 && (strcmp (argv[1], "--second") == 0 || strcmp (argv[1], "--second-quiet") == 0))
    {
      g_autoptr(GnSingleInstance) second =
        gn_single_instance_new (argv[2], strcmp (argv[1], "--second-quiet") == 0);

      return gn_single_instance_is_primary (second) ? 0 : EXIT_NOT_PRIMARY;
    }

  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/single-instance/second-instance", test_second_instance);
  return g_test_run ();
}
