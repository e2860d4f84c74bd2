/* gn-chart.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The Overview's chart: requests and blocks over the last hour (one bar
 * pair per minute), 24 hours (20 minutes), 7 days (2 hours) or 30 days
 * (12 hours), chosen in the drop-down at its top right, drawn with
 * GtkSnapshot (rectangles and Pango layouts, no extra dependency).
 *
 * The bars come from the history store (GnHistoryStore), queried on its
 * writer thread and answered on the main loop, so what was counted before
 * a restart shows too: again after each flush for the last hour, at most
 * once a minute for the longer ranges. For the last hour the live
 * statistics (GnTrafficStats, updated every registry batch) fill in what
 * the store has not received yet: each minute shows the larger of the
 * two, so the current minute moves at once and a minute from before a
 * restart keeps its figure. Without a store (or before its first answer)
 * the live statistics alone are drawn. It redraws once a minute so the
 * bars move left even when nothing happens.
 *
 * Colours follow the theme: text and grid use the widget's foreground
 * colour, the bars the theme's accent and error colours (@gn_accent_color,
 * @gn_error_color, see gn-style.c), so the chart reads right in the light
 * and the dark style.
 *
 * Threading: main thread only.
 */

#include <glib/gi18n.h>

#include <string.h>

#include "gn-chart.h"

struct _GnChart
{
  GtkWidget       parent_instance;

  GnTrafficStats *stats;      /* (owned) (nullable) */
  gulong          changed_id;
  guint           minute_id;

  GtkWidget      *range_dropdown;   /* (owned) child */
  GnChartRange    range;
  GnHistoryStore *history;          /* (owned) (nullable) */
  gulong          flushed_id;
  GnHistory      *series;           /* (owned) (nullable) the store's last answer */
  GCancellable   *loading;          /* (owned) (nullable) a query on its way */
  gint64          loaded_at;        /* monotonic time of the last query */
};

static const struct
{
  guint       span_s;
  guint       bucket_s;
  const char *oldest;   /* the left-hand label */
  const char *middle;
  const char *a11y;
} ranges[] = {
  [GN_CHART_RANGE_HOUR]  = { 3600, 60, N_("60 min ago"), N_("30 min"),
                             N_("Requests and blocks per minute over the last hour") },
  [GN_CHART_RANGE_DAY]   = { 24 * 3600, 20 * 60, N_("24 h ago"), N_("12 h"),
                             N_("Requests and blocks per 20 minutes over the last 24 hours") },
  [GN_CHART_RANGE_WEEK]  = { 7 * 24 * 3600, 2 * 3600, N_("7 days ago"), N_("3½ days"),
                             N_("Requests and blocks per 2 hours over the last 7 days") },
  [GN_CHART_RANGE_MONTH] = { 30 * 24 * 3600, 12 * 3600, N_("30 days ago"), N_("15 days"),
                             N_("Requests and blocks per 12 hours over the last 30 days") },
};

#define MAX_BARS 96

G_DEFINE_FINAL_TYPE (GnChart, gn_chart, GTK_TYPE_WIDGET)

