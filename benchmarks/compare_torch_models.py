"""Same-run comparison of sigpu's torch layers against plain torch: HarmonicConv2d and the SFI
encoder/decoder, forward and forward + backward, float32, on the CPU (or ``--device cuda``).

Peers, timed on the same input in the same process (median of ``--repeat`` interleaved runs
after a warm-up, ``benchmarks/timing.py``):

* HarmonicConv2d (sigpu: Harmonic Lowering kernels + GEMMs, exact backward) against
  ``torch conv2d``: ``nn.Conv2d`` of the same size (a K_f x K_t kernel: the cost floor), and
  ``torch HL``: the Harmonic Lowering repository's approach written in plain torch from the
  spec (lowering by two gathers with interpolation weights, then ``F.conv2d`` with a 1 x K_t
  kernel on the K_f-times larger lowered tensor; torch autograd for the backward).
* SFI (sigpu: weight design from the analog parameters + encode + decode, gradients to the
  input and to mu/sigma/phase) against ``torch``: the same model in plain torch (the closed-form
  MGF impulse response for TD weights, or H(w) times a pseudo-inverse for FD weights, then
  ``conv1d`` / ``conv_transpose1d``; torch autograd for the backward).

Accuracy: max|sigpu - torch| / max|torch| of the forward outputs (float32 vs float32).

Usage::

    python benchmarks/compare_torch_models.py
    python benchmarks/compare_torch_models.py --repeat 5 --batch 2
"""

from __future__ import annotations

import argparse
import math
import platform

import numpy as np
import torch
from timing import interleaved_times

from sigpu.torch import HarmonicConv2d, SFIDecoder, SFIEncoder

# ----------------------------------------------------------------------------- harmonic


def _lowering_tables(n_bins, n_harmonics, anchor):
    """Index and weight tables of the spec's Z_k (top_edge "inclusive"), integer exact."""
    f = np.arange(n_bins)[None, :]
    k = np.arange(1, n_harmonics + 1)[:, None]
    lo, remainder = np.divmod(f * k, anchor)
    alpha = remainder / anchor
    valid = f * k <= anchor * (n_bins - 1)
    hi = np.minimum(lo + 1, n_bins - 1)
    lo = np.minimum(lo, n_bins - 1)
    w_lo, w_hi = np.where(valid, 1 - alpha, 0.0), np.where(valid, alpha, 0.0)
    weights = [torch.as_tensor(w, dtype=torch.float32) for w in (w_lo, w_hi)]
    return (torch.as_tensor(lo.reshape(-1)), torch.as_tensor(hi.reshape(-1)), *weights)


def torch_harmonic_lowering_conv(x, weight, bias, tables, padding):
    """Harmonic convolution the HL way in plain torch: gather-lowering + 1 x K_t conv2d."""
    lo, hi, w_lo, w_hi = tables
    n, c, n_bins, t = x.shape
    c_out, _, n_harmonics, k_t = weight.shape
    rows_lo = x[:, :, lo].reshape(n, c, n_harmonics, n_bins, t)
    rows_hi = x[:, :, hi].reshape(n, c, n_harmonics, n_bins, t)
    lowered = rows_lo * w_lo[:, :, None] + rows_hi * w_hi[:, :, None]
    lowered = lowered.reshape(n, c * n_harmonics, n_bins, t)
    flat_weight = weight.reshape(c_out, c * n_harmonics, 1, k_t)
    return torch.nn.functional.conv2d(lowered, flat_weight, bias, padding=(0, padding))


def _timed(forwards, grad, repeat, device):
    """Interleaved medians of each forward alone ("fwd") and with its backward ("fwd+bwd")."""
    runs = {}
    for name, forward in forwards.items():
        runs[f"{name} fwd"] = lambda forward=forward: forward().detach()
        runs[f"{name} fwd+bwd"] = lambda forward=forward: forward().backward(grad)
    return interleaved_times(runs, repeat, _sync(device))


