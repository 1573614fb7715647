"""Same-run comparison for sigpu.reassign (CPU; ``--backend cupy`` times sigpu on the GPU).

* ``linear_reassignment`` against the earthspecies NumPy port's algorithm
  (reproduced below from specs/reassignment.md: one line per iteration,
  ``numpy.fft`` on the (n, channels) block, ``np.add.at`` accumulation, half-to-even
  rounding), on the same input; goal: sigpu <= 0.2x its time.  sigpu and the
  port run in turn (``--repeat`` rounds after a warm-up; medians), so that load
  changes on a shared machine hit both alike.
* ``reassigned_spectrogram`` against ``librosa.reassigned_spectrogram``.

Prints a markdown table (median of ``--repeat`` runs after one warm-up run) and the goal
rows of issue 20 (sigpu, peer, ratio, goal, met/missed): linear reassignment <= 0.1x the
port (float64), reassigned_spectrogram <= 0.5x librosa.

    python benchmarks/compare_reassign.py [--seconds 2] [--sr 16000] [--channels 1]
    python benchmarks/compare_reassign.py --threads 1    # pinned to one core, CPU time
    python benchmarks/compare_reassign.py --matlab-size --backend cupy   # the GPU goal
    python benchmarks/compare_reassign.py --clips 1 10 60 --clips-only   # vs librosa, defaults

``--threads 1`` pins the process to one core (and numba/BLAS/OpenMP to one thread) and
times CPU time (``time.process_time``), which other processes on that core do not
inflate; ``--threads 0`` (default) uses every core and wall time.

``--matlab-size`` is the spec's MATLAB case (section 5.2: N = 288,001 samples, 2 channels
pooled, q=2, tdeci=450, over=20, noct=12; the port takes minutes there, so it is skipped
unless ``--port``); issue #6's GPU goal is sigpu <= 1 s on it on an H100.
"""

from __future__ import annotations

import argparse
import math
import os
import statistics
import time


def _pin_to_one_core() -> None:
    """One core, one thread everywhere; before NumPy is imported (as compare.py's)."""
    for var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS", "NUMBA_NUM_THREADS"):
        os.environ[var] = "1"
    os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})


def _parse():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--seconds", type=float, default=2.0)
    ap.add_argument("--sr", type=int, default=16000)
    ap.add_argument("--channels", type=int, default=1)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--no-port", action="store_true", help="skip the (slow) port")
    ap.add_argument("--backend", choices=("numpy", "cupy"), default="numpy")
    ap.add_argument("--matlab-size", action="store_true", help="the spec's MATLAB case")
    ap.add_argument("--port", action="store_true", help="run the port with --matlab-size too")
    ap.add_argument(
        "--clips",
        type=float,
        nargs="+",
        default=[],
        help="also reassigned_spectrogram vs librosa at librosa's defaults on clips of these "
        "seconds at 22050 Hz (issue 20: 1 10 60)",
    )
    ap.add_argument("--clips-only", action="store_true", help="only the --clips table")
    ap.add_argument(
        "--threads",
        type=int,
        choices=(0, 1),
        default=0,
        help="1: pinned to one core, CPU time; 0: every core, wall time (default)",
    )
    return ap.parse_args()


ARGS = _parse() if __name__ == "__main__" else None
if ARGS is not None and ARGS.threads == 1:
    _pin_to_one_core()

import numpy as np  # noqa: E402
from timing import interleaved_times  # noqa: E402

from sigpu._backend import synchronize  # noqa: E402
from sigpu.reassign import linear_reassignment, reassigned_spectrogram  # noqa: E402

GOAL_LINEAR = 0.1  # issue 20: linear reassignment <= 0.1x the port (float64)
GOAL_CLIPS = 0.5  # issue 20: reassigned_spectrogram <= 0.5x librosa at 1, 10, 60 s


def goal_row(what, sigpu_s, peer_s, goal):
    ratio = sigpu_s / peer_s
    verdict = "met" if ratio <= goal else "missed"
    return f"| {what} | {sigpu_s:.4f} | {peer_s:.4f} | {ratio:.3f} | <= {goal} | {verdict} |"


def print_goals(rows):
    print("| goal (issue 20) | sigpu (s) | peer (s) | ratio | goal | status |")
    print("| --- | --- | --- | --- | --- | --- |")
    for row in rows:
        print(row)
    print(flush=True)


