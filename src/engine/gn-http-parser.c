/* gn-http-parser.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The HTTP/1.x head parser (see gn-http-parser.h). Strict where leniency
 * would let a request be read two ways (request smuggling: both
 * Content-Length and Transfer-Encoding, differing Content-Lengths, obsolete
 * line folding, whitespace before the colon are all refused), lenient where
 * it is harmless (bare LF line ends, empty lines before the request line).
 *
 * Also the reason phrases of the statuses the proxy answers itself
 * (gn_http_status_phrase(), 421 Misdirected Request included).
 *
 * Pure functions on caller memory; no allocation, no global state.
 */

#include <string.h>

#include "gn-domain.h"
#include "gn-http-parser.h"

#define DEFAULT_MAX_HEAD_BYTES (32 * 1024)
#define DEFAULT_MAX_HEADERS    100
#define MAX_CHUNK_LINE         4096

void
gn_http_parser_init (GnHttpParser *parser,
                     gsize         max_head_bytes,
                     guint         max_headers)
{
  g_return_if_fail (parser != NULL);

  parser->max_head_bytes = max_head_bytes ? max_head_bytes : DEFAULT_MAX_HEAD_BYTES;
  parser->max_headers = max_headers ? MIN (max_headers, GN_HTTP_MAX_HEADERS) : DEFAULT_MAX_HEADERS;
  parser->scanned = 0;
}

static gboolean
is_tchar (guchar c)
{
  if (g_ascii_isalnum (c))
    return TRUE;
  return c != '\0' && strchr ("!#$%&'*+-.^_`|~", c) != NULL;
}

static GnHttpParseResult
fail (GnHttpHead *head,
      guint       status,
      const char *reason)
{
  head->error_status = status;
  head->error_reason = reason;
  return GN_HTTP_PARSE_ERROR;
}

/* Skips the empty lines a client may send before a request line. */
static gsize
skip_leading_newlines (const char *buf,
                       gsize       len)
{
  gsize i = 0;

  while (i < len && (buf[i] == '\r' || buf[i] == '\n'))
    i++;
  return i;
}

/* Returns the offset just past the blank line ending the head, or 0. */
static gsize
find_head_end (GnHttpParser *parser,
               const char   *buf,
               gsize         len,
               gsize         start)
{
  gsize i = MAX (start, parser->scanned);

  for (; i < len; i++)
    {
      if (buf[i] != '\n' || i == start)
        continue;
      if (buf[i - 1] == '\n')
        return i + 1;
      if (buf[i - 1] == '\r' && i >= start + 2 && buf[i - 2] == '\n')
        return i + 1;
    }

  /* Resume at most two bytes back next time: "\n\r" may straddle. */
  parser->scanned = len > start + 2 ? len - 2 : start;
  return 0;
}

/* One line [p, end) without its line ending; NULL at the end of the head. */
static const char *
next_line (const char  *p,
           const char  *limit,
           gsize       *line_len,
           gboolean    *bare_cr)
{
  const char *nl = memchr (p, '\n', limit - p);
  const char *end;

  if (nl == NULL)
    return NULL;
  end = nl;
  if (end > p && end[-1] == '\r')
    end--;
  *line_len = end - p;
  *bare_cr = memchr (p, '\r', *line_len) != NULL;
  return nl + 1;
}

static gboolean
parse_version (const char *p,
               gsize       len,
               guint      *minor,
               guint      *status)
{
  if (len == 8 && memcmp (p, "HTTP/1.", 7) == 0 && g_ascii_isdigit (p[7]))
    {
      *minor = p[7] - '0';
      return TRUE;
    }
  if (len == 8 && memcmp (p, "HTTP/", 5) == 0 && g_ascii_isdigit (p[5]) &&
      p[6] == '.' && g_ascii_isdigit (p[7]))
    *status = 505;
  else
    *status = 400;
  return FALSE;
}

static gboolean
equal_ci (const char *a,
          gsize       a_len,
          const char *b)
{
  return strlen (b) == a_len && g_ascii_strncasecmp (a, b, a_len) == 0;
}

