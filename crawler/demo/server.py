"""Loopback HTTP server that serves the fixture web (crawler/demo/web) to the crawler.

Every site of the fixture web is a virtual host with a reserved ``.test`` name (RFC 6761), so
nothing here can ever resolve on a real network. The crawler reaches the hosts by ordinary HTTP
proxying (``http_proxy=http://127.0.0.1:PORT``): a request arrives either with an absolute URI
(``GET http://www.achie.test/a/x.html HTTP/1.1``) or as ``GET /a/x.html`` with a ``Host:`` header,
and is answered from ``crawler/demo/web/<host>/<path>``. The server is an origin server only:
it never forwards anything, so no request ever leaves loopback.

A URL with a query string is answered from a file whose name holds the query
(``list.php?catid=5&page=2``) when there is one, else from the file of its path alone.

Per-host ``_headers.json`` maps a path (or ``"*"`` for the host default) to extra response
headers; the pseudo-header ``"Status"`` overrides the status code (e.g. a 301 with ``Location``),
and ``"Delay"`` holds the answer back that many seconds (at most ``MAX_DELAY``): a slow page.
Files are served byte for byte as stored, so GBK pages reach the crawler GBK-encoded.

Run ``python -m crawler.demo.server [--port N]`` to explore the web by hand.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
import threading
import time
from dataclasses import dataclass, field
from email.utils import parsedate_to_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, Iterator
from urllib.parse import unquote, urlsplit

FIXTURE_WEB = Path(__file__).resolve().parent / "web"
DEMO_REGISTRY = Path(__file__).resolve().parent / "sites.toml"

# The longest a "Delay" pseudo-header holds an answer back (seconds).
MAX_DELAY = 60.0

# One fixed date for every file without its own Last-Modified, so responses never depend on
# the checkout's mtimes and reruns of a crawl see identical validators.
DEFAULT_LAST_MODIFIED = "Wed, 22 Oct 2025 02:00:00 GMT"

CONTENT_TYPES = {
    ".html": "text/html",  # no charset, as most of the real sites send it
    ".htm": "text/html",
    ".shtml": "text/html",
    ".php": "text/html",
    ".txt": "text/plain",
    ".xml": "application/xml",
    ".css": "text/css",
    ".js": "application/javascript",
    ".json": "application/json",
    ".png": "image/png",
    ".jpg": "image/jpeg",
    ".gif": "image/gif",
    ".pdf": "application/pdf",
    ".doc": "application/msword",
    ".docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    ".xls": "application/vnd.ms-excel",
    ".xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    ".zip": "application/zip",
}

NOT_FOUND_BODY = (
    b"<!DOCTYPE html><html><head><title>404 Not Found</title></head>"
    b"<body><h1>404 Not Found</h1><p>The requested URL was not found on this server.</p>"
    b"</body></html>"
)


@dataclass(frozen=True)
class LoggedRequest:
    """One request as the server saw it; what the crawl tests assert on."""

    method: str
    host: str
    path: str  # path with query string, as requested
    status: int
    user_agent: str | None
    if_modified_since: str | None
    if_none_match: str | None
    referer: str | None
    absolute_uri: bool  # True when the request came in proxy form (GET http://host/path)
    # When the server answered it (time.monotonic(); the server shares the tests' clock).
    received_at: float = field(default_factory=time.monotonic, compare=False)

    @property
    def url(self) -> str:
        return f"http://{self.host}{self.path}"


class RequestLog:
    """Thread-safe, append-only record of requests, with the queries crawl tests need."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._entries: list[LoggedRequest] = []

    def append(self, entry: LoggedRequest) -> None:
        with self._lock:
            self._entries.append(entry)

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()

    def snapshot(self) -> list[LoggedRequest]:
        with self._lock:
            return list(self._entries)

    def __iter__(self) -> Iterator[LoggedRequest]:
        return iter(self.snapshot())

    def __len__(self) -> int:
        with self._lock:
            return len(self._entries)

    def __getitem__(self, index: int) -> LoggedRequest:
        with self._lock:
            return self._entries[index]

    def urls(self) -> list[str]:
        return [entry.url for entry in self.snapshot()]

    def hosts(self) -> set[str]:
        return {entry.host for entry in self.snapshot()}

    def count(self, url: str) -> int:
        return sum(1 for entry in self.snapshot() if entry.url == url)


