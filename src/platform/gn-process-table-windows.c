/* gn-process-table-windows.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Windows: which process owns a client socket. GetExtendedTcpTable
 * (TCP_TABLE_OWNER_PID_CONNECTIONS) lists every connection with its owning
 * PID, IPv4 and IPv6; the client end of a connection to the proxy has the
 * proxy's port as its remote port. The name is the base name of the
 * process's image (QueryFullProcessImageNameW, which works for processes
 * of the same user without debug rights). Rows whose owner is PID 0 are
 * left out: Windows says 0 for TIME_WAIT rows, and Wine (8.0, checked by
 * tests/windows/test-process-table.c) says 0 for every row.
 *
 * Threading: a worker thread.
 */

#include <winsock2.h>
#include <ws2tcpip.h>
#include <windows.h>
#include <iphlpapi.h>

#include "gn-process-table-private.h"

static void
add_owner (GnProcessTable *self,
           guint16         client_port,
           DWORD           pid)
{
  HANDLE process = OpenProcess (PROCESS_QUERY_LIMITED_INFORMATION, FALSE, pid);
  WCHAR image[MAX_PATH];
  DWORD size = G_N_ELEMENTS (image);
  g_autofree char *path = NULL;
  g_autofree char *name = NULL;

  if (process != NULL)
    {
      if (QueryFullProcessImageNameW (process, 0, image, &size))
        path = g_utf16_to_utf8 ((const gunichar2 *) image, size, NULL, NULL, NULL);
      CloseHandle (process);
    }
  name = path != NULL ? g_path_get_basename (path) : g_strdup_printf ("%lu", (unsigned long) pid);
  _gn_process_table_add (self, client_port, (guint) pid, name, path);
}

static gpointer
get_table (ULONG family)
{
  DWORD size = 0;
  gpointer table = NULL;

  /* The table can grow between the calls (many short connections): each
   * try leaves room to spare. */
  for (guint tries = 0; tries < 8; tries++)
    {
      DWORD rc = GetExtendedTcpTable (table, &size, FALSE, family,
                                      TCP_TABLE_OWNER_PID_CONNECTIONS, 0);

      if (rc == NO_ERROR)
        return table;
      g_free (table);
      table = NULL;
      if (rc != ERROR_INSUFFICIENT_BUFFER)
        return NULL;
      size += size / 4 + 4096;
      table = g_malloc (size);
    }
  g_free (table);
  return NULL;
}

void
_gn_process_table_add_rows (GnProcessTable      *self,
                            guint16              server_port,
                            GHashTable          *wanted,
                            const GnTcpOwnerRow *rows,
                            guint                n_rows)
{
  for (guint i = 0; i < n_rows; i++)
    if (rows[i].remote_port == server_port && rows[i].pid != 0 &&
        g_hash_table_contains (wanted, GUINT_TO_POINTER ((guint) rows[i].local_port)))
      add_owner (self, rows[i].local_port, rows[i].pid);
}

void
_gn_process_table_fill (GnProcessTable *self,
                        guint16         server_port,
                        const guint16  *client_ports,
                        guint           n_client_ports)
{
  g_autoptr(GHashTable) wanted = g_hash_table_new (NULL, NULL);
  g_autofree MIB_TCPTABLE_OWNER_PID *v4 = get_table (AF_INET);
  g_autofree MIB_TCP6TABLE_OWNER_PID *v6 = get_table (AF_INET6);
  g_autoptr(GArray) rows = g_array_new (FALSE, FALSE, sizeof (GnTcpOwnerRow));

  for (guint i = 0; i < n_client_ports; i++)
    g_hash_table_add (wanted, GUINT_TO_POINTER ((guint) client_ports[i]));
  for (DWORD i = 0; v4 != NULL && i < v4->dwNumEntries; i++)
    {
      GnTcpOwnerRow row = { ntohs ((u_short) v4->table[i].dwLocalPort),
                            ntohs ((u_short) v4->table[i].dwRemotePort),
                            (guint) v4->table[i].dwOwningPid };

      g_array_append_val (rows, row);
    }
  for (DWORD i = 0; v6 != NULL && i < v6->dwNumEntries; i++)
    {
      GnTcpOwnerRow row = { ntohs ((u_short) v6->table[i].dwLocalPort),
                            ntohs ((u_short) v6->table[i].dwRemotePort),
                            (guint) v6->table[i].dwOwningPid };

      g_array_append_val (rows, row);
    }
  _gn_process_table_add_rows (self, server_port, wanted, (const GnTcpOwnerRow *) rows->data, rows->len);
}

/* No exact question to ask Windows: one GetExtendedTcpTable for them all. */
void
_gn_process_lookup_connections (GSocketAddress *const *clients,
                                GSocketAddress *const *servers,
                                guint                  n,
                                GnProcessInfo        **owners)
{
  _gn_process_lookup_by_table (clients, servers, n, owners);
}
