"""One self-contained HTML report of a fit: data, convergence, priors, checks, scores.

Images are embedded as base64 PNG and the page has no external resources, so it works
offline and as an e-mail attachment. The subject table sorts when a header is clicked
(a few lines of inline JavaScript).
"""

from __future__ import annotations

import base64
import html
import json
import time
from pathlib import Path

import numpy as np
import pandas as pd
import xarray as xr

from camg_bayes import figures
from camg_bayes.checks import posterior_predictive, prior_predictive
from camg_bayes.describe import cohort_overview, measurement_counts
from camg_bayes.diagnostics import diagnose, population_names
from camg_bayes.io import fit_cohort, fit_config
from camg_bayes.scoring import score

STYLE = """
body{font-family:-apple-system,Segoe UI,Helvetica,Arial,sans-serif;margin:0 auto;max-width:1200px;
padding:1em 2em;color:#1b1b1b;line-height:1.4}
h1{margin-bottom:.2em}h2{border-bottom:2px solid #4c72b0;padding-bottom:.2em;margin-top:2em}
table{border-collapse:collapse;font-size:13px;margin:.5em 0}
th,td{border:1px solid #ddd;padding:3px 7px;text-align:right}th{background:#eef2f8;cursor:default}
td.l,th.l{text-align:left}.pass{color:#1a7f37;font-weight:bold}.fail{color:#c62828;font-weight:bold}
.note{background:#fff8e1;border-left:4px solid #f0b400;padding:.5em 1em}
.card{display:inline-block;vertical-align:top;width:31%;min-width:280px;border:1px solid #ccd;
border-radius:6px;padding:.6em .8em;margin:.4em .4em 0 0;font-size:13px}
img{max-width:100%}nav a{margin-right:1em}table.sortable th{cursor:pointer}
.scroll{max-height:480px;overflow:auto;border:1px solid #ddd}
"""

SORT_SCRIPT = """
document.querySelectorAll('table.sortable').forEach(function(table){
  table.querySelectorAll('th').forEach(function(th, column){
    th.addEventListener('click', function(){
      var body = table.tBodies[0];
      var rows = Array.prototype.slice.call(body.rows);
      var ascending = th.dataset.order !== 'asc';
      th.dataset.order = ascending ? 'asc' : 'desc';
      rows.sort(function(a, b){
        var x = a.cells[column].textContent, y = b.cells[column].textContent;
        var nx = parseFloat(x), ny = parseFloat(y);
        var cmp = (!isNaN(nx) && !isNaN(ny)) ? nx - ny : x.localeCompare(y);
        return ascending ? cmp : -cmp;
      });
      rows.forEach(function(row){ body.appendChild(row); });
    });
  });
});
"""


def _img(png: bytes, alt: str) -> str:
    data = base64.b64encode(png).decode()
    return f'<img alt="{html.escape(alt)}" src="data:image/png;base64,{data}">'


def _fmt(value) -> str:
    if isinstance(value, (bool, np.bool_)):
        return "yes" if value else "no"
    if isinstance(value, (float, np.floating)):
        return "" if np.isnan(value) else f"{value:.4g}"
    return html.escape(str(value))


def _table(
    frame: pd.DataFrame, *, sortable: bool = False, index: bool = True, left: tuple = ()
) -> str:
    frame = frame.reset_index() if index else frame
    cls = ' class="sortable"' if sortable else ""
    head = "".join(
        f'<th class="l">{html.escape(str(c))}</th>'
        if c in left or i == 0
        else f"<th>{html.escape(str(c))}</th>"
        for i, c in enumerate(frame.columns)
    )
    rows = []
    for _, row in frame.iterrows():
        cells = "".join(
            f'<td class="l">{_fmt(v)}</td>' if c in left or i == 0 else f"<td>{_fmt(v)}</td>"
            for i, (c, v) in enumerate(row.items())
        )
        rows.append(f"<tr>{cells}</tr>")
    return f"<table{cls}><thead><tr>{head}</tr></thead><tbody>{''.join(rows)}</tbody></table>"


def prevalence(tree: xr.DataTree, threshold: float, prob: float = 0.9) -> pd.DataFrame:
    """Share of the cohort with true serum Mg below ``threshold``: overall, by sex and site.

    The share is computed per posterior draw, so its interval carries the uncertainty of
    every subject's status.
    """
    serum = tree["posterior"]["serum_mg_true"].values
    below = (serum < threshold).reshape(-1, serum.shape[-1])
    cohort = tree["cohort"]
    groups = {"all subjects": np.ones(below.shape[1], dtype=bool)}
    for sex in ("F", "M"):
        mask = cohort["sex"].values == sex
        if mask.any():
            groups[f"sex {sex}"] = mask
    for site in sorted(s for s in np.unique(cohort["site"].values) if s):
        groups[f"site {site}"] = cohort["site"].values == site
    rows = {}
    for label, mask in groups.items():
        share = below[:, mask].mean(axis=1)
        lo, hi = np.quantile(share, [(1 - prob) / 2, (1 + prob) / 2])
        rows[label] = {
            "n": int(mask.sum()),
            "mean": float(share.mean()),
            "lo": float(lo),
            "hi": float(hi),
        }
    return pd.DataFrame(rows).T.astype({"n": int})


