"""sigpu from several threads: first use from a cold process, and the process-wide BLAS limit.

Bounded and seeded: a few short subprocesses, each with a timeout, so that a deadlock fails
the test instead of hanging CI.
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
import threading

import numpy as np
import pytest

from sigpu._backend import single_threaded_blas

threadpoolctl = pytest.importorskip("threadpoolctl")

COLD_START = textwrap.dedent(
    """
    import threading
    import numpy as np
    import sigpu

    rng = np.random.default_rng(0)
    y = rng.standard_normal((2, 8000)).astype(np.float32)
    x = rng.standard_normal((1, 2, 16, 20)); w = rng.standard_normal((3, 2, 3, 3))
    calls = [
        lambda: sigpu.stft(y, n_fft=512),
        lambda: sigpu.melspectrogram(y, sr=16000, n_fft=512),
        lambda: sigpu.cqt(y, sr=16000, fmin=100.0, n_bins=24),
        lambda: sigpu.harmonic_conv2d(x, w, padding=1),
        lambda: sigpu.linear_reassignment(y[0, :2000], tdeci=16, minf=0.02, maxf=0.4),
        lambda: sigpu.reassigned_spectrogram(y, sr=16000, n_fft=256)[0],
        lambda: sigpu.estimate_tuning(y, sr=16000, n_fft=512),
        lambda: sigpu.icqt(np.ones((24, 20), np.complex64), sr=16000, fmin=100.0),
    ]
    start = threading.Barrier(len(calls))
    results, errors = {}, []

    def run(i):
        start.wait()  # every thread makes its first call at once, from a cold process
        try:
            results[i] = calls[i]()
        except BaseException as exc:  # noqa: BLE001  (reported below)
            errors.append(f"{i}: {type(exc).__name__}: {exc}")

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(calls))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors, errors
    for i, call in enumerate(calls):  # the same numbers as a serial call
        again = call()
        assert np.array_equal(np.asarray(results[i]), np.asarray(again)), i
    print("ok")
    """
)


@pytest.mark.parametrize("run", range(3))
def test_first_use_from_eight_threads(run, tmp_path):
    """Eight threads make their first sigpu calls at once in a fresh process (lazy imports,
    kernel compilation or cache loading, table caches): none fails, and each result equals
    a serial call's.  Before the import lock, 1 run in 20-30 failed with KeyError."""
    env = dict(os.environ)
    if run == 0:  # once with an empty numba cache: the kernels compile in the threads
        env["NUMBA_CACHE_DIR"] = str(tmp_path / "numba-cache")
    proc = subprocess.run(
        [sys.executable, "-c", COLD_START], capture_output=True, text=True, timeout=300, env=env
    )
    assert proc.returncode == 0 and proc.stdout.strip() == "ok", proc.stderr[-3000:]


def _blas_threads() -> int:
    info = threadpoolctl.threadpool_info()
    return max((i["num_threads"] for i in info if i["user_api"] == "blas"), default=-1)


def test_blas_limit_only_from_the_main_thread_and_restored_once():
    """The main thread's (nested) limit holds BLAS at one thread and restores the setting
    it found at the outermost exit; a worker thread entering and leaving meanwhile changes
    nothing (its restore would be ignored by OpenBLAS and leave one thread for good)."""
    before = _blas_threads()
    if before < 2:
        pytest.skip("the BLAS here runs one thread anyway")
    seen = {}

    def worker():
        with single_threaded_blas(np):
            seen["worker_inside"] = _blas_threads()
        seen["worker_after"] = _blas_threads()

    with single_threaded_blas(np):
        with single_threaded_blas(np):
            seen["nested"] = _blas_threads()
        seen["outer_after_nested"] = _blas_threads()
        thread = threading.Thread(target=worker)
        thread.start()
        thread.join(30)
    assert seen == dict(nested=1, outer_after_nested=1, worker_inside=1, worker_after=1)
    assert _blas_threads() == before
    thread = threading.Thread(target=worker)  # no main-thread limit: a worker changes nothing
    thread.start()
    thread.join(30)
    assert seen["worker_inside"] == seen["worker_after"] == before == _blas_threads()


def test_blas_limit_covers_a_blas_loaded_after_first_use():
    """A BLAS library loaded after the first limit (here: scipy.linalg's own OpenBLAS, in a
    fresh process) is limited too; the first scan alone left it at its threads."""
    code = textwrap.dedent(
        """
        import numpy as np, threadpoolctl
        from sigpu._backend import single_threaded_blas
        with single_threaded_blas(np):
            pass
        import scipy.linalg  # noqa: F401  (loads another BLAS)
        libs = threadpoolctl.threadpool_info()
        if len({i["filepath"] for i in libs if i["user_api"] == "blas"}) < 2:
            print("skip")
        else:
            with single_threaded_blas(np):
                inside = [i["num_threads"] for i in threadpoolctl.threadpool_info()
                          if i["user_api"] == "blas"]
            print("ok" if set(inside) == {1} else f"unlimited: {inside}")
        """
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    result = proc.stdout.strip()
    if result == "skip":
        pytest.skip("scipy.linalg shares NumPy's BLAS here")
    assert proc.returncode == 0 and result == "ok", (result, proc.stderr[-2000:])
