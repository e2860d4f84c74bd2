/* gn-process-table-linux.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Linux: which process owns a client socket, in two steps.
 *
 * 1. Client port → socket inode. The kernel is asked over NETLINK_SOCK_DIAG
 *    (inet_diag_req_v2, AF_INET and AF_INET6) for the TCP sockets whose
 *    remote port is the proxy's, in the states an open client end can be
 *    in: TIME_WAIT rows (tens of thousands on a busy machine, and inode 0
 *    anyway) and listeners are skipped by the kernel, and a bytecode filter
 *    on the remote port keeps the answer to the proxy's own connections.
 *    When netlink is refused (an old kernel, a sandbox without it), the
 *    fallback is the text of /proc/net/tcp and tcp6: every socket of the
 *    machine, formatted by the kernel and parsed here; that was the only
 *    way before and cost ~40 ms of CPU per table with 20,000 TIME_WAIT
 *    rows (bench/README.md).
 *
 *    An exact lookup (gn_process_lookup_connections()) asks instead for
 *    each socket by its four-tuple (inet_diag_req_v2 without NLM_F_DUMP,
 *    idiag_cookie INET_DIAG_NOCOOKIE): the kernel finds it in its hash
 *    table, whatever the number of other sockets, and answers its inode
 *    and user. That is what the engine asks as each connection is accepted
 *    (bench/README.md, "Exact app-name lookups").
 *
 * 2. Inode → process. The links in /proc/PID/fd point to "socket:[INODE]"
 *    for every socket a process holds, so one pass over the processes finds
 *    all the owners at once; it stops as soon as every wanted inode is
 *    found. The processes that owned client sockets lately (a browser makes
 *    most of them) are remembered between lookups and scanned first, so the
 *    usual lookup reads one or two fd folders, not all of them; then the
 *    others, newest first (a program that just started, like curl, has one
 *    of the highest pids). Sockets of other users are dropped before the
 *    scan (their fd folders cannot be read without privileges), and only
 *    the processes of the sockets' users are scanned (one stat each, which
 *    spares root opening every fd folder of the machine).
 *
 * Threading: a worker thread (blocking reads of /proc and netlink). The
 * remembered owners are shared by all tables, under a lock.
 */

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/inet_diag.h>
#include <linux/netlink.h>
#include <linux/sock_diag.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "gn-process-table-private.h"

#define N_RECENT_OWNERS 8

static gint use_netlink = TRUE;   /* atomic; FALSE: tests and bench only */

static GMutex recent_lock;
static guint  recent_owners[N_RECENT_OWNERS];   /* pids, most recent first; 0 = none */

void
_gn_process_table_set_netlink (gboolean enabled)
{
  g_atomic_int_set (&use_netlink, enabled);
}

void
_gn_process_table_forget_owners (void)
{
  g_mutex_lock (&recent_lock);
  memset (recent_owners, 0, sizeof recent_owners);
  g_mutex_unlock (&recent_lock);
}

typedef void (*OwnerFunc) (guint       value,
                           guint       pid,
                           const char *name,
                           const char *exe,
                           gpointer    data);

/* Whether the socket @inode (@value) is still open. */
typedef gboolean (*OpenFunc) (guint    value,
                              guint64  inode,
                              gpointer data);

/* The sockets whose owners a lookup wants. */
typedef struct
{
  GHashTable *inodes;   /* (owned) guint64* inode → GUINT_TO_POINTER (value): a port or an index */
  GArray     *uids;     /* (owned) guint: their users, each once */
  OwnerFunc   func;     /* called once per socket found */
  OpenFunc    still_open; /* (nullable) asked before scanning every process */
  gpointer    data;
} Wanted;

static void
wanted_init (Wanted    *w,
             OwnerFunc  func,
             gpointer   data)
{
  w->inodes = g_hash_table_new_full (g_int64_hash, g_int64_equal, g_free, NULL);
  w->uids = g_array_new (FALSE, FALSE, sizeof (guint));
  w->func = func;
  w->still_open = NULL;
  w->data = data;
}

