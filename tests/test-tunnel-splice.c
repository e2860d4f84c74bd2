/* test-tunnel-splice.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * CONNECT tunnels carrying bulk bytes through the real engine on loopback,
 * to a raw origin of our own: exact bytes both ways at once (checked byte
 * by byte against a pseudo-random stream, and the registry's counters equal
 * to what went through), back-pressure (a client that stops reading while
 * the origin sends far more than every buffer in between can hold),
 * half-close both ways, the idle timeout (traffic keeps a tunnel up, quiet
 * ends it) and idle tunnels holding no pipe. On Linux the bulk directions
 * move by splice(2) (gn-splice.h): the test checks that pipes were used.
 * The same binary runs with GN_SPLICE=0 (tests/meson.build), where the
 * buffered pump must give identical results and no pipe is ever opened.
 *
 * Threading: the engine on its thread, the origin on one thread per
 * connection (plus a writer thread for "both"), the clients blocking on
 * the test's main thread (plus a writer thread when sending and reading at
 * once). Plain POSIX sockets, so that buffer sizes and half-closes are
 * exactly what the test says.
 */

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/time.h>

#include "gn-splice.h"
#include "test-utils.h"

#define MiB (1024 * 1024)
#define CHUNK (64 * 1024)
/* Every blocking call of the test gives up after this long. */
#define IO_TIMEOUT_S 60
/* The trickle of mode "slow": 64 KiB every 40 ms, about 1.6 MB/s. */
#define SLOW_PAUSE_US 40000

/* ---- the pseudo-random streams -------------------------------------------- */

static guint64
splitmix64 (guint64 x)
{
  x += G_GUINT64_CONSTANT (0x9e3779b97f4a7c15);
  x = (x ^ (x >> 30)) * G_GUINT64_CONSTANT (0xbf58476d1ce4e5b9);
  x = (x ^ (x >> 27)) * G_GUINT64_CONSTANT (0x94d049bb133111eb);
  return x ^ (x >> 31);
}

/* The bytes [@offset, @offset + @len) of stream @seed into @out. */
static void
stream_fill (guint64  seed,
             guint64  offset,
             guint8  *out,
             gsize    len)
{
  for (gsize i = 0; i < len; )
    {
      guint64 pos = offset + i;
      guint64 word = splitmix64 ((seed << 40) ^ (pos / 8));
      guint shift = (pos % 8) * 8;

      for (; shift < 64 && i < len; shift += 8, i++)
        out[i] = (guint8) (word >> shift);
    }
}

static void
set_timeouts (int fd)
{
  struct timeval tv = { IO_TIMEOUT_S, 0 };

  g_assert_no_errno (setsockopt (fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv));
  g_assert_no_errno (setsockopt (fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv));
}

/* Sends @len bytes of stream @seed; FALSE if the peer went away. */
static gboolean
send_stream (int      fd,
             guint64  seed,
             guint64  len)
{
  g_autofree guint8 *buf = g_malloc (CHUNK);
  guint64 off = 0;

  while (off < len)
    {
      gsize want = MIN (CHUNK, len - off);
      gsize done = 0;

      stream_fill (seed, off, buf, want);
      while (done < want)
        {
          ssize_t n = send (fd, buf + done, want - done, MSG_NOSIGNAL);

          if (n < 0 && errno == EINTR)
            continue;
          if (n <= 0)
            return FALSE;
          done += n;
        }
      off += want;
    }
  return TRUE;
}

typedef struct
{
  guint64  received;   /* bytes until EOF (or error) */
  gboolean matches;    /* every one equal to the stream */
  gboolean eof;        /* ended by a clean EOF */
} ReadResult;

/* Reads until EOF, or @max bytes when @max > 0 (then eof stays FALSE),
 * comparing with stream @seed. @pause_every/@pause_us: sleep between reads
 * (a slow reader). */
static ReadResult
recv_stream (int      fd,
             guint64  seed,
             guint64  max,
             guint    pause_us)
{
  g_autofree guint8 *buf = g_malloc (CHUNK);
  g_autofree guint8 *want = g_malloc (CHUNK);
  ReadResult r = { 0, TRUE, FALSE };

  for (;;)
    {
      gsize ask = max > 0 ? MIN (CHUNK, max - r.received) : CHUNK;
      ssize_t n;

      if (ask == 0)
        return r;
      n = recv (fd, buf, ask, 0);
      if (n < 0 && errno == EINTR)
        continue;
      if (n < 0)
        return r;
      if (n == 0)
        {
          r.eof = TRUE;
          return r;
        }
      stream_fill (seed, r.received, want, n);
      if (memcmp (buf, want, n) != 0)
        r.matches = FALSE;
      r.received += n;
      if (pause_us > 0)
        g_usleep (pause_us);
    }
}

