"""The committed fixture web and its goldens are exactly what tests/fixtures/build_web.py writes."""

from __future__ import annotations

import runpy
from pathlib import Path

import pytest

from tests.support.crawl import ROOT

GENERATOR = ROOT / "tests" / "fixtures" / "build_web.py"
COMMITTED = {"web": ROOT / "crawler" / "demo" / "web", "golden": ROOT / "tests" / "fixtures" / "golden"}


def files_under(directory: Path) -> dict[str, bytes]:
    return {p.relative_to(directory).as_posix(): p.read_bytes() for p in directory.rglob("*") if p.is_file()}


@pytest.mark.slow  # the whole generator: ~1 CPU s
def test_committed_web_and_goldens_are_what_the_generator_writes(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # A fresh module namespace each run: the generator collects its pages in module globals.
    generator = runpy.run_path(str(GENERATOR), run_name="build_web")
    assert generator["main"]([str(tmp_path)]) == 0, capsys.readouterr().out
    problems = []
    for name, committed in COMMITTED.items():
        expected, present = files_under(tmp_path / name), files_under(committed)
        where = committed.relative_to(ROOT).as_posix()
        problems += [f"{where}/{f} is missing" for f in sorted(expected.keys() - present.keys())]
        problems += [f"{where}/{f} is not generated" for f in sorted(present.keys() - expected.keys())]
        problems += [f"{where}/{f} differs" for f in sorted(expected.keys() & present.keys())
                     if expected[f] != present[f]]
    assert not problems, (
        "the committed fixture web is not what tests/fixtures/build_web.py generates; run "
        "`python tests/fixtures/build_web.py` and commit crawler/demo/web and tests/fixtures/golden "
        "(or change the generator, not the files):\n  " + "\n  ".join(problems[:20])
        + (f"\n  … and {len(problems) - 20} more" if len(problems) > 20 else "")
    )
