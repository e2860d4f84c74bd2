/* gn-os-proxy-repair.h
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * `guardnest --repair-proxy`: restore the user's proxy settings from a
 * journal left by a crash, and nothing else. Returns the exit status: 0 when
 * there was nothing to do or the settings were repaired (the message printed
 * says which), 1 when the repair failed (the message says why).
 *
 * Threading: main thread, before anything else runs.
 */

#pragma once

#include "gn-os-proxy-guard.h"

G_BEGIN_DECLS

int gn_os_proxy_repair_main (void);

/* The same with a given guard, without printing: the sentence for the user
 * goes to `message`. */
int gn_os_proxy_repair_run  (GnOsProxyGuard *guard,
                             char          **message);

G_END_DECLS
