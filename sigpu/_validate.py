"""Small argument checkers shared by every public function.

Each raises :class:`sigpu.ParameterError` (a ValueError) for a bad value and
:class:`TypeError` for a bad type, with a message that names the parameter and
what is accepted, e.g. ``hop_length=0 must be a positive integer``.
"""

from __future__ import annotations

import contextlib
import contextvars
import math
import numbers

import numpy as np

from ._backend import array_namespace
from ._errors import ParameterError

REAL_DTYPES = ("float32", "float64")


# dtype -> its name: numpy computes ``dtype.name`` in Python (microseconds), and every
# public function asks for it once or twice per call
_DTYPE_NAMES: dict = {}


def _dtype_name(x) -> str:
    dtype = x.dtype
    name = _DTYPE_NAMES.get(dtype)
    if name is None:
        name = _DTYPE_NAMES[dtype] = np.dtype(dtype).name
    return name


def _require_array(x, name: str, func: str | None) -> None:
    """TypeError naming the input unless ``x`` is an array (lists, numbers and None are not:
    the library of the result would be a guess)."""
    if not (hasattr(x, "dtype") and hasattr(x, "shape") and hasattr(x, "ndim")):
        where = f"{func}: " if func else ""
        raise TypeError(
            f"{where}{name} must be a numpy.ndarray or cupy.ndarray, got "
            f"{type(x).__module__}.{type(x).__qualname__}; convert it with numpy.asarray(...) "
            "or cupy.asarray(...) first"
        )


def real_array(x, name: str = "y", *, func: str | None = None, min_ndim: int = 1):
    """Check ``x`` is a float32/float64 NumPy or CuPy array with ``ndim >= min_ndim``.

    Returns the array namespace.  Integer, bool, float16 and complex arrays
    raise TypeError naming the accepted dtypes.
    """
    _require_array(x, name, func)
    xp = array_namespace(x, func=func)
    dt = _dtype_name(x)
    if dt not in REAL_DTYPES:
        raise TypeError(
            f"{name} has dtype {dt}; sigpu accepts float32 or float64 "
            f"(convert with {name}.astype(xp.float32))"
        )
    if x.ndim < min_ndim:
        raise ParameterError(
            f"{name} must have at least {min_ndim} dimension(s), got shape {x.shape}"
        )
    return xp


_CANONICAL_FLOATS = frozenset(
    id(np.dtype(name)) for name in ("float32", "float64", "complex64", "complex128")
)


def native_array(x):
    """``x`` in native byte order, aligned, with the canonical dtype object.

    The one place where arrays cross into sigpu's kernels: numba compiles one
    specialisation per array *type*, and a big-endian (``'>f4'``) or unaligned view is
    a different type that its kernels either reject or (cached after an aligned call)
    misread.  Such NumPy arrays are copied once into an ordinary array of the same
    values; CuPy arrays and ordinary NumPy arrays are returned as they are.
    """
    if not isinstance(x, np.ndarray):
        return x
    if id(x.dtype) in _CANONICAL_FLOATS and x.flags.aligned:  # the usual case, fast
        return x
    dtype = np.dtype(x.dtype.newbyteorder("=")) if x.dtype.byteorder not in "=|" else x.dtype
    if dtype.kind in "fc":
        dtype = np.dtype(dtype.name)  # the canonical instance, e.g. '<f4' -> float32
    if x.dtype is dtype and x.flags.aligned:
        return x
    return np.require(x.astype(dtype), requirements="A")


def same_dtype(a, b) -> bool:
    """Whether two dtype-likes are one type: kind and size, whatever their byte order."""
    a, b = np.dtype(a), np.dtype(b)
    return a.kind == b.kind and a.itemsize == b.itemsize


def float_or_complex_array(x, name: str, *, func: str | None = None, min_ndim: int = 1):
    """Like :func:`real_array` but also accepts complex64/complex128."""
    _require_array(x, name, func)
    xp = array_namespace(x, func=func)
    dt = _dtype_name(x)
    if dt not in REAL_DTYPES + ("complex64", "complex128"):
        raise TypeError(
            f"{name} has dtype {dt}; sigpu accepts float32, float64, complex64 or complex128"
        )
    if x.ndim < min_ndim:
        raise ParameterError(
            f"{name} must have at least {min_ndim} dimension(s), got shape {x.shape}"
        )
    return xp


def _single_precision(dtype) -> bool:
    # by kind and size, not identity: '>f4' is float32 too
    dt = np.dtype(dtype)
    return dt.itemsize == (8 if dt.kind == "c" else 4)


