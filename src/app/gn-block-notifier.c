/* gn-block-notifier.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The policy behind the "domain blocked" notification: new today?
 * rate-limited? how is a group worded? See gn-block-notifier.h.
 *
 * A group is due at the later of (first pending domain + settle time) and
 * (previous group + interval): a page that loads twelve trackers gives one
 * notification, and a busy day never more than one per interval.
 *
 * Threading: the owner thread only; the timer runs on the thread-default
 * main context at construction.
 */

#include <glib/gi18n.h>

#include "gn-block-notifier.h"

struct _GnBlockNotifier
{
  GObject       parent_instance;

  GnClockFunc   clock;
  gpointer      clock_data;
  GMainContext *context;        /* (owned) */
  GSource      *timer;          /* (owned) (nullable) */
  guint         interval_ms;
  guint         settle_ms;
  gboolean      enabled;
  gint          day;            /* local yyyymmdd of seen_today */
  GHashTable   *seen_today;     /* (owned) domain set */
  GPtrArray    *pending;        /* (owned) (element-type utf8) */
  gint64        first_pending;  /* µs, wall clock */
  gint64        last_sent;      /* µs, 0: never */
};

G_DEFINE_FINAL_TYPE (GnBlockNotifier, gn_block_notifier, G_TYPE_OBJECT)

enum { GROUP, N_SIGNALS };
static guint signals[N_SIGNALS];

static gint64
real_clock (gpointer user_data)
{
  return g_get_real_time ();
}

static gint64
now (GnBlockNotifier *self)
{
  return self->clock (self->clock_data);
}

static gint
local_day (gint64 usec)
{
  g_autoptr(GDateTime) dt = g_date_time_new_from_unix_local (usec / G_USEC_PER_SEC);

  if (dt == NULL)
    return 0;
  return g_date_time_get_year (dt) * 10000 + g_date_time_get_month (dt) * 100 +
         g_date_time_get_day_of_month (dt);
}

/* A new local day forgets what was seen: the first block of each domain
 * is news again. */
static void
roll_day (GnBlockNotifier *self,
          gint64           at)
{
  gint day = local_day (at);

  if (day != self->day)
    {
      self->day = day;
      g_hash_table_remove_all (self->seen_today);
    }
}

static gint64
due_at (GnBlockNotifier *self)
{
  gint64 due = self->first_pending + (gint64) self->settle_ms * 1000;

  if (self->last_sent != 0)
    due = MAX (due, self->last_sent + (gint64) self->interval_ms * 1000);
  return due;
}

static gboolean
timer_cb (gpointer user_data)
{
  GnBlockNotifier *self = user_data;

  g_clear_pointer (&self->timer, g_source_unref);
  gn_block_notifier_check (self);
  return G_SOURCE_REMOVE;
}

static void
schedule (GnBlockNotifier *self)
{
  gint64 delay;

  if (self->timer != NULL)
    {
      g_source_destroy (self->timer);
      g_clear_pointer (&self->timer, g_source_unref);
    }
  if (self->pending->len == 0)
    return;
  delay = due_at (self) - now (self);
  self->timer = g_timeout_source_new (delay > 0 ? (guint) ((delay + 999) / 1000) : 0);
  g_source_set_static_name (self->timer, "[guardnest] block notifier");
  g_source_set_callback (self->timer, timer_cb, self, NULL);
  g_source_attach (self->timer, self->context);
}

void
gn_block_notifier_check (GnBlockNotifier *self)
{
  g_autoptr(GPtrArray) domains = NULL;
  g_autofree char *title = NULL;
  g_autofree char *body = NULL;
  gint64 t;

  g_return_if_fail (GN_IS_BLOCK_NOTIFIER (self));

  if (self->pending->len == 0)
    return;
  t = now (self);
  if (t < due_at (self))
    {
      schedule (self);
      return;
    }

  domains = g_steal_pointer (&self->pending);
  self->pending = g_ptr_array_new_with_free_func (g_free);
  g_ptr_array_add (domains, NULL);
  self->last_sent = t;
  if (self->timer != NULL)
    {
      g_source_destroy (self->timer);
      g_clear_pointer (&self->timer, g_source_unref);
    }
  gn_block_notifier_format ((const char * const *) domains->pdata, &title, &body);
  g_signal_emit (self, signals[GROUP], 0, (GStrv) domains->pdata, title, body);
}

void
gn_block_notifier_add_blocked (GnBlockNotifier *self,
                               const char      *domain)
{
  gint64 t;

  g_return_if_fail (GN_IS_BLOCK_NOTIFIER (self));
  g_return_if_fail (domain != NULL);

  t = now (self);
  roll_day (self, t);
  if (g_hash_table_contains (self->seen_today, domain))
    return;
  g_hash_table_add (self->seen_today, g_strdup (domain));
  if (!self->enabled)
    return;

  if (self->pending->len == 0)
    self->first_pending = t;
  g_ptr_array_add (self->pending, g_strdup (domain));
  if (self->pending->len == 1)
    schedule (self);
}

