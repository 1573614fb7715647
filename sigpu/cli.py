"""Command-line entry point: ``sigpu spectrogram`` and ``sigpu info``.

``sigpu spectrogram [FILE] [--kind stft|mel|cqt|reassigned|hyper] [-o out.png]
[--backend numpy|cupy]`` computes a dB image of a sound file and writes a PNG drawn by
:mod:`sigpu.display`, with the frequency axis the kind calls for (log Hz, mel, notes).
Without FILE it uses a built-in example signal synthesised in code (nothing is downloaded).
Every error is one line on stderr and exit status 2.
"""

from __future__ import annotations

import argparse
import importlib
import os
import platform
import sys
import time

import numpy as np

from . import __version__
from ._backend import asarray_on, namespace_for, synchronize, to_host
from ._errors import ParameterError

EXAMPLE_SR = 22050
C1_HZ = 32.703195662574764  # librosa's default fmin for the CQT: note_to_hz("C1")
EXIT_USAGE = 2  # argparse's status for a bad command line; ours for every user error


class CommandError(Exception):
    """A user error the command reports as one line (exit status 2)."""


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


# ------------------------------------------------------------------------------ reading


def read_wav(path: str) -> tuple[np.ndarray, int]:
    """Read a sound file as mono float32 in [-1, 1) and its sampling rate.

    Decoded by :func:`sigpu.load` (libsndfile: WAV, FLAC, OGG, ...); without soundfile,
    WAV only through scipy, scaled by the sample format's full scale, unsigned 8-bit PCM
    centred on 128 (its zero).
    """
    try:
        import soundfile  # noqa: F401  (the loader's decoder)
    except ImportError:
        return _read_wav_with_scipy(path)
    from .audio import load

    y, sr = load(path, sr=None, mono=True)
    return y, int(sr)


def _read_wav_with_scipy(path: str) -> tuple[np.ndarray, int]:
    from scipy.io import wavfile

    try:
        sr, data = wavfile.read(path)
    except ValueError as exc:  # scipy's "File format ... not understood" and the like
        raise CommandError(f"cannot read {path!r} as a WAV file ({exc})") from exc
    data = np.atleast_2d(data.T)
    if data.dtype == np.uint8:  # unsigned 8-bit PCM: 128 is silence
        data = (data.astype(np.float64) - 128.0) / 128.0
    elif np.issubdtype(data.dtype, np.integer):  # 16/32-bit (24-bit comes left-justified)
        data = data / float(np.iinfo(data.dtype).max + 1)
    return data.mean(axis=0).astype(np.float32), int(sr)


# ------------------------------------------------------------------------------ kinds


def _cqt_bins(args, sr) -> int:
    """The requested number of CQT bins, or as many as fit below the Nyquist frequency
    (at most seven octaves)."""
    if args.n_bins is not None:
        return args.n_bins
    octaves_below_nyquist = np.log2(0.5 * sr / args.fmin)
    n_bins = min(7 * args.bins_per_octave, int(args.bins_per_octave * octaves_below_nyquist))
    if n_bins < 1:
        raise CommandError(
            f"--fmin {args.fmin:g} Hz leaves no CQT bin below the Nyquist frequency ({sr / 2:g} Hz)"
        )
    return n_bins


def _compute(kind, signal, sr, args, xp):
    """The timed sigpu call of ``kind``: a dB image on the signal's device, or for the
    reassigned spectrogram its (frequencies, times, magnitudes)."""
    from . import constantq, feature, reassign, spectrum

    n_fft, hop = args.n_fft, args.hop_length
    if kind == "stft":
        S = abs(spectrum.stft(signal, n_fft=n_fft, hop_length=hop))
        return spectrum.amplitude_to_db(S, ref=xp.max)
    if kind == "mel":
        M = feature.melspectrogram(signal, sr=sr, n_fft=n_fft, hop_length=hop, n_mels=args.n_mels)
        return spectrum.power_to_db(M, ref=xp.max)
    if kind == "cqt":
        C = constantq.cqt(
            signal,
            sr=sr,
            hop_length=hop,
            fmin=args.fmin,
            n_bins=_cqt_bins(args, sr),
            bins_per_octave=args.bins_per_octave,
        )
        return spectrum.amplitude_to_db(abs(C), ref=xp.max)
    if kind == "reassigned":
        return reassign.reassigned_spectrogram(signal, sr=sr, n_fft=n_fft, hop_length=hop)
    H = reassign.linear_reassignment(
        signal, q=args.q, tdeci=hop, noct=args.bins_per_octave, minf=args.fmin, maxf=sr / 2, sr=sr
    )
    return spectrum.power_to_db(H, ref=xp.max)


