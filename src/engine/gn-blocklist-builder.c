/* gn-blocklist-builder.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Fills the compact layout described in gn-blocklist-private.h: names go
 * into one growing arena, slots into an open-addressing table that doubles
 * at 3/4 load (rehashing from the arena, so no hash is stored twice).
 * Duplicates are found on insert, so overlapping lists cost nothing extra.
 * A caller that knows about how many rules are coming (the previous build's
 * count) reserves the table up front and saves the rehashes; a table left
 * too big is shrunk to size at the end.
 * At the end the arena is trimmed to size and handed to the GnBlocklist.
 * Runs of records (a compiled part's, a pipelined parse's batches) go in
 * through gn_blocklist_builder_add_records(), which hashes a few records
 * ahead and prefetches their slots so that the cache misses overlap; the
 * result is the same as adding the names one by one.
 *
 * Threading: one thread at a time (normally a GTask worker).
 */

#include <string.h>
#ifdef __linux__
#include <sys/mman.h>
#endif

#include "gn-blocklist-builder.h"
#include "gn-blocklist-private.h"
#include "gn-domain.h"

struct _GnBlocklistBuilder
{
  guint8    *arena;       /* (owned) */
  gsize      arena_len;
  gsize      arena_cap;
  GnSlot    *slots;       /* (owned) */
  guint32    mask;
  gsize      n_rules;
  gsize      n_allow;
  GPtrArray *list_names;  /* (owned) */
  GnBlocklistTapFunc tap;
  gpointer   tap_data;
};

#define INITIAL_SLOTS 1024

#define HUGE_PAGE (2 * 1024 * 1024)

static inline gsize
table_bytes (guint32 mask)
{
  return ((gsize) mask + 1) * sizeof (GnSlot);
}

/* Big tables are read at random: back them with huge pages where the OS
 * offers them (Linux THP in "madvise" mode), which saves a TLB miss on most
 * probes. On Linux they come straight from the kernel, not from malloc:
 * glibc raises its mmap threshold when a big block it mapped is freed,
 * after which the next build's table would sit in a worker thread's arena
 * and stay there (~16 MB of RSS left behind by a reload, trim or not).
 * Memory from here is freed with _gn_blocklist_table_free(). */
