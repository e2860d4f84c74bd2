/* test-block-notifier.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The "domain blocked" notification's policy (src/app/gn-block-notifier.c)
 * with an injected clock: a new domain once a day, never more than one
 * group per interval, grouped words, off means nothing, and batches from
 * the registry count only blocked records.
 */

#include "gn-block-notifier.h"

typedef struct
{
  GnBlockNotifier *notifier;
  gint64           now;      /* µs */
  GPtrArray       *groups;   /* (element-type GStrv) */
  GPtrArray       *titles;   /* (element-type utf8) */
  GPtrArray       *bodies;   /* (element-type utf8) */
} Fixture;

static gint64
fake_clock (gpointer user_data)
{
  Fixture *f = user_data;
  return f->now;
}

static void
group_cb (GnBlockNotifier *notifier,
          GStrv            domains,
          const char      *title,
          const char      *body,
          Fixture         *f)
{
  g_ptr_array_add (f->groups, g_strdupv (domains));
  g_ptr_array_add (f->titles, g_strdup (title));
  g_ptr_array_add (f->bodies, g_strdup (body));
}

static void
setup (Fixture       *f,
       gconstpointer  data)
{
  g_autoptr(GDateTime) noon = g_date_time_new_local (2026, 12, 3, 12, 0, 0);

  f->now = g_date_time_to_unix (noon) * G_USEC_PER_SEC;
  f->groups = g_ptr_array_new_with_free_func ((GDestroyNotify) g_strfreev);
  f->titles = g_ptr_array_new_with_free_func (g_free);
  f->bodies = g_ptr_array_new_with_free_func (g_free);
  f->notifier = gn_block_notifier_new ();
  gn_block_notifier_set_clock (f->notifier, fake_clock, f);
  g_signal_connect (f->notifier, "group", G_CALLBACK (group_cb), f);
}

static void
teardown (Fixture       *f,
          gconstpointer  data)
{
  g_assert_finalize_object (g_steal_pointer (&f->notifier));
  g_ptr_array_unref (f->groups);
  g_ptr_array_unref (f->titles);
  g_ptr_array_unref (f->bodies);
}

static void
advance (Fixture *f,
         guint    ms)
{
  f->now += (gint64) ms * 1000;
  gn_block_notifier_check (f->notifier);
}

static const char *
group_domain (Fixture *f,
              guint    group,
              guint    i)
{
  GStrv domains = g_ptr_array_index (f->groups, group);
  return domains[i];
}

/* One new domain: one notification after the settle time, and never again
 * today however often it is blocked. */
static void
test_new_domain_once (Fixture       *f,
                      gconstpointer  data)
{
  gn_block_notifier_add_blocked (f->notifier, "ads.example");
  gn_block_notifier_add_blocked (f->notifier, "ads.example");
  g_assert_true (gn_block_notifier_seen_today (f->notifier, "ads.example"));
  advance (f, GN_BLOCK_NOTIFIER_SETTLE_MS - 1);
  g_assert_cmpuint (f->groups->len, ==, 0);
  advance (f, 1);
  g_assert_cmpuint (f->groups->len, ==, 1);
  g_assert_cmpstr (group_domain (f, 0, 0), ==, "ads.example");
  g_assert_null (group_domain (f, 0, 1));
  g_assert_cmpstr (g_ptr_array_index (f->titles, 0), ==, "ads.example blocked");

  for (guint i = 0; i < 100; i++)
    {
      gn_block_notifier_add_blocked (f->notifier, "ads.example");
      advance (f, 60 * 1000);
    }
  g_assert_cmpuint (f->groups->len, ==, 1);
}

/* A new local day makes it news again. */
static void
test_new_day (Fixture       *f,
              gconstpointer  data)
{
  gn_block_notifier_add_blocked (f->notifier, "ads.example");
  advance (f, GN_BLOCK_NOTIFIER_SETTLE_MS);
  g_assert_cmpuint (f->groups->len, ==, 1);

  advance (f, 11 * 3600 * 1000);  /* 23:00 */
  gn_block_notifier_add_blocked (f->notifier, "ads.example");
  advance (f, GN_BLOCK_NOTIFIER_SETTLE_MS);
  g_assert_cmpuint (f->groups->len, ==, 1);

  advance (f, 2 * 3600 * 1000);   /* 01:00 the next day */
  g_assert_false (gn_block_notifier_seen_today (f->notifier, "ads.example"));
  gn_block_notifier_add_blocked (f->notifier, "ads.example");
  advance (f, GN_BLOCK_NOTIFIER_SETTLE_MS);
  g_assert_cmpuint (f->groups->len, ==, 2);
}

/* Twelve domains within the settle time: one group, in order, with three
 * examples; what comes within the interval waits for it, then is one
 * group again. */
