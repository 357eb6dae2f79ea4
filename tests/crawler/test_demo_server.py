"""Tests of the loopback fixture web server itself (not of the crawler)."""

from __future__ import annotations

import http.client
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from crawler.demo.server import FIXTURE_WEB, FixtureWeb

GOV_GBK_PAGE = "/zwgk/zcjd/202510/t20251022_693227.html"


@pytest.fixture(scope="module")
def web() -> Iterator[FixtureWeb]:
    with FixtureWeb() as server:
        yield server


@pytest.fixture()
def opener(web: FixtureWeb) -> urllib.request.OpenerDirector:
    web.reset_log()
    # Proxy every http request to the fixture server, exactly as the crawler does with http_proxy.
    return urllib.request.build_opener(urllib.request.ProxyHandler({"http": web.proxy_url}))


def fetch(opener: urllib.request.OpenerDirector, url: str, headers: dict[str, str] | None = None):
    request = urllib.request.Request(url, headers={"User-Agent": "fixture-test/1.0", **(headers or {})})
    try:
        with opener.open(request, timeout=10) as response:
            return response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as err:
        return err.code, dict(err.headers), err.read()


def test_serves_gbk_bytes_unchanged_through_the_proxy(opener, web: FixtureWeb) -> None:
    status, headers, body = fetch(opener, f"http://www.gxt-gov.test{GOV_GBK_PAGE}")
    assert status == 200
    assert body == (FIXTURE_WEB / "www.gxt-gov.test" / GOV_GBK_PAGE.lstrip("/")).read_bytes()
    assert "堃".encode("gbk") in body  # GBK-only character, stored GBK-encoded
    assert headers["Content-Type"] == "text/html; charset=gb2312"  # from _headers.json
    entry = web.request_log[-1]
    assert (entry.host, entry.path, entry.status, entry.absolute_uri) == (
        "www.gxt-gov.test", GOV_GBK_PAGE, 200, True)
    assert entry.user_agent == "fixture-test/1.0"


def test_default_html_content_type_has_no_charset(opener) -> None:
    status, headers, _ = fetch(opener, "http://www.achie.test/a/chanye/2025/1022/123.html")
    assert status == 200
    assert headers["Content-Type"] == "text/html"
    assert headers["ETag"].startswith('"') and "Last-Modified" in headers


def test_directory_and_trailing_slash_serve_index(opener) -> None:
    status, _, body = fetch(opener, "http://www.achie.test/")
    assert status == 200 and "高新院".encode() in body
    status, _, listing = fetch(opener, "http://www.achie.test/a/chanye/")
    assert status == 200 and b"list_3_2.html" in listing


def test_origin_form_request_routes_by_host_header(web: FixtureWeb) -> None:
    conn = http.client.HTTPConnection("127.0.0.1", web.port, timeout=10)
    try:
        conn.request("GET", "/robots.txt", headers={"Host": "www.achie.test"})
        response = conn.getresponse()
        body = response.read()
    finally:
        conn.close()
    assert response.status == 200
    assert b"Disallow: /member/" in body
    assert web.request_log[-1].absolute_uri is False


def test_robots_served_for_every_host(opener, web: FixtureWeb) -> None:
    for host in web.hosts:
        status, headers, body = fetch(opener, f"http://{host}/robots.txt")
        assert status == 200, host
        assert headers["Content-Type"].startswith("text/plain")
        assert b"User-agent" in body


def test_unknown_host_and_missing_file_are_404(opener, web: FixtureWeb) -> None:
    status, _, body = fetch(opener, "http://www.beian.gov.test/")
    assert status == 404 and b"Not Found" in body
    status, _, _ = fetch(opener, "http://www.achie.test/no/such/page.html")
    assert status == 404
    status, _, _ = fetch(opener, "http://www.achie.test/_headers.json")
    assert status == 404  # server configuration is not part of the web
    assert [e.status for e in web.request_log] == [404, 404, 404]


def test_conditional_requests_answer_304(opener) -> None:
    url = "http://www.achie.test/a/chanye/2025/1020/121.html"
    status, headers, _ = fetch(opener, url)
    assert status == 200
    status, again, body = fetch(opener, url, {"If-None-Match": headers["ETag"]})
    assert status == 304 and body == b"" and again["ETag"] == headers["ETag"]
    status, _, _ = fetch(opener, url, {"If-Modified-Since": headers["Last-Modified"]})
    assert status == 304
    status, _, body = fetch(opener, url, {"If-None-Match": '"stale"'})
    assert status == 200 and body


def test_request_log_records_and_resets(opener, web: FixtureWeb) -> None:
    url = "http://news.portal.test/news/index.html"
    fetch(opener, url)
    fetch(opener, url, {"If-Modified-Since": "Wed, 22 Oct 2025 02:00:00 GMT"})
    assert web.request_log.count(url) == 2
    assert [e.status for e in web.request_log] == [200, 304]
    assert web.request_log[-1].if_modified_since == "Wed, 22 Oct 2025 02:00:00 GMT"
    assert web.request_log.hosts() == {"news.portal.test"}
    web.reset_log()
    assert len(web.request_log) == 0


def test_binds_loopback_only(web: FixtureWeb) -> None:
    assert web.proxy_url == f"http://127.0.0.1:{web.port}"
    assert web._server is not None and web._server.server_address[0] == "127.0.0.1"


def test_fixture_web_is_present() -> None:
    assert Path(FIXTURE_WEB, "www.achie.test", "index.html").is_file()
