/* test-blocklist-parts.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Compiled parts (gn-blocklist-part.c) and the manager's rebuilds from
 * them, without any network: the first build parses every list and writes
 * a part for each; a rebuild after one list changed parses that list only
 * (the manager's n_part_parses / n_part_merges counters) and gives the very
 * set a full parse gives (the compiled files compared byte for byte, and
 * every name of every list looked up); a truncated, flipped, wrong-version
 * or garbage part is refused with its reason and that list alone is parsed
 * again, its part rewritten; a removed list's names and part go, and so do
 * parts no source owns; the builder's batched insert gives the same set as
 * inserting the names one by one.
 *
 * Threading: the test's main thread (the managers' owner thread).
 */

#include <string.h>

#include <glib/gstdio.h>

#include "blocklist-helpers.h"
#include "gn-blocklist-builder.h"
#include "gn-blocklist-file.h"
#include "gn-blocklist-manager.h"
#include "gn-blocklist-manager-private.h"
#include "gn-blocklist-part.h"
#include "gn-domain.h"
#include "gn-error.h"

#define N_GENERATED 5000

static const char hosts_list[] =
  "# a hosts file\n"
  "0.0.0.0 ads.example\n"
  "0.0.0.0 hosts-only.test\n"
  "0.0.0.0 localhost\n"
  "0.0.0.0 user-allow.test\n"
  "0.0.0.0 shared.test\n"
  "0.0.0.0 shared.test\n"
  "127.0.0.1 b\xc3\xbc" "cher.example\n";
static const char adblock_list[] =
  "[Adblock Plus 2.0]\n"
  "||tracker.net^\n"
  "||ads.example^\n"
  "@@||allowed.ads.example^\n"
  "@@||shared.test^\n"
  "||203.0.113.9^\n"
  "||example.org/path\n";

static const char config[] =
  "{ \"version\": 1, \"sources\": ["
  "  { \"id\": \"hosts\", \"name\": \"Hosts list\", \"url\": \"https://lists.invalid/h\","
  "    \"enabled\": true, \"format\": \"hosts\" },"
  "  { \"id\": \"adblock\", \"name\": \"Adblock list\", \"url\": \"https://lists.invalid/a\","
  "    \"enabled\": true, \"format\": \"adblock\" },"
  "  { \"id\": \"domains\", \"name\": \"Domains list\", \"url\": \"https://lists.invalid/d\","
  "    \"enabled\": true, \"format\": \"domains\" } ],"
  "  \"allowlist\": [ \"user-allow.test\" ],"
  "  \"blocklist\": [ \"user-block.test\", \"192.0.2.7\" ] }";

static const char *sources[] = { "hosts", "adblock", "domains" };

typedef struct
{
  char               *tmp;
  char               *config_dir;
  char               *cache_dir;
  GnBlocklistManager *mgr;
  guint               changes;
} Fixture;

/* A domains list big enough for several of the builder's lookahead rings
 * and chunks: names, repeats, an address in a spelling that is made
 * canonical, a name of the hosts list. @variant changes some names. */
static char *
domains_list (guint variant)
{
  GString *s = g_string_new ("# generated\n2001:db8::1\n::ffff:c000:209\ncdn.tracker.net\nads.example\n");

  for (guint i = 0; i < N_GENERATED; i++)
    {
      g_string_append_printf (s, "host%u-v%u.gen%u.example\n", i, i % 97 == 0 ? variant : 0, i % 13);
      if (i % 501 == 0)
        g_string_append_printf (s, "host%u-v0.gen%u.example\n", i / 2, (i / 2) % 13);
    }
  return g_string_free (s, FALSE);
}

