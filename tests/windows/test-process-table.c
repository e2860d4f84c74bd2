/* test-process-table.c (Windows)
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * GnProcessTable on Windows (gn-process-table-windows.c: GetExtendedTcpTable
 * with owner PIDs, then the process's image name), run under Wine by the
 * cross build's test suite and natively on Windows.
 *
 * On Windows a loopback TCP connection made by this test itself (IPv4, and
 * IPv6 when ::1 exists) resolves to this process's PID and image name. Wine
 * 8.0 lists the connection but with owner PID 0 in every row (see
 * README.md: "Which program" on Windows), so under Wine the same check
 * asserts the connection is left out rather than named wrongly, and the
 * rest of the path is checked on its own: picking the client-end rows of
 * connections to the proxy's port (real rows of GetExtendedTcpTable under
 * Wine, and made-up ones), and a PID to its image name (this process's).
 * The listener's own port and a port with no connection never resolve.
 *
 * Threading: the test's main thread only.
 */

#include <winsock2.h>
#include <ws2tcpip.h>
#include <windows.h>
#include <iphlpapi.h>

#include <glib.h>

#include "gn-process-table-private.h"

static gboolean
under_wine (void)
{
  HMODULE ntdll = GetModuleHandleW (L"ntdll.dll");

  return ntdll != NULL && GetProcAddress (ntdll, "wine_get_version") != NULL;
}

typedef struct
{
  SOCKET  listener;
  SOCKET  client;
  SOCKET  server;
  guint16 server_port;
  guint16 client_port;
} Pair;

static guint16
port_of (SOCKET s)
{
  struct sockaddr_storage ss;
  int len = sizeof ss;

  g_assert_cmpint (getsockname (s, (struct sockaddr *) &ss, &len), ==, 0);
  return ntohs (ss.ss_family == AF_INET ? ((struct sockaddr_in *) &ss)->sin_port
                                        : ((struct sockaddr_in6 *) &ss)->sin6_port);
}

/* A loopback connection of this process; FALSE if @family has no loopback. */
static gboolean
pair_open (Pair *p,
           int   family)
{
  struct sockaddr_storage ss = { 0 };
  int len;

  if (family == AF_INET)
    {
      struct sockaddr_in *sa = (struct sockaddr_in *) &ss;

      sa->sin_family = AF_INET;
      sa->sin_addr.s_addr = htonl (INADDR_LOOPBACK);
      len = sizeof *sa;
    }
  else
    {
      struct sockaddr_in6 *sa = (struct sockaddr_in6 *) &ss;

      sa->sin6_family = AF_INET6;
      sa->sin6_addr = in6addr_loopback;
      len = sizeof *sa;
    }
  p->listener = socket (family, SOCK_STREAM, IPPROTO_TCP);
  g_assert_true (p->listener != INVALID_SOCKET);
  if (bind (p->listener, (struct sockaddr *) &ss, len) != 0)
    {
      closesocket (p->listener);
      return FALSE;
    }
  g_assert_cmpint (listen (p->listener, 8), ==, 0);
  g_assert_cmpint (getsockname (p->listener, (struct sockaddr *) &ss, &len), ==, 0);
  p->server_port = port_of (p->listener);

  p->client = socket (family, SOCK_STREAM, IPPROTO_TCP);
  g_assert_true (p->client != INVALID_SOCKET);
  g_assert_cmpint (connect (p->client, (struct sockaddr *) &ss, len), ==, 0);
  p->server = accept (p->listener, NULL, NULL);
  g_assert_true (p->server != INVALID_SOCKET);
  p->client_port = port_of (p->client);
  return TRUE;
}

static void
pair_close (Pair *p)
{
  closesocket (p->client);
  closesocket (p->server);
  closesocket (p->listener);
}

static char *
own_image_name (void)
{
  WCHAR path[MAX_PATH];
  DWORD n = GetModuleFileNameW (NULL, path, G_N_ELEMENTS (path));
  g_autofree char *utf8 = g_utf16_to_utf8 ((const gunichar2 *) path, n, NULL, NULL, NULL);

  g_assert_nonnull (utf8);
  return g_path_get_basename (utf8);
}

static void
test_own_connection (gconstpointer data)
{
  int family = GPOINTER_TO_INT (data);
  g_autofree char *image = own_image_name ();
  g_autoptr(GnProcessTable) table = NULL;
  const GnProcessInfo *info;
  guint16 ports[3];
  Pair p;

  if (!pair_open (&p, family))
    {
      g_test_skip ("no loopback address of this family");
      return;
    }
  ports[0] = p.client_port;
  ports[1] = p.server_port;           /* the listener's own port */
  ports[2] = p.client_port ^ 0x5555;  /* no connection there */
  table = gn_process_table_new (p.server_port, ports, G_N_ELEMENTS (ports));
  g_test_message ("client port %u → %s", p.client_port,
                  gn_process_table_lookup (table, p.client_port) ?
                  gn_process_table_lookup (table, p.client_port)->path : "(nothing)");

  g_assert_null (gn_process_table_lookup (table, p.server_port));
  g_assert_null (gn_process_table_lookup (table, ports[2]));
  info = gn_process_table_lookup (table, p.client_port);
  if (under_wine ())
    {
      /* Wine gives no owner: unknown, never a wrong name such as "0". */
      g_test_message ("under Wine: the owner of the connection is not known");
      g_assert_null (info);
      g_assert_cmpuint (gn_process_table_get_size (table), ==, 0);
    }
  else
    {
      g_assert_nonnull (info);
      g_assert_cmpuint (info->pid, ==, GetCurrentProcessId ());
      g_assert_cmpstr (info->name, ==, image);
      g_assert_nonnull (info->path);
      g_assert_cmpuint (gn_process_table_get_size (table), ==, 1);
    }
  pair_close (&p);
}