gboolean
gn_http_list_has_token (const char *value,
                        gsize       value_len,
                        const char *token)
{
  const char *p = value;
  const char *end = value + value_len;

  while (p < end)
    {
      const char *comma = memchr (p, ',', end - p);
      const char *item_end = comma ? comma : end;
      const char *a = p, *b = item_end;

      while (a < b && (*a == ' ' || *a == '\t'))
        a++;
      while (b > a && (b[-1] == ' ' || b[-1] == '\t'))
        b--;
      if (equal_ci (a, b - a, token))
        return TRUE;
      p = item_end + 1;
    }
  return FALSE;
}

static gboolean
parse_decimal (const char *p,
               gsize       len,
               guint64    *out)
{
  guint64 v = 0;

  if (len == 0 || len > 15)
    return FALSE;
  for (gsize i = 0; i < len; i++)
    {
      if (!g_ascii_isdigit (p[i]))
        return FALSE;
      v = v * 10 + (p[i] - '0');
    }
  *out = v;
  return TRUE;
}

/* Parses the header lines in [p, limit) and derives framing. */
static GnHttpParseResult
parse_headers (GnHttpParser *parser,
               const char   *p,
               const char   *limit,
               gboolean      is_request,
               GnHttpHead   *head)
{
  gboolean have_length = FALSE;
  gboolean have_te = FALSE;
  gboolean chunked = FALSE;
  gboolean conn_close = FALSE, conn_keep_alive = FALSE, conn_upgrade = FALSE;
  gboolean have_upgrade = FALSE;

  head->n_headers = 0;

  for (;;)
    {
      gsize line_len;
      gboolean bare_cr;
      const char *next = next_line (p, limit, &line_len, &bare_cr);
      const char *colon, *v, *v_end;
      GnHttpHeader *h;

      if (next == NULL)
        return fail (head, 400, "Malformed request head");
      if (line_len == 0)
        break;
      if (bare_cr)
        return fail (head, 400, "Stray carriage return in a header");
      if (*p == ' ' || *p == '\t')
        return fail (head, 400, "Folded header lines are not allowed");

      colon = memchr (p, ':', line_len);
      if (colon == NULL || colon == p)
        return fail (head, 400, "Malformed header line");
      for (const char *q = p; q < colon; q++)
        if (!is_tchar (*q))
          return fail (head, 400, "Invalid character in a header name");

      v = colon + 1;
      v_end = p + line_len;
      while (v < v_end && (*v == ' ' || *v == '\t'))
        v++;
      while (v_end > v && (v_end[-1] == ' ' || v_end[-1] == '\t'))
        v_end--;
      for (const char *q = v; q < v_end; q++)
        if (((guchar) *q < 0x20 && *q != '\t') || *q == 0x7f)
          return fail (head, 400, "Invalid character in a header value");

      if (head->n_headers >= parser->max_headers)
        return fail (head, 431, "Too many header fields");

      h = &head->headers[head->n_headers++];
      h->name = p;
      h->name_len = colon - p;
      h->value = v;
      h->value_len = v_end - v;

      if (equal_ci (h->name, h->name_len, "Content-Length"))
        {
          guint64 length;

          if (!parse_decimal (h->value, h->value_len, &length))
            return fail (head, 400, "Invalid Content-Length");
          if (have_length && length != head->content_length)
            return fail (head, 400, "Conflicting Content-Length headers");
          have_length = TRUE;
          head->content_length = length;
        }
      else if (equal_ci (h->name, h->name_len, "Transfer-Encoding"))
        {
          /* Only the final coding decides the framing. */
          const char *last = h->value + h->value_len;
          const char *c = last;

          while (c > h->value && c[-1] != ',')
            c--;
          while (c < last && (*c == ' ' || *c == '\t'))
            c++;
          have_te = TRUE;
          chunked = equal_ci (c, last - c, "chunked");
        }
      else if (equal_ci (h->name, h->name_len, "Connection") ||
               equal_ci (h->name, h->name_len, "Proxy-Connection"))
        {
          conn_close |= gn_http_list_has_token (h->value, h->value_len, "close");
          conn_keep_alive |= gn_http_list_has_token (h->value, h->value_len, "keep-alive");
          conn_upgrade |= gn_http_list_has_token (h->value, h->value_len, "upgrade");
        }
      else if (equal_ci (h->name, h->name_len, "Upgrade"))
        {
          have_upgrade = h->value_len > 0;
        }

      p = next;
    }

  if (have_te && have_length && is_request)
    return fail (head, 400, "Both Content-Length and Transfer-Encoding");

  if (have_te)
    {
      if (chunked)
        head->body_kind = GN_HTTP_BODY_CHUNKED;
      else if (is_request)
        return fail (head, 501, "Unsupported Transfer-Encoding");
      else
        head->body_kind = GN_HTTP_BODY_UNTIL_CLOSE;
      head->content_length = 0;
    }
  else if (have_length)
    head->body_kind = head->content_length > 0 || !is_request ? GN_HTTP_BODY_LENGTH : GN_HTTP_BODY_NONE;
  else
    head->body_kind = is_request ? GN_HTTP_BODY_NONE : GN_HTTP_BODY_UNTIL_CLOSE;

  if (head->version_minor >= 1)
    head->keep_alive = !conn_close;
  else
    head->keep_alive = conn_keep_alive && !conn_close;
  head->upgrade = conn_upgrade && have_upgrade;

  return GN_HTTP_PARSE_COMPLETE;
}

