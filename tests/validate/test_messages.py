"""Messages are for a clerk: both languages, what was found and where, and no Python or SQL."""

from __future__ import annotations

import re
import string

import pytest

from cityops.messages import TEMPLATES, render

CODE_WORDS = re.compile(
    r"\b(None|True|False|NaN|nan|null|NULL|SELECT|INSERT|UPDATE|DELETE|JOIN|GROUP BY|varchar|numeric|bigint|"
    r"integer|timestamptz|boolean|dtype|str|int|float|dict|list|tuple|regex|SQL|sql|Python|python|Traceback|"
    r"Exception|Error|exception|stack|schema|psycopg|pandas|expectation|batch_id|row_query|_row)\b"
)
CODE_MARKS = re.compile(r"==|!=|::|\(\)|\[\]|\w+\.\w+\(|\b[a-z]+_[a-z_]+\b")
CJK = re.compile(r"[\u4e00-\u9fff]")


def _text(template: str) -> str:
    """The words of a template, each {placeholder} read as a plain word."""
    return "".join(literal + (" X " if name else "") for literal, name, *_ in string.Formatter().parse(template))


def _fields(template: str) -> set[str]:
    return {re.sub(r"_(zh|en)$", "", name) for _, name, *_ in string.Formatter().parse(template) if name}


@pytest.mark.parametrize("rule", sorted(TEMPLATES))
def test_every_message_is_bilingual_and_free_of_code(rule):
    zh, en = TEMPLATES[rule]
    assert CJK.search(_text(zh)), f"{rule}: the Chinese message has no Chinese"
    assert not CJK.search(_text(en)), f"{rule}: the English message has Chinese words of its own"
    assert re.search(r"[A-Za-z]{3}", _text(en)), f"{rule}: no English"
    for language, template in (("zh", zh), ("en", en)):
        words = _text(template)
        assert not CODE_WORDS.search(words), f"{rule} ({language}): {CODE_WORDS.search(words)[0]!r}"
        assert not CODE_MARKS.search(words), f"{rule} ({language}): {CODE_MARKS.search(words)[0]!r}"
    assert _fields(zh) == _fields(en), f"{rule}: the two languages say different things"


@pytest.mark.parametrize("rule", sorted(TEMPLATES))
def test_a_rendered_message_leaves_no_gaps(rule):
    zh, en = render(rule, 7, "湿垃圾（吨）", "-3", allowed="0", other="居住区总数", other_value="70", previous="1")
    for message in (zh, en):
        assert "{" not in message and "None" not in message
    if "{where}" in TEMPLATES[rule][0]:
        assert "第 7 行" in zh and "Row 7" in en  # where it was found
