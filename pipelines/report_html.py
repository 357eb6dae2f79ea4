"""The run report as one self-contained HTML file: a `RunReport` rendered with inline SVG charts.

No script, no stylesheet or font from elsewhere: the file opens the same with no network. The
charts are drawn here as SVG (horizontal bars: labels are site names and reasons, which read
best on the left), and the page from `templates/report.html.j2` by Jinja2 with autoescaping on,
so every stored string — titles, URLs and evidence cut from hostile pages — arrives as text.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from collections.abc import Sequence
from typing import Optional

import jinja2

from pipelines.report import RunReport

TEMPLATES = Path(__file__).resolve().parent / "templates"

LABEL_WIDTH = 150  # px left of the bars for their labels
BAR_AREA = 380  # px of the longest bar
VALUE_WIDTH = 60  # px right of the bars for the values
BAR_HEIGHT = 14
BAR_GAP = 2  # between the bars of one group
GROUP_GAP = 10  # between groups
LEGEND_HEIGHT = 22


@dataclass(frozen=True)
class Bar:
    series: int  # index into Chart.series: the colour
    x: float
    y: float
    width: float
    value: int


@dataclass(frozen=True)
class BarGroup:
    label: str
    y: float  # baseline of the label
    bars: list[Bar]


@dataclass(frozen=True)
class Chart:
    """A horizontal bar chart laid out in pixels, one group of bars per label."""

    title: str
    series: list[str]
    groups: list[BarGroup]
    width: int
    height: int
    label_width: int = LABEL_WIDTH

    @property
    def legend(self) -> bool:
        return len(self.series) > 1


def bar_chart(title: str, labels: Sequence[str], series: dict[str, Sequence[int]]) -> Chart:
    """Lay out one bar per series for each label, scaled to the largest value."""
    names = list(series)
    largest = max((v for values in series.values() for v in values), default=0) or 1
    top = LEGEND_HEIGHT if len(names) > 1 else 4
    group_height = len(names) * (BAR_HEIGHT + BAR_GAP) - BAR_GAP
    groups = []
    for index, label in enumerate(labels):
        y0 = top + index * (group_height + GROUP_GAP)
        bars = [
            Bar(n, LABEL_WIDTH, y0 + n * (BAR_HEIGHT + BAR_GAP),
                round(BAR_AREA * series[name][index] / largest, 1), series[name][index])
            for n, name in enumerate(names)
        ]
        groups.append(BarGroup(label, y0 + group_height / 2 + 4, bars))
    height = top + len(labels) * (group_height + GROUP_GAP)
    return Chart(title, names, groups, LABEL_WIDTH + BAR_AREA + VALUE_WIDTH, int(height))


def report_charts(report: RunReport) -> dict[str, Optional[Chart]]:
    """The report's charts by name (None where the run has nothing to draw)."""
    sites = [s.site for s in report.sites]
    return {
        "sites": bar_chart(
            "Pages, new articles and copies per site", sites,
            {"pages": [s.pages for s in report.sites],
             "new articles": [s.articles_new for s in report.sites],
             "copies": [s.copies_new for s in report.sites]},
        ) if report.sites else None,
        "rejections": bar_chart(
            "Rejected pages by reason", [c.label for c in report.rejections],
            {"pages": [c.count for c in report.rejections]},
        ) if report.rejections else None,
        "spam": bar_chart(
            "Spam cut from kept pages, by kind", [c.label for c in report.spam_cuts],
            {"cuts": [c.count for c in report.spam_cuts]},
        ) if report.spam_cuts else None,
        "clusters": bar_chart(
            "Articles by number of copies", [f"{c.label} cop{'y' if c.label == '1' else 'ies'}"
                                             for c in report.cluster_sizes],
            {"articles": [c.count for c in report.cluster_sizes]},
        ) if report.cluster_sizes else None,
    }


def _href(url: str) -> str:
    """A stored URL as a link target: web URLs only (never a javascript: or data: link)."""
    return url if url.lower().startswith(("http://", "https://")) else "#"


def _percent(ratio: Optional[float]) -> str:
    return "–" if ratio is None else f"{ratio:.0%}"


def render_report(report: RunReport, store: str) -> str:
    """The report as one HTML document; `store` is the store's URL as shown (no password)."""
    environment = jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES),
        autoescape=True,  # every value is text, whatever a hostile page put in it
        undefined=jinja2.StrictUndefined,
        trim_blocks=True, lstrip_blocks=True,
    )
    environment.filters["percent"] = _percent
    environment.filters["href"] = _href
    template = environment.get_template("report.html.j2")
    return template.render(report=report, store=store, charts=report_charts(report))


def write_report(report: RunReport, store: str, path: Path) -> Path:
    """Render `report` into `path` (folders made as needed), atomically: a reader never sees
    half a file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(path.name + ".partial")
    partial.write_text(render_report(report, store), encoding="utf-8")
    partial.replace(path)
    return path
