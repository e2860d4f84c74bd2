/* test-ui.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The whole window with the real engine, run under Xvfb (xvfb-run, see
 * tests/meson.build): the GtkApplication is started in-process on a private
 * D-Bus session bus (GTestDBus), with a memory GSettings backend, temporary
 * XDG directories and a free port. The tests activate the app's actions
 * (app.enable, app.refresh-lists, app.restart, win.allow-domain, …), make
 * real requests through the proxy with curl to a SoupServer origin on
 * loopback, and check what the window's models and widgets show. Each panel
 * is rendered to a PNG in the build directory for people to look at.
 *
 * The bus has a notification server of the test's own
 * (org.freedesktop.Notifications, in GDBus on its own connection) that
 * records every Notify call and can invoke a notification's actions.
 *
 * The tests run in order inside the application's main loop (started from
 * an idle after the first activation) and share the one application, as a
 * user's session would.
 */

#include <math.h>

#include <glib/gstdio.h>
#include <json-glib/json-glib.h>
#include <libsoup/soup.h>

#include "gn-application.h"
#include "gn-autostart.h"
#include "gn-blocked-page.h"
#include "gn-blocklists-page.h"
#include "gn-chart.h"
#include "gn-connections-page.h"
#include "gn-error.h"
#include "gn-overview-page.h"
#include "gn-window.h"

#define FILE_SIZE 10000
#define SLOW_MS 2000
#define BLOCKED_HOST "ads.blocked.localhost"

static struct
{
  GnApplication *app;
  GnWindow      *window;
  SoupServer    *origin;
  guint16        origin_port;
  char          *tmpdir;
  char          *refresh_summary;
  gboolean       refresh_failed;
  guint          n_refreshed;
  gboolean       late_list_ready;  /* /late-list.txt: 404 until then */
  GDBusConnection *notify_bus;    /* (owned) the fake notification server's */
  GPtrArray      *notes;          /* (element-type Note) Notify calls received */
  char           *sni_service;    /* what the app registered with the watcher */
  char           *sni_sender;     /* and from which unique name */
  int            result;
} T;

/* ---- helpers ---- */

