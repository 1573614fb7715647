"""Same-run peer comparison: sigpu vs librosa, scipy, torch, nnAudio (+ the topic scripts).

One process, one machine, one input (spec section 7): 16 synthetic clips x 10 s x 22050 Hz
float32 (piano-like notes E1-E7 with 6 harmonics and a decay, a 30 Hz -> 10 kHz log chirp,
-50 dB noise, peak 0.9, fixed seed).  STFT n_fft 2048 hop 512 periodic Hann centred with zero
padding; mel 128 Slaney; MFCC 20; CQT 84 bins from C1, 12/oct, hop 512; VQT the same with
librosa's default gamma; Griffin-Lim on a smaller batch (see ``--gl-clips``).  Every
implementation gets the whole batch in one call; the time is the median of ``--repeat`` runs
after one warm-up (filter banks, plans, numba and torch initialisation happen in the warm-up;
librosa rebuilds its filters on every call, as it does for its users).  First-call costs
(fresh process: import, tables, JIT) and nnAudio layer construction are reported separately.

Accuracy: every output against librosa's on the same input, rel-to-peak = max|A-B| / max|B|
(complex values where the phase convention matches, magnitudes otherwise, as labelled).

Then the topic scripts (harmonic conv vs torch conv2d, linear reassignment vs the earthspecies
NumPy algorithm, SFI encode/decode vs torch conv1d) run as subprocesses under the same thread
settings and their markdown tables are appended.  Peers that are not installed are skipped
with a message.

    python benchmarks/compare.py                      # CPU, 1 thread, full report
    python benchmarks/compare.py --threads 0          # all cores
    python benchmarks/compare.py --backend cupy       # sigpu on the GPU (torch/nnAudio on cuda)
    python benchmarks/compare.py --quick              # 2 clips, 3 repeats (smoke test)

Writes the report to ``--report`` (markdown) and the ratio plot to ``--plot`` (PNG).
"""

from __future__ import annotations

import argparse
import importlib
import os
import platform
import re
import statistics
import subprocess
import sys
import time
import warnings
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SR = 22050
N_FFT, HOP = 2048, 512
C1 = 32.70319566257483
TOPIC_SCRIPTS = {
    # script: default arguments (kept small enough for a 2-core machine; override with --full)
    "compare_harmonic.py": ["--batch", "4", "--kernels", "3", "5", "7", "--no-memory"],
    "compare_reassign.py": [],
    "compare_sfi.py": [],
}


