"""Render a run: the markdown table for the README, and latest.json for the record."""

from __future__ import annotations

import json
from pathlib import Path

from bench import machine
from bench.figures import Figure, Target
from bench.runner import Report
from bench.timing import fmt_bytes, fmt_ms, fmt_s


def value_text(value: float, unit: str) -> str:
    if unit == "x":
        return f"{value:.2f}x"
    if unit == "ms":
        return fmt_ms(value)
    if unit == "s":
        return fmt_s(value)
    if unit == "B":
        return fmt_bytes(value)
    if unit == "µs":
        return f"{value:.1f} µs"
    if unit == "%":
        return f"{value:.1f}%"
    return f"{value:,.0f} {unit}"


def target_text(target: Target | None, unit: str) -> str:
    if target is None:
        return ""
    op = {"<=": "≤", ">=": "≥"}.get(target.op, target.op)
    source = f" ({target.source})" if target.source else ""
    return f"{op} {value_text(target.bound, unit)}{source}"


def _met(figure: Figure) -> str:
    return {None: "", True: "yes", False: "**no**"}[figure.met]


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def markdown(report: Report) -> str:
    when = report.started.strftime("%Y-%m-%d %H:%M UTC")
    command = "python -m bench" + (" --quick" if report.mode == "quick" else "")
    lines = [
        f"**Benchmarks** ({report.mode} run, {when}, `{command}`)",
        "",
        f"Machine: {machine.one_line(report.machine)}.",
        "",
        "| Benchmark | Measure | Result | Side by side in the same run / detail | Target | Met |",
        "|---|---|---|---|---|---|",
    ]
    for outcome in report.outcomes:
        if outcome.result is None:
            lines.append(f"| {outcome.name} | {outcome.status}: {_cell(outcome.reason)} |||||")
            continue
        for figure in outcome.result.figures:
            row = (
                outcome.name,
                figure.measure,
                value_text(figure.value, figure.unit),
                figure.detail,
                target_text(figure.target, figure.unit),
                _met(figure),
            )
            lines.append("| " + " | ".join(_cell(c) for c in row) + " |")
    notes = [f"- {o.name}: {note}" for o in report.outcomes if o.result for note in o.result.notes]
    if notes:
        lines += ["", *notes]
    profiles = [
        (o.name, label, profile)
        for o in report.outcomes
        if o.result
        for label, profile in o.result.profiles.items()
    ]
    for name, label, profile in profiles:
        lines += ["", f"Where the time goes, {name} ({label}, cProfile):", "```"]
        lines += [*profile.lines(), "```"]
    return "\n".join(lines) + "\n"


def write_json(report: Report, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(report.as_json(), indent=2, ensure_ascii=False) + "\n")