def port_linear_reassignment(x, q, tdeci, over, noct, minf, maxf):
    """The NumPy port's algorithm: x (n, channels) -> H (HT, HF), column 0 = maxf."""
    eps = 1e-20
    lint = 0.5
    n = x.shape[0]
    ht = math.ceil(n / tdeci)
    hf = math.ceil(noct * math.log2(maxf / minf) + 1)
    f = (np.arange(n) / n)[:, None]
    f[f > 0.5] -= 1.0
    X = np.fft.fft(x, axis=0)
    histo = np.zeros((ht, hf))
    counts = np.zeros((ht, hf))
    t_base = (np.arange(n) + 1.0)[:, None]
    for j in range(hf * over):
        f0 = minf * 2.0 ** (j / (over * noct))
        sigma = f0 / (2 * np.pi * q)
        gau = np.exp(-((f - f0) ** 2) / (2 * sigma**2))
        gde = -1 / sigma * (f - f0) * gau
        xi = np.fft.ifft(gau * X, axis=0)
        eta = np.fft.ifft(gde * X, axis=0)
        mp = eta / (xi + eps)
        ener = np.abs(xi) ** 2
        tcorr = t_base + mp.imag / (2 * np.pi * sigma)
        fcorr = f0 - mp.real * sigma
        with np.errstate(invalid="ignore", divide="ignore"):
            keep = (np.abs(mp) < lint) & (fcorr > minf) & (fcorr < maxf)
            keep &= (tcorr >= 1) & (tcorr < n)
            row = np.round(tcorr[keep] / tdeci + 0.5).astype(np.int64) - 1
            col = np.round(-noct * np.log2(fcorr[keep] / maxf) + 1).astype(np.int64) - 1
        np.add.at(histo, (row, col), ener[keep])
        np.add.at(counts, (row, col), 1)
    histo[counts < np.sqrt(counts.max())] = 0
    return histo


def median_time(fn, repeat):
    fn()  # warm-up: numba compile, FFT plans, caches
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def backend(name):
    """``(xp, sync)``: the array module sigpu gets and a wait for its queued GPU work."""
    if name == "numpy":
        return np, lambda: None
    import cupy

    return cupy, lambda: synchronize(cupy)


