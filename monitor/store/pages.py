"""Pages seen: stored, rejected (gave no article) or refused (a rule that can change said no)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import Engine, delete, or_, select
from sqlalchemy.orm import Session

from monitor.store.tables import ArticleRow


class Pages:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def known(self, urls: Iterable[str], *, stale_claims_before: datetime | None = None) -> set[str]:
        """Those of the URLs stored, rejected, or claimed by an instance since `stale_claims_before`."""
        wanted = list(set(urls))
        found: set[str] = set()
        with Session(self.engine) as session:
            for start in range(0, len(wanted), 500):
                chunk = wanted[start : start + 500]
                query = select(ArticleRow.canonical_url).where(
                    ArticleRow.canonical_url.in_(chunk), ArticleRow.status != "refused"
                )
                if stale_claims_before is not None:
                    query = query.where(
                        or_(ArticleRow.status != "claimed", ArticleRow.fetched_at >= stale_claims_before)
                    )
                found.update(session.scalars(query))
        return found

    def reject(
        self, *, source: str, url: str, canonical_url: str, reason: str, now: datetime, retry: bool = False
    ) -> None:
        """Remember a page that gave no article, so it is not fetched again every poll; with `retry`
        (a refusal by a rule that can change) it is only noted: the next poll asks again."""
        status = "refused" if retry else "rejected"
        with Session(self.engine) as session, session.begin():
            row = session.scalar(select(ArticleRow).where(ArticleRow.canonical_url == canonical_url))
            if row is not None:
                if row.status in ("refused", "claimed"):
                    row.status, row.reason, row.fetched_at = status, reason[:2000], now
                return
            session.add(
                ArticleRow(
                    source=source,
                    url=url,
                    canonical_url=canonical_url,
                    status=status,
                    reason=reason[:2000],
                    fetched_at=now,
                )
            )

    def forget_refused(self, canonical_urls: Iterable[str]) -> int:
        """Drop the refusals of links about to be asked again (their article row would take the URL);
        how many there were."""
        wanted, dropped = list(canonical_urls), 0
        with Session(self.engine) as session, session.begin():
            for start in range(0, len(wanted), 500):
                chunk = wanted[start : start + 500]
                query = delete(ArticleRow).where(ArticleRow.status == "refused", ArticleRow.canonical_url.in_(chunk))
                dropped += int(session.execute(query).rowcount or 0)  # type: ignore[attr-defined]
        return dropped

    def status(self, canonical_url: str) -> tuple[str, str | None] | None:
        with Session(self.engine) as session:
            row = session.execute(
                select(ArticleRow.status, ArticleRow.reason).where(ArticleRow.canonical_url == canonical_url)
            ).first()
            return None if row is None else (row[0], row[1])
