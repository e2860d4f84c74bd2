/* gn-settings-store.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Persists the engine's settings and the protection switch in a key file,
 * because an app that was protecting the user must come back protecting
 * after a restart, a crash or a reboot, with the same port and limits. It is
 * engine-side (GLib only, no GTK) so the headless mode uses it too; the
 * window keeps its own look-and-feel settings in GSettings.
 *
 * Robustness: the file is written with g_file_set_contents_full(), which
 * writes a temporary file and renames it over the old one, so a reader (or a
 * crash) never sees half a file. A file that cannot be used is never
 * overwritten silently: it is copied to `<path>.bad` and the caller gets an
 * error that names the problem and where the copy is.
 *
 * What the file may not decide: listening beyond this computer. The file is
 * writable by anything running as the user, so a non-loopback bind-address
 * is reset to 127.0.0.1 and an `allow-non-loopback` key is ignored (and
 * dropped at the next save), each with a message; only `guardnest
 * --headless --listen ADDRESS --allow-remote` opens the proxy to others.
 * `upstream-host` must be a bare host name or IP literal, because it ends up
 * in a URI and in the requests we send upstream: no CR/LF, spaces,
 * userinfo, scheme, path or port.
 *
 * Threading: one thread (see the header).
 */

#include <errno.h>
#include <string.h>

#include <glib/gstdio.h>
#include <gio/gio.h>
#include <glib/gi18n.h>

#include "gn-domain.h"
#include "gn-error.h"
#include "gn-file.h"
#include "gn-history-store.h"
#include "gn-settings-store.h"

#define ENGINE_GROUP   "engine"
#define STATE_GROUP    "state"
#define HISTORY_GROUP  "history"
#define RETENTION_KEY  "retention-days"
#define MAX_FILE_BYTES (64 * 1024)
/* A key older versions saved; never read any more (see the top). */
#define ALLOW_NON_LOOPBACK_KEY "allow-non-loopback"

struct _GnSettingsStore
{
  GObject         parent_instance;

  char           *path;        /* (owned) */
  GKeyFile       *key_file;    /* (owned) what was read, to keep unknown keys */
  GnEngineConfig *config;      /* (owned) */
  gboolean        protection;
  guint           history_days;
};

G_DEFINE_FINAL_TYPE (GnSettingsStore, gn_settings_store, G_TYPE_OBJECT)

typedef enum { KEY_UINT, KEY_UINT16, KEY_BOOL, KEY_STRING, KEY_HOST } KeyType;

/* Every engine setting: its key, where it lives in GnEngineConfig, and the
 * range a user may give it. */
static const struct
{
  const char *key;
  KeyType     type;
  gsize       offset;
  guint64     min;
  guint64     max;
} engine_keys[] = {
  { "bind-address",       KEY_STRING, G_STRUCT_OFFSET (GnEngineConfig, bind_address), 0, 0 },
  { "port",               KEY_UINT16, G_STRUCT_OFFSET (GnEngineConfig, port), 0, 65535 },
  { "connect-timeout-ms", KEY_UINT,   G_STRUCT_OFFSET (GnEngineConfig, connect_timeout_ms), 100, 10 * 60 * 1000 },
  { "idle-timeout-s",     KEY_UINT,   G_STRUCT_OFFSET (GnEngineConfig, idle_timeout_s), 1, 24 * 60 * 60 },
  { "header-timeout-ms",  KEY_UINT,   G_STRUCT_OFFSET (GnEngineConfig, header_timeout_ms), 100, 10 * 60 * 1000 },
  { "drain-timeout-ms",   KEY_UINT,   G_STRUCT_OFFSET (GnEngineConfig, drain_timeout_ms), 0, 10 * 60 * 1000 },
  { "max-connections",    KEY_UINT,   G_STRUCT_OFFSET (GnEngineConfig, max_connections), 1, 1000000 },
  { "max-head-bytes",     KEY_UINT,   G_STRUCT_OFFSET (GnEngineConfig, max_head_bytes), 256, 16 * 1024 * 1024 },
  { "max-headers",        KEY_UINT,   G_STRUCT_OFFSET (GnEngineConfig, max_headers), 1, 10000 },
  { "linger-ms",          KEY_UINT,   G_STRUCT_OFFSET (GnEngineConfig, linger_ms), 0, 24 * 60 * 60 * 1000 },
  { "workers",            KEY_UINT,   G_STRUCT_OFFSET (GnEngineConfig, n_workers), 0, GN_ENGINE_MAX_WORKERS },
  { "upstream-host",      KEY_HOST,   G_STRUCT_OFFSET (GnEngineConfig, upstream_host), 0, 0 },
  { "upstream-port",      KEY_UINT16, G_STRUCT_OFFSET (GnEngineConfig, upstream_port), 0, 65535 },
  { "metrics",            KEY_BOOL,   G_STRUCT_OFFSET (GnEngineConfig, metrics), 0, 0 },
};

