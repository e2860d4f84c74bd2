/* test-metrics.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The Prometheus endpoint (GET /metrics on the proxy's own address, off by
 * default): fetched with the real curl and read by a strict parser of the
 * text exposition format 0.0.4 written here — every line a `# HELP` or
 * `# TYPE` comment or a sample `name{labels} value`, names
 * [a-zA-Z_:][a-zA-Z0-9_:]*, label values with only \\, \" and \n escapes,
 * each family's TYPE before its samples and its samples together, no
 * series twice. The values move as traffic flows (a blocked request
 * counts under its list's name, a label that needs escaping), a restart
 * counts; it is 404 while off, 421 for a foreign Host and 403 for a
 * client on another address (when this computer has one).
 *
 * Threading: the test's main thread; the engine and the origin run on
 * their own threads.
 */

#include <math.h>
#include <string.h>

#include <glib.h>
#ifdef G_OS_UNIX
#include <ifaddrs.h>
#include <netinet/in.h>
#endif

#include <glib/gstdio.h>
#include <json-glib/json-glib.h>

#include "gn-own-pages.h"
#include "test-utils.h"

/* ---- a strict parser for the text format --------------------------------- */

static gboolean
is_name (const char *s,
         gsize       len,
         gboolean    colon)
{
  if (len == 0 || !(g_ascii_isalpha (s[0]) || s[0] == '_' || (colon && s[0] == ':')))
    return FALSE;
  for (gsize i = 1; i < len; i++)
    if (!(g_ascii_isalnum (s[i]) || s[i] == '_' || (colon && s[i] == ':')))
      return FALSE;
  return TRUE;
}

static gsize
name_len (const char *s,
          gboolean    colon)
{
  gsize n = 0;

  while (g_ascii_isalnum (s[n]) || s[n] == '_' || (colon && s[n] == ':'))
    n++;
  return n;
}

static int
compare_pairs (gconstpointer a,
               gconstpointer b)
{
  return strcmp (*(const char * const *) a, *(const char * const *) b);
}

/* Parses {a="x",b="y"} at @p into a canonical "a=x\x01b=y" key (labels
 * sorted, values unescaped); returns the position after '}' or NULL. */
static const char *
parse_labels (const char  *p,
              char       **canonical)
{
  g_autoptr(GPtrArray) pairs = g_ptr_array_new_with_free_func (g_free);
  GString *out;

  g_assert (*p == '{');
  p++;
  while (*p != '}')
    {
      gsize n = name_len (p, FALSE);
      g_autoptr(GString) value = g_string_new (NULL);
      g_autofree char *label = NULL;

      if (!is_name (p, n, FALSE) || p[n] != '=' || p[n + 1] != '"')
        return NULL;
      label = g_strndup (p, n);
      p += n + 2;
      while (*p != '"')
        {
          if (*p == '\0' || *p == '\n')
            return NULL;
          if (*p == '\\')
            {
              p++;
              if (*p == '\\' || *p == '"')
                g_string_append_c (value, *p);
              else if (*p == 'n')
                g_string_append_c (value, '\n');
              else
                return NULL;  /* no other escape exists */
            }
          else
            g_string_append_c (value, *p);
          p++;
        }
      p++;
      for (guint i = 0; i < pairs->len; i++)
        if (g_str_has_prefix (g_ptr_array_index (pairs, i), label) &&
            ((char *) g_ptr_array_index (pairs, i))[strlen (label)] == '=')
          return NULL;  /* a label twice */
      g_ptr_array_add (pairs, g_strdup_printf ("%s=%s", label, value->str));
      if (*p == ',')
        {
          p++;
          if (*p == '}')
            return NULL;
        }
      else if (*p != '}')
        return NULL;
    }
  g_ptr_array_sort (pairs, compare_pairs);
  out = g_string_new (NULL);
  for (guint i = 0; i < pairs->len; i++)
    {
      if (i > 0)
        g_string_append_c (out, '\x01');
      g_string_append (out, g_ptr_array_index (pairs, i));
    }
  *canonical = g_string_free (out, FALSE);
  return p + 1;
}

