"""Full-text search of the store in Chinese: the query parsed and normalised, the SQL for SQLite
(FTS5 trigram, `articles_fts`) and PostgreSQL (pg_trgm), ranked hits with highlighted snippets.

How it works on each backend, and why: docs/search.md. In short, every term is a substring to
find (Chinese has no spaces to split words on, so a term matches wherever its characters stand
in a row), several terms must all be found, and a term of three characters or more is looked up
in the trigram index while a shorter one, which no trigram can hold, is checked by a scan of
the rows the other terms and the filters leave.

The texts searched are `TextSource`s: an article's title and body, and the text of the files it
attaches (`docs/search.md`, "Attachment text" and "Adding a text source").
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timezone
from typing import Any, Optional

from sqlalchemy import (
    ColumnElement,
    Connection,
    Float,
    Select,
    and_,
    case,
    cast,
    column,
    func,
    literal_column,
    or_,
    select,
    table,
    union_all,
)

from models import Article, ArticleAttachment, ArticleCopy, Attachment
from pipelines.attachments.results import ATTACHMENT
from pipelines.normalize import normalize_text, to_simplified

MIN_INDEXED_CHARS = 3  # a trigram index holds substrings of three characters and more
DEFAULT_LIMIT = 20
# A hit in the title counts this many times a hit in the body (bm25's column weight on SQLite,
# the same factor in the PostgreSQL rank).
TITLE_WEIGHT = 10.0
# The PostgreSQL rank (and SQLite's for short terms) is BM25's term-frequency part with these
# usual constants and a fixed average body length (about a policy notice's), so that a long
# body does not win by its length alone. Every hit holds every term, so BM25's IDF would move
# all of them alike for a one-term query; it is left out.
BM25_K1 = 1.2
BM25_B = 0.75
AVERAGE_BODY_CHARS = 2000
# On SQLite, a query whose indexed terms are held together by at least this many articles is
# "common": ranking every hit by bm25() costs ~3 µs a hit (140-250 ms for 40,000-100,000 hits
# of 100,000 articles), so such a query is ordered in a way FTS5 stops early on instead
# (`common_statement`). Below it, bm25() over every hit costs at most ~35 ms.
COMMON_HITS = 10_000
SNIPPET_CHARS = 80
MARK_START, MARK_END = "<mark>", "</mark>"
MAX_SNIPPET_HITS = 200  # the hits a snippet's window is chosen among (the first ones)

FTS_TABLE = "articles_fts"
ATTACHMENT_FTS_TABLE = "attachments_fts"
# The PostgreSQL trigram indexes revisions 0010 and 0011 make (when the database's locale allows).
TRIGRAM_INDEXES = {
    "articles": ("ix_articles_title_trgm", "ix_articles_body_text_trgm"),
    "attachments": ("ix_attachments_text_trgm",),
}
# The links whose file's text is searched as the article's: `article_attachments.relation` of a
# file with a text of its own. A `same_as_body` file is the body again, and a `copy_of_article`
# file is another stored article's body, found as that article.
SEARCHED_RELATION = ATTACHMENT

# ASCII and Chinese double quotes, and corner brackets, around a phrase kept whole.
_QUOTE_TABLE = str.maketrans({"“": '"', "”": '"', "「": '"', "」": '"', "＂": '"'})
# A quoted phrase (to the closing quote or the end), or a run of other non-space characters.
_TOKEN = re.compile(r'"([^"]*)(?:"|$)|([^\s"]+)')
_LIKE_SPECIAL = re.compile(r"([\\%_])")


class QueryError(ValueError):
    """A query that cannot be searched (empty, or only quotes and spaces)."""


@dataclass(frozen=True)
class SearchQuery:
    """What to find: terms that must all appear, and filters on the articles."""

    terms: tuple[str, ...]
    site: Optional[str] = None  # an article with a copy on this site
    # published_at on or after this day; first_seen_at for an article without a date
    since: Optional[date] = None
    issuer: Optional[str] = None  # a substring of 发文机关
    doc_type: Optional[str] = None  # 文种, exactly (通知, 意见, 办法, 解读, …)
    limit: int = DEFAULT_LIMIT

    @property
    def indexed_terms(self) -> tuple[str, ...]:
        return tuple(t for t in self.terms if len(t) >= MIN_INDEXED_CHARS)

    @property
    def short_terms(self) -> tuple[str, ...]:
        return tuple(t for t in self.terms if len(t) < MIN_INDEXED_CHARS)


@dataclass
class SearchHit:
    """One article found, with what a reader needs to judge it and find it."""

    article_id: int
    score: float
    title: Optional[str]
    url: str  # the canonical copy
    site: str
    day: Optional[date]  # published_at, else the day it was first seen
    issuer: Optional[str]
    doc_number: Optional[str]
    doc_type: Optional[str]
    copies: int  # URLs at which the article was seen, the canonical one included
    snippet: str  # a window of the body (or an attachment) around the hits, in <mark>…</mark>
    matched_in: tuple[str, ...] = ()  # the texts that hold a term: title, body, attachment
    # The name of the attached file the snippet is from; None when it is from the body.
    snippet_from: Optional[str] = None

    def as_record(self) -> dict[str, Any]:
        return {
            "id": self.article_id, "score": round(self.score, 4), "title": self.title,
            "url": self.url, "site": self.site,
            "date": self.day.isoformat() if self.day else None, "issuer": self.issuer,
            "doc_number": self.doc_number, "doc_type": self.doc_type, "copies": self.copies,
            "snippet": self.snippet, "matched_in": list(self.matched_in),
            "snippet_from": self.snippet_from,
        }


# --- the query ----------------------------------------------------------------------------


def normalise_term(term: str) -> str:
    """A term as the store writes text: NFKC, spaces collapsed, Chinese punctuation, Simplified."""
    return to_simplified(normalize_text(term))


def parse_terms(raw: str) -> tuple[str, ...]:
    """The terms of a query: split on spaces, a "quoted phrase" kept whole (an unclosed quote
    runs to the end); each normalised to the store's Simplified text, each once.

    Raises QueryError when nothing is left to search for.
    """
    text = raw.translate(_QUOTE_TABLE)
    terms: list[str] = []
    for match in _TOKEN.finditer(text):
        term = normalise_term(match.group(1) if match.group(1) is not None else match.group(2))
        if term and term not in terms:
            terms.append(term)
    if not terms:
        raise QueryError("the query is empty: give one or more words to search for")
    return tuple(terms)


def build_query(
    raw: str, *, site: Optional[str] = None, since: Optional[date] = None,
    issuer: Optional[str] = None, doc_type: Optional[str] = None, limit: int = DEFAULT_LIMIT,
) -> SearchQuery:
    """A SearchQuery from what a user typed; filters normalised like the terms."""
    if limit < 1:
        raise QueryError("--limit must be 1 or more")
    return SearchQuery(
        terms=parse_terms(raw), site=site or None, since=since,
        issuer=(normalise_term(issuer) or None) if issuer else None,
        doc_type=(normalise_term(doc_type) or None) if doc_type else None, limit=limit,
    )


def like_pattern(term: str) -> str:
    """`%term%` with LIKE's own characters escaped (ESCAPE '\\')."""
    return "%" + _LIKE_SPECIAL.sub(r"\\\1", term) + "%"


