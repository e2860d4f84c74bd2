/* fuzz-blocklist.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * libFuzzer target for the blocklist parsers (hosts, domains, Adblock,
 * wildcard, and format detection), the builder that stores their rules and
 * the lookup the proxy asks on every request. Lists come from the network,
 * so a crafted one must never crash the builder, and what it stores must be
 * what a lookup finds. Besides the sanitizers it checks:
 *   - every stored rule is a canonical name (gn_domain_normalize() gives it
 *     back unchanged), flagged as an address exactly when it is one, and a
 *     lookup of it matches that very rule, or an allow rule for a parent
 *     domain (allow wins at any depth);
 *   - the set holds no more rules than the report says were accepted;
 *   - the input's first line, taken as a host, normalises to a fixed point,
 *     and an address keeps its one canonical form.
 *
 * Input: one option byte (the format: auto, hosts, domains, Adblock,
 * wildcard), then the list text. Single-threaded, no global state.
 */

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <gio/gio.h>

#include "gn-blocklist-builder.h"
#include "gn-blocklist-private.h"
#include "gn-domain.h"

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

#define CHECK(cond) \
  G_STMT_START { if (!(cond)) { fprintf (stderr, "fuzz check failed: %s (%s:%d)\n", \
                                         #cond, __FILE__, __LINE__); abort (); } } G_STMT_END

static const GnBlocklistFormat formats[] = {
  GN_BLOCKLIST_FORMAT_AUTO,
  GN_BLOCKLIST_FORMAT_HOSTS,
  GN_BLOCKLIST_FORMAT_DOMAINS,
  GN_BLOCKLIST_FORMAT_ADBLOCK,
  GN_BLOCKLIST_FORMAT_WILDCARD,
};

/* Normalising is idempotent, and an address stays one address. */
static void
check_normalize (const char *s,
                 gsize       len)
{
  char out[GN_DOMAIN_MAX + 1];
  char again[GN_DOMAIN_MAX + 1];
  char address[GN_ADDRESS_MAX];
  gsize out_len, again_len, address_len;
  GnNameKind kind, kind_again;

  if (len > GN_DOMAIN_MAX * 4)
    return;
  kind = gn_domain_normalize (s, len, out, &out_len);
  address_len = gn_domain_canonical_address (s, len, address);
  if (address_len > 0)
    {
      /* a name that is an address normalises to that address (unless it is
       * no name at all: "[1.2.3.4" with a stray bracket, say) */
      CHECK (kind == GN_NAME_IP || kind == GN_NAME_INVALID);
      if (kind == GN_NAME_IP)
        CHECK (strcmp (out, address) == 0);
      CHECK (gn_domain_canonical_address (address, address_len, again) == address_len);
      CHECK (strcmp (again, address) == 0);
    }
  if (kind == GN_NAME_INVALID)
    return;

  CHECK (out_len == strlen (out) && out_len > 0 && out_len <= GN_DOMAIN_MAX);
  kind_again = gn_domain_normalize (out, out_len, again, &again_len);
  CHECK (kind_again == kind);
  CHECK (again_len == out_len && memcmp (again, out, out_len) == 0);
}

int
LLVMFuzzerTestOneInput (const uint8_t *data,
                        size_t         size)
{
  g_autoptr(GnBlocklistBuilder) builder = NULL;
  g_autoptr(GnBlocklist) list = NULL;
  GnBlocklistReport report = { 0 };
  GnBlocklistFormat format;
  gsize n_records = 0;
  const char *text, *nl;
  gsize text_len;
  char *buf;

  if (size < 1)
    return 0;
  format = formats[data[0] % G_N_ELEMENTS (formats)];
  data++;
  size--;

  /* exactly the input's length, so ASan sees any read past it */
  buf = malloc (size > 0 ? size : 1);
  CHECK (buf != NULL);
  if (size > 0)
    memcpy (buf, data, size);
  text = buf;
  text_len = size;

  nl = memchr (text, '\n', text_len);
  check_normalize (text, nl != NULL ? (gsize) (nl - text) : text_len);

  builder = gn_blocklist_builder_new ();
  /* The parser reports errors (binary data, say) with a GError; the builder
   * may then hold part of the list, which must still be consistent. */
  {
    g_autoptr(GError) error = NULL;
    gboolean ok = gn_blocklist_builder_add_data (builder, "Fuzz", text, text_len, format,
                                                 &report, &error);

    CHECK (ok == (error == NULL));
  }
  list = gn_blocklist_builder_end (g_steal_pointer (&builder));

  CHECK (gn_blocklist_get_n_rules (list) <= report.accepted);

  /* Walk the records: each is canonical, and found by a lookup of itself. */
  for (gsize off = 0; off < list->arena_len; n_records++)
    {
      const guint8 *rec = list->arena + off;
      const char *name = (const char *) rec + GN_RECORD_HEADER;
      gsize len = strlen (name);
      char out[GN_DOMAIN_MAX + 1];
      gsize out_len;
      GnNameKind kind;
      GnMatch match;

      CHECK (off + GN_RECORD_HEADER + len < list->arena_len);
      kind = gn_domain_normalize (name, len, out, &out_len);
      CHECK (kind == GN_NAME_DOMAIN || kind == GN_NAME_IP);
      CHECK (strcmp (out, name) == 0);
      CHECK (((rec[0] & GN_RECORD_IP) != 0) == (kind == GN_NAME_IP));

      CHECK (gn_blocklist_lookup (list, name, &match) != GN_MATCH_NONE);
      CHECK (strcmp (match.list_name, "Fuzz") == 0);
      if (match.kind == (GnMatchKind) GN_RECORD_KIND (rec))
        CHECK (strcmp (match.rule, name) == 0);
      else
        {
          gsize rule_len = strlen (match.rule);

          /* a block rule under an allowed parent domain */
          CHECK (GN_RECORD_KIND (rec) == GN_MATCH_BLOCK && match.kind == GN_MATCH_ALLOW);
          CHECK (kind == GN_NAME_DOMAIN);
          CHECK (rule_len < len && name[len - rule_len - 1] == '.' &&
                 strcmp (name + len - rule_len, match.rule) == 0);
        }

      off += GN_RECORD_HEADER + len + 1;
    }
  CHECK (n_records == gn_blocklist_get_n_rules (list));

  free (buf);
  return 0;
}
