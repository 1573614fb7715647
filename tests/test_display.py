"""sigpu.display against librosa.display (0.11): the drawn meshes' cell edges, scales and
tick labels, waveshow's envelope and samples, NumPy/CuPy/torch inputs, headless (Agg)."""

from __future__ import annotations

import re
import subprocess
import sys

import numpy as np
import pytest

matplotlib = pytest.importorskip("matplotlib")
matplotlib.use("Agg")
import librosa  # noqa: E402
import librosa.display  # noqa: E402
import matplotlib.pyplot as plt  # noqa: E402

import sigpu  # noqa: E402
import sigpu.display  # noqa: E402
from sigpu._display_coords import key_to_notes, midi_to_note  # noqa: E402
from tests.helpers import host  # noqa: E402

RNG = np.random.default_rng(3)
SR = 22050

# (axis type, number of rows, extra specshow parameters): every type sigpu provides
AXIS_CASES = [
    ("time", 40, {}),
    ("h", 40, {}),
    ("m", 40, {}),
    ("s", 40, {}),
    ("ms", 40, {}),
    ("lag", 40, {}),
    ("lag_s", 40, {}),
    ("linear", 33, {}),
    ("fft", 33, {"n_fft": 65}),
    ("hz", 33, {}),
    ("log", 129, {}),
    ("fft_note", 129, {}),
    ("mel", 40, {}),
    ("mel", 40, {"fmin": 50.0, "fmax": 6000.0, "htk": True}),
    ("cqt_hz", 84, {"fmin": 32.7, "tuning": 0.3}),
    ("cqt_note", 72, {"bins_per_octave": 24, "fmin": 65.0}),
    ("vqt_hz", 60, {"intervals": "equal"}),
    ("vqt_note", 48, {"intervals": "equal", "bins_per_octave": 24, "fmin": 55.0}),
    ("vqt_note", 30, {"intervals": [1.0, 5 / 4, 4 / 3, 3 / 2, 5 / 3], "fmin": 110.0}),
    ("vqt_hz", 21, {"intervals": np.array([1.0, 9 / 8, 6 / 5]), "fmin": 100.0}),
    ("chroma", 12, {}),
    ("chroma", 36, {"bins_per_octave": 36}),
    ("tonnetz", 6, {}),
    ("tempo", 50, {"hop_length": 256}),
    ("fourier_tempo", 50, {"hop_length": 256}),
    ("frames", 30, {}),
    ("off", 30, {}),
    (None, 30, {}),
]


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


def _both(data, **kwargs):
    """(sigpu's mesh and axes, librosa's mesh and axes) for the same call."""
    fig, (ax_s, ax_l) = plt.subplots(2)
    ours = sigpu.display.specshow(data, ax=ax_s, **kwargs)
    theirs = librosa.display.specshow(data, ax=ax_l, **kwargs)
    return (ours, ax_s), (theirs, ax_l)


def _labels(axis, which="major"):
    locs = axis.get_majorticklocs() if which == "major" else axis.get_minorticklocs()
    formatter = axis.get_major_formatter() if which == "major" else axis.get_minor_formatter()
    formatter.set_locs(locs)
    return list(locs), [formatter(loc, i) for i, loc in enumerate(locs)]


@pytest.mark.parametrize("ax_type, n, params", AXIS_CASES)
def test_mesh_edges_scales_and_labels_equal_librosa(ax_type, n, params):
    data = RNG.random((n, 25)) + 0.1
    (ours, ax_s), (theirs, ax_l) = _both(data, y_axis=ax_type, x_axis="time", sr=SR, **params)
    np.testing.assert_allclose(ours.get_coordinates(), theirs.get_coordinates(), rtol=1e-12)
    assert ax_s.get_yscale() == ax_l.get_yscale()
    assert ax_s.get_ylabel() == ax_l.get_ylabel()
    assert ax_s.get_xlabel() == ax_l.get_xlabel() == "Time"
    for axes in (ax_s, ax_l):
        axes.figure.canvas.draw()
    assert _labels(ax_s.yaxis) == _labels(ax_l.yaxis)
    assert _labels(ax_s.yaxis, "minor") == _labels(ax_l.yaxis, "minor")