static gboolean
parse_value (const char *s,
             double     *value)
{
  char *end = NULL;

  if (g_str_equal (s, "+Inf"))
    *value = INFINITY;
  else if (g_str_equal (s, "-Inf"))
    *value = -INFINITY;
  else if (g_str_equal (s, "NaN"))
    *value = NAN;
  else
    {
      *value = g_ascii_strtod (s, &end);
      return end != s && *end == '\0';
    }
  return TRUE;
}

/* Returns the series ("name" or "name{canonical labels}") → double*, or
 * fails the test with the offending line; the families (TYPE lines) in
 * @families_out if given. */
static GHashTable *
parse_metrics_full (const char  *text,
                    GHashTable **families_out)
{
  g_autoptr(GHashTable) series = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  g_autoptr(GHashTable) typed = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  g_autoptr(GHashTable) helped = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  g_autoptr(GHashTable) finished = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  g_auto(GStrv) lines = NULL;
  g_autofree char *current = NULL;   /* the family whose samples come now */

  g_assert_true (g_str_has_suffix (text, "\n"));
  lines = g_strsplit (text, "\n", -1);
  for (guint i = 0; lines[i + 1] != NULL; i++)   /* the last piece is after the final \n */
    {
      const char *line = lines[i];

      if (g_str_has_prefix (line, "# HELP ") || g_str_has_prefix (line, "# TYPE "))
        {
          gboolean type = line[2] == 'T';
          const char *name = line + 7;
          gsize n = name_len (name, TRUE);
          g_autofree char *family = g_strndup (name, n);

          if (!is_name (name, n, TRUE) || name[n] != ' ')
            g_error ("bad comment line %u: %s", i + 1, line);
          if (type)
            {
              const char *kind = name + n + 1;

              if (!g_strv_contains ((const char *[]) { "counter", "gauge", "histogram", "summary",
                                                        "untyped", NULL }, kind))
                g_error ("bad TYPE line %u: %s", i + 1, line);
              if (g_hash_table_contains (typed, family))
                g_error ("TYPE twice for %s (line %u)", family, i + 1);
              if (g_hash_table_contains (finished, family) || g_strcmp0 (current, family) == 0)
                g_error ("TYPE after the samples of %s (line %u)", family, i + 1);
              g_hash_table_add (typed, g_strdup (family));
            }
          else
            {
              for (const char *h = name + n + 1; *h != '\0'; h++)
                if (*h == '\\')
                  {
                    if (h[1] != '\\' && h[1] != 'n')
                      g_error ("bad escape in HELP line %u: %s", i + 1, line);
                    h++;
                  }
              if (!g_hash_table_add (helped, g_strdup (family)))
                g_error ("HELP twice for %s (line %u)", family, i + 1);
            }
          continue;
        }
      if (line[0] == '#' || line[0] == '\0')
        g_error ("line %u is neither HELP, TYPE nor a sample: “%s”", i + 1, line);

      {
        gsize n = name_len (line, TRUE);
        g_autofree char *name = g_strndup (line, n);
        g_autofree char *labels = NULL;
        g_autofree char *key = NULL;
        g_auto(GStrv) rest = NULL;
        const char *p = line + n;
        double value;

        if (!is_name (line, n, TRUE))
          g_error ("bad metric name on line %u: %s", i + 1, line);
        if (*p == '{')
          {
            p = parse_labels (p, &labels);
            if (p == NULL)
              g_error ("bad labels on line %u: %s", i + 1, line);
          }
        if (*p != ' ')
          g_error ("no value on line %u: %s", i + 1, line);
        rest = g_strsplit (p + 1, " ", -1);
        if (g_strv_length (rest) < 1 || g_strv_length (rest) > 2 || !parse_value (rest[0], &value))
          g_error ("bad value on line %u: %s", i + 1, line);
        if (rest[1] != NULL && !g_ascii_string_to_signed (rest[1], 10, G_MININT64, G_MAXINT64, NULL, NULL))
          g_error ("bad timestamp on line %u: %s", i + 1, line);

        /* Our families are named as their samples (no histograms). */
        if (!g_hash_table_contains (typed, name))
          g_error ("sample before the TYPE of %s (line %u)", name, i + 1);
        if (g_strcmp0 (current, name) != 0)
          {
            if (g_hash_table_contains (finished, name))
              g_error ("samples of %s not together (line %u)", name, i + 1);
            if (current != NULL)
              g_hash_table_add (finished, g_steal_pointer (&current));
            current = g_strdup (name);
          }
        key = labels != NULL ? g_strdup_printf ("%s{%s}", name, labels) : g_strdup (name);
        if (g_hash_table_contains (series, key))
          g_error ("series %s twice (line %u)", key, i + 1);
        g_hash_table_insert (series, g_steal_pointer (&key), g_memdup2 (&value, sizeof value));
      }
    }
  if (families_out != NULL)
    *families_out = g_steal_pointer (&typed);
  return g_steal_pointer (&series);
}

