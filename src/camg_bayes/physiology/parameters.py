r"""Derived parameters: the SDs the model uses, from the total-and-share parameterisation.

The same parameterisation splits the renal and gut deviations into their normal core and
exponential tail, whose variances add up in the same way.

Where a between-person and a within-person SD compete for the same readings, the priors
(``models/default.toml``) are on their total SD, which the data pin, and the share of the
variance that is between persons, which only repeated readings inform:

.. math:: \sigma_b = \sqrt{s}\\,\sigma_T, \qquad \sigma_w = \sqrt{1 - s}\\,\sigma_T

With one reading per person the likelihood depends on :math:`\sigma_T` alone, so the
posterior of :math:`s` is its prior and the two SDs do not form a curved ridge for the
sampler to crawl along.
"""

from __future__ import annotations

from camg_bayes.physiology.backend import namespace

#: Derived SD pairs: total, share -> (between-person name, within-person name, scale).
#: Serum Ca's between-person part is the ionized Ca set point, in total Ca / ionized units.
PAIRS = {
    ("recall_mg_total_sd", "recall_mg_share"): ("intake_mg_sd", "recall_mg_sd", None),
    ("recall_ca_total_sd", "recall_ca_share"): ("intake_ca_sd", "recall_ca_sd", None),
    ("serum_ca_total_sd", "serum_ca_share"): ("ca_ion_sd", "serum_ca_sd", "ca_total_per_ionized"),
    ("pth_total_sd", "pth_share"): ("pth_between_sd", "pth_within_sd", None),
    ("urine_ca_total_sd", "urine_ca_share"): ("urine_ca_between_sd", "urine_ca_within_sd", None),
    # the renal and gut deviations: an exponential tail (the share) and a normal core
    ("renal_total_sd", "renal_tail_share"): ("renal_loss_scale", "renal_sd", None),
    ("gut_total_sd", "gut_tail_share"): ("gut_loss_scale", "gut_sd", None),
}


def expand(theta: dict) -> dict:
    """Add the derived between- and within-person SDs of :data:`PAIRS` to ``theta``.

    Works on scalars, numpy arrays and pytensor tensors; returns a new dict.
    """
    out = dict(theta)
    for (total, share), (between, within, scale) in PAIRS.items():
        xp = namespace(theta[total], theta[share])
        b = xp.sqrt(theta[share]) * theta[total]
        out[between] = b if scale is None else b / theta[scale]
        out[within] = xp.sqrt(1.0 - theta[share]) * theta[total]
    return out
