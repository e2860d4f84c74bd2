/* test-blocklist.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The list parsers against real lists: the samples committed in
 * tests/data/blocklists (exact counts, so a clone alone runs them) and,
 * when a folder of them is named in $GN_FULL_BLOCKLISTS, the full lists
 * (skipped otherwise: they are not part of the tree). Counts
 * are also checked against grep/awk/sort run by the test. Then the skip
 * reasons, bad input, and the matching table the README promises. Local
 * files: the size cap (checked before reading), UTF-16 with a byte order
 * mark decoded, without one named as such, a UTF-8 byte order mark skipped.
 */

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <glib/gstdio.h>

#include "gn-blocklist.h"
#include "gn-blocklist-builder.h"
#include "gn-blocklist-manager.h"
#include "gn-blocklist-source.h"
#include "gn-connection-registry.h"
#include "gn-domain.h"
#include "gn-engine-enums.h"
#include "gn-error.h"

/* The committed samples: part of the tree, always there. */
static char *
sample_path (const char *name)
{
  return g_test_build_filename (G_TEST_DIST, "data", "blocklists", name, NULL);
}

/* The full lists: optional, outside the tree, named by $GN_FULL_BLOCKLISTS.
 * NULL (and the test skipped) without them. */
static char *
full_path (const char *name)
{
  const char *dir = g_getenv ("GN_FULL_BLOCKLISTS");

  if (dir == NULL || !g_file_test (dir, G_FILE_TEST_IS_DIR))
    {
      g_test_skip ("the full real lists are optional: set GN_FULL_BLOCKLISTS to a folder "
                   "holding them to check them too");
      return NULL;
    }
  return g_build_filename (dir, name, NULL);
}

static gboolean
have_shell (void)
{
  return g_file_test ("/bin/sh", G_FILE_TEST_IS_EXECUTABLE);
}

/* Runs a shell pipeline on @path and returns the number it prints. */
static guint64
count_with_shell (const char *pipeline,
                  const char *path)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *quoted = g_shell_quote (path);
  g_autofree char *script = NULL;
  g_autofree char *out = NULL;
  const char *argv[] = { "/bin/sh", "-c", NULL, NULL };
  int status;

  script = g_strdup_printf ("F=%s; export LC_ALL=C; %s", quoted, pipeline);
  argv[2] = script;
  g_spawn_sync (NULL, (char **) argv, NULL, G_SPAWN_DEFAULT, NULL, NULL, &out, NULL, &status, &error);
  g_assert_no_error (error);
  g_assert_true (g_spawn_check_wait_status (status, NULL));
  return g_ascii_strtoull (out, NULL, 10);
}

#define HOSTS_COUNT \
  "grep -v '^[[:space:]]*#' \"$F\" | awk '$1 ~ /^[0-9.:a-f]+$/ { for (i = 2; i <= NF; i++) { if ($i ~ /^#/) break; print tolower($i) } }'" \
  " | sed 's/\\.$//' | grep -v -x -E 'localhost|localhost\\.localdomain|local|broadcasthost|ip6-.*|0\\.0\\.0\\.0'" \
  " | sort -u | wc -l"
#define DOMAINS_COUNT \
  "sed 's/#.*//' \"$F\" | tr -d ' \\t\\r' | grep -v '^$' | tr A-Z a-z | sort -u | wc -l"
#define ADBLOCK_COUNT \
  "grep -E '^(@@)?\\|\\|[^/$*^|]+\\^\\|?$' \"$F\" | sed -E 's/^(@@)?\\|\\|//; s/\\^\\|?$//' | tr A-Z a-z | sort -u | wc -l"
#define WILDCARD_COUNT \
  "grep -v '^[[:space:]]*#' \"$F\" | grep -v '^$' | sed 's/^\\*\\.//' | tr A-Z a-z | sort -u | wc -l"

typedef struct
{
  const char        *file;
  GnBlocklistFormat  format;
  const char        *count_pipeline;  /* unique rules, computed independently */
  gboolean           sample;          /* tests/data/blocklists, else $GN_FULL_BLOCKLISTS */
  /* The samples' exact figures (see tests/data/blocklists/README.md); the
   * full lists change upstream, so only the shell count checks them. Every
   * sample is clean upstream data: no duplicates, no line skipped. */
  guint64            lines;
  guint64            comments;
  guint64            accepted;
} FormatCase;

static const FormatCase format_cases[] = {
  /* the committed samples */
  { "adaway.hosts.txt",          GN_BLOCKLIST_FORMAT_HOSTS,    HOSTS_COUNT,    TRUE, 1107, 14, 1093 },
  { "adaway.domains.txt",        GN_BLOCKLIST_FORMAT_DOMAINS,  DOMAINS_COUNT,  TRUE, 1107, 14, 1093 },
  { "hagezi-light.adblock.txt",  GN_BLOCKLIST_FORMAT_ADBLOCK,  ADBLOCK_COUNT,  TRUE, 1544, 10, 1534 },
  { "ublock.wildcard.txt",       GN_BLOCKLIST_FORMAT_WILDCARD, WILDCARD_COUNT, TRUE, 1362, 21, 1341 },
  /* the full lists, when $GN_FULL_BLOCKLISTS names them */
  { "someonewhocares.hosts.txt", GN_BLOCKLIST_FORMAT_HOSTS,    HOSTS_COUNT,    FALSE },
  { "adaway.hosts.txt",          GN_BLOCKLIST_FORMAT_HOSTS,    HOSTS_COUNT,    FALSE },
  { "adaway.domains.txt",        GN_BLOCKLIST_FORMAT_DOMAINS,  DOMAINS_COUNT,  FALSE },
  { "hagezi-light.adblock.txt",  GN_BLOCKLIST_FORMAT_ADBLOCK,  ADBLOCK_COUNT,  FALSE },
  { "ublock.adblock.txt",        GN_BLOCKLIST_FORMAT_ADBLOCK,  ADBLOCK_COUNT,  FALSE },
  { "ublock.wildcard.txt",       GN_BLOCKLIST_FORMAT_WILDCARD, WILDCARD_COUNT, FALSE },
};

