"""The sections of the HTML report, one function each, in page order.

Every function returns an HTML fragment; numbers come from the library, formatting only
happens here and in :mod:`camg_bayes.report.layout`.
"""

from __future__ import annotations

import html
import json
import time

import numpy as np
import pandas as pd
import xarray as xr

from camg_bayes.checks.diagnostics import Diagnostics
from camg_bayes.checks.predictive import PredictiveCheck
from camg_bayes.cohort import cohort_overview, measurement_counts
from camg_bayes.fitting.fitfile import Fit
from camg_bayes.report import figures
from camg_bayes.report.layout import fmt, img, table
from camg_bayes.scores.scoring import SCORE_COLUMNS

#: Score columns left out of the sortable subject table (kept in scores.csv).
HIDDEN = {"mg_status_lo", "mg_status_hi", "urine_mg_mean", "ca_ion_mean", "driver_shift"}
HIDDEN |= {"method", "ess", "population"}


def header(fit: Fit, threshold: float, prev: pd.DataFrame, diagnostics: Diagnostics) -> str:
    """Title, navigation, and the headline: prevalence and whether convergence passed."""
    total = prev.loc["all subjects"]
    passed = diagnostics.passed
    return (
        f"<h1>camg_bayes report</h1><p>Cohort <b>{html.escape(fit.cohort.attrs['source'])}</b>, "
        f"fitted {html.escape(fit.attrs.get('created_at', ''))}; model variant "
        f"<b>{html.escape(fit.config.variant)}</b>; deficiency threshold {threshold:g} mmol/L "
        "true serum Mg.</p>"
        '<nav><a href="#data">Data</a><a href="#convergence">Convergence</a>'
        '<a href="#priors">Priors</a><a href="#ppc">Predictive checks</a>'
        '<a href="#prevalence">Prevalence</a><a href="#subjects">Subjects</a>'
        '<a href="#software">Software</a></nav>'
        f'<p class="note">Estimated prevalence of deficiency: <b>{100 * total["mean"]:.1f} %</b> '
        f"(90 % interval {100 * total['lo']:.1f}-{100 * total['hi']:.1f} %). Convergence: "
        f"<b class='{'pass' if passed else 'fail'}'>"
        f"{'all checks pass' if passed else 'CHECKS FAILED, do not interpret yet'}</b>.</p>"
    )


def data(fit: Fit) -> str:
    """Counts, units and missingness of the cohort, and the warnings from reading it."""
    overview = cohort_overview(fit.cohort)
    counts = measurement_counts(fit.cohort).rename(columns={"missing_pct": "missing %"})
    warnings_list = json.loads(fit.attrs.get("cohort_warnings", "[]"))
    sex = overview["sex"]
    return (
        '<h2 id="data">Data</h2>'
        f"<p>{overview['subjects']} subjects, {overview['rows']} rows, {overview['occasions']} "
        f"occasion label(s); sex F {sex['F']}, M {sex['M']}, missing {sex['missing']}; "
        f"{overview['sites']} site(s); {overview['supplement_users']} supplement users. Data "
        f"hash {overview['data_hash']}. All values are in the units shown (converted on "
        "load).</p>"
        + table(counts, left=("unit",))
        + (
            "<p>Warnings when the cohort was read:</p><ul>"
            + "".join(f"<li>{html.escape(w)}</li>" for w in warnings_list)
            + "</ul>"
            if warnings_list
            else "<p>No warnings when the cohort was read.</p>"
        )
    )


