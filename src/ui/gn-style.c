/* gn-style.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Theme colours only, and readable ones. style.css colours errors,
 * warnings and success with @gn_error_color, @gn_warning_color,
 * @gn_success_color and @gn_accent_color, never with literals. They are the
 * theme's own @error_color, @warning_color, @success_color and
 * @theme_selected_bg_color — except that GTK 4.8's built-in theme keeps its
 * light colours in the dark variant (#cc0000 on #353535 is 2:1, dark red on
 * dark grey), so each one is mixed toward the theme's text colour just as
 * far as needed for 4.5:1 (WCAG AA) against the theme's background, with
 * a margin for the tinted cards and status bar drawn over it. A
 * light theme whose colours already read well keeps them unchanged.
 *
 * The result is a small CSS provider (@define-color lines) above
 * style.css, recomputed whenever the theme or its dark variant changes.
 *
 * Threading: main thread only.
 */

#include <math.h>

#include "gn-style.h"

#define PROVIDER_KEY "gn-style-provider"

static const struct
{
  const char *ours;
  const char *theme;
  const char *fallback;
} colors[] = {
  { "gn_error_color", "error_color", "#c01c28" },
  { "gn_warning_color", "warning_color", "#c64600" },
  { "gn_success_color", "success_color", "#26a269" },
  { "gn_accent_color", "theme_selected_bg_color", "#1c71d8" },
};

static double
channel (double c)
{
  return c <= 0.04045 ? c / 12.92 : pow ((c + 0.055) / 1.055, 2.4);
}

static double
luminance (const GdkRGBA *c)
{
  return 0.2126 * channel (c->red) + 0.7152 * channel (c->green) + 0.0722 * channel (c->blue);
}

/* The WCAG 2 contrast ratio, 1 to 21. */
double
gn_style_contrast (const GdkRGBA *a,
                   const GdkRGBA *b)
{
  double la = luminance (a), lb = luminance (b);

  return (MAX (la, lb) + 0.05) / (MIN (la, lb) + 0.05);
}

static GdkRGBA
mix (const GdkRGBA *a,
     const GdkRGBA *b,
     double         t)
{
  return (GdkRGBA) {
    a->red + (b->red - a->red) * t,
    a->green + (b->green - a->green) * t,
    a->blue + (b->blue - a->blue) * t,
    1.0,
  };
}

/* @color, moved toward @fg until it reads on @bg. */
static GdkRGBA
readable (const GdkRGBA *color,
          const GdkRGBA *fg,
          const GdkRGBA *bg)
{
  GdkRGBA opaque = { color->red, color->green, color->blue, 1.0 };

  for (double t = 0; t <= 1.0; t += 0.05)
    {
      GdkRGBA c = mix (&opaque, fg, t);

      /* A margin for the tinted cards and status bar drawn over it. */
      if (gn_style_contrast (&c, bg) >= GN_STYLE_MIN_CONTRAST + 0.6)
        return c;
    }
  return *fg;
}

G_GNUC_BEGIN_IGNORE_DEPRECATIONS
static gboolean
lookup (GtkStyleContext *context,
        const char      *name,
        const char      *fallback,
        GdkRGBA         *out)
{
  if (gtk_style_context_lookup_color (context, name, out))
    return TRUE;
  return gdk_rgba_parse (out, fallback);
}
G_GNUC_END_IGNORE_DEPRECATIONS

static void
update (GdkDisplay *display)
{
  GtkCssProvider *provider = g_object_get_data (G_OBJECT (display), PROVIDER_KEY);
  GtkWidget *probe = g_object_ref_sink (gtk_label_new (NULL));
  GtkStyleContext *context;
  g_autoptr(GString) css = g_string_new ("/* gn-style.c: theme colours made readable */\n");
  GdkRGBA fg, bg;

  G_GNUC_BEGIN_IGNORE_DEPRECATIONS
  context = gtk_widget_get_style_context (probe);
  G_GNUC_END_IGNORE_DEPRECATIONS
  lookup (context, "theme_fg_color", "#2e3436", &fg);
  lookup (context, "theme_bg_color", "#f6f5f4", &bg);

  for (guint i = 0; i < G_N_ELEMENTS (colors); i++)
    {
      GdkRGBA theme, ours;
      g_autofree char *text = NULL;

      lookup (context, colors[i].theme, colors[i].fallback, &theme);
      ours = readable (&theme, &fg, &bg);
      text = gdk_rgba_to_string (&ours);
      g_string_append_printf (css, "@define-color %s %s;\n", colors[i].ours, text);
    }
  g_object_unref (probe);

  gtk_css_provider_load_from_data (provider, css->str, -1);
}

static void
theme_changed_cb (GtkSettings *settings,
                  GParamSpec  *pspec,
                  GdkDisplay  *display)
{
  update (display);
}

/* Installs the derived colours for @display and keeps them current. */
void
gn_style_install (GdkDisplay *display)
{
  GtkCssProvider *provider;
  GtkSettings *settings;

  g_return_if_fail (GDK_IS_DISPLAY (display));

  if (g_object_get_data (G_OBJECT (display), PROVIDER_KEY) != NULL)
    return;
  provider = gtk_css_provider_new ();
  g_object_set_data_full (G_OBJECT (display), PROVIDER_KEY, provider, g_object_unref);
  gtk_style_context_add_provider_for_display (display, GTK_STYLE_PROVIDER (provider),
                                              GTK_STYLE_PROVIDER_PRIORITY_APPLICATION + 1);

  settings = gtk_settings_get_for_display (display);
  g_signal_connect_object (settings, "notify::gtk-theme-name", G_CALLBACK (theme_changed_cb),
                           display, 0);
  g_signal_connect_object (settings, "notify::gtk-application-prefer-dark-theme",
                           G_CALLBACK (theme_changed_cb), display, 0);
  update (display);
}
