"""Options shared by several ``camg`` commands."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

ConfigOption = Annotated[
    Path | None, typer.Option("--config", help="Prior/model TOML (default: models/default.toml).")
]
VariantOption = Annotated[
    str,
    typer.Option(
        "--variant", help="Model variant: full, no_competition, no_mg_pth, no_renal_conservation."
    ),
]


DrawsOption = Annotated[int, typer.Option("--draws", min=1, help="Draws kept per chain.")]
TuneOption = Annotated[int, typer.Option("--tune", min=1, help="Tuning steps per chain.")]
ChainsOption = Annotated[int, typer.Option("--chains", min=1, help="Number of chains.")]


SeedOption = Annotated[
    int | None, typer.Option("--seed", help="Random seed (default: drawn, and printed).")
]
FitOption = Annotated[
    Path | None,
    typer.Option("--fit", help="A fit from camg fit; without it, the literature-prior population."),
]
ThresholdOption = Annotated[
    float | None,
    typer.Option(
        "--threshold", min=0.1, max=1.5, help="Deficiency threshold on true serum Mg, mmol/L."
    ),
]


def number(flag: str, minimum: float, text: str):
    """A numeric option type with a lower bound (``None`` allowed as its default)."""
    return Annotated[float | None, typer.Option(flag, min=minimum, help=text)]


SchedulerOption = Annotated[
    str | None,
    typer.Option(
        "--scheduler",
        help="Dask scheduler address (tcp://host:8786), or 'local' for a local cluster of "
        "one-thread worker processes; without it, this process alone.",
    ),
]
