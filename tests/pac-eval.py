#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-3.0-or-later
#
# Evaluates a PAC script with pacparser (the PAC engine of Debian's
# python3-pacparser: SpiderMonkey with the standard PAC functions).
#   pac-eval.py PAC_FILE URL HOST [URL HOST]…  → one FindProxyForURL answer per line
import sys

import pacparser

pacparser.init()
pacparser.parse_pac_file(sys.argv[1])
args = sys.argv[2:]
for url, host in zip(args[0::2], args[1::2]):
    print(pacparser.find_proxy(url, host))
pacparser.cleanup()
