/* fuzz-settings.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * libFuzzer target for settings.ini as GnSettingsStore reads it. Anything
 * running as the user can write that file, and what it says decides where
 * the proxy listens and where it sends traffic, so a crafted file must
 * never crash the store nor get a dangerous value through. The input is the
 * whole file, written to a real path (in /dev/shm when there is one) and
 * read with gn_settings_store_load(), the very path the app takes,
 * including the `.bad` copy. Besides the sanitizers it checks:
 *   - the load returns FALSE exactly when it sets a GN_ERROR, whose message
 *     is valid UTF-8 on one line (no control characters), and never says
 *     more than it should (it is shown in a dialog and a log);
 *   - the config it gives is one the engine accepts
 *     (gn_engine_config_validate()), never allows non-loopback and listens
 *     on a loopback address;
 *   - an upstream-host is a bare host (no blanks, control characters, "@",
 *     "/", scheme or port) and comes with a port;
 *   - what it saves loads again without a complaint, to the same config.
 *
 * Single-threaded; the only state kept between inputs is the directory,
 * removed at exit.
 */

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <gio/gio.h>
#include <glib/gstdio.h>

#include "gn-error.h"
#include "gn-settings-store.h"

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

#define CHECK(cond) \
  G_STMT_START { if (!(cond)) { fprintf (stderr, "fuzz check failed: %s (%s:%d)\n", \
                                         #cond, __FILE__, __LINE__); abort (); } } G_STMT_END

/* Inputs this big or bigger are not saved back (the saved file could pass
 * the store's 64 KiB limit and fail to load for that reason alone). */
#define ROUND_TRIP_MAX (32 * 1024)

/* For the life of the process; removed at exit. */
static char *dir_path;       /* (owned) */
static char *settings_path;  /* (owned) */
static char *bad_path;       /* (owned) */

static void
tear_down (void)
{
  g_unlink (bad_path);
  g_unlink (settings_path);
  g_rmdir (dir_path);
  g_clear_pointer (&bad_path, g_free);
  g_clear_pointer (&settings_path, g_free);
  g_clear_pointer (&dir_path, g_free);
}

static void
set_up (void)
{
  const char *base = g_file_test ("/dev/shm", G_FILE_TEST_IS_DIR) ? "/dev/shm" : g_get_tmp_dir ();

  dir_path = g_build_filename (base, "gn-fuzz-settings-XXXXXX", NULL);
  CHECK (g_mkdtemp (dir_path) != NULL);
  settings_path = g_build_filename (dir_path, "settings.ini", NULL);
  bad_path = g_strconcat (settings_path, ".bad", NULL);
  atexit (tear_down);
}

static void
check_message (const GError *error)
{
  CHECK (error->domain == GN_ERROR);
  CHECK (error->code == GN_ERROR_INVALID_DATA || error->code == GN_ERROR_INVALID_CONFIG ||
         error->code == GN_ERROR_IO);
  CHECK (g_utf8_validate (error->message, -1, NULL));
  for (const char *p = error->message; *p != '\0'; p = g_utf8_next_char (p))
    CHECK (!g_unichar_iscntrl (g_utf8_get_char (p)));
  CHECK (strstr (error->message, settings_path) != NULL);
}

static void
check_config (const GnEngineConfig *config)
{
  g_autoptr(GInetAddress) address = NULL;
  g_autoptr(GError) error = NULL;

  CHECK (gn_engine_config_validate (config, &error));
  CHECK (!config->allow_non_loopback);
  address = g_inet_address_new_from_string (config->bind_address);
  CHECK (address != NULL && g_inet_address_get_is_loopback (address));

  if (config->upstream_host != NULL)
    {
      const char *host = config->upstream_host;

      CHECK (host[0] != '\0');
      CHECK (config->upstream_port != 0);
      for (const char *p = host; *p != '\0'; p++)
        CHECK ((guchar) *p > ' ' && *p != 0x7f && *p != '@' && *p != '/' && *p != '\\' &&
               *p != '?' && *p != '#' && *p != '%' && *p != '[' && *p != ']');
      /* a ':' only in an IPv6 literal, never "host:port" */
      if (strchr (host, ':') != NULL)
        {
          g_autoptr(GInetAddress) v6 = g_inet_address_new_from_string (host);

          CHECK (v6 != NULL && g_inet_address_get_family (v6) == G_SOCKET_FAMILY_IPV6);
        }
    }
}

static void
check_same (const GnEngineConfig *a,
            const GnEngineConfig *b)
{
  CHECK (g_strcmp0 (a->bind_address, b->bind_address) == 0);
  CHECK (a->port == b->port);
  CHECK (a->allow_non_loopback == b->allow_non_loopback);
  CHECK (a->connect_timeout_ms == b->connect_timeout_ms);
  CHECK (a->idle_timeout_s == b->idle_timeout_s);
  CHECK (a->header_timeout_ms == b->header_timeout_ms);
  CHECK (a->drain_timeout_ms == b->drain_timeout_ms);
  CHECK (a->max_connections == b->max_connections);
  CHECK (a->max_head_bytes == b->max_head_bytes);
  CHECK (a->max_headers == b->max_headers);
  CHECK (a->linger_ms == b->linger_ms);
  CHECK (a->n_workers == b->n_workers);
  CHECK (g_strcmp0 (a->upstream_host, b->upstream_host) == 0);
  CHECK (a->upstream_port == b->upstream_port);
}

int
LLVMFuzzerTestOneInput (const uint8_t *data,
                        size_t         size)
{
  g_autoptr(GnSettingsStore) store = NULL;
  g_autoptr(GnSettingsStore) again = NULL;
  g_autoptr(GnEngineConfig) config = NULL;
  g_autoptr(GnEngineConfig) reloaded = NULL;
  g_autoptr(GError) error = NULL;
  gboolean ok;

  if (settings_path == NULL)
    set_up ();

  g_unlink (bad_path);
  CHECK (g_file_set_contents (settings_path, (const char *) data, (gssize) size, NULL));

  store = gn_settings_store_new (settings_path);
  ok = gn_settings_store_load (store, &error);
  CHECK (ok == (error == NULL));
  if (error != NULL)
    {
      check_message (error);
      /* a file that could not be used is kept, byte for byte */
      if (error->code != GN_ERROR_IO)
        {
          g_autofree char *copy = NULL;
          gsize copy_len = 0;

          CHECK (g_file_get_contents (bad_path, &copy, &copy_len, NULL));
          CHECK (copy_len == size && memcmp (copy, data, size) == 0);
        }
    }
  config = gn_settings_store_dup_config (store);
  check_config (config);

  if (size >= ROUND_TRIP_MAX)
    return 0;

  /* What we save, we read back as it was, without a complaint. */
  g_clear_error (&error);
  CHECK (gn_settings_store_save (store, &error));
  again = gn_settings_store_new (settings_path);
  if (!gn_settings_store_load (again, &error))
    {
      fprintf (stderr, "saved settings did not load: %s\n", error->message);
      abort ();
    }
  reloaded = gn_settings_store_dup_config (again);
  check_same (config, reloaded);
  CHECK (gn_settings_store_get_protection (again) == gn_settings_store_get_protection (store));
  return 0;
}
