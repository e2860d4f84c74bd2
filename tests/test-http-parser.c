/* test-http-parser.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The pure HTTP head parser: complete and incremental parsing, the status
 * each kind of bad input is answered with, framing, authorities and chunk
 * lines.
 */

#include <string.h>

#include "gn-http-parser.h"
#include "gn-block-page.h"

static GnHttpParseResult
parse (const char *text,
       GnHttpHead *head)
{
  GnHttpParser parser;

  gn_http_parser_init (&parser, 0, 0);
  return gn_http_parse_request (&parser, text, strlen (text), head);
}

static guint
error_status (const char *text)
{
  g_autofree GnHttpHead *head = g_new0 (GnHttpHead, 1);

  g_assert_cmpint (parse (text, head), ==, GN_HTTP_PARSE_ERROR);
  g_assert_nonnull (head->error_reason);
  return head->error_status;
}

static void
test_request_complete (void)
{
  g_autofree GnHttpHead *head = g_new0 (GnHttpHead, 1);
  const char *text = "\r\nPOST http://example.com/a?b=c HTTP/1.1\r\n"
                     "Host: example.com\r\n"
                     "Content-Length:  5 \r\n"
                     "X-Empty:\r\n"
                     "\r\nhelloNEXT";
  const GnHttpHeader *h;

  g_assert_cmpint (parse (text, head), ==, GN_HTTP_PARSE_COMPLETE);
  g_assert_cmpuint (head->head_len, ==, strlen (text) - strlen ("helloNEXT"));
  g_assert_true (gn_http_method_is (head, "POST"));
  g_assert_false (gn_http_method_is (head, "post"));
  g_assert_cmpmem (head->target, head->target_len, "http://example.com/a?b=c", 24);
  g_assert_cmpuint (head->version_minor, ==, 1);
  g_assert_cmpuint (head->n_headers, ==, 3);
  h = gn_http_head_find (head, "content-length");
  g_assert_nonnull (h);
  g_assert_cmpmem (h->value, h->value_len, "5", 1);
  h = gn_http_head_find (head, "X-Empty");
  g_assert_cmpuint (h->value_len, ==, 0);
  g_assert_cmpint (head->body_kind, ==, GN_HTTP_BODY_LENGTH);
  g_assert_cmpuint (head->content_length, ==, 5);
  g_assert_true (head->keep_alive);
}

static void
test_request_incremental (void)
{
  const char *text = "GET / HTTP/1.0\nConnection: keep-alive\n\n";
  g_autofree GnHttpHead *head = g_new0 (GnHttpHead, 1);
  GnHttpParser parser;
  gsize len = strlen (text);

  gn_http_parser_init (&parser, 0, 0);
  /* Byte by byte: need-more until the very last byte (bare LF accepted). */
  for (gsize i = 1; i < len; i++)
    g_assert_cmpint (gn_http_parse_request (&parser, text, i, head), ==, GN_HTTP_PARSE_NEED_MORE);
  g_assert_cmpint (gn_http_parse_request (&parser, text, len, head), ==, GN_HTTP_PARSE_COMPLETE);
  g_assert_cmpuint (head->head_len, ==, len);
  g_assert_cmpuint (head->version_minor, ==, 0);
  g_assert_true (head->keep_alive);
  g_assert_cmpint (head->body_kind, ==, GN_HTTP_BODY_NONE);
}