static void
wanted_clear (Wanted *w)
{
  g_clear_pointer (&w->inodes, g_hash_table_unref);
  g_clear_pointer (&w->uids, g_array_unref);
}

static gboolean
uid_wanted (const Wanted *w,
            guint         uid)
{
  for (guint i = 0; i < w->uids->len; i++)
    if (g_array_index (w->uids, guint, i) == uid)
      return TRUE;
  return FALSE;
}

static void
add_inode (Wanted  *w,
           guint64  inode,
           guint    value,
           guint    uid)
{
  g_hash_table_insert (w->inodes, g_memdup2 (&inode, sizeof inode), GUINT_TO_POINTER (value));
  if (!uid_wanted (w, uid))
    g_array_append_val (w->uids, uid);
}

/* ---- client port → inode, over NETLINK_SOCK_DIAG ---- */

/* The states an open client end can be in: not TIME_WAIT (inode 0), not
 * LISTEN, SYN_RECV or CLOSE. */
#define CLIENT_STATES ((1u << TCP_ESTABLISHED) | (1u << TCP_SYN_SENT) | (1u << TCP_FIN_WAIT1) | \
                       (1u << TCP_FIN_WAIT2) | (1u << TCP_CLOSE_WAIT) | (1u << TCP_LAST_ACK) | \
                       (1u << TCP_CLOSING))

typedef struct
{
  struct nlmsghdr        nlh;
  struct inet_diag_req_v2 req;
  struct nlattr          attr;
  /* remote port >= P, then remote port <= P: each a jump and its operand.
   * (INET_DIAG_BC_D_EQ is newer than some kernels still in use.) */
  struct inet_diag_bc_op ops[4];
} DiagRequest;

/* Returns FALSE when the kernel refused the question (the caller falls back
 * to /proc); TRUE when it answered, with or without matching rows. */
static gboolean
netlink_query (int         fd,
               int         family,
               guint16     server_port,
               GHashTable *wanted_ports,
               Wanted     *w)
{
  static const guint32 seq_base = 0x474e0000;   /* "GN" */
  struct sockaddr_nl kernel = { .nl_family = AF_NETLINK };
  DiagRequest msg;
  g_autofree char *buf = NULL;
  const gsize buf_size = 64 * 1024;
  uid_t me = geteuid ();

  memset (&msg, 0, sizeof msg);
  msg.nlh.nlmsg_len = sizeof msg;
  msg.nlh.nlmsg_type = SOCK_DIAG_BY_FAMILY;
  msg.nlh.nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
  msg.nlh.nlmsg_seq = seq_base + (guint32) family;
  msg.req.sdiag_family = family;
  msg.req.sdiag_protocol = IPPROTO_TCP;
  msg.req.idiag_states = CLIENT_STATES;
  msg.attr.nla_len = sizeof msg.attr + sizeof msg.ops;
  msg.attr.nla_type = INET_DIAG_REQ_BYTECODE;
  /* A jump of len + 4 from an op lands past the end: the socket is left out. */
  msg.ops[0] = (struct inet_diag_bc_op) { INET_DIAG_BC_D_GE, 8, 2 * 8 + 4 };
  msg.ops[1] = (struct inet_diag_bc_op) { 0, 0, server_port };
  msg.ops[2] = (struct inet_diag_bc_op) { INET_DIAG_BC_D_LE, 8, 8 + 4 };
  msg.ops[3] = (struct inet_diag_bc_op) { 0, 0, server_port };

  if (sendto (fd, &msg, sizeof msg, 0, (struct sockaddr *) &kernel, sizeof kernel) < 0)
    return FALSE;

  buf = g_malloc (buf_size);
  for (;;)
    {
      ssize_t got = recv (fd, buf, buf_size, 0);
      int n = (int) got;
      struct nlmsghdr *h;

      if (got < 0 && errno == EINTR)
        continue;
      if (got <= 0)
        return FALSE;
      for (h = (struct nlmsghdr *) buf; NLMSG_OK (h, n); h = NLMSG_NEXT (h, n))
        {
          const struct inet_diag_msg *row;
          guint16 local_port;

          if (h->nlmsg_seq != msg.nlh.nlmsg_seq)
            continue;
          if (h->nlmsg_type == NLMSG_DONE)
            return TRUE;
          if (h->nlmsg_type == NLMSG_ERROR)
            return FALSE;
          if (h->nlmsg_type != SOCK_DIAG_BY_FAMILY ||
              h->nlmsg_len < NLMSG_LENGTH (sizeof *row))
            continue;
          row = NLMSG_DATA (h);
          local_port = ntohs (row->id.idiag_sport);
          if (ntohs (row->id.idiag_dport) != server_port || row->idiag_inode == 0 ||
              (me != 0 && row->idiag_uid != me) ||
              !g_hash_table_contains (wanted_ports, GUINT_TO_POINTER ((guint) local_port)))
            continue;
          add_inode (w, row->idiag_inode, local_port, row->idiag_uid);
        }
    }
}

