/* gn-blocklist-file.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Saves a GnBlocklist's compact layout to a file and maps it back, so that a
 * 1.3 M-domain start costs a few page faults and one checksum pass instead of
 * parsing every list again (see gn-blocklist-file.h).
 *
 * File layout (native byte order, recorded and checked; every section
 * starts on a 64-byte boundary, padding is zeros):
 *
 *   FileHeader  magic "GNBLSET\x1a", format version, byte-order mark,
 *               header size, input id, file size, rule counts, slot count,
 *               four sections (offset, size, XXH64 of the bytes), and an
 *               XXH64 of the header itself
 *   names       the list names, n_lists NUL-terminated strings
 *   arena       the rule records, exactly as in memory
 *   slots       the hash table, n_slots GnSlot, exactly as in memory
 *   extra       an opaque blob of the caller's (may be empty)
 *
 * Loading checks, in order: size of the header, magic, version, byte order,
 * header checksum, file size, input id, section bounds and table shape,
 * section checksums, then the table's own invariants (every slot points
 * inside the arena, the arena ends in a NUL, one slot at least is empty) so
 * that even a file crafted to pass the checksums cannot make a lookup read
 * outside the mapping or probe for ever. The checks read a section a
 * megabyte at a time and, on Linux, give each megabyte's pages back to the
 * kernel once read (MADV_DONTNEED: they stay in the page cache), so a
 * load never holds the whole file in RSS and the set then costs RSS only
 * for the pages lookups touch.
 *
 * Threading: any thread, no shared state.
 */

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#ifdef __linux__
#include <sys/mman.h>
#endif

#include <glib/gi18n.h>
#include <glib/gstdio.h>

#include "gn-blocklist-file.h"
#include "gn-blocklist-private.h"
#include "gn-error.h"

#define FILE_MAGIC      "GNBLSET\x1a"
#define BYTE_ORDER_MARK 0x01020304u
#define SECTION_ALIGN   64

#ifndef O_BINARY
#define O_BINARY 0
#endif

typedef struct
{
  guint64 offset;
  guint64 size;
  guint64 checksum;
} Section;

enum { SECTION_NAMES, SECTION_ARENA, SECTION_SLOTS, SECTION_EXTRA, N_SECTIONS };

typedef struct
{
  char    magic[8];
  guint32 version;
  guint32 byte_order;
  guint32 header_size;
  guint32 n_lists;
  guint64 input_id;
  guint64 file_size;
  guint64 n_rules;
  guint64 n_allow;
  guint64 n_slots;
  Section sections[N_SECTIONS];
  guint64 header_checksum;   /* XXH64 of every byte before this field */
} FileHeader;

G_STATIC_ASSERT (sizeof (FileHeader) % 8 == 0);
G_STATIC_ASSERT (sizeof (GnSlot) == 8);

/* XXH64 ------------------------------------------------------------------ */

#define P1 G_GUINT64_CONSTANT (0x9E3779B185EBCA87)
#define P2 G_GUINT64_CONSTANT (0xC2B2AE3D27D4EB4F)
#define P3 G_GUINT64_CONSTANT (0x165667B19E3779F9)
#define P4 G_GUINT64_CONSTANT (0x85EBCA77C2B2AE63)
#define P5 G_GUINT64_CONSTANT (0x27D4EB2F165667C5)

static inline guint64
rotl64 (guint64 x,
        guint   r)
{
  return (x << r) | (x >> (64 - r));
}

static inline guint64
read64 (const guint8 *p)
{
  guint64 v;

  memcpy (&v, p, 8);
  return GUINT64_FROM_LE (v);
}

static inline guint32
read32 (const guint8 *p)
{
  guint32 v;

  memcpy (&v, p, 4);
  return GUINT32_FROM_LE (v);
}

static inline guint64
xxh_round (guint64 acc,
           guint64 input)
{
  acc += input * P2;
  acc = rotl64 (acc, 31);
  return acc * P1;
}

static inline guint64
xxh_merge (guint64 acc,
           guint64 val)
{
  acc ^= xxh_round (0, val);
  return acc * P1 + P4;
}

/* Streaming form, so that a big section can be checked a chunk at a time:
 * stripes() takes a multiple of 32 bytes, finish() the remaining tail. */
typedef GnBlocklistChecksumState XxhState;

static void
xxh_init (XxhState *st,
          guint64   seed)
{
  st->v1 = seed + P1 + P2;
  st->v2 = seed + P2;
  st->v3 = seed;
  st->v4 = seed - P1;
  st->seed = seed;
  st->total = 0;
}

