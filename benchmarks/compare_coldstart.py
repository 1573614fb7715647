"""Cold start: the first call of every public function in a fresh process.

Each public callable that takes or returns arrays has a small call in ``CASES`` of
``tests/test_cupy_paths.py`` (the registry the test suite keeps complete).  For each of them
this script starts a fresh Python process that imports that registry (hence sigpu, NumPy,
SciPy), then times the case's first call and a second call of it: the difference is what a
user pays once per process (numba loading or compiling its kernels, table builds, SciPy's
FFT plans, lazy imports).  The import itself is timed once, separately.

Two numba cache states:

* ``warm`` (default): the package's numba cache as it is; every case is run once in an
  untimed process first, so each kernel it uses is compiled and on disk.
* ``empty`` (``--cache empty``): ``NUMBA_CACHE_DIR`` points to a new empty directory for
  each process, so each first call compiles its kernels (what a fresh install pays once).

Each row also says which of the two slow imports the first call made: numba (its import
and CPU-target start-up are the floor of a kernel-backed first call) and scipy.signal
(which imports scipy.stats).  ``--realistic`` times first calls on 30 s of 22.05 kHz
audio instead (:data:`REALISTIC`, librosa's default parameters), where the large inputs
take the numba kernels.

``--crossover`` measures what the size thresholds of the CPU kernels trade (issue 20): in
fresh processes, numba's start-up (import and the first call of a cached kernel) and
scipy.signal's import; in this process, each kernel module's NumPy path against its warm
compiled path at sizes around the threshold (interleaved, minimum of ``--repeat`` rounds,
results compared).  Pin it for stable numbers: ``taskset -c 1`` and
``OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 NUMBA_NUM_THREADS=1``.

``--baseline DIR`` compares first calls with another checkout's (before/after a change),
fresh processes of the two alternating so that both see the same machine load.

Usage::

    python benchmarks/compare_coldstart.py                    # every case, warm cache
    python benchmarks/compare_coldstart.py --cache empty      # every case, compiling
    python benchmarks/compare_coldstart.py --only stft cqt melspectrogram
    python benchmarks/compare_coldstart.py --limit 0.3        # mark the cases above 0.3 s
    python benchmarks/compare_coldstart.py --realistic        # 30 s of audio
    python benchmarks/compare_coldstart.py --crossover --repeat 9
    python benchmarks/compare_coldstart.py --baseline /tmp/base --repeat 3 --only cqt hpss
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]

# The child: import the registry, then time the first and the second call of one case;
# then say whether the first call imported numba and scipy.signal (1/0 each).
CHILD = """
import sys, time
t0 = time.perf_counter()
import numpy as np
import sigpu
t1 = time.perf_counter()
from tests.test_cupy_paths import CASES, _Put
call, put = CASES[sys.argv[1]][0], _Put(np)
loaded = [m in sys.modules for m in ("numba", "scipy.signal")]
t2 = time.perf_counter()
call(put)
t3 = time.perf_counter()
call(put)
t4 = time.perf_counter()
made = [int(m in sys.modules and not was) for m, was in zip(("numba", "scipy.signal"), loaded)]
print(t1 - t0, t3 - t2, t4 - t3, *made)
"""

# First calls on a realistic input: 30 s of 22.05 kHz mono float32 noise, librosa's
# defaults.  Compositions (icqt of a cqt) are timed whole, first call against second.
REALISTIC = {
    "stft": "sigpu.stft(y)",
    "melspectrogram": "sigpu.feature.melspectrogram(y=y, sr=sr)",
    "cqt": "sigpu.cqt(y, sr=sr)",
    "icqt(cqt)": "sigpu.icqt(sigpu.cqt(y, sr=sr), sr=sr)",
    "chroma_cqt": "sigpu.feature.chroma_cqt(y=y, sr=sr)",
    "decompose.hpss(stft)": "sigpu.decompose.hpss(sigpu.stft(y))",
    "effects.hpss": "sigpu.effects.hpss(y)",
    "time_stretch": "sigpu.effects.time_stretch(y, rate=1.25)",
    "pitch_shift": "sigpu.effects.pitch_shift(y, sr=sr, n_steps=2)",
    "onset_detect": "sigpu.onset.onset_detect(y=y, sr=sr)",
    "deemphasis": "sigpu.effects.deemphasis(y)",
}
CHILD_REALISTIC = """
import sys, time
t0 = time.perf_counter()
import numpy as np
import sigpu, sigpu.effects, sigpu.feature, sigpu.onset, sigpu.decompose
t1 = time.perf_counter()
sr = 22050
y = np.random.default_rng(0).standard_normal(30 * sr).astype(np.float32)
loaded = [m in sys.modules for m in ("numba", "scipy.signal")]
t2 = time.perf_counter()
eval(sys.argv[1])
t3 = time.perf_counter()
eval(sys.argv[1])
t4 = time.perf_counter()
made = [int(m in sys.modules and not was) for m, was in zip(("numba", "scipy.signal"), loaded)]
print(t1 - t0, t3 - t2, t4 - t3, *made)
"""


def _case_names() -> list[str]:
    sys.path.insert(0, str(ROOT))
    from tests.test_cupy_paths import CASES

    return sorted(CASES)


def _run(
    name: str, cache_dir: str | None, child: str = CHILD, root: Path = ROOT
) -> tuple[float, ...] | str:
    env = dict(os.environ)
    if cache_dir is not None:
        env["NUMBA_CACHE_DIR"] = cache_dir
    done = subprocess.run(
        [sys.executable, "-c", child, name],
        capture_output=True,
        text=True,
        cwd=root,  # the child imports sigpu and tests/ from here
        env=env,
        check=False,
    )
    if done.returncode:
        return done.stderr.strip().splitlines()[-1] if done.stderr.strip() else "failed"
    return tuple(float(v) for v in done.stdout.split()[-5:])


# Fresh processes for the crossover: what the NumPy paths avoid paying once per process.
CHILD_NUMBA_START = """
import time
import numpy as np
import sigpu
from sigpu._kernels import cqt_numba
x = np.ones((1, 64))
t0 = time.perf_counter()
kernel = cqt_numba._decimate2_kernel()  # imports numba
kernel(x, np.ones(7), 0.5, np.empty((1, 32)))  # starts its CPU target, loads the cache
print(time.perf_counter() - t0)
"""
CHILD_SCIPY_SIGNAL = """
import time
import sigpu, scipy.fft
t0 = time.perf_counter()
import scipy.signal
print(time.perf_counter() - t0)
"""


def _child_seconds(code: str, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        done = subprocess.run(
            [sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, check=True
        )
        times.append(float(done.stdout.split()[-1]))
    return min(times)


def _crossover_cases():
    """``(topic, size label, numpy_path, compiled_path, tolerance in ulp, picks)`` rows:
    each path a no-argument callable returning its result; ``picks`` the path the
    module's threshold chooses for that input."""
    from scipy.signal import lfilter

    from sigpu._cqt_plan import halfband_taps
    from sigpu._kernels import cqt_numba, median_numba, peaks_numba, phase_numba, recurrence_numba

    rng = np.random.default_rng(0)
    taps, centre = halfband_taps(0.25)
    taps, centre = taps.astype(np.float32), np.float32(centre)
    for n in (1 << 14, 1 << 17, 1 << 20, 1 << 22):
        x = rng.standard_normal((1, n)).astype(np.float32)
        out = np.empty((1, (n + 1) // 2), np.float32)

        def numpy_path(x=x, out=out):
            cqt_numba._decimate2_numpy(x, taps, centre, out)
            return out.copy()

        def compiled(x=x, out=out):
            cqt_numba._decimate2_kernel()(x, taps, centre, out)
            return out.copy()

        label = f"{n} samples ({n / 22050:.1f} s mono)"
        yield "cqt.decimate2", label, numpy_path, compiled, 0, n <= cqt_numba.NUMPY_MAX_SIZE
    for rows, frames in ((258, 63), (1025, 33), (1025, 130), (1025, 260)):
        S = np.abs(rng.standard_normal((rows, frames))).astype(np.float32)
        size = rows * frames * 31
        yield (
            "median.median_filter (size 31)",
            f"{rows} x {frames} ({size} window samples)",
            lambda S=S: median_numba._median_numpy(S, 31),
            lambda S=S: median_numba._median_kernel(S, 31),
            0,
            size <= median_numba.NUMPY_MAX_SIZE,
        )
    kw = dict(pre_max=1, post_max=1, pre_avg=4, post_avg=5, delta=np.float32(0.07), wait=1)
    for n in (1292, 1 << 14, 1 << 16, 1 << 17):
        env = np.abs(rng.standard_normal((1, n))).astype(np.float32)

        def walk(env=env):
            out = np.zeros(env.shape, bool)
            lengths = [kw[k] for k in ("pre_max", "post_max", "pre_avg", "post_avg")]
            zero = np.float32(0)
            peaks_numba._walk_kernel()(env, *lengths, kw["delta"], kw["wait"], zero, out)
            return out

        def arrays(env=env):
            from sigpu import _peaks
            from sigpu._backend import array_namespace

            xp = array_namespace(env)
            lengths = [kw[k] for k in ("pre_max", "post_max", "pre_avg", "post_avg")]
            found = _peaks.candidates(env, *lengths, kw["delta"], xp)
            return np.asarray(_peaks.greedy(found, kw["wait"], xp))

        label = f"{n} frames ({n * 512 / 22050 / 60:.1f} min at hop 512)"
        yield "peaks.peak_mask", label, arrays, walk, 0, n <= peaks_numba.NUMPY_MAX_SIZE
    for rows, n_out in ((258, 49), (1025, 256), (1025, 512), (1025, 1034)):
        frames = int(n_out * 1.25) + 2
        D = rng.standard_normal((rows, frames)) + 1j * rng.standard_normal((rows, frames))
        steps = np.arange(n_out) * 1.25
        args = (
            np.abs(D).astype(np.float32),
            np.angle(D).astype(np.float32),
            steps.astype(np.int64),
            np.mod(steps, 1.0),
            np.arange(rows) * 0.7,
        )

        def vocode_numpy(args=args, rows=rows, n_out=n_out):
            out = np.empty((rows, n_out), np.complex64)
            phase_numba._vocode_numpy(*args, out)
            return out

        def vocode_kernel(args=args, rows=rows, n_out=n_out):
            out = np.empty((rows, n_out), np.complex64)
            phase_numba._vocode_kernel()(*args, out, 0, rows)
            return out

        size = rows * n_out
        yield (
            "phase.vocode",
            f"{rows} x {n_out} ({size} output samples)",
            vocode_numpy,
            vocode_kernel,
            4,
            size <= phase_numba.NUMPY_MAX_SIZE,
        )
    b, a = np.float32([1.0, 0.0]), np.float32([1.0, -0.97])  # deemphasis's filter
    for n in (4000, 1 << 13, 1 << 15, 1 << 17):
        y = rng.standard_normal((1, n)).astype(np.float32)
        zi = np.zeros(1, np.float32)

        def stepped(y=y, zi=zi):
            return recurrence_numba._first_order_numpy(y, b[0], b[1], a[1], zi)[0]

        def filtered(y=y, zi=zi):
            return lfilter(b, a, y, axis=-1, zi=zi[:, None])[0]

        label = f"{n} samples ({n / 22050:.2f} s)"
        picks = n <= recurrence_numba.NUMPY_MAX_LENGTH
        yield "recurrence.first_order_filter (lfilter)", label, stepped, filtered, 0, picks


def _ulps(got, want) -> float:
    parts = (got.real, want.real), (got.imag, want.imag)
    return max(
        float(np.max(np.abs(g - w) / np.spacing(np.abs(w).astype(g.dtype)), initial=0.0))
        for g, w in parts
    )


def crossover(repeat: int) -> None:
    """Print the crossover table (see the module docstring)."""
    sys.path.insert(0, str(ROOT / "benchmarks"))
    from timing import interleaved_rounds

    print(f"load average before: {' / '.join(f'{v:.2f}' for v in os.getloadavg())}")
    numba_start = _child_seconds(CHILD_NUMBA_START, 3)
    signal_import = _child_seconds(CHILD_SCIPY_SIGNAL, 3)
    print(
        f"once per process (min of 3 fresh processes): numba import + first cached kernel "
        f"call {numba_start:.3f} s; `import scipy.signal` after sigpu {signal_import:.3f} s\n"
    )
    print(
        "| kernel | input | NumPy path (ms) | compiled path (ms) | ratio | extra per call "
        "(ms) | calls to repay the start-up | values | threshold picks |"
    )
    print("|---|---|---|---|---|---|---|---|---|")
    for topic, label, numpy_path, compiled, ulps, picks_numpy in _crossover_cases():
        got, want = numpy_path(), compiled()
        if ulps:
            diff = _ulps(got, want)
            values = "equal" if diff == 0 else f"within {diff:.0f} ulp"
        else:
            values = "equal" if np.array_equal(got, want) else "**differ**"
        rounds = interleaved_rounds({"numpy": numpy_path, "compiled": compiled}, repeat)
        t_numpy, t_compiled = min(rounds["numpy"]), min(rounds["compiled"])
        extra = t_numpy - t_compiled
        once = signal_import if "lfilter" in topic else numba_start
        repay = f"{once / extra:.0f}" if extra > 0 else "never"
        print(
            f"| {topic} | {label} | {t_numpy * 1e3:.3f} | {t_compiled * 1e3:.3f} | "
            f"{t_numpy / t_compiled:.2f} | {extra * 1e3:.3f} | {repay} | {values} | "
            f"{'NumPy' if picks_numpy else 'compiled'} |"
        )
    print(f"load average after: {' / '.join(f'{v:.2f}' for v in os.getloadavg())}")


def against_baseline(names, baseline: Path, repeat: int, limit: float) -> None:
    """First calls of this tree and of ``baseline`` (another checkout), alternating fresh
    processes (baseline, this, baseline, ...) so that both see the same machine load;
    warm numba caches; the minimum of ``repeat`` per side."""
    print(f"baseline: {baseline}; this tree: {ROOT}; {len(names)} cases, {repeat} per side")
    print(f"load average before: {' / '.join(f'{v:.2f}' for v in os.getloadavg())}\n")
    print(
        f"| function (case) | baseline first call (s) | first call (s) | baseline / this "
        f"| this imported | goal < {limit} s |"
    )
    print("|---|---|---|---|---|---|")
    met = 0
    for name in names:
        for root in (baseline, ROOT):
            _run(name, None, CHILD, root)  # fills both numba caches
        runs = {baseline: [], ROOT: []}
        for _ in range(repeat):
            for root in runs:
                result = _run(name, None, CHILD, root)
                if not isinstance(result, str):
                    runs[root].append(result)
        if not runs[baseline] or not runs[ROOT]:
            print(f"| {name} | failed in a child | | | | |")
            continue
        before = min(r[1] for r in runs[baseline])
        best = min(runs[ROOT], key=lambda r: r[1])
        met += best[1] < limit
        status = "met" if best[1] < limit else "**missed**"
        print(
            f"| {name} | {before:.3f} | {best[1]:.3f} | {before / best[1]:.1f} | "
            f"{_loads(best)} | {status} |"
        )
    print(f"\ngoal: first call under {limit} s: {met} of {len(names)} cases")
    print(f"load average after: {' / '.join(f'{v:.2f}' for v in os.getloadavg())}")


def _loads(result) -> str:
    made = [name for name, flag in zip(("numba", "scipy.signal"), result[3:], strict=True) if flag]
    return ", ".join(made) or "-"


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cache", choices=("warm", "empty"), default="warm")
    parser.add_argument("--only", nargs="+", help="case names (default: all)")
    parser.add_argument("--limit", type=float, default=0.3, help="seconds: the goal")
    parser.add_argument("--repeat", type=int, default=1, help="fresh processes per case")
    parser.add_argument(
        "--realistic", action="store_true", help="30 s of audio (REALISTIC), not the CASES"
    )
    parser.add_argument("--crossover", action="store_true", help="NumPy vs compiled paths by size")
    parser.add_argument(
        "--baseline",
        type=Path,
        help="another checkout (e.g. `git worktree add /tmp/base <commit>`): its first calls "
        "alternate with this tree's (warm caches)",
    )
    args = parser.parse_args(argv)
    if args.crossover:
        crossover(max(args.repeat, 3))
        return 0
    if args.baseline:
        against_baseline(args.only or _case_names(), args.baseline, args.repeat, args.limit)
        return 0
    child = CHILD_REALISTIC if args.realistic else CHILD
    catalogue = REALISTIC if args.realistic else None
    names = args.only or (list(REALISTIC) if args.realistic else _case_names())
    what = "30 s of 22.05 kHz audio" if args.realistic else "the CASES of tests/test_cupy_paths.py"
    print(
        f"python {sys.version.split()[0]}; numba cache: {args.cache}; {len(names)} calls on {what}"
    )
    print(f"load average before: {' / '.join(f'{v:.2f}' for v in os.getloadavg())}\n")
    rows, imports, failed = [], [], []
    with tempfile.TemporaryDirectory() as tmp:
        for name in names:
            arg = catalogue[name] if catalogue else name
            if args.cache == "warm":
                _run(arg, None, child)  # compiles and caches whatever the call needs
            results = []
            for _ in range(args.repeat):
                cache = None if args.cache == "warm" else tempfile.mkdtemp(dir=tmp)
                results.append(_run(arg, cache, child))
            good = [r for r in results if not isinstance(r, str)]
            if not good:
                failed.append((name, results[0]))
                continue
            imports.extend(r[0] for r in good)
            best = min(good, key=lambda r: r[1])
            second = min(r[2] for r in good)
            rows.append((name, best[1], second, _loads(best)))
            print(f"{name}: first {best[1]:.3f} s, second {second:.4f} s", file=sys.stderr)
    rows.sort(key=lambda row: -row[1])
    if args.realistic:
        print("| call on 30 s of audio | first call (s) | second call (s) | first imported |")
        print("|---|---|---|---|")
        for name, first, second, loads in rows:
            print(f"| `{catalogue[name]}` | {first:.3f} | {second:.3f} | {loads} |")
    else:
        print(
            f"| function (case of tests/test_cupy_paths.py) | first call (s) | second call (s) "
            f"| first imported | goal < {args.limit} s |"
        )
        print("|---|---|---|---|---|")
        for name, first, second, loads in rows:
            status = "met" if first < args.limit else "**missed**"
            print(f"| {name} | {first:.3f} | {second:.4f} | {loads} | {status} |")
    over = [row for row in rows if row[1] >= args.limit]
    firsts = [row[1] for row in rows]
    if rows:
        print(
            f"\n{len(rows)} calls; first call median {statistics.median(firsts):.3f} s, "
            f"max {max(firsts):.3f} s; {len(over)} at or over {args.limit} s; "
            f"`import sigpu` (with NumPy) median {statistics.median(imports):.3f} s"
        )
        with_numba = sum("numba" in row[3] for row in rows)
        print(f"first calls that imported numba: {with_numba} of {len(rows)}")
    if not args.realistic:
        status = "met" if rows and not over and not failed else "missed"
        print(
            f"goal: every first call under {args.limit} s (numba cache {args.cache}): "
            f"{len(rows) - len(over)} of {len(names)} -> {status}"
        )
    for name, why in failed:
        print(f"- {name}: failed in the child: {why}")
    print(f"load average after: {' / '.join(f'{v:.2f}' for v in os.getloadavg())}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
