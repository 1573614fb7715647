"""STFT, iSTFT and Griffin-Lim against their peers: the spectrum rows of ``compare.py``.

sigpu's ``stft``/``STFT``/``istft``/``griffinlim`` against librosa (the reference),
``scipy.signal.ShortTimeFFT``, ``torch.stft``/``istft``, torchaudio and nnAudio, plus the STFT
plan's achieved memory bandwidth.  Each function takes the :class:`harness.Bench` that
``compare.py`` builds and adds its rows to it; run them through ``compare.py``::

    python benchmarks/compare.py --only STFT iSTFT GL --no-topics
"""

from __future__ import annotations

import numpy as np
from harness import HOP, N_FFT, SR, Row, device_peak_bandwidth, median_time, rel_to_peak, workload


def stft(bench):
    """STFT rows; returns librosa's STFT of the workload (None without librosa)."""
    lr, sp, torch = bench.peers.librosa, bench.sigpu, bench.peers.torch
    ref = bench.librosa_row("STFT", lambda: lr.stft(bench.y_host, n_fft=N_FFT, hop_length=HOP))
    plan = sp.STFT(n_fft=N_FFT, hop_length=HOP)
    bench.add(
        "STFT",
        "sigpu.stft",
        lambda: sp.stft(bench.y, n_fft=N_FFT, hop_length=HOP),
        ref,
        sigpu_impl=True,
    )
    bench.add("STFT", "sigpu.STFT plan", lambda: plan(bench.y), ref, sigpu_impl=True)
    stft_floor(bench, ref)
    stft_bandwidth(bench, plan)
    if bench.peers.ShortTimeFFT is not None:
        import scipy.signal

        win = scipy.signal.get_window("hann", N_FFT)
        sft = bench.peers.ShortTimeFFT(win, hop=HOP, fs=SR, mfft=N_FFT, fft_mode="onesided")
        p1 = 1 + bench.n // HOP
        # ShortTimeFFT puts FFT index 0 at the window centre: (-1)^k relative to librosa
        sign = (-1.0) ** np.arange(N_FFT // 2 + 1)[:, None]
        bench.add(
            "STFT",
            "scipy ShortTimeFFT.stft (complex128)",
            lambda: sft.stft(bench.y_host, p0=0, p1=p1, axis=-1),
            ref,
            out=lambda r: r * sign,
            sync=lambda: None,
        )
    if torch is not None:
        x = bench.torch_input()
        window = torch.hann_window(N_FFT, device=x.device)

        def run_torch():
            return torch.stft(
                x,
                N_FFT,
                HOP,
                window=window,
                center=True,
                pad_mode="constant",
                return_complex=True,
            )

        bench.add_torch(
            "STFT",
            f"torch.stft ({bench.peers.torch_device})",
            run_torch,
            ref,
        )
    if bench.peers.torchaudio is not None:
        layer = bench.peers.torchaudio.transforms.Spectrogram(
            n_fft=N_FFT, hop_length=HOP, power=None, pad_mode="constant"
        ).to(bench.peers.torch_device)
        bench.add_torch(
            "STFT",
            f"torchaudio Spectrogram, complex ({bench.peers.torch_device})",
            bench.nn_call(layer),
            ref,
        )
    if bench.peers.nnaudio is not None:
        layer = bench.nn_layer(
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
        bench.nn_stft_layer = layer  # its inverse is an iSTFT row
        bench.add_torch(
            "STFT",
            f"nnAudio STFT ({bench.peers.torch_device}), |X|",
            bench.nn_call(layer),
            None if ref is None else np.abs(ref),
        )
    return ref


def stft_floor(bench, ref):
    """The STFT's floor: the FFT library sigpu uses (scipy.fft with sigpu's workers on the
    CPU, cuFFT through cupyx on the GPU) transforming frames that are already cut, windowed
    and laid out time-major before the clock starts; what is left above it is framing,
    windowing and padding (goal of issue 20: sigpu within 1.15x of it)."""
    from sigpu._backend import fft_module

    xp = bench.xp
    window = xp.asarray(np.hanning(N_FFT + 1)[:-1].astype(np.float32))  # periodic Hann
    padded = xp.pad(bench.y, [(0, 0), (N_FFT // 2, N_FFT // 2)])
    n_frames = 1 + bench.n // HOP
    starts = np.arange(n_frames) * HOP
    frames = padded[:, xp.asarray(starts[:, None] + np.arange(N_FFT)[None, :])] * window
    frames = xp.ascontiguousarray(frames)  # (clips, frames, n_fft), float32
    rfft = fft_module(xp).rfft
    bench.add(
        "STFT",
        "FFT floor: rfft of pre-windowed frames (same library and threads)",
        lambda: rfft(frames, axis=-1),
        ref,
        out=lambda r: np.swapaxes(bench.host(r), -1, -2),
    )


def stft_bandwidth(bench, plan):
    """Achieved memory bandwidth of the STFT plan: bytes of its input plus its output
    (the least any STFT must move) per second, on the default batch and on a batch
    ``--bandwidth-clips`` long (the GPU goal: >= 50 % of peak on a large batch)."""
    peak = device_peak_bandwidth(bench.xp)
    rows = []
    for clips in sorted({bench.args.clips, bench.args.bandwidth_clips}):
        y = (
            bench.xp.asarray(workload(clips, bench.args.seconds))
            if clips != bench.args.clips
            else bench.y
        )
        try:
            out = plan(y)
            bench.sync()
            seconds = median_time(lambda y=y: plan(y), bench.args.repeat, bench.sync)
        except Exception as exc:  # out of memory on a small device
            bench.report.skip(f"STFT bandwidth, {clips} clips: {type(exc).__name__}: {exc}")
            continue
        moved = y.size * y.itemsize + out.size * out.itemsize
        share = f"{moved / seconds / peak:.0%}" if peak else "-"
        rows.append(
            f"| {clips} x {bench.args.seconds:g} s | {moved / 1e6:.0f} | {seconds:.4f} | "
            f"{moved / seconds / 1e9:.1f} | {share} |"
        )
        del out
    peak_s = f"{peak / 1e9:.0f} GB/s" if peak else "not known for a CPU"
    bench.report.extra_sections.append(
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


def istft(bench, D_host):
    """iSTFT rows: each implementation inverts ``D_host`` (the STFT of the workload)."""
    lr, sp, torch = bench.peers.librosa, bench.sigpu, bench.peers.torch
    n = bench.n
    ref = bench.librosa_row(
        "iSTFT", lambda: lr.istft(D_host, n_fft=N_FFT, hop_length=HOP, length=n)
    )
    D = bench.xp.asarray(D_host)
    plan = sp.STFT(n_fft=N_FFT, hop_length=HOP)
    bench.add(
        "iSTFT",
        "sigpu.istft",
        lambda: sp.istft(D, n_fft=N_FFT, hop_length=HOP, length=n),
        ref,
        sigpu_impl=True,
    )
    bench.add("iSTFT", "sigpu.STFT plan .inverse", lambda: plan.inverse(D, length=n), ref, True)
    if bench.peers.ShortTimeFFT is not None:
        import scipy.signal

        win = scipy.signal.get_window("hann", N_FFT)
        sft = bench.peers.ShortTimeFFT(win, hop=HOP, fs=SR, mfft=N_FFT, fft_mode="onesided")
        # its own STFT (slices p_min..p_max, one more before 0 than librosa's): the inverse
        # needs the slices that overlap the first samples
        S_sft = sft.stft(bench.y_host, axis=-1)
        bench.add(
            "iSTFT",
            "scipy ShortTimeFFT.istft",
            lambda: sft.istft(S_sft, k1=n, f_axis=-2, t_axis=-1),
            ref,
            sync=lambda: None,
        )
    if torch is not None:
        Dt = torch.from_numpy(D_host).to(bench.peers.torch_device)
        window = torch.hann_window(N_FFT, device=Dt.device)
        bench.add_torch(
            "iSTFT",
            f"torch.istft ({bench.peers.torch_device})",
            lambda: torch.istft(Dt, N_FFT, HOP, window=window, center=True, length=n),
            ref,
        )
    if bench.peers.torchaudio is not None:
        inverse = bench.peers.torchaudio.transforms.InverseSpectrogram(
            n_fft=N_FFT, hop_length=HOP
        ).to(bench.peers.torch_device)
        Dt = torch.from_numpy(D_host).to(bench.peers.torch_device)
        bench.add_torch(
            "iSTFT",
            f"torchaudio InverseSpectrogram ({bench.peers.torch_device})",
            bench.nn_call(inverse, arg=Dt, length=n),
            ref,
        )
    layer = getattr(bench, "nn_stft_layer", None)
    if layer is not None:
        X = torch.from_numpy(np.stack([D_host.real, D_host.imag], axis=-1))
        X = X.to(bench.peers.torch_device)

        def run_nn():
            with torch.no_grad():
                return layer.inverse(X, onesided=True, length=n)

        bench.add_torch(
            "iSTFT",
            f"nnAudio STFT.inverse ({bench.peers.torch_device})",
            run_nn,
            ref,
        )


def griffinlim(bench):
    """Griffin-Lim rows on the first ``--gl-clips`` clips, with their spectral convergence."""
    lr, sp, torch = bench.peers.librosa, bench.sigpu, bench.peers.torch
    y = bench.y_host[: bench.args.gl_clips]
    S_host = np.abs(lr.stft(y, n_fft=N_FFT, hop_length=HOP)) if lr else None
    if S_host is None:
        S_host = np.abs(bench.host(sp.stft(bench.xp.asarray(y), n_fft=N_FFT, hop_length=HOP)))
    S = bench.xp.asarray(S_host)
    n_iter = bench.args.gl_iter
    n = y.shape[-1]
    kw = dict(n_iter=n_iter, hop_length=HOP, length=n)

    def convergence(x):
        """Spectral convergence || |STFT(x)| - S || / ||S|| (lower is better)."""
        X = np.abs(bench.host(sp.stft(np.asarray(x, np.float32), n_fft=N_FFT, hop_length=HOP)))
        return float(np.linalg.norm(X - S_host) / np.linalg.norm(S_host))

    ref = None
    if lr is not None:
        ref = lr.griffinlim(S_host, init=None, **kw)
        seconds = median_time(lambda: lr.griffinlim(S_host, init=None, **kw), bench.args.repeat)
        bench.report.rows.append(
            Row(
                "GL",
                "librosa (one batched call)",
                seconds,
                f"ref; spectral conv. {convergence(ref):.3f}",
            )
        )
        print(f"  GL     librosa {seconds:8.4f} s", flush=True)

    def metric(x):
        base = f"{rel_to_peak(x, ref):.1e}; " if ref is not None else ""
        return base + f"spectral conv. {convergence(x):.3f}"

    bench.add(
        "GL",
        f"sigpu griffinlim (init=None, {n_iter} it)",
        lambda: sp.griffinlim(S, init=None, **kw),
        ref,
        sigpu_impl=True,
        metric=metric,
    )
    if torch is not None:
        St = torch.from_numpy(S_host).to(bench.peers.torch_device)
    if bench.peers.torchaudio is not None:
        # librosa's settings: zero-phase start (rand_init=False), momentum 0.99, the
        # magnitude (power=1); torchaudio pads by reflection, librosa with zeros
        layer = bench.peers.torchaudio.transforms.GriffinLim(
            n_fft=N_FFT,
            n_iter=n_iter,
            hop_length=HOP,
            power=1.0,
            momentum=0.99,
            length=n,
            rand_init=False,
        ).to(bench.peers.torch_device)
        bench.add_torch(
            "GL",
            f"torchaudio GriffinLim (init=None, {n_iter} it, {bench.peers.torch_device})",
            bench.nn_call(layer, arg=St),
            ref,
            metric=metric,
        )
    if bench.peers.nnaudio is not None:
        layer = bench.nn_layer(
            "Griffin_Lim",
            n_fft=N_FFT,
            n_iter=n_iter,
            hop_length=HOP,
            pad_mode="constant",
            device=bench.peers.torch_device,
        )
        bench.add_torch(
            "GL",
            f"nnAudio Griffin_Lim (random init, {bench.peers.torch_device})",
            bench.nn_call(layer, arg=St),
            ref,
            metric=lambda x: f"spectral conv. {convergence(x[..., :n]):.3f}",
        )
