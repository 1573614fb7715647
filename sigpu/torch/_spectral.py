"""torch implementations of sigpu's spectral functions: exact gradients by composition.

Registered with the bridge for the public functions and plan methods.  A call that needs
no gradient (no input requires grad, or grad mode is off) runs sigpu itself on the arrays
behind the tensors, so its numbers are sigpu's to the bit; the exception is the STFT of a
CPU tensor, which torch's FFT computes in sigpu's framing, measured faster
(:mod:`sigpu.torch._stft_torch`; sigpu's numbers to rounding).  A call that needs a
gradient is composed of autograd pieces:

* the STFT and its inverse: :class:`~sigpu.torch._stft_autograd.STFTFunction` /
  ``ISTFTFunction``, forward as without gradient, exact adjoint computed by sigpu on
  NumPy/CuPy (its overlap-add kernels, where torch has nothing faster to offer);
* everything after them in torch itself: ``|D|**power``, the bank products
  (``bank @ S``, whose backward is torch's transpose GEMM, the exact adjoint), the DCT of
  the MFCC as its matrix, the dB conversions.  These are elementwise work and GEMMs on
  tensors already in torch: going back through DLPack to sigpu would add conversions and
  gain nothing (the same BLAS/cuBLAS runs either way).
"""

from __future__ import annotations

import functools

import numpy as np
import scipy.fft
import torch

import sigpu
from sigpu import _warnings
from sigpu._errors import ParameterError
from sigpu._validate import nonnegative_float, positive_float
from sigpu.feature import _mfcc_params

from . import _bridge
from ._stft_autograd import ISTFTFunction, STFTFunction
from ._stft_torch import torch_stft, torch_stft_applies

__all__ = [
    "needs_grad",
    "power_spectrogram",
    "apply_bank",
    "to_db",
    "cepstrum",
    "torch_dtype",
]


def needs_grad(*values) -> bool:
    """Whether grad mode is on and a tensor among ``values`` requires grad."""
    if not torch.is_grad_enabled():
        return False
    return any(_bridge.is_tensor(v) and v.requires_grad for v in _bridge._walk(values))


def _autograd(name: str):
    """Register ``impl`` for sigpu's ``name`` for calls that need a gradient; the others run
    sigpu on the arrays behind the tensors."""
    func = _bridge._resolve(name)

    def decorate(impl):
        @functools.wraps(impl)
        def entry(*args, **kwargs):
            if needs_grad(*args, *kwargs.values()):
                return impl(*args, **kwargs)
            return _bridge.run_on_arrays(func, args, kwargs)

        _bridge.register(name)(entry)
        return impl

    return decorate


def torch_dtype(dtype):
    """The torch dtype of a NumPy dtype (or anything ``numpy.dtype`` takes), or ``dtype``
    itself if it is one."""
    if isinstance(dtype, torch.dtype):
        return dtype
    return getattr(torch, np.dtype(dtype).name)


def _cast(result, dtype):
    return result if dtype is None else result.to(torch_dtype(dtype))


def _refuse_out(out, name):
    if out is not None:
        raise TypeError(
            f"{name}: out= cannot take part in autograd (it is written in place); drop out= "
            "or call under torch.no_grad()"
        )


# --- STFT family --------------------------------------------------------------------


def stft_plan_call(plan, y, *, dtype=None, out=None):
    """``plan(y)`` with gradient (see :class:`STFTFunction`)."""
    _refuse_out(out, "stft")
    return _cast(STFTFunction.apply(y, plan), dtype)


_STFT_CALL = _bridge._resolve("STFT.__call__")


@_bridge.register("STFT.__call__")
def stft_plan_entry(plan, y, *, dtype=None, out=None):
    """``plan(y)`` on tensors: with gradient if one is needed; else by torch's FFT where it
    applies (CPU tensors, measured faster than the bridge); else sigpu on the arrays."""
    if needs_grad(y):
        return stft_plan_call(plan, y, dtype=dtype, out=out)
    if dtype is None and out is None and _bridge.is_tensor(y) and torch_stft_applies(plan, y):
        return torch_stft(plan, y)
    return _bridge.run_on_arrays(_STFT_CALL, (plan, y), {"dtype": dtype, "out": out})


@_bridge.register("stft")
def stft(y, *, dtype=None, out=None, **plan_kwargs):
    """:func:`sigpu.stft` on tensors (as :func:`stft_plan_entry`)."""
    return stft_plan_entry(sigpu.STFT(**plan_kwargs), y, dtype=dtype, out=out)


@_autograd("STFT.inverse")
def istft_plan_call(plan, stft_matrix, *, length=None, dtype=None, out=None):
    """``plan.inverse(stft_matrix)`` with gradient (see :class:`ISTFTFunction`)."""
    _refuse_out(out, "istft")
    return _cast(ISTFTFunction.apply(stft_matrix, plan, length), dtype)


