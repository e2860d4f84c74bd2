/* gn-os-proxy-settings.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The OS proxy settings as a value (GnOsProxyEntry, GnOsProxySettings) and
 * its JSON form, which is what the journal keeps on disk. A journal written
 * by one version must be readable by the next, so the JSON is explicit and
 * versioned, and anything malformed is refused with GN_ERROR_INVALID_DATA
 * rather than half-read: a half-read snapshot restored to the OS would be
 * worse than none.
 *
 * Threading: values are immutable once built; any thread.
 */

#include <string.h>
#include <glib/gi18n.h>

#include "gn-os-proxy.h"
#include "gn-names.h"
#include "gn-os-proxy-private.h"

#define GN_SETTINGS_JSON_VERSION 1

struct _GnOsProxySettings
{
  gatomicrefcount  ref_count;
  char            *backend;  /* (owned) */
  GPtrArray       *entries;  /* (owned) (element-type GnOsProxyEntry) */
};

G_DEFINE_BOXED_TYPE (GnOsProxySettings, gn_os_proxy_settings,
                     gn_os_proxy_settings_ref, gn_os_proxy_settings_unref)

static const char * const default_bypass[] = {
  "localhost", "127.0.0.0/8", "::1",
  "10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16",
  NULL
};

const char * const *
gn_os_proxy_default_bypass (void)
{
  return default_bypass;
}

/* ----------------------------------------------------------------- entry */

GnOsProxyEntry *
gn_os_proxy_entry_new (const char *connection)
{
  GnOsProxyEntry *entry = g_new0 (GnOsProxyEntry, 1);

  entry->connection = g_strdup (connection);
  entry->bypass = g_new0 (char *, 1);
  return entry;
}

static void
server_copy (GnOsProxyServer *to, const GnOsProxyServer *from)
{
  to->host = g_strdup (from->host);
  to->port = from->port;
}

GnOsProxyEntry *
gn_os_proxy_entry_copy (const GnOsProxyEntry *entry)
{
  GnOsProxyEntry *copy;

  g_return_val_if_fail (entry != NULL, NULL);

  copy = g_new0 (GnOsProxyEntry, 1);
  copy->connection = g_strdup (entry->connection);
  copy->flags = entry->flags;
  server_copy (&copy->http, &entry->http);
  server_copy (&copy->https, &entry->https);
  server_copy (&copy->ftp, &entry->ftp);
  server_copy (&copy->socks, &entry->socks);
  copy->bypass = g_strdupv (entry->bypass);
  if (copy->bypass == NULL)
    copy->bypass = g_new0 (char *, 1);
  copy->pac_url = g_strdup (entry->pac_url);
  copy->raw = entry->raw ? g_variant_ref (entry->raw) : NULL;
  return copy;
}

void
gn_os_proxy_entry_free (GnOsProxyEntry *entry)
{
  if (entry == NULL)
    return;
  g_free (entry->connection);
  g_free (entry->http.host);
  g_free (entry->https.host);
  g_free (entry->ftp.host);
  g_free (entry->socks.host);
  g_strfreev (entry->bypass);
  g_free (entry->pac_url);
  g_clear_pointer (&entry->raw, g_variant_unref);
  g_free (entry);
}

GnOsProxyMode
gn_os_proxy_entry_get_mode (const GnOsProxyEntry *entry)
{
  g_return_val_if_fail (entry != NULL, GN_OS_PROXY_MODE_NONE);

  if (entry->flags & GN_OS_PROXY_PAC)
    return GN_OS_PROXY_MODE_PAC;
  if (entry->flags & GN_OS_PROXY_AUTO_DETECT)
    return GN_OS_PROXY_MODE_AUTO_DETECT;
  if (entry->flags & GN_OS_PROXY_MANUAL)
    return GN_OS_PROXY_MODE_MANUAL;
  return GN_OS_PROXY_MODE_NONE;
}

