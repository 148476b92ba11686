"""The fake news web of the end-to-end tests: six outlets, every source kind.

Articles: the five seeds and every dev.jsonl example (read from ../shared/corpus at run
time, never copied here) plus articles written for these tests (OWN below).
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

from tests.support.pages import (
    Story,
    article_page,
    atom,
    rdf,
    rss2,
    section_page,
    sitemap,
    sitemap_index,
)
from tests.support.servers import FakeWeb

# Written for these tests. labels: topic -> 1 must alert, 0 must not.
OWN: list[dict[str, object]] = [
    {
        "id": "own-duma-vote",
        "lang": "en",
        "title": "Lower house backs North Korea defence pact",
        "text": "Deputies of the State Duma voted on Thursday to ratify the comprehensive strategic partnership "
        "treaty with North Korea, sending the bill on to the upper chamber.\n"
        "The speaker said the vote was unanimous and that the document strengthens security in the region. "
        "Opposition deputies did not attend the session, which lasted less than an hour.",
        "labels": {"treaty-ratification": 1, "dprk-troop-deployment": 0},
    },
    {
        "id": "own-senate-vote",
        "lang": "en",
        "title": "Senators approve Pyongyang partnership treaty",
        "text": "Members of the Federation Council on Wednesday approved the law ratifying the strategic "
        "partnership treaty with the Democratic People's Republic of Korea.\n"
        "The chamber's chair told reporters the law would be passed to the Kremlin for signature within days. "
        "One senator abstained, citing procedural concerns about the speed of the review.",
        "labels": {"treaty-ratification": 1, "dprk-troop-deployment": 0},
    },
    {
        "id": "own-signature",
        "lang": "en",
        "title": "President signs law ratifying treaty with North Korea",
        "text": "The Russian president on Saturday signed the federal law ratifying the partnership treaty with "
        "North Korea, according to a decree published on the official legal portal.\n"
        "The signature completes the domestic procedure on the Russian side. Officials in Moscow said the "
        "exchange of instruments would be arranged through diplomatic channels.",
        "labels": {"treaty-ratification": 1, "dprk-troop-deployment": 0},
    },
    {
        "id": "own-exchange",
        "lang": "en",
        "title": "Moscow and Pyongyang exchange treaty ratification documents",
        "text": "Diplomats from Russia and North Korea exchanged the instruments of ratification of the partnership "
        "treaty at a ceremony at the foreign ministry in Moscow on Wednesday.\n"
        "The treaty entered into force on the day of the exchange, the ministry said. The ceremony was attended by "
        "the North Korean ambassador and a deputy foreign minister, who both signed the protocol.",
        "labels": {"treaty-ratification": 1, "dprk-troop-deployment": 0},
    },
    {
        "id": "own-in-force-uk",
        "lang": "uk",
        "title": "Договір між Росією та КНДР набув чинності",
        "text": "Угода про всеосяжне стратегічне партнерство між Росією та Північною Кореєю набула чинності "
        "після обміну ратифікаційними грамотами в Москві.\n"
        "Аналітики вважають, що документ закріплює військовий союз двох режимів.",
        "labels": {"treaty-ratification": 1, "dprk-troop-deployment": 0},
    },
    {
        "id": "own-more-troops-ru",
        "lang": "ru",
        "title": "Разведка: КНДР готовит новую отправку военных в Россию",
        "text": "Южнокорейская разведка сообщила, что Пхеньян готовит отправку ещё нескольких тысяч "
        "северокорейских солдат в Россию для участия в боях в Курской области.\n"
        "По данным ведомства, военнослужащие проходят подготовку на полигонах на Дальнем Востоке. "
        "Официальные лица в Москве эти сведения не комментируют.",
        "labels": {"treaty-ratification": 0, "dprk-troop-deployment": 1},
    },
    {
        "id": "own-workers-ko",
        "lang": "ko",
        "title": "러시아 건설 현장에 북한 노동자 늘어",
        "text": "러시아 극동 지역 건설 현장에 북한 노동자 수천 명이 새로 도착한 것으로 알려졌다.\n"
        "유엔 제재는 북한 노동자의 해외 파견을 금지하고 있지만 러시아는 학생 비자 등을 통해 이들을 받아들이고 있다.",
        "labels": {"treaty-ratification": 0, "dprk-troop-deployment": 0},
    },
    {
        "id": "own-harvest-en",
        "lang": "en",
        "title": "Farmers expect record grain harvest after mild autumn",
        "text": "Farmers across the southern provinces expect a record grain harvest after an unusually mild "
        "autumn, the agriculture ministry said on Monday.\n"
        "Prices for wheat futures fell slightly on the news, while exporters said port capacity would be "
        "the main constraint on shipments this winter.",
        "labels": {"treaty-ratification": 0, "dprk-troop-deployment": 0},
    },
    {
        "id": "own-kursk-en",
        "lang": "en",
        "title": "Kyiv says North Korean units suffered heavy losses near Kursk",
        "text": "Ukraine's military intelligence said on Tuesday that North Korean soldiers fighting alongside "
        "Russian troops in the Kursk region had suffered heavy losses in the past week.\n"
        "The agency said several hundred servicemen had been killed or wounded during failed assaults on "
        "Ukrainian positions, and that Moscow was moving in reinforcements from the Far East.\n"
        "Seoul's intelligence service said it was checking the report. Pyongyang has never officially "
        "confirmed that its forces are taking part in the war.",
        "labels": {"treaty-ratification": 0, "dprk-troop-deployment": 1},
    },
]

# A syndicated, re-headlined and lightly edited copy of own-kursk-en on another outlet.
SYNDICATED = {
    "id": "own-kursk-copy",
    "lang": "en",
    "title": "North Korean troops hit hard in Kursk fighting, Ukraine says",
    "text": "Ukraine's military intelligence said on Tuesday that North Korean soldiers fighting alongside "
    "Russian troops in the Kursk region had suffered heavy losses in the past week.\n"
    "The agency said several hundred servicemen had been killed or wounded during failed assaults on "
    "Ukrainian positions, and that Moscow was moving in reinforcements from the Far East.\n"
    "Seoul's intelligence service said it was checking the report. Pyongyang has never officially "
    "confirmed that its forces are taking part in the war. (Reporting by the wire service; editing by staff.)",
}


@dataclass
class Outlet:
    name: str
    kind: str  # the source's entry page
    entry: str
    stories: list[Story] = field(default_factory=list)


def load_examples(corpus: Path) -> list[dict[str, object]]:
    examples = []
    for line in (corpus / "dev.jsonl").read_text(encoding="utf-8").splitlines():
        example = json.loads(line)
        if "file" in example:
            example["text"] = (corpus / example["file"]).read_text(encoding="utf-8")
            example["title"] = f"Report {example['id']}"
        examples.append(example)
    return examples


def _story(example: Mapping[str, object], outlet: str, index: int) -> Story:
    published = example.get("published")
    when = (
        datetime.fromisoformat(str(published)).replace(tzinfo=UTC, hour=9)
        if published
        else datetime(2024, 11, 20, 9, tzinfo=UTC) + timedelta(hours=index)
    )
    slug = str(example["id"]).lower()
    return Story(
        key=str(example["id"]),
        path=f"/news/2024/{outlet}/{index:03d}-{slug}-report",
        title=str(example["title"]),
        text=str(example["text"]),
        language=str(example["lang"]),
        published=when,
    )


class NewsWeb:
    """Six outlets on one local server; `publish` renders feeds and pages into the FakeWeb."""

    def __init__(self, web: FakeWeb, examples: Sequence[Mapping[str, object]]) -> None:
        self.web = web
        self.outlets = [
            Outlet("wire-rss", "rss", "/wire/rss.xml"),
            Outlet("gazette-sitemap", "sitemap", "/gazette/sitemap_index.xml"),
            Outlet("herald-section", "page", "/herald/world/"),
            Outlet("courier-atom", "atom", "/courier/atom.xml"),
            Outlet("tribune-rdf", "rdf", "/tribune/index.rdf"),
            Outlet("daily-news-sitemap", "news", "/daily/news-sitemap.xml"),
        ]
        self.labels: dict[str, dict[str, int | None]] = {}
        self.by_path: dict[str, str] = {}
        for index, example in enumerate(examples):
            outlet = self.outlets[index % len(self.outlets)]
            self.add(outlet, example, index)

    def add(self, outlet: Outlet, example: Mapping[str, object], index: int) -> Story:
        story = _story(example, outlet.name, index)
        outlet.stories.append(story)
        labels = example.get("labels")
        if isinstance(labels, dict):
            self.labels[story.key] = labels
        self.by_path[story.path] = story.key
        return story

    def outlet(self, name: str) -> Outlet:
        return next(o for o in self.outlets if o.name == name)

    def publish(self) -> None:
        base = self.web.base
        for outlet in self.outlets:
            for story in outlet.stories:
                self.web.add(story.path, article_page(outlet.name, story))
            if outlet.kind == "rss":
                self.web.add(
                    outlet.entry,
                    rss2(outlet.name, base, outlet.stories, tracking=True),
                    content_type="application/rss+xml",
                )
            elif outlet.kind == "atom":
                self.web.add(outlet.entry, atom(outlet.name, base, outlet.stories), content_type="application/atom+xml")
            elif outlet.kind == "rdf":
                self.web.add(outlet.entry, rdf(outlet.name, base, outlet.stories), content_type="application/rdf+xml")
            elif outlet.kind == "news":
                self.web.add(outlet.entry, sitemap(base, outlet.stories, news=True), content_type="application/xml")
            elif outlet.kind == "sitemap":
                half = len(outlet.stories) // 2
                self.web.add(
                    "/gazette/sitemap-1.xml", sitemap(base, outlet.stories[:half]), content_type="application/xml"
                )
                self.web.add(
                    "/gazette/sitemap-2.xml", sitemap(base, outlet.stories[half:]), content_type="application/xml"
                )
                self.web.add(
                    outlet.entry,
                    sitemap_index(base, ["/gazette/sitemap-1.xml", "/gazette/sitemap-2.xml"]),
                    content_type="application/xml",
                )
            else:
                self.web.add(outlet.entry, section_page(outlet.name, base, outlet.stories))

    def config(self, *, webhook_url: str, secret: str, smtp_port: int, interval: str = "10m") -> str:
        sources = "\n".join(
            f'[[sources]]\nname = "{o.name}"\nurl = "{self.web.base}{o.entry}"\ninterval = "{interval}"\n'
            for o in self.outlets
        )
        return f"""
