"""A loopback web of deep columns: the corpus's article pages behind list pages paginated the
ways real sites do it. Used by `python -m benchmarks crawl` and by the pagination tests.

Each column is a host of its own, served by `crawler.demo.server.FixtureWeb(root=…)`. Its list
pages hold `list_size` article links each, newest first, and reach each other only through
their pager, in one of these shapes:

| shape | list pages | pager |
|---|---|---|
| `trs_script` | `/zwgk/zcwj/index.html`, `index_1.html` … (zero-based) | a `createPageHTML(countPage, …)` script only, no link |
| `dede_numbered` | `/a/chanye/index.html` = `list_3_1.html`, `list_3_2.html` … | 首页 上一页, a window of numbered links, 下一页 末页, 共N页 |
| `hanweb_pagenum` | `/col/col1621004/index.html?uid=4451&pageNum=N` | 下页 and 尾页 links |
| `portal_next` | `/news/index.html`, `index_2.html` … (one-based) | 上一页 and 下一页 › only |
| `query_page` | `/list.php?catid=5&page=N` | numbered links 1 … 9 and 下一页 |

So every article page is reached only if each column's pagination is followed to its end.
"""

from __future__ import annotations

import html
import random
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from urllib.parse import urlsplit

from benchmarks.corpus import Document, build_corpus, render_page

SHAPES = ("trs_script", "dede_numbered", "hanweb_pagenum", "portal_next", "query_page")
_RELATED = re.compile(r'href="http://[^/"]+/a/\d+\.html"')


@dataclass(frozen=True)
class ColumnSpec:
    shape: str
    list_pages: int
    list_size: int


@dataclass(frozen=True)
class Column:
    host: str
    shape: str
    start_url: str
    list_urls: tuple[str, ...]
    article_urls: tuple[str, ...]


#: Writes the files an article page links and gives their (href, link text) pairs: called with
#: the document and the directory its page is written in.
Attach = Callable[[Document, Path], list[tuple[str, str]]]


def build_paged_web(
    root: Path, specs: Sequence[ColumnSpec], seed: int = 20251022, duplicate_share: float = 0.2,
    attach: Attach | None = None,
) -> list[Column]:
    """Write one host per spec under `root`; the columns, in the order of `specs`. `attach`
    gives article pages attached files."""
    total = sum(spec.list_pages * spec.list_size for spec in specs)
    docs = build_corpus(total, seed=seed, duplicate_share=duplicate_share)
    rng = random.Random(seed)
    columns: list[Column] = []
    start = 0
    for number, spec in enumerate(specs):
        host = f"www.{spec.shape.replace('_', '-')}-{number}.test"
        column_docs = [_on_host(doc, host) for doc in docs[start : start + spec.list_pages * spec.list_size]]
        start += len(column_docs)
        columns.append(_write_column(root / host, host, spec, column_docs, rng, attach))
    return columns


def _on_host(doc: Document, host: str) -> Document:
    parts = urlsplit(doc.url)
    return replace(doc, url=f"http://{host}{parts.path}")


def _write_column(
    directory: Path, host: str, spec: ColumnSpec, docs: list[Document], rng: random.Random,
    attach: Attach | None = None,
) -> Column:
    paths = [urlsplit(doc.url).path for doc in docs]
    for doc, path in zip(docs, paths):
        encoding = "gbk" if doc.encoding == "gbk" else "utf-8"
        target = directory / path.lstrip("/")
        target.parent.mkdir(parents=True, exist_ok=True)
        files = attach(doc, target.parent) if attach is not None else []
        # Related-article links point at real articles of the host (no 404 flood).
        page = _RELATED.sub(lambda m: f'href="{rng.choice(paths)}"',
                            render_page(doc, attachments=files).decode(encoding))
        target.write_bytes(page.encode(encoding, errors="xmlcharrefreplace"))
    ordered = sorted(docs, key=lambda d: d.published, reverse=True)  # newest first
    chunks = [ordered[i : i + spec.list_size] for i in range(0, len(ordered), spec.list_size)]
    shape = _SHAPES[spec.shape]
    list_urls = []
    for index, chunk in enumerate(chunks):
        items = "\n".join(
            f'<li><a href="{urlsplit(d.url).path}" target="_blank">{html.escape(d.title)}</a>'
            f"<span>{d.published}</span></li>" for d in chunk
        )
        page = (
            f'<!DOCTYPE html><html><head><meta charset="utf-8"><title>政策文件</title></head><body>'
            f'<div class="nav"><a href="/">首页</a></div><div class="list"><ul>{items}</ul></div>'
            f"{shape.pager(index, len(chunks))}</body></html>"
        )
        for name in shape.files(index):
            (directory / name).parent.mkdir(parents=True, exist_ok=True)
            (directory / name).write_text(page, encoding="utf-8")
        list_urls.append(f"http://{host}/{shape.files(index)[0]}")
    (directory / "robots.txt").write_text("User-agent: *\nAllow: /\n")
    (directory / "index.html").write_text(
        f'<!DOCTYPE html><html><head><meta charset="utf-8"><title>首页</title></head><body>'
        f'<a href="/{shape.files(0)[0]}">政策文件</a></body></html>', encoding="utf-8")
    return Column(host, spec.shape, f"http://{host}/", tuple(list_urls),
                  tuple(d.url for d in docs))


