"""The command line: every kind of spectrogram against librosa, its axes in the PNG, 8-bit
WAVs, one-line errors with exit status 2, --version and plain-text help."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest
from scipy.io import wavfile

from sigpu import cli


def test_example_signal_is_deterministic_and_bounded():
    a, b = cli.example_signal(), cli.example_signal()
    np.testing.assert_array_equal(a, b)
    assert a.dtype == np.float32 and a.shape == (4 * cli.EXAMPLE_SR,)
    assert 0.89 < np.abs(a).max() <= 0.9


def test_spectrogram_of_builtin_example(tmp_path, capsys):
    pytest.importorskip("matplotlib")
    out = tmp_path / "spec.png"
    assert cli.main(["spectrogram", "-o", str(out)]) == 0
    assert out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    out = capsys.readouterr().out
    assert "stft 1025 bins x 173 frames" in out
    assert "first call" in out and "(includes one-time setup), steady state" in out


def test_spectrogram_of_wav_file(tmp_path, capsys):
    pytest.importorskip("matplotlib")
    sr = 8000
    tone = (0.5 * np.sin(2 * np.pi * 1000 * np.arange(sr) / sr) * 32767).astype(np.int16)
    path = tmp_path / "tone.wav"
    wavfile.write(path, sr, np.stack([tone, tone], axis=1))  # stereo int16
    y, read_sr = cli.read_wav(str(path))
    assert y.dtype == np.float32
    assert read_sr == sr and y.shape == (sr,) and abs(np.abs(y).max() - 0.5) < 1e-3
    out = tmp_path / "tone.png"
    assert cli.main(["spectrogram", str(path), "-o", str(out), "--n-fft", "512"]) == 0
    assert out.exists() and "257 bins" in capsys.readouterr().out


def test_python_dash_m_info():
    result = subprocess.run(
        [sys.executable, "-m", "sigpu", "info"], capture_output=True, text=True, check=True
    )
    assert "sigpu" in result.stdout and "GPU usable" in result.stdout


def test_unknown_command_fails():
    with pytest.raises(SystemExit):
        cli.main(["nope"])


# ------------------------------------------------------------------ kinds against librosa

SR = 8000
RNG = np.random.default_rng(11)


def _tone_wav(tmp_path, seconds=0.75):
    t = np.arange(int(seconds * SR)) / SR
    y = 0.4 * np.sin(2 * np.pi * 440 * t) + 0.2 * np.sin(2 * np.pi * 1250 * t * (1 + t))
    y += 0.01 * RNG.standard_normal(t.shape)
    path = tmp_path / "tone.wav"
    wavfile.write(path, SR, y.astype(np.float32))
    return path, y.astype(np.float32)


@pytest.fixture
def drawn(monkeypatch):
    """The images and keywords the CLI passes to sigpu.display.specshow, and its axes."""
    pytest.importorskip("matplotlib")
    import sigpu.display

    calls = []
    real = sigpu.display.specshow

    def record(image, **kwargs):
        mesh = real(image, **kwargs)
        ax = kwargs["ax"]
        calls.append((np.array(image), kwargs, ax.get_ylabel(), ax.get_yscale()))
        return mesh

    monkeypatch.setattr(sigpu.display, "specshow", record)
    return calls


# librosa's reassigned_spectrogram warns inside NumPy (its own np.less(where=) call)
@pytest.mark.filterwarnings("ignore:'where' used without 'out':UserWarning")
@pytest.mark.parametrize(
    "kind, extra, ylabel, yscale",
    [
        ("stft", ["--n-fft", "512", "--hop-length", "128"], "Hz", "symlog"),
        ("mel", ["--n-fft", "512", "--hop-length", "128", "--n-mels", "40"], "Hz", "symlog"),
        ("cqt", ["--hop-length", "128", "--fmin", "110"], "Note", "log"),
        ("reassigned", ["--n-fft", "512", "--hop-length", "128"], "Hz", "symlog"),
        ("hyper", ["--hop-length", "128", "--fmin", "110"], "Note", "log"),
    ],
)
def test_each_kind_equals_librosa_with_a_matching_axis(tmp_path, capsys, drawn, kind, extra,
                                                       ylabel, yscale):  # fmt: skip
    import librosa

    path, y = _tone_wav(tmp_path)
    out = tmp_path / f"{kind}.png"
    assert cli.main(["spectrogram", str(path), "--kind", kind, "-o", str(out), *extra]) == 0
    assert out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    (image, kwargs, got_label, got_scale) = drawn[0]
    assert (got_label, got_scale) == (ylabel, yscale)
    text = capsys.readouterr().out
    assert f"-> {kind} {image.shape[0]} bins x {image.shape[1]} frames on numpy" in text
    if kind == "stft":
        want = librosa.amplitude_to_db(
            np.abs(librosa.stft(y, n_fft=512, hop_length=128)), ref=np.max
        )
    elif kind == "mel":
        M = librosa.feature.melspectrogram(y=y, sr=SR, n_fft=512, hop_length=128, n_mels=40)
        want = librosa.power_to_db(M, ref=np.max)
    elif kind == "cqt":
        # the wiring: sigpu.cqt's dB with as many bins as fit below Nyquist (sigpu.cqt's
        # parity with librosa, ~1e-2 of peak near Nyquist and at the edges, is tests/test_cqt's)
        import sigpu

        n_bins = int(np.floor(12 * np.log2(SR / 2 / 110.0)))
        C = sigpu.cqt(y, sr=SR, hop_length=128, fmin=110.0, n_bins=n_bins)
        want = librosa.amplitude_to_db(np.abs(C), ref=np.max)
    elif kind == "reassigned":
        freqs, times, mags = librosa.reassigned_spectrogram(y, sr=SR, n_fft=512, hop_length=128)
        want = np.zeros(freqs.shape)
        for f, t, m in zip(freqs.ravel(), times.ravel(), mags.ravel(), strict=True):
            if np.isfinite(f) and np.isfinite(t):  # the nearest frame and bin, literally
                row = min(max(int(np.round(f * 512 / SR)), 0), 256)
                col = min(max(int(np.round(t * SR / 128)), 0), freqs.shape[1] - 1)
                want[row, col] += float(m) ** 2
        want = librosa.power_to_db(want, ref=np.max)
    else:  # hyper: the image of sigpu.linear_reassignment itself, on its own axis values
        import sigpu

        H = sigpu.linear_reassignment(y, q=2.0, tdeci=128, noct=12, minf=110.0, maxf=SR / 2, sr=SR)
        want = sigpu.power_to_db(H, ref=np.max)
        freqs = sigpu.linear_reassignment_frequencies(noct=12, minf=110.0, maxf=SR / 2, sr=SR)
        np.testing.assert_array_equal(kwargs["y_coords"], freqs)
    assert image.shape == want.shape
    if kind == "reassigned":  # a point on a rounding tie may land in the neighbouring cell
        assert np.mean(np.abs(image - want) <= 0.05) > 0.999
        np.testing.assert_allclose(image.max(axis=0), want.max(axis=0), atol=0.05)
    else:
        np.testing.assert_allclose(image, want, atol=1e-3)


@pytest.mark.parametrize("kind", ["stft", "mel", "hyper"])
def test_cupy_backend_draws_what_numpy_draws(tmp_path, capsys, drawn, cupy_module, kind):
    """--backend cupy (emulated without a GPU): the same image as the NumPy backend."""
    path, _ = _tone_wav(tmp_path, seconds=0.5)
    extra = ["--n-fft", "512", "--hop-length", "128", "--fmin", "220"]
    for backend in ("numpy", "cupy"):
        argv = ["spectrogram", str(path), "--kind", kind, "--backend", backend, *extra]
        assert cli.main([*argv, "-o", str(tmp_path / f"{backend}.png")]) == 0
        assert f"frames on {backend}" in capsys.readouterr().out
    (on_numpy, *_), (on_cupy, *_) = drawn
    assert isinstance(on_cupy, np.ndarray)  # the explicit copy to the host, for drawing
    if kind == "hyper":  # a point reassigned on a float32 bin edge may land one bin over
        assert np.mean(np.abs(on_cupy - on_numpy) <= 0.05) > 0.99
    else:
        np.testing.assert_allclose(on_cupy, on_numpy, atol=1e-3)


def _unsigned_8bit_wav(tmp_path):
    """An 8-bit WAV (unsigned PCM, 128 = silence) of a 0.5-amplitude sine, and the sine."""
    sine = 0.5 * np.sin(2 * np.pi * 200 * np.arange(4000) / SR)
    path = tmp_path / "u8.wav"
    wavfile.write(path, SR, np.round(128 + 128 * sine).astype(np.uint8))
    return path, sine


@pytest.mark.parametrize("decoder", ["soundfile", "scipy"])
def test_8bit_wav_is_centred(tmp_path, monkeypatch, decoder):
    path, sine = _unsigned_8bit_wav(tmp_path)
    if decoder == "scipy":
        monkeypatch.setitem(sys.modules, "soundfile", None)  # import soundfile -> ImportError
    y, sr = cli.read_wav(str(path))
    assert sr == SR and y.dtype == np.float32
    assert abs(float(np.mean(y))) < 1e-3  # centred: 128 is zero
    np.testing.assert_allclose(y, sine, atol=1 / 128)


# ------------------------------------------------------------------ errors: one line, status 2


def _one_line_error(argv, capsys):
    try:
        status = cli.main(argv)
    except SystemExit as exc:  # argparse's own checks
        status = exc.code
    err = capsys.readouterr().err
    assert status == 2, err
    assert len(err.strip().splitlines()) == 1, err
    return err


def test_errors_are_one_line_with_status_2(tmp_path, capsys):
    err = _one_line_error(["spectrogram", str(tmp_path / "missing.wav")], capsys)
    assert "missing.wav" in err
    garbage = tmp_path / "notes.wav"
    garbage.write_text("not audio at all\n")
    assert "notes.wav" in _one_line_error(["spectrogram", str(garbage)], capsys)
    assert "--n-fft" in _one_line_error(["spectrogram", "--n-fft", "0"], capsys)
    assert "--hop-length" in _one_line_error(["spectrogram", "--hop-length", "x"], capsys)
    assert "--kind" in _one_line_error(["spectrogram", "--kind", "wavelet"], capsys)
    assert "--fmin" in _one_line_error(["spectrogram", "--kind", "cqt", "--fmin", "2e4"], capsys)
    # a value only sigpu's own checks reject: its ParameterError, on one line
    err = _one_line_error(["spectrogram", "--kind", "hyper", "--fmin", "2e4"], capsys)
    assert "minf" in err
    _one_line_error(["nope"], capsys)
    # the output is checked before any work
    assert ".png" in _one_line_error(["spectrogram", "-o", str(tmp_path / "x.xyz")], capsys)
    missing_dir = str(tmp_path / "no" / "x.png")
    assert "does not exist" in _one_line_error(["spectrogram", "-o", missing_dir], capsys)


def test_unreadable_wav_without_soundfile_is_one_line(tmp_path, capsys, monkeypatch):
    monkeypatch.setitem(sys.modules, "soundfile", None)
    garbage = tmp_path / "notes.wav"
    garbage.write_text("not audio at all\n")
    assert "notes.wav" in _one_line_error(["spectrogram", str(garbage)], capsys)


def test_cupy_backend_without_a_gpu_says_why():
    """Run by the real CuPy in a child process: here, without a GPU, it names the cause."""
    probe = subprocess.run(
        [sys.executable, "-c", "import cupy; print(cupy.cuda.is_available())"],
        capture_output=True,
        text=True,
    )
    if probe.stdout.strip() == "True":
        pytest.skip("a CUDA GPU is usable here")
    result = subprocess.run(
        [sys.executable, "-m", "sigpu", "spectrogram", "--backend", "cupy"],
        capture_output=True,
        text=True,
    )
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "--backend cupy" in lines[0]
    assert any(why in lines[0] for why in ("driver", "no CUDA device", "not installed", "cuda"))


def test_version_and_plain_text_help(capsys):
    import sigpu

    with pytest.raises(SystemExit) as exit_info:
        cli.main(["--version"])
    assert exit_info.value.code == 0
    assert capsys.readouterr().out.strip() == f"sigpu {sigpu.__version__}"
    parser = cli.build_parser()
    subparsers = next(a for a in parser._actions if a.choices and "spectrogram" in a.choices)
    for name, sub in [("sigpu", parser), *subparsers.choices.items()]:
        for action in sub._actions:
            assert action.help, f"{name}: {action.option_strings or action.dest} has no help"
        text = sub.format_help()
        for markup in ("``", ":func:", ":mod:", ":class:", ".. "):
            assert markup not in text, f"{name} --help shows reST markup {markup!r}"
