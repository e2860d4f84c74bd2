/* test-buffer-pool.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * GnBufferPool: buffers are reused up to max_free, the rest given back;
 * kept buffers nobody needed for a whole trim interval are given back
 * (by gn_buffer_pool_trim() and by the pool's own timer on its context).
 *
 * Threading: the test's thread only.
 */

#include "gn-buffer-pool.h"

#define SIZE (256 * 1024)

static void
test_reuse_and_cap (void)
{
  GnBufferPool *pool = gn_buffer_pool_new (SIZE, 2, NULL);
  gpointer b[4];

  for (guint i = 0; i < G_N_ELEMENTS (b); i++)
    {
      b[i] = gn_buffer_pool_acquire (pool);
      /* Every byte is writable. */
      memset (b[i], (int) i, SIZE);
    }
  g_assert_cmpuint (gn_buffer_pool_get_n_in_use (pool), ==, 4);
  for (guint i = 0; i < G_N_ELEMENTS (b); i++)
    gn_buffer_pool_release (pool, b[i]);
  g_assert_cmpuint (gn_buffer_pool_get_n_in_use (pool), ==, 0);
  /* Only max_free are kept. */
  g_assert_cmpuint (gn_buffer_pool_get_n_free (pool), ==, 2);
  /* And reused: the last one released comes back first. */
  g_assert_true (gn_buffer_pool_acquire (pool) == b[1]);
  g_assert_cmpuint (gn_buffer_pool_get_n_free (pool), ==, 1);
  gn_buffer_pool_release (pool, b[1]);
  gn_buffer_pool_free (pool);
}

static void
test_trim (void)
{
  GnBufferPool *pool = gn_buffer_pool_new (SIZE, 8, NULL);
  gpointer b[4], again;

  for (guint i = 0; i < G_N_ELEMENTS (b); i++)
    b[i] = gn_buffer_pool_acquire (pool);
  for (guint i = 0; i < G_N_ELEMENTS (b); i++)
    gn_buffer_pool_release (pool, b[i]);
  g_assert_cmpuint (gn_buffer_pool_get_n_free (pool), ==, 4);

  /* All four were in use during this interval: none is surplus yet. */
  g_assert_cmpuint (gn_buffer_pool_trim (pool), ==, 0);
  g_assert_cmpuint (gn_buffer_pool_get_n_free (pool), ==, 4);

  /* One is taken and given back in the next interval: at most three stayed
   * unused the whole time. */
  again = gn_buffer_pool_acquire (pool);
  gn_buffer_pool_release (pool, again);
  g_assert_cmpuint (gn_buffer_pool_trim (pool), ==, 3);
  g_assert_cmpuint (gn_buffer_pool_get_n_free (pool), ==, 1);

  /* Nobody needs the last one in the next interval. */
  g_assert_cmpuint (gn_buffer_pool_trim (pool), ==, 1);
  g_assert_cmpuint (gn_buffer_pool_get_n_free (pool), ==, 0);
  g_assert_cmpuint (gn_buffer_pool_trim (pool), ==, 0);

  /* The pool still lends buffers after a trim. */
  again = gn_buffer_pool_acquire (pool);
  memset (again, 1, SIZE);
  gn_buffer_pool_release (pool, again);
  gn_buffer_pool_free (pool);
}

static gboolean
timeout_cb (gpointer data)
{
  *(gboolean *) data = TRUE;
  return G_SOURCE_REMOVE;
}

static void
test_trim_timer (void)
{
  g_autoptr(GMainContext) context = g_main_context_new ();
  GnBufferPool *pool = gn_buffer_pool_new (SIZE, 8, context);
  gpointer b[3];
  gboolean timed_out = FALSE;
  GSource *timeout;

  for (guint i = 0; i < G_N_ELEMENTS (b); i++)
    b[i] = gn_buffer_pool_acquire (pool);
  for (guint i = 0; i < G_N_ELEMENTS (b); i++)
    gn_buffer_pool_release (pool, b[i]);
  g_assert_cmpuint (gn_buffer_pool_get_n_free (pool), ==, 3);

  /* The pool's timer gives them back within two intervals (generous bound:
   * this is not a timing test). */
  timeout = g_timeout_source_new_seconds (60);
  g_source_set_callback (timeout, timeout_cb, &timed_out, NULL);
  g_source_attach (timeout, context);
  while (gn_buffer_pool_get_n_free (pool) > 0 && !timed_out)
    g_main_context_iteration (context, TRUE);
  g_assert_false (timed_out);
  g_assert_cmpuint (gn_buffer_pool_get_n_free (pool), ==, 0);
  g_source_destroy (timeout);
  g_source_unref (timeout);

  /* Released again, then the pool is freed with its timer pending. */
  b[0] = gn_buffer_pool_acquire (pool);
  gn_buffer_pool_release (pool, b[0]);
  gn_buffer_pool_free (pool);
  /* Nothing of the pool is left on the context. */
  while (g_main_context_iteration (context, FALSE))
    ;
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/buffer-pool/reuse-and-cap", test_reuse_and_cap);
  g_test_add_func ("/buffer-pool/trim", test_trim);
  g_test_add_func ("/buffer-pool/trim-timer", test_trim_timer);
  return g_test_run ();
}