def _parse(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--backend", choices=["numpy", "cupy"], default="numpy")
    p.add_argument("--threads", type=int, default=1, help="cores to use (0 = all; default 1)")
    p.add_argument("--repeat", type=int, default=7)
    p.add_argument("--clips", type=int, default=16)
    p.add_argument("--seconds", type=float, default=10.0)
    p.add_argument("--gl-clips", type=int, default=4, help="Griffin-Lim batch (x --seconds)")
    p.add_argument("--gl-iter", type=int, default=16)
    p.add_argument(
        "--bandwidth-clips", type=int, default=None,
        help="large batch for the STFT bandwidth row (default: 128 on cupy, --clips on numpy)",
    )  # fmt: skip
    p.add_argument("--only", nargs="+", help="tasks to run (STFT iSTFT mel MFCC CQT VQT GL)")
    p.add_argument(
        "--goal-rounds",
        type=int,
        default=15,
        help="interleaved sigpu/peer rounds per goal pair (0: goals from the table's medians)",
    )
    p.add_argument("--no-topics", action="store_true", help="skip the topic scripts")
    p.add_argument("--full", action="store_true", help="topic scripts with their own defaults")
    p.add_argument("--no-first-call", action="store_true", help="skip fresh-process timings")
    p.add_argument("--quick", action="store_true", help="2 clips, 3 repeats, no topic scripts")
    p.add_argument("--report", type=Path, help="write the markdown report here")
    p.add_argument("--plot", type=Path, help="bar plot PNG (default docs/img/compare_<dev>.png)")
    args = p.parse_args(argv)
    if args.quick:
        args.clips, args.repeat, args.no_topics, args.gl_clips = 2, 3, True, 1
        args.goal_rounds = min(args.goal_rounds, 3)
        args.no_first_call = True
    if args.bandwidth_clips is None:
        args.bandwidth_clips = 128 if args.backend == "cupy" and not args.quick else args.clips
    if args.plot is None:
        dev = "cpu" if args.backend == "numpy" else "gpu"
        args.plot = ROOT / "docs" / "img" / f"compare_{dev}.png"
    return args


ARGS = _parse() if __name__ == "__main__" else None


def _limit_threads(n: int) -> None:
    """Pin this process (and the subprocesses it starts) to ``n`` cores, BLAS to ``n`` threads.

    Must run before NumPy is imported.  Pinning rather than only setting the BLAS variables
    keeps worker pools (scipy.fft workers, numba, torch) from using cores they were not given.
    """
    if n <= 0:
        return
    for var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS", "NUMBA_NUM_THREADS"):
        os.environ[var] = str(n)
    if hasattr(os, "sched_setaffinity"):
        cores = sorted(os.sched_getaffinity(0))[:n]
        os.sched_setaffinity(0, set(cores))


if ARGS is not None:
    _limit_threads(ARGS.threads)

import numpy as np  # noqa: E402
from timing import interleaved_rounds  # noqa: E402


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


# ---------------------------------------------------------------------------------------------
# the tasks
# ---------------------------------------------------------------------------------------------
class Bench:
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

    # tasks -------------------------------------------------------------------------------
    def stft(self):
        lr, sp, torch = self.peers.librosa, self.sigpu, self.peers.torch
        ref = self.librosa_row("STFT", lambda: lr.stft(self.y_host, n_fft=N_FFT, hop_length=HOP))
        plan = sp.STFT(n_fft=N_FFT, hop_length=HOP)
        self.add(
            "STFT",
            "sigpu.stft",
            lambda: sp.stft(self.y, n_fft=N_FFT, hop_length=HOP),
            ref,
            sigpu_impl=True,
        )
        self.add("STFT", "sigpu.STFT plan", lambda: plan(self.y), ref, sigpu_impl=True)
        self.stft_bandwidth(plan)
        if self.peers.ShortTimeFFT is not None:
            import scipy.signal

            win = scipy.signal.get_window("hann", N_FFT)
            sft = self.peers.ShortTimeFFT(win, hop=HOP, fs=SR, mfft=N_FFT, fft_mode="onesided")
            p1 = 1 + self.n // HOP
            # ShortTimeFFT puts FFT index 0 at the window centre: (-1)^k relative to librosa
            sign = (-1.0) ** np.arange(N_FFT // 2 + 1)[:, None]
            self.add(
                "STFT",
                "scipy ShortTimeFFT.stft (complex128)",
                lambda: sft.stft(self.y_host, p0=0, p1=p1, axis=-1),
                ref,
                out=lambda r: r * sign,
                sync=lambda: None,
            )
        if torch is not None:
            x = self.torch_input()
            window = torch.hann_window(N_FFT, device=x.device)

            def run_torch():
                return torch.stft(
                    x, N_FFT, HOP, window=window, center=True, pad_mode="constant",
                    return_complex=True,
                )  # fmt: skip

            self.add(
                "STFT",
                f"torch.stft ({self.peers.torch_device})",
                run_torch,
                ref,
                out=lambda r: r.cpu().numpy(),
                sync=self.peers.torch_sync,
            )
        if self.peers.torchaudio is not None:
            layer = self.peers.torchaudio.transforms.Spectrogram(
                n_fft=N_FFT, hop_length=HOP, power=None, pad_mode="constant"
            ).to(self.peers.torch_device)
            self.add(
                "STFT",
                f"torchaudio Spectrogram, complex ({self.peers.torch_device})",
                self._nn_call(layer),
                ref,
                out=lambda r: r.cpu().numpy(),
                sync=self.peers.torch_sync,
            )
        if self.peers.nnaudio is not None:
            layer = self._nn_layer(
                "STFT",
                n_fft=N_FFT,
                hop_length=HOP,
                window="hann",
                center=True,
                pad_mode="constant",
                output_format="Magnitude",
                iSTFT=True,
                verbose=False,
            )
            self._nn_stft_layer = layer
            self.add(
                "STFT",
                f"nnAudio STFT ({self.peers.torch_device}), |X|",
                self._nn_call(layer),
                None if ref is None else np.abs(ref),
                out=lambda r: r.cpu().numpy(),
                sync=self.peers.torch_sync,
            )
        return ref

    def stft_bandwidth(self, plan):
        """Achieved memory bandwidth of the STFT plan: bytes of its input plus its output
        (the least any STFT must move) per second, on the default batch and on a batch
        ``--bandwidth-clips`` long (the GPU goal: >= 50 % of peak on a large batch)."""
        peak = device_peak_bandwidth(self.xp)
        rows = []
        for clips in sorted({self.args.clips, self.args.bandwidth_clips}):
            y = (
                self.xp.asarray(workload(clips, self.args.seconds))
                if clips != self.args.clips
                else self.y
            )
            try:
                out = plan(y)
                self.sync()
                seconds = median_time(lambda y=y: plan(y), self.args.repeat, self.sync)
            except Exception as exc:  # out of memory on a small device
                self.report.skip(f"STFT bandwidth, {clips} clips: {type(exc).__name__}: {exc}")
                continue
            moved = y.size * y.itemsize + out.size * out.itemsize
            share = f"{moved / seconds / peak:.0%}" if peak else "-"
            rows.append(
                f"| {clips} x {self.args.seconds:g} s | {moved / 1e6:.0f} | {seconds:.4f} | "
                f"{moved / seconds / 1e9:.1f} | {share} |"
            )
            del out
        peak_s = f"{peak / 1e9:.0f} GB/s" if peak else "not known for a CPU"
        self.report.extra_sections.append(
            "\n".join(
                [
                    f"### STFT achieved memory bandwidth (sigpu.STFT plan; peak: {peak_s})",
                    "",
                    "| batch | MB in + out | seconds | GB/s | share of peak |",
                    "|---|---|---|---|---|",
                    *rows,
                ]
            )
        )

    def istft(self, D_host):
        lr, sp, torch = self.peers.librosa, self.sigpu, self.peers.torch
        n = self.n
        ref = self.librosa_row(
            "iSTFT", lambda: lr.istft(D_host, n_fft=N_FFT, hop_length=HOP, length=n)
        )
        D = self.xp.asarray(D_host)
        plan = sp.STFT(n_fft=N_FFT, hop_length=HOP)
        self.add(
            "iSTFT",
            "sigpu.istft",
            lambda: sp.istft(D, n_fft=N_FFT, hop_length=HOP, length=n),
            ref,
            sigpu_impl=True,
        )
        self.add("iSTFT", "sigpu.STFT plan .inverse", lambda: plan.inverse(D, length=n), ref, True)
        if self.peers.ShortTimeFFT is not None:
            import scipy.signal

            win = scipy.signal.get_window("hann", N_FFT)
            sft = self.peers.ShortTimeFFT(win, hop=HOP, fs=SR, mfft=N_FFT, fft_mode="onesided")
            # its own STFT (slices p_min..p_max, one more before 0 than librosa's): the inverse
            # needs the slices that overlap the first samples
            S_sft = sft.stft(self.y_host, axis=-1)
            self.add(
                "iSTFT",
                "scipy ShortTimeFFT.istft",
                lambda: sft.istft(S_sft, k1=n, f_axis=-2, t_axis=-1),
                ref,
                sync=lambda: None,
            )
        if torch is not None:
            Dt = torch.from_numpy(D_host).to(self.peers.torch_device)
            window = torch.hann_window(N_FFT, device=Dt.device)
            self.add(
                "iSTFT",
                f"torch.istft ({self.peers.torch_device})",
                lambda: torch.istft(Dt, N_FFT, HOP, window=window, center=True, length=n),
                ref,
                out=lambda r: r.cpu().numpy(),
                sync=self.peers.torch_sync,
            )
        if self.peers.torchaudio is not None:
            inverse = self.peers.torchaudio.transforms.InverseSpectrogram(
                n_fft=N_FFT, hop_length=HOP
            ).to(self.peers.torch_device)
            Dt = torch.from_numpy(D_host).to(self.peers.torch_device)
            self.add(
                "iSTFT",
                f"torchaudio InverseSpectrogram ({self.peers.torch_device})",
                self._nn_call(inverse, arg=Dt, length=n),
                ref,
                out=lambda r: r.cpu().numpy(),
                sync=self.peers.torch_sync,
            )
        layer = getattr(self, "_nn_stft_layer", None)
        if layer is not None:
            X = torch.from_numpy(np.stack([D_host.real, D_host.imag], axis=-1))
            X = X.to(self.peers.torch_device)

            def run_nn():
                with torch.no_grad():
                    return layer.inverse(X, onesided=True, length=n)

            self.add(
                "iSTFT",
                f"nnAudio STFT.inverse ({self.peers.torch_device})",
                run_nn,
                ref,
                out=lambda r: r.cpu().numpy(),
                sync=self.peers.torch_sync,
            )

    def mel_mfcc(self):
        F = self.sigpu  # top-level names: robust to the submodule layout

        lr, torch = self.peers.librosa, self.peers.torch
        kw = dict(sr=SR, n_fft=N_FFT, hop_length=HOP)
        ref = self.librosa_row("mel", lambda: lr.feature.melspectrogram(y=self.y_host, **kw))
        plan = F.MelSpectrogram(**kw)
        self.add("mel", "sigpu melspectrogram", lambda: F.melspectrogram(self.y, **kw), ref, True)
        self.add("mel", "sigpu MelSpectrogram plan", lambda: plan(self.y), ref, True)
        if torch is not None and lr is not None:
            x = self.torch_input()
            window = torch.hann_window(N_FFT, device=x.device)
            bank = torch.from_numpy(lr.filters.mel(sr=SR, n_fft=N_FFT)).to(x.device)

            def run_torch():
                X = torch.stft(
                    x, N_FFT, HOP, window=window, center=True, pad_mode="constant",
                    return_complex=True,
                )  # fmt: skip
                return torch.matmul(bank, X.real**2 + X.imag**2)

            self.add(
                "mel",
                f"torch.stft + matmul ({self.peers.torch_device})",
                run_torch,
                ref,
                out=lambda r: r.cpu().numpy(),
                sync=self.peers.torch_sync,
            )
        if self.peers.torchaudio is not None:
            ta = self.peers.torchaudio
            layer = ta.transforms.MelSpectrogram(
                sample_rate=SR, n_fft=N_FFT, hop_length=HOP, n_mels=128, norm="slaney",
                mel_scale="slaney", pad_mode="constant",
            ).to(self.peers.torch_device)  # fmt: skip
            self.add(
                "mel",
                f"torchaudio MelSpectrogram ({self.peers.torch_device})",
                self._nn_call(layer),
                ref,
                out=lambda r: r.cpu().numpy(),
                sync=self.peers.torch_sync,
            )
        if self.peers.nnaudio is not None:
            layer = self._nn_layer(
                "MelSpectrogram", sr=SR, n_fft=N_FFT, hop_length=HOP, pad_mode="constant",
                verbose=False,
            )  # fmt: skip
            self.add(
                "mel",
                f"nnAudio MelSpectrogram ({self.peers.torch_device})",
                self._nn_call(layer),
                ref,
                out=lambda r: r.cpu().numpy(),
                sync=self.peers.torch_sync,
            )

        ref = self.librosa_row("MFCC", lambda: lr.feature.mfcc(y=self.y_host, **kw))
        mplan = F.MFCC(**kw)
        self.add("MFCC", "sigpu mfcc", lambda: F.mfcc(self.y, **kw), ref, True)
        self.add("MFCC", "sigpu MFCC plan", lambda: mplan(self.y), ref, True)
        if self.peers.torchaudio is not None:
            ta = self.peers.torchaudio
            layer = ta.transforms.MFCC(
                sample_rate=SR, n_mfcc=20,
                melkwargs=dict(n_fft=N_FFT, hop_length=HOP, n_mels=128, norm="slaney",
                               mel_scale="slaney", pad_mode="constant"),
            ).to(self.peers.torch_device)  # fmt: skip
            self.add(
                "MFCC",
                f"torchaudio MFCC ({self.peers.torch_device})",
                self._nn_call(layer),
                ref,
                out=lambda r: r.cpu().numpy(),
                sync=self.peers.torch_sync,
            )
        if self.peers.nnaudio is not None:
            layer = self._nn_layer(
                "MFCC", sr=SR, n_mfcc=20, n_fft=N_FFT, hop_length=HOP, pad_mode="constant",
                verbose=False,
            )  # fmt: skip
            self.add(
                "MFCC",
                f"nnAudio MFCC ({self.peers.torch_device})",
                self._nn_call(layer),
                ref,
                out=lambda r: r.cpu().numpy(),
                sync=self.peers.torch_sync,
            )

    def cqt_vqt(self):
        C = self.sigpu

        lr = self.peers.librosa
        kw = dict(sr=SR, hop_length=HOP, fmin=C1, n_bins=84, bins_per_octave=12)
        # librosa's gamma=None is a constant: 24.7 * alpha / 0.108 (alpha from bins/octave)
        alpha = (2 ** (2 / 12) - 1) / (2 ** (2 / 12) + 1)
        gamma = 24.7 * alpha / 0.108
        for task, ours, theirs in (
            ("CQT", C.cqt, lambda: lr.cqt(self.y_host, **kw)),
            ("VQT", C.vqt, lambda: lr.vqt(self.y_host, **kw)),
        ):
            ref = self.librosa_row(task, theirs) if lr is not None else None
            ref_mag = None if ref is None else np.abs(ref)
            mag = dict(out=lambda r: np.abs(self.host(r)))
            self.add(task, f"sigpu {ours.__name__}", lambda o=ours: o(self.y, **kw), ref_mag,
                     sigpu_impl=True, **mag)  # fmt: skip
            plan = (C.CQT if task == "CQT" else C.VQT)(**kw)
            self.add(task, f"sigpu {task} plan", lambda p=plan: p(self.y), ref_mag,
                     sigpu_impl=True, **mag)  # fmt: skip
            if self.peers.nnaudio is None:
                continue
            common = dict(
                sr=SR, hop_length=HOP, fmin=C1, n_bins=84, bins_per_octave=12, window="hann",
                pad_mode="constant", output_format="Magnitude", verbose=False,
            )  # fmt: skip
            layers = (
                {
                    "CQT1992v2": dict(common, norm=1, center=True),
                    "CQT2010v2": dict(common, norm=1),
                }
                if task == "CQT"
                else {"VQT": dict(common, gamma=gamma)}
            )
            for name, lkw in layers.items():
                layer = self._nn_layer(name, **lkw)
                self.add(
                    task,
                    f"nnAudio {name} ({self.peers.torch_device})",
                    self._nn_call(layer, normalization_type="librosa"),
                    ref_mag,
                    out=lambda r: r.cpu().numpy(),
                    sync=self.peers.torch_sync,
                )

    def griffinlim(self):
        lr, sp, torch = self.peers.librosa, self.sigpu, self.peers.torch
        y = self.y_host[: self.args.gl_clips]
        S_host = np.abs(lr.stft(y, n_fft=N_FFT, hop_length=HOP)) if lr else None
        if S_host is None:
            S_host = np.abs(self.host(sp.stft(self.xp.asarray(y), n_fft=N_FFT, hop_length=HOP)))
        S = self.xp.asarray(S_host)
        n_iter = self.args.gl_iter
        n = y.shape[-1]
        kw = dict(n_iter=n_iter, hop_length=HOP, length=n)

        def convergence(x):
            """Spectral convergence || |STFT(x)| - S || / ||S|| (lower is better)."""
            X = np.abs(self.host(sp.stft(np.asarray(x, np.float32), n_fft=N_FFT, hop_length=HOP)))
            return float(np.linalg.norm(X - S_host) / np.linalg.norm(S_host))

        ref = None
        if lr is not None:
            ref = lr.griffinlim(S_host, init=None, **kw)
            seconds = median_time(lambda: lr.griffinlim(S_host, init=None, **kw), self.args.repeat)
            self.report.rows.append(
                Row("GL", "librosa (one batched call)", seconds,
                    f"ref; spectral conv. {convergence(ref):.3f}")
            )  # fmt: skip
            print(f"  GL     librosa {seconds:8.4f} s", flush=True)

        def metric(x):
            base = f"{rel_to_peak(x, ref):.1e}; " if ref is not None else ""
            return base + f"spectral conv. {convergence(x):.3f}"

        self.add(
            "GL",
            f"sigpu griffinlim (init=None, {n_iter} it)",
            lambda: sp.griffinlim(S, init=None, **kw),
            ref,
            sigpu_impl=True,
            metric=metric,
        )
        if torch is not None:
            St = torch.from_numpy(S_host).to(self.peers.torch_device)
        if self.peers.torchaudio is not None:
            # librosa's settings: zero-phase start (rand_init=False), momentum 0.99, the
            # magnitude (power=1); torchaudio pads by reflection, librosa with zeros
            layer = self.peers.torchaudio.transforms.GriffinLim(
                n_fft=N_FFT, n_iter=n_iter, hop_length=HOP, power=1.0, momentum=0.99,
                length=n, rand_init=False,
            ).to(self.peers.torch_device)  # fmt: skip
            self.add(
                "GL",
                f"torchaudio GriffinLim (init=None, {n_iter} it, {self.peers.torch_device})",
                self._nn_call(layer, arg=St),
                ref,
                out=lambda r: r.cpu().numpy(),
                sync=self.peers.torch_sync,
                metric=metric,
            )
        if self.peers.nnaudio is not None:
            layer = self._nn_layer(
                "Griffin_Lim", n_fft=N_FFT, n_iter=n_iter, hop_length=HOP, pad_mode="constant",
                device=self.peers.torch_device,
            )  # fmt: skip
            self.add(
                "GL",
                f"nnAudio Griffin_Lim (random init, {self.peers.torch_device})",
                self._nn_call(layer, arg=St),
                ref,
                out=lambda r: r.cpu().numpy(),
                sync=self.peers.torch_sync,
                metric=lambda x: f"spectral conv. {convergence(x[..., :n]):.3f}",
            )

    # nnAudio/torch plumbing --------------------------------------------------------------
    def _nn_layer(self, name, **kwargs):
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

    def _nn_call(self, layer, arg=None, **kwargs):
        torch = self.peers.torch

        def run():
            x = self.torch_input() if arg is None else arg
            with torch.no_grad(), warnings.catch_warnings():
                warnings.simplefilter("ignore")
                return layer(x, **kwargs)

        return run


# ---------------------------------------------------------------------------------------------
# first-call costs, topic scripts, report, plot
# ---------------------------------------------------------------------------------------------
FIRST_CALL = {
    "STFT": "import sigpu; p = sigpu.STFT(n_fft=2048, hop_length=512); p(y)",
    "mel": "import sigpu; sigpu.MelSpectrogram(sr=22050)(y)",
    "CQT": "import sigpu; sigpu.CQT(sr=22050)(y)",
}


def first_call_costs(backend: str) -> list[tuple[str, float]]:
    """Fresh interpreter: import + plan/table build + JIT load + one call on 1 x 1 s."""
    out = []
    for name, code in FIRST_CALL.items():
        prog = (
            "import time; t0 = time.perf_counter(); import numpy as np; "
            + ("import cupy as xp; " if backend == "cupy" else "xp = np; ")
            + "y = xp.asarray(np.random.default_rng(0).standard_normal((1, 22050), "
            "dtype=np.float32)); " + code + "; import sigpu._backend as b; b.synchronize(xp); "
            "print(time.perf_counter() - t0)"
        )
        try:
            res = subprocess.run(
                [sys.executable, "-c", prog], capture_output=True, text=True, check=True
            )
            out.append(
                (f"sigpu {name}: fresh process, import + plan + first call", float(res.stdout))
            )
        except (subprocess.CalledProcessError, ValueError) as exc:
            print(f"first-call {name} failed: {exc}")
    return out


def run_topic_scripts(args, report: Report) -> None:
    for script, default in TOPIC_SCRIPTS.items():
        path = ROOT / "benchmarks" / script
        if not path.exists():
            report.skip(f"{script} not found")
            continue
        argv = [] if args.full else default
        cmd = [sys.executable, str(path), *argv]
        print(f"running {' '.join(cmd[1:])} ({load()})", flush=True)
        t0 = time.perf_counter()
        res = subprocess.run(cmd, capture_output=True, text=True, cwd=ROOT)
        took = time.perf_counter() - t0
        if res.returncode != 0:
            report.skip(f"{script} failed (exit {res.returncode}): {res.stderr.strip()[-300:]}")
            continue
        text = res.stdout.strip()
        rel = Path("benchmarks") / script
        report.extra.append(
            f"### `python {rel} {' '.join(argv)}`\n\n({took:.0f} s, {load()})\n\n{text}\n"
        )
        report.topic_ratios.extend(_topic_ratios(script, text))


def _table_rows(text: str):
    """Yield (header cells, row cells) for each markdown table body row in ``text``."""
    header = None
    for line in text.splitlines():
        line = line.strip()
        if not line.startswith("|"):
            header = None
            continue
        cells = [c.strip() for c in line.strip("|").split("|")]
        if header is None:
            header = cells
        elif not all(set(c) <= set("-: ") for c in cells):
            yield header, cells


def _topic_ratios(script: str, text: str) -> list[tuple[str, float]]:
    """Pull sigpu/peer ratios out of a topic script's table (best effort, for the plot)."""
    ratios = []
    try:
        for header, cells in _table_rows(text):
            row = dict(zip(header, cells, strict=False))
            if script == "compare_harmonic.py" and "sigpu / conv2d" in row:
                label = f"harmonic {row['K']} a{row['anchor']} {row['pass']}"
                ratios.append((f"{label} vs torch conv2d", float(row["sigpu / conv2d"])))
            elif script == "compare_reassign.py" and "x port" in row.get("note", ""):
                m = re.search(r"([\d.]+)x port", row["note"])
                ratios.append((f"linear reassign. {row['implementation'][12:]} vs NumPy port",
                               float(m.group(1))))  # fmt: skip
            elif script == "compare_sfi.py" and "enc speed-up" in row:
                label = f"SFI {row['sr']} {row['dtype']}"
                ratios.append((f"{label} encode vs conv1d", 1 / float(row["enc speed-up"])))
                ratios.append((f"{label} decode vs conv_T1d", 1 / float(row["dec speed-up"])))
    except (KeyError, ValueError, AttributeError) as exc:
        print(f"could not read ratios from {script}: {exc}")
    return ratios


def ratio_rows(report: Report) -> list[tuple[str, str, float]]:
    """(task, 'sigpu impl / peer', ratio) using the fastest sigpu entry per task."""
    best = {}
    for r in report.rows:
        if r.is_sigpu and (r.task not in best or r.seconds < best[r.task].seconds):
            best[r.task] = r
    out = []
    for r in report.rows:
        if not r.is_sigpu and r.task in best and r.seconds:
            out.append((r.task, r.impl, best[r.task].seconds / r.seconds))
    return out


GOALS = [
    # (task, peer prefix, limit, text); several matching peers: the fastest one (worst ratio)
    ("STFT", "librosa", 0.7, "STFT <= 0.7x librosa"),
    ("mel", "librosa", 0.7, "mel <= 0.7x librosa"),
    ("CQT", "librosa", 0.8, "CQT <= 0.8x librosa (at parity)"),
    ("CQT", "nnAudio CQT", 0.1, "CQT <= 0.1x nnAudio CPU (its faster CQT layer)"),
]


def check_goals(report: Report, rounds: int, sync=lambda: None) -> None:
    """Time each goal's pair again, interleaved: sigpu, peer, sigpu, peer, ... ``rounds``
    times, so that a burst of machine load hits both alike (the table's medians are taken
    one implementation after the other).  The ratio is the median of the per-round ratios.

    As in the table, each timed call follows an untimed call of the same implementation:
    right after a torch call its OpenMP threads are still spinning and its data fills the
    caches, and timing the next library's call then charges it for that (measured: sigpu's
    CQT on both cores took 33 ms right after nnAudio's, 29 ms after a further 50 ms pause,
    25 ms after its own).  Only the timed calls count."""
    ratios = ratio_rows(report)
    for task, peer, _limit, text in GOALS:
        found = [(x, p) for t, p, x in ratios if t == task and p.startswith(peer)]
        if not found:
            continue
        _, peer_impl = max(found)  # the fastest matching peer
        mine = min(
            (r for r in report.rows if r.task == task and r.is_sigpu), key=lambda r: r.seconds
        )
        theirs = next(r for r in report.rows if r.task == task and r.impl == peer_impl)
        if mine.fn is None or theirs.fn is None:
            continue
        times = interleaved_rounds({"sigpu": mine.fn, "peer": theirs.fn}, rounds, sync)
        per_round = [a / b for a, b in zip(times["sigpu"], times["peer"], strict=True)]
        report.goal_checks[text] = (
            statistics.median(per_round),
            statistics.median(times["sigpu"]),
            statistics.median(times["peer"]),
            f"{mine.impl} vs {peer_impl}",
            rounds,
        )
        print(f"  goal check {text}: {report.goal_checks[text][0]:.2f}x", flush=True)


def goal_lines(report: Report) -> list[str]:
    lines = ["| goal | measured | status |", "|---|---|---|"]
    ratios = ratio_rows(report)
    for task, peer, limit, text in GOALS:
        if text in report.goal_checks:
            x, t_mine, t_peer, pair, rounds = report.goal_checks[text]
            lines.append(
                f"| {text} | {x:.2f}x ({pair}; {t_mine:.4f} s / {t_peer:.4f} s, median of "
                f"{rounds} interleaved rounds, each after an untimed call of itself) "
                f"| {'met' if x <= limit else 'MISSED'} |"
            )
            continue
        found = [(x, p) for t, p, x in ratios if t == task and p.startswith(peer)]
        if not found:
            lines.append(f"| {text} | not measured | - |")
            continue
        x, p = max(found)
        lines.append(f"| {text} | {x:.2f}x ({p}) | {'met' if x <= limit else 'MISSED'} |")
    topic = report.topic_ratios
    reassign = {label: x for label, x in topic if label.startswith("linear reassign")}
    if reassign:
        # at parity: sigpu float64 against the float64 NumPy port (fall back to the worst row)
        f64 = [(x, label) for label, x in reassign.items() if "float64" in label]
        x, label = f64[0] if f64 else max((x, label) for label, x in reassign.items())
        status = "met" if x <= 0.2 else "MISSED"
        lines.append(
            f"| linear reassignment <= 0.2x the earthspecies NumPy algorithm | {x:.3f}x "
            f"({label.split(' vs')[0].replace('linear reassign. ', '')}) | {status} |"
        )
    harmonic = [
        (x, label) for label, x in topic if label.startswith("harmonic") and " fwd " in label
    ]
    if harmonic:
        x, label = max(harmonic)
        status = "met" if x <= 1.5 else "MISSED"
        lines.append(
            f"| harmonic conv <= 1.5x torch conv2d (forward, worst K/anchor) | {x:.2f}x "
            f"({label.split(' vs')[0]}) | {status} |"
        )
    return lines


def markdown(args, report: Report, setup: list[tuple[str, float]], loads) -> str:
    import scipy

    versions = [f"numpy {np.__version__}", f"scipy {scipy.__version__}"]
    for mod in ("librosa", "torch", "nnAudio", "torchaudio"):
        try:
            versions.append(f"{mod} {__import__(mod).__version__}")
        except Exception:
            pass
    cpu = platform.processor() or platform.machine()
    try:
        for line in subprocess.run(["lscpu"], capture_output=True, text=True).stdout.splitlines():
            if line.startswith("Model name"):
                cpu = line.split(":", 1)[1].strip()
    except OSError:
        pass
    threads = "all cores" if args.threads <= 0 else f"{args.threads} (pinned)"
    lines = [
        f"Machine: {cpu}, {os.cpu_count()} CPUs; Python {platform.python_version()}; "
        + ", ".join(versions),
        f"sigpu backend: {args.backend}; threads: {threads}; "
        f"{args.clips} clips x {args.seconds:g} s x {SR} Hz float32; "
        f"median of {args.repeat} after 1 warm-up (3 when a call takes > 2 s); "
        f"Griffin-Lim on {args.gl_clips} clips, "
        f"{args.gl_iter} iterations, init=None.",
        f"Load: before {loads[0]}; after {loads[1]}.",
        "",
        "| task | implementation | seconds | sigpu / this | accuracy vs librosa (rel-to-peak) |",
        "|---|---|---|---|---|",
    ]
    ratios = {(t, p): x for t, p, x in ratio_rows(report)}
    for r in report.rows:
        ratio = ratios.get((r.task, r.impl))
        ratio_s = f"{ratio:.2f}" if ratio is not None else "-"
        lines.append(f"| {r.task} | {r.impl} | {r.seconds:.4f} | {ratio_s} | {r.accuracy} |")
    lines += ["", "Goals (issue #6):", ""] + goal_lines(report)
    if setup:
        lines += ["", "| setup cost (not in the times above) | seconds |", "|---|---|"]
        lines += [f"| {name} | {s:.3f} |" for name, s in setup]
    for section in report.extra_sections:
        lines += ["", section]
    if report.skipped:
        lines += ["", "Skipped:", ""] + [f"- {s}" for s in report.skipped]
    if report.extra:
        lines += ["", "## Topic scripts", ""] + report.extra
    return "\n".join(lines) + "\n"


def plot(report: Report, path: Path, title: str) -> None:
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        report.skip("matplotlib not installed: no plot")
        return
    items = [(f"{t}: vs {p}", x) for t, p, x in ratio_rows(report)] + report.topic_ratios
    if not items:
        return
    labels, values = zip(*items, strict=True)
    fig, ax = plt.subplots(figsize=(9, 0.32 * len(items) + 1.5))
    colors = ["tab:green" if v <= 1 else "tab:red" for v in values]
    ax.barh(range(len(items)), values, color=colors)
    ax.set_yticks(range(len(items)), labels, fontsize=8)
    ax.invert_yaxis()
    ax.set_xscale("log")
    ax.axvline(1.0, color="black", lw=0.8)
    for i, v in enumerate(values):
        ax.text(v, i, f" {v:.2f}", va="center", fontsize=7)
    ax.set_xlabel("time ratio sigpu / peer (log scale; < 1: sigpu faster)")
    ax.set_title(title, fontsize=9)
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110)
    plt.close(fig)
    print(f"wrote {path}")


def main(args) -> int:
    report = Report()
    loads = [load()]
    print(f"start: {loads[0]}", flush=True)
    bench = Bench(args, report)
    tasks = set(args.only or ["STFT", "iSTFT", "mel", "MFCC", "CQT", "VQT", "GL"])
    D = None
    if tasks & {"STFT", "iSTFT"}:
        D = bench.stft()
    if "iSTFT" in tasks:
        if D is None:
            D = bench.host(bench.sigpu.stft(bench.y, n_fft=N_FFT, hop_length=HOP))
        bench.istft(D)
    if tasks & {"mel", "MFCC"}:
        bench.mel_mfcc()
    if tasks & {"CQT", "VQT"}:
        bench.cqt_vqt()
    if "GL" in tasks:
        if bench.peers.librosa is None:
            report.skip("Griffin-Lim: librosa (the reference) not installed")
        else:
            bench.griffinlim()
    if args.goal_rounds > 0:
        check_goals(report, args.goal_rounds, bench.sync)
    loads.append(load())
    setup = [] if args.no_first_call else first_call_costs(args.backend)
    setup += getattr(report, "extra_init", [])
    if not args.no_topics:
        run_topic_scripts(args, report)
    text = markdown(args, report, setup, loads)
    print("\n" + text)
    if args.report:
        args.report.parent.mkdir(parents=True, exist_ok=True)
        args.report.write_text(text)
    title = (
        f"sigpu ({args.backend}) / peer, {args.clips} x {args.seconds:g} s, "
        f"threads {'all' if args.threads <= 0 else args.threads}"
    )
    plot(report, args.plot, title)
    return 0


if __name__ == "__main__":
    sys.exit(main(ARGS))
