/* test-process-table.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * GnProcessTable on Linux, both ways of finding the sockets (netlink
 * sock_diag, and /proc/net/tcp{,6} as when netlink is refused): real
 * loopback connections made by this process (IPv4 and IPv6) resolve to
 * this process; a real curl connected to a listener of ours resolves to
 * curl and its pid while the TCP table also holds thousands of TIME_WAIT
 * rows and hundreds of unrelated open connections to the same port; a
 * port with no connection resolves to nothing. The exact lookup
 * (gn_process_lookup_connections(): one sock_diag request per socket) finds
 * the same owners by both ends of each connection, IPv4, IPv6 and IPv4
 * through a dual-stack listener, and nothing for a closed connection or a
 * four-tuple that does not exist.
 *
 * Threading: the test's main thread only.
 */

#define _GNU_SOURCE
#include <arpa/inet.h>
#include <gio/gio.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "gn-process-table-private.h"

typedef struct
{
  int     family;
  int     listen_fd;
  guint16 port;
} Listener;

static GSocketAddress *
end_address (int      fd,
             gboolean peer)
{
  struct sockaddr_storage ss;
  socklen_t len = sizeof ss;

  if (peer)
    g_assert_cmpint (getpeername (fd, (struct sockaddr *) &ss, &len), ==, 0);
  else
    g_assert_cmpint (getsockname (fd, (struct sockaddr *) &ss, &len), ==, 0);
  return g_socket_address_new_from_native (&ss, len);
}

static guint16
sock_port (int      fd,
           gboolean peer)
{
  g_autoptr(GSocketAddress) address = end_address (fd, peer);

  return g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (address));
}

static gboolean
listener_init (Listener *l,
               int       family)
{
  struct sockaddr_storage ss = { 0 };
  socklen_t len;

  l->family = family;
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
  l->listen_fd = socket (family, SOCK_STREAM | SOCK_CLOEXEC, 0);
  g_assert_cmpint (l->listen_fd, >=, 0);
  if (bind (l->listen_fd, (struct sockaddr *) &ss, len) < 0)
    {
      close (l->listen_fd);
      return FALSE;   /* no IPv6 loopback here */
    }
  g_assert_cmpint (listen (l->listen_fd, 4096), ==, 0);
  l->port = sock_port (l->listen_fd, FALSE);
  return TRUE;
}

/* A client socket connected to @l; its accepted end in *@server. */
static int
connect_to (Listener *l,
            int      *server)
{
  struct sockaddr_storage ss;
  socklen_t len = sizeof ss;
  int fd = socket (l->family, SOCK_STREAM | SOCK_CLOEXEC, 0);

  g_assert_cmpint (getsockname (l->listen_fd, (struct sockaddr *) &ss, &len), ==, 0);
  g_assert_cmpint (connect (fd, (struct sockaddr *) &ss, len), ==, 0);
  *server = accept4 (l->listen_fd, NULL, NULL, SOCK_CLOEXEC);
  g_assert_cmpint (*server, >=, 0);
  return fd;
}

static char *
own_comm (void)
{
  char *comm = NULL;

  g_assert_true (g_file_get_contents ("/proc/self/comm", &comm, NULL, NULL));
  return g_strchomp (comm);
}

