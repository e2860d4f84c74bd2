/* gn-tray-sni.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The Linux tray backend (gn-tray-private.h; the class is gn-tray.c): a
 * StatusNotifierItem
 * (org.kde.StatusNotifierItem at /StatusNotifierItem) with its menu as
 * com.canonical.dbusmenu (at /MenuBar), both exported on the session bus
 * with plain GDBus, under the name org.kde.StatusNotifierItem-PID-1. It is
 * registered with org.kde.StatusNotifierWatcher whenever a watcher is on
 * the bus (KDE Plasma, GNOME with the AppIndicator extension, XFCE and
 * others), and again when a new watcher starts; without one, "available"
 * stays FALSE and the app behaves as if there were no tray.
 *
 * Threading: the creating thread's thread-default main context; GDBus
 * calls the handlers there.
 */

#include <unistd.h>

#include <glib/gi18n.h>

#include "gn-tray-private.h"

#define ITEM_PATH "/StatusNotifierItem"
#define MENU_PATH "/MenuBar"
#define WATCHER_NAME "org.kde.StatusNotifierWatcher"

enum {
  MENU_ROOT = 0,
  MENU_STATE,
  MENU_PAUSE,
  MENU_OPEN,
  MENU_SEPARATOR,
  MENU_QUIT,
  N_MENU_ITEMS
};

struct _GnTrayBackend
{
  GnTray          *tray;         /* (unowned) it owns this */
  GDBusConnection *bus;          /* (owned) (nullable) no session bus */
  char            *bus_name;     /* (owned) org.kde.StatusNotifierItem-PID-N */
  guint            revision;
  guint            item_id;      /* registration ids */
  guint            menu_id;
  guint            own_id;
  guint            watch_id;
  GCancellable    *cancellable;  /* (owned) */
};

typedef GnTrayBackend Sni;

static const char item_xml[] =
  "<node>"
  " <interface name='org.kde.StatusNotifierItem'>"
  "  <property name='Category' type='s' access='read'/>"
  "  <property name='Id' type='s' access='read'/>"
  "  <property name='Title' type='s' access='read'/>"
  "  <property name='Status' type='s' access='read'/>"
  "  <property name='WindowId' type='i' access='read'/>"
  "  <property name='IconName' type='s' access='read'/>"
  "  <property name='IconThemePath' type='s' access='read'/>"
  "  <property name='ToolTip' type='(sa(iiay)ss)' access='read'/>"
  "  <property name='ItemIsMenu' type='b' access='read'/>"
  "  <property name='Menu' type='o' access='read'/>"
  "  <method name='ContextMenu'><arg name='x' type='i' direction='in'/><arg name='y' type='i' direction='in'/></method>"
  "  <method name='Activate'><arg name='x' type='i' direction='in'/><arg name='y' type='i' direction='in'/></method>"
  "  <method name='SecondaryActivate'><arg name='x' type='i' direction='in'/><arg name='y' type='i' direction='in'/></method>"
  "  <method name='Scroll'><arg name='delta' type='i' direction='in'/><arg name='orientation' type='s' direction='in'/></method>"
  "  <signal name='NewTitle'/>"
  "  <signal name='NewIcon'/>"
  "  <signal name='NewToolTip'/>"
  "  <signal name='NewStatus'><arg name='status' type='s'/></signal>"
  " </interface>"
  "</node>";

