/* connect-setups.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * CONNECT setups per second: CONCURRENCY clients at once, each opening a
 * connection, sending "CONNECT 127.0.0.1:ORIGIN", waiting for the 200,
 * sending one GET through the tunnel with "Connection: close" and reading
 * the answer until the end of the stream, then starting over. With
 * PROXY_PORT 0 the GET goes to the origin directly (the "direct" figure).
 * Never a pass/fail test: bench/proxy-bench.sh prints its figure.
 *
 * Usage: connect-setups PROXY_PORT ORIGIN_PORT PATH [SECONDS] [CONCURRENCY] [MAX_SETUPS]
 *
 * With MAX_SETUPS it stops once that many setups are done (or SECONDS
 * passed) and prints the count on stderr as well.
 *
 * Plain POSIX sockets and epoll on one thread, so the client costs little
 * next to the proxy it measures. Linux only.
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

enum { STEP_CONNECT, STEP_ESTABLISHED, STEP_ANSWER };

typedef struct
{
  int    fd;
  int    step;
  size_t have;
  char   head[1024];
} Client;

static int    proxy_port;
static int    origin_port;
static char   request[512];
static char   connect_line[128];
static long   n_done;
static long   n_failed;

static double
now (void)
{
  struct timespec ts;

  clock_gettime (CLOCK_MONOTONIC, &ts);
  return ts.tv_sec + ts.tv_nsec / 1e9;
}

static int
send_all (int fd, const char *data)
{
  size_t len = strlen (data);

  /* The lines are short: one send() fits them in an empty socket buffer. */
  return send (fd, data, len, MSG_NOSIGNAL) == (ssize_t) len ? 0 : -1;
}

static void
client_start (int epfd, Client *c)
{
  struct sockaddr_in sa = { .sin_family = AF_INET };
  struct epoll_event ev = { .events = EPOLLOUT, .data.ptr = c };
  int one = 1;

  sa.sin_port = htons (proxy_port ? proxy_port : origin_port);
  sa.sin_addr.s_addr = htonl (INADDR_LOOPBACK);
  c->fd = socket (AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
  if (c->fd < 0)
    {
      perror ("socket");
      exit (1);
    }
  setsockopt (c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  if (connect (c->fd, (struct sockaddr *) &sa, sizeof sa) < 0 && errno != EINPROGRESS)
    {
      perror ("connect");
      exit (1);
    }
  c->step = STEP_CONNECT;
  c->have = 0;
  epoll_ctl (epfd, EPOLL_CTL_ADD, c->fd, &ev);
}

static void
client_restart (int epfd, Client *c, int ok)
{
  if (ok)
    n_done++;
  else
    n_failed++;
  epoll_ctl (epfd, EPOLL_CTL_DEL, c->fd, NULL);
  close (c->fd);
  client_start (epfd, c);
}

static void
client_ready (int epfd, Client *c)
{
  struct epoll_event ev = { .events = EPOLLIN, .data.ptr = c };
  char buf[16384];
  ssize_t n;

  if (c->step == STEP_CONNECT)
    {
      int err = 0;
      socklen_t len = sizeof err;

      getsockopt (c->fd, SOL_SOCKET, SO_ERROR, &err, &len);
      if (err != 0 || send_all (c->fd, proxy_port ? connect_line : request) < 0)
        {
          client_restart (epfd, c, 0);
          return;
        }
      c->step = proxy_port ? STEP_ESTABLISHED : STEP_ANSWER;
      epoll_ctl (epfd, EPOLL_CTL_MOD, c->fd, &ev);
      return;
    }

  n = recv (c->fd, buf, sizeof buf, 0);
  if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
    return;
  if (c->step == STEP_ANSWER)
    {
      if (n == 0)
        client_restart (epfd, c, c->have > 0);
      else if (n < 0)
        client_restart (epfd, c, 0);
      else
        c->have += n;
      return;
    }

  /* STEP_ESTABLISHED: collect the proxy's answer head. */
  if (n <= 0 || c->have + n >= sizeof c->head)
    {
      client_restart (epfd, c, 0);
      return;
    }
  memcpy (c->head + c->have, buf, n);
  c->have += n;
  c->head[c->have] = '\0';
  if (strstr (c->head, "\r\n\r\n") == NULL)
    return;
  /* tinyproxy answers "HTTP/1.0 200", the others "HTTP/1.1 200". */
  if (strncmp (c->head, "HTTP/1.", 7) != 0 || strncmp (c->head + 8, " 200", 4) != 0 ||
      send_all (c->fd, request) < 0)
    {
      client_restart (epfd, c, 0);
      return;
    }
  c->step = STEP_ANSWER;
  c->have = 0;
}

int
main (int argc, char *argv[])
{
  double seconds, start, end;
  int concurrency, epfd;
  long max_setups;
  Client *clients;

  if (argc < 4)
    {
      fprintf (stderr, "usage: %s PROXY_PORT ORIGIN_PORT PATH [SECONDS] [CONCURRENCY] [MAX_SETUPS]\n", argv[0]);
      return 2;
    }
  proxy_port = atoi (argv[1]);
  origin_port = atoi (argv[2]);
  seconds = argc > 4 ? atof (argv[4]) : 5;
  concurrency = argc > 5 ? atoi (argv[5]) : 64;
  max_setups = argc > 6 ? atol (argv[6]) : 0;
  snprintf (connect_line, sizeof connect_line,
            "CONNECT 127.0.0.1:%d HTTP/1.1\r\nHost: 127.0.0.1:%d\r\n\r\n", origin_port, origin_port);
  snprintf (request, sizeof request,
            "GET %s HTTP/1.1\r\nHost: 127.0.0.1:%d\r\nConnection: close\r\n\r\n", argv[3], origin_port);

  epfd = epoll_create1 (0);
  clients = calloc (concurrency, sizeof *clients);
  for (int i = 0; i < concurrency; i++)
    client_start (epfd, &clients[i]);

  start = now ();
  end = start + seconds;
  while (now () < end && (max_setups == 0 || n_done < max_setups))
    {
      struct epoll_event events[256];
      int n = epoll_wait (epfd, events, 256, 100);

      for (int i = 0; i < n; i++)
        client_ready (epfd, events[i].data.ptr);
    }

  printf ("%.0f\n", n_done / (now () - start));
  if (max_setups > 0)
    fprintf (stderr, "connect-setups: %ld setups\n", n_done);
  if (n_failed > 0)
    fprintf (stderr, "connect-setups: %ld failed\n", n_failed);
  return 0;
}
