/* gn-own-pages.h
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The pages the proxy serves itself, to requests aimed at it: the proxy
 * auto-configuration script at GN_PAC_PATH (GET or HEAD) and the status
 * page. Which page a request asks for, and its body; whether the request
 * may have it (its Host must name us, see
 * gn_listener_context_is_own_authority()) is the connection's decision.
 *
 * Threading: pure functions of their arguments, any thread.
 */

#pragma once

#include <glib.h>

#include "gn-http-parser.h"
#include "gn-listener-context.h"

G_BEGIN_DECLS

typedef enum
{
  GN_OWN_PAGE_NONE,
  GN_OWN_PAGE_PAC,
  GN_OWN_PAGE_STATUS,
} GnOwnPage;

/* The page @head asks for with @path (its query ignored): the PAC script
 * for a GET or HEAD of GN_PAC_PATH, the status page for one of "/" or, with
 * @any_path, for anything else. */
GnOwnPage gn_own_page_find   (const GnHttpHead  *head,
                              const char        *path,
                              gsize              path_len,
                              gboolean           any_path);
/* The body of @page (not NONE) for the listener of @context; its
 * Content-Type in @content_type (static). */
char     *gn_own_page_render (GnOwnPage          page,
                              GnListenerContext *context,
                              const char       **content_type);

G_END_DECLS
