"""Scales, tick locators and tick labels of :mod:`sigpu.display` (imports matplotlib).

Imported by the display functions on first use, so that ``import sigpu`` and
``import sigpu.display`` work without matplotlib.  The tick rules and label formats are
librosa 0.11's ``specshow`` ones, so figures read the same after switching.
"""

from __future__ import annotations

import numpy as np
from matplotlib import ticker

from ._display_coords import TIME_UNITS, interval_frequencies, key_to_degrees, midi_to_note
from .convert import hz_to_midi, note_to_hz

# Time ticks at "round" steps: 1, 1.5, 5, 6 and 10 times a power of ten (seconds, minutes)
_TIME_STEPS = [1, 1.5, 5, 6, 10]
_TONNETZ_LABELS = [r"5$_x$", r"5$_y$", r"m3$_x$", r"m3$_y$", r"M3$_x$", r"M3$_y$"]


class TimeFormatter(ticker.Formatter):
    """Seconds as h:mm:ss, m:ss, seconds or milliseconds (by ``unit`` or the view's span);
    ``lag``: past the middle of the data, times count back from its end."""

    def __init__(self, lag: bool = False, unit: str | None = None):
        self.lag, self.unit = lag, unit

    def __call__(self, x, pos=None):
        _, data_max = self.axis.get_data_interval()
        view_min, view_max = self.axis.get_view_interval()
        span = view_max - view_min
        sign, value = "", x
        if self.lag and x >= 0.5 * data_max:
            if x > data_max:
                return ""
            sign, value = "-", abs(x - data_max)
        unit = self.unit
        if unit == "h" or (unit is None and span > 3600):
            minutes, seconds = int(np.mod(value / 60, 60)), int(np.mod(value, 60))
            text = f"{int(value / 3600)}:{minutes:02d}:{seconds:02d}"
        elif unit == "m" or (unit is None and span > 60):
            text = f"{int(value / 60)}:{int(np.mod(value, 60)):02d}"
        elif unit == "s":
            text = f"{value:.3g}"
        elif unit is None and span >= 1:
            text = f"{value:.2g}"
        elif unit == "ms":
            text = f"{value * 1000:.3g}"
        else:
            text = f"{value:.3f}"
        return sign + text


class NoteFormatter(ticker.Formatter):
    """Frequencies in Hz as note names of ``key``; cents when the view spans under an
    octave; minor ticks (``major=False``) labelled only when it spans under two octaves."""

    def __init__(self, key: str = "C:maj", major: bool = True, unicode: bool = True):
        self.key, self.major, self.unicode = key, major, unicode

    def __call__(self, x, pos=None):
        if x <= 0:
            return ""
        view_min, view_max = self.axis.get_view_interval()
        if not self.major and view_max > 4 * max(1, view_min):
            return ""
        cents = view_max <= 2 * max(1, view_min)
        midi = float(hz_to_midi(np.asarray(x, dtype=float)))
        return midi_to_note(midi, cents=cents, key=self.key, unicode=self.unicode)


class LogHzFormatter(ticker.Formatter):
    """Frequencies in Hz as ``%g``; minor ticks only when the view spans under two octaves."""

    def __init__(self, major: bool = True):
        self.major = major

    def __call__(self, x, pos=None):
        if x <= 0:
            return ""
        view_min, view_max = self.axis.get_view_interval()
        if not self.major and view_max > 4 * max(1, view_min):
            return ""
        return f"{x:g}"


class ChromaFormatter(ticker.Formatter):
    """Chroma bin positions as pitch-class names of ``key``."""

    def __init__(self, key: str = "C:maj", unicode: bool = True):
        self.key, self.unicode = key, unicode

    def __call__(self, x, pos=None):
        return midi_to_note(int(x), octave=False, key=self.key, unicode=self.unicode)


class TonnetzFormatter(ticker.Formatter):
    """The six tonal-centroid dimensions (fifths, minor and major thirds, x and y)."""

    def __call__(self, x, pos=None):
        return _TONNETZ_LABELS[int(x)]


def scale_axis(axes, ax_type, which: str, tempo_min, tempo_max) -> None:
    """Log or symmetric-log scale for frequency and tempo axes (librosa's choices)."""
    set_scale = axes.set_xscale if which == "x" else axes.set_yscale
    if ax_type == "mel":
        set_scale("symlog", linthresh=1000.0, base=2)
    elif ax_type in ("cqt_hz", "cqt_note", "vqt_hz", "vqt_note"):
        set_scale("log", base=2)
    elif ax_type in ("log", "fft_note"):
        set_scale("symlog", base=2, linthresh=float(note_to_hz("C2")), linscale=0.5)
    elif ax_type in ("tempo", "fourier_tempo"):
        set_scale("log", base=2)
        (axes.set_xlim if which == "x" else axes.set_ylim)(tempo_min, tempo_max)


def _octave_offset(frequency: float) -> float:
    """Where ``frequency`` sits within its power-of-two octave: log ticks at its octaves."""
    log_f = np.log2(float(frequency))
    return float(2.0 ** (log_f - np.floor(log_f)))


