"""Same-run comparison of sigpu's spectral torch layers against nnAudio and torch.stft, and
the torch bridge's per-call overhead.

Layers (float32, ``--batch`` clips of ``--seconds`` s at 22.05 kHz, forward and forward +
backward to the signal), peers timed on the same tensor in the same process (minimum of
``--repeat`` interleaved runs after a warm-up, as ``benchmarks/timing.py`` interleaves):

* STFT (n_fft 2048, hop 512): ``sigpu.torch.STFT`` (torch's FFT in sigpu's framing with one
  torch thread, else sigpu's rFFT through the bridge; exact adjoint as backward),
  ``sigpu.torch.STFT(trainable=True)`` (the Fourier-basis GEMM, nnAudio's method), nnAudio
  ``STFT`` (fixed and ``trainable=True``), ``torch.stft`` and torchaudio's ``Spectrogram``.
* Mel spectrogram (128 mels): ``sigpu.torch.MelSpectrogram``, nnAudio ``MelSpectrogram``,
  ``torch.stft`` + ``|.|**2`` + the mel-bank matmul and torchaudio's ``MelSpectrogram``.
* CQT (84 bins from C1): ``sigpu.torch.CQT`` (sigpu's multirate plan, exact adjoint), its
  trainable-kernel torch rendering, and nnAudio ``CQT`` (another algorithm: its error column
  is the algorithms' difference, not an accuracy).

Path choice: the STFT forward by torch's FFT (sigpu.torch._stft_torch) against the bridge to
sigpu's NumPy STFT; after the STFT, the mel GEMM and the dB conversion in torch against the
same steps through the bridge on the arrays behind the tensors.

Goals (issue 17, CPU): every sigpu layer no slower than its peers' equivalents (ratio sigpu /
peer <= 1 forward and forward + backward); the bridge under 20 us per call.  The last table
prints them with met/missed.

torchaudio is used when it imports (its wheels are tied to torch's build: see
benchmarks/README.md for running it beside torch 2.13 from /work/venv); otherwise its rows
are left out with the reason.

Timing clock: ``--clock wall`` (default) or ``--clock process`` (CPU time of this process,
all its threads: on a shared machine other processes' load then only adds cache effects).

Accuracy: max|layer - librosa-equivalent| / peak, against sigpu's NumPy result.

Bridge overhead: an identity function decorated with ``on_input_device``, called on a
4-element CPU tensor minus the same call on the NumPy array behind it (the bridge's checks,
zero-copy conversions and dispatch), and the decorator's cost on a NumPy call once torch is
imported (against the undecorated function); ``sigpu.power_to_db`` on both for scale.

Usage::

    python benchmarks/compare_torch.py
    taskset -c 1 python benchmarks/compare_torch.py --batch 4 --seconds 5 --repeat 7 \
        --threads 1 --clock process
"""

from __future__ import annotations

import argparse
import os
import platform
import time

import numpy as np
import torch
from harness import HOP, N_FFT, SR, workload

import sigpu
import sigpu.torch
from sigpu._backend import on_input_device

N_MELS = 128


def _rel(a, b):
    a, b = np.asarray(a), np.asarray(b)
    return float(np.max(np.abs(a - b)) / np.max(np.abs(b)))


CLOCKS = {"wall": time.perf_counter, "process": time.process_time}


def interleaved_times(runs, repeat, clock=time.perf_counter):
    """Seconds of each callable in ``runs``, the minimum of ``repeat`` interleaved rounds (on
    a shared machine load only adds) after one warm-up call each; each timed call follows an
    untimed call of the same callable (benchmarks/timing.py's scheme, with a clock)."""
    times = {name: [] for name in runs}
    for fn in runs.values():
        fn()
    for _ in range(repeat):
        for name, fn in runs.items():
            fn()
            t0 = clock()
            fn()
            times[name].append(clock() - t0)
    return {name: min(ts) for name, ts in times.items()}


