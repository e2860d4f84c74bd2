#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""make-ico.py OUT.ico IN.png...: packs PNG images into one Windows .ico.

Each PNG is stored as it is (PNG entries: Windows Vista and later), so the
icon is made at build time from the app's SVG (rsvg-convert → PNGs → this)
and no generated image is kept in the repository.
"""
import struct
import sys


def png_size(data):
    if data[:8] != b"\x89PNG\r\n\x1a\n":
        raise SystemExit("make-ico.py: not a PNG")
    return struct.unpack(">II", data[16:24])


def main(argv):
    out, pngs = argv[1], [open(p, "rb").read() for p in argv[2:]]
    header = struct.pack("<HHH", 0, 1, len(pngs))
    offset = 6 + 16 * len(pngs)
    entries, blobs = b"", b""
    for data in pngs:
        w, h = png_size(data)
        entries += struct.pack("<BBBBHHII", w % 256, h % 256, 0, 0, 1, 32,
                               len(data), offset + len(blobs))
        blobs += data
    with open(out, "wb") as f:
        f.write(header + entries + blobs)


if __name__ == "__main__":
    main(sys.argv)
