/* gn-blocklist-parser.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Line parsers for hosts, plain-domain, Adblock and wildcard lists, format
 * detection, and the streaming front end (gn_blocklist_builder_add_data()
 * and _add_file()) that feeds a GnBlocklistBuilder chunk by chunk, so a
 * 40 MB list never sits in memory next to its compact form.
 *
 * Every format means the same thing: a listed name blocks itself and all its
 * subdomains ("*.example.com", "||example.com^", "0.0.0.0 example.com" and
 * "example.com" are one rule). Lines we cannot honour are skipped and
 * counted by reason, never guessed at. Binary input (NUL or control bytes)
 * stops the parse with GN_ERROR_INVALID_DATA.
 *
 * Encodings: UTF-8 (a byte order mark is skipped) and UTF-16 with a byte
 * order mark, LE or BE (Windows tools such as PowerShell's Out-File write
 * that), which is decoded to UTF-8 as it is read (iconv through g_convert()
 * and GCharsetConverter). UTF-16 without a byte order mark is refused, but
 * the message says that it looks like UTF-16 rather than "binary data".
 * gn_blocklist_builder_add_file_full() can cap the size: a regular file's
 * size is checked before anything is read, and a stream (a FIFO) is cut
 * off as soon as it goes past the cap.
 *
 * Threading: no shared state; any thread (normally a GTask worker). A big
 * regular file is parsed on the calling thread while one more thread of its
 * own inserts the names (gn-blocklist-inserter.h); it is joined
 * before the call returns.
 */

#include <string.h>

#include <gio/gio.h>
#include <glib/gi18n.h>

#include "gn-blocklist-builder.h"
#include "gn-blocklist-encoding.h"
#include "gn-blocklist-inserter.h"
#include "gn-blocklist-parser.h"
#include "gn-domain.h"
#include "gn-error.h"

#define MAX_LINE     4096
#define CHUNK_SIZE   (1024 * 1024)
#define DETECT_BYTES (64 * 1024)

typedef struct
{
  GnBlocklistBuilder *builder;
  GnBlocklistInserter *inserter;    /* (owned) (nullable) while pipelined */
  guint               list_index;
  const char         *list_name;
  GnBlocklistFormat   format;
  GnBlocklistReport  *report;
  char                carry[MAX_LINE];
  gsize               carry_len;
  gboolean            discarding;   /* inside a line longer than MAX_LINE */
  guint64             offset;       /* bytes fed so far */
} Parser;

static const char * const format_names[] = { "auto", "hosts", "domains", "adblock", "wildcard" };

const char *
gn_blocklist_format_to_string (GnBlocklistFormat format)
{
  g_return_val_if_fail (format <= GN_BLOCKLIST_FORMAT_WILDCARD, "auto");

  return format_names[format];
}

gboolean
gn_blocklist_format_from_string (const char        *str,
                                 GnBlocklistFormat *format)
{
  g_return_val_if_fail (format != NULL, FALSE);

  for (guint i = 0; str != NULL && i < G_N_ELEMENTS (format_names); i++)
    if (g_ascii_strcasecmp (str, format_names[i]) == 0)
      {
        *format = i;
        return TRUE;
      }

  return FALSE;
}

const char *
gn_skip_reason_to_string (GnSkipReason reason)
{
  static const char * const reasons[] = {
    "malformed line", "invalid name", "local name", "not a domain",
    "Adblock options", "path or URL pattern", "wildcard", "element hiding",
    "line too long",
  };

  g_return_val_if_fail (reason < GN_SKIP_N_REASONS, "unknown");
  return reasons[reason];
}

guint64
gn_blocklist_report_get_skipped (const GnBlocklistReport *report)
{
  guint64 total = 0;

  g_return_val_if_fail (report != NULL, 0);

  for (guint i = 0; i < GN_SKIP_N_REASONS; i++)
    total += report->skipped[i];
  return total;
}

