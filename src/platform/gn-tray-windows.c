/* gn-tray-windows.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The Windows tray icon (see gn-tray.h): Shell_NotifyIconW on a hidden
 * top-level window of our own, whose window procedure gets the icon's
 * clicks (left: Open; right: a popup menu with the state, Pause for 15
 * minutes, Open, Quit) and Explorer's "TaskbarCreated" broadcast, after
 * which the icon is added again (Explorer restarted). "available" is
 * TRUE while the shell has the icon.
 *
 * Threading: the creating thread (GTK's main thread): its messages reach
 * the window procedure through the same message pump GDK runs, so signals
 * are emitted there.
 */

#include <windows.h>
#include <shellapi.h>

#include <glib/gi18n.h>

#include "gn-tray.h"

#define WM_GN_TRAY (WM_APP + 1)
#define TRAY_CLASS L"GuardNestTrayWindow"

enum { CMD_STATE = 1, CMD_PAUSE, CMD_OPEN, CMD_QUIT };

struct _GnTray
{
  GObject   parent_instance;

  HWND      hwnd;
  UINT      taskbar_created;  /* the "TaskbarCreated" message */
  char     *icon_name;        /* (owned) */
  char     *title;            /* (owned) */
  char     *state;            /* (owned) */
  gboolean  attention;
  gboolean  can_pause;
  gboolean  available;
};

G_DEFINE_FINAL_TYPE (GnTray, gn_tray, G_TYPE_OBJECT)

enum { PROP_0, PROP_AVAILABLE, N_PROPS };
static GParamSpec *properties[N_PROPS];

enum { ITEM, N_SIGNALS };
static guint signals[N_SIGNALS];

static void
set_available (GnTray   *self,
               gboolean  available)
{
  if (self->available == available)
    return;
  self->available = available;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_AVAILABLE]);
}

static void
fill_icon_data (GnTray          *self,
                NOTIFYICONDATAW *nid)
{
  g_autofree char *tip = g_strdup_printf ("%s — %s", self->title, self->state);
  g_autofree gunichar2 *wtip = g_utf8_to_utf16 (tip, -1, NULL, NULL, NULL);
  HICON icon = LoadIconW (GetModuleHandleW (NULL), MAKEINTRESOURCEW (1));

  memset (nid, 0, sizeof *nid);
  nid->cbSize = sizeof *nid;
  nid->hWnd = self->hwnd;
  nid->uID = 1;
  nid->uFlags = NIF_MESSAGE | NIF_ICON | NIF_TIP;
  nid->uCallbackMessage = WM_GN_TRAY;
  nid->hIcon = icon != NULL ? icon : LoadIconW (NULL, (LPCWSTR) IDI_APPLICATION);
  if (wtip != NULL)
    wcsncpy_s (nid->szTip, G_N_ELEMENTS (nid->szTip), (const wchar_t *) wtip, _TRUNCATE);
}

static void
add_icon (GnTray *self)
{
  NOTIFYICONDATAW nid;

  fill_icon_data (self, &nid);
  set_available (self, Shell_NotifyIconW (NIM_ADD, &nid) != FALSE);
}

static void
update_icon (GnTray *self)
{
  NOTIFYICONDATAW nid;

  if (!self->available)
    return;
  fill_icon_data (self, &nid);
  Shell_NotifyIconW (NIM_MODIFY, &nid);
}

static void
append_item (HMENU       menu,
             UINT        flags,
             UINT        id,
             const char *label)
{
  g_autofree gunichar2 *wlabel = g_utf8_to_utf16 (label, -1, NULL, NULL, NULL);

  AppendMenuW (menu, flags, id, (const wchar_t *) wlabel);
}

