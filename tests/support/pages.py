"""Realistic page boilerplate, feeds and sitemaps for the local fake news web.

Everything here is written for the tests; article texts come from the caller.
"""

from __future__ import annotations

import html
from dataclasses import dataclass
from datetime import datetime
from email.utils import format_datetime


@dataclass(frozen=True)
class Story:
    """One article as the fake web publishes it."""

    key: str  # test id: seed-000, dev-05, own-...
    path: str
    title: str
    text: str
    language: str
    published: datetime


def article_page(site: str, story: Story) -> bytes:
    paragraphs = "\n".join(f"      <p>{html.escape(p)}</p>" for p in story.text.split("\n") if p.strip())
    when = story.published.isoformat()
    page = f"""<!DOCTYPE html>
<html lang="{story.language}">
<head>
  <meta charset="utf-8">
  <title>{html.escape(story.title)} | {html.escape(site)}</title>
  <meta property="og:title" content="{html.escape(story.title, quote=True)}">
  <meta property="article:published_time" content="{when}">
  <link rel="stylesheet" href="/static/site.css">
</head>
<body>
  <div class="cookie-banner">We use cookies to improve your experience. <a href="/privacy">Privacy policy</a></div>
  <header class="site-header">
    <a class="logo" href="/">{html.escape(site)}</a>
    <nav>
      <a href="/">Home</a> <a href="/world/">World</a> <a href="/politics/">Politics</a>
      <a href="/tags/defence">Defence</a> <a href="/about">About us</a> <a href="/subscribe">Subscribe</a>
    </nav>
    <div class="ticker">USD 97.10 · EUR 105.20 · Brent 73.4</div>
  </header>
  <main>
    <article>
      <h1>{html.escape(story.title)}</h1>
      <div class="byline">By Staff Reporter · <time datetime="{when}">{story.published:%d %B %Y %H:%M}</time></div>
{paragraphs}
      <div class="share">Share: <a href="https://twitter.example/share">X</a> <a href="https://fb.example/share">Facebook</a></div>
    </article>
    <aside class="related">
      <h3>Most read</h3>
      <ul>
        <li><a href="/sport/2024/local-team-wins-the-regional-cup-again">Local team wins the regional cup again</a></li>
        <li><a href="/weather/2024/storm-warning-for-the-coast-this-weekend">Storm warning for the coast this weekend</a></li>
      </ul>
    </aside>
  </main>
  <footer>
    <p>© 2024 {html.escape(site)}. All rights reserved. Reproduction without permission is prohibited.</p>
    <a href="/contact">Contact</a> <a href="/terms">Terms</a> <a href="/rss">RSS</a>
  </footer>
</body>
</html>
"""
    return page.encode()


def empty_page(site: str) -> bytes:
    """A page whose article body is missing: only chrome, no main text."""
    return f"""<!DOCTYPE html><html lang="en"><head><title>{site}</title></head>
<body><header><nav><a href="/">Home</a></nav></header><main><div class="loading"></div></main>
<footer>© {site}</footer></body></html>""".encode()


def rss2(site: str, base: str, stories: list[Story], *, tracking: bool = False) -> bytes:
    items = []
    for s in stories:
        link = f"{base}{s.path}" + ("?utm_source=rss&utm_medium=feed&utm_campaign=nk" if tracking else "")
        items.append(
            f"<item><title>{html.escape(s.title)}</title><link>{html.escape(link)}</link>"
            f'<guid isPermaLink="false">{s.key}</guid><pubDate>{format_datetime(s.published)}</pubDate>'
            f"<description>{html.escape(s.text[:120])}</description></item>"
        )
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n<rss version="2.0"><channel>'
        f"<title>{html.escape(site)}</title><link>{base}/</link><description>News</description>"
        + "".join(items)
        + "</channel></rss>"
    ).encode()