static gboolean
server_equal (const GnOsProxyServer *a, const GnOsProxyServer *b)
{
  const char *ha = a->host ? a->host : "";
  const char *hb = b->host ? b->host : "";

  return g_strcmp0 (ha, hb) == 0 && a->port == b->port;
}

static gboolean
strv_equal0 (char **a, char **b)
{
  static char *empty[] = { NULL };

  return g_strv_equal ((const char * const *) (a ? a : empty),
                       (const char * const *) (b ? b : empty));
}

gboolean
gn_os_proxy_entry_equal (const GnOsProxyEntry *a,
                         const GnOsProxyEntry *b)
{
  g_return_val_if_fail (a != NULL && b != NULL, FALSE);

  if ((a->raw == NULL) != (b->raw == NULL))
    return FALSE;
  if (a->raw != NULL && !g_variant_equal (a->raw, b->raw))
    return FALSE;

  return g_strcmp0 (a->connection, b->connection) == 0 &&
         a->flags == b->flags &&
         server_equal (&a->http, &b->http) &&
         server_equal (&a->https, &b->https) &&
         server_equal (&a->ftp, &b->ftp) &&
         server_equal (&a->socks, &b->socks) &&
         strv_equal0 (a->bypass, b->bypass) &&
         g_strcmp0 (a->pac_url ? a->pac_url : "", b->pac_url ? b->pac_url : "") == 0;
}

static gboolean
server_is (const GnOsProxyServer *server, const char *host, guint16 port)
{
  return server->host != NULL && server->port == port &&
         g_ascii_strcasecmp (server->host, host) == 0;
}

gboolean
gn_os_proxy_entry_points_at (const GnOsProxyEntry *entry,
                             const char           *host,
                             guint16               port)
{
  g_return_val_if_fail (entry != NULL, FALSE);
  g_return_val_if_fail (host != NULL, FALSE);

  if ((entry->flags & GN_OS_PROXY_PAC) && entry->pac_url != NULL)
    {
      g_autofree char *ours = gn_os_proxy_pac_url (host, port);

      if (g_ascii_strcasecmp (entry->pac_url, ours) == 0)
        return TRUE;
    }
  if (!(entry->flags & GN_OS_PROXY_MANUAL))
    return FALSE;
  return server_is (&entry->http, host, port) || server_is (&entry->https, host, port);
}

gboolean
gn_os_proxy_entry_get_credentials (const GnOsProxyEntry  *entry,
                                   char                 **user,
                                   char                 **password)
{
  gboolean use = FALSE;
  const char *name = NULL;
  const char *secret = NULL;

  g_return_val_if_fail (entry != NULL, FALSE);
  g_return_val_if_fail (user != NULL && password != NULL, FALSE);

  *user = *password = NULL;
  if (entry->raw == NULL ||
      !g_variant_lookup (entry->raw, "http.use-authentication", "b", &use) || !use ||
      !g_variant_lookup (entry->raw, "http.authentication-user", "&s", &name) || *name == '\0')
    return FALSE;
  if (!g_variant_lookup (entry->raw, "http.authentication-password", "&s", &secret))
    secret = "";
  *user = g_strdup (name);
  *password = g_strdup (secret);
  return TRUE;
}

char *
gn_os_proxy_pac_url (const char *host,
                     guint16     port)
{
  g_return_val_if_fail (host != NULL, NULL);

  if (strchr (host, ':') != NULL)
    return g_strdup_printf ("http://[%s]:%u" GN_PAC_PATH, host, port);
  return g_strdup_printf ("http://%s:%u" GN_PAC_PATH, host, port);
}

