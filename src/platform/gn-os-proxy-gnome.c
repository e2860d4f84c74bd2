/* gn-os-proxy-gnome.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The GNOME backend: GSettings org.gnome.system.proxy and its .http, .https,
 * .ftp and .socks children, which GLib's proxy resolver (every GIO/GTK
 * program), Firefox and Chromium read on GNOME and most other desktops.
 *
 * Exact restore: a snapshot keeps, in the entry's `raw`, every key the user
 * had *set* (g_settings_get_user_value) in all five schemas, authentication
 * and FTP/SOCKS included. Restoring sets those and resets every other key to
 * its default, so the user's settings come back value for value and keys
 * that were never set stay unset. Writes change the server keys first and
 * `mode` last, so no program sees "manual" with half-written servers, and end
 * with g_settings_sync() so a kill right after a write cannot lose it.
 *
 * Per-key restore (_gn_os_proxy_gnome_restore_entry()): of the keys we
 * write (written_keys[]), each one that still holds our value gets the
 * user's value back (or is reset, if the user never set it); a key another
 * program changed meanwhile is kept, and keys we never write are never
 * touched. When another program changed `mode` ("none", say), it took over:
 * keys still holding our values are reset and the user's are not put back
 * over that choice (see _gn_os_proxy_plan_keys()).
 *
 * Threading: the thread that created the backend; GSettings "changed" is
 * delivered on that thread's thread-default main context and re-emitted as
 * GnOsProxy::changed from an idle, once per burst of key changes.
 */

#include <glib/gi18n.h>

#include "gn-os-proxy-private.h"

#define SCHEMA "org.gnome.system.proxy"

/* Order matters for writing: children first, the root (with `mode`) last. */
static const char * const children[] = { "http", "https", "ftp", "socks", NULL };
#define N_SCHEMAS 5
#define ROOT 4

#define GN_TYPE_OS_PROXY_GNOME (gn_os_proxy_gnome_get_type ())
G_DECLARE_FINAL_TYPE (GnOsProxyGnome, gn_os_proxy_gnome, GN, OS_PROXY_GNOME, GnOsProxy)

struct _GnOsProxyGnome
{
  GnOsProxy  parent_instance;
  GSettings    *settings[N_SCHEMAS];  /* (owned) http, https, ftp, socks, root */
  GMainContext *context;             /* (owned) the creating thread's */
  guint         changed_idle;
};

G_DEFINE_FINAL_TYPE (GnOsProxyGnome, gn_os_proxy_gnome, GN_TYPE_OS_PROXY)

static const char *
prefix_of (guint i)
{
  return i == ROOT ? "" : children[i];
}

/* "http.host", or "mode" for the root schema. */
static char *
raw_key (guint i, const char *key)
{
  return i == ROOT ? g_strdup (key) : g_strconcat (children[i], ".", key, NULL);
}

static void
read_server (GSettings *settings, GnOsProxyServer *server)
{
  g_autofree char *host = g_settings_get_string (settings, "host");
  int port = g_settings_get_int (settings, "port");

  server->host = *host ? g_steal_pointer (&host) : NULL;
  server->port = (guint16) CLAMP (port, 0, G_MAXUINT16);
}

