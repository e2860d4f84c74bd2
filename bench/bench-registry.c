/* bench-registry.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * What the connection registry costs the engine: nanoseconds per byte-count
 * update on the hot path (gn_connection_record_add_bytes(), called for
 * every chunk a tunnel copies), and how long building one batch takes when
 * many records changed. Never a pass/fail test.
 *
 * Usage: bench-registry [N_RECORDS] [N_UPDATES]
 *
 * Threading: everything on the main thread, which plays the engine thread;
 * one subscriber on a second context that the loop drains now and then, as
 * the window would.
 */

#include <stdlib.h>

#include "gn-connection-registry.h"

static void
batch_cb (const GnConnectionBatch *batch,
          gpointer                 data)
{
}

int
main (int argc, char *argv[])
{
  guint n_records = argc > 1 ? (guint) atoi (argv[1]) : 10000;
  guint n_updates = argc > 2 ? (guint) atoi (argv[2]) : 20000000;
  g_autoptr(GnConnectionRegistry) registry = gn_connection_registry_new (NULL);
  GMainContext *other = g_main_context_new ();
  GnConnectionRecord **records = g_new0 (GnConnectionRecord *, n_records);
  gint64 t0, t1;
  guint sub;

  if (n_records == 0)
    return 1;
  sub = gn_connection_registry_subscribe (registry, other, 50, batch_cb, NULL, NULL);

  t0 = g_get_monotonic_time ();
  for (guint i = 0; i < n_records; i++)
    {
      records[i] = gn_connection_registry_open (registry, "127.0.0.1", (guint16) i, NULL, NULL);
      gn_connection_record_set_target (records[i], "example.com", 443, GN_CONNECTION_KIND_TUNNEL);
    }
  t1 = g_get_monotonic_time ();
  g_print ("open %u records: %.0f ns each\n", n_records,
           (double) (t1 - t0) * 1000.0 / n_records);

  /* The hot path, with a batch built every 50 ms as in the window. */
  t0 = g_get_monotonic_time ();
  for (guint i = 0; i < n_updates; i++)
    {
      gn_connection_record_add_bytes (records[(i * 2654435761u) % n_records], 16384, 0);
      if ((i & 0xffff) == 0)
        {
          g_main_context_iteration (NULL, FALSE);
          while (g_main_context_iteration (other, FALSE))   /* the window */
            ;
        }
    }
  t1 = g_get_monotonic_time ();
  g_print ("add_bytes over %u records: %.1f ns per update (%u updates, batches included)\n",
           n_records, (double) (t1 - t0) * 1000.0 / n_updates, n_updates);

  /* One batch with every record changed. */
  while (g_main_context_iteration (NULL, FALSE))
    ;
  g_usleep (60 * 1000);
  while (g_main_context_iteration (NULL, FALSE))
    ;
  for (guint i = 0; i < n_records; i++)
    gn_connection_record_add_bytes (records[i], 1, 1);
  g_usleep (60 * 1000);
  t0 = g_get_monotonic_time ();
  g_main_context_iteration (NULL, FALSE);
  t1 = g_get_monotonic_time ();
  g_print ("one batch of %u changed records: %.2f ms\n", n_records, (double) (t1 - t0) / 1000.0);

  for (guint i = 0; i < n_records; i++)
    gn_connection_registry_close (registry, records[i]);
  gn_connection_registry_unsubscribe (registry, sub);
  while (g_main_context_iteration (other, FALSE))
    ;
  g_main_context_unref (other);
  g_free (records);
  return 0;
}