def harmonic_case(args, device, anchor):
    n, c_in, c_out, size, k = args.batch, 8, 16, args.size, 3
    torch.manual_seed(0)
    layer = HarmonicConv2d(c_in, c_out, k, padding=k // 2, anchor=anchor).to(device)
    conv = torch.nn.Conv2d(c_in, c_out, k, padding=k // 2).to(device)
    tables = [t.to(device) for t in _lowering_tables(size, k, anchor)]
    x = torch.randn(n, c_in, size, size, device=device, requires_grad=True)
    grad = torch.randn(n, c_out, size, size, device=device)

    def hl_forward():
        return torch_harmonic_lowering_conv(x, layer.weight, layer.bias, tables, k // 2)

    forwards = {"sigpu": lambda: layer(x), "torch conv2d": lambda: conv(x), "torch HL": hl_forward}
    times = _timed(forwards, grad, args.repeat, device)
    with torch.no_grad():
        error = _rel(layer(x), hl_forward())
    return f"N{n} C{c_in}->{c_out} {size}x{size} K{k} anchor {anchor}", times, error


# ----------------------------------------------------------------------------- SFI


def _torch_mgf_weights(mu, sigma, phase, sr, numtaps, design, solver):
    if design == "time":
        t = (torch.arange(numtaps, dtype=mu.dtype, device=mu.device) - (numtaps - 1) / 2) / sr
        amplitude = (2 / math.sqrt(2 * math.pi)) * sigma[:, None]
        gauss = torch.exp(-0.5 * (sigma[:, None] * t) ** 2)
        return amplitude * gauss * torch.cos(mu[:, None] * t + phase[:, None]) / sr
    n_grid = solver.shape[0] // 2
    w = torch.linspace(0, math.pi * sr, n_grid, dtype=mu.dtype, device=mu.device)
    mu, sigma, phase = mu[:, None], sigma[:, None], phase[:, None]
    pos = torch.exp(-((w - mu) ** 2) / (2 * sigma**2))
    neg = torch.exp(-((w + mu) ** 2) / (2 * sigma**2))
    real = (pos + neg) * torch.cos(phase)
    imag = (pos - neg) * torch.sin(phase)
    return torch.cat([real, imag], 1) @ solver


def _fd_solver(numtaps, n_grid, device):
    theta = np.linspace(0, math.pi, n_grid)
    support = np.arange(numtaps) - (numtaps // 2 - 1 if numtaps % 2 == 0 else numtaps // 2)
    phases = np.outer(theta, support)
    system = np.concatenate([np.cos(phases), -np.sin(phases)])
    return torch.as_tensor(np.linalg.pinv(system).T, dtype=torch.float32, device=device)


def sfi_case(args, device, design):
    sr, n_filters, kernel, hop = 16000, 64, 32, 16
    n, batch = sr, 4 * args.batch  # 1 s signals
    options = dict(train_sr=sr, design=design, n_grid=640)
    encoder = SFIEncoder(n_filters, kernel, hop, **options).to(device)
    decoder = SFIDecoder(n_filters, kernel, hop, **options).to(device)
    x = torch.randn(batch, n, device=device, requires_grad=True)
    grad = torch.randn(batch, n, device=device)
    solver = _fd_solver(kernel, 640, device)
    padding = (kernel - hop) // 2

    def sigpu_model():
        return decoder(encoder(x, sr=sr), sr=sr, length=n)

    def torch_weights(bank):
        two_pi = 2 * math.pi
        mu, sigma = two_pi * bank.center_hz, two_pi * bank.bandwidth_hz
        weights = _torch_mgf_weights(mu, sigma, bank.phase, sr, kernel, design, solver)
        return weights.flip(-1)[:, None, :]  # torch correlates

    def torch_model():
        conv, transposed = torch.nn.functional.conv1d, torch.nn.functional.conv_transpose1d
        codes = conv(x[:, None], torch_weights(encoder), stride=hop, padding=padding)
        # the decoder's level factor sr / train_sr is 1 at the training rate
        return transposed(codes, torch_weights(decoder), stride=hop, padding=padding)[:, 0]

    times = _timed({"sigpu": sigpu_model, "torch": torch_model}, grad, args.repeat, device)
    with torch.no_grad():
        error = _rel(sigpu_model(), torch_model())
    return f"{design}-domain, {batch} x 1 s, F {n_filters}, K {kernel}, S {hop}", times, error


# ----------------------------------------------------------------------------- output


def _sync(device):
    return (lambda: torch.cuda.synchronize()) if device == "cuda" else (lambda: None)


def _rel(a, b):
    return float((a - b).abs().max() / b.abs().max())


def _print_table(title, rows, peers):
    print(f"\n### {title}\n")
    head = "| case | pass | sigpu (ms) | " + " | ".join(f"{p} (ms) | sigpu / {p}" for p in peers)
    print(head + " | rel. diff |")
    print("|" + "---|" * (4 + 2 * len(peers)))
    for case, times, error in rows:
        for pass_name in ("fwd", "fwd+bwd"):
            ours = times[f"sigpu {pass_name}"]
            cells = [f"{1e3 * ours:.1f}"]
            for peer in peers:
                theirs = times[f"{peer} {pass_name}"]
                cells += [f"{1e3 * theirs:.1f}", f"{ours / theirs:.2f}"]
            print(f"| {case} | {pass_name} | " + " | ".join(cells) + f" | {error:.1e} |")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--device", choices=["cpu", "cuda"], default="cpu")
    parser.add_argument("--batch", type=int, default=2)
    parser.add_argument("--size", type=int, default=128, help="F = T of the harmonic input")
    parser.add_argument("--repeat", type=int, default=7)
    args = parser.parse_args()
    print(f"torch {torch.__version__}, {platform.processor() or platform.machine()}, "
          f"{torch.get_num_threads()} torch threads, device {args.device}")  # fmt: skip
    rows = [harmonic_case(args, args.device, anchor) for anchor in (1, 3)]
    _print_table("HarmonicConv2d", rows, ["torch conv2d", "torch HL"])
    rows = [sfi_case(args, args.device, design) for design in ("time", "frequency")]
    _print_table("SFI encoder + decoder, weights from the analog parameters", rows, ["torch"])


if __name__ == "__main__":
    main()
