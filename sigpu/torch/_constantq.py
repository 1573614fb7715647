"""torch implementations of sigpu's constant-Q transforms (registered with the bridge).

A call needing no gradient runs sigpu on the arrays behind the tensors; one that needs a
gradient runs :class:`~sigpu.torch._cqt_autograd.CQTFunction` or ``ICQTFunction`` (forward
and exact adjoint by sigpu on NumPy/CuPy).  ``tuning=None`` is estimated from the signal
(without gradient: the estimate is piecewise constant in the signal) and then held fixed,
as the plan does.
"""

from __future__ import annotations

import inspect

import sigpu
from sigpu._errors import ParameterError
from sigpu.constantq import _InverseCQT, _keywords_for, _resolve_tuning, _warn_res_type

from . import _bridge
from ._cqt_autograd import CQTFunction, ICQTFunction
from ._spectral import _autograd, _cast

__all__ = ["vqt_plan_call", "cqt", "vqt", "icqt"]


def vqt_plan_call(plan, y):
    """``plan(y)`` for a :class:`sigpu.VQT` or :class:`sigpu.CQT` plan, with gradient."""
    return _cast(CQTFunction.apply(y, plan), None)


_autograd("VQT.__call__")(vqt_plan_call)  # CQT inherits it


def _transform(plan_class, y, tuning, sr, bins_per_octave, res_type, plan_kwargs):
    _warn_res_type(res_type)
    tuning = _resolve_tuning(tuning, _bridge.to_array(y), sr, bins_per_octave)
    plan = plan_class(
        sr=sr, tuning=tuning, bins_per_octave=bins_per_octave, res_type=res_type, **plan_kwargs
    )
    return vqt_plan_call(plan, y)


@_autograd("cqt")
def cqt(y, *, sr=22050, bins_per_octave=12, tuning=0.0, res_type="soxr_hq", **plan_kwargs):
    """:func:`sigpu.cqt` with gradient."""
    return _transform(sigpu.CQT, y, tuning, sr, bins_per_octave, res_type, plan_kwargs)


@_autograd("vqt")
def vqt(y, *, sr=22050, bins_per_octave=12, tuning=0.0, res_type="soxr_hq", **plan_kwargs):
    """:func:`sigpu.vqt` with gradient."""
    return _transform(sigpu.VQT, y, tuning, sr, bins_per_octave, res_type, plan_kwargs)


@_autograd("icqt")
def icqt(C, **kwargs):
    """:func:`sigpu.icqt` with gradient."""
    arguments = inspect.signature(sigpu.icqt.__wrapped__).bind(C, **kwargs)
    arguments.apply_defaults()
    arguments = arguments.arguments
    _warn_res_type(arguments["res_type"])
    if C.ndim < 2:
        raise ParameterError(f"icqt: C has shape {tuple(C.shape)}; it needs (..., n_bins, T)")
    inverse = _InverseCQT(C.shape, **_keywords_for(_InverseCQT, arguments))
    return ICQTFunction.apply(C, inverse, arguments["length"], arguments["dtype"])