def fts_phrase(term: str) -> str:
    """The term as one FTS5 phrase: its characters in a row, whatever FTS5 syntax it holds."""
    return '"' + term.replace('"', '""') + '"'


def has_case(term: str) -> bool:
    """Whether letter case can differ for this term (Latin letters): Chinese has none, and LIKE
    (cheaper than ILIKE on PostgreSQL) is then exact."""
    return term.lower() != term.upper()


# --- text sources -------------------------------------------------------------------------


@dataclass(frozen=True)
class TextSource:
    """A text an article can be found by.

    `hits(dialect, terms)`: a SELECT of (article_id, score) for the articles whose text holds
    every one of the indexed terms (three characters or more), served by an index.
    `contains(dialect, term)`: a condition on an `articles` row that its text holds a term, for
    the short terms checked by a scan of the rows left. `score(dialect, term)`: that row's score
    for a short term. `indexed_on_row(dialect)`: whether `contains` is itself served by an index
    (the text is on the articles row and indexed there), so that an article's own text need not
    be joined to itself.
    """

    name: str
    hits: Callable[[str, Sequence[str]], Select[Any]]
    contains: Callable[[str, str], ColumnElement[bool]]
    score: Callable[[str, str], ColumnElement[float]]
    indexed_on_row: Callable[[str], bool] = lambda _dialect: False