static void
test_request_errors (void)
{
  g_autofree char *huge = NULL;
  g_autoptr(GString) many = g_string_new ("GET / HTTP/1.1\r\n");

  g_assert_cmpuint (error_status ("GARBAGE\r\n\r\n"), ==, 400);
  g_assert_cmpuint (error_status ("GET  / HTTP/1.1\r\n\r\n"), ==, 400);
  g_assert_cmpuint (error_status ("GET / HTTP/1.1 extra\r\n\r\n"), ==, 400);
  g_assert_cmpuint (error_status ("G(T / HTTP/1.1\r\n\r\n"), ==, 400);
  g_assert_cmpuint (error_status ("GET /\x01 HTTP/1.1\r\n\r\n"), ==, 400);
  g_assert_cmpuint (error_status ("GET / HTTP/2.0\r\n\r\n"), ==, 505);
  g_assert_cmpuint (error_status ("GET / FTP/1.0\r\n\r\n"), ==, 400);
  g_assert_cmpuint (error_status ("GET / HTTP/1.1\r\nNo colon\r\n\r\n"), ==, 400);
  g_assert_cmpuint (error_status ("GET / HTTP/1.1\r\nName : v\r\n\r\n"), ==, 400);
  g_assert_cmpuint (error_status ("GET / HTTP/1.1\r\nA: b\r\n folded\r\n\r\n"), ==, 400);
  g_assert_cmpuint (error_status ("GET / HTTP/1.1\r\nA: b\rc\r\n\r\n"), ==, 400);
  g_assert_cmpuint (error_status ("POST / HTTP/1.1\r\nContent-Length: 1x\r\n\r\n"), ==, 400);
  g_assert_cmpuint (error_status ("POST / HTTP/1.1\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n"), ==, 400);
  g_assert_cmpuint (error_status ("POST / HTTP/1.1\r\nContent-Length: 1\r\nTransfer-Encoding: chunked\r\n\r\n"), ==, 400);
  g_assert_cmpuint (error_status ("POST / HTTP/1.1\r\nTransfer-Encoding: gzip\r\n\r\n"), ==, 501);

  /* 431: one header too many, and a head over the size limit. */
  for (guint i = 0; i < 101; i++)
    g_string_append_printf (many, "X-%u: v\r\n", i);
  g_string_append (many, "\r\n");
  g_assert_cmpuint (error_status (many->str), ==, 431);

  huge = g_strnfill (40 * 1024, 'a');
  {
    g_autofree char *text = g_strdup_printf ("GET /%s HTTP/1.1\r\n", huge);
    g_autofree GnHttpHead *head = g_new0 (GnHttpHead, 1);
    GnHttpParser parser;

    /* Too large even before the head is complete. */
    gn_http_parser_init (&parser, 32 * 1024, 0);
    g_assert_cmpint (gn_http_parse_request (&parser, text, strlen (text), head), ==, GN_HTTP_PARSE_ERROR);
    g_assert_cmpuint (head->error_status, ==, 431);
  }
}

static void
test_request_framing (void)
{
  g_autofree GnHttpHead *head = g_new0 (GnHttpHead, 1);

  g_assert_cmpint (parse ("POST / HTTP/1.1\r\nTransfer-Encoding: gzip, chunked\r\n\r\n", head), ==, GN_HTTP_PARSE_COMPLETE);
  g_assert_cmpint (head->body_kind, ==, GN_HTTP_BODY_CHUNKED);
  g_assert_cmpint (parse ("GET / HTTP/1.1\r\nConnection: close\r\n\r\n", head), ==, GN_HTTP_PARSE_COMPLETE);
  g_assert_false (head->keep_alive);
  g_assert_cmpint (parse ("GET / HTTP/1.0\r\n\r\n", head), ==, GN_HTTP_PARSE_COMPLETE);
  g_assert_false (head->keep_alive);
  g_assert_cmpint (parse ("GET / HTTP/1.1\r\nConnection: keep-alive, Upgrade\r\nUpgrade: websocket\r\n\r\n", head), ==, GN_HTTP_PARSE_COMPLETE);
  g_assert_true (head->upgrade);
  g_assert_cmpint (parse ("GET / HTTP/1.1\r\nUpgrade: websocket\r\n\r\n", head), ==, GN_HTTP_PARSE_COMPLETE);
  g_assert_false (head->upgrade);
}

