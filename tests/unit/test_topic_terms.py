"""The rule language's word forms (`+`), number ranges and per-group fields, on sentences written for these tests."""

from __future__ import annotations

import re
import tomllib

import pytest

from monitor.errors import ConfigError
from monitor.topics import TopicMatcher, parse_rulebook
from monitor.topics.diagnose import check_rules, nearest
from monitor.topics.matcher import Prepared
from monitor.topics.terms import parse_terms


def matcher_for(toml: str) -> TopicMatcher:
    return TopicMatcher(parse_rulebook(tomllib.loads(toml), "rules.toml"))


def hits(terms: dict[str, list[str]], text: str) -> list[str]:
    """The words of `text` that the one list made of `terms` finds."""
    book = parse_rulebook({"lists": {"x": terms}, "topics": [{"name": "t", "rules": [{"any": ["x"]}]}]}, "rules.toml")
    matcher = TopicMatcher(book)
    prepared = Prepared.of("", text)
    return [prepared.shown[h.start : h.end] for h in matcher.hits(prepared).get("x", [])]


def test_plus_takes_every_form_of_a_russian_and_ukrainian_word() -> None:
    assert hits({"ru": ["боец+"]}, "Погибли двое бойцов, бойкот продолжается.") == ["бойцов"]
    assert hits({"uk": ["боєць+"]}, "Бійці підрозділу і бійцям допомагають.") == ["Бійці", "бійцям"]
    # A prefix would also take the plenary session: пленарное заседание is no captivity.
    assert hits({"ru": ["плен+"]}, "На пленарном заседании говорили о плене.") == ["плене"]
    assert hits({"ru": ["плен*"]}, "На пленарном заседании говорили о плене.") == ["пленарном", "плене"]


def test_plus_in_a_phrase_and_with_apostrophes() -> None:
    assert hits({"ru": ["корейск* воин+"]}, "Память корейских воинов почтили в Курске.") == ["корейских воинов"]
    assert hits({"uk": ["сім'я+"]}, "Сім'ї загиблих зустрілися.") == ["Сім'ї"]


def test_plus_takes_korean_particles_but_not_other_words() -> None:
    text = "병력을 보냈다. 병력들이 도착했다. 병력화 계획은 없다. 군사동맹 관계, 군은 말했다."
    assert hits({"ko": ["병력+"]}, text) == ["병력을", "병력들이"]
    assert hits({"ko": ["군+"]}, text) == ["군은"]


@pytest.mark.parametrize(
    ("term", "language", "reason"),
    [
        ("бойцов+", "ru", "is a form of боец"),
        ("кракозябрище+", "ru", "not in the ru dictionary"),
        ("soldier+", "en", "word forms (+) exist for ru, uk and ko"),
        ("2021..1900", "any", "the range is empty"),
    ],
)
def test_bad_terms_say_why(term: str, language: str, reason: str) -> None:
    with pytest.raises(ValueError, match=re.escape(reason)):
        parse_terms(term, language)


def test_a_bad_term_names_its_list_and_language() -> None:
    with pytest.raises(ConfigError) as caught:
        parse_rulebook({"lists": {"people": {"ru": ["солдаты+"]}}}, "rules.toml")
    assert caught.value.key == "lists.people.ru[0]" and "солдат" in caught.value.reason


def test_number_ranges_take_years_not_counts() -> None:
    text = "In 1950, 1,950 men; in the 1950-53 war; in 2024; 2000명과 1953년."
    assert hits({"any": ["1900..2021"]}, text) == ["1950", "1950"]
    assert hits({"ko": ["1900..2021년"]}, text) == ["1953년"]


YEARS = """
[lists.troops]
en = ["troop*"]
[lists.past]
any = ["1900..2021"]
[[topics]]
name = "now"
[[topics.rules]]
all = ["troops"]
not = ["past"]
"""


def test_a_year_before_2022_vetoes_its_sentence() -> None:
    m = matcher_for(YEARS)
    assert not m.matches("", "In 1950 troops crossed the border.")
    assert m.matches("", "In 1950 it began. In 2024 troops crossed the border.")


HEADLINE = """
[lists.dprk]
en = ["north korea*"]
[lists.ratify]
en = ["ratif*"]
[[topics]]
name = "t"
[topics.groups.headline]
all = ["dprk"]
fields = ["title"]
within = "document"
[[topics.rules]]
name = "ratified, under a North Korea headline"
all = ["ratify", "headline"]
within = "document"
"""


def test_a_group_can_look_at_the_headline_alone() -> None:
    m = matcher_for(HEADLINE)
    assert m.matches("North Korea treaty", "Parliament ratified it.")
    assert not m.matches("Japan treaty", "Parliament ratified it. North Korea watched.")


def test_evidence_names_the_rule_that_fired() -> None:
    (match,) = matcher_for(HEADLINE).matches("North Korea treaty", "Parliament ratified it.")
    assert {e.rule for e in match.evidence} == {"ratified, under a North Korea headline"}


DIAGNOSED = """
[lists.dprk]
en = ["north korea*"]
[lists.troops]
en = ["troop*"]
[lists.war]
en = ["russia*", "kursk"]
[lists.history]
en = ["korean war"]
[[topics]]
name = "t"
[topics.groups.nk_troops]
all = ["dprk", "troops"]
within = 3
[[topics.rules]]
name = "troops and the war"
all = ["nk_troops", "war"]
not = ["history"]
"""


def test_a_miss_names_the_nearest_rule_and_what_it_lacked() -> None:
    m = matcher_for(DIAGNOSED)
    lacking = nearest(check_rules(m, "t", "", "North Korean troops marched in Pyongyang."))
    assert lacking is not None and lacking.describe() == 'rule "troops and the war": has nk_troops; lacks war'
    vetoed = nearest(check_rules(m, "t", "", "In the Korean War, North Korean troops fought near Russia."))
    assert vetoed is not None and vetoed.describe() == 'rule "troops and the war" vetoed by history'
