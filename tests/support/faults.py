"""A hostile web on loopback: every way a page or a server can go wrong, for the reliability tests.

One virtual host, ``www.hostile.test`` (a reserved ``.test`` name, RFC 6761), reached like the
fixture web (crawler/demo/server.py) through ``http_proxy``. Its index links to a few good
articles and to every fault in :data:`PAGES`; each page says what the crawl must make of it
(stored, or rejected with which reason). Two more hosts exist only to prove that nothing goes
there: ``www.elsewhere.test`` (an off-site redirect target) and ``spam.cloak.test`` (where the
cloaking pages send crawlers).

The server is an origin server on 127.0.0.1 only; every loop in it is bounded (the slow page
sleeps at most :data:`SLOW_SECONDS` and wakes at shutdown, big bodies are written in a fixed
number of chunks).

    with HostileWeb() as web:
        run_crawl(db_url, web.proxy_env(), sites=web.write_registry(tmp_path))
"""

from __future__ import annotations

import os
import random
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import threading
import time
import zlib
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, Self
from urllib.parse import urlsplit

from crawler.demo.server import LoggedRequest, RequestLog
from tests.support.crawl import FAST, ROOT, CrawlResult, crawl_env

HOST = "www.hostile.test"
OFFSITE_HOST = "www.elsewhere.test"
CLOAK_HOST = "spam.cloak.test"
SLOW_SECONDS = 30.0  # the slow page's sleep: far past DOWNLOAD_TIMEOUT (even with a busy reactor), bounded
BIG_BYTES = 10 * 1024 * 1024 + 512 * 1024  # past Scrapy's DOWNLOAD_MAXSIZE of 10 MiB
FARM_LINKS = 100_000
DEEP_LEVELS = 5_000
RETRY_AFTER_SECONDS = 1  # the busy page's Retry-After (its host is held that long)
# Crawler-ish User-Agents that the server-side cloaking page redirects.
_CRAWLER_UA = ("bot", "spider", "crawl", "archiver", "scrapy", "python", "curl", "wget")

# --- article text -------------------------------------------------------------------------------

_TOPICS = (
    "新能源汽车产业", "集成电路设计", "数字乡村建设", "职业技能培训", "城市更新改造", "海洋经济",
    "中小企业融资", "生态环境保护", "公共文化服务", "智慧医疗", "现代种业", "冷链物流",
    "低空经济", "养老服务体系", "水利基础设施", "跨境电子商务", "文化旅游融合", "氢能产业",
    "工业互联网", "农村供水保障",
)
_SENTENCES = (
    "为深入贯彻落实党中央、国务院关于{t}的决策部署，加快推动{t}高质量发展，结合本省实际，制定本方案。",
    "到{y}年，全省{t}规模力争达到{n}亿元，培育形成{m}家具有核心竞争力的骨干企业。",
    "各地要把{t}摆在突出位置，建立健全工作协调机制，明确责任分工，强化要素保障。",
    "支持{t}领域企业加大研发投入，对年度研发费用超过{n}万元的企业给予一次性奖励。",
    "完善{t}人才引进和培养政策，建设{m}个省级实训基地，每年培训专业技术人员{n}人次。",
    "加强{t}标准体系建设，鼓励企业主导或参与制定国际标准、国家标准和行业标准。",
    "推动{t}与数字经济深度融合，实施一批示范应用项目，形成可复制可推广的经验做法。",
    "省财政每年安排专项资金{n}万元，重点支持{t}重大项目建设和关键技术攻关。",
    "建立{t}统计监测和评估制度，定期通报各地工作进展情况，对成效明显的地区予以激励。",
    "各级政府要优化{t}营商环境，深化“放管服”改革，压减审批时限，提高服务效率。",
)


def article_paragraphs(seed: int, count: int = 8) -> list[str]:
    """Policy-notice paragraphs on a topic of their own: distinct articles for distinct seeds."""
    rng = random.Random(seed)
    topic = _TOPICS[seed % len(_TOPICS)]
    picked = rng.sample(_SENTENCES, k=min(count, len(_SENTENCES)))
    out = []
    for i, sentence in enumerate(picked):
        a = sentence.format(t=topic, y=2026 + seed % 5, n=rng.randint(100, 9999), m=rng.randint(3, 90))
        b = _SENTENCES[(i + seed) % len(_SENTENCES)].format(
            t=topic + "配套", y=2030, n=rng.randint(10, 999), m=rng.randint(2, 30)
        )
        out.append(f"{a}{b}（第{seed}号文件第{i + 1}条）")
    return out


