from __future__ import annotations

from datetime import UTC, datetime

from monitor.entities import entity_keys, name_key
from monitor.linking import best_link, is_same_event
from tests.support.newsweb import CROSS_LANGUAGE

SATURDAY = datetime(2024, 11, 9, 15, 0, tzinfo=UTC)


def keys(name: str) -> frozenset[str]:
    return entity_keys(str(CROSS_LANGUAGE[name]["title"]), str(CROSS_LANGUAGE[name]["text"]))


def test_numbers_dates_and_names_are_language_independent() -> None:
    assert {"n:11000", "d:10-30"} <= keys("en") & keys("ru")
    assert name_key("Zelensky") == name_key("Зеленский") == name_key("Зеленський")
    assert name_key("Moscow") == name_key("Москве")
    assert "d:12-4" in entity_keys("", "북러 조약이 12월 4일 발효됐다.")
    assert "n:2024" not in entity_keys("", "In 2024 the treaty was signed.")  # a year is no evidence


def test_numbers_in_every_way_they_are_written() -> None:
    eleven_thousand = [
        "Some 11,000 soldiers were sent.",
        "Около 11 тысяч военных отправлены.",
        "Близько 11 тис. військових відправлено.",
        "북한군 1만1천명이 파병됐다.",
        "북한군 1만 1000명이 파병됐다.",
        "Eleven thousand soldiers were sent.",
        "Одиннадцать тысяч военных отправлены.",
    ]
    for sentence in eleven_thousand:
        assert "n:11000" in entity_keys("", sentence), sentence
    for sentence in ("a loan of $2.5 billion", "кредит в 2,5 млрд долларов", "25억 달러 규모의 차관"):
        assert "n:2500000000" in entity_keys("", sentence), sentence


def test_days_written_against_the_report_s_own_date() -> None:
    for sentence in (
        "The president signed the law on Saturday.",
        "Президент подписал закон в субботу.",
        "Президент підписав закон у суботу.",
        "대통령은 9일 법에 서명했다.",
        "Президент подписал закон 9 ноября.",
        "The president signed the law on Nov. 9th.",
        "Signed on 09.11.2024.",
    ):
        assert "d:11-9" in entity_keys("", sentence, SATURDAY), sentence
    assert "d:11-9" not in entity_keys("", "The president signed the law on Saturday.")  # no date to count from
    assert "d:11-2" not in entity_keys("", "회담은 2일간 열렸다.", SATURDAY)  # "for two days"


def test_names_across_scripts_and_case_endings() -> None:
    spellings = {
        "e:kim-jong-un": ["Kim Jong Un", "Ким Чен Ын", "Кім Чен Ина", "김정은"],
        "e:kursk": ["in Kursk", "в Курской области", "у Курській області", "쿠르스크에서"],
        "e:vladivostok": ["Vladivostok", "во Владивостоке", "у Владивостоці", "블라디보스토크"],
        "e:federation-council": ["the Federation Council", "Совет Федерации", "Ради Федерації", "연방평의회는"],
        "e:choe-son-hui": ["Choe Son Hui", "Чо Сон Хи", "Чо Сон Хі", "최선희 외무상"],
    }
    for key, forms in spellings.items():
        for form in forms:
            assert key in entity_keys("", f"Reported: {form} said."), form
    # A capitalised word written in lower case elsewhere in the text is no name; a weekday is none either.
    assert not {k for k in entity_keys("", "On Monday, Treaty talks resumed; the treaty is old.") if k[0] == "p"}


def test_a_rewrite_is_the_same_story_and_another_event_is_not() -> None:
    assert is_same_event(keys("en"), keys("ru"))
    assert not is_same_event(keys("en"), keys("ru-other"))
    assert not is_same_event(keys("ru"), keys("ru-other"))


def test_years_apart_or_days_apart_are_two_events_whatever_else_they_share() -> None:
    report = "On July 24 the central bank of Kursk cut its rate to 16.5% after talks with Shoigu and Belousov."
    assert is_same_event(entity_keys("", f"{report} 2025"), entity_keys("", f"{report} 2025"))
    assert not is_same_event(entity_keys("", f"{report} 2025"), entity_keys("", f"{report} 2024"))
    early, late = datetime(2025, 7, 1, tzinfo=UTC), datetime(2025, 7, 9, tzinfo=UTC)
    assert not is_same_event(entity_keys("", report, early), entity_keys("", report, late))


def test_only_round_numbers_in_common_link_nothing() -> None:
    one = "Shoigu said in Kursk that 1,000 deminers and 5,000 builders would come."
    other = "Belousov said in Kursk that 1,000 medics and 5,000 workers had left."
    assert not is_same_event(entity_keys("", one), entity_keys("", other))


def test_a_story_with_a_report_in_my_language_is_never_joined_on_keys() -> None:
    mine = keys("ru")
    assert best_link(mine, "ru", {"story": set(keys("en"))}) is not None
    assert best_link(mine, "ru", {"story": set(keys("en")) | {"l:ru"}}) is None
    joined = best_link(mine, "ru", {"story": set(keys("en")) | {"l:en"}})
    assert joined is not None and "n:11000" in joined.keys


def test_a_year_of_history_is_a_fact_the_reports_share() -> None:
    english = (
        "Putin and Kim Jong Un signed the pact in Pyongyang. Aide Yuri Ushakov said it replaces the 1961 "
        "treaty and the 2000 one; some 10,000 guests lined the streets."
    )
    russian = (
        "Путин и Ким Чен Ын подписали договор в Пхеньяне. Помощник Юрий Ушаков сказал, что он заменяет "
        "договор 1961 года и соглашение 2000 года; улицы заполнили около 10 тысяч человек."
    )
    assert {"y:1961", "e:ushakov", "e:treaty"} <= entity_keys("", english) & entity_keys("", russian)
    assert is_same_event(entity_keys("", english), entity_keys("", russian))
    assert "e:north-korea" in entity_keys("", "The Democratic People's Republic of Korea said so.")
