"""Same-run CPU comparison of sigpu's spectral features with librosa, nnAudio and torchaudio.

Workload (spec section 7): 16 synthetic clips x 10 s at 22050 Hz, float32
(piano-like notes with 6 harmonics and decay, a 30 Hz -> 10 kHz log chirp, -50 dB
noise, peak 0.9, fixed seed); n_fft 2048, hop 512, Hann, centred, zero padding.
Every peer gets the whole batch in one call; timings are the median of
``--repeat`` runs after one warm-up (filter banks built during the warm-up for
the cached paths; librosa rebuilds its banks every call, as it does for users).
Accuracy is rel-to-peak against librosa (float32 result vs librosa float32).

Run:  python benchmarks/compare_feature.py [--repeat 7] [--threads 1]

:func:`mel_mfcc` is the mel and MFCC part of ``compare.py``'s report (its workload, its peers
on the GPU too), run through ``compare.py --only mel MFCC``.
"""

from __future__ import annotations

import argparse
import os
import statistics
import time


def _parse():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--repeat", type=int, default=7)
    p.add_argument("--threads", type=int, default=0, help="limit BLAS/FFT threads (0 = default)")
    p.add_argument("--clips", type=int, default=16)
    p.add_argument("--seconds", type=float, default=10.0)
    return p.parse_args()


ARGS = _parse() if __name__ == "__main__" else None  # imported by compare.py: its settings
if ARGS is not None and ARGS.threads:
    for var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ[var] = str(ARGS.threads)
    os.sched_setaffinity(0, set(range(ARGS.threads)))

import numpy as np  # noqa: E402
from harness import HOP, N_FFT  # noqa: E402

import sigpu.feature as F  # noqa: E402

SR = 22050


