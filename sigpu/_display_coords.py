"""Axis coordinates and note names for :mod:`sigpu.display`: NumPy only, no matplotlib.

The coordinates are the centres of the rows or columns of an image, as librosa 0.11's
``specshow`` computes them; matplotlib's ``pcolormesh(shading="auto")`` turns ``n`` centres
into ``n + 1`` cell edges (midpoints, extrapolated by half a step at both ends).
"""

from __future__ import annotations

import functools
import re
import warnings

import numpy as np

from ._errors import ParameterError
from .convert import (
    cqt_frequencies,
    fft_frequencies,
    frames_to_time,
    mel_frequencies,
    note_to_hz,
)

TIME_UNITS = {"h": "hours", "m": "minutes", "s": "seconds", "ms": "milliseconds"}
TIME_TYPES = ("time", *TIME_UNITS)
LAG_TYPES = ("lag", *(f"lag_{unit}" for unit in TIME_UNITS))
FFT_TYPES = ("linear", "fft", "hz", "log", "fft_note")
CQT_TYPES = ("cqt_hz", "cqt_note")
VQT_TYPES = ("vqt_hz", "vqt_note")
CHROMA_TYPES = ("chroma",)
INDEX_TYPES = ("tonnetz", "frames", "off", "none", None)
TEMPO_TYPES = ("tempo", "fourier_tempo")
AXIS_TYPES = (
    *TIME_TYPES,
    *LAG_TYPES,
    *FFT_TYPES,
    "mel",
    *CQT_TYPES,
    *VQT_TYPES,
    *CHROMA_TYPES,
    *TEMPO_TYPES,
    *INDEX_TYPES,
)


def check_axis_type(ax_type, name: str) -> None:
    if ax_type not in AXIS_TYPES:
        accepted = ", ".join(repr(t) for t in AXIS_TYPES)
        raise ParameterError(f"{name}={ax_type!r} is not an axis type: use one of {accepted}")


def axis_coords(ax_type, n: int, p: dict) -> np.ndarray:
    """Centres of ``n`` rows/columns for axis type ``ax_type``; ``p`` holds specshow's
    parameters (sr, hop_length, n_fft, win_length, fmin, fmax, tuning, bins_per_octave, htk)."""
    if ax_type in TIME_TYPES or ax_type in LAG_TYPES:
        return frames_to_time(np.arange(n), sr=p["sr"], hop_length=p["hop_length"])
    if ax_type in FFT_TYPES:
        n_fft = 2 * (n - 1) if p["n_fft"] is None else p["n_fft"]
        return fft_frequencies(sr=p["sr"], n_fft=n_fft)
    if ax_type == "mel":
        fmin = 0.0 if p["fmin"] is None else p["fmin"]
        fmax = 0.5 * p["sr"] if p["fmax"] is None else p["fmax"]
        return mel_frequencies(n, fmin=fmin, fmax=fmax, htk=p["htk"])
    if ax_type in CQT_TYPES:
        return _cqt_coords(n, p)
    if ax_type in VQT_TYPES:
        fmin = note_to_hz("C1") if p["fmin"] is None else p["fmin"]
        freqs = interval_frequencies(n, fmin, p["intervals"], p["bins_per_octave"])
        _warn_above_nyquist(freqs, p["sr"])
        return freqs
    if ax_type in CHROMA_TYPES:
        return np.linspace(0, 12.0 * n / p["bins_per_octave"], num=n, endpoint=False)
    if ax_type == "tempo":
        # tempo of lag k (frames) in BPM: 60 sr / (hop k), for lags 1..n (lag 0 is infinite)
        return 60.0 * p["sr"] / (p["hop_length"] * np.arange(1, n + 1))
    if ax_type == "fourier_tempo":
        win_length = 2 * (n - 1) if p["win_length"] is None else p["win_length"]
        return 60.0 * fft_frequencies(sr=p["sr"] / p["hop_length"], n_fft=win_length)
    return np.arange(n)


def _cqt_coords(n: int, p: dict) -> np.ndarray:
    fmin = note_to_hz("C1") if p["fmin"] is None else p["fmin"]
    bins_per_octave = p["bins_per_octave"]
    with np.errstate(over="ignore", under="ignore"):
        tuned = float(fmin * np.exp2(p["tuning"] / bins_per_octave))
    if not (np.isfinite(tuned) and tuned > 0):
        raise ParameterError(
            f"tuning={p['tuning']!r} (fractions of a bin) moves fmin={fmin!r} Hz to {tuned!r} Hz: "
            "the tuned lowest frequency must be positive and finite"
        )
    fmin = tuned
    freqs = cqt_frequencies(n, fmin=fmin, bins_per_octave=bins_per_octave)
    _warn_above_nyquist(freqs, p["sr"])
    return freqs


def _warn_above_nyquist(freqs, sr) -> None:
    if np.any(freqs > 0.5 * sr):
        warnings.warn(
            "Frequency axis exceeds Nyquist. "
            "Did you remember to set all spectrogram parameters in specshow?",
            stacklevel=5,
        )


