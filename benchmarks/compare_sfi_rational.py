"""Same-run CPU comparison (issue 17): sigpu's ``family="rational"`` SFIEncoder -> SFIDecoder
against a plain torch implementation of the same layers written here from the formula.

Both take the same trainable parameters (P conjugate pole pairs ``2 pi (-softplus(pole_rate)
+- j pole_hz)``, zeros, ``k = gain (2 pi 1000)^(n_p - n_z)``), design the time-domain weights
``w[f, n] = h_f(n / sr) / sr`` with ``h(t) = Re sum_i k u_i exp(p_i t)``, ``u_i = prod_z (p_i -
z) / prod_{j != i} (p_i - p_j)``, then encode (strided conv) and decode (transposed conv).
sigpu: ``rational_weights`` (its NumPy design forward, analytic parameter gradients) and
``sigpu.sfi.encode/decode``; peer: torch autograd through the formula, ``conv1d`` and
``conv_transpose1d``.  Forward, and forward + backward (to the input and every parameter),
interleaved (sigpu, torch, sigpu, ...), min of ``--repeats``; the outputs and gradients are
checked equal first.  Rows: the whole encoder -> decoder (the goal), the two banks'
weight generation alone, and encode + decode alone with fixed weights (both sides' share).

Run (pinned, one thread, as the goal is judged):
  OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 taskset -c 1 \\
      /work/venv/bin/python benchmarks/compare_sfi_rational.py [--repeats 9]
Goal: sigpu time / torch time <= 1 for forward and forward + backward.
"""

from __future__ import annotations

import argparse
import math
import os
import time

import torch

from sigpu.sfi import decode, encode
from sigpu.torch import SFIDecoder, SFIEncoder

TWO_PI = 2 * math.pi
N_FILTERS, KERNEL, HOP, SR = 64, 32, 16, 16000
BATCH, LENGTH = 8, 16000
PARAMETERS = ("pole_rate", "pole_hz", "zero_re_hz", "zero_im_hz", "gain")


def torch_weights(params, numtaps, sr):
    """``(F, numtaps)`` impulse-invariant weights by autograd-able torch ops."""
    pole_rate, pole_hz, zero_re_hz, zero_im_hz, gain = params
    upper = TWO_PI * torch.complex(-torch.nn.functional.softplus(pole_rate), pole_hz)
    poles = torch.cat([upper, upper.conj()], dim=1)  # (F, n_p)
    n_pairs = zero_im_hz.shape[1]
    pairs = TWO_PI * torch.complex(zero_re_hz[:, :n_pairs], zero_im_hz)
    real = TWO_PI * zero_re_hz[:, n_pairs:]
    zeros = torch.cat([pairs, pairs.conj(), torch.complex(real, torch.zeros_like(real))], dim=1)
    k = gain * (TWO_PI * 1000.0) ** (poles.shape[1] - zeros.shape[1])
    n_poles = poles.shape[1]
    eye = torch.eye(n_poles, dtype=poles.dtype)
    numerator = torch.prod(poles[:, :, None] - zeros[:, None, :], dim=2)
    denominator = torch.prod(poles[:, :, None] - poles[:, None, :] + eye, dim=2)
    residues = k[:, None] * numerator / denominator  # (F, n_p)
    t = torch.arange(numtaps, dtype=pole_rate.dtype) / sr  # causal grid
    h = torch.real(torch.sum(residues[:, :, None] * torch.exp(poles[:, :, None] * t), dim=1))
    return h / sr


def torch_model(enc_params, dec_params, x, numtaps, stride, padding, dec_gain):
    w_enc = torch_weights(enc_params, numtaps, SR)
    w_dec = torch_weights(dec_params, numtaps, SR) * dec_gain
    return torch_convolutions(w_enc, w_dec, x, stride, padding)


def torch_convolutions(w_enc, w_dec, x, stride, padding):
    w_enc, w_dec = w_enc.flip(-1)[:, None], w_dec.flip(-1)[:, None]  # torch correlates
    codes = torch.nn.functional.conv1d(x[:, None], w_enc, stride=stride, padding=padding)
    out = torch.nn.functional.conv_transpose1d(codes, w_dec, stride=stride, padding=padding)
    out = out[:, 0, : x.shape[-1]]
    return torch.nn.functional.pad(out, (0, x.shape[-1] - out.shape[-1]))


