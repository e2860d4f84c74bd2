/* gn-fd-budget.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The file-descriptor budget (see gn-fd-budget.h). The only file of the
 * engine that knows about RLIMIT_NOFILE; elsewhere (Windows, where sockets
 * are not counted against a descriptor limit) it raises nothing, reports no
 * limit and keeps no spare.
 *
 * Threading: any thread (the limit is process-wide).
 */

#include "gn-fd-budget.h"

#ifdef G_OS_UNIX
#include <fcntl.h>
#include <sys/resource.h>
#include <unistd.h>
#endif

guint
gn_fd_budget_raise_limit (void)
{
#ifdef G_OS_UNIX
  struct rlimit limit;

  if (getrlimit (RLIMIT_NOFILE, &limit) != 0)
    return G_MAXUINT;
  if (limit.rlim_cur != limit.rlim_max)
    {
      struct rlimit raised = { limit.rlim_max, limit.rlim_max };

      if (setrlimit (RLIMIT_NOFILE, &raised) == 0)
        limit = raised;
    }
  if (limit.rlim_cur == RLIM_INFINITY || limit.rlim_cur >= G_MAXUINT)
    return G_MAXUINT;
  return (guint) limit.rlim_cur;
#else
  return G_MAXUINT;
#endif
}

guint
gn_fd_budget_max_connections (guint  fd_limit,
                              guint  configured,
                              guint  max_rejecting_cap,
                              guint *max_rejecting)
{
  guint usable;
  guint rejecting;
  guint counted;

  if (fd_limit == G_MAXUINT ||
      (guint64) configured * GN_FD_BUDGET_PER_CONNECTION + max_rejecting_cap + GN_FD_BUDGET_RESERVE <= fd_limit)
    {
      *max_rejecting = max_rejecting_cap;
      return configured;
    }

  usable = fd_limit > GN_FD_BUDGET_RESERVE ? fd_limit - GN_FD_BUDGET_RESERVE : 0;
  /* A sixteenth for the 503 answers, at least a few. */
  rejecting = CLAMP (usable / 16, 4, max_rejecting_cap);
  counted = usable > rejecting ? (usable - rejecting) / GN_FD_BUDGET_PER_CONNECTION : 0;
  *max_rejecting = rejecting;
  return CLAMP (counted, 1, configured);
}

guint
gn_fd_budget_max_pipes_per_worker (void)
{
#ifdef G_OS_UNIX
  struct rlimit limit;

  if (getrlimit (RLIMIT_NOFILE, &limit) != 0 || limit.rlim_cur < 1024)
    return 0;
  if (limit.rlim_cur != RLIM_INFINITY && limit.rlim_cur < 16384)
    return 4;
  return 16;
#else
  return 0;
#endif
}

int
gn_fd_budget_open_spare (void)
{
#ifdef G_OS_UNIX
  return open ("/dev/null", O_RDONLY | O_CLOEXEC);
#else
  return -1;
#endif
}

void
gn_fd_budget_close_spare (int *fd)
{
#ifdef G_OS_UNIX
  if (*fd >= 0)
    close (*fd);
#endif
  *fd = -1;
}