def complex_dtype(real_dtype):
    """complex64 for float32, complex128 for float64 (accepts any dtype-like)."""
    return np.complex64 if _single_precision(real_dtype) else np.complex128


def real_dtype(dtype):
    """float32 for float32/complex64, float64 for float64/complex128."""
    return np.float32 if _single_precision(dtype) else np.float64


def _as_dtype(dtype, name: str, accepted: str):
    try:
        return np.dtype(dtype)
    except (TypeError, ValueError) as err:
        raise TypeError(f"{name}={dtype!r} must be {accepted} (or None)") from err


def optional_real_dtype(dtype, name: str = "dtype"):
    """``None`` or float32/float64 as a NumPy dtype (an output ``dtype=`` argument)."""
    if dtype is None:
        return None
    dt = _as_dtype(dtype, name, "float32 or float64")
    if dt not in (np.float32, np.float64):
        raise TypeError(f"{name}={dtype!r} must be float32 or float64 (or None)")
    return dt


def optional_complex_dtype(dtype, name: str = "dtype"):
    """``None`` or complex64/complex128 as a NumPy dtype (an output ``dtype=`` argument)."""
    if dtype is None:
        return None
    dt = _as_dtype(dtype, name, "complex64 or complex128")
    if dt not in (np.complex64, np.complex128):
        raise TypeError(f"{name}={dtype!r} must be complex64 or complex128 (or None)")
    return dt


def is_int(value) -> bool:
    """Whether ``value`` is an integer (Python or NumPy), not a bool."""
    return isinstance(value, numbers.Integral) and not isinstance(value, (bool, np.bool_))


def is_real(value) -> bool:
    """Whether ``value`` is a real number (Python or NumPy), not a bool."""
    return isinstance(value, numbers.Real) and not isinstance(value, (bool, np.bool_))


def positive_int(value, name: str) -> int:
    """``value`` as an int >= 1, else ParameterError."""
    if not is_int(value) or value < 1:
        raise ParameterError(f"{name}={value!r} must be a positive integer")
    return int(value)


def nonnegative_int(value, name: str) -> int:
    """``value`` as an int >= 0, else ParameterError."""
    if not is_int(value) or value < 0:
        raise ParameterError(f"{name}={value!r} must be a non-negative integer")
    return int(value)


def _as_real(value, name: str) -> float:
    if not is_real(value):
        raise ParameterError(f"{name}={value!r} must be a real number")
    out = float(value)
    if not math.isfinite(out):
        raise ParameterError(f"{name}={value!r} must be finite")
    return out


def norm_order(norm, name: str = "norm", *, allow_slaney: bool = False):
    """``norm`` as a hashable value accepted by librosa.util.normalize: None, inf, -inf, 0 or
    p > 0 (and 'slaney' where ``allow_slaney``), else ParameterError."""
    if norm is None:
        return None
    if isinstance(norm, str):
        if allow_slaney and norm == "slaney":
            return norm
        raise ParameterError(
            f"{name}={norm!r} is not supported; use None, "
            + ("'slaney', " if allow_slaney else "")
            + "numpy.inf, -numpy.inf, 0 or a positive number"
        )
    if not is_real(norm):
        kinds = "None, a number or 'slaney'" if allow_slaney else "None or a number"
        raise ParameterError(f"{name}={norm!r} must be {kinds}")
    value = float(norm)
    if not (math.isinf(value) or value >= 0):
        raise ParameterError(
            f"{name}={norm!r} is not supported; use numpy.inf, -numpy.inf, 0 or a positive number"
        )
    return value


def stft_lengths(n_fft, win_length, hop_length) -> tuple[int, int, int]:
    """``(n_fft, win_length, hop_length)`` as the STFT takes them: positive integers,
    ``win_length <= n_fft`` (None: ``n_fft``), ``hop_length`` None: ``win_length // 4``."""
    n_fft = positive_int(n_fft, "n_fft")
    win_length = n_fft if win_length is None else positive_int(win_length, "win_length")
    if win_length > n_fft:
        raise ParameterError(f"win_length={win_length} must be <= n_fft={n_fft}")
    hop_length = win_length // 4 if hop_length is None else hop_length
    return n_fft, win_length, positive_int(hop_length, "hop_length")


def positive_float(value, name: str) -> float:
    """``value`` as a finite float > 0, else ParameterError."""
    out = _as_real(value, name)
    if out <= 0:
        raise ParameterError(f"{name}={value!r} must be positive")
    return out


def nonnegative_float(value, name: str) -> float:
    """``value`` as a finite float >= 0, else ParameterError."""
    out = _as_real(value, name)
    if out < 0:
        raise ParameterError(f"{name}={value!r} must be non-negative")
    return out


