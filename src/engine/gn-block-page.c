/* gn-block-page.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Answers of our own and their HTML pages (see gn-block-page.h). Every
 * value that came from the network or a list file is escaped: a hostile
 * rule or host name must not inject markup into the page.
 *
 * Threading: pure functions, any thread.
 */

#include <string.h>

#include "gn-block-page.h"
#include "gn-http-parser.h"

#define PAGE_HEAD \
  "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">" \
  "<meta name=\"viewport\" content=\"width=device-width\">" \
  "<title>%s</title><style>body{font-family:sans-serif;max-width:40em;margin:4em auto;padding:0 1em;color:#222}" \
  "h1{font-size:1.4em}code{background:#eee;padding:0 .2em}</style></head><body>\n"

char *
gn_block_page_blocked (const char *domain,
                       const char *list_name,
                       const char *rule)
{
  g_autofree char *d = g_markup_escape_text (domain ? domain : "", -1);
  g_autofree char *l = g_markup_escape_text (list_name ? list_name : "a blocklist", -1);
  g_autofree char *r = g_markup_escape_text (rule ? rule : "", -1);

  return g_strdup_printf (PAGE_HEAD
                          "<h1>GuardNest blocked %s</h1>\n"
                          "<p>The site <strong>%s</strong> is on the list <strong>%s</strong> "
                          "(rule <code>%s</code>), so GuardNest did not connect to it.</p>\n"
                          "<p>If you trust this site, allow it in GuardNest.</p>\n"
                          "</body></html>\n",
                          "Blocked by GuardNest", d, d, l, r);
}

char *
gn_block_page_status (guint16 port,
                      guint   n_connections)
{
  return g_strdup_printf (PAGE_HEAD
                          "<h1>GuardNest is running</h1>\n"
                          "<p>This is the GuardNest filtering proxy on port %u, "
                          "with %u open connection%s. Point a program's HTTP and HTTPS proxy "
                          "here to filter its traffic.</p>\n</body></html>\n",
                          "GuardNest", port, n_connections, n_connections == 1 ? "" : "s");
}

char *
gn_block_page_error (guint       status,
                     const char *message)
{
  g_autofree char *m = g_markup_escape_text (message ? message : "", -1);

  return g_strdup_printf (PAGE_HEAD "<h1>%u %s</h1>\n<p>%s</p>\n</body></html>\n",
                          "GuardNest", status, gn_http_status_phrase (status), m);
}

GString *
gn_block_page_response (guint       status,
                        const char *content_type,
                        const char *body,
                        gboolean    with_body)
{
  gsize body_len = body != NULL ? strlen (body) : 0;
  GString *out = g_string_sized_new (256 + body_len);

  g_string_append_printf (out, "HTTP/1.1 %u %s\r\n", status, gn_http_status_phrase (status));
  if (status == 503)
    g_string_append (out, "Retry-After: 1\r\n");
  g_string_append_printf (out,
                          "Content-Type: %s\r\n"
                          "Content-Length: %" G_GSIZE_FORMAT "\r\n"
                          "Cache-Control: no-store\r\n"
                          "Connection: close\r\n\r\n",
                          content_type != NULL ? content_type : "text/plain; charset=utf-8",
                          body_len);
  if (body_len > 0 && with_body)
    g_string_append_len (out, body, body_len);
  return out;
}