class _FixtureHandler(BaseHTTPRequestHandler):
    server_version = "FixtureWeb/1.0"
    sys_version = ""
    protocol_version = "HTTP/1.1"
    server: "_FixtureHTTPServer"

    def do_GET(self) -> None:  # noqa: N802 - http.server's naming
        self._serve(send_body=True)

    def do_HEAD(self) -> None:  # noqa: N802
        self._serve(send_body=False)

    def do_CONNECT(self) -> None:  # noqa: N802
        # The fixture web is plain HTTP; tunnelling would mean a request for a real host.
        self._respond(self._target()[0], 405, {"Content-Type": "text/plain"}, b"CONNECT not supported\n", True)

    def version_string(self) -> str:
        # One Server header per response: the host's own (from _headers.json) or ours.
        return getattr(self, "_server_header", self.server_version)

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
        if self.server.verbose:
            super().log_message(format, *args)

    def _target(self) -> tuple[str, str, bool]:
        """(host, path-with-query, absolute) from an absolute-URI or origin-form request line."""
        raw = self.path
        if raw.lower().startswith(("http://", "https://")):
            parts = urlsplit(raw)
            host = (parts.hostname or "").lower()
            path = parts.path or "/"
            if parts.query:
                path += "?" + parts.query
            return host, path, True
        host = (self.headers.get("Host") or "").strip().lower()
        if host.startswith("["):
            host = host.split("]")[0] + "]"
        else:
            host = host.split(":")[0]
        return host, raw or "/", False

    def _serve(self, send_body: bool) -> None:
        host, path, absolute = self._target()
        web: FixtureWeb = self.server.fixture_web
        found = web.resolve(host, path)
        if found is None:
            self._respond(host, 404, {"Content-Type": "text/html"}, NOT_FOUND_BODY, send_body, absolute)
            return
        if isinstance(found, str):  # a directory requested without its trailing slash
            self._respond(host, 301, {"Location": found, "Content-Type": "text/html"}, b"", send_body, absolute)
            return
        file_path, url_path = found
        body = file_path.read_bytes()
        headers = web.headers_for(host, url_path, file_path)
        status = int(headers.pop("Status", 200))
        delay = float(headers.pop("Delay", 0) or 0)
        if delay > 0:
            time.sleep(min(delay, MAX_DELAY))
        headers["ETag"] = '"' + hashlib.sha1(body).hexdigest()[:20] + '"'
        if status == 200 and self._not_modified(headers):
            keep = {k: v for k, v in headers.items() if k in ("ETag", "Last-Modified", "Cache-Control")}
            self._respond(host, 304, keep, b"", False, absolute)
            return
        self._respond(host, status, headers, body, send_body, absolute)

    def _not_modified(self, headers: dict[str, str]) -> bool:
        inm = self.headers.get("If-None-Match")
        if inm is not None:
            # RFC 9110: If-None-Match takes precedence; weak comparison for GET/HEAD.
            tags = {t.strip().removeprefix("W/") for t in inm.split(",")}
            return "*" in tags or headers["ETag"] in tags
        ims = self.headers.get("If-Modified-Since")
        if ims is not None and "Last-Modified" in headers:
            try:
                return parsedate_to_datetime(headers["Last-Modified"]) <= parsedate_to_datetime(ims)
            except (TypeError, ValueError):
                return False
        return False

    def _respond(
        self,
        host: str,
        status: int,
        headers: dict[str, str],
        body: bytes,
        send_body: bool,
        absolute: bool = False,
    ) -> None:
        self.server.fixture_web.request_log.append(
            LoggedRequest(
                method=self.command,
                host=host,
                path=self._target()[1],
                status=status,
                user_agent=self.headers.get("User-Agent"),
                if_modified_since=self.headers.get("If-Modified-Since"),
                if_none_match=self.headers.get("If-None-Match"),
                referer=self.headers.get("Referer"),
                absolute_uri=absolute,
            )
        )
        self._server_header = headers.pop("Server", self.server_version)
        self.send_response(status)
        for name, value in headers.items():
            self.send_header(name, value)
        if status != 304:
            self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if send_body and status not in (204, 304):
            self.wfile.write(body)


class _FixtureHTTPServer(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, address: tuple[str, int], fixture_web: "FixtureWeb", verbose: bool) -> None:
        self.fixture_web = fixture_web
        self.verbose = verbose
        super().__init__(address, _FixtureHandler)

    def handle_error(self, request: Any, client_address: Any) -> None:
        # A client that hangs up mid-answer (a crawler refusing a file over its size limit)
        # is no server error.
        if isinstance(sys.exc_info()[1], (ConnectionResetError, BrokenPipeError)):
            return
        super().handle_error(request, client_address)


