/* http-load.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Open-loop plain-HTTP load through a proxy at a fixed rate of NEW
 * connections: every 1/RATE s a new client connection to the proxy sends
 * "GET http://127.0.0.1:ORIGIN_PORT/ HTTP/1.1" with "Connection: close"
 * and reads the answer to the end of the stream, whatever the earlier
 * ones are doing (a slow proxy makes connections pile up, never the rate
 * drop). At the end it prints "sent N ok N failed N" on stdout.
 *
 * Usage: http-load PROXY_PORT ORIGIN_PORT RATE SECONDS
 *
 * Used by `ui-stall --external-load` so the load runs in a process of its
 * own, not in the window's. Plain POSIX sockets and epoll on one thread,
 * so the client costs little. Linux only; never a pass/fail test.
 */

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

typedef struct
{
  int    fd;
  int    sent_request;
  size_t have;
  char   head[16];
} Client;

static int  proxy_port;
static char request[256];
static long n_sent, n_ok, n_failed, n_open;

static double
now (void)
{
  struct timespec ts;

  clock_gettime (CLOCK_MONOTONIC, &ts);
  return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void
client_end (int epfd, Client *c, int ok)
{
  if (ok)
    n_ok++;
  else
    n_failed++;
  epoll_ctl (epfd, EPOLL_CTL_DEL, c->fd, NULL);
  close (c->fd);
  free (c);
  n_open--;
}

static void
client_start (int epfd)
{
  struct sockaddr_in sa = { .sin_family = AF_INET };
  struct epoll_event ev = { .events = EPOLLOUT };
  Client *c = calloc (1, sizeof *c);
  int one = 1;

  n_sent++;
  n_open++;
  sa.sin_port = htons (proxy_port);
  sa.sin_addr.s_addr = htonl (INADDR_LOOPBACK);
  c->fd = socket (AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
  if (c->fd < 0)
    {
      perror ("socket");
      exit (1);
    }
  setsockopt (c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  ev.data.ptr = c;
  if (connect (c->fd, (struct sockaddr *) &sa, sizeof sa) < 0 && errno != EINPROGRESS)
    {
      close (c->fd);
      free (c);
      n_open--;
      n_failed++;
      return;
    }
  epoll_ctl (epfd, EPOLL_CTL_ADD, c->fd, &ev);
}

static void
client_ready (int epfd, Client *c)
{
  char buf[4096];
  ssize_t n;

  if (!c->sent_request)
    {
      struct epoll_event ev = { .events = EPOLLIN, .data.ptr = c };
      size_t len = strlen (request);
      int err = 0;
      socklen_t elen = sizeof err;

      getsockopt (c->fd, SOL_SOCKET, SO_ERROR, &err, &elen);
      if (err != 0 || send (c->fd, request, len, MSG_NOSIGNAL) != (ssize_t) len)
        {
          client_end (epfd, c, 0);
          return;
        }
      c->sent_request = 1;
      epoll_ctl (epfd, EPOLL_CTL_MOD, c->fd, &ev);
      return;
    }

  n = recv (c->fd, buf, sizeof buf, 0);
  if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
    return;
  if (n <= 0)
    {
      client_end (epfd, c, n == 0 && c->have >= 12 && memcmp (c->head, "HTTP/1.1 200", 12) == 0);
      return;
    }
  if (c->have < sizeof c->head)
    {
      size_t take = sizeof c->head - c->have < (size_t) n ? sizeof c->head - c->have : (size_t) n;

      memcpy (c->head + c->have, buf, take);
    }
  c->have += n;
}

int
main (int argc, char *argv[])
{
  double rate, seconds, start, end, t;
  int origin_port, epfd;

  if (argc != 5)
    {
      fprintf (stderr, "usage: %s PROXY_PORT ORIGIN_PORT RATE SECONDS\n", argv[0]);
      return 2;
    }
  proxy_port = atoi (argv[1]);
  origin_port = atoi (argv[2]);
  rate = atof (argv[3]);
  seconds = atof (argv[4]);
  if (proxy_port <= 0 || origin_port <= 0 || rate <= 0 || seconds <= 0)
    {
      fprintf (stderr, "%s: bad arguments\n", argv[0]);
      return 2;
    }
  snprintf (request, sizeof request,
            "GET http://127.0.0.1:%d/ HTTP/1.1\r\nHost: 127.0.0.1:%d\r\nConnection: close\r\n\r\n",
            origin_port, origin_port);

  epfd = epoll_create1 (0);
  start = now ();
  end = start + seconds;
  /* Start connections until the last one is started; then wait (up to
   * 10 s) for the open ones to finish. */
  while ((t = now ()) < end + 10 && (t < end || n_open > 0))
    {
      struct epoll_event events[256];
      long due = t < end ? (long) ((t - start) * rate) + 1 : n_sent;
      int n;

      while (n_sent < due)
        client_start (epfd);
      n = epoll_wait (epfd, events, 256, 1);
      for (int i = 0; i < n; i++)
        client_ready (epfd, events[i].data.ptr);
    }
  n_failed += n_open;
  printf ("sent %ld ok %ld failed %ld\n", n_sent, n_ok, n_failed);
  return 0;
}
