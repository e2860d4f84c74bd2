/* gn-names.h
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Names the engine and the platform agree on without knowing each other:
 * the path at which the engine serves its proxy auto-configuration script
 * (src/engine/gn-pac.c) is the path the platform writes into, and
 * recognises in, the system's "automatic configuration" URL
 * (src/platform/gn-os-proxy-settings.c, gn-os-proxy-windows.c).
 *
 * Threading: constants only.
 */

#pragma once

#define GN_PAC_PATH "/proxy.pac"