char *
gn_blocklist_report_to_string (const GnBlocklistReport *report)
{
  GString *s;
  guint64 skipped;

  g_return_val_if_fail (report != NULL, NULL);

  s = g_string_new (NULL);
  g_string_append_printf (s, "%" G_GUINT64_FORMAT " entries (%s)", report->accepted,
                          gn_blocklist_format_to_string (report->format));
  if (report->allow_rules > 0)
    g_string_append_printf (s, ", %" G_GUINT64_FORMAT " of them exceptions", report->allow_rules);
  g_string_append_printf (s, ", %" G_GUINT64_FORMAT " duplicates", report->duplicates);

  skipped = gn_blocklist_report_get_skipped (report);
  g_string_append_printf (s, ", %" G_GUINT64_FORMAT " skipped", skipped);
  for (guint i = 0, n = 0; i < GN_SKIP_N_REASONS; i++)
    if (report->skipped[i] > 0)
      g_string_append_printf (s, "%s%" G_GUINT64_FORMAT " %s", n++ == 0 ? ": " : ", ",
                              report->skipped[i], gn_skip_reason_to_string (i));

  return g_string_free (s, FALSE);
}

static inline gboolean
is_space (char c)
{
  return c == ' ' || c == '\t' || c == '\r' || c == '\v' || c == '\f';
}

static gboolean
is_ip_token (const char *s,
             gsize       len)
{
  char buf[GN_DOMAIN_MAX + 1];
  gsize out_len;

  /* the two sinks nearly every hosts list uses, without allocating */
  if ((len == 7 && memcmp (s, "0.0.0.0", 7) == 0) ||
      (len == 9 && memcmp (s, "127.0.0.1", 9) == 0))
    return TRUE;

  if (len > GN_DOMAIN_MAX)
    return FALSE;
  return gn_domain_normalize (s, len, buf, &out_len) == GN_NAME_IP;
}

static gboolean
is_local_name (const char *name,
               GnNameKind  kind)
{
  static const char * const local[] = {
    "localhost", "localhost.localdomain", "local", "broadcasthost",
    "ip6-localhost", "ip6-loopback", "ip6-localnet", "ip6-mcastprefix",
    "ip6-allnodes", "ip6-allrouters", "ip6-allhosts",
  };

  if (kind == GN_NAME_IP)
    return g_str_equal (name, "0.0.0.0") || g_str_has_prefix (name, "127.") ||
           g_str_equal (name, "::1") || g_str_equal (name, "::") ||
           g_str_equal (name, "255.255.255.255");

  for (guint i = 0; i < G_N_ELEMENTS (local); i++)
    if (g_str_equal (name, local[i]))
      return TRUE;
  return FALSE;
}

static void
add_name (Parser      *p,
          GnMatchKind  kind,
          const char  *s,
          gsize        len,
          gboolean     hosts_column)
{
  char buf[GN_DOMAIN_MAX + 1];
  gsize out_len;
  GnNameKind name_kind = gn_domain_normalize (s, len, buf, &out_len);

  if (name_kind == GN_NAME_INVALID)
    {
      p->report->skipped[memchr (s, '*', len) ? GN_SKIP_WILDCARD : GN_SKIP_INVALID_NAME]++;
      return;
    }

  if (hosts_column && is_local_name (buf, name_kind))
    {
      p->report->skipped[GN_SKIP_LOCAL_NAME]++;
      return;
    }

  if (name_kind == GN_NAME_SINGLE_LABEL)
    {
      p->report->skipped[is_local_name (buf, name_kind) ? GN_SKIP_LOCAL_NAME : GN_SKIP_NOT_A_DOMAIN]++;
      return;
    }

  if (p->inserter != NULL)
    {
      gn_blocklist_inserter_push (p->inserter, kind, buf, out_len);
      return;
    }

  switch (gn_blocklist_builder_add_rule (p->builder, p->list_index, kind, buf, out_len))
    {
    case GN_BUILDER_DUPLICATE:
      p->report->duplicates++;
      break;
    case GN_BUILDER_ADDED:
    case GN_BUILDER_ALREADY_LISTED:
    default:
      p->report->accepted++;
      if (kind == GN_MATCH_ALLOW)
        p->report->allow_rules++;
      break;
    }
}