static void
test_own_sockets (gconstpointer data)
{
  gboolean netlink = GPOINTER_TO_INT (data);
  g_autofree char *comm = own_comm ();

  _gn_process_table_set_netlink (netlink);
  for (int family = AF_INET; family != -1; family = family == AF_INET ? AF_INET6 : -1)
    {
      Listener l;
      int server, client;
      guint16 ports[2];
      g_autoptr(GnProcessTable) table = NULL;
      const GnProcessInfo *info;

      if (!listener_init (&l, family))
        {
          g_test_message ("no IPv6 loopback: IPv6 not checked");
          continue;
        }
      client = connect_to (&l, &server);
      ports[0] = sock_port (client, FALSE);
      ports[1] = l.port;   /* the listener's own port: no client end there */
      table = gn_process_table_new (l.port, ports, 2);
      info = gn_process_table_lookup (table, ports[0]);
      g_assert_nonnull (info);
      g_assert_cmpuint (info->pid, ==, (guint) getpid ());
      g_assert_cmpstr (info->name, ==, comm);
      g_assert_nonnull (info->path);
      g_assert_null (gn_process_table_lookup (table, ports[1]));
      /* The server's end (remote port = the client's) is not a client end. */
      g_assert_cmpuint (gn_process_table_get_size (table), ==, 1);
      close (client);
      close (server);
      close (l.listen_fd);
    }
  _gn_process_table_set_netlink (TRUE);
}

/* What the engine sees: the accepted end's peer (the client) and its own
 * address (the server). */
static GnProcessInfo *
lookup_accepted (int server)
{
  g_autoptr(GSocketAddress) client_end = end_address (server, TRUE);
  g_autoptr(GSocketAddress) server_end = end_address (server, FALSE);

  return gn_process_lookup_connection (client_end, server_end);
}

static void
test_exact_own_sockets (gconstpointer data)
{
  gboolean netlink = GPOINTER_TO_INT (data);
  g_autofree char *comm = own_comm ();

  _gn_process_table_set_netlink (netlink);
  for (int family = AF_INET; family != -1; family = family == AF_INET ? AF_INET6 : -1)
    {
      Listener l;
      int server, client, gone_server, gone_client;
      g_autoptr(GnProcessInfo) info = NULL;
      g_autoptr(GnProcessInfo) gone = NULL;
      g_autoptr(GnProcessInfo) none = NULL;
      g_autoptr(GSocketAddress) gone_client_end = NULL;
      g_autoptr(GSocketAddress) gone_server_end = NULL;
      g_autoptr(GInetAddress) loopback = NULL;
      g_autoptr(GSocketAddress) nobody = NULL;
      g_autoptr(GSocketAddress) listener_end = NULL;

      if (!listener_init (&l, family))
        {
          g_test_message ("no IPv6 loopback: IPv6 not checked");
          continue;
        }
      _gn_process_table_forget_owners ();
      client = connect_to (&l, &server);
      info = lookup_accepted (server);
      g_assert_nonnull (info);
      g_assert_cmpuint (info->pid, ==, (guint) getpid ());
      g_assert_cmpstr (info->name, ==, comm);
      g_assert_nonnull (info->path);

      /* Closed by the client first: its end is in TIME_WAIT, no owner. */
      gone_client = connect_to (&l, &gone_server);
      gone_client_end = end_address (gone_server, TRUE);
      gone_server_end = end_address (gone_server, FALSE);
      close (gone_client);
      close (gone_server);
      gone = gn_process_lookup_connection (gone_client_end, gone_server_end);
      g_assert_null (gone);

      /* A port nobody connected from. */
      loopback = g_inet_address_new_loopback (family == AF_INET ? G_SOCKET_FAMILY_IPV4 : G_SOCKET_FAMILY_IPV6);
      nobody = g_inet_socket_address_new (loopback, 1);
      listener_end = end_address (l.listen_fd, FALSE);
      none = gn_process_lookup_connection (nobody, listener_end);
      g_assert_null (none);

      close (client);
      close (server);
      close (l.listen_fd);
    }
  _gn_process_table_set_netlink (TRUE);
}

/* A client of 127.0.0.1 on a dual-stack [::] listener: the accepted end
 * sees ::ffff:127.0.0.1 on both sides; the client's socket is IPv4. */