/* ---- the origin ------------------------------------------------------------
 * Each connection starts with one line from the client:
 *   "<mode> <down> <seed>\n"
 * and the origin then sends @down bytes of stream @seed + 1 and reads what
 * the client sends (checked against stream @seed), by mode:
 *   both   sending and reading at once; after sending, shutdown(SHUT_WR)
 *   first  send, shutdown(SHUT_WR), then read until EOF
 *   last   read until EOF, then send
 *   hold   send (no shutdown), then read until EOF
 *   slow   as hold, but pausing SLOW_PAUSE_US after every 64 KiB
 * then closes and reports what it read. */

typedef struct
{
  int         listen_fd;
  guint16     port;
  GThread    *acceptor;
  GAsyncQueue *results;     /* (element-type OriginResult) */
  guint64     sent;         /* under lock: bytes the origin handed to its kernel */
  GPtrArray  *threads;      /* (element-type GThread) under lock */
  GMutex      lock;
} Origin;

typedef struct
{
  ReadResult read;
  gboolean   sent_all;
} OriginResult;

typedef struct
{
  Origin  *origin;
  int      fd;
  guint64  down;
  guint64  seed;
  gboolean ok;
} OriginSend;

/* @pause_us > 0: sleeps that long after each CHUNK (a trickle). */
static gboolean
origin_send (Origin  *origin,
             int      fd,
             guint64  seed,
             guint64  len,
             guint    pause_us)
{
  g_autofree guint8 *buf = g_malloc (CHUNK);
  guint64 off = 0;

  while (off < len)
    {
      gsize want = MIN (CHUNK, len - off);
      gsize done = 0;

      stream_fill (seed, off, buf, want);
      while (done < want)
        {
          ssize_t n = send (fd, buf + done, want - done, MSG_NOSIGNAL);

          if (n < 0 && errno == EINTR)
            continue;
          if (n <= 0)
            return FALSE;
          done += n;
          g_mutex_lock (&origin->lock);
          origin->sent += n;
          g_mutex_unlock (&origin->lock);
        }
      off += want;
      if (pause_us > 0)
        g_usleep (pause_us);
    }
  return TRUE;
}

static gpointer
origin_send_thread (gpointer data)
{
  OriginSend *s = data;

  s->ok = origin_send (s->origin, s->fd, s->seed + 1, s->down, 0);
  shutdown (s->fd, SHUT_WR);
  return NULL;
}

typedef struct
{
  Origin *origin;
  int     fd;
} OriginConn;

static gpointer
origin_conn_thread (gpointer data)
{
  OriginConn *c = data;
  Origin *origin = c->origin;
  int fd = c->fd;
  char line[128];
  gsize len = 0;
  char mode[16] = "";
  guint64 down = 0, seed = 0;
  OriginResult *result = g_new0 (OriginResult, 1);

  g_free (c);
  set_timeouts (fd);
  /* The command line, byte by byte: nothing of the stream is read. */
  while (len < sizeof line - 1)
    {
      ssize_t n = recv (fd, line + len, 1, 0);

      if (n <= 0)
        break;
      if (line[len++] == '\n')
        break;
    }
  line[len] = '\0';
  g_assert_cmpint (sscanf (line, "%15s %" G_GUINT64_FORMAT " %" G_GUINT64_FORMAT, mode, &down, &seed), ==, 3);

  if (g_str_equal (mode, "both"))
    {
      OriginSend s = { origin, fd, down, seed, FALSE };
      GThread *writer = g_thread_new ("origin-send", origin_send_thread, &s);

      result->read = recv_stream (fd, seed, 0, 0);
      g_thread_join (writer);
      result->sent_all = s.ok;
    }
  else if (g_str_equal (mode, "first") || g_str_equal (mode, "hold") || g_str_equal (mode, "slow"))
    {
      result->sent_all = origin_send (origin, fd, seed + 1, down,
                                      g_str_equal (mode, "slow") ? SLOW_PAUSE_US : 0);
      if (g_str_equal (mode, "first"))
        shutdown (fd, SHUT_WR);
      result->read = recv_stream (fd, seed, 0, 0);
    }
  else if (g_str_equal (mode, "last"))
    {
      result->read = recv_stream (fd, seed, 0, 0);
      result->sent_all = origin_send (origin, fd, seed + 1, down, 0);
    }
  else
    g_assert_not_reached ();

  close (fd);
  g_async_queue_push (origin->results, result);
  return NULL;
}

