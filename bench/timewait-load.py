#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-3.0-or-later
#
# The load behind the "app-name lookups" figures in bench/README.md: a running
# `guardnest --headless --port PORT` (pid PID) gets SHORT short connections
# (each sends one plain-HTTP GET for a closed local port, reads the 502 and
# closes first, so the TCP table fills with TIME_WAIT rows), then HELD
# connections that stay open for WINDOW seconds. Prints the proxy's CPU time
# (user + system, from /proc/PID/stat) in each phase. Never a pass/fail test.
#
# Usage: timewait-load.py PORT PID [SHORT] [HELD] [WINDOW]

import os
import socket
import sys
import time

port, pid = int(sys.argv[1]), int(sys.argv[2])
n_short = int(sys.argv[3]) if len(sys.argv) > 3 else 20000
n_held = int(sys.argv[4]) if len(sys.argv) > 4 else 400
window = float(sys.argv[5]) if len(sys.argv) > 5 else 10.0
tick = os.sysconf('SC_CLK_TCK')


def cpu():
    with open(f'/proc/{pid}/stat') as f:
        fields = f.read().rsplit(')', 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / tick


def timewait_rows():
    n = 0
    for path in ('/proc/net/tcp', '/proc/net/tcp6'):
        with open(path) as f:
            n += sum(1 for line in f if line.split()[3:4] == ['06'])
    return n


request = b'GET http://127.0.0.1:9/ HTTP/1.1\r\nHost: 127.0.0.1:9\r\nConnection: close\r\n\r\n'
c0, t0 = cpu(), time.monotonic()
for i in range(n_short):
    s = socket.create_connection(('127.0.0.1', port))
    s.sendall(request)
    s.recv(4096)
    s.close()
c1, t1 = cpu(), time.monotonic()
print(f'{n_short} short connections: {t1 - t0:.1f} s wall, proxy CPU {c1 - c0:.2f} s; '
      f'TIME_WAIT rows now {timewait_rows()}')

held = [socket.create_connection(('127.0.0.1', port)) for _ in range(n_held)]
for s in held:
    s.sendall(b'GET http://127.0.0.1:9/ HTTP/1.1\r\n')   # an unfinished head: stays open
c2 = cpu()
per_second = []
for _ in range(int(window)):
    a = cpu()
    time.sleep(1)
    per_second.append(cpu() - a)
print(f'{n_held} held connections: proxy CPU {cpu() - c2:.2f} s over {window:.0f} s; '
      'per second: ' + ' '.join(f'{x:.2f}' for x in per_second))
for s in held:
    s.close()