GnOsProxyEntry *
_gn_os_proxy_gnome_read_entry (GnOsProxy  *proxy,
                               const char *connection)
{
  GnOsProxyGnome *self = GN_OS_PROXY_GNOME (proxy);
  g_autoptr(GnOsProxyEntry) e = gn_os_proxy_entry_new (connection);
  g_autoptr(GVariantBuilder) raw = g_variant_builder_new (G_VARIANT_TYPE_VARDICT);
  g_autofree char *mode = NULL;
  g_autofree char *url = NULL;

  mode = g_settings_get_string (self->settings[ROOT], "mode");
  url = g_settings_get_string (self->settings[ROOT], "autoconfig-url");

  if (g_str_equal (mode, "manual"))
    e->flags = GN_OS_PROXY_MANUAL;
  else if (g_str_equal (mode, "auto"))
    e->flags = *url ? GN_OS_PROXY_PAC : GN_OS_PROXY_AUTO_DETECT;
  else
    e->flags = GN_OS_PROXY_DIRECT;

  read_server (self->settings[0], &e->http);
  read_server (self->settings[1], &e->https);
  read_server (self->settings[2], &e->ftp);
  read_server (self->settings[3], &e->socks);
  g_strfreev (e->bypass);
  e->bypass = g_settings_get_strv (self->settings[ROOT], "ignore-hosts");
  e->pac_url = *url ? g_steal_pointer (&url) : NULL;

  for (guint i = 0; i < N_SCHEMAS; i++)
    {
      g_autoptr(GSettingsSchema) schema = NULL;
      g_auto(GStrv) keys = NULL;

      g_object_get (self->settings[i], "settings-schema", &schema, NULL);
      keys = g_settings_schema_list_keys (schema);
      for (guint k = 0; keys[k]; k++)
        {
          g_autoptr(GVariant) value = g_settings_get_user_value (self->settings[i], keys[k]);

          g_autofree char *name = raw_key (i, keys[k]);

          if (value != NULL)
            g_variant_builder_add (raw, "{sv}", name, value);
        }
    }
  e->raw = g_variant_ref_sink (g_variant_builder_end (raw));
  return g_steal_pointer (&e);
}

static GVariant *
lookup_raw (GVariant *raw, guint i, const char *key)
{
  g_autofree char *name = raw_key (i, key);

  return g_variant_lookup_value (raw, name, NULL);
}

static gboolean set_checked (GnOsProxyGnome *self, guint i, const char *key,
                             GVariant *value, GError **error);

/* Applies what the writes gathered (the objects are in delay mode), then
 * waits until the backend has it, so a kill right after cannot lose it. */
static void
commit (GnOsProxyGnome *self)
{
  for (guint i = 0; i < N_SCHEMAS; i++)
    g_settings_apply (self->settings[i]);
  g_settings_sync ();
}

static gboolean
write_raw (GnOsProxyGnome *self, GVariant *raw, GError **error)
{
  for (guint i = 0; i < N_SCHEMAS; i++)
    {
      g_autoptr(GSettingsSchema) schema = NULL;
      g_auto(GStrv) keys = NULL;

      g_object_get (self->settings[i], "settings-schema", &schema, NULL);
      keys = g_settings_schema_list_keys (schema);
      /* `mode` goes last of all. */
      for (guint pass = 0; pass < 2; pass++)
        for (guint k = 0; keys[k]; k++)
          {
            g_autoptr(GVariant) value = NULL;
            gboolean is_mode = i == ROOT && g_str_equal (keys[k], "mode");

            if (is_mode != (pass == 1))
              continue;
            value = lookup_raw (raw, i, keys[k]);
            if (value == NULL)
              g_settings_reset (self->settings[i], keys[k]);
            else if (!set_checked (self, i, keys[k], value, error))
              return FALSE;
          }
    }
  return TRUE;
}

/* The keys we write for an entry without raw values (ours, or a snapshot
 * turned into "no proxy"), `mode` last. */
typedef struct
{
  guint       schema;
  const char *key;
} WrittenKey;

static const WrittenKey written_keys[] = {
  { 0, "host" }, { 0, "port" }, { 0, "enabled" },
  { 1, "host" }, { 1, "port" },
  { 2, "host" }, { 2, "port" },
  { 3, "host" }, { 3, "port" },
  { ROOT, "ignore-hosts" }, { ROOT, "autoconfig-url" }, { ROOT, "mode" },
};
#define N_WRITTEN G_N_ELEMENTS (written_keys)

static const GnOsProxyServer *
server_of (const GnOsProxyEntry *e, guint schema)
{
  const GnOsProxyServer *servers[] = { &e->http, &e->https, &e->ftp, &e->socks };

  return servers[schema];
}

