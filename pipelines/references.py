"""What a document says of other documents: the 解读 of a policy, citations of 《…》, amendments
and repeals. Pure; the store resolves the titles to stored articles (`article_links`).

Policy documents name each other by title in book-title marks: a 解读 opens on 《the policy》,
a notice `关于印发《…》的通知` carries a plan, a regulation `自…起施行，《…》同时废止`. What a
title cites is matched against `title_key` of stored articles: the name inside the marks of a
`关于印发《X》的通知` title (the plan it carries), else the title itself.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal, Optional

__all__ = ["Reference", "references", "title_key"]

Kind = Literal["interprets", "cites", "amends", "repeals"]

#: A title in book-title marks, as documents cite each other (short names are law names too:
#: 《预算法》; longer than a sentence is no title).
_CITED = re.compile(r"《([^《》\n]{2,120})》")
_ALIAS = re.compile(r"简称\s*[“\"]?《([^《》\n]{2,120})》")
_SENTENCE_END = re.compile(r"(?<=[。；！？\n])")
_REPEALS = re.compile(r"(?:同时|予以|一并|即行|相应)?废止|停止执行|不再执行|宣布失效")
_AMENDS = re.compile(r"(?:修改|修订|修正)")
# A notice that carries the document it names: its key is that document's title.
_CARRIER = re.compile(r"关于(?:印发|发布|转发|公布|下发|颁布)[^《》]{0,40}《([^《》]{2,120})》")
#: Characters before and after a citation read for what is done to it (after: room for the
#: number in brackets, 《…》（东工信规〔2019〕2号）同时废止).
NEAR_BEFORE = 12
NEAR_AFTER = 24
#: Characters of evidence kept with a reference (the sentence, cut).
EVIDENCE_CHARS = 300
KEY_CHARS = 255


@dataclass(frozen=True)
class Reference:
    """One document named by another: how, by which title, and the sentence that says so."""

    kind: Kind
    title: str
    evidence: str


def title_key(title: Optional[str]) -> Optional[str]:
    """The name other documents cite this one by: the plan a `关于印发《X》的通知` carries, else
    the title (without spaces and book-title marks)."""
    if not title:
        return None
    carried = _CARRIER.search(title)
    key = carried.group(1) if carried else title
    key = "".join(key.split()).strip("《》")
    return key[:KEY_CHARS] or None


def references(
    title: Optional[str], doc_type: Optional[str], paragraphs: Sequence[str]
) -> list[Reference]:
    """The documents this one names, each title once, the strongest kind kept: a 解读 interprets
    what its title names; a sentence that repeals or amends what it names says so; any other
    citation cites."""
    own = title_key(title)
    found: dict[str, Reference] = {}
    # Short names a document gives what it cites (（以下简称《若干措施》）) name nothing new.
    aliases = {m.group(1) for p in paragraphs if "简称" in p for m in _ALIAS.finditer(p)}
    if title and doc_type == "解读":
        for name in _CITED.findall(title):
            _keep(found, own, Reference("interprets", _key(name), title[:EVIDENCE_CHARS]))
    for paragraph in paragraphs:
        if "《" not in paragraph:
            continue
        for sentence in _SENTENCE_END.split(paragraph):
            for cited in _CITED.finditer(sentence):
                if cited.group(1) in aliases:
                    continue
                # The words next to the title say what is done to it: 《…》同时废止, 修改《…》.
                near = sentence[max(0, cited.start() - NEAR_BEFORE) : cited.end() + NEAR_AFTER]
                kind: Kind = (
                    "repeals" if _REPEALS.search(near)
                    else "amends" if _AMENDS.search(near)
                    else "cites"
                )
                evidence = sentence.strip()[:EVIDENCE_CHARS]
                _keep(found, own, Reference(kind, _key(cited.group(1)), evidence))
    return list(found.values())


_STRENGTH = {"cites": 0, "amends": 1, "repeals": 2, "interprets": 3}


def _key(name: str) -> str:
    return "".join(name.split())[:KEY_CHARS]


def _keep(found: dict[str, Reference], own: Optional[str], reference: Reference) -> None:
    if reference.title == own:
        return  # a document naming itself (its own title quoted in its text)
    known = found.get(reference.title)
    if known is None or _STRENGTH[reference.kind] > _STRENGTH[known.kind]:
        found[reference.title] = reference
