/* bench-blocklist.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Builds a 1.3 M-domain blocklist (the shared real lists plus generated
 * names written to a temporary hosts/domains file) and compares the two
 * ways a start gets it, each in a fresh child process of its own so that
 * RSS is not shared between them:
 *
 *   parse   parse every list and build the set on the heap (then save it
 *           as a compiled file, timed apart)
 *   mmap    map that compiled file (gn_blocklist_load_compiled(): header,
 *           checksums and bounds checked, nothing parsed)
 *   reload  map it, look names up, then do what the manager does when a
 *           list changes: parse and build a new set, save it over the file,
 *           map it, drop the heap copy and the old set; RSS after that and
 *           the peak on the way
 *   manager the same lists as a GnBlocklistManager's cached sources: the
 *           time from gn_blocklist_manager_load() to "blocklist-changed",
 *           at a first start (no compiled file: parse, save, map) and at
 *           the next one (mapped); then, with the mapped set serving,
 *           three rebuilds as a refresh asks for them: nothing changed,
 *           one small list changed, the big generated list changed (each
 *           from the request to "blocklist-changed", with how many lists
 *           were parsed and how many merged from their compiled parts)
 *
 * Each reports the time until the set answers, the RSS it added (anonymous
 * and file-backed apart: mapped pages are clean page cache the kernel may
 * drop), and lookups per second for names that hit (subdomains of listed
 * names) and names that miss. Never a pass/fail test: the figures go into
 * bench/README.md.
 *
 * Usage: bench-blocklist [SHARED_BLOCKLISTS_DIR] [TOTAL_DOMAINS]
 * (GN_BENCH_MANAGER_ONLY=1: the manager's starts and reloads only)
 * Threading: single-threaded.
 */

#include <stdio.h>
#include <time.h>
#include <string.h>
#include <unistd.h>

#include <gio/gio.h>
#include <glib/gstdio.h>

#include "gn-blocklist.h"
#include "gn-blocklist-builder.h"
#include "gn-blocklist-file.h"
#include "gn-blocklist-manager.h"
#include "gn-blocklist-manager-private.h"

static const char *shared[] = { "hagezi-light.adblock.txt", "someonewhocares.hosts.txt",
                                "adaway.hosts.txt", "ublock.wildcard.txt" };

static long
read_status_kb (const char *field)
{
  g_autofree char *status = NULL;
  const char *p;

  if (!g_file_get_contents ("/proc/self/status", &status, NULL, NULL))
    return -1;
  p = strstr (status, field);
  return p ? strtol (p + strlen (field) + 1, NULL, 10) : -1;
}

typedef struct
{
  long rss, anon, file, hwm;
} Mem;

static Mem
read_mem (void)
{
  return (Mem) { read_status_kb ("VmRSS:"), read_status_kb ("RssAnon:"),
                 read_status_kb ("RssFile:"), read_status_kb ("VmHWM:") };
}

static void
print_mem (const char *label,
           Mem         before,
           Mem         after)
{
  g_print ("%-13s RSS +%.1f MB (anon +%.1f, file +%.1f); process RSS %.1f MB, peak %.1f MB\n",
           label, (after.rss - before.rss) / 1024.0, (after.anon - before.anon) / 1024.0,
           (after.file - before.file) / 1024.0, after.rss / 1024.0, after.hwm / 1024.0);
}

/* CPU time of this process: steadier than wall time when other work shares
 * the two cores */
static double
cpu_seconds (void)
{
  struct timespec ts;

  clock_gettime (CLOCK_PROCESS_CPUTIME_ID, &ts);
  return ts.tv_sec + ts.tv_nsec / 1e9;
}

static const char *tlds[] = { "com", "net", "org", "xyz", "info", "ru", "de", "top", "online", "site" };