def article_title(seed: int) -> str:
    return f"关于加快{_TOPICS[seed % len(_TOPICS)]}发展的实施意见（第{seed}号）"


def article_html(
    seed: int, *, charset: str | None = "utf-8", head_extra: str = "", body_extra: str = "",
    title: str | None = None, paragraphs: list[str] | None = None, date: str = "2025-10-22",
) -> str:
    title = title if title is not None else article_title(seed)
    paragraphs = paragraphs if paragraphs is not None else article_paragraphs(seed)
    meta = f'<meta charset="{charset}">' if charset else ""
    body = "\n".join(f"<p>{p}</p>" for p in paragraphs)
    return (
        f"<!DOCTYPE html><html><head>{meta}<title>{title}_省人民政府</title>{head_extra}</head>"
        f'<body><div class="place">当前位置：<a href="/">首页</a> &gt; <a href="/a/">政策文件</a></div>'
        f'<div class="article"><h1>{title}</h1>'
        f'<div class="info">发布时间：{date} 来源：省人民政府办公厅</div>'
        f'<div class="content">{body}{body_extra}</div></div>'
        f'<div class="footer">版权所有：省人民政府 ICP备0000000号</div></body></html>'
    )


# --- the pages ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Response:
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b""
    # Special behaviours: "slow", "reset", "stream" (no Content-Length, written in chunks).
    behaviour: str | None = None


@dataclass(frozen=True)
class Page:
    """A page of the hostile site and what the crawl must make of it."""

    name: str
    path: str
    respond: Callable[[_Handler], Response]
    expect: str  # "stored" | a rejection reason | "stored_or_spam_page" (judged by the pipeline)
    status: int | None = None  # the http_status expected on the rejection
    stored_path: str | None = None  # where the article ends up, when not at `path`

    @property
    def url(self) -> str:
        return f"http://{HOST}{self.path}"

    @property
    def stored_url(self) -> str:
        return f"http://{HOST}{self.stored_path or self.path}"


def _html(text: str, charset: str | None = "utf-8", encoding: str = "utf-8", **headers: str) -> Response:
    content_type = f"text/html; charset={charset}" if charset else "text/html"
    return Response(200, {"Content-Type": content_type, **headers}, text.encode(encoding))


def _png() -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    raw = b"".join(b"\x00" + bytes(range(48)) for _ in range(16))
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", 16, 16, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b""))


