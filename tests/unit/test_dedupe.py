from __future__ import annotations

from monitor.dedupe import NEAR_DUPLICATE, best_copy, canonical_url, exact_hash, fingerprint, similarity

REPORT = (
    "Officials in the capital said on Monday that the new bridge over the river would open to traffic in March, "
    "two years later than planned. The delay was caused by a dispute with the main contractor over the cost of "
    "steel, the transport ministry said in a statement. Local residents have complained for months about traffic "
    "jams on the old crossing, which was built in the 1960s and is now limited to light vehicles. The ministry "
    "said the final inspection would take place in February and that tolls would not be charged in the first year."
)


def test_canonical_url_strips_tracking_but_keeps_identity() -> None:
    url = "HTTPS://News.Example.org:443/a/b?id=7&utm_source=rss&utm_campaign=x&fbclid=abc#comments"
    assert canonical_url(url) == "https://news.example.org/a/b?id=7"
    assert canonical_url("https://news.example.org/story.php?nid=12") != canonical_url(
        "https://news.example.org/story.php?nid=13"
    )


def test_exact_hash_ignores_case_spacing_and_punctuation() -> None:
    assert exact_hash("The  bridge, opens!") == exact_hash("the bridge opens")


def test_syndicated_and_lightly_edited_copies_are_near_duplicates() -> None:
    original = fingerprint(REPORT)
    edited = fingerprint(
        REPORT.replace("on Monday", "on Monday evening") + " (Reporting by the wire; editing by staff.)"
    )
    assert similarity(original.minhash, edited.minhash) >= NEAR_DUPLICATE
    assert set(original.bands) & set(edited.bands), "an LSH band must be shared to find the candidate"
    assert best_copy(edited.minhash, [("story-1", original.minhash)]) == "story-1"


def test_a_different_event_with_similar_wording_is_not_a_copy() -> None:
    other = (
        "Officials in the capital said on Friday that the new tunnel under the harbour would close for repairs in "
        "June, a year after it opened. Cracks found in the ventilation shafts must be fixed before the summer, the "
        "transport ministry said. Drivers will be sent over the old bridge, which the city plans to widen next year "
        "at a cost that has not yet been agreed with the regional government."
    )
    assert similarity(fingerprint(REPORT).minhash, fingerprint(other).minhash) < NEAR_DUPLICATE
    assert best_copy(fingerprint(other).minhash, [("story-1", fingerprint(REPORT).minhash)]) is None