static void
reset_head (GnHttpHead *head)
{
  head->method = head->target = head->reason = NULL;
  head->method_len = head->target_len = head->reason_len = 0;
  head->status = 0;
  head->version_minor = 0;
  head->n_headers = 0;
  head->head_len = 0;
  head->body_kind = GN_HTTP_BODY_NONE;
  head->content_length = 0;
  head->keep_alive = FALSE;
  head->upgrade = FALSE;
  head->error_status = 0;
  head->error_reason = NULL;
}

/* Common prologue: finds the head, enforces the size limit, returns the
 * first line's bounds. */
static GnHttpParseResult
locate_head (GnHttpParser *parser,
             const char   *buf,
             gsize         len,
             GnHttpHead   *head,
             const char  **line,
             gsize        *line_len,
             const char  **rest)
{
  gsize start = skip_leading_newlines (buf, len);
  gsize end;
  gboolean bare_cr;

  reset_head (head);

  /* The limits may also be set directly (see the header): "0 → defaults",
   * and never more headers than head->headers[] holds. */
  if (parser->max_head_bytes == 0)
    parser->max_head_bytes = DEFAULT_MAX_HEAD_BYTES;
  if (parser->max_headers == 0)
    parser->max_headers = DEFAULT_MAX_HEADERS;
  parser->max_headers = MIN (parser->max_headers, GN_HTTP_MAX_HEADERS);

  end = find_head_end (parser, buf, len, start);
  if (end == 0)
    {
      if (len > parser->max_head_bytes)
        return fail (head, 431, "Request head too large");
      return GN_HTTP_PARSE_NEED_MORE;
    }
  if (end > parser->max_head_bytes)
    return fail (head, 431, "Request head too large");

  head->head_len = end;
  *line = buf + start;
  *rest = next_line (*line, buf + end, line_len, &bare_cr);
  if (*rest == NULL || bare_cr)
    return fail (head, 400, "Malformed first line");
  return GN_HTTP_PARSE_COMPLETE;
}

GnHttpParseResult
gn_http_parse_request (GnHttpParser *parser,
                       const char   *buf,
                       gsize         len,
                       GnHttpHead   *head)
{
  const char *line, *rest, *sp1, *sp2, *end;
  gsize line_len;
  guint status = 400;
  GnHttpParseResult r;

  g_return_val_if_fail (parser != NULL && head != NULL, GN_HTTP_PARSE_ERROR);
  g_return_val_if_fail (buf != NULL || len == 0, GN_HTTP_PARSE_ERROR);

  r = locate_head (parser, buf, len, head, &line, &line_len, &rest);
  if (r != GN_HTTP_PARSE_COMPLETE)
    return r;

  end = line + line_len;
  sp1 = memchr (line, ' ', line_len);
  if (sp1 == NULL || sp1 == line)
    return fail (head, 400, "Malformed request line");
  for (const char *q = line; q < sp1; q++)
    if (!is_tchar (*q))
      return fail (head, 400, "Malformed request method");
  sp2 = memchr (sp1 + 1, ' ', end - (sp1 + 1));
  if (sp2 == NULL || sp2 == sp1 + 1)
    return fail (head, 400, "Malformed request line");
  for (const char *q = sp1 + 1; q < sp2; q++)
    if ((guchar) *q <= 0x20 || (guchar) *q >= 0x7f)
      return fail (head, 400, "Invalid character in the request target");
  if (!parse_version (sp2 + 1, end - (sp2 + 1), &head->version_minor, &status))
    return fail (head, status, status == 505 ? "HTTP version not supported" : "Malformed request line");

  head->method = line;
  head->method_len = sp1 - line;
  head->target = sp1 + 1;
  head->target_len = sp2 - (sp1 + 1);

  return parse_headers (parser, rest, buf + head->head_len, TRUE, head);
}