gboolean
gn_block_notifier_seen_today (GnBlockNotifier *self,
                              const char      *domain)
{
  g_return_val_if_fail (GN_IS_BLOCK_NOTIFIER (self), FALSE);
  g_return_val_if_fail (domain != NULL, FALSE);

  roll_day (self, now (self));
  return g_hash_table_contains (self->seen_today, domain);
}

static void
add_infos (GnBlockNotifier *self,
           GPtrArray       *infos)
{
  for (guint i = 0; infos != NULL && i < infos->len; i++)
    {
      const GnConnectionInfo *info = g_ptr_array_index (infos, i);

      if (info->kind == GN_CONNECTION_KIND_BLOCKED && info->host != NULL)
        gn_block_notifier_add_blocked (self, info->host);
    }
}

void
gn_block_notifier_apply_batch (GnBlockNotifier         *self,
                               const GnConnectionBatch *batch)
{
  g_return_if_fail (GN_IS_BLOCK_NOTIFIER (self));
  g_return_if_fail (batch != NULL);

  add_infos (self, batch->added);
  add_infos (self, batch->changed);
}

void
gn_block_notifier_format (const char * const  *domains,
                          char               **title,
                          char               **body)
{
  guint n;
  g_autoptr(GString) examples = g_string_new (NULL);

  g_return_if_fail (domains != NULL && domains[0] != NULL);
  g_return_if_fail (title != NULL && body != NULL);

  n = g_strv_length ((char **) domains);
  if (n == 1)
    {
      *title = g_strdup_printf (_("%s blocked"), domains[0]);
      *body = g_strdup (_("GuardNest stopped a connection to it. If a page does not work, "
                          "you can allow it."));
      return;
    }

  for (guint i = 0; i < n && i < GN_BLOCK_NOTIFIER_MAX_EXAMPLES; i++)
    {
      if (i > 0)
        g_string_append (examples, ", ");
      g_string_append (examples, domains[i]);
    }
  *title = g_strdup_printf (ngettext ("%u domain blocked", "%u domains blocked", n), n);
  if (n > GN_BLOCK_NOTIFIER_MAX_EXAMPLES)
    *body = g_strdup_printf (_("For example %s and %u more"), examples->str,
                             n - GN_BLOCK_NOTIFIER_MAX_EXAMPLES);
  else
    *body = g_strdup (examples->str);
}

void
gn_block_notifier_set_clock (GnBlockNotifier *self,
                             GnClockFunc      clock,
                             gpointer         user_data)
{
  g_return_if_fail (GN_IS_BLOCK_NOTIFIER (self));

  self->clock = clock != NULL ? clock : real_clock;
  self->clock_data = clock != NULL ? user_data : NULL;
  schedule (self);
}

void
gn_block_notifier_set_timing (GnBlockNotifier *self,
                              guint            interval_ms,
                              guint            settle_ms)
{
  g_return_if_fail (GN_IS_BLOCK_NOTIFIER (self));

  self->interval_ms = interval_ms;
  self->settle_ms = settle_ms;
  schedule (self);
}

void
gn_block_notifier_set_enabled (GnBlockNotifier *self,
                               gboolean         enabled)
{
  g_return_if_fail (GN_IS_BLOCK_NOTIFIER (self));

  enabled = !!enabled;
  if (self->enabled == enabled)
    return;
  self->enabled = enabled;
  if (!enabled)
    {
      g_ptr_array_set_size (self->pending, 0);
      schedule (self);
    }
}

gboolean
gn_block_notifier_get_enabled (GnBlockNotifier *self)
{
  g_return_val_if_fail (GN_IS_BLOCK_NOTIFIER (self), FALSE);
  return self->enabled;
}

static void
gn_block_notifier_finalize (GObject *object)
{
  GnBlockNotifier *self = (GnBlockNotifier *) object;

  if (self->timer != NULL)
    {
      g_source_destroy (self->timer);
      g_clear_pointer (&self->timer, g_source_unref);
    }
  g_clear_pointer (&self->context, g_main_context_unref);
  g_clear_pointer (&self->seen_today, g_hash_table_unref);
  g_clear_pointer (&self->pending, g_ptr_array_unref);

  G_OBJECT_CLASS (gn_block_notifier_parent_class)->finalize (object);
}

static void
gn_block_notifier_class_init (GnBlockNotifierClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->finalize = gn_block_notifier_finalize;

  signals[GROUP] =
    g_signal_new ("group", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
                  G_TYPE_NONE, 3, G_TYPE_STRV, G_TYPE_STRING, G_TYPE_STRING);
}

static void
gn_block_notifier_init (GnBlockNotifier *self)
{
  self->clock = real_clock;
  self->context = g_main_context_ref_thread_default ();
  self->interval_ms = GN_BLOCK_NOTIFIER_INTERVAL_MS;
  self->settle_ms = GN_BLOCK_NOTIFIER_SETTLE_MS;
  self->enabled = TRUE;
  self->seen_today = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  self->pending = g_ptr_array_new_with_free_func (g_free);
}

GnBlockNotifier *
gn_block_notifier_new (void)
{
  return g_object_new (GN_TYPE_BLOCK_NOTIFIER, NULL);
}