static void
test_response (void)
{
  g_autofree GnHttpHead *head = g_new0 (GnHttpHead, 1);
  GnHttpParser parser;
  const char *ok = "HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\nabc";
  const char *close = "HTTP/1.0 404 Not Found\r\n\r\n";
  const char *bad = "HTTP/1.1 2x0 OK\r\n\r\n";
  const char *noreason = "HTTP/1.1 204\r\n\r\n";

  gn_http_parser_init (&parser, 0, 0);
  g_assert_cmpint (gn_http_parse_response (&parser, ok, strlen (ok), head), ==, GN_HTTP_PARSE_COMPLETE);
  g_assert_cmpuint (head->status, ==, 200);
  g_assert_cmpmem (head->reason, head->reason_len, "OK", 2);
  g_assert_cmpint (head->body_kind, ==, GN_HTTP_BODY_LENGTH);
  g_assert_true (gn_http_response_has_body (head, FALSE));
  g_assert_false (gn_http_response_has_body (head, TRUE));

  gn_http_parser_init (&parser, 0, 0);
  g_assert_cmpint (gn_http_parse_response (&parser, close, strlen (close), head), ==, GN_HTTP_PARSE_COMPLETE);
  g_assert_cmpint (head->body_kind, ==, GN_HTTP_BODY_UNTIL_CLOSE);
  g_assert_false (head->keep_alive);

  gn_http_parser_init (&parser, 0, 0);
  g_assert_cmpint (gn_http_parse_response (&parser, noreason, strlen (noreason), head), ==, GN_HTTP_PARSE_COMPLETE);
  g_assert_cmpuint (head->status, ==, 204);
  g_assert_false (gn_http_response_has_body (head, FALSE));

  gn_http_parser_init (&parser, 0, 0);
  g_assert_cmpint (gn_http_parse_response (&parser, bad, strlen (bad), head), ==, GN_HTTP_PARSE_ERROR);
  g_assert_cmpuint (head->error_status, ==, 502);
}

static void
test_authority (void)
{
  char host[GN_HTTP_HOST_MAX];
  guint16 port = 0;
  const char *bad[] = {
    "", ":443", "example.com:", "example.com:0", "example.com:65536", "example.com:99999",
    "example.com:44a", "exa mple.com:443", "::1:443", "[::1", "[::1]x", "[example.com]:443",
    "[1.2.3.4]:80", "1.2.3.999:80", "a..b:80", ".a:80", "-a.com:80", "a/b:80", "a@b:80",
    "example.com:443:1",
    /* ends in a number but is no IPv4 address in any spelling */
    "1.2.3.4.5:80", "example.123:80", "example.0x1:80", "08.0.0.1:80", "4294967296:80",
    "[fe80::1%eth0]:80", "[fe80::1%25eth0]:80",
  };
  /* IPv4 spellings that resolvers and browsers accept: parsed here, made
   * canonical by the connection before any decision */
  const char *aton[] = { "2130706433", "0x7F000001", "0177.0.0.1", "127.1", "127.0.1", "0x7f.1" };

  g_assert_true (gn_http_parse_authority ("Example.COM:443", -1, 0, host, &port));
  g_assert_cmpstr (host, ==, "example.com");
  g_assert_cmpuint (port, ==, 443);

  g_assert_true (gn_http_parse_authority ("example.com.", -1, 80, host, &port));
  g_assert_cmpstr (host, ==, "example.com");
  g_assert_cmpuint (port, ==, 80);
  /* CONNECT needs a port: no default given. */
  g_assert_false (gn_http_parse_authority ("example.com", -1, 0, host, &port));

  g_assert_true (gn_http_parse_authority ("10.0.0.1:65535", -1, 0, host, &port));
  g_assert_cmpstr (host, ==, "10.0.0.1");
  g_assert_cmpuint (port, ==, 65535);

  g_assert_true (gn_http_parse_authority ("[::1]:443", -1, 0, host, &port));
  g_assert_cmpstr (host, ==, "::1");
  g_assert_cmpuint (port, ==, 443);
  g_assert_true (gn_http_parse_authority ("[2001:DB8::1]", -1, 80, host, &port));
  g_assert_cmpstr (host, ==, "2001:db8::1");

  /* Length-limited: only the first bytes count. */
  g_assert_true (gn_http_parse_authority ("a.b:1/path", 5, 0, host, &port));
  g_assert_cmpstr (host, ==, "a.b");
  g_assert_cmpuint (port, ==, 1);

  for (gsize i = 0; i < G_N_ELEMENTS (aton); i++)
    {
      g_autofree char *authority = g_strconcat (aton[i], ":80", NULL);
      g_autofree char *lower = g_ascii_strdown (aton[i], -1);

      g_test_message ("authority %s", authority);
      g_assert_true (gn_http_parse_authority (authority, -1, 0, host, &port));
      g_assert_cmpstr (host, ==, lower);
    }

  for (gsize i = 0; i < G_N_ELEMENTS (bad); i++)
    {
      g_test_message ("authority %s", bad[i]);
      g_assert_false (gn_http_parse_authority (bad[i], -1, 0, host, &port));
    }
}

