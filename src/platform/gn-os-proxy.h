/* gn-os-proxy.h
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * One interface for the operating system's proxy settings, used by the app,
 * the headless mode and every implementation (Windows, GNOME, KDE, none).
 *
 * Two things live here:
 *
 *  - GnOsProxySettings, a value: what the OS proxy settings are at one moment.
 *    The OS may keep several independent places with proxy settings (Windows:
 *    the LAN settings plus one per dial-up/VPN connection; KDE: kioslaverc
 *    plus the GNOME keys that GTK apps read), so a settings value is a list of
 *    GnOsProxyEntry, one per place, each with a name (NULL = the LAN / the
 *    desktop's main setting). An entry carries the portable fields the UI
 *    shows and, in `raw`, everything else the backend needs to put back
 *    *exactly* what was there (authentication keys, FTP/SOCKS servers, the
 *    Windows proxy server string as written, ...). Values serialize to JSON
 *    for the journal (gn-os-proxy-journal.h).
 *
 *  - GnOsProxy, the backend: a derivable GObject whose subclasses read and
 *    write one OS's settings. The implementation is chosen at run time by
 *    gn_os_proxy_new_for_desktop(); which files are compiled is decided in
 *    src/platform/meson.build by host_machine.system(), never by #ifdefs
 *    scattered through the code.
 *
 * Threading contract: a GnOsProxy is used from the thread that created it
 * (normally the main thread) and emits "changed" on that thread's
 * thread-default main context. Settings values are immutable once built and
 * may be shared between threads.
 */

#pragma once

#include <gio/gio.h>
#include <json-glib/json-glib.h>

#include "gn-error.h"

G_BEGIN_DECLS

/* ---------------------------------------------------------------- values */

/* What an entry does. 0 (GN_OS_PROXY_DIRECT alone) = no proxy. Windows can
 * combine them (PROXY_TYPE_AUTO_DETECT | PROXY_TYPE_PROXY), so these are
 * flags; gn_os_proxy_entry_get_mode() gives the one a user would name. */
typedef enum
{
  GN_OS_PROXY_DIRECT      = 0,
  GN_OS_PROXY_MANUAL      = 1 << 0,  /* the servers below */
  GN_OS_PROXY_PAC         = 1 << 1,  /* pac_url */
  GN_OS_PROXY_AUTO_DETECT = 1 << 2,  /* WPAD */
} GnOsProxyFlags;

typedef enum
{
  GN_OS_PROXY_MODE_NONE,
  GN_OS_PROXY_MODE_MANUAL,
  GN_OS_PROXY_MODE_PAC,
  GN_OS_PROXY_MODE_AUTO_DETECT,
} GnOsProxyMode;

typedef struct
{
  char    *host;   /* (owned) (nullable) NULL or "" = not set */
  guint16  port;
} GnOsProxyServer;

typedef struct _GnOsProxyEntry
{
  char            *connection;  /* (owned) (nullable) NULL = LAN / main setting */
  GnOsProxyFlags   flags;
  GnOsProxyServer  http;
  GnOsProxyServer  https;
  GnOsProxyServer  ftp;        /* where the OS has one */
  GnOsProxyServer  socks;      /* where the OS has one */
  char           **bypass;     /* (owned) (array zero-terminated=1) never NULL */
  char            *pac_url;    /* (owned) (nullable) */
  /* Backend-specific copy of everything needed for an exact restore; an
   * a{sv} GVariant (floating refs are sunk), or NULL. Backends write the
   * portable fields and then, when present, these values verbatim. */
  GVariant        *raw;        /* (owned) (nullable) */
} GnOsProxyEntry;

GnOsProxyEntry *gn_os_proxy_entry_new      (const char           *connection);
GnOsProxyEntry *gn_os_proxy_entry_copy     (const GnOsProxyEntry *entry);
void            gn_os_proxy_entry_free     (GnOsProxyEntry       *entry);
GnOsProxyMode   gn_os_proxy_entry_get_mode (const GnOsProxyEntry *entry);
/* Portable fields and raw compared exactly. */
gboolean        gn_os_proxy_entry_equal    (const GnOsProxyEntry *a,
                                            const GnOsProxyEntry *b);
/* TRUE when the entry sends web traffic to host:port: manual, http or https
 * server equal to it, or PAC from gn_os_proxy_pac_url (host, port). */
gboolean        gn_os_proxy_entry_points_at (const GnOsProxyEntry *entry,
                                             const char           *host,
                                             guint16               port);
/* The user name and password the entry gives for its HTTP proxy, if any
 * (GNOME: org.gnome.system.proxy.http use-authentication with
 * authentication-user/-password, kept in the entry's raw values; KDE and
 * Windows keep no proxy passwords in these settings). */
