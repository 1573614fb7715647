// Overlap-add of windowed frames, in gather form: one thread per output sample
// sums the (at most ceil(n_fft / hop)) frames that cover it.  No atomics, so the
// result is deterministic; consecutive threads read consecutive samples of a
// frame, so loads are coalesced.
//
// name_expressions: overlap_add<float> overlap_add<double>

template <typename T>
__global__ void overlap_add(const T* __restrict__ frames,  // (batch, n_frames, n_fft)
                            const T* __restrict__ window,  // (n_fft,)
                            T* __restrict__ out,           // (batch, length)
                            long long batch, long long n_frames, long long n_fft,
                            long long hop, long long start, long long length) {
  long long idx = (long long)blockIdx.x * blockDim.x + threadIdx.x;
  if (idx >= batch * length) return;
  long long b = idx / length;
  long long pos = idx - b * length + start;  // sample index in the full OLA signal
  // frames t with t*hop <= pos < t*hop + n_fft
  long long t_last = pos / hop;
  if (t_last > n_frames - 1) t_last = n_frames - 1;
  long long t_first = pos - n_fft + 1 <= 0 ? 0 : (pos - n_fft + hop) / hop;
  const T* fb = frames + b * n_frames * n_fft;
  T acc = 0;
  for (long long t = t_first; t <= t_last; ++t) {
    long long n = pos - t * hop;
    acc += window[n] * fb[t * n_fft + n];
  }
  out[idx] = acc;
}
