"""``python -m bench [--quick] [--only NAME ...] [--profile]``: run, print markdown, save JSON."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

from bench.report import markdown, write_json
from bench.runner import run_benchmarks, select

DEFAULT_OUTPUT = Path(__file__).resolve().parent / "results" / "latest.json"


def parse(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m bench",
        description="Benchmarks with same-run ratios; markdown on stdout, progress on stderr.",
    )
    parser.add_argument("--quick", action="store_true", help="small smoke version (< 20 s)")
    parser.add_argument(
        "--only", action="append", metavar="NAME", help="run only this benchmark (repeatable)"
    )
    parser.add_argument(
        "--profile", action="store_true", help="also profile each benchmark's hot section"
    )
    parser.add_argument(
        "--output",
        type=Path,
        default=DEFAULT_OUTPUT,
        help=f"JSON results (default {DEFAULT_OUTPUT})",
    )
    parser.add_argument(
        "--dir", type=Path, default=None, help="where to create scratch stores (default: $TMPDIR)"
    )
    parser.add_argument("--seed", type=int, default=1, help="workload seed")
    parser.add_argument("--list", action="store_true", help="list the benchmarks and exit")
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    args = parse(argv)
    if args.list:
        for benchmark in select(None):
            print(f"{benchmark.name:16} {benchmark.title}")
        return 0
    try:
        report = run_benchmarks(
            args.only, quick=args.quick, profile=args.profile, workdir=args.dir, seed=args.seed
        )
    except KeyError as unknown:
        print(f"python -m bench: {unknown.args[0]}", file=sys.stderr)
        return 2
    write_json(report, args.output)
    sys.stdout.write(markdown(report))
    print(f"results written to {args.output}", file=sys.stderr)
    return 1 if report.failed else 0


if __name__ == "__main__":
    sys.exit(main())