static const char menu_xml[] =
  "<node>"
  " <interface name='com.canonical.dbusmenu'>"
  "  <property name='Version' type='u' access='read'/>"
  "  <property name='TextDirection' type='s' access='read'/>"
  "  <property name='Status' type='s' access='read'/>"
  "  <property name='IconThemePath' type='as' access='read'/>"
  "  <method name='GetLayout'><arg type='i' direction='in'/><arg type='i' direction='in'/>"
  "   <arg type='as' direction='in'/><arg type='u' direction='out'/><arg type='(ia{sv}av)' direction='out'/></method>"
  "  <method name='GetGroupProperties'><arg type='ai' direction='in'/><arg type='as' direction='in'/>"
  "   <arg type='a(ia{sv})' direction='out'/></method>"
  "  <method name='GetProperty'><arg type='i' direction='in'/><arg type='s' direction='in'/>"
  "   <arg type='v' direction='out'/></method>"
  "  <method name='Event'><arg type='i' direction='in'/><arg type='s' direction='in'/>"
  "   <arg type='v' direction='in'/><arg type='u' direction='in'/></method>"
  "  <method name='EventGroup'><arg type='a(isvu)' direction='in'/><arg type='ai' direction='out'/></method>"
  "  <method name='AboutToShow'><arg type='i' direction='in'/><arg type='b' direction='out'/></method>"
  "  <method name='AboutToShowGroup'><arg type='ai' direction='in'/><arg type='ai' direction='out'/>"
  "   <arg type='ai' direction='out'/></method>"
  "  <signal name='ItemsPropertiesUpdated'><arg type='a(ia{sv})'/><arg type='a(ias)'/></signal>"
  "  <signal name='LayoutUpdated'><arg type='u'/><arg type='i'/></signal>"
  "  <signal name='ItemActivationRequested'><arg type='i'/><arg type='u'/></signal>"
  " </interface>"
  "</node>";

static void
emit_item_signal (Sni        *self,
                  const char *name,
                  GVariant   *params)
{
  if (self->bus == NULL)
    {
      if (params != NULL)
        g_variant_unref (g_variant_ref_sink (params));
      return;
    }
  g_dbus_connection_emit_signal (self->bus, NULL, ITEM_PATH, "org.kde.StatusNotifierItem",
                                 name, params, NULL);
}

/* ---- the item ---- */

static GVariant *
item_get_property (GDBusConnection  *connection,
                   const char       *sender,
                   const char       *path,
                   const char       *interface,
                   const char       *name,
                   GError          **error,
                   gpointer          user_data)
{
  Sni *self = user_data;

  if (g_str_equal (name, "Category"))
    return g_variant_new_string ("ApplicationStatus");
  if (g_str_equal (name, "Id"))
    return g_variant_new_string (self->tray->icon_name);
  if (g_str_equal (name, "Title"))
    return g_variant_new_string (self->tray->title);
  if (g_str_equal (name, "Status"))
    return g_variant_new_string (self->tray->attention ? "NeedsAttention" : "Active");
  if (g_str_equal (name, "WindowId"))
    return g_variant_new_int32 (0);
  if (g_str_equal (name, "IconName"))
    return g_variant_new_string (self->tray->icon_name);
  if (g_str_equal (name, "IconThemePath"))
    return g_variant_new_string ("");
  if (g_str_equal (name, "ToolTip"))
    return g_variant_new ("(s@a(iiay)ss)", self->tray->icon_name,
                          g_variant_new_array (G_VARIANT_TYPE ("(iiay)"), NULL, 0),
                          self->tray->title, self->tray->state);
  if (g_str_equal (name, "ItemIsMenu"))
    return g_variant_new_boolean (FALSE);
  if (g_str_equal (name, "Menu"))
    return g_variant_new_object_path (MENU_PATH);

  g_set_error (error, G_DBUS_ERROR, G_DBUS_ERROR_UNKNOWN_PROPERTY, "No property %s", name);
  return NULL;
}

static void
item_method (GDBusConnection       *connection,
             const char            *sender,
             const char            *path,
             const char            *interface,
             const char            *method,
             GVariant              *params,
             GDBusMethodInvocation *invocation,
             gpointer               user_data)
{
  Sni *self = user_data;

  g_dbus_method_invocation_return_value (invocation, NULL);
  /* A click opens the window; the host shows the menu itself. */
  if (g_str_equal (method, "Activate") || g_str_equal (method, "SecondaryActivate"))
    _gn_tray_emit_item (self->tray, GN_TRAY_ITEM_OPEN);
}

/* ---- the menu (com.canonical.dbusmenu) ---- */

