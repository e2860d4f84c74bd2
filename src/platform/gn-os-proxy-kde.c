/* gn-os-proxy-kde.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The KDE backend. Plasma keeps the proxy in $XDG_CONFIG_HOME/kioslaverc,
 * group [Proxy Settings] (ProxyType 0 none, 1 manual, 2 PAC, 3 WPAD, 4
 * environment; httpProxy "http://127.0.0.1 3000"; NoProxyFor; "Proxy Config
 * Script"), which KIO programs read. GTK programs, Firefox and Chromium on
 * Plasma read the GNOME GSettings keys instead, so this backend manages both
 * places as two entries: NULL (kioslaverc) and "gsettings" (the GNOME keys,
 * when their schema is installed). Compare-and-clear then works per place.
 *
 * Exact restore: a kioslaverc snapshot keeps every key of the group, as
 * written (g_key_file_get_value), in `raw`; restoring rewrites the group with
 * exactly those keys and leaves every other group and comment of the file
 * alone. Files are written atomically (GKeyFile → g_file_set_contents:
 * temp file + rename). After a write KIO is told to reread its configuration
 * with the org.kde.KIO.Scheduler reparseSlaveConfiguration signal on the
 * session bus, when there is one.
 *
 * Per-key restore, as on GNOME: of the keys we write (ours_keys[]), each
 * that still holds our value gets the user's value back (or goes, if the
 * user had none); a key another program changed is kept; a ProxyType
 * another program changed means it took over, and our values are removed
 * without putting the user's back over its choice. The "gsettings" place
 * is restored by the GNOME backend's own per-key rule.
 *
 * Threading: the thread that created the backend (file monitor and GSettings
 * signals arrive on its thread-default main context).
 */

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <glib/gi18n.h>

#include "gn-os-proxy-private.h"

#define GROUP "Proxy Settings"
#define GSETTINGS_ENTRY "gsettings"

#define GN_TYPE_OS_PROXY_KDE (gn_os_proxy_kde_get_type ())
G_DECLARE_FINAL_TYPE (GnOsProxyKde, gn_os_proxy_kde, GN, OS_PROXY_KDE, GnOsProxy)

struct _GnOsProxyKde
{
  GnOsProxy     parent_instance;
  char         *path;     /* (owned) kioslaverc */
  GFileMonitor *monitor;  /* (owned) (nullable) */
  GnOsProxy    *gnome;    /* (owned) (nullable) the GNOME keys */
};

G_DEFINE_FINAL_TYPE (GnOsProxyKde, gn_os_proxy_kde, GN_TYPE_OS_PROXY)

static GKeyFile *
load (GnOsProxyKde *self, GError **error)
{
  g_autoptr(GKeyFile) kf = g_key_file_new ();
  g_autoptr(GError) local = NULL;

  if (!g_key_file_load_from_file (kf, self->path,
                                  G_KEY_FILE_KEEP_COMMENTS | G_KEY_FILE_KEEP_TRANSLATIONS,
                                  &local))
    {
      if (!g_error_matches (local, G_FILE_ERROR, G_FILE_ERROR_NOENT))
        {
          g_set_error (error, GN_ERROR, GN_ERROR_PLATFORM,
                       _("The KDE proxy settings file %s could not be read: %s"),
                       self->path, local->message);
          return NULL;
        }
    }
  return g_steal_pointer (&kf);
}

/* "http://127.0.0.1 3000", "http://host:8080", "host:8080", "[::1]:3128". */
static void
parse_server (const char *value, GnOsProxyServer *server)
{
  g_autofree char *s = g_strstrip (g_strdup (value ? value : ""));
  char *host = s, *port = NULL, *p;
  guint64 n = 0;

  if ((p = strstr (host, "://")) != NULL)
    host = p + 3;
  if ((p = strchr (host, ' ')) != NULL)
    {
      *p = '\0';
      port = p + 1;
    }
  if ((p = strchr (host, '/')) != NULL)
    *p = '\0';
  if (port == NULL)
    {
      p = strrchr (host, ':');
      if (p != NULL && (host[0] != '[' || p > strchr (host, ']')))
        {
          *p = '\0';
          port = p + 1;
        }
    }
  if (host[0] == '[' && (p = strchr (host, ']')) != NULL)
    {
      *p = '\0';
      host++;
    }
  if (port != NULL && g_ascii_string_to_unsigned (g_strstrip (port), 10, 0, G_MAXUINT16, &n, NULL))
    server->port = (guint16) n;
  server->host = *host ? g_strdup (host) : NULL;
}