static GHashTable *
parse_metrics (const char *text)
{
  return parse_metrics_full (text, NULL);
}

static double
value_of (GHashTable *series,
          const char *key)
{
  double *v = g_hash_table_lookup (series, key);

  if (v == NULL)
    g_error ("no series %s", key);
  return *v;
}

static double
value_or_zero (GHashTable *series,
               const char *key)
{
  double *v = g_hash_table_lookup (series, key);

  return v != NULL ? *v : 0;
}

/* The parser reads what the format allows (escapes, sorted labels,
 * timestamps, +Inf)... */
static void
test_parser (void)
{
  g_autoptr(GHashTable) ok = parse_metrics ("# HELP a_b:c Some \\\\ help\\n here\n"
                                            "# TYPE a_b:c counter\n"
                                            "a_b:c{x=\"q\\\"\\\\\\n\",y=\"\"} 1 1700000000000\n"
                                            "a_b:c{y=\"\",x=\"other\"} +Inf\n"
                                            "# TYPE g gauge\n"
                                            "g 1.5e3\n");
  g_assert_cmpfloat (value_of (ok, "a_b:c{x=q\"\\\n\x01y=}"), ==, 1);
  g_assert_cmpfloat (value_of (ok, "g"), ==, 1500);
}

/* ...and refuses what it forbids (each case below, in a subprocess). */
static void
test_parser_rejects (gconstpointer data)
{
  const char *text = data;

  if (g_test_subprocess ())
    {
      g_autoptr(GHashTable) s = parse_metrics (text);
      return;
    }
  g_test_trap_subprocess (NULL, 0, G_TEST_SUBPROCESS_DEFAULT);
  g_test_trap_assert_failed ();
}

/* ---- the endpoint ------------------------------------------------------- */

static GnEngine *
engine_new (gboolean metrics)
{
  g_autoptr(GnEngineConfig) config = gn_engine_config_new ();

  config->port = 0;
  config->metrics = metrics;
  config->drain_timeout_ms = 100;
  return gn_test_engine_new (config, NULL);
}

/* GET /metrics with curl, checked by the parser. */
static GHashTable *
scrape_full (guint16      port,
             GHashTable **families)
{
  g_autofree char *url = g_strdup_printf ("http://127.0.0.1:%u/metrics", port);
  g_autoptr(GBytes) out = NULL;
  g_autofree char *text = NULL;

  g_assert_cmpint (gn_test_curl (&out, "--fail", url, NULL), ==, 0);
  text = g_strndup (g_bytes_get_data (out, NULL), g_bytes_get_size (out));
  return parse_metrics_full (text, families);
}

static GHashTable *
scrape (guint16 port)
{
  return scrape_full (port, NULL);
}

static void
test_off_by_default (void)
{
  g_autoptr(GnEngineConfig) config = gn_engine_config_new ();
  g_autoptr(GnEngine) engine = engine_new (FALSE);
  guint16 port = gn_engine_get_port (engine);
  g_autofree char *request = g_strdup_printf ("GET /metrics HTTP/1.1\r\nHost: 127.0.0.1:%u\r\n\r\n", port);
  g_autofree char *answer = gn_test_exchange (port, request);

  g_assert_false (config->metrics);
  g_assert_cmpuint (gn_test_status (answer), ==, 404);
  g_assert_nonnull (strstr (answer, "metrics=true"));
}