static void
test_real_list (gconstpointer data)
{
  const FormatCase *c = data;
  g_autofree char *path = c->sample ? sample_path (c->file) : full_path (c->file);
  g_autoptr(GnBlocklistBuilder) builder = gn_blocklist_builder_new ();
  g_autoptr(GnBlocklist) list = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *first = NULL;
  GnBlocklistReport report;
  guint64 expected, lines;
  GnMatch match;

  if (path == NULL)
    return;  /* skipped: the full lists are not here */

  g_assert_true (g_file_test (path, G_FILE_TEST_EXISTS));

  g_assert_true (gn_blocklist_builder_add_file (builder, c->file, path, GN_BLOCKLIST_FORMAT_AUTO,
                                                &report, NULL, &error));
  g_assert_no_error (error);
  g_assert_cmpint (report.format, ==, c->format);
  if (c->sample)
    {
      g_assert_cmpuint (report.lines, ==, c->lines);
      g_assert_cmpuint (report.comments, ==, c->comments);
      g_assert_cmpuint (report.accepted, ==, c->accepted);
      g_assert_cmpuint (report.allow_rules, ==, 0);
      g_assert_cmpuint (report.duplicates, ==, 0);
      for (guint i = 0; i < GN_SKIP_N_REASONS; i++)
        g_assert_cmpuint (report.skipped[i], ==, 0);
    }

  /* The independent count needs a POSIX shell (not there on Windows, where
   * the samples' exact figures above still check the parser). */
  if (!have_shell ())
    {
      g_test_message ("%s: no /bin/sh, independent count skipped", c->file);
      return;
    }
  expected = count_with_shell (c->count_pipeline, path);
  lines = count_with_shell ("wc -l < \"$F\"", path);
  g_test_message ("%s: %" G_GUINT64_FORMAT " rules expected", c->file, expected);
  g_assert_cmpuint (expected, >, 1000);
  g_assert_cmpuint (report.accepted, ==, expected);
  g_assert_cmpuint (report.lines, ==, lines);
  /* every line is accounted for exactly once */
  g_assert_cmpuint (report.comments + report.accepted + report.duplicates +
                    gn_blocklist_report_get_skipped (&report), ==, lines);

  list = gn_blocklist_builder_end (g_steal_pointer (&builder));
  g_assert_cmpuint (gn_blocklist_get_n_rules (list), ==, expected);

  /* the first rule of the file blocks itself and a subdomain, and says so */
  {
    g_autoptr(GError) err = NULL;
    g_autofree char *quoted = g_shell_quote (path);
    g_autofree char *cmd = NULL;
    g_autofree char *out = NULL;
    const char *argv[] = { "/bin/sh", "-c", NULL, NULL };

    cmd = g_strdup_printf ("grep -v -E '^[#!\\[]' %s | grep -v '^$' | head -1", quoted);
    argv[2] = cmd;
    g_spawn_sync (NULL, (char **) argv, NULL, G_SPAWN_DEFAULT, NULL, NULL, &out, NULL, NULL, &err);
    g_assert_no_error (err);
    first = g_strdup (g_strstrip (out));
  }
  {
    /* strip the format's decoration to get the bare name */
    const char *name = first;
    g_autofree char *bare = NULL;
    g_autofree char *sub = NULL;

    if (g_str_has_prefix (name, "0.0.0.0 ") || g_str_has_prefix (name, "127.0.0.1 "))
      name = strchr (name, ' ') + 1;
    if (g_str_has_prefix (name, "||"))
      name += 2;
    if (g_str_has_prefix (name, "*."))
      name += 2;
    bare = g_strdup (name);
    if (g_str_has_suffix (bare, "^"))
      bare[strlen (bare) - 1] = '\0';
    sub = g_strconcat ("deep.sub.", bare, NULL);

    g_assert_cmpint (gn_blocklist_lookup (list, bare, &match), ==, GN_MATCH_BLOCK);
    g_assert_cmpstr (match.rule, ==, bare);
    g_assert_cmpstr (match.list_name, ==, c->file);
    g_assert_cmpint (gn_blocklist_lookup (list, sub, &match), ==, GN_MATCH_BLOCK);
    g_assert_cmpstr (match.rule, ==, bare);
  }
}

/* Every name of a real list blocks itself; "x" + name (a look-alike) only
 * when it is itself listed or a subdomain of a listed name. Checked against
 * a GHashTable built by a separate loop. */
static void
test_real_list_every_name (gconstpointer data)
{
  gboolean sample = GPOINTER_TO_INT (data);
  g_autofree char *path = sample ? sample_path ("adaway.domains.txt") : full_path ("adaway.domains.txt");
  g_autoptr(GnBlocklist) list = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GHashTable) names = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  g_autofree char *contents = NULL;
  g_auto(GStrv) lines = NULL;
  const char *paths[] = { path, NULL };
  GHashTableIter iter;
  gpointer key;

  if (path == NULL)
    return;  /* skipped: the full lists are not here */

  list = gn_blocklist_new_from_files (paths, &error);
  g_assert_no_error (error);
  g_assert_true (g_file_get_contents (path, &contents, NULL, NULL));
  lines = g_strsplit (contents, "\n", -1);
  for (guint i = 0; lines[i] != NULL; i++)
    if (lines[i][0] != '#' && lines[i][0] != '\0')
      g_hash_table_add (names, g_ascii_strdown (lines[i], -1));
  g_assert_cmpuint (g_hash_table_size (names), ==, gn_blocklist_get_n_rules (list));

  g_hash_table_iter_init (&iter, names);
  while (g_hash_table_iter_next (&iter, &key, NULL))
    {
      g_autofree char *lookalike = g_strconcat ("x", key, NULL);
      gboolean listed = FALSE;

      g_assert_cmpint (gn_blocklist_lookup (list, key, NULL), ==, GN_MATCH_BLOCK);
      /* the look-alike is blocked only if it, or one of its parents, is listed */
      for (const char *p = lookalike; p != NULL; p = strchr (p, '.') ? strchr (p, '.') + 1 : NULL)
        if (g_hash_table_contains (names, p))
          listed = TRUE;
      g_assert_cmpint (gn_blocklist_lookup (list, lookalike, NULL), ==,
                       listed ? GN_MATCH_BLOCK : GN_MATCH_NONE);
    }
}

static GnBlocklist *
build (const char        *text,
       GnBlocklistFormat  format,
       GnBlocklistReport *report)
{
  g_autoptr(GnBlocklistBuilder) builder = gn_blocklist_builder_new ();
  g_autoptr(GError) error = NULL;

  g_assert_true (gn_blocklist_builder_add_data (builder, "Test list", text, strlen (text),
                                                format, report, &error));
  g_assert_no_error (error);
  return gn_blocklist_builder_end (g_steal_pointer (&builder));
}

static void
test_hosts_details (void)
{
  GnBlocklistReport r;
  g_autoptr(GnBlocklist) list = build (
    "# comment\n"
    "127.0.0.1 localhost\n"
    "::1 localhost ip6-localhost ip6-loopback\n"
    "255.255.255.255 broadcasthost\n"
    "0.0.0.0 0.0.0.0\n"
    "0.0.0.0 ads.example a.tracker.test b.tracker.test # trailing comment\n"
    "127.0.0.1\tTABBED.Example.\r\n"
    ":: ipv6-sink.test\n"
    "0.0.0.0 ads.example\n"
    "0.0.0.0 com\n"
    "0.0.0.0 bad_name!.test\n"
    "not-an-ip example.org\n",
    GN_BLOCKLIST_FORMAT_AUTO, &r);

  g_assert_cmpint (r.format, ==, GN_BLOCKLIST_FORMAT_HOSTS);
  g_assert_cmpuint (r.lines, ==, 12);
  g_assert_cmpuint (r.accepted, ==, 5);
  g_assert_cmpuint (r.duplicates, ==, 1);
  g_assert_cmpuint (r.skipped[GN_SKIP_LOCAL_NAME], ==, 6);
  g_assert_cmpuint (r.skipped[GN_SKIP_NOT_A_DOMAIN], ==, 1);
  g_assert_cmpuint (r.skipped[GN_SKIP_INVALID_NAME], ==, 1);
  g_assert_cmpuint (r.skipped[GN_SKIP_MALFORMED], ==, 1);
  g_assert_cmpint (gn_blocklist_lookup (list, "x.tabbed.example", NULL), ==, GN_MATCH_BLOCK);
  g_assert_cmpint (gn_blocklist_lookup (list, "ipv6-sink.test", NULL), ==, GN_MATCH_BLOCK);
  g_assert_cmpint (gn_blocklist_lookup (list, "localhost", NULL), ==, GN_MATCH_NONE);
}