#define WAIT_FOR(cond) G_STMT_START {                                   \
  gint64 _end = g_get_monotonic_time () + 15 * G_USEC_PER_SEC;          \
  while (!(cond) && g_get_monotonic_time () < _end)                     \
    g_main_context_iteration (NULL, TRUE);                              \
  if (!(cond))                                                          \
    { dump_rows (); g_error ("timed out waiting for %s", #cond); }      \
} G_STMT_END

static void dump_rows (void);
static gboolean listening (guint16 port);

/* ---- a notification server (org.freedesktop.Notifications) ---- */

typedef struct
{
  guint32  id;
  char    *summary;
  char    *body;
  GStrv    actions;   /* key, label, key, label, … */
} Note;

static void
note_free (Note *n)
{
  g_free (n->summary);
  g_free (n->body);
  g_strfreev (n->actions);
  g_free (n);
}

static const char notify_xml[] =
  "<node><interface name='org.freedesktop.Notifications'>"
  "<method name='Notify'><arg type='s' direction='in'/><arg type='u' direction='in'/>"
  "<arg type='s' direction='in'/><arg type='s' direction='in'/><arg type='s' direction='in'/>"
  "<arg type='as' direction='in'/><arg type='a{sv}' direction='in'/><arg type='i' direction='in'/>"
  "<arg type='u' direction='out'/></method>"
  "<method name='CloseNotification'><arg type='u' direction='in'/></method>"
  "<method name='GetCapabilities'><arg type='as' direction='out'/></method>"
  "<method name='GetServerInformation'><arg type='s' direction='out'/><arg type='s' direction='out'/>"
  "<arg type='s' direction='out'/><arg type='s' direction='out'/></method>"
  "<signal name='ActionInvoked'><arg type='u'/><arg type='s'/></signal>"
  "<signal name='NotificationClosed'><arg type='u'/><arg type='u'/></signal>"
  "</interface></node>";

static void
notify_method (GDBusConnection       *connection,
               const char            *sender,
               const char            *path,
               const char            *interface,
               const char            *method,
               GVariant              *params,
               GDBusMethodInvocation *invocation,
               gpointer               user_data)
{
  static guint32 last_id;

  if (g_str_equal (method, "Notify"))
    {
      Note *n = g_new0 (Note, 1);
      guint32 replaces;

      /* Borrowed strings, copied below; the actions are owned. */
      g_variant_get (params, "(&su&s&s&s^as@a{sv}i)", NULL, &replaces, NULL, &n->summary, &n->body,
                     &n->actions, NULL, NULL);
      n->summary = g_strdup (n->summary);
      n->body = g_strdup (n->body);
      n->id = replaces != 0 ? replaces : ++last_id;
      g_ptr_array_add (T.notes, n);
      g_dbus_method_invocation_return_value (invocation, g_variant_new ("(u)", n->id));
    }
  else if (g_str_equal (method, "GetCapabilities"))
    {
      const char *caps[] = { "actions", "body", NULL };
      g_dbus_method_invocation_return_value (invocation, g_variant_new ("(^as)", caps));
    }
  else if (g_str_equal (method, "GetServerInformation"))
    g_dbus_method_invocation_return_value (invocation,
                                           g_variant_new ("(ssss)", "test", "guardnest", "1", "1.2"));
  else
    g_dbus_method_invocation_return_value (invocation, NULL);
}

/* A StatusNotifierWatcher (what a tray host runs): records the item. */
static const char watcher_xml[] =
  "<node><interface name='org.kde.StatusNotifierWatcher'>"
  "<method name='RegisterStatusNotifierItem'><arg type='s' direction='in'/></method>"
  "<method name='RegisterStatusNotifierHost'><arg type='s' direction='in'/></method>"
  "<property name='RegisteredStatusNotifierItems' type='as' access='read'/>"
  "<property name='IsStatusNotifierHostRegistered' type='b' access='read'/>"
  "<property name='ProtocolVersion' type='i' access='read'/>"
  "</interface></node>";

static void
watcher_method (GDBusConnection       *connection,
                const char            *sender,
                const char            *path,
                const char            *interface,
                const char            *method,
                GVariant              *params,
                GDBusMethodInvocation *invocation,
                gpointer               user_data)
{
  if (g_str_equal (method, "RegisterStatusNotifierItem"))
    {
      g_clear_pointer (&T.sni_service, g_free);
      g_variant_get (params, "(s)", &T.sni_service);
      g_free (T.sni_sender);
      T.sni_sender = g_strdup (sender);
    }
  g_dbus_method_invocation_return_value (invocation, NULL);
}

static GVariant *
watcher_get_property (GDBusConnection  *connection,
                      const char       *sender,
                      const char       *path,
                      const char       *interface,
                      const char       *name,
                      GError          **error,
                      gpointer          user_data)
{
  if (g_str_equal (name, "RegisteredStatusNotifierItems"))
    {
      const char *items[] = { T.sni_service, NULL };
      return g_variant_new_strv (items, T.sni_service ? 1 : 0);
    }
  if (g_str_equal (name, "IsStatusNotifierHostRegistered"))
    return g_variant_new_boolean (TRUE);
  return g_variant_new_int32 (0);
}

static void
own_name (const char *name)
{
  g_autoptr(GVariant) reply = NULL;
  g_autoptr(GError) error = NULL;

  reply = g_dbus_connection_call_sync (T.notify_bus, "org.freedesktop.DBus", "/org/freedesktop/DBus",
                                       "org.freedesktop.DBus", "RequestName",
                                       g_variant_new ("(su)", name, 4),
                                       G_VARIANT_TYPE ("(u)"), G_DBUS_CALL_FLAGS_NONE, -1, NULL,
                                       &error);
  g_assert_no_error (error);
}

static void
notify_server_start (const char *address)
{
  static const GDBusInterfaceVTable watcher_vtable = { watcher_method, watcher_get_property, NULL, { 0 } };
  g_autoptr(GDBusNodeInfo) watcher_info = g_dbus_node_info_new_for_xml (watcher_xml, NULL);
  static const GDBusInterfaceVTable vtable = { notify_method, NULL, NULL, { 0 } };
  g_autoptr(GDBusNodeInfo) info = g_dbus_node_info_new_for_xml (notify_xml, NULL);
  g_autoptr(GError) error = NULL;
  g_autoptr(GVariant) reply = NULL;

  T.notes = g_ptr_array_new_with_free_func ((GDestroyNotify) note_free);
  T.notify_bus = g_dbus_connection_new_for_address_sync (address,
                                                         G_DBUS_CONNECTION_FLAGS_AUTHENTICATION_CLIENT |
                                                         G_DBUS_CONNECTION_FLAGS_MESSAGE_BUS_CONNECTION,
                                                         NULL, NULL, &error);
  g_assert_no_error (error);
  g_dbus_connection_register_object (T.notify_bus, "/org/freedesktop/Notifications",
                                     info->interfaces[0], &vtable, NULL, NULL, &error);
  g_assert_no_error (error);
  own_name ("org.freedesktop.Notifications");
  g_dbus_connection_register_object (T.notify_bus, "/StatusNotifierWatcher",
                                     watcher_info->interfaces[0], &watcher_vtable, NULL, NULL, &error);
  g_assert_no_error (error);
  own_name ("org.kde.StatusNotifierWatcher");
}

static void
call_done (GObject      *source,
           GAsyncResult *result,
           gpointer      user_data)
{
  GVariant **reply = user_data;
  g_autoptr(GError) error = NULL;

  *reply = g_dbus_connection_call_finish (G_DBUS_CONNECTION (source), result, &error);
  g_assert_no_error (error);
}

/* A call to the app's tray item, as the tray host makes it (async: the app
 * answers on this same main loop). */
static GVariant *
call_tray (const char *path,
           const char *interface,
           const char *method,
           GVariant   *params)
{
  GVariant *reply = NULL;

  g_dbus_connection_call (T.notify_bus, T.sni_sender, path, interface, method, params, NULL,
                          G_DBUS_CALL_FLAGS_NONE, 5000, NULL, call_done, &reply);
  WAIT_FOR (reply != NULL);
  return reply;
}

static char *
tray_property (const char *name)
{
  g_autoptr(GVariant) reply = call_tray ("/StatusNotifierItem", "org.freedesktop.DBus.Properties", "Get",
                                         g_variant_new ("(ss)", "org.kde.StatusNotifierItem", name));
  g_autoptr(GVariant) value = NULL;

  g_variant_get (reply, "(v)", &value);
  return g_variant_is_of_type (value, G_VARIANT_TYPE_STRING) || g_variant_is_of_type (value, G_VARIANT_TYPE_OBJECT_PATH)
         ? g_variant_dup_string (value, NULL)
         : g_variant_print (value, FALSE);
}

static void
tray_click (int id)
{
  g_autoptr(GVariant) reply = call_tray ("/MenuBar", "com.canonical.dbusmenu", "Event",
                                         g_variant_new ("(isvu)", id, "clicked",
                                                        g_variant_new_int32 (0), 0));
}

/* What a click on the button (or the notification, key "default") sends. */
static void
notify_invoke (const Note *n,
               const char *key)
{
  g_autoptr(GError) error = NULL;

  g_dbus_connection_emit_signal (T.notify_bus, NULL, "/org/freedesktop/Notifications",
                                 "org.freedesktop.Notifications", "ActionInvoked",
                                 g_variant_new ("(us)", n->id, key), &error);
  g_assert_no_error (error);
}

/* The key of the button labelled @label. */
static const char *
note_action (const Note *n,
             const char *label)
{
  for (guint i = 0; n->actions[i] != NULL && n->actions[i + 1] != NULL; i += 2)
    if (g_str_equal (n->actions[i + 1], label))
      return n->actions[i];
  return NULL;
}


static gboolean
wake_cb (gpointer data)
{
  return G_SOURCE_CONTINUE;
}

static void
spin (guint ms)
{
  gint64 end = g_get_monotonic_time () + ms * 1000;

  while (g_get_monotonic_time () < end)
    g_main_context_iteration (NULL, TRUE);
}

static GnProtection *
protection (void)
{
  return gn_application_get_protection (T.app);
}

static guint16
proxy_port (void)
{
  return gn_engine_get_port (gn_application_get_engine (T.app));
}

typedef struct
{
  gboolean  done;
  char     *out;
  int       status;
} CurlResult;

static void
curl_done (GObject      *source,
           GAsyncResult *result,
           gpointer      user_data)
{
  CurlResult *r = user_data;
  g_autoptr(GError) error = NULL;

  g_subprocess_communicate_utf8_finish (G_SUBPROCESS (source), result, &r->out, NULL, &error);
  g_assert_no_error (error);
  r->status = g_subprocess_get_exit_status (G_SUBPROCESS (source));
  r->done = TRUE;
}

/* Runs curl through the proxy and returns "<http code> <up> <down>" where up
 * is what curl sent and down what it received, headers included. Iterates
 * the main loop meanwhile (the origin and the batches live there). */
static char *
curl (gboolean    tunnel,
      const char *url)
{
  g_autofree char *proxy = g_strdup_printf ("http://127.0.0.1:%u", proxy_port ());
  g_autoptr(GSubprocess) p = NULL;
  g_autoptr(GError) error = NULL;
  CurlResult r = { 0 };
  /* Without these two the CONNECT head's size depends on curl's version. */
  const char *argv[] = {
    "curl", "-s", "-o", "/dev/null", "--max-time", "10", "--noproxy", "",
    "--proxy-header", "User-Agent:", "--proxy-header", "Proxy-Connection:",
    "-x", proxy, tunnel ? "-p" : "-0",
    "-w", "%{http_code} %{size_request} %{size_header} %{size_download} %{http_connect}",
    url, NULL
  };

  p = g_subprocess_newv (argv, G_SUBPROCESS_FLAGS_STDOUT_PIPE, &error);
  g_assert_no_error (error);
  g_subprocess_communicate_utf8_async (p, NULL, NULL, curl_done, &r);
  WAIT_FOR (r.done);
  return r.out;
}

static void
lists_refreshed_cb (GnApplication *app,
                    const char    *summary,
                    gboolean       failed)
{
  g_free (T.refresh_summary);
  T.refresh_summary = g_strdup (summary);
  T.refresh_failed = failed;
  T.n_refreshed++;
}

static void
unpause_cb (gpointer data)
{
  g_autoptr(SoupServerMessage) msg = data;

  soup_server_message_unpause (msg);
}

static void
origin_cb (SoupServer        *server,
           SoupServerMessage *msg,
           const char        *path,
           GHashTable        *query,
           gpointer           user_data)
{
  if (g_str_equal (path, "/file"))
    {
      char *body = g_malloc (FILE_SIZE);

      memset (body, 'x', FILE_SIZE);
      /* SoupServer keeps a connection whose client has half-closed it
       * open; closing after each answer lets the tunnel end (both sides
       * done) as soon as curl is. */
      soup_message_headers_replace (soup_server_message_get_response_headers (msg),
                                    "Connection", "close");
      soup_server_message_set_response (msg, "application/octet-stream", SOUP_MEMORY_TAKE,
                                        body, FILE_SIZE);
      soup_server_message_set_status (msg, 200, NULL);
    }
  else if (g_str_equal (path, "/slow"))
    {
      /* Answered after SLOW_MS, kept alive: curl asks for its next URL on
       * the same connection. */
      static const char body[] = "slow";

      soup_server_message_set_response (msg, "text/plain", SOUP_MEMORY_STATIC, body, strlen (body));
      soup_server_message_set_status (msg, 200, NULL);
      soup_server_message_pause (msg);
      g_timeout_add_once (SLOW_MS, unpause_cb, g_object_ref (msg));
    }
  else if (g_str_equal (path, "/titled.txt"))
    {
      static const char list[] = "# Title: Local Test Threats\n# Homepage: nowhere\nthreat.localhost\n";

      soup_server_message_set_response (msg, "text/plain", SOUP_MEMORY_STATIC,
                                        list, strlen (list));
      soup_server_message_set_status (msg, 200, NULL);
    }
  else if (g_str_equal (path, "/list.txt") ||
           (g_str_equal (path, "/late-list.txt") && T.late_list_ready))
    {
      static const char list[] = "# test list\nblocked.localhost\nmalware.invalid\n";

      soup_server_message_set_response (msg, "text/plain", SOUP_MEMORY_STATIC,
                                        list, strlen (list));
      soup_server_message_set_status (msg, 200, NULL);
    }
  else
    soup_server_message_set_status (msg, 404, NULL);
}

/* What GNOME's proxy settings say now: "none", or "manual host:port". */
static char *
gnome_proxy (void)
{
  g_autoptr(GSettings) proxy = g_settings_new ("org.gnome.system.proxy");
  g_autoptr(GSettings) http = g_settings_new ("org.gnome.system.proxy.http");
  g_autofree char *mode = g_settings_get_string (proxy, "mode");
  g_autofree char *host = g_settings_get_string (http, "host");

  if (!g_str_equal (mode, "manual"))
    return g_steal_pointer (&mode);
  return g_strdup_printf ("manual %s:%d", host, g_settings_get_int (http, "port"));
}

static char *
gnome_proxy_expected (void)
{
  return g_strdup_printf ("manual 127.0.0.1:%u", proxy_port ());
}

static GListModel *
connection_rows (void)
{
  return gn_connection_model_get_rows (gn_application_get_connections (T.app));
}

static GnConnectionRow *
find_row (const char       *host,
          GnConnectionKind  kind)
{
  GListModel *rows = connection_rows ();

  for (guint i = 0; i < g_list_model_get_n_items (rows); i++)
    {
      g_autoptr(GnConnectionRow) row = g_list_model_get_item (rows, i);

      if (g_strcmp0 (gn_connection_row_get_host (row), host) == 0 &&
          gn_connection_row_get_kind (row) == kind)
        return row;  /* the store keeps it */
    }
  return NULL;
}

static void
dump_rows (void)
{
  GListModel *rows = connection_rows ();

  for (guint i = 0; i < g_list_model_get_n_items (rows); i++)
    {
      g_autoptr(GnConnectionRow) row = g_list_model_get_item (rows, i);
      g_printerr ("row %u: host %s kind %d closed %d app %s\n", i, gn_connection_row_get_host (row),
                  gn_connection_row_get_kind (row), gn_connection_row_get_closed (row),
                  gn_connection_row_get_app (row));
    }
}

static void
activate (const char *name)
{
  if (g_str_has_prefix (name, "win."))
    g_action_group_activate_action (G_ACTION_GROUP (T.window), name + 4, NULL);
  else
    g_action_group_activate_action (G_ACTION_GROUP (T.app), name + 4, NULL);
}

static gboolean
action_enabled (const char *name)
{
  if (g_str_has_prefix (name, "win."))
    return g_action_group_get_action_enabled (G_ACTION_GROUP (T.window), name + 4);
  return g_action_group_get_action_enabled (G_ACTION_GROUP (T.app), name + 4);
}

/* ---- tables ---- */

static GtkColumnView *
find_column_view (GtkWidget *widget)
{
  if (GTK_IS_COLUMN_VIEW (widget))
    return GTK_COLUMN_VIEW (widget);
  for (GtkWidget *child = gtk_widget_get_first_child (widget); child != NULL;
       child = gtk_widget_get_next_sibling (child))
    {
      GtkColumnView *view = find_column_view (child);
      if (view != NULL)
        return view;
    }
  return NULL;
}

static GtkSearchEntry *
find_search_entry (GtkWidget *widget)
{
  if (GTK_IS_SEARCH_ENTRY (widget))
    return GTK_SEARCH_ENTRY (widget);
  for (GtkWidget *child = gtk_widget_get_first_child (widget); child != NULL;
       child = gtk_widget_get_next_sibling (child))
    {
      GtkSearchEntry *entry = find_search_entry (child);
      if (entry != NULL)
        return entry;
    }
  return NULL;
}

/* As a click on the column's header does; one column only. */
static void
sort_by (const char  *page,
         const char  *title,
         GtkSortType  order)
{
  GtkColumnView *view = find_column_view (gn_window_get_page (T.window, page));
  GListModel *columns;

  g_assert_nonnull (view);
  gtk_column_view_sort_by_column (view, NULL, order);
  columns = gtk_column_view_get_columns (view);
  for (guint i = 0; i < g_list_model_get_n_items (columns); i++)
    {
      g_autoptr(GtkColumnViewColumn) column = g_list_model_get_item (columns, i);

      if (g_strcmp0 (gtk_column_view_column_get_title (column), title) == 0)
        {
          gtk_column_view_sort_by_column (view, column, order);
          return;
        }
    }
  g_error ("no column %s on page %s", title, page);
}

/* ---- screenshots ---- */

static guint n_frames;

static gboolean
tick_cb (GtkWidget     *widget,
         GdkFrameClock *clock,
         gpointer       data)
{
  n_frames++;
  return G_SOURCE_CONTINUE;
}

static void
wait_frames (guint n)
{
  guint id = gtk_widget_add_tick_callback (GTK_WIDGET (T.window), tick_cb, NULL, NULL);
  guint target = n_frames + n;

  gtk_widget_queue_draw (GTK_WIDGET (T.window));
  WAIT_FOR (n_frames >= target);
  gtk_widget_remove_tick_callback (GTK_WIDGET (T.window), id);
}

static GdkTexture *
render_window (void)
{
  GtkWidget *widget = GTK_WIDGET (T.window);
  g_autoptr(GdkPaintable) paintable = NULL;
  g_autoptr(GtkSnapshot) snapshot = NULL;
  g_autoptr(GskRenderNode) node = NULL;
  int width, height;

  wait_frames (3);
  width = gtk_widget_get_width (widget);
  height = gtk_widget_get_height (widget);
  g_assert_cmpint (width, >, 0);

  paintable = gtk_widget_paintable_new (widget);
  snapshot = gtk_snapshot_new ();
  gdk_paintable_snapshot (paintable, GDK_SNAPSHOT (snapshot), width, height);
  node = gtk_snapshot_free_to_node (g_steal_pointer (&snapshot));
  g_assert_nonnull (node);
  return gsk_renderer_render_texture (gtk_native_get_renderer (GTK_NATIVE (widget)), node,
                                      &GRAPHENE_RECT_INIT (0, 0, width, height));
}

static void
save_png (const char *name)
{
  g_autoptr(GdkTexture) texture = render_window ();
  g_autofree char *path = g_test_build_filename (G_TEST_BUILT, name, NULL);

  g_assert_true (gdk_texture_save_to_png (texture, path));
  g_test_message ("screenshot: %s (%dx%d)", path, gdk_texture_get_width (texture),
                  gdk_texture_get_height (texture));
}

/* ---- colours ---- */

static gboolean
label_matches (GtkWidget  *widget,
               const char *text,
               const char *css_class)
{
  return GTK_IS_LABEL (widget) && gtk_widget_get_mapped (widget) &&
         (text == NULL || g_strcmp0 (gtk_label_get_text (GTK_LABEL (widget)), text) == 0) &&
         (css_class == NULL || gtk_widget_has_css_class (widget, css_class));
}

/* The first mapped label under @widget with @text and/or @css_class. */
static GtkWidget *
find_label (GtkWidget  *widget,
            const char *text,
            const char *css_class)
{
  if (label_matches (widget, text, css_class))
    return widget;
  for (GtkWidget *child = gtk_widget_get_first_child (widget); child != NULL;
       child = gtk_widget_get_next_sibling (child))
    {
      GtkWidget *found = find_label (child, text, css_class);
      if (found != NULL)
        return found;
    }
  return NULL;
}

static double
channel (double c)
{
  return c <= 0.04045 ? c / 12.92 : pow ((c + 0.055) / 1.055, 2.4);
}

static double
pixel_luminance (const guchar *p)
{
  /* GDK_MEMORY_DEFAULT: B G R A, premultiplied; the window is opaque. */
  return 0.2126 * channel (p[2] / 255.) + 0.7152 * channel (p[1] / 255.) +
         0.0722 * channel (p[0] / 255.);
}

/* How @label reads in the window as rendered now: the WCAG contrast between
 * the most common pixel inside it (what is behind the text) and the pixel
 * that stands out most from it (the core of a glyph stroke). */
static double
rendered_contrast (GtkWidget *label)
{
  g_autoptr(GdkTexture) texture = render_window ();
  int width = gdk_texture_get_width (texture), height = gdk_texture_get_height (texture);
  gsize stride = width * 4;
  g_autofree guchar *data = g_malloc (stride * height);
  g_autoptr(GHashTable) counts = g_hash_table_new (NULL, NULL);
  graphene_rect_t bounds;
  guint32 bg_key = 0;
  guint best = 0;
  double bg_lum, contrast = 1;
  int x0, y0, x1, y1;

  gdk_texture_download (texture, data, stride);
  g_assert_true (gtk_widget_compute_bounds (label, GTK_WIDGET (T.window), &bounds));
  x0 = MAX (0, (int) bounds.origin.x);
  y0 = MAX (0, (int) bounds.origin.y);
  x1 = MIN (width, (int) (bounds.origin.x + bounds.size.width));
  y1 = MIN (height, (int) (bounds.origin.y + bounds.size.height));
  g_assert_cmpint (x1 - x0, >, 4);
  g_assert_cmpint (y1 - y0, >, 4);

  for (int y = y0; y < y1; y++)
    for (int x = x0; x < x1; x++)
      {
        guint32 key;
        guint n;

        memcpy (&key, data + y * stride + x * 4, 4);
        n = GPOINTER_TO_UINT (g_hash_table_lookup (counts, GUINT_TO_POINTER (key))) + 1;
        g_hash_table_insert (counts, GUINT_TO_POINTER (key), GUINT_TO_POINTER (n));
        if (n > best)
          {
            best = n;
            bg_key = key;
          }
      }
  bg_lum = pixel_luminance ((guchar *) &bg_key);
  for (int y = y0; y < y1; y++)
    for (int x = x0; x < x1; x++)
      {
        double lum = pixel_luminance (data + y * stride + x * 4);
        contrast = MAX (contrast, (MAX (lum, bg_lum) + 0.05) / (MIN (lum, bg_lum) + 0.05));
      }
  return contrast;
}

static void
set_dark (gboolean dark)
{
  g_object_set (gtk_settings_get_default (), "gtk-application-prefer-dark-theme", dark, NULL);
}

/* @label's text reads in the light and the dark style (it was dark red on
 * dark grey with GTK 4.8's dark theme); screenshots of both. */
static void
assert_readable (GtkWidget  *label,
                 const char *name)
{
  for (int dark = 0; dark < 2; dark++)
    {
      g_autofree char *png = g_strdup_printf ("screenshot-%s%s.png", name, dark ? "-dark" : "");
      double contrast;

      set_dark (dark);
      contrast = rendered_contrast (label);
      save_png (png);
      g_test_message ("%s (%s): contrast %.2f:1", name, dark ? "dark" : "light", contrast);
      if (contrast < 4.5)
        g_error ("%s is hard to read in the %s style: %.2f:1", name, dark ? "dark" : "light", contrast);
    }
  set_dark (FALSE);
}

/* ---- tests, in order ---- */

static void
test_start (void)
{
  g_assert_nonnull (T.window);
  g_assert_true (gtk_widget_get_visible (GTK_WIDGET (T.window)));
  g_assert_cmpint (gn_protection_get_state (protection ()), ==, GN_PROTECTION_OFF);
  g_assert_cmpstr (gn_window_get_status_text (T.window), ==, "Off");
  g_assert_false (g_variant_get_boolean (g_action_group_get_action_state (G_ACTION_GROUP (T.app), "enable")));
  for (guint i = 0; i < 4; i++)
    {
      static const char *pages[] = { "overview", "connections", "blocked", "blocklists" };
      g_assert_nonnull (gn_window_get_page (T.window, pages[i]));
    }
  /* Nothing to act on yet. */
  g_assert_false (action_enabled ("win.close-connection"));
  g_assert_false (action_enabled ("win.allow-domain"));
}

/* The app started with one list, never downloaded, that its server does
 * not have yet (as offline): on, but honest about blocking nothing. */
static void
test_enable_without_rules (void)
{
  GnOverviewPage *overview = GN_OVERVIEW_PAGE (gn_window_get_page (T.window, "overview"));
  g_autofree char *expected = NULL;
  guint before;

  activate ("app.enable");
  WAIT_FOR (gn_protection_get_state (protection ()) == GN_PROTECTION_ON);
  /* Downloaded right after start, not a minute later: it failed. */
  WAIT_FOR (gn_protection_get_rules_state (protection ()) == GN_RULES_NOT_DOWNLOADED);
  g_assert_false (gn_protection_get_blocking (protection ()));
  g_assert_cmpuint (gn_protection_get_n_rules (protection ()), ==, 0);
  g_assert_cmpstr (gn_window_get_status_text (T.window), ==,
                   "Not blocking anything yet — the lists could not be downloaded");
  g_assert_nonnull (strstr (gn_protection_get_hint (protection ()), "Test list: "));
  g_assert_cmpstr (gn_overview_page_get_rules_text (overview), ==, "No rule in force: nothing is blocked");
  gn_window_show_page (T.window, "overview");
  save_png ("screenshot-not-blocking.png");
  /* The list's error, in the theme's error colour, readable. */
  {
    GtkWidget *label = NULL;

    WAIT_FOR ((label = find_label (GTK_WIDGET (overview), "HTTP 404 (Not Found)", NULL)) != NULL);
    g_assert_true (gtk_widget_has_css_class (label, "error"));
    assert_readable (label, "list-error");
  }

  /* Retry (app.refresh-lists) once the list is there. */
  T.late_list_ready = TRUE;
  before = T.n_refreshed;
  activate ("app.refresh-lists");
  g_assert_cmpstr (gn_window_get_status_text (T.window), ==,
                   "Not blocking anything yet — downloading lists…");
  WAIT_FOR (T.n_refreshed > before);
  WAIT_FOR (gn_protection_get_blocking (protection ()));
  g_assert_cmpuint (gn_protection_get_n_rules (protection ()), ==, 2);
  expected = g_strdup_printf ("Protecting — 127.0.0.1:%u", proxy_port ());
  g_assert_cmpstr (gn_window_get_status_text (T.window), ==, expected);
  g_assert_cmpstr (gn_overview_page_get_rules_text (overview), ==, "2 blocking rules in force");

  /* Off again, for test_enable. */
  activate ("app.enable");
  WAIT_FOR (gn_protection_get_state (protection ()) == GN_PROTECTION_OFF);
}

static void
test_enable (void)
{
  g_autofree char *expected = NULL;

  activate ("app.enable");
  WAIT_FOR (gn_protection_get_state (protection ()) == GN_PROTECTION_ON);
  g_assert_true (g_variant_get_boolean (g_action_group_get_action_state (G_ACTION_GROUP (T.app), "enable")));
  g_assert_cmpuint (proxy_port (), >, 0);
  expected = g_strdup_printf ("Protecting — 127.0.0.1:%u", proxy_port ());
  g_assert_cmpstr (gn_window_get_status_text (T.window), ==, expected);

  /* The system proxy points at us, and protection is remembered. */
  {
    g_autofree char *now = gnome_proxy ();
    g_autofree char *want = gnome_proxy_expected ();
    g_assert_cmpstr (now, ==, want);
  }
  g_assert_true (gn_settings_store_get_protection (gn_application_get_store (T.app)));
}

static void
test_refresh_lists (void)
{
  GnBlocklistManager *manager = gn_application_get_blocklists (T.app);
  GListModel *sources = gn_blocklist_manager_get_sources (manager);
  g_autofree char *url = g_strdup_printf ("http://127.0.0.1:%u/list.txt", T.origin_port);
  g_autoptr(GnBlocklistSource) source = NULL;
  guint before;

  /* Our own list on the local origin instead of the defaults. */
  while (g_list_model_get_n_items (sources) > 0)
    {
      g_autoptr(GnBlocklistSource) s = g_list_model_get_item (sources, 0);
      gn_blocklist_manager_remove_source (manager, s);
    }
  source = g_object_ref (gn_blocklist_manager_add_source (manager, "Test list", url,
                                                          GN_BLOCKLIST_FORMAT_DOMAINS));

  before = T.n_refreshed;
  activate ("app.refresh-lists");
  g_assert_false (action_enabled ("app.refresh-lists"));
  WAIT_FOR (T.n_refreshed >= before + 2);
  g_assert_false (T.refresh_failed);
  g_test_message ("refresh: %s", T.refresh_summary);
  g_assert_nonnull (strstr (T.refresh_summary, "1 list"));
  g_assert_true (action_enabled ("app.refresh-lists"));
  g_assert_cmpuint (gn_blocklist_source_get_entries (source), ==, 2);
  g_assert_null (gn_blocklist_source_get_last_error (source));

  /* The engine got the new rule set. */
  WAIT_FOR (({
    g_autoptr(GnBlocklist) list = gn_engine_dup_blocklist (gn_application_get_engine (T.app));
    list != NULL && gn_blocklist_lookup (list, BLOCKED_HOST, NULL) == GN_MATCH_BLOCK;
  }));
}

static void
parse_curl (const char *out,
            guint      *code,
            guint64    *up,
            guint64    *down)
{
  guint64 request, header, body;

  g_assert_cmpint (sscanf (out, "%u %" G_GUINT64_FORMAT " %" G_GUINT64_FORMAT " %" G_GUINT64_FORMAT,
                           code, &request, &header, &body), ==, 4);
  *up = request;
  *down = header + body;
}

static void
test_requests (void)
{
  g_autofree char *url = g_strdup_printf ("http://127.0.0.1:%u/file", T.origin_port);
  g_autofree char *out_http = NULL, *out_tunnel = NULL, *out_blocked = NULL, *out_blocked_tunnel = NULL;
  guint code;
  guint64 up, down;
  GnConnectionRow *row;
  GnBlockedModel *blocked = gn_application_get_blocked (T.app);
  GnBlockedRow *brow;
  g_autofree char *blocked_url = g_strdup_printf ("http://%s:%u/file", BLOCKED_HOST, T.origin_port);
  g_autofree char *connect_head = NULL;

  g_assert_cmpuint (g_list_model_get_n_items (connection_rows ()), ==, 0);

  out_tunnel = curl (TRUE, url);
  parse_curl (out_tunnel, &code, &up, &down);
  g_assert_cmpuint (code, ==, 200);
  WAIT_FOR ((row = find_row ("127.0.0.1", GN_CONNECTION_KIND_TUNNEL)) != NULL &&
            gn_connection_row_get_closed (row));
  g_test_message ("tunnel: curl %s, row up %" G_GUINT64_FORMAT " down %" G_GUINT64_FORMAT,
                  out_tunnel, gn_connection_row_get_bytes_up (row), gn_connection_row_get_bytes_down (row));
  /* Inside the tunnel the proxy carries exactly what curl sent after the
   * CONNECT head (curl counts both in size_request). */
  connect_head = g_strdup_printf ("CONNECT 127.0.0.1:%u HTTP/1.1\r\nHost: 127.0.0.1:%u\r\n\r\n",
                                  T.origin_port, T.origin_port);
  g_assert_cmpuint (gn_connection_row_get_bytes_up (row), ==, up - strlen (connect_head));
  g_assert_cmpuint (gn_connection_row_get_bytes_down (row), >=, FILE_SIZE);
  g_assert_cmpuint (gn_connection_row_get_port (row), ==, T.origin_port);

  out_http = curl (FALSE, url);
  parse_curl (out_http, &code, &up, &down);
  g_assert_cmpuint (code, ==, 200);
  WAIT_FOR ((row = find_row ("127.0.0.1", GN_CONNECTION_KIND_HTTP)) != NULL &&
            gn_connection_row_get_closed (row));
  g_test_message ("http: curl %s, row up %" G_GUINT64_FORMAT " down %" G_GUINT64_FORMAT,
                  out_http, gn_connection_row_get_bytes_up (row), gn_connection_row_get_bytes_down (row));
  g_assert_cmpuint (gn_connection_row_get_bytes_down (row), >=, FILE_SIZE);

  out_blocked = curl (FALSE, blocked_url);
  parse_curl (out_blocked, &code, &up, &down);
  g_assert_cmpuint (code, ==, 403);
  out_blocked_tunnel = curl (TRUE, blocked_url);
  /* No tunnel, so no final answer: the 403 is the CONNECT's. */
  g_assert_true (g_str_has_suffix (out_blocked_tunnel, " 403"));

  /* Exactly those four connections; the blocked domain once, twice hit. */
  WAIT_FOR (gn_blocked_model_get_n_hits (blocked) == 2);
  WAIT_FOR (g_list_model_get_n_items (connection_rows ()) == 4);
  g_assert_nonnull (find_row (BLOCKED_HOST, GN_CONNECTION_KIND_BLOCKED));
  g_assert_cmpuint (g_list_model_get_n_items (gn_blocked_model_get_rows (blocked)), ==, 1);
  brow = gn_blocked_model_lookup (blocked, BLOCKED_HOST);
  g_assert_nonnull (brow);
  g_assert_cmpuint (gn_blocked_row_get_count (brow), ==, 2);
  g_assert_cmpstr (gn_blocked_row_get_rule (brow), ==, "blocked.localhost");
  g_assert_cmpstr (gn_blocked_row_get_list (brow), ==, "Test list");
  g_assert_cmpstr (gn_blocked_row_get_client (brow), ==, "127.0.0.1");

  /* The Overview's figures follow. */
  WAIT_FOR (gn_traffic_stats_get_today (gn_application_get_stats (T.app))->blocked == 2);
  g_assert_cmpuint (gn_traffic_stats_get_today (gn_application_get_stats (T.app))->requests, >=, 4);
}

static void
test_allow (void)
{
  GnBlockedPage *page = GN_BLOCKED_PAGE (gn_window_get_page (T.window, "blocked"));
  GtkSingleSelection *selection = GTK_SINGLE_SELECTION (gn_blocked_page_get_shown (page));
  GnBlockedRow *brow;
  g_autofree char *url = g_strdup_printf ("http://%s:%u/file", BLOCKED_HOST, T.origin_port);
  g_autofree char *out = NULL;
  const char * const *allowed;

  gn_window_show_page (T.window, "blocked");
  gtk_single_selection_set_selected (selection, 0);
  brow = gn_blocked_page_get_selected (page);
  g_assert_nonnull (brow);
  g_assert_cmpstr (gn_blocked_row_get_domain (brow), ==, BLOCKED_HOST);
  g_assert_true (action_enabled ("win.allow-domain"));
  g_assert_true (action_enabled ("win.copy-domain"));

  activate ("win.allow-domain");
  g_assert_true (gn_blocked_row_get_allowed (brow));
  g_assert_false (action_enabled ("win.allow-domain"));
  allowed = gn_blocklist_manager_get_user_rules (gn_application_get_blocklists (T.app), GN_MATCH_ALLOW);
  g_assert_true (g_strv_contains (allowed, BLOCKED_HOST));

  /* Takes effect at once: the engine gets the rebuilt set. */
  WAIT_FOR (({
    g_autoptr(GnBlocklist) list = gn_engine_dup_blocklist (gn_application_get_engine (T.app));
    gn_blocklist_lookup (list, BLOCKED_HOST, NULL) != GN_MATCH_BLOCK;
  }));
  out = curl (FALSE, url);
  g_assert_true (g_str_has_prefix (out, "200 "));
  WAIT_FOR (find_row (BLOCKED_HOST, GN_CONNECTION_KIND_HTTP) != NULL);
  g_assert_cmpuint (gn_blocked_row_get_count (brow), ==, 2);
}

/* @times blocked requests for @host. */
static void
hit (const char *host,
     guint       times)
{
  GnBlockedModel *blocked = gn_application_get_blocked (T.app);
  g_autofree char *url = g_strdup_printf ("http://%s:%u/file", host, T.origin_port);
  guint hits = gn_blocked_model_get_n_hits (blocked);

  for (guint i = 0; i < times; i++)
    {
      g_autofree char *out = curl (FALSE, url);
      g_assert_true (g_str_has_prefix (out, "403 "));
    }
  WAIT_FOR (gn_blocked_model_get_n_hits (blocked) == hits + times);
}

/* Most hits first, and @first on top. */
static void
assert_by_count (GListModel *rows,
                 const char *first)
{
  guint n = g_list_model_get_n_items (rows);

  g_assert_cmpuint (n, >, 0);
  for (guint i = 0; i < n; i++)
    {
      g_autoptr(GnBlockedRow) row = g_list_model_get_item (rows, i);
      g_autoptr(GnBlockedRow) next = i + 1 < n ? g_list_model_get_item (rows, i + 1) : NULL;

      if (i == 0)
        g_assert_cmpstr (gn_blocked_row_get_domain (row), ==, first);
      if (next != NULL && gn_blocked_row_get_count (row) < gn_blocked_row_get_count (next))
        g_error ("row %u %s (%u) is before %s (%u)", i, gn_blocked_row_get_domain (row),
                 gn_blocked_row_get_count (row), gn_blocked_row_get_domain (next),
                 gn_blocked_row_get_count (next));
    }
}

/* GTK 4.8's sort models keep the key an item had when it arrived: the
 * Blocked page sorted by Times and the Overview's most blocked domains
 * must follow counts that change in place. */
static void
test_sort_blocked_live (void)
{
  GnBlockedPage *page = GN_BLOCKED_PAGE (gn_window_get_page (T.window, "blocked"));
  GListModel *shown = gn_blocked_page_get_shown (page);
  GListModel *top = gn_overview_page_get_top (GN_OVERVIEW_PAGE (gn_window_get_page (T.window, "overview")));

  gn_window_show_page (T.window, "blocked");
  sort_by ("blocked", "Times", GTK_SORT_DESCENDING);

  hit ("one.blocked.localhost", 1);
  hit ("two.blocked.localhost", 1);
  /* "two" passes "one" and the allowed domain (2 hits) in place. */
  hit ("two.blocked.localhost", 2);
  assert_by_count (shown, "two.blocked.localhost");
  hit ("one.blocked.localhost", 3);
  assert_by_count (shown, "one.blocked.localhost");
  /* Ascending too, after a change in place. */
  sort_by ("blocked", "Times", GTK_SORT_ASCENDING);
  hit ("two.blocked.localhost", 2);
  {
    g_autoptr(GnBlockedRow) last = g_list_model_get_item (shown, g_list_model_get_n_items (shown) - 1);
    g_assert_cmpstr (gn_blocked_row_get_domain (last), ==, "two.blocked.localhost");
  }
  sort_by ("blocked", "Times", GTK_SORT_DESCENDING);
  assert_by_count (shown, "two.blocked.localhost");

  /* The Overview: the same order, without the domain the user allowed. */
  assert_by_count (top, "two.blocked.localhost");
  g_assert_cmpuint (g_list_model_get_n_items (top), ==, 2);
  for (guint i = 0; i < g_list_model_get_n_items (top); i++)
    {
      g_autoptr(GnBlockedRow) row = g_list_model_get_item (top, i);
      g_assert_false (gn_blocked_row_get_allowed (row));
    }
}

static void
read_done (GObject      *source,
           GAsyncResult *result,
           gpointer      user_data)
{
  gssize *n = user_data;
  g_autoptr(GError) error = NULL;

  *n = g_input_stream_read_finish (G_INPUT_STREAM (source), result, &error);
  if (*n < 0)
    *n = 0;  /* reset by peer counts as closed too */
}

/* An open tunnel, selected in the Connections page and closed with
 * win.close-connection: the client's socket ends. Then Pause. */

static gboolean
blocks (const char *host)
{
  g_autoptr(GnBlocklist) list = gn_engine_dup_blocklist (gn_application_get_engine (T.app));
  return list != NULL && gn_blocklist_lookup (list, host, NULL) == GN_MATCH_BLOCK;
}

static Note *
last_note (void)
{
  return g_ptr_array_index (T.notes, T.notes->len - 1);
}

/* Allow for 10 Minutes on the Blocked page: the domain passes, its row says
 * until when; Pause Protection: nothing is blocked, the status line counts
 * down; Resume: blocked again (screenshots of both for the README). The
 * new domain's notification is still on screen when the app quits, which
 * GnApplication withdraws (GLib 2.74 crashed finalising it). */
static void
test_pause_and_timed_allow (void)
{
  GnBlockedPage *page = GN_BLOCKED_PAGE (gn_window_get_page (T.window, "blocked"));
  GtkSingleSelection *selection = GTK_SINGLE_SELECTION (gn_blocked_page_get_shown (page));
  GnTimedRules *timed = gn_session_get_timed_rules (gn_application_get_session (T.app));
  const char *host = "tracker.blocked.localhost";
  g_autofree char *url = g_strdup_printf ("http://%s:%u/file", host, T.origin_port);
  g_autofree char *out = NULL, *status = NULL;
  GnBlockedRow *brow = NULL;
  guint n;
  guint notes = T.notes->len;

  WAIT_FOR (gn_protection_get_state (protection ()) == GN_PROTECTION_ON);
  hit (host, 3);
  /* Its notification (a new domain) arrives here, not in a later test. */
  WAIT_FOR (T.notes->len > notes);
  gn_window_show_page (T.window, "blocked");
  n = g_list_model_get_n_items (G_LIST_MODEL (selection));
  for (guint i = 0; i < n && brow == NULL; i++)
    {
      g_autoptr(GnBlockedRow) row = g_list_model_get_item (G_LIST_MODEL (selection), i);

      if (g_strcmp0 (gn_blocked_row_get_domain (row), host) == 0)
        {
          gtk_single_selection_set_selected (selection, i);
          brow = row;
        }
    }
  g_assert_nonnull (brow);
  g_assert_true (gn_blocked_page_get_selected (page) == brow);

  activate ("win.allow-domain-for-a-while");
  g_assert_cmpint (gn_timed_rules_get_allowed_until (timed, host), >,
                   g_get_real_time () + 9 * 60 * G_USEC_PER_SEC);
  g_assert_cmpint (gn_blocked_row_get_allowed_until (brow), ==,
                   gn_timed_rules_get_allowed_until (timed, host));
  g_object_get (brow, "status-text", &status, NULL);
  g_assert_true (g_str_has_prefix (status, "Allowed until "));
  WAIT_FOR (!blocks (host));
  out = curl (FALSE, url);
  g_assert_true (g_str_has_prefix (out, "200 "));
  save_png ("screenshot-allowed-for-a-while.png");

  /* Its end: blocked again, and the row says so. */
  g_assert_true (gn_timed_rules_revoke (timed, host, NULL));
  g_assert_cmpint (gn_blocked_row_get_allowed_until (brow), ==, 0);
  WAIT_FOR (blocks (host));

  /* Pause for 15 minutes: nothing blocked, a countdown; Resume. */
  g_action_group_activate_action (G_ACTION_GROUP (T.app), "pause", g_variant_new_uint32 (15));
  WAIT_FOR (gn_timed_rules_get_paused_until (timed) != 0);
  WAIT_FOR (g_str_has_prefix (gn_window_get_status_text (T.window), "Paused — nothing is blocked for "));
  WAIT_FOR (!blocks (host));
  g_clear_pointer (&out, g_free);
  out = curl (FALSE, url);
  g_assert_true (g_str_has_prefix (out, "200 "));
  g_assert_true (action_enabled ("app.resume"));
  gn_window_show_page (T.window, "overview");
  save_png ("screenshot-paused.png");
  activate ("app.resume");
  WAIT_FOR (gn_timed_rules_get_paused_until (timed) == 0);
  WAIT_FOR (blocks (host));
  g_assert_false (action_enabled ("app.resume"));
  g_clear_pointer (&out, g_free);
  out = curl (FALSE, url);
  g_assert_true (g_str_has_prefix (out, "403 "));
}

/* A desktop notification through the session bus's notification server:
 * once for a new blocked domain, grouped for several, with its three
 * buttons; "Allow for 10 minutes" lets the domain through, "Always allow"
 * adds the group to the allowlist, a click shows the Blocked page. */
static void
test_notify_blocked (void)
{
  GnBlockNotifier *notifier = gn_application_get_block_notifier (T.app);
  GnBlockedPage *page = GN_BLOCKED_PAGE (gn_window_get_page (T.window, "blocked"));
  const char * const *allowed;
  guint before;
  Note *n;

  /* What earlier tests blocked goes out now; then at most one per 2 s. */
  gn_block_notifier_set_timing (notifier, 0, 0);
  spin (300);
  gn_block_notifier_set_timing (notifier, 2000, 100);
  before = T.notes->len;

  hit ("n1.blocked.localhost", 2);
  WAIT_FOR (T.notes->len == before + 1);
  n = last_note ();
  g_assert_cmpstr (n->summary, ==, "n1.blocked.localhost blocked");
  g_assert_nonnull (note_action (n, "Allow for 10 minutes"));
  g_assert_nonnull (note_action (n, "Always allow"));
  g_assert_nonnull (note_action (n, "Show"));

  /* Seen today: never again. */
  hit ("n1.blocked.localhost", 1);
  spin (2500);
  g_assert_cmpuint (T.notes->len, ==, before + 1);

  /* Allow for 10 minutes: let through now, for a while. */
  g_assert_true (blocks ("n1.blocked.localhost"));
  notify_invoke (n, note_action (n, "Allow for 10 minutes"));
  WAIT_FOR (!blocks ("n1.blocked.localhost"));
  g_assert_cmpint (gn_timed_rules_get_allowed_until (gn_session_get_timed_rules (gn_application_get_session (T.app)),
                                                     "n1.blocked.localhost"), >, g_get_real_time ());
  g_assert_false (g_strv_contains (gn_blocklist_manager_get_user_rules (gn_application_get_blocklists (T.app),
                                                                       GN_MATCH_ALLOW),
                                   "n1.blocked.localhost"));

  /* Three new ones, while the first waits for the others: one group. */
  gn_block_notifier_set_timing (notifier, 2000, 2000);
  hit ("n2.blocked.localhost", 1);
  hit ("n3.blocked.localhost", 1);
  hit ("n4.blocked.localhost", 1);
  WAIT_FOR (T.notes->len == before + 2);
  n = last_note ();
  g_assert_cmpstr (n->summary, ==, "3 domains blocked");
  g_assert_cmpstr (n->body, ==, "n2.blocked.localhost, n3.blocked.localhost, n4.blocked.localhost");

  /* Always allow: the group goes to the allowlist. */
  notify_invoke (n, note_action (n, "Always allow"));
  WAIT_FOR (!blocks ("n2.blocked.localhost") && !blocks ("n4.blocked.localhost"));
  allowed = gn_blocklist_manager_get_user_rules (gn_application_get_blocklists (T.app), GN_MATCH_ALLOW);
  g_assert_true (g_strv_contains (allowed, "n3.blocked.localhost"));

  /* A click on the next one: the Blocked page. */
  hit ("n6.blocked.localhost", 1);
  WAIT_FOR (T.notes->len == before + 3);
  gn_window_show_page (T.window, "overview");
  g_assert_false (gtk_widget_get_mapped (GTK_WIDGET (page)));
  notify_invoke (last_note (), "default");
  WAIT_FOR (gtk_widget_get_mapped (GTK_WIDGET (page)));

  /* Off in Preferences: nothing. */
  g_settings_set_boolean (gn_application_get_settings (T.app), "notify-blocked", FALSE);
  hit ("n5.blocked.localhost", 1);
  spin (2500);
  g_assert_cmpuint (T.notes->len, ==, before + 3);
  g_settings_set_boolean (gn_application_get_settings (T.app), "notify-blocked", TRUE);
  gn_block_notifier_set_timing (notifier, GN_BLOCK_NOTIFIER_INTERVAL_MS, GN_BLOCK_NOTIFIER_SETTLE_MS);
}


/* The label of the menu item @id in a GetLayout reply's children. */
static char *
menu_label (GVariant *layout,
            int       id)
{
  g_autoptr(GVariant) root = g_variant_get_child_value (layout, 1);
  g_autoptr(GVariant) children = g_variant_get_child_value (root, 2);

  for (gsize i = 0; i < g_variant_n_children (children); i++)
    {
      g_autoptr(GVariant) boxed = g_variant_get_child_value (children, i);
      g_autoptr(GVariant) child = g_variant_get_variant (boxed);
      g_autoptr(GVariant) props = g_variant_get_child_value (child, 1);
      const char *label = NULL;
      int child_id;

      g_variant_get_child (child, 0, "i", &child_id);
      if (child_id == id && g_variant_lookup (props, "label", "&s", &label))
        return g_strdup (label);
    }
  return NULL;
}

static GtkWidget *
find_question (void)
{
  GListModel *toplevels = gtk_window_get_toplevels ();

  for (guint i = 0; i < g_list_model_get_n_items (toplevels); i++)
    {
      g_autoptr(GtkWidget) w = g_list_model_get_item (toplevels, i);
      G_GNUC_BEGIN_IGNORE_DEPRECATIONS
      if (GTK_IS_MESSAGE_DIALOG (w) && gtk_widget_get_visible (w))
        return w;
      G_GNUC_END_IGNORE_DEPRECATIONS
    }
  return NULL;
}

static GtkWidget *
find_scrolled (GtkWidget *widget)
{
  if (GTK_IS_SCROLLED_WINDOW (widget))
    return widget;
  for (GtkWidget *c = gtk_widget_get_first_child (widget); c != NULL; c = gtk_widget_get_next_sibling (c))
    {
      GtkWidget *found = find_scrolled (c);
      if (found != NULL)
        return found;
    }
  return NULL;
}

static GtkCheckButton *
find_check (GtkWidget *widget)
{
  if (GTK_IS_CHECK_BUTTON (widget))
    return GTK_CHECK_BUTTON (widget);
  for (GtkWidget *c = gtk_widget_get_first_child (widget); c != NULL; c = gtk_widget_get_next_sibling (c))
    {
      GtkCheckButton *check = find_check (c);
      if (check != NULL)
        return check;
    }
  return NULL;
}

/* With a StatusNotifierWatcher on the bus (the test's own), the app
 * registers a StatusNotifierItem with its title, status and menu; Pause
 * pauses; closing the window while protecting asks once, then hides it and
 * keeps protecting; Open brings it back. */
static void
test_tray (void)
{
  GSettings *settings = gn_application_get_settings (T.app);
  GnTimedRules *timed = gn_session_get_timed_rules (gn_application_get_session (T.app));
  g_autoptr(GVariant) layout = NULL;
  g_autofree char *title = NULL, *status = NULL, *menu = NULL;
  g_autofree char *state = NULL, *pause = NULL, *open = NULL, *quit = NULL;
  GtkWidget *question;

  WAIT_FOR (gn_application_get_has_tray (T.app));
  g_assert_nonnull (T.sni_service);
  g_assert_true (g_str_has_prefix (T.sni_service, "org.kde.StatusNotifierItem-"));
  g_action_group_change_action_state (G_ACTION_GROUP (T.app), "enable", g_variant_new_boolean (TRUE));
  WAIT_FOR (gn_protection_get_state (protection ()) == GN_PROTECTION_ON);

  title = tray_property ("Title");
  status = tray_property ("Status");
  menu = tray_property ("Menu");
  g_assert_cmpstr (title, ==, "GuardNest");
  g_assert_cmpstr (status, ==, "Active");
  g_assert_cmpstr (menu, ==, "/MenuBar");

  layout = call_tray ("/MenuBar", "com.canonical.dbusmenu", "GetLayout",
                      g_variant_new ("(ii@as)", 0, -1, g_variant_new_strv (NULL, 0)));
  state = menu_label (layout, 1);
  pause = menu_label (layout, 2);
  open = menu_label (layout, 3);
  quit = menu_label (layout, 5);
  g_assert_cmpstr (state, ==, gn_protection_get_status_text (protection ()));
  g_assert_cmpstr (pause, ==, "_Pause Protection for 15 Minutes");
  g_assert_cmpstr (open, ==, "_Open GuardNest");
  g_assert_cmpstr (quit, ==, "_Quit");

  /* Pause for 15 minutes, from the menu. */
  tray_click (2);
  WAIT_FOR (gn_timed_rules_get_paused_until (timed) != 0);
  g_assert_cmpint (gn_timed_rules_get_paused_until (timed) - g_get_real_time (), >, 14 * 60 * G_USEC_PER_SEC);
  g_action_group_activate_action (G_ACTION_GROUP (T.app), "resume", NULL);
  WAIT_FOR (gn_timed_rules_get_paused_until (timed) == 0);

  /* Close: asked once; "Keep protecting" + "Don't ask again". */
  {
    g_autofree char *value = g_settings_get_string (settings, "run-in-background");

    g_assert_cmpstr (value, ==, "ask");
  }
  gtk_window_close (GTK_WINDOW (T.window));
  WAIT_FOR ((question = find_question ()) != NULL);
  g_assert_true (gtk_widget_get_visible (GTK_WIDGET (T.window)));
  gtk_check_button_set_active (find_check (question), TRUE);
  {
    GnWindow *saved = T.window;
    T.window = (GnWindow *) question;  /* save_png renders T.window */
    save_png ("screenshot-keep-running.png");
    T.window = saved;
  }
  gtk_dialog_response (GTK_DIALOG (question), GTK_RESPONSE_ACCEPT);
  WAIT_FOR (!gtk_widget_get_visible (GTK_WIDGET (T.window)));
  {
    g_autofree char *mode = g_settings_get_string (settings, "run-in-background");
    g_assert_cmpstr (mode, ==, "always");
  }
  spin (300);
  g_assert_true (gtk_application_get_windows (GTK_APPLICATION (T.app)) != NULL);
  g_assert_true (gn_protection_get_enabled (protection ()));
  g_assert_cmpint (gn_protection_get_state (protection ()), ==, GN_PROTECTION_ON);
  g_assert_true (listening (proxy_port ()));

  /* Open, from the menu; a second close hides it without asking. */
  tray_click (3);
  WAIT_FOR (gtk_widget_get_visible (GTK_WIDGET (T.window)));
  gtk_window_close (GTK_WINDOW (T.window));
  WAIT_FOR (!gtk_widget_get_visible (GTK_WIDGET (T.window)));
  g_assert_null (find_question ());
  tray_click (3);
  WAIT_FOR (gtk_widget_get_visible (GTK_WIDGET (T.window)));
  g_settings_reset (settings, "run-in-background");
}

/* Quit from the tray's menu: app.quit (the shutdown finishes after the
 * tests, as with the Quit command). Last. */
static void
test_tray_quit (void)
{
  g_assert_true (g_action_group_get_action_enabled (G_ACTION_GROUP (T.app), "quit"));
  tray_click (5);
  WAIT_FOR (!g_action_group_get_action_enabled (G_ACTION_GROUP (T.app), "quit"));
}


/* Start at login: an XDG autostart entry running this binary with
 * --background; off removes it. */
static void
test_start_at_login (void)
{
  g_autofree char *path = g_build_filename (g_get_user_config_dir (), "autostart",
                                            "io.github.guardnest.GuardNest.desktop", NULL);
  g_autofree char *contents = NULL;
  g_autoptr(GKeyFile) kf = g_key_file_new ();
  g_autoptr(GError) error = NULL;
  g_autofree char *exec = NULL;

  g_assert_true (g_str_has_prefix (path, T.tmpdir));
  g_assert_false (gn_autostart_get_enabled ());
  g_assert_true (gn_autostart_set_enabled (TRUE, &error));
  g_assert_no_error (error);
  g_assert_true (gn_autostart_get_enabled ());
  g_assert_true (g_key_file_load_from_file (kf, path, G_KEY_FILE_NONE, &error));
  g_assert_no_error (error);
  exec = g_key_file_get_string (kf, "Desktop Entry", "Exec", &error);
  g_assert_no_error (error);
  g_assert_true (g_str_has_suffix (exec, " --background"));
  g_assert_true (gn_autostart_set_enabled (FALSE, &error));
  g_assert_false (g_file_test (path, G_FILE_TEST_EXISTS));
  g_assert_true (gn_autostart_set_enabled (FALSE, &error));  /* already off */
  g_assert_no_error (error);
}

static void
test_close_connection (void)
{
  g_autoptr(GSocketClient) client = g_socket_client_new ();
  g_autoptr(GSocketConnection) conn = NULL;
  g_autoptr(GSocketConnection) other = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *request = NULL;
  char buf[256];
  gssize n = -1;
  GnConnectionsPage *page = GN_CONNECTIONS_PAGE (gn_window_get_page (T.window, "connections"));
  GListModel *shown = gn_connections_page_get_shown (page);
  GnConnectionRow *row = NULL;
  GInputStream *in;

  g_socket_client_set_enable_proxy (client, FALSE);
  conn = g_socket_client_connect_to_host (client, "127.0.0.1", proxy_port (), NULL, &error);
  g_assert_no_error (error);
  request = g_strdup_printf ("CONNECT 127.0.0.1:%u HTTP/1.1\r\nHost: 127.0.0.1:%u\r\n\r\n",
                             T.origin_port, T.origin_port);
  g_output_stream_write_all (g_io_stream_get_output_stream (G_IO_STREAM (conn)), request,
                             strlen (request), NULL, NULL, &error);
  g_assert_no_error (error);
  in = g_io_stream_get_input_stream (G_IO_STREAM (conn));
  g_input_stream_read_async (in, buf, sizeof buf - 1, G_PRIORITY_DEFAULT, NULL, read_done, &n);
  WAIT_FOR (n >= 0);
  buf[n] = '\0';
  g_assert_true (g_str_has_prefix (buf, "HTTP/1.1 200"));

  /* A second tunnel that stays open, opened after the first. */
  other = g_socket_client_connect_to_host (client, "127.0.0.1", proxy_port (), NULL, &error);
  g_assert_no_error (error);
  g_output_stream_write_all (g_io_stream_get_output_stream (G_IO_STREAM (other)), request,
                             strlen (request), NULL, NULL, &error);
  g_assert_no_error (error);
  n = -1;
  g_input_stream_read_async (g_io_stream_get_input_stream (G_IO_STREAM (other)), buf,
                             sizeof buf - 1, G_PRIORITY_DEFAULT, NULL, read_done, &n);
  WAIT_FOR (n >= 0);
  WAIT_FOR (({
    guint open = 0;
    for (guint i = 0; i < g_list_model_get_n_items (shown); i++)
      {
        g_autoptr(GnConnectionRow) r = g_list_model_get_item (shown, i);
        open += gn_connection_row_get_kind (r) == GN_CONNECTION_KIND_TUNNEL &&
                gn_connection_row_get_state (r) == GN_CONNECTION_STATE_OPEN;
      }
    open == 2;
  }));

  gn_window_show_page (T.window, "connections");
  /* Open ones first; the older open tunnel is the one to close. */
  sort_by ("connections", "State", GTK_SORT_ASCENDING);
  WAIT_FOR (({
    guint at = 0;
    row = NULL;
    for (guint i = 0; i < g_list_model_get_n_items (shown); i++)
      {
        g_autoptr(GnConnectionRow) r = g_list_model_get_item (shown, i);
        if (gn_connection_row_get_kind (r) == GN_CONNECTION_KIND_TUNNEL &&
            gn_connection_row_get_state (r) == GN_CONNECTION_STATE_OPEN &&
            (row == NULL || gn_connection_row_get_id (r) < gn_connection_row_get_id (row)))
          {
            row = r;
            at = i;
          }
      }
    if (row != NULL)
      gtk_single_selection_set_selected (GTK_SINGLE_SELECTION (shown), at);
    row != NULL;
  }));
  g_assert_true (gn_connections_page_get_selected (page) == row);
  g_assert_true (action_enabled ("win.close-connection"));
  g_assert_true (action_enabled ("win.close-all"));

  /* Hidden, the table has no model (no row widgets for a page nobody
   * sees); the selection stays, and the table is back when shown. */
  gn_window_show_page (T.window, "overview");
  WAIT_FOR (gtk_column_view_get_model (find_column_view (GTK_WIDGET (page))) == NULL);
  g_assert_true (gn_connections_page_get_selected (page) == row);
  gn_window_show_page (T.window, "connections");
  WAIT_FOR (G_LIST_MODEL (gtk_column_view_get_model (find_column_view (GTK_WIDGET (page)))) == shown);
  g_assert_true (gn_connections_page_get_selected (page) == row);

  n = -1;
  g_input_stream_read_async (in, buf, sizeof buf, G_PRIORITY_DEFAULT, NULL, read_done, &n);
  activate ("win.close-connection");
  WAIT_FOR (n == 0);
  WAIT_FOR (gn_connection_row_get_closed (row));
  g_assert_false (action_enabled ("win.close-connection"));

  /* Sorted by State, the closed one left the open ones at once. */
  {
    gboolean seen_closed = FALSE;

    for (guint i = 0; i < g_list_model_get_n_items (shown); i++)
      {
        g_autoptr(GnConnectionRow) r = g_list_model_get_item (shown, i);

        if (gn_connection_row_get_state (r) == GN_CONNECTION_STATE_CLOSED)
          seen_closed = TRUE;
        else if (seen_closed)
          {
            dump_rows ();
            g_error ("row %u (%s, state %d) is after a closed one", i,
                     gn_connection_row_get_host (r), gn_connection_row_get_state (r));
          }
      }
  }
  g_io_stream_close (G_IO_STREAM (other), NULL, NULL);
  sort_by ("connections", "Started", GTK_SORT_DESCENDING);

  /* Paused, the table holds still; resumed, it catches up. */
  {
    GVariant *state;
    guint before = g_list_model_get_n_items (connection_rows ());
    g_autofree char *url = g_strdup_printf ("http://127.0.0.1:%u/file", T.origin_port);
    g_autofree char *out = NULL;

    activate ("win.pause-updates");
    state = g_action_group_get_action_state (G_ACTION_GROUP (T.window), "pause-updates");
    g_assert_true (g_variant_get_boolean (state));
    g_variant_unref (state);
    out = curl (FALSE, url);
    g_assert_true (g_str_has_prefix (out, "200 "));
    spin (600);
    g_assert_cmpuint (g_list_model_get_n_items (connection_rows ()), ==, before);
    activate ("win.pause-updates");
    g_assert_cmpuint (g_list_model_get_n_items (connection_rows ()), ==, before + 1);
  }
}

static GnConnectionRow *
find_row_by_host (const char *host)
{
  GListModel *rows = connection_rows ();

  for (guint i = 0; i < g_list_model_get_n_items (rows); i++)
    {
      g_autoptr(GnConnectionRow) row = g_list_model_get_item (rows, i);

      if (g_strcmp0 (gn_connection_row_get_host (row), host) == 0)
        return row;  /* the store keeps it */
    }
  return NULL;
}

static gboolean
row_has_class (GnConnectionRow *row,
               const char      *css_class)
{
  g_auto(GStrv) classes = NULL;

  g_object_get (row, "css-classes", &classes, NULL);
  return classes != NULL && g_strv_contains ((const char * const *) classes, css_class);
}

/* A DNS failure does not look like a success: the Result column says why,
 * in the theme's error colour; blocks in its warning colour, OK rows
 * plain. */
static void
test_failed_connection (void)
{
  g_autofree char *out = curl (FALSE, "http://nowhere.invalid/");
  GnConnectionRow *row = NULL;
  g_autofree char *text = NULL;

  g_assert_true (g_str_has_prefix (out, "502 "));
  WAIT_FOR ((row = find_row_by_host ("nowhere.invalid")) != NULL && gn_connection_row_get_closed (row));
  g_assert_cmpint (gn_connection_row_get_result (row), ==, GN_CONNECTION_RESULT_FAILED);
  text = gn_connection_row_dup_result_text (row);
  g_assert_cmpstr (text, ==, "Could not find the server nowhere.invalid");
  g_assert_true (row_has_class (row, "error"));
  g_clear_pointer (&text, g_free);

  row = find_row_by_host ("two.blocked.localhost");
  g_assert_nonnull (row);
  g_assert_cmpint (gn_connection_row_get_result (row), ==, GN_CONNECTION_RESULT_BLOCKED);
  text = gn_connection_row_dup_result_text (row);
  g_assert_cmpstr (text, ==, "Blocked");
  g_assert_true (row_has_class (row, "warning"));
  g_clear_pointer (&text, g_free);

  row = find_row ("127.0.0.1", GN_CONNECTION_KIND_HTTP);
  g_assert_nonnull (row);
  g_assert_cmpint (gn_connection_row_get_result (row), ==, GN_CONNECTION_RESULT_OK);
  text = gn_connection_row_dup_result_text (row);
  g_assert_cmpstr (text, ==, "200 OK");
  g_assert_false (row_has_class (row, "error"));
}

/* Opens a tunnel through the proxy to the origin and leaves it open. */
static GSocketConnection *
open_tunnel (void)
{
  g_autoptr(GSocketClient) client = g_socket_client_new ();
  g_autoptr(GError) error = NULL;
  g_autofree char *request = g_strdup_printf ("CONNECT 127.0.0.1:%u HTTP/1.1\r\nHost: 127.0.0.1:%u\r\n\r\n",
                                              T.origin_port, T.origin_port);
  GSocketConnection *conn;

  g_socket_client_set_enable_proxy (client, FALSE);
  conn = g_socket_client_connect_to_host (client, "127.0.0.1", proxy_port (), NULL, &error);
  g_assert_no_error (error);
  g_output_stream_write_all (g_io_stream_get_output_stream (G_IO_STREAM (conn)), request,
                             strlen (request), NULL, NULL, &error);
  g_assert_no_error (error);
  return conn;
}

static void
unselect (const char *page)
{
  GtkWidget *widget = gn_window_get_page (T.window, page);
  GListModel *shown;

  /* The Connections page's column view has no model while the page is
   * hidden; the page's selection is there all the time. */
  if (GN_IS_CONNECTIONS_PAGE (widget))
    shown = gn_connections_page_get_shown (GN_CONNECTIONS_PAGE (widget));
  else
    shown = G_LIST_MODEL (gtk_column_view_get_model (find_column_view (widget)));
  gtk_single_selection_set_selected (GTK_SINGLE_SELECTION (shown), GTK_INVALID_LIST_POSITION);
}

/* Opens a tunnel to @host (a name under .localhost: GLib resolves it to
 * loopback) and waits for the proxy's 200. */
static GSocketConnection *
open_named_tunnel (const char *host)
{
  g_autoptr(GSocketClient) client = g_socket_client_new ();
  g_autoptr(GError) error = NULL;
  g_autofree char *request = g_strdup_printf ("CONNECT %s:%u HTTP/1.1\r\nHost: %s:%u\r\n\r\n",
                                              host, T.origin_port, host, T.origin_port);
  GSocketConnection *conn;
  char buf[256];
  gssize n = -1;

  g_socket_client_set_enable_proxy (client, FALSE);
  conn = g_socket_client_connect_to_host (client, "127.0.0.1", proxy_port (), NULL, &error);
  g_assert_no_error (error);
  g_output_stream_write_all (g_io_stream_get_output_stream (G_IO_STREAM (conn)), request,
                             strlen (request), NULL, NULL, &error);
  g_assert_no_error (error);
  g_input_stream_read_async (g_io_stream_get_input_stream (G_IO_STREAM (conn)), buf,
                             sizeof buf - 1, G_PRIORITY_DEFAULT, NULL, read_done, &n);
  WAIT_FOR (n >= 0);
  buf[MAX (n, 0)] = '\0';
  g_assert_true (g_str_has_prefix (buf, "HTTP/1.1 200"));
  return conn;
}

/* Issue 15 item 3 as the user sees it: two open tunnels to a domain, then a
 * rule that blocks it: both rows close with "Closed: now blocked" (the
 * README's screenshot of the Connections page). */
static void
test_cut_tunnels (void)
{
  GnBlocklistManager *manager = gn_application_get_blocklists (T.app);
  g_autoptr(GSocketConnection) video = open_named_tunnel ("video.cut.localhost");
  g_autoptr(GSocketConnection) cdn = open_named_tunnel ("cdn.cut.localhost");
  GnConnectionsPage *page = GN_CONNECTIONS_PAGE (gn_window_get_page (T.window, "connections"));
  GListModel *shown = gn_connections_page_get_shown (page);
  g_autoptr(GError) error = NULL;
  GtkEditable *search;
  GnConnectionRow *row;

  WAIT_FOR ((row = find_row_by_host ("cdn.cut.localhost")) != NULL &&
            !gn_connection_row_get_closed (row));
  g_assert_true (gn_blocklist_manager_add_user_rule (manager, GN_MATCH_BLOCK, "cut.localhost", &error));
  g_assert_no_error (error);
  for (guint i = 0; i < 2; i++)
    {
      const char *host = i == 0 ? "video.cut.localhost" : "cdn.cut.localhost";
      g_autofree char *text = NULL;

      WAIT_FOR ((row = find_row_by_host (host)) != NULL && gn_connection_row_get_closed (row));
      text = gn_connection_row_dup_result_text (row);
      g_assert_cmpstr (text, ==, "Closed: now blocked");
    }

  gtk_window_set_default_size (GTK_WINDOW (T.window), 1400, 900);
  gn_window_show_page (T.window, "connections");
  sort_by ("connections", "Started", GTK_SORT_DESCENDING);
  unselect ("connections");
  search = GTK_EDITABLE (find_search_entry (gn_window_get_page (T.window, "connections")));
  gtk_editable_set_text (search, "cut.localhost");
  WAIT_FOR (g_list_model_get_n_items (shown) == 2);
  save_png ("screenshot-cut-tunnels.png");
  gtk_editable_set_text (search, "");

  g_assert_true (gn_blocklist_manager_remove_user_rule (manager, GN_MATCH_BLOCK, "cut.localhost"));
}


/* Each page, light and dark, 1400x900 and 800x600, with live data (two
 * tunnels open): data/screenshots/ holds copies of these. */
static void
save_page_screenshots (void)
{
  static const char *pages[] = { "overview", "connections", "blocked", "blocklists" };
  static const struct { int width, height; } sizes[] = { { 1400, 900 }, { 800, 600 } };
  g_autoptr(GSocketConnection) one = open_tunnel ();
  g_autoptr(GSocketConnection) two = open_tunnel ();

  WAIT_FOR (gn_connection_model_get_n_open (gn_application_get_connections (T.app)) >= 2);
  sort_by ("connections", "Started", GTK_SORT_DESCENDING);
  unselect ("connections");
  unselect ("blocked");
  for (int dark = 0; dark < 2; dark++)
    {
      set_dark (dark);
      for (guint s = 0; s < G_N_ELEMENTS (sizes); s++)
        {
          gtk_window_set_default_size (GTK_WINDOW (T.window), sizes[s].width, sizes[s].height);
          for (guint p = 0; p < G_N_ELEMENTS (pages); p++)
            {
              g_autofree char *name = g_strdup_printf ("screenshot-%s-%dx%d%s.png", pages[p],
                                                       sizes[s].width, sizes[s].height,
                                                       dark ? "-dark" : "");
              gn_window_show_page (T.window, pages[p]);
              save_png (name);
            }
        }
    }
  set_dark (FALSE);
  g_io_stream_close (G_IO_STREAM (one), NULL, NULL);
  g_io_stream_close (G_IO_STREAM (two), NULL, NULL);
}

static GnAppTotal *
top_app (const char *name)
{
  GnOverviewPage *overview = GN_OVERVIEW_PAGE (gn_window_get_page (T.window, "overview"));
  GListModel *shown = gn_top_apps_get_shown (gn_overview_page_get_top_apps (overview));

  for (guint i = 0; i < g_list_model_get_n_items (shown); i++)
    {
      g_autoptr(GnAppTotal) total = g_list_model_get_item (shown, i);

      if (g_str_equal (gn_app_total_get_app (total), name))
        return total;   /* the model keeps it */
    }
  return NULL;
}

/* Blocked and notified by test_notify_blocked: this test's block sends no
 * new desktop notification. */
#define APPS_HOST "n6.blocked.localhost"

/* Which program: one real curl makes a slow request (the origin answers
 * after 2 s: long enough for its program to be looked up) and then, on the same kept-alive connection, a
 * blocked one. The Blocked row names curl, the Blocked page's filter finds
 * the row by program, and the Overview's Top apps counts curl's connection
 * and its block. */
static void
test_apps (void)
{
  GnBlockedPage *page = GN_BLOCKED_PAGE (gn_window_get_page (T.window, "blocked"));
  GListModel *shown = gn_blocked_page_get_shown (page);
  GtkEditable *search = GTK_EDITABLE (find_search_entry (GTK_WIDGET (page)));
  GnAppStats *stats = gn_application_get_app_stats (T.app);
  GnAppTotal *total = gn_app_stats_lookup (stats, "curl");
  guint connections = total ? gn_app_total_get_connections (total) : 0;
  guint blocked = total ? gn_app_total_get_blocked (total) : 0;
  g_autofree char *proxy = g_strdup_printf ("http://127.0.0.1:%u", proxy_port ());
  g_autofree char *slow_url = g_strdup_printf ("http://127.0.0.1:%u/slow", T.origin_port);
  g_autofree char *blocked_url = g_strdup_printf ("http://%s:%u/file", APPS_HOST, T.origin_port);
  g_autoptr(GSubprocess) p = NULL;
  g_autoptr(GError) error = NULL;
  CurlResult r = { 0 };
  GnBlockedRow *row;
  guint n_rows;
  guint notes = T.notes->len;

  p = g_subprocess_new (G_SUBPROCESS_FLAGS_STDOUT_PIPE, &error,
                        "curl", "-s", "-o", "/dev/null", "-o", "/dev/null", "--max-time", "20",
                        "--noproxy", "", "-x", proxy,
                        "-w", "%{http_code} %{num_connects}\n", slow_url, blocked_url, NULL);
  g_assert_no_error (error);
  g_subprocess_communicate_utf8_async (p, NULL, NULL, curl_done, &r);
  WAIT_FOR (r.done);
  /* One connection: the block came on the connection that was looked up. */
  g_assert_cmpstr (r.out, ==, "200 1\n403 0\n");
  g_free (r.out);

  WAIT_FOR ((row = gn_blocked_model_lookup (gn_application_get_blocked (T.app),
                                            APPS_HOST)) != NULL &&
            gn_blocked_row_get_app (row) != NULL);
  g_assert_cmpstr (gn_blocked_row_get_app (row), ==, "curl");
  g_assert_cmpuint (gn_blocked_row_get_app_hits (row, "curl"), ==, 1);
  /* A domain already notified today: no new notification (see below). */
  g_assert_cmpuint (T.notes->len, ==, notes);

  /* Top apps: curl's connection, and its block, counted once each. */
  WAIT_FOR ((total = top_app ("curl")) != NULL &&
            gn_app_total_get_connections (total) == connections + 1 &&
            gn_app_total_get_blocked (total) == blocked + 1);
  g_assert_cmpuint (gn_app_total_get_connections (total), ==, connections + 1);
  g_assert_cmpuint (gn_app_total_get_blocked (total), ==, blocked + 1);

  /* The Blocked page's filter matches the program. */
  gn_window_show_page (T.window, "blocked");
  n_rows = g_list_model_get_n_items (shown);
  gtk_editable_set_text (search, "curl");
  WAIT_FOR (g_list_model_get_n_items (shown) >= 1 && g_list_model_get_n_items (shown) <= n_rows);
  {
    gboolean seen = FALSE;

    for (guint i = 0; i < g_list_model_get_n_items (shown); i++)
      {
        g_autoptr(GnBlockedRow) item = g_list_model_get_item (shown, i);

        /* Only rows curl was blocked on (other rows' domains have no "curl"). */
        g_assert_cmpuint (gn_blocked_row_get_app_hits (item, "curl"), >, 0);
        seen |= item == row;
      }
    g_assert_true (seen);
  }
  gtk_editable_set_text (search, "no-such-program");
  WAIT_FOR (g_list_model_get_n_items (shown) == 0);
  gtk_editable_set_text (search, "");
  WAIT_FOR (g_list_model_get_n_items (shown) == n_rows);
}

static void
test_screenshots (void)
{
  save_page_screenshots ();
  gtk_window_set_default_size (GTK_WINDOW (T.window), 1000, 700);
  gn_window_show_page (T.window, "overview");
  save_png ("screenshot-overview.png");
  gn_window_show_page (T.window, "connections");
  save_png ("screenshot-connections.png");
  gn_window_show_page (T.window, "blocked");
  save_png ("screenshot-blocked.png");
  gn_window_show_page (T.window, "blocklists");
  save_png ("screenshot-blocklists.png");

  if (g_getenv ("GN_DEV_MEASURE"))
    {
      const char *names[] = { "overview", "connections", "blocked", "blocklists" };
      GtkWidget *w = GTK_WIDGET (T.window);
      int min, nat;
      for (guint i = 0; i < 4; i++)
        {
          gtk_widget_measure (gn_window_get_page (T.window, names[i]), GTK_ORIENTATION_HORIZONTAL, -1, &min, &nat, NULL, NULL);
          g_printerr ("%s: min %d nat %d\n", names[i], min, nat);
        }
      gtk_widget_measure (gtk_window_get_titlebar (GTK_WINDOW (w)), GTK_ORIENTATION_HORIZONTAL, -1, &min, &nat, NULL, NULL);
      g_printerr ("titlebar: min %d nat %d\n", min, nat);
    }
  /* The smallest size we promise. */
  gtk_window_set_default_size (GTK_WINDOW (T.window), 800, 600);
  gn_window_show_page (T.window, "connections");
  save_png ("screenshot-connections-800x600.png");
  g_assert_cmpint (gtk_widget_get_width (GTK_WIDGET (T.window)), <=, 800);

  {
    GtkWidget *dialog = NULL;
    GList *before = gtk_window_list_toplevels ();

    activate ("app.preferences");
    spin (100);
    for (GList *l = gtk_window_list_toplevels (); l != NULL; l = l->next)
      if (g_list_find (before, l->data) == NULL && GTK_IS_WINDOW (l->data) &&
          gtk_widget_get_visible (l->data))
        dialog = l->data;
    g_list_free (before);
    g_assert_nonnull (dialog);
    {
      GnWindow *saved = T.window;
      T.window = (GnWindow *) dialog;  /* save_png renders T.window */
      save_png ("screenshot-preferences.png");
      /* Scrolled to its end: Startup and notifications. */
      {
        GtkWidget *w = find_scrolled (dialog);
        if (w != NULL)
          {
            GtkAdjustment *adj = gtk_scrolled_window_get_vadjustment (GTK_SCROLLED_WINDOW (w));
            gtk_adjustment_set_value (adj, gtk_adjustment_get_upper (adj));
            save_png ("screenshot-preferences-startup.png");
          }
      }
      T.window = saved;
    }
    gtk_window_destroy (GTK_WINDOW (dialog));
  }
  /* The dark style, as with GNOME's "prefer-dark". */
  g_object_set (gtk_settings_get_default (), "gtk-application-prefer-dark-theme", TRUE, NULL);
  gtk_window_set_default_size (GTK_WINDOW (T.window), 1000, 700);
  gn_window_show_page (T.window, "overview");
  save_png ("screenshot-overview-dark.png");
  g_object_set (gtk_settings_get_default (), "gtk-application-prefer-dark-theme", FALSE, NULL);
}

static void
test_restart (void)
{
  GListModel *rows = connection_rows ();
  guint n_before = g_list_model_get_n_items (rows);
  g_autofree char *url = g_strdup_printf ("http://127.0.0.1:%u/file", T.origin_port);
  g_autofree char *out = NULL;
  g_autofree char *expected = NULL;

  activate ("app.restart");
  g_assert_cmpint (gn_protection_get_state (protection ()), ==, GN_PROTECTION_RESTARTING);
  g_assert_cmpstr (gn_window_get_status_text (T.window), ==, "Restarting…");
  WAIT_FOR (gn_protection_get_state (protection ()) == GN_PROTECTION_ON);
  g_assert_true (g_str_has_prefix (gn_protection_get_last_result (protection ()), "Restarted in "));
  expected = g_strdup_printf ("Protecting — 127.0.0.1:%u", proxy_port ());
  g_assert_cmpstr (gn_window_get_status_text (T.window), ==, expected);
  g_assert_true (g_variant_get_boolean (g_action_group_get_action_state (G_ACTION_GROUP (T.app), "enable")));

  /* The window kept its rows and keeps counting. */
  g_assert_cmpuint (g_list_model_get_n_items (rows), >=, MIN (n_before, 1));
  out = curl (FALSE, url);
  g_assert_true (g_str_has_prefix (out, "200 "));
  WAIT_FOR (g_list_model_get_n_items (rows) > 0);
}

static void
test_port_in_use (void)
{
  g_autoptr(GSocketListener) squatter = g_socket_listener_new ();
  g_autoptr(GError) error = NULL;
  g_autoptr(GnEngineConfig) current = NULL;
  g_autoptr(GnEngineConfig) config = NULL;
  g_autofree char *expected = NULL;
  g_autofree char *kept = NULL;
  guint16 port, old_port;

  /* Another program holds a port; the user picks it. */
  port = g_socket_listener_add_any_inet_port (squatter, NULL, &error);
  g_assert_no_error (error);
  current = gn_session_dup_config (gn_application_get_session (T.app));
  config = gn_engine_config_copy (current);
  config->port = port;
  g_assert_true (gn_session_set_config (gn_application_get_session (T.app), config, FALSE, &error));

  /* A restart onto it fails, and the running proxy keeps protecting on
   * its port: the system proxy still points at it. */
  old_port = proxy_port ();
  activate ("app.restart");
  WAIT_FOR (gn_protection_get_last_result (protection ()) != NULL &&
            g_str_has_prefix (gn_protection_get_last_result (protection ()), "Restart failed"));
  kept = g_strdup_printf ("Restart failed, still protecting on port %u: Port %u is already used "
                          "by another program", old_port, port);
  g_assert_cmpstr (gn_protection_get_last_result (protection ()), ==, kept);
  g_assert_cmpint (gn_protection_get_state (protection ()), ==, GN_PROTECTION_ON);
  g_assert_cmpuint (proxy_port (), ==, old_port);
  {
    g_autofree char *now = gnome_proxy ();
    g_autofree char *want = gnome_proxy_expected ();
    g_assert_cmpstr (now, ==, want);
  }

  /* Turned off and on again, it cannot start at all. */
  activate ("app.enable");
  WAIT_FOR (gn_protection_get_state (protection ()) == GN_PROTECTION_OFF);
  activate ("app.enable");
  WAIT_FOR (gn_protection_get_state (protection ()) == GN_PROTECTION_ERROR);
  expected = g_strdup_printf ("Error: port %u is used by another program", port);
  g_assert_cmpstr (gn_window_get_status_text (T.window), ==, expected);
  g_assert_nonnull (gn_protection_get_hint (protection ()));
  /* Nothing listens: the system must not point at us meanwhile. */
  {
    g_autofree char *now = gnome_proxy ();
    g_assert_cmpstr (now, ==, "none");
  }
  /* The error line reads in light and dark (screenshot-error*.png). */
  {
    GtkWidget *label = find_label (GTK_WIDGET (T.window), expected, NULL);

    g_assert_nonnull (label);
    assert_readable (label, "error");
  }

  /* The user frees it and tries again. */
  g_socket_listener_close (squatter);
  activate ("app.restart");
  WAIT_FOR (gn_protection_get_state (protection ()) == GN_PROTECTION_ON);
  g_assert_cmpuint (proxy_port (), ==, port);
  {
    g_autofree char *now = gnome_proxy ();
    g_autofree char *want = gnome_proxy_expected ();
    g_assert_cmpstr (now, ==, want);
  }
}

static void
test_disable (void)
{
  g_autoptr(GSocketClient) client = g_socket_client_new ();
  g_autoptr(GSocketConnection) conn = NULL;
  g_autoptr(GError) error = NULL;
  guint16 port = proxy_port ();

  activate ("app.enable");
  WAIT_FOR (gn_protection_get_state (protection ()) == GN_PROTECTION_OFF);
  g_assert_false (g_variant_get_boolean (g_action_group_get_action_state (G_ACTION_GROUP (T.app), "enable")));
  /* The engine thread closes the port within one round trip of the
   * switch (the switch itself never waits for it); open connections (if
   * any) finish, then the status line is plain "Off". */
  WAIT_FOR (!listening (port));
  WAIT_FOR (g_strcmp0 (gn_window_get_status_text (T.window), "Off") == 0);
  conn = g_socket_client_connect_to_host (client, "127.0.0.1", port, NULL, &error);
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CONNECTION_REFUSED);

  /* The user's settings from before ("none" in this fresh profile). */
  {
    g_autofree char *now = gnome_proxy ();
    g_assert_cmpstr (now, ==, "none");
  }
  g_assert_false (gn_settings_store_get_protection (gn_application_get_store (T.app)));
}

