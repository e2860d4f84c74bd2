/* gn-blocklist-part.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Compiled parts (see gn-blocklist-part.h).
 *
 * File layout (native byte order, recorded and checked):
 *
 *   PartHeader  magic "GNBLPRT\x1a", format version, byte-order mark,
 *               header size, the list format, source id, file size, record
 *               count, XXH64 of the records, the parse's report (lines,
 *               comments, skipped lines by reason) and an XXH64 of the
 *               header itself
 *   records     [match kind: 1 byte][length: 1 byte, 1..GN_DOMAIN_MAX][name]
 *               one per rule the parser handed to the builder, in order
 *
 * Loading checks the header, then the records' checksum, then their shape
 * (kinds, lengths, no NUL inside a name, the count), all before the first
 * name goes into the builder, so that a part that fails leaves the builder
 * as it was and the caller can parse the source instead.
 *
 * Threading: see gn-blocklist-part.h.
 */

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>

#include <glib/gi18n.h>
#include <glib/gstdio.h>

#include "gn-blocklist-file.h"
#include "gn-blocklist-part.h"
#include "gn-domain.h"
#include "gn-error.h"

#define PART_MAGIC      "GNBLPRT\x1a"
#define BYTE_ORDER_MARK 0x01020304u
#define BUFFER_BYTES    (1024 * 1024)   /* a multiple of 32: whole checksum stripes */

#ifndef O_BINARY
#define O_BINARY 0
#endif

typedef struct
{
  char    magic[8];
  guint32 version;
  guint32 byte_order;
  guint32 header_size;
  guint32 format;
  guint64 source_id;
  guint64 file_size;
  guint64 n_records;
  guint64 records_checksum;
  guint64 lines;
  guint64 comments;
  guint64 skipped[GN_SKIP_N_REASONS];
  guint64 header_checksum;   /* XXH64 of every byte before this field */
} PartHeader;

G_STATIC_ASSERT (sizeof (PartHeader) % 8 == 0);
G_STATIC_ASSERT (BUFFER_BYTES % 32 == 0);
G_STATIC_ASSERT (GN_DOMAIN_MAX <= 255);

/* Source identity ----------------------------------------------------------- */

guint64
gn_blocklist_part_source_id (const char         *path,
                             GnBlocklistFormat   format,
                             GError            **error)
{
  g_autofree guint8 *buf = NULL;
  GnBlocklistChecksumState st;
  GnBlocklistInputId id;
  guint64 total = 0;
  gsize got;
  FILE *in;

  g_return_val_if_fail (path != NULL, 0);

  /* read, not mapped: Windows would refuse the download's rename over a
   * mapped file */
  in = g_fopen (path, "rb");
  if (in == NULL)
    {
      int saved_errno = errno;
      g_autofree char *name = g_filename_display_name (path);

      g_set_error (error, GN_ERROR, GN_ERROR_IO, _("Could not read the list %s: %s"),
                   name, g_strerror (saved_errno));
      return 0;
    }

  buf = g_malloc (BUFFER_BYTES);
  gn_blocklist_checksum_init (&st, 0);
  while ((got = fread (buf, 1, BUFFER_BYTES, in)) == BUFFER_BYTES)
    {
      gn_blocklist_checksum_update (&st, buf, got);
      total += got;
    }
  if (ferror (in))
    {
      g_autofree char *name = g_filename_display_name (path);

      fclose (in);
      g_set_error (error, GN_ERROR, GN_ERROR_IO, _("Could not read the list %s: %s"),
                   name, g_strerror (EIO));
      return 0;
    }
  fclose (in);
  {
    gsize body = got & ~(gsize) 31;
    guint64 sum;

    gn_blocklist_checksum_update (&st, buf, body);
    sum = gn_blocklist_checksum_finish (&st, buf + body, got - body);
    total += got;

    gn_blocklist_input_id_init (&id);
    gn_blocklist_input_id_add_string (&id, GN_VERSION);
    gn_blocklist_input_id_add_uint64 (&id, GN_BLOCKLIST_PART_VERSION);
    gn_blocklist_input_id_add_uint64 (&id, format);
    gn_blocklist_input_id_add_uint64 (&id, total);
    gn_blocklist_input_id_add_uint64 (&id, sum);
  }
  return id.value != 0 ? id.value : 1;
}

