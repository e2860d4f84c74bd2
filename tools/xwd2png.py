#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-3.0-or-later
#
# xwd2png.py OUT.png [X,Y,W,H] < screen.xwd: a 24/32-bit ZPixmap xwd dump
# (xwd -root) to PNG, optionally cropped, with the standard library only.
import sys, struct, zlib
data = sys.stdin.buffer.read()
h = struct.unpack('>25I', data[:100])
header_size, version, fmt, depth, width, height, xoff, byte_order, unit, bit_order, pad, bpp, bpl, visual_class, rmask, gmask, bmask, bits_rgb, cmap_entries, ncolors, ww, wh, wx, wy, border = h
off = header_size + ncolors * 12
px = data[off:]
crop = [int(x) for x in sys.argv[2].split(',')] if len(sys.argv) > 2 else [0, 0, width, height]
x0, y0, cw, ch = crop
rows = []
def shift(m):
    s = 0
    while m and not (m & 1): m >>= 1; s += 1
    return s
rs, gs, bs = shift(rmask), shift(gmask), shift(bmask)
for y in range(y0, y0 + ch):
    line = px[y * bpl:(y + 1) * bpl]
    out = bytearray(b'\x00')
    for x in range(x0, x0 + cw):
        v = struct.unpack('<I' if byte_order == 0 else '>I', line[x * 4:x * 4 + 4])[0]
        out += bytes(((v & rmask) >> rs, (v & gmask) >> gs, (v & bmask) >> bs))
    rows.append(bytes(out))
def chunk(t, d):
    c = struct.pack('>I', len(d)) + t + d
    return c + struct.pack('>I', zlib.crc32(t + d) & 0xffffffff)
png = b'\x89PNG\r\n\x1a\n' + chunk(b'IHDR', struct.pack('>IIBBBBB', cw, ch, 8, 2, 0, 0, 0)) + chunk(b'IDAT', zlib.compress(b''.join(rows), 9)) + chunk(b'IEND', b'')
open(sys.argv[1], 'wb').write(png)
