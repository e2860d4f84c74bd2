/* gn-blocklist.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The blocklist the proxy consults on every request. The layout (one name
 * arena plus a table of 8-byte slots, see gn-blocklist-private.h) is filled
 * by GnBlocklistBuilder on a worker thread and never written again, so any
 * number of threads may look names up at once without a lock.
 *
 * A lookup normalises the host into a stack buffer, hashes every suffix that
 * starts at a label boundary in one backwards pass ("a.b.example.com",
 * "b.example.com", "example.com"; a lone top-level label is never a rule),
 * prefetches their slots, then probes them most specific first. An allow
 * rule at any depth wins at once; otherwise the most specific block rule
 * decides. The cost depends on the number of labels, not on list size.
 * IP literals match exactly (no parent walk: "2.3.4" is not a parent of
 * "1.2.3.4").
 */

#include <string.h>

#include <gio/gio.h>

#include "gn-blocklist-builder.h"
#include "gn-blocklist-private.h"
#include "gn-domain.h"
#include "gn-error.h"

#define MAX_SUFFIXES 128

G_DEFINE_BOXED_TYPE (GnBlocklist, gn_blocklist, gn_blocklist_ref, gn_blocklist_unref)

GnBlocklist *
gn_blocklist_new_empty (void)
{
  return gn_blocklist_builder_end (gn_blocklist_builder_new ());
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
      if (self->mapped != NULL)
        g_clear_pointer (&self->mapped, g_bytes_unref);
      else
        {
          g_clear_pointer (&self->arena, g_free);
          _gn_blocklist_table_free (g_steal_pointer (&self->slots), self->mask);
        }
      g_clear_pointer (&self->list_names, g_ptr_array_unref);
      g_free (self);
    }
}

GnBlocklist *
gn_blocklist_new_from_files (const char * const  *paths,
                             GError             **error)
{
  g_autoptr(GnBlocklistBuilder) builder = gn_blocklist_builder_new ();

  for (guint i = 0; paths != NULL && paths[i] != NULL; i++)
    {
      g_autofree char *base = g_path_get_basename (paths[i]);

      if (!gn_blocklist_builder_add_file_full (builder, base, paths[i], GN_BLOCKLIST_FORMAT_AUTO,
                                               GN_BLOCKLIST_MAX_FILE_BYTES, NULL, NULL, error))
        return NULL;
    }

  return gn_blocklist_builder_end (g_steal_pointer (&builder));
}

gsize
gn_blocklist_get_n_rules (GnBlocklist *self)
{
  g_return_val_if_fail (self != NULL, 0);

  return self->n_rules;
}

gsize
gn_blocklist_get_n_allow_rules (GnBlocklist *self)
{
  g_return_val_if_fail (self != NULL, 0);

  return self->n_allow;
}

guint
gn_blocklist_get_n_lists (GnBlocklist *self)
{
  g_return_val_if_fail (self != NULL, 0);

  return self->list_names->len;
}

const char *
gn_blocklist_get_list_name (GnBlocklist *self,
                            guint        index)
{
  g_return_val_if_fail (self != NULL, NULL);
  g_return_val_if_fail (index < self->list_names->len, NULL);

  return g_ptr_array_index (self->list_names, index);
}

gsize
gn_blocklist_get_memory_size (GnBlocklist *self)
{
  g_return_val_if_fail (self != NULL, 0);

  return self->arena_len + ((gsize) self->mask + 1) * sizeof (GnSlot);
}

static inline const guint8 *
probe (GnBlocklist *self,
       guint64      hash,
       const char  *name,
       guint8       ip_flag)
{
  guint32 tag = _gn_slot_tag (hash);

  for (guint32 pos = (guint32) hash & self->mask; self->slots[pos].off != 0;
       pos = (pos + 1) & self->mask)
    {
      const guint8 *rec;

      if (self->slots[pos].tag != tag)
        continue;
      rec = self->arena + self->slots[pos].off - 1;
      if ((rec[0] & GN_RECORD_IP) == ip_flag &&
          strcmp ((const char *) rec + GN_RECORD_HEADER, name) == 0)
        return rec;
    }

  return NULL;
}

static void
fill_match (GnBlocklist  *self,
            const guint8 *rec,
            GnMatch      *match)
{
  guint list_index = rec[1] | (rec[2] << 8);

  if (match == NULL)
    return;

  match->kind = GN_RECORD_KIND (rec);
  /* a mapped file is checked for bounds, not record by record */
  match->list_name = G_LIKELY (list_index < self->list_names->len)
                     ? g_ptr_array_index (self->list_names, list_index) : "";
  match->rule = (const char *) rec + GN_RECORD_HEADER;
}

GnMatchKind
gn_blocklist_lookup (GnBlocklist *self,
                     const char  *host,
                     GnMatch     *match)
{
  char buf[GN_DOMAIN_MAX + 1];
  guint16 offsets[MAX_SUFFIXES];
  guint64 hashes[MAX_SUFFIXES];
  const guint8 *block = NULL;
  gsize len, host_len;
  guint8 ip_flag = 0;
  guint n;

  g_return_val_if_fail (self != NULL, GN_MATCH_NONE);
  g_return_val_if_fail (host != NULL, GN_MATCH_NONE);

  if (match != NULL)
    *match = (GnMatch) { GN_MATCH_NONE, NULL, NULL };

  if (self->n_rules == 0)
    return GN_MATCH_NONE;

  host_len = strnlen (host, GN_DOMAIN_MAX * 4 + 1);
  switch (gn_domain_normalize (host, host_len, buf, &len))
    {
    case GN_NAME_INVALID:
      return GN_MATCH_NONE;
    case GN_NAME_IP:
      offsets[0] = 0;
      hashes[0] = gn_domain_hash (buf, len);
      n = 1;
      ip_flag = GN_RECORD_IP;
      break;
    case GN_NAME_DOMAIN:
    case GN_NAME_SINGLE_LABEL:
    default:
      n = gn_domain_hash_suffixes (buf, len, 2, offsets, hashes, MAX_SUFFIXES);
      break;
    }

  /* start every cache miss at once; the probes below then mostly hit */
  for (guint i = 0; i < n; i++)
    __builtin_prefetch (&self->slots[(guint32) hashes[i] & self->mask]);

  for (guint i = 0; i < n; i++)
    {
      const guint8 *rec = probe (self, hashes[i], buf + offsets[i], ip_flag);

      if (rec == NULL)
        continue;
      if (GN_RECORD_KIND (rec) == GN_MATCH_ALLOW)
        {
          fill_match (self, rec, match);
          return GN_MATCH_ALLOW;
        }
      if (block == NULL)
        block = rec;
    }

  if (block == NULL)
    return GN_MATCH_NONE;

  fill_match (self, block, match);
  return GN_MATCH_BLOCK;
}