def convergence(fit: Fit, diagnostics: Diagnostics) -> str:
    """The convergence checks in words, rank plots and the per-parameter table."""
    settings = json.loads(fit.attrs["sampler_settings"])
    rows = "".join(
        f"<tr><td class='l'>{c.name}</td><td class='{'pass' if c.passed else 'fail'}'>"
        f"{'pass' if c.passed else 'FAIL'}</td><td>{fmt(c.value)}</td>"
        f"<td class='l'>{html.escape(c.threshold)}</td>"
        f"<td class='l'>{html.escape(c.message)}</td></tr>"
        for c in diagnostics.checks
    )
    return (
        '<h2 id="convergence">Convergence diagnostics</h2>'
        f"<p>{settings['chains']} chains x {settings['draws']} draws after {settings['tune']} "
        f"tuning steps (nutpie NUTS), seed {fit.attrs['random_seed']}; sampling "
        f"{fit.attrs['sampling_time_s']:.0f} s.</p>"
        "<table><thead><tr><th class='l'>check</th><th>result</th><th>value</th>"
        "<th class='l'>threshold</th><th class='l'>meaning</th></tr></thead>"
        f"<tbody>{rows}</tbody></table>"
        + img(figures.rank_plots(fit.posterior, fit.population_names), "rank plots")
        + "<details><summary>R-hat and ESS per parameter</summary>"
        + table(diagnostics.table)
        + "</details>"
    )


def priors(fit: Fit) -> str:
    """Every free population parameter: prior, unit, source and posterior."""
    return (
        '<h2 id="priors">Priors and posteriors</h2><p>Every free population parameter with its '
        "prior (from models/default.toml), unit and source, and its posterior. Fixed constants "
        "are listed in the configuration file.</p>"
        + table(_prior_posterior(fit), left=("unit", "prior", "source"))
    )


def predictive(ppc: PredictiveCheck, prior: PredictiveCheck) -> str:
    """Posterior predictive checks in words and figures, LOO-PIT, and the prior predictive."""
    flagged = ppc.statistics[ppc.statistics["flag"]]
    pit_flagged = ppc.pit_statistics[ppc.pit_statistics["flag"]]
    words = (
        "<p class='pass'>No test statistic is outside its 95 % posterior predictive range, "
        "and every LOO-PIT is consistent with uniform.</p>"
        if flagged.empty and pit_flagged.empty
        else "<ul>"
        + "".join(
            f"<li class='fail'>{html.escape(c)}</li>"
            for c in [*flagged["comment"], *pit_flagged["comment"]]
        )
        + "</ul>"
    )
    text_columns = ("unit", "statistic", "comment")
    return (
        '<h2 id="ppc">Posterior predictive checks</h2>'
        + words
        + img(figures.predictive_densities(ppc), "posterior predictive densities")
        + img(figures.loo_pit_ecdf(ppc.loo_pit), "LOO-PIT")
        + "<p>LOO-PIT leaves each subject out in turn and asks where their mean reading falls "
        "in the model's prediction for an unseen subject; uniform values mean calibrated "
        "predictions (Kolmogorov-Smirnov distance against its 95 % critical value):</p>"
        + table(
            ppc.pit_statistics.drop(columns=["mean_pit"]).set_index("measurement"),
            left=("comment",),
        )
        + "<p>Test statistics with posterior predictive p-values (flagged when below 0.025 or "
        "above 0.975):</p>"
        + table(ppc.statistics.set_index("measurement"), left=text_columns)
        + "<h3>Prior predictive checks</h3><p>What the literature priors imply for this "
        "cohort's design, before seeing its data.</p>"
        + img(figures.predictive_densities(prior), "prior predictive densities")
        + "<details><summary>Prior predictive statistics</summary>"
        + table(prior.statistics.set_index("measurement"), left=text_columns)
        + "</details>"
    )


def prevalence_section(prev: pd.DataFrame, scores: pd.DataFrame, threshold: float) -> str:
    """Prevalence by group and the distribution of individual probabilities."""
    return (
        '<h2 id="prevalence">Prevalence of deficiency</h2>'
        + table(prev.rename(columns={"mean": "prevalence", "lo": "5 %", "hi": "95 %"}))
        + img(figures.prevalence_plot(prev), "prevalence by group")
        + "<h3>Distribution of individual probabilities</h3>"
        + img(
            figures.p_deficient_histogram(scores["p_deficient"].to_numpy(), threshold),
            "p_deficient",
        )
    )