static gboolean
read_sockets_netlink (guint16     server_port,
                      GHashTable *wanted_ports,
                      Wanted     *w)
{
  int fd;
  gboolean ok;

  if (!g_atomic_int_get (&use_netlink))
    return FALSE;
  fd = socket (AF_NETLINK, SOCK_DGRAM | SOCK_CLOEXEC, NETLINK_SOCK_DIAG);
  if (fd < 0)
    return FALSE;
  /* Each query walks the kernel's whole table of established sockets:
   * IPv6 only if IPv4 did not have them all (clients of 127.0.0.1 never
   * need it). */
  ok = netlink_query (fd, AF_INET, server_port, wanted_ports, w) &&
       (g_hash_table_size (w->inodes) >= g_hash_table_size (wanted_ports) ||
        netlink_query (fd, AF_INET6, server_port, wanted_ports, w));
  close (fd);
  if (!ok)
    {
      /* all from /proc then, not half and half */
      g_hash_table_remove_all (w->inodes);
      g_array_set_size (w->uids, 0);
    }
  return ok;
}

/* ---- client port → inode, from /proc/net/tcp{,6} (the fallback) ---- */

/* "  0: 0100007F:A4E2 0100007F:0BB8 01 …  1000  0 123456 …": local
 * port → inode for the rows whose remote port is @server_port. The file
 * can hold tens of thousands of TIME_WAIT rows: read line by line with
 * sscanf, no allocation per row. */
static void
read_sockets_proc (const char *path,
                   guint16     server_port,
                   GHashTable *wanted_ports,
                   Wanted     *w)
{
  g_autofree char *text = NULL;
  char *line, *next;
  uid_t me = geteuid ();

  if (!g_file_get_contents (path, &text, NULL, NULL))
    return;
  line = strchr (text, '\n');  /* past the header */
  for (; line != NULL; line = next)
    {
      unsigned int local_port, remote_port, state, uid;
      unsigned long long inode;

      next = strchr (line + 1, '\n');
      if (next != NULL)
        *next = '\0';
      /* sl: local:port remote:port st tx:rx tr:when retrnsmt uid timeout inode */
      if (sscanf (line + 1, " %*u: %*[0-9A-Fa-f]:%x %*[0-9A-Fa-f]:%x %x %*x:%*x %*x:%*x %*x %u %*u %llu",
                  &local_port, &remote_port, &state, &uid, &inode) != 5)
        continue;
      if (remote_port != server_port || inode == 0 || (me != 0 && uid != me) ||
          !g_hash_table_contains (wanted_ports, GUINT_TO_POINTER (local_port)))
        continue;
      add_inode (w, inode, local_port, uid);
    }
}