static void
xxh_stripes (XxhState     *st,
             const guint8 *p,
             gsize         len)
{
  const guint8 *end = p + len;

  g_assert (len % 32 == 0);
  for (; p < end; p += 32)
    {
      st->v1 = xxh_round (st->v1, read64 (p));
      st->v2 = xxh_round (st->v2, read64 (p + 8));
      st->v3 = xxh_round (st->v3, read64 (p + 16));
      st->v4 = xxh_round (st->v4, read64 (p + 24));
    }
  st->total += len;
}

static guint64
xxh_finish (XxhState     *st,
            const guint8 *p,
            gsize         len)
{
  const guint8 *end = p + len;
  guint64 h;

  g_assert (len < 32);
  if (st->total >= 32)
    {
      h = rotl64 (st->v1, 1) + rotl64 (st->v2, 7) + rotl64 (st->v3, 12) + rotl64 (st->v4, 18);
      h = xxh_merge (h, st->v1);
      h = xxh_merge (h, st->v2);
      h = xxh_merge (h, st->v3);
      h = xxh_merge (h, st->v4);
    }
  else
    h = st->seed + P5;

  h += st->total + len;
  for (; p + 8 <= end; p += 8)
    {
      h ^= xxh_round (0, read64 (p));
      h = rotl64 (h, 27) * P1 + P4;
    }
  if (p + 4 <= end)
    {
      h ^= (guint64) read32 (p) * P1;
      h = rotl64 (h, 23) * P2 + P3;
      p += 4;
    }
  for (; p < end; p++)
    {
      h ^= *p * P5;
      h = rotl64 (h, 11) * P1;
    }

  h ^= h >> 33;
  h *= P2;
  h ^= h >> 29;
  h *= P3;
  h ^= h >> 32;
  return h;
}

guint64
gn_blocklist_checksum (const void *data,
                       gsize       len,
                       guint64     seed)
{
  gsize body = len & ~(gsize) 31;
  XxhState st;

  xxh_init (&st, seed);
  xxh_stripes (&st, data, body);
  return xxh_finish (&st, (const guint8 *) data + body, len - body);
}

void
gn_blocklist_checksum_init (GnBlocklistChecksumState *state,
                            guint64                   seed)
{
  xxh_init (state, seed);
}

void
gn_blocklist_checksum_update (GnBlocklistChecksumState *state,
                              const void               *data,
                              gsize                     len)
{
  xxh_stripes (state, data, len);
}

guint64
gn_blocklist_checksum_finish (GnBlocklistChecksumState *state,
                              const void               *tail,
                              gsize                     len)
{
  return xxh_finish (state, tail, len);
}

/* Input identity ---------------------------------------------------------- */

#define FNV_OFFSET G_GUINT64_CONSTANT (0xcbf29ce484222325)
#define FNV_PRIME  G_GUINT64_CONSTANT (0x100000001b3)

static void
fnv_add (GnBlocklistInputId *id,
         const void         *data,
         gsize               len)
{
  const guint8 *p = data;

  for (gsize i = 0; i < len; i++)
    id->value = (id->value ^ p[i]) * FNV_PRIME;
}

void
gn_blocklist_input_id_init (GnBlocklistInputId *id)
{
  g_return_if_fail (id != NULL);

  id->value = FNV_OFFSET;
  gn_blocklist_input_id_add_uint64 (id, GN_BLOCKLIST_FILE_VERSION);
}

void
gn_blocklist_input_id_add_uint64 (GnBlocklistInputId *id,
                                  guint64             value)
{
  guint64 le = GUINT64_TO_LE (value);

  g_return_if_fail (id != NULL);

  fnv_add (id, &le, sizeof le);
}

void
gn_blocklist_input_id_add_string (GnBlocklistInputId *id,
                                  const char         *str)
{
  g_return_if_fail (id != NULL);

  /* length first, so ("ab", "c") and ("a", "bc") differ; NULL is not "" */
  if (str == NULL)
    {
      gn_blocklist_input_id_add_uint64 (id, G_MAXUINT64);
      return;
    }
  gn_blocklist_input_id_add_uint64 (id, strlen (str));
  fnv_add (id, str, strlen (str));
}

/* Saving ------------------------------------------------------------------ */

static guint64
align_up (guint64 n)
{
  return (n + SECTION_ALIGN - 1) & ~(guint64) (SECTION_ALIGN - 1);
}

static gboolean
write_padded (FILE        *out,
              const void  *data,
              gsize        len,
              guint64     *pos,
              guint64      next)
{
  static const guint8 zeros[SECTION_ALIGN];

  if (len > 0 && fwrite (data, 1, len, out) != len)
    return FALSE;
  *pos += len;
  g_assert (next >= *pos && next - *pos <= SECTION_ALIGN);
  if (next > *pos && fwrite (zeros, 1, next - *pos, out) != next - *pos)
    return FALSE;
  *pos = next;
  return TRUE;
}

