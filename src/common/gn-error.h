/* gn-error.h
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The error domain of the engine. Every failure a user can see carries a
 * GN_ERROR code and a message written for that user ("Port 3000 is already
 * used by another program"), never a bare errno string.
 */

#pragma once

#include <glib.h>

G_BEGIN_DECLS

#define GN_ERROR (gn_error_quark ())

typedef enum
{
  GN_ERROR_FAILED,
  GN_ERROR_ADDRESS_IN_USE,     /* the listening port is taken */
  GN_ERROR_NOT_LOOPBACK,       /* refusing a non-loopback bind address */
  GN_ERROR_INVALID_CONFIG,     /* a setting out of range */
  GN_ERROR_INVALID_DATA,       /* malformed or binary input (lists, requests) */
  GN_ERROR_NOT_RUNNING,        /* operation needs a running engine */
  GN_ERROR_BUSY,               /* another start/stop/restart is in progress */
  GN_ERROR_IO,                 /* a file could not be read or written */
  GN_ERROR_NETWORK,            /* a download or connection failed */
  GN_ERROR_PLATFORM,           /* the OS proxy settings could not be changed */
  GN_ERROR_NOT_SUPPORTED,      /* no OS proxy backend for this desktop */
} GnError;

GQuark gn_error_quark (void);

G_END_DECLS
