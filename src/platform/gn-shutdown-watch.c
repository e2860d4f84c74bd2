/* gn-shutdown-watch.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Unix signals through g_unix_signal_add (so handlers run on the main loop,
 * not in signal context) and logind through GDBus: Inhibit("shutdown",
 * ..., "delay") returns a file descriptor; while we hold it, logind waits (up
 * to its InhibitDelayMaxSec) after sending PrepareForShutdown(true), which
 * gives us time to restore the proxy settings before the session dies.
 *
 * Threading: the creating thread's thread-default main context.
 */

#include <unistd.h>

#include <gio/gunixfdlist.h>
#include <glib-unix.h>
#include <glib/gi18n.h>

#include "gn-shutdown-watch.h"

#define LOGIN1 "org.freedesktop.login1"
#define LOGIN1_PATH "/org/freedesktop/login1"
#define LOGIN1_MANAGER "org.freedesktop.login1.Manager"

struct _GnShutdownWatch
{
  GObject          parent_instance;
  guint            signal_sources[3];
  GCancellable    *cancellable;    /* (owned) */
  GDBusConnection *system_bus;     /* (owned) (nullable) */
  guint            prepare_sub;
  int              inhibitor_fd;   /* -1 when not held */
};

enum { SHUTDOWN, N_SIGNALS };
static guint signals[N_SIGNALS];

G_DEFINE_FINAL_TYPE (GnShutdownWatch, gn_shutdown_watch, G_TYPE_OBJECT)

static void take_inhibitor (GnShutdownWatch *self);

static gboolean
on_unix_signal (gpointer data)
{
  GnShutdownWatch *self = data;
  /* The source itself does not say which signal; look it up. */
  const char *name = g_source_get_name (g_main_current_source ());

  g_signal_emit (self, signals[SHUTDOWN], 0, name ? name : "signal");
  return G_SOURCE_CONTINUE;
}

static void
on_prepare_for_shutdown (GDBusConnection *bus, const char *sender, const char *path,
                         const char *iface, const char *signal, GVariant *params, gpointer data)
{
  GnShutdownWatch *self = data;
  gboolean start = FALSE;

  if (!g_variant_is_of_type (params, G_VARIANT_TYPE ("(b)")))
    return;
  g_variant_get (params, "(b)", &start);
  if (!start)
    {
      /* The shutdown was cancelled: be ready for the next one. */
      take_inhibitor (self);
      return;
    }
  g_object_ref (self);
  g_signal_emit (self, signals[SHUTDOWN], 0, "system shutdown");
  gn_shutdown_watch_release_inhibitor (self);
  g_object_unref (self);
}

static void
on_inhibit (GObject *source, GAsyncResult *result, gpointer data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GUnixFDList) fds = NULL;
  g_autoptr(GVariant) reply = NULL;
  GnShutdownWatch *self;
  gint32 index;

  reply = g_dbus_connection_call_with_unix_fd_list_finish (G_DBUS_CONNECTION (source), &fds,
                                                          result, &error);
  if (reply == NULL)
    {
      if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        g_message ("Shutdown will not wait for the proxy settings to be restored "
                   "(no logind inhibitor: %s)", error->message);
      return;
    }
  self = data;
  g_variant_get (reply, "(h)", &index);
  if (fds != NULL && self->inhibitor_fd < 0)
    self->inhibitor_fd = g_unix_fd_list_get (fds, index, NULL);
}

static void
take_inhibitor (GnShutdownWatch *self)
{
  if (self->system_bus == NULL || self->inhibitor_fd >= 0)
    return;
  g_dbus_connection_call_with_unix_fd_list (self->system_bus, LOGIN1, LOGIN1_PATH,
                                            LOGIN1_MANAGER, "Inhibit",
                                            g_variant_new ("(ssss)", "shutdown", "GuardNest",
                                                           _("Restoring your proxy settings"),
                                                           "delay"),
                                            G_VARIANT_TYPE ("(h)"), G_DBUS_CALL_FLAGS_NONE,
                                            5000, NULL, self->cancellable, on_inhibit, self);
}

