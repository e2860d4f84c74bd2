/* gn-os-proxy-select-linux.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Picks the OS proxy backend for a Linux (or other freedesktop) session at
 * run time: KDE when XDG_CURRENT_DESKTOP names KDE, GNOME-style GSettings
 * for every desktop whose programs read org.gnome.system.proxy (GNOME,
 * Unity, Cinnamon, MATE, Budgie, Pantheon, XFCE...), and the "none" backend
 * with a reason otherwise. GN_OS_PROXY_BACKEND=gnome|kde|none overrides the
 * detection (tests, and users on unusual sessions).
 *
 * Threading: call from the thread that will use the backend.
 */

#include <glib/gi18n.h>

#include "gn-os-proxy-private.h"

static gboolean
desktop_is (const char *desktops, const char * const *names)
{
  g_auto(GStrv) parts = g_strsplit (desktops ? desktops : "", ":", -1);

  for (guint i = 0; parts[i]; i++)
    for (guint j = 0; names[j]; j++)
      if (g_ascii_strcasecmp (parts[i], names[j]) == 0)
        return TRUE;
  return FALSE;
}

static GnOsProxy *
new_backend (gboolean kde)
{
  g_autoptr(GError) error = NULL;
  GnOsProxy *proxy = kde ? _gn_os_proxy_kde_new (NULL, &error) : _gn_os_proxy_gnome_new (&error);

  if (proxy != NULL)
    return proxy;
  return gn_os_proxy_new_none (error ? error->message : NULL);
}

GnOsProxy *
gn_os_proxy_new_for_desktop (void)
{
  static const char * const kde[] = { "KDE", NULL };
  static const char * const gsettings[] = {
    "GNOME", "GNOME-Flashback", "GNOME-Classic", "Unity", "X-Cinnamon", "Cinnamon",
    "MATE", "Budgie", "Pantheon", "XFCE", "LXDE", "LXQt", "Deepin", "DDE", NULL
  };
  const char *forced = g_getenv ("GN_OS_PROXY_BACKEND");
  const char *desktops = g_getenv ("XDG_CURRENT_DESKTOP");
  g_autofree char *reason = NULL;

  if (forced != NULL && *forced != '\0')
    {
      if (g_str_equal (forced, "gnome"))
        return new_backend (FALSE);
      if (g_str_equal (forced, "kde"))
        return new_backend (TRUE);
      reason = g_strdup_printf (_("GN_OS_PROXY_BACKEND is set to “%s”."), forced);
      return gn_os_proxy_new_none (reason);
    }

  if (desktop_is (desktops, kde))
    return new_backend (TRUE);
  if (desktop_is (desktops, gsettings))
    return new_backend (FALSE);

  if (desktops == NULL || *desktops == '\0')
    reason = g_strdup (_("No desktop session was found (XDG_CURRENT_DESKTOP is not set)."));
  else
    reason = g_strdup_printf (_("The desktop “%s” has no proxy settings GuardNest knows how to change."),
                              desktops);
  return gn_os_proxy_new_none (reason);
}
