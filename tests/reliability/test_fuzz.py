"""Fuzzing the extractor, the normaliser and the spam stages (hypothesis).

No exception escapes, and the outputs keep their promises:

* no Traditional text is left in the cleaned body of a page detected as Traditional or mixed
  (checked with opencc's own t2s, not the project's fast reimplementation);
* no spam phrase of the lexicon (pipelines.spam.SPAM_TERMS) in the cleaned title or body of a
  demo mirror page that would be stored (an article not judged a spam page);
* the cleaned body is never longer than the text of the page it came from;
* every cleaned value is storable (no NUL, control character or lone surrogate).

Example counts are modest so that the file runs in well under 30 s; FUZZ_EXAMPLES=2000 for a
deeper run.
"""

from __future__ import annotations

import os
import re
import unicodedata
from datetime import UTC, datetime

import lxml.html
import opencc
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from crawler.extractors import decode_html, extract
from crawler.items import item_from_page
from pipelines.clean import clean_item
from pipelines.normalize import normalize_record, normalize_text, to_simplified
from pipelines.spam.counter import ParagraphFrequency
from pipelines.spam.lexicon import strip_spam_paragraphs
from pipelines.spam.repeated import strip_repeated_body
from pipelines.spam.title import injected_title_segments
from pipelines.spam.verdict import classify_page
from pipelines.spam.vocabulary import SPAM_TERMS, spam_term_hits
from tests.support.crawl import ROOT

EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "40"))
FUZZ = settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck))
FETCHED = datetime(2025, 11, 1, tzinfo=UTC)
WEB = ROOT / "crawler" / "demo" / "web"
DEMO_PAGES: list[tuple[str, bytes]] = sorted(
    (f"http://{path.relative_to(WEB).as_posix()}", path.read_bytes())
    for path in WEB.rglob("*.html")
)
MIRROR_PAGES = [(url, body) for url, body in DEMO_PAGES if "achie-mirror" in url]
_T2S = opencc.OpenCC("t2s")  # the reference implementation
_WS = re.compile(r"\s+")
# Text to splice into pages: common Simplified and Traditional characters, punctuation, markup.
_SPLICE = st.lists(
    st.sampled_from(list("的一是在不了有和人这中大為國們來時說對發會過後還經現進動")
                    + list("，。、；：“”《》（）<>/=\"' \n\t&#;pdivspanscript")
                    + ["\x00", "\u202e", "\ufeff", "\ud800", "\u3000", "&#x56FD;", "&nbsp;", "<p>", "</div>"]),
    max_size=40,
).map("".join)


def page_text(html: str) -> str:
    """All text of the page (scripts and hidden blocks included): an upper bound for the body."""
    try:
        text = lxml.html.document_fromstring(re.sub(r"^\s*<\?xml[^>]*\?>", "", html) or "<p></p>").text_content()
    except (ValueError, lxml.etree.ParserError):
        text = html
    return text


def visible_chars(text: str) -> int:
    return len(_WS.sub("", text))


def check_page(body: bytes, url: str, frequencies: ParagraphFrequency | None = None):
    page = extract(body, url)
    assert "extract_error" not in page.signals, page.signals["extract_error"]
    cleaned = clean_item(item_from_page(page, site="fuzz", fetched_at=FETCHED), frequencies)
    item = cleaned.item
    for text in (item.title, item.body_text, item.body_html, item.source, item.author):
        if text:
            text.encode("utf-8")  # no lone surrogate
            assert "\x00" not in text
    if item.original_script != "simplified":
        assert _T2S.convert(item.body_text) == item.body_text, "Traditional text left in the body"
    # NFKC may expand a compatibility character (㍿ -> 株式会社); compare with the page's text
    # brought to the same form.
    decoded = decode_html(body).text
    bound = visible_chars(unicodedata.normalize("NFKC", to_simplified(page_text(decoded))))
    assert visible_chars(item.body_text) <= bound
    return page, cleaned


# --- the extractor and the clean stage --------------------------------------------------------


@FUZZ
@given(st.binary(max_size=4000))
def test_random_bytes(body: bytes) -> None:
    check_page(body, "http://www.hostile.test/a/2025/1001/1.html")


@FUZZ
@given(
    st.sampled_from(DEMO_PAGES),
    st.lists(st.tuples(st.floats(0, 1), st.integers(0, 300), _SPLICE), min_size=1, max_size=6),
)
def test_mutated_demo_pages(page: tuple[str, bytes], edits: list[tuple[float, int, str]]) -> None:
    url, body = page
    decoded = decode_html(body)
    text = decoded.text
    for where, cut, insert in edits:
        pos = int(where * len(text))
        text = text[:pos] + insert + text[pos + cut:]
    check_page(text.encode(decoded.encoding, "surrogatepass" if "utf" in decoded.encoding else "replace"), url)