@pytest.mark.parametrize("x_type", ["time", "s", "ms", "m", "frames", "lag", "lag_ms"])
def test_time_axis_ticks_equal_librosa(x_type):
    data = RNG.random((10, 300))
    (ours, ax_s), (theirs, ax_l) = _both(data, x_axis=x_type, sr=8000, hop_length=64)
    np.testing.assert_allclose(ours.get_coordinates(), theirs.get_coordinates(), rtol=1e-12)
    for axes in (ax_s, ax_l):
        axes.figure.canvas.draw()
    assert _labels(ax_s.xaxis) == _labels(ax_l.xaxis)
    assert ax_s.get_xlabel() == ax_l.get_xlabel()


def test_time_labels_for_a_long_signal_switch_to_minutes():
    # 100 frames of 30 s: minutes:seconds, as librosa prints them
    data = RNG.random((5, 100))
    (_, ax_s), (_, ax_l) = _both(data, x_axis="time", sr=1, hop_length=30)
    for axes in (ax_s, ax_l):
        axes.figure.canvas.draw()
    locs, labels = _labels(ax_s.xaxis)
    assert labels == _labels(ax_l.xaxis)[1]
    assert any(":" in label for label in labels)


@pytest.mark.parametrize("key", ["C:maj", "Eb:maj", "F#:min", "Bb:min"])
def test_note_and_chroma_labels_in_a_key_equal_librosa(key):
    (_, ax_s), (_, ax_l) = _both(RNG.random((12, 8)), y_axis="chroma", x_axis="frames", key=key)
    assert _labels(ax_s.yaxis) == _labels(ax_l.yaxis)
    (_, ax_s), (_, ax_l) = _both(
        RNG.random((36, 8)), y_axis="cqt_note", fmin=110.0, key=key, unicode=False
    )
    for axes in (ax_s, ax_l):
        axes.figure.canvas.draw()
    assert _labels(ax_s.yaxis) == _labels(ax_l.yaxis)
    assert _labels(ax_s.yaxis, "minor") == _labels(ax_l.yaxis, "minor")


def test_note_names_equal_librosa_for_every_key():
    for tonic in "CDEFGAB":
        for accidental in ("", "#", "b"):
            for mode in ("maj", "min", "major", "minor"):
                key = f"{tonic}{accidental}:{mode}"
                for unicode in (True, False):
                    assert key_to_notes(key, unicode=unicode) == librosa.key_to_notes(
                        key, unicode=unicode
                    )
    midi = np.array([-13.2, 0.0, 23.49, 59.51, 60.0, 61.3, 69.04, 127.0])
    for m in midi:
        assert midi_to_note(m, cents=True, key="C#:maj") == librosa.midi_to_note(
            m, cents=True, key="C#:maj"
        )


def test_self_similarity_plot_is_square_and_coords_can_be_given():
    data = RNG.random((30, 30))
    (_, ax_s), (_, ax_l) = _both(data, x_axis="time", y_axis="time")
    assert ax_s.get_aspect() == ax_l.get_aspect() == 1.0
    edges = np.linspace(0.0, 3.0, 31)
    (ours, _), (theirs, _) = _both(data, x_coords=edges, y_coords=edges**2)
    np.testing.assert_array_equal(ours.get_coordinates(), theirs.get_coordinates())


def test_default_colormaps_and_kwargs_as_librosa():
    for data in (RNG.random((4, 5)), RNG.standard_normal((4, 5)), RNG.random((4, 5)) > 0.5):
        assert sigpu.display.cmap(data).name == librosa.display.cmap(data).name
    mesh = sigpu.display.specshow(
        RNG.random((4, 5)),
        cmap="viridis",
        shading="flat",
        x_coords=np.arange(6),
        y_coords=np.arange(5),
    )
    assert mesh.get_cmap().name == "viridis" and mesh.get_rasterized()
    assert plt.gci() is mesh  # pyplot mode: the current image, for plt.colorbar()