/* Writing ------------------------------------------------------------------ */

struct _GnBlocklistPartWriter
{
  char                     *path;      /* (owned) */
  char                     *tmp_path;  /* (owned) */
  FILE                     *out;       /* (owned) */
  guint8                   *buf;       /* (owned) BUFFER_BYTES */
  gsize                     buf_len;
  GnBlocklistChecksumState  checksum;
  guint64                   source_id;
  guint64                   n_records;
  guint64                   written;   /* record bytes written */
  int                       write_errno;  /* the first failure, 0 if none */
};

static void
writer_free (GnBlocklistPartWriter *w)
{
  if (w->out != NULL)
    fclose (w->out);
  g_free (w->path);
  g_free (w->tmp_path);
  g_free (w->buf);
  g_free (w);
}

GnBlocklistPartWriter *
gn_blocklist_part_writer_new (const char  *path,
                              guint64      source_id,
                              GError     **error)
{
  GnBlocklistPartWriter *w;
  PartHeader placeholder = { 0 };
  int fd;

  g_return_val_if_fail (path != NULL, NULL);

  w = g_new0 (GnBlocklistPartWriter, 1);
  w->path = g_strdup (path);
  w->tmp_path = g_strconcat (path, ".XXXXXX", NULL);
  w->source_id = source_id;
  fd = g_mkstemp_full (w->tmp_path, O_RDWR | O_BINARY, 0600);
  if (fd < 0 || (w->out = fdopen (fd, "wb")) == NULL)
    {
      int saved_errno = errno;

      if (fd >= 0)
        {
          g_close (fd, NULL);
          g_unlink (w->tmp_path);
        }
      g_set_error (error, GN_ERROR, GN_ERROR_IO,
                   _("The compiled part %s could not be written (%s); the list is parsed again "
                     "at the next reload"), path, g_strerror (saved_errno));
      writer_free (w);
      return NULL;
    }
  w->buf = g_malloc (BUFFER_BYTES);
  gn_blocklist_checksum_init (&w->checksum, 0);
  if (fwrite (&placeholder, 1, sizeof placeholder, w->out) != sizeof placeholder)
    w->write_errno = errno ? errno : EIO;
  return w;
}

static void
writer_flush (GnBlocklistPartWriter *w)
{
  if (w->write_errno == 0 && fwrite (w->buf, 1, w->buf_len, w->out) != w->buf_len)
    w->write_errno = errno ? errno : EIO;
  w->written += w->buf_len;
  w->buf_len = 0;
}

static void
writer_append (GnBlocklistPartWriter *w,
               const void            *data,
               gsize                  len)
{
  const guint8 *p = data;

  while (len > 0)
    {
      gsize n = MIN (len, BUFFER_BYTES - w->buf_len);

      memcpy (w->buf + w->buf_len, p, n);
      w->buf_len += n;
      p += n;
      len -= n;
      if (w->buf_len == BUFFER_BYTES)
        {
          gn_blocklist_checksum_update (&w->checksum, w->buf, BUFFER_BYTES);
          writer_flush (w);
        }
    }
}

void
gn_blocklist_part_writer_add (GnMatchKind  kind,
                              const char  *name,
                              gsize        len,
                              gpointer     writer)
{
  GnBlocklistPartWriter *w = writer;
  guint8 head[2] = { (guint8) kind, (guint8) len };

  writer_append (w, head, 2);
  writer_append (w, name, len);
  w->n_records++;
}