static void
gen_name (GRand *rand, char *out, gsize size, guint i)
{
  static const char alpha[] = "abcdefghijklmnopqrstuvwxyz0123456789";
  char label[24];
  guint n = 6 + g_rand_int_range (rand, 0, 12);

  for (guint k = 0; k < n; k++)
    label[k] = alpha[g_rand_int_range (rand, 0, 36)];
  label[n] = '\0';
  if (i % 3 == 0)
    g_snprintf (out, size, "cdn%u.%s-%u.%s", i % 97, label, i, tlds[i % G_N_ELEMENTS (tlds)]);
  else
    g_snprintf (out, size, "%s%u.%s", label, i, tlds[i % G_N_ELEMENTS (tlds)]);
}

static void
measure (GnBlocklist *list,
         GPtrArray   *hosts,
         const char  *label)
{
  const guint rounds = 3000000;
  guint blocked = 0;
  gint64 t0, t1;
  double c0, c1;

  if (hosts->len == 0)
    return;

  t0 = g_get_monotonic_time ();
  c0 = cpu_seconds ();
  for (guint i = 0; i < rounds; i++)
    {
      GnMatch match;

      if (gn_blocklist_lookup (list, g_ptr_array_index (hosts, i % hosts->len), &match) == GN_MATCH_BLOCK)
        blocked++;
    }
  c1 = cpu_seconds ();
  t1 = g_get_monotonic_time ();
  g_print ("lookups %-20s %.2f M/s, %.0f ns each (CPU time %.0f ns) (%u of %u blocked)\n", label,
           rounds / ((t1 - t0) / 1e6) / 1e6, (t1 - t0) * 1000.0 / rounds,
           (c1 - c0) * 1e9 / rounds, blocked, rounds);
}

static void
measure_all (GnBlocklist *list,
             GPtrArray   *probes)
{
  g_autoptr(GPtrArray) misses = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(GPtrArray) mixed = g_ptr_array_new ();
  g_autoptr(GPtrArray) warm = g_ptr_array_new ();

  /* every one a different name spread over the whole table (no cache
   * help), then the same few hosts over and over (like browsing) */
  for (guint i = 0; i < probes->len; i++)
    g_ptr_array_add (misses, g_strdup_printf ("api.assets%u.example-shop%u.com", i, i * 7));
  for (guint i = 0; i < probes->len; i++)
    g_ptr_array_add (mixed, g_ptr_array_index ((i & 1) ? probes : misses, i));
  for (guint i = 0; i < 200; i++)
    g_ptr_array_add (warm, g_ptr_array_index ((i & 1) ? probes : misses, i * 97));

  measure (list, probes, "cold, all blocked");
  measure (list, misses, "cold, none blocked");
  measure (list, mixed, "cold, half blocked");
  measure (list, warm, "warm (200 hosts)");
}

/* The names of the generated list, again (same seed), one in ten as a
 * subdomain that must hit: the children rebuild them instead of reading. */
static GPtrArray *
gen_probes (guint n_generated)
{
  g_autoptr(GRand) rand = g_rand_new_with_seed (42);
  GPtrArray *probes = g_ptr_array_new_with_free_func (g_free);

  for (guint i = 0; i < n_generated; i++)
    {
      char name[64];

      gen_name (rand, name, sizeof name, i);
      if (i % 10 == 0)
        g_ptr_array_add (probes, g_strdup_printf ("www.img.%s", name));
    }
  return probes;
}

static GnBlocklist *
parse_all (const char *dir,
           guint       n_shared,
           const char *gen_path,
           gsize       expect_rules)
{
  g_autoptr(GnBlocklistBuilder) builder = gn_blocklist_builder_new ();
  g_autoptr(GError) error = NULL;

  gn_blocklist_builder_reserve (builder, expect_rules);

  for (guint i = 0; i < n_shared; i++)
    {
      g_autofree char *path = g_build_filename (dir, shared[i], NULL);

      if (!gn_blocklist_builder_add_file (builder, shared[i], path, GN_BLOCKLIST_FORMAT_AUTO,
                                          NULL, NULL, &error))
        g_error ("%s", error->message);
    }
  if (!gn_blocklist_builder_add_file (builder, "generated", gen_path, GN_BLOCKLIST_FORMAT_AUTO,
                                      NULL, NULL, &error))
    g_error ("%s", error->message);
  return gn_blocklist_builder_end (g_steal_pointer (&builder));
}