def _prior_posterior(tree: xr.DataTree) -> pd.DataFrame:
    config = fit_config(tree)
    posterior = tree["posterior"].to_dataset()
    rows = []
    for name in population_names(tree):
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
                    "prior 90 %": f"{np.ravel(lo)[min(i, np.size(lo) - 1)]:.3g} to {np.ravel(hi)[min(i, np.size(hi) - 1)]:.3g}",
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
            f"Mg stores {row['mg_status_mean']:.2f} of replete; absorbed Mg {row['absorbed_mg_mean']:.0f} mg/d; "
            f"FEMg {100 * row['femg_mean']:.1f} %<br>"
            f"driven most by: {html.escape(str(row['driver']) or 'population only')} "
            f"(shift {row['driver_shift']:+.2f})<br>"
            f"<small>{html.escape('; '.join(readings))}</small></div>"
        )
    return "".join(cards)


def build_report(
    tree: xr.DataTree,
    *,
    threshold: float | None = None,
    random_seed: int = 0,
    scores: pd.DataFrame | None = None,
    ppc=None,
    diagnostics=None,
) -> str:
    """The report's HTML text.

    Parameters
    ----------
    tree : xarray.DataTree
        A fit.
    threshold : float, optional
        Deficiency threshold (the fit configuration's, 0.75 mmol/L, by default).
    random_seed : int
        Seed of the predictive replicates and scoring.
    scores, ppc, diagnostics : optional
        Results already computed for this fit (:func:`camg_bayes.scoring.score`,
        :func:`camg_bayes.checks.posterior_predictive`, :func:`camg_bayes.diagnostics.diagnose`);
        computed here when not given.
    """
    config = fit_config(tree)
    threshold = config.threshold if threshold is None else threshold
    cohort = fit_cohort(tree)
    overview = cohort_overview(cohort)
    counts = measurement_counts(cohort)
    diagnostics = diagnostics or diagnose(tree)
    ppc = ppc or posterior_predictive(tree, random_seed=random_seed)
    prior = prior_predictive(cohort, config, random_seed=random_seed)
    if scores is None:
        scores = score(cohort, tree, threshold=threshold, random_seed=random_seed)
    prev = prevalence(tree, threshold)
    versions = json.loads(tree.attrs["software_versions"])
    settings = json.loads(tree.attrs["sampler_settings"])

    checks_rows = "".join(
        f"<tr><td class='l'>{c.name}</td><td class='{'pass' if c.passed else 'fail'}'>"
        f"{'pass' if c.passed else 'FAIL'}</td><td>{_fmt(c.value)}</td>"
        f"<td class='l'>{html.escape(c.threshold)}</td><td class='l'>{html.escape(c.message)}</td></tr>"
        for c in diagnostics.checks
    )
    flagged = ppc.statistics[ppc.statistics["flag"]]
    pit_flagged = ppc.pit_statistics[ppc.pit_statistics["flag"]]
    ppc_words = (
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
    total = prev.loc["all subjects"]
    warnings_list = json.loads(tree.attrs.get("cohort_warnings", "[]"))
    score_view = scores[
        [
            "subject_id",
            "p_deficient",
            "serum_mg_true_mean",
            "serum_mg_true_lo",
            "serum_mg_true_hi",
            "mg_status_mean",
            "p_deficient_prior",
            "absorbed_mg_mean",
            "femg_mean",
            "driver",
            "measurements",
        ]
    ]
    sections = [
        f"<h1>camg_bayes report</h1><p>Cohort <b>{html.escape(overview['source'])}</b>, "
        f"fitted {html.escape(tree.attrs.get('created_at', ''))}; model variant "
        f"<b>{html.escape(config.variant)}</b>; deficiency threshold {threshold:g} mmol/L "
        "true serum Mg.</p>",
        '<nav><a href="#data">Data</a><a href="#convergence">Convergence</a><a href="#priors">Priors</a>'
        '<a href="#ppc">Predictive checks</a><a href="#prevalence">Prevalence</a>'
        '<a href="#subjects">Subjects</a><a href="#software">Software</a></nav>',
        f'<p class="note">Estimated prevalence of deficiency: <b>{100 * total["mean"]:.1f} %</b> '
        f"(90 % interval {100 * total['lo']:.1f}-{100 * total['hi']:.1f} %). Convergence: "
        f"<b class='{'pass' if diagnostics.passed else 'fail'}'>"
        f"{'all checks pass' if diagnostics.passed else 'CHECKS FAILED, do not interpret yet'}</b>.</p>",
        '<h2 id="data">Data</h2>'
        f"<p>{overview['subjects']} subjects, {overview['rows']} rows, {overview['occasions']} occasion "
        f"label(s); sex F {overview['sex']['F']}, M {overview['sex']['M']}, missing "
        f"{overview['sex']['missing']}; {overview['sites']} site(s); {overview['supplement_users']} "
        f"supplement users. Data hash {overview['data_hash']}. All values are in the units shown "
        "(converted on load).</p>"
        + _table(counts.rename(columns={"missing_pct": "missing %"}), left=("unit",))
        + (
            "<p>Warnings when the cohort was read:</p><ul>"
            + "".join(f"<li>{html.escape(w)}</li>" for w in warnings_list)
            + "</ul>"
            if warnings_list
            else "<p>No warnings when the cohort was read.</p>"
        ),
        '<h2 id="convergence">Convergence diagnostics</h2>'
        f"<p>{settings['chains']} chains x {settings['draws']} draws after {settings['tune']} tuning "
        f"steps (nutpie NUTS), seed {tree.attrs['random_seed']}; sampling "
        f"{tree.attrs['sampling_time_s']:.0f} s.</p>"
        "<table><thead><tr><th class='l'>check</th><th>result</th><th>value</th><th class='l'>threshold</th>"
        f"<th class='l'>meaning</th></tr></thead><tbody>{checks_rows}</tbody></table>"
        + _img(
            figures.rank_plots(tree["posterior"].to_dataset(), population_names(tree)), "rank plots"
        )
        + "<details><summary>R-hat and ESS per parameter</summary>"
        + _table(diagnostics.table)
        + "</details>",
        '<h2 id="priors">Priors and posteriors</h2><p>Every free population parameter with its prior '
        "(from models/default.toml), unit and source, and its posterior. Fixed constants are listed in "
        "the configuration file.</p>"
        + _table(_prior_posterior(tree), left=("unit", "prior", "source")),
        '<h2 id="ppc">Posterior predictive checks</h2>'
        + ppc_words
        + _img(figures.predictive_densities(ppc), "posterior predictive densities")
        + _img(figures.loo_pit_ecdf(ppc.loo_pit), "LOO-PIT")
        + "<p>LOO-PIT leaves each subject out in turn and asks where their mean reading falls "
        "in the model's prediction for an unseen subject; uniform values mean calibrated "
        "predictions (Kolmogorov-Smirnov distance against its 95 % critical value):</p>"
        + _table(
            ppc.pit_statistics.drop(columns=["mean_pit"]).set_index("measurement"),
            left=("comment",),
        )
        + "<p>Test statistics with posterior predictive p-values (flagged when below 0.025 or above "
        "0.975):</p>"
        + _table(ppc.statistics.set_index("measurement"), left=("unit", "statistic", "comment"))
        + "<h3>Prior predictive checks</h3><p>What the literature priors imply for this cohort's "
        "design, before seeing its data.</p>"
        + _img(figures.predictive_densities(prior), "prior predictive densities")
        + "<details><summary>Prior predictive statistics</summary>"
        + _table(prior.statistics.set_index("measurement"), left=("unit", "statistic", "comment"))
        + "</details>",
        '<h2 id="prevalence">Prevalence of deficiency</h2>'
        + _table(prev.rename(columns={"mean": "prevalence", "lo": "5 %", "hi": "95 %"}))
        + _img(figures.prevalence_plot(prev), "prevalence by group")
        + "<h3>Distribution of individual probabilities</h3>"
        + _img(
            figures.p_deficient_histogram(scores["p_deficient"].to_numpy(), threshold),
            "p_deficient",
        ),
        '<h2 id="subjects">Subjects</h2><h3>Most likely deficient</h3>'
        + _cards(scores, cohort)
        + "<h3>All subjects (click a header to sort)</h3><div class='scroll'>"
        + _table(score_view, sortable=True, index=False, left=("driver", "measurements"))
        + "</div>",
        '<h2 id="software">Software and provenance</h2>'
        + _table(pd.DataFrame({"version": versions}), left=("version",))
        + f"<p>Seed {tree.attrs['random_seed']}; data hash {tree.attrs['data_hash']}; configuration "
        f"fingerprint {tree.attrs['config_fingerprint']}; report written "
        f"{time.strftime('%Y-%m-%d %H:%M')}.</p>",
    ]
    return (
        "<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'>"
        "<title>camg_bayes report</title>"
        f"<style>{STYLE}</style></head><body>{''.join(sections)}<script>{SORT_SCRIPT}</script>"
        "</body></html>"
    )


def write_report(tree: xr.DataTree, path, **kwargs) -> Path:
    """Write :func:`build_report` (keyword arguments passed on) to ``path`` and return it."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(build_report(tree, **kwargs), encoding="utf-8")
    return path
