/* gn-winproxy-restore.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Per-key compare-and-clear restore of the WinINet proxy settings from a
 * journal's snapshot: the rule the GNOME and KDE backends follow
 * (_gn_os_proxy_plan_keys() in gn-os-proxy-settings.c), for Windows.
 *
 * The keys: for every connection, the fields of its Connections blob
 * (flags, ProxyServer, ProxyOverride, AutoConfigURL), which is where
 * WinINet keeps the per-connection options; for the LAN also the "Internet
 * Settings" values that mirror them (ProxyEnable, ProxyServer,
 * ProxyOverride, AutoConfigURL), which older programs (and Wine's WinINet)
 * read and write directly. "Ours" for a key is what gn_wp_apply() wrote
 * there: the journal's config over the user's snapshot (keys apply does not
 * write are ours and the user's at once).
 *
 * For each key:
 *   - still ours: the user's value goes back;
 *   - changed by another program: kept, and named in the log unless it is
 *     the user's own value again (nothing was lost then);
 *   - the mode (the blob's flags, ProxyEnable and, in PAC mode,
 *     AutoConfigURL) changed to something that is neither ours nor the
 *     user's ("direct", another proxy): that program took over. Keys still
 *     holding our values are cleared (our address removed; the flags lose
 *     our mode bits but keep a PAC URL the other program set working), and
 *     the user's values are NOT put back over that choice: the caller keeps
 *     them in the journal (gn_wp_journal_previous_path()).
 * The dead-loopback rule still applies where our mode is still set: the
 * user's proxy on this machine that nothing answers any more comes back
 * switched off.
 *
 * The result is written as one whole state with gn_wp_restore() (WinINet,
 * then the blobs, then the registry values), so every store agrees.
 *
 * Threading: stateless; callers serialise transactions
 * (gn-winproxy-protect.c).
 */
#include "gn-winproxy.h"

#include <wininet.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <wchar.h>

/* The bits that say what the connection does; PROXY_TYPE_DIRECT is always
 * set by Windows and means nothing on its own. */
#define MODE_MASK (PROXY_TYPE_PROXY | PROXY_TYPE_AUTO_PROXY_URL | PROXY_TYPE_AUTO_DETECT)
#define BLOB_VERSION 0x46
#define BLOB_DEFAULT_TAIL 32

typedef enum { ACTION_LEAVE, ACTION_RESTORE, ACTION_CLEAR } Action;

/* A value in one store: a number (the blob's flags, ProxyEnable) or bytes
 * (a blob string in the ANSI code page, a registry string as UTF-16), or
 * absent. */
typedef struct {
  BOOL        present;
  DWORD       number;
  const void *data;   /* (unowned) */
  DWORD       len;    /* bytes */
} Value;

/* Where a key is kept: the connection's blob, and for the LAN the
 * "Internet Settings" value that mirrors it. */
enum { VIEW_BLOB, VIEW_REGISTRY, N_VIEWS };

typedef enum { KIND_FLAGS, KIND_STRING } Kind;

/* One key, in every store that keeps it: still ours only if every store
 * still holds our value; the user's again only if every store does. */
typedef struct {
  const wchar_t *name;
  Kind           kind;
  BOOL           mode;
  unsigned       n_views;
  Value          ours[N_VIEWS], current[N_VIEWS], user[N_VIEWS], final[N_VIEWS];
  Action         action;
} Key;

enum { K_FLAGS, K_SERVER, K_BYPASS, K_PAC, N_KEYS };

#define N_OWNED 16

typedef struct {
  const GnWpConnection *user_conn;
  Key      keys[N_KEYS];
  BOOL     taken_over;
  /* What the values point into. */
  GnWpBlob user_blob, current_blob;
  BOOL     has_user_blob, has_current_blob;
  BYTE    *current_raw;
  void    *owned[N_OWNED];
  unsigned n_owned;
} Place;

static Value
number_value (BOOL present, DWORD number)
{
  Value v = { present, present ? number : 0, NULL, 0 };
  return v;
}

static Value
bytes_value (BOOL present, const char *data, DWORD len)
{
  Value v = { present, 0, present ? data : NULL, present ? len : 0 };
  return v;
}

/* NULL: absent. */
static Value
text_value (const wchar_t *s)
{
  Value v = { s != NULL, 0, s, s ? (DWORD) (wcslen (s) * sizeof (wchar_t)) : 0 };
  return v;
}