static char *
format_server (const char *scheme, const GnOsProxyServer *server)
{
  if (server->host == NULL || *server->host == '\0')
    return g_strdup ("");
  if (strchr (server->host, ':') != NULL)
    return g_strdup_printf ("%s://[%s] %u", scheme, server->host, server->port);
  return g_strdup_printf ("%s://%s %u", scheme, server->host, server->port);
}

static GnOsProxyEntry *
read_kioslaverc (GnOsProxyKde *self, GError **error)
{
  g_autoptr(GKeyFile) kf = load (self, error);
  g_autoptr(GnOsProxyEntry) e = NULL;
  g_autoptr(GVariantBuilder) raw = NULL;
  g_auto(GStrv) keys = NULL;
  g_autofree char *type = NULL, *no_proxy = NULL, *script = NULL;
  g_autofree char *http = NULL, *https = NULL, *ftp = NULL, *socks = NULL;

  if (kf == NULL)
    return NULL;

  e = gn_os_proxy_entry_new (NULL);
  raw = g_variant_builder_new (G_VARIANT_TYPE_VARDICT);
  keys = g_key_file_get_keys (kf, GROUP, NULL, NULL);
  for (guint i = 0; keys && keys[i]; i++)
    {
      g_autofree char *value = g_key_file_get_value (kf, GROUP, keys[i], NULL);

      if (value != NULL)
        g_variant_builder_add (raw, "{sv}", keys[i], g_variant_new_string (value));
    }
  e->raw = g_variant_ref_sink (g_variant_builder_end (raw));

  type = g_key_file_get_value (kf, GROUP, "ProxyType", NULL);
  script = g_key_file_get_string (kf, GROUP, "Proxy Config Script", NULL);
  switch (type ? atoi (type) : 0)
    {
    case 1: e->flags = GN_OS_PROXY_MANUAL; break;
    case 2: e->flags = GN_OS_PROXY_PAC; break;
    case 3: e->flags = GN_OS_PROXY_AUTO_DETECT; break;
    default: e->flags = GN_OS_PROXY_DIRECT; break;  /* 0, and 4 (environment) */
    }
  http = g_key_file_get_string (kf, GROUP, "httpProxy", NULL);
  https = g_key_file_get_string (kf, GROUP, "httpsProxy", NULL);
  ftp = g_key_file_get_string (kf, GROUP, "ftpProxy", NULL);
  socks = g_key_file_get_string (kf, GROUP, "socksProxy", NULL);
  parse_server (http, &e->http);
  parse_server (https, &e->https);
  parse_server (ftp, &e->ftp);
  parse_server (socks, &e->socks);
  no_proxy = g_key_file_get_string (kf, GROUP, "NoProxyFor", NULL);
  g_strfreev (e->bypass);
  e->bypass = no_proxy && *no_proxy ? g_strsplit (no_proxy, ",", -1) : g_new0 (char *, 1);
  for (guint i = 0; e->bypass[i]; i++)
    g_strstrip (e->bypass[i]);
  e->pac_url = script && *script ? g_steal_pointer (&script) : NULL;

  return g_steal_pointer (&e);
}

static void
notify_kio (void)
{
  g_autoptr(GDBusConnection) bus = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *address = NULL;

  /* Never autolaunch a bus just for this. */
  if (g_getenv ("DBUS_SESSION_BUS_ADDRESS") == NULL)
    {
      g_autofree char *socket = g_build_filename (g_get_user_runtime_dir (), "bus", NULL);

      if (!g_file_test (socket, G_FILE_TEST_EXISTS))
        return;
    }
  /* A private connection, not the shared singleton: it exits the process
   * when the bus goes away, which a settings write must never do. */
  address = g_dbus_address_get_for_bus_sync (G_BUS_TYPE_SESSION, NULL, &error);
  if (address != NULL)
    bus = g_dbus_connection_new_for_address_sync (address,
                                                  G_DBUS_CONNECTION_FLAGS_AUTHENTICATION_CLIENT |
                                                  G_DBUS_CONNECTION_FLAGS_MESSAGE_BUS_CONNECTION,
                                                  NULL, NULL, &error);
  if (bus == NULL ||
      !g_dbus_connection_emit_signal (bus, NULL, "/KIO/Scheduler", "org.kde.KIO.Scheduler",
                                      "reparseSlaveConfiguration", g_variant_new ("(s)", ""),
                                      &error) ||
      !g_dbus_connection_flush_sync (bus, NULL, &error))
    g_debug ("Could not tell KIO to reload its proxy settings: %s", error->message);
  if (bus != NULL)
    g_dbus_connection_close_sync (bus, NULL, NULL);
}