def test_masked_values_stay_masked():
    data = np.ma.masked_less(RNG.random((6, 7)), 0.3)
    mesh = sigpu.display.specshow(data, y_axis="linear")
    with pytest.warns(UserWarning, match="mask"):  # librosa's np.percentile of it
        theirs = librosa.display.specshow(data, y_axis="linear")
    np.testing.assert_array_equal(
        np.ma.getmaskarray(mesh.get_array()), np.ma.getmaskarray(theirs.get_array())
    )
    assert np.ma.getmaskarray(mesh.get_array()).any()


def test_complex_input_warns_and_shows_magnitude():
    D = sigpu.stft(RNG.standard_normal(4096).astype(np.float32), n_fft=256)
    with pytest.warns(UserWarning, match="magnitude"):
        mesh = sigpu.display.specshow(D, y_axis="linear")
    np.testing.assert_allclose(mesh.get_array().reshape(D.shape), np.abs(D), rtol=1e-6)


def test_device_arrays_are_drawn_from_the_host(xp):
    """CuPy (emulated without a GPU) and NumPy inputs: the drawn values are the array's,
    on librosa's mesh."""
    y = RNG.standard_normal(8192).astype(np.float32)
    S_db = sigpu.power_to_db(sigpu.spectrogram(xp.asarray(y), n_fft=512), ref=xp.max)
    mesh = sigpu.display.specshow(S_db, x_axis="time", y_axis="log", sr=SR)
    np.testing.assert_array_equal(np.asarray(mesh.get_array()).reshape(S_db.shape), host(S_db))
    theirs = librosa.display.specshow(host(S_db), x_axis="time", y_axis="log", sr=SR)
    np.testing.assert_allclose(mesh.get_coordinates(), theirs.get_coordinates(), rtol=1e-12)
    wave = sigpu.display.waveshow(xp.asarray(y), sr=SR)
    np.testing.assert_array_equal(wave.steps.get_ydata(), y[:11025])


def test_torch_tensors_are_detached_and_drawn():
    torch = pytest.importorskip("torch")
    image = torch.rand(16, 20, dtype=torch.float64, requires_grad=True)
    mesh = sigpu.display.specshow(image * 2, y_axis="mel", x_axis="time")
    np.testing.assert_allclose(
        mesh.get_array().reshape(16, 20), 2 * image.detach().numpy(), rtol=1e-15
    )


@pytest.mark.parametrize(
    "n, max_points, transpose", [(50000, 11025, False), (3000, 11025, True), (20001, 500, True)]
)
def test_waveshow_envelope_and_samples_equal_librosa(n, max_points, transpose):
    y = RNG.standard_normal((2, n)).astype(np.float32)
    fig, (ax_s, ax_l) = plt.subplots(2)
    ours = sigpu.display.waveshow(
        y, sr=8000, max_points=max_points, offset=0.25, transpose=transpose, ax=ax_s
    )
    theirs = librosa.display.waveshow(
        y, sr=8000, max_points=max_points, offset=0.25, transpose=transpose, ax=ax_l
    )
    for path_s, path_l in zip(ours.envelope.get_paths(), theirs.envelope.get_paths(), strict=True):
        np.testing.assert_allclose(path_s.vertices, path_l.vertices, rtol=1e-12)
    np.testing.assert_array_equal(ours.steps.get_xydata(), theirs.steps.get_xydata())
    assert ours.envelope.get_visible() == theirs.envelope.get_visible()
    assert ax_s.get_xlabel() == ax_l.get_xlabel() and ax_s.get_ylabel() == ax_l.get_ylabel()
    # zoom in on 0.1 s: both switch to samples, drawn around the view
    for axes in (ax_s, ax_l):
        (axes.set_ylim if transpose else axes.set_xlim)(1.0, 1.1)
    assert ours.steps.get_visible() == theirs.steps.get_visible()
    np.testing.assert_array_equal(ours.steps.get_xydata(), theirs.steps.get_xydata())


