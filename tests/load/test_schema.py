"""raw.<dataset> is partitioned by batch; a plain raw table of an earlier version is kept."""

from __future__ import annotations

from cityops.contracts import get_contract
from cityops.ingest import ingest
from cityops.load.schema import ensure_schema
from cityops.load.warehouse import connect
from tests.fixtures.db import query, scalar
from tests.fixtures.garbage import table, write


def test_a_published_batch_is_a_partition_of_raw(wh, tmp_path):
    outcome = ingest(write(tmp_path / "a.xlsx", table()), "garbage_sorting", "2025-03")
    partitions = query(
        wh,
        "select c.relnamespace::regnamespace::text, c.relname from pg_inherits i "
        "join pg_class c on c.oid = i.inhrelid where i.inhparent = 'raw.garbage_sorting'::regclass",
    )
    assert partitions == [("raw_batches", f"garbage_sorting__{outcome.batch_id.replace('-', '')}")]
    assert scalar(wh, "select count(*) from raw.garbage_sorting") == 10


def test_an_unpartitioned_raw_table_of_an_earlier_version_keeps_its_rows(wh, tmp_path):
    contract = get_contract("garbage_sorting")
    with connect(wh) as conn:
        with conn.transaction():
            ensure_schema(conn, contract)
        conn.execute("drop table raw.garbage_sorting")
        conn.execute(
            "create table raw.garbage_sorting (_batch_id uuid not null, period date, street text, "
            "_row integer not null, _source_file text not null, _loaded_at timestamptz not null)"
        )
        conn.execute(
            "insert into raw.garbage_sorting values (gen_random_uuid(), '2024-12-01', '华阳路街道', 4, "
            "'old.xlsx', now())"
        )
        with conn.transaction():
            ensure_schema(conn, contract)
    assert scalar(wh, "select relkind::text from pg_class where oid = 'raw.garbage_sorting'::regclass") == "p"
    assert scalar(wh, "select count(*) from raw.garbage_sorting where _source_file = 'old.xlsx'") == 1
    ingest(write(tmp_path / "a.xlsx", table()), "garbage_sorting", "2025-03")
    assert scalar(wh, "select count(*) from raw.garbage_sorting") == 11
