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
 * 2. Inode → process. The links in /proc/PID/fd point to "socket:[INODE]"
 *    for every socket a process holds, so one pass over the processes finds
 *    all the owners at once; it stops as soon as every wanted inode is
 *    found. The processes that owned client sockets lately (a browser makes
 *    most of them) are remembered between tables and scanned first, so the
 *    usual table reads one or two fd folders, not all of them. Sockets of
 *    other users are dropped before the scan (their fd folders cannot be
 *    read without privileges), and so are processes of other users.
 *
 * Threading: a worker thread (blocking reads of /proc and netlink). The
 * remembered owners are shared by all tables, under a lock.
 */

#include <errno.h>
#include <linux/inet_diag.h>
#include <linux/netlink.h>
#include <linux/sock_diag.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
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

static void
add_inode (GHashTable *inodes,
           guint64     inode,
           guint16     local_port)
{
  g_hash_table_insert (inodes, g_memdup2 (&inode, sizeof inode), GUINT_TO_POINTER (local_port));
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
               GHashTable *inodes)
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
          add_inode (inodes, row->idiag_inode, local_port);
        }
    }
}

static gboolean
read_sockets_netlink (guint16     server_port,
                      GHashTable *wanted_ports,
                      GHashTable *inodes)
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
  ok = netlink_query (fd, AF_INET, server_port, wanted_ports, inodes) &&
       (g_hash_table_size (inodes) >= g_hash_table_size (wanted_ports) ||
        netlink_query (fd, AF_INET6, server_port, wanted_ports, inodes));
  close (fd);
  if (!ok)
    g_hash_table_remove_all (inodes);   /* all from /proc then, not half and half */
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
                   GHashTable *inodes)
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
      add_inode (inodes, inode, (guint16) local_port);
    }
}

/* ---- inode → process ---- */

static char *
read_comm (const char *pid)
{
  g_autofree char *path = g_build_filename ("/proc", pid, "comm", NULL);
  char *text = NULL;

  if (!g_file_get_contents (path, &text, NULL, NULL))
    return NULL;
  return g_strchomp (text);
}

/* Adds to @self the wanted sockets process @pid holds, and takes them out
 * of @inodes. Returns whether it held any. */
static gboolean
scan_process (GnProcessTable *self,
              const char     *pid,
              GHashTable     *inodes)
{
  g_autofree char *fd_path = g_build_filename ("/proc", pid, "fd", NULL);
  g_autoptr(GDir) fds = NULL;
  g_autofree char *name = NULL;
  g_autofree char *exe = NULL;
  gboolean found = FALSE;
  const char *fd;

  if ((fds = g_dir_open (fd_path, 0, NULL)) == NULL)
    return FALSE;  /* another user's, or gone */
  while (g_hash_table_size (inodes) > 0 && (fd = g_dir_read_name (fds)) != NULL)
    {
      g_autofree char *link_path = g_build_filename (fd_path, fd, NULL);
      char target[64];
      ssize_t len = readlink (link_path, target, sizeof target - 1);
      guint64 inode;
      gpointer port;

      if (len <= 0)
        continue;
      target[len] = '\0';
      if (!g_str_has_prefix (target, "socket:["))
        continue;
      inode = g_ascii_strtoull (target + strlen ("socket:["), NULL, 10);
      if (!g_hash_table_lookup_extended (inodes, &inode, NULL, &port))
        continue;
      if (name == NULL)
        {
          g_autofree char *exe_link = g_build_filename ("/proc", pid, "exe", NULL);

          name = read_comm (pid);
          exe = g_file_read_link (exe_link, NULL);
        }
      _gn_process_table_add (self, (guint16) GPOINTER_TO_UINT (port),
                             (guint) atoi (pid), name ? name : pid, exe);
      g_hash_table_remove (inodes, &inode);
      found = TRUE;
    }
  return found;
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

static void
find_owners (GnProcessTable *self,
             GHashTable     *inodes)
{
  guint recent[N_RECENT_OWNERS];
  g_autoptr(GArray) found = g_array_new (FALSE, FALSE, sizeof (guint));
  g_autoptr(GDir) proc = NULL;
  const char *pid;

  g_mutex_lock (&recent_lock);
  memcpy (recent, recent_owners, sizeof recent);
  g_mutex_unlock (&recent_lock);

  /* The usual owners first… */
  for (guint i = 0; i < N_RECENT_OWNERS && recent[i] != 0 && g_hash_table_size (inodes) > 0; i++)
    {
      char pid_text[16];

      g_snprintf (pid_text, sizeof pid_text, "%u", recent[i]);
      if (scan_process (self, pid_text, inodes))
        g_array_append_val (found, recent[i]);
    }

  /* …then every other process, until nothing is missing. */
  if (g_hash_table_size (inodes) > 0 && (proc = g_dir_open ("/proc", 0, NULL)) != NULL)
    while (g_hash_table_size (inodes) > 0 && (pid = g_dir_read_name (proc)) != NULL)
      {
        guint n;
        gboolean seen = FALSE;

        if (!g_ascii_isdigit (*pid))
          continue;
        n = (guint) atoi (pid);
        for (guint i = 0; i < N_RECENT_OWNERS && recent[i] != 0; i++)
          seen |= recent[i] == n;
        if (!seen && scan_process (self, pid, inodes))
          g_array_append_val (found, n);
      }

  for (guint i = found->len; i > 0; i--)
    remember_owner (g_array_index (found, guint, i - 1));
}

void
_gn_process_table_fill (GnProcessTable *self,
                        guint16         server_port,
                        const guint16  *client_ports,
                        guint           n_client_ports)
{
  g_autoptr(GHashTable) wanted = g_hash_table_new (NULL, NULL);
  g_autoptr(GHashTable) inodes = g_hash_table_new_full (g_int64_hash, g_int64_equal, g_free, NULL);

  for (guint i = 0; i < n_client_ports; i++)
    g_hash_table_add (wanted, GUINT_TO_POINTER ((guint) client_ports[i]));
  if (!read_sockets_netlink (server_port, wanted, inodes))
    {
      read_sockets_proc ("/proc/net/tcp", server_port, wanted, inodes);
      read_sockets_proc ("/proc/net/tcp6", server_port, wanted, inodes);
    }
  if (g_hash_table_size (inodes) > 0)
    find_owners (self, inodes);
}
