"""Tiny images for the garage map's tests: a real PNG (zlib and struct), and JPEG, WebP, GIF
and SVG files as far as their first bytes go, which is what the database reads."""

from __future__ import annotations

import struct
import zlib

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
MIB = 1024 * 1024


def _chunk(kind: bytes, data: bytes) -> bytes:
    crc = zlib.crc32(kind + data) & 0xFFFFFFFF
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", crc)


def png(width: int = 4, height: int = 3, rgb: tuple[int, int, int] = (200, 200, 200)) -> bytes:
    """A valid PNG of one colour (8-bit RGB)."""
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    row = b"\x00" + bytes(rgb) * width
    return (
        PNG_SIGNATURE
        + _chunk(b"IHDR", header)
        + _chunk(b"IDAT", zlib.compress(row * height))
        + _chunk(b"IEND", b"")
    )


def png_of_size(total: int) -> bytes:
    """A PNG padded to exactly `total` bytes with an ancillary chunk before its end."""
    base = png()
    padding = total - len(base) - 12
    assert padding >= 0
    end = _chunk(b"IEND", b"")
    return base[: -len(end)] + _chunk(b"tEXt", b"c\x00" + b"x" * (padding - 2)) + end


def jpeg() -> bytes:
    return b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00\xff\xd9"


def webp() -> bytes:
    payload = b"WEBPVP8L" + struct.pack("<I", 5) + b"\x2f\x00\x00\x00\x00"
    return b"RIFF" + struct.pack("<I", len(payload)) + payload


GIF = b"GIF89a\x01\x00\x01\x00\x00\x00\x00;"
SVG = b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>'