static void
show_menu (GnTray *self)
{
  HMENU menu = CreatePopupMenu ();
  POINT pt;
  UINT cmd;

  append_item (menu, MF_STRING | MF_GRAYED, CMD_STATE, self->state);
  append_item (menu, MF_STRING | (self->can_pause ? 0 : MF_GRAYED), CMD_PAUSE,
               _("&Pause Protection for 15 Minutes"));
  append_item (menu, MF_STRING, CMD_OPEN, _("&Open GuardNest"));
  AppendMenuW (menu, MF_SEPARATOR, 0, NULL);
  append_item (menu, MF_STRING, CMD_QUIT, _("&Quit"));
  SetMenuDefaultItem (menu, CMD_OPEN, FALSE);

  GetCursorPos (&pt);
  /* Without it the menu does not close when the user clicks elsewhere. */
  SetForegroundWindow (self->hwnd);
  cmd = (UINT) TrackPopupMenu (menu, TPM_RETURNCMD | TPM_RIGHTBUTTON | TPM_NONOTIFY,
                               pt.x, pt.y, 0, self->hwnd, NULL);
  DestroyMenu (menu);

  switch (cmd)
    {
    case CMD_PAUSE:
      g_signal_emit (self, signals[ITEM], 0, GN_TRAY_ITEM_PAUSE);
      break;
    case CMD_OPEN:
      g_signal_emit (self, signals[ITEM], 0, GN_TRAY_ITEM_OPEN);
      break;
    case CMD_QUIT:
      g_signal_emit (self, signals[ITEM], 0, GN_TRAY_ITEM_QUIT);
      break;
    default:
      break;
    }
}

static LRESULT CALLBACK
tray_window_proc (HWND   hwnd,
                  UINT   msg,
                  WPARAM wparam,
                  LPARAM lparam)
{
  GnTray *self = (GnTray *) GetWindowLongPtrW (hwnd, GWLP_USERDATA);

  if (self != NULL && msg == WM_GN_TRAY)
    {
      g_autoptr(GnTray) keep = g_object_ref (self);  /* Quit may drop the last ref */

      switch (LOWORD (lparam))
        {
        case WM_LBUTTONUP:
          g_signal_emit (self, signals[ITEM], 0, GN_TRAY_ITEM_OPEN);
          break;
        case WM_RBUTTONUP:
        case WM_CONTEXTMENU:
          show_menu (self);
          break;
        case NIN_BALLOONUSERCLICK:
          g_signal_emit (self, signals[ITEM], 0, GN_TRAY_ITEM_MESSAGE);
          break;
        default:
          break;
        }
      return 0;
    }
  if (self != NULL && self->taskbar_created != 0 && msg == self->taskbar_created)
    {
      add_icon (self);  /* Explorer restarted: its tray is empty */
      return 0;
    }
  return DefWindowProcW (hwnd, msg, wparam, lparam);
}

static void
start (GnTray *self)
{
  WNDCLASSEXW wc = { 0 };
  HINSTANCE instance = GetModuleHandleW (NULL);

  wc.cbSize = sizeof wc;
  wc.lpfnWndProc = tray_window_proc;
  wc.hInstance = instance;
  wc.lpszClassName = TRAY_CLASS;
  RegisterClassExW (&wc);  /* fails harmlessly when already registered */

  self->taskbar_created = RegisterWindowMessageW (L"TaskbarCreated");
  /* Hidden top-level (not message-only): it must get the broadcast. */
  self->hwnd = CreateWindowExW (0, TRAY_CLASS, L"GuardNest", WS_OVERLAPPED, 0, 0, 0, 0,
                                NULL, NULL, instance, NULL);
  if (self->hwnd == NULL)
    {
      g_autofree char *message = g_win32_error_message ((gint) GetLastError ());
      g_debug ("No tray icon: %s", message);
      return;
    }
  SetWindowLongPtrW (self->hwnd, GWLP_USERDATA, (LONG_PTR) self);
  add_icon (self);
}

gboolean
gn_tray_get_available (GnTray *self)
{
  g_return_val_if_fail (GN_IS_TRAY (self), FALSE);
  return self->available;
}

void
gn_tray_set_state (GnTray     *self,
                   const char *title,
                   const char *state,
                   gboolean    attention)
{
  g_return_if_fail (GN_IS_TRAY (self));
  g_return_if_fail (title != NULL && state != NULL);

  if (g_strcmp0 (self->title, title) == 0 && g_strcmp0 (self->state, state) == 0 &&
      self->attention == !!attention)
    return;
  g_free (self->title);
  self->title = g_strdup (title);
  g_free (self->state);
  self->state = g_strdup (state);
  self->attention = !!attention;
  update_icon (self);
}

