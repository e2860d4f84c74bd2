/* gn-process-table-private.h
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Between gn-process-table.c and the OS file that fills the table.
 * Threading: the thread building the table.
 */

#pragma once

#include "gn-process-table.h"

G_BEGIN_DECLS

struct _GnProcessTable
{
  GHashTable *owners;   /* client port → GnProcessInfo (owned) */
};

void _gn_process_table_fill (GnProcessTable *self,
                             guint16         server_port,
                             const guint16  *client_ports,
                             guint           n_client_ports);
void _gn_process_table_add  (GnProcessTable *self,
                             guint16         client_port,
                             guint           pid,
                             const char     *name,
                             const char     *path);

/* The OS's gn_process_lookup_connections(). */
void _gn_process_lookup_connections (GSocketAddress *const *clients,
                                     GSocketAddress *const *servers,
                                     guint                  n,
                                     GnProcessInfo        **owners);
/* Any OS: the same through one GnProcessTable per server port (the
 * Windows way, and Linux's when netlink is refused). Fills the owners
 * still NULL. */
void _gn_process_lookup_by_table    (GSocketAddress *const *clients,
                                     GSocketAddress *const *servers,
                                     guint                  n,
                                     GnProcessInfo        **owners);

#ifdef G_OS_WIN32
/* Windows: one row of GetExtendedTcpTable, ports in host order. */
typedef struct
{
  guint16 local_port;
  guint16 remote_port;
  guint   pid;          /* 0: the OS did not say (Wine always says 0) */
} GnTcpOwnerRow;

/* Adds the owners of the rows that are client ends of connections to
 * @server_port from a port in @wanted (a set of GUINT_TO_POINTER ports);
 * rows owned by PID 0 are left out (no program to name). */
void _gn_process_table_add_rows (GnProcessTable      *self,
                                 guint16              server_port,
                                 GHashTable          *wanted,
                                 const GnTcpOwnerRow *rows,
                                 guint                n_rows);
#endif

/* Linux, for tests and bench only: FALSE makes every table read
 * /proc/net/tcp{,6} as when netlink is refused (and every exact lookup
 * use such a table). */
void _gn_process_table_set_netlink (gboolean enabled);
/* Linux, for tests and bench only: FALSE forgets the processes that owned
 * client sockets lately, so the next lookup scans /proc as if new. */
void _gn_process_table_forget_owners (void);

G_END_DECLS
