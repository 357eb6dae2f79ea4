"""`policy-ingest search` as a user runs it, on a store crawled from the fixture web: the
results are the articles holding the terms (in the title, the body or an attached file's
text), with their canonical URL and copies; a term only in a crawled file; Traditional
queries, filters, no results and an empty query; the same answers after `reprocess --rebuild`
has emptied the store and written every article again."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import func, select

from crawler.demo.server import FixtureWeb
from models import Article, ArticleAttachment, ArticleCopy, Attachment
from models.database import create_store_engine
from tests.support.crawl import ROOT, crawl_env, run_crawl

CLI = [sys.executable, "-m", "crawler.cli"]
ACHIE = "http://www.achie.test/a/chanye/2025/1022/123.html"  # a mirror copies it
GXT = "http://www.gxt-gov.test/xwdt/gzdt/202510/t20251017_693120.html"


def cli(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*CLI, *args], cwd=cwd, env=crawl_env({}), capture_output=True,
                          text=True, timeout=300)


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def crawled_url(request: pytest.FixtureRequest, fixture_web: FixtureWeb, tmp_path_factory) -> str:
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path_factory.mktemp('search') / 'policy.db'}"
    else:
        url = request.getfixturevalue("postgres").create_database()
    result = run_crawl(url, fixture_web.proxy_env())
    assert result.returncode == 0, result.stderr[-3000:]
    return url


def found(url: str, *args: str) -> list[dict]:
    proc = cli("search", *args, "--json", "--db", url, cwd=ROOT)
    assert proc.returncode == 0, proc.stderr
    return [json.loads(line) for line in proc.stdout.splitlines()]


def file_texts(url: str) -> list[tuple[int, str, str]]:
    """(article id, file name, text) of every file an article attaches as a text of its own."""
    engine = create_store_engine(url)
    with engine.connect() as conn:
        rows = conn.execute(
            select(ArticleAttachment.article_id, Attachment.name, Attachment.text)
            .join(Attachment, Attachment.id == ArticleAttachment.attachment_id)
            .where(ArticleAttachment.relation == "attachment", Attachment.text != "")
        ).all()
    engine.dispose()
    return [(r.article_id, r.name, r.text) for r in rows]


def truth(url: str, *terms: str, site: str | None = None) -> dict[str, int]:
    """canonical URL -> copies, of the stored articles whose title, body and attached files
    hold every term (and that have a copy on `site`)."""
    engine = create_store_engine(url)
    with engine.connect() as conn:
        copies = dict(conn.execute(select(ArticleCopy.article_id, func.count())
                                   .group_by(ArticleCopy.article_id)).all())
        on_site = set(conn.scalars(select(ArticleCopy.article_id).where(ArticleCopy.site == site)))
        rows = conn.execute(select(Article.id, Article.url, Article.title, Article.body_text)).all()
    engine.dispose()
    texts = {r.id: [r.title or "", r.body_text] for r in rows}
    for article_id, _name, text in file_texts(url):
        texts[article_id].append(text)
    return {r.url: copies[r.id] for r in rows
            if all(any(t in part for part in texts[r.id]) for t in terms)
            and (site is None or r.id in on_site)}


def test_search_finds_the_articles_with_their_canonical_url_and_copies(crawled_url: str) -> None:
    hits = found(crawled_url, "专精特新")
    assert {h["url"]: h["copies"] for h in hits} == truth(crawled_url, "专精特新")
    assert {ACHIE, GXT} <= {h["url"] for h in hits}
    assert next(h for h in hits if h["url"] == ACHIE)["copies"] == 2  # and its mirror
    assert all("<mark>专精特新</mark>" in h["snippet"] for h in hits)
    assert hits[0]["title"] and "专精特新" in hits[0]["title"]
    # Traditional, as the mirror printed it; a short term; several terms.
    assert found(crawled_url, "專精特新") == hits
    assert {h["url"] for h in found(crawled_url, "融资")} == set(truth(crawled_url, "融资")) != set()
    both = found(crawled_url, "中小企业", "数字化转型")
    assert {h["url"] for h in both} == set(truth(crawled_url, "中小企业", "数字化转型")) != set()


def test_filters_and_limit(crawled_url: str) -> None:
    for site in ("gxt_gov", "phpcms", "achie_mirror"):
        hits = found(crawled_url, "中小企业", "--site", site)
        assert {h["url"] for h in hits} == set(truth(crawled_url, "中小企业", site=site)) != set()
    assert GXT in {h["url"] for h in found(crawled_url, "专精特新", "--site", "gxt_gov")}
    # A copy on the site is enough: the mirror's copy finds the original's article.
    mirrored = found(crawled_url, "专精特新", "--site", "achie_mirror")
    assert ACHIE in {h["url"] for h in mirrored} and all(h["site"] == "achie" for h in mirrored)
    recent = found(crawled_url, "中小企业", "--since", "2025-10-20")
    assert recent and all(h["date"] >= "2025-10-20" for h in recent)
    assert len(found(crawled_url, "中小企业", "--limit", "2")) == 2


def test_table_no_results_and_an_empty_query(crawled_url: str, tmp_path: Path) -> None:
    proc = cli("search", "专精特新", "--db", crawled_url, cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert "result(s) for 专精特新" in proc.stdout and "<mark>" not in proc.stdout
    assert "专精特新中小企业加快颠覆式创新的困境和突破路径" in proc.stdout and ACHIE in proc.stdout
    proc = cli("search", "量子纠缠", "--db", crawled_url, cwd=tmp_path)
    assert (proc.returncode, proc.stdout.strip()) == (0, "no results for 量子纠缠")
    proc = cli("search", "  ", "--db", crawled_url, cwd=tmp_path)
    assert proc.returncode == 2 and "the query is empty" in proc.stderr
    assert cli("search", "--json", "--db", crawled_url, cwd=tmp_path).returncode == 2


def test_the_same_answers_after_reprocess_rebuild(crawled_url: str, tmp_path: Path) -> None:
    queries = (["专精特新"], ["工业互联网"], ["算力"], ["中小企业", "融资"])

    def answers() -> list[list[tuple]]:
        return [[(h["url"], h["copies"], h["snippet"]) for h in found(crawled_url, *q)]
                for q in queries]

    before = answers()
    proc = cli("reprocess", "-q", "--rebuild", "--db", crawled_url, cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert answers() == before and all(before)



@pytest.mark.slow
def test_a_term_only_in_an_attached_file_finds_the_notice(db_url: str, tmp_path: Path) -> None:
    """A covering notice whose measures are only in its PDF (stored through the store's path,
    as a crawl stores it): `search` finds it by a phrase of the PDF, says the snippet is from
    the file, in JSON and in the table. (The fixture web's files are all the page's body again,
    unreadable or failed: the crawled store above has no such file.)"""
    from tests.pipelines.test_search_attachments import VOUCHER_PAGE, stored_notices

    engine = stored_notices(db_url)
    engine.dispose()
    hits = found(db_url, "按企业实际支付智算服务费用")
    assert [h["url"] for h in hits] == [VOUCHER_PAGE] == list(truth(db_url, "按企业实际支付智算服务费用"))
    (hit,) = hits
    assert hit["matched_in"] == ["attachment"]
    assert hit["snippet_from"] == "东海省算力券管理办法（试行）.pdf"
    assert "<mark>按企业实际支付智算服务费用</mark>" in hit["snippet"]
    proc = cli("search", "智算服务费用", "--db", db_url, cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert "in the attached file 东海省算力券管理办法（试行）.pdf" in proc.stdout
    assert VOUCHER_PAGE in proc.stdout
