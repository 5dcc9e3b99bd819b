"""Multiverse sweeps: grid checks, the specification-curve helpers, and sweeps run end to end
(cached, parallel, identical to serial)."""

from __future__ import annotations

import json
import re
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import nbformat
import numpy as np
import pandas as pd
import pytest
import yaml
from conftest import run_cli

from cases.core.errors import ParameterError, RegistryError
from cases.run import sweep
from cases.simulate import synth

TINY_SOURCE = """import numpy as np
from myst_nb import glue

from cases.core import manifest

rng = np.random.default_rng(seed)
value = float(x * rng.normal())
for key, v in {"tiny_estimate": value, "tiny_low": value - 1.0, "tiny_high": value + 1.0}.items():
    glue(key, v, display=False)
    manifest.record(key, v)
"""


def run_sweeps(root: Path) -> Path:
    """Where ``cases sweep`` writes its tables in a project copy (untracked run results)."""
    return root / ".cache" / "cases" / "results" / "sweeps"


def _tiny_template(root: Path) -> None:
    """A fast template whose estimate is x times a seeded normal draw."""
    nb = nbformat.v4.new_notebook()
    params = nbformat.v4.new_code_cell(
        'case: str = "h_county"  # case slug\n'
        'data_dir: str = ""  # unused\n'
        "seed: int = 1  # seed of the draw\n"
        "x: float = 1.0  # scale of the estimate\n"
    )
    params.metadata["tags"] = ["parameters"]
    nb.cells = [
        nbformat.v4.new_markdown_cell("# Tiny"),
        params,
        nbformat.v4.new_code_cell(TINY_SOURCE),
    ]
    nb.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3",
        "language": "python",
    }
    nbformat.write(nb, root / "notebooks" / "tiny.ipynb")


def _grid(root: Path, name: str, parameters: dict, **extra) -> Path:
    data = {
        "analysis": "tiny",
        "parameters": parameters,
        "estimates": [
            {
                "label": "tiny",
                "estimate": "tiny_estimate",
                "ci_low": "tiny_low",
                "ci_high": "tiny_high",
            }
        ],
        **extra,
    }
    path = root / "params" / "sweeps" / f"{name}.yaml"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(yaml.safe_dump(data), encoding="utf-8")
    return path


def test_committed_grid_is_valid():
    grid = sweep.load_grid(Path("params/sweeps/h_county_policy.yaml"))
    assert grid.case == "h_county" and grid.analysis == "policy_evaluation"
    assert grid.n_runs == 2 * 2 * 2  # comparison group x sample x covariates
    assert len(sweep.combinations(grid)) == grid.n_runs
    assert len({sweep.run_id(c) for c in sweep.combinations(grid)}) == grid.n_runs


def test_committed_grid_is_one_dataset_with_the_chapter_on_it():
    # Issue 18, item 5: no seeds or sample sizes as choices, no clustering below the level of
    # assignment, and the chapter's own specification among the combinations.
    grid = sweep.load_grid(Path("params/sweeps/h_county_policy.yaml"))
    chapter = sweep.chapter_parameters("h_county", "policy_evaluation")
    assert not {"seed", "n", "data_dir"} & set(grid.parameters)
    # Seed and size are the chapter's one simulated world (data/synth/h_county.yaml): the grid
    # does not restate them, and the chapter's n of 0 means that world.
    assert not {"seed", "n"} & set(grid.fixed)
    assert grid.held["seed"]["value"] == chapter["seed"] == synth.world("h_county").seed
    assert grid.held["n"]["value"] == chapter["n"] == 0
    assert "household" not in grid.parameters.get("cluster", [grid.fixed.get("cluster")])
    assert grid.chapter == {k: chapter[k] for k in grid.parameters}
    assert grid.chapter in sweep.combinations(grid)
    assert set(grid.held) == {"seed", "n", "data_dir"}
    assert "household" in grid.invalid["cluster"]


def _committed(change: dict) -> dict:
    data = yaml.safe_load(Path("params/sweeps/h_county_policy.yaml").read_text(encoding="utf-8"))
    for dotted, value in change.items():
        section, _, name = dotted.partition(".")
        if name:
            data[section] = {**(data.get(section) or {}), name: value}
            if value is None:
                del data[section][name]
        else:
            data[section] = value
    return data