GnHttpParseResult
gn_http_parse_response (GnHttpParser *parser,
                        const char   *buf,
                        gsize         len,
                        GnHttpHead   *head)
{
  const char *line, *rest, *end;
  gsize line_len;
  guint status = 400;
  GnHttpParseResult r;

  g_return_val_if_fail (parser != NULL && head != NULL, GN_HTTP_PARSE_ERROR);
  g_return_val_if_fail (buf != NULL || len == 0, GN_HTTP_PARSE_ERROR);

  r = locate_head (parser, buf, len, head, &line, &line_len, &rest);
  if (r != GN_HTTP_PARSE_COMPLETE)
    return r;

  end = line + line_len;
  if (line_len < 12 || !parse_version (line, 8, &head->version_minor, &status) ||
      line[8] != ' ' || !g_ascii_isdigit (line[9]) || !g_ascii_isdigit (line[10]) ||
      !g_ascii_isdigit (line[11]) || (line_len > 12 && line[12] != ' '))
    return fail (head, 502, "Malformed status line from the server");

  head->status = (line[9] - '0') * 100 + (line[10] - '0') * 10 + (line[11] - '0');
  if (head->status < 100)
    return fail (head, 502, "Malformed status line from the server");
  head->reason = line_len > 12 ? line + 13 : end;
  head->reason_len = end - head->reason;

  r = parse_headers (parser, rest, buf + head->head_len, FALSE, head);
  if (r == GN_HTTP_PARSE_ERROR)
    head->error_status = 502;
  return r;
}

const GnHttpHeader *
gn_http_head_find (const GnHttpHead *head,
                   const char       *name)
{
  g_return_val_if_fail (head != NULL && name != NULL, NULL);

  for (guint i = 0; i < head->n_headers; i++)
    if (equal_ci (head->headers[i].name, head->headers[i].name_len, name))
      return &head->headers[i];
  return NULL;
}

gboolean
gn_http_method_is (const GnHttpHead *head,
                   const char       *method)
{
  /* Methods are case-sensitive. */
  return head->method != NULL && strlen (method) == head->method_len &&
         memcmp (head->method, method, head->method_len) == 0;
}

gboolean
gn_http_response_has_body (const GnHttpHead *response,
                           gboolean          request_was_head)
{
  if (request_was_head)
    return FALSE;
  if (response->status < 200 || response->status == 204 || response->status == 304)
    return FALSE;
  return response->body_kind != GN_HTTP_BODY_NONE;
}

gboolean
gn_http_header_is_hop_by_hop (const char *name,
                              gsize       name_len)
{
  static const char * const hop[] = {
    "Connection", "Proxy-Connection", "Keep-Alive", "Proxy-Authorization",
    "Proxy-Authenticate", "TE", "Trailer", "Transfer-Encoding", "Upgrade",
  };

  for (gsize i = 0; i < G_N_ELEMENTS (hop); i++)
    if (equal_ci (name, name_len, hop[i]))
      return TRUE;
  return FALSE;
}

static gboolean
valid_host_name (const char *h,
                 gsize       len)
{
  gsize label = 0;

  if (len == 0 || len > 253)
    return FALSE;

  for (gsize i = 0; i < len; i++)
    {
      char c = h[i];

      if (c == '.')
        {
          if (label == 0)
            return FALSE;
          label = 0;
          continue;
        }
      if (!g_ascii_isalnum (c) && c != '-' && c != '_')
        return FALSE;
      if (c == '-' && label == 0)
        return FALSE;
      if (++label > 63)
        return FALSE;
    }
  if (label == 0)
    return FALSE;

  /* A name whose last label is a number ("127.1", "0x7f000001") is an IPv4
   * address in an inet_aton() spelling, as browsers and resolvers read it,
   * or nothing at all. The caller turns it into its canonical form
   * (gn_domain_canonical_address()) before deciding or connecting. */
  if (gn_domain_ends_in_number (h, len))
    {
      guint32 address;

      return gn_domain_parse_ipv4 (h, len, &address);
    }
  return TRUE;
}