@_autograd("istft")
def istft(stft_matrix, *, n_fft=None, length=None, dtype=None, out=None, **plan_kwargs):
    """:func:`sigpu.istft` with gradient."""
    if n_fft is None:
        n_fft = 2 * (stft_matrix.shape[-2] - 1)
        if n_fft < 1:
            raise ParameterError("stft_matrix must have at least 2 frequency bins")
    plan = sigpu.STFT(n_fft=n_fft, **plan_kwargs)
    return istft_plan_call(plan, stft_matrix, length=length, dtype=dtype, out=out)


def power_spectrogram(D, power: float):
    """``|D| ** power`` of a complex tensor (``re² + im²`` for power 2: no square root,
    whose gradient is undefined at 0)."""
    if power == 2.0:
        return D.real.square() + D.imag.square()
    magnitude = D.abs()
    return magnitude if power == 1.0 else magnitude.pow(power)


@_autograd("spectrogram")
def spectrogram(y, *, power=2.0, **stft_kwargs):
    """:func:`sigpu.spectrogram` with gradient."""
    power = positive_float(power, "power")
    return power_spectrogram(stft(y, **stft_kwargs), power)


# --- decibels -------------------------------------------------------------------------


def _reference(ref, values, func):
    """``ref(values)`` for a callable, else ``|ref|`` (a number, or a tensor)."""
    if callable(ref):
        return ref(values)
    if not _bridge.is_tensor(ref):
        sigpu.spectrum._check_ref(ref, func)
    return abs(ref)


def to_db(S, ref_value, amin: float, top_db):
    """``10 log10(max(S, amin)) - 10 log10(max(ref, amin))``, clipped at the global max minus
    ``top_db`` (torch ops: exact gradients, the clipped values' flowing to the maximum)."""
    if top_db is not None:
        top_db = nonnegative_float(top_db, "top_db")
        if S.numel() == 0:
            raise ParameterError(
                f"S has shape {tuple(S.shape)}, no values: top_db={top_db} clips at the max "
                "of S, which an empty array has not; pass top_db=None"
            )
    ref_value = torch.as_tensor(ref_value, dtype=S.dtype, device=S.device)
    S_db = 10.0 * torch.log10(S.clamp_min(amin)) - 10.0 * torch.log10(ref_value.clamp_min(amin))
    if top_db is None:
        return S_db
    return torch.maximum(S_db, S_db.amax() - top_db)


def _magnitude_of_complex(S, func, advice):
    if not S.is_complex():
        return S
    _warnings.warn(
        f"{func} was called on complex input so phase information will be discarded. To "
        f"suppress this warning, call {advice} instead."
    )
    return S.abs()


@_autograd("power_to_db")
def power_to_db(S, *, ref=1.0, amin=1e-10, top_db=80.0):
    """:func:`sigpu.power_to_db` with gradient (a callable ``ref`` takes part in it)."""
    amin = positive_float(amin, "amin")
    S = _magnitude_of_complex(S, "power_to_db", "power_to_db(np.abs(D)**2)")
    return to_db(S, _reference(ref, S, "power_to_db"), amin, top_db)


@_autograd("amplitude_to_db")
def amplitude_to_db(S, *, ref=1.0, amin=1e-5, top_db=80.0):
    """:func:`sigpu.amplitude_to_db` with gradient."""
    amin = positive_float(amin, "amin")
    if S.is_complex():
        _magnitude_of_complex(S, "amplitude_to_db", "amplitude_to_db(np.abs(S))")
    magnitude = S.abs()
    ref_value = _reference(ref, magnitude, "amplitude_to_db")
    return to_db(magnitude.square(), ref_value**2, amin**2, top_db)


def _real_decibels(S_db, func):
    if S_db.is_complex():
        raise TypeError(f"{func}: S_db has dtype {S_db.dtype}; decibels must be real")


@_autograd("db_to_power")
def db_to_power(S_db, *, ref=1.0):
    """:func:`sigpu.db_to_power` with gradient."""
    _real_decibels(S_db, "db_to_power")
    if not _bridge.is_tensor(ref):
        sigpu.spectrum._check_ref(ref, "db_to_power")
    return ref * torch.pow(10.0, S_db * 0.1)


@_autograd("db_to_amplitude")
def db_to_amplitude(S_db, *, ref=1.0):
    """:func:`sigpu.db_to_amplitude` with gradient."""
    _real_decibels(S_db, "db_to_amplitude")
    if not _bridge.is_tensor(ref):
        sigpu.spectrum._check_ref(ref, "db_to_amplitude")
    return ref * torch.pow(10.0, S_db * 0.05)


# --- filter-bank features -------------------------------------------------------------


def apply_bank(bank, S):
    """``bank (M, F) @ S (..., F, T)``, the bank as a tensor of ``S``'s dtype and device."""
    bank = torch.tensor(bank, dtype=S.dtype, device=S.device)
    return torch.matmul(bank, S)


def _plan_power_spectrogram(plan, y, func):
    if y is None:
        raise ParameterError(f"{func}: pass either a signal y or a spectrogram S")
    D = STFTFunction.apply(y, sigpu.STFT(n_fft=plan.n_fft, **plan.stft_kw))
    return power_spectrogram(D, plan.power)


