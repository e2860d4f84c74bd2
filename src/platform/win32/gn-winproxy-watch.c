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
  GnWpWindowThread  *window;
  BOOL               restored;
  GnWpEndSessionFunc func;
  GnWpEndSessionFunc cancelled;   /* (nullable) */
  void              *user_data;
};

static LRESULT
session_window_proc (HWND hwnd, UINT msg, WPARAM wparam, LPARAM lparam, void *data)
{
  GnWpSessionWindow *self = data;

  switch (msg)
    {
    case WM_QUERYENDSESSION:
      /* Restore now: after this answer the process may be ended at any time. */
      if (!self->restored)
        {
          self->restored = TRUE;
          self->func (self->user_data);
        }
      return TRUE;
    case WM_ENDSESSION:
      if (wparam && !self->restored)
        {
          self->restored = TRUE;
          self->func (self->user_data);
        }
      else if (!wparam && self->restored)
        {
          /* The sign-out was cancelled (an app refused, or the user chose
           * to stay) after we restored: the caller re-applies, so GuardNest
           * never claims to protect while the OS proxy is the user's. */
          self->restored = FALSE;
          if (self->cancelled != NULL)
            self->cancelled (self->user_data);
        }
      return 0;
    default:
      break;
    }
  return DefWindowProcW (hwnd, msg, wparam, lparam);
}

GnWpSessionWindow *
gn_wp_session_window_start (GnWpEndSessionFunc func, GnWpEndSessionFunc cancelled,
                            void *user_data, GnWpError *error)
{
  GnWpSessionWindow *self = calloc (1, sizeof *self);
  DWORD code = 0;

  if (self == NULL)
    {
      gn_wp_set_error (error, ERROR_OUTOFMEMORY, L"Out of memory.");
      return NULL;
    }
  self->func = func;
  self->cancelled = cancelled;
  self->user_data = user_data;
  /* Top-level (no parent, not HWND_MESSAGE), never shown, not in the taskbar. */
  self->window = gn_wp_window_thread_start (WINDOW_CLASS, L"GuardNest", WS_EX_TOOLWINDOW,
                                            WS_OVERLAPPED, NULL, session_window_proc, self,
                                            &code);
  if (self->window == NULL)
    {
      gn_wp_set_error (error, code, L"Could not prepare to restore the proxy at "
                       L"log-off (error %lu).", code);
      free (self);
      return NULL;
    }
  return self;
}

HWND
gn_wp_session_window_hwnd (GnWpSessionWindow *window)
{
  return gn_wp_window_thread_hwnd (window->window);
}

void
gn_wp_session_window_stop (GnWpSessionWindow *window)
{
  if (window == NULL)
    return;
  gn_wp_window_thread_stop (window->window);
  free (window);
}