gboolean
gn_blocklist_save_compiled (GnBlocklist   *list,
                            const char    *path,
                            guint64        input_id,
                            GBytes        *extra,
                            GCancellable  *cancellable,
                            GError       **error)
{
  g_autoptr(GString) names = g_string_new (NULL);
  g_autofree char *tmp_path = NULL;
  const void *data[N_SECTIONS];
  FileHeader header = { 0 };
  const char *why = NULL;
  guint64 pos = 0;
  gboolean ok;
  FILE *out;
  int fd;

  g_return_val_if_fail (list != NULL, FALSE);
  g_return_val_if_fail (path != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  for (guint i = 0; i < list->list_names->len; i++)
    g_string_append_len (names, g_ptr_array_index (list->list_names, i),
                         strlen (g_ptr_array_index (list->list_names, i)) + 1);

  memcpy (header.magic, FILE_MAGIC, sizeof header.magic);
  header.version = GN_BLOCKLIST_FILE_VERSION;
  header.byte_order = BYTE_ORDER_MARK;
  header.header_size = sizeof (FileHeader);
  header.n_lists = list->list_names->len;
  header.input_id = input_id;
  header.n_rules = list->n_rules;
  header.n_allow = list->n_allow;
  header.n_slots = (guint64) list->mask + 1;

  data[SECTION_NAMES] = names->str;
  header.sections[SECTION_NAMES].size = names->len;
  data[SECTION_ARENA] = list->arena;
  header.sections[SECTION_ARENA].size = list->arena_len;
  data[SECTION_SLOTS] = list->slots;
  header.sections[SECTION_SLOTS].size = header.n_slots * sizeof (GnSlot);
  data[SECTION_EXTRA] = extra != NULL ? g_bytes_get_data (extra, NULL) : NULL;
  header.sections[SECTION_EXTRA].size = extra != NULL ? g_bytes_get_size (extra) : 0;

  pos = align_up (sizeof header);
  for (guint s = 0; s < N_SECTIONS; s++)
    {
      header.sections[s].offset = pos;
      header.sections[s].checksum = gn_blocklist_checksum (data[s], header.sections[s].size, 0);
      pos = align_up (pos + header.sections[s].size);
    }
  header.file_size = pos;
  header.header_checksum = gn_blocklist_checksum (&header, G_STRUCT_OFFSET (FileHeader, header_checksum), 0);

  /* A temporary file in the same folder, then renamed over @path: a
   * reader never sees half a file, and one that has the old file mapped
   * keeps reading the old one. Windows refuses to rename over a file that is
   * mapped, so there gn_blocklist_load_compiled() reads the file instead of
   * mapping it and holds no handle on it. */
  tmp_path = g_strconcat (path, ".XXXXXX", NULL);
  fd = g_mkstemp_full (tmp_path, O_RDWR | O_BINARY, 0600);
  if (fd < 0)
    {
      int saved_errno = errno;

      g_set_error (error, GN_ERROR, GN_ERROR_IO,
                   _("The compiled blocklist could not be saved in %s (%s); the lists are parsed "
                     "again at the next start"), path, g_strerror (saved_errno));
      return FALSE;
    }
  out = fdopen (fd, "wb");
  if (out == NULL)
    {
      g_close (fd, NULL);
      why = g_strerror (errno);
    }

  pos = 0;
  ok = out != NULL && write_padded (out, &header, sizeof header, &pos, header.sections[0].offset);
  for (guint s = 0; ok && s < N_SECTIONS; s++)
    ok = !g_cancellable_is_cancelled (cancellable) &&
         write_padded (out, data[s], header.sections[s].size, &pos,
                       s + 1 < N_SECTIONS ? header.sections[s + 1].offset : header.file_size);
  if (out != NULL)
    {
      /* not synced (that took 0.1–0.2 s of a reload): a file a crash left
       * empty or half written fails the loader's checks, and the manager
       * builds the set again from the lists' compiled parts */
      ok = ok && fflush (out) == 0;
      if (!ok && why == NULL)
        why = g_cancellable_is_cancelled (cancellable) ? _("cancelled") : g_strerror (errno);
      if (fclose (out) != 0 && ok)
        {
          ok = FALSE;
          why = g_strerror (errno);
        }
    }
  if (ok && g_rename (tmp_path, path) != 0)
    {
      ok = FALSE;
      why = g_strerror (errno);
    }

  if (!ok)
    {
      g_unlink (tmp_path);
      g_set_error (error, GN_ERROR, GN_ERROR_IO,
                   _("The compiled blocklist could not be saved in %s (%s); the lists are parsed "
                     "again at the next start"), path, why);
      return FALSE;
    }
  return TRUE;
}

/* Loading ----------------------------------------------------------------- */

static gboolean
reject (GError     **error,
        const char  *path,
        const char  *why)
{
  g_set_error (error, GN_ERROR, GN_ERROR_INVALID_DATA,
               _("The compiled blocklist %s is not used (%s); the lists are parsed instead"),
               path, why);
  return FALSE;
}

static gboolean
check_sections (const FileHeader  *h,
                gsize              len,
                const char        *path,
                GError           **error)
{
  for (guint s = 0; s < N_SECTIONS; s++)
    {
      const Section *sec = &h->sections[s];

      if (sec->offset % 8 != 0 || sec->offset < sizeof (FileHeader) || sec->offset > len ||
          sec->size > len - sec->offset)
        return reject (error, path, _("a section lies outside the file"));
    }

  if (h->n_slots == 0 || (h->n_slots & (h->n_slots - 1)) != 0 || h->n_slots > G_MAXUINT32 ||
      h->sections[SECTION_SLOTS].size != h->n_slots * sizeof (GnSlot) ||
      h->n_rules >= h->n_slots || h->n_allow > h->n_rules ||
      h->sections[SECTION_ARENA].size >= G_MAXUINT32 ||
      h->n_lists > G_MAXUINT16 || (h->n_rules > 0 && h->n_lists == 0))
    return reject (error, path, _("its table is malformed"));

  return TRUE;
}

/* Pages the checks have read go back at once (they stay in the page
 * cache): checking a 50 MB file then never holds more than a chunk of it in
 * RSS, and later only the pages lookups touch count against the process. */
#define CHECK_CHUNK (1024 * 1024)

void
gn_blocklist_release_pages (const guint8 *base,
                            const guint8 *from,
                            const guint8 *to)
{
#if defined(__linux__) && defined(MADV_DONTNEED)
  gsize page = 4096;
  const guint8 *start = base + ((from - base + page - 1) / page) * page;  /* whole pages only */
  const guint8 *end = base + ((to - base) / page) * page;

  if (end > start)
    madvise ((void *) start, end - start, MADV_DONTNEED);
#endif
}

/* XXH64 of a section, a chunk at a time; @each (nullable) sees every chunk
 * before its pages are released. */
static gboolean
check_section (const guint8  *base,
               const Section *sec,
               gboolean     (*each) (const guint8 *chunk, gsize len, gpointer data),
               gpointer       data)
{
  const guint8 *p = base + sec->offset;
  gsize left = sec->size;
  XxhState st;

  xxh_init (&st, 0);
  while (left >= 32)
    {
      gsize n = MIN (left & ~(gsize) 31, CHECK_CHUNK);

      xxh_stripes (&st, p, n);
      if (each != NULL && !each (p, n, data))
        return FALSE;
      gn_blocklist_release_pages (base, p, p + n);
      p += n;
      left -= n;
    }
  if (each != NULL && left > 0 && !each (p, left, data))
    return FALSE;
  return xxh_finish (&st, p, left) == sec->checksum;
}

/* What the checksums cannot rule out in a crafted file: every slot must
 * point inside the arena (records end inside it: its last byte is a NUL),
 * and at least one slot must stay empty so that a probe ends. */
typedef struct
{
  guint64 arena_len;
  guint64 used;
} SlotCheck;

static gboolean
check_slots (const guint8 *chunk,
             gsize         len,
             gpointer      data)
{
  SlotCheck *check = data;
  const GnSlot *slots = (const GnSlot *) chunk;

  g_assert (len % sizeof (GnSlot) == 0);
  for (gsize i = 0; i < len / sizeof (GnSlot); i++)
    {
      guint64 off = slots[i].off;

      if (off == 0)
        continue;
      if (off - 1 + GN_RECORD_HEADER >= check->arena_len)
        return FALSE;
      check->used++;
    }
  return TRUE;
}

GnBlocklist *
gn_blocklist_load_compiled (const char  *path,
                            guint64      input_id,
                            GBytes     **extra_out,
                            GError     **error)
{
  g_autoptr(GBytes) mapped = NULL;
  g_autoptr(GError) local_error = NULL;
  g_autoptr(GPtrArray) names = NULL;
  const guint8 *base;
  const char *p, *end;
  FileHeader h;
  GnBlocklist *list;
  gsize len;

  g_return_val_if_fail (path != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

#ifdef G_OS_WIN32
  /* Windows keeps a mapped file locked against the rename that saves the
   * next version (gn_blocklist_save_compiled()), so the file is read into
   * memory: still no parsing, and no handle left open. */
  {
    char *contents = NULL;
    gsize length = 0;

    if (!g_file_get_contents (path, &contents, &length, &local_error))
      {
        reject (error, path, local_error->message);
        return NULL;
      }
    mapped = g_bytes_new_take (contents, length);
  }
#else
  {
    g_autoptr(GMappedFile) file = g_mapped_file_new (path, FALSE, &local_error);

    if (file == NULL)
      {
        reject (error, path, local_error->message);
        return NULL;
      }
    mapped = g_mapped_file_get_bytes (file);
  }
#endif

  base = g_bytes_get_data (mapped, &len);

  if (len < sizeof h)
    {
      reject (error, path, _("it is truncated"));
      return NULL;
    }
  memcpy (&h, base, sizeof h);
  if (memcmp (h.magic, FILE_MAGIC, sizeof h.magic) != 0)
    {
      reject (error, path, _("it is not a compiled blocklist"));
      return NULL;
    }
  if (h.version != GN_BLOCKLIST_FILE_VERSION)
    {
      g_autofree char *why = g_strdup_printf (_("format version %u, this build reads %u"),
                                              h.version, GN_BLOCKLIST_FILE_VERSION);
      reject (error, path, why);
      return NULL;
    }
  if (h.byte_order != BYTE_ORDER_MARK || h.header_size != sizeof h)
    {
      reject (error, path, _("it was written on another kind of computer"));
      return NULL;
    }
  if (h.header_checksum != gn_blocklist_checksum (&h, G_STRUCT_OFFSET (FileHeader, header_checksum), 0))
    {
      reject (error, path, _("its header is damaged"));
      return NULL;
    }
  if (h.file_size != len)
    {
      g_autofree char *why = g_strdup_printf (_("it is truncated: %" G_GSIZE_FORMAT " of %"
                                                G_GUINT64_FORMAT " bytes"), len, h.file_size);
      reject (error, path, why);
      return NULL;
    }
  if (h.input_id != input_id)
    {
      reject (error, path, _("it was built from other lists or rules"));
      return NULL;
    }
  if (!check_sections (&h, len, path, error))
    return NULL;

  {
    const guint8 *arena = base + h.sections[SECTION_ARENA].offset;
    SlotCheck check = { h.sections[SECTION_ARENA].size, 0 };

    if (check.arena_len > 0 && arena[check.arena_len - 1] != '\0')
      {
        reject (error, path, _("its names are malformed"));
        return NULL;
      }
    for (guint s = 0; s < N_SECTIONS; s++)
      if (!check_section (base, &h.sections[s], s == SECTION_SLOTS ? check_slots : NULL, &check))
        {
          reject (error, path, s == SECTION_SLOTS && check.used < h.n_rules
                  ? _("its table is malformed") : _("its checksum does not match: the file is damaged"));
          return NULL;
        }
    if (check.used != h.n_rules)
      {
        reject (error, path, _("its table is malformed"));
        return NULL;
      }
  }

  names = g_ptr_array_new ();
  p = (const char *) base + h.sections[SECTION_NAMES].offset;
  end = p + h.sections[SECTION_NAMES].size;
  while (p < end)
    {
      const char *nul = memchr (p, '\0', end - p);

      if (nul == NULL)
        break;
      g_ptr_array_add (names, (gpointer) p);
      p = nul + 1;
    }
  if (p != end || names->len != h.n_lists)
    {
      reject (error, path, _("its list names are malformed"));
      return NULL;
    }

  list = g_new0 (GnBlocklist, 1);
  g_atomic_ref_count_init (&list->ref_count);
  list->arena = (guint8 *) base + h.sections[SECTION_ARENA].offset;
  list->arena_len = h.sections[SECTION_ARENA].size;
  list->slots = (GnSlot *) (base + h.sections[SECTION_SLOTS].offset);
  list->mask = (guint32) (h.n_slots - 1);
  list->n_rules = h.n_rules;
  list->n_allow = h.n_allow;
  list->list_names = g_steal_pointer (&names);

  if (extra_out != NULL)
    *extra_out = g_bytes_new_from_bytes (mapped, h.sections[SECTION_EXTRA].offset,
                                         h.sections[SECTION_EXTRA].size);
  list->mapped = g_steal_pointer (&mapped);
  return list;
}

gboolean
gn_blocklist_is_mapped (GnBlocklist *list)
{
  g_return_val_if_fail (list != NULL, FALSE);

  return list->mapped != NULL;
}
