"""Figures for the report (matplotlib, no display). Each returns a PNG as bytes."""

from __future__ import annotations

import io

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.ticker import NullFormatter
from scipy import stats

from camg_bayes.checks.predictive import UNITS, PredictiveCheck

COLOURS = {"observed": "#1b1b1b", "replicated": "#4c72b0", "prior": "#dd8452", "band": "#c7d3e8"}


def _png(fig) -> bytes:
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=90, bbox_inches="tight")
    plt.close(fig)
    return buffer.getvalue()


def _grid(n: int, columns: int, size=(2.6, 2.0)):
    rows = int(np.ceil(n / columns))
    figsize = (size[0] * columns, size[1] * rows)
    fig, axes = plt.subplots(rows, columns, figsize=figsize, squeeze=False, layout="constrained")
    for ax in axes.ravel()[n:]:
        ax.set_visible(False)
    return fig, axes.ravel()


def rank_plots(posterior, names: list[str], max_panels: int = 60) -> bytes:
    """Rank plots: per chain, the histogram of ranks of its draws among all chains.

    Flat, overlapping lines mean the chains explore the same distribution.
    """
    panels = []
    for name in names:
        values = posterior[name].values
        if values.ndim == 2:
            panels.append((name, values))
        else:
            flat = values.reshape(values.shape[0], values.shape[1], -1)
            labels = posterior[name].coords[posterior[name].dims[-1]].values
            panels += [(f"{name}[{labels[i]}]", flat[..., i]) for i in range(flat.shape[-1])]
    panels = panels[:max_panels]
    fig, axes = _grid(len(panels), 6, (2.4, 1.6))
    for ax, (label, values) in zip(axes, panels, strict=False):
        ranks = stats.rankdata(values.ravel()).reshape(values.shape)
        bins = np.linspace(0, ranks.size, 21)
        for chain in ranks:
            counts, _ = np.histogram(chain, bins)
            ax.step(bins[:-1], counts / len(chain) * 20, where="post", lw=1)
        ax.axhline(1, color="grey", lw=0.8, ls=":")
        ax.set_title(label, fontsize=7)
        ax.set_yticks([])
        ax.set_xticks([])
        ax.set_ylim(0, 2)
    fig.suptitle("Rank plots (each line a chain; flat near 1 is good)", fontsize=9)
    return _png(fig)


def predictive_densities(check: PredictiveCheck, n_lines: int = 40) -> bytes:
    """Observed readings against replicated data sets, one panel per measurement."""
    columns = list(check.observed)
    fig, axes = _grid(len(columns), 4, (3.0, 2.2))
    colour = COLOURS["replicated"] if check.kind == "posterior" else COLOURS["prior"]
    for ax, column in zip(axes, columns, strict=False):
        observed = check.observed[column]
        observed = observed[np.isfinite(observed)]
        replicated = check.replicated[column]
        log = column in ("pth", "urine_mg", "urine_ca", "diet_mg", "diet_ca")
        pool = replicated[np.isfinite(replicated)]
        lo, hi = np.quantile(np.concatenate([observed, pool]), [0.005, 0.995])
        if log:
            lo = max(lo, 1e-3)
            bins = np.geomspace(lo, hi, 40)
            ax.set_xscale("log")
            ax.xaxis.set_minor_formatter(NullFormatter())
        else:
            bins = np.linspace(lo, hi, 40)
        for rep in replicated[:n_lines]:
            values = rep[np.isfinite(rep)]
            counts, _ = np.histogram(values, bins, density=True)
            ax.step(bins[:-1], counts, where="post", color=colour, alpha=0.15, lw=0.8)
        counts, _ = np.histogram(observed, bins, density=True)
        ax.step(bins[:-1], counts, where="post", color=COLOURS["observed"], lw=1.6)
        ax.set_title(f"{column} ({UNITS[column]})", fontsize=8)
        ax.set_yticks([])
        ax.tick_params(labelsize=7)
    title = "Posterior predictive" if check.kind == "posterior" else "Prior predictive"
    fig.suptitle(f"{title}: observed (black) vs replicated data sets (colour)", fontsize=9)
    return _png(fig)


def loo_pit_ecdf(pit: dict) -> bytes:
    """ECDF of LOO-PIT values minus the uniform CDF, with a 95 % band."""
    columns = list(pit)
    fig, axes = _grid(len(columns), 4, (3.0, 2.2))
    grid = np.linspace(0, 1, 101)
    for ax, column in zip(axes, columns, strict=False):
        values = np.sort(np.asarray(pit[column]))
        ecdf = np.searchsorted(values, grid, side="right") / len(values)
        band = 1.36 / np.sqrt(len(values))
        ax.fill_between(grid, -band, band, color=COLOURS["band"], lw=0)
        ax.plot(grid, ecdf - grid, color=COLOURS["replicated"], lw=1.4)
        ax.axhline(0, color="grey", lw=0.8)
        ax.set_title(f"{column} (n={len(values)})", fontsize=8)
        ax.tick_params(labelsize=7)
    fig.suptitle("LOO-PIT: ECDF minus uniform (inside the band = calibrated)", fontsize=9)
    return _png(fig)


def p_deficient_histogram(p: np.ndarray, threshold: float) -> bytes:
    """Distribution of individual deficiency probabilities."""
    fig, ax = plt.subplots(figsize=(6, 2.6), layout="constrained")
    ax.hist(p, bins=np.linspace(0, 1, 41), color=COLOURS["replicated"])
    ax.set_xlabel(f"P(true serum Mg < {threshold:g} mmol/L)")
    ax.set_ylabel("subjects")
    ax.set_yscale("log")
    return _png(fig)


def prevalence_plot(table: pd.DataFrame) -> bytes:
    """Prevalence of deficiency by group, with 90 % intervals."""
    fig, ax = plt.subplots(figsize=(6, 0.45 * len(table) + 0.8), layout="constrained")
    y = np.arange(len(table))[::-1]
    ax.errorbar(
        100 * table["mean"],
        y,
        xerr=[100 * (table["mean"] - table["lo"]), 100 * (table["hi"] - table["mean"])],
        fmt="o",
        color=COLOURS["replicated"],
    )
    ax.set_yticks(y, table.index)
    ax.set_xlabel("prevalence of deficiency, % (90 % interval)")
    return _png(fig)


def sbc_ecdf_difference(curves: dict, columns: int = 6) -> bytes:
    """SBC: each quantity's rank ECDF minus the uniform CDF, with its simultaneous band.

    ``curves`` maps a name to :func:`camg_bayes.checks.sbc.uniformity`'s result. A curve
    leaving its band (drawn red) is a calibration failure.
    """
    fig, axes = _grid(len(curves), columns, size=(2.4, 1.8))
    for ax, (name, c) in zip(axes, curves.items(), strict=False):
        z = c["z"]
        ax.fill_between(z, c["lower"] - z, c["upper"] - z, color=COLOURS["band"], step="post")
        ax.step(z, c["ecdf"] - z, where="post", color="#1b1b1b" if c["passed"] else "#c0392b")
        ax.axhline(0, color="grey", lw=0.5)
        ax.set_title(name, fontsize=7)
        ax.tick_params(labelsize=6)
    return _png(fig)
