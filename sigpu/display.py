"""Plots of spectrograms and waveforms with librosa 0.11's axes: ``specshow``, ``waveshow``.

``import sigpu.display`` needs no matplotlib; the functions import it when called (install it
with ``pip install 'sigpu[plot]'``).  They accept NumPy arrays, CuPy arrays and torch tensors.
Drawing happens on the host, so a CuPy array is copied to the host here, explicitly: the one
device-to-host copy sigpu makes on the user's behalf (the image or signal is what is drawn).
A torch tensor is detached and moved to the CPU the same way.

The functions do no device work, so they are not wrapped in ``_backend.on_input_device``
(whose torch dispatch would refuse a tensor that requires grad, which is fine to draw).
"""

from __future__ import annotations

import warnings

import numpy as np

from ._backend import to_host
from ._display_coords import LAG_TYPES, TIME_TYPES, axis_coords, check_axis_type, key_to_notes
from ._errors import ParameterError
from ._validate import finite_float, nonnegative_float, one_of, positive_float, positive_int

__all__ = ["cmap", "specshow", "waveshow"]


def __dir__():
    """The public names: ``__all__``, not the names this module imports."""
    return list(__all__)


_PLOT_EXTRA = "sigpu.display needs matplotlib: pip install 'sigpu[plot]' (or matplotlib)"
# Axis pairs that make a square plot (a self-similarity or lag matrix): librosa's table
_SAME_KIND = (
    {"time", "h", "m", "s", "ms"},
    {"lag", "lag_h", "lag_m", "lag_s", "lag_ms"},
    {"linear", "fft", "hz", "fft_note"},
    {"cqt_hz", "cqt_note"},
)
_SQUARE_ALONE = {"tempo", "fourier_tempo", "mel", "log", "tonnetz", "frames", "chroma"}


def _matplotlib():
    """``(pyplot, ticks module)``, or an ImportError that says how to install matplotlib."""
    try:
        import matplotlib.pyplot as plt
    except ImportError as exc:
        raise ImportError(_PLOT_EXTRA) from exc
    from . import _display_ticks

    return plt, _display_ticks


def _to_host(data, name: str) -> np.ndarray:
    """The values to draw, on the host: NumPy as is, CuPy copied (the sanctioned copy), a
    torch tensor detached and moved to the CPU (recognised by its module: no torch import)."""
    module = type(data).__module__.split(".")[0]
    if module == "torch":
        return data.detach().cpu().numpy()
    if isinstance(data, np.ndarray):
        return data  # as is: a masked array keeps its mask, as in librosa
    if module == "cupy":
        return to_host(data)
    raise TypeError(
        f"{name} must be a NumPy array, a CuPy array or a torch tensor, "
        f"not {type(data).__module__}.{type(data).__name__}"
    )


def _check_axes(ax, plt):
    from matplotlib.axes import Axes

    if ax is None:
        return plt.gca()
    if not isinstance(ax, Axes):
        raise TypeError(f"ax must be a matplotlib.axes.Axes or None, not {type(ax).__name__}")
    return ax


def _optional(check, value, name: str):
    return None if value is None else check(value, name)


def _flag(value, name: str) -> bool:
    if not isinstance(value, (bool, np.bool_)):
        raise TypeError(f"{name}={value!r} must be True or False")
    return bool(value)


def _numbers(values: np.ndarray, name: str) -> np.ndarray:
    """``values`` if they are numbers (or booleans) with at least one value, else an error."""
    if values.dtype.kind not in "biufc":
        raise TypeError(f"{name} must hold numbers or booleans, not dtype {values.dtype}")
    if values.size == 0:
        raise ParameterError(f"{name} has shape {values.shape}: there is nothing to draw")
    return values


def _check_specshow_parameters(p: dict) -> None:
    positive_float(p["sr"], "sr")
    positive_int(p["hop_length"], "hop_length")
    _optional(positive_int, p["n_fft"], "n_fft")
    _optional(positive_int, p["win_length"], "win_length")
    _optional(nonnegative_float, p["fmin"], "fmin")
    _optional(positive_float, p["fmax"], "fmax")
    _optional(positive_float, p["tempo_min"], "tempo_min")
    _optional(positive_float, p["tempo_max"], "tempo_max")
    finite_float(p["tuning"], "tuning")
    positive_int(p["bins_per_octave"], "bins_per_octave")
    for name in ("auto_aspect", "htk", "unicode"):
        _flag(p[name], name)
    key_to_notes(p["key"])  # ParameterError naming key for a key it cannot spell


