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

static void
info_free (gpointer data)
{
  GnProcessInfo *info = data;

  g_free (info->name);
  g_free (info->path);
  g_free (info);
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