static BOOL
value_equal (const Key *key, unsigned view, const Value *a, const Value *b)
{
  if (a->present != b->present)
    return FALSE;
  if (!a->present)
    return TRUE;
  if (key->kind == KIND_FLAGS)
    {
      DWORD mask = view == VIEW_BLOB ? MODE_MASK : 1;
      return (a->number & mask) == (b->number & mask);
    }
  return a->len == b->len && (a->len == 0 || memcmp (a->data, b->data, a->len) == 0);
}

/* Equal in every store. */
static BOOL
key_equal (const Key *key, const Value *a, const Value *b)
{
  for (unsigned v = 0; v < key->n_views; v++)
    if (!value_equal (key, v, &a[v], &b[v]))
      return FALSE;
  return TRUE;
}

static void *
place_own (Place *p, void *mem)
{
  if (mem != NULL && p->n_owned < N_OWNED)
    p->owned[p->n_owned++] = mem;
  else
    {
      free (mem);
      mem = NULL;
    }
  return mem;
}

static char *
to_ansi (const wchar_t *s, DWORD *len)
{
  int n = WideCharToMultiByte (CP_ACP, 0, s, -1, NULL, 0, NULL, NULL);
  char *out;

  *len = 0;
  if (n <= 0 || (out = malloc ((size_t) n)) == NULL)
    return NULL;
  WideCharToMultiByte (CP_ACP, 0, s, -1, out, n, NULL, NULL);
  *len = (DWORD) n - 1;
  return out;
}

/* A blob string as UTF-16; NULL for absent or empty. */
static wchar_t *
to_wide (const Value *v)
{
  int n;
  wchar_t *out;

  if (!v->present || v->len == 0)
    return NULL;
  n = MultiByteToWideChar (CP_ACP, 0, v->data, (int) v->len, NULL, 0);
  if (n <= 0 || (out = calloc ((size_t) n + 1, sizeof (wchar_t))) == NULL)
    return NULL;
  MultiByteToWideChar (CP_ACP, 0, v->data, (int) v->len, out, n);
  return out;
}

/* A registry string's value in the blob (absent: empty), or NULL on
 * failure. */
static BOOL
blob_string_from_text (Place *p, const Value *text, Value *out)
{
  wchar_t *copy;
  char *ansi;
  DWORD len = 0;

  if (!text->present || text->len == 0)
    {
      *out = bytes_value (TRUE, "", 0);
      return TRUE;
    }
  copy = calloc (text->len / sizeof (wchar_t) + 1, sizeof (wchar_t));
  if (copy == NULL)
    return FALSE;
  memcpy (copy, text->data, text->len);
  ansi = place_own (p, to_ansi (copy, &len));
  free (copy);
  *out = bytes_value (TRUE, ansi, len);
  return ansi != NULL;
}

static void
place_clear (Place *p)
{
  free (p->current_raw);
  for (unsigned i = 0; i < p->n_owned; i++)
    free (p->owned[i]);
  memset (p, 0, sizeof *p);
}

/* The keys of one connection: the user's values (@conn, and @user_values
 * for the LAN), what apply wrote over them (@config) and what is there now
 * (@current_values for the LAN). @dead: the dead-loopback rule, the user's
 * proxy comes back switched off. */