void
gn_blocklist_part_writer_abort (GnBlocklistPartWriter *writer)
{
  if (writer == NULL)
    return;
  if (writer->out != NULL)
    {
      fclose (writer->out);
      writer->out = NULL;
    }
  g_unlink (writer->tmp_path);
  writer_free (writer);
}

gboolean
gn_blocklist_part_writer_commit (GnBlocklistPartWriter    *writer,
                                 const GnBlocklistReport  *report,
                                 GError                  **error)
{
  GnBlocklistPartWriter *w = writer;
  PartHeader h = { 0 };
  gsize body;
  int why = 0;

  g_return_val_if_fail (writer != NULL, FALSE);
  g_return_val_if_fail (report != NULL, FALSE);

  body = w->buf_len & ~(gsize) 31;
  gn_blocklist_checksum_update (&w->checksum, w->buf, body);
  h.records_checksum = gn_blocklist_checksum_finish (&w->checksum, w->buf + body, w->buf_len - body);
  writer_flush (w);

  memcpy (h.magic, PART_MAGIC, sizeof h.magic);
  h.version = GN_BLOCKLIST_PART_VERSION;
  h.byte_order = BYTE_ORDER_MARK;
  h.header_size = sizeof h;
  h.format = report->format;
  h.source_id = w->source_id;
  h.file_size = sizeof h + w->written;
  h.n_records = w->n_records;
  h.lines = report->lines;
  h.comments = report->comments;
  for (guint i = 0; i < GN_SKIP_N_REASONS; i++)
    h.skipped[i] = report->skipped[i];
  h.header_checksum = gn_blocklist_checksum (&h, G_STRUCT_OFFSET (PartHeader, header_checksum), 0);

  why = w->write_errno;
  if (why == 0 && (fseek (w->out, 0, SEEK_SET) != 0 ||
                   fwrite (&h, 1, sizeof h, w->out) != sizeof h || fflush (w->out) != 0))
    why = errno ? errno : EIO;
  if (fclose (w->out) != 0 && why == 0)
    why = errno ? errno : EIO;
  w->out = NULL;
  if (why == 0 && g_rename (w->tmp_path, w->path) != 0)
    why = errno;

  if (why != 0)
    {
      g_set_error (error, GN_ERROR, GN_ERROR_IO,
                   _("The compiled part %s could not be written (%s); the list is parsed again "
                     "at the next reload"), w->path, g_strerror (why));
      gn_blocklist_part_writer_abort (w);
      return FALSE;
    }
  writer_free (w);
  return TRUE;
}

/* Reading ------------------------------------------------------------------ */

static gboolean
reject (GError     **error,
        const char  *path,
        const char  *why)
{
  g_set_error (error, GN_ERROR, GN_ERROR_INVALID_DATA,
               _("The compiled part %s is not used (%s); the list is parsed instead"), path, why);
  return FALSE;
}

/* Pages read go back at once (they stay in the page cache): merging a
 * 30 MB part never holds more than a chunk of it in RSS. */
#define CHUNK_BYTES (1024 * 1024)

static guint64
checksum_released (const guint8 *base,
                   const guint8 *p,
                   gsize         len)
{
  GnBlocklistChecksumState st;

  gn_blocklist_checksum_init (&st, 0);
  while (len >= 32)
    {
      gsize n = MIN (len & ~(gsize) 31, CHUNK_BYTES);

      gn_blocklist_checksum_update (&st, p, n);
      gn_blocklist_release_pages (base, p, p + n);
      p += n;
      len -= n;
    }
  return gn_blocklist_checksum_finish (&st, p, len);
}

/* Every record well formed, and as many as the header says. */
static gboolean
check_records (const guint8 *p,
               gsize         len,
               guint64       n_records)
{
  const guint8 *end = p + len;
  guint64 n = 0;

  while (p < end)
    {
      gsize name_len;

      if (end - p < 2 || (p[0] != GN_MATCH_BLOCK && p[0] != GN_MATCH_ALLOW))
        return FALSE;
      name_len = p[1];
      if (name_len == 0 || name_len > GN_DOMAIN_MAX || (gsize) (end - p - 2) < name_len ||
          memchr (p + 2, '\0', name_len) != NULL)
        return FALSE;
      p += 2 + name_len;
      n++;
    }
  return n == n_records;
}

