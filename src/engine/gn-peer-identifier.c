/* gn-peer-identifier.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The GnPeerIdentifier interface (see gn-peer-identifier.h).
 *
 * Threading: see gn-peer-identifier.h.
 */

#include "gn-peer-identifier.h"

G_DEFINE_INTERFACE (GnPeerIdentifier, gn_peer_identifier, G_TYPE_OBJECT)

static void
gn_peer_identifier_default_init (GnPeerIdentifierInterface *iface)
{
}

void
gn_peer_identifier_identify_async (GnPeerIdentifier    *self,
                                   GSocketAddress      *client,
                                   GSocketAddress      *server,
                                   GCancellable        *cancellable,
                                   GAsyncReadyCallback  callback,
                                   gpointer             user_data)
{
  g_return_if_fail (GN_IS_PEER_IDENTIFIER (self));
  g_return_if_fail (G_IS_SOCKET_ADDRESS (client) && G_IS_SOCKET_ADDRESS (server));

  GN_PEER_IDENTIFIER_GET_IFACE (self)->identify_async (self, client, server, cancellable,
                                                       callback, user_data);
}

char *
gn_peer_identifier_identify_finish (GnPeerIdentifier  *self,
                                    GAsyncResult      *result,
                                    GError           **error)
{
  g_return_val_if_fail (GN_IS_PEER_IDENTIFIER (self), NULL);

  return GN_PEER_IDENTIFIER_GET_IFACE (self)->identify_finish (self, result, error);
}
