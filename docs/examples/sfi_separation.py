"""Train an SFI separator at 16 kHz, use it at 8 and 32 kHz without retraining.

A toy version of SFI Conv-TasNet (Saito et al., IEEE/ACM TASLP 30, 2022): an encoder of
trainable analog filters (:class:`sigpu.torch.SFIEncoder`, modulated Gaussians, weights
designed in the frequency domain for whatever rate the input has), a small mask network
working on frames of fixed duration (1 ms), and an SFI decoder.  The task: recover a harmonic
tone from a mixture with noise bursts.  Every signal is defined in continuous time (sums of
sinusoids below 3.5 kHz), so the 8, 16 and 32 kHz test sets hold the same sounds.

It reports the SI-SDR (dB) of the mixture, of the SFI model at each rate, of the resampling
baseline (resample to 16 kHz with :func:`sigpu.resample`, separate, resample back) and of the
same network with its 16 kHz weights frozen, as a conventional layer would be.

Run: ``python docs/examples/sfi_separation.py`` (about a minute on a CPU), or ``--quick``.
"""

from __future__ import annotations

import argparse
import math
import time

import numpy as np
import torch
from torch import nn

import sigpu
from sigpu.torch import SFIDecoder, SFIEncoder

TRAIN_SR = 16000
TEST_RATES = (8000, 16000, 32000)
BAND_HZ = (150.0, 3500.0)  # every source lives here: below the 8 kHz Nyquist frequency
SEGMENT = 0.25  # s, training excerpts


# ----------------------------------------------------------------------------- data