char *
gn_os_proxy_entry_describe (const GnOsProxyEntry *entry)
{
  g_autofree char *where = NULL;
  const char *what;

  g_return_val_if_fail (entry != NULL, NULL);

  where = entry->connection ? g_strdup_printf (" (%s)", entry->connection) : g_strdup ("");

  switch (gn_os_proxy_entry_get_mode (entry))
    {
    case GN_OS_PROXY_MODE_PAC:
      return g_strdup_printf (_("Automatic configuration from %s%s"),
                              entry->pac_url ? entry->pac_url : _("(no address)"), where);
    case GN_OS_PROXY_MODE_AUTO_DETECT:
      return g_strdup_printf (_("Automatic proxy detection%s"), where);
    case GN_OS_PROXY_MODE_MANUAL:
      {
        const GnOsProxyServer *s = entry->http.host && *entry->http.host ? &entry->http : &entry->https;
        return g_strdup_printf (_("Manual proxy %s:%u%s"),
                                s->host ? s->host : _("(no server)"), s->port, where);
      }
    case GN_OS_PROXY_MODE_NONE:
    default:
      what = _("No proxy");
      return g_strdup_printf ("%s%s", what, where);
    }
}

/* -------------------------------------------------------------- settings */

GnOsProxySettings *
gn_os_proxy_settings_new (const char *backend)
{
  GnOsProxySettings *self = g_new0 (GnOsProxySettings, 1);

  g_return_val_if_fail (backend != NULL, NULL);

  g_atomic_ref_count_init (&self->ref_count);
  self->backend = g_strdup (backend);
  self->entries = g_ptr_array_new_with_free_func ((GDestroyNotify) gn_os_proxy_entry_free);
  return self;
}

GnOsProxySettings *
gn_os_proxy_settings_ref (GnOsProxySettings *self)
{
  g_return_val_if_fail (self != NULL, NULL);
  g_atomic_ref_count_inc (&self->ref_count);
  return self;
}

void
gn_os_proxy_settings_unref (GnOsProxySettings *self)
{
  g_return_if_fail (self != NULL);

  if (g_atomic_ref_count_dec (&self->ref_count))
    {
      g_free (self->backend);
      g_ptr_array_unref (self->entries);
      g_free (self);
    }
}

const char *
gn_os_proxy_settings_get_backend (const GnOsProxySettings *self)
{
  g_return_val_if_fail (self != NULL, NULL);
  return self->backend;
}

void
gn_os_proxy_settings_take_entry (GnOsProxySettings *self,
                                 GnOsProxyEntry    *entry)
{
  g_return_if_fail (self != NULL);
  g_return_if_fail (entry != NULL);

  if (entry->raw != NULL && g_variant_is_floating (entry->raw))
    g_variant_ref_sink (entry->raw);
  g_ptr_array_add (self->entries, entry);
}

guint
gn_os_proxy_settings_get_n_entries (const GnOsProxySettings *self)
{
  g_return_val_if_fail (self != NULL, 0);
  return self->entries->len;
}

const GnOsProxyEntry *
gn_os_proxy_settings_get_entry (const GnOsProxySettings *self,
                                guint                    index)
{
  g_return_val_if_fail (self != NULL, NULL);
  g_return_val_if_fail (index < self->entries->len, NULL);
  return g_ptr_array_index (self->entries, index);
}

const GnOsProxyEntry *
gn_os_proxy_settings_lookup (const GnOsProxySettings *self,
                             const char              *connection)
{
  g_return_val_if_fail (self != NULL, NULL);

  for (guint i = 0; i < self->entries->len; i++)
    {
      const GnOsProxyEntry *entry = g_ptr_array_index (self->entries, i);

      if (g_strcmp0 (entry->connection, connection) == 0)
        return entry;
    }
  return NULL;
}

gboolean
gn_os_proxy_settings_equal (const GnOsProxySettings *a,
                            const GnOsProxySettings *b)
{
  g_return_val_if_fail (a != NULL && b != NULL, FALSE);

  if (a->entries->len != b->entries->len)
    return FALSE;
  for (guint i = 0; i < a->entries->len; i++)
    {
      const GnOsProxyEntry *ea = g_ptr_array_index (a->entries, i);
      const GnOsProxyEntry *eb = gn_os_proxy_settings_lookup (b, ea->connection);

      if (eb == NULL || !gn_os_proxy_entry_equal (ea, eb))
        return FALSE;
    }
  return TRUE;
}