def _given_spectrogram(S, n_fft, func):
    if S.ndim < 2 or S.shape[-2] != 1 + n_fft // 2:
        raise ParameterError(
            f"{func}: S has shape {tuple(S.shape)}; n_fft={n_fft} needs {1 + n_fft // 2} "
            "frequency rows on axis -2"
        )
    if S.is_complex() or not S.is_floating_point():
        raise TypeError(f"{func}: S has dtype {S.dtype}; it must be float32 or float64")
    return S


def mel_plan_call(plan, y=None, *, S=None):
    """``MelSpectrogram`` plan call with gradient: ``bank @ |stft(y)|**power``."""
    if S is None:
        S = _plan_power_spectrogram(plan, y, "melspectrogram")
    else:
        S = _given_spectrogram(S, plan.n_fft, "melspectrogram")
    return apply_bank(plan.bank_host, S)


_autograd("MelSpectrogram.__call__")(mel_plan_call)


@_autograd("melspectrogram")
def melspectrogram(y=None, *, S=None, **plan_kwargs):
    """:func:`sigpu.feature.melspectrogram` with gradient."""
    return mel_plan_call(sigpu.MelSpectrogram(**plan_kwargs), y, S=S)


@functools.lru_cache(maxsize=64)
def dct_matrix(n_in: int, n_out: int, dct_type: int, norm) -> np.ndarray:
    """The first ``n_out`` rows of the DCT of ``n_in`` points as a matrix (float64, host):
    ``dct(x, type=dct_type, norm=norm)[:n_out] == dct_matrix(...) @ x``."""
    matrix = scipy.fft.dct(np.eye(n_in), type=dct_type, norm=norm, axis=0)[:n_out]
    matrix.flags.writeable = False
    return matrix


@functools.lru_cache(maxsize=64)
def lifter_weights(n_mfcc: int, lifter: float) -> np.ndarray:
    """Row weights of cepstral liftering, ``1 + (lifter / 2) sin(pi (i + 1) / lifter)``."""
    weights = 1.0 + (lifter / 2.0) * np.sin(np.pi * np.arange(1, n_mfcc + 1) / lifter)
    weights.flags.writeable = False
    return weights[:, None]


def cepstrum(S_db, n_mfcc: int, dct_type: int, norm, lifter: float):
    """DCT of the log-mel rows ``S_db (..., n_mels, T)``, first ``n_mfcc``, liftered."""
    n_mels = S_db.shape[-2]
    if n_mfcc > n_mels:
        raise ParameterError(
            f"n_mfcc={n_mfcc} exceeds the number of mel bands ({n_mels}); "
            "lower n_mfcc or raise n_mels"
        )
    if dct_type == 1 and n_mels < 2:
        raise ParameterError("dct_type=1 needs at least 2 mel bands")
    M = apply_bank(dct_matrix(n_mels, n_mfcc, dct_type, norm), S_db)
    if lifter > 0:
        M = M * torch.tensor(lifter_weights(n_mfcc, lifter), dtype=M.dtype, device=M.device)
    return M


def mfcc_plan_call(plan, y=None, *, S=None):
    """``MFCC`` plan call with gradient."""
    if S is None:
        # through the bridge: sigpu's fused kernel unless a gradient is needed
        S = sigpu.power_to_db(mel_plan_call(plan.mel, y), top_db=plan.top_db)
    elif S.ndim < 2:
        raise ParameterError(f"MFCC: S has shape {tuple(S.shape)}; it needs (..., n_mels, T)")
    return cepstrum(S, plan.n_mfcc, plan.dct_type, plan.norm, plan.lifter)


_autograd("MFCC.__call__")(mfcc_plan_call)


@_autograd("mfcc")
def mfcc(
    y=None,
    *,
    S=None,
    n_mfcc=20,
    dct_type=2,
    norm="ortho",
    lifter=0,
    top_db=80.0,
    **plan_kwargs,
):
    """:func:`sigpu.feature.mfcc` with gradient."""
    if S is not None:
        n_mfcc, dct_type, norm, lifter, _ = _mfcc_params(n_mfcc, dct_type, norm, lifter, top_db)
        if S.ndim < 2:
            raise ParameterError(f"mfcc: S has shape {tuple(S.shape)}; it needs (..., n_mels, T)")
        return cepstrum(S, n_mfcc, dct_type, norm, lifter)
    plan = sigpu.MFCC(
        n_mfcc=n_mfcc, dct_type=dct_type, norm=norm, lifter=lifter, top_db=top_db, **plan_kwargs
    )
    return mfcc_plan_call(plan, y)


def gammatone_plan_call(plan, y):
    """``Gammatonegram`` plan call with gradient: ``bank @ |stft(y)|**power``."""
    return apply_bank(plan.bank_host, _plan_power_spectrogram(plan, y, "gammatonegram"))


_autograd("Gammatonegram.__call__")(gammatone_plan_call)


@_autograd("gammatonegram")
def gammatonegram(y, **plan_kwargs):
    """:func:`sigpu.feature.gammatonegram` with gradient."""
    return gammatone_plan_call(sigpu.Gammatonegram(**plan_kwargs), y)