static void
test_foreign_host (void)
{
  g_autoptr(GnEngine) engine = engine_new (TRUE);
  guint16 port = gn_engine_get_port (engine);
  g_autofree char *request = g_strdup_printf ("GET /metrics HTTP/1.1\r\nHost: evil.example:%u\r\n\r\n", port);
  g_autofree char *answer = gn_test_exchange (port, request);
  g_autofree char *own = g_strdup_printf ("GET /metrics HTTP/1.1\r\nHost: localhost:%u\r\n\r\n", port);
  g_autofree char *good = gn_test_exchange (port, own);

  g_assert_cmpuint (gn_test_status (answer), ==, 421);
  g_assert_cmpuint (gn_test_status (good), ==, 200);
  g_assert_nonnull (strstr (good, "Content-Type: " GN_METRICS_CONTENT_TYPE "\r\n"));
}

/* An IPv4 address of this computer that is not loopback, or NULL. */
static char *
non_loopback_address (void)
{
#ifdef G_OS_UNIX
  struct ifaddrs *list = NULL;
  char *found = NULL;

  if (getifaddrs (&list) != 0)
    return NULL;
  for (struct ifaddrs *i = list; i != NULL && found == NULL; i = i->ifa_next)
    {
      g_autoptr(GSocketAddress) address = NULL;
      GInetAddress *inet;

      if (i->ifa_addr == NULL || i->ifa_addr->sa_family != AF_INET)
        continue;
      address = g_socket_address_new_from_native (i->ifa_addr, sizeof (struct sockaddr_in));
      inet = g_inet_socket_address_get_address (G_INET_SOCKET_ADDRESS (address));
      if (!g_inet_address_get_is_loopback (inet))
        found = g_inet_address_to_string (inet);
    }
  freeifaddrs (list);
  return found;
#else
  return NULL;
#endif
}

/* Listening on every address, the metrics still answer only clients on
 * this computer's loopback: one coming in on another address (with a Host
 * naming that address, which the status page accepts) gets 403. */
static void
test_remote_client (void)
{
  g_autofree char *address = non_loopback_address ();
  g_autoptr(GnEngineConfig) config = gn_engine_config_new ();
  g_autoptr(GnEngine) engine = NULL;
  g_autoptr(GSocketConnection) conn = NULL;
  g_autofree char *request = NULL;
  g_autofree char *head = NULL;
  g_autofree char *status = NULL;
  guint16 port;

  if (address == NULL)
    {
      g_test_skip ("this computer has no IPv4 address but loopback");
      return;
    }
  config->port = 0;
  config->metrics = TRUE;
  config->drain_timeout_ms = 100;
  g_free (config->bind_address);
  config->bind_address = g_strdup ("0.0.0.0");
  config->allow_non_loopback = TRUE;
  engine = gn_test_engine_new (config, NULL);
  port = gn_engine_get_port (engine);

  conn = gn_test_connect (address, port);
  request = g_strdup_printf ("GET /metrics HTTP/1.1\r\nHost: %s:%u\r\n\r\n", address, port);
  gn_test_send (conn, request, -1);
  head = gn_test_read_head (conn);
  g_assert_cmpuint (gn_test_status (head), ==, 403);
  g_clear_object (&conn);

  /* The status page, same client and Host: served (so the 403 is the
   * metrics' own rule, not the Host check). */
  conn = gn_test_connect (address, port);
  status = g_strdup_printf ("GET / HTTP/1.1\r\nHost: %s:%u\r\n\r\n", address, port);
  gn_test_send (conn, status, -1);
  g_clear_pointer (&head, g_free);
  head = gn_test_read_head (conn);
  g_assert_cmpuint (gn_test_status (head), ==, 200);
}

static char *
blocked_key (GnBlocklist *list)
{
  GString *key = g_string_new ("guardnest_blocked_total{list=");

  g_string_append (key, gn_blocklist_get_list_name (list, 0));
  g_string_append_c (key, '}');
  return g_string_free (key, FALSE);
}

