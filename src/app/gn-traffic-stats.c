/* gn-traffic-stats.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The figures of the Overview page: what the registry's batches say about
 * today (requests, blocked, bytes each way) and now (open connections),
 * plus requests and blocks per minute over the last hour for the chart.
 * The per-minute figures are the growth of the engine's running totals
 * between batches, put in a ring of 60 one-minute buckets; a total that
 * goes down means the engine restarted and counts from zero again.
 *
 * "Today" is the engine's count since midnight plus, with
 * gn_traffic_stats_set_earlier(), what earlier runs counted the same day
 * (read from the history store at start), so a restart does not reset it.
 *
 * Emits "changed" at most once per batch. Threading: main thread only.
 */

#include "gn-traffic-stats.h"

#define USEC_PER_MINUTE (G_USEC_PER_SEC * G_GINT64_CONSTANT (60))

struct _GnTrafficStats
{
  GObject    parent_instance;

  GnCounters today;        /* shown: engine_today + earlier (that day) */
  GnCounters engine_today;
  GnCounters earlier;      /* earlier runs, from earlier_from to earlier_to */
  gint64     earlier_from;
  gint64     earlier_to;
  GnCounters last_total;
  guint      open_now;
  gboolean   have_total;

  gint64     minute[GN_TRAFFIC_STATS_MINUTES];   /* minute number held by the slot */
  guint64    requests[GN_TRAFFIC_STATS_MINUTES];
  guint64    blocked[GN_TRAFFIC_STATS_MINUTES];
};

G_DEFINE_FINAL_TYPE (GnTrafficStats, gn_traffic_stats, G_TYPE_OBJECT)

enum {
  PROP_0,
  PROP_OPEN_NOW,
  PROP_REQUESTS_TODAY,
  PROP_BLOCKED_TODAY,
  PROP_BYTES_UP_TODAY,
  PROP_BYTES_DOWN_TODAY,
  N_PROPS
};

enum {
  CHANGED,
  N_SIGNALS
};

static GParamSpec *properties[N_PROPS];
static guint signals[N_SIGNALS];