static void
test_adblock_details (void)
{
  GnBlocklistReport r;
  g_autoptr(GnBlocklist) list = build (
    "[Adblock Plus 2.0]\n"
    "! Title: test\n"
    "||ads.example^\n"
    "||ADS.example^\n"
    "||tracker.test^|\n"
    "@@||ok.ads.example^\n"
    "||opts.example^$third-party\n"
    "||path.example/banner.js\n"
    "/ads/banner*\n"
    "||wild*.example^\n"
    "||wild.example^*\n"
    "example.com##.ad\n"
    "##.banner\n"
    "||1.2.3.4^\n",
    GN_BLOCKLIST_FORMAT_AUTO, &r);
  g_autofree char *text = gn_blocklist_report_to_string (&r);

  g_assert_cmpint (r.format, ==, GN_BLOCKLIST_FORMAT_ADBLOCK);
  g_assert_cmpuint (r.comments, ==, 2);
  g_assert_cmpuint (r.accepted, ==, 4);
  g_assert_cmpuint (r.allow_rules, ==, 1);
  g_assert_cmpuint (r.duplicates, ==, 1);
  g_assert_cmpuint (r.skipped[GN_SKIP_OPTIONS], ==, 1);
  g_assert_cmpuint (r.skipped[GN_SKIP_PATH], ==, 2);
  g_assert_cmpuint (r.skipped[GN_SKIP_WILDCARD], ==, 2);
  g_assert_cmpuint (r.skipped[GN_SKIP_COSMETIC], ==, 2);
  g_assert_nonnull (strstr (text, "2 element hiding"));

  g_assert_cmpint (gn_blocklist_lookup (list, "x.ads.example", NULL), ==, GN_MATCH_BLOCK);
  g_assert_cmpint (gn_blocklist_lookup (list, "ok.ads.example", NULL), ==, GN_MATCH_ALLOW);
  g_assert_cmpint (gn_blocklist_lookup (list, "a.ok.ads.example", NULL), ==, GN_MATCH_ALLOW);
  g_assert_cmpint (gn_blocklist_lookup (list, "opts.example", NULL), ==, GN_MATCH_NONE);
  g_assert_cmpint (gn_blocklist_lookup (list, "1.2.3.4", NULL), ==, GN_MATCH_BLOCK);
}

static void
test_wildcard_and_domains (void)
{
  GnBlocklistReport r;
  g_autoptr(GnBlocklist) wild = build ("# c\n*.w.example\nplain.example\n*.x*.example\n",
                                       GN_BLOCKLIST_FORMAT_AUTO, &r);

  g_assert_cmpint (r.format, ==, GN_BLOCKLIST_FORMAT_WILDCARD);
  g_assert_cmpuint (r.accepted, ==, 2);
  g_assert_cmpuint (r.skipped[GN_SKIP_WILDCARD], ==, 1);
  /* "*.w.example" blocks w.example itself too: one meaning for every format */
  g_assert_cmpint (gn_blocklist_lookup (wild, "w.example", NULL), ==, GN_MATCH_BLOCK);
  g_assert_cmpint (gn_blocklist_lookup (wild, "a.w.example", NULL), ==, GN_MATCH_BLOCK);

  {
    g_autoptr(GnBlocklist) plain = build ("a.example # why\n\n  b.example  \nc.example x\n",
                                          GN_BLOCKLIST_FORMAT_AUTO, &r);

    g_assert_cmpint (r.format, ==, GN_BLOCKLIST_FORMAT_DOMAINS);
    g_assert_cmpuint (r.accepted, ==, 2);
    g_assert_cmpuint (r.skipped[GN_SKIP_MALFORMED], ==, 1);
  }
}

static void
test_format_override (void)
{
  g_autoptr(GnBlocklistBuilder) builder = gn_blocklist_builder_new ();
  g_autoptr(GError) error = NULL;
  const char *hosts = "0.0.0.0 a.example\n0.0.0.0 b.example\n";
  GnBlocklistReport r;

  /* read as domains, a hosts file is nothing but malformed lines */
  g_assert_false (gn_blocklist_builder_add_data (builder, "Hosts", hosts, strlen (hosts),
                                                 GN_BLOCKLIST_FORMAT_DOMAINS, &r, &error));
  g_assert_error (error, GN_ERROR, GN_ERROR_INVALID_DATA);
  g_assert_cmpuint (r.skipped[GN_SKIP_MALFORMED], ==, 2);
  g_clear_error (&error);

  /* and an explicit hosts format reads a file detection would call domains */
  g_assert_true (gn_blocklist_builder_add_data (builder, "Hosts", hosts, strlen (hosts),
                                                GN_BLOCKLIST_FORMAT_HOSTS, &r, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (r.accepted, ==, 2);
}

static void
test_bad_input (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GRand) rand = g_rand_new_with_seed (7);
  g_autofree char *path = NULL;
  const char *paths[2] = { NULL, NULL };
  char garbage[65536];
  GnBlocklistReport r;
  int fd;

  for (gsize i = 0; i < sizeof garbage; i++)
    garbage[i] = (char) g_rand_int_range (rand, 0, 256);

  fd = g_file_open_tmp ("gn-bin-XXXXXX", &path, &error);
  g_assert_no_error (error);
  g_assert_cmpint (write (fd, garbage, sizeof garbage), ==, sizeof garbage);
  close (fd);
  paths[0] = path;
  g_assert_null (gn_blocklist_new_from_files (paths, &error));
  g_assert_error (error, GN_ERROR, GN_ERROR_INVALID_DATA);
  g_assert_nonnull (strstr (error->message, "not a text blocklist"));
  g_clear_error (&error);
  g_unlink (path);

  /* an HTML error page served instead of a list */
  {
    g_autoptr(GnBlocklistBuilder) b = gn_blocklist_builder_new ();
    const char *html = "<html>\n<head><title>502 Bad Gateway</title></head>\n<body>\n"
                       "<center><h1>502 Bad Gateway</h1></center>\n</body>\n</html>\n";

    g_assert_false (gn_blocklist_builder_add_data (b, "Page", html, strlen (html),
                                                   GN_BLOCKLIST_FORMAT_AUTO, &r, &error));
    g_assert_error (error, GN_ERROR, GN_ERROR_INVALID_DATA);
    g_clear_error (&error);
  }

  /* a missing file is an I/O error, not a crash */
  paths[0] = "/nonexistent/list.txt";
  g_assert_null (gn_blocklist_new_from_files (paths, &error));
  g_assert_error (error, GN_ERROR, GN_ERROR_IO);
  g_clear_error (&error);

  /* a 10 KB line is skipped, the lines around it still count */
  {
    g_autoptr(GnBlocklistBuilder) b = gn_blocklist_builder_new ();
    g_autoptr(GString) text = g_string_new ("a.example\n");

    for (int i = 0; i < 10000; i++)
      g_string_append_c (text, 'x');
    g_string_append (text, "\nb.example\n");
    g_assert_true (gn_blocklist_builder_add_data (b, "Long", text->str, text->len,
                                                  GN_BLOCKLIST_FORMAT_DOMAINS, &r, &error));
    g_assert_no_error (error);
    g_assert_cmpuint (r.accepted, ==, 2);
    g_assert_cmpuint (r.skipped[GN_SKIP_TOO_LONG], ==, 1);
    g_assert_cmpuint (r.lines, ==, 3);
  }
}

typedef struct
{
  const char  *host;
  GnMatchKind  kind;
  const char  *rule;
  const char  *list;
} MatchCase;

static void
test_matching_table (void)
{
  g_autoptr(GnBlocklistBuilder) builder = gn_blocklist_builder_new ();
  g_autoptr(GnBlocklist) list = NULL;
  g_autoptr(GError) error = NULL;
  const char *threats = "0.0.0.0 bad.example\n0.0.0.0 ads.tracker.test\n0.0.0.0 xn--bcher-kva.example\n"
                        "0.0.0.0 shop.example\n0.0.0.0 203.0.113.7\n0.0.0.0 2001:db8::1\n";
  const char *ads = "||cdn.shop.example^\n||deep.bad.example^\n@@||safe.bad.example^\n";
  guint user_allow, user_block;
  const MatchCase cases[] = {
    { "bad.example",            GN_MATCH_BLOCK, "bad.example", "Threats" },      /* exact */
    { "a.b.bad.example",        GN_MATCH_BLOCK, "bad.example", "Threats" },      /* subdomain */
    { "tracker.test",           GN_MATCH_NONE,  NULL, NULL },                    /* parent of a rule */
    { "notbad.example",         GN_MATCH_NONE,  NULL, NULL },                    /* look-alike suffix */
    { "bad.example.evil",       GN_MATCH_NONE,  NULL, NULL },                    /* rule as a prefix */
    { "example",                GN_MATCH_NONE,  NULL, NULL },
    { "BAD.Example",            GN_MATCH_BLOCK, "bad.example", "Threats" },      /* case */
    { "bad.example.",           GN_MATCH_BLOCK, "bad.example", "Threats" },      /* trailing dot */
    { "bücher.example",         GN_MATCH_BLOCK, "xn--bcher-kva.example", "Threats" }, /* IDN */
    { "www.BÜCHER.example",     GN_MATCH_BLOCK, "xn--bcher-kva.example", "Threats" },
    { "safe.bad.example",       GN_MATCH_ALLOW, "safe.bad.example", "Ads" },     /* allow beats block */
    { "x.safe.bad.example",     GN_MATCH_ALLOW, "safe.bad.example", "Ads" },
    { "x.deep.bad.example",     GN_MATCH_BLOCK, "deep.bad.example", "Ads" },     /* most specific rule */
    { "203.0.113.7",            GN_MATCH_BLOCK, "203.0.113.7", "Threats" },      /* IPv4 literal */
    { "1.203.0.113.7",          GN_MATCH_NONE,  NULL, NULL },                    /* not an IP, no parent walk */
    { "0.113.7",                GN_MATCH_NONE,  NULL, NULL },
    { "[2001:DB8::1]",          GN_MATCH_BLOCK, "2001:db8::1", "Threats" },          /* IPv6 literal */
    { "2001:db8:0::1",          GN_MATCH_BLOCK, "2001:db8::1", "Threats" },
    { "user-blocked.test",      GN_MATCH_BLOCK, "user-blocked.test", "Your blocklist" },
    { "ads.user-blocked.test",  GN_MATCH_BLOCK, "user-blocked.test", "Your blocklist" },
    { "ads.tracker.test",       GN_MATCH_ALLOW, "ads.tracker.test", "Your allowlist" }, /* user allow */
    { "shop.example",           GN_MATCH_ALLOW, "shop.example", "Your allowlist" },
    { "cdn.shop.example.",      GN_MATCH_ALLOW, "shop.example", "Your allowlist" }, /* allow at a parent */
    { "",                       GN_MATCH_NONE,  NULL, NULL },
    { "a..b.example",           GN_MATCH_NONE,  NULL, NULL },
    { "in valid.example",       GN_MATCH_NONE,  NULL, NULL },
  };

  /* the user's lists go first so they are reported when a list repeats them */
  user_allow = gn_blocklist_builder_add_list (builder, "Your allowlist");
  user_block = gn_blocklist_builder_add_list (builder, "Your blocklist");
  gn_blocklist_builder_add_rule (builder, user_allow, GN_MATCH_ALLOW, "ads.tracker.test", 16);
  gn_blocklist_builder_add_rule (builder, user_allow, GN_MATCH_ALLOW, "shop.example", 12);
  gn_blocklist_builder_add_rule (builder, user_block, GN_MATCH_BLOCK, "user-blocked.test", 17);
  g_assert_true (gn_blocklist_builder_add_data (builder, "Threats", threats, strlen (threats),
                                                GN_BLOCKLIST_FORMAT_AUTO, NULL, &error));
  g_assert_true (gn_blocklist_builder_add_data (builder, "Ads", ads, strlen (ads),
                                                GN_BLOCKLIST_FORMAT_AUTO, NULL, &error));
  g_assert_no_error (error);
  list = gn_blocklist_builder_end (g_steal_pointer (&builder));
  g_assert_cmpuint (gn_blocklist_get_n_lists (list), ==, 4);

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      GnMatch match;
      GnMatchKind kind = gn_blocklist_lookup (list, cases[i].host, &match);

      g_test_message ("%s -> %d %s %s", cases[i].host, kind, match.rule, match.list_name);
      g_assert_cmpint (kind, ==, cases[i].kind);
      g_assert_cmpint (match.kind, ==, cases[i].kind);
      g_assert_cmpstr (match.rule, ==, cases[i].rule);
      g_assert_cmpstr (match.list_name, ==, cases[i].list);
    }

  /* an empty list matches nothing */
  {
    g_autoptr(GnBlocklist) empty = gn_blocklist_new_empty ();
    GnMatch match;

    g_assert_cmpint (gn_blocklist_lookup (empty, "bad.example", &match), ==, GN_MATCH_NONE);
    g_assert_null (match.list_name);
  }
}

