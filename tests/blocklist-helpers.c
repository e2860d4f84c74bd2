/* blocklist-helpers.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * See blocklist-helpers.h.
 *
 * Threading: see blocklist-helpers.h.
 */

#include "blocklist-helpers.h"

void
gn_test_write_file (const char *dir,
                    const char *name,
                    const char *text)
{
  g_autofree char *path = g_build_filename (dir, name, NULL);
  g_autoptr(GError) error = NULL;

  g_file_set_contents (path, text, -1, &error);
  g_assert_no_error (error);
}

/* The set's counts, its list names, then each probe's answer: two sets
 * with the same text answer every probe the same way. */
char *
gn_test_describe_blocklist (GnBlocklist        *list,
                            const char * const *probes,
                            guint               n_probes)
{
  GString *out = g_string_new (NULL);

  g_string_append_printf (out, "rules %zu, allow %zu, lists %u\n", gn_blocklist_get_n_rules (list),
                          gn_blocklist_get_n_allow_rules (list), gn_blocklist_get_n_lists (list));
  for (guint i = 0; i < gn_blocklist_get_n_lists (list); i++)
    g_string_append_printf (out, "list %u: %s\n", i, gn_blocklist_get_list_name (list, i));
  for (guint i = 0; i < n_probes; i++)
    {
      GnMatch match;
      GnMatchKind kind = gn_blocklist_lookup (list, probes[i], &match);

      g_string_append_printf (out, "%s: %d %s %s\n", probes[i], kind,
                              match.list_name ? match.list_name : "-", match.rule ? match.rule : "-");
    }
  return g_string_free (out, FALSE);
}

static void
on_changed (GnBlocklistManager *mgr,
            GnBlocklist        *list,
            gpointer            user_data)
{
  guint *changes = user_data;

  (*changes)++;
}

/* Until ::blocklist-changed has come once more than @before. */
void
gn_test_wait_for_change (const guint *changes,
                         guint        before)
{
  while (*changes == before)
    g_main_context_iteration (NULL, TRUE);
}

/* A manager on these folders, downloads off, loaded, its first build
 * done; each ::blocklist-changed adds one to *@changes, which must outlive
 * the manager. */
GnBlocklistManager *
gn_test_start_manager (const char *config_dir,
                       const char *cache_dir,
                       guint      *changes)
{
  g_autoptr(GError) error = NULL;
  GnBlocklistManager *mgr = gn_blocklist_manager_new (config_dir, cache_dir);
  guint before = *changes;

  g_object_set (mgr, "download-missing", FALSE, NULL);
  g_signal_connect (mgr, "blocklist-changed", G_CALLBACK (on_changed), changes);
  g_assert_true (gn_blocklist_manager_load (mgr, &error));
  g_assert_no_error (error);
  gn_test_wait_for_change (changes, before);
  return mgr;
}

/* Drops the last reference and waits (bounded) until work still in flight
 * (a rebuild on a worker) lets the object go: it must be freed, not leaked. */
void
gn_test_finalize_and_wait (gpointer object)
{
  gpointer weak = object;
  gint64 deadline = g_get_monotonic_time () + 10 * G_USEC_PER_SEC;

  g_object_add_weak_pointer (object, &weak);
  g_object_unref (object);
  while (weak != NULL && g_get_monotonic_time () < deadline)
    g_main_context_iteration (NULL, FALSE) || (g_usleep (1000), TRUE);
  g_assert_null (weak);
}