[service]
deliver_interval = "1s"
retry_backoff = "1s"
delivery_claim = "2s"
extract_workers = 2

[fetch]
retries = 1
backoff = "100ms"
host_interval = 0  # every outlet of the fake web is on one host: no politeness delay in tests

{sources}
[[channels]]
name = "hook"
type = "webhook"
url = "{webhook_url}"
secret = "{secret}"

[[channels]]
name = "desk"
type = "email"
to = ["desk@example.org"]
sender = "monitor@example.org"
smtp_host = "127.0.0.1"
smtp_port = {smtp_port}
"""


# A report, its Russian rewrite (another outlet, another wording), and a different Russian
# story on the same topic (other numbers, other date): written for the tests.
CROSS_LANGUAGE = {
    "en": {
        "id": "cross-en",
        "lang": "en",
        "title": "NATO says 11,000 North Korean troops are in Kursk",
        "text": "NATO Secretary General Mark Rutte said on October 30 that about 11,000 North Korean soldiers had "
        "been moved to the Kursk region to fight against Ukraine.\n"
        "He told reporters in Brussels that Russia and Pyongyang were deepening their military ties, and that "
        "Ukraine's President Volodymyr Zelensky had been briefed on the findings.",
    },
    "ru": {
        "id": "cross-ru",
        "lang": "ru",
        "title": "НАТО: 11 тысяч северокорейских военных находятся в Курской области",
        "text": "Генеральный секретарь НАТО Марк Рютте заявил 30 октября, что около 11 тысяч северокорейских "
        "солдат переброшены в Курскую область для боевых действий против Украины.\n"
        "По его словам, Россия и Пхеньян углубляют военное сотрудничество, а президент Украины Владимир "
        "Зеленский был проинформирован.",
    },
    "ru-other": {
        "id": "cross-ru-other",
        "lang": "ru",
        "title": "Разведка: КНДР отправит в Россию ещё 3 тысячи военных",
        "text": "Южнокорейская разведка 5 ноября сообщила, что Пхеньян готовит отправку ещё около 3 тысяч "
        "военных в Россию для участия в боях.\n"
        "По данным ведомства, первые 7 тысяч северокорейских солдат уже находятся в Курской области, "
        "а Владимир Зеленский призвал союзников ответить на эскалацию.",
    },
}
