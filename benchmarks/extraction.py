"""`python -m benchmarks extraction [DIR]`: the extractor scored on labelled real article pages.

DIR holds saved pages; `benchmarks/realpages_labels.json` holds, for each page, only facts about
it (title, date, source as a reader sees them) and the XPaths of its body and of what to leave
out of the body. The expected body text is read from the page with those XPaths at evaluation
time (scripts and styles dropped), so the project stores no sentence of any page.

Each extractor runs on every labelled page and is scored:

- body: F1 of character bigrams, as *multisets* (a bigram said twice counts twice), over the
  text with whitespace, punctuation and control characters removed and NFKC applied;
- title: exact after NFKC (full-width ASCII and `…` folded) and whitespace normalisation;
- date: the date part exact; when the label shows a time, the time too, at the label's precision
  (HH:MM or HH:MM:SS), reported apart; a page that shows no date expects none;
- source: exact after the same normalisation; a page that shows none expects none.

The project's extractor is run as `policy-ingest extract FILE` runs it (`extracted_record`: the
extraction, then the cleaning stages). trafilatura and readability-lxml (the `bench` extra) run
on the same text, decoded by the project's decoder so that only extraction is compared; they
have no source field (readability no date either), shown as "-".
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import unicodedata
from collections import Counter
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

PROJECT_ROOT = Path(__file__).resolve().parents[1]
DEFAULT_DIR = "../shared/realpages/news"  # the dev set, beside the project when present
LABELS = Path(__file__).with_name("realpages_labels.json")
LABEL_FIELDS = ("file", "title", "published", "source", "body_xpath", "exclude_xpaths")
GOOD_BODY = 0.8  # the F1 from which a body counts as extracted
NOT_INSTALLED = "not installed"


@dataclass(frozen=True)
class Label:
    file: str
    title: str
    published: str | None
    source: str | None
    body_xpath: str
    exclude_xpaths: tuple[str, ...] = ()


@dataclass
class Extracted:
    title: str | None
    published: str | None
    source: str | None
    body: str
    has_date: bool = True
    has_source: bool = True


@dataclass
class Score:
    body_f1: float
    body_precision: float
    body_recall: float
    title_ok: bool
    date_ok: bool | None  # None: the extractor has no date field
    time_ok: bool | None  # None: no date field, or the label shows no time
    source_ok: bool | None
    failures: list[str] = field(default_factory=list)


def load_labels(path: Path = LABELS) -> list[Label]:
    entries = json.loads(path.read_text(encoding="utf-8"))
    return [Label(**{**e, "exclude_xpaths": tuple(e["exclude_xpaths"])}) for e in entries]


# --- scoring ------------------------------------------------------------------------------------

def _folded(text: str) -> str:
    return unicodedata.normalize("NFKC", text)


def scored_chars(text: str) -> str:
    """The characters the body score sees: NFKC, lower case, no whitespace/punctuation/controls."""
    return "".join(c for c in _folded(text).lower()
                   if unicodedata.category(c)[0] not in "PZC")


def bigrams(text: str) -> Counter[str]:
    chars = scored_chars(text)
    return Counter(chars[i:i + 2] for i in range(len(chars) - 1))


def bigram_prf(expected: str, got: str) -> tuple[float, float, float]:
    """Precision, recall and F1 of the multisets of character bigrams of `got` vs `expected`."""
    want, have = bigrams(expected), bigrams(got)
    if not want and not have:
        return 1.0, 1.0, 1.0
    overlap = sum((want & have).values())
    if not overlap:
        return 0.0, 0.0, 0.0
    precision, recall = overlap / sum(have.values()), overlap / sum(want.values())
    return precision, recall, 2 * precision * recall / (precision + recall)


def bigram_f1(expected: str, got: str) -> float:
    return bigram_prf(expected, got)[2]


def normalized_text(text: str | None) -> str | None:
    return None if text is None else " ".join(_folded(text).split()) or None


_DATE = re.compile(r"(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2}))?)?")


def date_match(expected: str | None, got: str | None) -> tuple[bool, bool | None]:
    """(date part equal, time equal at the label's precision or None when the label has none).

    `got` may be any ISO form (`2019-09-07`, `2019-09-07T13:43:45+08:00`, a space for the T).
    """
    if expected is None:
        return got is None, None
    want = _DATE.fullmatch(expected)
    if want is None:
        raise ValueError(f"label date {expected!r} is not YYYY-MM-DD[THH:MM[:SS]]")
    have = _DATE.match(got or "")
    date_ok = have is not None and have.group(1, 2, 3) == want.group(1, 2, 3)
    if want.group(4) is None:
        return date_ok, None
    precision = 6 if want.group(6) is not None else 5
    time_ok = date_ok and have is not None and have.group(4) is not None and \
        have.group(*range(4, precision + 1)) == want.group(*range(4, precision + 1))
    return date_ok, time_ok


def score(label: Label, expected_body: str, got: Extracted) -> Score:
    precision, recall, f1 = bigram_prf(expected_body, got.body)
    title_ok = normalized_text(got.title) == normalized_text(label.title)
    date_ok, time_ok = date_match(label.published, got.published) if got.has_date else (None, None)
    source_ok = (normalized_text(got.source) == normalized_text(label.source)
                 if got.has_source else None)
    result = Score(f1, precision, recall, title_ok, date_ok, time_ok, source_ok)
    result.failures = failure_kinds(label, got, result)
    return result


def failure_kinds(label: Label, got: Extracted, s: Score) -> list[str]:
    kinds = []
    if s.body_f1 < GOOD_BODY:
        if s.body_recall < 0.5 and s.body_precision < 0.5:
            kinds.append("body: wrong block")
        elif s.body_recall < s.body_precision:
            kinds.append("body: part of the article missing")
        else:
            kinds.append("body: text around the article kept")
    if not s.title_ok:
        title = normalized_text(got.title) or ""
        want = normalized_text(label.title) or ""
        if not title:
            kinds.append("title: none")
        elif "原标题" in title or "原题" in title:
            kinds.append("title: the （原标题：…） line")
        elif want and want in title:
            kinds.append("title: with site chrome or a prefix")
        else:
            kinds.append("title: other text")
    if s.date_ok is False:
        kinds.append(_absent_or_wrong("date", label.published, got.published, "wrong day"))
    elif s.time_ok is False:
        kinds.append("date: right day, wrong or no time")
    if s.source_ok is False:
        kinds.append(_absent_or_wrong("source", label.source, got.source, "other text"))
    return kinds


def _absent_or_wrong(name: str, want: str | None, got: str | None, wrong: str) -> str:
    if want is None:
        return f"{name}: given where the page shows none"
    return f"{name}: none" if got is None else f"{name}: {wrong}"


# --- the pages ----------------------------------------------------------------------------------

def page_text(body: bytes) -> str:
    from crawler.extractors import decode_html

    return decode_html(body, None).text


def expected_body(html: str, label: Label) -> str:
    """The article text a reader sees, from the label's XPaths (scripts and styles dropped)."""
    from lxml import etree
    from lxml import html as lxml_html

    root = lxml_html.fromstring(html)
    etree.strip_elements(root, "script", "style", "noscript", "template", etree.Comment,
                         with_tail=False)
    found = root.xpath(label.body_xpath)
    if len(found) != 1:
        raise ValueError(f"{label.file}: body_xpath matches {len(found)} elements")
    body = found[0]
    for xpath in label.exclude_xpaths:
        for element in body.xpath(xpath):
            if element is not body and element.getparent() is not None:
                element.drop_tree()
    return " ".join(body.text_content().split())


# --- the extractors -----------------------------------------------------------------------------

def ours(body: bytes, html: str, url: str) -> Extracted:
    from crawler.cli import extracted_record

    record = extracted_record(body, url)
    return Extracted(record["title"], record["published_at"], record["source"],
                     record["body_text"] or "")


def _trafilatura(body: bytes, html: str, url: str) -> Extracted:
    from trafilatura import bare_extraction

    doc = bare_extraction(html, url=url, with_metadata=True, include_comments=False)
    if doc is None:
        return Extracted(None, None, None, "", has_source=False)
    return Extracted(doc.title, doc.date, None, doc.text or "", has_source=False)


def _readability(body: bytes, html: str, url: str) -> Extracted:
    from lxml import html as lxml_html
    from readability import Document

    document = Document(html, url=url)
    summary = lxml_html.fromstring(document.summary(html_partial=True))
    return Extracted(document.title(), None, None, summary.text_content(),
                     has_date=False, has_source=False)


Extractor = Callable[[bytes, str, str], Extracted]


def extractors() -> dict[str, Extractor | None]:
    """The project's extractor and the two others; None for one that is not installed."""
    found: dict[str, Extractor | None] = {"policy-ingest": ours}
    for name, module, run in (("trafilatura", "trafilatura", _trafilatura),
                              ("readability", "readability", _readability)):
        try:
            __import__(module)
            found[name] = run
        except ImportError:
            found[name] = None
    return found


# --- the command --------------------------------------------------------------------------------

def resolve_dir(directory: str | None) -> Path:
    path = Path(directory or DEFAULT_DIR)
    return path if path.is_absolute() else (PROJECT_ROOT / path if directory is None else path)


def _share(values: list[bool | None]) -> float | None:
    known = [v for v in values if v is not None]
    return round(sum(known) / len(known), 3) if known else None


def totals(scores: list[Score]) -> dict[str, Any]:
    f1s = [s.body_f1 for s in scores]
    return {
        "pages": len(scores),
        "mean_body_f1": round(sum(f1s) / len(f1s), 3) if f1s else None,
        "body_f1_ge_0_8": _share([f >= GOOD_BODY for f in f1s]),
        "title_exact": _share([s.title_ok for s in scores]),
        "date_exact": _share([s.date_ok for s in scores]),
        "date_and_time_exact": _share([s.time_ok for s in scores]),
        "source_exact": _share([s.source_ok for s in scores]),
    }


def _mark(ok: bool | None) -> str:
    return "-" if ok is None else ("ok" if ok else "x")


def _pct(value: float | None) -> str:
    return "-" if value is None else f"{100 * value:.0f}%"


def evaluate(directory: Path, labels: list[Label]) -> dict[str, Any]:
    tools = extractors()
    running = {name: run for name, run in tools.items() if run is not None}
    per_page: list[dict[str, Any]] = []
    scores: dict[str, list[Score]] = {name: [] for name in running}
    for label in labels:
        path = directory / label.file
        body = path.read_bytes()
        html = page_text(body)
        want = expected_body(html, label)
        row: dict[str, Any] = {"file": label.file, "expected_chars": len(scored_chars(want))}
        for name, run in running.items():
            got = run(body, html, path.resolve().as_uri())
            s = score(label, want, got)
            scores[name].append(s)
            row[name] = {**asdict(s), "title": got.title, "published": got.published,
                         "source": got.source}
        per_page.append(row)
    return {
        "pages": len(labels),
        "tools": {name: (totals(scores[name]) if name in running else NOT_INSTALLED)
                  for name in tools},
        "failures": {name: _failures(per_page, name) for name in running},
        "per_page": per_page,
    }


def _failures(per_page: list[dict[str, Any]], tool: str) -> dict[str, list[str]]:
    kinds: dict[str, list[str]] = {}
    for row in per_page:
        for kind in row[tool]["failures"]:
            kinds.setdefault(kind, []).append(row["file"])
    return dict(sorted(kinds.items()))


def report(result: dict[str, Any]) -> str:
    tools = list(result["tools"])
    lines = ["page".ljust(24) + "".join(f"{t[:13]:>14} F1 T D t S" for t in tools)]
    for row in result["per_page"]:
        cells = []
        for tool in tools:
            s = row.get(tool)
            if s is None:
                cells.append(f"{NOT_INSTALLED:>25}")
            else:
                cells.append(f"{s['body_f1']:>16.2f} {_mark(s['title_ok']):>2} "
                             f"{_mark(s['date_ok']):>2} {_mark(s['time_ok']):>2} "
                             f"{_mark(s['source_ok']):>2}")
        lines.append(row["file"][:24].ljust(24) + "".join(cells))
    lines.append("")
    lines.append(f"{'':<14}{'mean F1':>8}{'F1>=0.8':>8}{'title':>7}{'date':>7}{'+time':>7}"
                 f"{'source':>7}   ({result['pages']} pages; T title, D date, t time, S source)")
    for tool, t in result["tools"].items():
        if t == NOT_INSTALLED:
            lines.append(f"{tool:<14}{NOT_INSTALLED:>8}")
            continue
        lines.append(f"{tool:<14}{t['mean_body_f1']:>8.3f}{_pct(t['body_f1_ge_0_8']):>8}"
                     f"{_pct(t['title_exact']):>7}{_pct(t['date_exact']):>7}"
                     f"{_pct(t['date_and_time_exact']):>7}{_pct(t['source_exact']):>7}")
    for tool, kinds in result["failures"].items():
        lines.append(f"\nfailures, {tool}:")
        for kind, files in kinds.items():
            lines.append(f"  {kind} ({len(files)}): {', '.join(files)}")
    return "\n".join(lines)


def extraction_benchmark(args: argparse.Namespace) -> int:
    directory = resolve_dir(args.dir)
    if not directory.is_dir():
        print(f"extraction: no page folder at {directory}; nothing to measure")
        return 0
    labels = load_labels()
    missing = [label.file for label in labels if not (directory / label.file).is_file()]
    if missing:
        print(f"extraction: {len(missing)} labelled page(s) not in {directory}, skipped: "
              f"{', '.join(missing)}", file=sys.stderr)
        labels = [label for label in labels if label.file not in missing]
    result = evaluate(directory, labels)
    print(report(result))
    out = Path(args.json)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, indent=2, ensure_ascii=False), encoding="utf-8")
    print(f"\nfigures written to {out}", file=sys.stderr)
    return 0
