/* fuzz-request-head.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * libFuzzer target for the HTTP head parser (gn-http-parser.c), the first
 * code that reads what any program on the machine sends to the proxy. It
 * exists so that no byte sequence can crash, over-read or hang the engine.
 *
 * Besides AddressSanitizer/UBSan findings it checks the parser's promises:
 * parsing a head in pieces (as bytes arrive) gives the same answer as
 * parsing it at once, results point inside the head, limits are honoured,
 * errors carry a 4xx/5xx status and a reason. Every piece is copied into a
 * buffer of exactly its length so an over-read past `len` is caught.
 *
 * Input: one option byte (limits, piece size), then the bytes of the head.
 * Single-threaded, no global state.
 */

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gn-http-parser.h"

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

#define DEFAULT_MAX_HEAD_BYTES (32 * 1024)
#define DEFAULT_MAX_HEADERS    100

#define CHECK(cond) \
  G_STMT_START { if (!(cond)) { fprintf (stderr, "fuzz check failed: %s (%s:%d)\n", \
                                         #cond, __FILE__, __LINE__); abort (); } } G_STMT_END

static char *
copy_exact (const uint8_t *data,
            size_t         len)
{
  /* malloc (0) may return NULL; keep a valid pointer with no readable byte. */
  char *buf = malloc (len > 0 ? len : 1);

  CHECK (buf != NULL);
  if (len > 0)
    memcpy (buf, data, len);
  return buf;
}

static gboolean
inside (const char *p,
        gsize       p_len,
        const char *buf,
        gsize       len)
{
  return p != NULL && p >= buf && p_len <= len && (gsize) (p - buf) <= len - p_len;
}

static void
check_head (GnHttpParseResult  r,
            const GnHttpHead  *head,
            const char        *buf,
            gsize              len,
            gsize              max_head_bytes,
            guint              max_headers,
            gboolean           is_request)
{
  switch (r)
    {
    case GN_HTTP_PARSE_NEED_MORE:
      CHECK (len <= max_head_bytes);
      break;

    case GN_HTTP_PARSE_ERROR:
      CHECK (head->error_status >= 400 && head->error_status <= 599);
      CHECK (head->error_reason != NULL && head->error_reason[0] != '\0');
      break;

    case GN_HTTP_PARSE_COMPLETE:
      CHECK (head->head_len > 0 && head->head_len <= len);
      CHECK (head->head_len <= max_head_bytes);
      CHECK (head->n_headers <= max_headers);
      CHECK (head->error_status == 0);
      if (is_request)
        {
          CHECK (head->method_len > 0 && inside (head->method, head->method_len, buf, head->head_len));
          CHECK (head->target_len > 0 && inside (head->target, head->target_len, buf, head->head_len));
          CHECK (memchr (head->target, ' ', head->target_len) == NULL);
          if (head->body_kind == GN_HTTP_BODY_LENGTH)
            CHECK (head->content_length > 0);
        }
      else
        {
          CHECK (head->status >= 100 && head->status <= 999);
          CHECK (inside (head->reason, head->reason_len, buf, head->head_len));
        }
      CHECK (head->body_kind <= GN_HTTP_BODY_UNTIL_CLOSE);
      for (guint i = 0; i < head->n_headers; i++)
        {
          const GnHttpHeader *h = &head->headers[i];

          CHECK (h->name_len > 0 && inside (h->name, h->name_len, buf, head->head_len));
          CHECK (inside (h->value, h->value_len, buf, head->head_len));
          CHECK (memchr (h->name, ':', h->name_len) == NULL);
          CHECK (memchr (h->value, '\n', h->value_len) == NULL);
          CHECK (memchr (h->value, '\r', h->value_len) == NULL);
          /* Exercise the helpers the proxy calls on every header. */
          (void) gn_http_header_is_hop_by_hop (h->name, h->name_len);
          (void) gn_http_list_has_token (h->value, h->value_len, "close");
        }
      (void) gn_http_head_find (head, "Host");
      (void) gn_http_response_has_body (head, FALSE);
      break;

    default:
      CHECK (!"unknown parse result");
    }
}

typedef GnHttpParseResult (*ParseFunc) (GnHttpParser *, const char *, gsize, GnHttpHead *);

static void
fuzz_one (ParseFunc      parse,
          gboolean       is_request,
          const uint8_t *data,
          size_t         size,
          gsize          max_head_arg,
          guint          max_headers_arg,
          gsize          step)
{
  gsize max_head_bytes = max_head_arg ? max_head_arg : DEFAULT_MAX_HEAD_BYTES;
  guint max_headers = max_headers_arg ? MIN (max_headers_arg, GN_HTTP_MAX_HEADERS) : DEFAULT_MAX_HEADERS;
  GnHttpHead *whole = g_new0 (GnHttpHead, 1);
  GnHttpHead *piece = g_new0 (GnHttpHead, 1);
  GnHttpParser parser;
  GnHttpParseResult r_whole, r_piece = GN_HTTP_PARSE_NEED_MORE;
  char *buf = copy_exact (data, size);
  gsize len;

  /* All at once. */
  gn_http_parser_init (&parser, max_head_arg, max_headers_arg);
  r_whole = parse (&parser, buf, size, whole);
  check_head (r_whole, whole, buf, size, max_head_bytes, max_headers, is_request);

  /* The header documents setting the limit fields directly ("0 →
   * defaults") as an alternative to gn_http_parser_init(): same answers. */
  {
    GnHttpParser direct = { .max_head_bytes = max_head_arg, .max_headers = max_headers_arg };
    GnHttpHead *head = g_new0 (GnHttpHead, 1);
    GnHttpParseResult r = parse (&direct, buf, size, head);

    check_head (r, head, buf, size, max_head_bytes, max_headers, is_request);
    CHECK (r == r_whole);
    if (r == GN_HTTP_PARSE_COMPLETE)
      CHECK (head->head_len == whole->head_len && head->n_headers == whole->n_headers);
    else if (r == GN_HTTP_PARSE_ERROR)
      CHECK (head->error_status == whole->error_status);
    g_free (head);
  }

  if (is_request && r_whole == GN_HTTP_PARSE_COMPLETE)
    {
      char host[GN_HTTP_HOST_MAX];
      guint16 port;
      const GnHttpHeader *h = gn_http_head_find (whole, "Host");

      if (gn_http_method_is (whole, "CONNECT"))
        (void) gn_http_parse_authority (whole->target, (gssize) whole->target_len, 0, host, &port);
      if (h != NULL)
        (void) gn_http_parse_authority (h->value, (gssize) h->value_len, 80, host, &port);
    }

  /* In pieces, each prefix in a buffer of exactly its size, as the proxy
   * does while bytes arrive; the parser keeps its scan position. */
  gn_http_parser_init (&parser, max_head_arg, max_headers_arg);
  for (len = 0; ; len = MIN (len + step, size))
    {
      char *prefix = copy_exact (data, len);

      r_piece = parse (&parser, prefix, len, piece);
      check_head (r_piece, piece, prefix, len, max_head_bytes, max_headers, is_request);
      free (prefix);
      if (r_piece != GN_HTTP_PARSE_NEED_MORE || len == size)
        break;
    }

  /* Once a prefix decides, the whole input decides the same way. */
  CHECK (r_piece == r_whole);
  if (r_whole == GN_HTTP_PARSE_COMPLETE)
    {
      CHECK (piece->head_len == whole->head_len);
      CHECK (piece->n_headers == whole->n_headers);
      CHECK (piece->body_kind == whole->body_kind);
      CHECK (piece->content_length == whole->content_length);
      CHECK (piece->keep_alive == whole->keep_alive);
      CHECK (piece->upgrade == whole->upgrade);
    }
  else if (r_whole == GN_HTTP_PARSE_ERROR)
    CHECK (piece->error_status == whole->error_status);

  free (buf);
  g_free (whole);
  g_free (piece);
}

int
LLVMFuzzerTestOneInput (const uint8_t *data,
                        size_t         size)
{
  guint8 options;
  gsize max_head = 0;
  guint max_headers = 0;
  gsize step;

  if (size < 1)
    return 0;
  options = data[0];
  data++;
  size--;

  /* Bit 0: a small head limit; bit 1: a header count limit; bits 2-4: the
   * size of the pieces bytes arrive in; the high bits size the limits. */
  if (options & 1)
    max_head = 256 + (options >> 5) * 64;
  if (options & 2)
    max_headers = (options >> 4) == 15 ? 1000 : 1 + (options >> 4);   /* 1000: above the cap */
  step = (gsize[]) { 1, 2, 3, 7, 16, 64, 512, 4096 }[(options >> 2) & 7];

  fuzz_one (gn_http_parse_request, TRUE, data, size, max_head, max_headers, step);
  fuzz_one (gn_http_parse_response, FALSE, data, size, max_head, max_headers, step);

  {
    char *buf = copy_exact (data, size);
    guint64 chunk = 0;
    gssize n = gn_http_parse_chunk_size (buf, size, &chunk);

    CHECK (n >= -1 && n <= (gssize) size);
    free (buf);
  }

  return 0;
}
