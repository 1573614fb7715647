"""Linear reassignment pipeline (Gardner & Magnasco 2006): validation, grids, batching.

The public wrappers live in :mod:`sigpu.reassign`; the per-batch work (filter
spectra, gate and scatter) in the ``reassign`` kernels.  Spec:
``specs/reassignment.md`` sections 1.1 and 2.
"""

from __future__ import annotations

import math

import numpy as np

from ._backend import fft_module, kernel
from ._errors import ParameterError
from ._validate import (
    check_audio_finite,
    finite_float,
    is_int,
    is_real,
    positive_float,
    positive_int,
    real_array,
)

MAX_OCTAVES = 32


# ---------------------------------------------------------------------------
# validation and derived sizes
# ---------------------------------------------------------------------------


_UNUSED = object()  # tdeci/over of the callers that have none (None is a bad value)


def check_grid(*, tdeci=_UNUSED, over=_UNUSED, noct, minf, maxf, sr=None):
    """Validated ``(tdeci, over, noct, minf, maxf)`` with minf/maxf in cycles/sample."""
    tdeci = None if tdeci is _UNUSED else positive_int(tdeci, "tdeci")
    over = None if over is _UNUSED else positive_int(over, "over")
    noct = positive_int(noct, "noct")
    minf = finite_float(minf, "minf")
    maxf = finite_float(maxf, "maxf")
    nyquist = 0.5
    unit = "cycles/sample"
    if sr is not None:
        sr = positive_float(sr, "sr")
        nyquist, unit = sr / 2.0, "Hz"
    if not 0.0 < minf < maxf <= nyquist:
        raise ParameterError(
            f"minf={minf!r}, maxf={maxf!r} must satisfy 0 < minf < maxf <= {nyquist} ({unit}"
            + (f", sr / 2 with sr={sr!r})" if sr is not None else ")")
        )
    if minf < maxf * 2.0**-MAX_OCTAVES:
        # below it the Gaussian lines' widths underflow (f0 / (2 pi q) ** 2 in the kernels)
        raise ParameterError(
            f"minf={minf!r} must be >= maxf * 2**-{MAX_OCTAVES} = {maxf * 2.0**-MAX_OCTAVES!r} "
            f"(at most {MAX_OCTAVES} octaves)"
        )
    if sr is not None:
        minf, maxf = minf / sr, maxf / sr
    return tdeci, over, noct, minf, maxf


def n_freq_bins(noct: int, minf: float, maxf: float) -> int:
    """HF = ceil(noct * log2(maxf / minf) + 1) (spec 2.1)."""
    return int(math.ceil(noct * math.log2(maxf / minf) + 1))