/* Every name of every list (and around them), looked up: kind, list, rule. */
static char *
describe (GnBlocklist *list,
          guint        variant)
{
  static const char *fixed[] = {
    "ads.example", "www.ads.example", "allowed.ads.example", "x.allowed.ads.example",
    "tracker.net", "cdn.tracker.net", "hosts-only.test", "shared.test", "a.shared.test",
    "user-block.test", "a.user-block.test", "user-allow.test", "www.user-allow.test",
    "192.0.2.7", "192.0.2.9", "203.0.113.9", "2001:db8::1", "localhost", "unlisted.org",
    "xn--bcher-kva.example", "example.org", "com",
  };
  g_autoptr(GPtrArray) probes = g_ptr_array_new_with_free_func (g_free);

  for (guint i = 0; i < G_N_ELEMENTS (fixed); i++)
    g_ptr_array_add (probes, g_strdup (fixed[i]));
  for (guint v = 0; v <= MAX (variant, 1); v++)
    for (guint i = 0; i < N_GENERATED; i++)
      {
        g_ptr_array_add (probes, g_strdup_printf ("host%u-v%u.gen%u.example", i, v, i % 13));
        g_ptr_array_add (probes, g_strdup_printf ("a.host%u-v%u.gen%u.example", i, v, i % 13));
      }

  return gn_test_describe_blocklist (list, (const char * const *) probes->pdata, probes->len);
}

/* What a refresh asks for once its downloads are in. */
static void
rebuild (Fixture *f)
{
  guint before = f->changes;

  _gn_blocklist_manager_request_rebuild (f->mgr, NULL);
  gn_test_wait_for_change (&f->changes, before);
}

static char *
path_in (const char *dir,
         const char *name)
{
  return g_build_filename (dir, name, NULL);
}

static char *
part_path (Fixture    *f,
           const char *id)
{
  g_autofree char *name = g_strconcat (id, ".gnpart", NULL);

  return path_in (f->cache_dir, name);
}

static void
fixture_init (Fixture    *f,
              const char *domains)
{
  g_autoptr(GError) error = NULL;

  f->tmp = g_dir_make_tmp ("gn-parts-XXXXXX", &error);
  g_assert_no_error (error);
  f->config_dir = path_in (f->tmp, "config");
  f->cache_dir = path_in (f->tmp, "cache");
  g_mkdir_with_parents (f->config_dir, 0700);
  g_mkdir_with_parents (f->cache_dir, 0700);
  gn_test_write_file (f->config_dir, "blocklists.json", config);
  gn_test_write_file (f->cache_dir, "hosts.txt", hosts_list);
  gn_test_write_file (f->cache_dir, "adblock.txt", adblock_list);
  gn_test_write_file (f->cache_dir, "domains.txt", domains);
}

static void
setup (Fixture       *f,
       gconstpointer  data)
{
  g_autofree char *domains = domains_list (0);

  fixture_init (f, domains);

  /* the first start parses every list and writes its part */
  f->mgr = gn_test_start_manager (f->config_dir, f->cache_dir, &f->changes);
  g_assert_cmpuint (f->mgr->n_part_parses, ==, G_N_ELEMENTS (sources));
  g_assert_cmpuint (f->mgr->n_part_merges, ==, 0);
  for (guint i = 0; i < G_N_ELEMENTS (sources); i++)
    {
      g_autofree char *part = part_path (f, sources[i]);

      g_assert_true (g_file_test (part, G_FILE_TEST_IS_REGULAR));
    }
}

static void
remove_tree (const char *path)
{
  g_autoptr(GDir) dir = g_dir_open (path, 0, NULL);
  const char *name;

  while (dir != NULL && (name = g_dir_read_name (dir)) != NULL)
    {
      g_autofree char *child = g_build_filename (path, name, NULL);

      if (g_file_test (child, G_FILE_TEST_IS_DIR))
        remove_tree (child);
      else
        g_unlink (child);
    }
  g_rmdir (path);
}

static void
fixture_clear (Fixture *f)
{
  if (f->mgr != NULL)
    gn_test_finalize_and_wait (g_steal_pointer (&f->mgr));
  remove_tree (f->tmp);
  g_clear_pointer (&f->tmp, g_free);
  g_clear_pointer (&f->config_dir, g_free);
  g_clear_pointer (&f->cache_dir, g_free);
}

