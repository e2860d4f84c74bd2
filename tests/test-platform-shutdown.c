/* test-platform-shutdown.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * GnShutdownWatch: Unix signals, and logind over a real D-Bus daemon. logind
 * itself cannot run here, so the test starts a private dbus-daemon as the
 * "system bus" and serves the two parts of org.freedesktop.login1.Manager the
 * watch uses — Inhibit (returning one end of a pipe, as logind returns a
 * FIFO) and the PrepareForShutdown signal — and checks what a shutdown
 * needs: a "delay" inhibitor is held, "shutdown" is emitted, the inhibitor is
 * still held while the handler restores, and it is released right after.
 */

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <unistd.h>

#include <gio/gunixfdlist.h>
#include <glib-unix.h>

#include "gn-shutdown-watch.h"

static const char introspection[] =
  "<node>"
  " <interface name='org.freedesktop.login1.Manager'>"
  "  <method name='Inhibit'>"
  "   <arg type='s' direction='in'/><arg type='s' direction='in'/>"
  "   <arg type='s' direction='in'/><arg type='s' direction='in'/>"
  "   <arg type='h' direction='out'/>"
  "  </method>"
  "  <signal name='PrepareForShutdown'><arg type='b'/></signal>"
  " </interface>"
  "</node>";

typedef struct
{
  GSubprocess     *daemon;
  GDBusConnection *logind;     /* the service side */
  guint            object_id;
  guint            name_id;
  gboolean         name_owned;
  int              held_fd;    /* our end of the inhibitor pipe, -1 if none */
  char            *what, *mode;
  guint            n_inhibit;
  GnShutdownWatch *watch;
  char            *reason;
  gboolean         held_during_handler;
} Fixture;

static gboolean
peer_closed (int fd)
{
  struct pollfd p = { .fd = fd, .events = POLLIN };

  return poll (&p, 1, 0) == 1 && (p.revents & (POLLHUP | POLLIN));
}

static void
on_method (GDBusConnection *conn, const char *sender, const char *path, const char *iface,
           const char *method, GVariant *params, GDBusMethodInvocation *invocation, gpointer data)
{
  Fixture *f = data;
  g_autoptr(GUnixFDList) fds = g_unix_fd_list_new ();
  int pipe_fds[2];

  g_assert_cmpstr (method, ==, "Inhibit");
  g_clear_pointer (&f->what, g_free);
  g_clear_pointer (&f->mode, g_free);
  g_variant_get (params, "(ssss)", &f->what, NULL, NULL, &f->mode);
  f->n_inhibit++;

  g_assert_true (g_unix_open_pipe (pipe_fds, FD_CLOEXEC, NULL));
  if (f->held_fd >= 0)
    close (f->held_fd);
  f->held_fd = pipe_fds[0];
  g_unix_fd_list_append (fds, pipe_fds[1], NULL);
  close (pipe_fds[1]);
  g_dbus_method_invocation_return_value_with_unix_fd_list (invocation,
                                                           g_variant_new ("(h)", 0), fds);
}

static void
on_name_acquired (GDBusConnection *conn, const char *name, gpointer data)
{
  ((Fixture *) data)->name_owned = TRUE;
}

static void
iterate_until (gboolean *flag, const char *what)
{
  gint64 deadline = g_get_monotonic_time () + 10 * G_USEC_PER_SEC;

  while (!*flag && g_get_monotonic_time () < deadline)
    g_main_context_iteration (NULL, TRUE);
  if (!*flag)
    g_error ("timed out waiting for %s", what);
}

static void
fixture_setup (Fixture *f, gconstpointer data)
{
  static const GDBusInterfaceVTable vtable = { on_method, NULL, NULL };
  g_autoptr(GError) error = NULL;
  g_autoptr(GDataInputStream) out = NULL;
  g_autoptr(GDBusNodeInfo) info = NULL;
  g_autofree char *address = NULL;

  f->held_fd = -1;
  f->daemon = g_subprocess_new (G_SUBPROCESS_FLAGS_STDOUT_PIPE, &error,
                                "dbus-daemon", "--session", "--nofork", "--print-address", NULL);
  g_assert_no_error (error);
  out = g_data_input_stream_new (g_subprocess_get_stdout_pipe (f->daemon));
  address = g_data_input_stream_read_line (out, NULL, NULL, &error);
  g_assert_no_error (error);
  g_setenv ("DBUS_SYSTEM_BUS_ADDRESS", address, TRUE);

  f->logind = g_dbus_connection_new_for_address_sync (address,
                                                      G_DBUS_CONNECTION_FLAGS_AUTHENTICATION_CLIENT |
                                                      G_DBUS_CONNECTION_FLAGS_MESSAGE_BUS_CONNECTION,
                                                      NULL, NULL, &error);
  g_assert_no_error (error);
  info = g_dbus_node_info_new_for_xml (introspection, &error);
  g_assert_no_error (error);
  f->object_id = g_dbus_connection_register_object (f->logind, "/org/freedesktop/login1",
                                                    info->interfaces[0], &vtable, f, NULL, &error);
  g_assert_no_error (error);
  f->name_id = g_bus_own_name_on_connection (f->logind, "org.freedesktop.login1",
                                             G_BUS_NAME_OWNER_FLAGS_NONE, on_name_acquired,
                                             NULL, f, NULL);
  iterate_until (&f->name_owned, "the login1 name");
}