A = Article.__table__.c
_fts = table(FTS_TABLE, column("rowid"))
_fts_self = literal_column(FTS_TABLE)


def _float(value: float) -> ColumnElement[float]:
    return literal_column(repr(float(value)), Float)


def _contains(col: ColumnElement[str], term: str) -> ColumnElement[bool]:
    pattern = like_pattern(term)
    if has_case(term):
        return col.ilike(pattern, escape="\\")
    return col.like(pattern, escape="\\")


def _size(dialect: str, value: ColumnElement[Any]) -> ColumnElement[int]:
    """The length of a text in a unit both backends count fast: bytes on PostgreSQL (its
    length() counts characters by walking the UTF-8), characters on SQLite."""
    return func.octet_length(value) if dialect == "postgresql" else func.length(value)


def _occurrences(dialect: str, col: ColumnElement[str], term: str) -> ColumnElement[float]:
    """How many times the term occurs in the column (0 for NULL), by length difference."""
    text = func.coalesce(col, "")
    needle: Any = term
    if has_case(term):
        text, needle = func.lower(text), term.lower()
    unit = len(term.encode()) if dialect == "postgresql" else len(term)
    removed = _size(dialect, text) - _size(dialect, func.replace(text, needle, ""))
    return cast(removed, Float) * _float(1 / unit)


def _saturated_frequency(dialect: str, col: ColumnElement[str], term: str) -> ColumnElement[float]:
    """BM25's saturated term frequency of the term in a text: tf (k1 + 1) / (tf + k1 (1 - b +
    b len / avg))."""
    tf = _occurrences(dialect, col, term)
    # Bytes on PostgreSQL: three a Chinese character in UTF-8.
    per_unit = BM25_K1 * BM25_B / AVERAGE_BODY_CHARS / (3 if dialect == "postgresql" else 1)
    norm = _float(BM25_K1 * (1 - BM25_B)) + cast(_size(dialect, col), Float) * _float(per_unit)
    return tf * _float(BM25_K1 + 1) / (tf + norm)


def _article_score(dialect: str, term: str) -> ColumnElement[float]:
    """Title weight for a title holding the term, plus the body's saturated term frequency."""
    in_title = case((_contains(A.title, term), _float(TITLE_WEIGHT)), else_=_float(0.0))
    return in_title + _saturated_frequency(dialect, A.body_text, term)


def _article_contains(_dialect: str, term: str) -> ColumnElement[bool]:
    return or_(_contains(A.title, term), _contains(A.body_text, term))


def _article_hits(dialect: str, terms: Sequence[str]) -> Select[Any]:
    if dialect == "sqlite":
        # One MATCH for all the terms (FTS5 intersects their lists itself); bm25() is smaller
        # for a better match: negated, so that every source scores upwards.
        return select(
            _fts.c.rowid.label("article_id"),
            (-func.bm25(_fts_self, TITLE_WEIGHT, 1.0)).label("score"),
        ).select_from(_fts).where(_fts_self.op("MATCH")(" AND ".join(map(fts_phrase, terms))))
    score = sum((_article_score(dialect, t) for t in terms[1:]), _article_score(dialect, terms[0]))
    return select(A.id.label("article_id"), score.label("score")).where(
        *(_article_contains(dialect, t) for t in terms)
    )


ARTICLE_TEXT = TextSource(
    name="article", hits=_article_hits, contains=_article_contains, score=_article_score,
    # PostgreSQL's trigram indexes are on articles.title and articles.body_text themselves.
    indexed_on_row=lambda dialect: dialect == "postgresql",
)

L = ArticleAttachment.__table__.c
F = Attachment.__table__.c
_attachments_fts = table(ATTACHMENT_FTS_TABLE, column("rowid"))
_attachments_fts_self: ColumnElement[Any] = literal_column(ATTACHMENT_FTS_TABLE)


