"""Named SQL blocks, loaded once from `sql/queries/<module>.sql`.

A block starts with a line `-- name: <name>` and runs to the next such line. Python never
builds SQL from strings; it only picks a block by name and passes parameters.
"""

from __future__ import annotations

import re
from functools import cache

from parkshare.paths import sql_dir

_NAME = re.compile(r"^--\s*name:\s*([a-z_][a-z0-9_]*)\s*$", re.MULTILINE)


@cache
def load(module: str) -> dict[str, str]:
    text = (sql_dir() / "queries" / f"{module}.sql").read_text(encoding="utf-8")
    parts = _NAME.split(text)
    blocks = {name: body.strip() for name, body in zip(parts[1::2], parts[2::2], strict=True)}
    if not blocks:
        raise ValueError(f"sql/queries/{module}.sql has no named block")
    return blocks