static void
test_normalize (void)
{
  char out[GN_DOMAIN_MAX + 1];
  g_autofree char *long_label = g_strnfill (64, 'a');
  g_autofree char *long_name = NULL;
  gsize len;

  g_assert_cmpint (gn_domain_normalize ("Ex.COM.", 7, out, &len), ==, GN_NAME_DOMAIN);
  g_assert_cmpstr (out, ==, "ex.com");
  g_assert_cmpint (gn_domain_normalize ("localhost", 9, out, &len), ==, GN_NAME_SINGLE_LABEL);
  g_assert_cmpint (gn_domain_normalize ("[::1]", 5, out, &len), ==, GN_NAME_IP);
  g_assert_cmpstr (out, ==, "::1");
  g_assert_cmpint (gn_domain_normalize ("999.1.1.1", 9, out, &len), ==, GN_NAME_INVALID);
  g_assert_cmpint (gn_domain_normalize (long_label, 64, out, &len), ==, GN_NAME_INVALID);
  long_name = g_strjoinv (".", (char *[]) { "a", "b", NULL });
  g_assert_cmpint (gn_domain_normalize (long_name, strlen (long_name), out, &len), ==, GN_NAME_DOMAIN);
  g_assert_cmpint (gn_domain_normalize ("\xff\xfe.example", 10, out, &len), ==, GN_NAME_INVALID);
}

/* The generated enum GTypes: one per public enum, the format's nicks are
 * the names the settings file stores, and the source's property uses it. */
static void
test_enum_types (void)
{
  const GType types[] = { GN_TYPE_BLOCKLIST_FORMAT, GN_TYPE_SKIP_REASON, GN_TYPE_MATCH_KIND,
                          GN_TYPE_CONNECTION_KIND, GN_TYPE_CONNECTION_STATE };
  g_autoptr(GEnumClass) formats = g_type_class_ref (GN_TYPE_BLOCKLIST_FORMAT);
  g_autoptr(GEnumClass) reasons = g_type_class_ref (GN_TYPE_SKIP_REASON);
  g_autoptr(GTypeClass) source_class = g_type_class_ref (GN_TYPE_BLOCKLIST_SOURCE);
  GParamSpec *pspec;

  for (guint i = 0; i < G_N_ELEMENTS (types); i++)
    g_assert_true (G_TYPE_IS_ENUM (types[i]));

  g_assert_cmpuint (formats->n_values, ==, GN_BLOCKLIST_FORMAT_WILDCARD + 1);
  for (guint i = 0; i < formats->n_values; i++)
    g_assert_cmpstr (formats->values[i].value_nick, ==,
                     gn_blocklist_format_to_string (formats->values[i].value));
  /* the counter is not a reason */
  g_assert_cmpuint (reasons->n_values, ==, GN_SKIP_N_REASONS);

  pspec = g_object_class_find_property (G_OBJECT_CLASS (source_class), "format");
  g_assert_true (G_IS_PARAM_SPEC_ENUM (pspec));
  g_assert_true (pspec->value_type == GN_TYPE_BLOCKLIST_FORMAT);
}

typedef struct
{
  const char *in;
  const char *canonical;  /* NULL: not an address */
} AddressCase;

/* Every spelling of an address a client or a list may choose, and the one
 * form all of them become (see gn_domain_canonical_address()). */
