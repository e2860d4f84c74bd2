/* gn-os-proxy-autostart-xdg.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The Linux logon repair entry: while protection is on, an XDG autostart
 * file runs `guardnest --repair-proxy` at the next logon, so a crash or a
 * power cut never leaves the next session pointing at a proxy that is not
 * running, even when GuardNest itself is not set to start at logon. A clean
 * disable removes it. --repair-proxy does nothing (exit 0) when there is no
 * journal or GuardNest is running, so a left-over entry is harmless.
 *
 * Threading: plain functions, any thread.
 */

#include <errno.h>
#include <string.h>

#include <glib/gstdio.h>
#include <glib/gi18n.h>

#include "gn-os-proxy-private.h"

char *
_gn_os_proxy_xdg_repair_entry_path (void)
{
  return g_build_filename (g_get_user_config_dir (), "autostart",
                           GN_APP_ID "-repair.desktop", NULL);
}

/* Exec= quoting as the Desktop Entry spec wants it: double quotes, with
 * `"`, `` ` ``, `$` and `\` escaped (then `\` doubled again, since the value
 * itself is an escaped string). */
static char *
exec_quote (const char *path)
{
  GString *out = g_string_new ("\"");

  for (const char *p = path; *p; p++)
    {
      if (*p == '\\')
        g_string_append (out, "\\\\\\\\");
      else if (strchr ("\"`$", *p) != NULL)
        g_string_append_printf (out, "\\\\%c", *p);
      else
        g_string_append_c (out, *p);
    }
  g_string_append_c (out, '"');
  return g_string_free (out, FALSE);
}

/* The running binary when we can tell, so a build-tree or /opt install
 * repairs with itself; else `guardnest` from PATH. */
static char *
self_command (void)
{
  g_autofree char *exe = g_file_read_link ("/proc/self/exe", NULL);
  g_autofree char *base = exe ? g_path_get_basename (exe) : NULL;

  if (exe != NULL && g_str_has_prefix (base, "guardnest"))
    return exec_quote (exe);
  return g_strdup ("guardnest");
}

gboolean
_gn_os_proxy_xdg_install_repair (GnOsProxy  *self,
                                 GError    **error)
{
  g_autofree char *path = _gn_os_proxy_xdg_repair_entry_path ();
  g_autofree char *dir = g_path_get_dirname (path);
  g_autofree char *command = self_command ();
  g_autofree char *contents = NULL;
  g_autoptr(GError) local = NULL;

  contents = g_strdup_printf ("[Desktop Entry]\n"
                              "Type=Application\n"
                              "Name=GuardNest proxy settings repair\n"
                              "Comment=Puts back your proxy settings if GuardNest did not exit cleanly\n"
                              "Exec=%s --repair-proxy\n"
                              "NoDisplay=true\n"
                              "Terminal=false\n"
                              "X-GNOME-Autostart-Phase=Initialization\n"
                              "X-KDE-autostart-phase=1\n",
                              command);

  if (g_mkdir_with_parents (dir, 0700) != 0 ||
      !g_file_set_contents_full (path, contents, -1, G_FILE_SET_CONTENTS_CONSISTENT, 0644, &local))
    {
      g_set_error (error, GN_ERROR, GN_ERROR_IO,
                   _("The logon repair entry %s could not be written: %s"), path,
                   local ? local->message : g_strerror (errno));
      return FALSE;
    }
  return TRUE;
}

gboolean
_gn_os_proxy_xdg_remove_repair (GnOsProxy  *self,
                                GError    **error)
{
  g_autofree char *path = _gn_os_proxy_xdg_repair_entry_path ();

  if (g_unlink (path) != 0 && errno != ENOENT)
    {
      int saved = errno;
      g_set_error (error, GN_ERROR, GN_ERROR_IO,
                   _("The logon repair entry %s could not be removed: %s"), path, g_strerror (saved));
      return FALSE;
    }
  return TRUE;
}
