/* gn-os-proxy-repair.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The whole of `guardnest --repair-proxy` (see gn-os-proxy-repair.h). It is
 * also what the logon repair entry runs, so it must be quiet and quick when
 * there is nothing to do, and never fail because a desktop is missing.
 *
 * Threading: main thread.
 */

#include <stdio.h>
#include <glib/gi18n.h>

#include "gn-os-proxy-repair.h"

int
gn_os_proxy_repair_run (GnOsProxyGuard  *guard,
                        char           **message)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *what = NULL;
  GnOsProxyRestoreFlags flags = GN_OS_PROXY_RESTORE_NOTHING;

  g_return_val_if_fail (GN_IS_OS_PROXY_GUARD (guard), 1);
  g_return_val_if_fail (message != NULL, 1);

  if (!gn_os_proxy_guard_repair (guard, &flags, &what, &error))
    {
      *message = g_strdup_printf (_("The proxy settings could not be repaired: %s"), error->message);
      return 1;
    }
  *message = g_strdup_printf ("%s%s", (flags & GN_OS_PROXY_RESTORE_RESTORED) ? _("Repaired. ") : "",
                              what ? what : _("Nothing to do."));
  return 0;
}

int
gn_os_proxy_repair_main (void)
{
  g_autoptr(GnOsProxy) backend = gn_os_proxy_new_for_desktop ();
  g_autoptr(GnOsProxyGuard) guard = gn_os_proxy_guard_new (backend, NULL);
  g_autofree char *message = NULL;
  int status = gn_os_proxy_repair_run (guard, &message);

  fprintf (status == 0 ? stdout : stderr, "guardnest: %s\n", message);
  fflush (stdout);
  return status;
}
