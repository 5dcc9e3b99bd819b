"""Run the analysis notebooks with papermill and build the book.

A *job* is one analysis template (``notebooks/<analysis>.ipynb``) run for one case (or once for
the whole book) with the parameters listed in ``params/<slug>.yaml`` (``params/_book.yaml`` for
book-level notebooks). Outputs land in the book's source tree:
``book/cases/<slug>/<analysis>.ipynb`` and ``book/<analysis>.ipynb``.

Rules the runner keeps:

- parameters are checked against the template's ``parameters`` cell before anything runs
  (unknown name or wrong type: :class:`~cases.core.errors.ParameterError`, listing the valid ones);
- a notebook is executed into a temporary file and moved into place only on success, so a
  failure or a kill never replaces the previous good output;
- a job whose inputs (template, parameters, library code, data, locked dependencies) hash to
  the value recorded after its last successful run is skipped unless ``force``;
- the book is built only from executed notebooks that contain no error output.
"""

from __future__ import annotations

import ast
import concurrent.futures as cf
import dataclasses
import functools
import glob
import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import nbformat
import yaml

from cases.core import manifest, paths
from cases.core.atomic import write_atomic
from cases.core.errors import CasesError, NotebookExecutionError, ParameterError
from cases.core.files import sha256_file
from cases.core.parallel import dask_client
from cases.data.plan import (  # noqa: F401  (re-exported: the runner's callers use them)
    BOOK_PARAMS,
    Job,
    book_jobs,
    jobs_for,
    notebook_parameters,
    plan,
)

KERNEL = "python3"
_TYPE_NAMES = {"int": int, "float": float, "str": str, "bool": bool}


def parse_override(text: str) -> tuple[str, str]:
    """Split a ``KEY=VALUE`` command-line override.

    Raises:
        ParameterError: no ``=`` or an empty key.
    """
    key, sep, value = text.partition("=")
    if not sep or not key.strip():
        raise ParameterError(f"parameter override {text!r} must look like KEY=VALUE")
    return key.strip(), value


def coerce_parameter(template: Path, name: str, value: Any, declared: str) -> Any:
    """Check ``value`` against the declared type of a notebook parameter.

    Strings from the command line are parsed by the declared type (``int``, ``float``,
    ``bool`` as true/false, ``str`` as is); values from YAML must already have that type
    (an ``int`` is accepted where a ``float`` is declared).

    Raises:
        ParameterError: naming the notebook, the parameter, the value and the expected type.
    """
    expected = _TYPE_NAMES.get(declared)
    if expected is None:  # untyped or complex parameter: accept YAML-parsed value
        return yaml.safe_load(value) if isinstance(value, str) else value
    if isinstance(value, str) and expected is not str:
        try:
            if expected is bool:
                lowered = value.strip().lower()
                if lowered not in {"true", "false"}:
                    raise ValueError
                return lowered == "true"
            return expected(value)
        except ValueError:
            raise ParameterError(
                f"{template.name}: parameter {name!r} expects {declared}, got {value!r}"
            ) from None
    ok = isinstance(value, expected) and not (expected is int and isinstance(value, bool))
    if expected is float and isinstance(value, int) and not isinstance(value, bool):
        ok, value = True, float(value)
    if not ok:
        raise ParameterError(
            f"{template.name}: parameter {name!r} expects {declared}, "
            f"got {value!r} ({type(value).__name__})"
        )
    return value


def resolve_parameters(job: Job, overrides: Mapping[str, str] | None = None) -> dict[str, Any]:
    """The validated parameters of ``job`` with command-line ``overrides`` applied.

    Raises:
        ParameterError: an unknown name (the message lists the valid ones) or a wrong type.
    """
    declared = notebook_parameters(job.template)
    merged: dict[str, Any] = dict(job.parameters)
    merged.update(overrides or {})
    unknown = sorted(set(merged) - set(declared))
    if unknown:
        valid = ", ".join(f"{n} ({s['type']})" for n, s in declared.items())
        raise ParameterError(
            f"{job.template.name}: unknown parameter(s) {', '.join(map(repr, unknown))}; "
            f"valid parameters: {valid}"
        )
    return {
        name: coerce_parameter(job.template, name, value, declared[name]["type"])
        for name, value in merged.items()
    }


# --------------------------------------------------------------------------- content hashing


def _library_files() -> list[Path]:
    """Every module of ``src/cases`` (the book build and the run record use the whole set)."""
    return sorted((paths.ROOT / "src" / "cases").rglob("*.py"))


def _module_file(name: str) -> Path | None:
    """The source file of a ``cases`` module or package, or ``None`` if there is none."""
    base = paths.ROOT / "src" / Path(*name.split("."))
    for candidate in (base.with_suffix(".py"), base / "__init__.py"):
        if candidate.is_file():
            return candidate
    return None


