/* test-settings-store.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Tests of the persisted engine settings on real files in a temporary
 * directory: round trip, atomic replacement under a concurrent reader,
 * damaged files and bad values (clear error, defaults, file kept); the
 * file never opens the proxy to other computers, and upstream-host is a
 * bare host name or IP literal.
 */

#include <sys/stat.h>

#include <glib/gstdio.h>
#include <gio/gio.h>

#include "gn-error.h"
#include "gn-settings-store.h"

typedef struct
{
  char *dir;    /* (owned) */
  char *path;   /* (owned) dir/sub/settings.ini */
} Fixture;

static void
fixture_setup (Fixture       *fixture,
               gconstpointer  data)
{
  g_autoptr(GError) error = NULL;

  fixture->dir = g_dir_make_tmp ("gn-settings-XXXXXX", &error);
  g_assert_no_error (error);
  fixture->path = g_build_filename (fixture->dir, "guardnest", "settings.ini", NULL);
}

static void
remove_tree (const char *path)
{
  GDir *dir = g_dir_open (path, 0, NULL);
  const char *name;

  if (dir == NULL)
    {
      g_unlink (path);
      return;
    }
  while ((name = g_dir_read_name (dir)) != NULL)
    {
      g_autofree char *child = g_build_filename (path, name, NULL);
      remove_tree (child);
    }
  g_dir_close (dir);
  g_rmdir (path);
}

static void
fixture_teardown (Fixture       *fixture,
                  gconstpointer  data)
{
  remove_tree (fixture->dir);
  g_free (fixture->dir);
  g_free (fixture->path);
}

static void
write_file (const char *path,
            const char *contents,
            gssize      length)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *dir = g_path_get_dirname (path);

  g_assert_cmpint (g_mkdir_with_parents (dir, 0700), ==, 0);
  g_file_set_contents (path, contents, length, &error);
  g_assert_no_error (error);
}

static char *
read_file (const char *path,
           gsize      *length)
{
  g_autoptr(GError) error = NULL;
  char *contents = NULL;

  g_file_get_contents (path, &contents, length, &error);
  g_assert_no_error (error);
  return contents;
}

static void
assert_defaults (GnEngineConfig *config)
{
  g_autoptr(GnEngineConfig) defaults = gn_engine_config_new ();

  g_assert_cmpstr (config->bind_address, ==, defaults->bind_address);
  g_assert_cmpuint (config->port, ==, defaults->port);
  g_assert_cmpint (config->allow_non_loopback, ==, defaults->allow_non_loopback);
  g_assert_cmpuint (config->connect_timeout_ms, ==, defaults->connect_timeout_ms);
  g_assert_cmpuint (config->idle_timeout_s, ==, defaults->idle_timeout_s);
  g_assert_cmpuint (config->header_timeout_ms, ==, defaults->header_timeout_ms);
  g_assert_cmpuint (config->drain_timeout_ms, ==, defaults->drain_timeout_ms);
  g_assert_cmpuint (config->max_connections, ==, defaults->max_connections);
  g_assert_cmpuint (config->max_head_bytes, ==, defaults->max_head_bytes);
  g_assert_cmpuint (config->max_headers, ==, defaults->max_headers);
  g_assert_cmpuint (config->linger_ms, ==, defaults->linger_ms);
  g_assert_cmpuint (config->n_workers, ==, defaults->n_workers);
  g_assert_null (config->upstream_host);
  g_assert_cmpuint (config->upstream_port, ==, 0);
}

static void
test_missing_file (Fixture       *fixture,
                   gconstpointer  data)
{
  g_autoptr(GnSettingsStore) store = gn_settings_store_new (fixture->path);
  g_autoptr(GnEngineConfig) config = NULL;
  g_autoptr(GError) error = NULL;

  g_assert_true (gn_settings_store_load (store, &error));
  g_assert_no_error (error);
  config = gn_settings_store_dup_config (store);
  assert_defaults (config);
  g_assert_false (gn_settings_store_get_protection (store));
  /* Loading creates nothing. */
  g_assert_false (g_file_test (fixture->path, G_FILE_TEST_EXISTS));
}

static void
test_default_path (void)
{
  g_autoptr(GnSettingsStore) store = gn_settings_store_new (NULL);
  g_autofree char *expected = g_build_filename (g_get_user_config_dir (), "guardnest",
                                                "settings.ini", NULL);

  g_assert_cmpstr (gn_settings_store_get_path (store), ==, expected);
}

