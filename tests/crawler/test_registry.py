"""The site registry: the contract's schema, defaults, and errors that name what to fix."""

from __future__ import annotations

import pytest

from crawler.registry import RegistryError, load_registry, parse_registry, select_sites


def test_builtin_registry_holds_achie() -> None:
    (achie,) = select_sites(load_registry(), ["achie"])
    assert achie.allowed_domains == ("achie.org",)
    assert achie.article_url_pattern.search("https://www.achie.org/a/chanye/2025/1022/123.html")
    assert not achie.article_url_pattern.search("https://www.achie.org/a/chanye/list_3_2.html")
    assert achie.allows("https://m.achie.org/x") and not achie.allows("https://achie.org.evil.test/")


def test_minimal_entry_defaults_domains_to_start_hosts() -> None:
    (site,) = parse_registry('[[site]]\nname = "gov"\nstart_urls = ["http://www.gxt-gov.test/zwgk/"]\n')
    assert site.allowed_domains == ("www.gxt-gov.test",)
    assert site.article_url_pattern is None and site.max_pages is None and site.selectors == {}


def test_selectors_and_caps_are_read() -> None:
    (site,) = parse_registry(
        """
[[site]]
name = "portal"
start_urls = ["http://news.portal.test/"]
allowed_domains = ["portal.test"]
max_pages = 50
[site.selectors]
title = "h1.headline"
body = "//div[@id='artibody']"
"""
    )
    assert site.max_pages == 50
    assert site.selectors == {"title": "h1.headline", "body": "//div[@id='artibody']"}


@pytest.mark.parametrize(
    ("toml", "message"),
    [
        ("[[site]]\nstart_urls=['http://a.test/']\n", "needs a name"),
        ("[[site]]\nname='a'\nstart_urls=['ftp://a.test/']\n", "is not an http(s) URL"),
        ("[[site]]\nname='a'\nstart_urls=['http://a.test/']\narticle_url_pattern='('\n", "not a valid regular expression"),
        ("[[site]]\nname='a'\nstart_urls=['http://a.test/']\nmax_pages=0\n", "positive whole number"),
        ("[[site]]\nname='a'\nstart_urls=['http://a.test/']\n[[site]]\nname='a'\nstart_urls=['http://b.test/']\n", "used twice"),
        ("[[site]]\nname='a'\nstart_urls=['http://a.test/']\nallowed_domains=['b.test']\n", "outside allowed_domains"),
        ("[[site]]\nname='a'\nstart_urls=['http://a.test/']\nstart_url='x'\n", "unknown keys"),
        ("name = ", "not valid TOML"),
    ],
)
def test_registry_errors_name_the_problem(toml: str, message: str) -> None:
    with pytest.raises(RegistryError, match=message.replace("(", r"\(").replace(")", r"\)")):
        parse_registry(toml, "sites.toml")
