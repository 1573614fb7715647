// Linear reassignment (Gardner & Magnasco 2006) on the GPU; contract in reassign_cuda.py,
// CPU twin in reassign_numba.py, algorithm in specs/reassignment.md sections 2.2-2.6.
//
// Complex arrays are interleaved (re, im) pairs of T.  Times, frequencies, bin indices and
// sums are double whatever T is (spec trap d).  Histograms are frequency ascending:
// bin k = (n_freq - 1 - col) * n_frames + row of each channel's (n_freq, n_frames) image.
//
// name_expressions: modulate<float> modulate<double>
// name_expressions: gate_scatter<float> gate_scatter<double>
// name_expressions: gate_keys<float> gate_keys<double> segment_sums<double>

#define SHARED_BINS 2048
#define LR_EPS 1e-20
#define LR_TWO_PI 6.283185307179586

// Double-precision atomicAdd is native from compute capability 6.0 (Pascal).  sigpu supports
// 5.0 and up (CUDA 12's oldest target): there it is the compare-and-swap loop of the CUDA C++
// Programming Guide ("Atomic Functions"), which compares bits, so a NaN cannot make it spin.
// SIGPU_ATOMIC_ADD_CAS forces the loop everywhere, so that the tests run it too (the CPU
// emulation leaves __CUDA_ARCH__ undefined).  harmonic.cu has the same helper: NVRTC compiles
// each .cu file on its own.
__device__ __forceinline__ double atomic_add(double* address, double value) {
#if (defined(__CUDA_ARCH__) && __CUDA_ARCH__ < 600) || defined(SIGPU_ATOMIC_ADD_CAS)
  unsigned long long* bits = reinterpret_cast<unsigned long long*>(address);
  unsigned long long old = *bits, assumed;
  do {
    assumed = old;
    const double sum = value + __longlong_as_double((long long)assumed);
    old = atomicCAS(bits, assumed, (unsigned long long)__double_as_longlong(sum));
  } while (assumed != old);
  return __longlong_as_double((long long)old);
#else
  return atomicAdd(address, value);
#endif
}

// Filtered spectra of a batch of lines: out[0,b,c,k] = G_b(f_k) X[c,k],
// out[1,b,c,k] = -((f_k - f0_b)/sig_b) G_b(f_k) X[c,k], on the signed frequency f_k
// (no wrap-around; lines past Nyquist are truncated).  Exact zero beyond `cutoff` sigmas.
template <typename T>
__global__ void modulate(const T* __restrict__ spectrum,  // (n_chan, n) complex
                         const double* __restrict__ f0, const double* __restrict__ sig,
                         T* __restrict__ out,  // (2, n_lines, n_chan, n) complex
                         long long n_lines, long long n_chan, long long n, double cutoff) {
  const long long total = n_lines * n_chan * n;
  const long long plane = total * 2;  // complex values of out[0] times 2 (re, im)
  for (long long idx = (long long)blockIdx.x * blockDim.x + threadIdx.x; idx < total;
       idx += (long long)gridDim.x * blockDim.x) {
    const long long k = idx % n;
    const long long bc = idx / n;
    const long long c = bc % n_chan;
    const long long b = bc / n_chan;
    double f = (double)k / (double)n;
    if (f > 0.5) f -= 1.0;
    const double s = sig[b];
    const double d = f - f0[b];
    double g = 0.0, dg = 0.0;
    if (fabs(d) <= cutoff * s) {
      g = exp(-(d * d) / (2.0 * s * s));
      dg = -(d / s) * g;
    }
    const double xr = (double)spectrum[2 * (c * n + k)];
    const double xi = (double)spectrum[2 * (c * n + k) + 1];
    out[2 * idx] = (T)(g * xr);
    out[2 * idx + 1] = (T)(g * xi);
    out[plane + 2 * idx] = (T)(dg * xr);
    out[plane + 2 * idx + 1] = (T)(dg * xi);
  }
}

struct Grid {
  double tdeci, noct, minf, maxf;
  long long n_freq, n_frames;
};

