/* gn-winproxy.h
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The Windows proxy core: plain Win32 C, no GLib, so that it can be
 * cross-compiled with mingw-w64 on Debian (which ships no mingw GLib) and
 * tested under Wine, and so that the small guardnest-repair.exe needs nothing
 * but system DLLs. The GLib adapter (gn-os-proxy-windows.c) and the repair tool
 * are both thin layers over this API.
 *
 * What it manages: the WinINet per-connection proxy options of the LAN
 * settings and of every RAS/dial-up entry, the "Internet Settings" registry
 * values that mirror them, a journal of the user's settings written before
 * anything is changed, the RunOnce repair entry, a change watch and a hidden top-level window that restores at log-off;
 * and the hidden-window-on-its-own-thread helper that window and GuardNest's
 * quit and single-instance windows share.
 *
 * Threading: no function keeps global state; every call works on the structs
 * passed in. Functions may be called from any thread. The watch and each
 * window thread (the session window's among them) run their own worker thread
 * and call back on it.
 */
#pragma once

#include <winsock2.h>   /* must precede windows.h */
#include <windows.h>

#define GN_WP_MAX_CONNECTIONS 64          /* LAN + at most 63 RAS entries */
#define GN_WP_BYPASS_MAX      2000        /* ProxyOverride's practical limit */
#define GN_WP_MESSAGE_MAX     512
#define GN_WP_RUNONCE_VALUE   L"GuardNestRepair"
#define GN_WP_OWNER_MUTEX     L"Local\\GuardNest.ProxyOwner"
#define GN_WP_DEFAULT_BYPASS                                                  \
  L"localhost;127.*;10.*;172.16.*;172.17.*;172.18.*;172.19.*;172.20.*;"      \
  L"172.21.*;172.22.*;172.23.*;172.24.*;172.25.*;172.26.*;172.27.*;"         \
  L"172.28.*;172.29.*;172.30.*;172.31.*;192.168.*;<local>"

/* A user-readable error: code is a Win32 error (or HRESULT for COM). */
typedef struct {
  DWORD   code;
  wchar_t message[GN_WP_MESSAGE_MAX];
} GnWpError;

/* Optional logger for things worth telling but not failing on. */
typedef void (*GnWpLogFunc) (const wchar_t *message, void *user_data);

/* One connection's WinINet options plus its raw registry blob. */
typedef struct {
  wchar_t *name;        /* (owned) (nullable): NULL is the LAN settings */
  DWORD    flags;       /* PROXY_TYPE_* */
  wchar_t *server;      /* (owned) (nullable) */
  wchar_t *bypass;      /* (owned) (nullable) */
  wchar_t *pac_url;     /* (owned) (nullable) */
  BYTE    *blob;        /* (owned) (nullable): Connections\<name> value */
  DWORD    blob_len;
} GnWpConnection;

/* The "Internet Settings" values of the LAN connection, exactly as stored;
 * NULL / has_enable == FALSE mean "value absent". */
typedef struct {
  BOOL     has_enable;
  DWORD    enable;
  wchar_t *server;      /* ProxyServer (owned) (nullable) */
  wchar_t *override;    /* ProxyOverride (owned) (nullable) */
  wchar_t *autoconfig;  /* AutoConfigURL (owned) (nullable) */
} GnWpRegistryValues;

/* Everything restore needs: connections[0] is always the LAN. */
typedef struct {
  GnWpConnection     connections[GN_WP_MAX_CONNECTIONS];
  unsigned           n_connections;
  GnWpRegistryValues values;
} GnWpSnapshot;

/* What we apply. */
typedef struct {
  unsigned       port;      /* our proxy on 127.0.0.1 */
  const wchar_t *bypass;    /* NULL = GN_WP_DEFAULT_BYPASS */
  const wchar_t *pac_url;   /* non-NULL = PAC mode instead of a manual proxy */
} GnWpConfig;

/* A parsed DefaultConnectionSettings-style blob; strings point into it. */
typedef struct {
  DWORD       version;
  DWORD       counter;
  DWORD       flags;
  const char *server;   DWORD server_len;
  const char *bypass;   DWORD bypass_len;
  const char *pac_url;  DWORD pac_url_len;
  const BYTE *tail;     DWORD tail_len;
} GnWpBlob;

typedef enum {
  GN_WP_RESTORED,             /* the snapshot is back */
  GN_WP_RESTORED_NO_PROXY,    /* snapshot's loopback proxy was dead: "no proxy" */
  GN_WP_RESTORED_KEPT_OTHERS, /* keys still ours got the user's values back; keys
                               * another program changed were kept (and logged) */
  GN_WP_TAKEN_OVER,           /* another program changed the mode ("direct", say): our
                               * values were removed, the user's NOT put back; they
                               * stay in gn_wp_journal_previous_path() */
  GN_WP_LEFT_ALONE,           /* settings no longer ours: not touched */
  GN_WP_NOTHING_TO_DO,        /* no journal */
  GN_WP_OWNER_RUNNING,        /* a running GuardNest owns the settings */
  GN_WP_CLEARED_DEAD_PROXY,   /* repair: the journal was missing or damaged and the
                               * proxy pointed at a loopback port nothing answers
                               * on: "no proxy" was set (the address kept) */
  GN_WP_WRONG_USER,           /* repair: run as another user than the one signed in
                               * (elevated with another administrator's password);
                               * nothing was changed */
  GN_WP_FAILED,
} GnWpRestoreResult;