/* The keys we write for an entry without raw values, in [Proxy Settings]. */
static const char * const ours_keys[] = {
  "ProxyType", "httpProxy", "httpsProxy", "ftpProxy", "socksProxy", "NoProxyFor",
  "Proxy Config Script", "ReversedException",
};
#define N_OURS G_N_ELEMENTS (ours_keys)

static void
fill_group (GKeyFile *kf, const GnOsProxyEntry *e)
{
  static const char * const scheme[] = { "http", "http", "ftp", "socks" };
  static const char * const key[] = { "httpProxy", "httpsProxy", "ftpProxy", "socksProxy" };
  const GnOsProxyServer *servers[] = { &e->http, &e->https, &e->ftp, &e->socks };
  g_autofree char *no_proxy = g_strjoinv (",", e->bypass);
  int type;

  switch (gn_os_proxy_entry_get_mode (e))
    {
    case GN_OS_PROXY_MODE_MANUAL: type = 1; break;
    case GN_OS_PROXY_MODE_PAC: type = 2; break;
    case GN_OS_PROXY_MODE_AUTO_DETECT: type = 3; break;
    case GN_OS_PROXY_MODE_NONE:
    default: type = 0; break;
    }
  g_key_file_set_integer (kf, GROUP, "ProxyType", type);
  for (guint i = 0; i < G_N_ELEMENTS (key); i++)
    {
      g_autofree char *value = format_server (scheme[i], servers[i]);
      g_key_file_set_string (kf, GROUP, key[i], value);
    }
  g_key_file_set_string (kf, GROUP, "NoProxyFor", no_proxy);
  g_key_file_set_string (kf, GROUP, "Proxy Config Script", e->pac_url ? e->pac_url : "");
  g_key_file_set_boolean (kf, GROUP, "ReversedException", FALSE);
}

static gboolean
save (GnOsProxyKde *self, GKeyFile *kf, GError **error)
{
  g_autoptr(GError) local = NULL;
  g_autofree char *dir = g_path_get_dirname (self->path);

  if (g_mkdir_with_parents (dir, 0700) != 0 ||
      !g_key_file_save_to_file (kf, self->path, &local))
    {
      g_set_error (error, GN_ERROR, GN_ERROR_PLATFORM,
                   _("The KDE proxy settings could not be saved to %s: %s"), self->path,
                   local ? local->message : g_strerror (errno));
      return FALSE;
    }
  notify_kio ();
  return TRUE;
}

static gboolean
write_kioslaverc (GnOsProxyKde *self, const GnOsProxyEntry *e, GError **error)
{
  g_autoptr(GKeyFile) kf = load (self, error);

  if (kf == NULL)
    return FALSE;

  /* A snapshot is put back exactly, the whole group; ours sets only the
   * keys we own, so the user's other keys in the group stay. */
  if (e->raw != NULL)
    {
      GVariantIter iter;
      const char *key;
      GVariant *value;

      g_key_file_remove_group (kf, GROUP, NULL);
      g_variant_iter_init (&iter, e->raw);
      while (g_variant_iter_loop (&iter, "{&sv}", &key, &value))
        if (g_variant_is_of_type (value, G_VARIANT_TYPE_STRING))
          g_key_file_set_value (kf, GROUP, key, g_variant_get_string (value, NULL));
    }
  else
    fill_group (kf, e);

  return save (self, kf, error);
}

/* The group's value of @key as written, or NULL. */
static GVariant *
group_value (GKeyFile *kf, const char *key)
{
  g_autofree char *value = g_key_file_get_value (kf, GROUP, key, NULL);

  return value ? g_variant_ref_sink (g_variant_new_string (value)) : NULL;
}