// The reassignment operator and gates of one point; false when the point is dropped.
// On success *bin is the frequency-ascending bin of the channel image, *energy = |xi|^2.
template <typename T>
__device__ __forceinline__ bool reassign_point(const T* filtered, long long plane, long long idx,
                                               long long sample, long long n, double centre,
                                               double s, const Grid& grid, long long* row_out,
                                               long long* col_out, double* energy) {
  const double xr = (double)filtered[2 * idx], xi = (double)filtered[2 * idx + 1];
  const double er = (double)filtered[plane + 2 * idx];
  const double ei = (double)filtered[plane + 2 * idx + 1];
  const double ar = xr + LR_EPS;  // eps on the real part only
  const double den = ar * ar + xi * xi;
  const double mr = (er * ar + ei * xi) / den;
  const double mi = (ei * ar - er * xi) / den;
  if (!(hypot(mr, mi) < 0.5)) return false;  // NaN fails
  const double t_hat = (double)(sample + 1) + mi / (LR_TWO_PI * s);  // 1-based samples
  const double f_hat = centre - mr * s;
  if (!(f_hat > grid.minf && f_hat < grid.maxf && t_hat >= 1.0 && t_hat < (double)n))
    return false;
  const long long row = (long long)floor(t_hat / grid.tdeci);
  const long long col = (long long)floor(grid.noct * log2(grid.maxf / f_hat) + 0.5);
  if (row < 0 || row >= grid.n_frames || col < 0 || col >= grid.n_freq) return false;  // drop
  *row_out = row;
  *col_out = col;
  *energy = xr * xr + xi * xi;
  return true;
}

// Gate and scatter with shared-memory histograms.  One block takes one (line, channel) and
// `tile` consecutive samples.  The |mu| < 0.5 gate bounds how far a point moves (spec 2.4),
// so the block's points fall in a small box of rows x columns; when the box fits in shared
// memory the block accumulates there (steady tones hit a handful of bins thousands of times)
// and flushes each non-empty bin with one global atomic.  Points outside the box (round-off)
// and blocks whose box is too large (low lines, tiny tdeci) use global atomics directly.
template <typename T>
__global__ void gate_scatter(const T* __restrict__ filtered,  // (2, n_lines, n_chan, n)
                             const double* __restrict__ f0, const double* __restrict__ sig,
                             double tdeci, double noct, double minf, double maxf,
                             long long n_lines, long long n_chan, long long n, long long n_freq,
                             long long n_frames, long long tile,
                             double* __restrict__ energy,  // (n_chan, n_freq * n_frames)
                             unsigned long long* __restrict__ counts) {
  __shared__ double sh_energy[SHARED_BINS];
  __shared__ unsigned int sh_count[SHARED_BINS];
  const Grid grid{tdeci, noct, minf, maxf, n_freq, n_frames};
  const long long n_tiles = (n + tile - 1) / tile;
  const long long bc = blockIdx.x / n_tiles;
  const long long start = (blockIdx.x % n_tiles) * tile;
  const long long stop = min(start + tile, n);
  const long long b = bc / n_chan, c = bc % n_chan;
  const double centre = f0[b], s = sig[b];
  const long long plane = n_lines * n_chan * n * 2;
  const long long image = n_freq * n_frames;

  // bounding box of this block's kept points, one bin of margin for round-off
  const double reach_t = 0.5 / (LR_TWO_PI * s);  // max |t_hat - (n + 1)|
  const long long row_lo = max(0LL, (long long)floor((start + 1 - reach_t) / tdeci) - 1);
  const long long row_hi = min(n_frames - 1, (long long)floor((stop + reach_t) / tdeci) + 1);
  const double f_top = fmin(centre + 0.5 * s, maxf), f_bot = fmax(centre - 0.5 * s, minf);
  long long col_lo = (long long)floor(noct * log2(maxf / f_top) + 0.5) - 1;
  long long col_hi = (long long)floor(noct * log2(maxf / f_bot) + 0.5) + 1;
  col_lo = max(0LL, col_lo);
  col_hi = min(n_freq - 1, col_hi);
  const long long n_rows = row_hi - row_lo + 1, n_cols = col_hi - col_lo + 1;
  const bool use_shared = n_rows > 0 && n_cols > 0 && n_rows * n_cols <= SHARED_BINS;

  if (use_shared) {
    for (int i = threadIdx.x; i < SHARED_BINS; i += blockDim.x) {
      sh_energy[i] = 0.0;
      sh_count[i] = 0u;
    }
  }
  __syncthreads();
  double* energy_c = energy + c * image;
  unsigned long long* counts_c = counts + c * image;
  for (long long i = start + threadIdx.x; i < stop; i += blockDim.x) {
    long long row, col;
    double e;
    const long long idx = bc * n + i;
    if (!reassign_point(filtered, plane, idx, i, n, centre, s, grid, &row, &col, &e)) continue;
    if (use_shared && row >= row_lo && row <= row_hi && col >= col_lo && col <= col_hi) {
      const long long local = (col - col_lo) * n_rows + (row - row_lo);
      atomic_add(&sh_energy[local], e);
      atomicAdd(&sh_count[local], 1u);
    } else {
      const long long k = (n_freq - 1 - col) * n_frames + row;
      atomic_add(&energy_c[k], e);
      atomicAdd(&counts_c[k], 1ULL);
    }
  }
  __syncthreads();
  if (use_shared) {
    for (long long i = threadIdx.x; i < n_rows * n_cols; i += blockDim.x) {
      const unsigned int hits = sh_count[i];
      if (hits == 0u) continue;
      const long long col = col_lo + i / n_rows, row = row_lo + i % n_rows;
      const long long k = (n_freq - 1 - col) * n_frames + row;
      atomic_add(&energy_c[k], sh_energy[i]);
      atomicAdd(&counts_c[k], (unsigned long long)hits);
    }
  }
}

