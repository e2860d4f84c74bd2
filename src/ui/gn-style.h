/* gn-style.h
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The window's status colours, taken from the GTK theme and made readable
 * on its background (see gn-style.c).
 *
 * Threading: main thread only.
 */

#pragma once

#include <gtk/gtk.h>

G_BEGIN_DECLS

/* WCAG 2 minimum for normal text. */
#define GN_STYLE_MIN_CONTRAST 4.5

void   gn_style_install  (GdkDisplay    *display);
double gn_style_contrast (const GdkRGBA *a,
                          const GdkRGBA *b);

G_END_DECLS