static void
fixture_teardown (Fixture *f, gconstpointer data)
{
  g_clear_object (&f->watch);
  while (g_main_context_iteration (NULL, FALSE))
    ;
  g_bus_unown_name (f->name_id);
  g_dbus_connection_unregister_object (f->logind, f->object_id);
  g_dbus_connection_close_sync (f->logind, NULL, NULL);
  g_clear_object (&f->logind);
  if (f->held_fd >= 0)
    close (f->held_fd);
  g_subprocess_force_exit (f->daemon);
  g_subprocess_wait (f->daemon, NULL, NULL);
  g_clear_object (&f->daemon);
  g_unsetenv ("DBUS_SYSTEM_BUS_ADDRESS");
  g_free (f->what);
  g_free (f->mode);
  g_free (f->reason);
}

static void
on_shutdown (GnShutdownWatch *watch, const char *reason, Fixture *f)
{
  /* This is where the owner restores: the inhibitor must still be held. */
  f->held_during_handler = f->held_fd >= 0 && !peer_closed (f->held_fd);
  g_free (f->reason);
  f->reason = g_strdup (reason);
}

static gboolean
has_inhibitor (Fixture *f)
{
  gint64 deadline = g_get_monotonic_time () + 10 * G_USEC_PER_SEC;

  while (!gn_shutdown_watch_has_inhibitor (f->watch) && g_get_monotonic_time () < deadline)
    g_main_context_iteration (NULL, TRUE);
  return gn_shutdown_watch_has_inhibitor (f->watch);
}

static void
emit_prepare (Fixture *f, gboolean start)
{
  g_autoptr(GError) error = NULL;

  g_dbus_connection_emit_signal (f->logind, NULL, "/org/freedesktop/login1",
                                 "org.freedesktop.login1.Manager", "PrepareForShutdown",
                                 g_variant_new ("(b)", start), &error);
  g_assert_no_error (error);
  g_dbus_connection_flush_sync (f->logind, NULL, NULL);
}

static void
test_logind (Fixture *f, gconstpointer data)
{
  gint64 deadline;

  f->watch = gn_shutdown_watch_new ();
  g_signal_connect (f->watch, "shutdown", G_CALLBACK (on_shutdown), f);
  g_assert_true (has_inhibitor (f));
  g_assert_cmpstr (f->what, ==, "shutdown");
  g_assert_cmpstr (f->mode, ==, "delay");
  g_assert_false (peer_closed (f->held_fd));

  /* A cancelled shutdown does nothing; the real one is reported. */
  emit_prepare (f, FALSE);
  emit_prepare (f, TRUE);
  deadline = g_get_monotonic_time () + 10 * G_USEC_PER_SEC;
  while (f->reason == NULL && g_get_monotonic_time () < deadline)
    g_main_context_iteration (NULL, TRUE);
  g_assert_cmpstr (f->reason, ==, "system shutdown");
  g_assert_true (f->held_during_handler);

  /* Released as soon as the handler returned. */
  g_assert_false (gn_shutdown_watch_has_inhibitor (f->watch));
  g_assert_true (peer_closed (f->held_fd));

  /* Shutdown cancelled afterwards: a new inhibitor is taken. */
  emit_prepare (f, FALSE);
  g_assert_true (has_inhibitor (f));
  g_assert_cmpuint (f->n_inhibit, ==, 2);
}

static void
test_signals (Fixture *f, gconstpointer data)
{
  static const struct { int signum; const char *name; } sigs[] = {
    { SIGTERM, "SIGTERM" }, { SIGINT, "SIGINT" }, { SIGHUP, "SIGHUP" },
  };

  f->watch = gn_shutdown_watch_new ();
  g_signal_connect (f->watch, "shutdown", G_CALLBACK (on_shutdown), f);
  for (guint i = 0; i < G_N_ELEMENTS (sigs); i++)
    {
      gint64 deadline = g_get_monotonic_time () + 10 * G_USEC_PER_SEC;

      g_clear_pointer (&f->reason, g_free);
      raise (sigs[i].signum);  /* would kill us without the watch */
      while (f->reason == NULL && g_get_monotonic_time () < deadline)
        g_main_context_iteration (NULL, TRUE);
      g_assert_cmpstr (f->reason, ==, sigs[i].name);
    }
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add ("/platform/shutdown/logind", Fixture, NULL, fixture_setup, test_logind,
              fixture_teardown);
  g_test_add ("/platform/shutdown/signals", Fixture, NULL, fixture_setup, test_signals,
              fixture_teardown);
  return g_test_run ();
}