def subjects(scores: pd.DataFrame, cohort: xr.Dataset) -> str:
    """Cards of the subjects most likely deficient, and the sortable table of all."""
    view = scores[[c for c in SCORE_COLUMNS if c not in HIDDEN]]
    return (
        '<h2 id="subjects">Subjects</h2><h3>Most likely deficient</h3>'
        + _cards(scores, cohort)
        + "<h3>All subjects (click a header to sort)</h3><div class='scroll'>"
        + table(view, sortable=True, index=False, left=("driver", "measurements"))
        + "</div>"
    )


def software(fit: Fit) -> str:
    """Package versions, seed, data hash and configuration fingerprint."""
    versions = json.loads(fit.attrs["software_versions"])
    return (
        '<h2 id="software">Software and provenance</h2>'
        + table(pd.DataFrame({"version": versions}), left=("version",))
        + f"<p>Seed {fit.attrs['random_seed']}; data hash {fit.data_hash}; configuration "
        f"fingerprint {fit.attrs['config_fingerprint']}; report written "
        f"{time.strftime('%Y-%m-%d %H:%M')}.</p>"
    )


def _prior_posterior(fit: Fit) -> pd.DataFrame:
    config, posterior = fit.config, fit.posterior
    rows = []
    for name in fit.population_names:
        if name not in config.priors:
            continue
        prior = config.priors[name]
        lo, hi = prior.interval(0.9)
        values = posterior[name].values.reshape(-1, *prior.shape)
        levels = [""] if not prior.shape else [f"[{lvl}]" for lvl in ("F", "M")]
        for i, level in enumerate(levels):
            column = values if not prior.shape else values[:, i]
            p_lo, p_hi = np.quantile(column, [0.05, 0.95])
            rows.append(
                {
                    "parameter": name + level,
                    "unit": prior.unit,
                    "prior": prior.describe(),
                    "prior 90 %": f"{np.ravel(lo)[min(i, lo.size - 1)]:.3g} to "
                    f"{np.ravel(hi)[min(i, hi.size - 1)]:.3g}",
                    "posterior mean": float(column.mean()),
                    "posterior 90 %": f"{p_lo:.3g} to {p_hi:.3g}",
                    "source": prior.source,
                }
            )
    return pd.DataFrame(rows).set_index("parameter")


def _cards(scores: pd.DataFrame, cohort: xr.Dataset, n: int = 9) -> str:
    top = scores.sort_values("p_deficient", ascending=False).head(n)
    cards = []
    for _, row in top.iterrows():
        subject = row["subject_id"]
        readings = []
        for column in ("serum_mg", "serum_ca", "pth", "urine_mg", "diet_mg", "supp_mg"):
            values = cohort[column].sel(subject=subject).values
            values = values[np.isfinite(values)]
            if values.size:
                readings.append(f"{column} {', '.join(f'{v:.3g}' for v in values)}")
        cards.append(
            f'<div class="card"><b>{html.escape(str(subject))}</b> '
            f"(sex {html.escape(str(cohort['sex'].sel(subject=subject).values))})<br>"
            f"P(deficient) <b>{row['p_deficient']:.2f}</b> (from covariates alone "
            f"{row['p_deficient_prior']:.2f})<br>"
            f"true serum Mg {row['serum_mg_true_mean']:.3f} mmol/L "
            f"(90 %: {row['serum_mg_true_lo']:.3f}-{row['serum_mg_true_hi']:.3f})<br>"
            f"Mg stores {row['mg_status_mean']:.2f} of replete; "
            f"absorbed Mg {row['absorbed_mg_mean']:.0f} mg/d; "
            f"FEMg {100 * row['femg_mean']:.1f} %<br>"
            f"deficient through the kidney {row['p_renal_loss']:.2f}, the gut "
            f"{row['p_gut_loss']:.2f}, low intake "
            f"{row['p_deficient'] - row['p_renal_loss'] - row['p_gut_loss']:.2f}<br>"
            f"driven most by: {html.escape(str(row['driver']) or 'population only')} "
            f"(shift {row['driver_shift']:+.2f})<br>"
            f"<small>{html.escape('; '.join(readings))}</small></div>"
        )
    return "".join(cards)
