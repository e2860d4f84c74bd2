/* gn-winproxy-window.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * A hidden window on a thread of its own, with its own message loop: the
 * plumbing shared by the session window (gn-winproxy-watch.c), the quit
 * window and the single-instance window (src/platform/). The thread
 * registers the class (a class already registered by an earlier start is
 * fine: it is the same window procedure), creates the window, then pumps
 * messages until the window is destroyed. The caller's procedure sees every
 * message from WM_NCCREATE on, with its user_data; what it does not handle
 * it passes to DefWindowProcW (so WM_CLOSE destroys the window unless the
 * procedure answers it itself). Stop posts a private message that destroys
 * the window whatever the procedure does with WM_CLOSE.
 *
 * Threading: start, hwnd and stop from any one thread; the procedure runs
 * on the window's thread.
 */
#include "gn-winproxy.h"

#include <stdlib.h>

/* High in the WM_APP range, clear of the callers' own WM_APP + n. */
#define WM_GN_WP_STOP (WM_APP + 0x3F00)

struct _GnWpWindowThread {
  const wchar_t   *class_name;
  const wchar_t   *title;
  DWORD            ex_style;
  DWORD            style;
  HWND             parent;
  GnWpWindowProc   proc;
  void            *user_data;
  HWND             hwnd;
  HANDLE           thread;
  HANDLE           ready;
  DWORD            error;
};

static LRESULT CALLBACK
thread_window_proc (HWND hwnd, UINT msg, WPARAM wparam, LPARAM lparam)
{
  GnWpWindowThread *self = (GnWpWindowThread *) GetWindowLongPtrW (hwnd, GWLP_USERDATA);

  if (msg == WM_NCCREATE)
    {
      self = ((CREATESTRUCTW *) lparam)->lpCreateParams;
      SetWindowLongPtrW (hwnd, GWLP_USERDATA, (LONG_PTR) self);
    }
  /* Top-level windows get a few messages (WM_GETMINMAXINFO) before
   * WM_NCCREATE. */
  if (self == NULL)
    return DefWindowProcW (hwnd, msg, wparam, lparam);
  switch (msg)
    {
    case WM_GN_WP_STOP:
      DestroyWindow (hwnd);
      return 0;
    case WM_DESTROY:
      PostQuitMessage (0);
      break;
    default:
      break;
    }
  return self->proc (hwnd, msg, wparam, lparam, self->user_data);
}

static DWORD WINAPI
window_thread (void *data)
{
  GnWpWindowThread *self = data;
  WNDCLASSEXW wc = { 0 };
  MSG msg;

  wc.cbSize = sizeof wc;
  wc.lpfnWndProc = thread_window_proc;
  wc.hInstance = GetModuleHandleW (NULL);
  wc.lpszClassName = self->class_name;
  if (!RegisterClassExW (&wc) && GetLastError () != ERROR_CLASS_ALREADY_EXISTS)
    {
      self->error = GetLastError ();
      SetEvent (self->ready);
      return self->error;
    }
  self->hwnd = CreateWindowExW (self->ex_style, self->class_name, self->title, self->style,
                                0, 0, 0, 0, self->parent, NULL, wc.hInstance, self);
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

GnWpWindowThread *
gn_wp_window_thread_start (const wchar_t *class_name, const wchar_t *title, DWORD ex_style,
                           DWORD style, HWND parent, GnWpWindowProc proc, void *user_data,
                           DWORD *error)
{
  GnWpWindowThread *self = calloc (1, sizeof *self);
  DWORD code;

  if (self == NULL)
    {
      if (error != NULL)
        *error = ERROR_OUTOFMEMORY;
      return NULL;
    }
  self->class_name = class_name;
  self->title = title;
  self->ex_style = ex_style;
  self->style = style;
  self->parent = parent;
  self->proc = proc;
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
      code = self->error;
      gn_wp_window_thread_stop (self);
      if (error != NULL)
        *error = code;
      return NULL;
    }
  return self;
}

HWND
gn_wp_window_thread_hwnd (GnWpWindowThread *window)
{
  return window->hwnd;
}

void
gn_wp_window_thread_stop (GnWpWindowThread *window)
{
  if (window == NULL)
    return;
  if (window->thread != NULL)
    {
      if (window->hwnd != NULL)
        PostMessageW (window->hwnd, WM_GN_WP_STOP, 0, 0);
      WaitForSingleObject (window->thread, INFINITE);
      CloseHandle (window->thread);
    }
  if (window->ready != NULL)
    CloseHandle (window->ready);
  free (window);
}