gboolean        gn_os_proxy_entry_get_credentials (const GnOsProxyEntry *entry,
                                                   char                **user,
                                                   char                **password);
/* The address of the PAC script the engine serves on host:port
 * ("http://127.0.0.1:3000/proxy.pac"). */
char           *gn_os_proxy_pac_url        (const char           *host,
                                            guint16               port);
/* Owned sentence for people: "Manual proxy 10.0.0.1:8080", "No proxy"... */
char           *gn_os_proxy_entry_describe (const GnOsProxyEntry *entry);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (GnOsProxyEntry, gn_os_proxy_entry_free)

#define GN_TYPE_OS_PROXY_SETTINGS (gn_os_proxy_settings_get_type ())

typedef struct _GnOsProxySettings GnOsProxySettings;

GType              gn_os_proxy_settings_get_type      (void) G_GNUC_CONST;
/* backend: the name of the backend that read (or will write) it. */
GnOsProxySettings *gn_os_proxy_settings_new           (const char              *backend);
GnOsProxySettings *gn_os_proxy_settings_ref           (GnOsProxySettings       *self);
void               gn_os_proxy_settings_unref         (GnOsProxySettings       *self);
const char        *gn_os_proxy_settings_get_backend   (const GnOsProxySettings *self);
/* Takes ownership of entry. Only while building the value. */
void               gn_os_proxy_settings_take_entry    (GnOsProxySettings       *self,
                                                       GnOsProxyEntry          *entry);
guint              gn_os_proxy_settings_get_n_entries (const GnOsProxySettings *self);
const GnOsProxyEntry *gn_os_proxy_settings_get_entry  (const GnOsProxySettings *self,
                                                       guint                    index);
/* connection NULL = LAN / main entry. (nullable) */
const GnOsProxyEntry *gn_os_proxy_settings_lookup     (const GnOsProxySettings *self,
                                                       const char              *connection);
gboolean           gn_os_proxy_settings_equal         (const GnOsProxySettings *a,
                                                       const GnOsProxySettings *b);
/* TRUE when any entry points at host:port. */
gboolean           gn_os_proxy_settings_points_at     (const GnOsProxySettings *self,
                                                       const char              *host,
                                                       guint16                  port);
char              *gn_os_proxy_settings_describe      (const GnOsProxySettings *self);

