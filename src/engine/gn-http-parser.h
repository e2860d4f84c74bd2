/* gn-http-parser.h
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * A pure HTTP/1.x head parser: request heads from clients, response heads
 * from origins, and the authority ("host:port") of CONNECT targets and Host
 * headers. It does no I/O and allocates nothing: results point into the
 * caller's buffer, so the proxy can parse in place and the fuzzers can link
 * it alone.
 *
 * Incremental use: keep one GnHttpParser per head being read, call
 * gn_http_parse_request() (or _response) each time more bytes arrive with the
 * whole buffer so far; the parser remembers how far it already searched, so
 * the total work stays linear in the head size.
 *
 * Threading: no shared state; any thread.
 */

#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* A hard cap on headers per head; GnEngineConfig.max_headers may only lower it. */
#define GN_HTTP_MAX_HEADERS 256
/* Longest host name (253) plus brackets-free IPv6 literal and NUL. */
#define GN_HTTP_HOST_MAX 256

typedef enum
{
  GN_HTTP_PARSE_NEED_MORE,   /* the head is not complete yet */
  GN_HTTP_PARSE_COMPLETE,    /* head parsed; head_len says where the body starts */
  GN_HTTP_PARSE_ERROR,       /* answer error_status and close */
} GnHttpParseResult;

typedef enum
{
  GN_HTTP_BODY_NONE,         /* no body */
  GN_HTTP_BODY_LENGTH,       /* Content-Length bytes */
  GN_HTTP_BODY_CHUNKED,      /* Transfer-Encoding: chunked */
  GN_HTTP_BODY_UNTIL_CLOSE,  /* response read until the origin closes */
} GnHttpBodyKind;

typedef struct
{
  const char *name;
  gsize       name_len;
  const char *value;         /* leading and trailing blanks trimmed */
  gsize       value_len;
} GnHttpHeader;

typedef struct
{
  /* Limits, set by the caller before the first call (0 → defaults). */
  gsize        max_head_bytes;   /* default 32 KiB → 431 */
  guint        max_headers;      /* default 100, at most GN_HTTP_MAX_HEADERS → 431 */

  /*< private >*/
  gsize        scanned;          /* bytes already searched for the blank line */
} GnHttpParser;

typedef struct
{
  /* request line (requests) */
  const char    *method;
  gsize          method_len;
  const char    *target;
  gsize          target_len;
  /* status line (responses) */
  guint          status;
  const char    *reason;
  gsize          reason_len;

  guint          version_minor;  /* HTTP/1.<minor> */
  GnHttpHeader   headers[GN_HTTP_MAX_HEADERS];
  guint          n_headers;
  gsize          head_len;       /* bytes of the head including the blank line */

  /* Framing, derived from Content-Length / Transfer-Encoding. For
   * responses, the caller must still apply "no body for HEAD, 1xx, 204,
   * 304" (gn_http_response_has_body()). */
  GnHttpBodyKind body_kind;
  guint64        content_length;
  gboolean       keep_alive;     /* per version and Connection header */
  gboolean       upgrade;        /* Connection: upgrade with an Upgrade header */

  /* When GN_HTTP_PARSE_ERROR: the status to answer and a short reason. */
  guint          error_status;
  const char    *error_reason;
} GnHttpHead;

void               gn_http_parser_init        (GnHttpParser     *parser,
                                               gsize             max_head_bytes,
                                               guint             max_headers);
GnHttpParseResult  gn_http_parse_request      (GnHttpParser     *parser,
                                               const char       *buf,
                                               gsize             len,
                                               GnHttpHead       *head);
GnHttpParseResult  gn_http_parse_response     (GnHttpParser     *parser,
                                               const char       *buf,
                                               gsize             len,
                                               GnHttpHead       *head);

/* The first header called @name (case-insensitive), or NULL. */
const GnHttpHeader *gn_http_head_find         (const GnHttpHead *head,
                                               const char       *name);
gboolean           gn_http_method_is          (const GnHttpHead *head,
                                               const char       *method);
gboolean           gn_http_response_has_body  (const GnHttpHead *response,
                                               gboolean          request_was_head);
/* Whether @name is a hop-by-hop header (RFC 9110 7.6.1 plus Proxy-*). */
gboolean           gn_http_header_is_hop_by_hop (const char     *name,
                                                 gsize           name_len);
/* Whether the comma-separated list @value contains @token (case-insensitive). */
gboolean           gn_http_list_has_token     (const char       *value,
                                               gsize             value_len,
                                               const char       *token);

/* Parses "host:port", "host", "1.2.3.4:80" or "[::1]:443" (len may be -1).
 * The host is lower-cased into @host (brackets removed), the port into
 * @port; when the authority has no port, @default_port is used, and if that
 * is 0 a port is required. Returns FALSE for anything else (→ 400). */
gboolean           gn_http_parse_authority    (const char       *authority,
                                               gssize            len,
                                               guint16           default_port,
                                               char              host[GN_HTTP_HOST_MAX],
                                               guint16          *port);

/* Parses the hex chunk-size line "1a;ext=x\r\n" at the start of @buf.
 * Returns the line length (> 0) with the size in @size, 0 if more bytes
 * are needed, or -1 if malformed or longer than a sane limit. */
gssize             gn_http_parse_chunk_size   (const char       *buf,
                                               gsize             len,
                                               guint64          *size);

/* The reason phrase we use for a status we answer ourselves. */
const char        *gn_http_status_phrase      (guint             status);

G_END_DECLS