def _source_parameters(rng, n_items, duration):
    """Continuous-time descriptions of ``n_items`` (tone, noise-burst) pairs."""
    items = []
    for _ in range(n_items):
        f0 = rng.uniform(110.0, 330.0)
        n_partials = int(BAND_HZ[1] // f0)
        bursts = rng.uniform(0.0, duration, size=(3, 1)) + np.array([0.0, 0.0])
        bursts[:, 1] += rng.uniform(0.05, 0.25, size=3) * duration
        items.append(
            dict(
                f0=f0,
                partial_gains=1.0 / np.arange(1, n_partials + 1) ** rng.uniform(0.5, 1.5),
                partial_phases=rng.uniform(0, 2 * np.pi, n_partials),
                tone_span=np.sort(rng.uniform(0.0, duration, 2)) + [0.0, 0.3 * duration],
                noise_freqs=rng.uniform(*BAND_HZ, size=120),
                noise_phases=rng.uniform(0, 2 * np.pi, 120),
                bursts=bursts,
                snr_db=rng.uniform(-5.0, 5.0),
            )
        )
    return items


def _gate(t, start, stop, ramp=0.01):
    """1 on [start, stop] with raised-cosine ramps of ``ramp`` s, 0 elsewhere."""
    rise = np.clip((t - start) / ramp + 0.5, 0, 1)
    fall = np.clip((stop - t) / ramp + 0.5, 0, 1)
    return np.sin(0.5 * np.pi * np.minimum(rise, fall)) ** 2


def synthesise(items, sr, duration):
    """Mixtures and targets ``(n_items, n)`` at ``sr``, float32."""
    t = np.arange(int(round(duration * sr))) / sr
    mixtures, targets = [], []
    for it in items:
        partials = np.arange(1, len(it["partial_gains"]) + 1)[:, None]
        tone = it["partial_gains"] @ np.sin(
            2 * np.pi * it["f0"] * partials * t + it["partial_phases"][:, None]
        )
        tone *= _gate(t, *it["tone_span"])
        noise = np.sin(
            2 * np.pi * it["noise_freqs"][:, None] * t + it["noise_phases"][:, None]
        ).sum(0)
        noise *= sum(_gate(t, *span) for span in it["bursts"])
        tone_power, noise_power = np.mean(tone**2) + 1e-12, np.mean(noise**2) + 1e-12
        noise *= math.sqrt(tone_power / noise_power * 10 ** (-it["snr_db"] / 10))
        mixtures.append(tone + noise)
        targets.append(tone)
    return (np.asarray(mixtures, dtype=np.float32), np.asarray(targets, dtype=np.float32))


def si_sdr(estimate, target):
    """Scale-invariant SDR in dB per row (Le Roux et al., ICASSP 2019)."""
    estimate = estimate - estimate.mean(-1, keepdims=True)
    target = target - target.mean(-1, keepdims=True)
    scale = (estimate * target).sum(-1, keepdims=True) / (target * target).sum(-1, keepdims=True)
    projection = scale * target
    noise = estimate - projection
    return 10 * torch.log10((projection**2).sum(-1) / (noise**2).sum(-1).clamp_min(1e-12))


# ----------------------------------------------------------------------------- model


class Separator(nn.Module):
    """SFI encoder -> mask network on 1 ms frames -> SFI decoder."""

    def __init__(self, n_filters=32, hidden=64):
        super().__init__()
        geometry = dict(train_sr=TRAIN_SR, family="mgf", design="frequency", n_grid=320)
        # 2 ms kernels, 1 ms hops at every rate (32 and 16 samples at 16 kHz)
        self.encoder = SFIEncoder(n_filters, 32, 16, **geometry)
        self.decoder = SFIDecoder(n_filters, 32, 16, **geometry)
        self.masker = nn.Sequential(
            nn.Conv1d(n_filters, hidden, 5, padding=2),
            nn.PReLU(),
            nn.Conv1d(hidden, hidden, 5, padding=4, dilation=2),
            nn.PReLU(),
            nn.Conv1d(hidden, n_filters, 1),
            nn.Sigmoid(),
        )

    def forward(self, mixture, sr, design_sr=None):
        """Separate ``mixture (batch, n)`` sampled at ``sr``; ``design_sr`` other than ``sr``
        designs the filters for that rate instead (a layer with frozen digital weights)."""
        design_sr = sr if design_sr is None else design_sr
        codes = self.encoder(mixture, sr=design_sr)
        features = torch.log1p(codes.abs() * 10.0)  # level-compressed, sr-independent
        masked = codes * self.masker(features)
        return self.decoder(masked, sr=design_sr, length=mixture.shape[-1])


def train(model, steps, batch, seed):
    rng = np.random.default_rng(seed)
    pool = _source_parameters(rng, steps * batch // 4, duration=SEGMENT)  # each seen ~4 times
    mixtures, targets = map(torch.from_numpy, synthesise(pool, TRAIN_SR, SEGMENT))
    optimiser = torch.optim.Adam(
        [
            {"params": model.masker.parameters(), "lr": 3e-3},
            # the analog parameters in Hz and rad: steps of a few Hz per iteration
            {"params": [*model.encoder.parameters(), *model.decoder.parameters()], "lr": 1.0},
        ]
    )
    for step in range(steps):
        pick = torch.from_numpy(rng.choice(len(pool), batch, replace=False))
        loss = -si_sdr(model(mixtures[pick], TRAIN_SR), targets[pick]).mean()
        optimiser.zero_grad()
        loss.backward()
        optimiser.step()
        if step % max(1, steps // 5) == 0 or step == steps - 1:
            print(f"  step {step:4d}  SI-SDR {-loss.item():6.2f} dB")


def _resampling_baseline(model, mixture, sr):
    up = sigpu.resample(mixture.numpy(), orig_sr=sr, target_sr=TRAIN_SR)
    with torch.no_grad():
        separated = model(torch.from_numpy(up), TRAIN_SR).numpy()
    back = sigpu.resample(separated, orig_sr=TRAIN_SR, target_sr=sr)
    return torch.from_numpy(back[..., : mixture.shape[-1]])


def evaluate(model, n_items, seed):
    """Mean SI-SDR (dB) per rate of the mixture, SFI, resampling and frozen weights."""
    items = _source_parameters(np.random.default_rng(seed), n_items, duration=1.0)
    results = {}
    for sr in TEST_RATES:
        mixture, target = map(torch.from_numpy, synthesise(items, sr, 1.0))
        with torch.no_grad():
            row = {
                "mixture": si_sdr(mixture, target).mean().item(),
                "sfi": si_sdr(model(mixture, sr), target).mean().item(),
                "frozen_16k_weights": si_sdr(model(mixture, sr, TRAIN_SR), target).mean().item(),
            }
        row["resampling"] = si_sdr(_resampling_baseline(model, mixture, sr), target).mean().item()
        results[sr] = row
    return results


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer steps and test items")
    args = parser.parse_args(argv)
    steps, batch, n_test = (100, 8, 16) if args.quick else (400, 8, 48)
    torch.manual_seed(0)
    model = Separator()
    threads = torch.get_num_threads()
    torch.set_num_threads(1)  # tensors this small lose more to thread syncs than they gain
    try:
        start = time.perf_counter()
        print(f"training at {TRAIN_SR} Hz: {steps} steps of {batch} x {SEGMENT} s")
        train(model, steps, batch, seed=1)
        print(f"trained in {time.perf_counter() - start:.0f} s")
        results = evaluate(model, n_test, seed=2)
    finally:
        torch.set_num_threads(threads)
    print(f"\nmean SI-SDR (dB) over {n_test} test mixtures of 1 s")
    print(f"{'rate':>8} {'mixture':>8} {'SFI':>8} {'resample':>9} {'frozen':>8}")
    for sr, row in results.items():
        print(
            f"{sr:>8} {row['mixture']:8.2f} {row['sfi']:8.2f} {row['resampling']:9.2f} "
            f"{row['frozen_16k_weights']:8.2f}"
        )
    return results


if __name__ == "__main__":
    main()