/* The values follow the traffic. */
static void
test_values (void)
{
  GnTestOrigin *origin = gn_test_origin_new (FALSE);
  guint16 origin_port = gn_test_origin_get_port (origin);
  g_autoptr(GnEngine) engine = engine_new (TRUE);
  guint16 port = gn_engine_get_port (engine);
  g_autofree char *proxy = gn_test_proxy_url (port);
  g_autoptr(GError) error = NULL;
  g_autofree char *dir = g_dir_make_tmp ("gn-metrics-XXXXXX", &error);
  /* A list name a label must escape. */
  g_autofree char *path = g_build_filename (dir, "kids \"safe\" \\ list", NULL);
  const char *paths[] = { path, NULL };
  g_autoptr(GnBlocklist) list = NULL;
  g_autoptr(GHashTable) before = NULL;
  g_autoptr(GHashTable) after = NULL;
  g_autoptr(GHashTable) restarted = NULL;
  g_autofree char *key = NULL;
  g_autofree char *hello = g_strdup_printf ("http://127.0.0.1:%u/big?size=100000", origin_port);
  g_autoptr(GSocket) refusing = NULL;
  g_autofree char *refused_url = NULL;
  guint16 refused_port;

  g_assert_no_error (error);
  g_assert_true (g_file_set_contents (path, "ads.example\ntracker.example\n@@||ok.ads.example^\n", -1, &error));
  list = gn_blocklist_new_from_files (paths, &error);
  g_assert_no_error (error);
  gn_engine_set_blocklist (engine, list);
  key = blocked_key (list);
  g_assert_nonnull (strchr (gn_blocklist_get_list_name (list, 0), '"'));

  before = scrape (port);
  g_assert_cmpfloat (value_of (before, "guardnest_blocklist_rules"), ==, gn_blocklist_get_n_rules (list));
  g_assert_cmpfloat (value_of (before, "guardnest_blocklist_allow_rules"), ==,
                     gn_blocklist_get_n_allow_rules (list));
  g_assert_cmpfloat (value_of (before, "guardnest_blocklist_age_seconds"), >=, 0);
  g_assert_cmpfloat (value_of (before, "guardnest_blocklist_age_seconds"), <, 60);
  g_assert_cmpfloat (value_of (before, "guardnest_restarts_total"), ==, 0);
  g_assert_cmpfloat (value_of (before, "guardnest_connections_draining"), ==, 0);
  /* This very scrape's connection is open. */
  g_assert_cmpfloat (value_of (before, "guardnest_connections_open"), >=, 1);
  g_assert_cmpfloat (value_or_zero (before, key), ==, 0);

  /* A blocked request, a served one, a failed one. */
  g_assert_cmpint (gn_test_curl (NULL, "-o", "/dev/null", "--proxy", proxy, "http://ads.example/", NULL), ==, 0);
  g_assert_cmpint (gn_test_curl (NULL, "-o", "/dev/null", "--proxy", proxy, hello, NULL), ==, 0);
  refusing = gn_test_refusing_port_new (&refused_port);
  refused_url = g_strdup_printf ("http://127.0.0.1:%u/", refused_port);
  g_assert_cmpint (gn_test_curl (NULL, "-o", "/dev/null", "--proxy", proxy, refused_url, NULL), ==, 0);

  /* The registry counts a closed connection when its worker is done with
   * it, a moment after curl saw the answer. */
  for (gint64 end = g_get_monotonic_time () + 5 * G_USEC_PER_SEC;; g_usleep (50 * 1000))
    {
      g_clear_pointer (&after, g_hash_table_unref);
      after = scrape (port);
      if ((value_or_zero (after, key) >= 1 &&
           value_or_zero (after, "guardnest_errors_total{status=502}") >= 1) ||
          g_get_monotonic_time () > end)
        break;
    }
  g_assert_cmpfloat (value_of (after, key), ==, 1);
  g_assert_cmpfloat (value_of (after, "guardnest_requests_total"), >=,
                     value_of (before, "guardnest_requests_total") + 3);
  g_assert_cmpfloat (value_of (after, "guardnest_connections_total"), >=,
                     value_of (before, "guardnest_connections_total") + 3);
  g_assert_cmpfloat (value_of (after, "guardnest_bytes_total{direction=down}"), >=,
                     value_of (before, "guardnest_bytes_total{direction=down}") + 100000);
  g_assert_cmpfloat (value_of (after, "guardnest_bytes_total{direction=up}"), >,
                     value_of (before, "guardnest_bytes_total{direction=up}"));
  g_assert_cmpfloat (value_of (after, "guardnest_errors_total{status=502}"), ==, 1);
  g_assert_cmpfloat (value_of (after, "guardnest_rejected_total"), ==, 0);

  /* A restart counts. */
  g_assert_true (gn_engine_restart (engine, &error));
  g_assert_no_error (error);
  restarted = scrape (gn_engine_get_port (engine));
  g_assert_cmpfloat (value_of (restarted, "guardnest_restarts_total"), ==, 1);
  g_assert_cmpfloat (value_of (restarted, key), ==, 1);

  g_clear_object (&engine);
  gn_test_origin_free (origin);
  g_unlink (path);
  g_rmdir (dir);
}