static const AddressCase address_cases[] = {
  { "127.0.0.1",                               "127.0.0.1" },
  { "127.0.0.1.",                              "127.0.0.1" },
  { "[127.0.0.1]",                             "127.0.0.1" },
  /* inet_aton() spellings, as curl, browsers and getaddrinfo() read them */
  { "2130706433",                              "127.0.0.1" },
  { "0x7f000001",                              "127.0.0.1" },
  { "0X7F000001",                              "127.0.0.1" },
  { "0177.0.0.1",                              "127.0.0.1" },
  { "0177.0.0.01",                             "127.0.0.1" },
  { "0x7f.0.0.1",                              "127.0.0.1" },
  { "127.1",                                   "127.0.0.1" },
  { "127.0.1",                                 "127.0.0.1" },
  { "127.0.0x0.1",                             "127.0.0.1" },
  { "0x7f.1",                                  "127.0.0.1" },
  { "127.65536",                               "127.1.0.0" },
  { "0",                                       "0.0.0.0" },
  { "0x",                                      "0.0.0.0" },
  { "4294967295",                              "255.255.255.255" },
  /* not IPv4 in any spelling */
  { "4294967296",                              NULL },
  { "256.0.0.1",                               NULL },
  { "127.0.0.256",                             NULL },
  { "127.16777216",                            NULL },
  { "08.0.0.1",                                NULL },
  { "0x7g.0.0.1",                              NULL },
  { "1.2.3.4.5",                               NULL },
  { "127..1",                                  NULL },
  { "127.0.0.1..",                             NULL },
  { ".127.0.0.1",                              NULL },
  { "example.com",                             NULL },
  { "",                                        NULL },
  /* IPv4-mapped, in every IPv6 spelling */
  { "::ffff:127.0.0.1",                        "127.0.0.1" },
  { "[::ffff:127.0.0.1]",                      "127.0.0.1" },
  { "::ffff:7f00:1",                           "127.0.0.1" },
  { "::FFFF:7F00:0001",                        "127.0.0.1" },
  { "0:0:0:0:0:ffff:7f00:1",                   "127.0.0.1" },
  { "0000:0000:0000:0000:0000:ffff:7f00:0001", "127.0.0.1" },
  { "0000:0000:0000:0000:0000:FFFF:127.0.0.1", "127.0.0.1" },
  { "[::ffff:7f00:1%eth0]",                    "127.0.0.1" },
  /* IPv4-compatible (deprecated; Linux's sit0 still tunnels it to IPv4) */
  { "::127.0.0.1",                             "127.0.0.1" },
  { "::7f00:1",                                "127.0.0.1" },
  /* NAT64's well-known prefix reaches the IPv4 host through the gateway */
  { "64:ff9b::127.0.0.1",                      "127.0.0.1" },
  { "64:FF9B::CB00:7107",                      "203.0.113.7" },
  { "64:ff9b:0:0:0:0:cb00:7107",               "203.0.113.7" },
  /* IPv6's own addresses stay IPv6, in RFC 5952 form */
  { "::1",                                     "::1" },
  { "0:0:0:0:0:0:0:1",                         "::1" },
  { "[::1]",                                   "::1" },
  { "::",                                      "::" },
  { "2001:DB8:0:0:0:0:0:1",                    "2001:db8::1" },
  { "2001:0db8:0000:0000:0000:0000:0000:0001", "2001:db8::1" },
  { "fe80::1%eth0",                            "fe80::1" },
  { "[FE80::1%25eth0]",                        "fe80::1" },
  { "64:ff9b:1::cb00:7107",                    "64:ff9b:1::cb00:7107" },  /* local-use NAT64 */
  { "2002:7f00:1::",                           "2002:7f00:1::" },          /* 6to4 */
  { "::ffff:0:7f00:1",                         "::ffff:0:7f00:1" },        /* SIIT */
  /* not IPv6 */
  { "::ffff:127.0.0.01",                       NULL },
  { "1::2::3",                                 NULL },
  { "00000::1",                                NULL },
  { "[::1",                                    NULL },
};

static void
test_canonical_address (void)
{
  for (guint i = 0; i < G_N_ELEMENTS (address_cases); i++)
    {
      const AddressCase *c = &address_cases[i];
      char out[GN_ADDRESS_MAX];
      gsize len = gn_domain_canonical_address (c->in, -1, out);

      g_test_message ("%s -> %s", c->in, len > 0 ? out : "(not an address)");
      if (c->canonical == NULL)
        {
          g_assert_cmpuint (len, ==, 0);
          continue;
        }
      g_assert_cmpuint (len, ==, strlen (c->canonical));
      g_assert_cmpstr (out, ==, c->canonical);

      /* the canonical form is a fixed point */
      g_assert_cmpuint (gn_domain_canonical_address (out, len, out), ==, len);
      g_assert_cmpstr (out, ==, c->canonical);
    }
}

/* The same rule for socket addresses (the self-loop check compares a
 * connected peer with our own address). */
