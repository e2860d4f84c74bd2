/* gn-own-pages.h
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The pages the proxy serves itself, to requests aimed at it: the proxy
 * auto-configuration script at GN_PAC_PATH (GET or HEAD), the Prometheus
 * metrics at GN_METRICS_PATH (GET or HEAD; only with the config's
 * `metrics`, and only to clients on this computer) and the status page. Which page a request asks for, and its body; whether the request
 * may have it (its Host must name us, see
 * gn_listener_context_is_own_authority()) is the connection's decision.
 *
 * Threading: any thread; pure functions of their arguments, but for the
 * metrics, which copy the registry's counters under its lock.
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
  GN_OWN_PAGE_METRICS,
} GnOwnPage;

#define GN_METRICS_PATH "/metrics"
/* The Prometheus text exposition format, version 0.0.4. */
#define GN_METRICS_CONTENT_TYPE "text/plain; version=0.0.4; charset=utf-8"

/* The page @head asks for with @path (its query ignored): the PAC script
 * for a GET or HEAD of GN_PAC_PATH, the metrics for one of
 * GN_METRICS_PATH (whether they are enabled is the caller's check), the
 * status page for one of "/" or, with
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

/* The metrics in the Prometheus text format (0.0.4), from @registry's
 * counters (gn_connection_registry_get_metrics()) and @max_connections;
 * @now is g_get_real_time(). */
char     *gn_own_page_metrics (GnConnectionRegistry *registry,
                               guint                 max_connections,
                               gint64                now);

G_END_DECLS