static void
parse_hosts (Parser     *p,
             const char *s,
             gsize       len)
{
  const char *end = s + len;
  const char *hash = memchr (s, '#', len);
  const char *tok;
  gboolean first = TRUE;
  guint names = 0;

  if (hash != NULL)
    end = hash;

  while (s < end)
    {
      while (s < end && is_space (*s))
        s++;
      if (s == end)
        break;
      tok = s;
      while (s < end && !is_space (*s))
        s++;

      if (first)
        {
          if (!is_ip_token (tok, s - tok))
            {
              p->report->skipped[GN_SKIP_MALFORMED]++;
              return;
            }
          first = FALSE;
          continue;
        }

      add_name (p, GN_MATCH_BLOCK, tok, s - tok, TRUE);
      names++;
    }

  if (names == 0)
    p->report->skipped[GN_SKIP_MALFORMED]++;
}

static void
parse_domain (Parser     *p,
              const char *s,
              gsize       len)
{
  const char *hash = memchr (s, '#', len);

  if (hash != NULL)
    len = hash - s;
  while (len > 0 && is_space (s[len - 1]))
    len--;
  if (len == 0)
    {
      p->report->comments++;
      return;
    }

  for (gsize i = 0; i < len; i++)
    if (is_space (s[i]))
      {
        p->report->skipped[GN_SKIP_MALFORMED]++;
        return;
      }

  /* "*.example.com" and ".example.com" mean what "example.com" means here */
  if (len > 2 && s[0] == '*' && s[1] == '.')
    s += 2, len -= 2;
  else if (len > 1 && s[0] == '.')
    s += 1, len -= 1;

  add_name (p, GN_MATCH_BLOCK, s, len, FALSE);
}

static inline gboolean
is_host_char (char c)
{
  return g_ascii_isalnum (c) || c == '.' || c == '-' || c == '_' || (guchar) c >= 0x80;
}

static void
parse_adblock (Parser     *p,
               const char *s,
               gsize       len)
{
  GnMatchKind kind = GN_MATCH_BLOCK;
  const char *end, *host, *rest;

  while (len > 0 && is_space (s[len - 1]))
    len--;
  end = s + len;

  if (g_strstr_len (s, len, "##") || g_strstr_len (s, len, "#@#") ||
      g_strstr_len (s, len, "#?#") || g_strstr_len (s, len, "#$#"))
    {
      p->report->skipped[GN_SKIP_COSMETIC]++;
      return;
    }

  if (len >= 2 && s[0] == '@' && s[1] == '@')
    {
      kind = GN_MATCH_ALLOW;
      s += 2;
    }

  if (end - s < 3 || s[0] != '|' || s[1] != '|')
    {
      p->report->skipped[memchr (s, '$', end - s) ? GN_SKIP_OPTIONS : GN_SKIP_PATH]++;
      return;
    }

  host = s + 2;
  for (rest = host; rest < end && is_host_char (*rest); rest++)
    ;

  if (rest < end && *rest == '^')
    {
      rest++;
      if (rest < end && *rest == '|')
        rest++;
    }

  if (rest < end)
    {
      GnSkipReason why = GN_SKIP_PATH;

      if (*rest == '$' || memchr (rest, '$', end - rest))
        why = GN_SKIP_OPTIONS;
      else if (*rest == '*')
        why = GN_SKIP_WILDCARD;
      p->report->skipped[why]++;
      return;
    }

  {
    const char *host_end = host;

    while (host_end < end && is_host_char (*host_end))
      host_end++;
    if (host_end == host)
      {
        p->report->skipped[GN_SKIP_MALFORMED]++;
        return;
      }
    add_name (p, kind, host, host_end - host, FALSE);
  }
}