static void
test_canonical_inet_address (void)
{
  const struct { const char *in; const char *out; } cases[] = {
    { "::ffff:127.0.0.1", "127.0.0.1" },
    { "::7f00:1",         "127.0.0.1" },
    { "64:ff9b::7f00:1",  "127.0.0.1" },
    { "::1",              "::1" },
    { "::",               "::" },
    { "2001:db8::1",      "2001:db8::1" },
    { "127.0.0.1",        "127.0.0.1" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr(GInetAddress) in = g_inet_address_new_from_string (cases[i].in);
      g_autoptr(GInetAddress) out = gn_domain_canonical_inet_address (in);
      g_autofree char *text = g_inet_address_to_string (out);

      g_assert_cmpstr (text, ==, cases[i].out);
      g_assert_cmpint (g_inet_address_get_family (out), ==,
                       strchr (cases[i].out, ':') ? G_SOCKET_FAMILY_IPV6 : G_SOCKET_FAMILY_IPV4);
    }
}

/* gn_domain_normalize(), which parsers and lookups use, agrees with it for
 * everything a name can be spelt with. */
static void
test_normalize_addresses (void)
{
  const struct { const char *in; GnNameKind kind; const char *out; } cases[] = {
    { "2130706433",          GN_NAME_IP,      "127.0.0.1" },
    { "0x7F000001",          GN_NAME_IP,      "127.0.0.1" },
    { "0177.0.0.1",          GN_NAME_IP,      "127.0.0.1" },
    { "127.1",               GN_NAME_IP,      "127.0.0.1" },
    { "127.0.1.",            GN_NAME_IP,      "127.0.0.1" },
    { "[::ffff:7f00:1]",     GN_NAME_IP,      "127.0.0.1" },
    { "::FFFF:127.0.0.1",    GN_NAME_IP,      "127.0.0.1" },
    { "64:ff9b::7f00:1",     GN_NAME_IP,      "127.0.0.1" },
    { "fe80::1%eth0",        GN_NAME_IP,      "fe80::1" },
    { "1.2.3.4.5",           GN_NAME_INVALID, NULL },   /* ends in a number, not IPv4 */
    { "example.0x10",        GN_NAME_INVALID, NULL },
    { "example.123",         GN_NAME_INVALID, NULL },
    { "0x10.example",        GN_NAME_DOMAIN,  "0x10.example" },
    { "123.example",         GN_NAME_DOMAIN,  "123.example" },
    { "example.0xzz",        GN_NAME_DOMAIN,  "example.0xzz" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      char out[GN_DOMAIN_MAX + 1];
      gsize len;

      g_test_message ("%s", cases[i].in);
      g_assert_cmpint (gn_domain_normalize (cases[i].in, strlen (cases[i].in), out, &len),
                       ==, cases[i].kind);
      if (cases[i].out != NULL)
        {
          g_assert_cmpstr (out, ==, cases[i].out);
          g_assert_cmpuint (len, ==, strlen (cases[i].out));
        }
    }
}

static void
assert_blocked_by (GnBlocklist *list,
                   const char  *host,
                   const char  *rule)
{
  GnMatch match;

  g_test_message ("%s", host);
  g_assert_cmpint (gn_blocklist_lookup (list, host, &match), ==, GN_MATCH_BLOCK);
  g_assert_cmpstr (match.rule, ==, rule);
}

/* A rule for an address blocks it in every spelling, whatever spelling the
 * rule was written in, in every list format and in the user's own list
 * (which the manager hands to the builder as saved, maybe before addresses
 * had one spelling). */
static void
test_address_rules (void)
{
  const char *spellings[] = {
    "127.0.0.1", "[::ffff:127.0.0.1]", "::ffff:7f00:1", "[0:0:0:0:0:ffff:7f00:1]",
    "::FFFF:7F00:0001", "0000:0000:0000:0000:0000:ffff:7f00:0001", "::127.0.0.1",
    "64:ff9b::7f00:1", "2130706433", "0x7f000001", "0177.0.0.1", "127.1", "127.0.1",
    "127.0.0.1.", "[::ffff:7f00:1%eth0]",
  };
  /* hosts files name loopback as a sink, not a rule: skipped in every
   * spelling, as "127.0.0.1" itself always was */
  const struct { const char *data; GnBlocklistFormat format; guint n_rules; } lists[] = {
    { "||127.0.0.1^\n", GN_BLOCKLIST_FORMAT_ADBLOCK, 1 },
    { "||0x7f000001^\n", GN_BLOCKLIST_FORMAT_ADBLOCK, 1 },
    { "::ffff:7f00:1\n", GN_BLOCKLIST_FORMAT_DOMAINS, 1 },
    { "127.1\n", GN_BLOCKLIST_FORMAT_DOMAINS, 1 },
    { "0.0.0.0 2130706433\n", GN_BLOCKLIST_FORMAT_HOSTS, 0 },
    { "0.0.0.0 ::ffff:7f00:1\n", GN_BLOCKLIST_FORMAT_HOSTS, 0 },
  };

  for (guint l = 0; l < G_N_ELEMENTS (lists) + G_N_ELEMENTS (spellings); l++)
    {
      g_autoptr(GnBlocklistBuilder) builder = gn_blocklist_builder_new ();
      g_autoptr(GnBlocklist) list = NULL;
      g_autoptr(GError) error = NULL;
      guint n_rules = 1;
      guint index;

      if (l < G_N_ELEMENTS (lists))
        {
          g_test_message ("list %s", lists[l].data);
          g_assert_true (gn_blocklist_builder_add_data (builder, "Addresses", lists[l].data,
                                                        strlen (lists[l].data), lists[l].format,
                                                        NULL, &error));
          g_assert_no_error (error);
          n_rules = lists[l].n_rules;
        }
      else
        {
          /* a rule saved as written, handed over without normalising */
          const char *rule = spellings[l - G_N_ELEMENTS (lists)];

          g_test_message ("user rule %s", rule);
          if (rule[0] == '[')
            continue;  /* the manager never saves brackets */
          index = gn_blocklist_builder_add_list (builder, "Your blocklist");
          gn_blocklist_builder_add_rule (builder, index, GN_MATCH_BLOCK, rule, strlen (rule));
        }
      list = gn_blocklist_builder_end (g_steal_pointer (&builder));
      g_assert_cmpuint (gn_blocklist_get_n_rules (list), ==, n_rules);
      if (n_rules == 0)
        continue;
      for (guint s = 0; s < G_N_ELEMENTS (spellings); s++)
        assert_blocked_by (list, spellings[s], "127.0.0.1");
      g_assert_cmpint (gn_blocklist_lookup (list, "127.0.0.2", NULL), ==, GN_MATCH_NONE);
      g_assert_cmpint (gn_blocklist_lookup (list, "::1", NULL), ==, GN_MATCH_NONE);
    }
}

/* Hosts lists block public addresses in any spelling, too. */
static void
test_address_rules_hosts (void)
{
  const char *data = "0.0.0.0 ::ffff:cb00:7107\n0.0.0.0 0xC6336401\n0.0.0.0 2001:0DB8::0:1\n";
  g_autoptr(GnBlocklistBuilder) builder = gn_blocklist_builder_new ();
  g_autoptr(GnBlocklist) list = NULL;
  g_autoptr(GError) error = NULL;

  g_assert_true (gn_blocklist_builder_add_data (builder, "Hosts", data, strlen (data),
                                                GN_BLOCKLIST_FORMAT_HOSTS, NULL, &error));
  g_assert_no_error (error);
  list = gn_blocklist_builder_end (g_steal_pointer (&builder));
  g_assert_cmpuint (gn_blocklist_get_n_rules (list), ==, 3);
  assert_blocked_by (list, "203.0.113.7", "203.0.113.7");
  assert_blocked_by (list, "[::ffff:203.0.113.7]", "203.0.113.7");
  assert_blocked_by (list, "3405803783", "203.0.113.7");
  assert_blocked_by (list, "198.51.100.1", "198.51.100.1");
  assert_blocked_by (list, "198.51.25601", "198.51.100.1");
  assert_blocked_by (list, "[2001:db8:0:0:0:0:0:1]", "2001:db8::1");
}

/* ---- local files: size cap and encodings ---- */

/* The cap on a local file is the manager's cap on a download. */
G_STATIC_ASSERT (GN_BLOCKLIST_MAX_FILE_BYTES == GN_BLOCKLIST_DEFAULT_MAX_BYTES);

/* A temporary file holding @len bytes of @data; free with g_unlink(). */
static char *
write_temp (const char *data,
            gsize       len)
{
  g_autoptr(GError) error = NULL;
  char *path = NULL;
  int fd = g_file_open_tmp ("gn-list-XXXXXX.txt", &path, &error);

  g_assert_no_error (error);
  close (fd);
  g_file_set_contents (path, data, (gssize) len, &error);
  g_assert_no_error (error);
  return path;
}

static void
test_file_size_cap (void)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *path = NULL;
  g_autofree char *display = NULL;
  g_autofree char *size_text = g_format_size_full (70 * 1024 * 1024, G_FORMAT_SIZE_LONG_FORMAT);
  g_autofree char *cap_text = g_format_size_full (GN_BLOCKLIST_MAX_FILE_BYTES,
                                                  G_FORMAT_SIZE_IEC_UNITS);
  const char *paths[2] = { NULL, NULL };
  gint64 start;
  int fd;

  /* 70 MiB that cost no disk: all zeros, so had the file been read, the
   * error would be "binary data at byte 0". */
  fd = g_file_open_tmp ("gn-huge-XXXXXX.txt", &path, &error);
  g_assert_no_error (error);
  g_assert_cmpint (ftruncate (fd, 70 * 1024 * 1024), ==, 0);
  close (fd);
  display = g_filename_display_name (path);
  paths[0] = path;

  start = g_get_monotonic_time ();
  g_assert_null (gn_blocklist_new_from_files (paths, &error));
  g_test_message ("%s (%" G_GINT64_FORMAT " µs)", error->message,
                  g_get_monotonic_time () - start);
  g_assert_error (error, GN_ERROR, GN_ERROR_INVALID_DATA);
  g_assert_nonnull (strstr (error->message, display));
  g_assert_nonnull (strstr (error->message, size_text));
  g_assert_nonnull (strstr (error->message, cap_text));
  g_assert_null (strstr (error->message, "binary"));
  g_unlink (path);
  g_clear_error (&error);

  /* The cap itself, on small files: at the cap is fine, one byte over not. */
  {
    static const char text[] = "a.example\nb.example\n";
    g_autofree char *small = write_temp (text, strlen (text));
    g_autoptr(GnBlocklistBuilder) builder = gn_blocklist_builder_new ();
    GnBlocklistReport report;

    g_assert_true (gn_blocklist_builder_add_file_full (builder, "Small", small,
                                                       GN_BLOCKLIST_FORMAT_AUTO, strlen (text),
                                                       &report, NULL, &error));
    g_assert_no_error (error);
    g_assert_cmpuint (report.accepted, ==, 2);
    g_assert_false (gn_blocklist_builder_add_file_full (builder, "Small", small,
                                                        GN_BLOCKLIST_FORMAT_AUTO, strlen (text) - 1,
                                                        &report, NULL, &error));
    g_assert_error (error, GN_ERROR, GN_ERROR_INVALID_DATA);
    g_unlink (small);
    g_clear_error (&error);
  }
}

#ifdef G_OS_UNIX  /* a FIFO: Windows has none */
static gpointer
fifo_writer (gpointer data)
{
  const char *fifo = data;
  g_autoptr(GString) text = g_string_new (NULL);
  int fd = open (fifo, O_WRONLY);

  g_assert_cmpint (fd, >=, 0);
  for (guint i = 0; text->len < 3000; i++)
    g_string_append_printf (text, "d%u.example\n", i);
  /* One write within PIPE_BUF: in the pipe before the reader can give up. */
  g_assert_cmpint (write (fd, text->str, text->len), ==, (gssize) text->len);
  close (fd);
  return NULL;
}

/* Something that is not a regular file has no size to check first: the
 * cap cuts it off as it streams. */
static void
test_file_size_cap_stream (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GnBlocklistBuilder) builder = gn_blocklist_builder_new ();
  g_autofree char *dir = g_dir_make_tmp ("gn-fifo-XXXXXX", &error);
  g_autofree char *fifo = g_build_filename (dir, "list.txt", NULL);
  GnBlocklistReport report;
  GThread *writer;

  g_assert_no_error (error);
  g_assert_cmpint (mkfifo (fifo, 0600), ==, 0);
  writer = g_thread_new ("fifo-writer", fifo_writer, fifo);
  g_assert_false (gn_blocklist_builder_add_file_full (builder, "Fifo", fifo,
                                                      GN_BLOCKLIST_FORMAT_AUTO, 1024,
                                                      &report, NULL, &error));
  g_thread_join (writer);
  g_test_message ("%s", error->message);
  g_assert_error (error, GN_ERROR, GN_ERROR_INVALID_DATA);
  g_assert_nonnull (strstr (error->message, "list.txt"));
  g_unlink (fifo);
  g_rmdir (dir);
}
#endif

