"""Same-run CPU comparison of sigpu.load / sigpu.resample against librosa.load /
librosa.resample (soxr_hq, its default, and polyphase = scipy.signal.resample_poly), with
the difference of every output next to its time.

Run: /work/venv/bin/python benchmarks/compare_audio.py [--repeats 7] [--seconds 10]
Prints a markdown table: median seconds (interleaved rounds, benchmarks/timing.py), the
ratio librosa / sigpu (> 1: sigpu faster) and max|sigpu - librosa| / max|librosa|.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import warnings

import numpy as np

import sigpu

sys.path.insert(0, os.path.dirname(__file__))
from timing import interleaved_times  # noqa: E402

# (orig_sr, target_sr): 2:1 and 1:2 (sigpu's overlap-save path), 441:320 and 320:441
# (its grouped-GEMM path), 147:160
RATIOS = [(44100, 22050), (22050, 44100), (22050, 16000), (16000, 22050), (44100, 48000)]


def rel(a, b) -> float:
    return float(np.max(np.abs(a - b)) / np.max(np.abs(b)))


def band_limited(rng, channels, n, orig_sr, target_sr):
    """Noise below 0.85 of the lower Nyquist frequency with 0.1 s Hann-tapered ends (what
    the tolerance of sinc_hq against soxr_hq is stated for: sigpu.audio)."""
    import scipy.signal

    h = scipy.signal.firwin(801, 0.85 * min(orig_sr, target_sr) / orig_sr)
    x = scipy.signal.lfilter(h, 1.0, rng.standard_normal((channels, n + 800)), axis=-1)
    k = orig_sr // 10
    taper = np.ones(n)
    taper[:k], taper[-k:] = np.hanning(2 * k)[:k], np.hanning(2 * k)[k:]
    return (0.3 * x[:, 800:] * taper).astype(np.float32)


def resample_rows(seconds, repeats):
    import librosa

    rng = np.random.default_rng(0)
    rows = []
    for orig_sr, target_sr in RATIOS:
        y = band_limited(rng, 2, seconds * orig_sr, orig_sr, target_sr)
        for sig_type, lib_type in [("sinc_hq", "soxr_hq"), ("polyphase", "polyphase")]:
            kw = dict(orig_sr=orig_sr, target_sr=target_sr)
            runs = {
                "sigpu": lambda y=y, kw=kw, t=sig_type: sigpu.resample(y, res_type=t, **kw),
                "librosa": lambda y=y, kw=kw, t=lib_type: librosa.resample(y, res_type=t, **kw),
            }
            times = interleaved_times(runs, repeats)
            error = rel(runs["sigpu"](), runs["librosa"]())
            rows.append((f"resample {orig_sr}->{target_sr} {sig_type} vs {lib_type}", times, error))
    return rows


def load_rows(seconds, repeats):
    import librosa
    import soundfile

    rows = []
    with tempfile.TemporaryDirectory() as root:
        y = band_limited(np.random.default_rng(1), 2, seconds * 44100, 44100, 22050).T
        for ext, subtype in [("wav", "PCM_16"), ("flac", "PCM_16")]:
            path = os.path.join(root, f"noise.{ext}")
            soundfile.write(path, y, 44100, subtype=subtype)
            for sr, sig_type, lib_type in [
                (None, "sinc_hq", "soxr_hq"),
                (22050, "sinc_hq", "soxr_hq"),
                (22050, "polyphase", "polyphase"),
            ]:
                runs = {
                    "sigpu": lambda p=path, s=sr, t=sig_type: sigpu.load(p, sr=s, res_type=t)[0],
                    "librosa": lambda p=path, s=sr, t=lib_type: librosa.load(p, sr=s, res_type=t)[
                        0
                    ],
                }
                times = interleaved_times(runs, repeats)
                error = rel(runs["sigpu"](), runs["librosa"]())
                what = "native rate" if sr is None else f"sr={sr} {sig_type} vs {lib_type}"
                rows.append((f"load {ext} 44100 stereo -> mono, {what}", times, error))
    return rows


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=7)
    parser.add_argument("--seconds", type=int, default=10)
    args = parser.parse_args(argv)
    warnings.simplefilter("ignore")  # librosa's deprecation warnings
    rows = resample_rows(args.seconds, args.repeats) + load_rows(args.seconds, args.repeats)
    print(
        f"CPU, {os.cpu_count()} cores, 2 channels x {args.seconds} s, float32, "
        f"median of {args.repeats} interleaved rounds\n"
    )
    print("| case | sigpu (ms) | librosa (ms) | librosa / sigpu | rel. difference |")
    print("|---|---:|---:|---:|---:|")
    for what, times, error in rows:
        s, lib = times["sigpu"], times["librosa"]
        print(f"| {what} | {1e3 * s:.1f} | {1e3 * lib:.1f} | {lib / s:.2f} | {error:.1e} |")


if __name__ == "__main__":
    main()
