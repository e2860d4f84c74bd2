/* gn-local-names.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The hosts file's local names (see gn-local-names.h): a set of names,
 * rebuilt when the file's modification time or size changes.
 *
 * Threading: any thread; `lock` guards the set and the file's identity.
 */

#include <glib/gstdio.h>

#include "gn-domain.h"
#include "gn-local-names.h"

#define RECHECK_US (2 * G_USEC_PER_SEC)

struct _GnLocalNames
{
  gatomicrefcount  ref_count;
  char            *path;        /* (owned) */
  GMutex           lock;
  GHashTable      *names;       /* (owned) canonical name → TRUE */
  gint64           checked_at;  /* monotonic */
  gint64           mtime;
  gint64           size;
};

gboolean
gn_inet_address_is_local (GInetAddress *address)
{
  g_autoptr(GInetAddress) canonical = NULL;
  const guint8 *bytes;

  g_return_val_if_fail (G_IS_INET_ADDRESS (address), FALSE);

  canonical = gn_domain_canonical_inet_address (address);
  if (g_inet_address_get_is_loopback (canonical) || g_inet_address_get_is_link_local (canonical) ||
      g_inet_address_get_is_site_local (canonical))
    return TRUE;
  /* fc00::/7, the IPv6 private range GLib's site-local (fec0::/10) misses. */
  bytes = g_inet_address_to_bytes (canonical);
  return g_inet_address_get_family (canonical) == G_SOCKET_FAMILY_IPV6 && (bytes[0] & 0xfe) == 0xfc;
}

/* Caller holds the lock. */
static void
reload (GnLocalNames *self)
{
  g_autofree char *text = NULL;
  g_auto(GStrv) lines = NULL;
  GStatBuf st;

  self->checked_at = g_get_monotonic_time ();
  if (g_stat (self->path, &st) != 0)
    {
      g_hash_table_remove_all (self->names);
      self->mtime = self->size = -1;
      return;
    }
  if ((gint64) st.st_mtime == self->mtime && (gint64) st.st_size == self->size)
    return;
  self->mtime = st.st_mtime;
  self->size = st.st_size;
  g_hash_table_remove_all (self->names);
  if (!g_file_get_contents (self->path, &text, NULL, NULL))
    return;

  lines = g_strsplit (text, "\n", -1);
  for (guint i = 0; lines[i] != NULL; i++)
    {
      char *hash = strchr (lines[i], '#');
      g_auto(GStrv) fields = NULL;
      g_autoptr(GInetAddress) address = NULL;

      if (hash != NULL)
        *hash = '\0';
      fields = g_strsplit_set (g_strstrip (lines[i]), " \t", -1);
      if (fields[0] == NULL || (address = g_inet_address_new_from_string (fields[0])) == NULL ||
          !gn_inet_address_is_local (address))
        continue;
      for (guint k = 1; fields[k] != NULL; k++)
        {
          char name[GN_DOMAIN_MAX + 1];
          gsize len;

          if (fields[k][0] == '\0')
            continue;
          if (gn_domain_normalize (fields[k], strlen (fields[k]), name, &len) == GN_NAME_INVALID)
            continue;
          g_hash_table_add (self->names, g_strndup (name, len));
        }
    }
}

static char *
system_hosts_path (void)
{
  const char *forced = g_getenv ("GN_HOSTS_FILE");

  if (forced != NULL)
    return g_strdup (forced);
#ifdef G_OS_WIN32
  {
    const char *root = g_getenv ("SystemRoot");

    return g_build_filename (root != NULL ? root : "C:\\Windows", "System32", "drivers", "etc",
                             "hosts", NULL);
  }
#else
  return g_strdup ("/etc/hosts");
#endif
}

GnLocalNames *
gn_local_names_new (const char *path)
{
  GnLocalNames *self = g_new0 (GnLocalNames, 1);

  g_atomic_ref_count_init (&self->ref_count);
  self->path = path != NULL ? g_strdup (path) : system_hosts_path ();
  self->names = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  self->mtime = self->size = -1;
  g_mutex_init (&self->lock);
  g_mutex_lock (&self->lock);
  reload (self);
  g_mutex_unlock (&self->lock);
  return self;
}

GnLocalNames *
gn_local_names_ref (GnLocalNames *self)
{
  g_atomic_ref_count_inc (&self->ref_count);
  return self;
}

void
gn_local_names_unref (GnLocalNames *self)
{
  if (self == NULL || !g_atomic_ref_count_dec (&self->ref_count))
    return;
  g_hash_table_unref (self->names);
  g_mutex_clear (&self->lock);
  g_free (self->path);
  g_free (self);
}

gboolean
gn_local_names_is_local (GnLocalNames *self,
                         const char   *host)
{
  gboolean local;

  g_return_val_if_fail (self != NULL && host != NULL, FALSE);

  g_mutex_lock (&self->lock);
  if (g_get_monotonic_time () - self->checked_at >= RECHECK_US)
    reload (self);
  local = g_hash_table_contains (self->names, host);
  g_mutex_unlock (&self->lock);
  return local;
}