void
gn_tray_set_can_pause (GnTray   *self,
                       gboolean  can_pause)
{
  g_return_if_fail (GN_IS_TRAY (self));
  self->can_pause = !!can_pause;  /* read when the menu opens */
}

static void
copy_utf16 (wchar_t    *dest,
            gsize       n,
            const char *text)
{
  g_autofree gunichar2 *w = g_utf8_to_utf16 (text, -1, NULL, NULL, NULL);

  dest[0] = L'\0';
  if (w != NULL)
    wcsncpy_s (dest, n, (const wchar_t *) w, _TRUNCATE);
}

/* GLib's GNotification backend on Windows is a stub that only warns
 * ("Notifications are not yet supported on Windows"): the icon's balloon (a
 * toast on Windows 10 and later) says it instead. */
gboolean
gn_tray_show_message (GnTray     *self,
                      const char *title,
                      const char *body)
{
  NOTIFYICONDATAW nid;

  g_return_val_if_fail (GN_IS_TRAY (self), FALSE);
  g_return_val_if_fail (title != NULL && body != NULL, FALSE);

  if (!self->available)
    return FALSE;
  fill_icon_data (self, &nid);
  nid.uFlags = NIF_INFO;
  nid.dwInfoFlags = NIIF_INFO;
  copy_utf16 (nid.szInfoTitle, G_N_ELEMENTS (nid.szInfoTitle), title);
  copy_utf16 (nid.szInfo, G_N_ELEMENTS (nid.szInfo), body);
  return Shell_NotifyIconW (NIM_MODIFY, &nid) != FALSE;
}

static void
gn_tray_get_property (GObject    *object,
                      guint       prop_id,
                      GValue     *value,
                      GParamSpec *pspec)
{
  GnTray *self = GN_TRAY (object);

  switch (prop_id)
    {
    case PROP_AVAILABLE:
      g_value_set_boolean (value, self->available);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
gn_tray_dispose (GObject *object)
{
  GnTray *self = GN_TRAY (object);

  if (self->hwnd != NULL)
    {
      NOTIFYICONDATAW nid = { 0 };

      nid.cbSize = sizeof nid;
      nid.hWnd = self->hwnd;
      nid.uID = 1;
      Shell_NotifyIconW (NIM_DELETE, &nid);
      SetWindowLongPtrW (self->hwnd, GWLP_USERDATA, 0);
      DestroyWindow (self->hwnd);
      self->hwnd = NULL;
    }

  G_OBJECT_CLASS (gn_tray_parent_class)->dispose (object);
}

static void
gn_tray_finalize (GObject *object)
{
  GnTray *self = GN_TRAY (object);

  g_free (self->icon_name);
  g_free (self->title);
  g_free (self->state);

  G_OBJECT_CLASS (gn_tray_parent_class)->finalize (object);
}

static void
gn_tray_class_init (GnTrayClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->get_property = gn_tray_get_property;
  object_class->dispose = gn_tray_dispose;
  object_class->finalize = gn_tray_finalize;

  properties[PROP_AVAILABLE] =
    g_param_spec_boolean ("available", NULL, NULL, FALSE,
                          G_PARAM_READABLE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  signals[ITEM] = g_signal_new ("item", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0,
                                NULL, NULL, NULL, G_TYPE_NONE, 1, G_TYPE_INT);
}

static void
gn_tray_init (GnTray *self)
{
  self->title = g_strdup ("GuardNest");
  self->state = g_strdup ("");
}

GnTray *
gn_tray_new (const char *icon_name)
{
  GnTray *self;

  g_return_val_if_fail (icon_name != NULL, NULL);

  self = g_object_new (GN_TYPE_TRAY, NULL);
  self->icon_name = g_strdup (icon_name);
  start (self);
  return self;
}