/* ---- a slow display: the switch still acts at once ---- */

/* Software rendering in a VM: each frame takes longer than the frame
 * interval, so the frame clock (GDK_PRIORITY_REDRAW) is always due and
 * anything queued below it — G_PRIORITY_DEFAULT_IDLE — would never run
 * while something animates. This paint callback stands in for the slow
 * renderer, deterministically. */
static void
slow_paint_cb (GdkFrameClock *clock,
               gpointer       data)
{
  g_usleep (30 * 1000);
}

static gboolean
listening (guint16 port)
{
  g_autoptr(GSocketClient) client = g_socket_client_new ();
  g_autoptr(GSocketConnection) conn = NULL;

  if (port == 0)
    return FALSE;
  g_socket_client_set_enable_proxy (client, FALSE);
  conn = g_socket_client_connect_to_host (client, "127.0.0.1", port, NULL, NULL);
  return conn != NULL;
}

static void
test_toggle_while_animating (void)
{
  GtkWidget *spin_window = gtk_window_new ();
  GtkWidget *spinner = gtk_spinner_new ();
  GdkFrameClock *clock;
  gulong paint_id;
  gint64 worst = 0;

  g_assert_cmpint (gn_protection_get_state (protection ()), ==, GN_PROTECTION_OFF);
  /* The harness turns animations off for the screenshots. */
  g_object_set (gtk_settings_get_default (), "gtk-enable-animations", TRUE, NULL);
  gtk_widget_set_size_request (spinner, 256, 256);
  gtk_window_set_child (GTK_WINDOW (spin_window), spinner);
  gtk_spinner_start (GTK_SPINNER (spinner));
  gtk_window_present (GTK_WINDOW (spin_window));
  WAIT_FOR (gtk_widget_get_mapped (spinner));
  clock = gtk_widget_get_frame_clock (spinner);
  g_assert_nonnull (clock);
  paint_id = g_signal_connect (clock, "paint", G_CALLBACK (slow_paint_cb), NULL);
  /* The spinner really animates: frames keep coming. */
  {
    gint64 before = gdk_frame_clock_get_frame_counter (clock);

    WAIT_FOR (gdk_frame_clock_get_frame_counter (clock) > before + 2);
  }

  for (guint i = 0; i < 20; i++)
    {
      gint64 began = g_get_monotonic_time ();
      gint64 took;

      activate ("app.enable");
      while (!listening (proxy_port ()) &&
             g_get_monotonic_time () - began < 2 * G_USEC_PER_SEC)
        g_main_context_iteration (NULL, TRUE);
      took = g_get_monotonic_time () - began;
      worst = MAX (worst, took);
      if (!listening (proxy_port ()))
        g_error ("switch-on %u: not listening after %" G_GINT64_FORMAT " ms (state %d)",
                 i + 1, took / 1000, gn_protection_get_state (protection ()));
      g_assert_cmpint (took, <, G_USEC_PER_SEC);
      WAIT_FOR (gn_protection_get_state (protection ()) == GN_PROTECTION_ON);

      activate ("app.enable");
      g_assert_cmpint (gn_protection_get_state (protection ()), ==, GN_PROTECTION_OFF);
      spin (20);
    }
  g_test_message ("20 switch-ons while animating, the slowest listening after %" G_GINT64_FORMAT " ms",
                  worst / 1000);

  g_signal_handler_disconnect (clock, paint_id);
  gtk_window_destroy (GTK_WINDOW (spin_window));
  g_object_set (gtk_settings_get_default (), "gtk-enable-animations", FALSE, NULL);
  WAIT_FOR (gn_protection_get_state (protection ()) == GN_PROTECTION_OFF);
}