def _nnaudio():
    try:
        from nnAudio import features
    except ImportError:
        return None
    return features


def _torchaudio():
    """torchaudio's transforms module, or the reason it does not import."""
    try:
        import torchaudio.transforms
    except (ImportError, OSError) as error:  # OSError: its extension against another torch
        return f"{type(error).__name__}: {error}"
    return torchaudio.transforms


def _stft_layers(nnaudio, transforms):
    layers = {
        "sigpu STFT": sigpu.torch.STFT(n_fft=N_FFT, hop_length=HOP),
        "sigpu STFT (trainable basis)": sigpu.torch.STFT(
            n_fft=N_FFT, hop_length=HOP, trainable=True
        ),
    }
    if nnaudio is not None:
        for name, trainable in (("nnAudio STFT", False), ("nnAudio STFT (trainable)", True)):
            layers[name] = nnaudio.STFT(
                n_fft=N_FFT,
                hop_length=HOP,
                pad_mode="constant",
                output_format="Complex",
                trainable=trainable,
                verbose=False,
            )
    window = torch.hann_window(N_FFT)
    layers["torch.stft"] = lambda y: torch.stft(
        y, N_FFT, HOP, window=window, pad_mode="constant", return_complex=True
    )
    if not isinstance(transforms, str):
        layers["torchaudio Spectrogram"] = transforms.Spectrogram(
            n_fft=N_FFT, hop_length=HOP, pad_mode="constant", power=None
        )
    return layers


def _as_complex(out):
    # nnAudio's "Complex" output is (..., F, T, 2) real/imag
    return (
        torch.view_as_complex(out.contiguous())
        if out.shape[-1] == 2 and not out.is_complex()
        else out
    )


def _mel_layers(nnaudio, transforms):
    layers = {"sigpu MelSpectrogram": sigpu.torch.MelSpectrogram(n_fft=N_FFT, hop_length=HOP)}
    if nnaudio is not None:
        layers["nnAudio MelSpectrogram"] = nnaudio.MelSpectrogram(
            sr=SR, n_fft=N_FFT, hop_length=HOP, n_mels=N_MELS, pad_mode="constant", verbose=False
        )
    window = torch.hann_window(N_FFT)
    bank = torch.tensor(sigpu.filters.mel(sr=SR, n_fft=N_FFT, n_mels=N_MELS))

    def torch_mel(y):
        D = torch.stft(y, N_FFT, HOP, window=window, pad_mode="constant", return_complex=True)
        return torch.matmul(bank, D.real.square() + D.imag.square())

    layers["torch.stft + mel matmul"] = torch_mel
    if not isinstance(transforms, str):
        layers["torchaudio MelSpectrogram"] = transforms.MelSpectrogram(
            sample_rate=SR,
            n_fft=N_FFT,
            hop_length=HOP,
            n_mels=N_MELS,
            pad_mode="constant",
            norm="slaney",
            mel_scale="slaney",
        )
    return layers


def _cqt_layers(nnaudio):
    layers = {
        "sigpu CQT": sigpu.torch.CQT(sr=SR, hop_length=HOP),
        "sigpu CQT (trainable kernels)": sigpu.torch.CQT(sr=SR, hop_length=HOP, trainable=True),
    }
    if nnaudio is not None:
        # nnAudio's CQT (1992 v2: one long-kernel conv1d at the full rate) is another
        # algorithm with other bandwidths: its error column measures that difference
        layers["nnAudio CQT"] = nnaudio.CQT(
            sr=SR, hop_length=HOP, pad_mode="constant", output_format="Complex", verbose=False
        )
    return layers


def _forward_backward(layer, y):
    def run():
        out = _as_complex(layer(y))
        (out.abs() if out.is_complex() else out).sum().backward()
        y.grad = None
        if isinstance(layer, torch.nn.Module):
            layer.zero_grad(set_to_none=True)  # trainable tables: no accumulation

    return run


