"""CSV answers streamed from one query: RFC 4180 (quoted by the csv module, CRLF line ends),
UTF-8, a header row of the query's column names, sent in chunks while a server-side cursor
reads the rows in one read-only, repeatable-read transaction (parkshare.store.db.snapshot).

The query is run and its first rows fetched before the answer starts, so whatever the
database refuses (not an admin, a bad window) is still a problem+json and never a cut-off
file; after that the transaction stays open for as long as the client reads.
"""

from __future__ import annotations

import csv
import io
from collections.abc import AsyncGenerator, AsyncIterator, Mapping, Sequence
from typing import Any

from psycopg.rows import tuple_row
from starlette.responses import StreamingResponse
from starlette.types import Receive, Scope, Send

from parkshare.store import db
from parkshare.tokens import Principal

MEDIA_TYPE = "text/csv; charset=utf-8"
# Rows per fetch from the cursor and per chunk of the body: a few tens of kilobytes.
CHUNK_ROWS = 500


def _text(rows: Sequence[Sequence[Any]]) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerows(rows)
    return buffer.getvalue().encode("utf-8")


async def _chunks(
    principal: Principal, query: str, params: Mapping[str, Any]
) -> AsyncGenerator[bytes]:
    async with db.snapshot(principal.building_id, principal.user_id) as conn:
        cursor = conn.cursor("export", row_factory=tuple_row)
        await cursor.execute(query, params)
        rows = await cursor.fetchmany(CHUNK_ROWS)
        header = [column.name for column in cursor.description or ()]
        yield _text([header, *rows])
        while len(rows) == CHUNK_ROWS:
            rows = await cursor.fetchmany(CHUNK_ROWS)
            if rows:
                yield _text(rows)


class _Stream(StreamingResponse):
    """The first chunk, then the rest; the rest is closed when the answer ends, however it
    ends (a client gone mid-file included), so the transaction ends and its connection goes
    back to the pool at once rather than when the generator is collected."""

    def __init__(self, first: bytes, rest: AsyncGenerator[bytes], **kwargs: Any) -> None:
        self._rest = rest
        super().__init__(_joined(first, rest), **kwargs)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        try:
            await super().__call__(scope, receive, send)
        finally:
            await self._rest.aclose()


async def _joined(first: bytes, rest: AsyncIterator[bytes]) -> AsyncIterator[bytes]:
    yield first
    async for chunk in rest:
        yield chunk


async def csv_answer(
    principal: Principal, query: str, params: Mapping[str, Any], filename: str
) -> StreamingResponse:
    """The rows of `query` as a CSV attachment named `filename`, streamed."""
    chunks = _chunks(principal, query, params)
    # Raised here (the generator then is done, its transaction rolled back): a problem answer.
    first = await anext(chunks)
    return _Stream(
        first,
        chunks,
        media_type=MEDIA_TYPE,
        headers={
            "Content-Disposition": f'attachment; filename="{filename}"',
            "Cache-Control": "no-store",
        },
    )
