"""Draw the app's PNG icons (the home-screen icons of the installed app) without any
imaging library: a blue rounded square with a white "P", at 192 and 512 pixels, and a
maskable 512 whose mark keeps inside the safe zone. Run: python3 scripts/icons.py"""

from __future__ import annotations

import struct
import zlib
from pathlib import Path

BLUE = (29, 78, 216)
WHITE = (255, 255, 255)
OUT = Path(__file__).resolve().parents[1] / "public" / "icons"


def _inside_p(x: float, y: float) -> bool:
    """The letter P in a unit square: a stem and a bowl (a ring closed by the stem)."""
    stem = 0.30 <= x <= 0.44 and 0.16 <= y <= 0.82
    cx, cy = 0.52, 0.38
    r_out, r_in = 0.22, 0.09
    d2 = (x - cx) ** 2 + (y - cy) ** 2
    ring = r_in**2 <= d2 <= r_out**2 and x >= 0.44
    bars = 0.44 <= x <= 0.52 and (0.16 <= y <= 0.29 or 0.47 <= y <= 0.60)
    return stem or ring or bars


def _pixel(size: int, px: int, py: int, maskable: bool) -> tuple[int, int, int, int]:
    x, y = (px + 0.5) / size, (py + 0.5) / size
    if maskable:
        # Full bleed; the mark in the central 80 % (the safe zone of a maskable icon).
        mx, my = (x - 0.1) / 0.8, (y - 0.1) / 0.8
        inside = 0 <= mx <= 1 and 0 <= my <= 1 and _inside_p(mx, my)
        return (*(WHITE if inside else BLUE), 255)
    radius = 0.22
    dx = max(radius - x, 0.0, x - (1 - radius))
    dy = max(radius - y, 0.0, y - (1 - radius))
    if dx * dx + dy * dy > radius * radius:
        return (0, 0, 0, 0)
    return (*(WHITE if _inside_p(x, y) else BLUE), 255)


def png(size: int, maskable: bool = False) -> bytes:
    rows = b"".join(
        b"\x00" + bytes(c for px in range(size) for c in _pixel(size, px, py, maskable))
        for py in range(size)
    )

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    header = struct.pack(">IIBBBBB", size, size, 8, 6, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(rows, 9))
        + chunk(b"IEND", b"")
    )


if __name__ == "__main__":
    OUT.mkdir(parents=True, exist_ok=True)
    (OUT / "icon-192.png").write_bytes(png(192))
    (OUT / "icon-512.png").write_bytes(png(512))
    (OUT / "maskable-512.png").write_bytes(png(512, maskable=True))