@pytest.mark.parametrize(
    ("change", "error", "message"),
    [
        ({"parameters.sed": [1, 2]}, ParameterError, "parameter 'sed' is not one"),
        ({"parameters.sample": []}, RegistryError, "'parameters.sample' must be a non-empty"),
        ({"parameters.sample": ["all", "all"]}, RegistryError, "repeats a choice"),
        ({"parameters.sample": [1]}, ParameterError, "expects str"),
        ({"fixed.sample": "all"}, RegistryError, "'fixed.sample': also listed under"),
        ({"estimates": []}, RegistryError, "lists no estimate"),
        ({"analysis": "nothing"}, RegistryError, "no template notebooks/nothing.ipynb"),
        ({"case": "atlantis"}, RegistryError, "unknown case slug"),
        # The analysis's rules (data/settings/specification_curve.yaml).
        (
            {"parameters.seed": [1, 2], "fixed.seed": None},
            ParameterError,
            "'parameters.seed': seed may not vary",
        ),
        (
            {"parameters.n": [3000, 6000], "fixed.n": None},
            ParameterError,
            "'parameters.n': n may not vary",
        ),
        ({"fixed.n": 3000}, ParameterError, "'fixed.n': 3000 is not the chapter's own value 0"),
        ({"fixed.seed": 1}, ParameterError, "'fixed.seed': 1 is not the chapter's own value"),
        (
            {"parameters.cluster": ["village", "household"], "fixed.cluster": None},
            ParameterError,
            "'parameters.cluster': cluster='household' is not a valid specification",
        ),
        ({"fixed.cluster": "household"}, ParameterError, "'fixed.cluster': cluster='household'"),
        (
            {"parameters.sample": ["baseline_bottom40"]},
            ParameterError,
            "'parameters.sample': the chapter's own choice 'all'",
        ),
        (
            {"parameters.sample": None, "fixed.sample": "baseline_bottom40"},
            ParameterError,
            "'fixed.sample': 'baseline_bottom40' is not the chapter's own value 'all'",
        ),
    ],
)
def test_bad_grids_are_refused(tmp_path, change, error, message):
    path = tmp_path / "grid.yaml"
    path.write_text(yaml.safe_dump(_committed(change), allow_unicode=True), encoding="utf-8")
    with pytest.raises(error, match=re.escape(message)):
        sweep.load_grid(path)


def test_estimate_may_ignore_only_a_varied_parameter(tmp_path):
    data = _committed({})
    data["estimates"][2]["ignores"] = ["cluster"]
    path = tmp_path / "grid.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    with pytest.raises(RegistryError, match=re.escape("estimates[2].ignores must list")):
        sweep.load_grid(path)


def test_case_argument_must_match_the_grid():
    with pytest.raises(ParameterError, match="grid is for case 'h_county', not 'liupanshui'"):
        sweep.load_grid("params/sweeps/h_county_policy.yaml", "liupanshui")


def test_summary_and_curve_on_a_hand_made_table():
    table = pd.DataFrame(
        {
            "estimator": ["a", "a", "b"],
            "seed": [1, 2, 1],
            "estimate": [0.1, 0.3, -0.2],
            "ci_low": [0.05, -0.1, -0.3],
            "ci_high": [0.15, 0.7, -0.1],
            "reference": [0.2, 0.2, 0.2],
        }
    )
    summary = sweep.summarise(table)
    # a: median of 0.1 and 0.3 = 0.2; one of two intervals excludes zero; 0.2 - 0.2 = 0
    assert summary.loc["a", "median"] == pytest.approx(0.2)
    assert summary.loc["a", "share_excluding_zero"] == pytest.approx(0.5)
    assert summary.loc["a", "median_minus_reference"] == pytest.approx(0.0)
    assert summary.loc["b", "share_excluding_zero"] == pytest.approx(1.0)
    fig = sweep.spec_curve_figure(table, ["seed", "estimator"], title="t", reference=0.2)
    labels = [t.get_text() for t in fig.axes[1].get_yticklabels()]
    assert labels == ["seed: 1", "seed: 2", "estimator: a", "estimator: b"]


def test_sweep_runs_caches_and_matches_direct_runs(small_project):
    root = small_project
    _tiny_template(root)
    grid = _grid(root, "tiny_grid", {"x": [1.0, 2.0], "seed": [3, 4]})
    done = run_cli(root, "sweep", "h_county", "--grid", str(grid), "--jobs", "2")
    assert done.returncode == 0, done.stderr[-3000:]
    record = json.loads((run_sweeps(root) / "tiny_grid.json").read_text())
    table = pd.DataFrame(record["specifications"])
    assert len(table) == 4 and set(table["x"]) == {1.0, 2.0}
    # x = 2 doubles the draw of the same seed: the choice reached each run.
    by = table.set_index(["seed", "x"])["estimate"]
    assert by[(3, 2.0)] == pytest.approx(2 * by[(3, 1.0)])
    assert list(table["estimate"]) == sorted(table["estimate"])
    again = run_cli(root, "sweep", "h_county", "--grid", str(grid), "--jobs", "2")
    assert again.returncode == 0 and "0 ran, 4 cached" in again.stderr


@pytest.mark.slow
def test_fifty_run_sweep_in_parallel_equals_serial(small_project):
    # Issue "Reliability": a sweep of 50 runs with --jobs 2 completes with every result
    # present and identical to serial runs.
    root = small_project
    _tiny_template(root)
    seeds = list(range(25))
    grid = _grid(root, "load", {"x": [1.0, 3.0], "seed": seeds})
    parallel = run_cli(root, "sweep", "h_county", "--grid", str(grid), "--jobs", "2", timeout=900)
    assert parallel.returncode == 0, parallel.stderr[-3000:]
    assert "50 ran, 0 cached" in parallel.stderr
    first = (run_sweeps(root) / "load.json").read_bytes()
    assert len(json.loads(first)["specifications"]) == 50
    serial = run_cli(
        root, "sweep", "h_county", "--grid", str(grid), "--jobs", "1", "--force", timeout=900
    )
    assert serial.returncode == 0 and "50 ran" in serial.stderr
    assert (run_sweeps(root) / "load.json").read_bytes() == first


