"""The rule language and the shipped topics, on sentences written for these tests."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest

from monitor.errors import ConfigError
from monitor.topics import TopicMatcher, parse_rulebook

SHIPPED = Path(__file__).resolve().parents[2] / "config" / "topics.toml"


def matcher_for(toml: str) -> TopicMatcher:
    return TopicMatcher(parse_rulebook(tomllib.loads(toml), "rules.toml"))


def verdict(matcher: TopicMatcher, title: str, text: str = "") -> dict[str, bool]:
    return {r.topic: r.is_match for r in matcher.evaluate(title, text)}


BASIC = """
[lists.fruit]
en = ["apple*", "pear~"]
ru = ["яблок*"]
[lists.verb]
en = ["eat~"]
[lists.not_eat]
en = ["never", "do not"]
[[topics]]
name = "eating"
[[topics.rules]]
all = ["fruit", "verb"]
not = ["not_eat"]
within = "sentence"
[[topics]]
name = "near"
[[topics.rules]]
all = ["fruit", "verb"]
within = 2
[[topics]]
name = "weighted"
threshold = 2
[[topics.rules]]
any = ["fruit"]
fields = ["title"]
weight = 1
[[topics.rules]]
any = ["verb"]
fields = ["body"]
weight = 1
"""


def test_prefix_stem_and_sentence_window() -> None:
    m = matcher_for(BASIC)
    assert verdict(m, "", "She ate nothing. At noon the kids eats apples.")["eating"]
    assert verdict(m, "", "The children are eating pears.")["eating"]  # stems: eating~eat, pears~pear
    assert not verdict(m, "", "Apples are red. We are eating soup.")["eating"]  # different sentences
    assert verdict(m, "", "Мы любим яблоки. They eat them.")["eating"] is False


def test_not_vetoes_the_window_only() -> None:
    m = matcher_for(BASIC)
    assert not verdict(m, "", "We never eat apples.")["eating"]
    assert verdict(m, "", "We never cook. We eat apples.")["eating"]


def test_proximity_in_words() -> None:
    m = matcher_for(BASIC)
    assert verdict(m, "", "They eat green apples daily.")["near"]
    assert not verdict(m, "", "They eat, as everybody knows very well, apples.")["near"]


def test_fields_weights_and_threshold() -> None:
    m = matcher_for(BASIC)
    assert verdict(m, "Apple season", "People eat more in autumn.")["weighted"]
    assert not verdict(m, "Autumn", "People eat more apples in autumn.")["weighted"]


def test_evidence_has_term_sentence_and_offsets() -> None:
    m = matcher_for(BASIC)
    match = next(x for x in m.matches("", "Intro line.\nKids eat apples in the park.") if x.topic == "eating")
    hit = next(e for e in match.evidence if e.term == "apple*")
    assert hit.sentence == "Kids eat apples in the park." and hit.sentence[hit.start : hit.end] == "apples"


@pytest.mark.parametrize(
    ("toml", "key", "reason"),
    [
        ('[[topics]]\nname = "t"\n[[topics.rules]]\nall = ["ghost"]\n', 'topics."t".rules[0].all[0]', "unknown list"),
        ('[[topics]]\nname = "t"\n', 'topics."t".rules', "is empty"),
        (
            '[lists.a]\nen = ["x"]\n[[topics]]\nname = "t"\n[[topics.rules]]\nname = "r"\nall = ["a"]\nwithin = -3\n',
            'topics."t".rules."r".within',
            "number of words",
        ),
        ('[lists.a]\nfr = ["x"]\n', "lists.a.fr", "unknown language"),
        ('[lists.a]\nuk = ["слово~"]\n', "lists.a.uk[0]", "no stemmer"),
        (
            '[lists.a]\nen = ["x"]\n[[topics]]\nname = "t"\n[[topics.rules]]\nall = ["a"]\nfields = ["footer"]\n',
            'topics."t".rules[0].fields',
            "title, lead, body",
        ),
    ],
)
def test_rule_errors_name_the_key(toml: str, key: str, reason: str) -> None:
    with pytest.raises(ConfigError) as caught:
        parse_rulebook(tomllib.loads(toml), "rules.toml")
    assert caught.value.key == key and reason in caught.value.reason


@pytest.fixture(scope="module")
def shipped() -> TopicMatcher:
    return TopicMatcher(parse_rulebook(tomllib.loads(SHIPPED.read_text(encoding="utf-8")), str(SHIPPED)))


TREATY, TROOPS = "treaty-ratification", "dprk-troop-deployment"
CASES = [
    # (title, text, treaty, troops) — sentences written for these tests
    (
        "Pyongyang's assembly ratifies Moscow pact",
        "North Korea's parliament ratified the partnership treaty with Russia.",
        1,
        0,
    ),
    ("", "The treaty with North Korea entered into force on Wednesday after instruments were exchanged.", 1, 0),
    ("", "Putin signed a partnership treaty with North Korea. It will need to be ratified by parliament.", 0, 0),
    ("", "The Duma ratified a treaty on a union state with Belarus. North Korea was not mentioned.", 0, 0),
    ("Совфед одобрил договор с КНДР", "Сенаторы одобрили закон о ратификации договора с КНДР.", 1, 0),
    ("", "Договор с КНДР вступит в силу после обмена грамотами.", 0, 0),
    ("Договір з КНДР набув чинності", "Угода між Росією та КНДР набула чинності.", 1, 0),
    ("", "Угода з КНДР набуде чинності після ратифікації.", 0, 0),
    ("북한, 북러 조약 비준", "북한 최고인민회의가 러시아와의 조약을 비준했다.", 1, 0),
    ("", "북러 조약은 양국의 비준을 거쳐야 발효될 예정이다.", 0, 0),
    ("", "Seoul says thousands of North Korean soldiers were sent to Russia's Kursk region.", 0, 1),
    ("", "Analysts expect North Korean troops to be deployed to the front in Ukraine next year.", 0, 1),
    ("", "The Kremlin denied that North Korean troops were fighting in Ukraine.", 0, 1),
    ("", "North Korean workers are being sent to building sites in Russia.", 0, 0),
    ("", "Kim Jong Un watched North Korean troops parade through Pyongyang.", 0, 0),
    ("", "The US keeps troops in South Korea to deter North Korea.", 0, 0),
    ("", "Разведка: северокорейские военные переброшены в Курскую область.", 0, 1),
    ("", "Військові КНДР воюють на боці Росії.", 0, 1),
    ("", "국정원은 북한군이 러시아 쿠르스크 전선에 투입됐다고 밝혔다.", 0, 1),
    ("", "북한 노동자들이 러시아 건설 현장에 파견됐다.", 0, 0),
    ("", "North Korea has sent about 10,000 troops to Russia, the Pentagon said.", 0, 1),
    ("", "Pyongyang dispatched around 12,000 soldiers to help Moscow, Seoul's spy agency said.", 0, 1),
    ("", "Russian troops and North Korean shells pounded Ukrainian positions.", 0, 0),
    ("", "North Korean soldiers are fighting alongside Russian troops in Kursk.", 0, 1),
    ("", "КНДР направила в Россию около 10 тысяч военных.", 0, 1),
    ("", "КНДР відправила до Росії 11 тисяч військових.", 0, 1),
    ("", "북한이 러시아에 1만여 명의 병력을 파병했다.", 0, 1),
    ("", "국정원은 북한의 러시아 파병 규모가 늘었다고 밝혔다.", 0, 1),
    ("", "South Korea's spy agency said North Korea sent 1,500 special forces to Russia.", 0, 1),
    ("", "North Korean troops marched in a parade in Pyongyang as Russia's defence minister watched.", 0, 0),
    ("", "Russia and North Korea exchanged instruments of ratification in Moscow on Wednesday.", 1, 0),
    ("", "Kim Jong Un signed a decree ratifying the partnership treaty with Russia.", 1, 0),
    ("", "The Duma is expected to ratify the treaty with North Korea next week.", 0, 0),
    ("", "Putin submitted the North Korea treaty to the Duma for ratification.", 1, 0),
    ("", "The Kremlin denied reports that North Korean troops were in Ukraine.", 0, 1),
    ("", "Ukraine captured two North Korean soldiers in the Kursk region.", 0, 1),
    ("", "North Korean hackers stole $300 million from a crypto exchange in Russia.", 0, 0),
    ("", "North Korean athletes competed at the games in Russia.", 0, 0),
    ("", "Thousands of North Korean labourers have arrived in Russia's Far East.", 0, 0),
    ("", "Russia ratified an agreement with Vietnam, while North Korea watched.", 0, 0),
    ("", "Госдума ратифицировала договор о всеобъемлющем стратегическом партнерстве с КНДР.", 1, 0),
    ("", "Верховна Рада засудила ратифікацію договору між Росією та КНДР.", 1, 0),
    ("", "Zelensky said 11,000 North Korean soldiers are already in Kursk.", 0, 1),
    ("", "Pyongyang may send more troops to Russia next year, analysts say.", 0, 1),
    ("", "The US has 28,500 troops stationed in South Korea to deter North Korea.", 0, 0),
    ("", "North Korea denied sending troops to Russia.", 0, 1),
    ("", "Північнокорейські військові вже на фронті, повідомила розвідка.", 0, 1),
    ("", "Пхеньян может отправить на фронт дополнительные подразделения.", 0, 1),
    ("", "북러 정상은 조약에 서명했다. 조약은 양국이 비준서를 교환한 날부터 발효된다.", 0, 0),
    ("", "The treaty signed in June enters into force once both sides exchange instruments.", 0, 0),
    # treaty positives
    (
        "Kim Jong Un ratifies mutual defence treaty with Russia",
        "North Korean leader Kim Jong Un has ratified the comprehensive strategic partnership treaty with Russia, state media KCNA reported on Tuesday.",
        1,
        0,
    ),
    (
        "Russia's Duma votes to ratify North Korea defence pact",
        "Russian lawmakers voted unanimously on Thursday to ratify a mutual defence treaty with North Korea.",
        1,
        0,
    ),
    (
        "Путин ратифицировал договор с КНДР",
        "Владимир Путин подписал закон, ратифицирующий договор о всеобъемлющем стратегическом партнёрстве с Северной Кореей.",
        1,
        0,
    ),
    (
        "Договір про партнерство між РФ і КНДР набув чинності",
        "Договір про всеосяжне стратегічне партнерство між Росією та Північною Кореєю набув чинності 4 грудня.",
        1,
        0,
    ),
    (
        "김정은, 북러 포괄적 전략적 동반자 관계 조약 비준",
        "김정은 국무위원장이 북러 조약을 비준하는 정령에 서명했다고 조선중앙통신이 보도했다.",
        1,
        0,
    ),
    (
        "러 하원, 북러 조약 비준동의안 만장일치 통과",
        "러시아 국가두마(하원)가 북한과의 포괄적 전략적 동반자 관계 조약 비준안을 만장일치로 통과시켰다.",
        1,
        0,
    ),
    (
        "Совет Федерации одобрил ратификацию договора с Пхеньяном",
        "Сенаторы единогласно одобрили закон о ратификации договора с КНДР.",
        1,
        0,
    ),
    (
        "Рада Федерації схвалила ратифікацію договору з КНДР",
        "Верхня палата російського парламенту схвалила закон про ратифікацію договору з Північною Кореєю.",
        1,
        0,
    ),
    # treaty negatives
    (
        "Putin and Kim sign defence pact in Pyongyang",
        "Russian President Vladimir Putin and North Korean leader Kim Jong Un signed a comprehensive strategic partnership treaty on Wednesday.",
        0,
        0,
    ),
    (
        "Russia ratifies treaty with Iran",
        "The State Duma ratified a comprehensive strategic partnership treaty with Iran on Tuesday. North Korea signed a similar pact last year.",
        0,
        0,
    ),
    ("이란과 러시아 조약 비준", "러시아 하원이 이란과의 포괄적 전략적 동반자 조약을 비준했다.", 0, 0),
    # troops positives
    (
        "Pentagon: North Korean troops moving toward Ukraine's border",
        "The Pentagon said some North Korean soldiers had already moved into Russia's Kursk region.",
        0,
        1,
    ),
    (
        "북한군, 쿠르스크 전선서 첫 교전",
        "쿠르스크 지역에 배치된 북한군이 우크라이나군과 처음으로 교전했다고 우크라이나 당국이 밝혔다.",
        0,
        1,
    ),
    (
        "ЗСУ взяли в полон двох північнокорейських солдатів",
        "Українські військові захопили в полон двох військовослужбовців КНДР у Курській області.",
        0,
        1,
    ),
    (
        "Кремль опроверг присутствие военных КНДР на Украине",
        "Песков назвал сообщения о северокорейских солдатах на Украине фейком.",
        0,
        1,
    ),
    (
        "Ким Чен Ын может отправить войска в Россию",
        "Эксперты допускают, что Пхеньян направит несколько тысяч военнослужащих для участия в войне.",
        0,
        1,
    ),
    (
        "북한 특수부대 러시아 파견 공식 확인",
        "국정원은 북한 특수부대원 1500명이 러시아 블라디보스토크에 도착했다고 밝혔다.",
        0,
        1,
    ),
    # troops negatives
    (
        "North Korea tests new ballistic missile",
        "North Korea fired a ballistic missile into the sea, South Korea's military said. The launch came as troops from the US and South Korea held drills.",
        0,
        0,
    ),
    (
        "Russian soldiers use North Korean artillery shells",
        "Russian troops are firing North Korean shells at Ukrainian positions, officials said.",
        0,
        0,
    ),
    ("북한 노동자 러시아 건설현장 투입", "북한 노동자 수천 명이 러시아 건설현장에 투입된 것으로 알려졌다.", 0, 0),
    ("Північнокорейські туристи відвідали Москву", "Група туристів з КНДР відвідала Москву.", 0, 0),
]


@pytest.mark.parametrize(("title", "text", "treaty", "troops"), CASES)
def test_shipped_topics(shipped: TopicMatcher, title: str, text: str, treaty: int, troops: int) -> None:
    got = verdict(shipped, title, text)
    assert (got[TREATY], got[TROOPS]) == (bool(treaty), bool(troops))


CASES_FILE = Path(__file__).resolve().parents[1] / "fixtures" / "topic_cases.jsonl"


def test_shipped_topics_on_our_written_reporting_in_four_languages(shipped: TopicMatcher) -> None:
    """192 news excerpts written for this project (en, ru, uk, ko), with the hard negatives of each class."""
    from monitor.topics.evaluation import evaluate, read_examples

    report = evaluate(shipped, read_examples(CASES_FILE))
    assert not report.wrong, [(w.example.id, w.topic, w.why) for w in report.wrong]
    for counts in report.totals.values():
        assert counts.tp >= 30 and counts.tn >= 80