static void
gn_traffic_stats_get_property (GObject    *object,
                               guint       prop_id,
                               GValue     *value,
                               GParamSpec *pspec)
{
  GnTrafficStats *self = GN_TRAFFIC_STATS (object);

  switch (prop_id)
    {
    case PROP_OPEN_NOW:
      g_value_set_uint (value, self->open_now);
      break;
    case PROP_REQUESTS_TODAY:
      g_value_set_uint64 (value, self->today.requests);
      break;
    case PROP_BLOCKED_TODAY:
      g_value_set_uint64 (value, self->today.blocked);
      break;
    case PROP_BYTES_UP_TODAY:
      g_value_set_uint64 (value, self->today.bytes_up);
      break;
    case PROP_BYTES_DOWN_TODAY:
      g_value_set_uint64 (value, self->today.bytes_down);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
gn_traffic_stats_class_init (GnTrafficStatsClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  const GParamFlags ro = G_PARAM_READABLE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY;

  object_class->get_property = gn_traffic_stats_get_property;

  properties[PROP_OPEN_NOW] = g_param_spec_uint ("open-now", NULL, NULL, 0, G_MAXUINT, 0, ro);
  properties[PROP_REQUESTS_TODAY] = g_param_spec_uint64 ("requests-today", NULL, NULL, 0, G_MAXUINT64, 0, ro);
  properties[PROP_BLOCKED_TODAY] = g_param_spec_uint64 ("blocked-today", NULL, NULL, 0, G_MAXUINT64, 0, ro);
  properties[PROP_BYTES_UP_TODAY] = g_param_spec_uint64 ("bytes-up-today", NULL, NULL, 0, G_MAXUINT64, 0, ro);
  properties[PROP_BYTES_DOWN_TODAY] = g_param_spec_uint64 ("bytes-down-today", NULL, NULL, 0, G_MAXUINT64, 0, ro);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  signals[CHANGED] = g_signal_new ("changed", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                                   0, NULL, NULL, NULL, G_TYPE_NONE, 0);
}

static void
gn_traffic_stats_init (GnTrafficStats *self)
{
  for (guint i = 0; i < GN_TRAFFIC_STATS_MINUTES; i++)
    self->minute[i] = -1;
}

GnTrafficStats *
gn_traffic_stats_new (void)
{
  return g_object_new (GN_TYPE_TRAFFIC_STATS, NULL);
}

static guint
slot_for (GnTrafficStats *self,
          gint64          minute)
{
  guint slot = (guint) (minute % GN_TRAFFIC_STATS_MINUTES);

  if (self->minute[slot] != minute)
    {
      self->minute[slot] = minute;
      self->requests[slot] = 0;
      self->blocked[slot] = 0;
    }
  return slot;
}

static guint64
growth (guint64 now,
        guint64 before)
{
  /* A smaller total: the engine restarted and counts from zero. */
  return now >= before ? now - before : now;
}

#define SET_U64(field, value, prop) G_STMT_START {                        \
  if (self->field != (value))                                             \
    {                                                                     \
      self->field = (value);                                              \
      g_object_notify_by_pspec (G_OBJECT (self), properties[prop]);       \
    }                                                                     \
} G_STMT_END

/* Today's figures shown: the engine's, plus earlier runs' that day. */
static void
update_today (GnTrafficStats *self,
              gint64          now_us)
{
  gboolean same_day = now_us >= self->earlier_from && now_us < self->earlier_to;
  GnCounters t = self->engine_today;

  if (same_day)
    {
      t.requests += self->earlier.requests;
      t.blocked += self->earlier.blocked;
      t.bytes_up += self->earlier.bytes_up;
      t.bytes_down += self->earlier.bytes_down;
    }
  SET_U64 (today.requests, t.requests, PROP_REQUESTS_TODAY);
  SET_U64 (today.blocked, t.blocked, PROP_BLOCKED_TODAY);
  SET_U64 (today.bytes_up, t.bytes_up, PROP_BYTES_UP_TODAY);
  SET_U64 (today.bytes_down, t.bytes_down, PROP_BYTES_DOWN_TODAY);
  self->today = t;
}

void
gn_traffic_stats_apply_batch (GnTrafficStats          *self,
                              const GnConnectionBatch *batch,
                              gint64                   now_us)
{
  guint slot;

  g_return_if_fail (GN_IS_TRAFFIC_STATS (self));
  g_return_if_fail (batch != NULL);

  slot = slot_for (self, now_us / USEC_PER_MINUTE);
  if (self->have_total)
    {
      self->requests[slot] += growth (batch->total.requests, self->last_total.requests);
      self->blocked[slot] += growth (batch->total.blocked, self->last_total.blocked);
    }
  else
    {
      self->requests[slot] += batch->total.requests;
      self->blocked[slot] += batch->total.blocked;
    }
  self->last_total = batch->total;
  self->have_total = TRUE;

  g_object_freeze_notify (G_OBJECT (self));
  SET_U64 (open_now, batch->open_now, PROP_OPEN_NOW);
  self->engine_today = batch->today;
  update_today (self, now_us);
  g_object_thaw_notify (G_OBJECT (self));

  g_signal_emit (self, signals[CHANGED], 0);
}

void
gn_traffic_stats_set_earlier (GnTrafficStats   *self,
                              const GnCounters *earlier,
                              gint64            from_us,
                              gint64            to_us)
{
  g_return_if_fail (GN_IS_TRAFFIC_STATS (self));
  g_return_if_fail (earlier != NULL);

  self->earlier = *earlier;
  self->earlier_from = from_us;
  self->earlier_to = to_us;
  g_object_freeze_notify (G_OBJECT (self));
  update_today (self, g_get_real_time ());
  g_object_thaw_notify (G_OBJECT (self));
  g_signal_emit (self, signals[CHANGED], 0);
}

void
gn_traffic_stats_get_minute (GnTrafficStats *self,
                             guint           minutes_ago,
                             gint64          now_us,
                             guint64        *requests,
                             guint64        *blocked)
{
  gint64 minute;
  guint slot;

  g_return_if_fail (GN_IS_TRAFFIC_STATS (self));
  g_return_if_fail (minutes_ago < GN_TRAFFIC_STATS_MINUTES);

  minute = now_us / USEC_PER_MINUTE - minutes_ago;
  slot = (guint) (minute % GN_TRAFFIC_STATS_MINUTES);
  if (self->minute[slot] == minute)
    {
      *requests = self->requests[slot];
      *blocked = self->blocked[slot];
    }
  else
    *requests = *blocked = 0;
}

const GnCounters *
gn_traffic_stats_get_today (GnTrafficStats *self)
{
  g_return_val_if_fail (GN_IS_TRAFFIC_STATS (self), NULL);
  return &self->today;
}

guint
gn_traffic_stats_get_open_now (GnTrafficStats *self)
{
  g_return_val_if_fail (GN_IS_TRAFFIC_STATS (self), 0);
  return self->open_now;
}
