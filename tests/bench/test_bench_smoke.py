"""Every benchmark runs end to end in quick mode and reports numbers.

No timing is asserted here (performance is judged from the figures, not by the test suite);
what must hold is that each benchmark completes, its own correctness checks pass (zero lost or
doubled ops, stores equal to the reference), and every figure is a real number.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest

from bench.__main__ import main
from bench.runner import BENCHMARK_NAMES, run_benchmarks


@pytest.mark.parametrize("name", BENCHMARK_NAMES)
def test_benchmark_completes_in_quick_mode_and_reports_numbers(name: str, tmp_path: Path) -> None:
    report = run_benchmarks([name], quick=True, workdir=tmp_path, logger=lambda _: None)

    [outcome] = report.outcomes
    if outcome.status == "skipped":
        pytest.skip(outcome.reason)
    assert outcome.status == "ok", outcome.reason
    assert outcome.result is not None and outcome.result.figures
    for figure in outcome.result.figures:
        assert math.isfinite(figure.value) and figure.value >= 0, figure
        assert figure.unit
    assert list(tmp_path.iterdir()) == [], "scratch stores must be removed after the run"


def test_the_command_prints_a_markdown_table_and_saves_json(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    output = tmp_path / "results" / "latest.json"

    code = main(
        ["--quick", "--only", "naive_sync", "--output", str(output), "--dir", str(tmp_path)]
    )

    assert code == 0
    printed = capsys.readouterr().out
    assert "| Benchmark | Measure | Result |" in printed
    assert "| naive_sync |" in printed
    saved = json.loads(output.read_text())
    assert saved["mode"] == "quick"
    assert saved["machine"]["cpu"] and saved["machine"]["python"]
    [benchmark] = saved["benchmarks"]
    assert benchmark["name"] == "naive_sync" and benchmark["status"] == "ok"
    assert all(math.isfinite(f["value"]) for f in benchmark["figures"])


def test_an_unknown_benchmark_is_refused_with_the_known_names(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(["--quick", "--only", "warp_drive", "--output", str(tmp_path / "r.json")])

    assert code == 2
    error = capsys.readouterr().err
    assert "warp_drive" in error and "local_write" in error
    assert not (tmp_path / "r.json").exists()
