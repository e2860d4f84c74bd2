/* gn-blocklist-manager-store.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The manager's settings as JSON (json-glib): sources with their status and
 * HTTP validators, the user's allowlist and blocklist, the refresh
 * interval, the size cap and the shrink share. Written atomically (a
 * temporary file renamed over the old one, synced), read once at load.
 * Writes are debounced: a change only marks the settings dirty, and one
 * save runs SAVE_DELAY_MS later from a source on the manager's context, so
 * a refresh that touches every property of every source writes once or
 * twice instead of several times per list. gn_blocklist_manager_flush()
 * and dispose write a pending save at once. Also the default sources that
 * ship with the app: edit default_sources[] to change them.
 *
 * Threading: the owner thread only; the save source runs on the context
 * that was its default when the manager was created.
 */

#include <errno.h>

#include <json-glib/json-glib.h>
#include <glib/gi18n.h>

#include "gn-blocklist-manager-private.h"
#include "gn-error.h"
#include "gn-file.h"

/* Long enough to gather the bursts of a refresh (attempt, results, the
 * rebuild's entries), short enough that a quit right after a change loses
 * nothing even without the flush in dispose. */
#define SAVE_DELAY_MS 250

static const struct
{
  const char        *id;
  const char        *name;
  const char        *url;
  GnBlocklistFormat  format;
} default_sources[] = {
  { "urlhaus", N_("URLhaus malware domains"), "https://urlhaus.abuse.ch/downloads/hostfile/",
    GN_BLOCKLIST_FORMAT_HOSTS },
  { "adaway", N_("AdAway ads and trackers"), "https://adaway.org/hosts.txt",
    GN_BLOCKLIST_FORMAT_HOSTS },
};

/* Persistence ------------------------------------------------------------ */

void
_gn_blocklist_manager_write (GnBlocklistManager *self)
{
  g_autoptr(JsonBuilder) b = json_builder_new ();
  g_autoptr(JsonGenerator) gen = json_generator_new ();
  g_autoptr(JsonNode) root = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *dir = NULL;
  g_autofree char *text = NULL;
  guint n = g_list_model_get_n_items (G_LIST_MODEL (self->sources));

  if (self->save_source != NULL)
    {
      g_source_destroy (self->save_source);
      g_clear_pointer (&self->save_source, g_source_unref);
    }

  json_builder_begin_object (b);
  json_builder_set_member_name (b, "version");
  json_builder_add_int_value (b, 1);
  json_builder_set_member_name (b, "refresh-interval-hours");
  json_builder_add_int_value (b, self->refresh_hours);
  json_builder_set_member_name (b, "max-shrink");
  json_builder_add_double_value (b, self->max_shrink);
  json_builder_set_member_name (b, "max-list-bytes");
  json_builder_add_int_value (b, self->max_bytes);
  json_builder_set_member_name (b, "sources");
  json_builder_begin_array (b);
  for (guint i = 0; i < n; i++)
    {
      g_autoptr(GnBlocklistSource) s = g_list_model_get_item (G_LIST_MODEL (self->sources), i);
      const char *err = gn_blocklist_source_get_last_error (s);

      json_builder_begin_object (b);
#define STR(key, val) do { json_builder_set_member_name (b, key); \
        if ((val) != NULL) json_builder_add_string_value (b, val); else json_builder_add_null_value (b); } while (0)
#define INT(key, val) do { json_builder_set_member_name (b, key); json_builder_add_int_value (b, val); } while (0)
      STR ("id", gn_blocklist_source_get_id (s));
      STR ("name", gn_blocklist_source_get_name (s));
      STR ("url", gn_blocklist_source_get_url (s));
      json_builder_set_member_name (b, "enabled");
      json_builder_add_boolean_value (b, gn_blocklist_source_get_enabled (s));
      json_builder_set_member_name (b, "auto-name");
      json_builder_add_boolean_value (b, gn_blocklist_source_get_auto_name (s));
      STR ("format", gn_blocklist_format_to_string (gn_blocklist_source_get_format (s)));
      INT ("entries", gn_blocklist_source_get_entries (s));
      INT ("size", gn_blocklist_source_get_size (s));
      INT ("last-success", gn_blocklist_source_get_last_success (s));
      INT ("last-attempt", gn_blocklist_source_get_last_attempt (s));
      STR ("last-error", err);
      STR ("etag", gn_blocklist_source_get_etag (s));
      STR ("last-modified", gn_blocklist_source_get_last_modified (s));
#undef STR
#undef INT
      json_builder_end_object (b);
    }
  json_builder_end_array (b);
  for (guint k = 0; k < 2; k++)
    {
      GPtrArray *rules = self->user_rules[k];

      json_builder_set_member_name (b, k == 0 ? "allowlist" : "blocklist");
      json_builder_begin_array (b);
      for (guint i = 0; i + 1 < rules->len; i++)
        json_builder_add_string_value (b, g_ptr_array_index (rules, i));
      json_builder_end_array (b);
    }
  json_builder_end_object (b);

  root = json_builder_get_root (b);
  json_generator_set_root (gen, root);
  json_generator_set_pretty (gen, TRUE);
  text = json_generator_to_data (gen, NULL);

  self->n_writes++;
  dir = g_path_get_dirname (self->config_path);
  if (g_mkdir_with_parents (dir, 0700) != 0 ||
      !gn_file_set_contents (self->config_path, text, -1, G_FILE_SET_CONTENTS_CONSISTENT,
                             0600, &error))
    g_warning ("Could not save the blocklist settings in %s: %s", self->config_path,
               error ? error->message : g_strerror (errno));
}

static gboolean
save_cb (gpointer user_data)
{
  GnBlocklistManager *self = user_data;

  /* _write() destroys and drops the source, which is this one */
  _gn_blocklist_manager_write (self);
  return G_SOURCE_REMOVE;
}

