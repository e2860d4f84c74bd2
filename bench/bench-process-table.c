/* bench-process-table.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * What one GnProcessTable costs on a machine whose TCP table is full of
 * TIME_WAIT rows (issue: the headless proxy busy for seconds in CI). Makes
 * TIMEWAIT short loopback connections to a listener (the "proxy"), keeps
 * OPEN more connections to it open (the ones looked up), then builds the
 * table ROUNDS times for all OPEN client ports and for batches of 10, and
 * prints CPU and wall time per table; then the same owners found by the
 * exact lookup (gn_process_lookup_connections(): one sock_diag request per
 * socket, by its four-tuple), as the engine does for each connection it
 * accepts, with the owner remembered (warm) and forgotten (cold: a whole
 * /proc scan, as for a program that just started). Never a pass/fail test.
 *
 * Usage: bench-process-table [TIMEWAIT] [OPEN] [ROUNDS] [proc]
 *   "proc" as the fourth argument reads /proc/net/tcp{,6} (the fallback)
 *   instead of asking the kernel over NETLINK_SOCK_DIAG.
 *
 * Threading: one thread. Linux only.
 */

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "gn-process-table-private.h"

static double
clock_s (clockid_t id)
{
  struct timespec ts;

  clock_gettime (id, &ts);
  return ts.tv_sec + ts.tv_nsec / 1e9;
}

