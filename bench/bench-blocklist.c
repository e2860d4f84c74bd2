/* bench-blocklist.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Builds a 1.3 M-domain blocklist (the shared real lists plus generated
 * names written to a temporary hosts/domains file), then reports load time,
 * the RSS it added, and lookups per second for names that hit (subdomains of
 * listed names) and names that miss. Never a pass/fail test: the figures go
 * into bench/README.md.
 *
 * Usage: bench-blocklist [SHARED_BLOCKLISTS_DIR] [TOTAL_DOMAINS]
 * Threading: single-threaded.
 */

#include <stdio.h>
#include <time.h>
#include <string.h>
#include <unistd.h>

#include <glib/gstdio.h>

#include "gn-blocklist.h"
#include "gn-blocklist-builder.h"

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

int
main (int argc, char *argv[])
{
  const char *dir = argc > 1 ? argv[1] : "../shared/blocklists";
  guint total = argc > 2 ? (guint) g_ascii_strtoull (argv[2], NULL, 10) : 1300000;
  const char *shared[] = { "hagezi-light.adblock.txt", "someonewhocares.hosts.txt",
                           "adaway.hosts.txt", "ublock.wildcard.txt" };
  g_autoptr(GnBlocklistBuilder) builder = gn_blocklist_builder_new ();
  g_autoptr(GnBlocklist) list = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GRand) rand = g_rand_new_with_seed (42);
  g_autofree char *gen_path = NULL;
  g_autoptr(GPtrArray) probes = g_ptr_array_new_with_free_func (g_free);
  gint64 t0, t1;
  double c0, c1;
  long rss0, rss1, hwm;
  guint64 shared_count = 0;
  guint n_shared = G_N_ELEMENTS (shared);
  FILE *f;
  int fd;

  /* the real lists live outside the tree: without them, generated names only */
  if (!g_file_test (dir, G_FILE_TEST_IS_DIR))
    {
      g_printerr ("%s not found: generated names only (pass the folder of the real lists "
                  "as the first argument)\n", dir);
      n_shared = 0;
    }

  /* count what the shared lists give (untimed), then generate the rest */
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
      if (i % 10 == 0)
        g_ptr_array_add (probes, g_strdup_printf ("www.img.%s", name));  /* hits */
    }
  fclose (f);

  rss0 = read_status_kb ("VmRSS:");
  c0 = cpu_seconds ();
  t0 = g_get_monotonic_time ();
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
  list = gn_blocklist_builder_end (g_steal_pointer (&builder));
  t1 = g_get_monotonic_time ();
  c1 = cpu_seconds ();
  rss1 = read_status_kb ("VmRSS:");
  hwm = read_status_kb ("VmHWM:");
  g_unlink (gen_path);

  g_print ("rules:        %zu (%" G_GUINT64_FORMAT " from the shared lists)\n",
           gn_blocklist_get_n_rules (list), shared_count);
  g_print ("load:         %.3f s (CPU time %.3f s)\n", (t1 - t0) / 1e6, c1 - c0);
  g_print ("rule memory:  %.1f MB\n", gn_blocklist_get_memory_size (list) / 1e6);
  g_print ("RSS added:    %.1f MB (RSS %.1f MB, peak %.1f MB)\n",
           (rss1 - rss0) / 1024.0, rss1 / 1024.0, hwm / 1024.0);

  /* lookups, every one a different name spread over the whole table (no
   * cache help), then the same few hosts over and over (like browsing) */
  {
    g_autoptr(GPtrArray) misses = g_ptr_array_new_with_free_func (g_free);
    g_autoptr(GPtrArray) mixed = g_ptr_array_new ();
    g_autoptr(GPtrArray) warm = g_ptr_array_new ();

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

  return 0;
}
