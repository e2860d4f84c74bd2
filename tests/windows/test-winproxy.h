/* test-winproxy.h
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * What the two files of test-winproxy.exe share: the TAP check macro, the
 * journal and repair-tool paths, reading the user-visible state (registry
 * values, parsed blob, WinINet) and writing the starting states. The
 * round trips and per-key tests are in test-winproxy.c, the repair paths
 * (no usable journal, another user, the message box, a cancelled sign-out,
 * the adapter's turn-off) in test-winproxy-repair.c.
 *
 * Threading: tests run one after another on the main thread.
 */
#pragma once

#include "gn-winproxy.h"

#include <wininet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <wchar.h>

#define OUR_PORT 3000u
#define CORP_SERVER L"corp-proxy.example:8080"
#define CORP_BYPASS L"*.corp.example;intranet;<local>"
#define CORP_PAC L"http://wpad.corp.example/proxy.pac"
#define OUR_PAC L"http://127.0.0.1:3000/proxy.pac"
#define SETTINGS_KEY L"Software\\Microsoft\\Windows\\CurrentVersion\\Internet Settings"

extern wchar_t journal_path[MAX_PATH];
extern wchar_t repair_tool[MAX_PATH];
extern BOOL test_failed;

#define CHECK(cond)                                                             \
  do {                                                                          \
    if (!(cond))                                                                \
      {                                                                         \
        printf ("# %s:%d: check failed: %s\n", __FILE__, __LINE__, #cond);      \
        test_failed = TRUE;                                                     \
        return;                                                                 \
      }                                                                         \
  } while (0)

typedef struct {
  GnWpRegistryValues values;
  BOOL   have_blob;
  GnWpBlob blob;         /* points into raw */
  BYTE  *raw;
  DWORD  raw_len;
  DWORD  wininet_flags;
  wchar_t *wininet_server;
} State;

typedef enum { START_NONE, START_MANUAL, START_PAC } Start;

void     state_read        (State *s);
void     state_clear       (State *s);
BOOL     str_eq            (const wchar_t *a, const wchar_t *b);
BOOL     bytes_eq          (const char *a, DWORD al, const char *b, DWORD bl);
BOOL     blob_str_eq       (const char *s, DWORD len, const char *expected);
BOOL     state_equal       (const State *a, const State *b);
void     state_print       (const char *label, const State *s);
void     write_start_blob  (DWORD flags, const char *server, const char *bypass, const char *pac);
void     set_start         (Start start, const wchar_t *manual_server);
void     log_to_tap        (const wchar_t *message, void *user_data);
void     set_reg_string    (const wchar_t *name, const wchar_t *value);
unsigned loopback_listener (SOCKET *out);

/* test-winproxy-repair.c */
void test_session_window_cancelled (void);
void test_repair_missing_dead      (void);
void test_repair_missing_live      (void);
void test_repair_damaged_dead      (void);
void test_repair_damaged_live      (void);
void test_user_check               (void);
void test_message_box              (void);
void test_adapter_turn_off         (void);
void test_adapter_turn_off_kept    (void);
/* --session-message query|cancel|end, for the shell checks. */
int  session_message               (const wchar_t *what);
