/* test-blocklist-compiled.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The compiled blocklist file (gn-blocklist-file.c) and the manager's use of
 * it, without any network: a set saved and mapped back answers every lookup
 * exactly as the parsed set does (subdomains, allow rules from lists and
 * from the user, IP literals, list names); a manager that finds a file
 * built from the same inputs maps it and parses nothing; a truncated file,
 * a flipped byte, another format version and a file built from other
 * inputs are each refused with a reason, the lists are parsed instead with
 * the same results, and the file is written again; every rebuild rewrites
 * it; a set keeps its mapping alive after the file has been replaced.
 */

#include <string.h>

#include <glib/gstdio.h>

#include "blocklist-helpers.h"
#include "gn-blocklist-builder.h"
#include "gn-blocklist-file.h"
#include "gn-blocklist-manager.h"
#include "gn-blocklist-manager-private.h"
#include "gn-error.h"

static const char * const probes[] = {
  "ads.example", "www.ads.example", "deep.sub.ads.example", "notads.example",
  "allowed.ads.example", "x.allowed.ads.example", "tracker.net", "cdn.tracker.net",
  "hosts-only.test", "a.hosts-only.test", "user-block.test", "a.user-block.test",
  "user-allow.test", "www.user-allow.test", "192.0.2.7", "1.192.0.2.7", "203.0.113.9",
  "2001:db8::1", "[2001:db8::1]", "::ffff:c000:207", "unlisted.org", "com", "example",
  "WWW.ADS.EXAMPLE.", "b\xc3\xbc" "cher.example", "xn--bcher-kva.example",
};

/* the lists as the manager's cache holds them */
static const char hosts_list[] =
  "# a hosts file\n"
  "0.0.0.0 ads.example\n"
  "0.0.0.0 hosts-only.test\n"
  "0.0.0.0 user-allow.test\n"
  "127.0.0.1 b\xc3\xbc" "cher.example\n";
static const char adblock_list[] =
  "[Adblock Plus 2.0]\n"
  "||tracker.net^\n"
  "||ads.example^\n"
  "@@||allowed.ads.example^\n"
  "||203.0.113.9^\n";
static const char domains_list[] =
  "2001:db8::1\n"
  "cdn.tracker.net\n";

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

typedef struct
{
  char               *tmp;
  char               *config_dir;
  char               *cache_dir;
  char               *compiled;
  GnBlocklistManager *mgr;
  guint               changes;
  char               *expected;   /* the parsed set's answers (describe ()) */
} Fixture;

/* Every probe's answer, and the set's counts, as one string to compare. */
static char *
describe (GnBlocklist *list)
{
  return gn_test_describe_blocklist (list, probes, G_N_ELEMENTS (probes));
}

static void
restart_manager (Fixture *f)
{
  if (f->mgr != NULL)
    gn_test_finalize_and_wait (g_steal_pointer (&f->mgr));
  f->mgr = gn_test_start_manager (f->config_dir, f->cache_dir, &f->changes);
}

static GnBlocklist *
active (Fixture *f)
{
  return gn_blocklist_manager_get_blocklist (f->mgr);
}