static BOOL
place_init (Place *p, const GnWpConfig *config, const GnWpConnection *conn,
            const GnWpRegistryValues *user_values, const GnWpRegistryValues *current_values,
            const wchar_t *our_server, const wchar_t *our_bypass, BOOL dead,
            const GnWpConnection *ours_conn, const GnWpRegistryValues *ours_values)
{
  static const wchar_t *const names[N_KEYS] = {
    L"flags", L"ProxyServer", L"ProxyOverride", L"AutoConfigURL",
  };
  BOOL pac = config->pac_url != NULL, lan = conn->name == NULL;
  DWORD ours_flags = pac ? PROXY_TYPE_DIRECT | PROXY_TYPE_AUTO_PROXY_URL
                         : PROXY_TYPE_DIRECT | PROXY_TYPE_PROXY;
  DWORD len = 0, server_len = 0, bypass_len = 0, pac_len = 0;
  char *server_a, *bypass_a, *pac_a;
  Key *k = p->keys;

  memset (p, 0, sizeof *p);
  p->user_conn = conn;
  p->has_user_blob = conn->blob != NULL && gn_wp_blob_parse (conn->blob, conn->blob_len,
                                                              &p->user_blob);
  if (gn_wp_blob_read (conn->name, &p->current_raw, &len))
    p->has_current_blob = gn_wp_blob_parse (p->current_raw, len, &p->current_blob);
  server_a = place_own (p, to_ansi (our_server, &server_len));
  bypass_a = place_own (p, to_ansi (our_bypass, &bypass_len));
  pac_a = place_own (p, to_ansi (pac ? config->pac_url : L"", &pac_len));
  if (server_a == NULL || bypass_a == NULL || pac_a == NULL)
    return FALSE;

  for (unsigned i = 0; i < N_KEYS; i++)
    {
      k[i].name = names[i];
      k[i].kind = i == K_FLAGS ? KIND_FLAGS : KIND_STRING;
      k[i].n_views = lan ? 2 : 1;
    }
  /* What selects the mode: the flags, and in PAC mode our script's URL. */
  k[K_FLAGS].mode = TRUE;
  k[K_PAC].mode = pac;

  /* The blob, as gn_wp_blob_write_fields() left it: the user's blob (or an
   * empty one) with our flags and our strings over it. */
  k[K_FLAGS].user[VIEW_BLOB] = number_value (p->has_user_blob,
                                             dead ? p->user_blob.flags & ~(DWORD) PROXY_TYPE_PROXY
                                                  : p->user_blob.flags);
  k[K_SERVER].user[VIEW_BLOB] = bytes_value (p->has_user_blob, p->user_blob.server,
                                             p->user_blob.server_len);
  k[K_BYPASS].user[VIEW_BLOB] = bytes_value (p->has_user_blob, p->user_blob.bypass,
                                             p->user_blob.bypass_len);
  k[K_PAC].user[VIEW_BLOB] = bytes_value (p->has_user_blob, p->user_blob.pac_url,
                                          p->user_blob.pac_url_len);
  k[K_FLAGS].ours[VIEW_BLOB] = number_value (TRUE, ours_flags);
  for (unsigned i = K_SERVER; i <= K_PAC; i++)
    {
      k[i].ours[VIEW_BLOB] = k[i].user[VIEW_BLOB];
      k[i].ours[VIEW_BLOB].present = TRUE;   /* an empty blob at least */
    }
  if (pac)
    k[K_PAC].ours[VIEW_BLOB] = bytes_value (TRUE, pac_a, pac_len);
  else
    {
      k[K_SERVER].ours[VIEW_BLOB] = bytes_value (TRUE, server_a, server_len);
      k[K_BYPASS].ours[VIEW_BLOB] = bytes_value (TRUE, bypass_a, bypass_len);
    }
  if (ours_conn != NULL)
    {
      /* Written as given (gn_wp_set_connection()): every blob string, an
       * empty one for NULL. */
      const wchar_t *strings[] = { ours_conn->server, ours_conn->bypass, ours_conn->pac_url };

      k[K_FLAGS].ours[VIEW_BLOB] = number_value (TRUE, ours_conn->flags);
      k[K_PAC].mode = (ours_conn->flags & PROXY_TYPE_AUTO_PROXY_URL) != 0;
      for (unsigned i = K_SERVER; i <= K_PAC; i++)
        {
          char *a = place_own (p, to_ansi (strings[i - K_SERVER] ? strings[i - K_SERVER] : L"",
                                           &len));
          if (a == NULL)
            return FALSE;
          k[i].ours[VIEW_BLOB] = bytes_value (TRUE, a, len);
        }
    }
  k[K_FLAGS].current[VIEW_BLOB] = number_value (p->has_current_blob, p->current_blob.flags);
  k[K_SERVER].current[VIEW_BLOB] = bytes_value (p->has_current_blob, p->current_blob.server,
                                                p->current_blob.server_len);
  k[K_BYPASS].current[VIEW_BLOB] = bytes_value (p->has_current_blob, p->current_blob.bypass,
                                                p->current_blob.bypass_len);
  k[K_PAC].current[VIEW_BLOB] = bytes_value (p->has_current_blob, p->current_blob.pac_url,
                                             p->current_blob.pac_url_len);
  if (!lan)
    return TRUE;

  /* The LAN's registry values, as apply reconciled them. */
  k[K_FLAGS].user[VIEW_REGISTRY] = number_value (user_values->has_enable || dead,
                                                 !dead && user_values->enable != 0);
  k[K_SERVER].user[VIEW_REGISTRY] = text_value (user_values->server);
  k[K_BYPASS].user[VIEW_REGISTRY] = text_value (user_values->override);
  k[K_PAC].user[VIEW_REGISTRY] = text_value (user_values->autoconfig);
  k[K_FLAGS].ours[VIEW_REGISTRY] = number_value (TRUE, pac ? 0 : 1);
  k[K_SERVER].ours[VIEW_REGISTRY] = pac ? k[K_SERVER].user[VIEW_REGISTRY] : text_value (our_server);
  k[K_BYPASS].ours[VIEW_REGISTRY] = pac ? k[K_BYPASS].user[VIEW_REGISTRY] : text_value (our_bypass);
  k[K_PAC].ours[VIEW_REGISTRY] = text_value (pac ? config->pac_url : NULL);
  if (ours_values != NULL)
    {
      k[K_FLAGS].ours[VIEW_REGISTRY] = number_value (ours_values->has_enable,
                                                     ours_values->enable != 0);
      k[K_SERVER].ours[VIEW_REGISTRY] = text_value (ours_values->server);
      k[K_BYPASS].ours[VIEW_REGISTRY] = text_value (ours_values->override);
      k[K_PAC].ours[VIEW_REGISTRY] = text_value (ours_values->autoconfig);
    }
  k[K_FLAGS].current[VIEW_REGISTRY] = number_value (current_values->has_enable,
                                                    current_values->enable != 0);
  k[K_SERVER].current[VIEW_REGISTRY] = text_value (current_values->server);
  k[K_BYPASS].current[VIEW_REGISTRY] = text_value (current_values->override);
  k[K_PAC].current[VIEW_REGISTRY] = text_value (current_values->autoconfig);
  return TRUE;
}

