"""librosa.util.peak_pick as array code: candidates by sliding windows, the greedy ``wait``
rule by pointer doubling, so that the GPU runs it in a few vectorised steps and never
synchronises with the host (the CPU runs it too on short envelopes, and walks the samples
in a numba loop on longer ones: ``sigpu._kernels.peaks_numba``; both are
``kernel(xp, "peaks.peak_mask")``).

A sample ``n`` is a candidate if ``x[n]`` is the maximum of ``x[n - pre_max : n + post_max]``
and at least ``delta`` above the mean of ``x[n - pre_avg : n + post_avg]`` (windows cut at the
ends).  librosa then walks the samples: a candidate is picked and the next ``wait`` samples
are skipped.  The picked samples are the chain ``c_0, next(c_0), next(next(c_0)), ...``
where ``c_0`` is the first candidate and ``next(p)`` the first candidate at or after
``p + wait + 1``; marking every node of that chain takes ``log2(n)`` rounds of pointer
doubling over all samples at once.
"""

from __future__ import annotations

import math


def _sliding(x, before: int, after: int, fill, combine, xp):
    """``combine`` over ``x[..., n - before : n + after]`` (padded with ``fill``), in the
    window's order from left to right."""
    n = x.shape[-1]
    before, after = min(before, n), min(after, n)  # windows are cut at the ends anyway
    lead = [(0, 0)] * (x.ndim - 1)
    padded = xp.pad(x, lead + [(before, after - 1)], constant_values=fill)
    out = padded[..., 0:n]
    for k in range(1, before + after):
        out = combine(out, padded[..., k : k + n])
    return out


def candidates(x, pre_max, post_max, pre_avg, post_avg, delta, xp):
    """Boolean ``(..., n)``: local maxima at least ``delta`` above the local mean."""
    n = x.shape[-1]
    local_max = _sliding(x, pre_max, post_max, -xp.inf, xp.maximum, xp)
    local_sum = _sliding(x, pre_avg, post_avg, 0.0, xp.add, xp)
    position = xp.arange(n)
    count = xp.minimum(position + post_avg, n) - xp.maximum(position - pre_avg, 0)
    local_mean = local_sum / xp.astype(count, x.dtype)
    return (x == local_max) & (x >= local_mean + delta)


def greedy(candidate, wait: int, xp):
    """The candidates librosa's walk picks: per row, the first candidate, then repeatedly
    the first candidate at least ``wait + 1`` samples after the last pick."""
    *lead, n = candidate.shape
    rows = math.prod(lead)
    size = rows * n
    flat = xp.reshape(candidate, (size,))
    counts = xp.cumsum(xp.astype(flat, xp.int64))
    before = counts - xp.astype(flat, xp.int64)  # candidates before each position
    position = xp.arange(size, dtype=xp.int64)

    def first_from(start, row_end):
        # the first candidate in [start, row_end), else ``size``
        safe = xp.minimum(start, size - 1)
        found = xp.searchsorted(counts, before[safe] + 1, side="left")
        inside = (start < row_end) & (found < row_end)
        return xp.where(inside, found, size)

    sentinel = xp.asarray([size], dtype=xp.int64)
    row_end = (position // n + 1) * n
    jump = xp.concat([first_from(position + wait + 1, row_end), sentinel])
    marked = xp.zeros(size + 1, dtype=xp.bool)
    marked[first_from(position[::n], row_end[::n])] = True
    for _ in range(max(1, math.ceil(math.log2(max(n, 2)))) + 1):
        marked[xp.where(marked, jump, size)] = True
        jump = jump[jump]
    return xp.reshape(marked[:size] & flat, candidate.shape)