/* ---- list names ---- */

static char *
list_name_in_force (const char *host)
{
  g_autoptr(GnBlocklist) list = gn_engine_dup_blocklist (gn_application_get_engine (T.app));
  GnMatch match = { 0 };

  if (list == NULL || gn_blocklist_lookup (list, host, &match) != GN_MATCH_BLOCK)
    return NULL;
  return g_strdup (match.list_name);
}

static gboolean
list_name_is (const char *host,
              const char *name)
{
  g_autofree char *now = list_name_in_force (host);

  return g_strcmp0 (now, name) == 0;
}

/* A list added by URL takes the name from its "Title:" header (the 403
 * page and the Blocked page say it, not "127.0.0.1"); the user can rename
 * it; the same URL twice is refused with a message naming the list. */
static void
test_list_names (void)
{
  GnBlocklistsPage *page = GN_BLOCKLISTS_PAGE (gn_window_get_page (T.window, "blocklists"));
  GnBlocklistManager *manager = gn_application_get_blocklists (T.app);
  g_autofree char *url = g_strdup_printf ("http://127.0.0.1:%u/titled.txt", T.origin_port);
  g_autofree char *same = g_strdup_printf ("HTTP://127.0.0.1:%u/titled.txt ", T.origin_port);
  g_autoptr(GError) error = NULL;
  GnBlocklistSource *source;

  gn_window_show_page (T.window, "blocklists");
  g_assert_true (gn_blocklists_page_add_source (page, url, &error));
  g_assert_no_error (error);
  source = gn_blocklist_manager_find_url (manager, url);
  g_assert_nonnull (source);
  g_assert_cmpstr (gn_blocklist_source_get_name (source), ==, "127.0.0.1");
  WAIT_FOR (g_strcmp0 (gn_blocklist_source_get_name (source), "Local Test Threats") == 0);
  WAIT_FOR (list_name_is ("www.threat.localhost", "Local Test Threats"));
  save_png ("screenshot-blocklists-titled.png");

  /* The same list again, even spelled differently: refused, named. */
  g_assert_false (gn_blocklists_page_add_source (page, same, &error));
  g_assert_error (error, GN_ERROR, GN_ERROR_INVALID_DATA);
  g_assert_cmpstr (error->message, ==, "This list is already in your lists, as “Local Test Threats”");
  g_clear_error (&error);

  /* Renamed by the user: in force at once, and kept over the Title. */
  g_assert_false (gn_blocklist_manager_rename_source (manager, source, "  ", &error));
  g_assert_error (error, GN_ERROR, GN_ERROR_INVALID_DATA);
  g_clear_error (&error);
  g_assert_true (gn_blocklist_manager_rename_source (manager, source, " My threats ", &error));
  g_assert_cmpstr (gn_blocklist_source_get_name (source), ==, "My threats");
  WAIT_FOR (list_name_is ("www.threat.localhost", "My threats"));
  {
    guint before = T.n_refreshed;

    activate ("app.refresh-lists");
    WAIT_FOR (T.n_refreshed >= before + 2);
    WAIT_FOR (!gn_blocklist_source_get_updating (source));
  }
  g_assert_cmpstr (gn_blocklist_source_get_name (source), ==, "My threats");

  gn_blocklist_manager_remove_source (manager, source);
}

