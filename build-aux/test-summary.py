#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-3.0-or-later
#
# Prints the counts of each build directory given, then one closing line for
# the whole run, "tests: N passed, N failed", from the testlog.json files
# meson wrote there (a missing file is an error: that build did not test).
import json
import sys

passed = failed = skipped = 0
for builddir in sys.argv[1:]:
    counts = [0, 0, 0]  # passed, failed, skipped in this build
    with open(f"{builddir}/meson-logs/testlog.json", encoding="utf-8") as log:
        for line in log:
            result = json.loads(line).get("result")
            if result in ("OK", "EXPECTEDFAIL"):
                counts[0] += 1
            elif result == "SKIP":
                counts[2] += 1
            else:
                counts[1] += 1
    print(f"  {builddir}: {counts[0]} passed, {counts[1]} failed, {counts[2]} skipped")
    passed += counts[0]
    failed += counts[1]
    skipped += counts[2]

line = f"tests: {passed} passed, {failed} failed"
if skipped:
    line += f", {skipped} skipped"
print(line)
sys.exit(1 if failed or passed == 0 else 0)
