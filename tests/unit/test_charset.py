"""Mislabelled pages: the bytes win over the label (trafilatura checks UTF-8 validity first
and falls back to charset detection), so Cyrillic and Hangul text comes out intact."""

from __future__ import annotations

import pytest

from monitor.domain import Extracted
from monitor.extract import extract_page

RU = (
    "Депутаты нижней палаты в четверг одобрили закон о ратификации соглашения о партнёрстве. "
    "Документ направлен в верхнюю палату, где его рассмотрят на следующей неделе."
)
KO = (
    "국회는 목요일 협정 비준 동의안을 의결했다. 정부는 다음 주 관보에 이를 게재할 예정이라고 밝혔다. "
    "야당 의원들은 표결에 참여하지 않았고, 외교부는 상대국과 비준서를 교환할 일정을 조율하고 있다."
)


def page(text: str, lang: str, declared: str | None) -> str:
    meta = f'<meta charset="{declared}">' if declared else ""
    body = "".join(f"<p>{sentence}.</p>" for sentence in text.split(". "))
    return f'<html lang="{lang}"><head>{meta}<title>T</title></head><body><article>{body}</article></body></html>'


@pytest.mark.parametrize(
    ("text", "lang", "encoding", "declared"),
    [
        (RU, "ru", "cp1251", "utf-8"),  # says UTF-8, is Windows-1251
        (RU, "ru", "utf-8", "windows-1251"),  # says Windows-1251, is UTF-8
        (RU, "ru", "koi8-r", None),  # says nothing
        (KO, "ko", "euc-kr", "utf-8"),
        (KO, "ko", "utf-8", "euc-kr"),
    ],
)
def test_mislabelled_pages_decode_correctly(text: str, lang: str, encoding: str, declared: str | None) -> None:
    found = extract_page(page(text, lang, declared).encode(encoding), "http://news.example/a")
    assert isinstance(found, Extracted)
    assert text.split(".", maxsplit=1)[0] in found.text
