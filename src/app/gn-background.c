/* gn-background.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * See gn-background.h: the close button's decision and the tray's view.
 *
 * Threading: plain functions, any thread.
 */

#include <glib/gi18n.h>

#include "gn-background.h"

GnCloseAction
gn_background_decide_close (gboolean    protecting,
                            gboolean    has_tray,
                            gboolean    quitting,
                            const char *mode)
{
  /* Off, or no tray to come back through: closing quits, as it always did. */
  if (quitting || !protecting || !has_tray)
    return GN_CLOSE_QUIT;
  if (g_strcmp0 (mode, "never") == 0)
    return GN_CLOSE_QUIT;
  if (g_strcmp0 (mode, "always") == 0)
    return GN_CLOSE_HIDE;
  return GN_CLOSE_ASK;
}

void
gn_background_tray_view (GnProtectionState  state,
                         const char        *status_text,
                         gboolean           blocking,
                         gint64             paused_until,
                         GnTrayView        *view)
{
  g_return_if_fail (view != NULL);

  view->state = g_strdup (status_text != NULL && *status_text != '\0' ? status_text
                          : state == GN_PROTECTION_ON ? _("Protecting") : _("Off"));
  /* On but blocking nothing (no list yet) needs the user as much as off. */
  view->attention = state == GN_PROTECTION_OFF || state == GN_PROTECTION_ERROR ||
                    (state == GN_PROTECTION_ON && !blocking) || paused_until != 0;
  view->can_pause = state == GN_PROTECTION_ON && paused_until == 0;
}

void
gn_tray_view_clear (GnTrayView *view)
{
  g_return_if_fail (view != NULL);
  g_clear_pointer (&view->state, g_free);
}
