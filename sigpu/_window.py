"""Analysis windows and their overlap-add envelopes, as cached host tables.

A window spec is what librosa accepts: a name or tuple for
``scipy.signal.get_window`` ("hann", ("kaiser", 8.0), ...), a number (Kaiser
beta), a callable ``f(win_length)``, or an array of length ``win_length``.
"""

from __future__ import annotations

import numbers

import numpy as np

from ._backend import array_namespace, namespace_for
from ._cache import host_table, on_device
from ._errors import ParameterError

# Generalised cosine windows by every name scipy.signal.get_window knows them by, and
# their coefficients a_k of sum_k a_k cos(k x), x from -pi to pi.
_COSINE_WINDOWS = {
    **dict.fromkeys(("hann", "han"), (0.5, 0.5)),
    **dict.fromkeys(("hamming", "hamm", "ham"), (0.54, 1.0 - 0.54)),  # as scipy forms it
    **dict.fromkeys(("blackman", "black", "blk"), (0.42, 0.50, 0.08)),
    **dict.fromkeys(("boxcar", "box", "ones", "rect", "rectangular"), (1.0,)),
}


def _cosine_window(coefficients, win_length: int, *, symmetric: bool = False) -> np.ndarray:
    """Generalised cosine window, in the same operations as scipy.signal's
    ``general_cosine(win_length, a, sym=symmetric)``, so the values are the same bits."""
    if win_length == 1:
        return np.ones(1)
    n_points = win_length if symmetric else win_length + 1  # periodic: one more, dropped
    x = np.linspace(-np.pi, np.pi, n_points)
    w = np.zeros(n_points)
    for k, a in enumerate(coefficients):
        w += a * np.cos(k * x)
    return w if symmetric else w[:-1]


def _get_window(spec, win_length: int, symmetric: bool) -> np.ndarray:
    if isinstance(spec, str) and spec in _COSINE_WINDOWS and win_length >= 1:
        # the common windows without importing scipy.signal, which takes about a second
        return _cosine_window(_COSINE_WINDOWS[spec], win_length, symmetric=symmetric)
    import scipy.signal

    try:
        window = scipy.signal.get_window(spec, win_length, fftbins=not symmetric)
    except (ValueError, TypeError) as exc:
        raise ParameterError(
            f"window={spec!r} is not a window scipy.signal.get_window knows: {exc}"
        ) from None
    return np.asarray(window, np.float64)


@host_table
def periodic_window(spec, win_length: int) -> np.ndarray:
    return _get_window(spec, win_length, symmetric=False)


@host_table
def symmetric_window(spec, win_length: int) -> np.ndarray:
    """``scipy.signal.get_window(spec, win_length, fftbins=False)`` (the same bits; the
    cosine windows without importing scipy.signal)."""
    return _get_window(spec, win_length, symmetric=True)


def _is_named(spec) -> bool:
    return isinstance(spec, (str, tuple)) or (
        isinstance(spec, numbers.Real) and not isinstance(spec, bool)
    )


def window_key(spec):
    """A hashable key for a host window spec (NumPy array windows keyed by their bytes).

    Device (CuPy) arrays have no key: reading their values would copy them to the host on
    every call; :func:`resolve_window` uses them where they are instead.
    """
    if _is_named(spec):
        return spec
    if not isinstance(spec, np.ndarray):
        raise TypeError(f"window of type {type(spec).__name__} has no host key")
    return ("array", spec.shape, np.asarray(spec, dtype=np.float64).tobytes())


def host_window(window, win_length: int):
    """A window spec with a callable replaced by its host array ``window(win_length)``
    (librosa calls it so, and it returns NumPy values whatever the signal's library)."""
    if callable(window) and not _is_named(window):
        return np.asarray(window(win_length), dtype=np.float64)
    return window


@host_table
def padded_window(key, win_length: int, n_fft: int) -> np.ndarray:
    """Window of ``win_length`` samples centred in ``n_fft`` zeros (librosa ``pad_center``)."""
    if is_array_key(key):
        win = np.frombuffer(key[2], dtype=np.float64).reshape(key[1])
        if win.shape != (win_length,):
            raise ParameterError(
                f"window has shape {win.shape}; it must have win_length={win_length} samples"
            )
    else:
        win = periodic_window(key, win_length)
    out = np.zeros(n_fft, dtype=np.float64)
    left = (n_fft - win_length) // 2
    out[left : left + win_length] = win
    return out