def _image(kind, result, n_samples, sr, args):
    """``(dB image on the host, specshow keywords)`` of a computed result."""
    from .reassign import linear_reassignment_frequencies, linear_reassignment_times
    from .spectrum import power_to_db

    common = dict(sr=sr, hop_length=args.hop_length, x_axis="time")
    if kind == "stft":
        return to_host(result), dict(common, y_axis="log", n_fft=args.n_fft)
    if kind == "mel":
        return to_host(result), dict(common, y_axis="mel")
    if kind == "cqt":
        cq = dict(y_axis="cqt_note", fmin=args.fmin, bins_per_octave=args.bins_per_octave)
        return to_host(result), dict(common, **cq)
    if kind == "reassigned":
        freqs, times, mags = (to_host(a) for a in result)
        image = _bin_points(freqs, times, mags, sr, args.n_fft, args.hop_length)
        return power_to_db(image, ref=np.max), dict(common, y_axis="log", n_fft=args.n_fft)
    y_coords = linear_reassignment_frequencies(
        noct=args.bins_per_octave, minf=args.fmin, maxf=sr / 2, sr=sr
    )
    x_coords = linear_reassignment_times(n_samples, tdeci=args.hop_length, sr=sr)
    return to_host(result), dict(common, y_axis="cqt_note", y_coords=y_coords, x_coords=x_coords)


