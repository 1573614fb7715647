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

Usage::

    python benchmarks/compare_coldstart.py                    # every case, warm cache
    python benchmarks/compare_coldstart.py --cache empty      # every case, compiling
    python benchmarks/compare_coldstart.py --only stft cqt melspectrogram
    python benchmarks/compare_coldstart.py --limit 0.3        # mark the cases above 0.3 s
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

# The child: import the registry, then time the first and the second call of one case.
CHILD = """
import sys, time
t0 = time.perf_counter()
import numpy as np
import sigpu
t1 = time.perf_counter()
from tests.test_cupy_paths import CASES, _Put
call, put = CASES[sys.argv[1]][0], _Put(np)
t2 = time.perf_counter()
call(put)
t3 = time.perf_counter()
call(put)
t4 = time.perf_counter()
print(t1 - t0, t3 - t2, t4 - t3)
"""


def _case_names() -> list[str]:
    sys.path.insert(0, str(ROOT))
    from tests.test_cupy_paths import CASES

    return sorted(CASES)


def _run(name: str, cache_dir: str | None) -> tuple[float, float, float] | str:
    env = dict(os.environ)
    if cache_dir is not None:
        env["NUMBA_CACHE_DIR"] = cache_dir
    done = subprocess.run(
        [sys.executable, "-c", CHILD, name],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env=env,
        check=False,
    )
    if done.returncode:
        return done.stderr.strip().splitlines()[-1] if done.stderr.strip() else "failed"
    return tuple(float(v) for v in done.stdout.split()[-3:])


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cache", choices=("warm", "empty"), default="warm")
    parser.add_argument("--only", nargs="+", help="case names (default: all)")
    parser.add_argument("--limit", type=float, default=0.3, help="seconds: the goal")
    parser.add_argument("--repeat", type=int, default=1, help="fresh processes per case")
    args = parser.parse_args(argv)
    names = args.only or _case_names()
    print(f"python {sys.version.split()[0]}; numba cache: {args.cache}; {len(names)} cases")
    print(f"load average before: {' / '.join(f'{v:.2f}' for v in os.getloadavg())}\n")
    rows, imports, failed = [], [], []
    with tempfile.TemporaryDirectory() as tmp:
        for name in names:
            if args.cache == "warm":
                _run(name, None)  # compiles and caches whatever the case needs
            results = []
            for _ in range(args.repeat):
                cache = None if args.cache == "warm" else tempfile.mkdtemp(dir=tmp)
                results.append(_run(name, cache))
            good = [r for r in results if not isinstance(r, str)]
            if not good:
                failed.append((name, results[0]))
                continue
            imports.extend(r[0] for r in good)
            first = min(r[1] for r in good)
            second = min(r[2] for r in good)
            rows.append((name, first, second))
            print(f"{name}: first {first:.3f} s, second {second:.4f} s", file=sys.stderr)
    rows.sort(key=lambda row: -row[1])
    print("| function (case of tests/test_cupy_paths.py) | first call (s) | second call (s) |")
    print("|---|---|---|")
    for name, first, second in rows:
        mark = " **over**" if first > args.limit else ""
        print(f"| {name} | {first:.3f}{mark} | {second:.4f} |")
    over = [row for row in rows if row[1] > args.limit]
    firsts = [row[1] for row in rows]
    print(
        f"\n{len(rows)} cases; first call median {statistics.median(firsts):.3f} s, "
        f"max {max(firsts):.3f} s; {len(over)} over {args.limit} s; "
        f"`import sigpu` (with NumPy) median {statistics.median(imports):.3f} s"
    )
    for name, why in failed:
        print(f"- {name}: failed in the child: {why}")
    print(f"load average after: {' / '.join(f'{v:.2f}' for v in os.getloadavg())}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
