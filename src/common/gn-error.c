/* gn-error.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "gn-error.h"

G_DEFINE_QUARK (gn-error-quark, gn_error)