static void
teardown (Fixture       *f,
          gconstpointer  data)
{
  fixture_clear (f);
}

/* The compiled file from its first section on: the names, the arena, the
 * table and the per-source counts, not the header (whose input id names
 * the cache folder). */
static GBytes *
compiled_body (const char *cache_dir)
{
  g_autofree char *path = path_in (cache_dir, "compiled.gnbl");
  g_autoptr(GError) error = NULL;
  g_autofree char *contents = NULL;
  guint32 header_size;
  gsize len, start;

  g_assert_true (g_file_get_contents (path, &contents, &len, &error));
  g_assert_no_error (error);
  memcpy (&header_size, contents + 16, sizeof header_size);  /* after magic, version, byte order */
  start = (header_size + 63) / 64 * 64;
  g_assert_cmpuint (start, <, len);
  return g_bytes_new (contents + start, len - start);
}

/* A manager of its own on copies of @f's settings and lists, with no parts
 * and no compiled file: it parses everything. Returns its answers and
 * checks that its compiled file holds the same bytes as @f's. */
static char *
full_parse (Fixture *f,
            guint    variant)
{
  Fixture ref = { 0 };
  g_autofree char *json_path = path_in (f->config_dir, "blocklists.json");
  g_autofree char *json = NULL;
  g_autoptr(GBytes) mine = NULL;
  g_autoptr(GBytes) theirs = NULL;
  char *answers;

  gn_blocklist_manager_flush (f->mgr);
  g_assert_true (g_file_get_contents (json_path, &json, NULL, NULL));
  fixture_init (&ref, "");
  gn_test_write_file (ref.config_dir, "blocklists.json", json);
  for (guint i = 0; i < G_N_ELEMENTS (sources); i++)
    {
      g_autofree char *name = g_strconcat (sources[i], ".txt", NULL);
      g_autofree char *path = path_in (f->cache_dir, name);
      g_autofree char *text = NULL;

      /* a removed list's copy is gone */
      if (g_file_get_contents (path, &text, NULL, NULL))
        gn_test_write_file (ref.cache_dir, name, text);
    }
  ref.mgr = gn_test_start_manager (ref.config_dir, ref.cache_dir, &ref.changes);
  g_assert_cmpuint (ref.mgr->n_part_merges, ==, 0);
  g_assert_cmpuint (ref.mgr->n_compiled_loads, ==, 0);
  answers = describe (gn_blocklist_manager_get_blocklist (ref.mgr), variant);

  mine = compiled_body (f->cache_dir);
  theirs = compiled_body (ref.cache_dir);
  g_assert_true (g_bytes_equal (mine, theirs));

  /* and the counts each list shows */
  {
    GListModel *a = gn_blocklist_manager_get_sources (f->mgr);
    GListModel *b = gn_blocklist_manager_get_sources (ref.mgr);

    g_assert_cmpuint (g_list_model_get_n_items (a), ==, g_list_model_get_n_items (b));
    for (guint j = 0; j < g_list_model_get_n_items (a); j++)
      {
        g_autoptr(GnBlocklistSource) sa = g_list_model_get_item (a, j);
        g_autoptr(GnBlocklistSource) sb = g_list_model_get_item (b, j);

        g_assert_cmpstr (gn_blocklist_source_get_id (sa), ==, gn_blocklist_source_get_id (sb));
        g_assert_cmpuint (gn_blocklist_source_get_entries (sa), ==, gn_blocklist_source_get_entries (sb));
        g_assert_cmpuint (gn_blocklist_source_get_entries (sa), >, 0);
      }
  }

  fixture_clear (&ref);
  return answers;
}

/* ---- one list changed ---- */