def _attachment_hits(dialect: str, terms: Sequence[str]) -> Select[Any]:
    """(article_id, score) for each searched link to a file whose text holds every term: an
    article with several such files has several rows (the caller keeps its best). A short
    term, which no trigram holds, is a scan of the files' text."""
    if dialect == "sqlite" and all(len(t) >= MIN_INDEXED_CHARS for t in terms):
        # bm25() with one column: a hit in a file weighs as a hit in a body.
        return select(
            L.article_id, (-func.bm25(_attachments_fts_self)).label("score"),
        ).select_from(_attachments_fts.join(
            ArticleAttachment.__table__, L.attachment_id == _attachments_fts.c.rowid
        )).where(
            _attachments_fts_self.op("MATCH")(" AND ".join(map(fts_phrase, terms))),
            L.relation == SEARCHED_RELATION,
        )
    score = sum((_saturated_frequency(dialect, F.text, t) for t in terms[1:]),
                _saturated_frequency(dialect, F.text, terms[0]))
    return select(L.article_id, score.label("score")).select_from(
        ArticleAttachment.__table__.join(Attachment.__table__, L.attachment_id == F.id)
    ).where(L.relation == SEARCHED_RELATION, *(_contains(F.text, t) for t in terms))


def _searched_files(*conditions: ColumnElement[bool]) -> Select[Any]:
    """The searched files of the `articles` row in the enclosing query, holding `conditions`."""
    return select(F.text).select_from(
        ArticleAttachment.__table__.join(Attachment.__table__, L.attachment_id == F.id)
    ).where(L.article_id == A.id, L.relation == SEARCHED_RELATION, *conditions)


def _attachment_contains(_dialect: str, term: str) -> ColumnElement[bool]:
    return _searched_files(_contains(F.text, term)).exists()


def _attachment_score(dialect: str, term: str) -> ColumnElement[float]:
    """The best saturated term frequency among the article's searched files (0 without one)."""
    best = _searched_files(_contains(F.text, term)).with_only_columns(
        func.max(_saturated_frequency(dialect, F.text, term))
    ).scalar_subquery()
    return func.coalesce(best, _float(0.0))


ATTACHMENT_TEXT = TextSource(
    name="attachment", hits=_attachment_hits, contains=_attachment_contains,
    score=_attachment_score,
)
SOURCES: tuple[TextSource, ...] = (ARTICLE_TEXT, ATTACHMENT_TEXT)


# --- the statement ------------------------------------------------------------------------


def _indexed_hits(
    dialect: str, terms: Sequence[str], sources: Sequence[TextSource]
) -> list[Select[Any]]:
    """(article_id, score) selects whose join is the articles holding every indexed term in
    some source: one select when there is one source; else one a term, each the best score
    of the sources holding it (a term in the body, another in an attachment, is a hit)."""
    if len(sources) == 1:
        return [sources[0].hits(dialect, terms)]
    selects = []
    for term in terms:
        every = union_all(*(s.hits(dialect, (term,)) for s in sources)).subquery()
        selects.append(select(every.c.article_id, func.max(every.c.score).label("score"))
                       .group_by(every.c.article_id))
    return selects


def _filters(query: SearchQuery) -> list[ColumnElement[bool]]:
    conditions: list[ColumnElement[bool]] = []
    if query.site:
        # An IN list from the copies' site index: a scan for short terms reads that site's
        # articles only, instead of testing every article for a copy there.
        copies = ArticleCopy.__table__.c
        conditions.append(A.id.in_(select(copies.article_id).where(copies.site == query.site)))
    if query.since:
        day = datetime.combine(query.since, time())
        conditions.append(or_(
            A.published_at >= day,
            and_(A.published_at.is_(None), A.first_seen_at >= day.replace(tzinfo=timezone.utc)),
        ))
    if query.issuer:
        conditions.append(_contains(A.issuer, query.issuer))
    if query.doc_type:
        conditions.append(A.doc_type == query.doc_type)
    return conditions