static GnEngineConfig *
make_custom_config (guint variant)
{
  GnEngineConfig *config = gn_engine_config_new ();

  g_free (config->bind_address);
  config->bind_address = g_strdup ("::1");
  config->port = (guint16) (8123 + variant);
  config->connect_timeout_ms = 2500 + variant;
  config->idle_timeout_s = 42;
  config->header_timeout_ms = 3000;
  config->drain_timeout_ms = 750;
  config->max_connections = 99;
  config->max_head_bytes = 4096;
  config->max_headers = 20;
  config->linger_ms = 1234;
  config->n_workers = 3;
  config->metrics = TRUE;
  config->upstream_host = g_strdup ("proxy.corp.example");
  config->upstream_port = 8080;
  return config;
}

static void
test_round_trip (Fixture       *fixture,
                 gconstpointer  data)
{
  g_autoptr(GnSettingsStore) store = gn_settings_store_new (fixture->path);
  g_autoptr(GnSettingsStore) again = gn_settings_store_new (fixture->path);
  g_autoptr(GnEngineConfig) config = make_custom_config (0);
  g_autoptr(GnEngineConfig) loaded = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *contents = NULL;
  g_autoptr(GKeyFile) key_file = g_key_file_new ();
  g_autofree char *theme = NULL;
  GStatBuf st;

  /* Someone else's group in the same file survives our saves. */
  write_file (fixture->path, "# my notes\n[engine]\nport=4000\n\n[ui]\ntheme=dark\n", -1);
  g_assert_true (gn_settings_store_load (store, &error));
  g_assert_no_error (error);
  loaded = gn_settings_store_dup_config (store);
  g_assert_cmpuint (loaded->port, ==, 4000);
  g_clear_pointer (&loaded, gn_engine_config_unref);

  gn_settings_store_set_config (store, config);
  gn_settings_store_set_protection (store, TRUE);
  g_assert_true (gn_settings_store_save (store, &error));
  g_assert_no_error (error);

  g_assert_cmpint (g_stat (fixture->path, &st), ==, 0);
#ifndef G_OS_WIN32
  /* Windows has no mode bits: the file is private through the ACL of the
   * user's profile folder (%LOCALAPPDATA%). */
  g_assert_cmpint (st.st_mode & 0777, ==, 0600);
#endif

  g_assert_true (gn_settings_store_load (again, &error));
  g_assert_no_error (error);
  g_assert_true (gn_settings_store_get_protection (again));
  loaded = gn_settings_store_dup_config (again);
  g_assert_cmpstr (loaded->bind_address, ==, "::1");
  g_assert_cmpuint (loaded->port, ==, 8123);
  g_assert_cmpuint (loaded->connect_timeout_ms, ==, 2500);
  g_assert_cmpuint (loaded->idle_timeout_s, ==, 42);
  g_assert_cmpuint (loaded->header_timeout_ms, ==, 3000);
  g_assert_cmpuint (loaded->drain_timeout_ms, ==, 750);
  g_assert_cmpuint (loaded->max_connections, ==, 99);
  g_assert_cmpuint (loaded->max_head_bytes, ==, 4096);
  g_assert_cmpuint (loaded->max_headers, ==, 20);
  g_assert_cmpuint (loaded->linger_ms, ==, 1234);
  g_assert_cmpuint (loaded->n_workers, ==, 3);
  g_assert_cmpstr (loaded->upstream_host, ==, "proxy.corp.example");
  g_assert_cmpuint (loaded->upstream_port, ==, 8080);
  g_assert_true (loaded->metrics);

  contents = read_file (fixture->path, NULL);
  g_assert_nonnull (strstr (contents, "\nmetrics=true\n"));
  g_assert_true (g_key_file_load_from_data (key_file, contents, -1, G_KEY_FILE_NONE, &error));
  g_assert_no_error (error);
  theme = g_key_file_get_value (key_file, "ui", "theme", NULL);
  g_assert_cmpstr (theme, ==, "dark");
  g_assert_nonnull (strstr (contents, "# my notes"));

  /* Protection off is remembered too. */
  gn_settings_store_set_protection (again, FALSE);
  g_assert_true (gn_settings_store_save (again, &error));
  g_assert_true (gn_settings_store_load (store, &error));
  g_assert_false (gn_settings_store_get_protection (store));
}

/* A reader that keeps reading the file while the test saves it: every read
 * must be one of the two complete versions, never a partial file. */