def _check_marker(marker) -> None:
    from matplotlib.markers import MarkerStyle

    try:
        MarkerStyle(marker)
    except (TypeError, ValueError) as exc:
        raise ParameterError(f"marker={marker!r} is not a matplotlib marker ({exc})") from None


def _mesh_coords(ax_type, coords, n: int, params: dict, name: str) -> np.ndarray:
    if coords is None:
        return axis_coords(ax_type, n, params)
    coords = _numbers(_to_host(coords, name), name)
    if coords.ndim != 1 or len(coords) not in (n, n + 1):
        raise ParameterError(
            f"{name} has shape {coords.shape}: it must be 1-D with {n} or {n + 1} values "
            "(centres or edges of the data's cells)"
        )
    return coords


def cmap(data, *, robust=True, cmap_seq="magma", cmap_bool="gray_r", cmap_div="coolwarm"):
    """The default colormap of ``data``, chosen as librosa.display.cmap chooses.

    Boolean data gets ``cmap_bool``; data whose 2nd and 98th percentiles (0th and 100th
    without ``robust``) straddle zero gets the diverging ``cmap_div``; everything else the
    sequential ``cmap_seq``.

    Parameters
    ----------
    data : array
        Values to be displayed: NumPy, CuPy (copied to the host) or a torch tensor.
    robust : bool
        Ignore the lowest and highest 2 % of the values when deciding.
    cmap_seq, cmap_bool, cmap_div : str
        Names of the sequential, boolean and diverging colormaps.

    Returns
    -------
    matplotlib.colors.Colormap
        The colormap.

    See Also
    --------
    sigpu.display.specshow : Uses it for its default ``cmap``.

    Notes
    -----
    Backends: NumPy, CuPy and torch inputs (the values are read on the host).
    Reference: librosa.display.cmap (librosa 0.11).

    Examples
    --------
    >>> import numpy as np
    >>> from sigpu.display import cmap
    >>> cmap(np.array([[-1.0, 2.0], [3.0, -4.0]])).name
    'coolwarm'
    """
    _matplotlib()
    from matplotlib import colormaps

    for name, value in (("cmap_seq", cmap_seq), ("cmap_bool", cmap_bool), ("cmap_div", cmap_div)):
        one_of(value, name, sorted(colormaps))
    # a masked array's mask is ignored here, as librosa's percentiles ignore it
    values = np.atleast_1d(np.ma.getdata(_numbers(_to_host(data, "data"), "data")))
    if values.dtype.kind == "c":
        raise TypeError("data must be real to choose a colormap (pass its magnitude)")
    if values.dtype == bool:
        return colormaps[cmap_bool]
    values = values[np.isfinite(values)]
    if values.size == 0:
        raise ParameterError("data has no finite values to choose a colormap from")
    low, high = np.percentile(values, [2, 98] if _flag(robust, "robust") else [0, 100])
    return colormaps[cmap_seq if low >= 0 or high <= 0 else cmap_div]