/* ---- harness ---- */

static gboolean
run_tests (gpointer user_data)
{
  /* No crossfades in the screenshots. */
  g_object_set (gtk_settings_get_default (), "gtk-enable-animations", FALSE, NULL);
  T.window = GN_WINDOW (gtk_application_get_active_window (GTK_APPLICATION (T.app)));
  T.result = g_test_run ();
  /* app.quit closes the window (saving its state) and ends the app (the
   * tray's Quit may have started it already). */
  if (g_action_group_get_action_enabled (G_ACTION_GROUP (T.app), "quit"))
    g_action_group_activate_action (G_ACTION_GROUP (T.app), "quit", NULL);
  return G_SOURCE_REMOVE;
}

static void
activate_cb (GApplication *app)
{
  static gboolean started;

  if (!started)
    {
      started = TRUE;
      g_idle_add (run_tests, NULL);
    }
}

/* ---- history ---- */

/* What a previous run left: six days of traffic (a daily rhythm, for the
 * screenshot), written through the store before the app starts. */
#define SEED_DAYS 6
static guint64 seeded_requests;

static void
seed_history (void)
{
  g_autoptr(GnHistoryStore) store = gn_history_store_new (NULL);
  gint64 now = g_get_real_time ();
  g_autoptr(GDateTime) local = g_date_time_new_now_local ();
  g_autoptr(GDateTime) midnight = g_date_time_new_local (g_date_time_get_year (local),
                                                         g_date_time_get_month (local),
                                                         g_date_time_get_day_of_month (local),
                                                         0, 0, 0);
  static const char *domains[] = { "ads.example.com", "tracker.example.net", "metrics.example.org" };

  for (gint64 step = 6 * 6; step < SEED_DAYS * 24 * 6; step++)
    {
      gint64 when = now - step * 10 * 60 * G_USEC_PER_SEC;
      double hour = fmod ((double) (when / G_USEC_PER_SEC) / 3600.0, 24.0);
      guint64 requests = (guint64) (40 + 35 * sin ((hour - 8) / 24.0 * 2 * G_PI) + (step % 7) * 3);

      /* Earlier days only: "today" then starts from this run's counts,
       * which the other tests check exactly. */
      if (when >= g_date_time_to_unix (midnight) * G_USEC_PER_SEC)
        continue;

      gn_history_store_record (store, when, requests, requests / 9, requests * 900,
                               requests * 24000, domains[step % G_N_ELEMENTS (domains)]);
      seeded_requests += requests;
    }
  g_assert_true (gn_history_store_sync (store, NULL));
}

