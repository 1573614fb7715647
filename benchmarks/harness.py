"""The measurement harness of ``compare.py``: its workload, timing, accuracy and report rows.

``compare.py`` builds one :class:`Bench` (the workload on the chosen backend, the peers that
import) and hands it to the topic modules, which add their rows through :meth:`Bench.add`:
``compare_spectrum.py`` (STFT, iSTFT, Griffin-Lim), ``compare_feature.py`` (mel, MFCC) and
``compare_cqt.py`` (CQT, VQT).  Import this after the thread limits are set: it imports NumPy.
"""

from __future__ import annotations

import importlib
import os
import statistics
import time
import warnings
from dataclasses import dataclass, field

import numpy as np

SR = 22050
N_FFT, HOP = 2048, 512
C1 = 32.70319566257483


# ---------------------------------------------------------------------------------------------
# workload and measurement
# ---------------------------------------------------------------------------------------------
def workload(n_clips: int, seconds: float, seed: int = 20261122) -> np.ndarray:
    """Spec section 7 signal: notes E1-E7 (6 harmonics, decay), log chirp, -50 dB noise."""
    rng = np.random.default_rng(seed)
    n = int(seconds * SR)
    t = np.arange(n) / SR
    out = np.empty((n_clips, n), dtype=np.float32)
    for c in range(n_clips):
        y = np.zeros(n)
        for _ in range(max(1, int(2 * seconds))):
            f0 = 440.0 * 2 ** ((rng.integers(28, 101) - 69) / 12)  # E1 .. E7
            start = int(rng.uniform(0, n - SR // 4))
            tt = t[: n - start]
            env = np.exp(-rng.uniform(1.0, 4.0) * tt)
            for h in range(1, 7):
                if h * f0 < SR / 2:
                    y[start:] += env * np.sin(2 * np.pi * h * f0 * tt) / h
        k = np.log(10_000 / 30) / seconds  # 30 Hz -> 10 kHz over the clip
        y += 0.5 * np.sin(2 * np.pi * 30 * np.expm1(k * t) / k)
        y += 10 ** (-50 / 20) * rng.standard_normal(n)
        out[c] = 0.9 * y / np.max(np.abs(y))
    return out


def median_time(fn, repeat: int, sync=lambda: None) -> float:
    t0 = time.perf_counter()
    fn()  # warm-up: plans, banks, JIT, allocator
    sync()
    if time.perf_counter() - t0 > 2.0:  # slow peers: fewer samples, still a median
        repeat = min(repeat, 3)
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        sync()
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def device_peak_bandwidth(xp) -> float | None:
    """Theoretical memory bandwidth of the current GPU in bytes/s (None on the CPU):
    2 transfers per memory clock x bus width (CUDA device properties)."""
    if xp is np:
        return None
    props = xp.cuda.runtime.getDeviceProperties(xp.cuda.Device().id)
    return 2.0 * props["memoryClockRate"] * 1e3 * props["memoryBusWidth"] / 8


def rel_to_peak(a, b) -> float:
    """max|a - b| / max|b| over the common frames (librosa is the reference ``b``)."""
    a, b = np.asarray(a), np.asarray(b)
    frames = min(a.shape[-1], b.shape[-1])
    a, b = a[..., :frames].astype(np.complex128), b[..., :frames].astype(np.complex128)
    return float(np.max(np.abs(a - b)) / np.max(np.abs(b)))


def load() -> str:
    try:
        return "load average " + " / ".join(f"{x:.2f}" for x in os.getloadavg())
    except OSError:
        return "load average n/a"


@dataclass
class Row:
    task: str
    impl: str
    seconds: float | None
    accuracy: str
    is_sigpu: bool = False
    note: str = ""
    fn: object = field(default=None, repr=False)  # the timed call, for the goal check


@dataclass
class Report:
    rows: list[Row] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    extra: list[str] = field(default_factory=list)  # topic-script markdown sections
    extra_sections: list[str] = field(default_factory=list)  # own markdown sections
    topic_ratios: list[tuple[str, float]] = field(default_factory=list)  # (label, sigpu/peer)
    # goal text -> (ratio, sigpu seconds, peer seconds, peer name, rounds): interleaved runs
    goal_checks: dict[str, tuple[float, float, float, str, int]] = field(default_factory=dict)

    def skip(self, message: str) -> None:
        print(f"skipped: {message}", flush=True)
        self.skipped.append(message)


# ---------------------------------------------------------------------------------------------
# peers
# ---------------------------------------------------------------------------------------------
class Peers:
    """Imports every peer once; a missing one becomes a message, not an error."""

    def __init__(self, report: Report, backend: str, threads: int):
        self.librosa = self._try("librosa", report)
        self.torch = self._try("torch", report)
        self.nnaudio = None
        self.torch_device = "cpu"
        if self.torch is not None:
            if threads > 0:
                self.torch.set_num_threads(threads)
            if backend == "cupy" and self.torch.cuda.is_available():
                self.torch_device = "cuda"
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                self.nnaudio = self._try("nnAudio.features", report, "nnAudio")
        else:
            report.skip("nnAudio: needs torch")
        self.torchaudio = self._try("torchaudio", report)
        try:
            from scipy.signal import ShortTimeFFT

            self.ShortTimeFFT = ShortTimeFFT
        except ImportError:
            self.ShortTimeFFT = None
            report.skip("scipy.signal.ShortTimeFFT (needs SciPy >= 1.12)")

    @staticmethod
    def _try(module: str, report: Report, label: str | None = None):
        try:
            return importlib.import_module(module)
        except Exception as exc:  # ImportError, or a broken install (e.g. ABI mismatch)
            report.skip(f"{label or module} not usable ({type(exc).__name__}: {exc})")
            return None

    def torch_sync(self):
        if self.torch is not None and self.torch_device == "cuda":
            self.torch.cuda.synchronize()


def _torch_to_host(tensor):
    return tensor.cpu().numpy()


# ---------------------------------------------------------------------------------------------
# the bench the topic modules add their rows to
# ---------------------------------------------------------------------------------------------
class Bench:
    """The workload on the chosen backend and the peers; :meth:`add` times and records a row."""

    def __init__(self, args, report: Report):
        self.args, self.report = args, report
        self.peers = Peers(report, args.backend, args.threads)
        import sigpu
        import sigpu._backend as backend

        self.sigpu, self.backend = sigpu, backend
        if args.backend == "cupy":
            import cupy

            if not cupy.cuda.is_available():
                raise SystemExit("--backend cupy: no usable CUDA GPU")
            self.xp = cupy
        else:
            self.xp = np
        self.y_host = workload(args.clips, args.seconds)
        self.y = self.xp.asarray(self.y_host)
        self.n = self.y_host.shape[-1]

    # helpers -----------------------------------------------------------------------------
    def sync(self):
        self.backend.synchronize(self.xp)

    def host(self, x):
        return self.backend.to_host(x)

    def add(self, task, impl, fn, ref, sigpu_impl=False, *, sync=None, out=None, metric=None):
        """Time ``fn`` and compare its output (``out(result)`` -> host array) with ``ref``."""
        try:
            result = fn()
            (sync or self.sync)()
            value = out(result) if out else self.host(result)
            if ref is None:
                acc = "-"
            elif metric is not None:
                acc = metric(value)
            else:
                acc = f"{rel_to_peak(value, ref):.1e}"
            seconds = median_time(fn, self.args.repeat, sync or self.sync)
        except Exception as exc:  # a peer's API drift must not kill the run
            self.report.skip(f"{task} / {impl}: {type(exc).__name__}: {exc}")
            return
        self.report.rows.append(Row(task, impl, seconds, acc, is_sigpu=sigpu_impl, fn=fn))
        print(f"  {task:6s} {impl:45s} {seconds:8.4f} s  acc {acc}", flush=True)

    def add_torch(self, task, impl, fn, ref, **kwargs):
        """:meth:`add` for a torch result: synchronised on the torch device, copied to the host."""
        self.add(task, impl, fn, ref, sync=self.peers.torch_sync, out=_torch_to_host, **kwargs)

    def librosa_row(self, task, fn):
        if self.peers.librosa is None:
            return None
        ref = fn()
        seconds = median_time(fn, self.args.repeat)
        self.report.rows.append(Row(task, "librosa (one batched call)", seconds, "ref", fn=fn))
        print(f"  {task:6s} {'librosa':45s} {seconds:8.4f} s", flush=True)
        return ref

    def torch_input(self):
        t = self.peers.torch
        return t.from_numpy(self.y_host).to(self.peers.torch_device)

    # nnAudio/torch plumbing --------------------------------------------------------------
    def nn_layer(self, name, **kwargs):
        """An nnAudio layer on the torch device; its construction time goes to the report."""
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            t0 = time.perf_counter()
            layer = getattr(self.peers.nnaudio, name)(**kwargs)
            if hasattr(layer, "to"):
                layer = layer.to(self.peers.torch_device)
            self.peers.torch_sync()
            init = time.perf_counter() - t0
        self.report.extra_init = getattr(self.report, "extra_init", [])
        self.report.extra_init.append((f"nnAudio {name} layer init", init))
        return layer

    def nn_call(self, layer, arg=None, **kwargs):
        """A callable running ``layer`` on ``arg`` (default: the workload) without autograd."""
        torch = self.peers.torch

        def run():
            x = self.torch_input() if arg is None else arg
            with torch.no_grad(), warnings.catch_warnings():
                warnings.simplefilter("ignore")
                return layer(x, **kwargs)

        return run
