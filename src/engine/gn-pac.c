/* gn-pac.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The PAC script (see gn-pac.h). Every bypass item becomes a test that
 * needs no name lookup: isInNet() only runs on IPv4 literals (it would
 * resolve a name, which stalls the browser), everything else is a
 * shExpMatch() on the host as written in the URL.
 *
 * Threading: pure functions, any thread.
 */

#include <string.h>

#include <gio/gio.h>

#include "gn-pac.h"

static const char * const loopback_only[] = { "localhost", "127.0.0.0/8", "::1", NULL };

/* Characters that may appear in a bypass item; anything else (quotes,
 * backslashes, spaces) could break out of a JavaScript string. */
static gboolean
item_is_safe (const char *item)
{
  if (*item == '\0')
    return FALSE;
  for (const char *p = item; *p; p++)
    if (!g_ascii_isalnum (*p) && strchr (".-_*:/[]<>?", *p) == NULL)
      return FALSE;
  return TRUE;
}

/* "a.b.c.d/n" → the network and its dotted mask. */
static gboolean
parse_ipv4_network (const char *item,
                    char      **network,
                    char      **mask)
{
  g_autoptr(GInetAddressMask) m = g_inet_address_mask_new_from_string (item, NULL);
  g_autoptr(GInetAddress) mask_address = NULL;
  guint32 bits;
  guint length;

  if (m == NULL || strchr (item, '/') == NULL ||
      g_inet_address_mask_get_family (m) != G_SOCKET_FAMILY_IPV4)
    return FALSE;
  length = g_inet_address_mask_get_length (m);
  bits = length == 0 ? 0 : GUINT32_TO_BE (0xffffffffu << (32 - length));
  mask_address = g_inet_address_new_from_bytes ((const guint8 *) &bits, G_SOCKET_FAMILY_IPV4);
  *network = g_inet_address_to_string (g_inet_address_mask_get_address (m));
  *mask = g_inet_address_to_string (mask_address);
  return TRUE;
}

static void
append_test (GString    *out,
             const char *item)
{
  g_autofree char *network = NULL;
  g_autofree char *mask = NULL;
  g_autofree char *bare = NULL;
  gsize len = strlen (item);

  if (g_str_equal (item, "<local>"))
    {
      g_string_append (out, "      isPlainHostName(host) ||\n");
      return;
    }
  if (parse_ipv4_network (item, &network, &mask))
    {
      g_string_append_printf (out, "      (ip4 && isInNet(host, \"%s\", \"%s\")) ||\n", network, mask);
      return;
    }
  if (strchr (item, '/') != NULL)
    return;  /* an IPv6 network: not expressible in every browser's PAC */

  /* "[::1]" and "::1" both name the host the URL gives as "::1". */
  if (len > 2 && item[0] == '[' && item[len - 1] == ']')
    item = bare = g_strndup (item + 1, len - 2);
  g_string_append_printf (out, "      shExpMatch(host, \"%s\") ||\n", item);
}

/* The same decision as the script's, in C: the engine sends what the
 * system bypasses direct instead of to the user's company proxy. */
gboolean
gn_pac_bypass_matches (const char * const *bypass,
                       const char         *host)
{
  g_autoptr(GInetAddress) ip = NULL;

  g_return_val_if_fail (host != NULL, FALSE);

  if (bypass == NULL)
    bypass = loopback_only;
  ip = g_inet_address_new_from_string (host);
  for (guint i = 0; bypass[i] != NULL; i++)
    {
      const char *item = bypass[i];
      g_autofree char *lower = NULL;
      g_autofree char *bare = NULL;
      gsize len = strlen (item);

      if (!item_is_safe (item))
        continue;
      if (g_str_equal (item, "<local>"))
        {
          /* isPlainHostName(): no dot in the host as written */
          if (strchr (host, '.') == NULL && ip == NULL)
            return TRUE;
          continue;
        }
      if (strchr (item, '/') != NULL)
        {
          g_autoptr(GInetAddressMask) mask = g_inet_address_mask_new_from_string (item, NULL);

          if (mask != NULL && ip != NULL && g_inet_address_get_family (ip) == G_SOCKET_FAMILY_IPV4 &&
              g_inet_address_mask_get_family (mask) == G_SOCKET_FAMILY_IPV4 &&
              g_inet_address_mask_matches (mask, ip))
            return TRUE;
          continue;
        }
      if (len > 2 && item[0] == '[' && item[len - 1] == ']')
        item = bare = g_strndup (item + 1, len - 2);
      lower = g_ascii_strdown (item, -1);
      /* shExpMatch(): * and ? over the whole host */
      if (g_pattern_match_simple (lower, host))
        return TRUE;
    }
  return FALSE;
}

char *
gn_pac_script (const char         *host,
               guint16             port,
               const char * const *bypass)
{
  GString *out = g_string_new (NULL);
  g_autofree char *authority = NULL;

  g_return_val_if_fail (host != NULL, NULL);

  authority = strchr (host, ':') != NULL ? g_strdup_printf ("[%s]:%u", host, port)
                                         : g_strdup_printf ("%s:%u", host, port);
  if (bypass == NULL)
    bypass = loopback_only;

  g_string_append (out,
                   "// GuardNest proxy auto-configuration, served by GuardNest itself.\n"
                   "function FindProxyForURL(url, host) {\n"
                   "  var ip4 = /^[0-9]+\\.[0-9]+\\.[0-9]+\\.[0-9]+$/.test(host);\n"
                   "  if (\n");
  for (guint i = 0; bypass[i] != NULL; i++)
    if (item_is_safe (bypass[i]))
      append_test (out, bypass[i]);
  g_string_append (out, "      false)\n"
                        "    return \"DIRECT\";\n");
  g_string_append_printf (out, "  return \"PROXY %s; DIRECT\";\n}\n", authority);
  return g_string_free (out, FALSE);
}
