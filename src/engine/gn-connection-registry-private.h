/* gn-connection-registry-private.h
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Internals of the connection registry that tests need: moving "local
 * midnight" so that the daily counters' reset can be tested without
 * waiting for the clock. Engine thread only.
 */

#pragma once

#include "gn-connection-registry.h"

G_BEGIN_DECLS

/* The next reset of the "today" counters, in g_get_real_time() units; after
 * it the registry goes back to the real local midnight. */
void _gn_connection_registry_set_next_midnight (GnConnectionRegistry *self,
                                                gint64                real_time);

G_END_DECLS
