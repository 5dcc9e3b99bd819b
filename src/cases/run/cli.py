"""The ``cases`` command: list cases, run notebooks, build and verify the book.

Exit status: 0 success; 1 a notebook or the build failed; 2 bad usage (unknown case slug,
unknown or mistyped parameter, malformed parameter file).
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from functools import cache

from rich.console import Console
from rich.table import Table

from cases.core import paths
from cases.core.errors import CasesError, ParameterError, RegistryError
from cases.core.files import read_yaml
from cases.run import pipeline, publish, verify

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2


def positive_int(text: str) -> int:
    """An argparse type for counts such as ``--jobs``: a whole number of at least 1.

    Raises:
        argparse.ArgumentTypeError: not a whole number, or below 1 (argparse then names the
            option and exits with status 2).
    """
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number >= 1, got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a whole number >= 1, got {value}")
    return value


def _console() -> Console:
    return Console(stderr=True, highlight=False)


def _cmd_list(args: argparse.Namespace) -> int:
    from cases.data.registry import list_cases

    for case in list_cases():
        print(f"{case.slug}\t{case.title}")
    return EXIT_OK


def _overrides(pairs: Sequence[str]) -> dict[str, str]:
    return dict(pipeline.parse_override(p) for p in pairs)


def _summary(results: list[pipeline.JobResult], console: Console) -> int:
    table = Table(title="Run summary")
    for column in ("notebook", "status", "seconds", "message"):
        table.add_column(column)
    colours = {"ran": "green", "cached": "cyan", "failed": "red", "not run": "yellow"}
    for r in results:
        table.add_row(
            r.job.name,
            f"[{colours[r.status]}]{r.status}[/]",
            f"{r.seconds:.1f}",
            r.message,
        )
    console.print(table)
    counts = {
        s: sum(r.status == s for r in results) for s in ("ran", "cached", "failed", "not run")
    }
    console.print(
        f"{counts['ran']} ran, {counts['cached']} cached (skipped), {counts['failed']} failed"
        + (f", {counts['not run']} not run" if counts["not run"] else "")
    )
    return EXIT_FAILED if counts["failed"] or counts["not run"] else EXIT_OK


def _run_jobs(args: argparse.Namespace, console: Console) -> int:
    if args.all and args.slugs:
        raise ParameterError("give case slugs or --all, not both")
    jobs = pipeline.plan(args.slugs or None)

    def on_result(result: pipeline.JobResult) -> None:
        symbol = {"ran": "✓", "cached": "·", "failed": "✗", "not run": "-"}[result.status]
        console.print(f"{symbol} {result.job.name} ({result.status}, {result.seconds:.1f} s)")
        if result.message:
            console.print(f"  {result.message}", style="red")

    console.print(f"Running {len(jobs)} notebook(s) with {args.jobs} worker(s)…")
    results = pipeline.run(
        jobs,
        overrides=_overrides(args.param),
        n_jobs=args.jobs,
        force=args.force,
        on_result=on_result,
        executor=args.executor,
        scheduler=args.scheduler,
        keep_going=getattr(args, "keep_going", True),
        out_dir=getattr(args, "out", None),
    )
    return _summary(results, console)


def _cmd_run(args: argparse.Namespace) -> int:
    return _run_jobs(args, _console())


def _cmd_build(args: argparse.Namespace) -> int:
    console = _console()
    args.slugs, args.all, args.param = [], True, []
    status = _run_jobs(args, console)
    if status != EXIT_OK and not args.allow_stale:
        console.print("Not building the book: a notebook failed (see above).", style="red")
        return status
    if status != EXIT_OK:
        console.print("--allow-stale: failed chapters are published marked 'Out of date'.")
    console.print("Building the book (offline, warnings as errors)…")
    index = pipeline.build_book(allow_stale=args.allow_stale)
    print(index)
    return EXIT_OK


def _cmd_verify(args: argparse.Namespace) -> int:
    console = _console()
    mismatches = verify.verify(n_jobs=args.jobs, console=console, sweeps=not args.skip_sweeps)
    return EXIT_FAILED if mismatches else EXIT_OK


def _cmd_publish(args: argparse.Namespace) -> int:
    console = _console()
    report = publish.publish()
    for change in report.changes:
        console.print(f"changed  {change.describe()}", markup=False)
    for name in report.kept:
        console.print(f"kept     {name} (sweep not re-run; published record unchanged)")
    for name in report.removed:
        console.print(f"removed  {name} (no longer in params/)")
    console.print(
        f"published {len(report.written)} manifest(s) to results/ "
        f"({len(report.unchanged)} unchanged, {len(report.changes)} key(s) changed); "
        "review with `git diff results/` before committing"
    )
    return EXIT_OK


def _cmd_new(args: argparse.Namespace) -> int:
    from cases.core import paths
    from cases.run import scaffold

    made = scaffold.new_case(args.slug, title=args.title, province=args.province, place=args.place)
    for path in made.created:
        print(f"created  {path.relative_to(paths.ROOT)}")
    for path in made.modified:
        print(f"updated  {path.relative_to(paths.ROOT)}")
    _console().print(
        f"Next: replace the TODO placeholders in data/cases/{made.slug}.yaml and "
        f"book/cases/{made.slug}/index.md, then run `cases build`."
    )
    return EXIT_OK


def _cmd_sweep(args: argparse.Namespace) -> int:
    from cases.run import sweep

    console = _console()

    def on_result(result: pipeline.JobResult) -> None:
        symbol = {"ran": "✓", "cached": "·", "failed": "✗"}.get(result.status, "-")
        console.print(f"{symbol} {result.job.name} ({result.status}, {result.seconds:.1f} s)")
        if result.message:
            console.print(f"  {result.message}", style="red", markup=False)

    grid = sweep.load_grid(args.grid, args.slug)
    console.print(f"Sweep {grid.name}: {grid.n_runs} run(s) of {grid.analysis} for {grid.case}")
    results, table = sweep.run_sweep(
        args.grid,
        args.slug,
        n_jobs=args.jobs,
        force=args.force,
        executor=args.executor,
        scheduler=args.scheduler,
        on_result=on_result,
    )
    status = _summary(results, console)
    if table is not None:
        console.print(f"{len(table)} specification(s) written to {sweep.results_file(grid.name)}")
    return status


def _print_findings(chk, console: Console) -> None:
    for finding in chk.findings:
        style = "red" if finding.level == "problem" else "yellow"
        console.print(
            f"{finding.level}: {finding.describe()}", style=style, markup=False, soft_wrap=True
        )
    console.print(
        f"{chk.folder.name}: {len(chk.problems)} problem(s), {len(chk.warnings)} warning(s)",
        markup=False,
    )


def _cmd_check_data(args: argparse.Namespace) -> int:
    from cases.run import owndata

    chk = owndata.check(args.slug, _existing_dir(args.dir, "DIR"), instrument=args.instrument)
    _print_findings(chk, _console())
    return EXIT_FAILED if chk.problems else EXIT_OK


def _cmd_import(args: argparse.Namespace) -> int:
    from cases.run import owndata

    console = _console()
    out = owndata.import_folder(
        args.slug, _existing_dir(args.raw_dir, "RAW_DIR"), args.mapping, args.out
    )
    console.print(f"wrote {out}; checking it as `cases check-data` does", markup=False)
    chk = owndata.check(args.slug, out, owndata.mapping_instrument(args.mapping))
    _print_findings(chk, console)
    return EXIT_FAILED if chk.problems else EXIT_OK


def _cmd_report(args: argparse.Namespace) -> int:
    from cases.run import owndata

    console = _console()

    def on_result(result: pipeline.JobResult) -> None:
        console.print(f"{result.job.name} ({result.status}, {result.seconds:.1f} s)", markup=False)
        if result.message:
            console.print(f"  {result.message}", style="red", markup=False)

    page, chk, _results = owndata.build_report(
        args.slug,
        _existing_dir(args.dir, "DIR"),
        args.out,
        n_jobs=args.jobs,
        force=args.force,
        on_result=on_result,
        instrument=args.instrument,
        partial=args.partial,
    )
    _print_findings(chk, console)
    if page is None:
        console.print("Not running: fix the problems above (nothing was written).", style="red")
        return EXIT_FAILED
    print(page)
    failed = [r.job.analysis for r in _results if r.status not in ("ran", "cached")]
    if chk.problems and not failed:
        return EXIT_FAILED
    if failed:
        console.print(
            f"The report shows no numbers of {', '.join(failed)}: it failed (see above).",
            style="red",
            markup=False,
        )
        return EXIT_FAILED
    return EXIT_OK


def _instrument_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--instrument",
        metavar="FILE.yaml",
        default=None,
        help="your own questionnaire: an instrument YAML (items, scales, reverse-keyed items, "
        "response range, missing codes) that replaces the case's questionnaire; checked before "
        "anything runs",
    )


def _existing_dir(path: str, what: str) -> str:
    if not os.path.isdir(os.path.expanduser(path)):
        raise ParameterError(f"{what}: {path!r} is not an existing folder")
    return path


def _executor_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--executor",
        choices=pipeline.EXECUTORS,
        default="process",
        help="where notebooks run: local processes (default) or a Dask cluster",
    )
    parser.add_argument(
        "--scheduler",
        metavar="ADDRESS",
        default=None,
        help="Dask scheduler address (tcp://host:port); default with --executor dask: a "
        "LocalCluster with --jobs workers",
    )


def _case_args(parser: argparse.ArgumentParser, *folder: str) -> None:
    """The ``SLUG`` argument and, given ``(dest, metavar, help)``, a folder argument."""
    parser.add_argument("slug", metavar="SLUG", help="case slug, see `cases list`")
    if folder:
        dest, metavar, help_text = folder
        parser.add_argument(dest, metavar=metavar, help=help_text)


@cache
def _help_text() -> dict:
    """``text/cli.yaml``: the summaries, descriptions and shared option help of the commands."""
    return read_yaml(paths.TEXT / "cli.yaml")


def _command(sub, name: str, func) -> argparse.ArgumentParser:
    """A subcommand ``name`` running ``func``, with its help from ``text/cli.yaml``."""
    text = _help_text()["commands"][name]
    command = sub.add_parser(name, help=text["help"], description=text["description"])
    command.set_defaults(func=func)
    return command


def _jobs_and_force(command: argparse.ArgumentParser, name: str, default: int) -> None:
    """``--jobs N`` (parallel workers) and, if ``text/cli.yaml`` gives command ``name`` a
    ``force`` help, ``--force``."""
    text = _help_text()["commands"][name]
    command.add_argument(
        "--jobs",
        type=positive_int,
        default=default,
        metavar="N",
        help=text["jobs"].format(jobs=default),
    )
    if "force" in text:
        command.add_argument("--force", action="store_true", help=text["force"])


def build_parser() -> argparse.ArgumentParser:
    program = _help_text()["program"]
    parser = argparse.ArgumentParser(
        prog="cases", description=program["description"], epilog=program["epilog"]
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    _command(sub, "list", _cmd_list)

    default_jobs = os.cpu_count() or 1
    p_run = _command(sub, "run", _cmd_run)
    p_run.add_argument("slugs", nargs="*", metavar="SLUG", help="case slug(s), see `cases list`")
    p_run.add_argument("--all", action="store_true", help="every case plus book-level notebooks")
    p_run.add_argument(
        "-p",
        "--param",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="override a notebook parameter (repeatable), e.g. -p seed=7",
    )
    _jobs_and_force(p_run, "run", default_jobs)
    p_run.add_argument(
        "--out",
        metavar="OUT",
        default=None,
        help="write the notebooks and their numbers to OUT instead of book/ (required with "
        "-p data_dir=...: own data never reach the book)",
    )
    p_run.add_argument(
        "--keep-going",
        dest="keep_going",
        action="store_true",
        default=True,
        help="run every notebook even if one fails (default); exit 1 if any failed",
    )
    p_run.add_argument(
        "--fail-fast",
        dest="keep_going",
        action="store_false",
        help="start no further notebook after the first failure",
    )
    _executor_options(p_run)

    p_build = _command(sub, "build", _cmd_build)
    _jobs_and_force(p_build, "build", default_jobs)
    p_build.add_argument(
        "--allow-stale",
        action="store_true",
        help="build even if a chapter failed or is out of date; such chapters get an "
        "'Out of date' warning banner",
    )
    _executor_options(p_build)

    p_sweep = _command(sub, "sweep", _cmd_sweep)
    _case_args(p_sweep)
    p_sweep.add_argument("--grid", required=True, metavar="FILE.yaml", help="grid file")
    _jobs_and_force(p_sweep, "sweep", default_jobs)
    _executor_options(p_sweep)

    p_verify = _command(sub, "verify", _cmd_verify)
    _jobs_and_force(p_verify, "verify", default_jobs)
    p_verify.add_argument(
        "--skip-sweeps",
        action="store_true",
        help="do not re-run the sweeps in params/sweeps/ (use their committed results)",
    )

    _command(sub, "publish", _cmd_publish)

    p_check = _command(sub, "check-data", _cmd_check_data)
    _case_args(p_check, "dir", "DIR", "the own-data folder")
    _instrument_option(p_check)

    p_import = _command(sub, "import", _cmd_import)
    _case_args(p_import, "raw_dir", "RAW_DIR", "folder of raw exports")
    p_import.add_argument("--mapping", required=True, metavar="MAP.yaml", help="mapping file")
    p_import.add_argument("--out", required=True, metavar="DIR", help="folder to write")

    p_report = _command(sub, "report", _cmd_report)
    _case_args(p_report, "dir", "DIR", "the own-data folder")
    p_report.add_argument("--out", required=True, metavar="OUT", help="output folder")
    _instrument_option(p_report)
    p_report.add_argument(
        "--partial",
        action="store_true",
        help="run the analyses whose tables pass even when another table has problems; "
        "an analysis reading a table with problems is named as failed (exit 1); "
        "problems of metadata.json still stop everything",
    )
    _jobs_and_force(p_report, "report", 1)

    p_new = _command(sub, "new", _cmd_new)
    p_new.add_argument(
        "slug", metavar="SLUG", help="new case slug: lowercase letters, digits, underscores"
    )
    p_new.add_argument("--title", help="the case title (default: a TODO placeholder)")
    p_new.add_argument("--province", help="province in English, e.g. Gansu (default: TODO)")
    p_new.add_argument("--place", help="place name in English, e.g. W Town (default: TODO)")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    console = _console()
    try:
        return args.func(args)
    except (ParameterError, RegistryError) as exc:
        console.print(f"error: {exc}", style="red", markup=False, soft_wrap=True)
        return EXIT_USAGE
    except CasesError as exc:
        console.print(f"error: {exc}", style="red", markup=False, soft_wrap=True)
        return EXIT_FAILED


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