static gboolean
restore_kioslaverc (GnOsProxyKde         *self,
                    const GnOsProxyEntry *snapshot,
                    const GnOsProxyEntry *ours,
                    GnOsProxyKeysResult  *result,
                    GStrv                *kept,
                    GError              **error)
{
  g_autoptr(GKeyFile) kf = load (self, error);
  g_autoptr(GKeyFile) ours_kf = g_key_file_new ();
  g_autoptr(GKeyFile) snapshot_kf = g_key_file_new ();
  g_autoptr(GPtrArray) kept_keys = g_ptr_array_new_with_free_func (g_free);
  GVariant *ours_v[N_OURS], *current_v[N_OURS], *snapshot_v[N_OURS];
  GnOsProxyKeyAction actions[N_OURS];
  gboolean ok;

  if (kf == NULL)
    return FALSE;

  /* Our values and the user's, as the file spells them. */
  fill_group (ours_kf, ours);
  if (snapshot->raw != NULL)
    {
      GVariantIter iter;
      const char *key;
      GVariant *value;

      g_variant_iter_init (&iter, snapshot->raw);
      while (g_variant_iter_loop (&iter, "{&sv}", &key, &value))
        if (g_variant_is_of_type (value, G_VARIANT_TYPE_STRING))
          g_key_file_set_value (snapshot_kf, GROUP, key, g_variant_get_string (value, NULL));
    }
  else
    fill_group (snapshot_kf, snapshot);

  for (guint k = 0; k < N_OURS; k++)
    {
      ours_v[k] = group_value (ours_kf, ours_keys[k]);
      current_v[k] = group_value (kf, ours_keys[k]);
      snapshot_v[k] = group_value (snapshot_kf, ours_keys[k]);
    }
  *result = _gn_os_proxy_plan_keys (ours_keys, ours_v, current_v, snapshot_v, N_OURS,
                                    "ProxyType", actions, kept_keys);

  for (guint k = 0; k < N_OURS; k++)
    {
      if (actions[k] == GN_OS_PROXY_KEY_RESTORE && snapshot_v[k] != NULL)
        g_key_file_set_value (kf, GROUP, ours_keys[k], g_variant_get_string (snapshot_v[k], NULL));
      else if (actions[k] != GN_OS_PROXY_KEY_LEAVE)
        g_key_file_remove_key (kf, GROUP, ours_keys[k], NULL);
    }
  /* A group left empty was not there before us. */
  {
    g_auto(GStrv) left = g_key_file_get_keys (kf, GROUP, NULL, NULL);

    if (left != NULL && left[0] == NULL)
      g_key_file_remove_group (kf, GROUP, NULL);
  }
  ok = save (self, kf, error);

  for (guint k = 0; k < N_OURS; k++)
    {
      g_clear_pointer (&ours_v[k], g_variant_unref);
      g_clear_pointer (&current_v[k], g_variant_unref);
      g_clear_pointer (&snapshot_v[k], g_variant_unref);
    }
  if (!ok)
    return FALSE;
  g_ptr_array_add (kept_keys, NULL);
  *kept = kept_keys->len > 1 ? (GStrv) g_ptr_array_free (g_steal_pointer (&kept_keys), FALSE) : NULL;
  return TRUE;
}

static gboolean
gn_os_proxy_kde_restore (GnOsProxy            *proxy,
                         const GnOsProxyEntry *snapshot,
                         const GnOsProxyEntry *ours,
                         GnOsProxyKeysResult  *result,
                         GStrv                *kept,
                         GError              **error)
{
  GnOsProxyKde *self = GN_OS_PROXY_KDE (proxy);

  if (g_strcmp0 (snapshot->connection, GSETTINGS_ENTRY) == 0)
    {
      if (self->gnome == NULL)
        return TRUE;
      return _gn_os_proxy_gnome_restore_entry (self->gnome, snapshot, ours, result, kept, error);
    }
  return restore_kioslaverc (self, snapshot, ours, result, kept, error);
}

static const char *
gn_os_proxy_kde_get_name (GnOsProxy *proxy)
{
  return "kde";
}

static GnOsProxySettings *
gn_os_proxy_kde_read (GnOsProxy *proxy, GError **error)
{
  GnOsProxyKde *self = GN_OS_PROXY_KDE (proxy);
  g_autoptr(GnOsProxySettings) settings = gn_os_proxy_settings_new ("kde");
  GnOsProxyEntry *e = read_kioslaverc (self, error);

  if (e == NULL)
    return NULL;
  gn_os_proxy_settings_take_entry (settings, e);
  if (self->gnome != NULL)
    gn_os_proxy_settings_take_entry (settings,
                                     _gn_os_proxy_gnome_read_entry (self->gnome, GSETTINGS_ENTRY));
  return g_steal_pointer (&settings);
}