def _imported_modules(source: str, package: str) -> set[str]:
    """Names of the ``cases`` modules a piece of Python source imports, anywhere in it
    (function-level imports included), with ``from X import Y`` counted as ``X.Y`` when Y is a
    module. Relative imports are resolved against ``package``."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found.update(a.name for a in node.names if a.name.split(".")[0] == "cases")
        elif isinstance(node, ast.ImportFrom):
            module = node.module or ""
            if node.level:
                parts = package.split(".")[: len(package.split(".")) - node.level + 1]
                module = ".".join([*parts, module] if module else parts)
            if module.split(".")[0] != "cases":
                continue
            found.add(module)
            found.update(f"{module}.{a.name}" for a in node.names)
    return {name for name in found if _module_file(name) is not None}


@functools.lru_cache(maxsize=512)
def _file_imports(path: Path, package: str, stamp: tuple[int, int]) -> frozenset[str]:
    """:func:`_imported_modules` of one module file; ``stamp`` (mtime, size) keys the cache."""
    return frozenset(_imported_modules(path.read_text(encoding="utf-8"), package))


def _stamp(path: Path) -> tuple[int, int]:
    stat = path.stat()
    return stat.st_mtime_ns, stat.st_size


def library_files(template: Path) -> list[Path]:
    """The ``src/cases`` files a notebook template can execute: the modules its code cells
    import, every module those import in turn (to the end of the chain), and the
    ``__init__.py`` of each package on the way. Editing a module outside this set does not make
    the template's jobs stale.

    Rule: static analysis of ``import`` statements (:mod:`ast`); a module imported by name
    through ``importlib`` would be missed, and the library has none.
    """
    cells = nbformat.read(template, as_version=4).cells
    source = "\n".join(c.source for c in cells if c.cell_type == "code")
    # IPython magics are not Python: drop them before parsing.
    source = "\n".join(
        line for line in source.splitlines() if not line.lstrip().startswith(("%", "!"))
    )
    pending = _imported_modules(source, "cases")
    seen: set[str] = set()
    while pending:
        name = pending.pop()
        if name in seen:
            continue
        seen.add(name)
        parts = name.split(".")
        pending.update(".".join(parts[:i]) for i in range(1, len(parts)))  # parent packages
        path = _module_file(name)
        package = name if path.name == "__init__.py" else name.rsplit(".", 1)[0]
        pending.update(_file_imports(path, package, _stamp(path)) - seen)
    return sorted({_module_file(name) for name in seen})


def settings_files(job: Job) -> list[Path]:
    """Per-case settings a job's code reads: ``data/settings/<analysis>.yaml`` of its own
    analysis, and every settings file that a page module it imports names in its source (as
    ``"<name>"`` or ``<name>.yaml``, e.g. the context module reads ``area_context`` and
    ``national_context``)."""
    available = {p.stem: p for p in sorted(paths.SETTINGS.glob("*.yaml"))}
    found = {job.analysis} & set(available)
    for module in library_files(job.template):
        if module.parent.name != "pages":
            continue
        source = module.read_text(encoding="utf-8")
        found |= {n for n in available if f'"{n}"' in source or f"{n}.yaml" in source}
    return [available[n] for n in sorted(found)]


#: A text template a library module renders by name, e.g. ``render_blocks("exhibits", ...)``.
_RENDERED_TEMPLATE = re.compile(r'render_blocks\(\s*"(?P<name>[a-z0-9_]+)"')


def text_files(job: Job) -> list[Path]:
    """Text templates a job's output depends on: its own analysis's (``text/<analysis>.md``)
    and every template that a library module it imports renders by name (the exhibit helpers
    render ``text/exhibits.md`` for every page that draws a figure or table)."""
    names = [job.analysis]
    for module in library_files(job.template):
        names += [m["name"] for m in _RENDERED_TEMPLATE.finditer(module.read_text("utf-8"))]
    found = (paths.TEXT / f"{name}.md" for name in dict.fromkeys(names))
    return [path for path in found if path.is_file()]


def input_files(job: Job) -> list[Path]:
    """Every file that decides a job's output, in a fixed order.

    The template, its text templates (:func:`text_files`), the ``src/cases``
    modules it imports (:func:`library_files`), its per-case settings (:func:`settings_files`),
    the codebook (``data/qual/codebook.yaml``), the indicator definitions
    (``data/indicators.yaml``), the table formats (``data/synth/schemas.yaml``), the
    registry file of the job's case, the files the job declares under ``inputs`` (glob
    patterns allowed, relative to the project root; a book-level job that reads every case
    declares ``data/cases/*.yaml``), and ``requirements.lock``.

    Raises:
        CasesError: a declared input path (not a pattern) does not exist.
    """
    files = [job.template, *library_files(job.template), *settings_files(job)]
    files.append(paths.QUAL / "codebook.yaml")
    files.append(paths.DATA / "indicators.yaml")  # indicator definitions the library reads
    files.append(paths.SYNTH / "schemas.yaml")  # table formats of simulated and own data
    files += text_files(job)
    if job.slug:
        files.append(paths.CASES_DIR / f"{job.slug}.yaml")
    for pattern in job.inputs:
        if glob.has_magic(pattern):
            # A pattern may match nothing yet (e.g. results/ before the case notebooks ran).
            files += sorted(p for p in paths.ROOT.glob(pattern) if p.is_file())
            continue
        path = paths.ROOT / pattern
        if not path.is_file():
            raise CasesError(f"{job.name}: declared input {pattern!r} does not exist")
        files.append(path)
    lock = paths.ROOT / "requirements.lock"
    if lock.is_file():
        files.append(lock)
    return list(dict.fromkeys(files))


def data_dir_files(parameters: Mapping[str, Any]) -> dict[str, Path]:
    """Every file under the job's own-data folder (the ``data_dir`` parameter), keyed by its
    path relative to that folder, in a fixed order; ``{}`` for simulated data.

    An own-data folder is outside the project, so :func:`input_files` cannot list it; its
    contents still decide the job's output, so they are part of the fingerprint and of the run
    record. Hidden files and folders (``.git``, editor swap files) are left out.
    """
    folder = str(parameters.get("data_dir") or "")
    if not folder:
        return {}
    root = Path(folder).expanduser().resolve()
    if not root.is_dir():
        return {}
    found = {}
    for path in sorted(root.rglob("*")):
        relative = path.relative_to(root)
        if path.is_file() and not any(part.startswith(".") for part in relative.parts):
            found[relative.as_posix()] = path
    return found


def input_fingerprint(job: Job, parameters: Mapping[str, Any]) -> str:
    """SHA-256 over the resolved parameters (canonical JSON), every :func:`input_files` file
    and every file of the own-data folder (:func:`data_dir_files`), path and content. Any
    change to one of them makes the job stale (one changed byte in a researcher's table
    included); a change to another case's data does not."""
    digest = hashlib.sha256()
    digest.update(b"cases-fingerprint-v3\0")
    digest.update(json.dumps(parameters, sort_keys=True, default=str).encode())
    for path in input_files(job):
        if not path.is_file():
            raise CasesError(f"{job.name}: input {path} does not exist")
        digest.update(str(path.relative_to(paths.ROOT)).encode() + b"\0")
        digest.update(sha256_file(path).encode())
    for name, path in data_dir_files(parameters).items():
        digest.update(b"data_dir/" + name.encode() + b"\0")
        digest.update(sha256_file(path).encode())
    instrument = str(parameters.get("instrument") or "")
    if instrument and Path(instrument).is_file():  # an author's own questionnaire
        digest.update(b"instrument\0" + sha256_file(instrument).encode())
    return digest.hexdigest()


def _stamp_dir(job: Job) -> Path:
    return Path(job.out_dir) / ".cases" / "stamps" if job.out_dir else paths.CACHE / "stamps"


def _stamp_path(job: Job) -> Path:
    if job.out_dir:
        return _stamp_dir(job) / (job.name.replace("/", "__") + ".json")
    return paths.CACHE / "stamps" / (job.name.replace("/", "__") + ".json")


def _failure_path(job: Job) -> Path:
    """Record of a job's last run when it failed; removed by its next successful run."""
    return _stamp_dir(job) / (job.name.replace("/", "__") + ".failed.json")


def is_fresh(job: Job, fingerprint: str) -> bool:
    """True if ``job``'s output exists, has no errors, and was made from these exact inputs.

    A stamp that cannot be read, or whose recorded output hash no longer matches the file, is
    treated as absent (the job runs again), never trusted.
    """
    stamp = _stamp_path(job)
    outputs_exist = stamp.is_file() and job.output.is_file() and job.results_file.is_file()
    if not outputs_exist or _failure_path(job).is_file():
        return False
    try:
        record = json.loads(stamp.read_text(encoding="utf-8"))
        return record["fingerprint"] == fingerprint and record["output_sha256"] == sha256_file(
            job.output
        )
    except (OSError, ValueError, KeyError, TypeError):
        return False


def _write_atomic(path: Path, text: str) -> None:
    write_atomic(path, text)


# --------------------------------------------------------------------------- execution


def error_outputs(notebook: Path) -> list[tuple[int, str, str]]:
    """``(cell_index, ename, evalue)`` for every error output in an executed notebook."""
    nb = nbformat.read(notebook, as_version=4)
    found = []
    for index, cell in enumerate(nb.cells):
        for output in cell.get("outputs", []):
            if output.get("output_type") == "error":
                found.append((index, output.get("ename", ""), output.get("evalue", "")))
    return found


@dataclass
class JobResult:
    job: Job
    status: str  # "ran", "cached" or "failed"
    seconds: float = 0.0
    message: str = ""


def _remove_parameter_cells(notebook: Path) -> None:
    """Tag the default and injected parameter cells ``remove-cell``: they stay in the executed
    notebook (papermill's record of what ran) but not on the reader's page, where they showed
    as "Show code cell content" toggles with another case's defaults."""
    nb = nbformat.read(notebook, as_version=4)
    for cell in nb.cells:
        tags = cell.metadata.setdefault("tags", [])
        if {"parameters", "injected-parameters"} & set(tags) and "remove-cell" not in tags:
            tags.append("remove-cell")
    nbformat.write(nb, notebook)


#: How often a notebook is started when its kernel dies before it answers (no cell has run).
KERNEL_START_ATTEMPTS = 3
_KERNEL_START_FAILURE = "Kernel died before replying to kernel_info"
#: How papermill (nbclient) stops a kernel after the last cell. "immediate" kills it at once:
#: every output and glued value is already saved by then (report.glue closes its file after
#: each value), while the polite shutdown waited about a second per notebook for the
#: interpreter to tear itself down.
KERNEL_SHUTDOWN = "immediate"


def execute(job: Job, parameters: Mapping[str, Any], progress_bar: bool = False) -> Path:
    """Execute one job with papermill and move the result into place atomically.

    The notebook runs with kernel ``python3`` and the output folder as working directory. A
    kernel that dies before replying to its first request (nothing has run yet) is started
    again, up to :data:`KERNEL_START_ATTEMPTS` times in all; any other failure is final.
    It is written to a temporary file first; on success it replaces ``job.output``. On
    failure the previous output is untouched and the failed notebook is kept under
    ``.cache/cases/failed/`` for inspection.

    Raises:
        NotebookExecutionError: naming the notebook, the case, and the failing cell.
    """
    import papermill
    from papermill.exceptions import PapermillExecutionError

    from cases.run.kernel import QuietKernelManager, drain

    job.output.parent.mkdir(parents=True, exist_ok=True)
    tmp_dir = paths.CACHE / "tmp"
    tmp_dir.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(
        dir=tmp_dir, prefix=job.name.replace("/", "__") + ".", suffix=".ipynb"
    )
    os.close(fd)
    tmp = Path(tmp_name)
    try:
        try:
            for attempt in range(1, KERNEL_START_ATTEMPTS + 1):
                try:
                    papermill.execute_notebook(
                        str(job.template),
                        str(tmp),
                        parameters=dict(parameters),
                        kernel_name=KERNEL,
                        cwd=str(job.output.parent),
                        progress_bar=progress_bar,
                        request_save_on_cell_execute=False,
                        # Passed through to nbclient: drop the kernel's transport warning.
                        kernel_manager_class=QuietKernelManager,
                        shutdown_kernel=KERNEL_SHUTDOWN,
                    )
                    break
                except RuntimeError as exc:
                    # A kernel that dies while starting has run no cell, so starting again is
                    # safe; it happens when many kernels start at once on a busy machine.
                    if _KERNEL_START_FAILURE not in str(exc) or attempt == KERNEL_START_ATTEMPTS:
                        raise
                finally:
                    drain()
        except PapermillExecutionError as exc:
            failed = paths.CACHE / "failed" / (job.name.replace("/", "__") + ".ipynb")
            failed.parent.mkdir(parents=True, exist_ok=True)
            if tmp.is_file():
                shutil.copyfile(tmp, failed)
            raise NotebookExecutionError(
                f"notebook {job.template.name} ({job.name}) failed in cell {exc.cell_index} "
                f"(execution count {exc.exec_count}): {exc.ename}: {exc.evalue}. "
                f"Previous output left in place; failed copy at {failed}"
            ) from None
        _remove_parameter_cells(tmp)
        errors = error_outputs(tmp)
        if errors:
            cell, ename, evalue = errors[0]
            raise NotebookExecutionError(
                f"notebook {job.template.name} ({job.name}) has an error output in cell {cell}: "
                f"{ename}: {evalue}"
            )
        os.replace(tmp, job.output)
    finally:
        tmp.unlink(missing_ok=True)
    return job.output


def _run_one(
    job: Job, parameters: dict[str, Any], fingerprint: str, progress_bar: bool = False
) -> JobResult:
    start = time.perf_counter()
    scratch_dir = paths.CACHE / "tmp"
    scratch_dir.mkdir(parents=True, exist_ok=True)
    fd, scratch_name = tempfile.mkstemp(dir=scratch_dir, suffix=".manifest.jsonl")
    os.close(fd)
    scratch = Path(scratch_name)
    # The kernel inherits this variable; report.glue appends each glued value to the file.
    previous = os.environ.get(manifest.MANIFEST_ENV)
    os.environ[manifest.MANIFEST_ENV] = str(scratch)
    try:
        output = execute(job, parameters, progress_bar=progress_bar)
        entries = manifest.collect(scratch)
    except Exception as exc:  # a kernel crash or I/O error must not take the others down
        message = (
            str(exc) if isinstance(exc, NotebookExecutionError) else f"{type(exc).__name__}: {exc}"
        )
        failure = {"job": job.name, "fingerprint": fingerprint, "message": message}
        _write_atomic(_failure_path(job), json.dumps(failure, sort_keys=True, indent=2))
        return JobResult(job, "failed", time.perf_counter() - start, message)
    finally:
        scratch.unlink(missing_ok=True)
        if previous is None:
            os.environ.pop(manifest.MANIFEST_ENV, None)
        else:
            os.environ[manifest.MANIFEST_ENV] = previous
    _write_atomic(job.results_file, manifest.dumps(entries))
    library = set(_library_files())
    record = {
        "job": job.name,
        "template": str(job.template.relative_to(paths.ROOT)),
        "fingerprint": fingerprint,
        "output_sha256": sha256_file(output),
        "parameters": parameters,
        "inputs": {
            **{
                str(p.relative_to(paths.ROOT)): sha256_file(p)
                for p in input_files(job)
                if p not in library
            },
            **{f"data_dir/{n}": sha256_file(p) for n, p in data_dir_files(parameters).items()},
        },
        "library_sha256": hashlib.sha256(
            "".join(sha256_file(p) for p in library).encode()
        ).hexdigest(),
        "finished_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "seconds": round(time.perf_counter() - start, 1),
    }
    _write_atomic(_stamp_path(job), json.dumps(record, sort_keys=True, indent=2, default=str))
    _failure_path(job).unlink(missing_ok=True)
    return JobResult(job, "ran", time.perf_counter() - start)


EXECUTORS = ("process", "dask")


def _collect(
    futures: dict[Any, Job],
    as_completed: Callable[[list[Any]], Iterable[Any]],
    report: Callable[[JobResult], None],
    not_run: Callable[[Job], JobResult],
    cancel_rest: Callable[[], object] | None,
) -> bool:
    """Report each of ``futures`` (a process-pool or Dask future -> its job) as it completes,
    a cancelled one as ``not_run``; after the first failure call ``cancel_rest`` (None: keep
    going). Returns True if a job failed."""
    failed = False
    for future in as_completed(list(futures)):
        if future.cancelled():
            report(not_run(futures[future]))
            continue
        result = future.result()
        report(result)
        if result.status == "failed" and not failed:
            failed = True
            if cancel_rest is not None:
                cancel_rest()
    return failed


def _execute_stage(
    todo: list[tuple[Job, dict[str, Any], str]],
    n_jobs: int,
    executor: str,
    scheduler: str | None,
    report: Callable[[JobResult], None],
    keep_going: bool = True,
) -> bool:
    """Run one stage of independent jobs serially, in a process pool, or on a Dask cluster.

    With ``keep_going=False`` no further job starts after the first failure; jobs already
    running finish and the others are reported ``not run``. Returns False if a job failed.
    """
    failed = False

    def not_run(job: Job) -> JobResult:
        return JobResult(job, "not run", message="not started: --fail-fast after a failure")

    if executor == "dask":
        from dask.distributed import as_completed

        with dask_client(n_jobs, scheduler) as client:
            futures = {client.submit(_run_one, *item, pure=False): item[0] for item in todo}
            failed = _collect(
                futures,
                as_completed,
                report,
                not_run,
                None if keep_going else lambda: client.cancel([f for f in futures if not f.done()]),
            )
    elif n_jobs <= 1 or len(todo) <= 1:
        for item in todo:
            if failed and not keep_going:
                report(not_run(item[0]))
                continue
            # One notebook at a time: papermill can show a per-cell progress bar on a terminal.
            result = _run_one(*item, progress_bar=sys.stderr.isatty())
            report(result)
            failed = failed or result.status == "failed"
    else:
        with cf.ProcessPoolExecutor(max_workers=n_jobs) as pool:
            pending = {pool.submit(_run_one, *item): item[0] for item in todo}
            # Future.cancel stops only jobs that have not started yet.
            failed = _collect(
                pending,
                cf.as_completed,
                report,
                not_run,
                None if keep_going else lambda: [other.cancel() for other in pending],
            )
    return not failed


def run(
    jobs: Iterable[Job],
    overrides: Mapping[str, str] | None = None,
    n_jobs: int = 1,
    force: bool = False,
    on_result: Callable[[JobResult], None] | None = None,
    executor: str = "process",
    scheduler: str | None = None,
    keep_going: bool = True,
    out_dir: str | os.PathLike[str] | None = None,
) -> list[JobResult]:
    """Run ``jobs``: case notebooks first (in parallel up to ``n_jobs``), then book notebooks.

    Parameters are validated for every job before any runs. Overrides apply to the jobs whose
    template declares them; an override no selected template declares is an error. Jobs whose
    inputs are unchanged since their last success are reported as ``cached``. One failing job
    does not stop the others (``keep_going=True``, the default); with ``keep_going=False`` no
    job starts after the first failure (the rest are reported ``not run``). A non-empty
    ``data_dir`` parameter must name an existing folder (:func:`cases.data.io.check_data_dir`); a
    relative one is resolved against the current directory before the notebook runs.
    Own data never reach the book: a job with a non-empty ``data_dir`` is refused unless
    ``out_dir`` is given, and with ``out_dir`` every notebook, manifest and run record goes
    there (:func:`own_output_dir`), never into ``book/`` or ``results/``.
    Partial files left by a killed earlier run are removed first (:func:`sweep_partial_files`),
    unless another run of the same project is active (:func:`_hold_run_lock`).

    ``executor="process"`` runs jobs in local processes; ``executor="dask"`` sends the same
    papermill jobs to the Dask scheduler at ``scheduler`` (``tcp://host:port``) or, without an
    address, to a ``LocalCluster`` of ``n_jobs`` single-threaded worker processes. Workers must
    see the project at the same path (or ``CASES_ROOT``).

    Raises:
        ParameterError: unknown parameter name or wrong type, an unknown executor, ``n_jobs``
            below 1, or a ``data_dir`` that is not a folder, before anything runs.
    """
    from cases.data.io import check_data_dir

    if executor not in EXECUTORS:
        raise ParameterError(f"executor must be one of {EXECUTORS}, got {executor!r}")
    if isinstance(n_jobs, bool) or not isinstance(n_jobs, int) or n_jobs < 1:
        raise ParameterError(f"n_jobs (--jobs) must be a whole number >= 1, got {n_jobs!r}")
    verify_data_package()
    jobs = list(jobs)
    if out_dir is not None:
        target = own_output_dir(out_dir)
        if any(job.slug is None for job in jobs):
            raise ParameterError(
                "--out runs the analyses of one case; book-level notebooks need the book"
            )
        jobs = [dataclasses.replace(job, out_dir=str(target)) for job in jobs]
    overrides = dict(overrides or {})
    declared_any: set[str] = set()
    prepared: list[tuple[Job, dict[str, Any], str]] = []
    for job in jobs:
        declared = notebook_parameters(job.template)
        declared_any |= set(declared)
        applicable = {k: v for k, v in overrides.items() if k in declared}
        params = resolve_parameters(job, applicable)
        if params.get("data_dir"):
            check_data_dir(params["data_dir"], parameter=f"{job.name}: data_dir")
            # The notebook runs in its output folder: pass the folder the user meant.
            params["data_dir"] = str(Path(params["data_dir"]).expanduser().resolve())
            if params.get("instrument"):
                if not Path(params["instrument"]).expanduser().is_file():
                    raise ParameterError(
                        f"{job.name}: instrument: file {params['instrument']!r} not found"
                    )
                params["instrument"] = str(Path(params["instrument"]).expanduser().resolve())
            if job.out_dir is None:
                raise ParameterError(
                    f"{job.name}: data_dir={params['data_dir']!r}: own data are never run into "
                    "book/ or results/; use `cases report SLUG DIR --out OUT` (or `cases run "
                    "SLUG -p data_dir=DIR --out OUT`)"
                )
        prepared.append((job, params, input_fingerprint(job, params)))
    unknown = sorted(set(overrides) - declared_any)
    if unknown:
        valid = sorted(declared_any)
        raise ParameterError(
            f"unknown parameter(s) {', '.join(map(repr, unknown))} for the selected notebooks; "
            f"valid parameters: {', '.join(valid)}"
        )

    results: list[JobResult] = []

    def report(result: JobResult) -> None:
        results.append(result)
        if on_result:
            on_result(result)

    stages = [
        [p for p in prepared if p[0].slug is not None],
        [p for p in prepared if p[0].slug is None],
    ]
    lock = _hold_run_lock()
    stopped = False
    for stage in stages:
        todo = []
        for job, params, _ in stage:
            # Fingerprint at stage time: book-level jobs may read what the case stage wrote.
            fingerprint = input_fingerprint(job, params)
            if not force and is_fresh(job, fingerprint):
                report(JobResult(job, "cached"))
            elif stopped:
                report(
                    JobResult(job, "not run", message="not started: --fail-fast after a failure")
                )
            else:
                todo.append((job, params, fingerprint))
        if todo:
            try:
                ok = _execute_stage(todo, n_jobs, executor, scheduler, report, keep_going)
            except BaseException:
                os.close(lock)
                raise
            stopped = stopped or (not ok and not keep_going)
    os.close(lock)
    order = {p[0].name: i for i, p in enumerate(prepared)}
    return sorted(results, key=lambda r: order[r.job.name])


def own_output_dir(out_dir: str | os.PathLike[str]) -> Path:
    """``out_dir`` resolved, refused when it is inside ``book/`` or ``results/`` (the book's
    tracked sources) or is a file.

    Raises:
        ParameterError: naming the folder.
    """
    target = Path(out_dir).expanduser().resolve()
    for tracked in (paths.BOOK, paths.RESULTS, paths.DATA):
        root = tracked.resolve()
        if target == root or root in target.parents:
            raise ParameterError(
                f"--out {str(out_dir)!r} is inside {root.name}/: own-data output goes to a "
                "folder of its own"
            )
    if target.exists() and not target.is_dir():
        raise ParameterError(f"--out {str(out_dir)!r} is a file, not a folder")
    return target


def _hold_run_lock() -> int:
    """Hold the project's run lock (shared) for the rest of a run; return its descriptor.

    If no other run holds it, the leftovers of killed runs are swept first (under the
    exclusive lock), so a run never deletes the temporary files of another live run. The
    kernel releases the lock of a killed process.
    """
    import fcntl

    path = paths.CACHE / "run.lock"
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        pass  # another run is active: its temporary files are not leftovers
    else:
        sweep_partial_files()
    fcntl.flock(fd, fcntl.LOCK_SH)
    return fd


def sweep_partial_files() -> list[Path]:
    """Remove temporary files that a killed run left behind, and return them.

    Every output is written to a temporary file and renamed into place, so a kill leaves at
    most such a temporary file: ``.<name>.*.tmp`` next to a results manifest, stamp or page
    (:func:`_write_atomic`) or a notebook under ``.cache/cases/tmp``. Executed notebooks and
    manifests themselves are never partial. Called by :func:`run` only while no other run
    holds the project's run lock.
    """
    removed = []
    for folder in (paths.RESULTS, paths.RUN_RESULTS, paths.CACHE / "stamps", paths.BOOK):
        if folder.is_dir():
            for leftover in folder.rglob(".*.tmp"):
                if "_build" not in leftover.parts and leftover.is_file():
                    leftover.unlink(missing_ok=True)
                    removed.append(leftover)
    scratch = paths.CACHE / "tmp"
    if scratch.is_dir():
        for leftover in scratch.iterdir():
            if leftover.is_file():
                leftover.unlink(missing_ok=True)
                removed.append(leftover)
    return removed


def verify_data_package() -> None:
    """Stop before running anything if a transcribed public table or the external example
    data no longer match their recorded sha256 in ``data/datapackage.json``.

    Files written for the compendium (``role: project_input``: registry, parameters,
    codebook...) are left out here, because authors edit them between runs; the test suite
    checks their hashes, so a changed file is caught before it is published.

    Raises:
        DataValidationError: naming every mismatching or missing file.
    """
    from cases.data.io import verify_checksums

    package = paths.DATA / "datapackage.json"
    if package.is_file():
        verify_checksums(package, roles=("public_statistics", "external_example"))


# --------------------------------------------------------------------------- book

KEY_PACKAGES = (
    "numpy",
    "pandas",
    "scipy",
    "statsmodels",
    "linearmodels",
    "matplotlib",
    "seaborn",
    "papermill",
    "jupyter-book",
    "myst-nb",
    "sphinx",
)


def _git_commit() -> str:
    try:
        head = subprocess.run(
            ["git", "rev-parse", "HEAD"], cwd=paths.ROOT, capture_output=True, text=True
        )
        if head.returncode != 0:
            return "not a git checkout"
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "--untracked-files=no"],
            cwd=paths.ROOT,
            capture_output=True,
            text=True,
        ).stdout.strip()
        return head.stdout.strip() + (" (with uncommitted changes)" if dirty else "")
    except OSError:
        return "git not available"


def write_provenance_page(target: Path | None = None) -> Path:
    """Write ``book/provenance.md``: for every chapter notebook, its template, parameters,
    input files with sha256, when it ran and how long it took; plus the package versions and
    the git commit. Generated at each build (git-ignored), from the runner's stamps; the words
    are in ``text/provenance.md``."""
    from importlib.metadata import PackageNotFoundError, version

    from cases.present.text import render_blocks

    def installed(name: str) -> str | None:
        try:
            return version(name)
        except PackageNotFoundError:
            return None

    chapters = []
    for job in plan():
        try:
            record = json.loads(_stamp_path(job).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            record = None
        chapter: dict[str, Any] = {"name": job.name, "record": None, "output": job.output.name}
        if record is not None:
            chapter["record"] = {
                "template": record.get("template", job.template.name),
                "finished_at": record.get("finished_at", "unknown"),
                "seconds": record.get("seconds", "?"),
                "library_sha256": record.get("library_sha256", "unknown"),
                "inputs": record.get("inputs", {}),
            }
            chapter["parameters"] = ", ".join(
                f"`{k}={v!r}`" for k, v in sorted(record["parameters"].items())
            )
        chapters.append(chapter)
    page = render_blocks(
        "provenance",
        {
            "commit": _git_commit(),
            "python": sys.version.split()[0],
            "packages": [(name, installed(name)) for name in KEY_PACKAGES],
            "chapters": chapters,
        },
    )["page"]
    target = target or paths.BOOK / "provenance.md"
    _write_atomic(target, page + "\n")
    return target


def toc_files(toc: Path | None = None) -> list[str]:
    """Every file named in ``book/_toc.yml`` (root included), without extension."""
    toc = toc or paths.BOOK / "_toc.yml"
    data = yaml.safe_load(toc.read_text(encoding="utf-8"))
    found = [data["root"]]

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            if "file" in node:
                found.append(node["file"])
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for item in node:
                walk(item)

    walk({k: v for k, v in data.items() if k != "root"})
    return found


def check_book_sources() -> list[str]:
    """Problems that must stop a book build: missing chapters or notebooks with errors."""
    problems = []
    for entry in toc_files():
        candidates = [paths.BOOK / f"{entry}{ext}" for ext in (".md", ".ipynb")]
        existing = [c for c in candidates if c.is_file()]
        if not existing:
            problems.append(f"{entry}: listed in _toc.yml but not built (run `cases run --all`)")
            continue
        for path in existing:
            if path.suffix == ".ipynb":
                for cell, ename, evalue in error_outputs(path):
                    problems.append(f"{entry}: error output in cell {cell}: {ename}: {evalue}")
    return problems


STALE_TAG = "cases-stale-banner"


def stale_jobs(jobs: Iterable[Job] | None = None) -> dict[str, str]:
    """``{job name: reason}`` for every chapter notebook the book must not silently publish.

    A job is *stale* when its last run failed (a failure record is kept until the next success)
    or when its output does not come from its current inputs: no output, no stamp, or a stamp
    whose fingerprint (:func:`input_fingerprint` with the parameters of ``params/``) or output
    hash differs.
    """
    found = {}
    for job in plan() if jobs is None else jobs:
        if _failure_path(job).is_file():
            found[job.name] = "its last run failed"
        elif not job.output.is_file():
            found[job.name] = "it has not been executed"
        elif not is_fresh(job, input_fingerprint(job, resolve_parameters(job))):
            found[job.name] = "its code, parameters or data changed since it last ran"
    return found


def mark_stale(job: Job, reason: str) -> None:
    """Put a visible "Out of date" warning under the title of ``job``'s executed notebook.

    The banner is a Markdown cell tagged :data:`STALE_TAG` (replaced, never duplicated). The
    notebook is rewritten atomically; its changed hash makes the next run execute it again.
    """
    nb = nbformat.read(job.output, as_version=4)
    nb.cells = [c for c in nb.cells if STALE_TAG not in c.metadata.get("tags", [])]
    from cases.present.text import render_blocks

    text = render_blocks("stale_banner", {"reason": reason})["banner"]
    banner = nbformat.v4.new_markdown_cell(text)
    banner.metadata["tags"] = [STALE_TAG]
    headings = [
        i for i, c in enumerate(nb.cells) if c.cell_type == "markdown" and c.source.startswith("# ")
    ]
    title = headings[0] if headings else -1
    nb.cells.insert(title + 1, banner)
    _write_atomic(job.output, nbformat.writes(nb))


def _book_stamp_path(builder: str) -> Path:
    return paths.CACHE / f"book-{builder}.json"


def _book_state(builder: str) -> str:
    """A digest of everything a book build and its identifier scan depend on.

    The content of every file under ``book/`` outside ``_build`` (executed notebooks,
    pages, the generated provenance page, configuration), the library code (the Sphinx
    extension and the scan live there), ``requirements.lock``, the deny-list, and the name,
    size and modification time of every file the build left in ``_build/<builder>``, so a
    touched or deleted output also forces a rebuild.
    """
    from cases.present.disclosure import DENY_LIST_NAME

    digest = hashlib.sha256(f"cases-book-v1\0{builder}\0".encode())
    sources = []
    for folder, dirs, files in os.walk(paths.BOOK):
        if Path(folder) == paths.BOOK:
            dirs[:] = [d for d in dirs if d != "_build"]
        sources += [Path(folder) / name for name in files]
    sources.sort()
    extra = [*_library_files(), paths.ROOT / "requirements.lock", paths.ROOT / DENY_LIST_NAME]
    for path in [*sources, *extra]:
        digest.update(str(path.relative_to(paths.ROOT)).encode() + b"\0")
        digest.update(sha256_file(path).encode() if path.is_file() else b"absent")
    out = paths.BOOK / "_build" / builder
    for path in sorted(out.rglob("*")) if out.is_dir() else []:
        info = path.stat()
        digest.update(f"{path.relative_to(out)}\0{info.st_size}\0{info.st_mtime_ns}\0".encode())
    return digest.hexdigest()


def _book_is_current(builder: str, state: str) -> bool:
    """True if the last successful build (and scan) of ``builder`` saw exactly ``state``."""
    stamp = _book_stamp_path(builder)
    index = paths.BOOK / "_build" / builder / "index.html"
    try:
        return index.is_file() and json.loads(stamp.read_text(encoding="utf-8"))["state"] == state
    except (OSError, ValueError, KeyError, TypeError):
        return False


def prune_unplanned_pages() -> list[Path]:
    """Delete the executed notebooks under ``book/`` that no job of ``params/`` writes any more
    (a page dropped from a chapter), with their built HTML pages, so a working copy that once
    ran them shows what a fresh clone shows. Executed notebooks are generated and untracked;
    nothing else is touched. Returns the notebooks deleted."""
    planned = {job.output.resolve() for job in plan()}
    removed = []
    for notebook in sorted(paths.BOOK.rglob("*.ipynb")):
        relative = notebook.relative_to(paths.BOOK)
        if relative.parts[0] == "_build" or ".ipynb_checkpoints" in relative.parts:
            continue
        if notebook.resolve() not in planned:
            notebook.unlink()
            for built in (paths.BOOK / "_build").glob(f"*/{relative.with_suffix('.html')}"):
                built.unlink()
            removed.append(notebook)
    return removed