@FUZZ
@given(st.sampled_from(DEMO_PAGES), st.integers(0, 2**32 - 1), st.integers(1, 64))
def test_demo_pages_with_flipped_and_truncated_bytes(page: tuple[str, bytes], seed: int, flips: int) -> None:
    import random

    url, body = page
    rng = random.Random(seed)
    raw = bytearray(body[: rng.randint(len(body) // 4, len(body))])
    for _ in range(flips):
        if raw:
            raw[rng.randrange(len(raw))] = rng.randrange(256)
    check_page(bytes(raw), url)


def _mirror_frequencies() -> ParagraphFrequency:
    """The crawl's cross-page counter, as a crawl of the mirror would have built it."""
    frequencies = ParagraphFrequency()
    for url, body in MIRROR_PAGES:
        clean_item(item_from_page(extract(body, url), site="achie_mirror", fetched_at=FETCHED), frequencies)
    return frequencies


@pytest.mark.parametrize(("url", "body"), MIRROR_PAGES, ids=[u for u, _ in MIRROR_PAGES])
def test_no_spam_phrase_in_a_stored_mirror_page(url: str, body: bytes) -> None:
    page, cleaned = check_page(body, url, _mirror_frequencies())
    if page.page_kind != "article" or cleaned.verdict.is_spam_page:
        return  # not stored as an article: rejected as spam, or a list page
    text = (cleaned.item.title or "") + "\n" + cleaned.item.body_text
    assert not spam_term_hits(text.lower()), [h.term for h in spam_term_hits(text.lower())]


@FUZZ
@given(
    st.sampled_from([(u, b) for u, b in MIRROR_PAGES if "/a/chanye/2025/" in u]),
    st.lists(st.tuples(st.floats(0, 1), st.text(alphabet="的一是在不了有和人这中大，。 ", max_size=30)),
             min_size=1, max_size=5),
)
def test_no_spam_phrase_in_mirror_articles_with_text_spliced_between_tags(
    page: tuple[str, bytes], edits: list[tuple[float, str]]
) -> None:
    url, body = page
    decoded = decode_html(body)
    text = decoded.text
    gaps = [m.end() for m in re.finditer(r">(?=[^<]*<)", text)]
    for where, insert in edits:
        pos = gaps[int(where * (len(gaps) - 1))]
        text = text[:pos] + insert + text[pos:]
        gaps = [g + len(insert) if g >= pos else g for g in gaps]
    page_, cleaned = check_page(text.encode("utf-8"), url)
    if page_.page_kind == "article" and not cleaned.verdict.is_spam_page:
        hits = spam_term_hits(((cleaned.item.title or "") + "\n" + cleaned.item.body_text).lower())
        assert not hits, [h.term for h in hits]


# --- the normaliser --------------------------------------------------------------------------------


@FUZZ
@given(st.text(max_size=300))
def test_normalize_text_never_raises_and_leaves_nothing_invisible(text: str) -> None:
    out = normalize_text(text)
    assert not re.search(r"[\x00-\x08\x0b-\x1f\x7f\u200b-\u200f\u202a-\u202e\u2066-\u2069\ufeff]", out)
    assert out == out.strip()


@FUZZ
@given(st.text(alphabet=st.characters(min_codepoint=0x4E00, max_codepoint=0x9FFF), max_size=200))
def test_to_simplified_agrees_with_opencc(text: str) -> None:
    assert to_simplified(text) == _T2S.convert(text)


@FUZZ
@given(st.text(max_size=80), st.lists(st.text(max_size=120), max_size=12))
def test_normalize_record_never_raises(title: str, paragraphs: list[str]) -> None:
    record = normalize_record(title, paragraphs)
    if record.original_script != "simplified":
        assert _T2S.convert(record.body_text) == record.body_text


# --- the spam stages -------------------------------------------------------------------------------

_SPAMMY = st.lists(
    st.sampled_from(list("的一是在不了有和人中大，。-_|") + [t for terms in SPAM_TERMS.values() for t in terms[:6]]),
    max_size=60,
).map("".join)


@FUZZ
@given(_SPAMMY, st.one_of(st.none(), _SPAMMY), st.lists(_SPAMMY, max_size=10))
def test_spam_stages_never_raise(title: str, heading: str | None, paragraphs: list[str]) -> None:
    body = "\n".join(paragraphs)
    injected = injected_title_segments(title, heading, body)
    assert all(segment in title for segment in injected)
    kept, repeated = strip_repeated_body(paragraphs)
    assert len(kept) + len(repeated) <= len(paragraphs)
    frequencies = ParagraphFrequency()
    frequencies.observe("fuzz", "http://x.test/1.html", frequencies.evidence(kept))
    cleaned, _cuts = strip_spam_paragraphs(kept, frequencies.kinds("fuzz", frequencies.evidence(kept)))
    assert len(cleaned) <= len(kept)
    verdict = classify_page(heading or title, cleaned, {"cloaking_redirect": True, "hidden_blocks": 1})
    assert 0.0 <= verdict.score <= 1.0