static void
gn_settings_store_finalize (GObject *object)
{
  GnSettingsStore *self = GN_SETTINGS_STORE (object);

  g_free (self->path);
  g_clear_pointer (&self->key_file, g_key_file_unref);
  g_clear_pointer (&self->config, gn_engine_config_unref);

  G_OBJECT_CLASS (gn_settings_store_parent_class)->finalize (object);
}

static void
gn_settings_store_class_init (GnSettingsStoreClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = gn_settings_store_finalize;
}

static void
gn_settings_store_init (GnSettingsStore *self)
{
  self->config = gn_engine_config_new ();
  self->history_days = GN_HISTORY_DEFAULT_RETENTION;
}

GnSettingsStore *
gn_settings_store_new (const char *path)
{
  GnSettingsStore *self = g_object_new (GN_TYPE_SETTINGS_STORE, NULL);

  self->path = path != NULL ? g_strdup (path)
                            : g_build_filename (g_get_user_config_dir (), "guardnest",
                                                "settings.ini", NULL);
  return self;
}

const char *
gn_settings_store_get_path (GnSettingsStore *self)
{
  g_return_val_if_fail (GN_IS_SETTINGS_STORE (self), NULL);
  return self->path;
}

/* Copies the file the user had to <path>.bad; returns the copy's path or
 * NULL (with the reason appended to @problems). */
static char *
keep_bad_copy (GnSettingsStore *self,
               GString         *problems)
{
  g_autofree char *bad_path = g_strconcat (self->path, ".bad", NULL);
  g_autoptr(GFile) source = g_file_new_for_path (self->path);
  g_autoptr(GFile) dest = g_file_new_for_path (bad_path);
  g_autoptr(GError) error = NULL;

  if (!g_file_copy (source, dest, G_FILE_COPY_OVERWRITE, NULL, NULL, NULL, &error))
    {
      g_string_append_c (problems, ' ');
      g_string_append_printf (problems, _("Keeping a copy in %s failed too: %s."),
                              bad_path, error->message);
      return NULL;
    }
  return g_steal_pointer (&bad_path);
}

/* @value as it may appear in a message: control characters escaped (a
 * CR/LF must not start a new line in a log), at most 80 characters. */
static char *
printable_value (const char *value)
{
  g_autofree char *escaped = g_strescape (value, NULL);

  if (g_utf8_strlen (escaped, -1) <= 80)
    return g_steal_pointer (&escaped);
  *g_utf8_offset_to_pointer (escaped, 80) = '\0';
  return g_strconcat (escaped, "…", NULL);
}

/* @problems made fit for one line of a log or a dialog, whatever the file
 * held: valid UTF-8 (GKeyFile quotes a damaged line as it is) with control
 * characters and line separators turned into spaces. */