static GtkWidget *
find_type (GtkWidget *widget,
           GType      type)
{
  if (G_TYPE_CHECK_INSTANCE_TYPE (widget, type))
    return widget;
  for (GtkWidget *child = gtk_widget_get_first_child (widget); child != NULL;
       child = gtk_widget_get_next_sibling (child))
    {
      GtkWidget *found = find_type (child, type);
      if (found != NULL)
        return found;
    }
  return NULL;
}

static gboolean
series_loaded (GnChart *chart,
               guint    bucket_s)
{
  GnHistory *series = gn_chart_get_series (chart);

  return series != NULL && series->bucket_s == bucket_s;
}

static guint64
bars_total (GnChart *chart)
{
  guint64 req[96], blk[96], total = 0;
  guint n = gn_chart_get_bars (chart, req, blk, G_N_ELEMENTS (req));

  for (guint i = 0; i < MIN (n, G_N_ELEMENTS (req)); i++)
    total += req[i];
  return total;
}

static JsonObject *
load_json (JsonParser *parser,
           const char *path)
{
  g_autoptr(GError) error = NULL;

  g_assert_true (json_parser_load_from_file (parser, path, &error));
  g_assert_no_error (error);
  return json_node_get_object (json_parser_get_root (parser));
}

static guint64
exported_blocks (JsonObject *root,
                 const char *domain)
{
  JsonArray *domains = json_object_get_array_member (root, "blocked_domains");
  guint64 n = 0;

  for (guint i = 0; i < json_array_get_length (domains); i++)
    {
      JsonObject *d = json_array_get_object_element (domains, i);

      if (g_str_equal (json_object_get_string_member (d, "domain"), domain))
        n += (guint64) json_object_get_int_member (d, "blocked");
    }
  return n;
}

