/* bench-history.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Write cost of the statistics history (not a test): what one flush of
 * GnHistoryStore costs on its writer thread when the proxy carries
 * --rate requests per second (default 1,000) with --domains distinct
 * blocked domains a flush (default 50). Each round records one flush
 * interval's worth (2 s of traffic) on this thread, then times
 * gn_history_store_sync() — the append of the batch's lines plus its
 * fdatasync — and, separately, what recording cost here (the owner's
 * side, which is the main thread in the app).
 *
 *   ./_build/dev/bench/bench-history [--rate N] [--rounds N] [--domains N] [--dir DIR]
 *
 * The files go in a temporary folder (or --dir, to measure another disk).
 */

#include <stdlib.h>

#include <glib/gstdio.h>

#include "gn-history-store.h"

static gint
cmp_i64 (gconstpointer a,
         gconstpointer b)
{
  gint64 x = *(const gint64 *) a, y = *(const gint64 *) b;
  return x < y ? -1 : x > y;
}

static void
report (const char *what,
        GArray     *us)
{
  g_array_sort (us, cmp_i64);
  g_print ("%s: median %.3f ms, p90 %.3f ms, max %.3f ms over %u rounds\n", what,
           g_array_index (us, gint64, us->len / 2) / 1000.0,
           g_array_index (us, gint64, us->len * 9 / 10) / 1000.0,
           g_array_index (us, gint64, us->len - 1) / 1000.0, us->len);
}

int
main (int   argc,
      char *argv[])
{
  int rate = 1000, rounds = 30, n_domains = 50;
  g_autofree char *dir = NULL;
  GOptionEntry entries[] = {
    { "rate", 0, 0, G_OPTION_ARG_INT, &rate, "Requests per second", "N" },
    { "rounds", 0, 0, G_OPTION_ARG_INT, &rounds, "Flushes to time", "N" },
    { "domains", 0, 0, G_OPTION_ARG_INT, &n_domains, "Distinct blocked domains per flush", "N" },
    { "dir", 0, 0, G_OPTION_ARG_FILENAME, &dir, "Folder for the files (default: a temporary one)", "DIR" },
    { NULL }
  };
  g_autoptr(GOptionContext) options = g_option_context_new ("- history write cost");
  g_autoptr(GError) error = NULL;
  g_autoptr(GnHistoryStore) store = NULL;
  g_autoptr(GArray) sync_us = g_array_new (FALSE, FALSE, sizeof (gint64));
  g_autoptr(GArray) record_us = g_array_new (FALSE, FALSE, sizeof (gint64));
  g_autofree char *tmp = NULL;
  gint64 now = g_get_real_time ();
  guint per_flush;

  g_option_context_add_main_entries (options, entries, NULL);
  if (!g_option_context_parse (options, &argc, &argv, &error))
    {
      g_printerr ("%s\n", error->message);
      return 2;
    }
  rate = CLAMP (rate, 1, 1000000);
  rounds = CLAMP (rounds, 1, 100000);
  n_domains = CLAMP (n_domains, 0, 100000);
  if (dir == NULL)
    {
      tmp = g_dir_make_tmp ("guardnest-bench-history-XXXXXX", &error);
      g_assert_no_error (error);
      dir = g_strdup (tmp);
    }
  store = gn_history_store_new (dir);
  per_flush = (guint) rate * GN_HISTORY_FLUSH_MS / 1000;

  for (int r = 0; r < rounds; r++)
    {
      gint64 start = g_get_monotonic_time ();

      /* The batches of one flush interval: the registry delivers 4 a
       * second; each blocked request names its domain. */
      for (guint b = 0; b < GN_HISTORY_FLUSH_MS / 250; b++)
        gn_history_store_record (store, now + (gint64) r * GN_HISTORY_FLUSH_MS * 1000,
                                 per_flush / 8, per_flush / 80, per_flush * 60, per_flush * 2000,
                                 NULL);
      for (guint d = 0; d < per_flush / 10; d++)
        {
          char domain[64];

          g_snprintf (domain, sizeof domain, "ads%u.example.com", n_domains ? d % n_domains : 0);
          gn_history_store_record (store, now, 0, 0, 0, 0, domain);
        }
      {
        gint64 recorded = g_get_monotonic_time ();
        gint64 synced;

        g_assert_true (gn_history_store_sync (store, NULL));
        synced = g_get_monotonic_time ();
        g_array_append_val (record_us, (gint64) { recorded - start });
        g_array_append_val (sync_us, (gint64) { synced - recorded });
      }
    }
  g_print ("%d requests/s, one flush every %d ms (%u requests, %u blocked, %d domains each)\n",
           rate, GN_HISTORY_FLUSH_MS, per_flush, per_flush / 10, n_domains);
  report ("recording one flush's batches (owner thread)", record_us);
  report ("writing one flush: append + fdatasync (writer thread)", sync_us);
  g_clear_object (&store);
  if (tmp != NULL)
    {
      g_autofree char *cmd = g_strdup_printf ("rm -rf '%s'", tmp);
      (void) !system (cmd);
    }
  return 0;
}