def specshow(
    data,
    *,
    x_coords=None,
    y_coords=None,
    x_axis=None,
    y_axis=None,
    sr=22050,
    hop_length=512,
    n_fft=None,
    win_length=None,
    fmin=None,
    fmax=None,
    tempo_min=16,
    tempo_max=480,
    tuning=0.0,
    bins_per_octave=12,
    key="C:maj",
    auto_aspect=True,
    htk=False,
    unicode=True,
    intervals=None,
    ax=None,
    **kwargs,
):
    """Display a spectrogram, chromagram, CQT or any matrix with time/frequency axes.

    Same signature, defaults, coordinates and tick labels as librosa 0.11's
    ``librosa.display.specshow``: the cell edges of the returned mesh equal librosa's for
    every axis type listed below.

    Parameters
    ----------
    data : array, shape (d, n)
        The image: NumPy, CuPy (copied to the host to be drawn) or a torch tensor. Complex
        values are shown as magnitudes (with a warning, as librosa).
    x_coords, y_coords : array, shape (n,) or (n + 1,), optional
        Cell centres or edges; computed from the axis type when omitted.
    x_axis, y_axis : str or None
        Axis type. Time: ``'time'``, ``'h'``, ``'m'``, ``'s'``, ``'ms'``, ``'lag'``,
        ``'lag_h'``, ``'lag_m'``, ``'lag_s'``, ``'lag_ms'``. Frequency: ``'linear'``,
        ``'fft'``, ``'hz'`` (STFT bins), ``'log'`` and ``'fft_note'`` (STFT bins on a
        log scale), ``'mel'``, ``'cqt_hz'``, ``'cqt_note'``, ``'vqt_hz'``, ``'vqt_note'``
        (with ``intervals``). Others:
        ``'chroma'``, ``'tonnetz'``, ``'tempo'``, ``'fourier_tempo'``, ``'frames'``,
        and ``None``, ``'none'`` or ``'off'`` (no decoration).
    sr : float > 0
        Sampling rate of the analysed signal.
    hop_length : int > 0
        Hop between frames (time and tempo axes).
    n_fft : int > 0 or None
        FFT length of STFT axes; ``2 * (d - 1)`` when None.
    win_length : int > 0 or None
        Window length of a Fourier tempogram axis; ``2 * (d - 1)`` when None.
    fmin, fmax : float > 0 or None
        Lowest (CQT and VQT: C1 when None; mel: 0) and highest (mel: ``sr / 2``)
        frequency.
    tempo_min, tempo_max : float
        Limits of a tempo axis, in BPM.
    tuning : float
        Tuning deviation of a CQT axis, in fractions of a bin.
    bins_per_octave : int > 0
        Bins per octave of CQT, VQT (``intervals='equal'``) and chroma axes.
    key : str
        Key used to spell notes and place chroma ticks (``'C:maj'``, ``'Eb:min'``, ...).
    auto_aspect : bool
        Square the plot when both axes are of the same kind (self-similarity plots).
    htk : bool
        HTK mel formula for a mel axis.
    unicode : bool
        Unicode sharps and flats in note names.
    intervals : 'equal', sequence of float in [1, 2) or None
        Frequency ratios of one octave of a VQT axis (needed by the VQT axis types).
    ax : matplotlib.axes.Axes or None
        Axes to draw on; the current axes (made the current image) when None.
    **kwargs
        Passed to ``matplotlib.axes.Axes.pcolormesh`` (defaults: ``cmap`` from
        :func:`cmap`, ``rasterized=True``, ``edgecolors='None'``, ``shading='auto'``).

    Returns
    -------
    matplotlib.collections.QuadMesh
        The drawn mesh (pass it to ``fig.colorbar``).

    Raises
    ------
    ImportError
        Without matplotlib (install ``sigpu[plot]``).

    See Also
    --------
    sigpu.display.waveshow : Plot a waveform.
    sigpu.amplitude_to_db : Decibels of a magnitude spectrogram.

    Notes
    -----
    Backends: NumPy, CuPy (the image is copied to the host, explicitly: plotting is drawn
    by matplotlib on the CPU) and torch tensors. Reference: librosa.display.specshow
    (librosa 0.11); the svara and FJS axis types (and their ``Sa``, ``mela``, ``thaat``,
    ``unison`` parameters) and librosa's just-intonation interval names are not provided.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> import matplotlib.pyplot as plt
    >>> import numpy as np
    >>> import sigpu
    >>> import sigpu.display
    >>> y = np.sin(2 * np.pi * 440 * np.arange(22050) / 22050).astype(np.float32)
    >>> S_db = sigpu.amplitude_to_db(np.abs(sigpu.stft(y)), ref=np.max)
    >>> fig, ax = plt.subplots()
    >>> mesh = sigpu.display.specshow(S_db, x_axis="time", y_axis="log", sr=22050, ax=ax)
    >>> ax.get_ylabel()
    'Hz'
    >>> plt.close(fig)
    """
    plt, ticks = _matplotlib()
    image = _numbers(_to_host(data, "data"), "data")
    if image.ndim != 2:
        raise ParameterError(f"data has shape {image.shape}: specshow draws 2-D arrays (d, n)")
    if np.iscomplexobj(image):
        warnings.warn(
            "Trying to display complex-valued input. Showing magnitude instead.", stacklevel=2
        )
        image = np.abs(image)
    check_axis_type(x_axis, "x_axis")
    check_axis_type(y_axis, "y_axis")
    params = dict(
        sr=sr,
        hop_length=hop_length,
        n_fft=n_fft,
        win_length=win_length,
        fmin=fmin,
        fmax=fmax,
        tuning=tuning,
        bins_per_octave=bins_per_octave,
        htk=htk,
        intervals=intervals,
    )
    _check_specshow_parameters(
        dict(
            params,
            tempo_min=tempo_min,
            tempo_max=tempo_max,
            key=key,
            auto_aspect=auto_aspect,
            unicode=unicode,
        )
    )
    y_coords = _mesh_coords(y_axis, y_coords, image.shape[0], params, "y_coords")
    x_coords = _mesh_coords(x_axis, x_coords, image.shape[1], params, "x_coords")
    kwargs.setdefault("cmap", cmap(image))
    kwargs.setdefault("rasterized", True)
    kwargs.setdefault("edgecolors", "None")
    kwargs.setdefault("shading", "auto")
    axes = _check_axes(ax, plt)
    mesh = axes.pcolormesh(x_coords, y_coords, image, **kwargs)
    if ax is None:
        plt.sci(mesh)
    ticks.scale_axis(axes, x_axis, "x", tempo_min, tempo_max)
    ticks.scale_axis(axes, y_axis, "y", tempo_min, tempo_max)
    decoration = dict(key=key, unicode=unicode, fmin=fmin, intervals=intervals)
    ticks.decorate_axis(axes.xaxis, x_axis, **decoration)
    ticks.decorate_axis(axes.yaxis, y_axis, **decoration)
    if auto_aspect and _same_kind(x_axis, y_axis) and axes.get_xlim() == axes.get_ylim():
        axes.set_aspect("equal")
    return mesh


