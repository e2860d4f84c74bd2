/* gn-os-proxy-guard-private.h
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Test hook: called after the journal is on disk and before ours is applied,
 * so a test can kill the process exactly between the two steps.
 */

#pragma once

#include "gn-os-proxy-guard.h"

G_BEGIN_DECLS

void _gn_os_proxy_guard_set_after_journal_hook (GnOsProxyGuard *self,
                                                void          (*hook) (gpointer data),
                                                gpointer        data);

G_END_DECLS