def n_time_bins(n: int, tdeci: int) -> int:
    """HT = ceil(n / tdeci)."""
    return -(-int(n) // int(tdeci))


def check_count_gate(count_gate):
    if count_gate is None or (isinstance(count_gate, str) and count_gate == "sqrt_max"):
        return count_gate
    if is_real(count_gate):
        value = float(count_gate)
        if math.isfinite(value) and value >= 0:
            return value
    raise ParameterError(
        f"count_gate={count_gate!r} must be 'sqrt_max', None or a finite number >= 0"
    )


def check_pool_axis(pool_axis, ndim: int):
    if pool_axis is None:
        return None
    if not is_int(pool_axis) or not -ndim <= pool_axis < ndim:
        raise ParameterError(f"pool_axis={pool_axis!r} must name an axis of x (ndim={ndim})")
    axis = int(pool_axis) % ndim
    if axis == ndim - 1:
        raise ParameterError(
            f"pool_axis={pool_axis!r} names the time axis; it must be a leading axis "
            f"0 <= pool_axis < {ndim - 1}"
        )
    return axis


def check_signal(x, name: str, func: str):
    xp = real_array(x, name, func=func)
    if x.shape[-1] < 1:
        raise ParameterError(f"{name} has {x.shape[-1]} samples; it needs n >= 1")
    check_audio_finite(x, func, name)
    return xp


# ---------------------------------------------------------------------------
# filter lines and batching
# ---------------------------------------------------------------------------


def filter_lines(q: float, over: int, noct: int, minf: float, n_freq: int):
    """Line centres f0_j = minf 2^(j/(over noct)) and widths sigma_j = f0_j/(2 pi q)."""
    j = np.arange(n_freq * over, dtype=np.float64)
    f0 = minf * 2.0 ** (j / (over * noct))
    return f0, f0 / (2.0 * np.pi * q)


def histograms(x2d, xp, *, q, tdeci, over, noct, minf, maxf, deterministic=False):
    """Pre-gate energy (float64) and counts (int64), each (n_chan, HF, HT).

    ``x2d`` is (n_chan, n) float32/float64; minf/maxf are in cycles/sample.  The
    backend's ``reassign.batch_plan`` cuts channels and lines into batches that fit
    its memory (free GPU memory, or a cache-sized CPU budget), and
    ``reassign.map_partitions`` runs them: in order on the GPU, on a fixed split over
    the CPU's threads, each with its own histograms summed in a fixed order.
    """
    n_chan, n = x2d.shape
    n_freq = n_freq_bins(noct, minf, maxf)
    n_frames = n_time_bins(n, tdeci)
    energy = xp.zeros((n_chan, n_freq, n_frames), dtype=xp.float64)
    counts = xp.zeros((n_chan, n_freq, n_frames), dtype=xp.int64)
    if n_chan == 0:
        return energy, counts
    f0_host, sig_host = filter_lines(q, over, noct, minf, n_freq)
    f0_all = xp.asarray(f0_host)
    sig_all = xp.asarray(sig_host)
    modulate = kernel(xp, "reassign.modulate")
    inverse_fft = kernel(xp, "reassign.inverse_fft")
    gate_scatter = kernel(xp, "reassign.gate_scatter")
    complex_dtype = xp.complex64 if x2d.dtype == xp.float32 else xp.complex128
    itemsize = 8 if complex_dtype == xp.complex64 else 16
    chans, batches = kernel(xp, "reassign.batch_plan")(
        n, n_chan, f0_host, sig_host, itemsize, deterministic=deterministic
    )
    work_length = kernel(xp, "reassign.work_length")
    work_size = max(work_length(n, chans, f0_host[j0:j1], sig_host[j0:j1]) for j0, j1 in batches)
    for c0 in range(0, n_chan, chans):
        # one forward FFT per channel, full complex (no rfft: lines past
        # Nyquist are truncated Gaussians, not mirrored), no padding
        spectrum = fft_module(xp).fft(x2d[c0 : c0 + chans], axis=-1)
        energy_c, counts_c = energy[c0 : c0 + chans], counts[c0 : c0 + chans]

        def run(part, spectrum=spectrum, energy_c=energy_c, counts_c=counts_c):
            # a partition of the batches: one work buffer that modulate writes and the
            # inverse FFT overwrites; the first partition adds into the result itself
            work = xp.empty(work_size, dtype=complex_dtype)
            if part.start != 0:
                energy_c, counts_c = xp.zeros_like(energy_c), xp.zeros_like(counts_c)
            for j0, j1 in (batches[i] for i in part):
                f0, sig = f0_all[j0:j1], sig_all[j0:j1]
                filtered = inverse_fft(modulate(spectrum, f0, sig, out=work))
                gate_scatter(
                    filtered,
                    f0,
                    sig,
                    tdeci,
                    noct,
                    minf,
                    maxf,
                    energy_c,
                    counts_c,
                    deterministic=deterministic,
                    n_samples=n,
                )
            return energy_c, counts_c

        parts = kernel(xp, "reassign.map_partitions")(run, len(batches))
        for part_energy, part_counts in parts[1:]:  # in partition order: deterministic sums
            energy_c += part_energy
            counts_c += part_counts
    return energy, counts


def apply_count_gate(energy, counts, count_gate, xp):
    """Zero bins whose count is below the gate; the max is per output image."""
    if count_gate is None:
        return energy
    if count_gate == "sqrt_max":
        if counts.size == 0:
            return energy
        peak = xp.max(counts, axis=(-2, -1), keepdims=True)
        keep = counts.astype(xp.float64) >= xp.sqrt(peak.astype(xp.float64))
    else:
        keep = counts.astype(xp.float64) >= count_gate
    return xp.where(keep, energy, xp.zeros_like(energy))