def build(dtype):
    torch.manual_seed(0)
    options = dict(train_sr=SR, family="rational", dtype=dtype)
    enc = SFIEncoder(N_FILTERS, KERNEL, HOP, **options)
    dec = SFIDecoder(N_FILTERS, KERNEL, HOP, **options)
    with torch.no_grad():  # move off the shared initial bank so encoder != decoder
        for name in PARAMETERS:
            getattr(dec, name).mul_(1.01)
    x = torch.randn(BATCH, LENGTH, dtype=dtype, requires_grad=True)
    enc_params = [getattr(enc, n).detach().clone().requires_grad_() for n in PARAMETERS]
    dec_params = [getattr(dec, n).detach().clone().requires_grad_() for n in PARAMETERS]
    numtaps, stride, padding = enc.geometry(SR)

    def sigpu_forward():
        return dec(enc(x, sr=SR), sr=SR, length=LENGTH)

    def torch_forward():
        return torch_model(enc_params, dec_params, x, numtaps, stride, padding, SR / dec.train_sr)

    def sigpu_weights():
        return torch.cat([enc.weights(SR), dec.weights(SR)])

    def torch_weights_pair():
        return torch.cat([torch_weights(p, numtaps, SR) for p in (enc_params, dec_params)])

    with torch.no_grad():
        w_enc, w_dec = enc.weights(SR), dec.weights(SR) * (SR / dec.train_sr)

    def sigpu_convolutions():
        codes = encode(x, w_enc, stride=stride, padding=padding)
        return decode(codes, w_dec, stride=stride, padding=padding, length=LENGTH)

    def torch_fixed():
        return torch_convolutions(w_enc, w_dec, x, stride, padding)

    sigpu_params = [getattr(m, n) for m in (enc, dec) for n in PARAMETERS]
    torch_params = [*enc_params, *dec_params]
    return {
        "encoder -> decoder": (
            sigpu_forward,
            torch_forward,
            [x, *sigpu_params],
            [x, *torch_params],
        ),
        "weights only": (sigpu_weights, torch_weights_pair, sigpu_params, torch_params),
        "encode + decode, fixed weights": (sigpu_convolutions, torch_fixed, [x], [x]),
    }


def check_equal(sigpu_forward, torch_forward, sigpu_leaves, torch_leaves, dtype):
    """Max rel-to-peak difference of the outputs and of every gradient."""
    a, b = sigpu_forward(), torch_forward()
    with torch.no_grad():
        diffs = [float((a - b).abs().max() / b.abs().max())]
    cotangent = torch.randn_like(a)
    ga = torch.autograd.grad((a * cotangent).sum(), sigpu_leaves)
    gb = torch.autograd.grad((b * cotangent).sum(), torch_leaves)
    diffs += [
        float((u - v).abs().max() / v.abs().max())
        for u, v in zip(ga, gb, strict=True)
        if v.numel()  # (F, 0) when the bank has no conjugate zero pairs
    ]
    # float32: torch's autograd runs the residue products in complex64, sigpu's backward in
    # float64 (the pole-rate gradients differ by ~3e-4 of their peak)
    bound = 1e-3 if dtype == torch.float32 else 1e-9
    assert max(diffs) < bound, f"sigpu and torch differ: {diffs}"
    return max(diffs)


def interleaved_min(funcs, repeats):
    best = [math.inf] * len(funcs)
    for func in funcs:
        func()  # warm-up
    for _ in range(repeats):
        for i, func in enumerate(funcs):
            start = time.perf_counter()
            func()
            best[i] = min(best[i], time.perf_counter() - start)
    return best


def backward_of(forward, leaves):
    def run():
        for leaf in leaves:
            leaf.grad = None
        forward().square().sum().backward()

    return run


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeats", type=int, default=9)
    parser.add_argument("--threads", type=int, default=1)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    print(
        f"Rational SFI encoder -> decoder, F = {N_FILTERS}, {KERNEL} taps, hop {HOP}, "
        f"{BATCH} x {LENGTH} samples, time-domain design, torch threads {args.threads}, "
        f"min of {args.repeats} interleaved, load average {os.getloadavg()[0]:.1f}"
    )
    head = ["what", "dtype", "mode", "sigpu ms", "torch ms", "ratio", "goal", "met/missed"]
    print("| " + " | ".join(head + ["max rel diff"]) + " |")
    print("|" + "---|" * (len(head) + 1))
    for dtype in (torch.float32, torch.float64):
        for what, (mine, peer, my_leaves, peer_leaves) in build(dtype).items():
            diff = check_equal(mine, peer, my_leaves, peer_leaves, dtype)
            with torch.no_grad():
                forward = interleaved_min([mine, peer], args.repeats)
            both = interleaved_min(
                [backward_of(mine, my_leaves), backward_of(peer, peer_leaves)], args.repeats
            )
            for mode, (a, b) in (("forward", forward), ("forward+backward", both)):
                met = "met" if a <= b else "missed"
                name = str(dtype).removeprefix("torch.")
                print(
                    f"| {what} | {name} | {mode} | {a * 1e3:.2f} | {b * 1e3:.2f} | {a / b:.2f} | "
                    f"<= 1 | {met} | {diff:.1e} |"
                )


if __name__ == "__main__":
    main()
