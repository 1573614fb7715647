"""Linear reassignment on the CPU (numba); same contract as ``reassign_cuda``.

Two steps per batch of filter lines (spec reassignment.md sections 2.2-2.6):

* :func:`modulate` writes the spectra of the Gaussian line filter and of its
  derivative filter, multiplied by the signal's spectrum, for every (line,
  channel), folded for a shorter inverse FFT (below): the input of one batched
  inverse FFT along the last axis.
* :func:`gate_scatter` reads the inverse FFTs (xi, eta), forms the
  reassignment operator mu = eta / (xi + eps), applies the gates and adds the
  kept points' energy and counts into the histogram, fused, with no
  temporaries.

Both are serial and release the GIL: the pipeline runs whole batches (modulate,
a one-thread :func:`inverse_fft`, scatter) on :func:`map_partitions`' threads,
each thread with its own work buffer and histogram (no atomics, no
``np.add.at``), summed at the end in thread order.  A batch stays in that
core's cache from the first step to the last, and the cores never wait for
each other between steps.

Folding.  A line's filtered spectrum is non-zero on at most ``M`` consecutive
DFT bins (the Gaussian is cut at ``CUTOFF_SIGMAS``).  For any divisor ``Q >= M``
of ``n`` (``n = P*Q``), write the sample index as ``i = p + P*a``; then
``exp(2 pi i k i/n) = exp(2 pi i k p/n) * exp(2 pi i (k mod Q) a/Q)``, so

    xi[p + P*a] = (1/P) * ifft_Q(Z_p)[a],   Z_p[k mod Q] = Y[k] * exp(2 pi i k p/n),

exactly (the bins of the band have distinct residues mod Q).  ``P`` transforms
of length ``Q`` cost ``n log Q`` instead of ``n log n``, and no sample is
skipped or interpolated: it is the same DFT, regrouped (the spec forbids
padding ``n``, which would change the result; this does not).  Low lines fold
most (``M`` is about ``1.4 f0 n`` for q = 2).

Chirp transform.  When ``Q`` has a large prime factor (``n`` = 288,001 = 7 x 41,143,
a prime, folds into ``Q`` = 41,143 or ``n``), pocketfft computes each row by Bluestein's
method with transforms of about ``2Q``.  Knowing that only the band's ``M`` bins are
non-zero, the same identity ``i a = (i^2 + a^2 - (a - i)^2)/2`` needs only ``L >= Q + M -
1``: with the band's bins ``r_lo + i`` (``i < M``) of row ``p``,

    xi[p + P*a] = w^(r_lo a) w2^(a^2) * (z conv c)[a],   z_i = Z_p[r_lo + i] w2^(i^2),

``w = exp(2 pi i/Q)``, ``w2 = exp(pi i/Q)``, ``c_k = w2^(-k^2)``: one linear convolution,
computed exactly as a circular one of a fast length ``L`` (forward FFT, times the chirp's
FFT, cached per ``(Q, L)``, inverse FFT).  The factor in front has modulus one and is
the same for xi and eta, so mu = eta / xi and |xi|^2 do not need it and the gate reads
the convolution directly (only the spec's ``eps`` on the real part of xi turns with it: a
relative change of ``1e-20 / |xi|``).  :func:`transform` picks fold or chirp per line by
a cost estimate.

Coordinates, bin indices and the accumulation are float64 whatever the FFT
precision (spec trap d).
"""

from __future__ import annotations

import functools
import math

import numpy as np

from .._backend import fft_module
from .cpu_threads import map_partitions  # noqa: F401 (contract)
from .numba_jit import njit

# |f - f0| beyond CUTOFF_SIGMAS standard deviations: exp(-37) < 1e-16 of the peak,
# below float64 round-off, so the filter is written as exact zero (the spec's 5.4
# allows 8.6).  A narrower band means shorter folds, with the same result (timings:
# docs/performance.md, "Tuning constants").
CUTOFF_SIGMAS = 8.6
# One batch of folded spectra (xi and eta of every line and channel) stays about
# this size, so that modulate, the inverse FFT and the scatter work in cache.
_BATCH_BYTES = 2 * 1024 * 1024
# modulate computes an exact exp for the Gaussian every this many bins (a recurrence
# between them)
_EXACT_EVERY = 16
_EPS = 1e-20
_TWO_PI = 2.0 * math.pi