static gpointer
alloc_table (gsize size)
{
  gpointer mem;

  if (size < HUGE_PAGE)
    return g_aligned_alloc0 (1, size, 64);

  g_assert (size % HUGE_PAGE == 0);  /* a power of two of slots */
#ifdef __linux__
  {
    /* mapped with room to spare, then cut down to a 2 MB-aligned block */
    gsize len = size + HUGE_PAGE;
    guint8 *raw = mmap (NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    guint8 *start;

    if (raw == MAP_FAILED)
      g_error ("%s: failed to allocate %" G_GSIZE_FORMAT " bytes", G_STRLOC, size);
    start = (guint8 *) (((guintptr) raw + HUGE_PAGE - 1) & ~(guintptr) (HUGE_PAGE - 1));
    if (start > raw)
      munmap (raw, start - raw);
    if (raw + len > start + size)
      munmap (start + size, raw + len - (start + size));
    mem = start;  /* zeroed */
  }
#else
  mem = g_aligned_alloc0 (1, size, HUGE_PAGE);
#endif
#ifdef MADV_HUGEPAGE
  madvise (mem, size, MADV_HUGEPAGE);
#endif
  return mem;
}

void
_gn_blocklist_table_free (GnSlot  *slots,
                          guint32  mask)
{
  if (slots == NULL)
    return;
#ifdef __linux__
  if (table_bytes (mask) >= HUGE_PAGE)
    {
      munmap (slots, table_bytes (mask));
      return;
    }
#endif
  g_aligned_free (slots);
}

GnBlocklistBuilder *
gn_blocklist_builder_new (void)
{
  GnBlocklistBuilder *self = g_new0 (GnBlocklistBuilder, 1);

  self->mask = INITIAL_SLOTS - 1;
  self->slots = alloc_table (INITIAL_SLOTS * sizeof (GnSlot));
  self->arena_cap = 64 * 1024;
  self->arena = g_malloc (self->arena_cap);
  self->list_names = g_ptr_array_new_with_free_func (g_free);

  return self;
}

void
gn_blocklist_builder_free (GnBlocklistBuilder *self)
{
  if (self == NULL)
    return;

  g_free (self->arena);
  _gn_blocklist_table_free (self->slots, self->mask);
  g_clear_pointer (&self->list_names, g_ptr_array_unref);
  g_free (self);
}

guint
gn_blocklist_builder_add_list (GnBlocklistBuilder *self,
                               const char         *list_name)
{
  g_return_val_if_fail (self != NULL, 0);
  g_return_val_if_fail (list_name != NULL, 0);
  g_return_val_if_fail (self->list_names->len < G_MAXUINT16, 0);

  g_ptr_array_add (self->list_names, g_strdup (list_name));
  return self->list_names->len - 1;
}

void
gn_blocklist_builder_set_tap (GnBlocklistBuilder *self,
                              GnBlocklistTapFunc  func,
                              gpointer            user_data)
{
  g_return_if_fail (self != NULL);

  self->tap = func;
  self->tap_data = user_data;
}

gsize
gn_blocklist_builder_get_n_rules (GnBlocklistBuilder *self)
{
  g_return_val_if_fail (self != NULL, 0);

  return self->n_rules;
}

/* Every record sits in exactly one slot (duplicates are never appended,
 * an allow rule over a block rule rewrites the record in place), so the
 * rehash walks the arena in order: sequential reads the prefetcher keeps
 * ahead of, instead of one cache miss per name when going through the old
 * slots. */
static void
rehash (GnBlocklistBuilder *self,
        guint32             new_mask)
{
  GnSlot *slots = alloc_table (table_bytes (new_mask));
  gsize off = 0;

  while (off < self->arena_len)
    {
      const char *name = (const char *) self->arena + off + GN_RECORD_HEADER;
      gsize len = strlen (name);
      guint64 hash = gn_domain_hash (name, len);
      guint32 pos;

      for (pos = (guint32) hash & new_mask; slots[pos].off != 0; pos = (pos + 1) & new_mask)
        ;
      slots[pos].tag = _gn_slot_tag (hash);
      slots[pos].off = (guint32) off + 1;
      off += GN_RECORD_HEADER + len + 1;
    }

  _gn_blocklist_table_free (self->slots, self->mask);
  self->slots = slots;
  self->mask = new_mask;
}

static void
grow_table (GnBlocklistBuilder *self)
{
  rehash (self, (self->mask << 1) | 1);
}

/* The smallest table that holds @n_rules at a load of at most 3/4. */
static guint32
mask_for (gsize n_rules)
{
  gsize size = INITIAL_SLOTS;

  while (n_rules * 4 > size * 3)
    size *= 2;
  g_assert (size - 1 <= G_MAXUINT32);
  return (guint32) (size - 1);
}

void
gn_blocklist_builder_reserve (GnBlocklistBuilder *self,
                              gsize               n_rules)
{
  guint32 mask;

  g_return_if_fail (self != NULL);

  /* a hint from a settings file may be anything: at most 2^22 slots
   * (32 MB) are taken on its word; beyond that the table grows as usual */
  mask = mask_for (MIN (n_rules, (gsize) 3 << 20));
  if (mask > self->mask)
    rehash (self, mask);
}

static gboolean
is_ip_literal (const char *name,
               gsize       len)
{
  guint dots = 0;

  if (memchr (name, ':', len) != NULL)
    return TRUE;
  for (gsize i = 0; i < len; i++)
    if (name[i] == '.')
      dots++;
    else if (!g_ascii_isdigit (name[i]))
      return FALSE;
  return dots == 3;
}

/* Whether @name may be an address in a spelling other than the canonical
 * one: cheap enough for every rule of a million-name list. */
static gboolean
may_be_address (const char *name,
                gsize       len)
{
  return memchr (name, ':', len) != NULL || gn_domain_ends_in_number (name, len);
}

/* @name, or its canonical spelling in @canonical when it is an address
 * written otherwise; *len follows. */
static inline const char *
canonical_name (const char *name,
                gsize      *len,
                char        canonical[GN_ADDRESS_MAX])
{
  if (may_be_address (name, *len))
    {
      gsize canonical_len = gn_domain_canonical_address (name, *len, canonical);

      if (canonical_len > 0)
        {
          *len = canonical_len;
          return canonical;
        }
    }
  return name;
}

/* @name canonical already, @hash its gn_domain_hash() */
static GnBuilderResult
insert (GnBlocklistBuilder *self,
        guint               list_index,
        GnMatchKind         kind,
        const char         *name,
        gsize               len,
        guint64             hash)
{
  guint32 tag = _gn_slot_tag (hash);
  guint32 pos;
  gsize need;
  guint8 *rec;

  for (pos = (guint32) hash & self->mask; self->slots[pos].off != 0; pos = (pos + 1) & self->mask)
    {
      guint8 *old;

      if (self->slots[pos].tag != tag)
        continue;

      old = self->arena + self->slots[pos].off - 1;
      if (strncmp ((const char *) old + GN_RECORD_HEADER, name, len) != 0 ||
          old[GN_RECORD_HEADER + len] != '\0')
        continue;

      if (kind == GN_MATCH_ALLOW && GN_RECORD_KIND (old) != GN_MATCH_ALLOW)
        {
          /* allow beats block: the allow rule and its list now decide */
          old[0] = GN_MATCH_ALLOW | (old[0] & GN_RECORD_IP);
          old[1] = list_index & 0xff;
          old[2] = (list_index >> 8) & 0xff;
          self->n_allow++;
          return GN_BUILDER_ALREADY_LISTED;
        }

      if ((guint) (old[1] | (old[2] << 8)) == list_index)
        return GN_BUILDER_DUPLICATE;
      return GN_BUILDER_ALREADY_LISTED;
    }

  if ((self->n_rules + 1) * 4 > ((gsize) self->mask + 1) * 3)
    {
      grow_table (self);
      for (pos = (guint32) hash & self->mask; self->slots[pos].off != 0; pos = (pos + 1) & self->mask)
        ;
    }

  need = GN_RECORD_HEADER + len + 1;
  if (self->arena_len + need > self->arena_cap)
    {
      while (self->arena_len + need > self->arena_cap)
        self->arena_cap *= 2;
      g_assert (self->arena_cap < G_MAXUINT32);
      self->arena = g_realloc (self->arena, self->arena_cap);
    }

  rec = self->arena + self->arena_len;
  rec[0] = kind | (is_ip_literal (name, len) ? GN_RECORD_IP : 0);
  rec[1] = list_index & 0xff;
  rec[2] = (list_index >> 8) & 0xff;
  memcpy (rec + GN_RECORD_HEADER, name, len);
  rec[GN_RECORD_HEADER + len] = '\0';

  self->slots[pos].tag = tag;
  self->slots[pos].off = (guint32) self->arena_len + 1;
  self->arena_len += need;
  self->n_rules++;
  if (kind == GN_MATCH_ALLOW)
    self->n_allow++;

  return GN_BUILDER_ADDED;
}

GnBuilderResult
gn_blocklist_builder_add_rule (GnBlocklistBuilder *self,
                               guint               list_index,
                               GnMatchKind         kind,
                               const char         *name,
                               gsize               len)
{
  char canonical[GN_ADDRESS_MAX];

  g_return_val_if_fail (self != NULL, GN_BUILDER_DUPLICATE);
  g_return_val_if_fail (list_index < self->list_names->len, GN_BUILDER_DUPLICATE);
  g_return_val_if_fail (kind == GN_MATCH_BLOCK || kind == GN_MATCH_ALLOW, GN_BUILDER_DUPLICATE);
  g_return_val_if_fail (len > 0 && len <= GN_DOMAIN_MAX, GN_BUILDER_DUPLICATE);

  if (self->tap != NULL)
    self->tap (kind, name, len, self->tap_data);

  /* Rules saved before addresses had one spelling ("::ffff:127.0.0.1", say,
   * in a user's blocklist) are stored, and so matched, canonically too. */
  name = canonical_name (name, &len, canonical);
  return insert (self, list_index, kind, name, len, gn_domain_hash (name, len));
}

/* Records are inserted in order, but LOOKAHEAD records ahead have their
 * hash computed and their first slot prefetched: the slot probes, each a
 * cache miss into a table of 16 MB for a million names, overlap instead of
 * coming one after the other. */
#define LOOKAHEAD 16

typedef struct
{
  const char *name;
  gsize       len;
  guint64     hash;
  GnMatchKind kind;
  char        canonical[GN_ADDRESS_MAX];
} Pending;

static const guint8 *
stage (GnBlocklistBuilder *self,
       const guint8       *p,
       Pending            *pe)
{
  pe->kind = p[0];
  pe->len = p[1];
  pe->name = (const char *) p + 2;
  if (self->tap != NULL)
    self->tap (pe->kind, pe->name, pe->len, self->tap_data);
  pe->name = canonical_name (pe->name, &pe->len, pe->canonical);  /* the ring never moves */
  pe->hash = gn_domain_hash (pe->name, pe->len);
#ifdef __GNUC__
  __builtin_prefetch (&self->slots[(guint32) pe->hash & self->mask]);
#endif
  return p + 2 + p[1];
}

void
gn_blocklist_builder_add_records (GnBlocklistBuilder *self,
                                  guint               list_index,
                                  const guint8       *records,
                                  gsize               len,
                                  GnBlocklistReport  *report)
{
  Pending ring[LOOKAHEAD];
  const guint8 *p = records, *end = records + len;
  guint head = 0, n = 0;

  g_return_if_fail (self != NULL);
  g_return_if_fail (list_index < self->list_names->len);
  g_return_if_fail (report != NULL);

  for (;;)
    {
      Pending *pe;

      while (n < LOOKAHEAD && p < end)
        {
          p = stage (self, p, &ring[(head + n) % LOOKAHEAD]);
          n++;
        }
      if (n == 0)
        break;

      pe = &ring[head];
      switch (insert (self, list_index, pe->kind, pe->name, pe->len, pe->hash))
        {
        case GN_BUILDER_DUPLICATE:
          report->duplicates++;
          break;
        case GN_BUILDER_ADDED:
        case GN_BUILDER_ALREADY_LISTED:
        default:
          report->accepted++;
          if (pe->kind == GN_MATCH_ALLOW)
            report->allow_rules++;
          break;
        }
      head = (head + 1) % LOOKAHEAD;
      n--;
    }
}

GnBlocklist *
gn_blocklist_builder_end (GnBlocklistBuilder *self)
{
  GnBlocklist *list;

  g_return_val_if_fail (self != NULL, NULL);

  /* a generous reserve() is given back: the table shrinks to its size */
  if (mask_for (self->n_rules) < self->mask)
    rehash (self, mask_for (self->n_rules));

  list = g_new0 (GnBlocklist, 1);
  g_atomic_ref_count_init (&list->ref_count);
  list->arena = g_realloc (g_steal_pointer (&self->arena), MAX (self->arena_len, 1));
  list->arena_len = self->arena_len;
  list->slots = g_steal_pointer (&self->slots);
  list->mask = self->mask;
  list->n_rules = self->n_rules;
  list->n_allow = self->n_allow;
  list->list_names = g_steal_pointer (&self->list_names);

  gn_blocklist_builder_free (self);
  return list;
}