static void
make_one_line (GString *problems)
{
  g_autofree char *valid = g_utf8_make_valid (problems->str, (gssize) problems->len);

  g_string_truncate (problems, 0);
  for (const char *p = valid; *p != '\0'; p = g_utf8_next_char (p))
    {
      gunichar c = g_utf8_get_char (p);

      if (g_unichar_iscntrl (c) || c == 0x2028 || c == 0x2029)
        g_string_append_c (problems, ' ');
      else
        g_string_append_len (problems, p, g_utf8_next_char (p) - p);
    }
}

/* Whether @value is a bare host name (ASCII or internationalised) or an IP
 * literal, and nothing else: no control characters or spaces, no
 * "user@", "http://", "/path" or ":port". An IPv6 literal is written
 * without brackets, as gn_engine_config_dup_upstream_uri() adds them. */
static gboolean
is_bare_host (const char *value)
{
  char normalized[GN_DOMAIN_MAX + 1];
  gsize normalized_len;

  for (const char *p = value; *p != '\0'; p++)
    if ((guchar) *p <= ' ' || *p == 0x7f)
      return FALSE;

  if (strchr (value, ':') != NULL)
    {
      g_autoptr(GInetAddress) address = NULL;

      /* An IPv6 address; a zone id ("%eth0") never names a proxy elsewhere. */
      if (strchr (value, '%') != NULL)
        return FALSE;
      address = g_inet_address_new_from_string (value);
      return address != NULL && g_inet_address_get_family (address) == G_SOCKET_FAMILY_IPV6;
    }

  switch (gn_domain_normalize (value, strlen (value), normalized, &normalized_len))
    {
    case GN_NAME_IP:
      return TRUE;
    case GN_NAME_DOMAIN:
    case GN_NAME_SINGLE_LABEL:
      /* RFC 952/1123: a label neither starts nor ends with a hyphen. */
      for (const char *label = normalized; label != NULL; )
        {
          const char *dot = strchr (label, '.');
          gsize label_len = dot != NULL ? (gsize) (dot - label) : strlen (label);

          if (label_len == 0 || label[0] == '-' || label[label_len - 1] == '-')
            return FALSE;
          label = dot != NULL ? dot + 1 : NULL;
        }
      return TRUE;
    case GN_NAME_INVALID:
    default:
      return FALSE;
    }
}

/* Removes every copy of @key from @group. g_key_file_remove_key() is not
 * enough: a key given twice in a group ("[engine]" twice, say) is kept
 * twice, and only the copy that lookups see is removed, so the other one
 * would be saved again. The group is rebuilt from what lookups see (the
 * last value of every other key, with its comment) at the end of the
 * file; comments above the group stay where they were. */
static void
remove_key_everywhere (GKeyFile   *key_file,
                       const char *group,
                       const char *key)
{
  g_auto(GStrv) keys = g_key_file_get_keys (key_file, group, NULL, NULL);
  g_autoptr(GHashTable) seen = g_hash_table_new (g_str_hash, g_str_equal);
  g_autoptr(GPtrArray) kept = g_ptr_array_new_with_free_func (g_free);   /* key, value, comment */

  for (guint i = 0; keys != NULL && keys[i] != NULL; i++)
    {
      if (g_str_equal (keys[i], key) || !g_hash_table_add (seen, keys[i]))
        continue;
      g_ptr_array_add (kept, g_strdup (keys[i]));
      g_ptr_array_add (kept, g_key_file_get_value (key_file, group, keys[i], NULL));
      g_ptr_array_add (kept, g_key_file_get_comment (key_file, group, keys[i], NULL));
    }

  g_key_file_remove_group (key_file, group, NULL);
  for (guint i = 0; i + 2 < kept->len; i += 3)
    {
      const char *name = g_ptr_array_index (kept, i);
      const char *value = g_ptr_array_index (kept, i + 1);
      const char *comment = g_ptr_array_index (kept, i + 2);

      if (value == NULL)
        continue;
      g_key_file_set_value (key_file, group, name, value);
      if (comment != NULL)
        g_key_file_set_comment (key_file, group, name, comment, NULL);
    }
}

