"""Same-run CPU comparison of sigpu's onset, rhythm and effects functions with librosa's,
with the difference of every output next to its time.

Run: /work/venv/bin/python benchmarks/compare_effects.py [--repeats 5] [--seconds 10]
     [--clips 2]
Workload: ``clips`` synthetic music clips (piano-like notes with harmonics and decays, a
log chirp, -50 dB noise; compare_feature.synthetic_batch) at 22050 Hz, float32, one
batched call per implementation (librosa takes the batch too: its functions are
multi-channel).  Prints a markdown table: median seconds over interleaved rounds
(benchmarks/timing.py), sigpu / librosa against issue 19's goal (<= 0.7) and
max|sigpu - librosa| / max|librosa|.
"""

from __future__ import annotations

import argparse
import os
import sys
import warnings

import numpy as np

sys.path.insert(0, os.path.dirname(__file__))
from compare_feature import synthetic_batch  # noqa: E402
from timing import interleaved_times  # noqa: E402

import sigpu  # noqa: E402

SR = 22050
GOAL = 0.7  # issue 19: at most 0.7x librosa's time


def rel(a, b) -> float:
    a, b = np.asarray(a, np.float64), np.asarray(b, np.float64)
    if a.shape != b.shape:
        return float("nan")
    return float(np.max(np.abs(a - b)) / max(np.max(np.abs(b)), 1e-30))


def cases(y, librosa):
    """(name, sigpu call, librosa call): the same work, the same parameters."""
    D = librosa.stft(y)
    env = librosa.onset.onset_strength(y=y, sr=SR)
    quiet = np.concatenate([np.zeros_like(y[..., :SR]), y, np.zeros_like(y[..., :SR])], -1)
    return [
        (
            "onset_strength",
            lambda: sigpu.onset.onset_strength(y, sr=SR),
            lambda: librosa.onset.onset_strength(y=y, sr=SR),
        ),
        (
            "onset_strength (max_size=3, detrend)",
            lambda: sigpu.onset.onset_strength(y, sr=SR, max_size=3, detrend=True),
            lambda: librosa.onset.onset_strength(y=y, sr=SR, max_size=3, detrend=True),
        ),
        (
            "onset_detect (envelope, dense)",
            lambda: sigpu.onset.onset_detect(onset_envelope=env, sr=SR, sparse=False),
            lambda: librosa.onset.onset_detect(onset_envelope=env, sr=SR, sparse=False),
        ),
        (
            "tempogram (envelope)",
            lambda: sigpu.feature.tempogram(onset_envelope=env, sr=SR),
            lambda: librosa.feature.tempogram(onset_envelope=env, sr=SR),
        ),
        (
            "decompose.hpss (STFT)",
            lambda: sigpu.decompose.hpss(D)[0],
            lambda: librosa.decompose.hpss(D)[0],
        ),
        (
            "effects.hpss",
            lambda: sigpu.effects.hpss(y)[1],
            lambda: librosa.effects.hpss(y)[1],
        ),
        (
            "phase_vocoder (STFT, rate 1.3)",
            lambda: sigpu.phase_vocoder(D, rate=1.3),
            lambda: librosa.phase_vocoder(D, rate=1.3),
        ),
        (
            "time_stretch (rate 1.3)",
            lambda: sigpu.effects.time_stretch(y, rate=1.3),
            lambda: librosa.effects.time_stretch(y, rate=1.3),
        ),
        (
            "pitch_shift (+12, polyphase)",
            lambda: sigpu.effects.pitch_shift(y, sr=SR, n_steps=12, res_type="polyphase"),
            lambda: librosa.effects.pitch_shift(y, sr=SR, n_steps=12, res_type="polyphase"),
        ),
        (
            "pitch_shift (+2, sinc_hq vs soxr_hq)",
            lambda: sigpu.effects.pitch_shift(y, sr=SR, n_steps=2),
            lambda: librosa.effects.pitch_shift(y, sr=SR, n_steps=2),
        ),
        (
            "preemphasis",
            lambda: sigpu.effects.preemphasis(y),
            lambda: librosa.effects.preemphasis(y),
        ),
        (
            "deemphasis",
            lambda: sigpu.effects.deemphasis(y),
            lambda: librosa.effects.deemphasis(y),
        ),
        (
            "trim",
            lambda: sigpu.effects.trim(quiet, top_db=30)[0],
            lambda: librosa.effects.trim(quiet, top_db=30)[0],
        ),
        (
            "split",
            lambda: sigpu.effects.split(quiet, top_db=30),
            lambda: librosa.effects.split(quiet, top_db=30),
        ),
    ]


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--clips", type=int, default=2)
    parser.add_argument("--only", nargs="*", help="run the cases whose name starts so")
    args = parser.parse_args(argv)
    import librosa

    warnings.simplefilter("ignore")  # librosa's n_fft and deprecation warnings
    y = synthetic_batch(args.clips, args.seconds)
    rows = []
    for name, ours, theirs in cases(y, librosa):
        if args.only and not any(name.startswith(prefix) for prefix in args.only):
            continue
        times = interleaved_times({"sigpu": ours, "librosa": theirs}, args.repeats)
        rows.append((name, times, rel(ours(), theirs())))
    print(
        f"CPU, {os.cpu_count()} cores, {args.clips} clips x {args.seconds:g} s, float32, "
        f"median of {args.repeats} interleaved rounds\n"
    )
    print("| case | sigpu (ms) | librosa (ms) | sigpu / librosa | goal | met | rel. difference |")
    print("|---|---:|---:|---:|---|---|---:|")
    for name, times, error in rows:
        s, lib = times["sigpu"], times["librosa"]
        met = "met" if s / lib <= GOAL else "missed"
        print(
            f"| {name} | {1e3 * s:.1f} | {1e3 * lib:.1f} | {s / lib:.2f} | <= {GOAL} | {met} "
            f"| {error:.1e} |"
        )


if __name__ == "__main__":
    main()
