"""Unit conversions with librosa's signatures: Hz, mel, MIDI, notes, frames, samples, seconds.

Each function accepts a Python/NumPy scalar, a NumPy array or a CuPy array and
returns the same kind (scalars in, NumPy scalars out), computing in float64
for scalars and in the array's own dtype for float arrays.
"""

from __future__ import annotations

import math
import re

import numpy as np

from ._backend import array_namespace, is_device_array, namespace_for, on_input_device
from ._errors import ParameterError
from ._note_names import key_to_notes
from ._validate import (
    all_or_unchecked,
    finite_float,
    is_int,
    native_array,
    nonnegative_float,
    positive_float,
    positive_int,
)

__all__ = [
    "hz_to_mel",
    "mel_to_hz",
    "mel_frequencies",
    "fft_frequencies",
    "cqt_frequencies",
    "hz_to_midi",
    "midi_to_hz",
    "note_to_midi",
    "note_to_hz",
    "midi_to_note",
    "hz_to_note",
    "frames_to_samples",
    "samples_to_frames",
    "frames_to_time",
    "time_to_frames",
    "samples_to_time",
    "time_to_samples",
    "samples_like",
    "times_like",
    "hz_to_octs",
    "octs_to_hz",
    "A4_to_tuning",
    "tuning_to_A4",
    "tempo_frequencies",
    "fourier_tempo_frequencies",
]


def __dir__():
    """The public names: ``__all__``, not the names this module imports."""
    return list(__all__)


# Slaney's Auditory Toolbox mel scale: linear below 1 kHz, logarithmic above.
_SLANEY_F_SP = 200.0 / 3
_SLANEY_MIN_LOG_HZ = 1000.0
_SLANEY_MIN_LOG_MEL = _SLANEY_MIN_LOG_HZ / _SLANEY_F_SP  # 15 mel
_SLANEY_LOGSTEP = math.log(6.4) / 27.0


def _values(v, name: str):
    """(xp, array, was_scalar): arrays keep their namespace and float dtype.

    Integers compute in float64 and float16 in float32 (its range overflows at
    ``times * sr``); anything but real numbers raises TypeError naming ``name``.
    """
    if isinstance(v, np.ndarray) or is_device_array(v):
        xp = array_namespace(v)
        kind = np.dtype(v.dtype).kind
        if kind not in "iuf":
            raise TypeError(
                f"{name} has dtype {np.dtype(v.dtype).name}; it must hold real numbers "
                "(integer or float)"
            )
        if kind != "f":
            v = xp.astype(v, xp.float64)
        elif np.dtype(v.dtype).itemsize < 4:
            v = xp.astype(v, xp.float32)
        return xp, native_array(v), False
    try:
        arr = np.asarray(v)
    except (TypeError, ValueError):  # ragged sequences
        arr = np.asarray(None)
    if arr.dtype.kind not in "iuf":
        raise TypeError(f"{name}={v!r} must be a real number, a sequence or an array of them")
    arr = np.asarray(arr, dtype=np.float64)
    return namespace_for(None), arr, arr.ndim == 0


def _indices(values, xp, name: str):
    """``values`` (already floored or truncated) as int64, or ParameterError where they have
    no int64 value (NaN, inf, beyond +-2**63): a cast would return garbage silently."""
    if not all_or_unchecked(xp.abs(values) < 2.0**63):
        raise ParameterError(
            f"{name} must be finite and give indices within +-2**63 (got NaN, inf or a "
            "value too large)"
        )
    return xp.astype(values, xp.int64)


def _out(arr, was_scalar):
    return arr[()] if was_scalar else arr


@on_input_device
def hz_to_mel(frequencies, *, htk=False):
    """Convert Hz to mels (Slaney's scale by default, HTK's with ``htk=True``).

    Parameters
    ----------
    frequencies : float or array (NumPy or CuPy)
        Frequencies in Hz.
    htk : bool
        ``2595 * log10(1 + f / 700)`` if True, else Slaney's piecewise
        linear/log scale (15 mel at 1 kHz).

    Returns
    -------
    mels : float or array like ``frequencies``

    See Also
    --------
    mel_to_hz : Mels to Hz.
    mel_frequencies : Centre frequencies of mel bands.

    Notes
    -----
    NumPy and CuPy. Matches ``librosa.hz_to_mel``.

    Examples
    --------
    >>> import sigpu
    >>> round(float(sigpu.hz_to_mel(1000.0)), 12)
    15.0
    """
    xp, f, scalar = _values(frequencies, "frequencies")
    if htk:
        return _out(2595.0 * xp.log10(1.0 + f / 700.0), scalar)
    linear = f / _SLANEY_F_SP
    log_part = _SLANEY_MIN_LOG_MEL + xp.log(xp.maximum(f, 1e-300) / _SLANEY_MIN_LOG_HZ) / (
        _SLANEY_LOGSTEP
    )
    return _out(xp.where(f >= _SLANEY_MIN_LOG_HZ, log_part, linear), scalar)


