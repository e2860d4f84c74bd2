/* gn-compat.h
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Back-ports of GLib API newer than the GLib 2.74 we build against
 * (Debian 12). Drop each one when the minimum version reaches it.
 */

#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* g_set_str() (GLib 2.76): replaces *@str_pointer with a copy of @new_str
 * and returns TRUE, or returns FALSE when they are already equal. */
static inline gboolean
gn_set_str (char       **str_pointer,
            const char  *new_str)
{
  char *copy;

  if (*str_pointer == new_str || g_strcmp0 (*str_pointer, new_str) == 0)
    return FALSE;

  copy = g_strdup (new_str);
  g_free (*str_pointer);
  *str_pointer = copy;
  return TRUE;
}

G_END_DECLS