/* The file may not open the proxy to other computers (see the top): an
 * `allow-non-loopback` key is dropped from @key_file, so the next save does
 * not write it back, and reported unless it said false; a bind-address
 * that is not this computer's is replaced by the default. */
static void
keep_to_this_computer (GKeyFile       *key_file,
                       GnEngineConfig *config,
                       GString        *problems)
{
  g_autoptr(GInetAddress) address = NULL;

  if (g_key_file_has_key (key_file, ENGINE_GROUP, ALLOW_NON_LOOPBACK_KEY, NULL))
    {
      g_autoptr(GError) error = NULL;
      gboolean allow = g_key_file_get_boolean (key_file, ENGINE_GROUP, ALLOW_NON_LOOPBACK_KEY,
                                               &error);

      /* "false" is what every earlier version saved: nothing to say. */
      if (allow || error != NULL)
        {
          g_string_append_c (problems, ' ');
          g_string_append_printf (problems, _("%s: ignored. Whether other computers may use the "
                                              "proxy is never read from the settings file; start "
                                              "“guardnest --headless --listen ADDRESS "
                                              "--allow-remote” for that."),
                                  ALLOW_NON_LOOPBACK_KEY);
        }
      remove_key_everywhere (key_file, ENGINE_GROUP, ALLOW_NON_LOOPBACK_KEY);
    }

  config->allow_non_loopback = FALSE;
  address = g_inet_address_new_from_string (config->bind_address ? config->bind_address : "");
  if (address != NULL && !g_inet_address_get_is_loopback (address))
    {
      g_autoptr(GnEngineConfig) defaults = gn_engine_config_new ();

      g_string_append_c (problems, ' ');
      g_string_append_printf (problems, _("bind-address: %s can be reached from other computers; "
                                          "the settings file may only choose an address of this "
                                          "computer, so %s is used. To let other computers use "
                                          "the proxy, start “guardnest --headless --listen %s "
                                          "--allow-remote”."),
                              config->bind_address, defaults->bind_address, config->bind_address);
      g_free (config->bind_address);
      config->bind_address = g_strdup (defaults->bind_address);
    }
}

/* Reads one key into @config; returns FALSE with a description in
 * @problems when the value is present but unusable. */
static gboolean
read_key (GKeyFile       *key_file,
          guint           i,
          GnEngineConfig *config,
          GString        *problems)
{
  const char *key = engine_keys[i].key;
  gpointer field = G_STRUCT_MEMBER_P (config, engine_keys[i].offset);
  g_autofree char *raw = g_key_file_get_value (key_file, ENGINE_GROUP, key, NULL);
  g_autoptr(GError) error = NULL;
  guint64 number;

  if (raw == NULL)
    return TRUE;    /* missing: keep the default */

  switch (engine_keys[i].type)
    {
    case KEY_STRING:
      {
        g_autofree char *value = g_key_file_get_string (key_file, ENGINE_GROUP, key, &error);

        if (value == NULL)
          break;
        g_strstrip (value);
        g_free (*(char **) field);
        *(char **) field = value[0] != '\0' ? g_steal_pointer (&value) : NULL;
        return TRUE;
      }

    case KEY_HOST:
      {
        g_autofree char *value = g_key_file_get_string (key_file, ENGINE_GROUP, key, &error);
        g_autofree char *shown = NULL;
        gsize len;

        if (value == NULL)
          break;
        /* Surrounding blanks are a typing slip; blanks inside (or a CR/LF
         * from an escape such as \r\n) are refused below. */
        len = strspn (value, " \t");
        memmove (value, value + len, strlen (value + len) + 1);
        len = strlen (value);
        while (len > 0 && (value[len - 1] == ' ' || value[len - 1] == '\t'))
          value[--len] = '\0';
        /* "[2001:db8::1]", as in a URL: the address inside. */
        if (len > 2 && value[0] == '[' && value[len - 1] == ']')
          {
            memmove (value, value + 1, len - 2);
            value[len - 2] = '\0';
          }
        if (value[0] == '\0')
          {
            g_clear_pointer ((char **) field, g_free);
            return TRUE;
          }
        if (is_bare_host (value))
          {
            g_free (*(char **) field);
            *(char **) field = g_steal_pointer (&value);
            return TRUE;
          }
        shown = printable_value (value);
        g_string_append_c (problems, ' ');
        g_string_append_printf (problems, _("%s: “%s” is not a host name or IP address; write "
                                            "only the name (such as proxy.example.com) and put "
                                            "the port in upstream-port. No upstream proxy is "
                                            "used."), key, shown);
        g_clear_pointer ((char **) field, g_free);
        return FALSE;
      }

    case KEY_BOOL:
      {
        gboolean value = g_key_file_get_boolean (key_file, ENGINE_GROUP, key, &error);

        if (error != NULL)
          break;
        *(gboolean *) field = value;
        return TRUE;
      }

    case KEY_UINT:
    case KEY_UINT16:
      g_strstrip (raw);
      if (!g_ascii_string_to_unsigned (raw, 10, engine_keys[i].min, engine_keys[i].max,
                                       &number, NULL))
        {
          g_autofree char *shown = printable_value (raw);

          g_string_append_c (problems, ' ');
          g_string_append_printf (problems, _("%s: “%s” is not a whole number from %llu to %llu."),
                                  key, shown, (unsigned long long) engine_keys[i].min,
                                  (unsigned long long) engine_keys[i].max);
          return FALSE;
        }
      if (engine_keys[i].type == KEY_UINT16)
        *(guint16 *) field = (guint16) number;
      else
        *(guint *) field = (guint) number;
      return TRUE;

    default:
      g_assert_not_reached ();
    }

  {
    g_autofree char *shown = printable_value (raw);

    g_string_append_c (problems, ' ');
    g_string_append_printf (problems, _("%s: “%s” is not valid."), key, shown);
  }
  return FALSE;
}