/* ---- client end → inode, one socket at a time (exact lookups) ---- */

typedef struct
{
  struct nlmsghdr         nlh;
  struct inet_diag_req_v2 req;
} ExactRequest;

static gboolean
inet_is_mapped (GInetAddress *inet)
{
  static const guint8 prefix[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff };

  return g_inet_address_get_family (inet) == G_SOCKET_FAMILY_IPV6 &&
         memcmp (g_inet_address_to_bytes (inet), prefix, sizeof prefix) == 0;
}

/* @address's family, address (network order, as inet_diag_sockid wants it)
 * and port; IPv4-mapped IPv6 as IPv4 (a client of 127.0.0.1 on a
 * dual-stack listener) unless @keep_mapped. */
static gboolean
socket_end (GSocketAddress *address,
            gboolean        keep_mapped,
            int            *family,
            guint32         addr[4],
            guint16        *port)
{
  GInetAddress *inet;
  const guint8 *bytes;

  if (!G_IS_INET_SOCKET_ADDRESS (address))
    return FALSE;
  inet = g_inet_socket_address_get_address (G_INET_SOCKET_ADDRESS (address));
  bytes = g_inet_address_to_bytes (inet);
  *port = htons (g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (address)));
  memset (addr, 0, 4 * sizeof (guint32));
  if (g_inet_address_get_family (inet) == G_SOCKET_FAMILY_IPV4)
    {
      *family = AF_INET;
      memcpy (addr, bytes, 4);
      return TRUE;
    }
  if (!keep_mapped && inet_is_mapped (inet))
    {
      *family = AF_INET;
      memcpy (addr, bytes + 12, 4);
      return TRUE;
    }
  *family = AF_INET6;
  memcpy (addr, bytes, 16);
  return TRUE;
}

static gboolean
is_mapped (GSocketAddress *address)
{
  return G_IS_INET_SOCKET_ADDRESS (address) &&
         inet_is_mapped (g_inet_socket_address_get_address (G_INET_SOCKET_ADDRESS (address)));
}

/* The socket whose local end is @client and remote end @server: 1 and its
 * inode (0 for TIME_WAIT) and user; 0 when there is none; -1 when the
 * kernel refused the question. */
static int
diag_exact (int             fd,
            guint32         seq,
            GSocketAddress *client,
            GSocketAddress *server,
            gboolean        keep_mapped,
            guint64        *inode,
            guint          *uid)
{
  struct sockaddr_nl kernel = { .nl_family = AF_NETLINK };
  ExactRequest msg;
  int family, server_family;
  union { struct nlmsghdr h; char bytes[8192]; } buf;

  memset (&msg, 0, sizeof msg);
  if (!socket_end (client, keep_mapped, &family, msg.req.id.idiag_src, &msg.req.id.idiag_sport) ||
      !socket_end (server, keep_mapped, &server_family, msg.req.id.idiag_dst, &msg.req.id.idiag_dport) ||
      family != server_family)
    return 0;
  msg.nlh.nlmsg_len = sizeof msg;
  msg.nlh.nlmsg_type = SOCK_DIAG_BY_FAMILY;
  msg.nlh.nlmsg_flags = NLM_F_REQUEST;   /* no NLM_F_DUMP: one socket, by hash */
  msg.nlh.nlmsg_seq = seq;
  msg.req.sdiag_family = family;
  msg.req.sdiag_protocol = IPPROTO_TCP;
  msg.req.idiag_states = ~0u;
  msg.req.id.idiag_cookie[0] = INET_DIAG_NOCOOKIE;
  msg.req.id.idiag_cookie[1] = INET_DIAG_NOCOOKIE;

  if (sendto (fd, &msg, sizeof msg, 0, (struct sockaddr *) &kernel, sizeof kernel) < 0)
    return -1;
  for (;;)
    {
      ssize_t got = recv (fd, &buf, sizeof buf, 0);
      int n = (int) got;
      struct nlmsghdr *h;

      if (got < 0 && errno == EINTR)
        continue;
      if (got <= 0)
        return -1;
      for (h = &buf.h; NLMSG_OK (h, n); h = NLMSG_NEXT (h, n))
        {
          const struct inet_diag_msg *row;

          if (h->nlmsg_seq != seq)
            continue;   /* a late answer to an earlier question */
          if (h->nlmsg_type == NLMSG_ERROR)
            {
              const struct nlmsgerr *err = NLMSG_DATA (h);

              if (h->nlmsg_len >= NLMSG_LENGTH (sizeof *err) && err->error == -ENOENT)
                return 0;
              return -1;
            }
          if (h->nlmsg_type != SOCK_DIAG_BY_FAMILY || h->nlmsg_len < NLMSG_LENGTH (sizeof *row))
            return -1;
          row = NLMSG_DATA (h);
          *inode = row->idiag_inode;
          *uid = row->idiag_uid;
          return 1;
        }
    }
}

