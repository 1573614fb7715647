"""Same-run CPU comparison of sigpu.sfi encode/decode against PyTorch conv1d /
conv_transpose1d with the same weights, plus the spec's accuracy numbers as measured here.

Run: /work/venv/bin/python benchmarks/compare_sfi.py [--repeats 5]
Prints markdown tables.  torch is imported inside; without it the torch rows are skipped.
"""

from __future__ import annotations

import argparse
import math
import statistics
import time

import numpy as np

from sigpu.sfi import (
    ModulatedGaussian,
    decode,
    encode,
    erb_space,
    frequency_domain_weights,
    scaled_geometry,
    time_domain_weights,
)

TWO_PI = 2 * math.pi


def median_time(func, repeats):
    func()  # warm-up
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        func()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def paper_bank():
    centers = erb_space(50.0, 16000.0, 440)
    phase = np.random.default_rng(0).uniform(0, math.pi, 440)
    return centers, ModulatedGaussian(TWO_PI * centers, TWO_PI * 100, phase)


def speed_table(repeats):
    try:
        import torch
    except ImportError:
        torch = None
        print("torch not installed: torch columns skipped\n")
    _, bank = paper_bank()
    rows = []
    for sr in (8000, 32000):
        numtaps, stride, padding = scaled_geometry(sr, train_sr=32000, kernel_size=160, stride=80)
        for dtype in ("float32", "float64"):
            weights = time_domain_weights(bank, sr, numtaps, dtype=dtype)[0]
            x = np.random.default_rng(1).standard_normal((4, 4 * sr)).astype(dtype)
            y = encode(x, weights, stride=stride, padding=padding)
            kw = dict(stride=stride, padding=padding)
            t_enc = median_time(lambda: encode(x, weights, **kw), repeats)  # noqa: B023
            t_dec = median_time(lambda: decode(y, weights, length=x.shape[-1], **kw), repeats)  # noqa: B023
            row = [f"{sr // 1000} kHz", dtype, f"{t_enc * 1e3:.1f}", f"{t_dec * 1e3:.1f}"]
            if torch is not None:
                tw = torch.from_numpy(weights[:, None, ::-1].copy())
                tx = torch.from_numpy(x)[:, None]
                ty = torch.from_numpy(y)
                conv = torch.nn.functional.conv1d
                tconv = torch.nn.functional.conv_transpose1d
                with torch.no_grad():
                    t_tenc = median_time(lambda: conv(tx, tw, **kw), repeats)  # noqa: B023
                    t_tdec = median_time(lambda: tconv(ty, tw, **kw), repeats)  # noqa: B023
                    err_enc = np.abs(conv(tx, tw, **kw).numpy() - y).max() / np.abs(y).max()
                    ref = tconv(ty, tw, **kw).numpy()[:, 0]
                dec = decode(y, weights, **kw)
                err_dec = np.abs(ref - dec).max() / np.abs(ref).max()
                row += [
                    f"{t_tenc * 1e3:.1f}",
                    f"{t_tdec * 1e3:.1f}",
                    f"{t_tenc / t_enc:.2f}",
                    f"{t_tdec / t_dec:.2f}",
                    f"{err_enc:.1e} / {err_dec:.1e}",
                ]
            rows.append(row)
    head = ["sr", "dtype", "sigpu encode ms", "sigpu decode ms"]
    if torch is not None:
        head += ["torch conv1d ms", "torch conv_T ms", "enc speed-up", "dec speed-up", "rel diff"]
    print(
        "Encode/decode, batch 4 x 4 s, 440 filters, 5 ms / 2.5 ms (CPU, median of", repeats, "runs)"
    )
    print("| " + " | ".join(head) + " |")
    print("|" + "---|" * len(head))
    for row in rows:
        print("| " + " | ".join(row) + " |")


def digital_response(weights, t0, sr, omega):
    taps = t0 + np.arange(weights.shape[1]) / sr
    return weights @ np.exp(-1j * np.outer(taps, omega))


def accuracy_table():
    rows = []
    mgf = ModulatedGaussian(TWO_PI * np.array([500.0, 1500.0]), TWO_PI * 400, np.array([0.0, 1.0]))
    designs = {"TD": time_domain_weights, "FD": frequency_domain_weights}
    for name, design in designs.items():
        errs = []
        for sr, numtaps in ((8000, 40), (16000, 80), (32000, 160)):
            omega = np.linspace(0, math.pi * sr, 1001)[:-1]
            w, t0 = design(mgf, sr, numtaps)
            h = mgf.frequency_response(omega)
            errs.append(np.abs(digital_response(w, t0, sr, omega) - h).max() / np.abs(h).max())
        rows.append(
            (f"well-conditioned MGF {name} rel (8/16/32 kHz)", " / ".join(f"{e:.1e}" for e in errs))
        )
    centers, bank = paper_bank()
    low = np.linspace(0, TWO_PI * 4000, 1001)
    for name, design in designs.items():
        resp, maxima, medians = {}, [], []
        for sr in (8000, 16000, 32000):
            numtaps = sr // 200
            omega = np.linspace(0, math.pi * sr, 1001)[:-1]
            active = centers <= sr / 2
            w, t0 = design(bank, sr, numtaps)
            d = digital_response(w[active], t0, sr, omega)
            h = bank.frequency_response(omega)[active]
            err = np.linalg.norm(d - h, axis=1) / np.linalg.norm(h, axis=1)
            medians.append(np.median(err))
            maxima.append(err.max())
            resp[sr] = digital_response(w[centers <= 3000], t0, sr, low)
        rows.append((f"paper bank {name} rel-L2 median", " / ".join(f"{v:.3f}" for v in medians)))
        rows.append((f"paper bank {name} rel-L2 max", " / ".join(f"{v:.3f}" for v in maxima)))
        for sr in (8000, 16000):
            e = np.linalg.norm(resp[sr] - resp[32000], axis=1) / np.linalg.norm(resp[32000], axis=1)
            rows.append(
                (
                    f"cross-rate {name} {sr // 1000} vs 32 kHz median (max)",
                    f"{np.median(e):.1e} ({e.max():.1e})",
                )
            )
    print("\nSpec numbers as measured (float64)")
    print("| quantity | value |\n|---|---|")
    for name, value in rows:
        print(f"| {name} | {value} |")


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    speed_table(args.repeats)
    accuracy_table()


if __name__ == "__main__":
    main()
