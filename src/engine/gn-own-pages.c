/* gn-own-pages.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The proxy's own pages (see gn-own-pages.h): the PAC script names the
 * listening address, or loopback when it listens on every address; the
 * status page its port and the connections open now.
 *
 * Threading: any thread.
 */

#include <string.h>

#include "gn-block-page.h"
#include "gn-own-pages.h"
#include "gn-pac.h"

GnOwnPage
gn_own_page_find (const GnHttpHead *head,
                  const char       *path,
                  gsize             path_len,
                  gboolean          any_path)
{
  gboolean get = gn_http_method_is (head, "GET") || gn_http_method_is (head, "HEAD");
  gsize bare_len = 0;

  /* The path without its query. */
  while (bare_len < path_len && path[bare_len] != '?' && path[bare_len] != '#')
    bare_len++;

  if (get && bare_len == strlen (GN_PAC_PATH) && memcmp (path, GN_PAC_PATH, bare_len) == 0)
    return GN_OWN_PAGE_PAC;
  if (any_path || (get && bare_len == 1 && path[0] == '/'))
    return GN_OWN_PAGE_STATUS;
  return GN_OWN_PAGE_NONE;
}

/* The host our own PAC script names: the listening address, or loopback
 * when we listen on every address. */
static char *
pac_proxy_host (GnListenerContext *context)
{
  if (context->bind_any)
    return g_strdup ("127.0.0.1");
  return g_inet_address_to_string (context->bind_address);
}

char *
gn_own_page_render (GnOwnPage           page,
                    GnListenerContext  *context,
                    const char        **content_type)
{
  g_return_val_if_fail (page != GN_OWN_PAGE_NONE, NULL);

  if (page == GN_OWN_PAGE_PAC)
    {
      g_autofree char *host = pac_proxy_host (context);

      *content_type = GN_PAC_CONTENT_TYPE;
      return gn_pac_script (host, context->port, (const char * const *) context->config->pac_bypass);
    }
  *content_type = "text/html; charset=utf-8";
  return gn_block_page_status (context->port, (guint) g_atomic_int_get (&context->n_connections));
}