/* The Overview chart's range selector: each range loads its buckets from
 * the store (this run's requests and the previous run's days); the export
 * action writes CSV and JSON that hold the same. */
static void
test_history (void)
{
  GtkWidget *page = gn_window_get_page (T.window, "overview");
  GnChart *chart = GN_CHART (find_type (page, GN_TYPE_CHART));
  GtkDropDown *dropdown = GTK_DROP_DOWN (find_type (GTK_WIDGET (chart), GTK_TYPE_DROP_DOWN));
  g_autofree char *json_path = g_build_filename (T.tmpdir, "history.json", NULL);
  g_autofree char *csv_path = g_build_filename (T.tmpdir, "history.csv", NULL);
  static const guint buckets[] = { 60, 20 * 60, 2 * 3600, 12 * 3600 };
  guint64 day_total, month_total;

  gn_window_show_page (T.window, "overview");
  g_assert_nonnull (chart);
  g_assert_nonnull (dropdown);
  g_assert_cmpuint (gn_chart_get_range (chart), ==, GN_CHART_RANGE_HOUR);
  /* test_requests made four requests; the last hour shows them. */
  WAIT_FOR (series_loaded (chart, 60) && bars_total (chart) >= 4);

  for (guint r = GN_CHART_RANGE_DAY; r < GN_CHART_N_RANGES; r++)
    {
      gtk_drop_down_set_selected (dropdown, r);
      g_assert_cmpuint (gn_chart_get_range (chart), ==, r);
      WAIT_FOR (series_loaded (chart, buckets[r]));
      g_test_message ("range %u: %u bars, %" G_GUINT64_FORMAT " requests", r,
                      gn_chart_get_bars (chart, NULL, NULL, 0), bars_total (chart));
    }
  gtk_drop_down_set_selected (dropdown, GN_CHART_RANGE_DAY);
  WAIT_FOR (series_loaded (chart, buckets[GN_CHART_RANGE_DAY]));
  day_total = bars_total (chart);
  gtk_drop_down_set_selected (dropdown, GN_CHART_RANGE_MONTH);
  WAIT_FOR (series_loaded (chart, buckets[GN_CHART_RANGE_MONTH]));
  month_total = bars_total (chart);
  /* The previous run's days are there, and only in the longer range. */
  g_assert_cmpuint (month_total, >=, seeded_requests + 4);
  g_assert_cmpuint (day_total, <, month_total);
  g_assert_cmpuint (day_total, >=, 4);

  gtk_drop_down_set_selected (dropdown, GN_CHART_RANGE_WEEK);
  WAIT_FOR (series_loaded (chart, buckets[GN_CHART_RANGE_WEEK]));
  gtk_window_set_default_size (GTK_WINDOW (T.window), 1000, 700);
  save_png ("screenshot-history-7-days.png");

  /* Export to a path: JSON, then CSV. */
  g_action_group_activate_action (G_ACTION_GROUP (T.app), "export-history-to",
                                  g_variant_new_string (json_path));
  WAIT_FOR (g_file_test (json_path, G_FILE_TEST_EXISTS));
  {
    g_autoptr(JsonParser) parser = json_parser_new ();
    JsonObject *root = load_json (parser, json_path);

    g_assert_cmpint (json_object_get_int_member (root, "version"), ==, 1);
    g_assert_cmpuint (json_array_get_length (json_object_get_array_member (root, "minutes")), ==, 1440);
    g_assert_cmpuint (exported_blocks (root, BLOCKED_HOST), >=, 2);
    g_assert_cmpuint (exported_blocks (root, "ads.example.com"), >, 0);
  }
  g_action_group_activate_action (G_ACTION_GROUP (T.app), "export-history-to",
                                  g_variant_new_string (csv_path));
  WAIT_FOR (g_file_test (csv_path, G_FILE_TEST_EXISTS));
  {
    g_autofree char *csv = NULL;

    g_assert_true (g_file_get_contents (csv_path, &csv, NULL, NULL));
    g_assert_true (g_str_has_prefix (csv, "series,start,domain,requests,blocked,bytes_up,bytes_down\r\n"));
    g_assert_nonnull (strstr (csv, "," BLOCKED_HOST ","));
  }

  /* The menu's Export History… (a GtkFileChooserNative, which then calls
   * the same code with the chosen path). Not opened here: GTK's file
   * chooser keeps the test's session bus alive past its end. */
  g_assert_true (g_action_group_has_action (G_ACTION_GROUP (T.app), "export-history"));
  g_assert_true (g_action_group_get_action_enabled (G_ACTION_GROUP (T.app), "export-history"));
  gtk_drop_down_set_selected (dropdown, GN_CHART_RANGE_HOUR);
}