gboolean
gn_settings_store_load (GnSettingsStore  *self,
                        GError          **error)
{
  g_autoptr(GKeyFile) key_file = g_key_file_new ();
  g_autoptr(GnEngineConfig) config = gn_engine_config_new ();
  g_autoptr(GError) local_error = NULL;
  g_autoptr(GString) problems = g_string_new (NULL);
  g_autofree char *contents = NULL;
  g_autofree char *bad_path = NULL;
  gboolean protection = FALSE;
  guint history_days = GN_HISTORY_DEFAULT_RETENTION;
  GStatBuf st;
  gsize length;

  g_return_val_if_fail (GN_IS_SETTINGS_STORE (self), FALSE);

  /* Start from the defaults whatever happens below. */
  g_clear_pointer (&self->key_file, g_key_file_unref);
  g_clear_pointer (&self->config, gn_engine_config_unref);
  self->config = gn_engine_config_new ();
  self->protection = FALSE;
  self->history_days = GN_HISTORY_DEFAULT_RETENTION;

  if (g_stat (self->path, &st) != 0)
    {
      int saved_errno = errno;

      if (saved_errno == ENOENT)
        return TRUE;   /* first start */
      g_set_error (error, GN_ERROR, GN_ERROR_IO,
                   _("Could not read the settings file %s: %s. GuardNest started with "
                     "default settings."), self->path, g_strerror (saved_errno));
      return FALSE;
    }

  if (!S_ISREG (st.st_mode) || st.st_size > MAX_FILE_BYTES)
    {
      g_string_append_c (problems, ' ');
      g_string_append_printf (problems, _("It is not a settings file (more than %d KiB, "
                                          "or not a regular file)."), MAX_FILE_BYTES / 1024);
      goto damaged;
    }

  if (!g_file_get_contents (self->path, &contents, &length, &local_error))
    {
      g_set_error (error, GN_ERROR, GN_ERROR_IO,
                   _("Could not read the settings file %s: %s. GuardNest started with "
                     "default settings."), self->path, local_error->message);
      return FALSE;
    }

  if (!g_key_file_load_from_data (key_file, contents, length,
                                  G_KEY_FILE_KEEP_COMMENTS, &local_error))
    {
      g_string_append_printf (problems, " %s.", local_error->message);
      goto damaged;
    }

  for (guint i = 0; i < G_N_ELEMENTS (engine_keys); i++)
    read_key (key_file, i, config, problems);
  keep_to_this_computer (key_file, config, problems);

  if (g_key_file_has_key (key_file, STATE_GROUP, "protection", NULL))
    {
      protection = g_key_file_get_boolean (key_file, STATE_GROUP, "protection", &local_error);
      if (local_error != NULL)
        {
          g_autofree char *raw = g_key_file_get_value (key_file, STATE_GROUP, "protection", NULL);
          g_autofree char *shown = printable_value (raw);

          g_string_append_c (problems, ' ');
          g_string_append_printf (problems, _("protection: “%s” is not true or false."), shown);
          g_clear_error (&local_error);
          protection = FALSE;
        }
    }

  if (g_key_file_has_key (key_file, HISTORY_GROUP, RETENTION_KEY, NULL))
    {
      g_autofree char *raw = g_key_file_get_value (key_file, HISTORY_GROUP, RETENTION_KEY, NULL);
      guint64 days = 0;

      if (raw == NULL ||
          !g_ascii_string_to_unsigned (g_strstrip (raw), 10, 1, GN_HISTORY_MAX_RETENTION, &days, NULL))
        {
          g_autofree char *shown = printable_value (raw);

          g_string_append_c (problems, ' ');
          g_string_append_printf (problems, _("retention-days: “%s” is not a number of days "
                                              "from 1 to %d."), shown, GN_HISTORY_MAX_RETENTION);
        }
      else
        history_days = (guint) days;
    }

  if (config->upstream_host != NULL && config->upstream_port == 0)
    {
      g_string_append_c (problems, ' ');
      g_string_append_printf (problems, _("upstream-port: an upstream proxy (%s) needs a "
                                          "port from 1 to 65535."), config->upstream_host);
      g_clear_pointer (&config->upstream_host, g_free);
    }

  if (!gn_engine_config_validate (config, &local_error))
    {
      /* Something the engine would refuse (a bind-address that is not an
       * IP address): fall back to the safe listening defaults. */
      GnEngineConfig *defaults = gn_engine_config_new ();

      g_string_append_printf (problems, " %s.", local_error->message);
      g_free (config->bind_address);
      config->bind_address = g_strdup (defaults->bind_address);
      config->allow_non_loopback = FALSE;
      gn_engine_config_unref (defaults);
      g_clear_error (&local_error);
    }

  self->key_file = g_key_file_ref (key_file);
  g_clear_pointer (&self->config, gn_engine_config_unref);
  self->config = g_steal_pointer (&config);
  self->protection = protection;
  self->history_days = history_days;

  if (problems->len == 0)
    return TRUE;

  bad_path = keep_bad_copy (self, problems);
  make_one_line (problems);
  g_set_error (error, GN_ERROR, GN_ERROR_INVALID_CONFIG,
               _("Some settings in %s could not be used and were reset to their "
                 "defaults:%s%s%s"),
               self->path, problems->str,
               bad_path ? _(" The original file was kept as ") : "",
               bad_path ? bad_path : "");
  return FALSE;

damaged:
  bad_path = keep_bad_copy (self, problems);
  make_one_line (problems);
  g_set_error (error, GN_ERROR, GN_ERROR_INVALID_DATA,
               _("The settings file %s is damaged and was not used; GuardNest started "
                 "with default settings.%s%s%s"),
               self->path, problems->str,
               bad_path ? _(" The damaged file was kept as ") : "",
               bad_path ? bad_path : "");
  return FALSE;
}