#define INPUT_ID 1

static GnBlocklist *
load_mapped (const char *compiled)
{
  g_autoptr(GError) error = NULL;
  GnBlocklist *list = gn_blocklist_load_compiled (compiled, INPUT_ID, NULL, &error);

  if (list == NULL)
    g_error ("%s", error->message);
  return list;
}

static void
save (GnBlocklist *list,
      const char  *compiled)
{
  g_autoptr(GError) error = NULL;

  if (!gn_blocklist_save_compiled (list, compiled, INPUT_ID, NULL, NULL, &error))
    g_error ("%s", error->message);
}

static void
on_changed (GnBlocklistManager *mgr,
            GnBlocklist        *list,
            gpointer            user_data)
{
  *(gboolean *) user_data = TRUE;
}

/* A rebuild as a refresh asks for it once the downloads are in: @changed_list
 * (nullable: none) gets one more name first, as a download would. Timed
 * from the request to "blocklist-changed". */
static void
reload_once (GnBlocklistManager *mgr,
             const char         *cache_dir,
             const char         *changed_list,
             gboolean           *changed,
             Mem                 m0)
{
  gint64 t0, t1;
  double c0, c1;
  guint parsed0 = mgr->n_part_parses, merged0 = mgr->n_part_merges;

  if (changed_list != NULL)
    {
      g_autofree char *path = g_build_filename (cache_dir, changed_list, NULL);
      FILE *f = fopen (path, "a");
      static guint serial;

      /* list2 is the AdAway hosts file, the last one the generated domains */
      fprintf (f, "\n%sbench-reload-%u-%d.example\n",
               g_str_equal (changed_list, "list2.txt") ? "127.0.0.1 " : "", serial++, (int) getpid ());
      fclose (f);
    }
  *changed = FALSE;
  c0 = cpu_seconds ();
  t0 = g_get_monotonic_time ();
  _gn_blocklist_manager_request_rebuild (mgr, NULL);
  while (!*changed)
    g_main_context_iteration (NULL, TRUE);
  t1 = g_get_monotonic_time ();
  c1 = cpu_seconds ();
  g_print ("reload (%s changed): %.3f s (CPU time %.3f s); %u sources parsed, %u merged from parts; "
           "%zu rules (%s)\n",
           changed_list != NULL ? changed_list : "nothing", (t1 - t0) / 1e6, c1 - c0,
           mgr->n_part_parses - parsed0, mgr->n_part_merges - merged0,
           gn_blocklist_get_n_rules (gn_blocklist_manager_get_blocklist (mgr)),
           gn_blocklist_is_mapped (gn_blocklist_manager_get_blocklist (mgr)) ? "mapped" : "heap");
  print_mem ("  after:", m0, read_mem ());
}