static gpointer
origin_accept_thread (gpointer data)
{
  Origin *origin = data;

  for (;;)
    {
      int fd = accept (origin->listen_fd, NULL, NULL);
      OriginConn *c;

      if (fd < 0)
        {
          if (errno == EINTR || errno == ECONNABORTED)
            continue;
          return NULL;   /* shut down by origin_free() */
        }
      c = g_new (OriginConn, 1);
      c->origin = origin;
      c->fd = fd;
      g_mutex_lock (&origin->lock);
      g_ptr_array_add (origin->threads, g_thread_new ("origin-conn", origin_conn_thread, c));
      g_mutex_unlock (&origin->lock);
    }
}

static Origin *
origin_new (void)
{
  Origin *origin = g_new0 (Origin, 1);
  struct sockaddr_in addr = { .sin_family = AF_INET, .sin_addr.s_addr = htonl (INADDR_LOOPBACK) };
  socklen_t addr_len = sizeof addr;

  origin->listen_fd = socket (AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  g_assert_cmpint (origin->listen_fd, >=, 0);
  g_assert_no_errno (bind (origin->listen_fd, (struct sockaddr *) &addr, sizeof addr));
  g_assert_no_errno (listen (origin->listen_fd, 512));
  g_assert_no_errno (getsockname (origin->listen_fd, (struct sockaddr *) &addr, &addr_len));
  origin->port = ntohs (addr.sin_port);
  origin->results = g_async_queue_new_full (g_free);
  origin->threads = g_ptr_array_new ();
  g_mutex_init (&origin->lock);
  origin->acceptor = g_thread_new ("origin-accept", origin_accept_thread, origin);
  return origin;
}

static void
origin_free (Origin *origin)
{
  /* shutdown() wakes the blocked accept(); then every connection thread. */
  shutdown (origin->listen_fd, SHUT_RDWR);
  g_thread_join (origin->acceptor);
  close (origin->listen_fd);
  for (guint i = 0; i < origin->threads->len; i++)
    g_thread_join (origin->threads->pdata[i]);
  g_ptr_array_unref (origin->threads);
  g_async_queue_unref (origin->results);
  g_mutex_clear (&origin->lock);
  g_free (origin);
}

static guint64
origin_get_sent (Origin *origin)
{
  guint64 sent;

  g_mutex_lock (&origin->lock);
  sent = origin->sent;
  g_mutex_unlock (&origin->lock);
  return sent;
}

static OriginResult *
origin_pop (Origin *origin)
{
  OriginResult *result = g_async_queue_timeout_pop (origin->results, (guint64) IO_TIMEOUT_S * G_USEC_PER_SEC);

  g_assert_nonnull (result);
  return result;
}

/* ---- clients -------------------------------------------------------------- */

static guint16
local_port (int fd)
{
  struct sockaddr_in addr;
  socklen_t len = sizeof addr;

  g_assert_no_errno (getsockname (fd, (struct sockaddr *) &addr, &len));
  return ntohs (addr.sin_port);
}

/* A tunnel through the proxy to @origin, its command line sent; @rcvbuf > 0
 * fixes the client's receive buffer (no autotuning). Returns the fd and
 * the command line's length in @line_len. */
static int
tunnel_open (guint16     proxy_port,
             Origin     *origin,
             const char *mode,
             guint64     down,
             guint64     seed,
             int         rcvbuf,
             gsize      *line_len)
{
  struct sockaddr_in addr = { .sin_family = AF_INET, .sin_addr.s_addr = htonl (INADDR_LOOPBACK),
                              .sin_port = htons (proxy_port) };
  int fd = socket (AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  g_autofree char *connect_head = g_strdup_printf ("CONNECT 127.0.0.1:%u HTTP/1.1\r\nHost: 127.0.0.1:%u\r\n\r\n",
                                                   origin->port, origin->port);
  g_autofree char *line = g_strdup_printf ("%s %" G_GUINT64_FORMAT " %" G_GUINT64_FORMAT "\n",
                                           mode, down, seed);
  GString *head = g_string_new (NULL);

  g_assert_cmpint (fd, >=, 0);
  set_timeouts (fd);
  if (rcvbuf > 0)
    g_assert_no_errno (setsockopt (fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof rcvbuf));
  g_assert_no_errno (connect (fd, (struct sockaddr *) &addr, sizeof addr));
  g_assert_cmpint (send (fd, connect_head, strlen (connect_head), MSG_NOSIGNAL), ==, strlen (connect_head));
  /* The answer head, byte by byte: the stream after it is the origin's. */
  while (!g_str_has_suffix (head->str, "\r\n\r\n"))
    {
      char c;

      g_assert_cmpint (recv (fd, &c, 1, 0), ==, 1);
      g_string_append_c (head, c);
    }
  g_assert_true (g_str_has_prefix (head->str, "HTTP/1.1 200 "));
  g_string_free (head, TRUE);
  g_assert_cmpint (send (fd, line, strlen (line), MSG_NOSIGNAL), ==, strlen (line));
  *line_len = strlen (line);
  return fd;
}

typedef struct
{
  int      fd;
  guint64  seed;
  guint64  len;
  gboolean shutdown_after;
  gboolean ok;
} ClientSend;

static gpointer
client_send_thread (gpointer data)
{
  ClientSend *s = data;

  s->ok = send_stream (s->fd, s->seed, s->len);
  if (s->shutdown_after)
    shutdown (s->fd, SHUT_WR);
  return NULL;
}

/* ---- the process's pipes and the registry ---------------------------------- */

static guint
count_pipes (void)
{
  g_autoptr(GDir) dir = g_dir_open ("/proc/self/fd", 0, NULL);
  const char *name;
  guint n = 0;

  g_assert_nonnull (dir);
  while ((name = g_dir_read_name (dir)) != NULL)
    {
      g_autofree char *path = g_build_filename ("/proc/self/fd", name, NULL);
      g_autofree char *target = g_file_read_link (path, NULL);

      n += target != NULL && g_str_has_prefix (target, "pipe:");
    }
  return n;
}

typedef struct
{
  GnEngine *engine;
  guint16   client_port;
} FindData;

static GnConnectionInfo *
find_record (GnEngine *engine,
             guint16   client_port)
{
  g_autoptr(GPtrArray) infos = gn_connection_registry_snapshot (gn_engine_get_registry (engine), NULL, NULL);

  for (guint i = 0; i < infos->len; i++)
    {
      GnConnectionInfo *info = infos->pdata[i];

      if (info->client_port == client_port && info->kind == GN_CONNECTION_KIND_TUNNEL)
        return gn_connection_info_ref (info);
    }
  return NULL;
}

static gboolean
record_closed (gpointer data)
{
  FindData *find = data;
  GnConnectionInfo *info = find_record (find->engine, find->client_port);
  gboolean closed = info != NULL && info->state == GN_CONNECTION_STATE_CLOSED;

  g_clear_pointer (&info, gn_connection_info_unref);
  return closed;
}

/* Waits for the tunnel from @client_port to be closed and checks its
 * counters. */
static void
assert_counted (GnEngine *engine,
                guint16   client_port,
                guint64   up,
                guint64   down)
{
  FindData find = { engine, client_port };
  GnConnectionInfo *info;

  g_assert_true (gn_test_wait_until (record_closed, &find, IO_TIMEOUT_S * 1000));
  info = find_record (engine, client_port);
  g_assert_cmpuint (info->bytes_up, ==, up);
  g_assert_cmpuint (info->bytes_down, ==, down);
  gn_connection_info_unref (info);
}

/* ---- the fixture ------------------------------------------------------------ */

typedef struct
{
  guint     fds_before;
  guint     pipes_before;
  Origin   *origin;
  GnEngine *engine;
  guint16   port;
} Fixture;

static void
fixture_setup (Fixture       *f,
               gconstpointer  data)
{
  g_autoptr(GnEngineConfig) config = gn_engine_config_new ();

  f->fds_before = gn_test_count_fds_settled ();
  f->pipes_before = count_pipes ();
  f->origin = origin_new ();
  config->port = 0;
  config->idle_timeout_s = GPOINTER_TO_UINT (data) > 0 ? GPOINTER_TO_UINT (data) : 600;
  f->engine = gn_test_engine_new (config, NULL);
  f->port = gn_engine_get_port (f->engine);
}

static void
fixture_teardown (Fixture       *f,
                  gconstpointer  data)
{
  gn_engine_stop (f->engine);
  g_clear_object (&f->engine);
  origin_free (f->origin);
  /* The workers' pipes went with the engine. */
  g_assert_cmpuint (count_pipes (), ==, f->pipes_before);
  g_assert_cmpuint (gn_test_wait_fds (f->fds_before), <=, f->fds_before);
}

/* Splice in use: the workers' pools keep the pipes the bulk directions used
 * (at most four per worker); with GN_SPLICE=0, none was ever opened. */
static void
assert_pipes_used (Fixture *f)
{
  if (gn_splice_available ())
    g_assert_cmpuint (count_pipes (), >, f->pipes_before);
  else
    g_assert_cmpuint (count_pipes (), ==, f->pipes_before);
}

/* ---- the tests -------------------------------------------------------------- */

/* 64 MiB each way at once: every byte arrives, in order, and the registry
 * counted exactly what went through. */
static void
test_both_ways (Fixture       *f,
                gconstpointer  data)
{
  const guint64 size = 64 * MiB;
  gsize line_len;
  int fd = tunnel_open (f->port, f->origin, "both", size, 11, 0, &line_len);
  ClientSend s = { fd, 11, size, TRUE, FALSE };
  GThread *writer = g_thread_new ("client-send", client_send_thread, &s);
  ReadResult r = recv_stream (fd, 12, 0, 0);
  OriginResult *o;
  guint16 port = local_port (fd);

  g_thread_join (writer);
  g_assert_true (s.ok);
  g_assert_true (r.eof);
  g_assert_cmpuint (r.received, ==, size);
  g_assert_true (r.matches);

  o = origin_pop (f->origin);
  g_assert_true (o->sent_all);
  g_assert_true (o->read.eof);
  g_assert_cmpuint (o->read.received, ==, size);
  g_assert_true (o->read.matches);
  g_free (o);
  close (fd);

  assert_counted (f->engine, port, size + line_len, size);
  assert_pipes_used (f);
}

typedef struct
{
  Origin  *origin;
  guint64  last;
  gint64   stable_since;
} Plateau;

/* TRUE once the origin's sent count has not moved for 1 s. */
static gboolean
origin_stalled (gpointer data)
{
  Plateau *p = data;
  guint64 sent = origin_get_sent (p->origin);
  gint64 now = g_get_monotonic_time ();

  if (sent != p->last)
    {
      p->last = sent;
      p->stable_since = now;
      return FALSE;
    }
  return now - p->stable_since >= G_USEC_PER_SEC;
}

static guint64
read_proc_max (const char *path)
{
  g_autofree char *text = NULL;
  g_auto(GStrv) fields = NULL;

  if (!g_file_get_contents (path, &text, NULL, NULL))
    return 32 * MiB;
  fields = g_strsplit_set (g_strstrip (text), " \t", -1);
  return g_strv_length (fields) >= 3 ? g_ascii_strtoull (fields[g_strv_length (fields) - 1], NULL, 10)
                                     : 32 * MiB;
}

/* The client stops reading: the origin stalls once the buffers in between
 * are full (the proxy reads nothing more than it can write), and when the
 * client reads again every byte arrives. */
static void
test_back_pressure (Fixture       *f,
                    gconstpointer  data)
{
  /* What may sit between the origin and the client: the proxy's receive
   * buffer (autotuned up to tcp_rmem's maximum), its send buffer (up to
   * tcp_wmem's), one pipe or buffer (256 KiB) in the proxy, the client's
   * fixed 64 KiB receive buffer (the kernel doubles it) and the origin's
   * send buffer. */
  guint64 rmem = read_proc_max ("/proc/sys/net/ipv4/tcp_rmem");
  guint64 wmem = read_proc_max ("/proc/sys/net/ipv4/tcp_wmem");
  guint64 bound = rmem + 2 * wmem + 2 * MiB;
  guint64 size = 2 * bound + 16 * MiB;
  Plateau plateau = { f->origin, G_MAXUINT64, 0 };
  gsize line_len;
  int fd = tunnel_open (f->port, f->origin, "both", size, 21, 64 * 1024, &line_len);
  guint16 port = local_port (fd);
  ReadResult r;
  OriginResult *o;
  guint64 stalled_at;

  g_test_message ("sending %" G_GUINT64_FORMAT " MiB, bound while paused %" G_GUINT64_FORMAT " MiB",
                  size / MiB, bound / MiB);
  g_assert_true (gn_test_wait_until (origin_stalled, &plateau, IO_TIMEOUT_S * 1000));
  stalled_at = origin_get_sent (f->origin);
  g_test_message ("origin stalled after %" G_GUINT64_FORMAT " KiB", stalled_at / 1024);
  g_assert_cmpuint (stalled_at, <=, bound);
  g_assert_cmpuint (stalled_at, <, size);
  if (gn_splice_available ())
    g_assert_cmpuint (count_pipes (), >, f->pipes_before);   /* the stuck bytes' pipe */

  shutdown (fd, SHUT_WR);
  r = recv_stream (fd, 22, 0, 0);
  g_assert_true (r.eof);
  g_assert_cmpuint (r.received, ==, size);
  g_assert_true (r.matches);
  o = origin_pop (f->origin);
  g_assert_true (o->sent_all);
  g_assert_cmpuint (o->read.received, ==, 0);
  g_assert_true (o->read.eof);
  g_free (o);
  close (fd);
  assert_counted (f->engine, port, line_len, size);
}

/* The origin sends, then shuts down its write side: the client gets every
 * byte and EOF, and can still send to the origin afterwards. */
static void
test_half_close_origin_first (Fixture       *f,
                              gconstpointer  data)
{
  const guint64 down = 24 * MiB, up = 16 * MiB;
  gsize line_len;
  int fd = tunnel_open (f->port, f->origin, "first", down, 31, 0, &line_len);
  guint16 port = local_port (fd);
  ReadResult r = recv_stream (fd, 32, 0, 0);
  OriginResult *o;

  g_assert_true (r.eof);
  g_assert_cmpuint (r.received, ==, down);
  g_assert_true (r.matches);
  /* After our EOF: the other direction still works. */
  g_assert_true (send_stream (fd, 31, up));
  shutdown (fd, SHUT_WR);
  o = origin_pop (f->origin);
  g_assert_true (o->sent_all);
  g_assert_true (o->read.eof);
  g_assert_cmpuint (o->read.received, ==, up);
  g_assert_true (o->read.matches);
  g_free (o);
  g_assert_cmpint (recv (fd, &(char) { 0 }, 1, 0), ==, 0);
  close (fd);
  assert_counted (f->engine, port, up + line_len, down);
  assert_pipes_used (f);
}

/* The client sends, then shuts down its write side: the origin gets every
 * byte and EOF, and its answer still comes back whole. */
static void
test_half_close_client_first (Fixture       *f,
                              gconstpointer  data)
{
  const guint64 down = 16 * MiB, up = 24 * MiB;
  gsize line_len;
  int fd = tunnel_open (f->port, f->origin, "last", down, 41, 0, &line_len);
  guint16 port = local_port (fd);
  ReadResult r;
  OriginResult *o;

  g_assert_true (send_stream (fd, 41, up));
  shutdown (fd, SHUT_WR);
  r = recv_stream (fd, 42, 0, 0);
  g_assert_true (r.eof);
  g_assert_cmpuint (r.received, ==, down);
  g_assert_true (r.matches);
  o = origin_pop (f->origin);
  g_assert_true (o->sent_all);
  g_assert_true (o->read.eof);
  g_assert_cmpuint (o->read.received, ==, up);
  g_assert_true (o->read.matches);
  g_free (o);
  close (fd);
  assert_counted (f->engine, port, up + line_len, down);
  assert_pipes_used (f);
}

/* Idle timeout 2 s (fixture data): an origin that trickles bulk bytes for
 * about 4 s (spliced once past 512 KiB) keeps the tunnel up, since every
 * chunk moved counts as traffic; once quiet, the tunnel ends after the
 * timeout. */
static void
test_idle_timeout (Fixture       *f,
                   gconstpointer  data)
{
  const guint64 down = 100 * CHUNK;   /* 100 pauses of 40 ms */
  gsize line_len;
  int fd = tunnel_open (f->port, f->origin, "slow", down, 51, 0, &line_len);
  guint16 port = local_port (fd);
  gint64 start = g_get_monotonic_time (), quiet_since;
  ReadResult r;
  OriginResult *o;

  r = recv_stream (fd, 52, down, 0);
  g_assert_cmpuint (r.received, ==, down);
  g_assert_true (r.matches);
  g_assert_cmpint (g_get_monotonic_time () - start, >=, 3 * G_USEC_PER_SEC);

  /* Now quiet both ways: the proxy closes the tunnel. */
  quiet_since = g_get_monotonic_time ();
  g_assert_cmpint (recv (fd, &(char) { 0 }, 1, 0), ==, 0);
  g_assert_cmpint (g_get_monotonic_time () - quiet_since, >=, G_USEC_PER_SEC);
  o = origin_pop (f->origin);
  g_assert_true (o->sent_all);
  g_free (o);
  close (fd);
  assert_counted (f->engine, port, line_len, down);
  assert_pipes_used (f);
}

static guint n_idle_tunnels = 200;

/* Tunnels that moved bulk bytes (1 MiB down each, past the point where a
 * direction splices) and then went quiet hold no pipe: the process has no
 * more pipes than the workers' pools keep. */
static void
test_idle_tunnels_no_pipes (Fixture       *f,
                            gconstpointer  data)
{
  const guint64 down = 1 * MiB;
  g_autofree int *fds = g_new (int, n_idle_tunnels);
  guint n_workers = g_getenv ("GN_TEST_N_WORKERS") != NULL
                    ? (guint) g_ascii_strtoull (g_getenv ("GN_TEST_N_WORKERS"), NULL, 10)
                    : g_get_num_processors ();
  guint pipes;

  for (guint i = 0; i < n_idle_tunnels; i++)
    {
      gsize line_len;
      ReadResult r;

      fds[i] = tunnel_open (f->port, f->origin, "hold", down, 100 + i, 0, &line_len);
      r = recv_stream (fds[i], 101 + i, down, 0);
      g_assert_cmpuint (r.received, ==, down);
      g_assert_true (r.matches);
    }
  gn_test_wait_open (f->engine, n_idle_tunnels);

  pipes = count_pipes () - f->pipes_before;
  g_test_message ("%u idle tunnels, %u pipe descriptors in the process", n_idle_tunnels, pipes);
  /* Each worker's pool keeps at most 4 empty pipes (gn-splice.c), two
   * descriptors each; one pipe per idle tunnel would be 400. */
  g_assert_cmpuint (pipes, <=, 2 * 4 * MAX (n_workers, 1));
  assert_pipes_used (f);

  for (guint i = 0; i < n_idle_tunnels; i++)
    {
      shutdown (fds[i], SHUT_WR);
      g_assert_cmpint (recv (fds[i], &(char) { 0 }, 1, 0), ==, 0);
      close (fds[i]);
      g_free (origin_pop (f->origin));
    }
}

int
main (int argc, char *argv[])
{
  struct rlimit limit;

  g_test_init (&argc, &argv, NULL);

  /* 200 idle tunnels are five descriptors each in this process (client,
   * the proxy's two, the origin's, its thread's nothing): fewer where the
   * hard limit is low. */
  if (getrlimit (RLIMIT_NOFILE, &limit) == 0)
    {
      if (limit.rlim_cur < limit.rlim_max)
        {
          limit.rlim_cur = limit.rlim_max;
          setrlimit (RLIMIT_NOFILE, &limit);
        }
      if (limit.rlim_cur != RLIM_INFINITY && limit.rlim_cur < 1200)
        n_idle_tunnels = MAX (10, ((guint) limit.rlim_cur - 200) / 5);
    }

  /* One-time process state (GLib's worker thread, resolver) before the fd
   * counts start. */
  {
    Fixture f = { 0 };

    fixture_setup (&f, NULL);
    gn_engine_stop (f.engine);
    g_clear_object (&f.engine);
    origin_free (f.origin);
  }

#define ADD(path, timeout, func) \
  g_test_add (path, Fixture, GUINT_TO_POINTER (timeout), fixture_setup, func, fixture_teardown)
  ADD ("/tunnel-splice/both-ways-64mib", 0, test_both_ways);
  ADD ("/tunnel-splice/back-pressure", 0, test_back_pressure);
  ADD ("/tunnel-splice/half-close/origin-first", 0, test_half_close_origin_first);
  ADD ("/tunnel-splice/half-close/client-first", 0, test_half_close_client_first);
  ADD ("/tunnel-splice/idle-timeout", 2, test_idle_timeout);
  ADD ("/tunnel-splice/idle-tunnels-no-pipes", 0, test_idle_tunnels_no_pipes);
  return g_test_run ();
}
