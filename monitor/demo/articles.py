"""The demo outlet's articles: written for the demo, in four languages; some match the shipped topics."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class DemoArticle:
    slug: str
    language: str
    title: str
    paragraphs: tuple[str, ...]


ARTICLES = (
    DemoArticle(
        "upper-house-ratifies-pact",
        "en",
        "Russia's upper house ratifies partnership treaty with North Korea",
        (
            "Members of the Federation Council voted on Wednesday to ratify the comprehensive strategic "
            "partnership treaty with North Korea, two weeks after the State Duma backed the document.",
            "The law now goes to the president for signature. Officials in Moscow said the exchange of "
            "instruments of ratification with Pyongyang would follow within weeks.",
            "Senators approved the bill without debate, the chamber's press office said in a short statement.",
        ),
    ),
    DemoArticle(
        "dogovor-vstupil-v-silu",
        "ru",
        "Договор о партнерстве между Россией и КНДР вступил в силу",
        (
            "Договор о всеобъемлющем стратегическом партнерстве между Россией и КНДР вступил в силу после "
            "обмена ратификационными грамотами в Москве, сообщил МИД.",
            "Протокол подписали заместители министров иностранных дел двух стран. Документ заменяет договор "
            "о дружбе, заключенный в начале века.",
            "В министерстве подчеркнули, что соглашение носит оборонительный характер.",
        ),
    ),
    DemoArticle(
        "rozvidka-pro-kontyngent",
        "uk",
        "Розвідка: КНДР перекинула до Курської області нових військових",
        (
            "Українська розвідка повідомила, що КНДР перекинула до Курської області ще кілька тисяч "
            "військовослужбовців, зокрема саперів та інженерні підрозділи.",
            "За даними відомства, північнокорейські солдати проходять підготовку на полігонах на сході "
            "Росії, а частина з них уже бере участь у боях.",
            "У Москві ці повідомлення не коментують.",
        ),
    ),
    DemoArticle(
        "buk-pabyeong-chuga",
        "ko",
        '국정원 "북한, 러시아에 병력 추가 파병"',
        (
            "국가정보원은 북한이 러시아에 병력을 추가로 파병한 것으로 파악된다고 밝혔다.",
            "국정원에 따르면 새로 파견된 북한군 장병들은 러시아 극동 지역에서 훈련을 받은 뒤 쿠르스크 "
            "전선에 투입될 것으로 보인다.",
            "정부는 관련 동향을 면밀히 주시하고 있다고 설명했다.",
        ),
    ),
    DemoArticle(
        "grain-harvest-record",
        "en",
        "Farmers expect a record grain harvest in the south",
        (
            "Farmers in the southern regions expect a record grain harvest this year after a mild spring "
            "and steady summer rain, the agriculture ministry said.",
            "Exporters said prices at the ports had fallen slightly as the first barges arrived.",
        ),
    ),
    DemoArticle(
        "parad-v-pkhenyane",
        "ru",
        "В Пхеньяне прошел военный парад",
        (
            "В Пхеньяне прошел военный парад по случаю годовщины основания армии; по площади прошли "
            "колонны солдат и военной техники.",
            "Ким Чен Ын наблюдал за парадом с трибуны вместе с гостями из-за рубежа.",
        ),
    ),
)
