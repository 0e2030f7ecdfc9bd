"""`jukebox data generate | convert | validate`: the dataset tools on the command line.

Also runnable as `python -m jukebox_workshop.dataset.build generate | convert | validate`.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from jukebox_workshop.settings import DEFAULT_DATA_DIR
from jukebox_workshop.dataset.build.convert import convert
from jukebox_workshop.errors import DatasetError
from jukebox_workshop.dataset.build.generate import DEFAULT_N_DAYS, DEFAULT_SEED, MIN_DAYS, generate
from jukebox_workshop.dataset.build.kaggle_csv import DATE_ORDERS
from jukebox_workshop.dataset.validate import validate_dataset


def main(argv: Sequence[str] | None = None, prog: str = "jukebox data") -> int:
    """Run one dataset command; returns the exit status (0 when it worked)."""
    args = _parser(prog).parse_args(argv)
    try:
        if args.command == "generate":
            report = generate(args.out, seed=args.seed, n_days=args.days)
            counts, bayes = report["counts"], report["bayes"]
            print(
                f"Wrote {counts['songs']:,} songs and {counts['ranking_rows']:,} chart rows "
                f"({counts['days']} days) to {args.out}. Best achievable accuracy (Bayes): "
                f"top-1 {bayes['top1']:.1%}, top-5 {bayes['top5']:.1%}."
            )
        elif args.command == "convert":
            summary = convert(args.csv, args.out, overwrite=args.overwrite, dates=args.dates)
            print(convert_report(summary))
        else:
            properties, rankings = validate_dataset(args.data_dir)
            print(
                f"OK: {len(properties):,} songs and {len(rankings):,} chart rows "
                f"({rankings['snapshot_date'].nunique()} days)."
            )
    except DatasetError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    return 0


def convert_report(summary: dict[str, Any]) -> str:
    """What `convert` kept, what it dropped and why, and how to use the result."""
    lines = [
        f"Read {summary['rows_read']:,} rows of {summary['csv']}"
        + (f" ({'; '.join(summary['notes'])})." if summary["notes"] else "."),
        f"Kept {summary['ranking_rows']:,} chart rows: {summary['songs']:,} songs, "
        f"{summary['days']} days, {summary['countries']} countries + Global "
        f"({summary['global_rows']:,} Global rows).",
    ]
    if summary["unreadable"]:
        values = ", ".join(f"{k} {v:,}" for k, v in summary["unreadable"].items())
        lines.append(f"Values not understood, left empty: {values}.")
    if summary["dropped"]:
        total = sum(summary["dropped"].values())
        reasons = "; ".join(f"{k}: {v:,}" for k, v in summary["dropped"].items())
        lines.append(f"Dropped {total:,} rows: {reasons}.")
    lines.append(f"Wrote {summary['out_dir']}. Use it with JUKEBOX_DATA_DIR={summary['out_dir']}")
    return "\n".join(lines)


def _days(text: str) -> int:
    days = int(text)
    if days < MIN_DAYS:
        raise argparse.ArgumentTypeError(f"at least {MIN_DAYS} days are needed")
    return days


def _parser(prog: str) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog=prog, description="The workshop's song dataset.")
    commands = parser.add_subparsers(dest="command", required=True)

    generate_ = commands.add_parser("generate", help="generate the dataset (what `make data` runs)")
    generate_.add_argument(
        "--out", type=Path, default=DEFAULT_DATA_DIR, help="default: jukebox/data"
    )
    generate_.add_argument("--seed", type=int, default=DEFAULT_SEED)
    generate_.add_argument("--days", type=_days, default=DEFAULT_N_DAYS)

    convert_ = commands.add_parser("convert", help="convert the real Kaggle CSV")
    convert_.add_argument("csv", type=Path, help="universal_top_spotify_songs.csv")
    convert_.add_argument("--out", type=Path, required=True, help="folder for the Parquet files")
    convert_.add_argument("--overwrite", action="store_true", help="replace existing files")
    convert_.add_argument(
        "--dates",
        choices=sorted(DATE_ORDERS),
        help="how to read dates like 2/12/2025 when no date in the file tells",
    )

    validate_ = commands.add_parser("validate", help="check the data files")
    validate_.add_argument(
        "data_dir",
        type=Path,
        nargs="?",
        default=None,
        help="default: JUKEBOX_DATA_DIR, else jukebox/data",
    )
    return parser