typedef struct
{
  const char *path;
  char       *versions[2];
  gint        stop;
  guint       reads;
  guint       bad_reads;
  guint       refused;    /* Windows: open refused during a replace */
} Reader;

static gpointer
reader_thread (gpointer data)
{
  Reader *reader = data;

  while (!g_atomic_int_get (&reader->stop))
    {
      g_autofree char *contents = NULL;
      g_autoptr(GError) error = NULL;

      if (!g_file_get_contents (reader->path, &contents, NULL, &error))
        {
#ifdef G_OS_WIN32
          /* Windows refuses to open a file while a rename replaces it
           * (EACCES for that instant), and under Wine, whose replacing
           * rename is not atomic for readers, the name is missing for an
           * instant (NOENT): a real Windows run must show which. What is
           * checked everywhere: a read never sees a partial file. */
          if (g_error_matches (error, G_FILE_ERROR, G_FILE_ERROR_ACCES) ||
              g_error_matches (error, G_FILE_ERROR, G_FILE_ERROR_NOENT))
            {
              reader->refused++;
              continue;
            }
#endif
          reader->bad_reads++;   /* the file must exist at every instant */
          continue;
        }
      if (g_strcmp0 (contents, reader->versions[0]) != 0 &&
          g_strcmp0 (contents, reader->versions[1]) != 0)
        reader->bad_reads++;
      reader->reads++;
    }
  return NULL;
}

static void
test_atomic_write (Fixture       *fixture,
                   gconstpointer  data)
{
  g_autoptr(GnSettingsStore) store = gn_settings_store_new (fixture->path);
  g_autoptr(GError) error = NULL;
  g_autofree char *dir = g_path_get_dirname (fixture->path);
  Reader reader = { fixture->path };
  GThread *thread;
  GDir *listing;
  const char *name;
  guint n_files = 0;

  /* A big group of someone else's (kept by every save) makes each write
   * long enough that a reader would catch a file written in place. */
  {
    g_autoptr(GString) big = g_string_new ("[notes]\n");

    for (guint i = 0; big->len < 48 * 1024; i++)
      g_string_append_printf (big, "note%u=some text the user keeps in this file\n", i);
    write_file (fixture->path, big->str, (gssize) big->len);
    g_assert_true (gn_settings_store_load (store, &error));
    g_assert_no_error (error);
  }

  /* Record the two versions the store writes. */
  for (guint v = 0; v < 2; v++)
    {
      g_autoptr(GnEngineConfig) config = make_custom_config (v);

      gn_settings_store_set_config (store, config);
      gn_settings_store_set_protection (store, v == 1);
      g_assert_true (gn_settings_store_save (store, &error));
      g_assert_no_error (error);
      reader.versions[v] = read_file (fixture->path, NULL);
    }
  g_assert_cmpstr (reader.versions[0], !=, reader.versions[1]);

  thread = g_thread_new ("reader", reader_thread, &reader);
  for (guint i = 0; i < 200; i++)
    {
      g_autoptr(GnEngineConfig) config = make_custom_config (i % 2);

      gn_settings_store_set_config (store, config);
      gn_settings_store_set_protection (store, i % 2 == 1);
      g_assert_true (gn_settings_store_save (store, &error));
      g_assert_no_error (error);
    }
  g_atomic_int_set (&reader.stop, TRUE);
  g_thread_join (thread);

  g_test_message ("%u reads during 200 saves, %u partial or missing, %u refused or missing (Windows)",
                  reader.reads, reader.bad_reads, reader.refused);
  g_assert_cmpuint (reader.reads, >, 0);
  g_assert_cmpuint (reader.bad_reads, ==, 0);

  /* No temporary file is left behind. */
  listing = g_dir_open (dir, 0, NULL);
  g_assert_nonnull (listing);
  while ((name = g_dir_read_name (listing)) != NULL)
    {
      g_assert_cmpstr (name, ==, "settings.ini");
      n_files++;
    }
  g_dir_close (listing);
  g_assert_cmpuint (n_files, ==, 1);

  g_free (reader.versions[0]);
  g_free (reader.versions[1]);
}

static void
test_save_error (Fixture       *fixture,
                 gconstpointer  data)
{
  g_autofree char *blocker = g_build_filename (fixture->dir, "not-a-dir", NULL);
  g_autofree char *path = g_build_filename (blocker, "settings.ini", NULL);
  g_autoptr(GnSettingsStore) store = gn_settings_store_new (path);
  g_autoptr(GError) error = NULL;

  write_file (blocker, "x", -1);
  g_assert_false (gn_settings_store_save (store, &error));
  g_assert_error (error, GN_ERROR, GN_ERROR_IO);
  g_assert_nonnull (strstr (error->message, blocker));
}

