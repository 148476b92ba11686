"""Misbehaving outlets for the safety tests: each function writes one whole HTTP answer.

Written for the tests: XML bombs, endless and trickling bodies, compression bombs,
redirect loops and redirects to addresses a found link may not reach.
"""

from __future__ import annotations

import gzip
import io
import time
import zlib
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler

BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE rss [
 <!ENTITY lol "lol">
 <!ENTITY lol1 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol2 "&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
 <!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
 <!ENTITY lol5 "&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;">
 <!ENTITY lol6 "&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;">
 <!ENTITY lol7 "&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;">
 <!ENTITY lol8 "&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;">
 <!ENTITY lol9 "&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;">
]>
<rss version="2.0"><channel><title>&lol9;</title>
<item><title>&lol9;</title><link>http://127.0.0.1/laughs/item-about-nothing-much</link></item>
</channel></rss>"""

EXTERNAL_ENTITY = b"""<?xml version="1.0"?>
<!DOCTYPE urlset [<!ENTITY secret SYSTEM "file:///etc/passwd">]>
<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9"><url><loc>&secret;</loc></url></urlset>"""


def _zeros_gzip(megabytes: int) -> bytes:
    """`megabytes` MB of zeros, gzip-compressed (about 1,000 to 1)."""
    packer = zlib.compressobj(9, zlib.DEFLATED, 31)
    block = b"\0" * 1_000_000
    out = io.BytesIO()
    for _ in range(megabytes):
        out.write(packer.compress(block))
    out.write(packer.flush())
    return out.getvalue()


BOMB = _zeros_gzip(200)  # 200 MB inflated, about 200 KB on the wire
SITEMAP_BOMB = gzip.compress(b"<?xml version='1.0'?><urlset>" + b" " * 20_000_000 + b"</urlset>", 6)


def _send(handler: BaseHTTPRequestHandler, body: bytes, headers: dict[str, str]) -> None:
    handler.send_response(200)
    for key, value in {**headers, "Content-Length": str(len(body))}.items():
        handler.send_header(key, value)
    handler.end_headers()
    handler.wfile.write(body)


def gzip_bomb(handler: BaseHTTPRequestHandler) -> None:
    _send(handler, BOMB, {"Content-Type": "application/rss+xml", "Content-Encoding": "gzip"})


def sitemap_bomb(handler: BaseHTTPRequestHandler) -> None:
    _send(handler, SITEMAP_BOMB, {"Content-Type": "application/x-gzip"})


def endless(handler: BaseHTTPRequestHandler) -> None:
    """A body that never ends (no length, no end): until the client hangs up."""
    handler.send_response(200)
    handler.send_header("Content-Type", "application/rss+xml")
    handler.end_headers()
    handler.wfile.write(b"<?xml version='1.0'?><rss version='2.0'><channel><title>")
    chunk = b"endless " * 8192
    try:
        while True:
            handler.wfile.write(chunk)
    except OSError:
        return


def trickle(handler: BaseHTTPRequestHandler) -> None:
    """One byte a second: every read is quick, the whole answer never comes."""
    handler.send_response(200)
    handler.send_header("Content-Type", "application/rss+xml")
    handler.send_header("Content-Length", "100000")
    handler.end_headers()
    try:
        for _ in range(100_000):
            handler.wfile.write(b"<")
            handler.wfile.flush()
            time.sleep(1)
    except OSError:
        return


def redirect_to(location: str) -> Callable[[BaseHTTPRequestHandler], None]:
    def answer(handler: BaseHTTPRequestHandler) -> None:
        handler.send_response(302)
        handler.send_header("Location", location)
        handler.send_header("Content-Length", "0")
        handler.end_headers()

    return answer