/* What GetExtendedTcpTable says about this test's own connection (both
 * ends), as rows; FALSE if the table has no row for it. */
static gboolean
own_rows (const Pair    *p,
          GnTcpOwnerRow *client_end,
          GnTcpOwnerRow *server_end)
{
  DWORD size = 0, rc = ERROR_INSUFFICIENT_BUFFER;
  g_autofree MIB_TCPTABLE_OWNER_PID *table = NULL;
  guint found = 0;

  g_assert_cmpuint (GetExtendedTcpTable (NULL, &size, FALSE, AF_INET, TCP_TABLE_OWNER_PID_ALL, 0),
                    ==, ERROR_INSUFFICIENT_BUFFER);
  /* The table grows between the two calls on a machine with many
   * short connections (Wine reads the host's, TIME_WAIT rows included):
   * ask again with room to spare until it fits. */
  for (guint tries = 0; tries < 8; tries++)
    {
      size += size / 2 + 4096;
      g_free (table);
      table = g_malloc (size);
      rc = GetExtendedTcpTable (table, &size, FALSE, AF_INET, TCP_TABLE_OWNER_PID_ALL, 0);
      if (rc != ERROR_INSUFFICIENT_BUFFER)
        break;
    }
  g_assert_cmpuint (rc, ==, NO_ERROR);
  for (DWORD i = 0; i < table->dwNumEntries; i++)
    {
      GnTcpOwnerRow row = { ntohs ((u_short) table->table[i].dwLocalPort),
                            ntohs ((u_short) table->table[i].dwRemotePort),
                            (guint) table->table[i].dwOwningPid };

      if (row.local_port == p->client_port && row.remote_port == p->server_port)
        *client_end = row, found++;
      else if (row.local_port == p->server_port && row.remote_port == p->client_port)
        *server_end = row, found++;
    }
  return found == 2;
}

/* The steps after the table: which rows are client ends of connections to
 * the proxy's port, and a PID to its image name. */
static void
test_rows (void)
{
  g_autofree char *image = own_image_name ();
  g_autoptr(GHashTable) wanted = g_hash_table_new (NULL, NULL);
  g_autoptr(GnProcessTable) table = gn_process_table_new (3000, NULL, 0);
  const GnProcessInfo *info;
  GnTcpOwnerRow client_end = { 0 }, server_end = { 0 };
  Pair p;
  guint me = GetCurrentProcessId ();
  GnTcpOwnerRow rows[] = {
    { 40001, 3000, me },   /* a client end: named */
    { 40002, 3000, 0 },    /* owner not known (TIME_WAIT, Wine): left out */
    { 40003, 8080, me },   /* to another port */
    { 3000, 40004, me },   /* the proxy's own end of a connection */
    { 40005, 3000, me },   /* not asked for */
  };

  for (guint port = 40001; port <= 40004; port++)
    g_hash_table_add (wanted, GUINT_TO_POINTER (port));
  g_hash_table_add (wanted, GUINT_TO_POINTER (3000u));
  _gn_process_table_add_rows (table, 3000, wanted, rows, G_N_ELEMENTS (rows));
  g_assert_cmpuint (gn_process_table_get_size (table), ==, 1);
  info = gn_process_table_lookup (table, 40001);
  g_assert_nonnull (info);
  g_assert_cmpuint (info->pid, ==, me);
  /* The PID's image name, as the OS tells it (Wine too). */
  g_assert_cmpstr (info->name, ==, image);
  g_assert_nonnull (info->path);
  g_assert_true (g_str_has_suffix (info->path, image));

  /* Real rows: GetExtendedTcpTable lists this test's own connection, and
   * the client end is the one picked. */
  g_assert_true (pair_open (&p, AF_INET));
  g_assert_true (own_rows (&p, &client_end, &server_end));
  g_test_message ("own connection: client end owner %u, server end owner %u (this process: %u)",
                  client_end.pid, server_end.pid, me);
  if (!under_wine ())
    g_assert_cmpuint (client_end.pid, ==, me);
  client_end.pid = server_end.pid = me;   /* as Windows says */
  {
    g_autoptr(GnProcessTable) real = gn_process_table_new (p.server_port, NULL, 0);
    g_autoptr(GHashTable) ports = g_hash_table_new (NULL, NULL);
    GnTcpOwnerRow both[2] = { server_end, client_end };

    g_hash_table_add (ports, GUINT_TO_POINTER ((guint) p.client_port));
    _gn_process_table_add_rows (real, p.server_port, ports, both, 2);
    g_assert_cmpuint (gn_process_table_get_size (real), ==, 1);
    g_assert_cmpstr (gn_process_table_lookup (real, p.client_port)->name, ==, image);
  }
  pair_close (&p);
}

int
main (int argc, char **argv)
{
  WSADATA wsa;
  int ret;

  g_assert_cmpint (WSAStartup (MAKEWORD (2, 2), &wsa), ==, 0);
  g_test_init (&argc, &argv, NULL);
  g_test_add_data_func ("/process-table/windows/own-connection/ipv4", GINT_TO_POINTER (AF_INET),
                        test_own_connection);
  g_test_add_data_func ("/process-table/windows/own-connection/ipv6", GINT_TO_POINTER (AF_INET6),
                        test_own_connection);
  g_test_add_func ("/process-table/windows/rows", test_rows);
  ret = g_test_run ();
  WSACleanup ();
  return ret;
}