@on_input_device
def mel_to_hz(mels, *, htk=False):
    """Convert mels to Hz; the inverse of :func:`hz_to_mel`.

    Parameters
    ----------
    mels : float or array (NumPy or CuPy)
    htk : bool
        Use the HTK formula instead of Slaney's.

    Returns
    -------
    frequencies : float or array like ``mels``

    See Also
    --------
    hz_to_mel : Hz to mels.
    mel_frequencies : Centre frequencies of mel bands.

    Notes
    -----
    NumPy and CuPy. Matches ``librosa.mel_to_hz``.

    Examples
    --------
    >>> import sigpu
    >>> round(float(sigpu.mel_to_hz(15.0)), 9)
    1000.0
    """
    xp, m, scalar = _values(mels, "mels")
    if htk:
        return _out(700.0 * (10.0 ** (m / 2595.0) - 1.0), scalar)
    linear = _SLANEY_F_SP * m
    log_part = _SLANEY_MIN_LOG_HZ * xp.exp(_SLANEY_LOGSTEP * (m - _SLANEY_MIN_LOG_MEL))
    return _out(xp.where(m >= _SLANEY_MIN_LOG_MEL, log_part, linear), scalar)


def mel_frequencies(n_mels=128, *, fmin=0.0, fmax=11025.0, htk=False, xp=None):
    """``n_mels`` frequencies (Hz) equally spaced on the mel scale from ``fmin`` to ``fmax``.

    Parameters
    ----------
    n_mels : int > 0
    fmin, fmax : float >= 0
    htk : bool
    xp : None, "numpy", "cupy" or module
        Namespace of the result (NumPy by default).

    Returns
    -------
    frequencies : array, shape (n_mels,), float64

    See Also
    --------
    hz_to_mel : Hz to mels.
    sigpu.filters.mel : Mel filter bank.

    Notes
    -----
    NumPy and CuPy. Matches ``librosa.mel_frequencies``.

    Examples
    --------
    >>> import sigpu
    >>> sigpu.mel_frequencies(3, fmin=0.0, fmax=2000.0).round(1).tolist()
    [0.0, 836.1, 2000.0]
    """
    n_mels = positive_int(n_mels, "n_mels")
    fmin = nonnegative_float(fmin, "fmin")
    fmax = nonnegative_float(fmax, "fmax")
    if fmax <= fmin:
        raise ParameterError(f"fmax={fmax!r} must be greater than fmin={fmin!r}")
    mels = np.linspace(hz_to_mel(fmin, htk=htk), hz_to_mel(fmax, htk=htk), n_mels)
    ns = namespace_for(xp)
    return ns.asarray(mel_to_hz(mels, htk=htk))


