"""``cases publish``: the only writer of ``results/``.

It records the numbers of the current run (``.cache/cases/results/``) into the committed
manifests, and only when every notebook of the book ran from the current code, data and
``params/`` without overrides (:func:`cases.run.pipeline.stale_jobs`). How a value is compared
and kept lives in :mod:`cases.core.manifest`.
"""

from __future__ import annotations

from pathlib import Path

from cases.core import manifest, paths
from cases.core.atomic import write_atomic
from cases.core.errors import CasesError
from cases.run import pipeline


def publish(run_dir: Path | None = None, results: Path | None = None) -> manifest.PublishReport:
    """Record the current run's numbers in ``results/`` and say which keys changed.

    Every chapter and book-level notebook of the book (``params/``) must have a current run
    result: made by its last successful run from the current code, data and the parameters in
    ``params/`` (no command-line overrides, no own data). Sweep results in the run folder are
    published when their grid is still in ``params/sweeps/``; sweeps not re-run keep their
    published record (listed in ``kept``). Manifests of notebooks no longer in ``params/``
    (and of deleted sweep grids) are deleted (listed in ``removed``). Nothing is written
    until every manifest has been read and compared.

    Raises:
        CasesError: a notebook has no current run result (each named, with why), or a run
            result is not valid JSON. Nothing is written then.
    """

    run_dir = run_dir or paths.RUN_RESULTS
    results = results or paths.RESULTS
    jobs = pipeline.plan()
    stale = pipeline.stale_jobs(jobs)
    missing = {
        job.name: "it has no run result"
        for job in jobs
        if job.name not in stale and not manifest.run_results_path(job.name, run_dir).is_file()
    }
    problems = {**stale, **missing}
    if problems:
        listed = "\n  - ".join(f"{name}: {why}" for name, why in sorted(problems.items()))
        raise CasesError(
            "nothing published: these notebooks have no current run result (run "
            f"`cases run --all` without -p overrides first):\n  - {listed}"
        )
    report = manifest.PublishReport()
    for job in jobs:
        manifest.publish_one(
            job.name, manifest.run_results_path(job.name, run_dir), report, results, write=False
        )
    grids = {p.stem for p in (paths.PARAMS / manifest.SWEEPS).glob("*.yaml")}
    for grid in sorted(grids):
        name = f"{manifest.SWEEPS}/{grid}"
        source = manifest.run_results_path(name, run_dir)
        if source.is_file():
            manifest.publish_one(name, source, report, results, write=False)
        elif manifest.published_path(name, results).is_file():
            report.kept.append(name)
    # A notebook dropped from params/ (or a grid deleted) leaves no manifest behind.
    current = {job.name for job in jobs} | {f"{manifest.SWEEPS}/{g}" for g in grids}
    report.removed = sorted(manifest.manifest_names(results) - current)
    # Everything was computed without error: only now write (and delete).
    for target, text in report.pending:
        write_atomic(target, text)
    for name in report.removed:
        manifest.published_path(name, results).unlink()
    return report