static GVariant *
menu_item_properties (Sni    *self,
                      int     id)
{
  g_auto(GVariantBuilder) b = G_VARIANT_BUILDER_INIT (G_VARIANT_TYPE_VARDICT);

  switch (id)
    {
    case MENU_ROOT:
      g_variant_builder_add (&b, "{sv}", "children-display", g_variant_new_string ("submenu"));
      break;
    case MENU_STATE:
      g_variant_builder_add (&b, "{sv}", "label", g_variant_new_string (self->tray->state));
      g_variant_builder_add (&b, "{sv}", "enabled", g_variant_new_boolean (FALSE));
      break;
    case MENU_PAUSE:
      g_variant_builder_add (&b, "{sv}", "label",
                             g_variant_new_string (_("_Pause Protection for 15 Minutes")));
      g_variant_builder_add (&b, "{sv}", "enabled", g_variant_new_boolean (self->tray->can_pause));
      break;
    case MENU_OPEN:
      g_variant_builder_add (&b, "{sv}", "label", g_variant_new_string (_("_Open GuardNest")));
      break;
    case MENU_SEPARATOR:
      g_variant_builder_add (&b, "{sv}", "type", g_variant_new_string ("separator"));
      break;
    case MENU_QUIT:
      g_variant_builder_add (&b, "{sv}", "label", g_variant_new_string (_("_Quit")));
      break;
    default:
      g_assert_not_reached ();
    }
  return g_variant_builder_end (&b);
}

static GVariant *
menu_layout (Sni    *self,
             int     id)
{
  g_auto(GVariantBuilder) children = G_VARIANT_BUILDER_INIT (G_VARIANT_TYPE ("av"));

  if (id == MENU_ROOT)
    for (int i = MENU_STATE; i < N_MENU_ITEMS; i++)
      g_variant_builder_add (&children, "v", menu_layout (self, i));
  return g_variant_new ("(i@a{sv}av)", id, menu_item_properties (self, id), &children);
}

static gboolean
valid_id (int id)
{
  return id >= MENU_ROOT && id < N_MENU_ITEMS;
}

static void
menu_event (Sni        *self,
            int         id,
            const char *event)
{
  if (!g_str_equal (event, "clicked"))
    return;
  switch (id)
    {
    case MENU_PAUSE:
      if (self->tray->can_pause)
        _gn_tray_emit_item (self->tray, GN_TRAY_ITEM_PAUSE);
      break;
    case MENU_OPEN:
      _gn_tray_emit_item (self->tray, GN_TRAY_ITEM_OPEN);
      break;
    case MENU_QUIT:
      _gn_tray_emit_item (self->tray, GN_TRAY_ITEM_QUIT);
      break;
    default:
      break;
    }
}

