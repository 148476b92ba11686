from __future__ import annotations

from monitor.entities import entity_keys, is_same_event, name_key
from tests.support.newsweb import CROSS_LANGUAGE


def keys(name: str) -> frozenset[str]:
    return entity_keys(str(CROSS_LANGUAGE[name]["title"]), str(CROSS_LANGUAGE[name]["text"]))


def test_numbers_dates_and_names_are_language_independent() -> None:
    assert {"n:11000", "d:10-30"} <= keys("en") & keys("ru")
    assert name_key("Zelensky") == name_key("Зеленский") == name_key("Зеленський")
    assert name_key("Moscow") == name_key("Москве")
    assert "d:12-4" in entity_keys("", "북러 조약이 12월 4일 발효됐다.")
    assert "n:2024" not in entity_keys("", "In 2024 the treaty was signed.")  # a year is no evidence


def test_a_rewrite_is_the_same_story_and_another_event_is_not() -> None:
    assert is_same_event(keys("en"), keys("ru"))
    assert not is_same_event(keys("en"), keys("ru-other"))
    assert not is_same_event(keys("ru"), keys("ru-other"))