static void
parse_line (Parser     *p,
            const char *s,
            gsize       len)
{
  p->report->lines++;

  while (len > 0 && is_space (*s))
    s++, len--;
  while (len > 0 && is_space (s[len - 1]))
    len--;

  if (len == 0 || s[0] == '#' || s[0] == '!' ||
      (s[0] == '[' && p->format == GN_BLOCKLIST_FORMAT_ADBLOCK))
    {
      /* "#" comments everywhere, "!" and "[Adblock Plus 2.0]" in Adblock
       * lists (a "##" element-hiding rule starts with '#' too, but carries
       * nothing for a proxy either) */
      if (p->format == GN_BLOCKLIST_FORMAT_ADBLOCK && len >= 2 && s[0] == '#' && s[1] == '#')
        p->report->skipped[GN_SKIP_COSMETIC]++;
      else
        p->report->comments++;
      return;
    }

  switch (p->format)
    {
    case GN_BLOCKLIST_FORMAT_HOSTS:
      parse_hosts (p, s, len);
      break;
    case GN_BLOCKLIST_FORMAT_ADBLOCK:
      parse_adblock (p, s, len);
      break;
    case GN_BLOCKLIST_FORMAT_DOMAINS:
    case GN_BLOCKLIST_FORMAT_WILDCARD:
    case GN_BLOCKLIST_FORMAT_AUTO:
    default:
      parse_domain (p, s, len);
      break;
    }
}

GnBlocklistFormat
gn_blocklist_format_detect (const char *data,
                            gsize       len)
{
  guint votes[GN_BLOCKLIST_FORMAT_WILDCARD + 1] = { 0 };
  const char *s = data, *end = data + MIN (len, DETECT_BYTES);
  guint seen = 0;
  GnBlocklistFormat best = GN_BLOCKLIST_FORMAT_DOMAINS;

  while (s < end && seen < 200)
    {
      const char *nl = memchr (s, '\n', end - s);
      const char *line_end = nl ? nl : end;
      const char *tok_end;

      while (s < line_end && is_space (*s))
        s++;

      if (line_end - s >= 9 && g_ascii_strncasecmp (s, "[Adblock", 8) == 0)
        return GN_BLOCKLIST_FORMAT_ADBLOCK;

      if (s < line_end && *s == '!')
        votes[GN_BLOCKLIST_FORMAT_ADBLOCK]++;
      else if (s < line_end && *s != '#')
        {
          seen++;
          for (tok_end = s; tok_end < line_end && !is_space (*tok_end); tok_end++)
            ;
          if (s[0] == '|' || s[0] == '@')
            votes[GN_BLOCKLIST_FORMAT_ADBLOCK] += 2;
          else if (line_end - s > 2 && s[0] == '*' && s[1] == '.')
            votes[GN_BLOCKLIST_FORMAT_WILDCARD] += 2;
          else if (tok_end < line_end && is_ip_token (s, tok_end - s))
            votes[GN_BLOCKLIST_FORMAT_HOSTS] += 2;
          else
            votes[GN_BLOCKLIST_FORMAT_DOMAINS] += 2;
        }

      s = nl ? nl + 1 : end;
    }

  for (guint f = GN_BLOCKLIST_FORMAT_HOSTS; f <= GN_BLOCKLIST_FORMAT_WILDCARD; f++)
    if (votes[f] > votes[best])
      best = f;

  return best;
}

static gboolean
check_text (Parser      *p,
            const char  *data,
            gsize        len,
            GError     **error)
{
  for (gsize i = 0; i < len; i++)
    {
      guchar c = data[i];

      if (G_UNLIKELY ((c < 0x20 && c != '\n' && c != '\r' && c != '\t' && c != '\f' && c != '\v') || c == 0x7f))
        {
          if (p->offset == 0 && gn_text_looks_like_utf16 (data, len))
            g_set_error (error, GN_ERROR, GN_ERROR_INVALID_DATA,
                         _("“%s” looks like UTF-16 text without a byte order mark; save it "
                           "as UTF-8, or as UTF-16 with a byte order mark"),
                         p->list_name);
          else
            g_set_error (error, GN_ERROR, GN_ERROR_INVALID_DATA,
                         _("“%s” is not a text blocklist (binary data at byte %llu)"),
                         p->list_name, (unsigned long long) (p->offset + i));
          return FALSE;
        }
    }

  return TRUE;
}

