/* gn-winproxy-watch.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Two worker threads that let GuardNest react to the world:
 *
 *  - the change watch: RegNotifyChangeKeyValue on the "Internet Settings" key
 *    (and its Connections subkey, through bWatchSubtree) so that a proxy change
 *    made by another program or by the user is noticed at once; the callback
 *    runs on the watch thread and must hand off to the caller's own thread.
 *  - the session window: a hidden TOP-LEVEL window. Windows sends
 *    WM_QUERYENDSESSION / WM_ENDSESSION only to top-level windows, never to
 *    message-only (HWND_MESSAGE) ones, so this is how a log-off or shutdown
 *    restores the proxy before the process is killed. The callback runs on
 *    the window's thread, synchronously, before we let the session end.
 *
 * Threading: start/stop from any one thread; callbacks on the worker threads.
 */
#include "gn-winproxy.h"

#include <stdlib.h>

#define SETTINGS_KEY L"Software\\Microsoft\\Windows\\CurrentVersion\\Internet Settings"
#define WINDOW_CLASS L"GuardNestSessionWindow"

struct _GnWpWatch {
  HKEY          key;
  HANDLE        changed;   /* auto-reset, signalled by the registry */
  HANDLE        stop;      /* manual-reset */
  HANDLE        thread;
  GnWpWatchFunc func;
  void         *user_data;
};

static DWORD WINAPI
watch_thread (void *data)
{
  GnWpWatch *watch = data;
  HANDLE handles[2] = { watch->stop, watch->changed };

  for (;;)
    {
      LONG rc = RegNotifyChangeKeyValue (watch->key, TRUE,
                                         REG_NOTIFY_CHANGE_NAME | REG_NOTIFY_CHANGE_LAST_SET,
                                         watch->changed, TRUE);
      if (rc != ERROR_SUCCESS)
        return (DWORD) rc;
      if (WaitForMultipleObjects (2, handles, FALSE, INFINITE) != WAIT_OBJECT_0 + 1)
        return 0;
      watch->func (watch->user_data);
    }
}

GnWpWatch *
gn_wp_watch_start (GnWpWatchFunc func, void *user_data, GnWpError *error)
{
  GnWpWatch *watch = calloc (1, sizeof *watch);
  LONG rc;

  if (watch == NULL)
    {
      gn_wp_set_error (error, ERROR_OUTOFMEMORY, L"Out of memory.");
      return NULL;
    }
  watch->func = func;
  watch->user_data = user_data;
  rc = RegCreateKeyExW (HKEY_CURRENT_USER, SETTINGS_KEY, 0, NULL, 0, KEY_NOTIFY, NULL,
                        &watch->key, NULL);
  if (rc != ERROR_SUCCESS)
    {
      free (watch);
      gn_wp_set_error (error, (DWORD) rc, L"Could not watch the proxy settings for changes "
                       L"(error %ld).", rc);
      return NULL;
    }
  watch->changed = CreateEventW (NULL, FALSE, FALSE, NULL);
  watch->stop = CreateEventW (NULL, TRUE, FALSE, NULL);
  if (watch->changed != NULL && watch->stop != NULL)
    watch->thread = CreateThread (NULL, 0, watch_thread, watch, 0, NULL);
  if (watch->thread == NULL)
    {
      DWORD code = GetLastError ();
      gn_wp_set_error (error, code, L"Could not start watching the proxy settings "
                       L"(error %lu).", code);
      gn_wp_watch_stop (watch);
      return NULL;
    }
  return watch;
}

void
gn_wp_watch_stop (GnWpWatch *watch)
{
  if (watch == NULL)
    return;
  if (watch->thread != NULL)
    {
      SetEvent (watch->stop);
      WaitForSingleObject (watch->thread, INFINITE);
      CloseHandle (watch->thread);
    }
  if (watch->changed != NULL)
    CloseHandle (watch->changed);
  if (watch->stop != NULL)
    CloseHandle (watch->stop);
  RegCloseKey (watch->key);
  free (watch);
}

