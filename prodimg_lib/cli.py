"""The ``prodimg`` command: ``prodimg course``, ``prodimg env``, ``prodimg fetch-data``."""

from __future__ import annotations

import argparse
import sys

__all__ = ["main"]


def main(argv=None) -> int:
    from .env import quiet_tensorflow

    quiet_tensorflow()
    parser = argparse.ArgumentParser(prog="prodimg", description="Deep learning for product images: course tools.")
    sub = parser.add_subparsers(dest="command", required=True)
    course = sub.add_parser("course", help="execute every notebook headless and write build/")
    course.add_argument("--profile", choices=["smoke", "cpu", "gpu"], default=None,
                        help="run size (default: gpu if a GPU is visible, else cpu)")
    course.add_argument("--out", default="build", help="output folder (default: build)")
    course.add_argument("notebooks", nargs="*", help="only these notebooks (default: all)")
    sub.add_parser("env", help="print the environment report")
    fetch = sub.add_parser("fetch-data", help="find or download Fashion-MNIST and verify it")
    fetch.add_argument("--data-dir", default=None)
    args = parser.parse_args(argv)

    if args.command == "course":
        from .course import run_course

        summary = run_course(args.profile, args.out, args.notebooks or None)
        print(f"{len(summary['notebooks'])} notebook(s) in {summary['total_seconds']} s; summary in {args.out}/summary.json")
        if summary["failed"]:
            print("failed: " + ", ".join(summary["failed"]), file=sys.stderr)
            return 1
        return 0
    if args.command == "env":
        from .env import environment_report, format_report

        print(format_report(environment_report()))
        return 0
    from .data import _main as data_main

    return data_main(["fetch"] + (["--data-dir", args.data_dir] if args.data_dir else []))


if __name__ == "__main__":
    raise SystemExit(main())