gboolean
gn_os_proxy_settings_points_at (const GnOsProxySettings *self,
                                const char              *host,
                                guint16                  port)
{
  g_return_val_if_fail (self != NULL, FALSE);

  for (guint i = 0; i < self->entries->len; i++)
    if (gn_os_proxy_entry_points_at (g_ptr_array_index (self->entries, i), host, port))
      return TRUE;
  return FALSE;
}

char *
gn_os_proxy_settings_describe (const GnOsProxySettings *self)
{
  GString *str = g_string_new (NULL);

  g_return_val_if_fail (self != NULL, NULL);

  for (guint i = 0; i < self->entries->len; i++)
    {
      g_autofree char *one = gn_os_proxy_entry_describe (g_ptr_array_index (self->entries, i));

      if (i > 0)
        g_string_append (str, "; ");
      g_string_append (str, one);
    }
  if (self->entries->len == 0)
    g_string_append (str, _("No proxy settings"));
  return g_string_free (str, FALSE);
}

/* ------------------------------------------------------------------ JSON */

static void
add_server (JsonBuilder *b, const char *name, const GnOsProxyServer *server)
{
  json_builder_set_member_name (b, name);
  json_builder_begin_object (b);
  json_builder_set_member_name (b, "host");
  json_builder_add_string_value (b, server->host ? server->host : "");
  json_builder_set_member_name (b, "port");
  json_builder_add_int_value (b, server->port);
  json_builder_end_object (b);
}

JsonNode *
gn_os_proxy_settings_to_json (const GnOsProxySettings *self)
{
  g_autoptr(JsonBuilder) b = json_builder_new ();

  g_return_val_if_fail (self != NULL, NULL);

  json_builder_begin_object (b);
  json_builder_set_member_name (b, "version");
  json_builder_add_int_value (b, GN_SETTINGS_JSON_VERSION);
  json_builder_set_member_name (b, "backend");
  json_builder_add_string_value (b, self->backend);
  json_builder_set_member_name (b, "entries");
  json_builder_begin_array (b);
  for (guint i = 0; i < self->entries->len; i++)
    {
      const GnOsProxyEntry *e = g_ptr_array_index (self->entries, i);

      json_builder_begin_object (b);
      json_builder_set_member_name (b, "connection");
      if (e->connection)
        json_builder_add_string_value (b, e->connection);
      else
        json_builder_add_null_value (b);
      json_builder_set_member_name (b, "flags");
      json_builder_add_int_value (b, e->flags);
      add_server (b, "http", &e->http);
      add_server (b, "https", &e->https);
      add_server (b, "ftp", &e->ftp);
      add_server (b, "socks", &e->socks);
      json_builder_set_member_name (b, "bypass");
      json_builder_begin_array (b);
      for (guint j = 0; e->bypass && e->bypass[j]; j++)
        json_builder_add_string_value (b, e->bypass[j]);
      json_builder_end_array (b);
      json_builder_set_member_name (b, "pac_url");
      json_builder_add_string_value (b, e->pac_url ? e->pac_url : "");
      if (e->raw)
        {
          json_builder_set_member_name (b, "raw");
          g_autofree char *text = g_variant_print (e->raw, TRUE);

          /* GVariant text keeps exact types (int32 vs int64), JSON would not. */
          json_builder_add_string_value (b, text);
        }
      json_builder_end_object (b);
    }
  json_builder_end_array (b);
  json_builder_end_object (b);

  return json_builder_get_root (b);
}

static gboolean
invalid (GError **error, const char *what)
{
  g_set_error (error, GN_ERROR, GN_ERROR_INVALID_DATA,
               _("The saved proxy settings are damaged (%s), so they were not used."), what);
  return FALSE;
}