static void
on_system_bus (GObject *source, GAsyncResult *result, gpointer data)
{
  g_autoptr(GError) error = NULL;
  GDBusConnection *bus = g_dbus_connection_new_for_address_finish (result, &error);
  GnShutdownWatch *self;

  if (bus == NULL)
    {
      if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        g_message ("No system bus, so shutdown is watched through signals only: %s",
                   error->message);
      return;
    }
  self = data;
  self->system_bus = bus;
  self->prepare_sub = g_dbus_connection_signal_subscribe (bus, LOGIN1, LOGIN1_MANAGER,
                                                          "PrepareForShutdown", LOGIN1_PATH,
                                                          NULL, G_DBUS_SIGNAL_FLAGS_NONE,
                                                          on_prepare_for_shutdown, self, NULL);
  take_inhibitor (self);
}

gboolean
gn_shutdown_watch_has_inhibitor (GnShutdownWatch *self)
{
  g_return_val_if_fail (GN_IS_SHUTDOWN_WATCH (self), FALSE);
  return self->inhibitor_fd >= 0;
}

void
gn_shutdown_watch_release_inhibitor (GnShutdownWatch *self)
{
  g_return_if_fail (GN_IS_SHUTDOWN_WATCH (self));
  if (self->inhibitor_fd >= 0)
    {
      close (self->inhibitor_fd);
      self->inhibitor_fd = -1;
    }
}

static void
gn_shutdown_watch_dispose (GObject *object)
{
  GnShutdownWatch *self = GN_SHUTDOWN_WATCH (object);

  g_cancellable_cancel (self->cancellable);
  for (guint i = 0; i < G_N_ELEMENTS (self->signal_sources); i++)
    g_clear_handle_id (&self->signal_sources[i], g_source_remove);
  if (self->system_bus && self->prepare_sub)
    g_dbus_connection_signal_unsubscribe (self->system_bus, self->prepare_sub);
  self->prepare_sub = 0;
  if (self->system_bus)
    g_dbus_connection_close (self->system_bus, NULL, NULL, NULL);
  g_clear_object (&self->system_bus);
  g_clear_object (&self->cancellable);
  gn_shutdown_watch_release_inhibitor (self);
  G_OBJECT_CLASS (gn_shutdown_watch_parent_class)->dispose (object);
}

static void
gn_shutdown_watch_class_init (GnShutdownWatchClass *klass)
{
  G_OBJECT_CLASS (klass)->dispose = gn_shutdown_watch_dispose;

  signals[SHUTDOWN] = g_signal_new ("shutdown", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                                    0, NULL, NULL, NULL, G_TYPE_NONE, 1, G_TYPE_STRING);
}

static void
gn_shutdown_watch_init (GnShutdownWatch *self)
{
  self->inhibitor_fd = -1;
  self->cancellable = g_cancellable_new ();
}

GnShutdownWatch *
gn_shutdown_watch_new (void)
{
  static const struct { int signum; const char *name; } sigs[] = {
    { SIGTERM, "SIGTERM" }, { SIGINT, "SIGINT" }, { SIGHUP, "SIGHUP" },
  };
  GnShutdownWatch *self = g_object_new (GN_TYPE_SHUTDOWN_WATCH, NULL);

  for (guint i = 0; i < G_N_ELEMENTS (sigs); i++)
    {
      GSource *source = g_unix_signal_source_new (sigs[i].signum);

      g_source_set_name (source, sigs[i].name);
      g_source_set_callback (source, on_unix_signal, self, NULL);
      self->signal_sources[i] = g_source_attach (source, g_main_context_get_thread_default ());
      g_source_unref (source);
    }

  /* Only when a system bus is advertised; never wait for one to appear. A
   * private connection, not g_bus_get()'s singleton, which would end the
   * process if the bus went away. */
  if (g_getenv ("DBUS_SYSTEM_BUS_ADDRESS") != NULL ||
      g_file_test ("/run/dbus/system_bus_socket", G_FILE_TEST_EXISTS))
    {
      g_autoptr(GError) error = NULL;
      g_autofree char *address = g_dbus_address_get_for_bus_sync (G_BUS_TYPE_SYSTEM, NULL, &error);

      if (address != NULL)
        g_dbus_connection_new_for_address (address,
                                           G_DBUS_CONNECTION_FLAGS_AUTHENTICATION_CLIENT |
                                           G_DBUS_CONNECTION_FLAGS_MESSAGE_BUS_CONNECTION,
                                           NULL, self->cancellable, on_system_bus, self);
      else
        g_message ("No system bus, so shutdown is watched through signals only: %s",
                   error->message);
    }
  else
    g_message ("No system bus, so shutdown is watched through signals only.");
  return self;
}
