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
 * Threading: one thread (see the header).
 */

#include <errno.h>

#include <glib/gstdio.h>
#include <gio/gio.h>
#include <glib/gi18n.h>

#include "gn-error.h"
#include "gn-file.h"
#include "gn-settings-store.h"

#define ENGINE_GROUP   "engine"
#define STATE_GROUP    "state"
#define MAX_FILE_BYTES (64 * 1024)

struct _GnSettingsStore
{
  GObject         parent_instance;

  char           *path;        /* (owned) */
  GKeyFile       *key_file;    /* (owned) what was read, to keep unknown keys */
  GnEngineConfig *config;      /* (owned) */
  gboolean        protection;
};

G_DEFINE_FINAL_TYPE (GnSettingsStore, gn_settings_store, G_TYPE_OBJECT)

typedef enum { KEY_UINT, KEY_UINT16, KEY_BOOL, KEY_STRING } KeyType;

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
  { "allow-non-loopback", KEY_BOOL,   G_STRUCT_OFFSET (GnEngineConfig, allow_non_loopback), 0, 1 },
  { "connect-timeout-ms", KEY_UINT,   G_STRUCT_OFFSET (GnEngineConfig, connect_timeout_ms), 100, 10 * 60 * 1000 },
  { "idle-timeout-s",     KEY_UINT,   G_STRUCT_OFFSET (GnEngineConfig, idle_timeout_s), 1, 24 * 60 * 60 },
  { "header-timeout-ms",  KEY_UINT,   G_STRUCT_OFFSET (GnEngineConfig, header_timeout_ms), 100, 10 * 60 * 1000 },
  { "drain-timeout-ms",   KEY_UINT,   G_STRUCT_OFFSET (GnEngineConfig, drain_timeout_ms), 0, 10 * 60 * 1000 },
  { "max-connections",    KEY_UINT,   G_STRUCT_OFFSET (GnEngineConfig, max_connections), 1, 1000000 },
  { "max-head-bytes",     KEY_UINT,   G_STRUCT_OFFSET (GnEngineConfig, max_head_bytes), 256, 16 * 1024 * 1024 },
  { "max-headers",        KEY_UINT,   G_STRUCT_OFFSET (GnEngineConfig, max_headers), 1, 10000 },
  { "linger-ms",          KEY_UINT,   G_STRUCT_OFFSET (GnEngineConfig, linger_ms), 0, 24 * 60 * 60 * 1000 },
  { "workers",            KEY_UINT,   G_STRUCT_OFFSET (GnEngineConfig, n_workers), 0, GN_ENGINE_MAX_WORKERS },
  { "upstream-host",      KEY_STRING, G_STRUCT_OFFSET (GnEngineConfig, upstream_host), 0, 0 },
  { "upstream-port",      KEY_UINT16, G_STRUCT_OFFSET (GnEngineConfig, upstream_port), 0, 65535 },
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
          g_string_append_c (problems, ' ');
          g_string_append_printf (problems, _("%s: “%s” is not a whole number from %llu to %llu."),
                                  key, raw, (unsigned long long) engine_keys[i].min,
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

  g_string_append_c (problems, ' ');
  g_string_append_printf (problems, _("%s: “%s” is not valid."), key, raw);
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
  GStatBuf st;
  gsize length;

  g_return_val_if_fail (GN_IS_SETTINGS_STORE (self), FALSE);

  /* Start from the defaults whatever happens below. */
  g_clear_pointer (&self->key_file, g_key_file_unref);
  g_clear_pointer (&self->config, gn_engine_config_unref);
  self->config = gn_engine_config_new ();
  self->protection = FALSE;

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

  if (g_key_file_has_key (key_file, STATE_GROUP, "protection", NULL))
    {
      protection = g_key_file_get_boolean (key_file, STATE_GROUP, "protection", &local_error);
      if (local_error != NULL)
        {
          g_autofree char *raw = g_key_file_get_value (key_file, STATE_GROUP, "protection", NULL);

          g_string_append_c (problems, ' ');
          g_string_append_printf (problems, _("protection: “%s” is not true or false."), raw);
          g_clear_error (&local_error);
          protection = FALSE;
        }
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
      /* Something the engine would refuse (a non-loopback address without
       * permission): fall back to the safe listening defaults. */
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

  if (problems->len == 0)
    return TRUE;

  bad_path = keep_bad_copy (self, problems);
  g_set_error (error, GN_ERROR, GN_ERROR_INVALID_CONFIG,
               _("Some settings in %s could not be used and were reset to their "
                 "defaults:%s%s%s"),
               self->path, problems->str,
               bad_path ? _(" The original file was kept as ") : "",
               bad_path ? bad_path : "");
  return FALSE;

damaged:
  bad_path = keep_bad_copy (self, problems);
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