static gboolean
read_string (JsonObject *obj, const char *member, gboolean nullable, char **out, GError **error)
{
  JsonNode *node = json_object_get_member (obj, member);

  if (node == NULL)
    return invalid (error, member);
  if (JSON_NODE_HOLDS_NULL (node) && nullable)
    {
      *out = NULL;
      return TRUE;
    }
  if (!JSON_NODE_HOLDS_VALUE (node) || json_node_get_value_type (node) != G_TYPE_STRING)
    return invalid (error, member);
  *out = g_strdup (json_node_get_string (node));
  return TRUE;
}

static gboolean
read_int (JsonObject *obj, const char *member, gint64 min, gint64 max, gint64 *out, GError **error)
{
  JsonNode *node = json_object_get_member (obj, member);

  if (node == NULL || !JSON_NODE_HOLDS_VALUE (node) ||
      json_node_get_value_type (node) != G_TYPE_INT64)
    return invalid (error, member);
  *out = json_node_get_int (node);
  if (*out < min || *out > max)
    return invalid (error, member);
  return TRUE;
}

static gboolean
read_server (JsonObject *obj, const char *member, GnOsProxyServer *server, GError **error)
{
  JsonNode *node = json_object_get_member (obj, member);
  JsonObject *sobj;
  gint64 port;

  if (node == NULL || !JSON_NODE_HOLDS_OBJECT (node))
    return invalid (error, member);
  sobj = json_node_get_object (node);
  if (!read_string (sobj, "host", FALSE, &server->host, error) ||
      !read_int (sobj, "port", 0, G_MAXUINT16, &port, error))
    return FALSE;
  server->port = (guint16) port;
  return TRUE;
}

static GnOsProxyEntry *
entry_from_json (JsonNode *node, GError **error)
{
  g_autoptr(GnOsProxyEntry) e = gn_os_proxy_entry_new (NULL);
  g_autofree char *pac = NULL;
  JsonObject *obj;
  JsonNode *bypass, *raw;
  JsonArray *arr;
  gint64 flags;
  guint n;

  if (!JSON_NODE_HOLDS_OBJECT (node))
    return invalid (error, "entry"), NULL;
  obj = json_node_get_object (node);

  if (!read_string (obj, "connection", TRUE, &e->connection, error) ||
      !read_int (obj, "flags", 0, GN_OS_PROXY_MANUAL | GN_OS_PROXY_PAC | GN_OS_PROXY_AUTO_DETECT,
                 &flags, error) ||
      !read_server (obj, "http", &e->http, error) ||
      !read_server (obj, "https", &e->https, error) ||
      !read_server (obj, "ftp", &e->ftp, error) ||
      !read_server (obj, "socks", &e->socks, error) ||
      !read_string (obj, "pac_url", FALSE, &pac, error))
    return NULL;
  e->flags = (GnOsProxyFlags) flags;
  e->pac_url = *pac ? g_steal_pointer (&pac) : NULL;

  bypass = json_object_get_member (obj, "bypass");
  if (bypass == NULL || !JSON_NODE_HOLDS_ARRAY (bypass))
    return invalid (error, "bypass"), NULL;
  arr = json_node_get_array (bypass);
  n = json_array_get_length (arr);
  g_strfreev (e->bypass);
  e->bypass = g_new0 (char *, n + 1);
  for (guint i = 0; i < n; i++)
    {
      JsonNode *item = json_array_get_element (arr, i);

      if (!JSON_NODE_HOLDS_VALUE (item) || json_node_get_value_type (item) != G_TYPE_STRING)
        return invalid (error, "bypass"), NULL;
      e->bypass[i] = g_strdup (json_node_get_string (item));
    }

  raw = json_object_get_member (obj, "raw");
  if (raw != NULL)
    {
      if (!JSON_NODE_HOLDS_VALUE (raw) || json_node_get_value_type (raw) != G_TYPE_STRING)
        return invalid (error, "raw"), NULL;
      e->raw = g_variant_parse (G_VARIANT_TYPE_VARDICT, json_node_get_string (raw),
                                NULL, NULL, NULL);
      if (e->raw == NULL)
        return invalid (error, "raw"), NULL;
      /* g_variant_parse() already returns a non-floating reference. */
    }

  return g_steal_pointer (&e);
}