def interval_ratios(intervals, bins_per_octave: int) -> np.ndarray:
    """One octave of frequency ratios in [1, 2): equal temperament or the given ones (the
    just-intonation names of librosa are not provided)."""
    if isinstance(intervals, str) and intervals == "equal":
        return 2.0 ** (np.arange(bins_per_octave, dtype=float) / bins_per_octave)
    ratios = None if intervals is None or isinstance(intervals, str) else np.asarray(intervals)
    if (
        ratios is None
        or ratios.ndim != 1
        or ratios.size == 0
        or ratios.dtype.kind not in "iuf"
        or not np.all((ratios >= 1) & (ratios < 2))
    ):
        raise ParameterError(
            f"intervals={intervals!r} must be 'equal' or a sequence of frequency ratios in "
            "[1, 2) (VQT axes; librosa's just-intonation names are not provided)"
        )
    return ratios.astype(float)


def interval_frequencies(n: int, fmin: float, intervals, bins_per_octave: int) -> np.ndarray:
    """``n`` frequencies from ``fmin``: the octave of ratios tiled upwards, sorted
    (librosa.interval_frequencies)."""
    ratios = interval_ratios(intervals, bins_per_octave)
    n_octaves = int(np.ceil(n / ratios.size))
    tiled = np.multiply.outer(2.0 ** np.arange(n_octaves), ratios).ravel()[:n]
    return np.sort(tiled) * fmin


# ------------------------------------------------------------------- note names of a key

_LETTERS = "CDEFGAB"
_NATURAL_PC = {"C": 0, "D": 2, "E": 4, "F": 5, "G": 7, "A": 9, "B": 11}
_MODES = {
    "maj": (0, 2, 4, 5, 7, 9, 11),
    "major": (0, 2, 4, 5, 7, 9, 11),
    "min": (0, 2, 3, 5, 7, 8, 10),
    "minor": (0, 2, 3, 5, 7, 8, 10),
}
_KEY = re.compile(r"^(?P<tonic>[A-Ga-g])(?P<accidental>[#♯b!♭]?):(?P<mode>[a-z]+)$")
_SHARP, _FLAT = "♯", "♭"
_UNICODE_ACCIDENTALS = {-2: "𝄫", -1: _FLAT, 0: "", 1: _SHARP, 2: "𝄪"}
_ASCII_ACCIDENTALS = {-2: "bb", -1: "b", 0: "", 1: "#", 2: "##"}


def _parse_key(key):
    match = _KEY.match(key) if isinstance(key, str) else None
    if match is None or match.group("mode") not in _MODES:
        raise ParameterError(
            f"key={key!r} must be TONIC[#|b]:MODE with MODE one of maj, major, min, minor "
            "(for example 'C:maj', 'Eb:min')"
        )
    tonic = match.group("tonic").upper()
    accidental = match.group("accidental")
    offset = 1 if accidental in ("#", _SHARP) else -1 if accidental else 0
    return tonic, offset, _MODES[match.group("mode")]


def key_to_degrees(key: str) -> np.ndarray:
    """Pitch classes of the scale of ``key``, from its tonic (librosa.key_to_degrees)."""
    tonic, offset, intervals = _parse_key(key)
    return (_NATURAL_PC[tonic] + offset + np.array(intervals)) % 12


def key_to_notes(key: str, *, unicode: bool = True) -> list[str]:
    """The names of the twelve pitch classes spelled in ``key`` (librosa.key_to_notes):
    scale notes take the key signature's letter names, the others the key's accidental
    (sharps on a tie)."""
    if not isinstance(key, str):
        _parse_key(key)  # ParameterError naming key (and no unhashable key in the cache)
    return list(_spelling(key, bool(unicode)))


@functools.lru_cache(maxsize=64)  # every tick label of a note axis asks again
def _spelling(key: str, unicode: bool) -> tuple[str, ...]:
    tonic, offset, intervals = _parse_key(key)
    first = _LETTERS.index(tonic)
    scale = {}
    for step, interval in enumerate(intervals):
        letter = _LETTERS[(first + step) % 7]
        pitch_class = (_NATURAL_PC[tonic] + offset + interval) % 12
        scale[pitch_class] = (letter, (pitch_class - _NATURAL_PC[letter] + 6) % 12 - 6)
    signature = sum(acc for _, acc in scale.values())
    use_sharps = offset > 0 or (offset == 0 and signature >= 0)
    symbols = _UNICODE_ACCIDENTALS if unicode else _ASCII_ACCIDENTALS
    names = []
    for pitch_class in range(12):
        if pitch_class in scale:
            letter, acc = scale[pitch_class]
        elif pitch_class in _NATURAL_PC.values():
            letter, acc = _LETTERS[list(_NATURAL_PC.values()).index(pitch_class)], 0
        elif use_sharps:
            letter, acc = _LETTERS[list(_NATURAL_PC.values()).index(pitch_class - 1)], 1
        else:
            letter, acc = _LETTERS[list(_NATURAL_PC.values()).index((pitch_class + 1) % 12)], -1
        names.append(letter + symbols[acc])
    return tuple(names)


def midi_to_note(
    midi: float, *, octave: bool = True, cents: bool = False, key: str = "C:maj", unicode=True
) -> str:
    """One MIDI number as a note name, spelled and rounded as librosa.midi_to_note."""
    note_num = int(np.round(midi))
    name = key_to_notes(key, unicode=unicode)[note_num % 12]
    if octave:
        name += f"{int(note_num / 12) - 1:d}"  # librosa truncates towards zero
    if cents:
        name += f"{int(100 * np.around(midi - note_num, 2)):+02d}"
    return name