static int
listener (guint16 *port)
{
  struct sockaddr_in sa = { .sin_family = AF_INET, .sin_addr.s_addr = htonl (INADDR_LOOPBACK) };
  socklen_t len = sizeof sa;
  int fd = socket (AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

  if (fd < 0 || bind (fd, (struct sockaddr *) &sa, sizeof sa) < 0 || listen (fd, 4096) < 0 ||
      getsockname (fd, (struct sockaddr *) &sa, &len) < 0)
    {
      perror ("listener");
      exit (1);
    }
  *port = ntohs (sa.sin_port);
  return fd;
}

/* A connected client socket to @port; its accepted end in *@server. */
static int
connect_to (int listen_fd, guint16 port, int *server, guint16 *client_port)
{
  struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons (port),
                            .sin_addr.s_addr = htonl (INADDR_LOOPBACK) };
  socklen_t len = sizeof sa;
  int fd = socket (AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

  if (fd < 0 || connect (fd, (struct sockaddr *) &sa, sizeof sa) < 0 ||
      (*server = accept (listen_fd, NULL, NULL)) < 0 ||
      getsockname (fd, (struct sockaddr *) &sa, &len) < 0)
    {
      perror ("connect");
      exit (1);
    }
  *client_port = ntohs (sa.sin_port);
  return fd;
}

static void
measure (const char *what, guint16 port, const guint16 *ports, guint n, guint rounds)
{
  double cpu = 0, wall = 0, best = G_MAXDOUBLE;
  guint found = 0;

  for (guint r = 0; r < rounds; r++)
    {
      double c0 = clock_s (CLOCK_PROCESS_CPUTIME_ID), w0 = clock_s (CLOCK_MONOTONIC);
      GnProcessTable *table = gn_process_table_new (port, ports, n);
      double c = clock_s (CLOCK_PROCESS_CPUTIME_ID) - c0;

      wall += clock_s (CLOCK_MONOTONIC) - w0;
      cpu += c;
      best = MIN (best, c);
      found = gn_process_table_get_size (table);
      gn_process_table_free (table);
    }
  printf ("%-28s found %u/%u  CPU %.3f ms/table (best %.3f)  wall %.3f ms/table\n",
          what, found, n, cpu * 1000 / rounds, best * 1000, wall * 1000 / rounds);
}

static void
measure_exact (const char *what, GSocketAddress **clients, GSocketAddress **servers, guint n,
               guint rounds, gboolean cold)
{
  double cpu = 0, wall = 0, best = G_MAXDOUBLE;
  g_autofree GnProcessInfo **owners = g_new0 (GnProcessInfo *, n);
  guint found = 0;

  for (guint r = 0; r < rounds; r++)
    {
      double c0, w0, c;

      if (cold)
        _gn_process_table_forget_owners ();
      c0 = clock_s (CLOCK_PROCESS_CPUTIME_ID);
      w0 = clock_s (CLOCK_MONOTONIC);
      gn_process_lookup_connections (clients, servers, n, owners);
      c = clock_s (CLOCK_PROCESS_CPUTIME_ID) - c0;
      wall += clock_s (CLOCK_MONOTONIC) - w0;
      cpu += c;
      best = MIN (best, c);
      found = 0;
      for (guint i = 0; i < n; i++)
        {
          found += owners[i] != NULL;
          g_clear_pointer (&owners[i], gn_process_info_free);
        }
    }
  printf ("%-28s found %u/%u  CPU %.3f ms/lookup (best %.3f)  wall %.3f ms/lookup\n",
          what, found, n, cpu * 1000 / rounds, best * 1000, wall * 1000 / rounds);
}

static guint
count_processes (void)
{
  g_autoptr(GDir) proc = g_dir_open ("/proc", 0, NULL);
  const char *name;
  guint n = 0;

  while (proc != NULL && (name = g_dir_read_name (proc)) != NULL)
    n += g_ascii_isdigit (*name);
  return n;
}

int
main (int argc, char **argv)
{
  guint n_timewait = argc > 1 ? atoi (argv[1]) : 20000;
  guint n_open = argc > 2 ? atoi (argv[2]) : 400;
  guint rounds = argc > 3 ? atoi (argv[3]) : 20;
  g_autofree guint16 *ports = g_new (guint16, n_open);
  guint16 port;
  int lfd = listener (&port);
  g_autofree char *tcp = NULL;
  gsize len = 0;

  if (argc > 4 && g_str_equal (argv[4], "proc"))
    _gn_process_table_set_netlink (FALSE);

  for (guint i = 0; i < n_timewait; i++)
    {
      int server;
      guint16 p;
      int fd = connect_to (lfd, port, &server, &p);

      /* Half the rows on each side: whoever closes first keeps TIME_WAIT. */
      if (i % 2 == 0)
        {
          close (fd);
          close (server);
        }
      else
        {
          close (server);
          close (fd);
        }
    }
  for (guint i = 0; i < n_open; i++)
    {
      int server;

      connect_to (lfd, port, &server, &ports[i]);
    }
  g_file_get_contents ("/proc/net/tcp", &tcp, &len, NULL);
  printf ("/proc/net/tcp: %zu bytes, %u open connections looked up\n", (size_t) len, n_open);
  measure ("all open ports", port, ports, n_open, rounds);
  measure ("batch of 10", port, ports, MIN (n_open, 10), rounds);
  measure ("batch of 1", port, ports, MIN (n_open, 1), rounds);

  {
    g_autoptr(GInetAddress) loopback = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
    g_autoptr(GPtrArray) clients = g_ptr_array_new_with_free_func (g_object_unref);
    g_autoptr(GPtrArray) servers = g_ptr_array_new_with_free_func (g_object_unref);

    for (guint i = 0; i < n_open; i++)
      {
        g_ptr_array_add (clients, g_inet_socket_address_new (loopback, ports[i]));
        g_ptr_array_add (servers, g_inet_socket_address_new (loopback, port));
      }
    printf ("exact lookups (%u processes in /proc):\n", count_processes ());
    measure_exact ("exact, all open, warm", (GSocketAddress **) clients->pdata,
                   (GSocketAddress **) servers->pdata, n_open, rounds, FALSE);
    measure_exact ("exact, 10, warm", (GSocketAddress **) clients->pdata,
                   (GSocketAddress **) servers->pdata, MIN (n_open, 10), rounds, FALSE);
    measure_exact ("exact, 1, warm", (GSocketAddress **) clients->pdata,
                   (GSocketAddress **) servers->pdata, MIN (n_open, 1), rounds, FALSE);
    measure_exact ("exact, 1, cold (whole /proc)", (GSocketAddress **) clients->pdata,
                   (GSocketAddress **) servers->pdata, MIN (n_open, 1), rounds, TRUE);
  }
  return 0;
}