/* @text in UTF-16 (@charset), with its byte order mark when @bom. */
static GBytes *
utf16 (const char *text,
       const char *charset,
       gboolean    bom)
{
  g_autoptr(GError) error = NULL;
  gsize len = 0;
  g_autofree char *converted = g_convert (text, -1, charset, "UTF-8", NULL, &len, &error);
  GByteArray *out = g_byte_array_new ();

  g_assert_no_error (error);
  if (bom)
    {
      static const guint8 le[] = { 0xff, 0xfe }, be[] = { 0xfe, 0xff };

      g_byte_array_append (out, g_str_equal (charset, "UTF-16LE") ? le : be, 2);
    }
  g_byte_array_append (out, (const guint8 *) converted, len);
  return g_byte_array_free_to_bytes (out);
}

static void
test_file_utf16 (void)
{
  static const char *const charsets[] = { "UTF-16LE", "UTF-16BE" };
  static const char text[] = "# a list saved by a Windows tool\r\n"
                             "ads.example\r\n"
                             "tracker.example\r\n"
                             "bücher.example\r\n";
  static const char adblock[] = "[Adblock Plus 2.0]\n! Title: test\n||ads.example^\n"
                                "@@||ok.ads.example^\n";

  for (guint c = 0; c < G_N_ELEMENTS (charsets); c++)
    {
      g_autoptr(GBytes) bytes = utf16 (text, charsets[c], TRUE);
      g_autoptr(GBytes) ab = utf16 (adblock, charsets[c], TRUE);
      g_autoptr(GBytes) bare = utf16 (text, charsets[c], FALSE);
      g_autofree char *path = write_temp (g_bytes_get_data (bytes, NULL), g_bytes_get_size (bytes));
      g_autofree char *ab_path = write_temp (g_bytes_get_data (ab, NULL), g_bytes_get_size (ab));
      g_autofree char *bare_path = write_temp (g_bytes_get_data (bare, NULL), g_bytes_get_size (bare));
      const char *paths[2] = { path, NULL };
      g_autoptr(GnBlocklist) list = NULL;
      g_autoptr(GError) error = NULL;

      g_test_message ("%s", charsets[c]);

      /* A file, as --blocklist reads it. */
      list = gn_blocklist_new_from_files (paths, &error);
      g_assert_no_error (error);
      g_assert_cmpuint (gn_blocklist_get_n_rules (list), ==, 3);
      g_assert_cmpint (gn_blocklist_lookup (list, "x.ads.example", NULL), ==, GN_MATCH_BLOCK);
      g_assert_cmpint (gn_blocklist_lookup (list, "tracker.example", NULL), ==, GN_MATCH_BLOCK);
      g_assert_cmpint (gn_blocklist_lookup (list, "xn--bcher-kva.example", NULL), ==, GN_MATCH_BLOCK);
      g_clear_pointer (&list, gn_blocklist_unref);

      /* The same bytes in memory. */
      {
        g_autoptr(GnBlocklistBuilder) builder = gn_blocklist_builder_new ();
        GnBlocklistReport report;

        g_assert_true (gn_blocklist_builder_add_data (builder, "Mem", g_bytes_get_data (bytes, NULL),
                                                      g_bytes_get_size (bytes),
                                                      GN_BLOCKLIST_FORMAT_AUTO, &report, &error));
        g_assert_no_error (error);
        g_assert_cmpuint (report.accepted, ==, 3);
        g_assert_cmpint (report.format, ==, GN_BLOCKLIST_FORMAT_DOMAINS);
      }

      /* The format is detected from the decoded text. */
      {
        g_autoptr(GnBlocklistBuilder) builder = gn_blocklist_builder_new ();
        GnBlocklistReport report;

        g_assert_true (gn_blocklist_builder_add_file (builder, "Adblock", ab_path,
                                                      GN_BLOCKLIST_FORMAT_AUTO, &report, NULL,
                                                      &error));
        g_assert_no_error (error);
        g_assert_cmpint (report.format, ==, GN_BLOCKLIST_FORMAT_ADBLOCK);
        g_assert_cmpuint (report.accepted, ==, 2);
        g_assert_cmpuint (report.allow_rules, ==, 1);
      }

      /* Without a byte order mark: refused, but not as "binary data". */
      paths[0] = bare_path;
      g_assert_null (gn_blocklist_new_from_files (paths, &error));
      g_test_message ("%s", error->message);
      g_assert_error (error, GN_ERROR, GN_ERROR_INVALID_DATA);
      g_assert_nonnull (strstr (error->message, "looks like UTF-16"));
      g_clear_error (&error);

      g_unlink (path);
      g_unlink (ab_path);
      g_unlink (bare_path);
    }
}

/* A UTF-16 list bigger than one read chunk (1 MiB): a character split
 * between two reads is decoded whole. Then a file cut in the middle of a
 * character is refused as invalid UTF-16. */
