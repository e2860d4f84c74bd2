/* gn-block-page.h
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The small HTML pages the proxy answers with itself: the "blocked" page
 * (naming the domain, the list and the rule, all HTML-escaped), the status
 * page for requests aimed at the proxy, and plain error pages; and the
 * framing of any such answer of ours (gn_block_page_response()).
 *
 * Threading: pure functions, any thread.
 */

#pragma once

#include <glib.h>

G_BEGIN_DECLS

char *gn_block_page_blocked (const char *domain,
                             const char *list_name,
                             const char *rule);
char *gn_block_page_status  (guint16     port,
                             guint       n_connections);
char *gn_block_page_error   (guint       status,
                             const char *message);
/* A whole answer of ours: status line, Content-Type (@content_type NULL:
 * plain UTF-8 text), Content-Length, no caching, "Connection: close"
 * (and Retry-After for 503), then @body unless @with_body is FALSE (an
 * answer to HEAD). */
GString *gn_block_page_response (guint       status,
                                 const char *content_type,
                                 const char *body,
                                 gboolean    with_body);

G_END_DECLS
