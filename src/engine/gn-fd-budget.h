/* gn-fd-budget.h
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The file-descriptor budget: the engine raises the process's soft limit
 * on open files to the hard limit when it starts (a no-op where there is no
 * such limit), and sizes its connection limits to what is left, so that a
 * low limit (`ulimit -n 256`) means "503 + Retry-After past 105
 * connections", not accept() failing in a loop. A spare descriptor kept
 * open lets the listener still answer 503 when accept() does hit the limit
 * (close the spare, accept, answer, close, open the spare again).
 *
 * Threading: any thread; gn_fd_budget_raise_limit() changes process-wide
 * state and is meant for the engine thread.
 */

#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* Descriptors kept free of connections for the engine itself (its
 * contexts' wake-up fds, the resolver, blocklist files, the spare). */
#define GN_FD_BUDGET_RESERVE 32
/* Each counted connection holds two: the client's and the origin's. */
#define GN_FD_BUDGET_PER_CONNECTION 2

/* Raises the soft RLIMIT_NOFILE to the hard limit (Unix). Returns the soft
 * limit in force afterwards, or G_MAXUINT where there is none. */
guint    gn_fd_budget_raise_limit      (void);

/* The connections @fd_limit allows: at most @configured counted ones, the
 * rest of the budget after the reserve shared between counted connections
 * (two descriptors each) and the short-lived ones answering 503 (one each,
 * at most @max_rejecting_cap), whose share is stored in @max_rejecting. */
guint    gn_fd_budget_max_connections  (guint  fd_limit,
                                        guint  configured,
                                        guint  max_rejecting_cap,
                                        guint *max_rejecting);

/* Pipes one worker may hold open for zero-copy tunnels (gn-splice.h; two
 * descriptors each), from the soft limit in force now: none below 1,024
 * descriptors (the reserve is for the engine itself), a few up to 16,384,
 * more above. */
guint    gn_fd_budget_max_pipes_per_worker (void);

/* A spare descriptor (/dev/null), or -1 where it is not needed or could
 * not be opened. */
int      gn_fd_budget_open_spare       (void);
void     gn_fd_budget_close_spare      (int   *fd);

G_END_DECLS
