/* gn-os-proxy-journal.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Saving and loading the proxy journal (see gn-os-proxy-journal.h for why it
 * exists). The file is small JSON:
 *
 *   { "version": 1, "host": "127.0.0.1", "port": 3000, "bypass": [...],
 *     "created": <µs since 1970>, "snapshot": { GnOsProxySettings JSON } }
 *
 * Threading: any thread; no shared state.
 */

#include <errno.h>

#include <glib/gstdio.h>
#include <glib/gi18n.h>

#include "gn-file.h"
#include "gn-os-proxy-journal.h"

#define JOURNAL_VERSION 1
#define MAX_JOURNAL_BYTES (1024 * 1024)

GnOsProxyJournal *
gn_os_proxy_journal_new (const char         *host,
                         guint16             port,
                         const char * const *bypass,
                         GnOsProxySettings  *snapshot)
{
  GnOsProxyJournal *j = g_new0 (GnOsProxyJournal, 1);

  g_return_val_if_fail (host != NULL && snapshot != NULL, NULL);

  j->host = g_strdup (host);
  j->port = port;
  j->bypass = g_strdupv ((char **) bypass);
  if (j->bypass == NULL)
    j->bypass = g_new0 (char *, 1);
  j->created = g_get_real_time ();
  j->snapshot = gn_os_proxy_settings_ref (snapshot);
  return j;
}

void
gn_os_proxy_journal_free (GnOsProxyJournal *journal)
{
  if (journal == NULL)
    return;
  g_free (journal->host);
  g_strfreev (journal->bypass);
  g_clear_pointer (&journal->snapshot, gn_os_proxy_settings_unref);
  g_free (journal);
}

char *
gn_os_proxy_journal_default_path (void)
{
  const char *path = g_getenv ("GN_PROXY_JOURNAL");

  if (path != NULL && *path != '\0')
    return g_strdup (path);
  return g_build_filename (g_get_user_state_dir (), "guardnest", "proxy-journal.json", NULL);
}

gboolean
gn_os_proxy_journal_save (const GnOsProxyJournal *j,
                          const char             *path,
                          GError                **error)
{
  g_autoptr(JsonBuilder) b = json_builder_new ();
  g_autoptr(JsonGenerator) gen = json_generator_new ();
  g_autoptr(JsonNode) root = NULL;
  g_autoptr(GError) local = NULL;
  g_autofree char *dir = NULL;
  g_autofree char *text = NULL;
  gsize len;

  g_return_val_if_fail (j != NULL && path != NULL, FALSE);

  json_builder_begin_object (b);
  json_builder_set_member_name (b, "version");
  json_builder_add_int_value (b, JOURNAL_VERSION);
  json_builder_set_member_name (b, "host");
  json_builder_add_string_value (b, j->host);
  json_builder_set_member_name (b, "port");
  json_builder_add_int_value (b, j->port);
  json_builder_set_member_name (b, "bypass");
  json_builder_begin_array (b);
  for (guint i = 0; j->bypass[i]; i++)
    json_builder_add_string_value (b, j->bypass[i]);
  json_builder_end_array (b);
  json_builder_set_member_name (b, "use-pac");
  json_builder_add_boolean_value (b, j->use_pac);
  json_builder_set_member_name (b, "created");
  json_builder_add_int_value (b, j->created);
  json_builder_set_member_name (b, "snapshot");
  json_builder_add_value (b, gn_os_proxy_settings_to_json (j->snapshot));
  json_builder_end_object (b);

  root = json_builder_get_root (b);
  json_generator_set_root (gen, root);
  json_generator_set_pretty (gen, TRUE);
  text = json_generator_to_data (gen, &len);

  dir = g_path_get_dirname (path);
  if (g_mkdir_with_parents (dir, 0700) != 0)
    {
      int saved = errno;
      g_set_error (error, GN_ERROR, GN_ERROR_IO,
                   _("Your proxy settings could not be saved before changing them, so "
                     "nothing was changed (folder %s: %s)."), dir, g_strerror (saved));
      return FALSE;
    }
  if (!gn_file_set_contents (path, text, len,
                             G_FILE_SET_CONTENTS_CONSISTENT | G_FILE_SET_CONTENTS_DURABLE,
                             0600, &local))
    {
      g_set_error (error, GN_ERROR, GN_ERROR_IO,
                   _("Your proxy settings could not be saved before changing them, so "
                     "nothing was changed (%s)."), local->message);
      return FALSE;
    }
  return TRUE;
}

