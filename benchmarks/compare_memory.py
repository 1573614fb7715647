"""Peak memory of stft, melspectrogram, cqt and reassigned_spectrogram against librosa on long
signals (10 minutes and 1 hour at 44.1 kHz, float32 mono).

Each (function, implementation, length) runs in its own fresh process: the signal is made,
the function is called once on up to a minute of it (numba compilation, tables, FFT plans), the
resident set's high-water mark is reset (``/proc/self/clear_refs``), and the function runs
once on the whole signal.  The number is the growth of the high-water mark over the resident
set before the call: the output plus every temporary, in MiB (the input is not counted, the
output is: both libraries return the same shape and dtype).  glibc's ``mmap`` threshold is
fixed at 64 KiB so freed arrays go back to the OS at once and an earlier call cannot hide a
later peak.  Linux only (``/proc``).

Parameters are librosa's defaults (``n_fft=2048``, ``hop_length=512``; CQT 84 bins from C1;
mel 128 bands), at ``sr=44100``.

Usage::

    python benchmarks/compare_memory.py                    # 10 min (both implementations)
    python benchmarks/compare_memory.py --minutes 10 60    # 10 min and 1 h (1 h: ~20 GB free)
    python benchmarks/compare_memory.py --only stft cqt --impl sigpu
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SR = 44100
FUNCTIONS = ("stft", "melspectrogram", "cqt", "reassigned_spectrogram")

CHILD = """
import sys, gc, time
import numpy as np
name, impl, minutes = sys.argv[1], sys.argv[2], float(sys.argv[3])
sr = 44100

def status_kib(field):
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1])

n = int(minutes * 60 * sr)
t = np.arange(n, dtype=np.float64) / sr
y = (0.5 * np.sin(2 * np.pi * 440.0 * t) + 0.1 * np.sin(2 * np.pi * 3000.0 * t * (1 + t / t[-1])))
y = y.astype(np.float32)
del t
if impl == "sigpu":
    import sigpu as lib
    import sigpu.feature as feature
else:
    import librosa as lib
    import librosa.feature as feature
calls = {
    "stft": lambda a: lib.stft(a),
    "melspectrogram": lambda a: feature.melspectrogram(y=a, sr=sr),
    "cqt": lambda a: lib.cqt(a, sr=sr),
    "reassigned_spectrogram": lambda a: lib.reassigned_spectrogram(a, sr=sr),
}
call = calls[name]
# warm-up on up to a minute: long enough to take the same paths as the measured call (small
# inputs skip the fused kernels), so numba's compilation is not counted as the call's memory
call(y[: 60 * sr].copy())
gc.collect()
with open("/proc/self/clear_refs", "w") as f:
    f.write("5")  # high-water mark := current resident set
before = status_kib("VmRSS")
t0 = time.perf_counter()
out = call(y)
seconds = time.perf_counter() - t0
peak = status_kib("VmHWM")
size = sum(a.nbytes for a in (out if isinstance(out, tuple) else (out,)))
print((peak - before) / 1024, size / 2**20, seconds)
"""


def measure(name: str, impl: str, minutes: float):
    env = dict(os.environ, MALLOC_MMAP_THRESHOLD_="65536")
    done = subprocess.run(
        [sys.executable, "-c", CHILD, name, impl, str(minutes)],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env=env,
        check=False,
    )
    if done.returncode:
        lines = done.stderr.strip().splitlines()
        return lines[-1] if lines else f"exit {done.returncode}"
    return tuple(float(v) for v in done.stdout.split()[-3:])


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, nargs="+", default=[10.0])
    parser.add_argument("--only", nargs="+", choices=FUNCTIONS, default=list(FUNCTIONS))
    parser.add_argument("--impl", nargs="+", choices=("sigpu", "librosa"), default=None)
    args = parser.parse_args(argv)
    if not os.path.exists("/proc/self/clear_refs"):
        print("needs Linux /proc (clear_refs, VmHWM)")
        return 1
    impls = args.impl or ["sigpu", "librosa"]
    print(f"sr {SR} Hz float32 mono; librosa's default parameters; one fresh process per row")
    print(f"load average before: {' / '.join(f'{v:.2f}' for v in os.getloadavg())}\n")
    print("| function | length | implementation | peak growth (MiB) | output (MiB) | seconds |")
    print("|---|---|---|---|---|---|")
    peaks = {}
    for minutes in args.minutes:
        for name in args.only:
            for impl in impls:
                t0 = time.perf_counter()
                res = measure(name, impl, minutes)
                if isinstance(res, str):
                    print(f"| {name} | {minutes:g} min | {impl} | failed: {res} | | |", flush=True)
                    continue
                peak, out, seconds = res
                peaks[name, minutes, impl] = peak
                print(
                    f"| {name} | {minutes:g} min | {impl} | {peak:.1f} | {out:.1f} | "
                    f"{seconds:.1f} (process {time.perf_counter() - t0:.0f}) |",
                    flush=True,
                )
    print(f"\nload average after: {' / '.join(f'{v:.2f}' for v in os.getloadavg())}")
    goal_rows = [
        (name, minutes, peak, peaks[name, minutes, "librosa"])
        for (name, minutes, impl), peak in peaks.items()
        if impl == "sigpu" and (name, minutes, "librosa") in peaks
    ]
    if goal_rows:  # issue 20: sigpu's peak no higher than librosa's
        print("\n| goal: peak <= librosa's | sigpu (MiB) | librosa (MiB) | ratio | status |")
        print("|---|---|---|---|---|")
        for name, minutes, mine, theirs in goal_rows:
            status = "met" if mine <= theirs else "MISSED"
            print(
                f"| {name}, {minutes:g} min | {mine:.2f} | {theirs:.2f} | {mine / theirs:.4f} "
                f"| {status} |"
            )
    return 0


if __name__ == "__main__":
    sys.exit(main())
