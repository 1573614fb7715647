"""Same-run comparison: sigpu.harmonic_conv2d vs torch on the Harmonic Lowering paper's
settings (batch 16, C_in 16, C_out 32, 256x256, K 3/5/7, anchors 1 and K), on the CPU or
(``--backend cupy``) on the GPU against torch's CUDA conv2d (cuDNN).

Peers, all timed on the same input in the same process (median of ``--repeat`` runs after a
warm-up, methods interleaved so that load changes hit them alike, each timed call after an
untimed call of the same method):

* ``torch conv2d``: ``torch.nn.functional.conv2d`` with the same K x K kernel (the goal:
  sigpu <= 1.5x its time; the HL paper's "plain conv" bar).
* ``torch HL``: the reference repository's approach written in torch: lowering by two
  gathers + ``F.conv2d`` with a 1 x K_t kernel on the lowered tensor (autograd backward).

Throughput: conv2d-equivalent GFLOP/s, ``2 N C_out C_in K_f K_t F T`` per forward (three
times that for forward + backward) divided by the time: what the harmonic GEMMs achieve
when every harmonic is active (anchor = K), an upper bound for anchor 1, whose skipped
harmonics are not done.

Peak memory (CPU only) is the growth of the resident set (VmHWM after a reset) of a forked
child that runs the operation once.  Accuracy: sigpu float32 vs the torch HL float64 output (an
independent implementation on torch's conv2d), max|diff| / max|ref|.

The last table gives the goal rows of issue 20 per size: the median [min - max] over the
(K, anchor) settings of sigpu / conv2d, against forward <= 1.2x and forward+backward <= 1.5x.

Usage::

    python benchmarks/compare_harmonic.py                 # paper settings, batch 16
    python benchmarks/compare_harmonic.py --batch 4 --kernels 3 7 --repeat 3
    python benchmarks/compare_harmonic.py --backend cupy   # GPU: sigpu on CuPy vs cuDNN
    # the HL grid, one pinned thread, CPU time (other processes on the core do not count)
    OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 NUMBA_NUM_THREADS=1 taskset -c 1 \
        python benchmarks/compare_harmonic.py --sizes 16 32 64 128 --anchors all \
        --no-memory --peers conv --threads 1 --clock cpu
"""

from __future__ import annotations

import argparse
import gc
import os
import platform
import statistics
import subprocess
import sys
import time

import numpy as np
from timing import interleaved_times

from sigpu._backend import synchronize, to_host
from sigpu._harmonic_tables import lowering_table
from sigpu.harmonic import harmonic_conv2d, harmonic_conv2d_backward


def _peak_rss_growth(argv, method: str, pass_name: str, k: int, anchor: int, size: int) -> float:
    """MiB the resident set grows while one call runs, measured in a fresh child process
    (forking a process that already runs OpenMP threads is unsafe)."""
    if not os.path.exists("/proc/self/clear_refs"):
        return float("nan")
    cmd = [sys.executable, __file__, *argv, "--memory-child", method, pass_name, str(k)]
    cmd += [str(anchor), "--sizes", str(size)]
    # a fixed mmap threshold makes glibc return every large array to the OS when freed, so
    # the warm-up call cannot leave pages behind that hide the measured call's peak
    env = dict(os.environ, MALLOC_MMAP_THRESHOLD_="65536")
    done = subprocess.run(cmd, capture_output=True, text=True, check=False, env=env)
    try:
        return float(done.stdout.strip().splitlines()[-1])
    except (ValueError, IndexError):
        return float("nan")


def _measure_in_child(fn) -> float:
    fn()  # warm-up: numba compile, tables, torch kernel selection
    gc.collect()
    with open("/proc/self/clear_refs", "w") as f:
        f.write("5")  # reset VmHWM to the current RSS
    before = _status_kib("VmRSS")
    fn()
    return (_status_kib("VmHWM") - before) / 1024


def _status_kib(field: str) -> int:
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    return 0


def _torch_hl(torch, n_freq, k_f, anchor, padding):
    """The HL reference approach in torch: gather-lower, then a (1 x K_t) conv2d."""
    lo, hi, w_lo, w_hi = lowering_table(n_freq, k_f, anchor, "inclusive", 1)
    lo_t = torch.from_numpy(lo.astype(np.int64)).reshape(-1)
    hi_t = torch.from_numpy(hi.astype(np.int64)).reshape(-1)

    def run(x, weight, bias):
        n, c, f, t = x.shape
        dev = x.device
        wl = torch.from_numpy(w_lo.copy()).to(dev, x.dtype)[None, None, :, :, None]
        wh = torch.from_numpy(w_hi.copy()).to(dev, x.dtype)[None, None, :, :, None]
        lo_d, hi_d = lo_t.to(dev), hi_t.to(dev)
        lowered = x.index_select(2, lo_d).reshape(n, c, k_f, f, t) * wl
        lowered = lowered + x.index_select(2, hi_d).reshape(n, c, k_f, f, t) * wh
        lowered = lowered.reshape(n, c * k_f, f, t)
        w_low = weight.reshape(weight.shape[0], c * k_f, 1, weight.shape[3])
        return torch.nn.functional.conv2d(lowered, w_low, bias, padding=(0, padding))

    return run