/* Whether our mode is still set everywhere it is kept. */
static BOOL
place_mode_is_ours (const Place *p)
{
  for (unsigned i = 0; i < N_KEYS; i++)
    if (p->keys[i].mode && !key_equal (&p->keys[i], p->keys[i].current, p->keys[i].ours))
      return FALSE;
  return TRUE;
}

/* Adds "[connection: ]name" to @list unless it is there already. */
static void
add_kept (wchar_t *list, size_t list_len, const wchar_t *connection, const wchar_t *name)
{
  wchar_t item[128];
  size_t used = wcslen (list), n;

  _snwprintf (item, 127, L"%ls%ls%ls", connection ? connection : L"",
              connection ? L": " : L"", name);
  item[127] = L'\0';
  n = wcslen (item);
  for (const wchar_t *p = list; (p = wcsstr (p, item)) != NULL; p++)
    if ((p == list || p[-1] == L' ') && (p[n] == L'\0' || p[n] == L','))
      return;
  if (used + n + 3 >= list_len)
    return;
  if (used > 0)
    wcscat (list, L", ");
  wcscat (list, item);
}

/* The rule (_gn_os_proxy_plan_keys()) over one place. */
static void
place_plan (Place *p, BOOL *restored, BOOL *kept, wchar_t *kept_list, size_t kept_len)
{
  for (unsigned i = 0; i < N_KEYS; i++)
    {
      const Key *k = &p->keys[i];

      if (k->mode && !key_equal (k, k->current, k->ours) && !key_equal (k, k->current, k->user))
        p->taken_over = TRUE;
    }

  for (unsigned i = 0; i < N_KEYS; i++)
    {
      Key *k = &p->keys[i];

      if (!key_equal (k, k->current, k->ours))
        {
          k->action = ACTION_LEAVE;
          /* set back to the user's own value by someone: nothing was lost */
          if (!key_equal (k, k->current, k->user))
            {
              *kept = TRUE;
              add_kept (kept_list, kept_len, p->user_conn->name, k->name);
            }
        }
      else if (key_equal (k, k->ours, k->user))
        k->action = ACTION_RESTORE;   /* ours was the user's too: nothing lost */
      else if (p->taken_over)
        k->action = ACTION_CLEAR;
      else
        {
          k->action = ACTION_RESTORE;
          *restored = TRUE;
        }
    }
}

/* What every store of @k ends up holding. Kept: what the other program
 * set; a store it did not write gets that value too, so the two agree.
 * Cleared: the flags direct, ProxyEnable 0, a blob string empty, a registry
 * string absent. */