def _bin_points(freqs, times, mags, sr, n_fft, hop_length) -> np.ndarray:
    """The reassigned points' energy summed on the STFT grid (nearest frame and bin), so
    that the image shows where the energy was reassigned to."""
    keep = np.isfinite(freqs) & np.isfinite(times)
    rows = np.clip(np.round(freqs[keep] * n_fft / sr), 0, n_fft // 2).astype(np.int64)
    cols = np.clip(np.round(times[keep] * sr / hop_length), 0, freqs.shape[1] - 1).astype(np.int64)
    image = np.zeros(freqs.shape)
    np.add.at(image, (rows, cols), mags[keep].astype(np.float64) ** 2)
    return image


# ------------------------------------------------------------------------------ commands


def _array_module(backend: str):
    """The namespace of ``--backend``; for cupy, a CommandError saying why no GPU is usable."""
    if backend == "cupy":
        try:
            import cupy
        except ImportError as exc:
            raise CommandError(
                f"--backend cupy: CuPy is not installed ({exc}); pip install 'sigpu[cuda12]'"
            ) from exc
        try:
            count = cupy.cuda.runtime.getDeviceCount()
        except Exception as exc:  # CUDARuntimeError: no driver, driver too old, ...
            raise CommandError(f"--backend cupy: no usable CUDA GPU ({exc})") from exc
        if count == 0:
            raise CommandError("--backend cupy: no CUDA device found")
    return namespace_for(backend)


def _check_output(path: str) -> None:
    """Fail before the work, not after it: matplotlib present, a writable image format, an
    existing directory."""
    try:
        from matplotlib.backend_bases import FigureCanvasBase
    except ImportError as exc:
        raise CommandError(
            "sigpu spectrogram needs matplotlib for the image: pip install 'sigpu[plot]'"
        ) from exc
    suffix = os.path.splitext(path)[1].lstrip(".").lower()
    formats = FigureCanvasBase.get_supported_filetypes()
    if suffix not in formats:
        raise CommandError(
            f"-o {path}: cannot tell the image format from {'.' + suffix if suffix else 'no'} "
            f"extension (use one of {', '.join('.' + f for f in sorted(formats))})"
        )
    directory = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(directory):
        raise CommandError(f"-o {path}: the directory {directory} does not exist")


def _spectrogram_command(args) -> int:
    _check_output(args.output)
    if args.file is None:
        y, sr, name = example_signal(), EXAMPLE_SR, "built-in example"
    else:
        y, sr = read_wav(args.file)
        name = args.file
    xp = _array_module(args.backend)
    signal = asarray_on(y, xp, np.float32)  # explicit: the user chose the backend
    elapsed = []  # the first call includes one-time setup (tables, FFT plans, kernels)
    for _ in range(2):
        t0 = time.perf_counter()
        result = _compute(args.kind, signal, sr, args, xp)
        synchronize(xp)
        elapsed.append(time.perf_counter() - t0)
    image, axes = _image(args.kind, result, y.shape[-1], sr, args)
    print(
        f"{name}: {y.shape[-1] / sr:.2f} s at {sr} Hz -> {args.kind} {image.shape[0]} bins x "
        f"{image.shape[1]} frames on {args.backend}; time: first call {elapsed[0] * 1e3:.1f} ms "
        f"(includes one-time setup), steady state {elapsed[1] * 1e3:.1f} ms"
    )
    _plot(image, axes, args.output, title=f"{args.kind} of {name}")
    print(f"wrote {args.output}")
    return 0


def _plot(image, specshow_kwargs, path, title):
    import matplotlib  # there: _check_output made sure

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from .display import specshow

    fig, ax = plt.subplots(figsize=(10, 4.5), layout="constrained")
    mesh = specshow(image, ax=ax, **specshow_kwargs)
    ax.set(title=f"sigpu: {title}")
    fig.colorbar(mesh, ax=ax, format="%+.0f dB")
    try:
        fig.savefig(path, dpi=110)
    finally:
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


# ------------------------------------------------------------------------------ parser


class _DefaultsHelp(argparse.ArgumentDefaultsHelpFormatter):
    """Each option's default in its help, unless it has none or the help already says it."""

    def _get_help_string(self, action):
        if action.default is None or "default:" in (action.help or ""):
            return action.help
        return super()._get_help_string(action)


class _Parser(argparse.ArgumentParser):
    """argparse with a one-line error (no usage block) and exit status 2."""

    def error(self, message):
        self.exit(EXIT_USAGE, f"{self.prog}: error: {message} (see {self.prog} --help)\n")


def _positive(convert, what):
    def parse(text):
        try:
            value = convert(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r} is not {what}") from None
        if not value > 0:
            raise argparse.ArgumentTypeError(f"{text!r} must be {what}")
        return value

    parse.__name__ = what  # argparse names the type in its messages
    return parse


POSITIVE_INT = _positive(int, "a positive integer")
POSITIVE_FLOAT = _positive(float, "a positive number")
KINDS = {
    "stft": "STFT magnitude, log-frequency axis in Hz",
    "mel": "mel power spectrogram, mel axis",
    "cqt": "constant-Q transform, note axis",
    "reassigned": "reassigned spectrogram (energy moved to its reassigned time and frequency)",
    "hyper": "linear reassignment (spectral hyperresolution), note axis",
}


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="sigpu",
        description="sigpu: spectrograms and audio features on NumPy (CPU) or CuPy (GPU).",
    )
    parser.add_argument("--version", action="version", version=f"sigpu {__version__}")
    sub = parser.add_subparsers(
        dest="command", required=True, parser_class=_Parser, help="the command to run"
    )
    spec = sub.add_parser(
        "spectrogram",
        help="write a dB spectrogram PNG of a sound file",
        description="Compute a dB spectrogram of a sound file (or of a built-in example "
        "signal) and draw it to an image (PNG by default); print the time of the first "
        "call (with one-time setup) and of a second, steady-state call.",
        formatter_class=_DefaultsHelp,
    )
    spec.add_argument(
        "file", nargs="?", help="sound file (WAV, FLAC, OGG); default: built-in example"
    )
    spec.add_argument(
        "-o",
        "--output",
        default="spectrogram.png",
        help="image file to write; its extension picks the format (.png, .pdf, .svg, ...)",
    )
    spec.add_argument(
        "--kind",
        choices=tuple(KINDS),
        default="stft",
        help="what to compute: " + "; ".join(f"{k} = {v}" for k, v in KINDS.items()),
    )
    spec.add_argument(
        "--backend",
        choices=("numpy", "cupy"),
        default="numpy",
        help="numpy runs on the CPU, cupy on the current CUDA GPU",
    )
    spec.add_argument(
        "--n-fft",
        dest="n_fft",
        type=POSITIVE_INT,
        default=2048,
        help="FFT length in samples (stft, mel, reassigned)",
    )
    spec.add_argument(
        "--hop-length",
        dest="hop_length",
        type=POSITIVE_INT,
        default=512,
        help="samples between frames (every kind)",
    )
    spec.add_argument(
        "--n-mels", dest="n_mels", type=POSITIVE_INT, default=128, help="mel bands (mel)"
    )
    spec.add_argument(
        "--fmin",
        type=POSITIVE_FLOAT,
        default=C1_HZ,
        help=f"lowest frequency in Hz (cqt, hyper) (default: C1 = {C1_HZ:.2f})",
    )
    spec.add_argument(
        "--n-bins",
        dest="n_bins",
        type=POSITIVE_INT,
        default=None,
        help="CQT bins; default: up to 7 octaves below the Nyquist frequency (cqt)",
    )
    spec.add_argument(
        "--bins-per-octave",
        dest="bins_per_octave",
        type=POSITIVE_INT,
        default=12,
        help="frequency bins per octave (cqt, hyper)",
    )
    spec.add_argument(
        "--q",
        type=POSITIVE_FLOAT,
        default=2.0,
        help="filter length in periods of the centre frequency (hyper)",
    )
    spec.set_defaults(run=_spectrogram_command)
    info = sub.add_parser(
        "info",
        help="versions, backends and GPU availability",
        description="Print the versions of sigpu and its dependencies and whether a GPU is usable.",
    )
    info.set_defaults(run=_info_command)
    from .corpus._cli import add_command as add_features_command  # issue 18's verb

    add_features_command(sub)
    return parser


def main(argv=None) -> int:
    """Run the ``sigpu`` command line; returns the exit status (2 for a user error)."""
    args = build_parser().parse_args(argv)
    try:
        return args.run(args)
    except (CommandError, ParameterError, FileNotFoundError, IsADirectoryError) as exc:
        message = str(exc) or type(exc).__name__
    except (OSError, RuntimeError, TypeError, ValueError) as exc:  # a decoder's or library's
        message = f"{type(exc).__name__}: {exc}"
    first_line = message.strip().splitlines()[0]
    print(f"sigpu {args.command}: error: {first_line}", file=sys.stderr)
    return EXIT_USAGE
