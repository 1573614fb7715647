"""The command line: the main job on the built-in example and on a WAV file."""

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
    assert "1025 bins x 173 frames" in capsys.readouterr().out


def test_spectrogram_of_wav_file(tmp_path, capsys):
    pytest.importorskip("matplotlib")
    sr = 8000
    tone = (0.5 * np.sin(2 * np.pi * 1000 * np.arange(sr) / sr) * 32767).astype(np.int16)
    path = tmp_path / "tone.wav"
    wavfile.write(path, sr, np.stack([tone, tone], axis=1))  # stereo int16
    y, read_sr = cli.read_wav(str(path))
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
