from __future__ import annotations

from monitor.dedupe import Candidate, best_copy, canonical_url, exact_hash, fingerprint, is_copy, shingles

REPORT = (
    "Officials in the capital said on Monday that the new bridge over the river would open to traffic in March, "
    "two years later than planned.\nThe delay was caused by a dispute with the main contractor over the cost of "
    "steel, the transport ministry said in a statement. Local residents have complained for months about traffic "
    "jams on the old crossing, which was built in the 1960s and is now limited to light vehicles.\nThe ministry "
    "said the final inspection would take place in February and that tolls would not be charged in the first year. "
    "Engineers will test the structure with loaded lorries in the last week of January."
)
OTHER_EVENT = (
    "Officials in the capital said on Friday that the new tunnel under the harbour would close for repairs in "
    "June, a year after it opened.\nCracks found in the ventilation shafts must be fixed before the summer, the "
    "transport ministry said in a statement. Drivers will be sent over the old crossing, which the city plans to "
    "widen next year at a cost that has not yet been agreed with the regional government."
)


def stored(text: str, story: str = "story-1") -> Candidate:
    mark = fingerprint(text)
    return Candidate(story, mark.minhash, mark.shingles)


def test_canonical_url_strips_tracking_but_keeps_identity() -> None:
    url = "HTTPS://News.Example.org:443/a/b?id=7&utm_source=rss&utm_campaign=x&fbclid=abc#comments"
    assert canonical_url(url) == "https://news.example.org/a/b?id=7"
    assert canonical_url("https://news.example.org/story.php?nid=12") != canonical_url(
        "https://news.example.org/story.php?nid=13"
    )


def test_exact_hash_ignores_case_spacing_and_punctuation() -> None:
    assert exact_hash("The  bridge, opens!") == exact_hash("the bridge opens")


def test_shingles_stay_inside_sentences() -> None:
    assert shingles("One two three. Four five") == {"one two three", "four five"}


def test_copy_variants_join_the_original() -> None:
    sentences = REPORT.replace("\n", " ").split(". ")
    copies = {
        "re-wrapped": REPORT.replace("\n", " "),
        "reordered": "\n".join(reversed(REPORT.split("\n"))),
        "truncated": ". ".join(sentences[:3]) + ".",
        "edited": REPORT.replace("on Monday", "on Monday evening") + " (Reporting by the wire; editing by staff.)",
    }
    for name, copy in copies.items():
        mark = fingerprint(copy)
        assert set(mark.bands) & set(fingerprint(REPORT).bands), f"{name}: no shared band"
        found = best_copy(mark, [stored(REPORT)])
        assert found is not None and found.story_id == "story-1", name


def test_a_different_event_with_similar_wording_is_not_a_copy() -> None:
    assert not is_copy(fingerprint(REPORT).shingles, fingerprint(OTHER_EVENT).shingles)
    assert best_copy(fingerprint(OTHER_EVENT), [stored(REPORT)]) is None


def test_fingerprints_stay_what_the_store_already_holds() -> None:
    # Stored signatures and band keys are compared with new ones: a change to the shingling,
    # the hash or the MinHash scheme would silently stop new copies joining stored stories.
    mark = fingerprint(
        "The council met on Monday. It voted to repair the old bridge before winter!\nResidents welcomed the plan."
    )
    assert mark.exact == "dc6596eb15a2a74a064330f1d97ddab5c92ec2f9f4533ef5abfecb16f0a8826c"
    assert mark.minhash[:4] == (17498335, 265791852, 1272083738, 286597074)
    assert mark.bands[:2] == ("006f4bfe6a8a1e7ce5", "011f2c26a0b51344e6")
    assert len(mark.shingles) // 4 == 12


def test_minhash_needs_no_scipy() -> None:
    # datasketch pulled SciPy (113 MB) for MinHash alone; the same signatures come from NumPy here.
    import subprocess
    import sys

    code = "import sys, monitor.dedupe as d; d.fingerprint('one two three four. five six seven'); print('scipy' in sys.modules)"
    assert (
        subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.strip()
        == "False"
    )