def synthetic_batch(n_clips, seconds, seed=7):
    rng = np.random.default_rng(seed)
    n = int(seconds * SR)
    t = np.arange(n) / SR
    out = np.zeros((n_clips, n))
    for c in range(n_clips):
        y = np.zeros(n)
        for _ in range(int(seconds * 3)):
            midi = rng.integers(28, 101)  # E1 .. E7
            f0 = 440.0 * 2 ** ((midi - 69) / 12)
            start = rng.integers(0, n - SR // 2)
            env = np.exp(-(t[: n - start]) * rng.uniform(1.0, 4.0))
            note = sum(
                np.sin(2 * np.pi * h * f0 * t[: n - start]) / h
                for h in range(1, 7)
                if h * f0 < SR / 2
            )
            y[start:] += 0.2 * env * note
        y += 0.1 * np.sin(
            2 * np.pi * 30 * (10000 / 30) ** (t / seconds) * seconds / np.log(10000 / 30)
        )
        y += 10 ** (-50 / 20) * rng.standard_normal(n)
        out[c] = 0.9 * y / np.max(np.abs(y))
    return out.astype(np.float32)


def timeit(fn, repeat):
    fn()  # warm-up (bank construction, numba/torch initialisation)
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def rel_to_peak(a, b):
    a, b = np.asarray(a, np.float64), np.asarray(b, np.float64)
    return float(np.max(np.abs(a - b)) / np.max(np.abs(b)))


def main():
    y = synthetic_batch(ARGS.clips, ARGS.seconds)
    stft_kw = dict(n_fft=2048, hop_length=512)
    rows = []  # (feature, implementation, seconds, accuracy)

    try:
        import librosa
    except ImportError:
        librosa = None
        print("librosa not installed: no reference, no accuracy column")
    try:
        import torch

        torch.set_num_threads(ARGS.threads or torch.get_num_threads())
        from nnAudio import features as nn_features
    except ImportError:
        nn_features = None
        print("nnAudio/torch not installed: skipped")
    try:
        import torchaudio
    except ImportError:
        torchaudio = None
        print("torchaudio not installed: skipped")

    cases = {
        "melspectrogram (128)": (
            lambda: F.melspectrogram(y, sr=SR, **stft_kw),
            librosa and (lambda: librosa.feature.melspectrogram(y=y, sr=SR, **stft_kw)),
        ),
        "mfcc (20 of 128)": (
            lambda: F.mfcc(y, sr=SR, **stft_kw),
            librosa and (lambda: librosa.feature.mfcc(y=y, sr=SR, **stft_kw)),
        ),
        "chroma_stft (tuning=0)": (
            lambda: F.chroma_stft(y, sr=SR, tuning=0.0, **stft_kw),
            librosa and (lambda: librosa.feature.chroma_stft(y=y, sr=SR, tuning=0.0, **stft_kw)),
        ),
        "chroma_stft (tuning=None)": (
            lambda: F.chroma_stft(y, sr=SR, **stft_kw),
            librosa and (lambda: librosa.feature.chroma_stft(y=y, sr=SR, **stft_kw)),
        ),
        "gammatonegram (64)": (lambda: F.gammatonegram(y, sr=SR, **stft_kw), None),
    }
    plans = {
        "melspectrogram (128)": F.MelSpectrogram(sr=SR, **stft_kw),
        "mfcc (20 of 128)": F.MFCC(sr=SR, **stft_kw),
        "gammatonegram (64)": F.Gammatonegram(sr=SR, **stft_kw),
    }
    for name, (ours, theirs) in cases.items():
        ref = theirs() if theirs else None
        mine = ours()
        acc = rel_to_peak(mine, ref) if ref is not None else float("nan")
        if theirs:
            rows.append((name, "librosa 1 batched call", timeit(theirs, ARGS.repeat), 0.0))
        rows.append((name, "sigpu (numpy)", timeit(ours, ARGS.repeat), acc))
        if name in plans:
            plan = plans[name]
            rows.append((name, "sigpu plan (numpy)", timeit(lambda p=plan: p(y), ARGS.repeat), acc))

    if nn_features is not None:
        x = torch.from_numpy(y)
        layers = {
            "melspectrogram (128)": nn_features.MelSpectrogram(
                sr=SR, n_fft=2048, hop_length=512, pad_mode="constant", verbose=False
            ),
            "mfcc (20 of 128)": nn_features.MFCC(
                sr=SR, n_mfcc=20, n_fft=2048, hop_length=512, pad_mode="constant", verbose=False
            ),
            "gammatonegram (64)": nn_features.Gammatonegram(
                sr=SR, n_fft=2048, hop_length=512, pad_mode="constant", verbose=False
            ),
        }
        for name, layer in layers.items():
            with torch.no_grad():
                out = layer(x).numpy()
                seconds = timeit(lambda lay=layer: lay(x), ARGS.repeat)
            ref = cases[name][1]() if cases[name][1] else cases[name][0]()
            rows.append((name, "nnAudio CPU", seconds, rel_to_peak(out, ref)))

    if torchaudio is not None:
        x = torch.from_numpy(y)
        mel = torchaudio.transforms.MelSpectrogram(
            sample_rate=SR,
            n_fft=2048,
            hop_length=512,
            n_mels=128,
            norm="slaney",
            mel_scale="slaney",
            pad_mode="constant",
        )
        with torch.no_grad():
            out = mel(x).numpy()
            seconds = timeit(lambda: mel(x), ARGS.repeat)
        rows.append(
            (
                "melspectrogram (128)",
                "torchaudio",
                seconds,
                rel_to_peak(out, cases["melspectrogram (128)"][1]()),
            )
        )

    base = {name: s for name, impl, s, _ in rows if impl.startswith("librosa")}
    print(
        f"\n{ARGS.clips} x {ARGS.seconds:g} s at {SR} Hz float32, n_fft 2048, hop 512; "
        f"median of {ARGS.repeat}; threads={'default' if not ARGS.threads else ARGS.threads}\n"
    )
    print(
        "| feature | implementation | seconds | x librosa "
        "| rel-to-peak vs librosa (gammatone: vs sigpu) |"
    )
    print("|---|---|---|---|---|")
    for name, impl, seconds, acc in rows:
        ratio = f"{seconds / base[name]:.2f}" if name in base else "-"
        acc_s = "-" if impl.startswith("librosa") else ("n/a" if acc != acc else f"{acc:.1e}")
        print(f"| {name} | {impl} | {seconds:.4f} | {ratio} | {acc_s} |")


def mel_mfcc(bench):
    """Mel and MFCC rows of ``compare.py``: sigpu's functions and plans against librosa,
    torch.stft + matmul, torchaudio and nnAudio on the :class:`harness.Bench` workload."""
    sp = bench.sigpu
    lr, torch = bench.peers.librosa, bench.peers.torch
    kw = dict(sr=SR, n_fft=N_FFT, hop_length=HOP)
    ref = bench.librosa_row("mel", lambda: lr.feature.melspectrogram(y=bench.y_host, **kw))
    plan = sp.MelSpectrogram(**kw)
    bench.add("mel", "sigpu melspectrogram", lambda: sp.melspectrogram(bench.y, **kw), ref, True)
    bench.add("mel", "sigpu MelSpectrogram plan", lambda: plan(bench.y), ref, True)
    if torch is not None and lr is not None:
        x = bench.torch_input()
        window = torch.hann_window(N_FFT, device=x.device)
        bank = torch.from_numpy(lr.filters.mel(sr=SR, n_fft=N_FFT)).to(x.device)

        def run_torch():
            X = torch.stft(
                x,
                N_FFT,
                HOP,
                window=window,
                center=True,
                pad_mode="constant",
                return_complex=True,
            )
            return torch.matmul(bank, X.real**2 + X.imag**2)

        bench.add_torch(
            "mel",
            f"torch.stft + matmul ({bench.peers.torch_device})",
            run_torch,
            ref,
        )
    if bench.peers.torchaudio is not None:
        ta = bench.peers.torchaudio
        layer = ta.transforms.MelSpectrogram(
            sample_rate=SR,
            n_fft=N_FFT,
            hop_length=HOP,
            n_mels=128,
            norm="slaney",
            mel_scale="slaney",
            pad_mode="constant",
        ).to(bench.peers.torch_device)
        bench.add_torch(
            "mel",
            f"torchaudio MelSpectrogram ({bench.peers.torch_device})",
            bench.nn_call(layer),
            ref,
        )
    if bench.peers.nnaudio is not None:
        layer = bench.nn_layer(
            "MelSpectrogram",
            sr=SR,
            n_fft=N_FFT,
            hop_length=HOP,
            pad_mode="constant",
            verbose=False,
        )
        bench.add_torch(
            "mel",
            f"nnAudio MelSpectrogram ({bench.peers.torch_device})",
            bench.nn_call(layer),
            ref,
        )

    ref = bench.librosa_row("MFCC", lambda: lr.feature.mfcc(y=bench.y_host, **kw))
    mplan = sp.MFCC(**kw)
    bench.add("MFCC", "sigpu mfcc", lambda: sp.mfcc(bench.y, **kw), ref, True)
    bench.add("MFCC", "sigpu MFCC plan", lambda: mplan(bench.y), ref, True)
    if bench.peers.torchaudio is not None:
        ta = bench.peers.torchaudio
        layer = ta.transforms.MFCC(
            sample_rate=SR,
            n_mfcc=20,
            melkwargs=dict(
                n_fft=N_FFT,
                hop_length=HOP,
                n_mels=128,
                norm="slaney",
                mel_scale="slaney",
                pad_mode="constant",
            ),
        ).to(bench.peers.torch_device)
        bench.add_torch(
            "MFCC",
            f"torchaudio MFCC ({bench.peers.torch_device})",
            bench.nn_call(layer),
            ref,
        )
    if bench.peers.nnaudio is not None:
        layer = bench.nn_layer(
            "MFCC",
            sr=SR,
            n_mfcc=20,
            n_fft=N_FFT,
            hop_length=HOP,
            pad_mode="constant",
            verbose=False,
        )
        bench.add_torch(
            "MFCC",
            f"nnAudio MFCC ({bench.peers.torch_device})",
            bench.nn_call(layer),
            ref,
        )


if __name__ == "__main__":
    main()