def _same_kind(x_axis, y_axis) -> bool:
    if x_axis == y_axis and x_axis in _SQUARE_ALONE:
        return True
    return any(x_axis in kind and y_axis in kind for kind in _SAME_KIND)


class _AdaptiveWave:
    """Samples (a step line) when the view spans at most ``max_points`` samples, else the
    envelope; follows the axes' limits (librosa's AdaptiveWaveplot behaviour)."""

    def __init__(self, times, samples, steps, envelope, sr, max_points, transpose):
        self.times, self.samples = times, samples
        self.steps, self.envelope = steps, envelope
        self.sr, self.max_points, self.transpose = sr, max_points, transpose

    def connect(self, axes) -> None:
        axes.callbacks.connect("ylim_changed" if self.transpose else "xlim_changed", self.update)

    def update(self, axes) -> None:
        view = axes.viewLim
        start, end = (view.y0, view.y1) if self.transpose else (view.x0, view.x1)
        shows_samples = (end - start) * self.sr <= self.max_points
        self.envelope.set_visible(not shows_samples)
        self.steps.set_visible(shows_samples)
        drawn_times = self.steps.get_ydata() if self.transpose else self.steps.get_xdata()
        if shows_samples and (start <= drawn_times[0] or end >= drawn_times[-1]):
            # redraw max_points samples centred on the view
            first = np.searchsorted(
                self.times, 0.5 * (start + end) - 0.5 * self.max_points / self.sr
            )
            window = slice(first, first + self.max_points)
            xy = (self.samples[window], self.times[window])
            self.steps.set_data(*(xy if self.transpose else xy[::-1]))
        axes.figure.canvas.draw_idle()