void
_gn_blocklist_manager_queue_save (GnBlocklistManager *self)
{
  if (self->loading || self->save_source != NULL)
    return;

  /* G_PRIORITY_DEFAULT: a busy UI must not postpone the save for ever; the
   * source is destroyed in dispose, so it never outlives self */
  self->save_source = g_timeout_source_new (SAVE_DELAY_MS);
  g_source_set_priority (self->save_source, G_PRIORITY_DEFAULT);
  g_source_set_static_name (self->save_source, "[guardnest] blocklist settings save");
  g_source_set_callback (self->save_source, save_cb, self, NULL);
  g_source_attach (self->save_source, self->context);
}

guint
_gn_blocklist_manager_get_n_writes (GnBlocklistManager *self)
{
  return self->n_writes;
}

/**
 * gn_blocklist_manager_flush:
 * @self: a #GnBlocklistManager
 *
 * Writes the settings now if a change is waiting for its (debounced) save.
 * Dispose does the same, so this is only for callers that read the file or
 * must be sure it is on disk (before an exec, say).
 */
void
gn_blocklist_manager_flush (GnBlocklistManager *self)
{
  g_return_if_fail (GN_IS_BLOCKLIST_MANAGER (self));

  if (self->save_source != NULL)
    _gn_blocklist_manager_write (self);
}

static const char *
member_string (JsonObject *o,
               const char *key)
{
  JsonNode *node = json_object_get_member (o, key);

  return node != NULL && JSON_NODE_HOLDS_VALUE (node) &&
         json_node_get_value_type (node) == G_TYPE_STRING ? json_node_get_string (node) : NULL;
}

gboolean
_gn_blocklist_manager_read_config (GnBlocklistManager  *self,
                                   GError             **error)
{
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autoptr(GError) local_error = NULL;
  JsonObject *root;
  JsonArray *sources;

  if (!json_parser_load_from_file (parser, self->config_path, &local_error))
    goto invalid;

  if (!JSON_NODE_HOLDS_OBJECT (json_parser_get_root (parser)))
    goto invalid;
  root = json_node_get_object (json_parser_get_root (parser));
  sources = json_object_get_array_member (root, "sources");
  if (sources == NULL)
    goto invalid;

  self->refresh_hours = json_object_get_int_member_with_default (root, "refresh-interval-hours",
                                                                 GN_BLOCKLIST_DEFAULT_INTERVAL);
  self->max_shrink = json_object_get_double_member_with_default (root, "max-shrink",
                                                                 GN_BLOCKLIST_DEFAULT_MAX_SHRINK);
  self->max_bytes = json_object_get_int_member_with_default (root, "max-list-bytes",
                                                             GN_BLOCKLIST_DEFAULT_MAX_BYTES);

  for (guint i = 0; i < json_array_get_length (sources); i++)
    {
      JsonObject *o = json_array_get_object_element (sources, i);
      g_autoptr(GnBlocklistSource) s = NULL;
      GnBlocklistFormat format = GN_BLOCKLIST_FORMAT_AUTO;

      if (o == NULL || member_string (o, "id") == NULL || member_string (o, "url") == NULL)
        continue;
      gn_blocklist_format_from_string (member_string (o, "format"), &format);
      s = gn_blocklist_source_new (member_string (o, "id"), member_string (o, "name"),
                                   member_string (o, "url"), format);
      gn_blocklist_source_set_enabled (s, json_object_get_boolean_member_with_default (o, "enabled", TRUE));
      gn_blocklist_source_set_auto_name (s, json_object_get_boolean_member_with_default (o, "auto-name", FALSE));
      gn_blocklist_source_set_entries (s, json_object_get_int_member_with_default (o, "entries", 0));
      gn_blocklist_source_set_size (s, json_object_get_int_member_with_default (o, "size", 0));
      gn_blocklist_source_set_last_success (s, json_object_get_int_member_with_default (o, "last-success", 0));
      gn_blocklist_source_set_last_attempt (s, json_object_get_int_member_with_default (o, "last-attempt", 0));
      gn_blocklist_source_set_last_error (s, member_string (o, "last-error"));
      gn_blocklist_source_set_etag (s, member_string (o, "etag"));
      gn_blocklist_source_set_last_modified (s, member_string (o, "last-modified"));
      _gn_blocklist_manager_append_source (self, s);
    }

  for (guint k = 0; k < 2; k++)
    {
      JsonArray *rules = json_object_get_array_member (root, k == 0 ? "allowlist" : "blocklist");

      for (guint i = 0; rules != NULL && i < json_array_get_length (rules); i++)
        {
          const char *rule = json_array_get_string_element (rules, i);

          if (rule != NULL)
            gn_blocklist_manager_add_user_rule (self, k == 0 ? GN_MATCH_ALLOW : GN_MATCH_BLOCK,
                                                rule, NULL);
        }
    }

  return TRUE;

invalid:
  g_set_error (error, GN_ERROR, GN_ERROR_INVALID_CONFIG,
               _("The blocklist settings in %s could not be read (%s); the default lists are used"),
               self->config_path, local_error ? local_error->message : _("not a GuardNest settings file"));
  return FALSE;
}

void
_gn_blocklist_manager_add_defaults (GnBlocklistManager *self)
{
  for (guint i = 0; i < G_N_ELEMENTS (default_sources); i++)
    {
      g_autoptr(GnBlocklistSource) s = gn_blocklist_source_new (default_sources[i].id,
                                                                _(default_sources[i].name),
                                                                default_sources[i].url,
                                                                default_sources[i].format);
      _gn_blocklist_manager_append_source (self, s);
    }
}