/* argv: the manager's config dir and cache dir, and whether to reload */
static int
run_manager (const char *config_dir,
             const char *cache_dir,
             gboolean    reload)
{
  g_autoptr(GnBlocklistManager) mgr = gn_blocklist_manager_new (config_dir, cache_dir);
  g_autoptr(GError) error = NULL;
  gboolean changed = FALSE;
  gint64 t0, t1;
  double c0, c1;
  Mem m0, m1;
  GnBlocklist *list;

  g_object_set (mgr, "download-missing", FALSE, NULL);
  g_signal_connect (mgr, "blocklist-changed", G_CALLBACK (on_changed), &changed);
  m0 = read_mem ();
  c0 = cpu_seconds ();
  t0 = g_get_monotonic_time ();
  if (!gn_blocklist_manager_load (mgr, &error))
    g_error ("%s", error->message);
  while (!changed)
    g_main_context_iteration (NULL, TRUE);
  t1 = g_get_monotonic_time ();
  c1 = cpu_seconds ();
  m1 = read_mem ();

  list = gn_blocklist_manager_get_blocklist (mgr);
  g_print ("== manager ==\n");
  g_print ("rules:        %zu (%s)\n", gn_blocklist_get_n_rules (list),
           gn_blocklist_is_mapped (list) ? "mapped" : "heap");
  g_print ("ready:        %.3f s (CPU time %.3f s, both threads)\n", (t1 - t0) / 1e6, c1 - c0);
  print_mem ("after ready:", m0, m1);

  if (reload)
    {
      guint n_lists = 0;
      g_autofree char *last = NULL;

      while (TRUE)
        {
          g_autofree char *name = g_strdup_printf ("list%u.txt", n_lists);
          g_autofree char *path = g_build_filename (cache_dir, name, NULL);

          if (!g_file_test (path, G_FILE_TEST_EXISTS))
            break;
          n_lists++;
        }
      g_print ("reloads with %u sources, the set serving meanwhile:\n", n_lists);
      /* none changed (a user rule would trigger the same), then the
       * smallest real list, then the big generated one */
      reload_once (mgr, cache_dir, NULL, &changed, m0);
      if (n_lists > 1)
        reload_once (mgr, cache_dir, "list2.txt", &changed, m0);
      last = g_strdup_printf ("list%u.txt", n_lists - 1);
      reload_once (mgr, cache_dir, last, &changed, m0);

      {
        g_autoptr(GDir) d = g_dir_open (cache_dir, 0, NULL);
        const char *name;
        guint64 parts = 0, compiled = 0;

        while (d != NULL && (name = g_dir_read_name (d)) != NULL)
          {
            g_autofree char *path = g_build_filename (cache_dir, name, NULL);
            GStatBuf st;

            if (g_stat (path, &st) != 0)
              continue;
            if (g_str_has_suffix (name, ".gnpart"))
              parts += st.st_size;
            else if (g_str_has_suffix (name, ".gnbl"))
              compiled += st.st_size;
          }
        g_print ("on disk:      compiled file %.1f MB, parts %.1f MB\n", compiled / 1e6, parts / 1e6);
      }
    }
  return 0;
}

static int
run_child (const char *mode,
           const char *dir,
           guint       n_shared,
           const char *gen_path,
           guint       n_generated,
           const char *compiled)
{
  g_autoptr(GPtrArray) probes = gen_probes (n_generated);
  g_autoptr(GnBlocklist) list = NULL;
  gint64 t0, t1;
  double c0, c1;
  Mem m0, m1;

  m0 = read_mem ();
  c0 = cpu_seconds ();
  t0 = g_get_monotonic_time ();
  if (g_str_equal (mode, "parse"))
    list = parse_all (dir, n_shared, gen_path, 0);
  else
    list = load_mapped (compiled);
  t1 = g_get_monotonic_time ();
  c1 = cpu_seconds ();
  m1 = read_mem ();

  g_print ("== %s ==\n", mode);
  g_print ("rules:        %zu (%s)\n", gn_blocklist_get_n_rules (list),
           gn_blocklist_is_mapped (list) ? "mapped" : "heap");
  g_print ("ready:        %.3f s (CPU time %.3f s)\n", (t1 - t0) / 1e6, c1 - c0);
  print_mem ("after load:", m0, m1);

  if (g_str_equal (mode, "parse"))
    {
      t0 = g_get_monotonic_time ();
      save (list, compiled);
      t1 = g_get_monotonic_time ();
      g_print ("save:         %.3f s (%.1f MB file)\n", (t1 - t0) / 1e6,
               gn_blocklist_get_memory_size (list) / 1e6);
    }

  /* a realistic working set first: 10,000 distinct hosts */
  for (guint i = 0; i < MIN (10000, probes->len); i++)
    gn_blocklist_lookup (list, g_ptr_array_index (probes, i * (probes->len / 10000 + 1) % probes->len), NULL);
  print_mem ("10 k hosts:", m0, read_mem ());
  measure_all (list, probes);
  print_mem ("after lookups:", m0, read_mem ());

  if (g_str_equal (mode, "reload"))
    {
      /* what the manager's worker does when a list changed, while the old
       * set keeps serving */
      g_autoptr(GnBlocklist) heap = NULL;
      g_autoptr(GnBlocklist) fresh = NULL;

      c0 = cpu_seconds ();
      t0 = g_get_monotonic_time ();
      /* sized like the set it replaces, as the manager does */
      heap = parse_all (dir, n_shared, gen_path, gn_blocklist_get_n_rules (list));
      save (heap, compiled);
      fresh = load_mapped (compiled);
      g_clear_pointer (&heap, gn_blocklist_unref);
      t1 = g_get_monotonic_time ();
      c1 = cpu_seconds ();
      g_print ("reload:       %.3f s (CPU time %.3f s) parse + save + map\n", (t1 - t0) / 1e6, c1 - c0);
      print_mem ("both sets:", m0, read_mem ());
      g_clear_pointer (&list, gn_blocklist_unref);   /* the engine drops the old set */
      print_mem ("old dropped:", m0, read_mem ());
      measure_all (fresh, probes);
      print_mem ("new warmed:", m0, read_mem ());
    }

  return 0;
}