static void
test_chunk_size (void)
{
  guint64 size = 0;

  g_assert_cmpint (gn_http_parse_chunk_size ("1a\r\nxx", 6, &size), ==, 4);
  g_assert_cmpuint (size, ==, 26);
  g_assert_cmpint (gn_http_parse_chunk_size ("0;ext=1\r\n", 9, &size), ==, 9);
  g_assert_cmpuint (size, ==, 0);
  g_assert_cmpint (gn_http_parse_chunk_size ("ff", 2, &size), ==, 0);
  g_assert_cmpint (gn_http_parse_chunk_size ("zz\r\n", 4, &size), ==, -1);
  g_assert_cmpint (gn_http_parse_chunk_size ("1234567890abcdef0\r\n", 19, &size), ==, -1);
}

static void
test_block_page_escapes (void)
{
  g_autofree char *page = gn_block_page_blocked ("evil.test", "<b>list</b>", "a\"<script>");

  g_assert_nonnull (strstr (page, "evil.test"));
  g_assert_nonnull (strstr (page, "&lt;b&gt;list&lt;/b&gt;"));
  g_assert_nonnull (strstr (page, "a&quot;&lt;script&gt;"));
  g_assert_null (strstr (page, "<script>"));
}

/* Found by fuzz/fuzz-request-head.c: the header documents setting the limit
 * fields directly ("0 → defaults"), but the parser only applied defaults and
 * the GN_HTTP_MAX_HEADERS cap in gn_http_parser_init(). A zeroed parser
 * answered 431 to everything, and max_headers above the cap wrote past
 * head->headers[]. */
static void
test_direct_limits (void)
{
  g_autofree GnHttpHead *head = g_new0 (GnHttpHead, 1);
  g_autoptr(GString) many = g_string_new ("GET http://a.test/ HTTP/1.1\r\n");
  const char *simple = "GET http://a.test/ HTTP/1.1\r\nHost: a.test\r\n\r\n";
  GnHttpParser zeroed = { 0 };
  GnHttpParser too_many = { .max_headers = 1000 };

  g_assert_cmpint (gn_http_parse_request (&zeroed, simple, strlen (simple), head), ==,
                   GN_HTTP_PARSE_COMPLETE);
  g_assert_cmpuint (head->n_headers, ==, 1);

  for (guint i = 0; i < GN_HTTP_MAX_HEADERS + 40; i++)
    g_string_append_printf (many, "X-H%u: v\r\n", i);
  g_string_append (many, "\r\n");
  g_assert_cmpint (gn_http_parse_request (&too_many, many->str, many->len, head), ==,
                   GN_HTTP_PARSE_ERROR);
  g_assert_cmpuint (head->error_status, ==, 431);
  g_assert_cmpuint (head->n_headers, <=, GN_HTTP_MAX_HEADERS);
}

int
main (int argc, char *argv[])
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/http-parser/request/complete", test_request_complete);
  g_test_add_func ("/http-parser/request/incremental", test_request_incremental);
  g_test_add_func ("/http-parser/request/errors", test_request_errors);
  g_test_add_func ("/http-parser/request/framing", test_request_framing);
  g_test_add_func ("/http-parser/response", test_response);
  g_test_add_func ("/http-parser/authority", test_authority);
  g_test_add_func ("/http-parser/chunk-size", test_chunk_size);
  g_test_add_func ("/http-parser/block-page-escapes", test_block_page_escapes);
  g_test_add_func ("/http-parser/direct-limits", test_direct_limits);
  return g_test_run ();
}