static BOOL
place_finish_key (Place *p, Key *k)
{
  BOOL changed[N_VIEWS] = { FALSE, FALSE };

  for (unsigned v = 0; v < k->n_views; v++)
    {
      switch (k->action)
        {
        case ACTION_RESTORE:
          k->final[v] = k->user[v];
          break;
        case ACTION_CLEAR:
          if (k->kind == KIND_FLAGS && v == VIEW_BLOB)
            {
              /* Our mode bits go; a PAC URL another program set keeps the
               * bit that makes Windows use it. */
              const Key *pac = &p->keys[K_PAC];
              DWORD flags = PROXY_TYPE_DIRECT;

              if (pac->action == ACTION_LEAVE && pac->final[VIEW_BLOB].present
                  && pac->final[VIEW_BLOB].len > 0)
                flags |= PROXY_TYPE_AUTO_PROXY_URL;
              k->final[v] = number_value (TRUE, flags);
            }
          else if (k->kind == KIND_FLAGS)
            k->final[v] = number_value (TRUE, 0);
          else
            k->final[v] = v == VIEW_BLOB ? bytes_value (TRUE, "", 0) : text_value (NULL);
          break;
        case ACTION_LEAVE:
        default:
          k->final[v] = k->current[v];
          changed[v] = !value_equal (k, v, &k->current[v], &k->ours[v]);
          break;
        }
    }
  if (k->action != ACTION_LEAVE || k->n_views < 2 || (changed[VIEW_BLOB] && changed[VIEW_REGISTRY]))
    return TRUE;

  if (changed[VIEW_REGISTRY])
    {
      /* Written to the registry only: the blob follows. */
      if (k->kind == KIND_FLAGS)
        {
          DWORD flags = k->current[VIEW_BLOB].number & ~(DWORD) PROXY_TYPE_PROXY;

          if (k->current[VIEW_REGISTRY].present && k->current[VIEW_REGISTRY].number != 0)
            flags |= PROXY_TYPE_PROXY;
          k->final[VIEW_BLOB] = number_value (TRUE, flags | PROXY_TYPE_DIRECT);
          return TRUE;
        }
      return blob_string_from_text (p, &k->current[VIEW_REGISTRY], &k->final[VIEW_BLOB]);
    }

  /* Written to the blob only (or the blob is gone): the registry follows. */
  if (k->kind == KIND_FLAGS)
    k->final[VIEW_REGISTRY] = number_value (TRUE, k->current[VIEW_BLOB].present
                                                  && (k->current[VIEW_BLOB].number & PROXY_TYPE_PROXY));
  else
    {
      wchar_t *text = place_own (p, to_wide (&k->current[VIEW_BLOB]));

      if (text == NULL && k->current[VIEW_BLOB].present && k->current[VIEW_BLOB].len > 0)
        return FALSE;
      k->final[VIEW_REGISTRY] = text_value (text);
    }
  return TRUE;
}

/* Whether some store does not hold its final value yet: a key still ours,
 * or one that another program wrote to one store only (the blob would
 * still send everything to us). */
static BOOL
place_needs_write (const Place *p)
{
  for (unsigned i = 0; i < N_KEYS; i++)
    for (unsigned v = 0; v < p->keys[i].n_views; v++)
      if (!value_equal (&p->keys[i], v, &p->keys[i].final[v], &p->keys[i].current[v]))
        return TRUE;
  return FALSE;
}

static wchar_t *
text_dup (const Value *v)
{
  wchar_t *out;

  if (!v->present)
    return NULL;
  out = calloc (v->len / sizeof (wchar_t) + 1, sizeof (wchar_t));
  if (out != NULL && v->len > 0)
    memcpy (out, v->data, v->len);
  return out;
}

