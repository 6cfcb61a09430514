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

#: Each operation for numpy arrays and for pytensor tensors.
_OPERATIONS = {
    "exp": (np.exp, pt.exp),
    "log": (np.log, pt.log),
    "log1p": (np.log1p, pt.log1p),
    "expm1": (np.expm1, pt.expm1),
    "sqrt": (np.sqrt, pt.sqrt),
    "sigmoid": (special.expit, pt.sigmoid),
    "concatenate": (np.concatenate, pt.concatenate),
    "zeros_like": (np.zeros_like, pt.zeros_like),
    "take": (np.take, pt.take),
}
_NumpyOps = type("_NumpyOps", (), {k: staticmethod(v[0]) for k, v in _OPERATIONS.items()})
_TensorOps = type("_TensorOps", (), {k: staticmethod(v[1]) for k, v in _OPERATIONS.items()})


def namespace(*args):
    """Return the array operations for the inputs: pytensor if any input is a tensor."""
    return _TensorOps if any(isinstance(a, Variable) for a in args) else _NumpyOps
