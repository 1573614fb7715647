"""Same-run CPU comparison: sigpu.cqt vs librosa.cqt vs nnAudio (CQT1992v2, CQT2010v2).

Workload (spec section 7): 16 clips x 10 s x 22050 Hz float32 (piano-like notes
E1-E7 with 6 harmonics and decay, a 30 Hz -> 10 kHz log chirp, -50 dB noise,
peak 0.9, fixed seed); CQT 84 bins from C1, 12/oct, hop 512, Hann, L1,
scale=True. Median of several runs after one warm-up. Accuracy vs librosa:
rel-to-peak of |C| and element error over bins within 40 dB of the peak.
Also times option (a) of spec 4.3, a single-rate CQT (one 16384-point rFFT
per frame + sparse kernel), to justify the multirate choice.

A second table times the inverse, sigpu.icqt vs librosa.icqt on the CQT of the
first ``--inverse-clips`` clips, and griffinlim_cqt (``init=None``,
``--gl-iter`` iterations) vs librosa.griffinlim_cqt, with the rel-to-peak
error of the signals against librosa's and, for Griffin-Lim, the spectral
convergence ``||abs(cqt(y_hat)) - C|| / ||C||`` of both.

    OPENBLAS_NUM_THREADS=1 OMP_NUM_THREADS=1 python benchmarks/compare_cqt.py [--repeat 5]

:func:`cqt_vqt` is the CQT and VQT part of ``compare.py``'s report (its workload, its peers on
the GPU too), run through ``compare.py --only CQT VQT``.
"""

from __future__ import annotations

import argparse
import statistics
import time
import warnings

import numpy as np
import scipy.fft
import scipy.sparse
from harness import C1, HOP

SR = 22050


def workload(n_clips=16, seconds=10.0, seed=0):
    rng = np.random.default_rng(seed)
    n = int(seconds * SR)
    t = np.arange(n) / SR
    out = np.empty((n_clips, n), dtype=np.float32)
    for c in range(n_clips):
        y = np.zeros(n)
        for _ in range(20):
            midi = rng.integers(28, 100)  # E1 .. E7
            f0 = 440 * 2 ** ((midi - 69) / 12)
            start = rng.uniform(0, seconds - 1)
            env = np.where(t >= start, np.exp(-3 * (t - start)), 0.0)
            for h in range(1, 7):
                if h * f0 < SR / 2:
                    y += env * np.sin(2 * np.pi * h * f0 * t) / h
        y += 0.3 * np.sin(
            2 * np.pi * 30 * seconds / np.log(10000 / 30) * (10000 / 30) ** (t / seconds)
        )
        y += 10 ** (-50 / 20) * rng.standard_normal(n)
        out[c] = 0.9 * y / np.max(np.abs(y))
    return out


def timeit(fn, repeat):
    fn()
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def accuracy(ours, ref, n_items=4):
    a, b = np.abs(np.asarray(ours)[:n_items]), np.abs(np.asarray(ref)[:n_items])
    frames = min(a.shape[-1], b.shape[-1])
    a, b = a[..., :frames], b[..., :frames]
    peak = b.max()
    rel = np.abs(a - b).max() / peak
    mask = b > peak * 1e-2
    elem = np.abs(a - b)[mask] / b[mask]
    return rel, np.max(elem), np.quantile(elem, 0.99), np.median(elem)


