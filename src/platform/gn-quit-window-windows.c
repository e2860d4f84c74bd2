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
 * thread (gn_wp_window_thread_start) and must only hand off
 * (g_main_context_invoke and the like).
 */

#include "gn-winproxy.h"   /* windows.h first (winsock2.h), the window thread */

#include "gn-quit-window-windows.h"

struct _GnQuitWindow
{
  GnWpWindowThread *window;
  GnQuitWindowFunc  func;
  gpointer          user_data;
};

static LRESULT
window_proc (HWND     hwnd,
             UINT     msg,
             WPARAM   wparam,
             LPARAM   lparam,
             gpointer data)
{
  GnQuitWindow *self = data;

  if (msg == WM_CLOSE)
    {
      /* Not DestroyWindow: the window stays until the process has quit, so
       * a second WM_CLOSE (a repeated request) still finds it; stop
       * destroys it with the helper's own message. */
      self->func (self->user_data);
      return 0;
    }
  return DefWindowProcW (hwnd, msg, wparam, lparam);
}

GnQuitWindow *
gn_quit_window_start (GnQuitWindowFunc func,
                      gpointer         user_data)
{
  GnQuitWindow *self = g_new0 (GnQuitWindow, 1);
  DWORD error = 0;

  self->func = func;
  self->user_data = user_data;
  /* Top-level (FindWindow and taskkill must see it), never shown, not in
   * the taskbar. */
  self->window = gn_wp_window_thread_start (GN_QUIT_WINDOW_CLASS, L"GuardNest",
                                            WS_EX_TOOLWINDOW, WS_OVERLAPPED, NULL,
                                            window_proc, self, &error);
  if (self->window == NULL)
    {
      g_message ("Other programs (the installer, taskkill) cannot ask GuardNest to quit "
                 "(error %lu).", (unsigned long) error);
      g_free (self);
      return NULL;
    }
  return self;
}

void
gn_quit_window_stop (GnQuitWindow *self)
{
  if (self == NULL)
    return;
  gn_wp_window_thread_stop (self->window);
  g_free (self);
}
