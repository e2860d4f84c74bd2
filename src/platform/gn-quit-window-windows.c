/* gn-quit-window-windows.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * A hidden top-level window of class GN_QUIT_WINDOW_CLASS that every running
 * GuardNest (the window and --headless alike, protection on or off) keeps
 * for its whole life. WM_CLOSE to it asks GuardNest to quit the way its own
 * Quit does: the system proxy settings put back, connections drained, the
 * process gone. Who sends it: the installer and the uninstaller, before
 * they replace or remove files a running guardnest.exe keeps open (they
 * find the window with FindWindow, send WM_CLOSE, then wait for the
 * process); and `taskkill /IM guardnest.exe` without /F, which posts
 * WM_CLOSE to every top-level window of the process.
 *
 * Top-level, never shown, WS_EX_TOOLWINDOW (no taskbar button): a
 * message-only window (HWND_MESSAGE) would be invisible to FindWindow and
 * to taskkill. It runs its own thread with its own message loop, so it
 * answers even while the main thread is busy and in a program (headless)
 * whose main loop pumps no window messages.
 *
 * Threading: start/stop from one thread; the callback runs on the window's
 * thread and must only hand off (g_main_context_invoke and the like).
 */

#include <windows.h>

#include "gn-quit-window-windows.h"

#define WM_GN_STOP (WM_APP + 1)

struct _GnQuitWindow
{
  HWND             hwnd;
  HANDLE           thread;
  HANDLE           ready;
  DWORD            error;
  GnQuitWindowFunc func;
  gpointer         user_data;
};

static LRESULT CALLBACK
window_proc (HWND   hwnd,
             UINT   msg,
             WPARAM wparam,
             LPARAM lparam)
{
  GnQuitWindow *self = (GnQuitWindow *) GetWindowLongPtrW (hwnd, GWLP_USERDATA);

  switch (msg)
    {
    case WM_NCCREATE:
      {
        CREATESTRUCTW *cs = (CREATESTRUCTW *) lparam;

        SetWindowLongPtrW (hwnd, GWLP_USERDATA, (LONG_PTR) cs->lpCreateParams);
        break;
      }
    case WM_CLOSE:
      /* Not DestroyWindow: the window stays until the process has quit, so
       * a second WM_CLOSE (a repeated request) still finds it. */
      if (self != NULL)
        self->func (self->user_data);
      return 0;
    case WM_GN_STOP:
      DestroyWindow (hwnd);
      return 0;
    case WM_DESTROY:
      PostQuitMessage (0);
      return 0;
    default:
      break;
    }
  return DefWindowProcW (hwnd, msg, wparam, lparam);
}

static DWORD WINAPI
window_thread (void *data)
{
  GnQuitWindow *self = data;
  WNDCLASSEXW wc = { 0 };
  MSG msg;

  wc.cbSize = sizeof wc;
  wc.lpfnWndProc = window_proc;
  wc.hInstance = GetModuleHandleW (NULL);
  wc.lpszClassName = GN_QUIT_WINDOW_CLASS;
  if (!RegisterClassExW (&wc) && GetLastError () != ERROR_CLASS_ALREADY_EXISTS)
    {
      self->error = GetLastError ();
      SetEvent (self->ready);
      return self->error;
    }
  self->hwnd = CreateWindowExW (WS_EX_TOOLWINDOW, GN_QUIT_WINDOW_CLASS, L"GuardNest",
                                WS_OVERLAPPED, 0, 0, 0, 0, NULL, NULL, wc.hInstance, self);
  if (self->hwnd == NULL)
    self->error = GetLastError ();
  SetEvent (self->ready);
  if (self->hwnd == NULL)
    return self->error;
  while (GetMessageW (&msg, NULL, 0, 0) > 0)
    {
      TranslateMessage (&msg);
      DispatchMessageW (&msg);
    }
  return 0;
}

GnQuitWindow *
gn_quit_window_start (GnQuitWindowFunc func,
                      gpointer         user_data)
{
  GnQuitWindow *self = g_new0 (GnQuitWindow, 1);

  self->func = func;
  self->user_data = user_data;
  self->ready = CreateEventW (NULL, TRUE, FALSE, NULL);
  if (self->ready != NULL)
    self->thread = CreateThread (NULL, 0, window_thread, self, 0, NULL);
  if (self->thread == NULL)
    self->error = GetLastError ();
  else
    WaitForSingleObject (self->ready, INFINITE);
  if (self->hwnd == NULL)
    {
      g_message ("Other programs (the installer, taskkill) cannot ask GuardNest to quit "
                 "(error %lu).", (unsigned long) self->error);
      gn_quit_window_stop (self);
      return NULL;
    }
  return self;
}

void
gn_quit_window_stop (GnQuitWindow *self)
{
  if (self == NULL)
    return;
  if (self->thread != NULL)
    {
      if (self->hwnd != NULL)
        PostMessageW (self->hwnd, WM_GN_STOP, 0, 0);
      WaitForSingleObject (self->thread, INFINITE);
      CloseHandle (self->thread);
    }
  if (self->ready != NULL)
    CloseHandle (self->ready);
  g_free (self);
}