def band(n: int, centre: float, sig: float) -> tuple[int, int]:
    """Signed DFT bins ``m_lo..m_hi`` where a line's filter is non-zero."""
    reach = CUTOFF_SIGMAS * sig
    m_lo = max(math.ceil((centre - reach) * n), -((n - 1) // 2))
    m_hi = min(math.floor((centre + reach) * n), n // 2)
    return m_lo, m_hi


@functools.lru_cache(maxsize=8)
def _divisors(n: int) -> tuple[int, ...]:
    small = [d for d in range(1, math.isqrt(n) + 1) if n % d == 0]
    return tuple(sorted(set(small + [n // d for d in small])))


def _fold_cost(q_len: int) -> float:
    """pocketfft's work per sample for transforms of length ``q_len``, roughly: radix
    passes for 2..11, a generic O(p) pass for a larger prime factor ``p``, or Bluestein's
    two transforms of about twice the length, whichever pocketfft would take."""
    cost, rest = 0.0, q_len
    for p in (2, 3, 5, 7, 11):
        while rest % p == 0:
            cost += math.log2(p)
            rest //= p
    p = 13
    while rest > 1 and p * p <= rest:
        while rest % p == 0:
            cost += p / 2
            rest //= p
        p += 2
    if rest > 1:
        cost += rest / 2
    return min(cost, 4 * (math.log2(2 * q_len) + 1))


def _room(width: int) -> int:
    """``width`` rounded up to one of 8 steps per octave: a few chirp lengths per call,
    each with its cached chirp spectrum."""
    step = 1 << max(0, width.bit_length() - 4)
    return -(-width // step) * step


def transform(n: int, f0, sig) -> tuple[int, int]:
    """``(Q, L)`` for a batch of lines (module docstring): rows of length ``Q``, the
    smallest divisor of ``n`` that holds every band, inverse-transformed directly
    (``L = Q``, a fold) or through a chirp convolution of length ``L > Q``, whichever
    :func:`_fold_cost` and ``2 L log2 L`` per row estimate cheaper."""
    bands = (band(n, c, s) for c, s in zip(f0, sig, strict=True))
    widest = max(1, max(hi - lo + 1 for lo, hi in bands))  # a band may be empty
    q_len = next(d for d in _divisors(n) if d >= widest)
    chirp_len = fft_module(np).next_fast_len(q_len + _room(widest) - 1)
    if chirp_len * (2 * math.log2(chirp_len) + 2) < q_len * _fold_cost(q_len):
        return q_len, chirp_len
    return q_len, q_len


@functools.lru_cache(maxsize=2)
def _chirp(q_len: int) -> np.ndarray:
    """``exp(pi i k^2/Q)`` for k = 0..Q-1 (the argument reduced exactly mod 2Q)."""
    k = np.arange(q_len, dtype=np.int64)
    return np.exp(1j * np.pi * ((k * k) % (2 * q_len)) / q_len)


@functools.lru_cache(maxsize=4)
def _chirp_spectrum(q_len: int, chirp_len: int, complex_dtype) -> np.ndarray:
    """FFT of ``c_k = exp(-pi i k^2/Q)``, k = -(L-Q)..Q-1, laid out circularly in length
    L: the convolution partner of every band of at most ``L - Q + 1`` bins."""
    c = np.conj(_chirp(q_len))
    kernel_ = np.empty(chirp_len, dtype=np.complex128)
    kernel_[:q_len] = c
    kernel_[q_len:] = c[1 : chirp_len - q_len + 1][::-1]  # k < 0 at L + k: c_-k = c_k
    return fft_module(np).fft(kernel_).astype(complex_dtype)


@functools.lru_cache(maxsize=4)
def _roots(n: int) -> np.ndarray:
    """``exp(2 pi i k/n)`` for k = 0..n-1."""
    return np.exp(2j * np.pi * (np.arange(n) / n))


def batch_plan(n: int, n_chan: int, f0, sig, complex_itemsize: int, *, deterministic=False):
    """``(channels per chunk, [(j0, j1), ...])``: line batches of about ``_BATCH_BYTES``.

    A batch never mixes transforms (:func:`transform`), so each line gets its own
    (short) fold or chirp length.
    ``deterministic`` changes nothing here: the CPU scatter is always deterministic and
    allocates no more for it.
    """
    per_line = 2 * n_chan * n * complex_itemsize
    most = max(1, _BATCH_BYTES // per_line)
    lengths = [transform(n, (c,), (s,)) for c, s in zip(f0, sig, strict=True)]
    batches = []
    j0 = 0
    for j in range(1, len(lengths) + 1):
        if j == len(lengths) or lengths[j] != lengths[j0] or j - j0 == most:
            batches.append((j0, j))
            j0 = j
    return n_chan, batches


@njit(nogil=True, inline="always")
def _line_band(spectrum, c, centre, s, cutoff, scale):
    """``(m_lo, filt, slope)``: the signed bins ``m_lo, m_lo + 1, ...`` where the line's
    filter is non-zero, ``G X * scale`` there (complex128, one rounding to the output
    dtype later) and the real factor ``D / G = -(f - f0) / sig`` that turns it into
    ``D X * scale``."""
    n = spectrum.shape[1]
    reach = cutoff * s
    two_var = 2.0 * s * s
    # only the bins within `reach` of the centre are non-zero; walk the signed
    # frequencies f = m / n for integer m in that interval (m < 0 maps to k = m + n)
    m_lo = max(int(math.ceil((centre - reach) * n)), -((n - 1) // 2))
    m_hi = min(int(math.floor((centre + reach) * n)), n // 2)
    width = max(m_hi - m_lo + 1, 0)
    filt = np.empty(width, dtype=np.complex128)
    slope = np.empty(width, dtype=np.float64)
    # the Gaussian by its recurrence: with d_i = d_0 + i/n, g_(i+1) = g_i r_i and
    # r_(i+1) = r_i exp(-2/(n^2 two_var)); exact exps every _EXACT_EVERY bins keep the
    # error under ~1e-14 of the peak, and exp dominates this kernel otherwise
    step = 1.0 / n
    decay = math.exp(-2.0 * step * step / two_var)
    g = 0.0
    ratio = 0.0
    for i in range(width):
        k = m_lo + i if m_lo + i >= 0 else m_lo + i + n
        f = k / n
        if f > 0.5:  # signed DFT frequency; k = n/2 stays at +0.5
            f -= 1.0
        d = f - centre
        if i % _EXACT_EVERY == 0:
            g = math.exp(-(d * d) / two_var)
            ratio = math.exp(-(2.0 * d * step + step * step) / two_var)
        else:
            g *= ratio
            ratio *= decay
        filt[i] = ((g if abs(d) <= reach else 0.0) * scale) * spectrum[c, k]
        slope[i] = -(d / s)
    return m_lo, filt, slope


@njit(nogil=True)
def _modulate(spectrum, f0, sig, cutoff, roots, out):
    n_chan, n = spectrum.shape
    _, n_lines, _, n_fold, q_len = out.shape
    for item in range(n_lines * n_chan):
        b = item // n_chan
        c = item - b * n_chan
        m_lo, filt, slope = _line_band(spectrum, c, f0[b], sig[b], cutoff, 1.0 / n_fold)
        width = filt.shape[0]
        # the band's residues mod Q are r_lo, r_lo + 1, ... (cyclic); zero the others
        r_lo = m_lo % q_len
        r_end = r_lo + width  # past the band's last residue, before wrapping
        head = min(r_end, q_len) - r_lo  # bins before the residues wrap to 0
        for p in range(n_fold):
            xi_row = out[0, b, c, p]
            eta_row = out[1, b, c, p]
            if r_end <= q_len:
                xi_row[:r_lo] = 0.0
                eta_row[:r_lo] = 0.0
                xi_row[r_end:] = 0.0
                eta_row[r_end:] = 0.0
            else:
                xi_row[r_end - q_len : r_lo] = 0.0
                eta_row[r_end - q_len : r_lo] = 0.0
            # twiddle exp(2 pi i k p/n): its index k*p mod n advances by p per bin
            t = ((m_lo % n) * p) % n
            r_hi = r_lo + head
            tail = width - head
            t = _twiddle_run(
                filt[:head], slope[:head], roots, t, p, xi_row[r_lo:r_hi], eta_row[r_lo:r_hi]
            )
            _twiddle_run(filt[head:], slope[head:], roots, t, p, xi_row[:tail], eta_row[:tail])


@njit(nogil=True)
def _modulate_chirp(spectrum, f0, sig, cutoff, roots, chirp, out):
    """Each row's band values (with the fold's twiddles) times ``exp(pi i i^2/Q)``, the
    chirp convolution's input (module docstring), zero-padded to its length."""
    n_chan, n = spectrum.shape
    _, n_lines, _, n_fold, _ = out.shape
    for item in range(n_lines * n_chan):
        b = item // n_chan
        c = item - b * n_chan
        m_lo, filt, slope = _line_band(spectrum, c, f0[b], sig[b], cutoff, 1.0 / n)
        width = filt.shape[0]
        for i in range(width):
            filt[i] *= chirp[i]
        for p in range(n_fold):
            xi_row = out[0, b, c, p]
            eta_row = out[1, b, c, p]
            _twiddle_run(
                filt, slope, roots, ((m_lo % n) * p) % n, p, xi_row[:width], eta_row[:width]
            )
            xi_row[width:] = 0.0
            eta_row[width:] = 0.0


@njit(nogil=True, inline="always")
def _twiddle_run(filt, slope, roots, t, p, xi_out, eta_out):
    """Bins of a band times their twiddles (index t, t + p, ... mod n); returns the next
    twiddle index.  Equal-length slices: indices are loop counters (no wraparound)."""
    n = roots.shape[0]
    for i in range(filt.shape[0]):
        z = filt[i] * roots[t]
        xi_out[i] = z
        eta_out[i] = slope[i] * z
        t += p
        if t >= n:
            t -= n
    return t


def _layout(n: int, n_chan: int, f0, sig) -> tuple[tuple[int, ...], int]:
    """Shape ``(2, lines, channels, P, L)`` of :func:`modulate`'s output, and ``Q``."""
    q_len, row_len = transform(n, f0, sig)
    return (2, len(f0), n_chan, n // q_len, row_len), q_len


def work_length(n: int, n_chan: int, f0, sig) -> int:
    """Elements of :func:`modulate`'s output for a batch: ``2 * lines * channels * n``,
    or more for chirped rows (``L > Q``)."""
    return math.prod(_layout(n, n_chan, f0, sig)[0])


def modulate(spectrum, f0, sig, out=None):
    """Filtered spectra of a batch of lines, folded (or chirped) for a short inverse FFT.

    Parameters
    ----------
    spectrum : ndarray, shape (n_chan, n), complex64 or complex128
        Full (two-sided) FFT of each channel.
    f0, sig : ndarray, shape (n_lines,), float64
        Line centres and Gaussian standard deviations, cycles/sample.
    out : ndarray, optional
        Flat work buffer of the spectrum's dtype with at least :func:`work_length`
        elements; the result is a view of its start (saves page faults per batch).

    Returns
    -------
    out : ndarray, shape (2, n_lines, n_chan, P, L), dtype of ``spectrum``, ``L >= Q``
        After an inverse FFT along the last axis, ``[0, b, c, p, a]`` is xi and
        ``[1, b, c, p, a]`` is eta of line ``b``, channel ``c`` at sample ``p + P*a``,
        ``a < Q = n / P`` (module docstring): ``G * X`` and ``D * X`` with ``G`` the
        Gaussian and ``D = -((f - f0) / sig) * G`` on the signed DFT frequencies.
        Chirped rows (``L > Q``): xi and eta times a phase of modulus one that they
        share; entries ``a >= Q`` are not signal.
    """
    spectrum = np.ascontiguousarray(spectrum)
    f0 = np.ascontiguousarray(f0, dtype=np.float64)
    sig = np.ascontiguousarray(sig, dtype=np.float64)
    n_chan, n = spectrum.shape
    shape, q_len = _layout(n, n_chan, f0, sig)
    size = math.prod(shape)
    if out is None:
        out = np.empty(size, dtype=spectrum.dtype)
    out = out[:size].reshape(shape)
    chirp_len = shape[-1]
    if chirp_len == q_len:
        _modulate(spectrum, f0, sig, CUTOFF_SIGMAS, _roots(n), out)
        return out
    _modulate_chirp(spectrum, f0, sig, CUTOFF_SIGMAS, _roots(n), _chirp(q_len), out)
    # the convolution's forward half here: inverse_fft completes it, as for a fold
    transformed = fft_module(np).fft(out, axis=-1, overwrite_x=True)
    np.multiply(transformed, _chirp_spectrum(q_len, chirp_len, out.dtype.type), out=out)
    return out


@njit(nogil=True)
def _gate_scatter(filtered, n, f0, sig, tdeci, minf, maxf, edges, n_frames, energy, counts):
    _, n_lines, n_chan, n_fold, q_len = filtered.shape
    n_freq = edges.shape[0]
    n_total = float(n)
    q_valid = n // n_fold  # Q; chirped rows are longer, the rest is not signal
    for b in range(n_lines):
        for c in range(n_chan):
            centre = f0[b]
            s = sig[b]
            time_scale = 1.0 / (_TWO_PI * s)
            # the column of the line's own centre; kept points move less than s/2 in
            # frequency (|mu| < 0.5), so the search below takes a step or two at most
            home = 0
            while home < n_freq - 1 and centre <= edges[home]:
                home += 1
            upper = edges[home - 1] if home > 0 else math.inf
            lower = edges[home]
            xi_plane = filtered[0, b, c]
            eta_plane = filtered[1, b, c]
            for p in range(n_fold):  # sample p + P*a sits at [p, a]
                for a in range(q_valid):
                    xr = np.float64(xi_plane[p, a].real)
                    xi = np.float64(xi_plane[p, a].imag)
                    er = np.float64(eta_plane[p, a].real)
                    ei = np.float64(eta_plane[p, a].imag)
                    ar = xr + _EPS  # eps on the real part only (spec 2.3)
                    den = ar * ar + xi * xi
                    # |mu| < 0.5 as |eta|^2 < |xi + eps|^2 / 4: no division for the ~70 %
                    # of points it drops, and NaN fails it
                    if not (er * er + ei * ei < 0.25 * den):
                        continue
                    inv = 1.0 / den
                    mr = (er * ar + ei * xi) * inv
                    mi = (ei * ar - er * xi) * inv
                    t_hat = (p + n_fold * a + 1) + mi * time_scale  # 1-based samples
                    f_hat = centre - mr * s
                    if not (f_hat > minf and f_hat < maxf and t_hat >= 1.0 and t_hat < n_total):
                        continue
                    row = int(math.floor(t_hat / tdeci))
                    # col = floor(noct log2(maxf / f_hat) + 1/2), i.e. the column c with
                    # edges[c] < f_hat <= edges[c - 1], found from the line's home column:
                    # one step without branches (for q=2, noct=12 every kept point is within
                    # a column of home, and a data-dependent branch there mispredicts), then
                    # the exact search, which takes further steps only when needed
                    col = home + (f_hat <= lower) - (f_hat > upper)
                    while col > 0 and f_hat > edges[col - 1]:
                        col -= 1
                    while col < n_freq and f_hat <= edges[col]:
                        col += 1
                    if row < 0 or row >= n_frames or col >= n_freq:
                        continue  # round-off across an edge: drop, never clamp
                    k = (n_freq - 1 - col) * n_frames + row  # frequency ascending
                    energy[c, k] += xr * xr + xi * xi
                    counts[c, k] += 1


def column_edges(noct: int, maxf: float, n_freq: int) -> np.ndarray:
    """Lower frequency edge of each histogram column: ``maxf 2^(-(c + 1/2)/noct)``.

    Column ``c`` (0 = maxf) holds ``edges[c] < f <= edges[c - 1]`` (spec 2.5:
    ``col = floor(noct log2(maxf/f) + 1/2)``).
    """
    return maxf * 2.0 ** (-(np.arange(n_freq) + 0.5) / noct)


def gate_scatter(
    filtered,
    f0,
    sig,
    tdeci,
    noct,
    minf,
    maxf,
    energy,
    counts,
    *,
    deterministic=False,
    n_samples=None,
):
    """Gate the points of a batch of lines and add them into the histograms.

    Parameters
    ----------
    filtered : ndarray, shape (2, n_lines, n_chan, P, Q), complex64 or complex128
        Inverse FFTs (last axis) of :func:`modulate`'s output: ``filtered[0]`` = xi,
        ``filtered[1]`` = eta, ``[..., p, a]`` at sample ``p + P*a`` (chirped: times a
        phase they share, which mu and the energy do not see).
    f0, sig : ndarray, shape (n_lines,), float64
    tdeci : int; noct : int; minf, maxf : float (cycles/sample)
    energy : ndarray, shape (n_chan, n_freq, n_frames), float64, updated in place
    counts : ndarray, shape (n_chan, n_freq, n_frames), int64, updated in place
        Frequency ascending: histogram column ``col`` (0 = maxf) is row
        ``n_freq - 1 - col`` here.
    deterministic : bool
        Accepted for the common contract; the CPU result is always deterministic (one
        thread adds the points in a fixed order; see :func:`map_partitions` for threads).
    n_samples : int, optional
        Signal length ``n``: ``P*Q`` when None (a fold); needed for chirped rows.
    """
    n_chan, n_freq, n_frames = energy.shape
    if not (energy.flags.c_contiguous and counts.flags.c_contiguous):
        raise ValueError("gate_scatter: energy and counts must be C-contiguous")
    _, _, _, n_fold, q_len = filtered.shape
    _gate_scatter(
        np.ascontiguousarray(filtered),
        n_fold * q_len if n_samples is None else int(n_samples),
        np.ascontiguousarray(f0, dtype=np.float64),
        np.ascontiguousarray(sig, dtype=np.float64),
        float(tdeci),
        float(minf),
        float(maxf),
        column_edges(noct, maxf, n_freq),
        n_frames,
        energy.reshape(n_chan, -1),
        counts.reshape(n_chan, -1),
    )


def inverse_fft(folded):
    """In-place inverse FFT along the last axis (one FFT thread on the block pool)."""
    return fft_module(np).ifft(folded, axis=-1, overwrite_x=True)