static void
menu_method (GDBusConnection       *connection,
             const char            *sender,
             const char            *path,
             const char            *interface,
             const char            *method,
             GVariant              *params,
             GDBusMethodInvocation *invocation,
             gpointer               user_data)
{
  Sni *self = user_data;
  g_autoptr(GnTray) keep = g_object_ref (self->tray);  /* Quit may drop the last ref */

  if (g_str_equal (method, "GetLayout"))
    {
      int parent;

      g_variant_get (params, "(ii@as)", &parent, NULL, NULL);
      if (!valid_id (parent))
        {
          g_dbus_method_invocation_return_error (invocation, G_DBUS_ERROR, G_DBUS_ERROR_INVALID_ARGS,
                                                 "No menu item %d", parent);
          return;
        }
      g_dbus_method_invocation_return_value (invocation,
                                             g_variant_new ("(u@(ia{sv}av))", self->revision,
                                                            menu_layout (self, parent)));
    }
  else if (g_str_equal (method, "GetGroupProperties"))
    {
      g_autoptr(GVariantIter) ids = NULL;
      g_auto(GVariantBuilder) b = G_VARIANT_BUILDER_INIT (G_VARIANT_TYPE ("a(ia{sv})"));
      int id;

      g_variant_get (params, "(ai@as)", &ids, NULL);
      while (g_variant_iter_next (ids, "i", &id))
        if (valid_id (id))
          g_variant_builder_add (&b, "(i@a{sv})", id, menu_item_properties (self, id));
      g_dbus_method_invocation_return_value (invocation, g_variant_new ("(a(ia{sv}))", &b));
    }
  else if (g_str_equal (method, "GetProperty"))
    {
      g_autoptr(GVariant) props = NULL;
      g_autoptr(GVariant) value = NULL;
      const char *name;
      int id;

      g_variant_get (params, "(i&s)", &id, &name);
      if (valid_id (id))
        {
          props = menu_item_properties (self, id);
          value = g_variant_lookup_value (props, name, NULL);
        }
      if (value == NULL)
        g_dbus_method_invocation_return_error (invocation, G_DBUS_ERROR, G_DBUS_ERROR_INVALID_ARGS,
                                               "No property %s on menu item %d", name, id);
      else
        g_dbus_method_invocation_return_value (invocation, g_variant_new ("(v)", value));
    }
  else if (g_str_equal (method, "Event"))
    {
      const char *event;
      int id;

      g_variant_get (params, "(i&svu)", &id, &event, NULL, NULL);
      g_dbus_method_invocation_return_value (invocation, NULL);
      menu_event (self, id, event);
    }
  else if (g_str_equal (method, "EventGroup"))
    {
      g_autoptr(GVariantIter) events = NULL;
      g_auto(GVariantBuilder) errors = G_VARIANT_BUILDER_INIT (G_VARIANT_TYPE ("ai"));
      g_autoptr(GArray) clicked = g_array_new (FALSE, FALSE, sizeof (int));
      const char *event;
      int id;

      g_variant_get (params, "(a(isvu))", &events);
      while (g_variant_iter_next (events, "(i&svu)", &id, &event, NULL, NULL))
        {
          if (!valid_id (id))
            g_variant_builder_add (&errors, "i", id);
          else if (g_str_equal (event, "clicked"))
            g_array_append_val (clicked, id);
        }
      g_dbus_method_invocation_return_value (invocation, g_variant_new ("(ai)", &errors));
      for (guint i = 0; i < clicked->len; i++)
        menu_event (self, g_array_index (clicked, int, i), "clicked");
    }
  else if (g_str_equal (method, "AboutToShow"))
    g_dbus_method_invocation_return_value (invocation, g_variant_new ("(b)", FALSE));
  else if (g_str_equal (method, "AboutToShowGroup"))
    g_dbus_method_invocation_return_value (invocation, g_variant_new ("(@ai@ai)",
                                           g_variant_new_array (G_VARIANT_TYPE_INT32, NULL, 0),
                                           g_variant_new_array (G_VARIANT_TYPE_INT32, NULL, 0)));
  else
    g_dbus_method_invocation_return_error (invocation, G_DBUS_ERROR, G_DBUS_ERROR_UNKNOWN_METHOD,
                                           "No method %s", method);
}

static GVariant *
menu_get_property (GDBusConnection  *connection,
                   const char       *sender,
                   const char       *path,
                   const char       *interface,
                   const char       *name,
                   GError          **error,
                   gpointer          user_data)
{
  if (g_str_equal (name, "Version"))
    return g_variant_new_uint32 (3);
  if (g_str_equal (name, "TextDirection"))
    return g_variant_new_string ("ltr");
  if (g_str_equal (name, "Status"))
    return g_variant_new_string ("normal");
  if (g_str_equal (name, "IconThemePath"))
    return g_variant_new_strv (NULL, 0);
  g_set_error (error, G_DBUS_ERROR, G_DBUS_ERROR_UNKNOWN_PROPERTY, "No property %s", name);
  return NULL;
}

static void
menu_changed (Sni *self)
{
  self->revision++;
  if (self->bus != NULL)
    g_dbus_connection_emit_signal (self->bus, NULL, MENU_PATH, "com.canonical.dbusmenu",
                                   "LayoutUpdated", g_variant_new ("(ui)", self->revision, 0),
                                   NULL);
}

/* ---- registration with the watcher ---- */

static void
registered_cb (GObject      *source,
               GAsyncResult *result,
               gpointer      user_data)
{
  g_autoptr(GVariant) reply = NULL;
  g_autoptr(GError) error = NULL;
  Sni *self;

  reply = g_dbus_connection_call_finish (G_DBUS_CONNECTION (source), result, &error);
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;
  self = user_data;
  if (error != NULL)
    g_debug ("The tray (%s) did not take the icon: %s", WATCHER_NAME, error->message);
  _gn_tray_set_available (self->tray, error == NULL);
}

static void
watcher_appeared (GDBusConnection *connection,
                  const char      *name,
                  const char      *owner,
                  gpointer         user_data)
{
  Sni *self = user_data;

  g_dbus_connection_call (connection, WATCHER_NAME, "/StatusNotifierWatcher", WATCHER_NAME,
                          "RegisterStatusNotifierItem", g_variant_new ("(s)", self->bus_name),
                          NULL, G_DBUS_CALL_FLAGS_NONE, -1, self->cancellable,
                          registered_cb, self);
}

