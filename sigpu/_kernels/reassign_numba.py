"""Linear reassignment on the CPU (numba); same contract as ``reassign_cuda``.

Two steps per batch of filter lines (spec reassignment.md sections 2.2-2.6):

* :func:`modulate` writes the spectra of the Gaussian line filter and of its
  derivative filter, multiplied by the signal's spectrum, for every (line,
  channel): the input of one batched inverse FFT.
* :func:`gate_scatter` reads the inverse FFTs (xi, eta), forms the
  reassignment operator mu = eta / (xi + eps), applies the gates and adds the
  kept points' energy and counts into the histogram, fused, with no
  temporaries.  Each thread owns a private histogram (no atomics, no
  ``np.add.at``); they are summed at the end.

Coordinates, bin indices and the accumulation are float64 whatever the FFT
precision (spec trap d).
"""

from __future__ import annotations

import math

import numba
import numpy as np

# |f - f0| beyond CUTOFF_SIGMAS standard deviations: exp(-72) ~ 5e-32 of the
# peak, far below float64 round-off, so the filter is written as exact zero.
CUTOFF_SIGMAS = 12.0
# Samples per work item of the scatter: small enough to balance threads, large
# enough to amortise the per-item setup.
_SCATTER_BLOCK = 8192
_EPS = 1e-20
_TWO_PI = 2.0 * math.pi


def batch_budget_bytes() -> int:
    """Bytes the CPU path may spend on one batch of filtered spectra (fixed)."""
    return 256 * 1024 * 1024