gboolean
gn_blocklist_part_add (GnBlocklistBuilder  *builder,
                       const char          *list_name,
                       const char          *path,
                       guint64              source_id,
                       GnBlocklistReport   *report,
                       GError             **error)
{
  g_autoptr(GMappedFile) file = NULL;
  g_autoptr(GError) local_error = NULL;
  GnBlocklistReport local_report;
  const guint8 *base, *p, *end;
  PartHeader h;
  guint list_index;
  gsize len;

  g_return_val_if_fail (builder != NULL, FALSE);
  g_return_val_if_fail (list_name != NULL, FALSE);
  g_return_val_if_fail (path != NULL, FALSE);

  if (report == NULL)
    report = &local_report;
  memset (report, 0, sizeof *report);

  file = g_mapped_file_new (path, FALSE, &local_error);
  if (file == NULL)
    {
      /* GN_ERROR_IO: a source never parsed yet has no part, which is not
       * worth a message */
      g_set_error (error, GN_ERROR, GN_ERROR_IO,
                   _("The compiled part %s is not used (%s); the list is parsed instead"),
                   path, local_error->message);
      return FALSE;
    }
  base = (const guint8 *) g_mapped_file_get_contents (file);
  len = g_mapped_file_get_length (file);

  if (len < sizeof h)
    return reject (error, path, _("it is truncated"));
  memcpy (&h, base, sizeof h);
  if (memcmp (h.magic, PART_MAGIC, sizeof h.magic) != 0)
    return reject (error, path, _("it is not a compiled part"));
  if (h.version != GN_BLOCKLIST_PART_VERSION)
    {
      g_autofree char *why = g_strdup_printf (_("format version %u, this build reads %u"),
                                              h.version, GN_BLOCKLIST_PART_VERSION);
      return reject (error, path, why);
    }
  if (h.byte_order != BYTE_ORDER_MARK || h.header_size != sizeof h)
    return reject (error, path, _("it was written on another kind of computer"));
  if (h.header_checksum != gn_blocklist_checksum (&h, G_STRUCT_OFFSET (PartHeader, header_checksum), 0))
    return reject (error, path, _("its header is damaged"));
  if (h.file_size != len)
    {
      g_autofree char *why = g_strdup_printf (_("it is truncated: %" G_GSIZE_FORMAT " of %"
                                                G_GUINT64_FORMAT " bytes"), len, h.file_size);
      return reject (error, path, why);
    }
  if (h.source_id != source_id)
    {
      g_set_error (error, GN_ERROR, GN_ERROR_FAILED,
                   _("The compiled part %s is not used (%s); the list is parsed instead"), path,
                   _("the list changed since"));
      return FALSE;
    }

  p = base + sizeof h;
  end = base + len;
  if (checksum_released (base, p, end - p) != h.records_checksum)
    return reject (error, path, _("its checksum does not match: the file is damaged"));
  if (!check_records (p, end - p, h.n_records))
    return reject (error, path, _("its records are malformed"));

  /* from here on nothing can fail */
  report->format = h.format;
  report->lines = h.lines;
  report->comments = h.comments;
  for (guint i = 0; i < GN_SKIP_N_REASONS; i++)
    report->skipped[i] = h.skipped[i];

  /* a megabyte of whole records at a time, its pages released after */
  list_index = gn_blocklist_builder_add_list (builder, list_name);
  while (p < end)
    {
      const guint8 *q = p;

      while (q < end && q - p < CHUNK_BYTES)
        q += 2 + q[1];
      gn_blocklist_builder_add_records (builder, list_index, p, q - p, report);
      gn_blocklist_release_pages (base, p, q);
      p = q;
    }
  return TRUE;
}