static void
watcher_vanished (GDBusConnection *connection,
                  const char      *name,
                  gpointer         user_data)
{
  Sni *self = user_data;

  _gn_tray_set_available (self->tray, FALSE);
}

static void
start (Sni *self)
{
  static const GDBusInterfaceVTable item_vtable = { item_method, item_get_property, NULL, { 0 } };
  static const GDBusInterfaceVTable menu_vtable = { menu_method, menu_get_property, NULL, { 0 } };
  static guint n_trays;
  g_autoptr(GDBusNodeInfo) item_info = g_dbus_node_info_new_for_xml (item_xml, NULL);
  g_autoptr(GDBusNodeInfo) menu_info = g_dbus_node_info_new_for_xml (menu_xml, NULL);
  g_autoptr(GError) error = NULL;

  self->bus = g_bus_get_sync (G_BUS_TYPE_SESSION, NULL, &error);
  if (self->bus == NULL)
    {
      g_debug ("No tray icon: %s", error->message);
      return;
    }
  self->item_id = g_dbus_connection_register_object (self->bus, ITEM_PATH, item_info->interfaces[0],
                                                     &item_vtable, self, NULL, &error);
  if (self->item_id != 0)
    self->menu_id = g_dbus_connection_register_object (self->bus, MENU_PATH, menu_info->interfaces[0],
                                                       &menu_vtable, self, NULL, &error);
  if (self->menu_id == 0)
    {
      /* Another tray in this process has the paths: no second icon. */
      g_debug ("No tray icon: %s", error->message);
      return;
    }
  self->bus_name = g_strdup_printf ("org.kde.StatusNotifierItem-%d-%u", (int) getpid (), ++n_trays);
  self->own_id = g_bus_own_name_on_connection (self->bus, self->bus_name, G_BUS_NAME_OWNER_FLAGS_NONE,
                                               NULL, NULL, NULL, NULL);
  self->watch_id = g_bus_watch_name_on_connection (self->bus, WATCHER_NAME, G_BUS_NAME_WATCHER_FLAGS_NONE,
                                                   watcher_appeared, watcher_vanished, self, NULL);
}

/* ---- the backend ---- */

void
_gn_tray_backend_changed (GnTrayBackend *self,
                          GnTrayChanges  changes)
{
  if (changes & GN_TRAY_CHANGED_TITLE)
    emit_item_signal (self, "NewTitle", NULL);
  if (changes & (GN_TRAY_CHANGED_TITLE | GN_TRAY_CHANGED_STATE))
    emit_item_signal (self, "NewToolTip", NULL);
  if (changes & (GN_TRAY_CHANGED_STATE | GN_TRAY_CHANGED_CAN_PAUSE))
    menu_changed (self);
  if (changes & GN_TRAY_CHANGED_ATTENTION)
    emit_item_signal (self, "NewStatus",
                      g_variant_new ("(s)", self->tray->attention ? "NeedsAttention" : "Active"));
}

/* Linux desktops have a notification service: GNotification reaches it. */
gboolean
_gn_tray_backend_show_message (GnTrayBackend *self,
                               const char    *title,
                               const char    *body)
{
  return FALSE;
}

void
_gn_tray_backend_free (GnTrayBackend *self)
{
  g_cancellable_cancel (self->cancellable);
  g_clear_handle_id (&self->watch_id, g_bus_unwatch_name);
  g_clear_handle_id (&self->own_id, g_bus_unown_name);
  if (self->bus != NULL)
    {
      if (self->item_id != 0)
        g_dbus_connection_unregister_object (self->bus, self->item_id);
      if (self->menu_id != 0)
        g_dbus_connection_unregister_object (self->bus, self->menu_id);
      self->item_id = self->menu_id = 0;
    }
  g_clear_object (&self->bus);
  g_clear_object (&self->cancellable);
  g_free (self->bus_name);
  g_free (self);
}

GnTrayBackend *
_gn_tray_backend_new (GnTray *tray)
{
  Sni *self = g_new0 (Sni, 1);

  self->tray = tray;
  self->cancellable = g_cancellable_new ();
  start (self);
  return self;
}