/* Fills @conn (and @values for the LAN) with the final state of @p. */
static BOOL
place_target (Place *p, GnWpConnection *conn, GnWpRegistryValues *values)
{
  static const BYTE zero_tail[BLOB_DEFAULT_TAIL] = { 0 };
  const Value *flags = &p->keys[K_FLAGS].final[VIEW_BLOB];
  const Value *server = &p->keys[K_SERVER].final[VIEW_BLOB];
  const Value *bypass = &p->keys[K_BYPASS].final[VIEW_BLOB];
  const Value *pac = &p->keys[K_PAC].final[VIEW_BLOB];
  BOOL lan = p->user_conn->name == NULL;

  /* The flags last: clearing them looks at the PAC URL's outcome. */
  for (unsigned i = N_KEYS; i-- > 0; )
    if (!place_finish_key (p, &p->keys[i]))
      return FALSE;

  memset (conn, 0, sizeof *conn);
  if (!lan && (conn->name = gn_wp_wcsdup (p->user_conn->name)) == NULL)
    return FALSE;

  if (flags->present || server->present || bypass->present || pac->present)
    {
      const GnWpBlob *base = p->has_user_blob ? &p->user_blob
                             : p->has_current_blob ? &p->current_blob : NULL;
      GnWpBlob fields = { 0 };

      fields.version = base ? base->version : BLOB_VERSION;
      fields.counter = base ? base->counter : 0;
      fields.tail = base ? base->tail : zero_tail;
      fields.tail_len = base ? base->tail_len : BLOB_DEFAULT_TAIL;
      fields.flags = flags->present ? flags->number : PROXY_TYPE_DIRECT;
      fields.server = server->data;
      fields.server_len = server->len;
      fields.bypass = bypass->data;
      fields.bypass_len = bypass->len;
      fields.pac_url = pac->data;
      fields.pac_url_len = pac->len;
      if ((conn->blob = gn_wp_blob_build (&fields, &conn->blob_len)) == NULL)
        return FALSE;
      conn->flags = fields.flags;
      conn->server = to_wide (server);
      conn->bypass = to_wide (bypass);
      conn->pac_url = to_wide (pac);
    }
  else if (!lan)
    {
      /* No blob before and none now (apply could not set this one). */
      conn->flags = p->user_conn->flags;
      conn->server = gn_wp_wcsdup (p->user_conn->server);
      conn->bypass = gn_wp_wcsdup (p->user_conn->bypass);
      conn->pac_url = gn_wp_wcsdup (p->user_conn->pac_url);
    }

  if (!lan)
    return TRUE;

  values->has_enable = p->keys[K_FLAGS].final[VIEW_REGISTRY].present;
  values->enable = p->keys[K_FLAGS].final[VIEW_REGISTRY].number;
  values->server = text_dup (&p->keys[K_SERVER].final[VIEW_REGISTRY]);
  values->override = text_dup (&p->keys[K_BYPASS].final[VIEW_REGISTRY]);
  values->autoconfig = text_dup (&p->keys[K_PAC].final[VIEW_REGISTRY]);
  if (conn->blob == NULL)
    {
      /* The LAN without a blob: WinINet is told what the values say. */
      conn->flags = PROXY_TYPE_DIRECT | (values->enable ? PROXY_TYPE_PROXY : 0)
                    | (values->autoconfig ? PROXY_TYPE_AUTO_PROXY_URL : 0);
      conn->server = gn_wp_wcsdup (values->server);
      conn->bypass = gn_wp_wcsdup (values->override);
      conn->pac_url = gn_wp_wcsdup (values->autoconfig);
    }
  return TRUE;
}