GnOsProxySettings *
gn_os_proxy_settings_new_from_json (JsonNode  *node,
                                    GError   **error)
{
  g_autoptr(GnOsProxySettings) self = NULL;
  g_autofree char *backend = NULL;
  JsonObject *obj;
  JsonNode *entries;
  JsonArray *arr;
  gint64 version;

  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  if (node == NULL || !JSON_NODE_HOLDS_OBJECT (node))
    return invalid (error, "not an object"), NULL;
  obj = json_node_get_object (node);
  if (!read_int (obj, "version", GN_SETTINGS_JSON_VERSION, GN_SETTINGS_JSON_VERSION, &version, error) ||
      !read_string (obj, "backend", FALSE, &backend, error))
    return NULL;
  if (*backend == '\0')
    return invalid (error, "backend"), NULL;

  entries = json_object_get_member (obj, "entries");
  if (entries == NULL || !JSON_NODE_HOLDS_ARRAY (entries))
    return invalid (error, "entries"), NULL;
  arr = json_node_get_array (entries);

  self = gn_os_proxy_settings_new (backend);
  for (guint i = 0; i < json_array_get_length (arr); i++)
    {
      GnOsProxyEntry *e = entry_from_json (json_array_get_element (arr, i), error);

      if (e == NULL)
        return NULL;
      gn_os_proxy_settings_take_entry (self, e);
    }
  return g_steal_pointer (&self);
}

/* ------------------------------------------------------ per-key restore */

static gboolean
value_equal0 (GVariant *a,
              GVariant *b)
{
  if (a == NULL || b == NULL)
    return a == b;
  return g_variant_equal (a, b);
}

GnOsProxyKeysResult
_gn_os_proxy_plan_keys (const char * const *names,
                        GVariant * const   *ours,
                        GVariant * const   *current,
                        GVariant * const   *snapshot,
                        guint               n_keys,
                        const char         *mode_key,
                        GnOsProxyKeyAction *actions,
                        GPtrArray          *kept)
{
  GnOsProxyKeysResult result = GN_OS_PROXY_KEYS_NOTHING;
  gboolean taken_over = FALSE;

  /* Another program took over when it set the mode to anything but the
   * user's own mode. */
  for (guint k = 0; k < n_keys; k++)
    if (g_str_equal (names[k], mode_key) &&
        !value_equal0 (current[k], ours[k]) && !value_equal0 (current[k], snapshot[k]))
      taken_over = TRUE;

  for (guint k = 0; k < n_keys; k++)
    {
      g_assert (ours[k] != NULL);

      if (!value_equal0 (current[k], ours[k]))
        {
          actions[k] = GN_OS_PROXY_KEY_LEAVE;
          /* set back to the user's own value by someone: nothing was lost */
          if (!value_equal0 (current[k], snapshot[k]))
            {
              result |= GN_OS_PROXY_KEYS_KEPT;
              if (kept != NULL)
                g_ptr_array_add (kept, g_strdup (names[k]));
            }
          continue;
        }

      if (value_equal0 (ours[k], snapshot[k]))
        {
          /* ours was the user's value too: putting it back loses nothing */
          actions[k] = GN_OS_PROXY_KEY_RESTORE;
        }
      else if (taken_over)
        {
          actions[k] = GN_OS_PROXY_KEY_CLEAR;
          result |= GN_OS_PROXY_KEYS_TAKEN_OVER;
        }
      else
        {
          actions[k] = GN_OS_PROXY_KEY_RESTORE;
          result |= GN_OS_PROXY_KEYS_RESTORED;
        }
    }

  if (taken_over)
    result |= GN_OS_PROXY_KEYS_TAKEN_OVER;
  return result;
}