static gboolean
gn_os_proxy_kde_write (GnOsProxy *proxy, const GnOsProxySettings *settings, GError **error)
{
  GnOsProxyKde *self = GN_OS_PROXY_KDE (proxy);
  const GnOsProxyEntry *kio = gn_os_proxy_settings_lookup (settings, NULL);
  const GnOsProxyEntry *gs = gn_os_proxy_settings_lookup (settings, GSETTINGS_ENTRY);

  if (gs != NULL && self->gnome != NULL &&
      !_gn_os_proxy_gnome_write_entry (self->gnome, gs, error))
    return FALSE;
  if (kio != NULL && !write_kioslaverc (self, kio, error))
    return FALSE;
  return TRUE;
}

static void
on_file_changed (GFileMonitor *monitor, GFile *file, GFile *other,
                 GFileMonitorEvent event, GnOsProxyKde *self)
{
  if (event == G_FILE_MONITOR_EVENT_CHANGES_DONE_HINT || event == G_FILE_MONITOR_EVENT_CREATED ||
      event == G_FILE_MONITOR_EVENT_DELETED || event == G_FILE_MONITOR_EVENT_MOVED_IN ||
      event == G_FILE_MONITOR_EVENT_RENAMED)
    gn_os_proxy_emit_changed (GN_OS_PROXY (self));
}

static void
on_gnome_changed (GnOsProxy *gnome, GnOsProxyKde *self)
{
  gn_os_proxy_emit_changed (GN_OS_PROXY (self));
}

static void
gn_os_proxy_kde_dispose (GObject *object)
{
  GnOsProxyKde *self = GN_OS_PROXY_KDE (object);

  if (self->monitor)
    {
      g_signal_handlers_disconnect_by_data (self->monitor, self);
      g_file_monitor_cancel (self->monitor);
    }
  if (self->gnome)
    g_signal_handlers_disconnect_by_data (self->gnome, self);
  g_clear_object (&self->monitor);
  g_clear_object (&self->gnome);
  G_OBJECT_CLASS (gn_os_proxy_kde_parent_class)->dispose (object);
}

static void
gn_os_proxy_kde_finalize (GObject *object)
{
  g_free (GN_OS_PROXY_KDE (object)->path);
  G_OBJECT_CLASS (gn_os_proxy_kde_parent_class)->finalize (object);
}

static void
gn_os_proxy_kde_class_init (GnOsProxyKdeClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GnOsProxyClass *proxy_class = GN_OS_PROXY_CLASS (klass);

  object_class->dispose = gn_os_proxy_kde_dispose;
  object_class->finalize = gn_os_proxy_kde_finalize;
  proxy_class->get_name = gn_os_proxy_kde_get_name;
  proxy_class->read = gn_os_proxy_kde_read;
  proxy_class->install_repair_entry = _gn_os_proxy_xdg_install_repair;
  proxy_class->remove_repair_entry = _gn_os_proxy_xdg_remove_repair;
  proxy_class->write = gn_os_proxy_kde_write;
  proxy_class->restore_entry = gn_os_proxy_kde_restore;
}

static void
gn_os_proxy_kde_init (GnOsProxyKde *self)
{
}

GnOsProxy *
_gn_os_proxy_kde_new (const char *config_dir, GError **error)
{
  GnOsProxyKde *self = g_object_new (GN_TYPE_OS_PROXY_KDE, NULL);
  g_autoptr(GFile) file = NULL;
  g_autoptr(GError) local = NULL;

  self->path = g_build_filename (config_dir ? config_dir : g_get_user_config_dir (),
                                 "kioslaverc", NULL);
  file = g_file_new_for_path (self->path);
  self->monitor = g_file_monitor_file (file, G_FILE_MONITOR_WATCH_MOVES, NULL, &local);
  if (self->monitor != NULL)
    g_signal_connect (self->monitor, "changed", G_CALLBACK (on_file_changed), self);
  else
    g_debug ("Not watching %s: %s", self->path, local->message);

  /* Without the GNOME schema only kioslaverc is managed; that is fine. */
  self->gnome = _gn_os_proxy_gnome_new (NULL);
  if (self->gnome != NULL)
    g_signal_connect (self->gnome, "changed", G_CALLBACK (on_gnome_changed), self);

  return GN_OS_PROXY (self);
}
