"""Same-run comparison of sigpu's spectral torch layers against nnAudio and torch.stft, and
the torch bridge's per-call overhead.

Layers (float32, ``--batch`` clips of ``--seconds`` s at 22.05 kHz, forward and forward +
backward to the signal), peers timed on the same tensor in the same process (median of
``--repeat`` interleaved runs after a warm-up, ``benchmarks/timing.py``):

* STFT (n_fft 2048, hop 512): ``sigpu.torch.STFT`` (sigpu's rFFT, exact adjoint as backward),
  ``sigpu.torch.STFT(trainable=True)`` (the Fourier-basis GEMM, nnAudio's method),
  nnAudio ``STFT`` and ``torch.stft`` (torchaudio's ``Spectrogram`` is ``torch.stft``; torchaudio
  itself cannot be installed beside torch 2.13 here, so it is not measured).
* Mel spectrogram (128 mels): ``sigpu.torch.MelSpectrogram``, nnAudio ``MelSpectrogram`` and
  ``torch.stft`` + ``|.|**2`` + the mel-bank matmul (what torchaudio's ``MelSpectrogram`` does).
* CQT (84 bins from C1): ``sigpu.torch.CQT`` (sigpu's multirate plan, exact adjoint), its
  trainable-kernel torch rendering, and nnAudio ``CQT`` (another algorithm: its error column
  is the algorithms' difference, not an accuracy).

Path choice: after the STFT, the mel GEMM and the dB conversion in torch against the same
steps through the bridge on the arrays behind the tensors.

Accuracy: max|layer - librosa-equivalent| / peak, against sigpu's NumPy result.

Bridge overhead: an identity function decorated with ``on_input_device``, called on a
4-element CPU tensor minus the same call on the NumPy array behind it (the bridge's checks,
zero-copy conversions and dispatch), and the decorator's cost on a NumPy call once torch is
imported (against the undecorated function); ``sigpu.power_to_db`` on both for scale.

Usage::

    python benchmarks/compare_torch.py
    python benchmarks/compare_torch.py --batch 4 --seconds 10 --repeat 5 --threads 2
"""

from __future__ import annotations

import argparse
import platform
import time

import numpy as np
import torch
from harness import HOP, N_FFT, SR, workload
from timing import interleaved_times

import sigpu
import sigpu.torch
from sigpu._backend import on_input_device

N_MELS = 128


def _rel(a, b):
    a, b = np.asarray(a), np.asarray(b)
    return float(np.max(np.abs(a - b)) / np.max(np.abs(b)))


def _nnaudio():
    try:
        from nnAudio import features
    except ImportError:
        return None
    return features


def _stft_layers(nnaudio):
    layers = {
        "sigpu STFT": sigpu.torch.STFT(n_fft=N_FFT, hop_length=HOP),
        "sigpu STFT (trainable basis)": sigpu.torch.STFT(
            n_fft=N_FFT, hop_length=HOP, trainable=True
        ),
    }
    if nnaudio is not None:
        layers["nnAudio STFT"] = nnaudio.STFT(
            n_fft=N_FFT, hop_length=HOP, pad_mode="constant", output_format="Complex", verbose=False
        )
    window = torch.hann_window(N_FFT)
    layers["torch.stft"] = lambda y: torch.stft(
        y, N_FFT, HOP, window=window, pad_mode="constant", return_complex=True
    )
    return layers


def _as_complex(out):
    # nnAudio's "Complex" output is (..., F, T, 2) real/imag
    return (
        torch.view_as_complex(out.contiguous())
        if out.shape[-1] == 2 and not out.is_complex()
        else out
    )


def _mel_layers(nnaudio):
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

    return run


def _layer_rows(title, layers, y, reference, repeat):
    forward = {}
    for name, layer in layers.items():
        forward[name] = lambda layer=layer: layer(y)
    with torch.no_grad():
        times_forward = interleaved_times(forward, repeat)
        outputs = {name: _as_complex(fn()) for name, fn in forward.items()}
    yg = y.detach().clone().requires_grad_()
    backward = {name: _forward_backward(layer, yg) for name, layer in layers.items()}
    times_backward = interleaved_times(backward, repeat)
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


def path_choice(y):
    """Where the steps after the STFT run: torch on the tensors (what sigpu.torch does) or
    sigpu on the arrays behind them through the bridge (forward only, no grad)."""
    from sigpu.torch import _bridge

    D = sigpu.stft(y, n_fft=N_FFT, hop_length=HOP)
    S = D.real.square() + D.imag.square()
    bank_np = sigpu.filters.mel(sr=SR, n_fft=N_FFT, n_mels=N_MELS)
    bank = torch.tensor(bank_np)
    runs = {
        "mel GEMM in torch": lambda: torch.matmul(bank, S),
        "mel GEMM via arrays": lambda: _bridge.to_tensor(
            np.matmul(bank_np, _bridge.to_array(S)), S
        ),
        "power_to_db in torch": lambda: sigpu.torch._spectral.to_db(S, 1.0, 1e-10, 80.0),
        "power_to_db via arrays (sigpu kernel)": lambda: sigpu.power_to_db(S),
    }
    with torch.no_grad():
        times = interleaved_times(runs, 5)
    print("\n### after the STFT: torch ops or the bridge to sigpu (forward, ms)\n")
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
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    print(
        f"torch {torch.__version__} ({args.threads} threads), "
        f"{platform.processor() or platform.machine()}, {args.batch} x {args.seconds} s, float32"
    )
    host = workload(args.batch, args.seconds)
    y = torch.from_numpy(host)
    nnaudio = _nnaudio()
    if nnaudio is None:
        print("nnAudio not installed: its rows are left out")
    reference = sigpu.stft(host, n_fft=N_FFT, hop_length=HOP)
    _layer_rows("STFT", _stft_layers(nnaudio), y, reference, args.repeat)
    reference = sigpu.melspectrogram(host, sr=SR, n_fft=N_FFT, hop_length=HOP, n_mels=N_MELS)
    _layer_rows("Mel spectrogram", _mel_layers(nnaudio), y, reference, args.repeat)
    reference = sigpu.cqt(host, sr=SR, hop_length=HOP)
    _layer_rows("CQT (84 bins from C1)", _cqt_layers(nnaudio), y, reference, args.repeat)
    path_choice(y)
    bridge_overhead()


if __name__ == "__main__":
    main()
