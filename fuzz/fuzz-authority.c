/* fuzz-authority.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * libFuzzer target for gn_http_parse_authority(), which turns a CONNECT
 * target or a Host value ("host:port", "[::1]:443") into the host the
 * blocklist is asked about and the port the proxy connects to. A host that
 * parses two ways could slip past the blocklist, so besides the sanitizers
 * it checks: the host is lower-case, NUL-terminated within its buffer and a
 * valid name or IP literal; the port is never 0; and writing the result back
 * as an authority parses to the very same host and port.
 *
 * Input: one option byte (default port), then the authority bytes, copied
 * into a buffer of exactly their length. Single-threaded, no global state.
 */

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <gio/gio.h>

#include "gn-http-parser.h"

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

#define CHECK(cond) \
  G_STMT_START { if (!(cond)) { fprintf (stderr, "fuzz check failed: %s (%s:%d)\n", \
                                         #cond, __FILE__, __LINE__); abort (); } } G_STMT_END

int
LLVMFuzzerTestOneInput (const uint8_t *data,
                        size_t         size)
{
  static const guint16 default_ports[] = { 0, 80, 443, 65535 };
  char host[GN_HTTP_HOST_MAX];
  char again[GN_HTTP_HOST_MAX];
  guint16 port = 0, port_again = 0, default_port;
  gboolean ok;
  char *buf;
  gsize host_len;

  if (size < 1)
    return 0;
  default_port = default_ports[data[0] & 3];
  data++;
  size--;

  buf = malloc (size > 0 ? size : 1);
  CHECK (buf != NULL);
  if (size > 0)
    memcpy (buf, data, size);

  memset (host, 'X', sizeof host);
  ok = gn_http_parse_authority (buf, (gssize) size, default_port, host, &port);

  /* The NUL-terminated form (len = -1) agrees when there is no NUL inside. */
  if (memchr (data, '\0', size) == NULL)
    {
      char *nul = g_strndup ((const char *) data, size);
      guint16 port_nul = 0;

      CHECK (gn_http_parse_authority (nul, -1, default_port, again, &port_nul) == ok);
      if (ok)
        CHECK (strcmp (again, host) == 0 && port_nul == port);
      g_free (nul);
    }

  if (ok)
    {
      g_autofree char *authority = NULL;

      host_len = strnlen (host, sizeof host);
      CHECK (host_len > 0 && host_len < sizeof host);
      CHECK (port != 0);
      for (gsize i = 0; i < host_len; i++)
        CHECK (!g_ascii_isupper (host[i]) && (guchar) host[i] > 0x20 && (guchar) host[i] < 0x7f);
      if (strchr (host, ':') != NULL)
        CHECK (g_hostname_is_ip_address (host));
      else
        CHECK (host[host_len - 1] != '.');

      /* Round trip: the canonical form parses to the same result, with or
       * without a default port. */
      authority = strchr (host, ':') ? g_strdup_printf ("[%s]:%u", host, port)
                                     : g_strdup_printf ("%s:%u", host, port);
      CHECK (gn_http_parse_authority (authority, -1, 0, again, &port_again));
      CHECK (strcmp (again, host) == 0);
      CHECK (port_again == port);
    }
  else
    {
      /* A failed parse leaves an empty host, never a half-written one. */
      CHECK (host[0] == '\0');
    }

  free (buf);
  return 0;
}