@numba.njit(cache=True, parallel=True, fastmath=False)
def _modulate(spectrum, f0, sig, cutoff, out):
    n_chan, n = spectrum.shape
    n_lines = f0.shape[0]
    for item in numba.prange(n_lines * n_chan):
        b = item // n_chan
        c = item - b * n_chan
        centre = f0[b]
        s = sig[b]
        reach = cutoff * s
        two_var = 2.0 * s * s
        for k in range(n):
            out[0, b, c, k] = 0.0
            out[1, b, c, k] = 0.0
        # only the bins within `reach` of the centre are non-zero; walk the signed
        # frequencies f = m / n for integer m in that interval (m < 0 maps to k = m + n)
        m_lo = max(int(math.ceil((centre - reach) * n)), -((n - 1) // 2))
        m_hi = min(int(math.floor((centre + reach) * n)), n // 2)
        for m in range(m_lo, m_hi + 1):
            k = m if m >= 0 else m + n
            f = k / n
            if f > 0.5:  # signed DFT frequency; k = n/2 stays at +0.5
                f -= 1.0
            d = f - centre
            if abs(d) <= reach:
                g = math.exp(-(d * d) / two_var)
                dg = -(d / s) * g
                v = spectrum[c, k]
                out[0, b, c, k] = g * v
                out[1, b, c, k] = dg * v


def modulate(spectrum, f0, sig):
    """Filtered spectra of a batch of lines.

    Parameters
    ----------
    spectrum : ndarray, shape (n_chan, n), complex64 or complex128
        Full (two-sided) FFT of each channel.
    f0, sig : ndarray, shape (n_lines,), float64
        Line centres and Gaussian standard deviations, cycles/sample.

    Returns
    -------
    out : ndarray, shape (2, n_lines, n_chan, n), dtype of ``spectrum``
        ``out[0] = G * X`` and ``out[1] = D * X`` with ``G`` the Gaussian and
        ``D = -((f - f0) / sig) * G`` on the signed DFT frequencies.
    """
    spectrum = np.ascontiguousarray(spectrum)
    f0 = np.ascontiguousarray(f0, dtype=np.float64)
    sig = np.ascontiguousarray(sig, dtype=np.float64)
    out = np.empty((2, f0.shape[0]) + spectrum.shape, dtype=spectrum.dtype)
    _modulate(spectrum, f0, sig, CUTOFF_SIGMAS, out)
    return out


@numba.njit(cache=True, parallel=True, fastmath=False)
def _gate_scatter(
    filtered, f0, sig, tdeci, noct, minf, maxf, n_freq, n_frames, block, energy, counts
):
    _, n_lines, n_chan, n = filtered.shape
    n_threads = energy.shape[0]
    n_blocks = (n + block - 1) // block
    n_items = n_lines * n_chan * n_blocks
    n_total = float(n)
    for p in numba.prange(n_threads):
        for item in range(p, n_items, n_threads):
            b = item // (n_chan * n_blocks)
            rest = item - b * (n_chan * n_blocks)
            c = rest // n_blocks
            start = (rest - c * n_blocks) * block
            stop = min(start + block, n)
            centre = f0[b]
            s = sig[b]
            two_pi_s = _TWO_PI * s
            for i in range(start, stop):
                xr = np.float64(filtered[0, b, c, i].real)
                xi = np.float64(filtered[0, b, c, i].imag)
                er = np.float64(filtered[1, b, c, i].real)
                ei = np.float64(filtered[1, b, c, i].imag)
                ar = xr + _EPS  # eps on the real part only (spec 2.3)
                den = ar * ar + xi * xi
                # most points fail |mu| < 0.5; reject them before dividing, with a
                # margin so that only points the exact test below rejects are skipped
                if er * er + ei * ei > 0.2500001 * den:
                    continue
                mr = (er * ar + ei * xi) / den
                mi = (ei * ar - er * xi) / den
                if not (math.hypot(mr, mi) < 0.5):  # NaN fails
                    continue
                t_hat = (i + 1) + mi / two_pi_s  # 1-based samples
                f_hat = centre - mr * s
                if not (f_hat > minf and f_hat < maxf and t_hat >= 1.0 and t_hat < n_total):
                    continue
                row = int(math.floor(t_hat / tdeci))
                col = int(math.floor(noct * math.log2(maxf / f_hat) + 0.5))
                if row < 0 or row >= n_frames or col < 0 or col >= n_freq:
                    continue  # round-off across an edge: drop, never clamp
                k = (n_freq - 1 - col) * n_frames + row  # frequency ascending
                energy[p, c, k] += xr * xr + xi * xi
                counts[p, c, k] += 1


def gate_scatter(
    filtered, f0, sig, tdeci, noct, minf, maxf, energy, counts, *, deterministic=False
):
    """Gate the points of a batch of lines and add them into the histograms.

    Parameters
    ----------
    filtered : ndarray, shape (2, n_lines, n_chan, n), complex64 or complex128
        ``filtered[0]`` = xi, ``filtered[1]`` = eta (inverse FFTs of
        :func:`modulate`'s output).
    f0, sig : ndarray, shape (n_lines,), float64
    tdeci : int; noct : int; minf, maxf : float (cycles/sample)
    energy : ndarray, shape (n_chan, n_freq, n_frames), float64, updated in place
    counts : ndarray, shape (n_chan, n_freq, n_frames), int64, updated in place
        Frequency ascending: histogram column ``col`` (0 = maxf) is row
        ``n_freq - 1 - col`` here.
    deterministic : bool
        Accepted for the common contract; the CPU result is always
        deterministic (per-thread histograms over a fixed split of the work,
        summed in thread order).
    """
    filtered = np.ascontiguousarray(filtered)
    n_chan, n_freq, n_frames = energy.shape
    n_threads = numba.get_num_threads()
    local_e = np.zeros((n_threads, n_chan, n_freq * n_frames), np.float64)
    local_c = np.zeros((n_threads, n_chan, n_freq * n_frames), np.int64)
    _gate_scatter(
        filtered,
        np.ascontiguousarray(f0, dtype=np.float64),
        np.ascontiguousarray(sig, dtype=np.float64),
        float(tdeci),
        float(noct),
        float(minf),
        float(maxf),
        n_freq,
        n_frames,
        _SCATTER_BLOCK,
        local_e,
        local_c,
    )
    energy += local_e.sum(axis=0).reshape(energy.shape)
    counts += local_c.sum(axis=0).reshape(counts.shape)