/* The value of written_keys[k] for @e's portable fields (floating). */
static GVariant *
entry_key_value (const GnOsProxyEntry *e, guint k)
{
  const WrittenKey *w = &written_keys[k];

  if (w->schema != ROOT)
    {
      const GnOsProxyServer *server = server_of (e, w->schema);

      if (g_str_equal (w->key, "host"))
        return g_variant_new_string (server->host ? server->host : "");
      if (g_str_equal (w->key, "port"))
        return g_variant_new_int32 (server->port);
      return g_variant_new_boolean ((e->flags & GN_OS_PROXY_MANUAL) != 0);  /* http.enabled */
    }
  if (g_str_equal (w->key, "ignore-hosts"))
    return g_variant_new_strv ((const char * const *) e->bypass, -1);
  if (g_str_equal (w->key, "autoconfig-url"))
    return g_variant_new_string ((e->flags & GN_OS_PROXY_PAC) && e->pac_url ? e->pac_url : "");

  switch (gn_os_proxy_entry_get_mode (e))
    {
    case GN_OS_PROXY_MODE_MANUAL: return g_variant_new_string ("manual");
    case GN_OS_PROXY_MODE_PAC:
    case GN_OS_PROXY_MODE_AUTO_DETECT: return g_variant_new_string ("auto");
    case GN_OS_PROXY_MODE_NONE:
    default: return g_variant_new_string ("none");
    }
}

/* Sets @value (a saved one: checked against the schema first). */
static gboolean
set_checked (GnOsProxyGnome *self, guint i, const char *key, GVariant *value, GError **error)
{
  g_autoptr(GSettingsSchema) schema = NULL;
  g_autoptr(GSettingsSchemaKey) skey = NULL;

  g_object_get (self->settings[i], "settings-schema", &schema, NULL);
  skey = g_settings_schema_get_key (schema, key);
  if (!g_variant_is_of_type (value, g_settings_schema_key_get_value_type (skey)) ||
      !g_settings_schema_key_range_check (skey, value) ||
      !g_settings_set_value (self->settings[i], key, value))
    {
      g_set_error (error, GN_ERROR, GN_ERROR_PLATFORM,
                   _("The saved proxy setting “%s%s%s” is not valid for this system, "
                     "so the proxy settings were not fully restored."),
                   prefix_of (i), i == ROOT ? "" : ".", key);
      return FALSE;
    }
  return TRUE;
}

gboolean
_gn_os_proxy_gnome_write_entry (GnOsProxy            *proxy,
                                const GnOsProxyEntry *e,
                                GError              **error)
{
  GnOsProxyGnome *self = GN_OS_PROXY_GNOME (proxy);

  if (e->raw != NULL)
    {
      if (!write_raw (self, e->raw, error))
        return FALSE;
    }
  else
    {
      for (guint k = 0; k < N_WRITTEN; k++)
        g_settings_set_value (self->settings[written_keys[k].schema], written_keys[k].key,
                              entry_key_value (e, k));
    }

  commit (self);
  return TRUE;
}