def prepare_chapters(what: str, allow_stale: bool) -> None:
    """Rewrite the provenance page and check the chapters before building ``what`` ("book",
    "PDF"): a stale or failed chapter stops the build unless ``allow_stale``, which marks it
    "Out of date" (:func:`mark_stale`); a missing chapter or an error output always stops it.

    Raises:
        CasesError: a stale or failed chapter without ``allow_stale``; a chapter is missing or
            contains an error output.
    """
    write_provenance_page()
    stale = stale_jobs()
    if stale and not allow_stale:
        listed = "\n  - ".join(f"{name}: {reason}" for name, reason in stale.items())
        raise CasesError(
            f"refusing to build the {what} from stale or failed chapter(s) (run `cases run "
            "--all`, or pass --allow-stale to publish them marked 'Out of date'):"
            f"\n  - {listed}"
        )
    prune_unplanned_pages()
    by_name = {job.name: job for job in plan()}
    for name, reason in stale.items():
        if by_name[name].output.is_file():
            mark_stale(by_name[name], reason)
    problems = check_book_sources()
    if problems:
        raise CasesError(f"refusing to build the {what}:\n  - " + "\n  - ".join(problems))


def run_jupyter_book(builder: str) -> subprocess.CompletedProcess[str]:
    """``jupyter-book build book/ --builder BUILDER -W -n --keep-going`` (the one next to this
    Python if there is one), from the project root, its output captured."""
    exe = Path(sys.executable).parent / "jupyter-book"
    command = [
        str(exe) if exe.exists() else "jupyter-book",
        "build",
        str(paths.BOOK),
        "--builder",
        builder,
        "-W",
        "-n",
        "--keep-going",
    ]
    return subprocess.run(command, cwd=paths.ROOT, capture_output=True, text=True)


