"""Which copy of an article is the canonical one: the original, not a repost or a mirror.

`choose_canonical(copies)` ranks all the known copies of one article; the store re-ranks them
whenever a copy arrives, so the choice depends on the set of copies, never on their arrival
order. A copy shows it is not the original in three ways, judged against the other copies:

* its 来源 names another copy's site (`names_site`): `来源：中国汽车工业协会`, `转自achie.org`,
  `本文来源于东海省工业和信息化厅网站` — by the site's display name, host, registrable domain
  or registry name. Two sites that both name a third party (the issuing ministry) name neither
  copy, so the publication date and completeness decide between them;
* it opens with an editor's note (`opens_with_editor_note`): 编者按, 【编者按】, 编者的话, 按语;
* its body is contained in another copy's of the same or an earlier date (`contained_in`): the
  other has text this one lacks and not the reverse — a repost whose last paragraph is cut
  short, page 1 of a long article. Measured on the shingle samples of the bodies' index
  entries (`pipelines.dedup`), not on lengths. A copy opening with an editor's note contains
  no other (the note is text the others lack), and the publication date comes first: a later
  copy that adds a correction contains the original without being it.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timezone
from functools import lru_cache
from typing import Optional
from urllib.parse import urlsplit

from pipelines.hosts import registered_domain
from pipelines.dedup import ShingleSample
from pipelines.normalize import Script

__all__ = [
    "Copy",
    "choose_canonical",
    "contained_in",
    "names_site",
    "opens_with_editor_note",
    "rank_copies",
    "site_names",
]

#: Share of a copy's sampled shingles the other copy must hold for it to be contained.
CONTAINED_SHARE = 0.9
#: What the container must have that the contained copy lacks: this share of its own sampled
#: shingles (a cut last paragraph of a 2,000-character notice is ≈ 4 %; two corrected
#: figures are ≈ 0.3 %) and at least as many samples as `CONTAINER_EXTRA_MIN`.
CONTAINER_EXTRA_SHARE = 0.02
CONTAINER_EXTRA_MIN = 4
#: The contained copy's own extra text (an editor's note, a 转载 line) is at most this share
#: of what the container has beyond it.
OWN_EXTRA_SHARE = 0.5


@dataclass(frozen=True)
class Copy:
    """One copy of an article, as far as choosing the canonical one goes."""

    url: str
    site: str  # the registry's name of the site
    original_script: Script = "simplified"
    published_at: Optional[date] = None  # a date or a datetime
    first_seen_at: Optional[datetime] = None
    body_len: int = 0
    spam_cut_count: int = 0
    is_mirror_host: bool = False
    source: Optional[str] = None  # the page's 来源
    site_name: Optional[str] = None  # the site's display name, as the page gives it
    editor_note: bool = False  # the body opens with an editor's note
    sample: Optional[ShingleSample] = field(default=None, compare=False, repr=False)

    @property
    def mirror_like(self) -> bool:
        return (
            self.is_mirror_host or self.original_script == "traditional" or self.spam_cut_count > 0
        )


# --- what a copy says about itself --------------------------------------------------------------

_NOTE_RE = re.compile(
    r"^[\s【\[〔（(]*(?:编者按|编者的话|编者注|编辑按|编前语|按语)[\s】\]〕）)]*(?:[:：]|$|(?<=[\s】\]〕）)]))"
)
#: Paragraphs from the top that may hold the note (a 转载 line or 原标题 may come first).
NOTE_PARAGRAPHS = 2


def opens_with_editor_note(paragraphs: Sequence[str]) -> bool:
    """True when one of the first paragraphs of a body is an editor's note."""
    return any(_NOTE_RE.match(p) for p in paragraphs[:NOTE_PARAGRAPHS])


# Words around a site's name in a 来源 line that are not the name.
_SOURCE_LABEL_RE = re.compile(
    r"(?:信息|文章|稿件|新闻)?(?:来源|來源|稿源|出处|出處)\s*[:：]?|本文(?:来源|來源)于|本文转自|"
    r"转载自|转载于|转自|轉自|摘自|选自"
)
_SITE_WORDS_RE = re.compile(r"(?:官方网站|门户网站|官网|网站|網站|微信公众号)$")
_MIN_DISPLAY_CHARS = 3


def _bare(name: str) -> str:
    """A display name or 来源 without spacing, labels and a trailing 网站/官网."""
    text = _SOURCE_LABEL_RE.sub("", "".join(name.split()).casefold())
    return _SITE_WORDS_RE.sub("", text)