def waveshow(
    y,
    *,
    sr=22050,
    max_points=11025,
    axis="time",
    offset=0.0,
    marker="",
    where="post",
    label=None,
    transpose=False,
    ax=None,
    **kwargs,
):
    """Plot a waveform: its max-abs envelope, or its samples when zoomed in enough.

    Same signature, defaults and drawing as librosa 0.11's ``librosa.display.waveshow``
    (without the deprecated ``x_axis``): the envelope is the maximum of ``|y|`` over
    non-overlapping blocks of ``max(1, n // max_points)`` samples, the upper half from the
    first channel and the lower half from the last.

    Parameters
    ----------
    y : array, shape (n,) or (channels, n)
        Signal: NumPy, CuPy (copied to the host to be drawn) or a torch tensor.
    sr : float > 0
        Sampling rate.
    max_points : int > 0
        Most samples drawn; views spanning more show the envelope.
    axis : str or None
        Time axis type (``'time'``, ``'h'``, ``'m'``, ``'s'``, ``'ms'``, the ``'lag'``
        types, or ``None``/``'off'``).
    offset : float
        Start time of the plot, in seconds.
    marker : str
        Marker of the samples.
    where : {'post', 'pre', 'mid'}
        Step placement (``matplotlib.axes.Axes.step``).
    label : str or None
        Legend label.
    transpose : bool
        Time on the vertical axis.
    ax : matplotlib.axes.Axes or None
        Axes to draw on (the current axes when None).
    **kwargs
        Passed to both ``Axes.step`` and ``Axes.fill_between``.

    Returns
    -------
    object
        The adaptive plot: ``.steps`` (the samples' ``Line2D``) and ``.envelope`` (the
        envelope's ``PolyCollection``).

    See Also
    --------
    sigpu.display.specshow : Display a spectrogram.

    Notes
    -----
    Backends: NumPy, CuPy (the signal is copied to the host, explicitly) and torch tensors.
    Reference: librosa.display.waveshow (librosa 0.11).

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> import matplotlib.pyplot as plt
    >>> import numpy as np
    >>> import sigpu.display
    >>> y = np.sin(2 * np.pi * 3 * np.arange(22050) / 22050)
    >>> fig, ax = plt.subplots()
    >>> wave = sigpu.display.waveshow(y, sr=22050, ax=ax)
    >>> wave.envelope.get_visible(), ax.get_xlabel()
    (True, 'Time')
    >>> plt.close(fig)
    """
    plt, ticks = _matplotlib()
    samples = _to_host(y, "y")
    if samples.ndim not in (1, 2) or samples.shape[-1] == 0:
        raise ParameterError(f"y has shape {samples.shape}: waveshow draws (n,) or (channels, n)")
    if not np.issubdtype(samples.dtype, np.floating) or not np.all(np.isfinite(samples)):
        raise ParameterError("y must hold finite floating-point samples")
    max_points = positive_int(max_points, "max_points")
    sr = positive_float(sr, "sr")
    offset = finite_float(offset, "offset")
    one_of(axis, "axis", (*TIME_TYPES, *LAG_TYPES, "off", "none", None))
    one_of(where, "where", ("pre", "mid", "post"))
    _flag(transpose, "transpose")
    _check_marker(marker)
    samples = np.atleast_2d(samples)
    axes = _check_axes(ax, plt)
    block = max(1, samples.shape[-1] // max_points)
    n_blocks = samples.shape[-1] // block
    envelope = np.abs(samples[:, : n_blocks * block]).reshape(len(samples), n_blocks, block)
    envelope = envelope.max(axis=-1)
    times = offset + np.arange(samples.shape[-1]) / sr
    xdata, ydata = times[:max_points], samples[0, :max_points]
    fill = axes.fill_between
    if transpose:
        xdata, ydata, fill = ydata, xdata, axes.fill_betweenx
    (steps,) = axes.step(xdata, ydata, marker=marker, where=where, **kwargs)
    kwargs.setdefault("color", steps.get_color())
    block_times = times[: n_blocks * block : block]
    env = fill(block_times, -envelope[-1], envelope[0], step=where, label=label, **kwargs)
    wave = _AdaptiveWave(times, samples[0], steps, env, sr, max_points, transpose)
    wave.connect(axes)
    wave.update(axes)
    ticks.decorate_axis(axes.yaxis if transpose else axes.xaxis, axis)
    return wave