static GnOsProxyJournal *
damaged (const char *path, const char *what, GError **error)
{
  g_autofree char *aside = g_strconcat (path, ".damaged", NULL);

  g_rename (path, aside);
  g_set_error (error, GN_ERROR, GN_ERROR_INVALID_DATA,
               _("The saved copy of your proxy settings is damaged (%s); it was kept as %s. "
                 "Check your proxy settings."), what, aside);
  return NULL;
}

GnOsProxyJournal *
gn_os_proxy_journal_load (const char  *path,
                          GError     **error)
{
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autoptr(GnOsProxyJournal) j = g_new0 (GnOsProxyJournal, 1);
  g_autoptr(GError) local = NULL;
  g_autofree char *text = NULL;
  JsonObject *obj;
  JsonNode *node;
  JsonArray *arr;
  gsize len;

  g_return_val_if_fail (path != NULL, NULL);

  if (!g_file_get_contents (path, &text, &len, &local))
    {
      if (g_error_matches (local, G_FILE_ERROR, G_FILE_ERROR_NOENT))
        return NULL;
      g_set_error (error, GN_ERROR, GN_ERROR_IO,
                   _("The saved copy of your proxy settings could not be read (%s)."),
                   local->message);
      return NULL;
    }
  if (len > MAX_JOURNAL_BYTES)
    return damaged (path, "too large", error);
  if (!json_parser_load_from_data (parser, text, (gssize) len, NULL))
    return damaged (path, "not JSON", error);

  node = json_parser_get_root (parser);
  if (node == NULL || !JSON_NODE_HOLDS_OBJECT (node))
    return damaged (path, "not an object", error);
  obj = json_node_get_object (node);

  if (json_object_get_int_member_with_default (obj, "version", 0) != JOURNAL_VERSION)
    return damaged (path, "unknown version", error);
  j->host = g_strdup (json_object_get_string_member_with_default (obj, "host", ""));
  if (*j->host == '\0')
    return damaged (path, "no address", error);
  {
    gint64 port = json_object_get_int_member_with_default (obj, "port", -1);
    if (port < 1 || port > G_MAXUINT16)
      return damaged (path, "bad port", error);
    j->port = (guint16) port;
  }
  j->created = json_object_get_int_member_with_default (obj, "created", 0);
  j->use_pac = json_object_get_boolean_member_with_default (obj, "use-pac", FALSE);

  node = json_object_get_member (obj, "bypass");
  if (node == NULL || !JSON_NODE_HOLDS_ARRAY (node))
    return damaged (path, "bypass", error);
  arr = json_node_get_array (node);
  j->bypass = g_new0 (char *, json_array_get_length (arr) + 1);
  for (guint i = 0; i < json_array_get_length (arr); i++)
    {
      JsonNode *item = json_array_get_element (arr, i);

      if (!JSON_NODE_HOLDS_VALUE (item) || json_node_get_value_type (item) != G_TYPE_STRING)
        return damaged (path, "bypass", error);
      j->bypass[i] = g_strdup (json_node_get_string (item));
    }

  j->snapshot = gn_os_proxy_settings_new_from_json (json_object_get_member (obj, "snapshot"),
                                                    &local);
  if (j->snapshot == NULL)
    return damaged (path, local->message, error);

  return g_steal_pointer (&j);
}

gboolean
gn_os_proxy_journal_delete (const char  *path,
                            GError     **error)
{
  g_return_val_if_fail (path != NULL, FALSE);

  if (g_unlink (path) != 0 && errno != ENOENT)
    {
      int saved = errno;
      g_set_error (error, GN_ERROR, GN_ERROR_IO,
                   _("The saved copy of your proxy settings (%s) could not be removed: %s"),
                   path, g_strerror (saved));
      return FALSE;
    }
  return TRUE;
}