@lru_cache(maxsize=4096)
def site_names(url: str, site: str, site_name: Optional[str]) -> tuple[str, ...]:
    """The names a 来源 line may give a copy's site: its host (without www.), its registrable
    domain, its registry name and its display name."""
    host = (urlsplit(url).hostname or "").lower()
    names = {host.removeprefix("www."), registered_domain(host), site.casefold()}
    if site_name and len(_bare(site_name)) >= _MIN_DISPLAY_CHARS:
        names.add(_bare(site_name))
    return tuple(sorted(n for n in names if n))


@lru_cache(maxsize=4096)
def _name_pattern(name: str) -> re.Pattern[str]:
    if name.isascii():  # a host, domain or registry name: a whole token of the line
        return re.compile(rf"(?<![a-z0-9-]){re.escape(name)}(?![a-z0-9-]|\.[a-z])")
    return re.compile(re.escape(name))


def names_site(source: Optional[str], names: Iterable[str]) -> bool:
    """True when a 来源 line names a site known by `names` (see `site_names`)."""
    if not source:
        return False
    text = _bare(source)
    return bool(text) and any(_name_pattern(name).search(text) for name in names)


# --- how copies relate ---------------------------------------------------------------------------


def contained_in(copy: Copy, other: Copy) -> bool:
    """True when `other` has text that `copy` lacks and `copy` has next to none that `other`
    lacks, measured on the two bodies' shingle samples (False when either has none)."""
    if copy.sample is None or other.sample is None:
        return False
    overlap = copy.sample.overlap(other.sample)
    if overlap is None:
        return False
    shared, mine, theirs = overlap
    own_extra, their_extra = mine - shared, theirs - shared
    return (
        shared >= CONTAINED_SHARE * mine
        and their_extra >= max(CONTAINER_EXTRA_MIN, CONTAINER_EXTRA_SHARE * theirs)
        and own_extra <= OWN_EXTRA_SHARE * their_extra
    )


def _naive(moment: Optional[date]) -> datetime:
    """A comparable naive UTC datetime; unknown dates sort last."""
    if moment is None:
        return datetime.max
    if not isinstance(moment, datetime):
        return datetime.combine(moment, time())
    if moment.tzinfo is not None:
        return moment.astimezone(timezone.utc).replace(tzinfo=None)
    return moment


def rank_copies(copies: Sequence[Copy]) -> list[Copy]:
    """The copies of one article, best first. In order:

    1. the original source before a mirror: not Traditional, no spam cut, host not a mirror;
    2. Simplified before Traditional/mixed;
    3. a copy whose 来源 names no other copy's site (of another site) before one that does;
    4. without an editor's note at the start before with one;
    5. the earlier publication date (unknown dates last): a later copy that adds a correction
       or a 转载 line contains the original, and is still not it;
    6. a copy whose body is contained in no other copy's before one that is (a mirror or a
       copy with an editor's note contains nothing: their extra text is not the article's);
    7. the complete copy over a shorter one (the longer body; lengths within 2 % of the
       longest count as complete, so an editor's note does not outweigh the other criteria);
    8. the earlier first-seen (crawl order is an accident, so it comes after completeness:
       page 1 of an article seen first must not stay canonical once the whole is known);
    9. fewer spam cuts;
    10. the URL, so the order is deterministic.

    3. and 6. depend on the other copies: the ranking is of the set, whatever its order.
    """
    if not copies:
        raise ValueError("rank_copies needs at least one copy")
    longest = max(c.body_len for c in copies)
    names = {c.url: site_names(c.url, c.site, c.site_name) for c in copies}
    # What a mirror or a copy with an editor's note has beyond another copy may be its planted
    # lines or its note: neither makes the other copy a part of it.
    containers = [
        c for c in copies if not c.mirror_like and not c.editor_note and c.sample is not None
    ]

    def rank(copy: Copy) -> tuple[object, ...]:
        names_other = copy.source is not None and any(
            other.site != copy.site and names_site(copy.source, names[other.url])
            for other in copies
        )
        contained = copy.sample is not None and any(
            other.url != copy.url and contained_in(copy, other) for other in containers
        )
        missing = 0 if copy.body_len >= 0.98 * longest else longest - copy.body_len
        return (
            copy.mirror_like,
            copy.original_script != "simplified",
            names_other,
            copy.editor_note,
            _naive(copy.published_at),
            contained,
            missing,
            _naive(copy.first_seen_at),
            copy.spam_cut_count,
            copy.url,
        )

    return sorted(copies, key=rank)


def choose_canonical(copies: Sequence[Copy]) -> Copy:
    """The best copy of one article (the first of `rank_copies`)."""
    if not copies:
        raise ValueError("choose_canonical needs at least one copy")
    return rank_copies(copies)[0]