/* ---- inode → process ---- */

/* The first line of /proc/@pid/@file, or NULL. */
static char *
read_line_at (int         proc_fd,
              guint       pid,
              const char *file)
{
  char path[48];
  char text[256];
  ssize_t len;
  int fd;

  g_snprintf (path, sizeof path, "%u/%s", pid, file);
  fd = openat (proc_fd, path, O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    return NULL;
  do
    len = read (fd, text, sizeof text - 1);
  while (len < 0 && errno == EINTR);
  close (fd);
  if (len <= 0)
    return NULL;
  text[len] = '\0';
  return g_strchomp (g_strdup (text));
}

static char *
read_exe_at (int   proc_fd,
             guint pid)
{
  char path[48];
  g_autofree char *target = g_malloc (4096);
  ssize_t len;

  g_snprintf (path, sizeof path, "%u/exe", pid);
  len = readlinkat (proc_fd, path, target, 4095);
  if (len <= 0)
    return NULL;
  target[len] = '\0';
  return g_steal_pointer (&target);
}

/* Reports the wanted sockets process @pid holds and takes them out of
 * @w. Returns whether it held any. */
static gboolean
scan_process (int     proc_fd,
              guint   pid,
              Wanted *w)
{
  char path[32];
  g_autofree char *name = NULL;
  g_autofree char *exe = NULL;
  gboolean found = FALSE;
  struct dirent *entry;
  DIR *fds;
  int fd;

  g_snprintf (path, sizeof path, "%u/fd", pid);
  fd = openat (proc_fd, path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0)
    return FALSE;  /* another user's, or gone */
  if ((fds = fdopendir (fd)) == NULL)
    {
      close (fd);
      return FALSE;
    }
  while (g_hash_table_size (w->inodes) > 0 && (entry = readdir (fds)) != NULL)
    {
      char target[64];
      ssize_t len;
      guint64 inode;
      gpointer value;

      if (entry->d_name[0] == '.')
        continue;
      len = readlinkat (dirfd (fds), entry->d_name, target, sizeof target - 1);
      if (len <= 8)
        continue;
      target[len] = '\0';
      if (memcmp (target, "socket:[", 8) != 0)
        continue;
      inode = g_ascii_strtoull (target + 8, NULL, 10);
      if (!g_hash_table_lookup_extended (w->inodes, &inode, NULL, &value))
        continue;
      if (name == NULL)
        {
          name = read_line_at (proc_fd, pid, "comm");
          exe = read_exe_at (proc_fd, pid);
          if (name == NULL)
            name = g_strdup_printf ("%u", pid);
        }
      w->func (GPOINTER_TO_UINT (value), pid, name, exe, w->data);
      g_hash_table_remove (w->inodes, &inode);
      found = TRUE;
    }
  closedir (fds);
  return found;
}

/* Whether process @pid belongs to one of the sockets' users. */
static gboolean
pid_wanted (int           proc_fd,
            guint         pid,
            const Wanted *w)
{
  char path[16];
  struct stat st;

  if (w->uids->len == 0)
    return TRUE;
  g_snprintf (path, sizeof path, "%u", pid);
  return fstatat (proc_fd, path, &st, 0) == 0 && uid_wanted (w, (guint) st.st_uid);
}

static void
remember_owner (guint pid)
{
  guint i;

  g_mutex_lock (&recent_lock);
  for (i = 0; i < N_RECENT_OWNERS - 1 && recent_owners[i] != pid; i++)
    ;
  memmove (&recent_owners[1], &recent_owners[0], i * sizeof recent_owners[0]);
  recent_owners[0] = pid;
  g_mutex_unlock (&recent_lock);
}

static gint
pid_descending (gconstpointer a,
                gconstpointer b)
{
  guint x = *(const guint *) a, y = *(const guint *) b;

  return x < y ? 1 : x > y ? -1 : 0;
}

static void
find_owners (Wanted *w)
{
  guint recent[N_RECENT_OWNERS];
  g_autoptr(GArray) found = g_array_new (FALSE, FALSE, sizeof (guint));
  g_autoptr(GArray) pids = NULL;
  DIR *proc;
  int proc_fd;

  if (g_hash_table_size (w->inodes) == 0)
    return;
  proc_fd = open ("/proc", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (proc_fd < 0)
    return;

  g_mutex_lock (&recent_lock);
  memcpy (recent, recent_owners, sizeof recent);
  g_mutex_unlock (&recent_lock);

  /* The usual owners first… */
  for (guint i = 0; i < N_RECENT_OWNERS && recent[i] != 0 && g_hash_table_size (w->inodes) > 0; i++)
    if (scan_process (proc_fd, recent[i], w))
      g_array_append_val (found, recent[i]);

  /* A socket closed since it was asked for is in no process's fd table:
   * looking for it would read every fd folder of the machine for nothing
   * (most of a lookup's cost in a burst of short connections). */
  if (g_hash_table_size (w->inodes) > 0 && w->still_open != NULL)
    {
      GHashTableIter iter;
      gpointer key, value;

      g_hash_table_iter_init (&iter, w->inodes);
      while (g_hash_table_iter_next (&iter, &key, &value))
        if (!w->still_open (GPOINTER_TO_UINT (value), *(guint64 *) key, w->data))
          g_hash_table_iter_remove (&iter);
    }

  /* …then every other process of those users, newest first, until nothing
   * is missing. */
  if (g_hash_table_size (w->inodes) > 0 && (proc = opendir ("/proc")) != NULL)
    {
      struct dirent *entry;

      pids = g_array_sized_new (FALSE, FALSE, sizeof (guint), 512);
      while ((entry = readdir (proc)) != NULL)
        {
          guint pid;

          if (!g_ascii_isdigit (entry->d_name[0]))
            continue;
          pid = (guint) strtoul (entry->d_name, NULL, 10);
          g_array_append_val (pids, pid);
        }
      closedir (proc);
      g_array_sort (pids, pid_descending);
      for (guint k = 0; k < pids->len && g_hash_table_size (w->inodes) > 0; k++)
        {
          guint pid = g_array_index (pids, guint, k);
          gboolean seen = FALSE;

          for (guint i = 0; i < N_RECENT_OWNERS && recent[i] != 0; i++)
            seen |= recent[i] == pid;
          if (!seen && pid_wanted (proc_fd, pid, w) && scan_process (proc_fd, pid, w))
            g_array_append_val (found, pid);
        }
    }
  close (proc_fd);

  for (guint i = found->len; i > 0; i--)
    remember_owner (g_array_index (found, guint, i - 1));
}

/* ---- the table ---- */

static void
add_to_table (guint       port,
              guint       pid,
              const char *name,
              const char *exe,
              gpointer    data)
{
  _gn_process_table_add (data, (guint16) port, pid, name, exe);
}

void
_gn_process_table_fill (GnProcessTable *self,
                        guint16         server_port,
                        const guint16  *client_ports,
                        guint           n_client_ports)
{
  g_autoptr(GHashTable) wanted = g_hash_table_new (NULL, NULL);
  Wanted w;

  wanted_init (&w, add_to_table, self);
  for (guint i = 0; i < n_client_ports; i++)
    g_hash_table_add (wanted, GUINT_TO_POINTER ((guint) client_ports[i]));
  if (!read_sockets_netlink (server_port, wanted, &w))
    {
      read_sockets_proc ("/proc/net/tcp", server_port, wanted, &w);
      read_sockets_proc ("/proc/net/tcp6", server_port, wanted, &w);
    }
  find_owners (&w);
  wanted_clear (&w);
}

/* ---- exact lookups ---- */

static guint32 exact_seq = 0x474e4500;   /* atomic; "GNE" */

typedef struct
{
  GSocketAddress *const *clients;
  GSocketAddress *const *servers;
  GnProcessInfo        **owners;
  int                    fd;        /* NETLINK_SOCK_DIAG */
} Exact;

/* 1 and the inode and user of the client end of connection @i, 0 when
 * there is none, -1 when the kernel refused. */
static int
exact_query (Exact   *x,
             guint    i,
             guint64 *inode,
             guint   *uid)
{
  int found = diag_exact (x->fd, (guint32) g_atomic_int_add ((gint *) &exact_seq, 1),
                          x->clients[i], x->servers[i], FALSE, inode, uid);

  /* A client that connected from an IPv6 socket to a mapped address. */
  if (found == 0 && is_mapped (x->clients[i]))
    found = diag_exact (x->fd, (guint32) g_atomic_int_add ((gint *) &exact_seq, 1),
                        x->clients[i], x->servers[i], TRUE, inode, uid);
  return found;
}

static gboolean
exact_still_open (guint    index,
                  guint64  inode,
                  gpointer data)
{
  guint64 now = 0;
  guint uid = 0;

  return exact_query (data, index, &now, &uid) > 0 && now == inode;
}

static void
set_owner (guint       index,
           guint       pid,
           const char *name,
           const char *exe,
           gpointer    data)
{
  Exact *x = data;
  GnProcessInfo *info = g_new0 (GnProcessInfo, 1);

  info->pid = pid;
  info->name = g_strdup (name);
  info->path = g_strdup (exe);
  x->owners[index] = info;
}

void
_gn_process_lookup_connections (GSocketAddress *const *clients,
                                GSocketAddress *const *servers,
                                guint                  n,
                                GnProcessInfo        **owners)
{
  uid_t me = geteuid ();
  gboolean refused = FALSE;
  Exact x = { clients, servers, owners, -1 };
  Wanted w;

  if (g_atomic_int_get (&use_netlink))
    x.fd = socket (AF_NETLINK, SOCK_DGRAM | SOCK_CLOEXEC, NETLINK_SOCK_DIAG);
  if (x.fd < 0)
    {
      _gn_process_lookup_by_table (clients, servers, n, owners);
      return;
    }

  wanted_init (&w, set_owner, &x);
  w.still_open = exact_still_open;
  for (guint i = 0; i < n && !refused; i++)
    {
      guint64 inode = 0;
      guint uid = 0;
      int found = exact_query (&x, i, &inode, &uid);

      refused = found < 0;
      if (found > 0 && inode != 0 && (me == 0 || uid == me))
        add_inode (&w, inode, i, uid);
    }
  if (refused)
    {
      /* An old kernel without exact lookups: the table's way, for all. */
      close (x.fd);
      wanted_clear (&w);
      _gn_process_lookup_by_table (clients, servers, n, owners);
      return;
    }
  find_owners (&w);
  close (x.fd);
  wanted_clear (&w);
}