struct _GnWpSessionWindow {
  HWND               hwnd;
  HANDLE             thread;
  HANDLE             ready;
  DWORD              error;
  BOOL               restored;
  GnWpEndSessionFunc func;
  GnWpEndSessionFunc cancelled;   /* (nullable) */
  void              *user_data;
};

static LRESULT CALLBACK
session_window_proc (HWND hwnd, UINT msg, WPARAM wparam, LPARAM lparam)
{
  GnWpSessionWindow *self = (GnWpSessionWindow *) GetWindowLongPtrW (hwnd, GWLP_USERDATA);

  switch (msg)
    {
    case WM_NCCREATE:
      {
        CREATESTRUCTW *cs = (CREATESTRUCTW *) lparam;
        SetWindowLongPtrW (hwnd, GWLP_USERDATA, (LONG_PTR) cs->lpCreateParams);
        break;
      }
    case WM_QUERYENDSESSION:
      /* Restore now: after this answer the process may be ended at any time. */
      if (self != NULL && !self->restored)
        {
          self->restored = TRUE;
          self->func (self->user_data);
        }
      return TRUE;
    case WM_ENDSESSION:
      if (wparam && self != NULL && !self->restored)
        {
          self->restored = TRUE;
          self->func (self->user_data);
        }
      else if (!wparam && self != NULL && self->restored)
        {
          /* The sign-out was cancelled (an app refused, or the user chose
           * to stay) after we restored: the caller re-applies, so GuardNest
           * never claims to protect while the OS proxy is the user's. */
          self->restored = FALSE;
          if (self->cancelled != NULL)
            self->cancelled (self->user_data);
        }
      return 0;
    case WM_CLOSE:
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
session_thread (void *data)
{
  GnWpSessionWindow *self = data;
  WNDCLASSEXW wc = { 0 };
  MSG msg;

  wc.cbSize = sizeof wc;
  wc.lpfnWndProc = session_window_proc;
  wc.hInstance = GetModuleHandleW (NULL);
  wc.lpszClassName = WINDOW_CLASS;
  if (!RegisterClassExW (&wc) && GetLastError () != ERROR_CLASS_ALREADY_EXISTS)
    {
      self->error = GetLastError ();
      SetEvent (self->ready);
      return self->error;
    }
  /* Top-level (no parent, not HWND_MESSAGE), never shown, not in the taskbar. */
  self->hwnd = CreateWindowExW (WS_EX_TOOLWINDOW, WINDOW_CLASS, L"GuardNest", WS_OVERLAPPED,
                                0, 0, 0, 0, NULL, NULL, wc.hInstance, self);
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

GnWpSessionWindow *
gn_wp_session_window_start (GnWpEndSessionFunc func, GnWpEndSessionFunc cancelled,
                            void *user_data, GnWpError *error)
{
  GnWpSessionWindow *self = calloc (1, sizeof *self);

  if (self == NULL)
    {
      gn_wp_set_error (error, ERROR_OUTOFMEMORY, L"Out of memory.");
      return NULL;
    }
  self->func = func;
  self->cancelled = cancelled;
  self->user_data = user_data;
  self->ready = CreateEventW (NULL, TRUE, FALSE, NULL);
  if (self->ready != NULL)
    self->thread = CreateThread (NULL, 0, session_thread, self, 0, NULL);
  if (self->thread == NULL)
    self->error = GetLastError ();
  else
    WaitForSingleObject (self->ready, INFINITE);
  if (self->hwnd == NULL)
    {
      gn_wp_set_error (error, self->error, L"Could not prepare to restore the proxy at "
                       L"log-off (error %lu).", self->error);
      gn_wp_session_window_stop (self);
      return NULL;
    }
  return self;
}

HWND
gn_wp_session_window_hwnd (GnWpSessionWindow *window)
{
  return window->hwnd;
}

void
gn_wp_session_window_stop (GnWpSessionWindow *window)
{
  if (window == NULL)
    return;
  if (window->thread != NULL)
    {
      if (window->hwnd != NULL)
        PostMessageW (window->hwnd, WM_CLOSE, 0, 0);
      WaitForSingleObject (window->thread, INFINITE);
      CloseHandle (window->thread);
    }
  if (window->ready != NULL)
    CloseHandle (window->ready);
  free (window);
}