JsonNode          *gn_os_proxy_settings_to_json       (const GnOsProxySettings *self);
/* Bad input: NULL and a GN_ERROR_INVALID_DATA error. */
GnOsProxySettings *gn_os_proxy_settings_new_from_json (JsonNode                *node,
                                                       GError                 **error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (GnOsProxySettings, gn_os_proxy_settings_unref)

/* Linux default bypass list: localhost, 127.0.0.0/8, ::1, 10.0.0.0/8,
 * 172.16.0.0/12, 192.168.0.0/16. */
const char * const *gn_os_proxy_default_bypass (void);

/* ---------------------------------------------------- per-key restore */

/* What a per-key compare-and-clear restore of one place did
 * (gn_os_proxy_restore_entry()). */
typedef enum
{
  GN_OS_PROXY_KEYS_NOTHING    = 0,
  GN_OS_PROXY_KEYS_RESTORED   = 1 << 0,  /* keys that still held our values got the user's back */
  GN_OS_PROXY_KEYS_KEPT       = 1 << 1,  /* keys another program changed were left as they are */
  GN_OS_PROXY_KEYS_TAKEN_OVER = 1 << 2,  /* another program changed the mode ("none", say):
                                          * our values were removed, the user's were NOT put
                                          * back over that choice */
} GnOsProxyKeysResult;

/* --------------------------------------------------------------- backend */

#define GN_TYPE_OS_PROXY (gn_os_proxy_get_type ())
G_DECLARE_DERIVABLE_TYPE (GnOsProxy, gn_os_proxy, GN, OS_PROXY, GObject)

struct _GnOsProxyClass
{
  GObjectClass parent_class;

  /* "gnome", "kde", "windows", "none". */
  const char         *(*get_name)           (GnOsProxy               *self);
  /* NULL when the backend manages the OS proxy, else a sentence for people:
   * "No supported desktop was found (XDG_CURRENT_DESKTOP is empty)". */
  const char         *(*get_unmanaged_reason) (GnOsProxy             *self);
  /* The default bypass list suitable for this OS. */
  const char * const *(*get_default_bypass) (GnOsProxy               *self);

  /* Snapshot of the current settings, every entry. */
  GnOsProxySettings  *(*read)               (GnOsProxy               *self,
                                             GError                 **error);
  /* Makes the OS settings equal to `settings` (entries absent from it are
   * left untouched). Used both to apply ours and to restore a snapshot. */
  gboolean            (*write)              (GnOsProxy               *self,
                                             const GnOsProxySettings *settings,
                                             GError                 **error);
  /* Optional: builds the settings that point every entry of `current` at
   * host:port. The default sets MANUAL with http, https = host:port, no
   * ftp/socks, the bypass list, no PAC, raw = NULL. */
  GnOsProxySettings  *(*build_ours)         (GnOsProxy               *self,
                                             const GnOsProxySettings *current,
                                             const char              *host,
                                             guint16                  port,
                                             const char * const      *bypass);

  /* Optional (default: nothing to do): the logon repair entry that runs
   * `guardnest --repair-proxy` at the next logon while protection is on
   * (Linux: an XDG autostart file; Windows: a RunOnce value). */
  gboolean            (*install_repair_entry) (GnOsProxy             *self,
                                               GError               **error);
  gboolean            (*remove_repair_entry)  (GnOsProxy             *self,
                                               GError               **error);

  /* Optional: per-key compare-and-clear of one place. Every key that `ours`
   * (what build_ours() made, as written) sets and that still holds that
   * value gets the `snapshot`'s value back; every key another program
   * changed is kept and named in `kept`. When another program changed the
   * mode, keys still holding our values are cleared instead (the user's
   * values are not put back over that choice). Without it, the guard puts
   * back whole places that still point at us. */
  gboolean            (*restore_entry)      (GnOsProxy               *self,
                                             const GnOsProxyEntry    *snapshot,
                                             const GnOsProxyEntry    *ours,
                                             GnOsProxyKeysResult     *result,
                                             GStrv                   *kept,
                                             GError                 **error);

  /*< private >*/
  gpointer padding[5];
};

/* Signals: "changed" (no arguments) — the OS settings changed (by anyone,
 * ourselves included; GnOsProxyGuard tells the two apart). Backends call
 * gn_os_proxy_emit_changed(). */

/* The backend for this OS and session, never NULL (the "none" one when
 * nothing can be managed). Linux: XDG_CURRENT_DESKTOP plus the presence of
 * the org.gnome.system.proxy schema. GN_OS_PROXY_BACKEND=gnome|kde|none
 * forces one (tests). */
GnOsProxy          *gn_os_proxy_new_for_desktop      (void);
GnOsProxy          *gn_os_proxy_new_none             (const char         *reason);

const char         *gn_os_proxy_get_name             (GnOsProxy          *self);
gboolean            gn_os_proxy_is_managed           (GnOsProxy          *self);
const char         *gn_os_proxy_get_unmanaged_reason (GnOsProxy          *self);
const char * const *gn_os_proxy_get_default_bypass   (GnOsProxy          *self);

GnOsProxySettings  *gn_os_proxy_read                 (GnOsProxy          *self,
                                                      GError            **error);
gboolean            gn_os_proxy_write                (GnOsProxy          *self,
                                                      const GnOsProxySettings *settings,
                                                      GError            **error);
/* read + build_ours + write. bypass NULL = the default list. */
gboolean            gn_os_proxy_apply                (GnOsProxy          *self,
                                                      const char         *host,
                                                      guint16             port,
                                                      const char * const *bypass,
                                                      GError            **error);
/* What protection writes: every entry of @current pointed at host:port
 * with @bypass, followed by the entry's own bypass items (the user's
 * "intranet", ".corp.example"), at most GN_OS_PROXY_MAX_MERGED_BYPASS in
 * all. */
#define GN_OS_PROXY_MAX_MERGED_BYPASS 200
GnOsProxySettings  *gn_os_proxy_build_ours           (GnOsProxy          *self,
                                                      const GnOsProxySettings *current,
                                                      const char         *host,
                                                      guint16             port,
                                                      const char * const *bypass);
/* read + points_at. A read error counts as FALSE and is returned. */
gboolean            gn_os_proxy_points_at            (GnOsProxy          *self,
                                                      const char         *host,
                                                      guint16             port,
                                                      GError            **error);
void                gn_os_proxy_emit_changed         (GnOsProxy          *self);
gboolean            gn_os_proxy_install_repair_entry (GnOsProxy          *self,
                                                      GError            **error);
gboolean            gn_os_proxy_remove_repair_entry  (GnOsProxy          *self,
                                                      GError            **error);
/* Whether the backend restores key by key (GnOsProxyClass.restore_entry). */
gboolean            gn_os_proxy_can_restore_keys     (GnOsProxy          *self);
/* See GnOsProxyClass.restore_entry. @kept (nullable out): the keys kept,
 * as the backend names them ("http.host"), NULL when none. */
gboolean            gn_os_proxy_restore_entry        (GnOsProxy          *self,
                                                      const GnOsProxyEntry *snapshot,
                                                      const GnOsProxyEntry *ours,
                                                      GnOsProxyKeysResult *result,
                                                      GStrv              *kept,
                                                      GError            **error);

G_END_DECLS