static void
test_one_changed (Fixture       *f,
                  gconstpointer  data)
{
  g_autofree char *domains = domains_list (1);
  g_autofree char *got = NULL;
  g_autofree char *expected = NULL;
  g_autofree char *before_answers = describe (gn_blocklist_manager_get_blocklist (f->mgr), 1);
  guint parses = f->mgr->n_part_parses, merges = f->mgr->n_part_merges;

  /* nothing changed: every list from its part */
  rebuild (f);
  g_assert_cmpuint (f->mgr->n_part_parses - parses, ==, 0);
  g_assert_cmpuint (f->mgr->n_part_merges - merges, ==, 3);
  got = describe (gn_blocklist_manager_get_blocklist (f->mgr), 1);
  g_assert_cmpstr (got, ==, before_answers);
  g_clear_pointer (&got, g_free);

  /* the big list changed: it alone is parsed */
  gn_test_write_file (f->cache_dir, "domains.txt", domains);
  parses = f->mgr->n_part_parses;
  merges = f->mgr->n_part_merges;
  rebuild (f);
  g_assert_cmpuint (f->mgr->n_part_parses - parses, ==, 1);
  g_assert_cmpuint (f->mgr->n_part_merges - merges, ==, 2);
  got = describe (gn_blocklist_manager_get_blocklist (f->mgr), 1);
  g_assert_cmpstr (got, !=, before_answers);
  g_assert_cmpint (gn_blocklist_lookup (gn_blocklist_manager_get_blocklist (f->mgr),
                                        "host97-v1.gen6.example", NULL), ==, GN_MATCH_BLOCK);
  g_assert_cmpint (gn_blocklist_lookup (gn_blocklist_manager_get_blocklist (f->mgr),
                                        "host97-v0.gen6.example", NULL), ==, GN_MATCH_NONE);
  expected = full_parse (f, 1);
  g_assert_cmpstr (got, ==, expected);
  g_clear_pointer (&got, g_free);
  g_clear_pointer (&expected, g_free);

  /* a small one whose names decide over the others' (allow rules) */
  gn_test_write_file (f->cache_dir, "adblock.txt", "[Adblock Plus 2.0]\n||tracker.net^\n@@||ads.example^\n");
  parses = f->mgr->n_part_parses;
  merges = f->mgr->n_part_merges;
  rebuild (f);
  g_assert_cmpuint (f->mgr->n_part_parses - parses, ==, 1);
  g_assert_cmpuint (f->mgr->n_part_merges - merges, ==, 2);
  g_assert_cmpint (gn_blocklist_lookup (gn_blocklist_manager_get_blocklist (f->mgr),
                                        "www.ads.example", NULL), ==, GN_MATCH_ALLOW);
  got = describe (gn_blocklist_manager_get_blocklist (f->mgr), 1);
  expected = full_parse (f, 1);
  g_assert_cmpstr (got, ==, expected);
  g_clear_pointer (&got, g_free);
  g_clear_pointer (&expected, g_free);

  /* a user rule: nothing parsed */
  parses = f->mgr->n_part_parses;
  {
    g_autoptr(GError) error = NULL;
    guint before = f->changes;

    g_assert_true (gn_blocklist_manager_add_user_rule (f->mgr, GN_MATCH_BLOCK, "new-rule.test", &error));
    g_assert_no_error (error);
    gn_test_wait_for_change (&f->changes, before);
  }
  g_assert_cmpuint (f->mgr->n_part_parses - parses, ==, 0);
  got = describe (gn_blocklist_manager_get_blocklist (f->mgr), 1);
  expected = full_parse (f, 1);
  g_assert_cmpstr (got, ==, expected);
}

/* ---- damaged parts ---- */

typedef enum
{
  DAMAGE_TRUNCATE,
  DAMAGE_FLIP_BYTE,
  DAMAGE_VERSION,
  DAMAGE_GARBAGE,
  DAMAGE_EMPTY,
} Damage;