static gboolean
parser_feed (Parser      *p,
             const char  *data,
             gsize        len,
             GError     **error)
{
  const char *s = data, *end = data + len;

  if (!check_text (p, data, len, error))
    return FALSE;
  p->offset += len;

  while (s < end)
    {
      const char *nl = memchr (s, '\n', end - s);
      gsize n = (nl ? nl : end) - s;

      if (p->discarding || p->carry_len + n > MAX_LINE)
        {
          /* a line too long to be a rule: skip to its end */
          if (!p->discarding)
            {
              p->report->lines++;
              p->report->skipped[GN_SKIP_TOO_LONG]++;
            }
          p->discarding = nl == NULL;
          p->carry_len = 0;
        }
      else if (nl == NULL)
        {
          memcpy (p->carry + p->carry_len, s, n);
          p->carry_len += n;
        }
      else if (p->carry_len > 0)
        {
          memcpy (p->carry + p->carry_len, s, n);
          parse_line (p, p->carry, p->carry_len + n);
          p->carry_len = 0;
        }
      else
        parse_line (p, s, n);

      s = nl ? nl + 1 : end;
    }

  return TRUE;
}

static gboolean
parser_finish (Parser      *p,
               GError     **error)
{
  guint64 unreadable;

  if (p->carry_len > 0)
    parse_line (p, p->carry, p->carry_len);
  p->carry_len = 0;
  if (p->inserter != NULL)
    gn_blocklist_inserter_finish (g_steal_pointer (&p->inserter), p->report);

  unreadable = p->report->skipped[GN_SKIP_MALFORMED] + p->report->skipped[GN_SKIP_INVALID_NAME];
  if (unreadable > 0 && unreadable >= p->report->accepted)
    {
      g_set_error (error, GN_ERROR, GN_ERROR_INVALID_DATA,
                   _("“%s” does not look like a %s blocklist: %llu of its lines are not "
                     "rules, only %llu are"),
                   p->list_name, gn_blocklist_format_to_string (p->format),
                   (unsigned long long) unreadable, (unsigned long long) p->report->accepted);
      return FALSE;
    }

  return TRUE;
}

static void
parser_init (Parser              *p,
             GnBlocklistBuilder  *builder,
             const char          *list_name,
             GnBlocklistFormat    format,
             GnBlocklistReport   *report)
{
  memset (report, 0, sizeof *report);
  p->builder = builder;
  p->inserter = NULL;
  p->list_name = list_name;
  p->list_index = gn_blocklist_builder_add_list (builder, list_name);
  p->format = format;
  p->report = report;
  p->carry_len = 0;
  p->discarding = FALSE;
  p->offset = 0;
  report->format = format;
}

gboolean
gn_blocklist_builder_add_data (GnBlocklistBuilder  *self,
                               const char          *list_name,
                               const char          *data,
                               gsize                len,
                               GnBlocklistFormat    format,
                               GnBlocklistReport   *report,
                               GError             **error)
{
  GnBlocklistReport local_report;
  g_autofree Parser *p = g_new (Parser, 1);
  g_autofree char *decoded = NULL;
  GnTextEncoding encoding;
  gsize bom_len;

  g_return_val_if_fail (self != NULL, FALSE);
  g_return_val_if_fail (list_name != NULL, FALSE);
  g_return_val_if_fail (data != NULL || len == 0, FALSE);

  if (report == NULL)
    report = &local_report;
  memset (report, 0, sizeof *report);

  encoding = gn_text_sniff_bom (data, len, &bom_len);
  data += bom_len;
  len -= bom_len;
  if (encoding != GN_TEXT_UTF8)
    {
      g_autoptr(GError) local_error = NULL;
      gsize decoded_len = 0;

      decoded = g_convert (data, len, "UTF-8", gn_text_utf16_charset (encoding), NULL, &decoded_len,
                           &local_error);
      if (decoded == NULL)
        {
          g_set_error (error, GN_ERROR, GN_ERROR_INVALID_DATA,
                       _("“%s” is not valid %s text: %s"), list_name,
                       gn_text_utf16_charset (encoding), local_error->message);
          return FALSE;
        }
      data = decoded;
      len = decoded_len;
    }

  if (format == GN_BLOCKLIST_FORMAT_AUTO)
    format = gn_blocklist_format_detect (data, len);

  parser_init (p, self, list_name, format, report);
  return parser_feed (p, data, len, error) && parser_finish (p, error);
}

