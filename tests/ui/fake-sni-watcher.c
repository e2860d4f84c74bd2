/* fake-sni-watcher.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * What a tray host runs, for the shell tests: owns
 * org.kde.StatusNotifierWatcher on the session bus and prints each
 * registered item as "SERVICE SENDER" on stdout, one line each. Runs until
 * SIGTERM/SIGINT.
 *
 * Threading: one thread, the default main context.
 */

#include <stdio.h>

#include <gio/gio.h>
#include <glib-unix.h>

static const char watcher_xml[] =
  "<node><interface name='org.kde.StatusNotifierWatcher'>"
  "<method name='RegisterStatusNotifierItem'><arg type='s' direction='in'/></method>"
  "<method name='RegisterStatusNotifierHost'><arg type='s' direction='in'/></method>"
  "<property name='RegisteredStatusNotifierItems' type='as' access='read'/>"
  "<property name='IsStatusNotifierHostRegistered' type='b' access='read'/>"
  "<property name='ProtocolVersion' type='i' access='read'/>"
  "</interface></node>";

static void
method (GDBusConnection       *connection,
        const char            *sender,
        const char            *path,
        const char            *interface,
        const char            *name,
        GVariant              *params,
        GDBusMethodInvocation *invocation,
        gpointer               user_data)
{
  if (g_str_equal (name, "RegisterStatusNotifierItem"))
    {
      const char *service;

      g_variant_get (params, "(&s)", &service);
      printf ("%s %s\n", service, sender);
      fflush (stdout);
    }
  g_dbus_method_invocation_return_value (invocation, NULL);
}

static GVariant *
get_property (GDBusConnection  *connection,
              const char       *sender,
              const char       *path,
              const char       *interface,
              const char       *name,
              GError          **error,
              gpointer          user_data)
{
  if (g_str_equal (name, "RegisteredStatusNotifierItems"))
    return g_variant_new_strv (NULL, 0);
  if (g_str_equal (name, "IsStatusNotifierHostRegistered"))
    return g_variant_new_boolean (TRUE);
  return g_variant_new_int32 (0);
}

static gboolean
quit_cb (gpointer loop)
{
  g_main_loop_quit (loop);
  return G_SOURCE_REMOVE;
}

int
main (void)
{
  static const GDBusInterfaceVTable vtable = { method, get_property, NULL, { 0 } };
  g_autoptr(GDBusNodeInfo) info = g_dbus_node_info_new_for_xml (watcher_xml, NULL);
  g_autoptr(GMainLoop) loop = g_main_loop_new (NULL, FALSE);
  g_autoptr(GDBusConnection) bus = NULL;
  g_autoptr(GError) error = NULL;
  guint owner;

  bus = g_bus_get_sync (G_BUS_TYPE_SESSION, NULL, &error);
  if (bus == NULL ||
      g_dbus_connection_register_object (bus, "/StatusNotifierWatcher", info->interfaces[0],
                                         &vtable, NULL, NULL, &error) == 0)
    {
      g_printerr ("fake-sni-watcher: %s\n", error->message);
      return 1;
    }
  owner = g_bus_own_name_on_connection (bus, "org.kde.StatusNotifierWatcher",
                                        G_BUS_NAME_OWNER_FLAGS_NONE, NULL, NULL, NULL, NULL);
  g_unix_signal_add (SIGTERM, quit_cb, loop);
  g_unix_signal_add (SIGINT, quit_cb, loop);
  g_main_loop_run (loop);
  g_bus_unown_name (owner);
  return 0;
}