static void
test_grouped_and_rate_limited (Fixture       *f,
                               gconstpointer  data)
{
  for (guint i = 0; i < 12; i++)
    {
      g_autofree char *d = g_strdup_printf ("t%u.example", i);
      gn_block_notifier_add_blocked (f->notifier, d);
      f->now += 50 * 1000;
    }
  advance (f, GN_BLOCK_NOTIFIER_SETTLE_MS);
  g_assert_cmpuint (f->groups->len, ==, 1);
  g_assert_cmpuint (g_strv_length (g_ptr_array_index (f->groups, 0)), ==, 12);
  g_assert_cmpstr (group_domain (f, 0, 0), ==, "t0.example");
  g_assert_cmpstr (g_ptr_array_index (f->titles, 0), ==, "12 domains blocked");
  g_assert_cmpstr (g_ptr_array_index (f->bodies, 0), ==,
                   "For example t0.example, t1.example, t2.example and 9 more");

  /* 2 s later, two more: not before 10 s after the first group. */
  advance (f, 2000);
  gn_block_notifier_add_blocked (f->notifier, "late1.example");
  gn_block_notifier_add_blocked (f->notifier, "late2.example");
  advance (f, 5000);
  g_assert_cmpuint (f->groups->len, ==, 1);
  advance (f, GN_BLOCK_NOTIFIER_INTERVAL_MS - 7000 - 1);
  g_assert_cmpuint (f->groups->len, ==, 1);
  advance (f, 1);
  g_assert_cmpuint (f->groups->len, ==, 2);
  g_assert_cmpstr (g_ptr_array_index (f->titles, 1), ==, "2 domains blocked");
  g_assert_cmpstr (g_ptr_array_index (f->bodies, 1), ==, "late1.example, late2.example");
}

/* Off: nothing is announced, and what was blocked meanwhile is not news
 * when it is turned back on. */
static void
test_disabled (Fixture       *f,
               gconstpointer  data)
{
  gn_block_notifier_add_blocked (f->notifier, "a.example");
  gn_block_notifier_set_enabled (f->notifier, FALSE);
  gn_block_notifier_add_blocked (f->notifier, "b.example");
  advance (f, 60 * 1000);
  g_assert_cmpuint (f->groups->len, ==, 0);

  gn_block_notifier_set_enabled (f->notifier, TRUE);
  gn_block_notifier_add_blocked (f->notifier, "b.example");
  gn_block_notifier_add_blocked (f->notifier, "c.example");
  advance (f, GN_BLOCK_NOTIFIER_SETTLE_MS);
  g_assert_cmpuint (f->groups->len, ==, 1);
  g_assert_cmpstr (group_domain (f, 0, 0), ==, "c.example");
  g_assert_null (group_domain (f, 0, 1));
}

static GnConnectionInfo *
info (guint64          id,
      const char      *host,
      GnConnectionKind kind)
{
  GnConnectionInfo *i = g_new0 (GnConnectionInfo, 1);

  g_atomic_ref_count_init (&i->ref_count);
  i->id = id;
  i->client_address = g_ref_string_new ("127.0.0.1");
  i->host = host != NULL ? g_ref_string_new (host) : NULL;
  i->kind = kind;
  return i;
}

/* Only blocked records with a host count, added or changed. */
static void
test_batch (Fixture       *f,
            gconstpointer  data)
{
  GnConnectionBatch batch = { 0 };

  batch.added = g_ptr_array_new_with_free_func ((GDestroyNotify) gn_connection_info_unref);
  batch.changed = g_ptr_array_new_with_free_func ((GDestroyNotify) gn_connection_info_unref);
  g_ptr_array_add (batch.added, info (1, "ok.example", GN_CONNECTION_KIND_TUNNEL));
  g_ptr_array_add (batch.added, info (2, NULL, GN_CONNECTION_KIND_BLOCKED));
  g_ptr_array_add (batch.added, info (3, "ads.example", GN_CONNECTION_KIND_BLOCKED));
  g_ptr_array_add (batch.changed, info (4, "err.example", GN_CONNECTION_KIND_ERROR));
  g_ptr_array_add (batch.changed, info (5, "track.example", GN_CONNECTION_KIND_BLOCKED));
  gn_block_notifier_apply_batch (f->notifier, &batch);
  g_ptr_array_unref (batch.added);
  g_ptr_array_unref (batch.changed);

  advance (f, GN_BLOCK_NOTIFIER_SETTLE_MS);
  g_assert_cmpuint (f->groups->len, ==, 1);
  g_assert_cmpuint (g_strv_length (g_ptr_array_index (f->groups, 0)), ==, 2);
  g_assert_cmpstr (group_domain (f, 0, 0), ==, "ads.example");
  g_assert_cmpstr (group_domain (f, 0, 1), ==, "track.example");
  g_assert_false (gn_block_notifier_seen_today (f->notifier, "ok.example"));
}

/* The real clock and main loop: the timer sends by itself. */
static gboolean
quit_cb (gpointer loop)
{
  g_main_loop_quit (loop);
  return G_SOURCE_REMOVE;
}

static void
test_timer (void)
{
  g_autoptr(GnBlockNotifier) notifier = gn_block_notifier_new ();
  g_autoptr(GMainLoop) loop = g_main_loop_new (NULL, FALSE);
  guint timeout;

  gn_block_notifier_set_timing (notifier, 200, 50);
  g_signal_connect_swapped (notifier, "group", G_CALLBACK (g_main_loop_quit), loop);
  gn_block_notifier_add_blocked (notifier, "ads.example");
  timeout = g_timeout_add_seconds (5, quit_cb, loop);
  g_main_loop_run (loop);
  g_assert_true (g_source_remove (timeout));
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);
  g_setenv ("LANGUAGE", "C", TRUE);

#define ADD(path, func) \
  g_test_add (path, Fixture, NULL, setup, func, teardown)
  ADD ("/app/block-notifier/new-domain-once", test_new_domain_once);
  ADD ("/app/block-notifier/new-day", test_new_day);
  ADD ("/app/block-notifier/grouped-rate-limited", test_grouped_and_rate_limited);
  ADD ("/app/block-notifier/disabled", test_disabled);
  ADD ("/app/block-notifier/batch", test_batch);
  g_test_add_func ("/app/block-notifier/timer", test_timer);

  return g_test_run ();
}