gboolean
gn_settings_store_save (GnSettingsStore  *self,
                        GError          **error)
{
  g_autoptr(GKeyFile) key_file = NULL;
  g_autoptr(GError) local_error = NULL;
  g_autofree char *dir = NULL;
  g_autofree char *data = NULL;
  gsize length;

  g_return_val_if_fail (GN_IS_SETTINGS_STORE (self), FALSE);

  /* Keep what we do not know about (other groups, comments) from a file
   * that was read cleanly. */
  key_file = self->key_file != NULL ? g_key_file_ref (self->key_file) : g_key_file_new ();

  for (guint i = 0; i < G_N_ELEMENTS (engine_keys); i++)
    {
      const char *key = engine_keys[i].key;
      gpointer field = G_STRUCT_MEMBER_P (self->config, engine_keys[i].offset);

      switch (engine_keys[i].type)
        {
        case KEY_STRING:
        case KEY_HOST:
          g_key_file_set_string (key_file, ENGINE_GROUP, key,
                                 *(char **) field != NULL ? *(char **) field : "");
          break;
        case KEY_BOOL:
          g_key_file_set_boolean (key_file, ENGINE_GROUP, key, *(gboolean *) field);
          break;
        case KEY_UINT:
          g_key_file_set_uint64 (key_file, ENGINE_GROUP, key, *(guint *) field);
          break;
        case KEY_UINT16:
          g_key_file_set_uint64 (key_file, ENGINE_GROUP, key, *(guint16 *) field);
          break;
        default:
          g_assert_not_reached ();
        }
    }
  g_key_file_set_boolean (key_file, STATE_GROUP, "protection", self->protection);
  g_key_file_set_uint64 (key_file, HISTORY_GROUP, RETENTION_KEY, self->history_days);

  data = g_key_file_to_data (key_file, &length, NULL);

  dir = g_path_get_dirname (self->path);
  if (g_mkdir_with_parents (dir, 0700) != 0)
    {
      int saved_errno = errno;

      g_set_error (error, GN_ERROR, GN_ERROR_IO,
                   _("Could not save the settings: the folder %s cannot be created (%s)"),
                   dir, g_strerror (saved_errno));
      return FALSE;
    }

  if (!gn_file_set_contents (self->path, data, (gssize) length,
                             G_FILE_SET_CONTENTS_CONSISTENT | G_FILE_SET_CONTENTS_DURABLE,
                             0600, &local_error))
    {
      g_set_error (error, GN_ERROR, GN_ERROR_IO,
                   _("Could not save the settings to %s: %s"), self->path, local_error->message);
      return FALSE;
    }

  if (self->key_file == NULL)
    self->key_file = g_steal_pointer (&key_file);
  return TRUE;
}

