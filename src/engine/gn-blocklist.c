/* gn-blocklist.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * First implementation of the blocklist interface: plain-domain files
 * ("example.com" per line, "#" comments), exact and subdomain matching.
 * Built on any thread, immutable afterwards, lookups lock-free.
 */

#include <string.h>

#include <gio/gio.h>

#include "gn-blocklist.h"
#include "gn-error.h"

struct _GnBlocklist
{
  gatomicrefcount  ref_count;
  GHashTable      *rules;      /* (owned) domain -> list name (interned) */
};

G_DEFINE_BOXED_TYPE (GnBlocklist, gn_blocklist, gn_blocklist_ref, gn_blocklist_unref)

GnBlocklist *
gn_blocklist_new_empty (void)
{
  GnBlocklist *self = g_new0 (GnBlocklist, 1);

  g_atomic_ref_count_init (&self->ref_count);
  self->rules = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);

  return self;
}

GnBlocklist *
gn_blocklist_ref (GnBlocklist *self)
{
  g_return_val_if_fail (self != NULL, NULL);

  g_atomic_ref_count_inc (&self->ref_count);
  return self;
}

void
gn_blocklist_unref (GnBlocklist *self)
{
  g_return_if_fail (self != NULL);

  if (g_atomic_ref_count_dec (&self->ref_count))
    {
      g_clear_pointer (&self->rules, g_hash_table_unref);
      g_free (self);
    }
}

static gboolean
add_file (GnBlocklist  *self,
          const char   *path,
          GError      **error)
{
  g_autofree char *contents = NULL;
  g_autofree char *base = NULL;
  const char *list_name;
  gsize len;
  char *line, *next;

  if (!g_file_get_contents (path, &contents, &len, error))
    return FALSE;

  if (memchr (contents, '\0', len) != NULL)
    {
      g_set_error (error, GN_ERROR, GN_ERROR_INVALID_DATA,
                   "“%s” is not a text file", path);
      return FALSE;
    }

  base = g_path_get_basename (path);
  list_name = g_intern_string (base);

  for (line = contents; line != NULL && *line != '\0'; line = next)
    {
      char *hash;
      char *name;

      next = strchr (line, '\n');
      if (next != NULL)
        *next++ = '\0';

      if ((hash = strchr (line, '#')) != NULL)
        *hash = '\0';

      name = g_strstrip (line);
      if (*name == '\0')
        continue;

      name = g_ascii_strdown (name, -1);
      if (g_str_has_suffix (name, "."))
        name[strlen (name) - 1] = '\0';
      g_hash_table_replace (self->rules, name, (gpointer) list_name);
    }

  return TRUE;
}

GnBlocklist *
gn_blocklist_new_from_files (const char * const  *paths,
                             GError             **error)
{
  g_autoptr(GnBlocklist) self = gn_blocklist_new_empty ();

  for (guint i = 0; paths != NULL && paths[i] != NULL; i++)
    if (!add_file (self, paths[i], error))
      return NULL;

  return g_steal_pointer (&self);
}

gsize
gn_blocklist_get_n_rules (GnBlocklist *self)
{
  g_return_val_if_fail (self != NULL, 0);

  return g_hash_table_size (self->rules);
}

GnMatchKind
gn_blocklist_lookup (GnBlocklist *self,
                     const char  *host,
                     GnMatch     *match)
{
  g_autofree char *name = NULL;
  const char *p;

  g_return_val_if_fail (self != NULL, GN_MATCH_NONE);
  g_return_val_if_fail (host != NULL, GN_MATCH_NONE);

  if (match != NULL)
    *match = (GnMatch) { GN_MATCH_NONE, NULL, NULL };

  name = g_ascii_strdown (host, -1);
  if (g_str_has_suffix (name, "."))
    name[strlen (name) - 1] = '\0';

  /* Try the name itself, then each parent: a.b.c, b.c, c */
  for (p = name; p != NULL; p = strchr (p, '.') ? strchr (p, '.') + 1 : NULL)
    {
      gpointer key, value;

      if (g_hash_table_lookup_extended (self->rules, p, &key, &value))
        {
          if (match != NULL)
            *match = (GnMatch) { GN_MATCH_BLOCK, value, key };
          return GN_MATCH_BLOCK;
        }
    }

  return GN_MATCH_NONE;
}