static void
assert_bad_copy (const char *path,
                 const char *expected,
                 gsize       expected_length)
{
  g_autofree char *bad_path = g_strconcat (path, ".bad", NULL);
  g_autofree char *original = NULL;
  g_autofree char *copy = NULL;
  gsize length;

  original = read_file (path, &length);
  g_assert_cmpmem (original, length, expected, expected_length);
  copy = read_file (bad_path, &length);
  g_assert_cmpmem (copy, length, expected, expected_length);
}

static void
test_damaged_file (Fixture       *fixture,
                   gconstpointer  data)
{
  static const char garbage[] = "[engine\nport=\x01\xff\xfe 3000\n\0\0binary";
  g_autoptr(GnSettingsStore) store = gn_settings_store_new (fixture->path);
  g_autoptr(GnEngineConfig) config = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *bad_path = g_strconcat (fixture->path, ".bad", NULL);

  write_file (fixture->path, garbage, sizeof garbage);
  g_assert_false (gn_settings_store_load (store, &error));
  g_assert_error (error, GN_ERROR, GN_ERROR_INVALID_DATA);
  g_test_message ("%s", error->message);
  g_assert_nonnull (strstr (error->message, fixture->path));
  g_assert_nonnull (strstr (error->message, bad_path));
  config = gn_settings_store_dup_config (store);
  assert_defaults (config);
  g_assert_false (gn_settings_store_get_protection (store));
  assert_bad_copy (fixture->path, garbage, sizeof garbage);
  g_clear_error (&error);

  /* Saving now replaces the damaged file; the copy stays. */
  gn_settings_store_set_protection (store, TRUE);
  g_assert_true (gn_settings_store_save (store, &error));
  g_assert_no_error (error);
  g_assert_true (gn_settings_store_load (store, &error));
  g_assert_true (gn_settings_store_get_protection (store));
  g_assert_true (g_file_test (bad_path, G_FILE_TEST_IS_REGULAR));
}

static void
test_huge_file (Fixture       *fixture,
                gconstpointer  data)
{
  g_autoptr(GnSettingsStore) store = gn_settings_store_new (fixture->path);
  g_autoptr(GError) error = NULL;
  g_autoptr(GString) big = g_string_new ("[engine]\n");

  while (big->len < 200 * 1024)
    g_string_append (big, "# padding padding padding padding padding padding\n");
  write_file (fixture->path, big->str, (gssize) big->len);
  g_assert_false (gn_settings_store_load (store, &error));
  g_assert_error (error, GN_ERROR, GN_ERROR_INVALID_DATA);
  assert_bad_copy (fixture->path, big->str, big->len);
}

static void
test_bad_values (Fixture       *fixture,
                 gconstpointer  data)
{
  static const char contents[] =
    "[engine]\n"
    "port=70000\n"
    "max-connections=lots\n"
    "connect-timeout-ms=5000\n"
    "max-head-bytes=-1\n"
    "upstream-host=corp.example\n"
    "\n"
    "[state]\n"
    "protection=maybe\n";
  g_autoptr(GnSettingsStore) store = gn_settings_store_new (fixture->path);
  g_autoptr(GnEngineConfig) config = NULL;
  g_autoptr(GError) error = NULL;

  write_file (fixture->path, contents, -1);
  g_assert_false (gn_settings_store_load (store, &error));
  g_assert_error (error, GN_ERROR, GN_ERROR_INVALID_CONFIG);
  g_test_message ("%s", error->message);
  g_assert_nonnull (strstr (error->message, "port: “70000”"));
  g_assert_nonnull (strstr (error->message, "max-connections: “lots”"));
  g_assert_nonnull (strstr (error->message, "max-head-bytes"));
  g_assert_nonnull (strstr (error->message, "protection: “maybe”"));
  g_assert_nonnull (strstr (error->message, "upstream-port"));
  g_assert_null (strstr (error->message, "connect-timeout-ms"));

  config = gn_settings_store_dup_config (store);
  g_assert_cmpuint (config->port, ==, 3000);
  g_assert_cmpuint (config->max_connections, ==, 4096);
  g_assert_cmpuint (config->max_head_bytes, ==, 32 * 1024);
  g_assert_null (config->upstream_host);
  g_assert_cmpuint (config->connect_timeout_ms, ==, 5000);   /* the good one is kept */
  g_assert_false (gn_settings_store_get_protection (store));
  assert_bad_copy (fixture->path, contents, strlen (contents));
}