def resolve_window(window, win_length: int, n_fft: int, xp, dtype):
    """``(padded, key)``: the padded analysis window as an array of ``xp`` in ``dtype``,
    and its host key (None for a device array window, padded on its device).

    Named windows and callables give cached host tables copied once per device; an array
    window must live in the same library as the signal (a callable's NumPy result is a
    host table like a named window's, so it serves CuPy signals too).
    """
    made_here = callable(window) and not _is_named(window)
    window = host_window(window, win_length)
    if not _is_named(window):
        if not made_here:
            array_namespace(window, xp.zeros(0), func="window")  # same library as the signal
        if window.ndim != 1 or window.shape[0] != win_length:
            raise ParameterError(
                f"window has shape {window.shape}; it must have win_length={win_length} samples"
            )
        if not isinstance(window, np.ndarray):
            return _pad_on_device(window, n_fft, xp, dtype), None
    key = window_key(window)
    return on_device(padded_window(key, win_length, n_fft), xp, dtype), key


def _pad_on_device(window, n_fft: int, xp, dtype):
    # librosa's pad_center, where the window already is
    padded = xp.zeros(n_fft, dtype=dtype)
    left = (n_fft - window.shape[0]) // 2
    padded[left : left + window.shape[0]] = xp.astype(window, dtype)
    return padded


def sumsquare_on_device(padded, hop_length: int, n_frames: int, xp):
    """:func:`window_sumsquare` of a padded device window, computed on its device."""
    from ._backend import kernel

    n_fft = padded.shape[0]
    length = n_fft + hop_length * (n_frames - 1)
    ones = xp.ones((1, n_frames, n_fft), dtype=padded.dtype)
    return kernel(xp, "ola.overlap_add")(ones, padded**2, hop_length, 0, length)[0]


@host_table
def window_sumsquare(key, win_length: int, n_fft: int, hop_length: int, n_frames: int):
    """Overlap-added squared window over ``n_frames`` frames (librosa ``window_sumsquare``).

    Where it is (near) zero the inverse STFT cannot be formed: see :func:`nola_gaps`.
    """
    from ._backend import kernel

    w2 = padded_window(key, win_length, n_fft) ** 2
    length = n_fft + hop_length * (n_frames - 1)
    ones = np.ones((1, n_frames, n_fft), dtype=np.float64)
    ola = kernel(namespace_for(None), "ola.overlap_add")
    return ola(ones, w2, hop_length, 0, length)[0]


@host_table
def nola_gaps(key, win_length: int, n_fft: int, hop_length: int) -> int:
    """Samples per hop that no nonzero window value covers in the steady state: 0 when the
    window and hop satisfy the nonzero-overlap-add (NOLA) condition."""
    w2 = padded_window(key, win_length, n_fft) ** 2
    return int(np.sum(_nola_phase_sums(w2, hop_length) <= np.finfo(np.float64).tiny))


def nola_gaps_on_device(padded, hop_length: int, xp) -> int:
    """:func:`nola_gaps` of a padded device window: the count is read back to the host
    (one device->host copy of a scalar, the only one of an inverse STFT with such a
    window)."""
    n_fft = padded.shape[0]
    w2 = xp.zeros(-(-n_fft // hop_length) * hop_length, dtype=xp.float64)
    w2[:n_fft] = xp.astype(padded, xp.float64) ** 2
    phase_sums = xp.sum(xp.reshape(w2, (-1, hop_length)), axis=0)
    return int(xp.sum(phase_sums <= np.finfo(np.float64).tiny))


def _nola_phase_sums(w2: np.ndarray, hop_length: int) -> np.ndarray:
    # Sum of w^2 over the samples n = p (mod hop) for each phase p: the steady-state envelope.
    n_fft = w2.shape[0]
    padded = np.zeros(-(-n_fft // hop_length) * hop_length)
    padded[:n_fft] = w2
    return padded.reshape(-1, hop_length).sum(axis=0)


def is_array_key(key) -> bool:
    """Whether a :func:`window_key` came from an array window."""
    return isinstance(key, tuple) and len(key) == 3 and key[0] == "array"


def _describe(key) -> str:
    return "<array>" if is_array_key(key) else repr(key)