def fft_frequencies(*, sr=22050, n_fft=2048, xp=None):
    """Centre frequencies (Hz) of the ``1 + n_fft // 2`` bins of a real FFT.

    Parameters
    ----------
    sr : float > 0
        Sampling rate.
    n_fft : int > 0
    xp : None, "numpy", "cupy" or module
        Namespace of the result.

    Returns
    -------
    freqs : array, shape (1 + n_fft // 2,), float64

    See Also
    --------
    stft : Short-time Fourier transform.
    cqt_frequencies : Centre frequencies of constant-Q bins.

    Notes
    -----
    NumPy and CuPy. Matches ``librosa.fft_frequencies``.

    Examples
    --------
    >>> import sigpu
    >>> sigpu.fft_frequencies(sr=8000, n_fft=8).tolist()
    [0.0, 1000.0, 2000.0, 3000.0, 4000.0]
    """
    sr = positive_float(sr, "sr")
    n_fft = positive_int(n_fft, "n_fft")
    ns = namespace_for(xp)
    # k * sr / n_fft (numpy.fft.rfftfreq), which is right for odd n_fft too;
    # linspace(0, sr/2, ...) would put the last bin at sr/2 for odd n_fft.
    return ns.asarray(np.arange(1 + n_fft // 2, dtype=np.float64) * (sr / n_fft))


def cqt_frequencies(n_bins, *, fmin, bins_per_octave=12, tuning=0.0, xp=None):
    """Centre frequencies of a constant-Q transform: ``fmin * 2**((k + tuning) / bins_per_octave)``.

    Parameters
    ----------
    n_bins : int > 0
    fmin : float > 0
        Frequency (Hz) of the lowest bin before tuning.
    bins_per_octave : int > 0
    tuning : float
        Deviation from A440 in fractions of a bin.
    xp : None, "numpy", "cupy" or module

    Returns
    -------
    freqs : array, shape (n_bins,), float64

    See Also
    --------
    sigpu.constantq.cqt : Constant-Q transform.
    fft_frequencies : Frequencies of the FFT bins.

    Notes
    -----
    NumPy and CuPy. Matches ``librosa.cqt_frequencies``.

    Examples
    --------
    >>> import sigpu
    >>> f = sigpu.cqt_frequencies(84, fmin=sigpu.note_to_hz("C1"))
    >>> round(float(f[0]), 4), round(float(f[-1]), 4)
    (32.7032, 3951.0664)
    """
    n_bins = positive_int(n_bins, "n_bins")
    fmin = positive_float(fmin, "fmin")
    bins_per_octave = positive_int(bins_per_octave, "bins_per_octave")
    tuning = finite_float(tuning, "tuning")
    fmin = tuned_frequency(fmin, tuning, bins_per_octave)
    freqs = fmin * 2.0 ** (np.arange(n_bins, dtype=np.float64) / bins_per_octave)
    return namespace_for(xp).asarray(freqs)


def tuned_frequency(frequency: float, tuning: float, bins_per_octave) -> float:
    """``frequency * 2**(tuning / bins_per_octave)``; ParameterError where a huge ``tuning``
    takes it out of floating-point range (0 or inf)."""
    try:
        tuned = frequency * 2.0 ** (tuning / bins_per_octave)
    except OverflowError:
        tuned = math.inf
    if not 0.0 < tuned < math.inf:
        raise ParameterError(
            f"tuning={tuning!r} moves {frequency!r} Hz to {tuned} Hz, outside floating-point "
            f"range (tuning is in fractions of a bin at bins_per_octave={bins_per_octave})"
        )
    return tuned


@on_input_device
def hz_to_midi(frequencies):
    """MIDI note number(s) of frequencies in Hz (A440 = 69).

    Parameters
    ----------
    frequencies : float or array
        Frequencies in Hz.

    Returns
    -------
    notes : float or array like ``frequencies``
        Fractional MIDI note numbers.

    See Also
    --------
    midi_to_hz : MIDI note numbers to Hz.
    note_to_midi : Note names to MIDI note numbers.

    Notes
    -----
    NumPy and CuPy. Matches ``librosa.hz_to_midi``.

    Examples
    --------
    >>> import sigpu
    >>> float(sigpu.hz_to_midi(440.0))
    69.0
    """
    xp, f, scalar = _values(frequencies, "frequencies")
    return _out(12.0 * (xp.log2(f) - math.log2(440.0)) + 69.0, scalar)


@on_input_device
def midi_to_hz(notes):
    """Frequency in Hz of MIDI note number(s).

    Parameters
    ----------
    notes : float or array
        MIDI note numbers (fractional allowed).

    Returns
    -------
    frequencies : float or array like ``notes``
        Frequencies in Hz.

    See Also
    --------
    hz_to_midi : Hz to MIDI note numbers.
    note_to_hz : Note names to Hz.

    Notes
    -----
    NumPy and CuPy. Matches ``librosa.midi_to_hz``.

    Examples
    --------
    >>> import sigpu
    >>> float(sigpu.midi_to_hz(69))
    440.0
    """
    xp, m, scalar = _values(notes, "notes")
    return _out(440.0 * 2.0 ** ((m - 69.0) / 12.0), scalar)


_NOTE_RE = re.compile(
    r"^\s*(?P<letter>[A-Ga-g])(?P<accidental>[#♯b!♭𝄪𝄫♮x]*)(?P<octave>[+-]?\d+)?"
    r"(?P<cents>[+-]\d+)?\s*$"
)
_PITCH = {"C": 0, "D": 2, "E": 4, "F": 5, "G": 7, "A": 9, "B": 11}
_ACCIDENTAL = {"#": 1, "♯": 1, "x": 2, "𝄪": 2, "b": -1, "!": -1, "♭": -1, "𝄫": -2, "♮": 0}


def note_to_midi(note, *, round_midi=True):
    """MIDI number of a note name such as ``"A4"``, ``"C#3"``, ``"Db-1"`` or ``"E4+25"`` (cents).

    Parameters
    ----------
    note : str or sequence of str
        Note name(s): a letter, accidentals, an octave and optional cents.
    round_midi : bool
        Round to the nearest integer (the cents then only round).

    Returns
    -------
    midi : int, float or ndarray
        MIDI number(s); an array for a sequence of names.

    See Also
    --------
    note_to_hz : Note names to Hz.
    midi_to_hz : MIDI note numbers to Hz.

    Notes
    -----
    Host only (strings). Matches ``librosa.note_to_midi``; a missing octave
    means octave 0.

    Examples
    --------
    >>> import sigpu
    >>> sigpu.note_to_midi("C4")
    60
    """
    if not isinstance(note, str):
        if not isinstance(note, (list, tuple, np.ndarray)):
            raise TypeError(f"note={note!r} must be a note name such as 'C4' or a sequence of them")
        return np.array([note_to_midi(n, round_midi=round_midi) for n in note])
    match = _NOTE_RE.match(note)
    if match is None:
        raise ParameterError(f"note={note!r} is not a note name like 'C4', 'F#3' or 'Bb-1'")
    offset = sum(_ACCIDENTAL[c] for c in match["accidental"])
    octave = int(match["octave"]) if match["octave"] else 0
    cents = int(match["cents"]) / 100.0 if match["cents"] else 0.0
    midi = 12 * (octave + 1) + _PITCH[match["letter"].upper()] + offset + cents
    return int(round(midi)) if round_midi else midi


def note_to_hz(note, **kwargs):
    """Frequency in Hz of a note name (``"C1"`` is 32.703 Hz).

    Parameters
    ----------
    note : str or sequence of str
        Note name(s), as for :func:`note_to_midi`.
    **kwargs
        ``round_midi`` of :func:`note_to_midi` (default True: cents are rounded away).

    Returns
    -------
    frequencies : float or ndarray
        Frequencies in Hz.

    See Also
    --------
    note_to_midi : Note names to MIDI note numbers.
    hz_to_midi : Hz to MIDI note numbers.

    Notes
    -----
    Host only (strings). Matches ``librosa.note_to_hz``.

    Examples
    --------
    >>> import sigpu
    >>> round(float(sigpu.note_to_hz("A4")), 1)
    440.0
    """
    bad = set(kwargs) - {"round_midi"}
    if bad:
        raise TypeError(f"note_to_hz() got unexpected keyword argument(s) {sorted(bad)}")
    return midi_to_hz(note_to_midi(note, **kwargs))


def midi_to_note(midi, *, octave=True, cents=False, key="C:maj", unicode=True):
    """Note names of MIDI numbers: ``60`` is ``"C4"``, ``69.3`` with ``cents`` ``"A4+30"``.

    Each number is rounded to the nearest integer (halves to even); its pitch class is
    named as in ``key`` (``key="F:min"`` spells 61 ``"D♭4"``, ``"C:maj"`` ``"C♯4"``).

    Parameters
    ----------
    midi : number, sequence of numbers or NumPy array
        MIDI note numbers (finite).
    octave : bool
        Append the octave number (``int(round(midi) / 12) - 1``, as librosa).
    cents : bool
        Append the deviation from the rounded number in cents (``"+30"``); needs
        ``octave``.
    key : str
        Key whose spelling resolves enharmonic names: a tonic with accidentals, ``:``, and
        ``maj``/``major``, ``min``/``minor`` or a mode (``ionian`` .. ``locrian``, or
        their first three letters).
    unicode : bool
        Accidentals as ``♯ ♭ 𝄪 𝄫`` (else ``# b ## bb``).

    Returns
    -------
    notes : str or ndarray of str
        A ``str`` for a number; an array of ``midi``'s shape otherwise.

    Raises
    ------
    ParameterError
        ``cents`` without ``octave``, a malformed ``key``, or NaN/inf numbers.
    TypeError
        Non-numbers, or a CuPy array (names are host strings: pass
        ``cupy.asnumpy(midi)``).

    See Also
    --------
    hz_to_note : Note names of frequencies.
    note_to_midi : The inverse.

    Notes
    -----
    Host only (strings out; a CuPy array is refused). Matches ``librosa.midi_to_note``,
    key spelling included (librosa's ``key_to_notes``).

    Examples
    --------
    >>> import sigpu
    >>> sigpu.midi_to_note(61), sigpu.midi_to_note(61, key="F:min", unicode=False)
    ('C♯4', 'Db4')
    >>> sigpu.midi_to_note([69.3, 70], cents=True).tolist()
    ['A4+30', 'A♯4+0']
    """
    _refuse_device_array(midi, "midi", "midi_to_note")
    for flag, name in ((octave, "octave"), (cents, "cents"), (unicode, "unicode")):
        if not isinstance(flag, (bool, np.bool_)):
            raise TypeError(f"{name}={flag!r} must be True or False")
    if cents and not octave:
        raise ParameterError("Cannot encode cents without octave information.")
    names = key_to_notes(key, unicode)
    scalar = np.isscalar(midi)  # a str back for a number, as librosa's np.vectorize
    try:
        values = np.asarray(midi)
    except (TypeError, ValueError):  # ragged sequences
        values = np.asarray(None)
    if values.dtype.kind not in "biuf":
        raise TypeError(f"midi={midi!r} must be a number, a sequence or an array of numbers")
    if not np.all(np.isfinite(values)):
        raise ParameterError("midi must hold finite numbers (got NaN or inf)")
    # Python numbers, as librosa's np.vectorize hands them to its formatting
    flat = [_note_name(m, names, octave, cents) for m in values.reshape(-1).tolist()]
    if scalar:
        return flat[0]
    return np.array(flat, dtype=str).reshape(values.shape)


def _refuse_device_array(value, name, func):
    """TypeError for a CuPy array: note names are host strings, and a copy from the device
    is the caller's to make."""
    if is_device_array(value):
        raise TypeError(
            f"{func}: note names are host strings; pass a NumPy array (cupy.asnumpy({name}))"
        )


def _note_name(midi, names, octave, cents):
    number = int(np.round(midi))
    name = names[number % 12]
    if octave:
        name = f"{name}{int(number / 12) - 1}"
    if cents:
        name = f"{name}{int(100 * np.around(midi - number, 2)):+02d}"  # "+3", "+30"
    return name


def hz_to_note(frequencies, **kwargs):
    """Note names of frequencies in Hz: ``midi_to_note(hz_to_midi(frequencies), **kwargs)``.

    Parameters
    ----------
    frequencies : number, sequence of numbers or NumPy array
        Frequencies in Hz (positive and finite, else ParameterError).
    **kwargs
        ``octave``, ``cents``, ``key``, ``unicode`` of :func:`midi_to_note`.

    Returns
    -------
    notes : str or ndarray of str

    See Also
    --------
    midi_to_note : Note names of MIDI numbers.
    note_to_hz : The inverse.

    Notes
    -----
    Host only (strings out; a CuPy array is refused). Matches ``librosa.hz_to_note``.

    Examples
    --------
    >>> import sigpu
    >>> sigpu.hz_to_note(440.0), sigpu.hz_to_note(445.0, cents=True)
    ('A4', 'A4+20')
    """
    bad = set(kwargs) - {"octave", "cents", "key", "unicode"}
    if bad:
        raise TypeError(f"hz_to_note() got unexpected keyword argument(s) {sorted(bad)}")
    _refuse_device_array(frequencies, "frequencies", "hz_to_note")
    _, f, _ = _values(frequencies, "frequencies")
    if not np.all(f > 0) or not np.all(np.isfinite(f)):
        raise ParameterError("frequencies must be positive and finite to have note names")
    return midi_to_note(hz_to_midi(frequencies), **kwargs)


def _offset(n_fft):
    return 0 if n_fft is None else positive_int(n_fft, "n_fft") // 2


@on_input_device
def frames_to_samples(frames, *, hop_length=512, n_fft=None):
    """Sample index of frame(s): ``frames * hop_length + n_fft // 2`` (offset only if n_fft).

    Parameters
    ----------
    frames : int or array
        Frame indices.
    hop_length : int > 0
        Samples between frames.
    n_fft : int > 0 or None
        If given, offset by ``n_fft // 2`` (the centre of an uncentred frame).

    Returns
    -------
    samples : int or integer array like ``frames``
        Sample indices.

    See Also
    --------
    samples_to_frames : Sample indices to frame indices.
    frames_to_time : Frame indices to seconds.

    Examples
    --------
    >>> import sigpu
    >>> int(sigpu.frames_to_samples(3, hop_length=512))
    1536
    """
    hop_length = positive_int(hop_length, "hop_length")
    offset = _offset(n_fft)
    xp, f, scalar = _values(frames, "frames")
    out = _indices(xp.floor(f), xp, "frames") * hop_length + offset
    return _out(out, scalar)


@on_input_device
def samples_to_frames(samples, *, hop_length=512, n_fft=None):
    """Frame index containing sample(s): ``floor((samples - n_fft // 2) / hop_length)``.

    Parameters
    ----------
    samples : int or array
        Sample indices.
    hop_length : int > 0
        Samples between frames.
    n_fft : int > 0 or None
        If given, samples are first shifted back by ``n_fft // 2``.

    Returns
    -------
    frames : int or integer array like ``samples``
        Frame indices.

    See Also
    --------
    frames_to_samples : Frame indices to sample indices.
    time_to_frames : Seconds to frame indices.

    Examples
    --------
    >>> import sigpu
    >>> int(sigpu.samples_to_frames(1600, hop_length=512))
    3
    """
    hop_length = positive_int(hop_length, "hop_length")
    offset = _offset(n_fft)
    xp, s, scalar = _values(samples, "samples")
    out = _indices(xp.floor((s - offset) / hop_length), xp, "samples")
    return _out(out, scalar)


@on_input_device
def samples_to_time(samples, *, sr=22050):
    """Time in seconds of sample index(es): ``samples / sr``.

    Parameters
    ----------
    samples : int, float or array
        Sample indices.
    sr : float > 0
        Sampling rate in Hz.

    Returns
    -------
    times : float or array like ``samples``
        Times in seconds.

    See Also
    --------
    time_to_samples : Seconds to sample indices.
    frames_to_time : Frame indices to seconds.

    Examples
    --------
    >>> import sigpu
    >>> float(sigpu.samples_to_time(22050, sr=22050))
    1.0
    """
    sr = positive_float(sr, "sr")
    xp, s, scalar = _values(samples, "samples")
    return _out(s / sr, scalar)


@on_input_device
def time_to_samples(times, *, sr=22050):
    """Sample index of time(s) in seconds: ``int(times * sr)`` (truncation, as librosa).

    Parameters
    ----------
    times : float or array
        Times in seconds.
    sr : float > 0
        Sampling rate in Hz.

    Returns
    -------
    samples : int or integer array like ``times``
        Sample indices.

    See Also
    --------
    samples_to_time : Sample indices to seconds.
    time_to_frames : Seconds to frame indices.

    Examples
    --------
    >>> import sigpu
    >>> int(sigpu.time_to_samples(0.5, sr=22050))
    11025
    """
    sr = positive_float(sr, "sr")
    xp, t, scalar = _values(times, "times")
    return _out(_indices(xp.trunc(t * sr), xp, "times"), scalar)


@on_input_device
def frames_to_time(frames, *, sr=22050, hop_length=512, n_fft=None):
    """Time (s) of frame(s): ``frames_to_samples(frames, ...) / sr``.

    Parameters
    ----------
    frames : int or array
        Frame indices.
    sr : float > 0
        Sampling rate in Hz.
    hop_length, n_fft
        As for :func:`frames_to_samples`.

    Returns
    -------
    times : float or array like ``frames``
        Times in seconds.

    See Also
    --------
    time_to_frames : Seconds to frame indices.
    frames_to_samples : Frame indices to sample indices.

    Notes
    -----
    NumPy and CuPy. Matches ``librosa.frames_to_time``.

    Examples
    --------
    >>> import sigpu
    >>> round(float(sigpu.frames_to_time(43, sr=22050, hop_length=512)), 4)
    0.9985
    """
    samples = frames_to_samples(frames, hop_length=hop_length, n_fft=n_fft)
    return samples_to_time(samples, sr=sr)


@on_input_device
def time_to_frames(times, *, sr=22050, hop_length=512, n_fft=None):
    """Frame index of time(s) in seconds; inverse of :func:`frames_to_time` (floor).

    Parameters
    ----------
    times : float or array
        Times in seconds.
    sr : float > 0
        Sampling rate in Hz.
    hop_length, n_fft
        As for :func:`samples_to_frames`.

    Returns
    -------
    frames : int or integer array like ``times``
        Frame indices.

    See Also
    --------
    frames_to_time : Frame indices to seconds.
    time_to_samples : Seconds to sample indices.

    Examples
    --------
    >>> import sigpu
    >>> int(sigpu.time_to_frames(1.0, sr=22050, hop_length=512))
    43
    """
    samples = time_to_samples(times, sr=sr)
    return samples_to_frames(samples, hop_length=hop_length, n_fft=n_fft)


def _axis_length(X, axis):
    """Length of the frame axis of ``X`` (or ``X`` itself for an integer) and the namespace
    of the result: ``X``'s for an array, NumPy for a count."""
    if is_int(X):
        if X < 0:
            raise ParameterError(f"X={X!r} must be a non-negative frame count or an array")
        return int(X), namespace_for(None)
    if not (isinstance(X, np.ndarray) or is_device_array(X)):
        raise TypeError(f"X={X!r} must be an integer frame count or an array (NumPy or CuPy)")
    if np.dtype(X.dtype).kind not in "biufc":
        raise TypeError(f"X has dtype {np.dtype(X.dtype).name}; it must be a numeric array")
    if X.ndim == 0:
        raise ParameterError("X is 0-d; it needs a frame axis (or pass the frame count)")
    if not is_int(axis) or not -X.ndim <= axis < X.ndim:
        raise ParameterError(f"axis={axis!r} must be an integer in [-{X.ndim}, {X.ndim})")
    return int(X.shape[axis]), array_namespace(X)


@on_input_device
def samples_like(X, *, hop_length=512, n_fft=None, axis=-1):
    """Sample index of each frame of ``X``: ``frames_to_samples(arange(X.shape[axis]))``.

    Parameters
    ----------
    X : array or int >= 0
        A feature matrix whose ``axis`` counts frames, or the number of frames.
    hop_length : int > 0
        Samples between frames.
    n_fft : None or int > 0
        If given, offset by ``n_fft // 2`` (the centre of each frame).
    axis : int
        The frame axis of ``X`` (ignored for a count).

    Returns
    -------
    samples : array, shape (n_frames,), int64
        On ``X``'s backend (NumPy for a count).

    See Also
    --------
    times_like : The same frames in seconds.
    frames_to_samples : Frame indices to sample indices.

    Notes
    -----
    NumPy and CuPy. Matches ``librosa.samples_like`` for NumPy and counts; a CuPy ``X``
    gives a CuPy result on its device (librosa returns NumPy), so it can index CuPy data.

    Examples
    --------
    >>> import numpy as np
    >>> import sigpu
    >>> sigpu.samples_like(np.zeros((2, 4)), hop_length=256).tolist()
    [0, 256, 512, 768]
    """
    n_frames, xp = _axis_length(X, axis)
    hop_length = positive_int(hop_length, "hop_length")
    offset = _offset(n_fft)
    return xp.arange(n_frames, dtype=xp.int64) * hop_length + offset


@on_input_device
def times_like(X, *, sr=22050, hop_length=512, n_fft=None, axis=-1):
    """Time (s) of each frame of ``X``: ``frames_to_time(arange(X.shape[axis]))``.

    Parameters
    ----------
    X : array or int >= 0
        A feature matrix whose ``axis`` counts frames, or the number of frames.
    sr : float > 0
        Sampling rate in Hz.
    hop_length, n_fft, axis
        As for :func:`samples_like`.

    Returns
    -------
    times : array, shape (n_frames,), float64
        On ``X``'s backend (NumPy for a count).

    See Also
    --------
    samples_like : The same frames in samples.
    frames_to_time : Frame indices to seconds.

    Notes
    -----
    NumPy and CuPy. Matches ``librosa.times_like`` for NumPy and counts; a CuPy ``X``
    gives a CuPy result on its device (librosa returns NumPy).

    Examples
    --------
    >>> import sigpu
    >>> sigpu.times_like(3, sr=1000, hop_length=250).tolist()
    [0.0, 0.25, 0.5]
    """
    sr = positive_float(sr, "sr")
    samples = samples_like(X, hop_length=hop_length, n_fft=n_fft, axis=axis)
    return samples / sr


def _a440(tuning, bins_per_octave):
    """A4 in Hz at ``tuning`` (fractions of a bin at ``bins_per_octave``)."""
    bins_per_octave = positive_int(bins_per_octave, "bins_per_octave")
    return tuned_frequency(440.0, finite_float(tuning, "tuning"), bins_per_octave)


@on_input_device
def hz_to_octs(frequencies, *, tuning=0.0, bins_per_octave=12):
    """Octave number(s) of frequencies in Hz: ``log2(f / (A440 / 16))`` (A4 = 4.75, C0 = 0).

    Parameters
    ----------
    frequencies : float or array
        Frequencies in Hz.
    tuning : float
        Deviation of A4 from 440 Hz in fractions of a bin.
    bins_per_octave : int > 0
        Bins per octave that ``tuning`` counts in.

    Returns
    -------
    octaves : float or array like ``frequencies``

    See Also
    --------
    octs_to_hz : Octave numbers to Hz.
    hz_to_midi : Hz to MIDI note numbers.

    Notes
    -----
    NumPy and CuPy. Matches ``librosa.hz_to_octs``.

    Examples
    --------
    >>> import sigpu
    >>> float(sigpu.hz_to_octs(440.0))
    4.0
    """
    a440 = _a440(tuning, bins_per_octave)
    xp, f, scalar = _values(frequencies, "frequencies")
    return _out(xp.log2(f / (a440 / 16)), scalar)


@on_input_device
def octs_to_hz(octs, *, tuning=0.0, bins_per_octave=12):
    """Frequency in Hz of octave number(s): ``(A440 / 16) * 2**octs``.

    Parameters
    ----------
    octs : float or array
        Octave numbers (A4 = 4 with ``tuning=0``).
    tuning, bins_per_octave
        As for :func:`hz_to_octs`.

    Returns
    -------
    frequencies : float or array like ``octs``

    See Also
    --------
    hz_to_octs : Hz to octave numbers.
    midi_to_hz : MIDI note numbers to Hz.

    Notes
    -----
    NumPy and CuPy. Matches ``librosa.octs_to_hz``.

    Examples
    --------
    >>> import sigpu
    >>> float(sigpu.octs_to_hz(1.0))
    55.0
    """
    a440 = _a440(tuning, bins_per_octave)
    xp, o, scalar = _values(octs, "octs")
    return _out((a440 / 16) * 2.0**o, scalar)


@on_input_device
def A4_to_tuning(A4, *, bins_per_octave=12):  # noqa: N802, N803 (librosa's names)
    """Tuning deviation (fractions of a bin) of a reference pitch ``A4`` in Hz from 440 Hz.

    Parameters
    ----------
    A4 : float or array
        Frequency of A4 in Hz.
    bins_per_octave : int > 0

    Returns
    -------
    tuning : float or array like ``A4``
        ``bins_per_octave * (log2(A4) - log2(440))``.

    See Also
    --------
    tuning_to_A4 : The inverse.
    hz_to_octs : Hz to octave numbers at a tuning.

    Notes
    -----
    NumPy and CuPy. Matches ``librosa.A4_to_tuning``.

    Examples
    --------
    >>> import sigpu
    >>> round(float(sigpu.A4_to_tuning(432.0)), 4)
    -0.3177
    """
    bins_per_octave = positive_int(bins_per_octave, "bins_per_octave")
    xp, a4, scalar = _values(A4, "A4")
    return _out(bins_per_octave * (xp.log2(a4) - math.log2(440.0)), scalar)


@on_input_device
def tuning_to_A4(tuning, *, bins_per_octave=12):  # noqa: N802 (librosa's name)
    """Frequency of A4 in Hz at a tuning deviation (fractions of a bin) from 440 Hz.

    Parameters
    ----------
    tuning : float or array
        Tuning deviation in fractions of a bin.
    bins_per_octave : int > 0

    Returns
    -------
    A4 : float or array like ``tuning``
        ``440 * 2**(tuning / bins_per_octave)``.

    See Also
    --------
    A4_to_tuning : The inverse.
    octs_to_hz : Octave numbers to Hz at a tuning.

    Notes
    -----
    NumPy and CuPy. Matches ``librosa.tuning_to_A4``.

    Examples
    --------
    >>> import sigpu
    >>> float(sigpu.tuning_to_A4(-1.0))
    415.3046975799451
    """
    bins_per_octave = positive_int(bins_per_octave, "bins_per_octave")
    xp, t, scalar = _values(tuning, "tuning")
    return _out(440.0 * 2.0 ** (t / bins_per_octave), scalar)


def tempo_frequencies(n_bins, *, hop_length=512, sr=22050, xp=None):
    """Tempo (BPM) of each lag bin of an onset autocorrelation (tempogram): ``60 sr / (hop k)``.

    Parameters
    ----------
    n_bins : int > 0
        Number of lag bins.
    hop_length : int > 0
        Samples between onset frames.
    sr : float > 0
        Sampling rate in Hz.
    xp : None, "numpy", "cupy" or module
        Namespace of the result (NumPy by default).

    Returns
    -------
    bpm : array, shape (n_bins,), float64
        Lag 0 is ``inf`` BPM, as in librosa.

    See Also
    --------
    fourier_tempo_frequencies : Tempi of a Fourier tempogram's bins.
    fft_frequencies : Frequencies of the FFT bins.

    Notes
    -----
    NumPy and CuPy. Matches ``librosa.tempo_frequencies``.

    Examples
    --------
    >>> import sigpu
    >>> sigpu.tempo_frequencies(4, hop_length=512, sr=22050).round(2).tolist()
    [inf, 2583.98, 1291.99, 861.33]
    """
    n_bins = positive_int(n_bins, "n_bins")
    hop_length = positive_int(hop_length, "hop_length")
    sr = positive_float(sr, "sr")
    bpm = np.empty(n_bins, dtype=np.float64)
    bpm[0] = np.inf
    # librosa's order of operations, for identical rounding
    bpm[1:] = 60.0 * sr / (float(hop_length) * np.arange(1.0, n_bins))
    return namespace_for(xp).asarray(bpm)


def fourier_tempo_frequencies(*, sr=22050, win_length=384, hop_length=512, xp=None):
    """Tempo (BPM) of each bin of a Fourier tempogram: the FFT frequencies at the frame rate.

    Parameters
    ----------
    sr : float > 0
        Sampling rate in Hz.
    win_length : int > 0
        Frames per tempogram window (the FFT length).
    hop_length : int > 0
        Samples between onset frames.
    xp : None, "numpy", "cupy" or module
        Namespace of the result (NumPy by default).

    Returns
    -------
    bpm : array, shape (1 + win_length // 2,), float64

    See Also
    --------
    tempo_frequencies : Tempi of an autocorrelation tempogram's lags.
    fft_frequencies : Frequencies of the FFT bins.

    Notes
    -----
    NumPy and CuPy. Matches ``librosa.fourier_tempo_frequencies``.

    Examples
    --------
    >>> import sigpu
    >>> sigpu.fourier_tempo_frequencies(sr=22050, win_length=4, hop_length=512).round(2).tolist()
    [0.0, 646.0, 1291.99]
    """
    sr = positive_float(sr, "sr")
    hop_length = positive_int(hop_length, "hop_length")
    win_length = positive_int(win_length, "win_length")
    frame_rate_per_minute = sr * 60 / float(hop_length)
    return fft_frequencies(sr=frame_rate_per_minute, n_fft=win_length, xp=xp)
