#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""xwd-to-png.py IN.xwd OUT.png: a 24/32-bit colour `xwd -root` dump as
PNG, with the standard library only (Xvfb screenshots of the window under
Wine, without ImageMagick)."""
import struct
import sys
import zlib


def main(src, dst):
    data = open(src, "rb").read()
    h = struct.unpack(">25I", data[:100])
    header_size, width, height = h[0], h[4], h[5]
    byte_order, bpp, bpl, ncolors = h[7], h[11], h[12], h[19]
    masks = h[14:17]
    # bits_per_pixel may say 24 for 4-byte pixels (seen under Wine on Xvfb):
    # the line length tells the real pixel size.
    step = bpl // width
    if step not in (3, 4) or bpp not in (24, 32):
        raise SystemExit("xwd-to-png.py: 24/32-bit TrueColor only (header %r)" % (h,))
    pixels = data[header_size + 12 * ncolors:]
    shifts = [(m & -m).bit_length() - 1 for m in masks]
    rows = []
    little = byte_order == 0
    for y in range(height):
        row = bytearray(b"\0")
        line = pixels[y * bpl:y * bpl + step * width]
        for x in range(width):
            v = int.from_bytes(line[x * step:x * step + step], "little" if little else "big")
            row += bytes(((v & masks[i]) >> shifts[i]) & 0xff for i in range(3))
        rows.append(bytes(row))

    def chunk(kind, body):
        return (struct.pack(">I", len(body)) + kind + body +
                struct.pack(">I", zlib.crc32(kind + body) & 0xffffffff))

    png = b"\x89PNG\r\n\x1a\n"
    png += chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
    png += chunk(b"IDAT", zlib.compress(b"".join(rows), 9))
    png += chunk(b"IEND", b"")
    open(dst, "wb").write(png)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
