"""The features a corpus run computes: sigpu's public functions, by name.

Each feature is one call of a public sigpu function on a loaded signal; what the call
returns is stored as one real array (complex transforms as their magnitude, the
reassigned spectrogram's three coordinates stacked).  Options are checked up front, in
the client: a name the function does not take, then a trial call on a short synthetic
signal, so that a bad value fails before a cluster starts, not once per file.
"""

from __future__ import annotations

import inspect
import warnings
from dataclasses import dataclass

import numpy as np

from .. import constantq, feature, reassign, spectrum
from .._errors import ParameterError


def _magnitude(xp, result):
    return xp.abs(result)


def _stacked(xp, result):
    return xp.stack(result)


def _as_is(xp, result):
    return result


# name -> (function, what makes its result one real array, takes sr, description)
_TABLE = {
    "stft": (spectrum.stft, _magnitude, False, "|stft(y)|, shape (..., 1 + n_fft // 2, t)"),
    "mel": (feature.melspectrogram, _as_is, True, "melspectrogram(y), shape (..., n_mels, t)"),
    "mfcc": (feature.mfcc, _as_is, True, "mfcc(y), shape (..., n_mfcc, t)"),
    "cqt": (constantq.cqt, _magnitude, True, "|cqt(y)|, shape (..., n_bins, t)"),
    "vqt": (constantq.vqt, _magnitude, True, "|vqt(y)|, shape (..., n_bins, t)"),
    "chroma_stft": (feature.chroma_stft, _as_is, True, "chroma_stft(y), shape (..., 12, t)"),
    "chroma_cqt": (constantq.chroma_cqt, _as_is, True, "chroma_cqt(y), shape (..., 12, t)"),
    "gammatone": (feature.gammatonegram, _as_is, True, "gammatonegram(y), (..., n_bins, t)"),
    "reassigned": (
        reassign.reassigned_spectrogram,
        _stacked,
        True,
        "(freqs, times, mags) of reassigned_spectrogram(y) stacked: (3, ..., f, t)",
    ),
    "linear_reassignment": (
        reassign.linear_reassignment,
        _as_is,
        True,
        "linear_reassignment(y), shape (..., n_freq, n_frames); needs tdeci, minf, maxf (Hz)",
    ),
}

#: Feature names and what each stores.
FEATURES = {name: entry[3] for name, entry in _TABLE.items()}

# parameters a corpus run sets itself: the signal, its rate, where outputs go
_RESERVED = {"y", "x", "S", "C", "sr", "dtype", "out", "return_counts"}
TRIAL_SECONDS = 4.0


@dataclass(frozen=True)
class FeatureSpec:
    """A feature with its options: what a worker needs to compute it."""

    name: str
    options: dict

    def compute(self, y, sr):
        """The feature of ``y`` (NumPy or CuPy, shape (..., n)) sampled at ``sr``."""
        from .._backend import array_namespace

        func, to_array, takes_sr, _ = _TABLE[self.name]
        kwargs = dict(self.options, sr=sr) if takes_sr else dict(self.options)
        return to_array(array_namespace(y), func(y, **kwargs))


def feature_spec(name, options, sr, dtype) -> FeatureSpec:
    """A checked :class:`FeatureSpec`: a known name, options the function takes, and a
    trial call that succeeds on ``TRIAL_SECONDS`` of noise at ``sr``."""
    if not isinstance(name, str) or name not in _TABLE:
        raise ParameterError(f"feature={name!r} must be one of {', '.join(sorted(_TABLE))}")
    options = {} if options is None else options
    if not isinstance(options, dict) or not all(isinstance(k, str) for k in options):
        raise TypeError(f"options={options!r} must be a dict of keyword arguments")
    func = _TABLE[name][0]
    parameters = inspect.signature(func).parameters
    takes_any = any(p.kind is inspect.Parameter.VAR_KEYWORD for p in parameters.values())
    for key in options:
        if key in _RESERVED or (key not in parameters and not takes_any):
            accepted = sorted(
                p for p, v in parameters.items() if p not in _RESERVED and v.kind is v.KEYWORD_ONLY
            )
            raise ParameterError(
                f"options: {name} takes no option {key!r}; it takes {', '.join(accepted)}"
            )
    spec = FeatureSpec(name, dict(options))
    trial = np.random.default_rng(0).standard_normal(int(TRIAL_SECONDS * sr)).astype(dtype)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # a short trial may warn where real files would not
        try:
            spec.compute(trial, sr)
        except (ParameterError, TypeError) as err:
            raise type(err)(f"options for feature={name!r}: {err}") from err
    return spec