gboolean
_gn_os_proxy_gnome_restore_entry (GnOsProxy            *proxy,
                                  const GnOsProxyEntry *snapshot,
                                  const GnOsProxyEntry *ours,
                                  GnOsProxyKeysResult  *result,
                                  GStrv                *kept,
                                  GError              **error)
{
  GnOsProxyGnome *self = GN_OS_PROXY_GNOME (proxy);
  g_autoptr(GPtrArray) kept_keys = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(GPtrArray) names = g_ptr_array_new_with_free_func (g_free);
  GVariant *ours_v[N_WRITTEN], *current_v[N_WRITTEN], *snapshot_v[N_WRITTEN];
  GnOsProxyKeyAction actions[N_WRITTEN];
  gboolean ok = TRUE;

  g_return_val_if_fail (ours->raw == NULL, FALSE);

  for (guint k = 0; k < N_WRITTEN; k++)
    {
      GSettings *settings = self->settings[written_keys[k].schema];
      GVariant *user;

      g_ptr_array_add (names, raw_key (written_keys[k].schema, written_keys[k].key));
      ours_v[k] = g_variant_ref_sink (entry_key_value (ours, k));
      current_v[k] = g_settings_get_value (settings, written_keys[k].key);
      /* the user's value: as set (raw), or the default if never set */
      if (snapshot->raw == NULL)
        user = g_variant_ref_sink (entry_key_value (snapshot, k));
      else if ((user = lookup_raw (snapshot->raw, written_keys[k].schema, written_keys[k].key)) == NULL)
        user = g_settings_get_default_value (settings, written_keys[k].key);
      snapshot_v[k] = user;
    }

  *result = _gn_os_proxy_plan_keys ((const char * const *) names->pdata, ours_v, current_v,
                                    snapshot_v, N_WRITTEN, "mode", actions, kept_keys);

  /* written_keys[] ends with `mode`: servers first, as for any write */
  for (guint k = 0; ok && k < N_WRITTEN; k++)
    {
      GSettings *settings = self->settings[written_keys[k].schema];
      const char *key = written_keys[k].key;
      g_autoptr(GVariant) user = NULL;

      switch (actions[k])
        {
        case GN_OS_PROXY_KEY_RESTORE:
          if (snapshot->raw == NULL)
            g_settings_set_value (settings, key, snapshot_v[k]);
          else if ((user = lookup_raw (snapshot->raw, written_keys[k].schema, key)) != NULL)
            ok = set_checked (self, written_keys[k].schema, key, user, error);
          else
            g_settings_reset (settings, key);
          break;
        case GN_OS_PROXY_KEY_CLEAR:
          g_settings_reset (settings, key);
          break;
        case GN_OS_PROXY_KEY_LEAVE:
        default:
          break;
        }
    }
  commit (self);

  for (guint k = 0; k < N_WRITTEN; k++)
    {
      g_variant_unref (ours_v[k]);
      g_variant_unref (current_v[k]);
      g_clear_pointer (&snapshot_v[k], g_variant_unref);
    }
  if (!ok)
    return FALSE;
  g_ptr_array_add (kept_keys, NULL);
  *kept = kept_keys->len > 1 ? (GStrv) g_ptr_array_free (g_steal_pointer (&kept_keys), FALSE) : NULL;
  return TRUE;
}

static gboolean
gn_os_proxy_gnome_restore (GnOsProxy            *proxy,
                           const GnOsProxyEntry *snapshot,
                           const GnOsProxyEntry *ours,
                           GnOsProxyKeysResult  *result,
                           GStrv                *kept,
                           GError              **error)
{
  return _gn_os_proxy_gnome_restore_entry (proxy, snapshot, ours, result, kept, error);
}

static const char *
gn_os_proxy_gnome_get_name (GnOsProxy *proxy)
{
  return "gnome";
}

static GnOsProxySettings *
gn_os_proxy_gnome_read (GnOsProxy *proxy, GError **error)
{
  GnOsProxySettings *settings = gn_os_proxy_settings_new ("gnome");

  gn_os_proxy_settings_take_entry (settings, _gn_os_proxy_gnome_read_entry (proxy, NULL));
  return settings;
}

static gboolean
gn_os_proxy_gnome_write (GnOsProxy *proxy, const GnOsProxySettings *settings, GError **error)
{
  const GnOsProxyEntry *e = gn_os_proxy_settings_lookup (settings, NULL);

  if (e == NULL)
    return TRUE;  /* nothing for this place */
  return _gn_os_proxy_gnome_write_entry (proxy, e, error);
}