def test_bad_input_names_the_parameter():
    data = RNG.random((4, 5))
    with pytest.raises(sigpu.ParameterError, match="y_axis='bogus'"):
        sigpu.display.specshow(data, y_axis="bogus")
    with pytest.raises(sigpu.ParameterError, match="data has shape"):
        sigpu.display.specshow(RNG.random(5))
    with pytest.raises(sigpu.ParameterError, match="x_coords"):
        sigpu.display.specshow(data, x_coords=np.arange(9))
    with pytest.raises(sigpu.ParameterError, match="sr=0"):
        sigpu.display.specshow(data, x_axis="time", sr=0)
    with pytest.raises(sigpu.ParameterError, match="key='H:maj'"):
        sigpu.display.specshow(data, y_axis="chroma", key="H:maj")
    with pytest.raises(TypeError, match="data must be"):
        sigpu.display.specshow([[1.0, 2.0]])
    with pytest.raises(TypeError, match="ax must be"):
        sigpu.display.specshow(data, ax="left")
    with pytest.raises(sigpu.ParameterError, match="max_points=0"):
        sigpu.display.waveshow(RNG.random(10), max_points=0)
    with pytest.raises(sigpu.ParameterError, match="finite"):
        sigpu.display.waveshow(np.array([0.0, np.nan]))
    with pytest.raises(sigpu.ParameterError, match="axis='mel'"):
        sigpu.display.waveshow(RNG.random(10), axis="mel")


@pytest.mark.parametrize(
    "kwargs, match",
    [
        (dict(hop_length=1.5), "hop_length=1.5"),
        (dict(n_fft=0), "n_fft=0"),
        (dict(fmin=-1.0), "fmin=-1.0"),
        (dict(tuning=float("nan")), "tuning=nan"),
        (dict(tuning=-(2.0**40)), "tuning="),
        (dict(bins_per_octave=0), "bins_per_octave=0"),
        (dict(tempo_max=0), "tempo_max=0"),
        (dict(key="Z:maj"), "key='Z:maj'"),
        (dict(y_axis="vqt_hz"), "intervals=None"),
        (dict(y_axis="vqt_hz", intervals="ji5"), "intervals='ji5'"),
        (dict(y_axis="vqt_note", intervals=[1.0, 2.5]), "intervals=[1.0, 2.5]"),
    ],
)
def test_bad_specshow_parameters_name_themselves(kwargs, match):
    kwargs = {"y_axis": "cqt_note", **kwargs}
    with pytest.raises(sigpu.ParameterError, match=re.escape(match)):
        sigpu.display.specshow(RNG.random((24, 5)), **kwargs)


def test_bad_types_and_values_name_themselves():
    with pytest.raises(TypeError, match="htk=1"):
        sigpu.display.specshow(RNG.random((4, 5)), htk=1)
    with pytest.raises(TypeError, match="data must hold numbers"):
        sigpu.display.specshow(np.array([["a", "b"]], dtype=object))
    with pytest.raises(sigpu.ParameterError, match="nothing to draw"):
        sigpu.display.specshow(np.zeros((4, 0)))
    with pytest.raises(sigpu.ParameterError, match="cmap_div='nope'"):
        sigpu.display.cmap(RNG.random(4), cmap_div="nope")
    with pytest.raises(sigpu.ParameterError, match="no finite values"):
        sigpu.display.cmap(np.full(4, np.nan))
    with pytest.raises(TypeError, match="must be real"):
        sigpu.display.cmap(np.ones(3, dtype=complex))
    y = RNG.standard_normal(100)
    with pytest.raises(sigpu.ParameterError, match="marker='not a marker'"):
        sigpu.display.waveshow(y, marker="not a marker")
    with pytest.raises(sigpu.ParameterError, match="where='left'"):
        sigpu.display.waveshow(y, where="left")
    with pytest.raises(sigpu.ParameterError, match="offset=inf"):
        sigpu.display.waveshow(y, offset=float("inf"))


def test_import_needs_no_matplotlib_and_calls_say_how_to_install_it():
    code = (
        "import sys; sys.modules['matplotlib'] = None\n"
        "import numpy as np, sigpu, sigpu.display\n"
        "try:\n    sigpu.display.specshow(np.ones((2, 2)))\n"
        "except ImportError as e:\n    print(e)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert "pip install 'sigpu[plot]'" in out.stdout
    code = "import sys, sigpu, sigpu.display; print('matplotlib' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