class FixtureWeb:
    """The fixture web on a free loopback port, in a daemon thread.

    >>> with FixtureWeb() as web:
    ...     env = {"http_proxy": web.proxy_url}
    """

    def __init__(self, root: Path | str = FIXTURE_WEB, port: int = 0, verbose: bool = False) -> None:
        self.root = Path(root).resolve()
        if not self.root.is_dir():
            raise FileNotFoundError(
                f"fixture web {self.root} does not exist; run python tests/fixtures/build_web.py"
            )
        self._requested_port = port
        self._verbose = verbose
        self._server: _FixtureHTTPServer | None = None
        self._thread: threading.Thread | None = None
        self._headers_cache: dict[str, dict[str, dict[str, str]]] = {}
        self.request_log = RequestLog()

    # lifecycle -----------------------------------------------------------------------------
    def start(self) -> "FixtureWeb":
        if self._server is not None:
            return self
        self._server = _FixtureHTTPServer(("127.0.0.1", self._requested_port), self, self._verbose)
        self._thread = threading.Thread(
            target=self._server.serve_forever, name="fixture-web", daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is None:
            return
        self._server.shutdown()
        self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)
        self._server = None
        self._thread = None

    def __enter__(self) -> "FixtureWeb":
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    @property
    def port(self) -> int:
        if self._server is None:
            raise RuntimeError("FixtureWeb is not started")
        return int(self._server.server_address[1])

    @property
    def proxy_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def hosts(self) -> list[str]:
        return sorted(p.name for p in self.root.iterdir() if p.is_dir())

    def proxy_env(self) -> dict[str, str]:
        """Environment for a crawler subprocess: proxy everything, bypass nothing."""
        return {"http_proxy": self.proxy_url, "HTTP_PROXY": self.proxy_url, "no_proxy": "", "NO_PROXY": ""}

    def reset_log(self) -> None:
        self.request_log.clear()

    # resolution ----------------------------------------------------------------------------
    def resolve(self, host: str, path: str) -> tuple[Path, str] | str | None:
        """The file for host+path, a redirect target for a bare directory, or None (404)."""
        if not host or "/" in host or host.startswith("."):
            return None
        host_dir = self.root / host
        if not host_dir.is_dir():
            return None
        path, _, query = path.split("#", 1)[0].partition("?")
        url_path = unquote(path) or "/"
        if not url_path.startswith("/"):
            return None
        segments = [s for s in url_path.split("/") if s]
        if any(s in (".", "..") or s.startswith(("_", ".")) for s in segments):
            return None  # no traversal, and no serving of _headers.json or dotfiles
        candidate = host_dir.joinpath(*segments)
        if url_path.endswith("/") or not segments:
            candidate = candidate / "index.html"
        elif candidate.is_dir():
            return f"http://{host}{url_path}/"
        try:
            candidate.resolve().relative_to(host_dir.resolve())
        except ValueError:
            return None
        query = unquote(query)
        if query and "/" not in query and "\x00" not in query:
            with_query = candidate.with_name(f"{candidate.name}?{query}")
            if with_query.is_file():
                return with_query, url_path
        if not candidate.is_file():
            return None
        return candidate, url_path

    def headers_for(self, host: str, url_path: str, file_path: Path) -> dict[str, str]:
        table = self._headers_table(host)
        headers = {
            "Content-Type": CONTENT_TYPES.get(
                Path(file_path.name.split("?")[0]).suffix.lower(), "application/octet-stream"
            ),
            "Last-Modified": DEFAULT_LAST_MODIFIED,
        }
        headers.update(table.get("*", {}))
        lookup = url_path
        if url_path.endswith("/"):
            headers.update(table.get(url_path + "index.html", {}))
        headers.update(table.get(lookup, {}))
        return {k: str(v) for k, v in headers.items()}

    def _headers_table(self, host: str) -> dict[str, dict[str, str]]:
        if host not in self._headers_cache:
            spec = self.root / host / "_headers.json"
            self._headers_cache[host] = json.loads(spec.read_text("utf-8")) if spec.is_file() else {}
        return self._headers_cache[host]


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Serve the fixture web on loopback.")
    parser.add_argument("--port", type=int, default=0, help="port on 127.0.0.1 (default: a free one)")
    parser.add_argument("--root", default=str(FIXTURE_WEB), help="fixture web directory")
    parser.add_argument("--quiet", action="store_true", help="do not log requests")
    args = parser.parse_args(argv)
    web = FixtureWeb(args.root, port=args.port, verbose=not args.quiet).start()
    print(f"fixture web at {web.proxy_url}  (export http_proxy={web.proxy_url})")
    for host in web.hosts:
        print(f"  http://{host}/")
    print(f"try: curl -x {web.proxy_url} http://{web.hosts[0]}/  (Ctrl-C to stop)" if web.hosts else "")
    try:
        threading.Event().wait()
    except KeyboardInterrupt:
        pass
    finally:
        web.stop()


if __name__ == "__main__":
    main()