def _methods(torch, args, xp, x, k, anchor):
    """Callables per pass and method for one (K, anchor) setting, plus sigpu's error.

    ``x`` is a host array; sigpu gets it as an ``xp`` array, torch on the matching device.
    """
    rng = np.random.default_rng(k * 100 + anchor)
    pad = k // 2
    w = rng.standard_normal((args.c_out, args.c_in, k, k)) / np.sqrt(args.c_in * k * k)
    w = w.astype(np.float32)
    b = rng.standard_normal(args.c_out).astype(np.float32)
    hl = _torch_hl(torch, args.size, k, anchor, pad)
    device = "cuda" if args.backend == "cupy" else "cpu"
    xt, wt, bt = (torch.from_numpy(a).to(device) for a in (x, w, b))
    out_shape = (x.shape[0], args.c_out, x.shape[2], x.shape[3])
    gy = rng.standard_normal(out_shape).astype(np.float32)
    gyt = torch.from_numpy(gy).to(device)
    x, w, b, gy = (xp.asarray(a) for a in (x, w, b, gy))
    ops = {"error": float("nan")}
    if not args.memory_child and not args.no_check:
        y_ref = hl(xt.double(), wt.double(), bt.double()).cpu().numpy()
        y = to_host(harmonic_conv2d(x, w, b, anchor=anchor, padding=pad))
        ops["error"] = float(np.abs(y - y_ref).max() / np.abs(y_ref).max())
        del y, y_ref

    def sig_fwd():
        return harmonic_conv2d(x, w, b, anchor=anchor, padding=pad)

    def sig_bwd():
        harmonic_conv2d(x, w, b, anchor=anchor, padding=pad)
        return harmonic_conv2d_backward(gy, x, w, anchor=anchor, padding=pad)

    def conv(a, c, d):
        return torch.nn.functional.conv2d(a, c, d, padding=pad)

    def no_grad(op):
        def run():
            with torch.no_grad():
                return op(xt, wt, bt)

        return run

    def with_grad(op):
        def run():
            xg, wg, bg = (a.detach().clone().requires_grad_(True) for a in (xt, wt, bt))
            return torch.autograd.grad(op(xg, wg, bg), (xg, wg, bg), gyt)

        return run

    ops["fwd"] = {"sigpu": sig_fwd, "conv": no_grad(conv)}
    if not args.no_backward:
        ops["fwd+bwd"] = {"sigpu": sig_bwd, "conv": with_grad(conv)}
    if args.peers == "all":
        ops["fwd"]["hl"] = no_grad(hl)
        if not args.no_backward:
            ops["fwd+bwd"]["hl"] = with_grad(hl)
    return ops