int
main (int argc, char *argv[])
{
  const char *dir;
  guint total;
  g_autoptr(GError) error = NULL;
  g_autoptr(GRand) rand = g_rand_new_with_seed (42);
  g_autofree char *gen_path = NULL;
  g_autofree char *compiled = NULL;
  g_autofree char *n_shared_str = NULL;
  g_autofree char *n_gen_str = NULL;
  guint64 shared_count = 0;
  guint n_shared = G_N_ELEMENTS (shared);
  const char *modes[] = { "parse", "mmap", "reload" };
  FILE *f;
  int fd;

  /* a child: bench-blocklist --child MODE DIR N_SHARED GEN_PATH N_GENERATED COMPILED */
  if (argc == 5 && g_str_equal (argv[1], "--manager"))
    return run_manager (argv[2], argv[3], g_str_equal (argv[4], "reload"));
  if (argc == 8 && g_str_equal (argv[1], "--child"))
    return run_child (argv[2], argv[3], (guint) g_ascii_strtoull (argv[4], NULL, 10), argv[5],
                      (guint) g_ascii_strtoull (argv[6], NULL, 10), argv[7]);

  dir = argc > 1 ? argv[1] : g_getenv ("GN_FULL_BLOCKLISTS");
  if (dir == NULL)
    dir = "";  /* no real lists: generated names only */
  total = argc > 2 ? (guint) g_ascii_strtoull (argv[2], NULL, 10) : 1300000;

  /* the real lists live outside the tree: without them, generated names only */
  if (!g_file_test (dir, G_FILE_TEST_IS_DIR))
    {
      g_printerr ("%s not found: generated names only (pass the folder of the real lists "
                  "as the first argument)\n", dir);
      n_shared = 0;
    }

  /* count what the shared lists give, then generate the rest */
  {
    g_autoptr(GnBlocklistBuilder) scratch = gn_blocklist_builder_new ();

    for (guint i = 0; i < n_shared; i++)
      {
        g_autofree char *path = g_build_filename (dir, shared[i], NULL);

        if (!gn_blocklist_builder_add_file (scratch, shared[i], path, GN_BLOCKLIST_FORMAT_AUTO,
                                            NULL, NULL, &error))
          g_error ("%s", error->message);
      }
    shared_count = gn_blocklist_builder_get_n_rules (scratch);
    total = total > shared_count ? total - (guint) shared_count : 0;
  }

  /* the generated part, as a plain-domain list on disk */
  fd = g_file_open_tmp ("gn-bench-XXXXXX.txt", &gen_path, &error);
  g_assert_no_error (error);
  f = fdopen (fd, "w");
  for (guint i = 0; i < total; i++)
    {
      char name[64];

      gen_name (rand, name, sizeof name, i);
      fprintf (f, "%s\n", name);
    }
  fclose (f);
  compiled = g_strconcat (gen_path, ".gnbl", NULL);
  n_shared_str = g_strdup_printf ("%u", n_shared);
  n_gen_str = g_strdup_printf ("%u", total);

  g_print ("%" G_GUINT64_FORMAT " names from the shared lists, %u generated\n", shared_count, total);
  /* GN_BENCH_MANAGER_ONLY=1: only the manager's starts and reloads */
  for (guint m = 0; m < G_N_ELEMENTS (modes) && g_getenv ("GN_BENCH_MANAGER_ONLY") == NULL; m++)
    {
      const char *child_argv[] = { argv[0], "--child", modes[m], dir, n_shared_str, gen_path,
                                   n_gen_str, compiled, NULL };
      int status;

      if (!g_spawn_sync (NULL, (char **) child_argv, NULL, G_SPAWN_DEFAULT, NULL, NULL, NULL, NULL,
                         &status, &error) ||
          !g_spawn_check_wait_status (status, &error))
        g_error ("%s: %s", modes[m], error->message);
    }

  /* the same lists as a manager's cache: started twice */
  {
    g_autofree char *tmp = g_dir_make_tmp ("gn-bench-XXXXXX", &error);
    g_autofree char *config_dir = g_build_filename (tmp, "config", NULL);
    g_autofree char *cache_dir = g_build_filename (tmp, "cache", NULL);
    g_autofree char *json_path = g_build_filename (config_dir, "blocklists.json", NULL);
    g_autofree char *compiled_path = g_build_filename (cache_dir, "compiled.gnbl", NULL);
    g_autoptr(GString) json = g_string_new ("{ \"version\": 1, \"sources\": [");
    g_autoptr(GPtrArray) links = g_ptr_array_new_with_free_func (g_free);

    g_assert_no_error (error);
    g_mkdir_with_parents (config_dir, 0700);
    g_mkdir_with_parents (cache_dir, 0700);
    for (guint i = 0; i <= n_shared; i++)
      {
        g_autofree char *target = i < n_shared ? g_build_filename (dir, shared[i], NULL)
                                               : g_strdup (gen_path);
        g_autofree char *link = g_strdup_printf ("%s/list%u.txt", cache_dir, i);
        g_autoptr(GFile) from = g_file_new_for_path (target);
        g_autoptr(GFile) to = g_file_new_for_path (link);

        /* a copy, as a download would leave it (no symlinks on Windows) */
        if (!g_file_copy (from, to, G_FILE_COPY_NONE, NULL, NULL, NULL, &error))
          g_error ("%s", error->message);
        g_ptr_array_add (links, g_steal_pointer (&link));
        g_string_append_printf (json, "%s{ \"id\": \"list%u\", \"name\": \"List %u\", "
                                "\"url\": \"https://lists.invalid/%u\", \"enabled\": true, "
                                "\"format\": \"auto\", \"last-success\": 1 }",
                                i > 0 ? ", " : "", i, i, i);
      }
    g_string_append (json, "], \"allowlist\": [], \"blocklist\": [] }");
    if (!g_file_set_contents (json_path, json->str, -1, &error))
      g_error ("%s", error->message);

    for (guint run = 0; run < 2; run++)
      {
        const char *child_argv[] = { argv[0], "--manager", config_dir, cache_dir,
                                     run == 0 ? "start" : "reload", NULL };
        int status;

        g_print ("-- %s start --\n", run == 0 ? "first (no compiled file)" : "next");
        if (!g_spawn_sync (NULL, (char **) child_argv, NULL, G_SPAWN_DEFAULT, NULL, NULL, NULL,
                           NULL, &status, &error) ||
            !g_spawn_check_wait_status (status, &error))
          g_error ("manager: %s", error->message);
      }

    for (guint i = 0; i < links->len; i++)
      g_unlink (g_ptr_array_index (links, i));
    g_unlink (compiled_path);
    {
      /* the per-source parts */
      g_autoptr(GDir) d = g_dir_open (cache_dir, 0, NULL);
      const char *name;

      while (d != NULL && (name = g_dir_read_name (d)) != NULL)
        {
          g_autofree char *path = g_build_filename (cache_dir, name, NULL);

          g_unlink (path);
        }
    }
    g_unlink (json_path);
    g_rmdir (config_dir);
    g_rmdir (cache_dir);
    g_rmdir (tmp);
  }

  g_unlink (gen_path);
  g_unlink (compiled);
  return 0;
}
