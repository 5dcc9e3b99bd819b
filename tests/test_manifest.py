"""Results manifests: compared by identity and with tolerances, floats that travel between
processors, sweeps keyed by their choices, and publish that changes no byte for numbers that
reproduce."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from cases.core import manifest

CHOICES = {"cluster": ["village", "household"], "seed": [1, 2]}


def _sweep(rows: list[dict]) -> dict:
    return {
        "case": "liupanshui",
        "analysis": "policy_evaluation",
        "choices": CHOICES,
        "fixed": {},
        "estimators": ["CS", "SA"],
        "reference_label": "",
        "specifications": rows,
    }


def _row(cluster: str, seed: int, estimator: str, estimate: float) -> dict:
    return {
        "cluster": cluster,
        "seed": seed,
        "estimator": estimator,
        "estimate": estimate,
        "ci_low": estimate - 0.1,
        "ci_high": estimate + 0.1,
    }


def _write(folder: Path, name: str, data: dict) -> None:
    path = folder / f"{name}.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data), encoding="utf-8")


def test_tied_specifications_swapped_and_15th_digit_noise_still_match(tmp_path):
    # Callaway-Sant'Anna and Sun-Abraham tie exactly in theory; on another processor the
    # 16th digit differs and the sorted curve lists them the other way round.
    tie = 0.136122
    published = [_row("village", 1, "CS", tie), _row("village", 1, "SA", tie + 1e-16)]
    rerun = [_row("village", 1, "SA", tie), _row("village", 1, "CS", tie * (1 + 3e-15))]
    _write(tmp_path / "pub", "sweeps/grid", _sweep(published))
    _write(tmp_path / "run", "sweeps/grid", _sweep(rerun))
    assert manifest.compare_dirs(tmp_path / "pub", tmp_path / "run") == []


def test_a_specification_off_by_more_than_its_tolerance_is_named_by_its_choices(tmp_path):
    published = [_row("village", 1, "CS", 0.5), _row("household", 2, "SA", 0.4)]
    rerun = [_row("village", 1, "CS", 0.5), _row("household", 2, "SA", 0.4 + 1e-4)]
    _write(tmp_path / "pub", "sweeps/grid", _sweep(published))
    _write(tmp_path / "run", "sweeps/grid", _sweep(rerun))
    found = manifest.compare_dirs(tmp_path / "pub", tmp_path / "run")
    keys = sorted(m.key for m in found)
    assert keys == [
        "specification[cluster=household, estimator=SA, seed=2].ci_high",
        "specification[cluster=household, estimator=SA, seed=2].ci_low",
        "specification[cluster=household, estimator=SA, seed=2].estimate",
    ]
    line = next(m for m in found if m.key.endswith(".estimate")).describe()
    assert "expected 0.4" in line and "got 0.4001" in line and "tolerance 1e-06" in line


@pytest.mark.parametrize(
    ("expected", "got", "tolerance", "ok"),
    [
        (0.383609916026613, 0.38360991602661304, 1e-9, True),  # last-digit noise
        (0.5, 0.5 + 9e-10, 1e-9, True),  # absolute below 1
        (0.5, 0.5 + 2e-9, 1e-9, False),
        (2.0e6, 2.0e6 + 1e-3, 1e-9, True),  # relative above 1: 2e6 * 1e-9 = 2e-3
        (2.0e6, 2.0e6 + 3e-3, 1e-9, False),
        ("Sun–Abraham", "Callaway–Sant'Anna", None, False),  # labels compare exactly
        (5, 5, None, True),
        (5, 6, None, False),
        (True, 1, None, False),  # a flag is not a count
    ],
)
def test_comparison_rule(expected, got, tolerance, ok):
    assert manifest.matches(expected, got, tolerance) is ok


def test_missing_and_extra_keys_are_mismatches():
    found = manifest.compare(
        "nb", {"a": {"value": 1}, "b": {"value": 2}}, {"a": {"value": 1}, "c": {"value": 3}}
    )
    assert [(m.key, m.expected, m.got) for m in found] == [
        ("b", 2, "<missing>"),
        ("c", "<missing>", 3),
    ]


def test_floats_are_written_at_twelve_significant_digits(tmp_path, monkeypatch):
    scratch = tmp_path / "scratch.jsonl"
    monkeypatch.setenv(manifest.MANIFEST_ENV, str(scratch))
    manifest.record("x", 0.38360991602661304)
    manifest.record("y", 0.383609916026613)
    entries = manifest.collect(scratch)
    # The two processors' values of issue 15 write the same text.
    assert entries["x"]["value"] == entries["y"]["value"] == 0.383609916027
    assert manifest.travel(1234567.891234567) == 1234567.89123


def test_sweep_record_orders_ties_by_identity_whatever_the_last_digit():
    a = [_row("village", 1, "SA", 0.3 + 1e-16), _row("village", 1, "CS", 0.3)]
    b = [_row("village", 1, "CS", 0.3 + 1e-16), _row("village", 1, "SA", 0.3)]
    assert manifest.sweep_record(_sweep(a)) == manifest.sweep_record(_sweep(b))
    rows = json.loads(manifest.sweep_record(_sweep(a)))["specifications"]
    assert [r["estimator"] for r in rows] == ["CS", "SA"]


def test_publish_keeps_published_text_for_numbers_that_reproduce(tmp_path):
    report = manifest.PublishReport()
    results = tmp_path / "results"
    old = {"k": {"value": 0.383609916026613, "tolerance": 1e-9}, "n": {"value": 3}}
    _write(results, "case/a", old)
    old_text = manifest.dumps(old)
    (results / "case" / "a.json").write_text(old_text, encoding="utf-8")
    run = tmp_path / "run.json"
    run.write_text(
        manifest.dumps({"k": {"value": 0.3836099160266, "tolerance": 1e-9}, "n": {"value": 3}})
    )
    manifest.publish_one("case/a", run, report, results)
    assert report.unchanged == ["case/a"] and report.changes == []
    assert (results / "case" / "a.json").read_text(encoding="utf-8") == old_text
    # A real change is written and reported by key.
    run.write_text(manifest.dumps({"k": {"value": 0.4, "tolerance": 1e-9}, "n": {"value": 3}}))
    manifest.publish_one("case/a", run, report, results)
    assert report.written == ["case/a"]
    assert [(m.key, m.expected, m.got) for m in report.changes] == [("k", 0.383609916026613, 0.4)]


def _fake_plan(monkeypatch, names):
    from cases.data.plan import Job
    from cases.run import pipeline

    jobs = [Job(analysis=n.split("/")[1], slug=n.split("/")[0]) for n in names]
    monkeypatch.setattr(pipeline, "plan", lambda *a, **k: jobs)
    monkeypatch.setattr(pipeline, "stale_jobs", lambda *a, **k: {})


def test_publish_deletes_manifests_of_notebooks_no_longer_in_params(tmp_path, monkeypatch):
    from cases.run import publish

    run, results = tmp_path / "run", tmp_path / "results"
    for folder in (run, results):
        (folder / "case").mkdir(parents=True)
        (folder / "case" / "a.json").write_text('{"x": {"value": 1}}', encoding="utf-8")
    (results / "case" / "dropped.json").write_text('{"y": {"value": 2}}', encoding="utf-8")
    _fake_plan(monkeypatch, ["case/a"])
    report = publish.publish(run_dir=run, results=results)
    assert report.removed == ["case/dropped"]
    assert not (results / "case" / "dropped.json").exists()
    assert (results / "case" / "a.json").is_file()


def test_publish_writes_nothing_when_one_run_result_is_unreadable(tmp_path, monkeypatch):
    from cases.run import publish

    run, results = tmp_path / "run", tmp_path / "results"
    (run / "case").mkdir(parents=True)
    (results / "case").mkdir(parents=True)
    (run / "case" / "a.json").write_text('{"x": {"value": 2}}', encoding="utf-8")
    (results / "case" / "a.json").write_text('{"x": {"value": 1}}', encoding="utf-8")
    (run / "case" / "b.json").write_text("{not json", encoding="utf-8")
    _fake_plan(monkeypatch, ["case/a", "case/b"])
    with pytest.raises(json.JSONDecodeError):
        publish.publish(run_dir=run, results=results)
    # case/a was compared first and changed, but nothing may be written after a failure.
    assert json.loads((results / "case" / "a.json").read_text())["x"]["value"] == 1