static void
test_non_loopback (Fixture       *fixture,
                   gconstpointer  data)
{
  static const char allowed[] =
    "[engine]\nbind-address=0.0.0.0\nallow-non-loopback=true\nport=3101\n";
  g_autoptr(GnSettingsStore) store = gn_settings_store_new (fixture->path);
  g_autoptr(GnEngineConfig) config = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *saved = NULL;

  write_file (fixture->path, "[engine]\nbind-address=0.0.0.0\nport=3100\n", -1);
  g_assert_false (gn_settings_store_load (store, &error));
  g_assert_error (error, GN_ERROR, GN_ERROR_INVALID_CONFIG);
  g_test_message ("%s", error->message);
  g_assert_nonnull (strstr (error->message, "bind-address: 0.0.0.0"));
  g_assert_nonnull (strstr (error->message, "--allow-remote"));
  config = gn_settings_store_dup_config (store);
  g_assert_cmpstr (config->bind_address, ==, "127.0.0.1");
  g_assert_false (config->allow_non_loopback);
  g_assert_cmpuint (config->port, ==, 3100);
  g_clear_pointer (&config, gn_engine_config_unref);
  g_clear_error (&error);

  /* "Allowed" in the file is not allowed: the key is ignored with a
   * message naming it, the address is reset, the rest applies and the
   * file is kept as .bad. */
  write_file (fixture->path, allowed, -1);
  g_assert_false (gn_settings_store_load (store, &error));
  g_assert_error (error, GN_ERROR, GN_ERROR_INVALID_CONFIG);
  g_test_message ("%s", error->message);
  g_assert_nonnull (strstr (error->message, "allow-non-loopback: ignored"));
  g_assert_nonnull (strstr (error->message, "bind-address: 0.0.0.0"));
  config = gn_settings_store_dup_config (store);
  g_assert_cmpstr (config->bind_address, ==, "127.0.0.1");
  g_assert_false (config->allow_non_loopback);
  g_assert_cmpuint (config->port, ==, 3101);
  assert_bad_copy (fixture->path, allowed, strlen (allowed));
  g_clear_error (&error);

  /* A config that allows it is never saved as allowing it. */
  config->allow_non_loopback = TRUE;
  gn_settings_store_set_config (store, config);
  g_assert_true (gn_settings_store_save (store, &error));
  g_assert_no_error (error);
  saved = read_file (fixture->path, NULL);
  g_assert_null (strstr (saved, "allow-non-loopback"));
}

/* Every earlier version saved allow-non-loopback=false: such a file loads
 * without a complaint, and the next save drops the key. */
static void
test_old_allow_key (Fixture       *fixture,
                    gconstpointer  data)
{
  g_autoptr(GnSettingsStore) store = gn_settings_store_new (fixture->path);
  g_autoptr(GError) error = NULL;
  g_autofree char *bad_path = g_strconcat (fixture->path, ".bad", NULL);
  g_autofree char *saved = NULL;

  write_file (fixture->path, "[engine]\nbind-address=127.0.0.1\nallow-non-loopback=false\n"
                             "port=3102\n", -1);
  g_assert_true (gn_settings_store_load (store, &error));
  g_assert_no_error (error);
  g_assert_false (g_file_test (bad_path, G_FILE_TEST_EXISTS));
  g_assert_true (gn_settings_store_save (store, &error));
  g_assert_no_error (error);
  saved = read_file (fixture->path, NULL);
  g_assert_null (strstr (saved, "allow-non-loopback"));
  g_assert_nonnull (strstr (saved, "port=3102"));
  g_clear_pointer (&saved, g_free);

  /* Given twice (found by fuzz-settings): every copy goes, so the saved
   * file loads without a complaint; the other keys, comments and groups
   * stay. */
  write_file (fixture->path, "# top\n[engine]\nallow-non-loopback=true\nport=3103\n"
                             "# about workers\nworkers=2\n[ui]\ntheme=dark\n"
                             "[engine]\nallow-non-loopback=yes\nport=3104\n", -1);
  g_assert_false (gn_settings_store_load (store, &error));
  g_assert_error (error, GN_ERROR, GN_ERROR_INVALID_CONFIG);
  g_clear_error (&error);
  g_assert_true (gn_settings_store_save (store, &error));
  g_assert_no_error (error);
  saved = read_file (fixture->path, NULL);
  g_test_message ("saved:\n%s", saved);
  g_assert_null (strstr (saved, "allow-non-loopback"));
  g_assert_nonnull (strstr (saved, "# top"));
  g_assert_nonnull (strstr (saved, "# about workers\nworkers=2"));
  g_assert_nonnull (strstr (saved, "theme=dark"));
  g_assert_true (gn_settings_store_load (store, &error));
  g_assert_no_error (error);
  {
    g_autoptr(GnEngineConfig) config = gn_settings_store_dup_config (store);

    g_assert_cmpuint (config->port, ==, 3104);
    g_assert_cmpuint (config->n_workers, ==, 2);
  }
}