/* Every metric the sample Grafana dashboard queries is one we serve. */
static void
test_dashboard (void)
{
  g_autoptr(GnEngine) engine = engine_new (TRUE);
  g_autoptr(GHashTable) families = NULL;
  g_autoptr(GHashTable) series = scrape_full (gn_engine_get_port (engine), &families);
  g_autofree char *path = g_test_build_filename (G_TEST_DIST, "..", "data", "grafana",
                                                 "guardnest-dashboard.json", NULL);
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autoptr(GError) error = NULL;
  g_autoptr(GRegex) name = g_regex_new ("guardnest_[a-z_]+", 0, 0, NULL);
  JsonArray *panels;
  guint n_queries = 0;

  g_assert_cmpuint (g_hash_table_size (series), >, 0);
  g_assert_true (json_parser_load_from_file (parser, path, &error));
  g_assert_no_error (error);
  panels = json_object_get_array_member (json_node_get_object (json_parser_get_root (parser)), "panels");
  g_assert_cmpuint (json_array_get_length (panels), >=, 4);
  for (guint i = 0; i < json_array_get_length (panels); i++)
    {
      JsonArray *targets = json_object_get_array_member (json_array_get_object_element (panels, i),
                                                         "targets");

      for (guint t = 0; t < json_array_get_length (targets); t++)
        {
          const char *expr = json_object_get_string_member (json_array_get_object_element (targets, t),
                                                            "expr");
          g_autoptr(GMatchInfo) match = NULL;

          n_queries++;
          g_regex_match (name, expr, 0, &match);
          g_assert_true (g_match_info_matches (match));
          for (; g_match_info_matches (match); g_match_info_next (match, NULL))
            {
              g_autofree char *metric = g_match_info_fetch (match, 0);

              if (!g_hash_table_contains (families, metric))
                g_error ("the dashboard queries %s, which /metrics does not serve", metric);
            }
        }
    }
  g_assert_cmpuint (n_queries, >=, 8);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/metrics/parser", test_parser);
  g_test_add_data_func ("/metrics/parser/bad-escape", "# TYPE a counter\na{x=\"\\t\"} 1\n", test_parser_rejects);
  g_test_add_data_func ("/metrics/parser/no-type", "a 1\n", test_parser_rejects);
  g_test_add_data_func ("/metrics/parser/twice", "# TYPE a counter\na 1\na 2\n", test_parser_rejects);
  g_test_add_data_func ("/metrics/parser/apart",
                        "# TYPE a counter\n# TYPE b gauge\na 1\nb 1\na{x=\"1\"} 1\n", test_parser_rejects);
  g_test_add_data_func ("/metrics/parser/bad-name", "# TYPE 1a counter\n", test_parser_rejects);
  g_test_add_data_func ("/metrics/parser/not-a-number", "# TYPE a counter\na one\n", test_parser_rejects);
  g_test_add_data_func ("/metrics/parser/blank-line", "# TYPE a counter\n\na 1\n", test_parser_rejects);
  g_test_add_data_func ("/metrics/parser/type-twice", "# TYPE a counter\na 1\n# TYPE a counter\n",
                        test_parser_rejects);
  g_test_add_data_func ("/metrics/parser/label-twice", "# TYPE a counter\na{x=\"1\",x=\"2\"} 1\n",
                        test_parser_rejects);
  g_test_add_func ("/metrics/off-by-default", test_off_by_default);
  g_test_add_func ("/metrics/foreign-host", test_foreign_host);
  g_test_add_func ("/metrics/remote-client", test_remote_client);
  g_test_add_func ("/metrics/values", test_values);
  g_test_add_func ("/metrics/dashboard", test_dashboard);
  return g_test_run ();
}