def build_book(builder: str = "html", allow_stale: bool = False) -> Path:
    """Build the book offline with Sphinx warnings as errors (``-W -n --keep-going``), then
    scan the result for personal identifiers.

    A stale or failed chapter (:func:`stale_jobs`) stops the build unless ``allow_stale``; then
    each such chapter gets an "Out of date" warning banner (:func:`mark_stale`). After the
    build every page and download is scanned with :func:`cases.present.disclosure.scan_build` for
    PRC
    resident ID numbers, mobile numbers and the names in ``deny-list.txt`` (project root,
    optional, never committed). When nothing either step reads has changed since they last
    passed (:func:`_book_state`, recorded under ``.cache/cases``), both are skipped.

    Raises:
        CasesError: a stale or failed chapter without ``allow_stale``; a chapter is missing or
            contains an error output (the book is not built); the build itself fails (Sphinx's
            output is shown); or the built book contains an identifier (page and masked match
            listed; do not publish that build).
    """
    from cases.present.disclosure import DENY_LIST_NAME, scan_build

    prepare_chapters("book", allow_stale)
    html_dir = paths.BOOK / "_build" / builder
    # Nothing the build or the scan reads has changed since they last passed: their result
    # would be the same, so skip Sphinx (about 2 s even when it has nothing to do).
    if _book_is_current(builder, _book_state(builder)):
        return html_dir / "index.html"
    _book_stamp_path(builder).unlink(missing_ok=True)
    completed = run_jupyter_book(builder)
    if completed.returncode != 0:
        raise CasesError(
            "jupyter-book build failed:\n" + completed.stdout[-6000:] + completed.stderr[-6000:]
        )
    deny_list = paths.ROOT / DENY_LIST_NAME
    findings = scan_build(html_dir, deny_list if deny_list.is_file() else None)
    if findings:
        shown = "\n  - ".join(f.describe() for f in findings[:50])
        more = f"\n  ... and {len(findings) - 50} more" if len(findings) > 50 else ""
        raise CasesError(
            f"the built book in {html_dir} contains {len(findings)} personal identifier(s); "
            f"do not publish it. Remove them from the notebooks or data:\n  - {shown}{more}"
        )
    _write_atomic(_book_stamp_path(builder), json.dumps({"state": _book_state(builder)}))
    return html_dir / "index.html"