static GnWpRestoreResult
restore_keys (const GnWpConfig *config, const GnWpSnapshot *snap,
              const GnWpSnapshot *written, wchar_t *kept_out, size_t kept_out_len,
              GnWpLogFunc log, void *log_data, GnWpError *error)
{
  wchar_t our_server[32], kept_list[GN_WP_MESSAGE_MAX / 2] = L"";
  const wchar_t *our_bypass = config->bypass ? config->bypass : GN_WP_DEFAULT_BYPASS;
  GnWpRegistryValues current_values = { 0 };
  GnWpSnapshot target;
  Place *places;
  BOOL restored = FALSE, kept = FALSE, taken_over = FALSE, dead = FALSE, ok = TRUE;
  BOOL needs_write = FALSE;
  int loopback_dead = -1;   /* not asked yet: it takes a connect() */
  GnWpRestoreResult result;

  if (snap->n_connections == 0)
    return GN_WP_NOTHING_TO_DO;
  places = calloc (snap->n_connections, sizeof (Place));
  if (places == NULL)
    {
      gn_wp_set_error (error, ERROR_OUTOFMEMORY, L"Out of memory while restoring the proxy "
                       L"settings.");
      return GN_WP_FAILED;
    }
  _snwprintf (our_server, 31, L"127.0.0.1:%u", config->port);
  our_server[31] = L'\0';
  gn_wp_registry_read (&current_values);
  memset (&target, 0, sizeof target);

  for (unsigned i = 0; ok && i < snap->n_connections; i++)
    {
      Place *p = &places[i];

      const GnWpConnection *ours_conn = written ? &written->connections[i] : NULL;
      const GnWpRegistryValues *ours_values = written ? &written->values : NULL;

      ok = place_init (p, config, &snap->connections[i], &snap->values, &current_values,
                       our_server, our_bypass, FALSE, ours_conn, ours_values);
      /* The dead-loopback rule, where our mode is still set (else another
       * program's mode stays anyway). */
      if (ok && place_mode_is_ours (p) && loopback_dead < 0)
        loopback_dead = gn_wp_snapshot_loopback_dead (snap, config->port);
      if (ok && place_mode_is_ours (p) && loopback_dead > 0)
        {
          place_clear (p);
          ok = place_init (p, config, &snap->connections[i], &snap->values, &current_values,
                           our_server, our_bypass, TRUE, ours_conn, ours_values);
          dead = TRUE;
        }
      if (!ok)
        break;
      place_plan (p, &restored, &kept, kept_list, sizeof kept_list / sizeof kept_list[0]);
      taken_over |= p->taken_over;
      target.n_connections = i + 1;
      ok = place_target (p, &target.connections[i], &target.values);
      needs_write |= ok && place_needs_write (p);
    }

  /* Without the LAN in @snap its registry values stay as they are. */
  if (ok && snap->connections[0].name != NULL)
    {
      gn_wp_registry_values_clear (&target.values);
      gn_wp_registry_read (&target.values);
    }
  if (!ok)
    {
      gn_wp_set_error (error, ERROR_OUTOFMEMORY, L"Out of memory while restoring the proxy "
                       L"settings.");
      result = GN_WP_FAILED;
    }
  /* Nothing to write when nothing of ours is left anywhere. */
  else if (needs_write && !gn_wp_restore (&target, FALSE, log, log_data, error))
    result = GN_WP_FAILED;
  else if (taken_over)
    result = GN_WP_TAKEN_OVER;
  else if (restored)
    result = kept ? GN_WP_RESTORED_KEPT_OTHERS
                  : dead ? GN_WP_RESTORED_NO_PROXY : GN_WP_RESTORED;
  else
    result = GN_WP_LEFT_ALONE;   /* another program's values only (now in every store) */

  if (result != GN_WP_FAILED && kept)
    gn_wp_log (log, log_data, L"Another program changed %ls while GuardNest was on; "
                 L"GuardNest kept what that program set.", kept_list);
  if (kept_out != NULL && kept_out_len > 0)
    {
      _snwprintf (kept_out, kept_out_len - 1, L"%ls", kept ? kept_list : L"");
      kept_out[kept_out_len - 1] = L'\0';
    }

  for (unsigned i = 0; i < snap->n_connections; i++)
    place_clear (&places[i]);
  free (places);
  gn_wp_snapshot_clear (&target);
  gn_wp_registry_values_clear (&current_values);
  return result;
}

GnWpRestoreResult
gn_wp_restore_keys (const GnWpConfig *config, const GnWpSnapshot *snap,
                    GnWpLogFunc log, void *log_data, GnWpError *error)
{
  return restore_keys (config, snap, NULL, NULL, 0, log, log_data, error);
}

GnWpRestoreResult
gn_wp_restore_keys_written (const GnWpConfig *config, const GnWpSnapshot *snap,
                            const GnWpSnapshot *written, wchar_t *kept, size_t kept_len,
                            GnWpLogFunc log, void *log_data, GnWpError *error)
{
  if (written == NULL || written->n_connections != snap->n_connections)
    {
      gn_wp_set_error (error, ERROR_INVALID_PARAMETER, L"What GuardNest wrote and what it "
                       L"saved do not name the same connections.");
      return GN_WP_FAILED;
    }
  for (unsigned i = 0; i < snap->n_connections; i++)
    if ((snap->connections[i].name == NULL) != (written->connections[i].name == NULL)
        || (snap->connections[i].name != NULL
            && wcscmp (snap->connections[i].name, written->connections[i].name) != 0))
      {
        gn_wp_set_error (error, ERROR_INVALID_PARAMETER, L"What GuardNest wrote and what "
                         L"it saved do not name the same connections.");
        return GN_WP_FAILED;
      }
  return restore_keys (config, snap, written, kept, kept_len, log, log_data, error);
}