@dataclass(frozen=True)
class _Shape:
    files: Callable[[int], list[str]]  # the file names of list page i (the first one linked)
    pager: Callable[[int, int], str]  # the pager of page i of n


def _trs_pager(index: int, count: int) -> str:
    return ('<div class="page"><script type="text/javascript">\n'
            f"var countPage = {count}//共多少页\nvar currentPage = {index};\n"
            'createPageHTML(countPage, currentPage, "index", "html");\n</script></div>')


def _dede_pager(index: int, count: int) -> str:
    page = index + 1
    parts = ['<li><a href="list_3_1.html">首页</a></li>']
    if page > 1:
        parts.append(f'<li><a href="list_3_{page - 1}.html">上一页</a></li>')
    for k in range(max(1, page - 4), min(count, page + 4) + 1):
        parts.append(f'<li class="thisclass">{k}</li>' if k == page
                     else f'<li><a href="list_3_{k}.html">{k}</a></li>')
    if page < count:
        parts.append(f'<li><a href="list_3_{page + 1}.html">下一页</a></li>')
    parts.append(f'<li><a href="list_3_{count}.html">末页</a></li>')
    return f'<ul class="pagelist">{"".join(parts)}<span class="pageinfo">共 <strong>{count}</strong>页</span></ul>'


def _hanweb_pager(index: int, count: int) -> str:
    base = "/col/col1621004/index.html?uid=4451&amp;pageNum="
    links = [f'<a href="{base}{index + 2}">下页</a>'] if index + 1 < count else []
    links.append(f'<a href="{base}{count}">尾页</a>')
    return f'<div class="default_pgContainer">共{count}页 {" ".join(links)}</div>'


def _portal_pager(index: int, count: int) -> str:
    page = index + 1
    links = []
    if page > 1:
        links.append(f'<a href="/news/{"index" if page == 2 else f"index_{page - 1}"}.html">上一页</a>')
    if page < count:
        links.append(f'<a class="next" href="/news/index_{page + 1}.html">下一页 ›</a>')
    return f'<div class="pages">{"".join(links)}</div>'


def _query_pager(index: int, count: int) -> str:
    page = index + 1
    first = max(1, min(page - 4, count - 8))
    links = [f'<a href="/list.php?catid=5&amp;page={k}">{k}</a>' if k != page else f"<b>{k}</b>"
             for k in range(first, min(count, first + 8) + 1)]
    if page < count:
        links.append(f'<a href="/list.php?catid=5&amp;page={page + 1}">下一页</a>')
    return f'<div id="pages">{"".join(links)}</div>'


_SHAPES = {
    "trs_script": _Shape(lambda i: ["zwgk/zcwj/index.html" if i == 0 else f"zwgk/zcwj/index_{i}.html"],
                         _trs_pager),
    "dede_numbered": _Shape(lambda i: ["a/chanye/index.html", "a/chanye/list_3_1.html"] if i == 0
                            else [f"a/chanye/list_3_{i + 1}.html"], _dede_pager),
    "hanweb_pagenum": _Shape(lambda i: (["col/col1621004/index.html"] if i == 0 else [])
                             + [f"col/col1621004/index.html?uid=4451&pageNum={i + 1}"], _hanweb_pager),
    "portal_next": _Shape(lambda i: ["news/index.html" if i == 0 else f"news/index_{i + 1}.html"],
                          _portal_pager),
    "query_page": _Shape(lambda i: (["list.php"] if i == 0 else []) + [f"list.php?catid=5&page={i + 1}"],
                         _query_pager),
}