/* --- gn-winproxy.c: WinINet options ------------------------------------ */
BOOL  gn_wp_snapshot            (GnWpSnapshot *snap, GnWpError *error);
void  gn_wp_snapshot_clear      (GnWpSnapshot *snap);
BOOL  gn_wp_apply               (const GnWpConfig *config, const GnWpSnapshot *before,
                                 GnWpLogFunc log, void *log_data, GnWpError *error);
BOOL  gn_wp_restore             (const GnWpSnapshot *snap, BOOL no_proxy_instead,
                                 GnWpLogFunc log, void *log_data, GnWpError *error);
BOOL  gn_wp_set_connection      (const wchar_t *name, DWORD flags, const wchar_t *server,
                                 const wchar_t *bypass, const wchar_t *pac_url,
                                 GnWpLogFunc log, void *log_data, GnWpError *error);
BOOL  gn_wp_points_at_us        (const GnWpConfig *config);
BOOL  gn_wp_validate_bypass     (const wchar_t *bypass, GnWpError *error);
BOOL  gn_wp_snapshot_loopback_dead (const GnWpSnapshot *snap, unsigned our_port);

/* --- gn-winproxy-restore.c: per-key compare-and-clear -------------------- */
/* Restores @snap (the journal's) key by key: what still holds what @config
 * made apply write gets the user's value back, what another program changed
 * is kept (named through @log), and when that program changed the mode,
 * ours is removed and the user's values are not put back (GN_WP_TAKEN_OVER).
 * GN_WP_LEFT_ALONE when nothing of ours is left. */
GnWpRestoreResult gn_wp_restore_keys (const GnWpConfig *config, const GnWpSnapshot *snap,
                                      GnWpLogFunc log, void *log_data, GnWpError *error);
/* The same when what was written is known exactly (the GLib adapter writes
 * with gn_wp_set_connection(), not gn_wp_apply()): @written holds, for each
 * connection of @snap in the same order, the flags and strings written
 * (NULL = empty) and, for the LAN, the registry values written. @kept
 * (nullable) gets the keys another program changed ("ProxyServer, ..."). */
GnWpRestoreResult gn_wp_restore_keys_written (const GnWpConfig *config,
                                              const GnWpSnapshot *snap,
                                              const GnWpSnapshot *written,
                                              wchar_t *kept, size_t kept_len,
                                              GnWpLogFunc log, void *log_data,
                                              GnWpError *error);
void  gn_wp_notify_wininet      (GnWpLogFunc log, void *log_data);

/* --- gn-winproxy-registry.c: the registry mirror ------------------------- */
BOOL  gn_wp_blob_parse          (const BYTE *data, DWORD len, GnWpBlob *out);
BYTE *gn_wp_blob_build          (const GnWpBlob *fields, DWORD *out_len);
BOOL  gn_wp_registry_read       (GnWpRegistryValues *values);
void  gn_wp_registry_values_clear (GnWpRegistryValues *values);
BOOL  gn_wp_registry_write      (const GnWpRegistryValues *values, GnWpError *error);
BOOL  gn_wp_blob_read           (const wchar_t *connection, BYTE **data, DWORD *len);
BOOL  gn_wp_blob_write_fields   (const wchar_t *connection, DWORD flags,
                                 const wchar_t *server, const wchar_t *bypass,
                                 const wchar_t *pac_url, const BYTE *template_blob,
                                 DWORD template_len, GnWpError *error);

/* --- gn-winproxy-journal.c ---------------------------------------------- */
BOOL  gn_wp_journal_default_path (wchar_t *path, DWORD path_len);
BOOL  gn_wp_journal_write       (const wchar_t *path, const GnWpConfig *config,
                                 const GnWpSnapshot *snap, GnWpError *error);
BOOL  gn_wp_journal_read        (const wchar_t *path, unsigned *port, wchar_t **pac_url,
                                 wchar_t **bypass, GnWpSnapshot *snap, GnWpError *error);
BOOL  gn_wp_journal_exists      (const wchar_t *path);
BOOL  gn_wp_journal_remove      (const wchar_t *path, GnWpError *error);
/* Where a journal is kept after another program took the proxy over
 * (GN_WP_TAKEN_OVER): "<journal>.previous", the user's settings from before
 * GuardNest, in the same format, until they ask for them back. */
BOOL  gn_wp_journal_previous_path (const wchar_t *journal, wchar_t *path, DWORD path_len);