// Deterministic path, step 1: each point's histogram key (channel * image + bin) and energy;
// dropped points get key n_chan * image so that they sort last.
template <typename T>
__global__ void gate_keys(const T* __restrict__ filtered, const double* __restrict__ f0,
                          const double* __restrict__ sig, double tdeci, double noct, double minf,
                          double maxf, long long n_lines, long long n_chan, long long n,
                          long long n_freq, long long n_frames, long long* __restrict__ keys,
                          double* __restrict__ values) {
  const Grid grid{tdeci, noct, minf, maxf, n_freq, n_frames};
  const long long total = n_lines * n_chan * n;
  const long long plane = total * 2;
  const long long image = n_freq * n_frames;
  for (long long idx = (long long)blockIdx.x * blockDim.x + threadIdx.x; idx < total;
       idx += (long long)gridDim.x * blockDim.x) {
    const long long i = idx % n, bc = idx / n;
    const long long b = bc / n_chan, c = bc % n_chan;
    long long row, col;
    double e;
    if (reassign_point(filtered, plane, idx, i, n, f0[b], sig[b], grid, &row, &col, &e)) {
      keys[idx] = c * image + (n_freq - 1 - col) * n_frames + row;
      values[idx] = e;
    } else {
      keys[idx] = n_chan * image;
      values[idx] = 0.0;
    }
  }
}

// Deterministic path, step 2: one thread per run of equal keys (after a stable sort) sums
// its values in order and adds the total once; keys are unique per launch, so no atomics.
template <typename T>
__global__ void segment_sums(const long long* __restrict__ sorted_keys,
                             const T* __restrict__ sorted_values,
                             const long long* __restrict__ starts, long long n_runs,
                             long long n_points, long long dropped_key, T* __restrict__ energy,
                             unsigned long long* __restrict__ counts) {
  for (long long r = (long long)blockIdx.x * blockDim.x + threadIdx.x; r < n_runs;
       r += (long long)gridDim.x * blockDim.x) {
    const long long first = starts[r];
    const long long last = r + 1 < n_runs ? starts[r + 1] : n_points;
    if (first >= last) continue;  // past the last run (starts padded with n_points)
    const long long key = sorted_keys[first];
    if (key == dropped_key) continue;
    T sum = 0;
    for (long long i = first; i < last; ++i) sum += sorted_values[i];
    energy[key] += sum;
    counts[key] += (unsigned long long)(last - first);
  }
}
