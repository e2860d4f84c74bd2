/* gn-process-table-linux.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Linux: which process owns a client socket. The kernel's socket
 * diagnostics (NETLINK_SOCK_DIAG) list the established TCP sockets with
 * their local and remote address and their inode; the client end of a
 * connection to the proxy has the proxy's port as its remote port and the
 * client port as its local port. Only established sockets are asked for:
 * /proc/net/tcp and tcp6, read where netlink is not allowed, also hold
 * every TIME_WAIT row, tens of thousands after a burst of short
 * connections, which made each lookup cost a good part of a core. The links in
 * /proc/PID/fd point to "socket:[INODE]" for every socket a process holds,
 * so one pass over
 * the processes finds all the owners at once; the scan stops as soon as
 * every wanted inode is found. Processes of other users are skipped
 * silently (their fd folders cannot be read without privileges).
 *
 * Threading: a worker thread (blocking reads of /proc).
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <linux/inet_diag.h>
#include <linux/netlink.h>
#include <linux/sock_diag.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

#include "gn-process-table-private.h"

static void
add_inode (GHashTable *inodes,
           guint64     inode,
           guint       local_port)
{
  g_hash_table_insert (inodes, g_memdup2 (&inode, sizeof inode), GUINT_TO_POINTER (local_port));
}

/* "  0: 0100007F:A4E2 0100007F:0BB8 01 …  0  0 123456 …": local
 * port → inode for the rows whose remote port is @server_port. The file
 * can hold tens of thousands of TIME_WAIT rows: read line by line with
 * sscanf, no allocation per row. */
static void
read_sockets (const char *path,
              guint16     server_port,
              GHashTable *wanted_ports,
              GHashTable *inodes)
{
  g_autofree char *text = NULL;
  char *line, *next;

  if (!g_file_get_contents (path, &text, NULL, NULL))
    return;
  line = strchr (text, '\n');  /* past the header */
  for (; line != NULL; line = next)
    {
      unsigned int local_port, remote_port, state;
      unsigned long long inode;

      next = strchr (line + 1, '\n');
      if (next != NULL)
        *next = '\0';
      /* sl: local:port remote:port st tx:rx tr:when retrnsmt uid timeout inode */
      if (sscanf (line + 1, " %*u: %*[0-9A-Fa-f]:%x %*[0-9A-Fa-f]:%x %x %*x:%*x %*x:%*x %*x %*u %*u %llu",
                  &local_port, &remote_port, &state, &inode) != 4)
        continue;
      if (remote_port != server_port || inode == 0 ||
          !g_hash_table_contains (wanted_ports, GUINT_TO_POINTER (local_port)))
        continue;
      add_inode (inodes, inode, local_port);
    }
}

/* The established TCP sockets of @family whose remote port is @server_port,
 * from the kernel's socket diagnostics. FALSE if netlink could not be
 * used (then the caller reads /proc). */
static gboolean
dump_sockets (guint8      family,
              guint16     server_port,
              GHashTable *wanted_ports,
              GHashTable *inodes)
{
  struct
  {
    struct nlmsghdr         nlh;
    struct inet_diag_req_v2 req;
  } request = { 0 };
  struct sockaddr_nl kernel = { .nl_family = AF_NETLINK };
  g_autofree char *buf = g_malloc (64 * 1024);
  gboolean done = FALSE;
  int fd;

  fd = socket (AF_NETLINK, SOCK_DGRAM | SOCK_CLOEXEC, NETLINK_SOCK_DIAG);
  if (fd < 0)
    return FALSE;

  request.nlh.nlmsg_len = sizeof request;
  request.nlh.nlmsg_type = SOCK_DIAG_BY_FAMILY;
  request.nlh.nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
  request.req.sdiag_family = family;
  request.req.sdiag_protocol = IPPROTO_TCP;
  request.req.idiag_states = 1 << TCP_ESTABLISHED;
  if (sendto (fd, &request, sizeof request, 0, (struct sockaddr *) &kernel, sizeof kernel) < 0)
    {
      close (fd);
      return FALSE;
    }

  while (!done)
    {
      ssize_t len = recv (fd, buf, 64 * 1024, 0);
      struct nlmsghdr *h;

      if (len <= 0)
        break;
      for (h = (struct nlmsghdr *) buf; NLMSG_OK (h, len); h = NLMSG_NEXT (h, len))
        {
          struct inet_diag_msg *msg;
          guint local_port;

          if (h->nlmsg_type == NLMSG_DONE || h->nlmsg_type == NLMSG_ERROR)
            {
              done = TRUE;
              if (h->nlmsg_type == NLMSG_ERROR)
                {
                  close (fd);
                  return FALSE;
                }
              break;
            }
          if (h->nlmsg_len < NLMSG_LENGTH (sizeof *msg))
            continue;
          msg = NLMSG_DATA (h);
          local_port = ntohs (msg->id.idiag_sport);
          if (ntohs (msg->id.idiag_dport) != server_port || msg->idiag_inode == 0 ||
              !g_hash_table_contains (wanted_ports, GUINT_TO_POINTER (local_port)))
            continue;
          add_inode (inodes, msg->idiag_inode, local_port);
        }
    }
  close (fd);
  return done;
}

static char *
read_comm (const char *pid)
{
  g_autofree char *path = g_build_filename ("/proc", pid, "comm", NULL);
  char *text = NULL;

  if (!g_file_get_contents (path, &text, NULL, NULL))
    return NULL;
  return g_strchomp (text);
}

void
_gn_process_table_fill (GnProcessTable *self,
                        guint16         server_port,
                        const guint16  *client_ports,
                        guint           n_client_ports)
{
  g_autoptr(GHashTable) wanted = g_hash_table_new (NULL, NULL);
  g_autoptr(GHashTable) inodes = g_hash_table_new_full (g_int64_hash, g_int64_equal, g_free, NULL);
  g_autoptr(GDir) proc = NULL;
  const char *pid;

  for (guint i = 0; i < n_client_ports; i++)
    g_hash_table_add (wanted, GUINT_TO_POINTER (client_ports[i]));
  if (!dump_sockets (AF_INET, server_port, wanted, inodes))
    read_sockets ("/proc/net/tcp", server_port, wanted, inodes);
  if (!dump_sockets (AF_INET6, server_port, wanted, inodes))
    read_sockets ("/proc/net/tcp6", server_port, wanted, inodes);
  if (g_hash_table_size (inodes) == 0 || (proc = g_dir_open ("/proc", 0, NULL)) == NULL)
    return;

  while (g_hash_table_size (inodes) > 0 && (pid = g_dir_read_name (proc)) != NULL)
    {
      g_autofree char *fd_path = NULL;
      g_autoptr(GDir) fds = NULL;
      g_autofree char *name = NULL;
      g_autofree char *exe = NULL;
      const char *fd;

      if (!g_ascii_isdigit (*pid))
        continue;
      fd_path = g_build_filename ("/proc", pid, "fd", NULL);
      if ((fds = g_dir_open (fd_path, 0, NULL)) == NULL)
        continue;  /* another user's, or gone */
      while ((fd = g_dir_read_name (fds)) != NULL)
        {
          g_autofree char *link_path = g_build_filename (fd_path, fd, NULL);
          g_autofree char *target = g_file_read_link (link_path, NULL);
          guint64 inode;
          gpointer port;

          if (target == NULL || !g_str_has_prefix (target, "socket:["))
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
        }
    }
}