static void
test_upstream_host (Fixture       *fixture,
                    gconstpointer  data)
{
  /* As written in the file (GKeyFile escapes: \r \n \s). */
  static const char *const bad[] = {
    "corp.example\\r\\nX-Injected: 1",
    "corp.example\\n",
    "corp.example\\r",
    "\\ncorp.example",
    "corp example",
    "user:secret@corp.example",
    "user@corp.example",
    "http://corp.example",
    "corp.example/path",
    "corp.example:8080",
    "[2001:db8::1]:8080",
    "fe80::1%eth0",
    "corp.example?x",
    "corp..example",
    "-",
  };
  static const struct { const char *in; const char *out; } good[] = {
    { "proxy.corp.example", "proxy.corp.example" },
    { "proxy", "proxy" },
    { "10.0.0.1", "10.0.0.1" },
    { "2001:db8::1", "2001:db8::1" },
    { "[2001:db8::1]", "2001:db8::1" },
    { "  proxy.corp.example  ", "proxy.corp.example" },
    { "bücher.example", "bücher.example" },
  };
  g_autoptr(GnSettingsStore) store = gn_settings_store_new (fixture->path);

  for (guint i = 0; i < G_N_ELEMENTS (bad); i++)
    {
      g_autofree char *contents = g_strdup_printf ("[engine]\nport=3200\nupstream-host=%s\n"
                                                   "upstream-port=8080\n", bad[i]);
      g_autoptr(GnEngineConfig) config = NULL;
      g_autoptr(GError) error = NULL;

      write_file (fixture->path, contents, -1);
      g_assert_false (gn_settings_store_load (store, &error));
      g_assert_error (error, GN_ERROR, GN_ERROR_INVALID_CONFIG);
      g_test_message ("%s → %s", bad[i], error->message);
      g_assert_nonnull (strstr (error->message, "upstream-host:"));
      /* The message stays one line, whatever the value held. */
      g_assert_null (strchr (error->message, '\n'));
      g_assert_null (strchr (error->message, '\r'));
      config = gn_settings_store_dup_config (store);
      g_assert_null (config->upstream_host);
      g_assert_cmpuint (config->port, ==, 3200);   /* the rest still loads */
      assert_bad_copy (fixture->path, contents, strlen (contents));
    }

  for (guint i = 0; i < G_N_ELEMENTS (good); i++)
    {
      g_autofree char *contents = g_strdup_printf ("[engine]\nupstream-host=%s\n"
                                                   "upstream-port=8080\n", good[i].in);
      g_autoptr(GnEngineConfig) config = NULL;
      g_autoptr(GError) error = NULL;

      write_file (fixture->path, contents, -1);
      g_assert_true (gn_settings_store_load (store, &error));
      g_assert_no_error (error);
      config = gn_settings_store_dup_config (store);
      g_assert_cmpstr (config->upstream_host, ==, good[i].out);
    }
}

int
main (int argc, char *argv[])
{
  g_test_init (&argc, &argv, NULL);

#define ADD(name, func) \
  g_test_add (name, Fixture, NULL, fixture_setup, func, fixture_teardown)
  ADD ("/settings-store/missing-file", test_missing_file);
  ADD ("/settings-store/round-trip", test_round_trip);
  ADD ("/settings-store/atomic-write", test_atomic_write);
  ADD ("/settings-store/save-error", test_save_error);
  ADD ("/settings-store/damaged-file", test_damaged_file);
  ADD ("/settings-store/huge-file", test_huge_file);
  ADD ("/settings-store/bad-values", test_bad_values);
  ADD ("/settings-store/non-loopback", test_non_loopback);
  ADD ("/settings-store/old-allow-key", test_old_allow_key);
  ADD ("/settings-store/upstream-host", test_upstream_host);
#undef ADD
  g_test_add_func ("/settings-store/default-path", test_default_path);

  return g_test_run ();
}
