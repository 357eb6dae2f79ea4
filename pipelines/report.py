"""The figures of one crawl run, gathered from the store for `policy-ingest report`.

`gather_report(engine, run_id)` reads what a run did — its pages, new articles and copies per
site, rejections, spam cuts, duplicate clusters, field coverage with drift warnings and the new
documents — into one `RunReport` of plain dataclasses; `pipelines.report_html` renders it. Every
query filters on the run's id (indexed columns), so the cost follows the run's size, not the
store's.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, Optional

from sqlalchemy import Date, DateTime, Engine, case, func, select
from sqlalchemy.engine import URL, make_url

from models import Article, ArticleCopy, CrawlRun, RejectedPage, Removal
from pipelines.drift import drift_warnings
from pipelines.store import ArticleStore, as_utc

#: The new documents listed in full; a first crawl of a large site lists the first ones only.
MAX_DOCUMENTS = 1000
#: The largest duplicate clusters listed by title.
MAX_CLUSTERS = 10
#: How much of a cut or a rejection's evidence the report shows.
EXAMPLE_CHARS = 160

#: Fields whose share of the run's copies is shown per site: (label, column on article_copies;
#: None for author, which only the article — the canonical copy's fields — keeps).
COVERAGE_FIELDS: tuple[tuple[str, Optional[str]], ...] = (
    ("title", "title"), ("date", "published_at"), ("source", "source"), ("author", None),
    ("doc_number", "doc_number"), ("issuer", "issuer"), ("written_at", "written_at"),
    ("doc_type", "doc_type"), ("validity", "validity"),
)
#: The run figures of `crawl_runs`, in the order the report shows them.
RUN_FIGURES = ("pages", "articles_new", "copies_new", "duplicates", "spam_removed", "rejected",
               "errors", "unchanged")
SITE_FIGURES = ("pages", "articles_new", "copies_new", "unchanged", "rejected", "errors")


class ReportError(LookupError):
    """No run to report on; str() says which and what to do."""


@dataclass(frozen=True)
class SiteFigures:
    site: str
    pages: int
    articles_new: int
    copies_new: int
    unchanged: int
    rejected: int
    errors: int


@dataclass(frozen=True)
class Count:
    """One labelled count, with an example of what was counted when there is one."""

    label: str
    count: int
    example: Optional[str] = None


@dataclass(frozen=True)
class Share:
    filled: int
    of: int

    @property
    def ratio(self) -> Optional[float]:
        return self.filled / self.of if self.of else None


@dataclass(frozen=True)
class SiteCoverage:
    """How many of a site's copies stored in the run have each field (author: of its
    canonical copies, the only ones whose author is kept)."""

    site: str
    copies: int
    shares: dict[str, Share]


@dataclass(frozen=True)
class Cluster:
    article_id: int
    title: Optional[str]
    url: str
    copies: int
    sites: int


@dataclass(frozen=True)
class NewDocument:
    article_id: int
    title: Optional[str]
    site: str
    published_at: Optional[datetime]
    url: str
    doc_number: Optional[str]
    issuer: Optional[str]
    copies: int


@dataclass(frozen=True)
class RunReport:
    run_id: int
    command: str
    status: str
    started_at: datetime
    finished_at: Optional[datetime]
    message: Optional[str]
    figures: dict[str, int]
    sites: list[SiteFigures]
    rejections: list[Count]  # by reason
    rejected_examples: list[Count]  # label: the page's URL, example: reason and detail
    spam_cuts: list[Count]  # by removals.kind, with an example of the text cut
    cluster_sizes: list[Count]  # label: copies per article, count: articles of that size
    largest_clusters: list[Cluster]
    coverage: list[SiteCoverage]
    drift: list[str]
    new_documents: list[NewDocument]
    new_documents_total: int
    coverage_fields: tuple[str, ...] = field(
        default=tuple(label for label, _ in COVERAGE_FIELDS))

    @property
    def duration_s(self) -> Optional[float]:
        if self.finished_at is None:
            return None
        return (as_utc(self.finished_at) - as_utc(self.started_at)).total_seconds()


def latest_run_id(engine: Engine) -> int:
    with engine.connect() as conn:
        run_id = conn.scalar(select(func.max(CrawlRun.id)))
    if run_id is None:
        raise ReportError("the store has no crawl runs yet; run `policy-ingest crawl` first")
    return run_id


def default_report_path(store_url: URL | str, run_id: int, report_dir: str | None = None) -> Path:
    """Where the report of `run_id` is written unless told otherwise: `report_dir`, else a
    `reports/` folder beside a SQLite store's file, else `data/reports/` under the working
    directory (PostgreSQL), beside the default store's and the spool's folder."""
    if report_dir:
        folder = Path(report_dir)
    elif (url := make_url(store_url)).get_backend_name() == "sqlite" and url.database:
        folder = Path(url.database).parent / "reports"
    else:
        folder = Path("data") / "reports"
    return folder / f"run-{run_id}.html"


def _clip(text: Optional[str]) -> Optional[str]:
    if text is None:
        return None
    text = " ".join(text.split())
    return text if len(text) <= EXAMPLE_CHARS else text[:EXAMPLE_CHARS - 1] + "…"


def gather_report(engine: Engine, run_id: Optional[int] = None,
                  max_documents: int = MAX_DOCUMENTS) -> RunReport:
    """The figures of run `run_id` (default: the latest run) as one `RunReport`."""
    if run_id is None:
        run_id = latest_run_id(engine)
    with engine.connect() as conn:
        run = conn.execute(select(CrawlRun).where(CrawlRun.id == run_id)).one_or_none()
        if run is None:
            last = conn.scalar(select(func.max(CrawlRun.id)))
            known = f"runs go from 1 to {last}" if last else "the store has no runs yet"
            raise ReportError(f"no crawl run {run_id} in this store ({known}); "
                              f"`policy-ingest runs` lists them")
        stats: dict[str, Any] = run.stats or {}
        in_run = ArticleCopy.crawl_run_id == run_id

        rejections = [Count(r.reason, r.pages) for r in conn.execute(
            select(RejectedPage.reason, func.count().label("pages"))
            .where(RejectedPage.crawl_run_id == run_id)
            .group_by(RejectedPage.reason).order_by(func.count().desc(), RejectedPage.reason))]
        rejected_examples = [
            Count(r.url, 1, _clip(f"{r.reason}: {r.detail}" if r.detail else r.reason))
            for r in conn.execute(
                select(RejectedPage.url, RejectedPage.reason, RejectedPage.detail)
                .where(RejectedPage.crawl_run_id == run_id)
                .order_by(RejectedPage.reason, RejectedPage.url).limit(50))]

        spam_cuts = [Count(r.kind, r.cuts, _clip(r.example)) for r in conn.execute(
            select(Removal.kind, func.count().label("cuts"), func.min(Removal.content).label("example"))
            .join(ArticleCopy, ArticleCopy.id == Removal.copy_id).where(in_run)
            .group_by(Removal.kind).order_by(func.count().desc(), Removal.kind))]

        # Every article the run added a copy to, with all its copies (from any run).
        touched = select(ArticleCopy.article_id).where(in_run).distinct().scalar_subquery()
        clusters = (
            select(ArticleCopy.article_id, func.count().label("copies"),
                   func.count(func.distinct(ArticleCopy.site)).label("sites"))
            .where(ArticleCopy.article_id.in_(touched))
            .group_by(ArticleCopy.article_id).subquery())
        cluster_sizes = [Count(str(r.copies), r.articles) for r in conn.execute(
            select(clusters.c.copies, func.count().label("articles"))
            .group_by(clusters.c.copies).order_by(clusters.c.copies))]
        largest_clusters = [Cluster(r.id, r.title, r.url, r.copies, r.sites) for r in conn.execute(
            select(Article.id, Article.title, Article.url, clusters.c.copies, clusters.c.sites)
            .join(clusters, clusters.c.article_id == Article.id)
            .where(clusters.c.copies > 1)
            .order_by(clusters.c.copies.desc(), Article.id).limit(MAX_CLUSTERS))]

        coverage = _coverage(conn, run_id)

        # New documents: articles whose first copy this run stored.
        first_run = (
            select(ArticleCopy.article_id, func.min(ArticleCopy.crawl_run_id).label("first_run"),
                   func.count().label("copies"))
            .where(ArticleCopy.article_id.in_(touched))
            .group_by(ArticleCopy.article_id).subquery())
        new = first_run.c.first_run == run_id
        new_total = conn.scalar(select(func.count()).select_from(first_run).where(new)) or 0
        new_documents = [
            NewDocument(r.id, r.title, r.site, r.published_at, r.url, r.doc_number, r.issuer,
                        r.copies)
            for r in conn.execute(
                select(Article.id, Article.title, Article.site, Article.published_at, Article.url,
                       Article.doc_number, Article.issuer, first_run.c.copies)
                .join(first_run, first_run.c.article_id == Article.id).where(new)
                .order_by(Article.site, Article.published_at.desc(), Article.id)
                .limit(max_documents))]

    site_stats: dict[str, dict[str, Any]] = stats.get("sites") or {}
    names = list(site_stats) + sorted(
        {c.site for c in coverage} - set(site_stats))  # sites a reprocess run touched
    sites = [SiteFigures(name, *(int(site_stats.get(name, {}).get(f) or 0) for f in SITE_FIGURES))
             for name in names]
    history_store = ArticleStore(engine)
    drift = [
        warning
        for name, record in site_stats.items() if record.get("coverage")
        for warning in drift_warnings(
            name, record["coverage"], history_store.site_coverage_history(name, before_run=run_id))
    ]
    return RunReport(
        run_id=run.id, command=run.command, status=run.status, started_at=run.started_at,
        finished_at=run.finished_at, message=run.message,
        figures={name: int(getattr(run, name) or 0) for name in RUN_FIGURES},
        sites=sites, rejections=rejections, rejected_examples=rejected_examples,
        spam_cuts=spam_cuts, cluster_sizes=cluster_sizes, largest_clusters=largest_clusters,
        coverage=coverage, drift=drift, new_documents=new_documents,
        new_documents_total=new_total,
    )


def _filled(column: Any) -> Any:
    """count() of the rows where `column` holds something (an empty string is nothing)."""
    if isinstance(column.type, (Date, DateTime)):
        return func.count(column)
    return func.count(func.nullif(func.trim(column), ""))


def _coverage(conn: Any, run_id: int) -> list[SiteCoverage]:
    """Per site, how many of the run's copies have each field."""
    copy_fields = [(label, column) for label, column in COVERAGE_FIELDS if column]
    canonical = ArticleCopy.relation == "canonical"
    query = (
        select(ArticleCopy.site, func.count().label("copies"),
               func.sum(case((canonical, 1), else_=0)).label("canonical"),
               _filled(case((canonical, Article.author))).label("author"),
               *(_filled(getattr(ArticleCopy, column)).label(label)
                 for label, column in copy_fields))
        .join(Article, Article.id == ArticleCopy.article_id)
        .where(ArticleCopy.crawl_run_id == run_id)
        .group_by(ArticleCopy.site).order_by(ArticleCopy.site))
    result = []
    for row in conn.execute(query):
        shares = {label: Share(getattr(row, label), row.copies) for label, _ in copy_fields}
        shares["author"] = Share(row.author, int(row.canonical or 0))
        result.append(SiteCoverage(row.site, row.copies,
                                   {label: shares[label] for label, _ in COVERAGE_FIELDS}))
    return result
