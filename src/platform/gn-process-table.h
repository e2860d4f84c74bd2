/* gn-process-table.h
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Which program made a connection: a snapshot of the TCP connections on
 * this machine that go to one local port (the proxy's), each with the
 * process that owns its client end. One table answers many lookups for
 * the cost of one scan (Linux: a NETLINK_SOCK_DIAG query of the sockets
 * to that port for their inodes, /proc/net/tcp{,6} when netlink is
 * refused, then /proc/PID/fd for the owner and /proc/PID/comm for the name;
 * Windows: GetExtendedTcpTable for the owning PID, then the process's image
 * name). A connection that is already gone, or owned by another user whose
 * processes we may not read, is simply not in it.
 *
 * gn_process_lookup_connections() answers the same question for a few
 * connections named exactly (both ends), as soon as they are accepted:
 * on Linux one NETLINK_SOCK_DIAG request per socket, which the kernel
 * answers from its hash table (no walk over every socket, TIME_WAIT
 * included, as the table's query does), then one /proc/PID/fd pass for
 * them all; elsewhere a table of their ports.
 *
 * Threading: building a table or looking connections up reads many small
 * files: call it from a worker thread, never the main thread. A table is
 * immutable once built and may be read from any thread.
 */

#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

typedef struct
{
  guint  pid;
  char  *name;   /* (owned) the program's short name ("firefox", "curl.exe") */
  char  *path;   /* (owned) (nullable) its executable */
} GnProcessInfo;

typedef struct _GnProcessTable GnProcessTable;

/* The owners of the connections from @client_ports (an array of n ports,
 * the clients' ends) to @server_port on this machine. */
GnProcessTable      *gn_process_table_new    (guint16         server_port,
                                              const guint16  *client_ports,
                                              guint           n_client_ports);
/* (nullable) (transfer none): the owner of the client end at @client_port. */
const GnProcessInfo *gn_process_table_lookup (GnProcessTable *self,
                                              guint16         client_port);
guint                gn_process_table_get_size (GnProcessTable *self);
void                 gn_process_table_free   (GnProcessTable *self);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (GnProcessTable, gn_process_table_free)

/* The owners of @n TCP connections on this machine, each named by its
 * client end @clients[i] and its server end @servers[i] (GInetSocketAddress,
 * IPv4-mapped IPv6 addresses taken as IPv4): @owners[i] is set to the owner
 * of the client end (transfer full), or NULL when it is gone, owned by a
 * user whose processes we may not read, or not on this machine. */
void                 gn_process_lookup_connections (GSocketAddress *const *clients,
                                                    GSocketAddress *const *servers,
                                                    guint                  n,
                                                    GnProcessInfo        **owners);
/* (transfer full) (nullable): one connection, the same way. */
GnProcessInfo       *gn_process_lookup_connection   (GSocketAddress        *client,
                                                    GSocketAddress        *server);
GnProcessInfo       *gn_process_info_copy          (const GnProcessInfo   *info);
void                 gn_process_info_free          (GnProcessInfo         *info);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (GnProcessInfo, gn_process_info_free)

G_END_DECLS