/* --- gn-winproxy-protect.c: the enable / disable / repair transactions --- */
BOOL  gn_wp_runonce_set         (const wchar_t *command, GnWpError *error);
BOOL  gn_wp_runonce_remove      (GnWpError *error);
BOOL  gn_wp_runonce_get         (wchar_t *command, DWORD command_len);
HANDLE gn_wp_owner_claim        (void);
BOOL  gn_wp_owner_running       (void);
BOOL  gn_wp_enable              (const GnWpConfig *config, const wchar_t *journal,
                                 const wchar_t *repair_command, GnWpLogFunc log,
                                 void *log_data, GnWpError *error);
GnWpRestoreResult gn_wp_disable (const wchar_t *journal, GnWpLogFunc log, void *log_data,
                                 GnWpError *error);
GnWpRestoreResult gn_wp_repair  (const wchar_t *journal, GnWpLogFunc log, void *log_data,
                                 GnWpError *error);
/* The safety net when there is no usable journal: a manual LAN proxy on
 * this machine (127.x, localhost) that nothing answers on is switched off
 * ("no proxy", the address kept for the user to see). TRUE when it did;
 * @what gets "127.0.0.1:PORT". A proxy that answers is never touched. */
BOOL  gn_wp_clear_dead_loopback (wchar_t *what, size_t what_len, GnWpLogFunc log,
                                 void *log_data, GnWpError *error);
const wchar_t *gn_wp_restore_result_describe (GnWpRestoreResult result);

/* --- gn-winproxy-watch.c: change watch and the session window ----------- */
typedef struct _GnWpWatch GnWpWatch;
typedef void (*GnWpWatchFunc) (void *user_data);
GnWpWatch *gn_wp_watch_start    (GnWpWatchFunc func, void *user_data, GnWpError *error);
void       gn_wp_watch_stop     (GnWpWatch *watch);

typedef struct _GnWpSessionWindow GnWpSessionWindow;
typedef void (*GnWpEndSessionFunc) (void *user_data);
/* @func runs on the window's thread at WM_QUERYENDSESSION (or WM_ENDSESSION
 * TRUE) before Windows may end the process; @cancelled (nullable) at
 * WM_ENDSESSION FALSE after @func ran: the sign-out or shutdown was
 * cancelled and the caller must re-apply (or show protection as off). */
GnWpSessionWindow *gn_wp_session_window_start (GnWpEndSessionFunc func,
                                               GnWpEndSessionFunc cancelled,
                                               void *user_data, GnWpError *error);
HWND               gn_wp_session_window_hwnd  (GnWpSessionWindow *window);
void               gn_wp_session_window_stop  (GnWpSessionWindow *window);

/* --- gn-winproxy-window.c: a hidden window on its own thread ------------ */
typedef struct _GnWpWindowThread GnWpWindowThread;
/* Like a WNDPROC, with the user_data given to start. Called for every
 * message from WM_NCCREATE on; what it does not handle goes to
 * DefWindowProcW. It need not handle WM_DESTROY (the helper ends the
 * message loop) nor stop (the helper destroys the window). */
typedef LRESULT (*GnWpWindowProc) (HWND hwnd, UINT msg, WPARAM wparam, LPARAM lparam,
                                   void *user_data);
/* Starts a thread that registers @class_name, creates the window (@parent:
 * NULL for top-level, HWND_MESSAGE for message-only) and pumps its
 * messages; returns once the window exists, or NULL with the Win32 error in
 * @error (nullable). */
GnWpWindowThread *gn_wp_window_thread_start (const wchar_t *class_name, const wchar_t *title,
                                             DWORD ex_style, DWORD style, HWND parent,
                                             GnWpWindowProc proc, void *user_data,
                                             DWORD *error);
HWND              gn_wp_window_thread_hwnd  (GnWpWindowThread *window);
/* Destroys the window (whatever its procedure does with WM_CLOSE), waits
 * for the thread and frees. NULL is fine. */
void              gn_wp_window_thread_stop  (GnWpWindowThread *window);

/* --- gn-winproxy-user.c: whose settings would we change? ---------------- */
typedef enum {
  GN_WP_USER_SAME,      /* the token's user is the one signed in */
  GN_WP_USER_UNKNOWN,   /* no shell and no session user to compare with */
  GN_WP_USER_OTHER,     /* elevated as another user: HKEY_CURRENT_USER is theirs */
} GnWpUserMatch;
GnWpUserMatch gn_wp_user_compare_sids  (PSID process_user, PSID session_user);
/* The process token's user against the signed-in user (the shell's owner,
 * else the session's user name); the names ("DOMAIN\\user") for messages. */
GnWpUserMatch gn_wp_session_user_check (wchar_t *process_name, size_t process_len,
                                        wchar_t *session_name, size_t session_len);
void          gn_wp_sid_describe       (PSID sid, wchar_t *out, size_t out_len);

/* --- small helpers shared by the core files ------------------------------ */
wchar_t *gn_wp_wcsdup           (const wchar_t *s);
void     gn_wp_set_error        (GnWpError *error, DWORD code, const wchar_t *format, ...);
void     gn_wp_log              (GnWpLogFunc log, void *log_data, const wchar_t *format, ...);