static gboolean
emit_changed_idle (gpointer data)
{
  GnOsProxyGnome *self = data;

  self->changed_idle = 0;
  gn_os_proxy_emit_changed (GN_OS_PROXY (self));
  return G_SOURCE_REMOVE;
}

static void
on_settings_changed (GSettings *settings, const char *key, GnOsProxyGnome *self)
{
  if (self->changed_idle == 0)
    {
      GSource *source = g_idle_source_new ();

      g_source_set_callback (source, emit_changed_idle, self, NULL);
      g_source_set_name (source, "[guardnest] proxy settings changed");
      self->changed_idle = g_source_attach (source, self->context);
      g_source_unref (source);
    }
}

static void
gn_os_proxy_gnome_dispose (GObject *object)
{
  GnOsProxyGnome *self = GN_OS_PROXY_GNOME (object);

  if (self->changed_idle != 0)
    {
      GSource *source = g_main_context_find_source_by_id (self->context, self->changed_idle);

      if (source != NULL)
        g_source_destroy (source);
      self->changed_idle = 0;
    }
  for (guint i = 0; i < N_SCHEMAS; i++)
    {
      if (self->settings[i])
        g_signal_handlers_disconnect_by_data (self->settings[i], self);
      g_clear_object (&self->settings[i]);
    }
  G_OBJECT_CLASS (gn_os_proxy_gnome_parent_class)->dispose (object);
}

static void
gn_os_proxy_gnome_finalize (GObject *object)
{
  g_main_context_unref (GN_OS_PROXY_GNOME (object)->context);
  G_OBJECT_CLASS (gn_os_proxy_gnome_parent_class)->finalize (object);
}

static void
gn_os_proxy_gnome_class_init (GnOsProxyGnomeClass *klass)
{
  GnOsProxyClass *proxy_class = GN_OS_PROXY_CLASS (klass);

  G_OBJECT_CLASS (klass)->dispose = gn_os_proxy_gnome_dispose;
  G_OBJECT_CLASS (klass)->finalize = gn_os_proxy_gnome_finalize;
  proxy_class->get_name = gn_os_proxy_gnome_get_name;
  proxy_class->read = gn_os_proxy_gnome_read;
  proxy_class->install_repair_entry = _gn_os_proxy_xdg_install_repair;
  proxy_class->remove_repair_entry = _gn_os_proxy_xdg_remove_repair;
  proxy_class->write = gn_os_proxy_gnome_write;
  proxy_class->restore_entry = gn_os_proxy_gnome_restore;
}

static void
gn_os_proxy_gnome_init (GnOsProxyGnome *self)
{
  self->context = g_main_context_ref_thread_default ();
}

GnOsProxy *
_gn_os_proxy_gnome_new (GError **error)
{
  GSettingsSchemaSource *source = g_settings_schema_source_get_default ();
  g_autoptr(GSettingsSchema) schema = NULL;
  GnOsProxyGnome *self;

  if (source != NULL)
    schema = g_settings_schema_source_lookup (source, SCHEMA, TRUE);
  if (schema == NULL)
    {
      g_set_error (error, GN_ERROR, GN_ERROR_NOT_SUPPORTED,
                   _("The desktop’s proxy settings (%s, from the package "
                     "gsettings-desktop-schemas) are not installed."), SCHEMA);
      return NULL;
    }

  self = g_object_new (GN_TYPE_OS_PROXY_GNOME, NULL);
  for (guint i = 0; i < N_SCHEMAS; i++)
    {
      g_autofree char *id = i == ROOT ? g_strdup (SCHEMA)
                                      : g_strconcat (SCHEMA ".", children[i], NULL);

      self->settings[i] = g_settings_new (id);
      /* Writes are gathered and applied together (commit()): one change
       * for the backend and for every program watching, not one per key. */
      g_settings_delay (self->settings[i]);
      g_signal_connect (self->settings[i], "changed", G_CALLBACK (on_settings_changed), self);
    }
  return GN_OS_PROXY (self);
}