def _c1_octave_offset() -> float:
    return _octave_offset(note_to_hz("C1"))


def _semitone_locator(offset: float):
    return ticker.LogLocator(base=2.0, subs=offset * 2.0 ** (np.arange(1, 12) / 12.0))


def decorate_axis(
    axis, ax_type, *, key: str = "C:maj", unicode: bool = True, fmin=None, intervals=None
) -> None:
    """Locators, formatters and label of one axis (matplotlib ``Axis``)."""
    if ax_type in ("time", *TIME_UNITS, "lag") or str(ax_type).startswith("lag_"):
        _decorate_time(axis, ax_type)
    elif ax_type in ("vqt_hz", "vqt_note"):
        _decorate_vqt(axis, ax_type, key, unicode, fmin, intervals)
    elif ax_type == "tonnetz":
        axis.set_major_formatter(TonnetzFormatter())
        axis.set_major_locator(ticker.FixedLocator(np.arange(6)))
        axis.set_label_text("Tonnetz")
    elif ax_type == "chroma":
        axis.set_major_formatter(ChromaFormatter(key=key, unicode=unicode))
        octaves = 12 * np.arange(10)
        axis.set_major_locator(
            ticker.FixedLocator(np.add.outer(octaves, key_to_degrees(key)).ravel())
        )
        axis.set_label_text("Pitch class")
    elif ax_type in ("tempo", "fourier_tempo"):
        axis.set_major_formatter(ticker.ScalarFormatter())
        axis.set_major_locator(ticker.LogLocator(base=2.0))
        axis.set_label_text("BPM")
    elif ax_type == "cqt_note":
        offset = _c1_octave_offset()
        axis.set_major_formatter(NoteFormatter(key=key, unicode=unicode))
        axis.set_major_locator(ticker.LogLocator(base=2.0, subs=(offset,)))
        axis.set_minor_formatter(NoteFormatter(key=key, major=False, unicode=unicode))
        axis.set_minor_locator(_semitone_locator(offset))
        axis.set_label_text("Note")
    elif ax_type == "cqt_hz":
        axis.set_major_formatter(LogHzFormatter())
        axis.set_major_locator(ticker.LogLocator(base=2.0))
        axis.set_minor_formatter(LogHzFormatter(major=False))
        axis.set_minor_locator(_semitone_locator(_c1_octave_offset()))
        axis.set_label_text("Hz")
    elif ax_type == "fft_note":
        axis.set_major_formatter(NoteFormatter(key=key, unicode=unicode))
        axis.set_major_locator(ticker.SymmetricalLogLocator(axis.get_transform()))
        axis.set_minor_formatter(NoteFormatter(key=key, major=False, unicode=unicode))
        axis.set_minor_locator(_semitone_locator(1.0))
        axis.set_label_text("Note")
    elif ax_type in ("mel", "log"):
        axis.set_major_formatter(ticker.ScalarFormatter())
        axis.set_major_locator(ticker.SymmetricalLogLocator(axis.get_transform()))
        axis.set_label_text("Hz")
    elif ax_type in ("linear", "hz", "fft"):
        axis.set_major_formatter(ticker.ScalarFormatter())
        axis.set_label_text("Hz")
    elif ax_type == "frames":
        axis.set_label_text("Frames")
    else:  # "off", "none", None
        axis.set_label_text("")
        axis.set_ticks([])


def _decorate_time(axis, ax_type) -> None:
    lag = ax_type.startswith("lag")
    unit = (
        ax_type[4:]
        if ax_type.startswith("lag_")
        else None
        if ax_type in ("time", "lag")
        else ax_type
    )
    axis.set_major_formatter(TimeFormatter(unit=unit, lag=lag))
    axis.set_major_locator(ticker.MaxNLocator(prune=None, steps=_TIME_STEPS))
    name = "Lag" if lag else "Time"
    axis.set_label_text(name if unit is None else f"{name} ({TIME_UNITS[unit]})")


def _decorate_vqt(axis, ax_type, key, unicode, fmin, intervals) -> None:
    """Major ticks at the octaves of fmin, minor ticks at its intervals (librosa's rules)."""
    offset = _octave_offset(note_to_hz("C1") if fmin is None else fmin)
    if ax_type == "vqt_note":
        axis.set_major_formatter(NoteFormatter(key=key, unicode=unicode))
        axis.set_minor_formatter(NoteFormatter(key=key, major=False, unicode=unicode))
    else:
        axis.set_major_formatter(LogHzFormatter())
        axis.set_minor_formatter(LogHzFormatter(major=False))
    axis.set_major_locator(ticker.LogLocator(base=2.0, subs=(offset,)))
    subs = interval_frequencies(12, offset, intervals, 12)
    axis.set_minor_locator(ticker.LogLocator(base=2.0, subs=subs))
    axis.set_label_text("Note" if ax_type == "vqt_note" else "Hz")