def _layer_rows(title, layers, y, reference, repeat, clock):
    """Print the rows of ``layers``; return ``{name: (forward s, forward + backward s)}``."""
    forward = {}
    for name, layer in layers.items():
        forward[name] = lambda layer=layer: layer(y)
    with torch.no_grad():
        times_forward = interleaved_times(forward, repeat, clock)
        outputs = {name: _as_complex(fn()) for name, fn in forward.items()}
    yg = y.detach().clone().requires_grad_()
    backward = {name: _forward_backward(layer, yg) for name, layer in layers.items()}
    times_backward = interleaved_times(backward, repeat, clock)
    print(f"\n### {title}\n")
    print("| layer | forward (ms) | forward + backward (ms) | rel. to peak vs sigpu NumPy |")
    print("|---|---|---|---|")
    for name in layers:
        out = outputs[name].numpy()
        error = _rel(out, reference) if out.shape == reference.shape else float("nan")
        print(
            f"| {name} | {1e3 * times_forward[name]:.1f} | {1e3 * times_backward[name]:.1f} "
            f"| {error:.1e} |"
        )
    return {name: (times_forward[name], times_backward[name]) for name in layers}


#: (sigpu layer, peer): the pairs issue 17's CPU goal compares
GOAL_PAIRS = [
    ("sigpu STFT", "torch.stft"),
    ("sigpu STFT", "torchaudio Spectrogram"),
    ("sigpu STFT", "nnAudio STFT"),
    ("sigpu STFT (trainable basis)", "nnAudio STFT (trainable)"),
    ("sigpu MelSpectrogram", "torch.stft + mel matmul"),
    ("sigpu MelSpectrogram", "torchaudio MelSpectrogram"),
    ("sigpu MelSpectrogram", "nnAudio MelSpectrogram"),
    ("sigpu CQT", "nnAudio CQT"),
]


def goal_rows(times):
    """The goal table: sigpu / peer per pass, goal <= 1, met or missed."""
    print("\n### issue 17 goal: sigpu layers no slower than the peers (CPU)\n")
    print("| sigpu | peer | pass | sigpu (ms) | peer (ms) | ratio | goal | |")
    print("|---|---|---|---|---|---|---|---|")
    for ours, peer in GOAL_PAIRS:
        if peer not in times:
            print(f"| {ours} | {peer} | - | - | - | - | <= 1.00 | not measured |")
            continue
        for index, name in enumerate(("forward", "forward + backward")):
            a, b = times[ours][index], times[peer][index]
            verdict = "met" if a <= b else "missed"
            print(
                f"| {ours} | {peer} | {name} | {1e3 * a:.1f} | {1e3 * b:.1f} | {a / b:.2f} "
                f"| <= 1.00 | {verdict} |"
            )


def _best_per_call(runs, rounds=15, calls=2000):
    """Microseconds per call of each callable in ``runs``: the best of ``rounds`` interleaved
    rounds of ``calls`` calls (the minimum: on a shared machine load only adds)."""
    best = dict.fromkeys(runs, float("inf"))
    for _ in range(rounds):
        for name, fn in runs.items():
            t0 = time.perf_counter()
            for _ in range(calls):
                fn()
            best[name] = min(best[name], 1e6 * (time.perf_counter() - t0) / calls)
    return best


def bridge_overhead():
    x = np.array([1.0, 2.0, 3.0, 4.0], dtype=np.float32)
    t = torch.from_numpy(x)

    def identity(y, *, scale=1.0):
        return y

    decorated = on_input_device(identity)
    runs = {
        "identity(NumPy array)": lambda: decorated(x, scale=2.0),
        "identity(CPU tensor)": lambda: decorated(t, scale=2.0),
        "identity undecorated": lambda: identity(x, scale=2.0),
        "power_to_db(NumPy array)": lambda: sigpu.power_to_db(x),
        "power_to_db(CPU tensor)": lambda: sigpu.power_to_db(t),
    }
    us = _best_per_call(runs)
    print("\n### torch bridge overhead (4 float32 values; best of 15 interleaved rounds)\n")
    print("| call | us per call |")
    print("|---|---|")
    for name, value in us.items():
        print(f"| {name} | {value:.2f} |")
    bridge = us["identity(CPU tensor)"] - us["identity(NumPy array)"]
    hook = us["identity(NumPy array)"] - us["identity undecorated"]
    print(f"| bridge per call (checks, zero-copy conversions, dispatch) | {bridge:.2f} |")
    print(f"| on_input_device on a NumPy call with torch imported | {hook:.2f} |")