def _touched(dialect: str, sources: Sequence[TextSource], terms: Sequence[str]) -> Any:
    """The ids of the articles whose text in these sources holds at least one of the terms."""
    return union_all(*(s.hits(dialect, (t,)).with_only_columns(s.hits(dialect, (t,)).selected_columns[0])
                       for s in sources for t in terms))


def _matches(
    query: SearchQuery, dialect: str, sources: Sequence[TextSource], *,
    on_row: Sequence[str], candidates: Optional[Any] = None,
) -> Select[Any]:
    """SELECT article_id, score of every article holding every term: the indexed terms not in
    `on_row` through the sources' indexes, then the filters and the `on_row` terms on the rows
    that are left; `candidates`, a select of article ids, narrows the rows first."""
    scores: list[ColumnElement[float]] = []
    joined: Any = Article.__table__
    indexed = [t for t in query.indexed_terms if t not in on_row]
    if indexed:
        for n, hits in enumerate(_indexed_hits(dialect, indexed, sources)):
            found = hits.subquery(f"hits{n}")
            joined = joined.join(found, found.c.article_id == A.id)
            scores.append(found.c.score)
    conditions = _filters(query)
    if candidates is not None:
        conditions.append(A.id.in_(candidates))
    for term in on_row:
        conditions.append(or_(*(s.contains(dialect, term) for s in sources)))
        scores.append(sum((s.score(dialect, term) for s in sources[1:]),
                          sources[0].score(dialect, term)))
    statement = select(A.id.label("article_id"), sum(scores[1:], scores[0]).label("score"))
    statement = statement.select_from(joined)
    return statement.where(and_(*conditions)) if conditions else statement


def ranked_statement(
    query: SearchQuery, dialect: str, sources: Sequence[TextSource] = SOURCES
) -> Select[Any]:
    """SELECT article_id, score of the best `query.limit` articles holding every term: the
    indexed terms through the sources' indexes, then the filters and the short terms on the
    rows that are left (all the rows, filtered, when every term is short).

    Where the first source is indexed on the articles row itself (PostgreSQL), its terms are
    conditions on the row, which the planner serves from the trigram indexes together with
    the filters; the articles the other sources (attachments) hold a term of are a second
    set, few, on which every term is checked in every source; an article in both keeps its
    best score."""
    if sources[0].indexed_on_row(dialect):
        statement = _matches(query, dialect, sources[:1], on_row=query.terms)
        others = sources[1:]
        if others:
            touched = _touched(dialect, others, query.terms)
            through = _matches(query, dialect, sources, on_row=query.terms, candidates=touched)
            every = union_all(statement, through).subquery()
            statement = select(every.c.article_id, func.max(every.c.score).label("score")).group_by(
                every.c.article_id)
    else:
        statement = _matches(query, dialect, sources, on_row=query.short_terms)
    found = statement.subquery("found")
    return select(found.c.article_id, found.c.score).join(
        Article.__table__, A.id == found.c.article_id
    ).order_by(
        found.c.score.desc(), A.published_at.desc().nulls_last(), A.id.desc()
    ).limit(query.limit)


# --- common terms (SQLite) ----------------------------------------------------------------


def _fts_query(terms: Sequence[str]) -> str:
    return " AND ".join(map(fts_phrase, terms))


def is_common(conn: Connection, query: SearchQuery, common_hits: int = COMMON_HITS) -> bool:
    """Whether the query's indexed terms are held together by `common_hits` articles or more
    (their title or body), on SQLite: counted in the index up to that cap (1-6 ms on 100,000
    articles for 10,000), which is the bm25() work the full ranking would do."""
    if conn.dialect.name != "sqlite" or not query.indexed_terms:
        return False
    capped = select(_fts.c.rowid).where(
        _fts_self.op("MATCH")(_fts_query(query.indexed_terms))).limit(common_hits).subquery()
    return conn.execute(select(func.count()).select_from(capped)).scalar_one() >= common_hits


