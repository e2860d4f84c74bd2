/* gn-os-process-unix.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * gn-os-process.h on Unix: the terminal is already there and the data is
 * where meson installed it (GN_LOCALEDIR, from the configured prefix).
 */

#include "gn-os-process.h"

gboolean
gn_os_process_attach_console (void)
{
  return TRUE;
}

char *
gn_os_process_dup_locale_dir (void)
{
  return g_strdup (GN_LOCALEDIR);
}