int
main (int   argc,
      char *argv[])
{
  g_autoptr(GTestDBus) bus = NULL;
  g_autoptr(GnEngineConfig) config = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GSList) uris = NULL;
  char *app_argv[] = { argv[0], NULL };
  const char *subdirs[] = { "config", "cache", "data", "state", "runtime" };
  const char *vars[] = { "XDG_CONFIG_HOME", "XDG_CACHE_HOME", "XDG_DATA_HOME", "XDG_STATE_HOME", "XDG_RUNTIME_DIR" };

  /* Nothing of the real user's is touched. */
  T.tmpdir = g_dir_make_tmp ("guardnest-test-ui-XXXXXX", &error);
  g_assert_no_error (error);
  for (guint i = 0; i < G_N_ELEMENTS (subdirs); i++)
    {
      g_autofree char *dir = g_build_filename (T.tmpdir, subdirs[i], NULL);
      g_mkdir_with_parents (dir, 0700);
      g_setenv (vars[i], dir, TRUE);
    }
  /* Real GSettings on a key file in the temporary XDG_CONFIG_HOME: the
   * window's own settings and GNOME's proxy settings, which the real GNOME
   * backend of the OS proxy module changes. */
  g_setenv ("GSETTINGS_BACKEND", "keyfile", TRUE);
  g_setenv ("GN_OS_PROXY_BACKEND", "gnome", TRUE);
  g_setenv ("GDK_BACKEND", "x11", TRUE);
  g_setenv ("GSK_RENDERER", "cairo", TRUE);
  g_setenv ("GDK_DEBUG", "gl-disable", TRUE);  /* Mesa under Xvfb leaks at exit */
  g_setenv ("GTK_A11Y", "none", TRUE);  /* no accessibility bus on the test bus */
  /* This test's only list is on its local origin: download it at start. */
  g_unsetenv ("GN_BLOCKLIST_DOWNLOAD_MISSING");

  g_test_init (&argc, &argv, NULL);

  /* A private session bus; GTestDBus unsets DISPLAY, so keep Xvfb's. */
  {
    g_autofree char *display = g_strdup (g_getenv ("DISPLAY"));

    bus = g_test_dbus_new (G_TEST_DBUS_NONE);
    g_test_dbus_up (bus);
    if (display != NULL)
      g_setenv ("DISPLAY", display, TRUE);
  }

  notify_server_start (g_test_dbus_get_bus_address (bus));

  T.origin = soup_server_new (NULL, NULL);
  soup_server_add_handler (T.origin, NULL, origin_cb, NULL, NULL);
  soup_server_listen_local (T.origin, 0, SOUP_SERVER_LISTEN_IPV4_ONLY, &error);
  g_assert_no_error (error);
  uris = soup_server_get_uris (T.origin);
  T.origin_port = g_uri_get_port (uris->data);
  g_slist_free_full (g_steal_pointer (&uris), (GDestroyNotify) g_uri_unref);

  /* One list, never downloaded, on the local origin (never the real
   * default lists): downloaded right after start. */
  {
    g_autofree char *dir = g_build_filename (T.tmpdir, "config", "guardnest", NULL);
    g_autofree char *path = g_build_filename (dir, "blocklists.json", NULL);
    g_autofree char *json = g_strdup_printf (
      "{ \"version\": 1, \"sources\": [ { \"id\": \"test\", \"name\": \"Test list\", "
      "\"url\": \"http://127.0.0.1:%u/late-list.txt\", \"enabled\": true, \"format\": \"domains\" } ], "
      "\"allowlist\": [], \"blocklist\": [] }", T.origin_port);

    g_mkdir_with_parents (dir, 0700);
    g_assert_true (g_file_set_contents (path, json, -1, NULL));
  }

  seed_history ();

  config = gn_engine_config_new ();
  config->port = 0;
  config->drain_timeout_ms = 1000;
  T.app = gn_application_new (config);
  g_signal_connect_after (T.app, "activate", G_CALLBACK (activate_cb), NULL);
  g_signal_connect (T.app, "lists-refreshed", G_CALLBACK (lists_refreshed_cb), NULL);

  g_test_add_func ("/ui/window/start", test_start);
  g_test_add_func ("/ui/window/enable-without-rules", test_enable_without_rules);
  g_test_add_func ("/ui/window/enable", test_enable);
  g_test_add_func ("/ui/window/refresh-lists", test_refresh_lists);
  g_test_add_func ("/ui/window/requests", test_requests);
  g_test_add_func ("/ui/window/allow", test_allow);
  g_test_add_func ("/ui/window/sort-blocked-live", test_sort_blocked_live);
  g_test_add_func ("/ui/window/notify-blocked", test_notify_blocked);
  g_test_add_func ("/ui/window/pause-and-timed-allow", test_pause_and_timed_allow);
  g_test_add_func ("/ui/window/close-connection", test_close_connection);
  g_test_add_func ("/ui/window/failed-connection", test_failed_connection);
  g_test_add_func ("/ui/window/apps", test_apps);
  g_test_add_func ("/ui/window/screenshots", test_screenshots);
  g_test_add_func ("/ui/window/cut-tunnels", test_cut_tunnels);
  g_test_add_func ("/ui/window/history", test_history);
  g_test_add_func ("/ui/window/restart", test_restart);
  g_test_add_func ("/ui/window/port-in-use", test_port_in_use);
  g_test_add_func ("/ui/window/disable", test_disable);
  g_test_add_func ("/ui/window/toggle-while-animating", test_toggle_while_animating);
  g_test_add_func ("/ui/window/list-names", test_list_names);
  g_test_add_func ("/ui/window/start-at-login", test_start_at_login);
  g_test_add_func ("/ui/window/tray", test_tray);
  g_test_add_func ("/ui/window/tray-quit", test_tray_quit);

  g_timeout_add (100, wake_cb, NULL);
  if (g_application_run (G_APPLICATION (T.app), 1, app_argv) != 0 && T.result == 0)
    T.result = 1;

  g_assert_finalize_object (g_steal_pointer (&T.app));
  soup_server_disconnect (T.origin);
  g_clear_object (&T.origin);
  g_dbus_connection_close_sync (T.notify_bus, NULL, NULL);
  g_clear_object (&T.notify_bus);
  g_clear_pointer (&T.notes, g_ptr_array_unref);
  g_free (T.sni_service);
  g_free (T.sni_sender);
  g_test_dbus_down (bus);
  g_free (T.refresh_summary);
  {
    g_autofree char *cmd = g_strdup_printf ("rm -rf '%s'", T.tmpdir);
    (void) !system (cmd);
  }
  g_free (T.tmpdir);
  return T.result;
}
