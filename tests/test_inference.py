"""cases.methods.inference: clustered inference (CR1, wild cluster bootstrap, the few-cluster
rule, design-based proportions, cluster bootstrap) and Benjamini-Hochberg adjusted p-values."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm

from cases.core.errors import ParameterError
from cases.methods import inference as inf
from cases.methods.inference import bh_adjust, bh_table


def test_hand_example_from_stdlib_padjust_documentation() -> None:
    # stdlib padjust(pvalues, 'bh') examples, https://stdlib.io/docs/api/latest/@stdlib/stats/padjust
    # ([0.008, 0.03, 0.123, 0.6, 0.2] -> [0.04, 0.075, ~0.205, 0.6, 0.25]); by hand: sorted
    # 0.008, 0.03, 0.123, 0.2, 0.6 times m/i = 5, 5/2, 5/3, 5/4, 1 gives 0.04, 0.075, 0.205,
    # 0.25, 0.6, already increasing, so no step-down minimum changes them.
    np.testing.assert_allclose(
        bh_adjust([0.008, 0.03, 0.123, 0.6, 0.2]), [0.04, 0.075, 0.205, 0.6, 0.25]
    )
    # same page: [0.319, 0.201, 0.4, 0.374, 0.113] -> all 0.4 (the running minimum from the top)
    np.testing.assert_allclose(bh_adjust([0.319, 0.201, 0.4, 0.374, 0.113]), [0.4] * 5)


def test_original_benjamini_hochberg_1995_example_rejects_four() -> None:
    # Benjamini and Hochberg (1995), section 4: 15 p-values of a multiple-endpoint trial; at
    # q = 0.05 the procedure rejects the four smallest (Bonferroni rejects three). Values and
    # result as quoted in the SciPy documentation of scipy.stats.false_discovery_control,
    # https://docs.scipy.org/doc/scipy-1.16.2/reference/generated/scipy.stats.false_discovery_control.html
    ps = [0.0001, 0.0004, 0.0019, 0.0095, 0.0201, 0.0278, 0.0298, 0.0344]
    ps += [0.0459, 0.3240, 0.4262, 0.5719, 0.6528, 0.7590, 1.000]
    adj = bh_adjust(ps)
    assert (adj <= 0.05).sum() == 4
    assert list(adj <= 0.05) == [True] * 4 + [False] * 11
    # by hand: the fourth is 0.0095 * 15 / 4, the fifth 0.0201 * 15 / 5 (first above 0.05)
    assert adj[3] == pytest.approx(0.0095 * 15 / 4)
    assert adj[4] == pytest.approx(0.0201 * 15 / 5)
    assert (np.asarray(ps) * 15 <= 0.05).sum() == 3


def test_order_missing_values_and_table() -> None:
    p = pd.Series([0.2, np.nan, 0.008, 0.03], index=["a", "b", "c", "d"])
    t = bh_table(p)
    assert list(t.index) == ["a", "b", "c", "d"]
    assert np.isnan(t.loc["b", "p_bh"]) and not t.loc["b", "reject_bh"]
    # m = 3 non-missing: 0.008 * 3 = 0.024, 0.03 * 3 / 2 = 0.045, 0.2 * 3 / 3 = 0.2
    np.testing.assert_allclose(t["p_bh"].dropna(), [0.2, 0.024, 0.045])
    assert list(t["reject_bh"]) == [False, False, True, True]


@pytest.mark.parametrize("bad", [[0.1, 1.2], [-0.01], ["x"]])
def test_invalid_p_values_are_refused(bad: list) -> None:
    with pytest.raises(ParameterError):
        bh_adjust(bad)


def test_invalid_alpha_is_refused() -> None:
    with pytest.raises(ParameterError, match="alpha"):
        bh_table(pd.Series([0.1]), alpha=1.5)


# --------------------------------------------------------------------------------------------
# Clustered inference: CR1, wild cluster bootstrap, the few-cluster rule, proportions
# --------------------------------------------------------------------------------------------
# Petersen's test data (500 firms x 10 years), as shipped with statsmodels' own tests
# (statsmodels/stats/tests/test_data.txt, read there by test_sandwich.py). Published values of
# the OLS of y on x clustered by firm with the CR1 factor (R sandwich::vcovCL, default HC1 with
# cluster adjustment, as Stata's regress, vce(cluster)): intercept 0.0297 (s.e. 0.0670), slope
# 1.0348 (s.e. 0.0506), README of the sandwich package,
# https://cran.r-project.org/web/packages/sandwich/readme/README.html (data source:
# https://www.kellogg.northwestern.edu/faculty/petersen/htm/papers/se/test_data.htm).
PETERSEN = Path(sm.__file__).parent / "stats" / "tests" / "test_data.txt"


@pytest.fixture(scope="module")
def petersen() -> pd.DataFrame:
    if not PETERSEN.exists():
        pytest.skip("statsmodels' copy of Petersen's test data is not installed")
    raw = np.genfromtxt(PETERSEN)
    return pd.DataFrame(raw, columns=["firm", "year", "x", "y"])


def _clustered_world(seed: int, g: int, m: int, beta: float = 0.0) -> pd.DataFrame:
    """Planted clustered design: g clusters of m rows, a cluster effect in x and in the error."""
    rng = np.random.default_rng(seed)
    cl = np.repeat(np.arange(g), m)
    x = rng.normal(size=g)[cl] + rng.normal(size=g * m)
    y = 1 + beta * x + rng.normal(size=g)[cl] + rng.normal(size=g * m)
    return pd.DataFrame({"cluster": cl + 101, "x": x, "y": y})


def test_cr1_reproduces_the_published_petersen_values(petersen: pd.DataFrame) -> None:
    res = inf.clustered_ols(petersen, "y", ["x"], "firm", terms=["const", "x"])
    assert list(res.columns) == list(inf.RESULT_COLUMNS)
    r = res.set_index("term")
    # published to 4 decimals: tolerance half a unit of the last digit
    assert r.loc["x", "estimate"] == pytest.approx(1.0348, abs=5e-5)
    assert r.loc["const", "estimate"] == pytest.approx(0.0297, abs=5e-5)
    assert r.loc["x", "std_error"] == pytest.approx(0.0506, abs=5e-5)
    assert r.loc["const", "std_error"] == pytest.approx(0.0670, abs=5e-5)
    assert (r["n_clusters"] == 500).all() and (r["method"] == "CR1, t(499)").all()


def test_cr1_equals_statsmodels_and_linearmodels_on_the_same_data() -> None:
    from linearmodels.iv import IV2SLS

    df = _clustered_world(1, 40, 12, beta=0.3)
    x = sm.add_constant(df[["x"]])
    fit = sm.OLS(df["y"], x).fit()
    mine = inf.cr1_vcov(x.to_numpy(), fit.resid.to_numpy(), df["cluster"].to_numpy())
    ref = sm.OLS(df["y"], x).fit(cov_type="cluster", cov_kwds={"groups": df["cluster"]})
    np.testing.assert_allclose(mine, ref.cov_params().to_numpy(), rtol=1e-10)
    lm = IV2SLS(df["y"], x, None, None).fit(
        cov_type="clustered", clusters=df["cluster"], debiased=True
    )
    np.testing.assert_allclose(mine, lm.cov.to_numpy(), rtol=1e-10)
    # the helper: same s.e., t(G - 1) interval
    res = inf.clustered_ols(df, "y", ["x"], "cluster").iloc[0]
    assert res["std_error"] == pytest.approx(np.sqrt(mine[1, 1]), rel=1e-10)
    from scipy import stats

    half = stats.t.ppf(0.975, 39) * res["std_error"]
    assert res["conf_high"] - res["estimate"] == pytest.approx(half, rel=1e-10)


@pytest.mark.parametrize("seed", [7, 20190101])
def test_wild_bootstrap_p_value_equals_wildboottest(seed: int) -> None:
    from wildboottest.wildboottest import wildboottest

    df = _clustered_world(2, 14, 30, beta=0.15)
    x = sm.add_constant(df[["x"]])
    ref = wildboottest(
        sm.OLS(df["y"].to_numpy(), x),
        B=999,
        cluster=df["cluster"].to_numpy(),
        param="x",
        weights_type="webb",
        impose_null=True,
        bootstrap_type="11",
        seed=seed,
        show=False,
        parallel=False,
    )
    mine = inf.wild_cluster_test(x, df["y"], df["cluster"], "x", n_boot=999, seed=seed)
    # same weights (same seed, same draw), same statistic: identical p-values
    assert mine["p_value"] == pytest.approx(float(ref["p-value"].iloc[0]), abs=1e-12)
    assert mine["statistic"] == pytest.approx(float(np.ravel(ref["statistic"].iloc[0])[0]))


def test_wild_interval_inverts_the_test_and_is_used_below_30_clusters() -> None:
    df = _clustered_world(3, 12, 25, beta=0.2)
    res = inf.clustered_ols(df, "y", ["x"], "cluster", n_boot=999, seed=11).iloc[0]
    assert res["method"].startswith("wild cluster bootstrap") and res["n_clusters"] == 12
    x = sm.add_constant(df[["x"]])
    for end in (res["conf_low"], res["conf_high"]):
        inside = end + (1e-3 if end < res["estimate"] else -1e-3)
        outside = end - (1e-3 if end < res["estimate"] else -1e-3)
        p_in = inf.wild_cluster_test(
            x, df["y"], df["cluster"], "x", null=inside, n_boot=999, seed=11
        )
        p_out = inf.wild_cluster_test(
            x, df["y"], df["cluster"], "x", null=outside, n_boot=999, seed=11
        )
        assert p_in["p_value"] > 0.05 >= p_out["p_value"]
    assert res["conf_low"] < res["estimate"] < res["conf_high"]


@pytest.mark.parametrize("g", [2, 5, 9])
def test_fewer_than_ten_clusters_are_refused(g: int) -> None:
    df = _clustered_world(4, g, 20)
    with pytest.raises(ParameterError, match=f"got {g}"):
        inf.clustered_ols(df, "y", ["x"], "cluster")
    with pytest.raises(ParameterError, match=f"got {g}"):
        inf.cluster_proportion((df["y"] > 1).astype(int), df["cluster"])
    with pytest.raises(ParameterError, match=f"got {g}"):
        inf.cluster_bootstrap(lambda d: d["y"].mean(), df, "cluster", seed=1)
    assert inf.cluster_rule(10) == "wild" and inf.cluster_rule(29) == "wild"
    assert inf.cluster_rule(30) == "cr1" and inf.cluster_rule(12, linear=False) == "cr1"


def test_too_few_replications_are_refused() -> None:
    df = _clustered_world(4, 12, 10)
    with pytest.raises(ParameterError, match="999"):
        inf.cluster_bootstrap(lambda d: d["y"].mean(), df, "cluster", n_boot=199, seed=1)
    with pytest.raises(ParameterError, match="999"):
        inf.wild_cluster_test(sm.add_constant(df[["x"]]), df["y"], df["cluster"], "x", n_boot=99)


def test_nonlinear_model_below_30_clusters_carries_a_warning() -> None:
    df = _clustered_world(5, 15, 30)
    model = sm.Logit((df["y"] > 1).astype(float), sm.add_constant(df[["x"]]))
    res = inf.cluster_inference(model, df["cluster"], fit_kwargs={"disp": False})
    assert (res["warning"].str.contains("only 15 clusters")).all()
    assert (res["method"] == "CR1, t(14)").all()


def test_proportion_interval_covers_on_a_planted_clustered_design() -> None:
    # 40 villages of 25 households; village shares ~ Beta(4, 6) (mean 0.4, intra-cluster
    # correlation 1 / (4 + 6 + 1) = 0.09, design effect about 3.2). 400 simulated samples.
    from statsmodels.stats.proportion import proportion_confint

    rng = np.random.default_rng(20240601)
    g, m, sims = 40, 25, 400
    cl = np.repeat(np.arange(g), m)
    hit = wilson_hit = 0
    for _ in range(sims):
        p_g = rng.beta(4, 6, size=g)
        y = (rng.random(g * m) < p_g[cl]).astype(int)
        r = inf.cluster_proportion(y, cl)
        hit += r["ci_low"] <= 0.4 <= r["ci_high"]
        lo, hi = proportion_confint(y.sum(), y.size, method="wilson")
        wilson_hit += lo <= 0.4 <= hi
    # Monte Carlo s.e. of a 0.95 coverage over 400 runs is about 0.011
    assert hit / sims >= 0.92
    assert wilson_hit / sims < 0.85  # the interval it replaces is far too narrow here


def test_properties_row_order_and_one_record_per_cluster() -> None:
    df = _clustered_world(6, 35, 8, beta=0.4)
    shuffled = df.sample(frac=1, random_state=3)
    a = inf.clustered_ols(df, "y", ["x"], "cluster")
    b = inf.clustered_ols(shuffled, "y", ["x"], "cluster")
    num = ["estimate", "std_error", "conf_low", "conf_high", "p_value"]
    np.testing.assert_allclose(a[num].to_numpy(float), b[num].to_numpy(float), rtol=1e-10)
    flag = (df["y"] > 1).astype(int)
    pa = inf.cluster_proportion(flag, df["cluster"])
    pb = inf.cluster_proportion(flag.loc[shuffled.index], shuffled["cluster"])
    assert pa == pytest.approx(pb)
    # wild bootstrap: row order does not change the draw (clusters in sorted label order)
    small = _clustered_world(7, 12, 10)
    shuf = small.sample(frac=1, random_state=1)
    xa, xb = sm.add_constant(small[["x"]]), sm.add_constant(shuf[["x"]])
    ta = inf.wild_cluster_test(xa, small["y"], small["cluster"], "x", n_boot=999, seed=5)
    tb = inf.wild_cluster_test(xb, shuf["y"], shuf["cluster"], "x", n_boot=999, seed=5)
    assert ta["p_value"] == tb["p_value"]
    # every cluster one record: CR1 = HC1 (G/(G-1) (N-1)/(N-K) = N/(N-K)), and the proportion
    # variance is the binomial p(1-p)/N times N/(N-1)
    one = df.assign(cluster=np.arange(len(df)))
    x = sm.add_constant(one[["x"]])
    hc1 = sm.OLS(one["y"], x).fit(cov_type="HC1").bse["x"]
    assert inf.clustered_ols(one, "y", ["x"], "cluster").iloc[0]["std_error"] == pytest.approx(
        hc1, rel=1e-10
    )
    p = float(flag.mean())
    n = len(flag)
    r = inf.cluster_proportion(flag, np.arange(n))
    assert r["std_error"] ** 2 == pytest.approx(p * (1 - p) / n * n / (n - 1), rel=1e-12)


def test_cluster_bootstrap_reuses_measures_bootstrap() -> None:
    from cases.methods import measures

    df = _clustered_world(8, 20, 10)
    a = inf.cluster_bootstrap(lambda d: d["y"].mean(), df, "cluster", seed=3)
    b = measures.bootstrap(lambda d: d["y"].mean(), df, n_boot=999, seed=3, cluster="cluster")
    assert a.n_boot == 999 and a.ci_low == b.ci_low and a.ci_high == b.ci_high


def test_domain_share_counts_every_cluster_of_the_design() -> None:
    # A group present in 6 of 12 villages: its share is a domain estimate over all 12 (G - 1 =
    # 11 degrees of freedom), and by hand the variance is G/(G-1) sum_g (y_g - p n_g)^2 / n^2.
    village = np.repeat(np.arange(12), 5)
    group = (village < 6).astype(int)
    flag = (np.arange(60) % 3 == 0).astype(int)
    r = inf.cluster_proportion(flag, village, domain=group)
    y, d = flag * group, group
    p = y.sum() / d.sum()
    yg = np.bincount(village, weights=y)
    ng = np.bincount(village, weights=d)
    var = 12 / 11 * np.sum((yg - p * ng) ** 2) / d.sum() ** 2
    assert r["share"] == pytest.approx(p) and r["n"] == 30 and r["n_clusters"] == 12
    assert r["std_error"] == pytest.approx(np.sqrt(var), rel=1e-12)
    with pytest.raises(ParameterError, match="domain"):
        inf.cluster_proportion(flag, village, domain=np.zeros(3))


def test_share_bootstrap_equals_the_generic_cluster_bootstrap() -> None:
    # Same clusters, same seed: the vectorised share bootstrap draws the same villages as
    # measures.bootstrap (through cluster_bootstrap) with a Python statistic.
    rng = np.random.default_rng(12)
    df = pd.DataFrame(
        {
            "v": np.repeat(np.arange(15), 20),
            "listed": rng.integers(0, 2, 300),
            "need": rng.integers(0, 2, 300),
        }
    )

    def inclusion(d: pd.DataFrame) -> float:
        return float(((d["listed"] == 1) & (d["need"] == 0)).sum() / (d["listed"] == 1).sum())

    a = inf.cluster_bootstrap(inclusion, df, "v", seed=4)
    b = inf.cluster_share_bootstrap(1 - df["need"], df["listed"], df["v"], seed=4)
    assert a.estimate == pytest.approx(b.estimate)
    np.testing.assert_allclose(np.sort(a.replicates), np.sort(b.replicates), rtol=1e-12)
    assert (a.ci_low, a.ci_high) == pytest.approx((b.ci_low, b.ci_high))


def test_ordered_logit_clusters_through_the_helper() -> None:
    # survey.ordered_logit(cluster=...) gets the CR1 errors of statsmodels' cluster covariance
    # (G/(G-1) (N-1)/(N-K)) and t(G - 1) intervals; same point estimates as unclustered.
    from cases.methods import survey

    rng = np.random.default_rng(9)
    g, m = 40, 15
    v = np.repeat(np.arange(g), m)
    x = rng.normal(size=g * m) + rng.normal(size=g)[v]
    latent = 0.8 * x + rng.normal(size=g)[v] + rng.logistic(size=g * m)
    y = np.digitize(latent, [-1.0, 0.5, 2.0])
    df = pd.DataFrame({"y": y, "x": x, "v": v})
    plain = survey.ordered_logit(df, "y", ["x"]).set_index("term")
    clus = survey.ordered_logit(df, "y", ["x"], cluster="v").set_index("term")
    assert clus.loc["x", "estimate"] == pytest.approx(plain.loc["x", "estimate"], rel=1e-6)
    assert clus.loc["x", "se"] > plain.loc["x", "se"]
    from scipy import stats

    half = stats.t.ppf(0.975, g - 1) * clus.loc["x", "se"]
    assert clus.loc["x", "ci_high"] - clus.loc["x", "estimate"] == pytest.approx(half, rel=1e-6)
    with pytest.raises(ParameterError, match="got 5"):
        survey.ordered_logit(df.assign(v=df["v"] % 5), "y", ["x"], cluster="v")


def test_twfe_below_30_clusters_uses_the_wild_bootstrap_on_the_demeaned_data() -> None:
    # 16 villages x 6 households x 6 years; half the villages adopt in year 3. The TWFE
    # p-value equals wildboottest's on the two-way demeaned data (FWL), and se stays CR1.
    from wildboottest.wildboottest import wildboottest

    from cases.methods import panel

    rng = np.random.default_rng(21)
    rows = []
    for v in range(16):
        u_v = rng.normal()
        for h in range(6):
            a_h = rng.normal()
            for t in range(6):
                d = int(v % 2 == 0 and t >= 3)
                y = a_h + 0.1 * t + 0.3 * d + u_v * (t >= 3) + rng.normal()
                rows.append({"hh": v * 10 + h, "village": v, "year": t, "d": d, "y": y})
    df = pd.DataFrame(rows)
    res = panel.twfe(df, "y", "d", "hh", "year", cluster="village", backend="within")
    assert res.n_clusters == 16 and res.warning == ""
    ent = pd.factorize(df["hh"])[0]
    tim = pd.factorize(df["year"])[0]
    both = panel._demean_two_way(
        df[["y", "d"]].to_numpy(float), ent, tim, ent.max() + 1, tim.max() + 1
    )
    ref = wildboottest(
        sm.OLS(both[:, 0], pd.DataFrame({"d": both[:, 1]})),
        B=9999,
        cluster=df["village"].to_numpy(),
        param="d",
        weights_type="webb",
        seed=20190101,
        show=False,
        parallel=False,
    )
    assert res.pvalue == pytest.approx(float(ref["p-value"].iloc[0]), abs=1e-12)
    assert res.ci_low < res.coef < res.ci_high


def test_require_cluster_bootstrap() -> None:
    assert inf.require_cluster_bootstrap(np.repeat(np.arange(12), 3), 999, 1) == 12
    with pytest.raises(ParameterError, match="999"):
        inf.require_cluster_bootstrap(np.arange(40), 199, 1)
    with pytest.raises(ParameterError, match="got 4"):
        inf.require_cluster_bootstrap(np.arange(40) % 4, 999, 1)
