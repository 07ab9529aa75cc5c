"""hotline_cases: no clear phone number anywhere in the warehouse; repeat callers still count."""

from __future__ import annotations

import re

from tests.fixtures.db import query
from tests.fixtures.rows import hotline, load, phone, valid_rows


def _text_columns(home) -> list[tuple[str, str, str]]:
    return query(
        home,
        "select table_schema, table_name, column_name from information_schema.columns "
        "where table_schema not in ('pg_catalog', 'information_schema') "
        "and data_type in ('text', 'character varying', 'character', 'json', 'jsonb', 'ARRAY', 'USER-DEFINED')",
    )


def test_no_clear_phone_number_anywhere_in_the_warehouse(wh, tmp_path):
    rows = valid_rows("hotline_cases")
    rows[1]["ticket_id"] = "RX-bad"
    rows[1]["channel"] = "传真"  # a rejected file's report is stored too: it must not carry phones either
    assert load(tmp_path, "hotline_cases", rows, name="rejected").status == "rejected"
    outcome = load(tmp_path, "hotline_cases", valid_rows("hotline_cases"))
    assert outcome.status == "loaded"

    clear = {re.sub(r"\D", "", phone(i))[-11:] for i in range(len(rows))}
    columns = _text_columns(wh)
    assert ("raw", "hotline_cases", "caller_phone_hash") in columns
    assert not any(c == "caller_phone" for _, _, c in columns)
    for schema, table, column in columns:
        found = query(
            wh,
            f'select count(*) from "{schema}"."{table}" '
            f"where regexp_replace(\"{column}\"::text, '[^0-9]', '', 'g') ~ %s",
            "|".join(sorted(clear)),
        )[0][0]
        assert found == 0, f"clear phone numbers in {schema}.{table}.{column}"


def test_the_same_caller_hashes_alike_in_any_spelling(wh, tmp_path):
    rows = [hotline(0), hotline(1), hotline(2)]
    rows[1]["caller_phone"] = "139 1234 0000"
    rows[2]["caller_phone"] = "+86-13912340000"
    assert load(tmp_path, "hotline_cases", rows).status == "loaded"
    hashes = query(wh, "select caller_phone_hash from raw.hotline_cases order by _row")
    assert len({h for (h,) in hashes}) == 1
    assert re.fullmatch(r"[0-9a-f]{64}", hashes[0][0])
