"""Staging: a batch's rows COPYed into a private table, where the gate checks them.

Nothing in `stage` is visible to the marts; a batch reaches `raw` only by `publish`.
COPY streams each chunk as it is read, so memory stays flat however long the file.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Iterable

import psycopg
import pyarrow as pa
import pyarrow.csv as pa_csv
from psycopg import sql

from cityops.contracts import Contract
from cityops.extract.reader import Chunk
from cityops.load.checkpoints import reached

SENDER_QUEUE = 2  # chunks (about 1.5 MiB of CSV each) waiting for the COPY thread


def stage_name(dataset: str, batch_id: str) -> str:
    """The batch's table name: in `stage` while it is checked, in `raw_batches` once published."""
    return f"{dataset}__{batch_id.replace('-', '')}"


def stage_table(contract: Contract, batch_id: str) -> sql.Identifier:
    return sql.Identifier("stage", stage_name(contract.dataset, batch_id))


def create_stage(conn: psycopg.Connection, contract: Contract, batch_id: str, source_file: str) -> sql.Identifier:
    """A table shaped like raw.<dataset>, already labelled with its batch: publishing it is
    attaching it as a partition, and the CHECK lets PostgreSQL skip re-scanning its rows."""
    table = stage_table(contract, batch_id)
    with conn.transaction():
        conn.execute("create schema if not exists stage")
        conn.execute(sql.SQL("drop table if exists {}").format(table))
        conn.execute(
            sql.SQL("create table {} (like {} including defaults)").format(
                table, sql.Identifier("raw", contract.dataset)
            )
        )
        conn.execute(
            sql.SQL(
                "alter table {t} alter column _batch_id set default {b}, alter column _source_file set default {f}, "
                "add constraint {c} check (_batch_id = {b})"
            ).format(
                t=table,
                b=sql.Literal(batch_id),
                f=sql.Literal(source_file),
                c=sql.Identifier(f"batch_{batch_id.replace('-', '')}"),
            )
        )
    return table


def _csv_block(chunk: Chunk) -> bytes:
    """A chunk as CSV for COPY, written by pyarrow: nulls unquoted (NULL), text quoted as needed."""
    arrays = [pa.array(chunk.numbers, pa.int64()), *chunk.columns]
    table = pa.table(arrays, names=[f"c{i}" for i in range(len(arrays))])
    sink = pa.BufferOutputStream()
    pa_csv.write_csv(table, sink, pa_csv.WriteOptions(include_header=False))
    return sink.getvalue().to_pybytes()


def copy_rows(conn: psycopg.Connection, table: sql.Identifier, contract: Contract, chunks: Iterable[Chunk]) -> int:
    """COPY every chunk into the stage table; the number of rows staged.

    The chunks are written to the server by a second thread (_Sender) while this one reads
    and normalises the next: PostgreSQL takes the COPY on the other core, and a write that
    waits for it no longer holds up the reading."""
    columns = sql.SQL(", ").join(sql.Identifier(n) for n in ["_row", *(c.stored_name for c in contract.columns)])
    staged = 0
    statement = sql.SQL("copy {} ({}) from stdin (format csv)").format(table, columns)
    with conn.transaction(), conn.cursor() as cur, cur.copy(statement) as copy, _Sender(copy) as send:
        for chunk in chunks:
            if chunk:
                send(chunk)
            staged += len(chunk)
            reached("copy")
    return staged


class _Sender:
    """Writes chunks to a COPY from a thread, at most SENDER_QUEUE chunks behind (memory stays flat).

    pyarrow's CSV writer and the socket wait both release the GIL, so the thread runs beside
    the reader. An error in the thread is raised in the caller at its next chunk or at the end."""

    def __init__(self, copy: psycopg.Copy) -> None:
        self.copy = copy
        self.queue: queue.Queue[Chunk | None] = queue.Queue(maxsize=SENDER_QUEUE)
        self.error: BaseException | None = None
        self.thread = threading.Thread(target=self._run, name="cityops-copy", daemon=True)

    def _run(self) -> None:
        try:
            while (chunk := self.queue.get()) is not None:
                self.copy.write(_csv_block(chunk))
        except BaseException as exc:  # handed to the caller; keep draining so its put() never blocks
            self.error = exc
            while self.queue.get() is not None:
                pass

    def __call__(self, chunk: Chunk) -> None:
        if self.error is not None:
            raise self.error
        self.queue.put(chunk)

    def __enter__(self) -> _Sender:
        self.thread.start()
        return self

    def __exit__(self, kind, exc, tb) -> None:
        self.queue.put(None)
        self.thread.join()
        if self.error is not None and exc is None:
            raise self.error


def drop_stage(conn: psycopg.Connection, table: sql.Identifier) -> None:
    with conn.transaction():
        conn.execute(sql.SQL("drop table if exists {}").format(table))
