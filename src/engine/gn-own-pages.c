/* gn-own-pages.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The proxy's own pages (see gn-own-pages.h): the PAC script names the
 * listening address, or loopback when it listens on every address; the
 * status page its port and the connections open now; the metrics page
 * the registry's counters in the Prometheus text exposition format 0.0.4
 * (https://prometheus.io/docs/instrumenting/exposition_formats/): every
 * metric family once, its HELP and TYPE before its samples, label values
 * escaped (backslash, double quote, line feed), so `promtool check
 * metrics` and Prometheus's own parser read it.
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
  if (get && bare_len == strlen (GN_METRICS_PATH) && memcmp (path, GN_METRICS_PATH, bare_len) == 0)
    return GN_OWN_PAGE_METRICS;
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
  if (page == GN_OWN_PAGE_METRICS)
    {
      *content_type = GN_METRICS_CONTENT_TYPE;
      return gn_own_page_metrics (context->registry, context->max_connections, g_get_real_time ());
    }
  *content_type = "text/html; charset=utf-8";
  return gn_block_page_status (context->port, (guint) g_atomic_int_get (&context->n_connections));
}

/* ---- metrics ------------------------------------------------------------- */

/* A label value as the text format wants it: \\, \" and \n escaped. */
static void
append_label_value (GString    *out,
                    const char *value)
{
  for (const char *p = value; *p != '\0'; p++)
    {
      if (*p == '\\')
        g_string_append (out, "\\\\");
      else if (*p == '"')
        g_string_append (out, "\\\"");
      else if (*p == '\n')
        g_string_append (out, "\\n");
      else
        g_string_append_c (out, *p);
    }
}

static void
append_family (GString    *out,
               const char *name,
               const char *type,
               const char *help)
{
  g_string_append_printf (out, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

static void
append_metric (GString    *out,
               const char *name,
               const char *type,
               const char *help,
               guint64     value)
{
  append_family (out, name, type, help);
  g_string_append_printf (out, "%s %" G_GUINT64_FORMAT "\n", name, value);
}

static int
compare_strings (gconstpointer a,
                 gconstpointer b)
{
  return g_strcmp0 (a, b);
}

static int
compare_uints (gconstpointer a,
               gconstpointer b)
{
  guint x = GPOINTER_TO_UINT (a);
  guint y = GPOINTER_TO_UINT (b);

  return (x > y) - (x < y);
}

char *
gn_own_page_metrics (GnConnectionRegistry *registry,
                     guint                 max_connections,
                     gint64                now)
{
  GnRegistryMetrics m = { 0 };
  GString *out = g_string_sized_new (2048);
  GList *keys;

  if (registry != NULL)
    gn_connection_registry_get_metrics (registry, &m);

  append_metric (out, "guardnest_connections_open", "gauge",
                 "Client connections open now.", m.open_now);
  append_metric (out, "guardnest_connections_max", "gauge",
                 "Client connections served at once at most (503 past it).", max_connections);
  append_metric (out, "guardnest_connections_draining", "gauge",
                 "Connections still open on stopped (restarted) listeners.", m.n_draining);
  append_metric (out, "guardnest_connections_total", "counter",
                 "Client connections accepted.", m.total.connections);
  append_metric (out, "guardnest_requests_total", "counter",
                 "Requests: CONNECTs and forwarded plain-HTTP requests.", m.total.requests);
  append_metric (out, "guardnest_rejected_total", "counter",
                 "Connections refused with 503 past the connection limit.", m.total.rejected);
  append_metric (out, "guardnest_connections_cut_total", "counter",
                 "Open connections closed because new rules block their host.", m.n_cut);

  append_family (out, "guardnest_blocked_total", "counter",
                 "Requests answered 403 by a blocklist rule, by the list that decided.");
  if (m.blocked_by_list != NULL)
    {
      /* Sorted: the same order on every scrape. */
      keys = g_list_sort (g_hash_table_get_keys (m.blocked_by_list), compare_strings);
      for (GList *l = keys; l != NULL; l = l->next)
        {
          const char *list = l->data;

          g_string_append (out, "guardnest_blocked_total{list=\"");
          append_label_value (out, list);
          g_string_append_printf (out, "\"} %" G_GUINT64_FORMAT "\n",
                                  *(guint64 *) g_hash_table_lookup (m.blocked_by_list, list));
        }
      g_list_free (keys);
    }

  append_family (out, "guardnest_errors_total", "counter",
                 "Connections that failed, by the HTTP status we answered (0: none, the "
                 "connection just ended).");
  if (m.errors_by_status != NULL)
    {
      keys = g_list_sort (g_hash_table_get_keys (m.errors_by_status), compare_uints);
      for (GList *l = keys; l != NULL; l = l->next)
        {
          gpointer status = l->data;

          g_string_append_printf (out, "guardnest_errors_total{status=\"%u\"} %" G_GUINT64_FORMAT "\n",
                                  GPOINTER_TO_UINT (status),
                                  *(guint64 *) g_hash_table_lookup (m.errors_by_status, status));
        }
      g_list_free (keys);
    }

  append_family (out, "guardnest_bytes_total", "counter",
                 "Bytes relayed: up is client to origin, down is origin to client.");
  g_string_append_printf (out, "guardnest_bytes_total{direction=\"up\"} %" G_GUINT64_FORMAT "\n"
                               "guardnest_bytes_total{direction=\"down\"} %" G_GUINT64_FORMAT "\n",
                          m.total.bytes_up, m.total.bytes_down);

  append_metric (out, "guardnest_blocklist_rules", "gauge",
                 "Block rules in the rule set in force.", m.n_rules);
  append_metric (out, "guardnest_blocklist_allow_rules", "gauge",
                 "Allow rules in the rule set in force.", m.n_allow_rules);
  append_family (out, "guardnest_blocklist_age_seconds", "gauge",
                 "Seconds since the rule set in force was built and handed to the proxy.");
  g_string_append_printf (out, "guardnest_blocklist_age_seconds %.3f\n",
                          m.rules_since > 0 ? MAX (now - m.rules_since, 0) / (double) G_USEC_PER_SEC : 0.0);
  append_metric (out, "guardnest_restarts_total", "counter",
                 "Restarts of the proxy (new settings, reloads) since it started.", m.restarts);

  gn_registry_metrics_clear (&m);
  return g_string_free (out, FALSE);
}
