#!/usr/bin/env python3
# check-potfiles.py
#
# SPDX-License-Identifier: GPL-3.0-or-later
#
# Keeps po/POTFILES.in honest when files move: every C file or header under
# src/ that marks strings for translation (_(), N_(), C_(), NC_(), Q_(),
# ngettext()) and every .ui file under data/ with translatable="yes" must be
# listed; every listed file must exist; the list must be sorted (C locale).
#
# Usage: check-potfiles.py SOURCE_ROOT     (exit status 0 when all is well)

import os
import re
import sys

MARK = re.compile(r'(?<![A-Za-z0-9_])(?:N|C|NC|Q)?_\(|(?<![A-Za-z0-9_])ngettext\s*\(')
COMMENT = re.compile(r'/\*.*?\*/|//[^\n]*', re.S)


def c_marks_strings(path):
    with open(path, encoding='utf-8', errors='replace') as f:
        return MARK.search(COMMENT.sub('', f.read())) is not None


def ui_marks_strings(path):
    with open(path, encoding='utf-8', errors='replace') as f:
        return 'translatable="yes"' in f.read()


def main():
    root = sys.argv[1] if len(sys.argv) > 1 else os.getcwd()
    potfiles = os.path.join(root, 'po', 'POTFILES.in')
    with open(potfiles, encoding='utf-8') as f:
        listed = [line.strip() for line in f
                  if line.strip() and not line.lstrip().startswith('#')]

    problems = []

    for name in listed:
        if not os.path.isfile(os.path.join(root, name)):
            problems.append(f'{name}: listed in po/POTFILES.in but does not exist')

    wanted = []
    for top, exts, marks in (('src', ('.c', '.h'), c_marks_strings),
                             ('data', ('.ui',), ui_marks_strings)):
        for dirpath, dirnames, filenames in os.walk(os.path.join(root, top)):
            dirnames.sort()
            for filename in sorted(filenames):
                if filename.endswith(exts):
                    path = os.path.join(dirpath, filename)
                    if marks(path):
                        wanted.append(os.path.relpath(path, root).replace(os.sep, '/'))

    for name in wanted:
        if name not in listed:
            problems.append(f'{name}: has translatable strings but is missing from po/POTFILES.in')

    ordered = sorted(listed, key=lambda s: s.encode('utf-8'))
    if listed != ordered:
        for a, b in zip(listed, ordered):
            if a != b:
                problems.append(f'po/POTFILES.in is not sorted: {b} should come before {a}')
                break

    for p in problems:
        print(p)
    if not problems:
        print(f'po/POTFILES.in: {len(listed)} files, all present and sorted; '
              f'{len(wanted)} files with translatable strings, all listed')
    return 1 if problems else 0


if __name__ == '__main__':
    sys.exit(main())