static void
setup (Fixture       *f,
       gconstpointer  data)
{
  g_autoptr(GError) error = NULL;

  f->tmp = g_dir_make_tmp ("gn-compiled-XXXXXX", &error);
  g_assert_no_error (error);
  f->config_dir = g_build_filename (f->tmp, "config", NULL);
  f->cache_dir = g_build_filename (f->tmp, "cache", NULL);
  f->compiled = g_build_filename (f->cache_dir, "compiled.gnbl", NULL);
  g_mkdir_with_parents (f->config_dir, 0700);
  g_mkdir_with_parents (f->cache_dir, 0700);
  gn_test_write_file (f->config_dir, "blocklists.json", config);
  gn_test_write_file (f->cache_dir, "hosts.txt", hosts_list);
  gn_test_write_file (f->cache_dir, "adblock.txt", adblock_list);
  gn_test_write_file (f->cache_dir, "domains.txt", domains_list);

  /* the first start parses and writes the file */
  f->mgr = gn_test_start_manager (f->config_dir, f->cache_dir, &f->changes);
  g_assert_cmpuint (f->mgr->n_compiled_loads, ==, 0);
  g_assert_cmpuint (f->mgr->n_compiled_saves, ==, 1);
  g_assert_true (g_file_test (f->compiled, G_FILE_TEST_IS_REGULAR));
  f->expected = describe (active (f));
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
teardown (Fixture       *f,
          gconstpointer  data)
{
  if (f->mgr != NULL)
    gn_test_finalize_and_wait (g_steal_pointer (&f->mgr));
  remove_tree (f->tmp);
  g_free (f->tmp);
  g_free (f->config_dir);
  g_free (f->cache_dir);
  g_free (f->compiled);
  g_free (f->expected);
}

/* ---- the checksum ---- */

static void
test_checksum (void)
{
  /* XXH64 reference values (seed 0) */
  g_assert_cmphex (gn_blocklist_checksum ("", 0, 0), ==, G_GUINT64_CONSTANT (0xEF46DB3751D8E999));
  g_assert_cmphex (gn_blocklist_checksum ("a", 1, 0), ==, G_GUINT64_CONSTANT (0xD24EC4F1A98C6E5B));
  g_assert_cmphex (gn_blocklist_checksum ("abc", 3, 0), ==, G_GUINT64_CONSTANT (0x44BC2CF5AD770999));
  /* past 32 bytes the four-lane path (value from libxxhash 0.8.1) */
  {
    g_autoptr(GString) abc = g_string_new (NULL);

    for (guint i = 0; i < 50; i++)
      g_string_append (abc, "abc");
    g_assert_cmphex (gn_blocklist_checksum (abc->str, abc->len, 0), ==,
                     G_GUINT64_CONSTANT (0x2865DE897884B1B9));
  }
}

/* A set of several megabytes: the loader checks it a megabyte at a time,
 * and a byte flipped deep in the slots is still found. */
static void
test_file_big (void)
{
  g_autoptr(GnBlocklistBuilder) builder = gn_blocklist_builder_new ();
  g_autoptr(GnBlocklist) heap = NULL;
  g_autoptr(GnBlocklist) mapped = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *dir = g_dir_make_tmp ("gn-compiled-XXXXXX", &error);
  g_autofree char *path = g_build_filename (dir, "big.gnbl", NULL);
  g_autofree char *contents = NULL;
  guint list = gn_blocklist_builder_add_list (builder, "Big");
  gsize len;

  for (guint i = 0; i < 200000; i++)
    {
      g_autofree char *name = g_strdup_printf ("host%u.example%u.net", i, i % 977);

      gn_blocklist_builder_add_rule (builder, list, i % 50 ? GN_MATCH_BLOCK : GN_MATCH_ALLOW,
                                     name, strlen (name));
    }
  heap = gn_blocklist_builder_end (g_steal_pointer (&builder));
  g_assert_cmpuint (gn_blocklist_get_memory_size (heap), >, 4 * 1024 * 1024);
  g_assert_true (gn_blocklist_save_compiled (heap, path, 7, NULL, NULL, &error));
  g_assert_no_error (error);

  mapped = gn_blocklist_load_compiled (path, 7, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (gn_blocklist_get_n_rules (mapped), ==, 200000);
  g_assert_cmpuint (gn_blocklist_get_n_allow_rules (mapped), ==, 4000);
  for (guint i = 0; i < 200000; i += 997)
    {
      g_autofree char *host = g_strdup_printf ("www.host%u.example%u.net", i, i % 977);

      g_assert_cmpint (gn_blocklist_lookup (mapped, host, NULL), ==,
                       gn_blocklist_lookup (heap, host, NULL));
      g_assert_cmpint (gn_blocklist_lookup (mapped, host, NULL), !=, GN_MATCH_NONE);
    }
  g_assert_cmpint (gn_blocklist_lookup (mapped, "host1.example2.net", NULL), ==, GN_MATCH_NONE);
  g_clear_pointer (&mapped, gn_blocklist_unref);

  g_assert_true (g_file_get_contents (path, &contents, &len, &error));
  contents[len - 3 * 1024 * 1024 / 2] ^= 0x01;
  g_assert_true (g_file_set_contents (path, contents, len, &error));
  mapped = gn_blocklist_load_compiled (path, 7, NULL, &error);
  g_assert_null (mapped);
  g_assert_error (error, GN_ERROR, GN_ERROR_INVALID_DATA);
  g_test_message ("%s", error->message);

  g_unlink (path);
  g_rmdir (dir);
}

/* ---- the file alone: heap set vs mapped set ---- */

static void
test_file_round_trip (void)
{
  g_autoptr(GnBlocklistBuilder) builder = gn_blocklist_builder_new ();
  g_autoptr(GnBlocklist) heap = NULL;
  g_autoptr(GnBlocklist) mapped = NULL;
  g_autoptr(GBytes) extra = g_bytes_new_static ("extra!", 6);
  g_autoptr(GBytes) extra_back = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *dir = g_dir_make_tmp ("gn-compiled-XXXXXX", &error);
  g_autofree char *path = g_build_filename (dir, "set.gnbl", NULL);
  g_autofree char *want = NULL;
  g_autofree char *got = NULL;
  guint user = gn_blocklist_builder_add_list (builder, "Yours");

  gn_blocklist_builder_add_rule (builder, user, GN_MATCH_BLOCK, "user-block.test", 15);
  gn_blocklist_builder_add_rule (builder, user, GN_MATCH_BLOCK, "192.0.2.7", 9);
  g_assert_true (gn_blocklist_builder_add_data (builder, "Hosts", hosts_list, strlen (hosts_list),
                                                GN_BLOCKLIST_FORMAT_HOSTS, NULL, &error));
  g_assert_true (gn_blocklist_builder_add_data (builder, "Adblock", adblock_list, strlen (adblock_list),
                                                GN_BLOCKLIST_FORMAT_ADBLOCK, NULL, &error));
  g_assert_true (gn_blocklist_builder_add_data (builder, "Domains", domains_list, strlen (domains_list),
                                                GN_BLOCKLIST_FORMAT_DOMAINS, NULL, &error));
  g_assert_no_error (error);
  heap = gn_blocklist_builder_end (g_steal_pointer (&builder));
  g_assert_false (gn_blocklist_is_mapped (heap));

  g_assert_true (gn_blocklist_save_compiled (heap, path, 42, extra, NULL, &error));
  g_assert_no_error (error);
  mapped = gn_blocklist_load_compiled (path, 42, &extra_back, &error);
  g_assert_no_error (error);
  g_assert_nonnull (mapped);
  g_assert_true (gn_blocklist_is_mapped (mapped));
  g_assert_true (g_bytes_equal (extra, extra_back));

  want = describe (heap);
  got = describe (mapped);
  g_assert_cmpstr (got, ==, want);
  g_assert_cmpuint (gn_blocklist_get_memory_size (mapped), ==, gn_blocklist_get_memory_size (heap));
  g_assert_cmpint (gn_blocklist_lookup (mapped, "a.b.ads.example", NULL), ==, GN_MATCH_BLOCK);
  g_assert_cmpint (gn_blocklist_lookup (mapped, "x.allowed.ads.example", NULL), ==, GN_MATCH_ALLOW);
  g_assert_cmpint (gn_blocklist_lookup (mapped, "1.192.0.2.7", NULL), ==, GN_MATCH_NONE);
  g_assert_cmpint (gn_blocklist_lookup (mapped, "[2001:db8::1]", NULL), ==, GN_MATCH_BLOCK);

  /* another input id: refused, saying why */
  g_clear_pointer (&mapped, gn_blocklist_unref);
  /* It holds the file's bytes too. */
  g_clear_pointer (&extra_back, g_bytes_unref);
  mapped = gn_blocklist_load_compiled (path, 43, NULL, &error);
  g_assert_null (mapped);
  g_assert_error (error, GN_ERROR, GN_ERROR_INVALID_DATA);
  g_test_message ("%s", error->message);
  g_clear_error (&error);

  /* an empty set round-trips too */
  g_clear_pointer (&heap, gn_blocklist_unref);
  heap = gn_blocklist_new_empty ();
  g_assert_true (gn_blocklist_save_compiled (heap, path, 1, NULL, NULL, &error));
  mapped = gn_blocklist_load_compiled (path, 1, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (gn_blocklist_get_n_rules (mapped), ==, 0);
  g_assert_cmpint (gn_blocklist_lookup (mapped, "ads.example", NULL), ==, GN_MATCH_NONE);

  g_unlink (path);
  g_rmdir (dir);
}

/* ---- the manager ---- */

static void
test_manager_round_trip (Fixture       *f,
                         gconstpointer  data)
{
  g_autofree char *got = NULL;
  GListModel *sources;

  g_test_message ("%s", f->expected);
  g_assert_cmpint (gn_blocklist_lookup (active (f), "deep.sub.ads.example", NULL), ==, GN_MATCH_BLOCK);
  g_assert_cmpint (gn_blocklist_lookup (active (f), "x.allowed.ads.example", NULL), ==, GN_MATCH_ALLOW);
  g_assert_cmpint (gn_blocklist_lookup (active (f), "www.user-allow.test", NULL), ==, GN_MATCH_ALLOW);
  g_assert_cmpint (gn_blocklist_lookup (active (f), "192.0.2.7", NULL), ==, GN_MATCH_BLOCK);
  g_assert_cmpint (gn_blocklist_lookup (active (f), "[2001:db8::1]", NULL), ==, GN_MATCH_BLOCK);

  /* a second manager on the same dirs maps the file and parses nothing */
  restart_manager (f);
  g_assert_cmpuint (f->mgr->n_compiled_loads, ==, 1);
  g_assert_cmpuint (f->mgr->n_compiled_saves, ==, 0);
  g_assert_true (gn_blocklist_is_mapped (active (f)));
  got = describe (active (f));
  g_assert_cmpstr (got, ==, f->expected);

  /* the sources' counts come back with the set */
  sources = gn_blocklist_manager_get_sources (f->mgr);
  for (guint i = 0; i < g_list_model_get_n_items (sources); i++)
    {
      g_autoptr(GnBlocklistSource) s = g_list_model_get_item (sources, i);

      g_assert_cmpuint (gn_blocklist_source_get_entries (s), >, 0);
      g_assert_cmpuint (gn_blocklist_source_get_size (s), >, 0);
      g_assert_null (gn_blocklist_source_get_last_error (s));
    }
}

typedef enum
{
  DAMAGE_TRUNCATE,
  DAMAGE_FLIP_BYTE,
  DAMAGE_VERSION,
  DAMAGE_STALE_LIST,
  DAMAGE_STALE_RULES,
  DAMAGE_GARBAGE,
} Damage;

static void
test_rejected (Fixture       *f,
               gconstpointer  data)
{
  Damage damage = GPOINTER_TO_INT (data);
  g_autoptr(GError) error = NULL;
  g_autofree char *contents = NULL;
  g_autofree char *got = NULL;
  g_autofree char *expected = g_strdup (f->expected);
  const char *reason = NULL;
  guint64 input_id;
  gsize len;

  gn_test_finalize_and_wait (g_steal_pointer (&f->mgr));
  g_assert_true (g_file_get_contents (f->compiled, &contents, &len, &error));
  g_assert_cmpuint (len, >, 32);
  memcpy (&input_id, contents + 24, sizeof input_id);  /* after magic and four guint32 */

  switch (damage)
    {
    case DAMAGE_TRUNCATE:
      len = len / 2;
      reason = "truncated";
      break;
    case DAMAGE_FLIP_BYTE:
      contents[len / 2] ^= 0x10;  /* in the arena or the slots */
      reason = "checksum";
      break;
    case DAMAGE_VERSION:
      contents[8] = 99;           /* the version field, after the magic */
      reason = "version 99";
      break;
    case DAMAGE_STALE_LIST:
      /* a list changed while the app was not running: the same size, even */
      {
        g_autofree char *list = g_strdup (domains_list);

        memcpy (list, "2001:db8::2", 11);
        gn_test_write_file (f->cache_dir, "domains.txt", list);
        g_free (expected);
        expected = g_strdup ("(different)");
      }
      break;
    case DAMAGE_STALE_RULES:
      {
        g_autofree char *edited = g_strdup (config);
        char *p = strstr (edited, "user-block.test");

        memcpy (p, "user-bloc2.test", 15);
        gn_test_write_file (f->config_dir, "blocklists.json", edited);
        g_free (expected);
        expected = g_strdup ("(different)");
      }
      break;
    case DAMAGE_GARBAGE:
      memset (contents, 'x', MIN (len, 100));
      reason = "not a compiled blocklist";
      break;
    default:
      g_assert_not_reached ();
    }
  if (damage != DAMAGE_STALE_LIST && damage != DAMAGE_STALE_RULES)
    {
      g_assert_true (g_file_set_contents (f->compiled, contents, len, &error));
      g_assert_no_error (error);
    }

  /* the file alone says why (stale files are intact: only the manager's
   * input id tells them apart) */
  if (reason != NULL)
    {
      GnBlocklist *list = gn_blocklist_load_compiled (f->compiled, input_id, NULL, &error);

      g_assert_null (list);
      g_assert_error (error, GN_ERROR, GN_ERROR_INVALID_DATA);
      g_test_message ("refused: %s", error->message);
      g_assert_nonnull (strstr (error->message, reason));
      g_clear_error (&error);
    }

  /* the manager parses instead, with the same results, and writes it again */
  f->mgr = gn_test_start_manager (f->config_dir, f->cache_dir, &f->changes);
  g_assert_cmpuint (f->mgr->n_compiled_loads, ==, 0);
  g_assert_cmpuint (f->mgr->n_compiled_saves, ==, 1);
  got = describe (active (f));
  if (damage == DAMAGE_STALE_LIST)
    {
      g_assert_cmpint (gn_blocklist_lookup (active (f), "2001:db8::2", NULL), ==, GN_MATCH_BLOCK);
      g_assert_cmpint (gn_blocklist_lookup (active (f), "2001:db8::1", NULL), ==, GN_MATCH_NONE);
    }
  else if (damage == DAMAGE_STALE_RULES)
    {
      g_assert_cmpint (gn_blocklist_lookup (active (f), "user-bloc2.test", NULL), ==, GN_MATCH_BLOCK);
      g_assert_cmpint (gn_blocklist_lookup (active (f), "user-block.test", NULL), ==, GN_MATCH_NONE);
    }
  else
    g_assert_cmpstr (got, ==, expected);

  /* and the rewritten file serves the next start */
  g_free (expected);
  expected = g_steal_pointer (&got);
  restart_manager (f);
  g_assert_cmpuint (f->mgr->n_compiled_loads, ==, 1);
  got = describe (active (f));
  g_assert_cmpstr (got, ==, expected);
}

static void
test_rewritten_after_rebuild (Fixture       *f,
                              gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GnBlocklist) old = gn_blocklist_ref (active (f));
  g_autofree char *old_answers = describe (old);
  g_autofree char *got = NULL;
  guint before = f->changes;

  g_assert_true (gn_blocklist_is_mapped (old));

  /* a rule added while serving: built, saved, mapped, swapped */
  g_assert_true (gn_blocklist_manager_add_user_rule (f->mgr, GN_MATCH_BLOCK, "new-rule.test", &error));
  g_assert_no_error (error);
  gn_test_wait_for_change (&f->changes, before);
  g_assert_cmpuint (f->mgr->n_compiled_saves, ==, 2);
  g_assert_true (gn_blocklist_is_mapped (active (f)));
  g_assert_true (active (f) != old);
  g_assert_cmpint (gn_blocklist_lookup (active (f), "a.new-rule.test", NULL), ==, GN_MATCH_BLOCK);

  /* the old set still answers from its mapping, though its file was
   * replaced; it goes with its last reference */
  g_assert_cmpint (gn_blocklist_lookup (old, "a.new-rule.test", NULL), ==, GN_MATCH_NONE);
  got = describe (old);
  g_assert_cmpstr (got, ==, old_answers);
  g_clear_pointer (&old, gn_blocklist_unref);
  g_clear_pointer (&got, g_free);

  /* the next start maps the new file */
  gn_blocklist_manager_flush (f->mgr);
  restart_manager (f);
  g_assert_cmpuint (f->mgr->n_compiled_loads, ==, 1);
  g_assert_cmpint (gn_blocklist_lookup (active (f), "a.new-rule.test", NULL), ==, GN_MATCH_BLOCK);
}

int
main (int   argc,
      char *argv[])
{
  static const struct { const char *name; Damage damage; } rejections[] = {
    { "truncated", DAMAGE_TRUNCATE },
    { "flipped-byte", DAMAGE_FLIP_BYTE },
    { "wrong-version", DAMAGE_VERSION },
    { "stale-list", DAMAGE_STALE_LIST },
    { "stale-rules", DAMAGE_STALE_RULES },
    { "garbage", DAMAGE_GARBAGE },
  };

  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/blocklist-compiled/checksum", test_checksum);
  g_test_add_func ("/blocklist-compiled/file-round-trip", test_file_round_trip);
  g_test_add_func ("/blocklist-compiled/file-big", test_file_big);
  g_test_add ("/blocklist-compiled/manager-round-trip", Fixture, NULL, setup,
              test_manager_round_trip, teardown);
  for (guint i = 0; i < G_N_ELEMENTS (rejections); i++)
    {
      g_autofree char *name = g_strdup_printf ("/blocklist-compiled/rejected/%s", rejections[i].name);

      g_test_add (name, Fixture, GINT_TO_POINTER (rejections[i].damage), setup, test_rejected, teardown);
    }
  /* Replacing a file another set still reads (on Windows it is read into
   * memory, not mapped, so the rename works there too). */
  g_test_add ("/blocklist-compiled/rewritten-after-rebuild", Fixture, NULL, setup,
              test_rewritten_after_rebuild, teardown);

  return g_test_run ();
}