def signal(n, channels, sr):
    t = np.arange(n) / sr
    rng = np.random.default_rng(0)
    out = []
    for c in range(channels):
        f1 = 300.0 * (c + 1)
        y = np.cos(2 * np.pi * (f1 * t + 1500.0 * t**2)) + 0.3 * np.sin(2 * np.pi * 2345.0 * t)
        y[n // 3 :: 997] += 1.0  # clicks
        out.append(y + 1e-3 * rng.standard_normal(n))
    return np.stack(out)


def reassigned_clips(seconds_list, repeat, clock):
    """reassigned_spectrogram against librosa's with librosa's defaults (sr 22050, n_fft
    2048, hop 512) on clips of each length, float32 and float64, interleaved rounds."""
    import librosa

    sr = 22050
    goals = []
    print("| clip | dtype | sigpu (s) | librosa (s) | sigpu / librosa | freqs rel. err |")
    print("| --- | --- | --- | --- | --- | --- |")
    for seconds in seconds_list:
        y64 = signal(round(seconds * sr), 1, sr)[0]
        for dtype in (np.float32, np.float64):
            y = y64.astype(dtype)
            runs = {
                "sigpu": lambda y=y: reassigned_spectrogram(y, sr=sr),
                "librosa": lambda y=y: librosa.reassigned_spectrogram(y=y, sr=sr),
            }
            times = interleaved_times(runs, repeat, clock=clock)
            a = runs["librosa"]()[0]
            b = runs["sigpu"]()[0]
            ok = ~np.isnan(a) & ~np.isnan(b)  # the gate may differ at the threshold
            err = np.max(np.abs(a[ok] - b[ok])) / np.max(np.abs(a[ok]))
            print(
                f"| {seconds:g} s | {dtype.__name__} | {times['sigpu']:.4f} | "
                f"{times['librosa']:.4f} | {times['sigpu'] / times['librosa']:.2f} | {err:.1e} |",
                flush=True,
            )
            goals.append(
                goal_row(
                    f"reassigned_spectrogram {seconds:g} s {dtype.__name__} vs librosa",
                    times["sigpu"],
                    times["librosa"],
                    GOAL_CLIPS,
                )
            )
    print()
    print_goals(goals)


def main():
    args = ARGS
    clock = time.process_time if args.threads == 1 else time.perf_counter
    print(
        f"threads: {'1 (pinned), CPU time' if args.threads == 1 else 'all cores, wall time'}; "
        f"load average {' / '.join(f'{v:.2f}' for v in os.getloadavg())}\n"
    )
    if args.clips:
        reassigned_clips(args.clips, args.repeat, clock)
        if args.clips_only:
            return
    params = dict(q=2.0, tdeci=64, over=10, noct=12, minf=0.004, maxf=0.45)
    if args.matlab_size:
        args.sr, args.channels = 16000, 2
        args.seconds = 288001 / args.sr
        args.no_port = not args.port
        params.update(tdeci=450, over=20)
    n = round(args.seconds * args.sr)
    x = signal(n, args.channels, args.sr)
    xp, sync = backend(args.backend)
    rows = []

    pool = dict(pool_axis=0) if args.channels > 1 else {}
    xin = x if args.channels > 1 else x[0]
    inputs = {dtype: xp.asarray(xin.astype(dtype)) for dtype in (np.float64, np.float32)}
    runs = {
        f"sigpu {args.backend} {dtype.__name__}": (
            lambda xd=xd: linear_reassignment(xd, **params, **pool)
        )
        for dtype, xd in inputs.items()
    }
    if not args.no_port:
        runs["earthspecies NumPy port (float64)"] = lambda: port_linear_reassignment(x.T, **params)
    times = interleaved_times(runs, args.repeat, sync, clock=clock)
    t_port = times.get("earthspecies NumPy port (float64)")
    for impl, t in times.items():
        note = f"{t / t_port:.3f}x port" if t_port and impl.startswith("sigpu") else ""
        rows.append(("linear_reassignment", impl, t, note))
    if not args.no_port:
        H = linear_reassignment(xin, **params, **pool)  # float64 on the CPU
        ref = port_linear_reassignment(x.T, **params).T[::-1]
        err = np.max(np.abs(H - ref)) / ref.max()
        rows.append(("", "max abs diff / max (sigpu f64 vs port)", float("nan"), f"{err:.1e}"))

    try:
        import librosa
    except ImportError:
        librosa = None
        print("librosa not installed: skipping librosa.reassigned_spectrogram")
    y = x[0]
    # reassigned_spectrogram: the CPU comparison with librosa only
    for dtype in (np.float64, np.float32) if args.backend == "numpy" else ():
        yd = y.astype(dtype)
        t_s = median_time(
            lambda yd=yd: reassigned_spectrogram(yd, sr=args.sr, n_fft=512), args.repeat
        )
        note = ""
        if librosa is not None:
            t_l = median_time(
                lambda yd=yd: librosa.reassigned_spectrogram(y=yd, sr=args.sr, n_fft=512),
                args.repeat,
            )
            a = librosa.reassigned_spectrogram(y=yd, sr=args.sr, n_fft=512)
            b = reassigned_spectrogram(yd, sr=args.sr, n_fft=512)
            ok = ~np.isnan(a[0])
            err = np.max(np.abs(a[0][ok] - b[0][ok])) / np.max(np.abs(a[0][ok]))
            rows.append(("reassigned_spectrogram", f"librosa {dtype.__name__}", t_l, ""))
            note = f"{t_s / t_l:.2f}x librosa; freqs err {err:.1e}"
        rows.append(("reassigned_spectrogram", f"sigpu numpy {dtype.__name__}", t_s, note))

    print(
        f"\nInput: {args.channels} x {n} samples ({args.seconds} s at {args.sr} Hz); "
        f"linear_reassignment {params}; reassigned_spectrogram n_fft=512\n"
    )
    print("| function | implementation | median time (s) | note |")
    print("| --- | --- | --- | --- |")
    for name, impl, t, note in rows:
        ts = "" if math.isnan(t) else f"{t:.3f}"
        print(f"| {name} | {impl} | {ts} | {note} |")
    print(f"\nload average after: {' / '.join(f'{v:.2f}' for v in os.getloadavg())}\n")
    if t_port:
        sigpu64 = times[f"sigpu {args.backend} float64"]
        what = "MATLAB size" if args.matlab_size else f"{args.seconds:g} s"
        print_goals(
            [goal_row(f"linear_reassignment {what} float64 vs port", sigpu64, t_port, GOAL_LINEAR)]
        )


if __name__ == "__main__":
    main()
