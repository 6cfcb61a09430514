"""Array maths that works on numpy arrays and pytensor tensors alike.

The physiology functions call ``xp = namespace(x, y, ...)`` and then ``xp.exp``,
``xp.log``, ``xp.sigmoid`` and so on. With numpy inputs they return numpy arrays; with any
pytensor input they build a pytensor graph. Arithmetic operators work on both directly.
"""

from __future__ import annotations

import numpy as np
import pytensor.tensor as pt
from pytensor.graph.basic import Variable
from scipy import special


class _NumpyOps:
    name = "numpy"
    exp = staticmethod(np.exp)
    log = staticmethod(np.log)
    log1p = staticmethod(np.log1p)
    expm1 = staticmethod(np.expm1)
    sqrt = staticmethod(np.sqrt)
    sigmoid = staticmethod(special.expit)
    where = staticmethod(np.where)
    maximum = staticmethod(np.maximum)

    @staticmethod
    def softplus(x):
        return np.logaddexp(0.0, x)

    @staticmethod
    def asarray(x):
        return np.asarray(x, dtype=float)


class _TensorOps:
    name = "pytensor"
    exp = staticmethod(pt.exp)
    log = staticmethod(pt.log)
    log1p = staticmethod(pt.log1p)
    expm1 = staticmethod(pt.expm1)
    sqrt = staticmethod(pt.sqrt)
    sigmoid = staticmethod(pt.sigmoid)
    where = staticmethod(pt.switch)
    maximum = staticmethod(pt.maximum)
    softplus = staticmethod(pt.softplus)

    @staticmethod
    def asarray(x):
        return pt.as_tensor_variable(x)


def is_tensor(x) -> bool:
    """Return True if ``x`` is a pytensor variable."""
    return isinstance(x, Variable)


def namespace(*args):
    """Return the array operations for the inputs: pytensor if any input is a tensor."""
    return _TensorOps if any(is_tensor(a) for a in args) else _NumpyOps
