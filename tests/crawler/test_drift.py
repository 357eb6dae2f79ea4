"""Drift warnings name the site and the field that fell."""

from pipelines.drift import coverage, drift_warnings


def run(articles: int, dated: int, sourced: int, body: int = 1500) -> dict:
    return coverage(articles, {"published_at": dated, "source": sourced, "body": articles}, [body] * articles)


def test_sharp_drop_of_dates_names_site_and_field() -> None:
    history = [run(40, 39, 30), run(35, 35, 28)]
    (message,) = drift_warnings("achie", run(30, 3, 25), history)
    assert "site achie" in message and "published_at" in message and "10%" in message


def test_shrunken_bodies_are_reported() -> None:
    history = [run(20, 20, 20, body=2400)] * 3
    (message,) = drift_warnings("gov", run(20, 20, 20, body=300), history)
    assert "median body length fell to 300" in message


def test_no_warning_without_history_small_runs_or_rare_fields() -> None:
    assert drift_warnings("a", run(30, 0, 0), []) == []
    assert drift_warnings("a", run(3, 0, 0), [run(30, 30, 30)]) == []
    # a field the site never filled well is not watched
    assert drift_warnings("a", run(30, 30, 0), [run(30, 30, 5)]) == []
    # ordinary wobble is not drift
    assert drift_warnings("a", run(30, 25, 20), [run(30, 29, 24)]) == []