def _backend(name, torch):
    """``(xp, sync)``: the array module sigpu gets and a function that waits for both
    libraries' queued GPU work (a no-op on the CPU)."""
    if name == "numpy":
        return np, lambda: None
    import cupy

    def sync():
        synchronize(cupy)
        torch.cuda.synchronize()

    return cupy, sync


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backend", choices=("numpy", "cupy"), default="numpy")
    parser.add_argument("--batch", type=int, default=16)
    parser.add_argument("--c-in", type=int, default=16)
    parser.add_argument("--c-out", type=int, default=32)
    parser.add_argument("--size", type=int, default=256, help="F = T")
    parser.add_argument(
        "--sizes", type=int, nargs="+", help="several F = T (the HL grid: 16 32 ... 512)"
    )
    parser.add_argument(
        "--anchors",
        choices=("ends", "all"),
        default="ends",
        help="anchors 1 and K (default) or every anchor 1..K (the HL grid)",
    )
    parser.add_argument("--kernels", type=int, nargs="+", default=[3, 5, 7])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--no-backward", action="store_true")
    parser.add_argument("--no-memory", action="store_true")
    parser.add_argument(
        "--no-check",
        action="store_true",
        help="skip the float64 torch HL reference (its lowered tensor is 3.7 GB at 512^2, K 7)",
    )
    parser.add_argument(
        "--peers",
        choices=("all", "conv"),
        default="all",
        help="time torch conv2d and torch HL (default), or conv2d only (the goal's peer)",
    )
    parser.add_argument(
        "--threads",
        type=int,
        help="torch.set_num_threads (1 for pinned runs; the BLAS/numba threads come from "
        "OPENBLAS_NUM_THREADS / NUMBA_NUM_THREADS)",
    )
    parser.add_argument(
        "--clock",
        choices=("wall", "cpu"),
        default="wall",
        help="wall: time.perf_counter; cpu: time.process_time (pinned one-thread runs only)",
    )
    parser.add_argument("--memory-child", nargs=4, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)

    try:
        import torch
    except ImportError:
        print("torch is not installed: nothing to compare against (pip install torch)")
        return 0

    if args.threads:
        torch.set_num_threads(args.threads)
    xp, sync = _backend(args.backend, torch)
    if args.backend == "cupy":
        args.no_memory = True  # the resident-set probe sees host memory only
    sizes = args.sizes or [args.size]
    if args.memory_child:
        args.size = sizes[0]
        shape = (args.batch, args.c_in, args.size, args.size)
        x = np.random.default_rng(0).standard_normal(shape).astype(np.float32)
        method, pass_name, k, anchor = args.memory_child
        ops = _methods(torch, args, xp, x, int(k), int(anchor))
        print(_measure_in_child(ops[pass_name][method]))
        return 0
    print(
        f"machine: {platform.machine()} {os.cpu_count()} CPUs, {platform.platform()}; "
        f"torch {torch.__version__} ({torch.get_num_threads()} threads); numpy {np.__version__}"
    )
    if args.backend == "cupy":
        print(f"GPU: {torch.cuda.get_device_name()}; sigpu on CuPy, torch on CUDA (cuDNN)")
    print(
        f"input (N, C_in, F, T) = ({args.batch}, {args.c_in}, F, T), F = T in {sizes}, "
        f"C_out = {args.c_out}, float32, stride 1\n"
    )
    header = (
        "| F = T | K | anchor | pass | sigpu (s) | torch conv2d (s) | torch HL (s) "
        "| sigpu / conv2d | sigpu / HL | GFLOP/s sigpu / conv2d | peak MiB sigpu / conv2d / HL "
        "| rel. err. vs torch HL (f64) |"
    )
    print(header)
    print("|---" * 12 + "|")
    argv = [a for a in (argv if argv is not None else sys.argv[1:])]
    ratios = {}  # (size, pass) -> sigpu / conv2d of every (K, anchor)
    for args.size in sizes:
        shape = (args.batch, args.c_in, args.size, args.size)
        x = np.random.default_rng(0).standard_normal(shape).astype(np.float32)
        for k in args.kernels:
            anchors = range(1, k + 1) if args.anchors == "all" else sorted({1, k})
            for anchor in anchors:
                for pass_name, ratio in _print_rows(torch, args, xp, x, k, anchor, sync, argv):
                    ratios.setdefault((args.size, pass_name), []).append(ratio)
    _print_goals(ratios, args)
    return 0


GOALS = {"fwd": 1.2, "fwd+bwd": 1.5}  # issue 20: sigpu / torch conv2d


def _print_goals(ratios, args):
    """The goal rows: per size and pass, the median of sigpu / conv2d over the settings."""
    print(f"\n### Goal rows (median [min - max] of sigpu / torch conv2d, clock {args.clock})\n")
    print("| F = T | pass | settings (K: anchors) | sigpu / conv2d | goal | status |")
    print("|---|---|---|---|---|---|")
    kernels = " ".join(
        f"{k}: {'1..' + str(k) if args.anchors == 'all' else '1, ' + str(k)}" for k in args.kernels
    )
    for (size, pass_name), values in ratios.items():
        median = statistics.median(values)
        goal = GOALS[pass_name]
        status = "met" if median <= goal else "missed"
        print(
            f"| {size} | {pass_name} | {kernels} | {median:.2f} [{min(values):.2f} - "
            f"{max(values):.2f}] | <= {goal} | {status} |"
        )


def _print_rows(torch, args, xp, x, k, anchor, sync, argv):
    """Time one (size, K, anchor) setting, both passes, and print its table rows; returns
    ``[(pass, sigpu / conv2d), ...]``."""
    ops = _methods(torch, args, xp, x, k, anchor)
    err = ops["error"]
    clock = time.process_time if args.clock == "cpu" else time.perf_counter
    ratios = []
    fwd_flop = 2.0 * args.batch * args.c_out * args.c_in * k * k * args.size**2
    for pass_name in ("fwd", "fwd+bwd"):
        if pass_name not in ops:
            continue
        t = interleaved_times(ops[pass_name], args.repeat, sync, clock)
        t.setdefault("hl", float("nan"))
        flop = fwd_flop * (1 if pass_name == "fwd" else 3)
        rates = f"{flop / t['sigpu'] / 1e9:.0f} / {flop / t['conv'] / 1e9:.0f}"
        mem = "-"
        if not args.no_memory:
            mem = " / ".join(
                f"{_peak_rss_growth(argv, m, pass_name, k, anchor, args.size):.0f}"
                if m in ops[pass_name]
                else "-"
                for m in ("sigpu", "conv", "hl")
            )
        print(
            f"| {args.size} | {k}x{k} | {anchor} | {pass_name} | {t['sigpu']:.3g} | "
            f"{t['conv']:.3g} | {t['hl']:.3g} | {t['sigpu'] / t['conv']:.2f} | "
            f"{t['sigpu'] / t['hl']:.2f} | {rates} | {mem} | {err:.1e} |",
            flush=True,
        )
        ratios.append((pass_name, t["sigpu"] / t["conv"]))
    return ratios


if __name__ == "__main__":
    sys.exit(main())