static void
test_damaged (Fixture       *f,
              gconstpointer  data)
{
  Damage damage = GPOINTER_TO_INT (data);
  g_autofree char *part = part_path (f, "domains");
  g_autofree char *list = path_in (f->cache_dir, "domains.txt");
  g_autofree char *contents = NULL;
  g_autofree char *intact = NULL;
  g_autofree char *got = NULL;
  g_autofree char *expected = describe (gn_blocklist_manager_get_blocklist (f->mgr), 0);
  g_autoptr(GError) error = NULL;
  g_autoptr(GnBlocklistBuilder) builder = gn_blocklist_builder_new ();
  const char *reason = NULL;
  guint parses, merges;
  guint64 source_id;
  gsize len, intact_len;

  g_assert_true (g_file_get_contents (part, &contents, &len, &error));
  intact = g_memdup2 (contents, len);
  intact_len = len;
  switch (damage)
    {
    case DAMAGE_TRUNCATE:
      len = len / 2;
      reason = "truncated";
      break;
    case DAMAGE_FLIP_BYTE:
      contents[len / 2] ^= 0x10;   /* in the records */
      reason = "checksum";
      break;
    case DAMAGE_VERSION:
      contents[8] = 99;            /* the version field, after the magic */
      reason = "version 99";
      break;
    case DAMAGE_GARBAGE:
      memset (contents, 'x', MIN (len, 100));
      reason = "not a compiled part";
      break;
    case DAMAGE_EMPTY:
      len = 0;
      reason = "truncated";
      break;
    default:
      g_assert_not_reached ();
    }
  g_assert_true (g_file_set_contents (part, contents, len, &error));
  g_assert_no_error (error);

  /* the part alone says why, and adds nothing */
  source_id = gn_blocklist_part_source_id (list, GN_BLOCKLIST_FORMAT_DOMAINS, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (source_id, !=, 0);
  g_assert_false (gn_blocklist_part_add (builder, "Domains list", part, source_id, NULL, &error));
  g_assert_error (error, GN_ERROR, GN_ERROR_INVALID_DATA);
  g_test_message ("refused: %s", error->message);
  g_assert_nonnull (strstr (error->message, reason));
  g_assert_cmpuint (gn_blocklist_builder_get_n_rules (builder), ==, 0);
  g_clear_error (&error);

  /* the rebuild parses that list only, with the same result */
  parses = f->mgr->n_part_parses;
  merges = f->mgr->n_part_merges;
  rebuild (f);
  g_assert_cmpuint (f->mgr->n_part_parses - parses, ==, 1);
  g_assert_cmpuint (f->mgr->n_part_merges - merges, ==, 2);
  got = describe (gn_blocklist_manager_get_blocklist (f->mgr), 0);
  g_assert_cmpstr (got, ==, expected);

  /* and its part is whole again: the same bytes, used by the next rebuild */
  g_clear_pointer (&contents, g_free);
  g_assert_true (g_file_get_contents (part, &contents, &len, &error));
  g_assert_cmpmem (contents, len, intact, intact_len);
  parses = f->mgr->n_part_parses;
  rebuild (f);
  g_assert_cmpuint (f->mgr->n_part_parses - parses, ==, 0);
}

/* A part of another source's contents (a list renamed onto another's
 * id, say) is refused as stale, not as damaged. */
static void
test_stale (Fixture       *f,
            gconstpointer  data)
{
  g_autofree char *part = part_path (f, "domains");
  g_autofree char *list = path_in (f->cache_dir, "hosts.txt");
  g_autoptr(GnBlocklistBuilder) builder = gn_blocklist_builder_new ();
  g_autoptr(GError) error = NULL;
  guint64 id = gn_blocklist_part_source_id (list, GN_BLOCKLIST_FORMAT_HOSTS, &error);

  g_assert_no_error (error);
  g_assert_cmpuint (id, !=, gn_blocklist_part_source_id (list, GN_BLOCKLIST_FORMAT_DOMAINS, NULL));
  g_assert_false (gn_blocklist_part_add (builder, "x", part, id, NULL, &error));
  g_assert_error (error, GN_ERROR, GN_ERROR_FAILED);
  g_clear_error (&error);

  g_assert_false (gn_blocklist_part_add (builder, "x", "/nonexistent/x.gnpart", id, NULL, &error));
  g_assert_error (error, GN_ERROR, GN_ERROR_IO);
  g_assert_cmpuint (gn_blocklist_builder_get_n_rules (builder), ==, 0);
}

/* ---- a list removed ---- */

static void
test_removed (Fixture       *f,
              gconstpointer  data)
{
  g_autofree char *part = part_path (f, "domains");
  g_autofree char *orphan = part_path (f, "gone-long-ago");
  GListModel *model = gn_blocklist_manager_get_sources (f->mgr);
  GnBlocklist *list;
  g_autofree char *got = NULL;
  g_autofree char *expected = NULL;
  guint before = f->changes;
  guint parses = f->mgr->n_part_parses;

  gn_test_write_file (f->cache_dir, "gone-long-ago.gnpart", "whatever");
  g_assert_cmpint (gn_blocklist_lookup (gn_blocklist_manager_get_blocklist (f->mgr),
                                        "host5-v0.gen5.example", NULL), ==, GN_MATCH_BLOCK);

  for (guint i = 0; i < g_list_model_get_n_items (model); i++)
    {
      g_autoptr(GnBlocklistSource) s = g_list_model_get_item (model, i);

      if (g_str_equal (gn_blocklist_source_get_id (s), "domains"))
        {
          gn_blocklist_manager_remove_source (f->mgr, s);
          break;
        }
    }
  gn_test_wait_for_change (&f->changes, before);
  g_assert_cmpuint (f->mgr->n_part_parses - parses, ==, 0);

  list = gn_blocklist_manager_get_blocklist (f->mgr);
  g_assert_cmpuint (gn_blocklist_get_n_lists (list), ==, 4);  /* 2 lists + the user's 2 */
  g_assert_cmpint (gn_blocklist_lookup (list, "host5-v0.gen5.example", NULL), ==, GN_MATCH_NONE);
  g_assert_cmpint (gn_blocklist_lookup (list, "cdn.tracker.net", NULL), ==, GN_MATCH_BLOCK);  /* adblock's */
  g_assert_cmpint (gn_blocklist_lookup (list, "2001:db8::1", NULL), ==, GN_MATCH_NONE);
  g_assert_cmpint (gn_blocklist_lookup (list, "ads.example", NULL), ==, GN_MATCH_BLOCK);
  g_assert_false (g_file_test (part, G_FILE_TEST_EXISTS));
  g_assert_false (g_file_test (orphan, G_FILE_TEST_EXISTS));

  got = describe (list, 0);
  expected = full_parse (f, 0);
  g_assert_cmpstr (got, ==, expected);
}

/* ---- the builder's batched insert ---- */

static void
test_add_records (void)
{
  g_autoptr(GByteArray) records = g_byte_array_new ();
  g_autoptr(GnBlocklistBuilder) one = gn_blocklist_builder_new ();
  g_autoptr(GnBlocklistBuilder) batch = gn_blocklist_builder_new ();
  g_autoptr(GnBlocklist) a = NULL;
  g_autoptr(GnBlocklist) b = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *dir = g_dir_make_tmp ("gn-parts-XXXXXX", &error);
  g_autofree char *path_a = path_in (dir, "a.gnbl");
  g_autofree char *path_b = path_in (dir, "b.gnbl");
  g_autofree char *file_a = NULL;
  g_autofree char *file_b = NULL;
  GnBlocklistReport ra = { 0 }, rb = { 0 };
  gsize len_a, len_b;
  guint la, lb;

  g_assert_no_error (error);
  /* the same first list in both, then one list: names one by one or batched */
  la = gn_blocklist_builder_add_list (one, "first");
  lb = gn_blocklist_builder_add_list (batch, "first");
  for (guint i = 0; i < 3000; i += 3)
    {
      g_autofree char *name = g_strdup_printf ("n%u.example", i);

      gn_blocklist_builder_add_rule (one, la, GN_MATCH_BLOCK, name, strlen (name));
      gn_blocklist_builder_add_rule (batch, lb, GN_MATCH_BLOCK, name, strlen (name));
    }
  la = gn_blocklist_builder_add_list (one, "second");
  lb = gn_blocklist_builder_add_list (batch, "second");
  for (guint i = 0; i < 20000; i++)
    {
      g_autofree char *name = i % 1000 == 7 ? g_strdup_printf ("::ffff:c000:%x", 0x200 + i % 250)
                                            : g_strdup_printf ("n%u.example", i % 9000);
      GnMatchKind kind = i % 17 == 0 ? GN_MATCH_ALLOW : GN_MATCH_BLOCK;
      guint8 head[2] = { kind, strlen (name) };

      switch (gn_blocklist_builder_add_rule (one, la, kind, name, strlen (name)))
        {
        case GN_BUILDER_DUPLICATE:
          ra.duplicates++;
          break;
        default:
          ra.accepted++;
          ra.allow_rules += kind == GN_MATCH_ALLOW;
          break;
        }
      g_byte_array_append (records, head, 2);
      g_byte_array_append (records, (const guint8 *) name, strlen (name));
    }
  gn_blocklist_builder_add_records (batch, lb, records->data, records->len, &rb);
  g_assert_cmpuint (ra.accepted, ==, rb.accepted);
  g_assert_cmpuint (ra.duplicates, ==, rb.duplicates);
  g_assert_cmpuint (ra.allow_rules, ==, rb.allow_rules);
  g_assert_cmpuint (rb.duplicates, >, 0);

  a = gn_blocklist_builder_end (g_steal_pointer (&one));
  b = gn_blocklist_builder_end (g_steal_pointer (&batch));
  g_assert_cmpint (gn_blocklist_lookup (b, "192.0.2.7", NULL), !=, GN_MATCH_NONE);
  g_assert_true (gn_blocklist_save_compiled (a, path_a, 1, NULL, NULL, &error));
  g_assert_true (gn_blocklist_save_compiled (b, path_b, 1, NULL, NULL, &error));
  g_assert_true (g_file_get_contents (path_a, &file_a, &len_a, &error));
  g_assert_true (g_file_get_contents (path_b, &file_b, &len_b, &error));
  g_assert_cmpmem (file_a, len_a, file_b, len_b);
  g_unlink (path_a);
  g_unlink (path_b);
  g_rmdir (dir);
}

int
main (int   argc,
      char *argv[])
{
  static const struct { const char *name; Damage damage; } damages[] = {
    { "truncated", DAMAGE_TRUNCATE },
    { "flipped-byte", DAMAGE_FLIP_BYTE },
    { "wrong-version", DAMAGE_VERSION },
    { "garbage", DAMAGE_GARBAGE },
    { "empty", DAMAGE_EMPTY },
  };

  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/blocklist-parts/add-records", test_add_records);
  g_test_add ("/blocklist-parts/one-changed", Fixture, NULL, setup, test_one_changed, teardown);
  for (guint i = 0; i < G_N_ELEMENTS (damages); i++)
    {
      g_autofree char *name = g_strdup_printf ("/blocklist-parts/damaged/%s", damages[i].name);

      g_test_add (name, Fixture, GINT_TO_POINTER (damages[i].damage), setup, test_damaged, teardown);
    }
  g_test_add ("/blocklist-parts/stale", Fixture, NULL, setup, test_stale, teardown);
  g_test_add ("/blocklist-parts/removed", Fixture, NULL, setup, test_removed, teardown);

  return g_test_run ();
}
