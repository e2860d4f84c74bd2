/* gn-chart.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The Overview's chart: requests and blocks per minute over the last hour,
 * one bar pair per minute, drawn with GtkSnapshot (rectangles and Pango
 * layouts, no extra dependency). It redraws when the statistics change (at
 * most once per registry batch) and once a minute so the bars move left
 * even when nothing happens.
 *
 * Colours follow the theme: text and grid use the widget's foreground
 * colour, the bars the theme's accent and error colours (@gn_accent_color,
 * @gn_error_color, see gn-style.c), so the chart reads right in the light
 * and the dark style.
 *
 * Threading: main thread only.
 */

#include <glib/gi18n.h>

#include "gn-chart.h"

struct _GnChart
{
  GtkWidget       parent_instance;

  GnTrafficStats *stats;      /* (owned) (nullable) */
  gulong          changed_id;
  guint           minute_id;
};

G_DEFINE_FINAL_TYPE (GnChart, gn_chart, GTK_TYPE_WIDGET)

enum {
  PROP_0,
  PROP_STATS,
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

static void
gn_chart_snapshot (GtkWidget   *widget,
                   GtkSnapshot *snapshot)
{
  GnChart *self = GN_CHART (widget);
  int width = gtk_widget_get_width (widget);
  int height = gtk_widget_get_height (widget);
  guint64 req[GN_TRAFFIC_STATS_MINUTES] = { 0 }, blk[GN_TRAFFIC_STATS_MINUTES] = { 0 };
  guint64 max = 0;
  gint64 now = g_get_real_time ();
  GdkRGBA fg, grid, dim, requests_color, blocked_color;
  float left = 44, right = 8, top = 10, bottom = 22;
  float plot_w, plot_h, slot_w;
  char label[32];

  if (width <= left + right || height <= top + bottom)
    return;
  get_named (widget, "gn_accent_color", &requests_color);
  get_named (widget, "gn_error_color", &blocked_color);

  for (guint i = 0; self->stats != NULL && i < GN_TRAFFIC_STATS_MINUTES; i++)
    {
      gn_traffic_stats_get_minute (self->stats, i, now, &req[i], &blk[i]);
      max = MAX (max, MAX (req[i], blk[i]));
    }
  max = nice_max (max);

  get_fg (widget, &fg);
  grid = fg;
  grid.alpha = 0.15f;
  dim = fg;
  dim.alpha = 0.65f;

  plot_w = width - left - right;
  plot_h = height - top - bottom;
  slot_w = plot_w / GN_TRAFFIC_STATS_MINUTES;

  /* Horizontal grid at 0, ½ and the top, with their values. */
  for (guint g = 0; g <= 2; g++)
    {
      float y = top + plot_h - plot_h * g / 2.f;

      gtk_snapshot_append_color (snapshot, &grid, &GRAPHENE_RECT_INIT (left, y, plot_w, 1));
      g_snprintf (label, sizeof label, "%" G_GUINT64_FORMAT, max * g / 2);
      append_text (widget, snapshot, label, left - 6, y, &dim, TRUE);
    }

  for (guint i = 0; i < GN_TRAFFIC_STATS_MINUTES; i++)
    {
      /* Oldest minute on the left, the current one on the right. */
      float x = left + (GN_TRAFFIC_STATS_MINUTES - 1 - i) * slot_w;
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

  append_text (widget, snapshot, _("60 min ago"), left, height - bottom / 2.f, &dim, FALSE);
  append_text (widget, snapshot, _("30 min"), left + plot_w / 2.f - 18, height - bottom / 2.f, &dim, FALSE);
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
  if (orientation == GTK_ORIENTATION_HORIZONTAL)
    {
      *minimum = 240;
      *natural = 600;
    }
  else
    {
      *minimum = 120;
      *natural = 180;
    }
}

static gboolean
minute_cb (gpointer user_data)
{
  gtk_widget_queue_draw (user_data);
  return G_SOURCE_CONTINUE;
}

static void
gn_chart_dispose (GObject *object)
{
  GnChart *self = (GnChart *) object;

  gn_chart_set_stats (self, NULL);
  g_clear_handle_id (&self->minute_id, g_source_remove);

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

  properties[PROP_STATS] =
    g_param_spec_object ("stats", NULL, NULL, GN_TYPE_TRAFFIC_STATS,
                         G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  gtk_widget_class_set_css_name (widget_class, "chart");
  gtk_widget_class_set_accessible_role (widget_class, GTK_ACCESSIBLE_ROLE_IMG);
}

static void
gn_chart_init (GnChart *self)
{
  self->minute_id = g_timeout_add_seconds (60, minute_cb, self);
  gtk_accessible_update_property (GTK_ACCESSIBLE (self),
                                  GTK_ACCESSIBLE_PROPERTY_LABEL,
                                  _("Requests and blocks per minute over the last hour"),
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
