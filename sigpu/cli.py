"""Command-line entry point: ``sigpu spectrogram`` and ``sigpu info``.

``sigpu spectrogram [FILE.wav] [-o out.png] [--backend numpy|cupy]`` computes a
dB spectrogram and writes a PNG with axes in seconds and Hz.  Without FILE it
uses a built-in example signal synthesised in code (nothing is downloaded).
"""

from __future__ import annotations

import argparse
import importlib
import platform
import sys
import time

import numpy as np

from . import __version__
from ._backend import asarray_on, namespace_for, synchronize, to_host
from .convert import fft_frequencies, frames_to_time
from .spectrum import amplitude_to_db, stft

EXAMPLE_SR = 22050


def example_signal(sr: int = EXAMPLE_SR, seconds: float = 4.0) -> np.ndarray:
    """A deterministic test signal: a piano-like note sequence, a log chirp and faint noise.

    Returns float32 samples in [-1, 1] at ``sr`` Hz; it exercises low and high
    frequencies, harmonics, onsets and a sweep, so a spectrogram of it shows
    whether axes and scaling are right.
    """
    t = np.arange(int(sr * seconds)) / sr
    y = np.zeros_like(t)
    notes_hz = [110.0, 220.0, 329.63, 440.0, 659.26, 880.0]
    note_len = seconds / (2 * len(notes_hz))
    for i, f0 in enumerate(notes_hz):
        start = i * note_len
        active = (t >= start) & (t < start + note_len)
        tau = t[active] - start
        for h in range(1, 7):  # six decaying harmonics
            y[active] += np.exp(-3.0 * tau) * np.sin(2 * np.pi * h * f0 * tau) / h
    sweep = t >= seconds / 2
    tau = t[sweep] - seconds / 2
    duration = seconds / 2
    f_lo, f_hi = 30.0, 10000.0
    k = np.log(f_hi / f_lo) / duration
    y[sweep] += 0.5 * np.sin(2 * np.pi * f_lo * (np.exp(k * tau) - 1) / k)
    y += 10 ** (-50 / 20) * np.random.default_rng(0).standard_normal(t.shape)
    return (0.9 * y / np.max(np.abs(y))).astype(np.float32)


def read_wav(path: str) -> tuple[np.ndarray, int]:
    """Read a WAV file as mono float32 in [-1, 1] (soundfile if installed, else scipy)."""
    try:
        import soundfile

        data, sr = soundfile.read(path, dtype="float32", always_2d=True)
        data = data.T
    except ImportError:
        from scipy.io import wavfile

        sr, data = wavfile.read(path)
        data = np.atleast_2d(data.T)
        if np.issubdtype(data.dtype, np.integer):
            data = data / float(np.iinfo(data.dtype).max + 1)
        data = data.astype(np.float32)
    return data.mean(axis=0), int(sr)


def _spectrogram_command(args) -> int:
    if args.file is None:
        y, sr, name = example_signal(), EXAMPLE_SR, "built-in example"
    else:
        y, sr = read_wav(args.file)
        name = args.file
    xp = namespace_for(args.backend)
    signal = asarray_on(y, xp, np.float32)  # explicit: the user chose the backend
    elapsed = []  # the first call includes one-time setup (tables, FFT plans, kernels)
    for _ in range(2):
        t0 = time.perf_counter()
        S_db = amplitude_to_db(
            abs(stft(signal, n_fft=args.n_fft, hop_length=args.hop_length)), ref=xp.max
        )
        synchronize(xp)
        elapsed.append(time.perf_counter() - t0)
    S_db = to_host(S_db)
    print(
        f"{name}: {y.shape[-1] / sr:.2f} s at {sr} Hz -> spectrogram {S_db.shape[0]} bins x "
        f"{S_db.shape[1]} frames on {args.backend} in {elapsed[1] * 1e3:.1f} ms "
        f"(first call, with setup: {elapsed[0] * 1e3:.1f} ms)"
    )
    _plot(S_db, sr, args.hop_length, args.n_fft, args.output, title=name)
    print(f"wrote {args.output}")
    return 0


def _plot(S_db, sr, hop_length, n_fft, path, title):
    try:
        import matplotlib
    except ImportError:
        sys.exit("sigpu spectrogram needs matplotlib for the PNG: pip install 'sigpu[plot]'")
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    times = frames_to_time(np.arange(S_db.shape[1] + 1), sr=sr, hop_length=hop_length)
    freqs = fft_frequencies(sr=sr, n_fft=n_fft)
    fig, ax = plt.subplots(figsize=(10, 4.5), layout="constrained")
    mesh = ax.pcolormesh(times, np.append(freqs, freqs[-1]), S_db, shading="flat", cmap="magma")
    ax.set(xlabel="time (s)", ylabel="frequency (Hz)", title=f"sigpu dB spectrogram: {title}")
    fig.colorbar(mesh, ax=ax, format="%+.0f dB")
    fig.savefig(path, dpi=110)
    plt.close(fig)


def _info_command(_args) -> int:
    print(f"sigpu {__version__} on Python {platform.python_version()} ({platform.machine()})")
    for module in ("numpy", "scipy", "numba", "array_api_compat", "cupy", "librosa", "matplotlib"):
        try:
            version = importlib.import_module(module).__version__
        except ImportError:
            version = "not installed"
        except Exception as exc:  # a broken install should be reported, not crash info
            version = f"import failed: {exc}"
        print(f"  {module:<17} {version}")
    print("backends: numpy (CPU)" + (", cupy (GPU)" if _gpu_usable() else ""))
    print(f"GPU usable: {_gpu_description()}")
    return 0


def _gpu_usable() -> bool:
    try:
        import cupy

        return bool(cupy.cuda.is_available())
    except Exception:
        return False


def _gpu_description() -> str:
    if not _gpu_usable():
        return "no (cupy missing or no CUDA device)"
    import cupy

    props = cupy.cuda.runtime.getDeviceProperties(0)
    return f"yes: {props['name'].decode()} ({cupy.cuda.runtime.getDeviceCount()} device(s))"


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="sigpu", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    spec = sub.add_parser("spectrogram", help="write a dB spectrogram PNG of a WAV file")
    spec.add_argument("file", nargs="?", help="WAV file (default: built-in example signal)")
    spec.add_argument("-o", "--output", default="spectrogram.png", help="PNG path")
    spec.add_argument("--backend", choices=("numpy", "cupy"), default="numpy")
    spec.add_argument("--n-fft", dest="n_fft", type=int, default=2048)
    spec.add_argument("--hop-length", dest="hop_length", type=int, default=512)
    spec.set_defaults(run=_spectrogram_command)
    info = sub.add_parser("info", help="versions, backends and GPU availability")
    info.set_defaults(run=_info_command)
    return parser


def main(argv=None) -> int:
    """Run the ``sigpu`` command line; returns the exit status."""
    args = build_parser().parse_args(argv)
    return args.run(args)