/* An error that names the file, its size and the cap. */
static void
set_too_large_error (GError     **error,
                     const char  *path,
                     guint64      size,
                     guint64      max_bytes)
{
  g_autofree char *name = g_filename_display_name (path);
  g_autofree char *cap = g_format_size_full (max_bytes, G_FORMAT_SIZE_IEC_UNITS);

  if (size > 0)
    {
      g_autofree char *how_big = g_format_size_full (size, G_FORMAT_SIZE_LONG_FORMAT);

      g_set_error (error, GN_ERROR, GN_ERROR_INVALID_DATA,
                   _("The blocklist file %s is %s, more than the %s a list may have; it was "
                     "not read. Split it into smaller files, or keep only the rules you need."),
                   name, how_big, cap);
    }
  else
    g_set_error (error, GN_ERROR, GN_ERROR_INVALID_DATA,
                 _("The blocklist %s goes on past the %s a list may have; it was not used. "
                   "Split it into smaller files, or keep only the rules you need."),
                 name, cap);
}

gboolean
gn_blocklist_builder_add_file (GnBlocklistBuilder  *self,
                               const char          *list_name,
                               const char          *path,
                               GnBlocklistFormat    format,
                               GnBlocklistReport   *report,
                               GCancellable        *cancellable,
                               GError             **error)
{
  return gn_blocklist_builder_add_file_full (self, list_name, path, format, 0, report,
                                             cancellable, error);
}