def common_statement(query: SearchQuery, sources: Sequence[TextSource] = SOURCES) -> Select[Any]:
    """SELECT article_id, score of `query.limit` articles holding every term, for a common
    query on SQLite, in an order FTS5 reads from its index and stops early on: the articles
    whose title holds one of the indexed terms first, then the others, each most recently
    stored first (`articles.id` descending); the score is 1 for a title hit, else 0. Articles found through another source (an attachment) are ordered by the
    same rule. Filters and short terms are checked as the index is read."""
    terms = query.indexed_terms
    every = _fts_query(terms)
    in_title = " OR ".join(f"{{title}} : {fts_phrase(t)}" for t in terms)
    conditions = _filters(query) + [
        or_(*(s.contains("sqlite", t) for s in sources)) for t in query.short_terms]
    joined = _fts.join(Article.__table__, A.id == _fts.c.rowid)

    def newest(where: str, tier: int) -> Any:
        return select(A.id.label("article_id"), literal_column(str(tier)).label("tier")).select_from(
            joined).where(_fts_self.op("MATCH")(where), *conditions).order_by(
            _fts.c.rowid.desc()).limit(query.limit).subquery()

    branches = [newest(f"({every}) AND ({in_title})", 1), newest(every, 0)]
    others = [s for s in sources if s is not ARTICLE_TEXT]
    if others:
        # Articles whose other sources hold a term: few next to the articles' own hits; each
        # term is then checked on them in every source.
        branches.append(select(A.id.label("article_id"), literal_column("0").label("tier")).where(
            A.id.in_(_touched("sqlite", others, terms)), *conditions,
            *(or_(*(s.contains("sqlite", t) for s in sources)) for t in terms),
        ).order_by(A.id.desc()).limit(query.limit).subquery())
    every_branch = union_all(*(select(b.c.article_id, b.c.tier) for b in branches)).subquery()
    best = select(every_branch.c.article_id, func.max(every_branch.c.tier).label("tier")).group_by(
        every_branch.c.article_id).subquery()
    score = cast(best.c.tier, Float).label("score")
    return select(best.c.article_id, score).order_by(
        best.c.tier.desc(), best.c.article_id.desc()).limit(query.limit)


# --- snippets -----------------------------------------------------------------------------


def _term_pattern(terms: Sequence[str]) -> re.Pattern[str]:
    # Longest first, so that a term inside another is not preferred to it.
    ordered = sorted(set(terms), key=len, reverse=True)
    return re.compile("|".join(map(re.escape, ordered)), re.IGNORECASE)


