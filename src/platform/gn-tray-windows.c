/* gn-tray-windows.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The Windows tray backend (gn-tray-private.h; the class is gn-tray.c):
 * Shell_NotifyIconW on a hidden
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

#include "gn-tray-private.h"

#define WM_GN_TRAY (WM_APP + 1)
#define TRAY_CLASS L"GuardNestTrayWindow"

enum { CMD_STATE = 1, CMD_PAUSE, CMD_OPEN, CMD_QUIT };

struct _GnTrayBackend
{
  GnTray   *tray;             /* (unowned) it owns this */
  HWND      hwnd;
  UINT      taskbar_created;  /* the "TaskbarCreated" message */
};

typedef GnTrayBackend Shell;

static void
fill_icon_data (Shell           *self,
                NOTIFYICONDATAW *nid)
{
  const char *title = *self->tray->title != '\0' ? self->tray->title : "GuardNest";
  g_autofree char *tip = g_strdup_printf ("%s — %s", title, self->tray->state);
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
add_icon (Shell *self)
{
  NOTIFYICONDATAW nid;

  fill_icon_data (self, &nid);
  _gn_tray_set_available (self->tray, Shell_NotifyIconW (NIM_ADD, &nid) != FALSE);
}

static void
update_icon (Shell *self)
{
  NOTIFYICONDATAW nid;

  if (!self->tray->available)
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
show_menu (Shell *self)
{
  HMENU menu = CreatePopupMenu ();
  POINT pt;
  UINT cmd;

  append_item (menu, MF_STRING | MF_GRAYED, CMD_STATE, self->tray->state);
  append_item (menu, MF_STRING | (self->tray->can_pause ? 0 : MF_GRAYED), CMD_PAUSE,
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
      _gn_tray_emit_item (self->tray, GN_TRAY_ITEM_PAUSE);
      break;
    case CMD_OPEN:
      _gn_tray_emit_item (self->tray, GN_TRAY_ITEM_OPEN);
      break;
    case CMD_QUIT:
      _gn_tray_emit_item (self->tray, GN_TRAY_ITEM_QUIT);
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
  Shell *self = (Shell *) GetWindowLongPtrW (hwnd, GWLP_USERDATA);

  if (self != NULL && msg == WM_GN_TRAY)
    {
      g_autoptr(GnTray) keep = g_object_ref (self->tray);  /* Quit may drop the last ref */

      switch (LOWORD (lparam))
        {
        case WM_LBUTTONUP:
          _gn_tray_emit_item (self->tray, GN_TRAY_ITEM_OPEN);
          break;
        case WM_RBUTTONUP:
        case WM_CONTEXTMENU:
          show_menu (self);
          break;
        case NIN_BALLOONUSERCLICK:
          _gn_tray_emit_item (self->tray, GN_TRAY_ITEM_MESSAGE);
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
start (Shell *self)
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

void
_gn_tray_backend_changed (GnTrayBackend *self,
                          GnTrayChanges  changes)
{
  /* Pause's state is read when the menu opens. */
  if (changes & (GN_TRAY_CHANGED_TITLE | GN_TRAY_CHANGED_STATE | GN_TRAY_CHANGED_ATTENTION))
    update_icon (self);
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
_gn_tray_backend_show_message (GnTrayBackend *self,
                               const char    *title,
                               const char    *body)
{
  NOTIFYICONDATAW nid;

  if (!self->tray->available)
    return FALSE;
  fill_icon_data (self, &nid);
  nid.uFlags = NIF_INFO;
  nid.dwInfoFlags = NIIF_INFO;
  copy_utf16 (nid.szInfoTitle, G_N_ELEMENTS (nid.szInfoTitle), title);
  copy_utf16 (nid.szInfo, G_N_ELEMENTS (nid.szInfo), body);
  return Shell_NotifyIconW (NIM_MODIFY, &nid) != FALSE;
}

void
_gn_tray_backend_free (GnTrayBackend *self)
{
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
  g_free (self);
}

GnTrayBackend *
_gn_tray_backend_new (GnTray *tray)
{
  Shell *self = g_new0 (Shell, 1);

  self->tray = tray;
  start (self);
  return self;
}