static gboolean
add_file (GnBlocklistBuilder  *self,
          Parser              *p,
          const char          *list_name,
          const char          *path,
          GnBlocklistFormat    format,
          guint64              max_bytes,
          GnBlocklistReport   *report,
          GCancellable        *cancellable,
          GError             **error)
{
  g_autoptr(GFile) file = NULL;
  g_autoptr(GFileInputStream) in = NULL;
  g_autoptr(GFileInfo) info = NULL;
  g_autoptr(GInputStream) buffered = NULL;
  g_autoptr(GInputStream) text = NULL;
  g_autofree char *buf = NULL;
  g_autoptr(GError) local_error = NULL;
  gboolean pipeline = FALSE;
  GnTextEncoding encoding = GN_TEXT_UTF8;
  gboolean first = TRUE;
  guint64 total = 0;
  gsize bom_len = 0;

  file = g_file_new_for_path (path);
  in = g_file_read (file, cancellable, &local_error);
  if (in == NULL)
    {
      g_set_error (error, GN_ERROR, GN_ERROR_IO, _("Could not read the list “%s”: %s"),
                   list_name, local_error->message);
      return FALSE;
    }

  /* The size of what was opened (not of what the path names a moment
   * later): a 200 MB file costs one fstat(). */
  info = g_file_input_stream_query_info (in, G_FILE_ATTRIBUTE_STANDARD_TYPE ","
                                         G_FILE_ATTRIBUTE_STANDARD_SIZE, cancellable, NULL);
  if (max_bytes > 0 && info != NULL &&
      g_file_info_get_file_type (info) == G_FILE_TYPE_REGULAR &&
      (guint64) g_file_info_get_size (info) > max_bytes)
    {
      set_too_large_error (error, path, g_file_info_get_size (info), max_bytes);
      return FALSE;
    }
  pipeline = info != NULL && g_file_info_get_file_type (info) == G_FILE_TYPE_REGULAR &&
             g_file_info_get_size (info) >= GN_BLOCKLIST_PIPELINE_MIN_BYTES && g_get_num_processors () > 1;

  /* A byte order mark decides how the rest is read. */
  buffered = g_buffered_input_stream_new (G_INPUT_STREAM (in));
  for (;;)
    {
      gssize got = 0;
      gsize available;
      const char *start = g_buffered_input_stream_peek_buffer (G_BUFFERED_INPUT_STREAM (buffered),
                                                               &available);

      if (available >= 3 ||
          (got = g_buffered_input_stream_fill (G_BUFFERED_INPUT_STREAM (buffered), 3 - available,
                                               cancellable, &local_error)) <= 0)
        {
          if (got < 0)
            {
              g_set_error (error, GN_ERROR, GN_ERROR_IO, _("Could not read the list “%s”: %s"),
                           list_name, local_error->message);
              return FALSE;
            }
          encoding = gn_text_sniff_bom (start, available, &bom_len);
          break;
        }
    }
  if (bom_len > 0 && g_input_stream_skip (buffered, bom_len, cancellable, &local_error) < 0)
    {
      g_set_error (error, GN_ERROR, GN_ERROR_IO, _("Could not read the list “%s”: %s"),
                   list_name, local_error->message);
      return FALSE;
    }
  if (encoding == GN_TEXT_UTF8)
    text = g_object_ref (buffered);
  else
    {
      g_autoptr(GCharsetConverter) converter =
        g_charset_converter_new ("UTF-8", gn_text_utf16_charset (encoding), &local_error);

      if (converter == NULL)
        {
          g_set_error (error, GN_ERROR, GN_ERROR_INVALID_DATA,
                       _("“%s” is %s text, which cannot be read here: %s"), list_name,
                       gn_text_utf16_charset (encoding), local_error->message);
          return FALSE;
        }
      text = g_converter_input_stream_new (buffered, G_CONVERTER (converter));
    }

  buf = g_malloc (CHUNK_SIZE);
  for (;;)
    {
      gsize n = 0;

      if (!g_input_stream_read_all (text, buf, CHUNK_SIZE, &n, cancellable, &local_error))
        {
          if (encoding != GN_TEXT_UTF8 &&
              (g_error_matches (local_error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA) ||
               g_error_matches (local_error, G_IO_ERROR, G_IO_ERROR_PARTIAL_INPUT)))
            g_set_error (error, GN_ERROR, GN_ERROR_INVALID_DATA,
                         _("“%s” is not valid %s text: %s"), list_name,
                         gn_text_utf16_charset (encoding), local_error->message);
          else
            g_set_error (error, GN_ERROR, GN_ERROR_IO, _("Could not read the list “%s”: %s"),
                         list_name, local_error->message);
          return FALSE;
        }

      /* Not a regular file (a FIFO, a device): the cap holds all the same. */
      total += n;
      if (max_bytes > 0 && total > max_bytes)
        {
          set_too_large_error (error, path, 0, max_bytes);
          return FALSE;
        }

      if (first)
        {
          if (format == GN_BLOCKLIST_FORMAT_AUTO)
            format = gn_blocklist_format_detect (buf, n);
          parser_init (p, self, list_name, format, report);
          if (pipeline)
            p->inserter = gn_blocklist_inserter_start (self, p->list_index);
          first = FALSE;
        }

      if (n == 0)
        break;
      if (!parser_feed (p, buf, n, error))
        return FALSE;
      if (n < CHUNK_SIZE)
        break;
    }

  return parser_finish (p, error);
}

gboolean
gn_blocklist_builder_add_file_full (GnBlocklistBuilder  *self,
                                    const char          *list_name,
                                    const char          *path,
                                    GnBlocklistFormat    format,
                                    guint64              max_bytes,
                                    GnBlocklistReport   *report,
                                    GCancellable        *cancellable,
                                    GError             **error)
{
  GnBlocklistReport local_report;
  g_autofree Parser *p = g_new0 (Parser, 1);
  gboolean ok;

  g_return_val_if_fail (self != NULL, FALSE);
  g_return_val_if_fail (list_name != NULL, FALSE);
  g_return_val_if_fail (path != NULL, FALSE);

  if (report == NULL)
    report = &local_report;
  memset (report, 0, sizeof *report);

  ok = add_file (self, p, list_name, path, format, max_bytes, report, cancellable, error);
  /* Failed half-way: the inserter stops; the builder is not used further. */
  if (p->inserter != NULL)
    gn_blocklist_inserter_finish (g_steal_pointer (&p->inserter), NULL);
  return ok;
}