def _truncated() -> Response:
    text = article_html(4)
    cut = text.index("</p>", len(text) // 2) - 10  # mid-paragraph, every tag left open
    return _html(text[:cut])


def _unclosed() -> Response:
    paragraphs = article_paragraphs(5)
    body = "".join(f"<p><b>{p[:6]}<i>{p[6:]}<span>" for p in paragraphs)  # nothing closed
    # Only <title> is closed: an unclosed <title> swallows the whole page in browsers too.
    text = (f"<html><head><meta charset=utf-8><title>{article_title(5)}</title><body><div class=place>首页 &gt; 政策"
            f"<div class=article><h1>{article_title(5)}<div class=info>发布时间：2025-10-22 来源：省政府"
            f"<div class=content><table><tr><td>{body}<div class=footer>版权所有")
    return _html(text)


def _invalid_bytes() -> Response:
    raw = article_html(6).encode("utf-8")
    # Broken UTF-8: a lone continuation byte, a cut multi-byte sequence, bytes never valid.
    pos = raw.index("。".encode(), len(raw) // 3)
    raw = raw[:pos] + b"\x80\xe4\xb8\xff\xfe\xc0\xaf" + raw[pos:]
    return Response(200, {"Content-Type": "text/html; charset=utf-8"}, raw)


def _hostile_content() -> Response:
    extra = (
        '<script>document.cookie="x=1";alert(1)</script>'
        '<style>body{background:url(javascript:alert(1))}</style>'
        '<p onclick="alert(1)" onmouseover="alert(2)" style="width:expression(alert(3))">'
        '点击查看<a href="javascript:alert(4)">附件说明</a>和<a href="JaVaScRiPt:alert(5)">'
        '政策解读</a>以及<a href="data:text/html;base64,PHNjcmlwdD5hbGVydCg2KTwvc2NyaXB0Pg==">原文</a>。</p>'
        '<iframe src="http://www.elsewhere.test/frame.html"></iframe>'
        '<object data="http://www.elsewhere.test/x.swf"></object><embed src="http://www.elsewhere.test/y.swf">'
        '<img src="data:image/png;base64,iVBORw0KGgo=" onerror="alert(7)">'
        '<img src="/images/map.png" alt="示意图">'
        '<svg onload="alert(8)"><circle r="1"/></svg>'
        '<form action="http://www.elsewhere.test/steal"><input name="q"></form>'
        '<a href="vbscript:msgbox(9)">旧链接</a><a href="/a/2025/1001/1.html" target="_blank">相关文件</a>'
        '<math><mi xlink:href="javascript:alert(10)">x</mi></math>'
        '<base href="javascript:alert(11)//">'
    )
    head = '<script src="http://www.elsewhere.test/evil.js"></script><meta http-equiv="Set-Cookie" content="a=b">'
    return _html(article_html(7, head_extra=head, body_extra=extra))


def _bad_values() -> Response:
    long_title = "关于" + "进一步加强和改进" * 620 + "的通知"  # ~5,000 characters
    paragraphs = article_paragraphs(8)
    paragraphs[0] = "\u202e" + paragraphs[0] + "&#x200F;&#xD800;&#0;&#x1;&#xFFFE;\u0007"
    paragraphs[1] = paragraphs[1].replace("，", "\x00，\x1b", 1)
    text = article_html(8, title=long_title, paragraphs=paragraphs, date="2999-01-01")
    return Response(200, {"Content-Type": "text/html; charset=utf-8"}, text.encode("utf-8"))


def _deep() -> Response:
    inner = "".join(f"<p>{p}</p>" for p in article_paragraphs(18))
    text = (f"<html><head><meta charset=utf-8><title>{article_title(18)}</title></head><body>"
            + "<div>" * DEEP_LEVELS + inner + "</div>" * DEEP_LEVELS + "</body></html>")
    return _html(text)


def _link_farm() -> Response:
    links = "".join(f'<a href="/farm/{i}.html">第{i}项</a> ' for i in range(FARM_LINKS))
    return _html(f"<html><head><meta charset=utf-8><title>目录</title></head><body>{links}</body></html>")


_big_body: bytes | None = None
_big_lock = threading.Lock()


def big_body() -> bytes:
    """A page just past DOWNLOAD_MAXSIZE, made once."""
    global _big_body
    with _big_lock:
        if _big_body is None:
            unit = "".join(f"<p>{p}</p>\n" for p in article_paragraphs(14, 10)).encode()
            head = b"<html><head><meta charset=utf-8><title>big</title></head><body><div class=content>"
            _big_body = head + unit * (BIG_BYTES // len(unit) + 1)
    return _big_body


_long_text_body: bytes | None = None


def long_text_body() -> bytes:
    """~1 MB of distinct article text: under DOWNLOAD_MAXSIZE, over ARTICLE_MAX_CHARS."""
    global _long_text_body
    with _big_lock:
        if _long_text_body is None:
            paragraphs = [p for seed in range(1000, 1400) for p in article_paragraphs(seed, 8)]
            _long_text_body = article_html(16, paragraphs=paragraphs).encode("utf-8")
    return _long_text_body


def _cloak_ua(handler: _Handler) -> Response:
    agent = (handler.headers.get("User-Agent") or "").lower()
    if any(word in agent for word in _CRAWLER_UA):
        return Response(302, {"Location": f"http://{CLOAK_HOST}/landing.html", "Content-Type": "text/html"})
    return _html(article_html(12))


def _cloak_js() -> Response:
    # Visitors from a search engine on a phone are sent to the spam site; the target is base64.
    script = (
        "<script>var r=document.referrer,u=navigator.userAgent;"
        "if(/baidu|sogou|so\\.com|sm\\.cn/i.test(r)&&/Mobile|Android|iPhone/i.test(u)){"
        "window.location.href=atob('aHR0cDovL3NwYW0uY2xvYWsudGVzdC9qcy5odG1s');}</script>"
    )
    return _html(article_html(13, head_extra=script))


def _meta_refresh_offsite() -> Response:
    head = f'<meta http-equiv="refresh" content="0;url=http://{CLOAK_HOST}/refresh.html">'
    return _html(article_html(15, head_extra=head))


def _scheme_links() -> str:
    hrefs = (
        "javascript:alert('js')", "JaVaScRiPt:alert('mixed')", " javascript:void(0)",
        "java&#x09;script:alert('tab')", "java\nscript:alert('newline')",
        "data:text/html,<script>alert('data')</script>", "data:text/html;base64,PHA+aGk8L3A+",
        "mailto:office@hostile.test", "vbscript:msgbox('vb')", "tel:+86-10-0000", "about:blank",
        "file:///etc/passwd", "ftp://www.hostile.test/pub/x.html", "blob:http://www.hostile.test/1",
    )
    return "".join(f'<a href="{h}">链接{i}</a> ' for i, h in enumerate(hrefs))


def _a(n: int, day: str = "1002") -> str:
    return f"/a/2025/{day}/{n}.html"


class _BusyUntilWaited:
    """503 with "Retry-After: `seconds`", unless this crawl's previous request for the page (the
    server's request log, cleared for every crawl) was such a 503 answered at least `seconds`
    ago: then the article. A retry sent without waiting gets the 503 again, so the article is
    stored only by a crawler that honours the header."""

    def __init__(self, seconds: int, article: int) -> None:
        self.seconds, self.article = seconds, article

    def __call__(self, handler: _Handler) -> Response:
        _, path, _ = handler._target()
        earlier = [r for r in handler.server.web.request_log if r.path == path]
        if earlier and earlier[-1].status == 503 and time.monotonic() - earlier[-1].received_at >= self.seconds:
            return _html(article_html(self.article))
        return Response(503, {"Content-Type": "text/html", "Retry-After": str(self.seconds)}, b"busy")


PAGES: tuple[Page, ...] = (
    # Good articles, some served badly: the crawl must store them.
    Page("good_utf8", _a(1, "1001"), lambda h: _html(article_html(1)), "stored"),
    Page("wrong_charset", _a(2, "1001"),
         lambda h: _html(article_html(2, charset="utf-8"), charset="utf-8", encoding="gbk"), "stored"),
    Page("missing_charset", _a(3, "1001"),
         lambda h: _html(article_html(3, charset=None), charset=None, encoding="gb18030"), "stored"),
    Page("truncated_html", _a(4, "1001"), lambda h: _truncated(), "stored"),
    Page("unclosed_tags", _a(5, "1001"), lambda h: _unclosed(), "stored"),
    Page("invalid_bytes", _a(6, "1001"), lambda h: _invalid_bytes(), "stored"),
    Page("hostile_content", _a(7, "1001"), lambda h: _hostile_content(), "stored"),
    Page("bad_values", _a(8, "1001"), lambda h: _bad_values(), "stored"),
    Page("moved", _a(9, "1001"), lambda h: Response(301, {"Location": _a(31, "1003")}), "stored",
         stored_path=_a(31, "1003")),
    Page("cloak_js", _a(28), lambda h: _cloak_js(), "stored_or_spam_page"),
    Page("meta_refresh_offsite", _a(29), lambda h: _meta_refresh_offsite(), "stored"),
    # Faults: the crawl must record each with its reason.
    Page("binary_png", _a(10), lambda h: Response(200, {"Content-Type": "text/html"}, _png()), "not_html"),
    Page("random_bytes", _a(11),
         lambda h: Response(200, {"Content-Type": "text/html; charset=utf-8"}, random.Random(11).randbytes(4096)),
         "not_html"),
    Page("empty_200", _a(12), lambda h: Response(200, {"Content-Type": "text/html"}, b""), "empty_body"),
    Page("two_bytes", _a(13), lambda h: Response(200, {"Content-Type": "text/html"}, b"ok"), "empty_body"),
    Page("ten_mb", _a(14), lambda h: Response(200, {"Content-Type": "text/html"}, big_body()), "too_large"),
    Page("ten_mb_streamed", _a(15),
         lambda h: Response(200, {"Content-Type": "text/html"}, big_body(), behaviour="stream"), "too_large"),
    Page("long_text", _a(16), lambda h: Response(200, {"Content-Type": "text/html"}, long_text_body()), "too_large"),
    Page("link_farm", _a(17), lambda h: _link_farm(), "not_article"),
    Page("deep_nesting", _a(18), lambda h: _deep(), "too_deep"),
    Page("redirect_loop", _a(19), lambda h: Response(302, {"Location": "/loop/b.html"}), "redirect_loop", 302),
    Page("redirect_offsite", _a(20),
         lambda h: Response(302, {"Location": f"http://{OFFSITE_HOST}/a/2025/1002/20.html"}),
         "offsite_redirect", 302),
    Page("http_404", _a(21), lambda h: Response(404, {"Content-Type": "text/html"}, b"<h1>404</h1>"), "http_error", 404),
    Page("http_410", _a(22), lambda h: Response(410, {"Content-Type": "text/html"}, b"<h1>gone</h1>"), "http_error", 410),
    Page("http_500", _a(23), lambda h: Response(500, {"Content-Type": "text/html"}, b"<h1>oops</h1>"), "http_error", 500),
    Page("http_503_retry_after", _a(24),
         lambda h: Response(503, {"Content-Type": "text/html", "Retry-After": "120"}, b"busy"), "http_error", 503),
    # Busy for a second: stored only when the retry waits for it (crawler.middlewares).
    Page("http_503_retry_after_1s", _a(32), _BusyUntilWaited(RETRY_AFTER_SECONDS, 18), "stored"),
    Page("slow", _a(25), lambda h: Response(200, {"Content-Type": "text/html"}, b"late", behaviour="slow"), "timeout"),
    Page("connection_reset", _a(26), lambda h: Response(behaviour="reset"), "fetch_error"),
    Page("cloak_user_agent", _a(27), _cloak_ua, "offsite_redirect", 302),
)
PAGES_BY_PATH = {page.path: page for page in PAGES}
EXTRA_PATHS: dict[str, Callable[[_Handler], Response]] = {
    "/loop/b.html": lambda h: Response(302, {"Location": _a(19)}),
    _a(31, "1003"): lambda h: _html(article_html(17)),
    "/robots.txt": lambda h: Response(200, {"Content-Type": "text/plain"}, b"User-agent: *\nDisallow: /private/\n"),
}


def index_html() -> str:
    links = "".join(f'<li><a href="{p.path}">{p.name}</a></li>' for p in PAGES)
    return (
        "<!DOCTYPE html><html><head><meta charset=utf-8><title>政策文件_省人民政府</title></head><body>"
        f'<div class="list"><ul>{links}</ul></div><div class="links">{_scheme_links()}</div>'
        f'<a href="http://{OFFSITE_HOST}/">友情链接</a></body></html>'
    )


# --- the server -----------------------------------------------------------------------------------


class _Handler(BaseHTTPRequestHandler):
    server_version = "Hostile/1.0"
    sys_version = ""
    protocol_version = "HTTP/1.1"
    server: _Server

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def do_GET(self) -> None:
        arrived = time.monotonic()  # before the route: some answers take a while to build
        host, path, absolute = self._target()
        response = self._route(host, path)
        self.server.web.request_log.append(LoggedRequest(
            method=self.command, host=host, path=path, status=response.status,
            user_agent=self.headers.get("User-Agent"), if_modified_since=self.headers.get("If-Modified-Since"),
            if_none_match=self.headers.get("If-None-Match"), referer=self.headers.get("Referer"),
            absolute_uri=absolute, received_at=arrived,
        ))
        if response.behaviour == "reset":
            # RST instead of an answer: SO_LINGER with a zero timeout, then close.
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            self.close_connection = True
            return
        if response.behaviour == "slow":
            self.server.web.stopping.wait(SLOW_SECONDS)
        try:
            self.send_response(response.status)
            for name, value in response.headers.items():
                self.send_header(name, value)
            if response.behaviour == "stream":
                self.send_header("Connection", "close")
                self.end_headers()
                body = response.body
                for start in range(0, len(body), 256 * 1024):  # bounded: len/256 KiB writes
                    self.wfile.write(body[start:start + 256 * 1024])
                self.close_connection = True
                return
            self.send_header("Content-Length", str(len(response.body)))
            self.end_headers()
            self.wfile.write(response.body)
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True  # the crawler gave up on a big or slow page

    def _target(self) -> tuple[str, str, bool]:
        raw = self.path
        if raw.lower().startswith("http://"):
            parts = urlsplit(raw)
            path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
            return (parts.hostname or "").lower(), path, True
        return (self.headers.get("Host") or "").split(":")[0].lower(), raw or "/", False

    def _route(self, host: str, path: str) -> Response:
        if host != HOST:
            # The off-site and cloaking hosts answer, so that a request there would succeed
            # and be visible in the log: the tests assert that none is made.
            return _html(f"<html><body><p>{host}{path}</p></body></html>")
        if path in ("/", "/index.html"):
            return _html(index_html())
        page = PAGES_BY_PATH.get(path)
        if page is not None:
            return page.respond(self)
        extra = EXTRA_PATHS.get(path)
        if extra is not None:
            return extra(self)
        return Response(404, {"Content-Type": "text/html"}, b"<h1>404 Not Found</h1>")


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 64

    def __init__(self, web: HostileWeb) -> None:
        self.web = web
        super().__init__(("127.0.0.1", 0), _Handler)


class HostileWeb:
    """The hostile site on a free loopback port, served from a daemon thread."""

    def __init__(self) -> None:
        self.request_log = RequestLog()
        self.stopping = threading.Event()
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None

    def start(self) -> HostileWeb:
        big_body()  # made before the crawl starts, not while the crawler waits
        long_text_body()
        self._server = _Server(self)
        self._thread = threading.Thread(target=self._server.serve_forever, name="hostile-web", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self.stopping.set()
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
        if self._thread is not None:
            self._thread.join(timeout=10)
            self._thread = None

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    @property
    def proxy_url(self) -> str:
        assert self._server is not None, "HostileWeb is not started"
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def proxy_env(self) -> dict[str, str]:
        return {"http_proxy": self.proxy_url, "HTTP_PROXY": self.proxy_url, "no_proxy": "", "NO_PROXY": ""}

    def write_registry(self, directory: Path) -> Path:
        path = directory / "hostile.toml"
        path.write_text(
            "[[site]]\n"
            'name = "hostile"\n'
            f'start_urls = ["http://{HOST}/"]\n'
            'allowed_domains = ["hostile.test"]\n'
            "article_url_pattern = '^http://www\\.hostile\\.test/a/\\d{4}/\\d{4}/\\d+\\.html$'\n"
            "max_pages = 200\n",
            encoding="utf-8",
        )
        return path


# --- running a crawl and measuring it ---------------------------------------------------------


@dataclass
class MeasuredCrawl(CrawlResult):
    peak_rss_mb: float = 0.0
    seconds: float = 0.0


# Starts the command and writes its peak RSS (KiB) to argv[1]. Linux starts a child's
# ru_maxrss at the resident size of the process it was forked from, and keeps it across exec:
# measured from this test process, which grows as the session goes on (attachment fixtures, bombs
# read in memory), a crawl would carry the test process's size. A small process in between
# makes the figure the crawl's own.
_MEASURING_LAUNCHER = """
import os, subprocess, sys
child = subprocess.Popen(sys.argv[2:])
_, status, usage = os.wait4(child.pid, 0)
with open(sys.argv[1], "w") as out:
    out.write(str(usage.ru_maxrss))
code = os.waitstatus_to_exitcode(status)
sys.exit(code if code >= 0 else 128 - code)
"""


def run_measured_crawl(
    db_url: str, proxy_env: dict[str, str], sites: Path, *args: str, timeout: float = 240,
    extra_env: dict[str, str] | None = None,
) -> MeasuredCrawl:
    """`policy-ingest crawl` in a subprocess, with the peak RSS of that process (os.wait4)."""
    crawl = [sys.executable, "-m", "crawler.cli", "crawl", "--sites", str(sites), "--db", db_url, *FAST, *args]
    env = crawl_env(proxy_env, **(extra_env or {}))
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err, \
            tempfile.TemporaryDirectory() as scratch:
        peak = Path(scratch) / "peak_rss_kib"
        command = [sys.executable, "-c", _MEASURING_LAUNCHER, str(peak), *crawl]
        started = time.monotonic()
        proc = subprocess.Popen(command, cwd=ROOT, env=env, stdout=out, stderr=err,
                                stdin=subprocess.DEVNULL, start_new_session=True)
        timer = threading.Timer(timeout, lambda: os.killpg(proc.pid, signal.SIGKILL))
        timer.start()
        try:
            proc.wait()
        finally:
            timer.cancel()
        seconds = time.monotonic() - started
        out.seek(0)
        err.seek(0)
        return MeasuredCrawl(
            proc.returncode, out.read().decode("utf-8", "replace"), err.read().decode("utf-8", "replace"),
            peak_rss_mb=int(peak.read_text() or 0) / 1024 if peak.exists() else 0.0, seconds=seconds,
        )
