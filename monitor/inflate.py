"""Response bodies decoded a bounded piece at a time: a size cap and a decompression-ratio cap."""

from __future__ import annotations

import zlib

from monitor.errors import FetchError


class Inflater:
    """Decodes Content-Encoding gzip/deflate ourselves, a bounded piece at a time.

    httpx inflates a whole network chunk in one call: 64 KB of a gzip bomb would become
    64 MB before any check could run. Here no piece is larger than what the caps still allow,
    and the ratio of inflated to received bytes is checked as the body arrives.
    """

    def __init__(self, encoding: str, url: str, limit: int, max_ratio: int) -> None:
        encoding = encoding.strip().lower()
        self._url, self._limit, self._max_ratio = url, limit, max_ratio
        self._raw = 0
        self._body = bytearray()
        self._inflate: zlib._Decompress | None = None
        if encoding in ("gzip", "x-gzip"):
            self._inflate = zlib.decompressobj(16 + zlib.MAX_WBITS)
        elif encoding == "deflate":
            self._inflate = zlib.decompressobj(zlib.MAX_WBITS)
        elif encoding not in ("", "identity"):
            raise FetchError(url, f"unsupported Content-Encoding {encoding!r}")
        self._encoding = encoding

    def feed(self, raw: bytes) -> None:
        self._raw += len(raw)
        if self._inflate is None:
            self._take(raw)
            return
        data = raw
        while data:
            try:
                piece = self._inflate.decompress(data, min(262_144, self._limit - len(self._body) + 1))
            except zlib.error as exc:
                if self._encoding == "deflate" and not self._body and self._raw == len(raw):
                    # Some servers send raw deflate without the zlib header (as httpx also allows).
                    self._inflate, self._encoding = zlib.decompressobj(-zlib.MAX_WBITS), "raw-deflate"
                    continue
                raise FetchError(self._url, f"broken compressed body: {exc}") from None
            data = self._inflate.unconsumed_tail
            self._take(piece, consumed=self._raw - len(data))

    def _take(self, piece: bytes, consumed: int | None = None) -> None:
        self._body.extend(piece)
        consumed = self._raw if consumed is None else consumed  # compressed bytes inflated so far
        if self._inflate is not None and len(self._body) > 1_000_000 and len(self._body) > self._max_ratio * consumed:
            raise FetchError(self._url, f"compressed response expands more than {self._max_ratio}×")
        if len(self._body) > self._limit:
            raise FetchError(self._url, f"response exceeds the {self._limit}-byte cap")

    def finish(self) -> bytes:
        if self._inflate is not None:
            self._take(self._inflate.flush())
        return bytes(self._body)