def snippet(text: str, terms: Sequence[str], width: int = SNIPPET_CHARS) -> str:
    """A window of about `width` characters of the text, placed to show the most distinct terms
    (the first hit breaks a tie), each hit marked <mark>…</mark>; "…" where it cuts the text.
    Without a hit, the text's opening."""
    text = text.replace("\n", " ")
    hits = [(m.start(), m.end(), m.group().lower())
            for m, _ in zip(_term_pattern(terms).finditer(text), range(MAX_SNIPPET_HITS))]
    if not hits:
        return text[:width] + ("…" if len(text) > width else "")
    best_start, best_seen = hits[0][0], -1
    for i, (start, _end, _term) in enumerate(hits):
        seen = {term for s, e, term in hits[i:] if e <= start + width}
        if len(seen) > best_seen:
            best_start, best_seen = start, len(seen)
    # Some context before the first hit shown, the window kept inside the text.
    begin = max(0, min(best_start - width // 4, len(text) - width))
    end = min(len(text), begin + width)
    # A hit cut by the window's end is shown whole.
    for start, stop, _term in hits:
        if start < end < stop:
            end = stop
    pieces = ["…" if begin > 0 else ""]
    cursor = begin
    for start, stop, _term in hits:
        if stop <= begin or start >= end:
            continue
        start = max(start, begin)
        pieces += [text[cursor:start], MARK_START, text[start:stop], MARK_END]
        cursor = stop
    pieces += [text[cursor:end], "…" if end < len(text) else ""]
    return "".join(pieces)


@dataclass(frozen=True)
class FileText:
    """The text of a searched file an article attaches, for its snippet."""

    name: Optional[str]
    text: str


def _distinct_terms(text: str, pattern: re.Pattern[str]) -> int:
    return len({m.group().lower() for m in pattern.finditer(text)})


def _shown(
    title: Optional[str], body: str, files: Sequence[FileText], terms: Sequence[str]
) -> tuple[str, tuple[str, ...], Optional[FileText]]:
    """The snippet, the texts holding a term (title, body, attachment), and the file the
    snippet is from: the body's, unless a file holds more distinct terms than the body (a hit
    in the attachment only), then that file's."""
    pattern = _term_pattern(terms)
    in_body = _distinct_terms(body, pattern)
    in_files = [(_distinct_terms(f.text, pattern), f) for f in files]
    best = max(in_files, key=lambda pair: pair[0], default=(0, None))
    matched = tuple(name for name, found in (
        ("title", bool(pattern.search(title or ""))), ("body", in_body > 0),
        ("attachment", best[0] > 0)) if found)
    if best[1] is not None and best[0] > in_body:
        return snippet(best[1].text, terms), matched, best[1]
    return snippet(body, terms), matched, None


def _file_texts(conn: Connection, ids: Sequence[int]) -> dict[int, list[FileText]]:
    """article id -> the texts of its searched files, in the page's order."""
    texts: dict[int, list[FileText]] = {}
    rows = conn.execute(
        select(L.article_id, F.name, F.text)
        .select_from(ArticleAttachment.__table__.join(Attachment.__table__, L.attachment_id == F.id))
        .where(L.article_id.in_(ids), L.relation == SEARCHED_RELATION, F.text != "")
        .order_by(L.article_id, L.position, L.id)
    )
    for row in rows:
        texts.setdefault(row.article_id, []).append(FileText(row.name, row.text))
    return texts


# --- running it ---------------------------------------------------------------------------


def search(
    conn: Connection, query: SearchQuery, sources: Sequence[TextSource] = SOURCES,
    common_hits: int = COMMON_HITS,
) -> list[SearchHit]:
    """The best `query.limit` articles holding every term, best first (for a common query on
    SQLite, in the order `common_statement` gives)."""
    statement = (common_statement(query, sources) if is_common(conn, query, common_hits)
                 else ranked_statement(query, conn.dialect.name, sources))
    ranked = conn.execute(statement).all()
    if not ranked:
        return []
    ids = [row.article_id for row in ranked]
    copies = ArticleCopy.__table__.c
    counts = dict(conn.execute(
        select(copies.article_id, func.count()).where(copies.article_id.in_(ids))
        .group_by(copies.article_id)
    ).all())
    details = {row.id: row for row in conn.execute(
        select(A.id, A.title, A.url, A.site, A.published_at, A.first_seen_at, A.issuer,
               A.doc_number, A.doc_type, A.body_text).where(A.id.in_(ids))
    )}
    files = _file_texts(conn, ids)
    hits = []
    for row in ranked:
        article = details[row.article_id]
        moment = article.published_at or article.first_seen_at
        shown, matched_in, snippet_file = _shown(
            article.title, article.body_text or "", files.get(article.id, []), query.terms)
        hits.append(SearchHit(
            article_id=article.id, score=float(row.score), title=article.title, url=article.url,
            site=article.site, day=moment.date() if moment else None, issuer=article.issuer,
            doc_number=article.doc_number, doc_type=article.doc_type,
            copies=counts.get(article.id, 0),
            snippet=shown, matched_in=matched_in,
            snippet_from=snippet_file.name if snippet_file else None,
        ))
    return hits


def missing_index_notice(conn: Connection) -> Optional[str]:
    """A line to show when this store searches without its index (a PostgreSQL database whose
    locale kept revisions 0010 and 0011 from making the trigram indexes), else None."""
    if conn.dialect.name != "postgresql":
        return None
    expected = {name for names in TRIGRAM_INDEXES.values() for name in names}
    found = set(conn.execute(
        select(column("indexname")).select_from(table("pg_indexes"))
        .where(column("tablename").in_(TRIGRAM_INDEXES), column("indexname").in_(expected))
    ).scalars())
    if found == expected:
        return None
    lc_ctype = conn.exec_driver_sql("SHOW lc_ctype").scalar()
    return (
        f"this PostgreSQL database has no trigram index for search (LC_CTYPE {lc_ctype!r}; "
        f"pg_trgm indexes Chinese only under a UTF-8 locale): results are right but come from "
        f"a full scan; see docs/search.md to add the index"
    )