SNAKE = re.compile(r"[a-z]+_[a-z]+")


def test_published_curve_shows_only_human_labels():
    """The page's figure ticks, table headings and cells, and prose name no raw parameter or
    value (``estimator_control``, ``baseline_bottom40``, ``notyet``), list estimate, low and
    high in that order, and print no negative zero."""
    from cases.present import report

    record, table = sweep.read_results("h_county_policy")
    names = sweep.display(record)
    choices = [c for c in record["choices"] if len(record["choices"][c]) > 1] + ["estimator"]
    fig = sweep.spec_curve_figure(table, choices, title="t", highlight="chapter", names=names)
    ticks = [t.get_text() for t in fig.axes[1].get_yticklabels()]
    assert "Comparison group: Never-adopting villages" in ticks
    assert "Analysis sample: Poorest 40 % before adoption" in ticks
    assert not [t for t in ticks if SNAKE.search(t) or "notyet" in t]
    shown = sweep.curve_table(record, table)
    headers = list(shown.columns)
    assert not [h for h in headers if SNAKE.search(h)]
    assert headers.index("Estimate") < headers.index("95 % CI low") < headers.index("95 % CI high")
    cells = [str(v) for c in shown.select_dtypes("object") for v in shown[c]]
    assert not [v for v in cells if SNAKE.search(v) or v in {"never", "notyet", "all"}]
    for col in ("Estimate", "95 % CI low", "95 % CI high"):  # numbers unchanged
        raw = {"Estimate": "estimate", "95 % CI low": "ci_low", "95 % CI high": "ci_high"}[col]
        assert sorted(shown[col]) == sorted(table[raw])
    rendered = report.interactive_table(shown, simulated=True, source=names.source, precision=3)
    assert not re.search(r"(?<![\d.])[-−]0(\.0+)?(?![\d.])", rendered.to_html())
    assert "results/sweeps" not in rendered.note and SNAKE.search(rendered.note) is None
    page = sweep.curve_page(record, table)
    prose = " ".join(page.render("specification_curve").values())
    assert not re.findall(r"baseline_bottom40|estimator_control|notyet|`never`", prose)


# ------------------------------------------------------------------------------------------
# Joint inference on the curve (Simonsohn, Simmons and Nelson 2020)
# ------------------------------------------------------------------------------------------
def _small_record_and_table():
    from cases.pages import policy_evaluation as pe

    panel, _ = pe.curve_panel("h_county", seed=3, n=3000, covariates=True)
    rows = []
    for key, label in (("cs", "Callaway–Sant'Anna"), ("twfe", "TWFE")):
        for sample in ("all", "baseline_bottom40"):
            att, _ = pe.Specification("h_county", "log_income", key, sample=sample)(panel)
            rows.append(
                {
                    "estimator": label,
                    "estimator_control": "never" if key == "cs" else sweep.NOT_USED,
                    "sample": sample,
                    "estimate": att,
                    "ci_low": att - 0.1,
                    "ci_high": att + 0.1,
                    "chapter": sample == "all",
                }
            )
    record = {
        "case": "h_county",
        "analysis": "policy_evaluation",
        "choices": {"estimator_control": ["never"], "sample": ["all", "baseline_bottom40"]},
        "fixed": {"cluster": "village"},
        "held": {"seed": {"value": 3, "why": "w"}, "n": {"value": 3000, "why": "w"}},
        "invalid": {},
        "chapter_specification": {"estimator_control": "never", "sample": "all"},
        "estimators": ["Callaway–Sant'Anna", "TWFE"],
        "estimator_keys": {"Callaway–Sant'Anna": "cs", "TWFE": "twfe"},
        "ignores": {"TWFE": ["estimator_control"]},
    }
    return record, pd.DataFrame(rows)


def test_joint_inference_recomputes_the_sweep_on_its_one_dataset_and_renders():
    record, table = _small_record_and_table()
    res = sweep.joint_inference(record, table, draws=4, seed=1)
    np.testing.assert_allclose(res.estimates, table["estimate"], atol=1e-12)
    page = sweep.curve_page(record, table, joint=res)
    assert page.numbers["joint_draws"] == 4 and page.numbers["joint_n_specs"] == 4
    text = page.render("specification_curve")["joint_md"]
    assert "4 resamples" in text and "villages with replacement" in text
    assert f"{page.numbers['joint_p_median']:.3f}" in text


def test_joint_inference_refuses_a_stale_sweep_and_a_grid_without_estimator_keys():
    record, table = _small_record_and_table()
    stale = table.assign(estimate=table["estimate"] + [0.0, 0.01, 0.0, 0.0])
    with pytest.raises(ParameterError, match="rerun `cases sweep`"):
        sweep.joint_inference(record, stale, draws=2, seed=1)
    with pytest.raises(ParameterError, match="no 'estimator' key"):
        sweep.joint_inference({**record, "estimator_keys": {}}, table, draws=2, seed=1)