def single_rate_cqt(y, sr=SR, hop=512, n_bins=84):
    """Option (a): one large rFFT per frame + sparse kernel (sigpu filters, librosa scaling)."""
    from sigpu._constant_q_filters import C1_HZ, wavelet
    from sigpu._cqt_plan import sparsify_rows

    freqs = C1_HZ * 2.0 ** (np.arange(n_bins) / 12)
    basis, lengths = wavelet(freqs=freqs, sr=sr, dtype=np.complex128)
    n_fft = basis.shape[1]
    fb = np.fft.fft(basis * (lengths[:, None] / n_fft), axis=1)[:, : n_fft // 2 + 1]
    fb = sparsify_rows(fb, 0.01) / np.sqrt(lengths)[:, None]
    kernel = scipy.sparse.csr_matrix(fb.astype(np.complex64))

    def run():
        padded = np.pad(y, ((0, 0), (n_fft // 2, n_fft // 2)))
        fr = np.lib.stride_tricks.sliding_window_view(padded, n_fft, axis=-1)[:, ::hop]
        spec = scipy.fft.rfft(fr, axis=-1, workers=1)  # (B, T, F)
        b, t, f = spec.shape
        return (kernel @ spec.reshape(b * t, f).T).reshape(n_bins, b, t).transpose(1, 0, 2)

    return run


def inverse_table(y, repeat, gl_iter):
    """icqt and griffinlim_cqt vs librosa on the CQT of ``y`` (rows of the second table)."""
    from sigpu.constantq import cqt, griffinlim_cqt, icqt

    try:
        import librosa
    except ImportError:
        print("librosa not installed: inverse comparison skipped")
        return
    C = cqt(y, sr=SR)
    mag = np.abs(C)

    def rel(a, b):
        return np.abs(a - b).max() / np.abs(b).max()

    def convergence(x):
        return np.linalg.norm(np.abs(cqt(x, sr=SR)) - mag) / np.linalg.norm(mag)

    ref = librosa.icqt(C, sr=SR)
    ours = icqt(C, sr=SR)
    t_ref = timeit(lambda: librosa.icqt(C, sr=SR), repeat)
    t_ours = timeit(lambda: icqt(C, sr=SR), repeat)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        gl_ref = librosa.griffinlim_cqt(mag, sr=SR, n_iter=gl_iter, init=None)
        gl_ours = griffinlim_cqt(mag, sr=SR, n_iter=gl_iter, init=None)
        rep = max(1, repeat // 2)
        g_ref = timeit(lambda: librosa.griffinlim_cqt(mag, sr=SR, n_iter=gl_iter, init=None), rep)
        g_ours = timeit(lambda: griffinlim_cqt(mag, sr=SR, n_iter=gl_iter, init=None), rep)
    n, secs = y.shape[0], y.shape[-1] / SR
    print(f"\nInverse, {n} x {secs:g} s clips, 84 bins, hop 512 (float32):\n")
    print("| implementation | seconds | x librosa | rel-to-peak vs librosa | spectral conv. |")
    print("|---|---|---|---|---|")
    print(f"| librosa.icqt | {t_ref:.3f} | 1.00 | - | - |")
    print(f"| sigpu.icqt | {t_ours:.3f} | {t_ours / t_ref:.2f} | {rel(ours, ref):.1e} | - |")
    name = f"griffinlim_cqt n_iter={gl_iter}"
    print(f"| librosa.{name} | {g_ref:.3f} | 1.00 | - | {convergence(gl_ref):.4f} |")
    print(
        f"| sigpu.{name} | {g_ours:.3f} | {g_ours / g_ref:.2f} | {rel(gl_ours, gl_ref):.1e} "
        f"| {convergence(gl_ours):.4f} |"
    )


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--clips", type=int, default=16)
    parser.add_argument("--inverse-clips", type=int, default=4)
    parser.add_argument("--gl-iter", type=int, default=8)
    parser.add_argument("--skip-forward", action="store_true")
    args = parser.parse_args()
    if args.skip_forward:
        inverse_table(workload(args.inverse_clips), args.repeat, args.gl_iter)
        return
    y = workload(args.clips)
    rows = []

    import sigpu.constantq

    plan_t0 = time.perf_counter()
    sigpu._cqt_plan.build_schedule.cache_clear()
    plan = sigpu.constantq.CQT(sr=SR)
    plan_build = time.perf_counter() - plan_t0
    ours = plan(y)

    ref = None
    try:
        import librosa

        def run_librosa():
            return librosa.cqt(y, sr=SR)

        ref = run_librosa()
        rows.append(("librosa.cqt (one batched call)", timeit(run_librosa, args.repeat), ref))
    except ImportError:
        print("librosa not installed: skipped")

    rows.append(
        ("sigpu.cqt (function)", timeit(lambda: sigpu.constantq.cqt(y, sr=SR), args.repeat), ours)
    )
    rows.append(("sigpu.CQT plan call", timeit(lambda: plan(y), args.repeat), ours))
    sr_run = single_rate_cqt(y)
    rows.append(
        ("single-rate option (a), NumPy", timeit(sr_run, max(2, args.repeat // 2)), sr_run())
    )

    try:
        import torch
        from nnAudio import features

        torch.set_num_threads(1)
        yt = torch.from_numpy(y)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            for name in ("CQT1992v2", "CQT2010v2"):
                kw = dict(
                    sr=SR,
                    hop_length=512,
                    fmin=32.70319566257483,
                    n_bins=84,
                    bins_per_octave=12,
                    norm=1,
                    window="hann",
                    pad_mode="constant",
                    output_format="Magnitude",
                    verbose=False,
                )
                if name == "CQT1992v2":
                    kw["center"] = True
                layer = getattr(features, name)(**kw)

                def run(layer=layer):
                    with torch.no_grad():
                        return layer(yt, normalization_type="librosa")

                out = run().numpy()
                rows.append((f"nnAudio {name} (CPU)", timeit(run, args.repeat), out))
    except ImportError:
        print("torch/nnAudio not installed: skipped")

    print(f"\nsigpu CQT plan build (kernels, decimator): {plan_build * 1e3:.1f} ms\n")
    base = rows[0][1] if ref is not None else None
    print("| implementation | seconds | x librosa | rel-to-peak | elem max / p99 / median |")
    print("|---|---|---|---|---|")
    for name, secs, out in rows:
        ratio = f"{secs / base:.2f}" if base else "-"
        if ref is not None:
            rel, emax, e99, emed = accuracy(out, ref)
            acc, el = f"{rel:.1e}", f"{emax:.2g} / {e99:.2g} / {emed:.2g}"
        else:
            acc = el = "-"
        print(f"| {name} | {secs:.3f} | {ratio} | {acc} | {el} |")
    if args.inverse_clips > 0:
        inverse_table(y[: args.inverse_clips], args.repeat, args.gl_iter)


def cqt_vqt(bench):
    """CQT and VQT rows of ``compare.py``: sigpu's functions and plans against librosa and
    nnAudio (CQT1992v2, CQT2010v2, VQT) on the :class:`harness.Bench` workload, magnitudes."""
    C = bench.sigpu

    lr = bench.peers.librosa
    kw = dict(sr=SR, hop_length=HOP, fmin=C1, n_bins=84, bins_per_octave=12)
    # librosa's gamma=None is a constant: 24.7 * alpha / 0.108 (alpha from bins/octave)
    alpha = (2 ** (2 / 12) - 1) / (2 ** (2 / 12) + 1)
    gamma = 24.7 * alpha / 0.108
    for task, ours, theirs in (
        ("CQT", C.cqt, lambda: lr.cqt(bench.y_host, **kw)),
        ("VQT", C.vqt, lambda: lr.vqt(bench.y_host, **kw)),
    ):
        ref = bench.librosa_row(task, theirs) if lr is not None else None
        ref_mag = None if ref is None else np.abs(ref)
        mag = dict(out=lambda r: np.abs(bench.host(r)))
        bench.add(
            task,
            f"sigpu {ours.__name__}",
            lambda o=ours: o(bench.y, **kw),
            ref_mag,
            sigpu_impl=True,
            **mag,
        )
        plan = (C.CQT if task == "CQT" else C.VQT)(**kw)
        bench.add(
            task, f"sigpu {task} plan", lambda p=plan: p(bench.y), ref_mag, sigpu_impl=True, **mag
        )
        if bench.peers.nnaudio is None:
            continue
        common = dict(
            sr=SR,
            hop_length=HOP,
            fmin=C1,
            n_bins=84,
            bins_per_octave=12,
            window="hann",
            pad_mode="constant",
            output_format="Magnitude",
            verbose=False,
        )
        layers = (
            {
                "CQT1992v2": dict(common, norm=1, center=True),
                "CQT2010v2": dict(common, norm=1),
            }
            if task == "CQT"
            else {"VQT": dict(common, gamma=gamma)}
        )
        for name, lkw in layers.items():
            layer = bench.nn_layer(name, **lkw)
            bench.add_torch(
                task,
                f"nnAudio {name} ({bench.peers.torch_device})",
                bench.nn_call(layer, normalization_type="librosa"),
                ref_mag,
            )


if __name__ == "__main__":
    main()