enum {
  PROP_0,
  PROP_STATS,
  PROP_RANGE,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

/* The bars take the theme's colours, as the legend does (style.css). */
static void
get_named (GtkWidget  *widget,
           const char *name,
           GdkRGBA    *color)
{
G_GNUC_BEGIN_IGNORE_DEPRECATIONS
  if (!gtk_style_context_lookup_color (gtk_widget_get_style_context (widget), name, color))
    gtk_style_context_get_color (gtk_widget_get_style_context (widget), color);
G_GNUC_END_IGNORE_DEPRECATIONS
}

static void
get_fg (GtkWidget *widget,
        GdkRGBA   *color)
{
G_GNUC_BEGIN_IGNORE_DEPRECATIONS
  gtk_style_context_get_color (gtk_widget_get_style_context (widget), color);
G_GNUC_END_IGNORE_DEPRECATIONS
}

static void
append_text (GtkWidget     *widget,
             GtkSnapshot   *snapshot,
             const char    *text,
             float          x,
             float          y,
             const GdkRGBA *color,
             gboolean       align_right)
{
  g_autoptr(PangoLayout) layout = gtk_widget_create_pango_layout (widget, text);
  int w, h;

  pango_layout_get_pixel_size (layout, &w, &h);
  gtk_snapshot_save (snapshot);
  gtk_snapshot_translate (snapshot, &GRAPHENE_POINT_INIT (align_right ? x - w : x, y - h / 2.f));
  gtk_snapshot_append_layout (snapshot, layout, color);
  gtk_snapshot_restore (snapshot);
}

static guint64
nice_max (guint64 v)
{
  guint64 step = 1;

  /* Even, so that the middle gridline's value is a whole number (it was
   * labelled "2" at 2.5). */
  if (v <= 4)
    return 4;
  while (step * 10 < v)
    step *= 10;
  for (guint m = 1; m <= 10; m++)
    if (step * m >= v)
      return step * m + ((step * m) & 1);
  return step * 10;
}

/* The bars to draw, oldest first: the store's answer for the range (for
 * the last hour, minute by minute the larger of it and the live
 * figures), or the live figures alone. Returns how many. */
static guint
collect (GnChart *self,
         gint64   now_us,
         guint64 *req,
         guint64 *blk)
{
  guint n = ranges[self->range].span_s / ranges[self->range].bucket_s;
  GnHistory *series = self->series;

  g_assert (n <= MAX_BARS);
  memset (req, 0, sizeof (guint64) * n);
  memset (blk, 0, sizeof (guint64) * n);

  if (series != NULL && series->bucket_s == ranges[self->range].bucket_s)
    {
      /* The last n buckets up to now (the answer may be a minute old). */
      gint64 end = now_us / G_USEC_PER_SEC / series->bucket_s * series->bucket_s + series->bucket_s;

      for (guint i = 0; i < series->points->len; i++)
        {
          const GnHistoryPoint *p = &g_array_index (series->points, GnHistoryPoint, i);
          gint64 slot = (p->start - (end - (gint64) n * series->bucket_s)) / series->bucket_s;

          if (p->start < end - (gint64) n * series->bucket_s || slot >= n)
            continue;
          req[slot] = p->requests;
          blk[slot] = p->blocked;
        }
    }
  if (self->range == GN_CHART_RANGE_HOUR && self->stats != NULL)
    for (guint i = 0; i < GN_TRAFFIC_STATS_MINUTES; i++)
      {
        guint64 r, b;

        gn_traffic_stats_get_minute (self->stats, i, now_us, &r, &b);
        req[n - 1 - i] = MAX (req[n - 1 - i], r);
        blk[n - 1 - i] = MAX (blk[n - 1 - i], b);
      }
  return n;
}

static void
gn_chart_snapshot (GtkWidget   *widget,
                   GtkSnapshot *snapshot)
{
  GnChart *self = GN_CHART (widget);
  int width = gtk_widget_get_width (widget);
  int height = gtk_widget_get_height (widget);
  guint64 req[MAX_BARS], blk[MAX_BARS];
  guint64 max = 0;
  gint64 now = g_get_real_time ();
  GdkRGBA fg, grid, dim, requests_color, blocked_color;
  float left = 44, right = 8, top = 10, bottom = 22;
  float plot_w, plot_h, slot_w;
  char label[32];
  guint n;
  int dropdown_h;

  gtk_widget_measure (self->range_dropdown, GTK_ORIENTATION_VERTICAL, -1, NULL, &dropdown_h,
                      NULL, NULL);
  top += dropdown_h;
  gtk_widget_snapshot_child (widget, self->range_dropdown, snapshot);

  if (width <= left + right || height <= top + bottom)
    return;
  get_named (widget, "gn_accent_color", &requests_color);
  get_named (widget, "gn_error_color", &blocked_color);

  n = collect (self, now, req, blk);
  for (guint i = 0; i < n; i++)
    max = MAX (max, MAX (req[i], blk[i]));
  max = nice_max (max);

  get_fg (widget, &fg);
  grid = fg;
  grid.alpha = 0.15f;
  dim = fg;
  dim.alpha = 0.65f;

  plot_w = width - left - right;
  plot_h = height - top - bottom;
  slot_w = plot_w / n;

  /* Horizontal grid at 0, ½ and the top, with their values. */
  for (guint g = 0; g <= 2; g++)
    {
      float y = top + plot_h - plot_h * g / 2.f;

      gtk_snapshot_append_color (snapshot, &grid, &GRAPHENE_RECT_INIT (left, y, plot_w, 1));
      g_snprintf (label, sizeof label, "%" G_GUINT64_FORMAT, max * g / 2);
      append_text (widget, snapshot, label, left - 6, y, &dim, TRUE);
    }

  for (guint i = 0; i < n; i++)
    {
      /* Oldest on the left, the current bucket on the right. */
      float x = left + i * slot_w;
      float bar_w = MAX (1.f, slot_w * 0.8f);
      float h;

      if (req[i] > 0)
        {
          h = MAX (1.f, plot_h * req[i] / (float) max);
          gtk_snapshot_append_color (snapshot, &requests_color,
                                     &GRAPHENE_RECT_INIT (x + slot_w * 0.1f, top + plot_h - h, bar_w, h));
        }
      if (blk[i] > 0)
        {
          h = MAX (1.f, plot_h * blk[i] / (float) max);
          gtk_snapshot_append_color (snapshot, &blocked_color,
                                     &GRAPHENE_RECT_INIT (x + slot_w * 0.25f, top + plot_h - h,
                                                          MAX (1.f, slot_w * 0.5f), h));
        }
    }

  append_text (widget, snapshot, _(ranges[self->range].oldest), left, height - bottom / 2.f, &dim, FALSE);
  append_text (widget, snapshot, _(ranges[self->range].middle), left + plot_w / 2.f - 18,
               height - bottom / 2.f, &dim, FALSE);
  append_text (widget, snapshot, _("now"), width - right, height - bottom / 2.f, &dim, TRUE);
}

static void
gn_chart_measure (GtkWidget      *widget,
                  GtkOrientation  orientation,
                  int             for_size,
                  int            *minimum,
                  int            *natural,
                  int            *minimum_baseline,
                  int            *natural_baseline)
{
  GnChart *self = GN_CHART (widget);
  int child_min, child_nat;

  gtk_widget_measure (self->range_dropdown, orientation, -1, &child_min, &child_nat, NULL, NULL);
  if (orientation == GTK_ORIENTATION_HORIZONTAL)
    {
      *minimum = MAX (240, child_min);
      *natural = MAX (600, child_nat);
    }
  else
    {
      *minimum = 120 + child_nat;
      *natural = 180 + child_nat;
    }
}

/* The range drop-down at the top right, at its natural size. */
static void
gn_chart_size_allocate (GtkWidget *widget,
                        int        width,
                        int        height,
                        int        baseline)
{
  GnChart *self = GN_CHART (widget);
  int w, h;

  gtk_widget_measure (self->range_dropdown, GTK_ORIENTATION_HORIZONTAL, -1, NULL, &w, NULL, NULL);
  gtk_widget_measure (self->range_dropdown, GTK_ORIENTATION_VERTICAL, w, NULL, &h, NULL, NULL);
  w = MIN (w, width);
  gtk_widget_size_allocate (self->range_dropdown,
                            &(GtkAllocation) { width - w, 0, w, MIN (h, height) }, -1);
}

static void
query_cb (GObject      *source,
          GAsyncResult *result,
          gpointer      user_data)
{
  g_autoptr(GError) error = NULL;
  GnHistory *series = gn_history_store_query_finish (GN_HISTORY_STORE (source), result, &error);
  GnChart *self;

  if (series == NULL)
    return;   /* cancelled: the chart changed range or went away */
  self = GN_CHART (user_data);
  g_clear_object (&self->loading);
  g_clear_pointer (&self->series, gn_history_unref);
  self->series = series;
  gtk_widget_queue_draw (GTK_WIDGET (self));
}

/* Asks the store for the range (on its writer thread). */
static void
load (GnChart *self)
{
  gint64 now_s = g_get_real_time () / G_USEC_PER_SEC;
  guint span = ranges[self->range].span_s, bucket = ranges[self->range].bucket_s;

  if (self->history == NULL)
    return;
  if (self->loading != NULL)
    g_cancellable_cancel (self->loading);
  g_clear_object (&self->loading);
  self->loading = g_cancellable_new ();
  self->loaded_at = g_get_monotonic_time ();
  /* The answer holds a ref on nothing of ours: a cancelled query never
   * touches the chart, and dispose cancels. */
  gn_history_store_query_async (self->history, now_s - span + bucket, now_s + 1, bucket,
                                self->loading, query_cb, self);
}

static void
flushed_cb (GnChart *self)
{
  /* Longer ranges change little from one flush to the next. */
  if (self->range == GN_CHART_RANGE_HOUR ||
      g_get_monotonic_time () - self->loaded_at >= 60 * G_USEC_PER_SEC)
    load (self);
}

static void
range_selected_cb (GnChart *self)
{
  gn_chart_set_range (self, gtk_drop_down_get_selected (GTK_DROP_DOWN (self->range_dropdown)));
}

static gboolean
minute_cb (gpointer user_data)
{
  GnChart *self = user_data;

  if (self->range != GN_CHART_RANGE_HOUR)
    load (self);
  gtk_widget_queue_draw (user_data);
  return G_SOURCE_CONTINUE;
}

static void
gn_chart_dispose (GObject *object)
{
  GnChart *self = (GnChart *) object;

  gn_chart_set_stats (self, NULL);
  gn_chart_set_history (self, NULL);
  g_clear_handle_id (&self->minute_id, g_source_remove);
  g_clear_pointer (&self->range_dropdown, gtk_widget_unparent);

  G_OBJECT_CLASS (gn_chart_parent_class)->dispose (object);
}

static void
gn_chart_get_property (GObject    *object,
                       guint       prop_id,
                       GValue     *value,
                       GParamSpec *pspec)
{
  GnChart *self = GN_CHART (object);

  switch (prop_id)
    {
    case PROP_STATS:
      g_value_set_object (value, self->stats);
      break;
    case PROP_RANGE:
      g_value_set_uint (value, self->range);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
gn_chart_set_property (GObject      *object,
                       guint         prop_id,
                       const GValue *value,
                       GParamSpec   *pspec)
{
  GnChart *self = GN_CHART (object);

  switch (prop_id)
    {
    case PROP_STATS:
      gn_chart_set_stats (self, g_value_get_object (value));
      break;
    case PROP_RANGE:
      gn_chart_set_range (self, g_value_get_uint (value));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
gn_chart_class_init (GnChartClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = gn_chart_dispose;
  object_class->get_property = gn_chart_get_property;
  object_class->set_property = gn_chart_set_property;

  widget_class->snapshot = gn_chart_snapshot;
  widget_class->measure = gn_chart_measure;
  widget_class->size_allocate = gn_chart_size_allocate;

  properties[PROP_STATS] =
    g_param_spec_object ("stats", NULL, NULL, GN_TYPE_TRAFFIC_STATS,
                         G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY);
  properties[PROP_RANGE] =
    g_param_spec_uint ("range", NULL, NULL, 0, GN_CHART_N_RANGES - 1, GN_CHART_RANGE_HOUR,
                       G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  gtk_widget_class_set_css_name (widget_class, "chart");
  gtk_widget_class_set_accessible_role (widget_class, GTK_ACCESSIBLE_ROLE_IMG);
}

static void
gn_chart_init (GnChart *self)
{
  const char *names[] = { _("Last hour"), _("Last 24 hours"), _("Last 7 days"),
                          _("Last 30 days"), NULL };

  self->minute_id = g_timeout_add_seconds (60, minute_cb, self);
  self->range_dropdown = gtk_drop_down_new_from_strings (names);
  gtk_widget_set_tooltip_text (self->range_dropdown, _("Time range of the chart"));
  gtk_accessible_update_property (GTK_ACCESSIBLE (self->range_dropdown),
                                  GTK_ACCESSIBLE_PROPERTY_LABEL, _("Time range of the chart"), -1);
  gtk_widget_set_parent (self->range_dropdown, GTK_WIDGET (self));
  g_signal_connect_swapped (self->range_dropdown, "notify::selected",
                            G_CALLBACK (range_selected_cb), self);
  gtk_accessible_update_property (GTK_ACCESSIBLE (self),
                                  GTK_ACCESSIBLE_PROPERTY_LABEL, _(ranges[self->range].a11y),
                                  -1);
}

GtkWidget *
gn_chart_new (void)
{
  return g_object_new (GN_TYPE_CHART, NULL);
}

void
gn_chart_set_stats (GnChart        *self,
                    GnTrafficStats *stats)
{
  g_return_if_fail (GN_IS_CHART (self));
  g_return_if_fail (stats == NULL || GN_IS_TRAFFIC_STATS (stats));

  if (self->stats == stats)
    return;

  if (self->stats != NULL)
    g_clear_signal_handler (&self->changed_id, self->stats);
  g_set_object (&self->stats, stats);
  if (stats != NULL)
    self->changed_id = g_signal_connect_swapped (stats, "changed",
                                                 G_CALLBACK (gtk_widget_queue_draw), self);
  gtk_widget_queue_draw (GTK_WIDGET (self));
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_STATS]);
}

GnTrafficStats *
gn_chart_get_stats (GnChart *self)
{
  g_return_val_if_fail (GN_IS_CHART (self), NULL);
  return self->stats;
}

void
gn_chart_set_history (GnChart        *self,
                      GnHistoryStore *history)
{
  g_return_if_fail (GN_IS_CHART (self));
  g_return_if_fail (history == NULL || GN_IS_HISTORY_STORE (history));

  if (self->history == history)
    return;
  if (self->loading != NULL)
    g_cancellable_cancel (self->loading);
  g_clear_object (&self->loading);
  if (self->history != NULL)
    g_clear_signal_handler (&self->flushed_id, self->history);
  g_clear_pointer (&self->series, gn_history_unref);
  g_set_object (&self->history, history);
  if (history != NULL)
    {
      self->flushed_id = g_signal_connect_swapped (history, "flushed", G_CALLBACK (flushed_cb), self);
      load (self);
    }
  gtk_widget_queue_draw (GTK_WIDGET (self));
}

void
gn_chart_set_range (GnChart      *self,
                    GnChartRange  range)
{
  g_return_if_fail (GN_IS_CHART (self));
  g_return_if_fail (range < GN_CHART_N_RANGES);

  if (self->range == range)
    return;
  self->range = range;
  gtk_drop_down_set_selected (GTK_DROP_DOWN (self->range_dropdown), range);
  gtk_accessible_update_property (GTK_ACCESSIBLE (self),
                                  GTK_ACCESSIBLE_PROPERTY_LABEL, _(ranges[range].a11y), -1);
  load (self);
  gtk_widget_queue_draw (GTK_WIDGET (self));
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_RANGE]);
}

GnChartRange
gn_chart_get_range (GnChart *self)
{
  g_return_val_if_fail (GN_IS_CHART (self), GN_CHART_RANGE_HOUR);
  return self->range;
}

GnHistory *
gn_chart_get_series (GnChart *self)
{
  g_return_val_if_fail (GN_IS_CHART (self), NULL);
  return self->series;
}

guint
gn_chart_get_bars (GnChart *self,
                   guint64 *requests,
                   guint64 *blocked,
                   guint    n)
{
  guint64 req[MAX_BARS], blk[MAX_BARS];
  guint got;

  g_return_val_if_fail (GN_IS_CHART (self), 0);

  got = collect (self, g_get_real_time (), req, blk);
  for (guint i = 0; i < MIN (n, got); i++)
    {
      requests[i] = req[i];
      blocked[i] = blk[i];
    }
  return got;
}