static void
test_exact_mapped (void)
{
  struct sockaddr_in6 any6 = { .sin6_family = AF_INET6, .sin6_addr = IN6ADDR_ANY_INIT };
  struct sockaddr_in to = { .sin_family = AF_INET };
  socklen_t len = sizeof any6;
  int off = 0;
  int listen_fd = socket (AF_INET6, SOCK_STREAM | SOCK_CLOEXEC, 0);
  int client, server;
  g_autoptr(GnProcessInfo) info = NULL;
  g_autoptr(GSocketAddress) peer = NULL;

  g_assert_cmpint (listen_fd, >=, 0);
  setsockopt (listen_fd, IPPROTO_IPV6, IPV6_V6ONLY, &off, sizeof off);
  if (bind (listen_fd, (struct sockaddr *) &any6, sizeof any6) < 0)
    {
      close (listen_fd);
      g_test_skip ("no IPv6 here");
      return;
    }
  g_assert_cmpint (listen (listen_fd, 4), ==, 0);
  g_assert_cmpint (getsockname (listen_fd, (struct sockaddr *) &any6, &len), ==, 0);
  to.sin_port = any6.sin6_port;
  to.sin_addr.s_addr = htonl (INADDR_LOOPBACK);
  client = socket (AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  g_assert_cmpint (connect (client, (struct sockaddr *) &to, sizeof to), ==, 0);
  server = accept4 (listen_fd, NULL, NULL, SOCK_CLOEXEC);
  g_assert_cmpint (server, >=, 0);

  /* GIO turns mapped addresses into IPv4 ones: as it finds them… */
  info = lookup_accepted (server);
  g_assert_nonnull (info);
  g_assert_cmpuint (info->pid, ==, (guint) getpid ());
  g_clear_pointer (&info, gn_process_info_free);

  /* …and spelled as the socket holds them. */
  {
    g_autoptr(GInetAddress) mapped = g_inet_address_new_from_string ("::ffff:127.0.0.1");
    g_autoptr(GSocketAddress) server_end = NULL;

    peer = g_inet_socket_address_new (mapped, sock_port (server, TRUE));
    server_end = g_inet_socket_address_new (mapped, sock_port (server, FALSE));
    info = gn_process_lookup_connection (peer, server_end);
    g_assert_nonnull (info);
    g_assert_cmpuint (info->pid, ==, (guint) getpid ());
  }

  close (client);
  close (server);
  close (listen_fd);
}

/* TIME_WAIT (state 06) rows in /proc/net/tcp. */
static int
count_time_wait (void)
{
  g_autofree char *text = NULL;
  int n = 0;

  g_assert_true (g_file_get_contents ("/proc/net/tcp", &text, NULL, NULL));
  for (char *line = strchr (text, '\n'); line != NULL; line = strchr (line + 1, '\n'))
    {
      unsigned int state;

      if (sscanf (line + 1, " %*u: %*x:%*x %*x:%*x %x", &state) == 1 && state == 6)
        n++;
    }
  return n;
}

#define N_TIME_WAIT 3000
#define N_UNRELATED 300

/* curl, connected to a listener that never answers, among thousands of
 * TIME_WAIT rows and hundreds of open connections to the same port. */
static void
test_curl_among_many (gconstpointer data)
{
  gboolean netlink = GPOINTER_TO_INT (data);
  Listener l;
  g_autofree guint16 *ports = g_new (guint16, N_UNRELATED + 1);
  int clients[N_UNRELATED], servers[N_UNRELATED];
  g_autoptr(GSubprocess) curl = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *url = NULL;
  g_autofree char *comm = own_comm ();
  g_autoptr(GnProcessTable) table = NULL;
  const GnProcessInfo *info;
  g_autofree char *pid_text = NULL;
  int curl_end;
  int n_time_wait;

  _gn_process_table_set_netlink (netlink);
  g_assert_true (listener_init (&l, AF_INET));
  for (guint i = 0; i < N_TIME_WAIT; i++)
    {
      int server, client = connect_to (&l, &server);

      close (client);   /* closed first: the client end stays in TIME_WAIT */
      close (server);
    }
  for (guint i = 0; i < N_UNRELATED; i++)
    {
      clients[i] = connect_to (&l, &servers[i]);
      ports[i + 1] = sock_port (clients[i], FALSE);
    }
  n_time_wait = count_time_wait ();
  g_test_message ("TIME_WAIT rows in /proc/net/tcp: %d", n_time_wait);
  g_assert_cmpint (n_time_wait, >=, N_TIME_WAIT / 2);

  url = g_strdup_printf ("http://127.0.0.1:%u/", l.port);
  curl = g_subprocess_new (G_SUBPROCESS_FLAGS_STDOUT_SILENCE | G_SUBPROCESS_FLAGS_STDERR_SILENCE,
                           &error, "curl", "-sS", "--noproxy", "*", "--max-time", "60", url, NULL);
  g_assert_no_error (error);
  curl_end = accept4 (l.listen_fd, NULL, NULL, SOCK_CLOEXEC);
  g_assert_cmpint (curl_end, >=, 0);
  ports[0] = sock_port (curl_end, TRUE);

  table = gn_process_table_new (l.port, ports, N_UNRELATED + 1);
  info = gn_process_table_lookup (table, ports[0]);
  g_assert_nonnull (info);
  g_assert_cmpstr (info->name, ==, "curl");
  pid_text = g_strdup_printf ("%u", info->pid);
  g_assert_cmpstr (g_subprocess_get_identifier (curl), ==, pid_text);
  for (guint i = 1; i <= N_UNRELATED; i++)
    {
      info = gn_process_table_lookup (table, ports[i]);
      g_assert_nonnull (info);
      g_assert_cmpstr (info->name, ==, comm);
    }
  g_assert_cmpuint (gn_process_table_get_size (table), ==, N_UNRELATED + 1);

  /* Exactly, by both ends, with nothing remembered: curl again (the
   * fallback's exact lookup is a table like the above: not read again). */
  if (netlink)
  {
    g_autoptr(GnProcessInfo) exact = NULL;

    _gn_process_table_forget_owners ();
    exact = lookup_accepted (curl_end);
    g_assert_nonnull (exact);
    g_assert_cmpstr (exact->name, ==, "curl");
    g_assert_cmpstr (g_subprocess_get_identifier (curl), ==, pid_text);
    g_assert_cmpuint (exact->pid, ==, (guint) g_ascii_strtoull (pid_text, NULL, 10));
  }

  /* Only curl asked for: still curl. */
  g_clear_pointer (&table, gn_process_table_free);
  table = gn_process_table_new (l.port, ports, 1);
  g_assert_cmpuint (gn_process_table_get_size (table), ==, 1);
  g_assert_cmpstr (gn_process_table_lookup (table, ports[0])->name, ==, "curl");

  g_subprocess_force_exit (curl);
  g_subprocess_wait (curl, NULL, NULL);
  close (curl_end);
  for (guint i = 0; i < N_UNRELATED; i++)
    {
      close (clients[i]);
      close (servers[i]);
    }
  close (l.listen_fd);
  _gn_process_table_set_netlink (TRUE);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_data_func ("/process-table/own-sockets/netlink", GINT_TO_POINTER (TRUE), test_own_sockets);
  g_test_add_data_func ("/process-table/own-sockets/proc", GINT_TO_POINTER (FALSE), test_own_sockets);
  g_test_add_data_func ("/process-table/curl-among-many/netlink", GINT_TO_POINTER (TRUE),
                        test_curl_among_many);
  g_test_add_data_func ("/process-table/curl-among-many/proc", GINT_TO_POINTER (FALSE),
                        test_curl_among_many);
  g_test_add_data_func ("/process-table/exact/own-sockets/netlink", GINT_TO_POINTER (TRUE),
                        test_exact_own_sockets);
  g_test_add_data_func ("/process-table/exact/own-sockets/proc", GINT_TO_POINTER (FALSE),
                        test_exact_own_sockets);
  g_test_add_func ("/process-table/exact/mapped", test_exact_mapped);
  return g_test_run ();
}