GnEngineConfig *
gn_settings_store_dup_config (GnSettingsStore *self)
{
  g_return_val_if_fail (GN_IS_SETTINGS_STORE (self), NULL);
  return gn_engine_config_ref (self->config);
}

void
gn_settings_store_set_config (GnSettingsStore *self,
                              GnEngineConfig  *config)
{
  g_return_if_fail (GN_IS_SETTINGS_STORE (self));
  g_return_if_fail (config != NULL);

  gn_engine_config_ref (config);
  g_clear_pointer (&self->config, gn_engine_config_unref);
  self->config = config;
}

gboolean
gn_settings_store_get_protection (GnSettingsStore *self)
{
  g_return_val_if_fail (GN_IS_SETTINGS_STORE (self), FALSE);
  return self->protection;
}

void
gn_settings_store_set_protection (GnSettingsStore *self,
                                  gboolean         enabled)
{
  g_return_if_fail (GN_IS_SETTINGS_STORE (self));
  self->protection = !!enabled;
}

guint
gn_settings_store_get_history_days (GnSettingsStore *self)
{
  g_return_val_if_fail (GN_IS_SETTINGS_STORE (self), GN_HISTORY_DEFAULT_RETENTION);
  return self->history_days;
}

void
gn_settings_store_set_history_days (GnSettingsStore *self,
                                    guint            days)
{
  g_return_if_fail (GN_IS_SETTINGS_STORE (self));
  self->history_days = CLAMP (days, 1, GN_HISTORY_MAX_RETENTION);
}
