// Phase accumulation of the phase vocoder: out[t + 1] = T(out[t] + increment[t]), the sum
// taken in double and rounded to T at every step, as NumPy's in-place
// ``phase_acc += increment`` does for a float32 accumulator and float64 increments.
// One thread per row; the arrays are time-major (t, row), so a warp's loads are coalesced.
//
// name_expressions: accumulate_rounded<float> accumulate_rounded<double>

template <typename T>
__global__ void accumulate_rounded(const T* __restrict__ start,         // (rows,)
                                   const double* __restrict__ increment,  // (n_steps - 1, rows)
                                   T* __restrict__ out,                   // (n_steps, rows)
                                   long long rows, long long n_steps) {
  long long row = (long long)blockIdx.x * blockDim.x + threadIdx.x;
  if (row >= rows) return;
  T acc = start[row];
  for (long long t = 0; t < n_steps; ++t) {
    out[t * rows + row] = acc;
    if (t + 1 < n_steps) acc = (T)((double)acc + increment[t * rows + row]);
  }
}