def path_choice(y, clock):
    """Where the STFT and the steps after it run: torch on the tensors or sigpu on the arrays
    behind them through the bridge (forward only, no grad)."""
    from sigpu.torch import _bridge, _stft_torch

    plan = sigpu.STFT(n_fft=N_FFT, hop_length=HOP)
    D = sigpu.stft(y, n_fft=N_FFT, hop_length=HOP)
    S = D.real.square() + D.imag.square()
    bank_np = sigpu.filters.mel(sr=SR, n_fft=N_FFT, n_mels=N_MELS)
    bank = torch.tensor(bank_np)
    runs = {
        "STFT by torch's FFT in sigpu's framing": lambda: _stft_torch.torch_stft(plan, y),
        "STFT via arrays (sigpu's NumPy STFT)": lambda: _bridge.to_tensor(
            plan(_bridge.to_array(y)), y
        ),
        "mel GEMM in torch": lambda: torch.matmul(bank, S),
        "mel GEMM via arrays": lambda: _bridge.to_tensor(
            np.matmul(bank_np, _bridge.to_array(S)), S
        ),
        "power_to_db in torch": lambda: sigpu.torch._spectral.to_db(S, 1.0, 1e-10, 80.0),
        "power_to_db via arrays (sigpu kernel)": lambda: sigpu.power_to_db(S),
    }
    with torch.no_grad():
        times = interleaved_times(runs, 5, clock)
    print("\n### the STFT and after it: torch ops or the bridge to sigpu (forward, ms)\n")
    print("| step | ms |")
    print("|---|---|")
    for name, seconds in times.items():
        print(f"| {name} | {1e3 * seconds:.2f} |")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--batch", type=int, default=4)
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--threads", type=int, default=torch.get_num_threads())
    parser.add_argument("--clock", choices=sorted(CLOCKS), default="wall")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    clock = CLOCKS[args.clock]
    print(
        f"torch {torch.__version__} ({args.threads} threads), "
        f"{platform.processor() or platform.machine()}, {args.batch} x {args.seconds} s, "
        f"float32, {args.clock} clock, load average {os.getloadavg()[0]:.1f}"
    )
    host = workload(args.batch, args.seconds)
    y = torch.from_numpy(host)
    nnaudio = _nnaudio()
    if nnaudio is None:
        print("nnAudio not installed: its rows are left out")
    transforms = _torchaudio()
    if isinstance(transforms, str):
        print(f"torchaudio does not import ({transforms}): its rows are left out")
    times = {}
    reference = sigpu.stft(host, n_fft=N_FFT, hop_length=HOP)
    layers = _stft_layers(nnaudio, transforms)
    times.update(_layer_rows("STFT", layers, y, reference, args.repeat, clock))
    reference = sigpu.melspectrogram(host, sr=SR, n_fft=N_FFT, hop_length=HOP, n_mels=N_MELS)
    layers = _mel_layers(nnaudio, transforms)
    times.update(_layer_rows("Mel spectrogram", layers, y, reference, args.repeat, clock))
    reference = sigpu.cqt(host, sr=SR, hop_length=HOP)
    layers = _cqt_layers(nnaudio)
    times.update(_layer_rows("CQT (84 bins from C1)", layers, y, reference, args.repeat, clock))
    path_choice(y, clock)
    bridge_overhead()
    goal_rows(times)
    print(f"\nload average after: {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