static void
test_file_utf16_large (void)
{
  g_autoptr(GString) text = g_string_new (NULL);
  g_autoptr(GBytes) bytes = NULL;
  g_autoptr(GnBlocklist) list = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *path = NULL;
  g_autofree char *cut_path = NULL;
  const char *paths[2] = { NULL, NULL };

  for (guint i = 0; i < 60000; i++)
    g_string_append_printf (text, "d%u.bücher.example\n", i);
  bytes = utf16 (text->str, "UTF-16LE", TRUE);
  g_assert_cmpuint (g_bytes_get_size (bytes), >, 2 * 1024 * 1024);
  path = write_temp (g_bytes_get_data (bytes, NULL), g_bytes_get_size (bytes));
  paths[0] = path;
  list = gn_blocklist_new_from_files (paths, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (gn_blocklist_get_n_rules (list), ==, 60000);
  g_assert_cmpint (gn_blocklist_lookup (list, "d59999.xn--bcher-kva.example", NULL), ==,
                   GN_MATCH_BLOCK);

  /* An odd number of bytes: the last character is half there. */
  cut_path = write_temp (g_bytes_get_data (bytes, NULL), g_bytes_get_size (bytes) - 1);
  paths[0] = cut_path;
  g_assert_null (gn_blocklist_new_from_files (paths, &error));
  g_test_message ("%s", error->message);
  g_assert_error (error, GN_ERROR, GN_ERROR_INVALID_DATA);
  g_assert_nonnull (strstr (error->message, "UTF-16LE"));
  g_clear_error (&error);

  {
    g_autoptr(GnBlocklistBuilder) builder = gn_blocklist_builder_new ();

    g_assert_false (gn_blocklist_builder_add_data (builder, "Cut", g_bytes_get_data (bytes, NULL),
                                                   g_bytes_get_size (bytes) - 1,
                                                   GN_BLOCKLIST_FORMAT_AUTO, NULL, &error));
    g_assert_error (error, GN_ERROR, GN_ERROR_INVALID_DATA);
    g_assert_nonnull (strstr (error->message, "UTF-16LE"));
  }
  g_unlink (path);
  g_unlink (cut_path);
}

/* A UTF-8 byte order mark (Notepad's "UTF-8 with BOM") is not part of the
 * first rule, nor does it hide an Adblock header. */
static void
test_file_utf8_bom (void)
{
  static const char domains[] = "\xef\xbb\xbf" "ads.example\ntracker.example\n";
  static const char adblock[] = "\xef\xbb\xbf" "[Adblock Plus 2.0]\n||ads.example^\n";
  g_autofree char *path = write_temp (domains, strlen (domains));
  g_autofree char *ab_path = write_temp (adblock, strlen (adblock));
  g_autoptr(GnBlocklistBuilder) builder = gn_blocklist_builder_new ();
  g_autoptr(GnBlocklist) list = NULL;
  g_autoptr(GError) error = NULL;
  GnBlocklistReport report;

  g_assert_true (gn_blocklist_builder_add_file (builder, "Domains", path, GN_BLOCKLIST_FORMAT_AUTO,
                                                &report, NULL, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (report.accepted, ==, 2);
  g_assert_cmpuint (gn_blocklist_report_get_skipped (&report), ==, 0);

  g_assert_true (gn_blocklist_builder_add_file (builder, "Adblock", ab_path,
                                                GN_BLOCKLIST_FORMAT_AUTO, &report, NULL, &error));
  g_assert_no_error (error);
  g_assert_cmpint (report.format, ==, GN_BLOCKLIST_FORMAT_ADBLOCK);
  g_assert_cmpuint (report.comments, ==, 1);

  g_assert_true (gn_blocklist_builder_add_data (builder, "Mem", domains, strlen (domains),
                                                GN_BLOCKLIST_FORMAT_AUTO, &report, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (gn_blocklist_report_get_skipped (&report), ==, 0);

  list = gn_blocklist_builder_end (g_steal_pointer (&builder));
  g_assert_cmpint (gn_blocklist_lookup (list, "ads.example", NULL), ==, GN_MATCH_BLOCK);
  g_unlink (path);
  g_unlink (ab_path);
}

/* A size hint: a table reserved for many rules holds them without
 * rehashing, and one reserved for far more than came is shrunk at the end,
 * with every rule still found. */
static void
test_builder_reserve (void)
{
  g_autoptr(GnBlocklist) plain = NULL;
  g_autoptr(GnBlocklist) reserved = NULL;
  g_autoptr(GnBlocklist) generous = NULL;

  for (guint round = 0; round < 3; round++)
    {
      g_autoptr(GnBlocklistBuilder) builder = gn_blocklist_builder_new ();
      guint list = gn_blocklist_builder_add_list (builder, "List");

      if (round == 1)
        gn_blocklist_builder_reserve (builder, 5000);
      else if (round == 2)
        gn_blocklist_builder_reserve (builder, G_MAXSIZE);  /* a wild hint */
      for (guint i = 0; i < 5000; i++)
        {
          g_autofree char *name = g_strdup_printf ("n%u.example", i);

          gn_blocklist_builder_add_rule (builder, list, GN_MATCH_BLOCK, name, strlen (name));
        }
      if (round == 0)
        plain = gn_blocklist_builder_end (g_steal_pointer (&builder));
      else if (round == 1)
        reserved = gn_blocklist_builder_end (g_steal_pointer (&builder));
      else
        generous = gn_blocklist_builder_end (g_steal_pointer (&builder));
    }

  g_assert_cmpuint (gn_blocklist_get_memory_size (reserved), ==, gn_blocklist_get_memory_size (plain));
  g_assert_cmpuint (gn_blocklist_get_memory_size (generous), ==, gn_blocklist_get_memory_size (plain));
  for (guint i = 0; i < 5000; i++)
    {
      g_autofree char *host = g_strdup_printf ("www.n%u.example", i);

      g_assert_cmpint (gn_blocklist_lookup (reserved, host, NULL), ==, GN_MATCH_BLOCK);
      g_assert_cmpint (gn_blocklist_lookup (generous, host, NULL), ==, GN_MATCH_BLOCK);
    }
  g_assert_cmpint (gn_blocklist_lookup (generous, "n5000.example", NULL), ==, GN_MATCH_NONE);
}

int
main (int argc, char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  for (guint i = 0; i < G_N_ELEMENTS (format_cases); i++)
    {
      g_autofree char *name = g_strdup_printf ("/blocklist/%s/%s",
                                               format_cases[i].sample ? "sample" : "full",
                                               format_cases[i].file);

      g_test_add_data_func (name, &format_cases[i], test_real_list);
    }
  g_test_add_data_func ("/blocklist/sample/every-name", GINT_TO_POINTER (TRUE),
                        test_real_list_every_name);
  g_test_add_data_func ("/blocklist/full/every-name", GINT_TO_POINTER (FALSE),
                        test_real_list_every_name);
  g_test_add_func ("/blocklist/parse/hosts", test_hosts_details);
  g_test_add_func ("/blocklist/parse/adblock", test_adblock_details);
  g_test_add_func ("/blocklist/parse/wildcard-and-domains", test_wildcard_and_domains);
  g_test_add_func ("/blocklist/parse/format-override", test_format_override);
  g_test_add_func ("/blocklist/parse/bad-input", test_bad_input);
  g_test_add_func ("/blocklist/file/size-cap", test_file_size_cap);
#ifdef G_OS_UNIX
  g_test_add_func ("/blocklist/file/size-cap-stream", test_file_size_cap_stream);
#endif
  g_test_add_func ("/blocklist/file/utf16", test_file_utf16);
  g_test_add_func ("/blocklist/file/utf16-large", test_file_utf16_large);
  g_test_add_func ("/blocklist/file/utf8-bom", test_file_utf8_bom);
  g_test_add_func ("/blocklist/match/table", test_matching_table);
  g_test_add_func ("/blocklist/match/normalize", test_normalize);
  g_test_add_func ("/blocklist/enum-types", test_enum_types);
  g_test_add_func ("/blocklist/address/canonical", test_canonical_address);
  g_test_add_func ("/blocklist/address/inet", test_canonical_inet_address);
  g_test_add_func ("/blocklist/address/normalize", test_normalize_addresses);
  g_test_add_func ("/blocklist/address/rules", test_address_rules);
  g_test_add_func ("/blocklist/address/hosts-rules", test_address_rules_hosts);
  g_test_add_func ("/blocklist/builder/reserve", test_builder_reserve);

  return g_test_run ();
}
