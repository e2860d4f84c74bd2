#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-3.0-or-later
#
# Prints one closing line for the whole run, "tests: N passed, N failed",
# from the testlog.json files meson wrote in each build directory given.
import json
import sys

passed = failed = skipped = 0
for builddir in sys.argv[1:]:
    with open(f"{builddir}/meson-logs/testlog.json", encoding="utf-8") as log:
        for line in log:
            result = json.loads(line).get("result")
            if result in ("OK", "EXPECTEDFAIL"):
                passed += 1
            elif result == "SKIP":
                skipped += 1
            else:
                failed += 1

line = f"tests: {passed} passed, {failed} failed"
if skipped:
    line += f", {skipped} skipped"
print(line)
sys.exit(1 if failed or passed == 0 else 0)
