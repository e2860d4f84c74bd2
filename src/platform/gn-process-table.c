/* gn-process-table.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The part of GnProcessTable (gn-process-table.h) every OS shares: the
 * table itself, client port → owner. The OS file fills it
 * (_gn_process_table_fill in gn-process-table-linux.c or -windows.c).
 *
 * Threading: see gn-process-table.h.
 */

#include "gn-process-table-private.h"

void
gn_process_info_free (GnProcessInfo *info)
{
  if (info == NULL)
    return;
  g_free (info->name);
  g_free (info->path);
  g_free (info);
}

static void
info_free (gpointer data)
{
  gn_process_info_free (data);
}

GnProcessInfo *
gn_process_info_copy (const GnProcessInfo *info)
{
  GnProcessInfo *copy;

  g_return_val_if_fail (info != NULL, NULL);
  copy = g_new0 (GnProcessInfo, 1);
  copy->pid = info->pid;
  copy->name = g_strdup (info->name);
  copy->path = g_strdup (info->path);
  return copy;
}

static guint16
inet_port (GSocketAddress *address)
{
  return G_IS_INET_SOCKET_ADDRESS (address)
         ? g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (address)) : 0;
}

void
gn_process_lookup_connections (GSocketAddress *const *clients,
                               GSocketAddress *const *servers,
                               guint                  n,
                               GnProcessInfo        **owners)
{
  g_return_if_fail (n == 0 || (clients != NULL && servers != NULL && owners != NULL));

  for (guint i = 0; i < n; i++)
    owners[i] = NULL;
  if (n > 0)
    _gn_process_lookup_connections (clients, servers, n, owners);
}

GnProcessInfo *
gn_process_lookup_connection (GSocketAddress *client,
                              GSocketAddress *server)
{
  GnProcessInfo *owner = NULL;

  g_return_val_if_fail (G_IS_SOCKET_ADDRESS (client) && G_IS_SOCKET_ADDRESS (server), NULL);
  gn_process_lookup_connections (&client, &server, 1, &owner);
  return owner;
}

void
_gn_process_lookup_by_table (GSocketAddress *const *clients,
                             GSocketAddress *const *servers,
                             guint                  n,
                             GnProcessInfo        **owners)
{
  g_autofree guint16 *ports = g_new (guint16, n);
  g_autofree gboolean *done = g_new0 (gboolean, n);

  /* Usually one server port for all: one table. */
  for (guint first = 0; first < n; first++)
    {
      guint16 server_port = inet_port (servers[first]);
      guint n_ports = 0;
      g_autoptr(GnProcessTable) table = NULL;

      if (done[first])
        continue;
      for (guint i = first; i < n; i++)
        if (!done[i] && inet_port (servers[i]) == server_port)
          {
            done[i] = TRUE;
            if (owners[i] == NULL && server_port != 0 && inet_port (clients[i]) != 0)
              ports[n_ports++] = inet_port (clients[i]);
          }
      if (n_ports == 0)
        continue;
      table = gn_process_table_new (server_port, ports, n_ports);
      for (guint i = first; i < n; i++)
        if (owners[i] == NULL && inet_port (servers[i]) == server_port)
          {
            const GnProcessInfo *info = gn_process_table_lookup (table, inet_port (clients[i]));

            if (info != NULL)
              owners[i] = gn_process_info_copy (info);
          }
    }
}

GnProcessTable *
gn_process_table_new (guint16        server_port,
                      const guint16 *client_ports,
                      guint          n_client_ports)
{
  GnProcessTable *self = g_new0 (GnProcessTable, 1);

  g_return_val_if_fail (n_client_ports == 0 || client_ports != NULL, NULL);

  self->owners = g_hash_table_new_full (NULL, NULL, NULL, info_free);
  if (n_client_ports > 0)
    _gn_process_table_fill (self, server_port, client_ports, n_client_ports);
  return self;
}

/* For the OS file: @client_port belongs to @pid, called @name. */
void
_gn_process_table_add (GnProcessTable *self,
                       guint16         client_port,
                       guint           pid,
                       const char     *name,
                       const char     *path)
{
  GnProcessInfo *info = g_new0 (GnProcessInfo, 1);

  info->pid = pid;
  info->name = g_strdup (name);
  info->path = g_strdup (path);
  g_hash_table_replace (self->owners, GUINT_TO_POINTER (client_port), info);
}

const GnProcessInfo *
gn_process_table_lookup (GnProcessTable *self,
                         guint16         client_port)
{
  g_return_val_if_fail (self != NULL, NULL);
  return g_hash_table_lookup (self->owners, GUINT_TO_POINTER (client_port));
}

guint
gn_process_table_get_size (GnProcessTable *self)
{
  g_return_val_if_fail (self != NULL, 0);
  return g_hash_table_size (self->owners);
}

void
gn_process_table_free (GnProcessTable *self)
{
  if (self == NULL)
    return;
  g_hash_table_unref (self->owners);
  g_free (self);
}