def atom(site: str, base: str, stories: list[Story]) -> bytes:
    entries = "".join(
        f'<entry><title>{html.escape(s.title)}</title><link rel="alternate" href="{base}{s.path}"/>'
        f"<id>urn:test:{s.key}</id><updated>{s.published.isoformat()}</updated>"
        f"<published>{s.published.isoformat()}</published><summary>{html.escape(s.text[:100])}</summary></entry>"
        for s in stories
    )
    return (
        '<?xml version="1.0" encoding="utf-8"?>\n<feed xmlns="http://www.w3.org/2005/Atom">'
        f"<title>{html.escape(site)}</title><id>urn:test:{site}</id><updated>2024-12-01T00:00:00Z</updated>"
        f"{entries}</feed>"
    ).encode()


def rdf(site: str, base: str, stories: list[Story]) -> bytes:
    seq = "".join(f'<rdf:li rdf:resource="{base}{s.path}"/>' for s in stories)
    items = "".join(
        f'<item rdf:about="{base}{s.path}"><title>{html.escape(s.title)}</title><link>{base}{s.path}</link>'
        f"<dc:date>{s.published.isoformat()}</dc:date></item>"
        for s in stories
    )
    return (
        '<?xml version="1.0" encoding="utf-8"?>\n'
        '<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" xmlns="http://purl.org/rss/1.0/"'
        ' xmlns:dc="http://purl.org/dc/elements/1.1/">'
        f'<channel rdf:about="{base}/rss"><title>{html.escape(site)}</title><link>{base}/</link>'
        f"<description>News</description><items><rdf:Seq>{seq}</rdf:Seq></items></channel>{items}</rdf:RDF>"
    ).encode()


def sitemap(base: str, stories: list[Story], *, news: bool = False) -> bytes:
    if news:
        urls = "".join(
            f"<url><loc>{base}{s.path}</loc><news:news><news:publication><news:name>Test</news:name>"
            f"<news:language>{s.language}</news:language></news:publication>"
            f"<news:publication_date>{s.published.isoformat()}</news:publication_date>"
            f"<news:title>{html.escape(s.title)}</news:title></news:news></url>"
            for s in stories
        )
        namespaces = ' xmlns:news="http://www.google.com/schemas/sitemap-news/0.9"'
    else:
        urls = "".join(
            f"<url><loc>{base}{s.path}</loc><lastmod>{s.published.isoformat()}</lastmod></url>" for s in stories
        )
        namespaces = ""
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        f'<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9"{namespaces}>{urls}</urlset>'
    ).encode()


def sitemap_index(base: str, children: list[str]) -> bytes:
    items = "".join(
        f"<sitemap><loc>{base}{c}</loc><lastmod>2024-12-0{i + 1}</lastmod></sitemap>" for i, c in enumerate(children)
    )
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        f'<sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">{items}</sitemapindex>'
    ).encode()


def section_page(site: str, base: str, stories: list[Story]) -> bytes:
    teasers = "".join(
        f'<div class="teaser"><h2><a href="{s.path}">{html.escape(s.title)}</a></h2>'
        f"<p>{html.escape(s.text[:90])}…</p></div>"
        for s in stories
    )
    return f"""<!DOCTYPE html><html lang="en"><head><title>World | {site}</title></head><body>
<header><nav><a href="/">Home</a> <a href="/world/">World</a> <a href="/tags/korea">Korea</a>
<a href="/author/jane-doe">Jane Doe</a></nav></header>
<main><h1>World news</h1>{teasers}
<div class="pager"><a href="/world/page/2">Next page</a></div>
<a href="/static/brochure-2024-final-version.pdf">Media kit</a>
<a href="https://other-site.example/2024/11/a-story-elsewhere-in-the-world">Elsewhere</a></main>
<footer><a href="/about">About</a> <a href="/privacy">Privacy</a>
<a href="/world/2024/11/footer-link-should-not-count-as-article">Footer promo</a></footer></body></html>""".encode()