def finite_float(value, name: str) -> float:
    """``value`` as a finite float, else ParameterError."""
    return _as_real(value, name)


def one_of(value, name: str, options) -> object:
    """``value`` if it is one of ``options``, else ParameterError listing them."""
    if value not in options:
        listed = ", ".join(repr(o) for o in options)
        raise ParameterError(f"{name}={value!r} is not supported; choose one of {listed}")
    return value


def int_pair(value, name: str, *, minimum: int) -> tuple[int, int]:
    """An int or a pair of ints, each >= ``minimum``, as a pair."""
    pair = (
        (value, value)
        if is_int(value)
        else tuple(value)
        if isinstance(value, (tuple, list))
        else None
    )
    if pair is None or len(pair) != 2 or not all(is_int(v) and v >= minimum for v in pair):
        raise ParameterError(f"{name}={value!r} must be an integer >= {minimum} or a pair of them")
    return int(pair[0]), int(pair[1])


# ----------------------------------------------------------------------------- finite audio

AUDIO_NOT_FINITE = "Audio buffer is not finite everywhere"
_CHECK_FINITE = contextvars.ContextVar("sigpu_check_finite", default=True)


@contextlib.contextmanager
def check_finite(enabled: bool = True):
    """Turn sigpu's check that audio input is finite on or off inside a ``with`` block.

    The functions that take an audio signal (``stft``, ``spectrogram``,
    ``melspectrogram``, ``mfcc``, ``chroma_stft``, ``estimate_tuning``,
    ``gammatonegram``, ``cqt``/``vqt``/``chroma_cqt``, the plans' calls,
    ``reassigned_spectrogram`` and the linear reassignment functions) raise
    ``ParameterError("Audio buffer is not finite everywhere")`` for NaN or inf samples,
    as librosa does.  On CuPy that check is one device-to-host synchronisation per
    call; a GPU pipeline that knows its input is finite can skip it with
    ``with sigpu.check_finite(False): ...``.  Unchecked NaN/inf samples then reach
    the output as the arithmetic carries them (every frame or bin that reads them).

    The same switch covers sigpu's other checks that read array values (SFI filter
    parameters finite and positive, times and frames representable as int64): each is
    one synchronisation on CuPy, and none runs inside the block (docs: "GPU").

    The setting is per thread (and per asyncio task) and restored on exit.

    Parameters
    ----------
    enabled : bool, default True
        Whether the check runs inside the block.

    Yields
    ------
    None
        The block runs with the setting, which is restored when it exits.

    See Also
    --------
    ParameterError : The error raised for bad parameter values.

    Examples
    --------
    >>> import numpy as np, sigpu
    >>> y = np.zeros(4096, np.float32)
    >>> y[100] = np.nan
    >>> with sigpu.check_finite(False):
    ...     S = sigpu.stft(y)
    >>> bool(np.isnan(S).any()), bool(np.isfinite(S[:, -1]).all())
    (True, True)
    """
    if not isinstance(enabled, (bool, np.bool_)):
        raise TypeError(f"check_finite: enabled={enabled!r} must be True or False")
    token = _CHECK_FINITE.set(bool(enabled))
    try:
        yield
    finally:
        _CHECK_FINITE.reset(token)


def all_or_unchecked(condition) -> bool:
    """``bool(all(condition))`` for a boolean array computed from array arguments (finite
    parameters, values in range); True without looking under ``check_finite(False)``.

    Every check of sigpu that reads array values goes through here, so that on CuPy
    each is one device-to-host synchronisation and all of them can be switched off.
    """
    if not _CHECK_FINITE.get():
        return True
    if isinstance(condition, (bool, np.bool_)):  # from 0-d NumPy operands: already a scalar
        return bool(condition)
    xp = array_namespace(condition)
    return bool(xp.all(condition))


def finite_or_unchecked(x) -> bool:
    """Whether every value of array ``x`` is finite; True without looking under
    ``check_finite(False)`` (the one device-to-host sync of :func:`check_audio_finite`)."""
    xp = array_namespace(x)
    return all_or_unchecked(xp.isfinite(x)) if _CHECK_FINITE.get() else True


def check_audio_finite(y, func: str, name: str = "y") -> None:
    """ParameterError unless every sample of ``y`` is finite (skipped under
    ``check_finite(False)``).

    This is sigpu's one validation that reads array values: on CuPy it is a single
    device-to-host synchronisation (one boolean), documented in :func:`check_finite`.
    """
    if not finite_or_unchecked(y):
        raise ParameterError(
            f"{func}: {AUDIO_NOT_FINITE} ({name} holds NaN or inf); "
            "clean it first, or skip the check with sigpu.check_finite(False)"
        )