gboolean
gn_http_parse_authority (const char *authority,
                         gssize      len,
                         guint16     default_port,
                         char        host[GN_HTTP_HOST_MAX],
                         guint16    *port)
{
  const char *end, *h, *h_end, *p = NULL;
  gsize host_len;

  g_return_val_if_fail (host != NULL && port != NULL, FALSE);

  host[0] = '\0';
  if (authority == NULL)
    return FALSE;
  if (len < 0)
    len = strlen (authority);
  end = authority + len;

  if (len > 0 && authority[0] == '[')
    {
      const char *close = memchr (authority, ']', len);
      char tmp[GN_HTTP_HOST_MAX];

      if (close == NULL)
        return FALSE;
      h = authority + 1;
      h_end = close;
      host_len = h_end - h;
      if (host_len < 2 || host_len >= 46 || memchr (h, ':', host_len) == NULL)
        return FALSE;
      for (const char *q = h; q < h_end; q++)
        if (!g_ascii_isxdigit (*q) && *q != ':' && *q != '.')
          return FALSE;
      memcpy (tmp, h, host_len);
      tmp[host_len] = '\0';
      if (!g_hostname_is_ip_address (tmp))
        return FALSE;
      if (close + 1 < end)
        {
          if (close[1] != ':')
            return FALSE;
          p = close + 2;
        }
    }
  else
    {
      const char *colon = len > 0 ? memchr (authority, ':', len) : NULL;

      h = authority;
      h_end = colon ? colon : end;
      if (colon != NULL)
        {
          if (memchr (colon + 1, ':', end - (colon + 1)) != NULL)
            return FALSE;  /* a bare IPv6 literal or garbage */
          p = colon + 1;
        }
      /* One trailing dot is the root; drop it. */
      if (h_end - h > 1 && h_end[-1] == '.')
        h_end--;
      host_len = h_end - h;
      if (!valid_host_name (h, host_len))
        return FALSE;
    }

  if (p != NULL)
    {
      guint64 value;

      if (end - p > 5 || !parse_decimal (p, end - p, &value) || value == 0 || value > 65535)
        return FALSE;
      *port = (guint16) value;
    }
  else if (default_port != 0)
    *port = default_port;
  else
    return FALSE;

  for (gsize i = 0; i < host_len; i++)
    host[i] = g_ascii_tolower (h[i]);
  host[host_len] = '\0';
  return TRUE;
}

gssize
gn_http_parse_chunk_size (const char *buf,
                          gsize       len,
                          guint64    *size)
{
  const char *nl;
  guint64 v = 0;
  gsize i = 0, digits = 0;

  g_return_val_if_fail (size != NULL, -1);

  nl = memchr (buf, '\n', MIN (len, MAX_CHUNK_LINE));
  if (nl == NULL)
    return len >= MAX_CHUNK_LINE ? -1 : 0;

  while (buf + i < nl && g_ascii_isxdigit (buf[i]))
    {
      if (++digits > 15)
        return -1;
      v = v * 16 + g_ascii_xdigit_value (buf[i]);
      i++;
    }
  if (digits == 0)
    return -1;
  while (buf + i < nl && (buf[i] == ' ' || buf[i] == '\t'))
    i++;
  if (buf + i < nl && buf[i] != ';' && buf[i] != '\r')
    return -1;
  if (buf[i] == '\r' && buf + i + 1 != nl)
    return -1;
  for (const char *q = buf + i; q < nl - 1; q++)
    if ((guchar) *q < 0x20 && *q != '\t')
      return -1;

  *size = v;
  return nl - buf + 1;
}

const char *
gn_http_status_phrase (guint status)
{
  switch (status)
    {
    case 101: return "Switching Protocols";
    case 200: return "OK";
    case 400: return "Bad Request";
    case 403: return "Forbidden";
    case 404: return "Not Found";
    case 405: return "Method Not Allowed";
    case 408: return "Request Timeout";
    case 413: return "Content Too Large";
    case 421: return "Misdirected Request";
    case 431: return "Request Header Fields Too Large";
    case 500: return "Internal Server Error";
    case 501: return "Not Implemented";
    case 502: return "Bad Gateway";
    case 503: return "Service Unavailable";
    case 504: return "Gateway Timeout";
    case 505: return "HTTP Version Not Supported";
    default:  return "Error";
    }
}
