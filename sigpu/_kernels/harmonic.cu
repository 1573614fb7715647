// Harmonic lowering and its transpose (see sigpu/_harmonic_tables.py for the tables).
//
// harmonic_lower: one thread per element of the time-padded lowered tensor
//   out[n, c*K + k, f, pad + t] = w_lo[k,f] * x[n, c, lo[k,f], t] + w_hi[k,f] * x[n, c, hi[k,f], t]
// (zeros in the pads).  Consecutive threads walk t, so reads of x and writes of out coalesce.
// Zero weights are skipped, so non-finite bins only reach taps that read them.
//
// harmonic_lower_adjoint_gather: one thread per input element (n, c, m, t) sums the entries of
// bin m (CSR by m) in table order: deterministic, no atomics.
//
// harmonic_lower_adjoint_scatter: one thread per lowered element adds into the two bins it was
// read from with atomicAdd (order of float sums not reproducible; behind deterministic=False).
//
// name_expressions: harmonic_lower<float> harmonic_lower<double>
// name_expressions: harmonic_lower_adjoint_gather<float> harmonic_lower_adjoint_gather<double>
// name_expressions: harmonic_lower_adjoint_scatter<float> harmonic_lower_adjoint_scatter<double>

// Double-precision atomicAdd is native from compute capability 6.0 (Pascal).  sigpu supports
// 5.0 and up (CUDA 12's oldest target): there it is the compare-and-swap loop of the CUDA C++
// Programming Guide ("Atomic Functions"), which compares bits, so a NaN cannot make it spin.
// SIGPU_ATOMIC_ADD_CAS forces the loop everywhere, so that the tests run it too (the CPU
// emulation leaves __CUDA_ARCH__ undefined).  reassign.cu has the same helper: NVRTC compiles
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

__device__ __forceinline__ float atomic_add(float* address, float value) {
  return atomicAdd(address, value);
}

// Lowered channel of (input channel c, harmonic index k): c*K + k ("textile"), or with
// stack_groups = G > 0 harmonic-major inside each group, g*C_g*K + k*C_g + c_g.
__device__ __forceinline__ long long lowered_channel(long long c, long long k, long long n_chan,
                                                     long long n_harm, long long stack_groups) {
  if (stack_groups == 0) return c * n_harm + k;
  long long c_g = n_chan / stack_groups;
  long long g = c / c_g;
  return (g * n_harm + k) * c_g + (c - g * c_g);
}

template <typename T>
__global__ void harmonic_lower(const T* __restrict__ x,      // (N, C, F, T)
                               const int* __restrict__ lo,   // (K, F_out)
                               const int* __restrict__ hi,   // (K, F_out)
                               const T* __restrict__ w_lo,   // (K, F_out)
                               const T* __restrict__ w_hi,   // (K, F_out)
                               T* __restrict__ out,          // (N, C*K, F_out, T + 2*pad)
                               long long n_batch, long long n_chan, long long n_harm,
                               long long n_freq, long long n_time, long long n_out,
                               long long pad, long long stack_groups) {
  long long row_len = n_time + 2 * pad;
  long long total = n_batch * n_chan * n_harm * n_out * row_len;
  long long idx = (long long)blockIdx.x * blockDim.x + threadIdx.x;
  if (idx >= total) return;
  long long tp = idx % row_len;
  long long rest = idx / row_len;
  long long f = rest % n_out;
  rest /= n_out;
  long long l = rest % (n_chan * n_harm);  // lowered channel
  long long n = rest / (n_chan * n_harm);
  long long c, k;
  if (stack_groups == 0) {
    c = l / n_harm;
    k = l % n_harm;
  } else {
    long long c_g = n_chan / stack_groups;
    long long g = l / (c_g * n_harm);
    long long r = l - g * c_g * n_harm;
    k = r / c_g;
    c = g * c_g + r % c_g;
  }
  long long nc = n * n_chan + c;
  long long t = tp - pad;
  T value = 0;
  if (t >= 0 && t < n_time) {
    long long tab = k * n_out + f;
    const T* col = x + nc * n_freq * n_time + t;
    T a = w_lo[tab];
    T b = w_hi[tab];
    if (a != T(0)) value = a * col[(long long)lo[tab] * n_time];
    if (b != T(0)) value += b * col[(long long)hi[tab] * n_time];
  }
  out[idx] = value;
}

template <typename T>
__global__ void harmonic_lower_adjoint_gather(const T* __restrict__ g,  // (N, C*K, F_out, T)
                                              const int* __restrict__ indptr,  // (F + 1,)
                                              const int* __restrict__ src_k,   // (nnz,)
                                              const int* __restrict__ src_f,   // (nnz,)
                                              const T* __restrict__ weight,    // (nnz,)
                                              T* __restrict__ out,             // (N, C, F, T)
                                              long long n_batch, long long n_chan,
                                              long long n_harm, long long n_freq,
                                              long long n_time, long long n_out,
                                              long long stack_groups) {
  long long total = n_batch * n_chan * n_freq * n_time;
  long long idx = (long long)blockIdx.x * blockDim.x + threadIdx.x;
  if (idx >= total) return;
  long long t = idx % n_time;
  long long rest = idx / n_time;
  long long m = rest % n_freq;
  long long nc = rest / n_freq;  // n * n_chan + c
  long long n = nc / n_chan;
  long long c = nc - n * n_chan;
  const T* base = g + n * n_chan * n_harm * n_out * n_time + t;
  T acc = 0;
  for (int e = indptr[m]; e < indptr[m + 1]; ++e) {
    long long l = lowered_channel(c, src_k[e], n_chan, n_harm, stack_groups);
    acc += weight[e] * base[(l * n_out + src_f[e]) * n_time];
  }
  out[idx] = acc;
}

template <typename T>
__global__ void harmonic_lower_adjoint_scatter(const T* __restrict__ g,     // (N, C*K, F_out, T)
                                               const int* __restrict__ lo,  // (K, F_out)
                                               const int* __restrict__ hi,  // (K, F_out)
                                               const T* __restrict__ w_lo,  // (K, F_out)
                                               const T* __restrict__ w_hi,  // (K, F_out)
                                               T* __restrict__ out,  // (N, C, F, T), zeroed
                                               long long n_batch, long long n_chan,
                                               long long n_harm, long long n_freq,
                                               long long n_time, long long n_out,
                                               long long stack_groups) {
  long long total = n_batch * n_chan * n_harm * n_out * n_time;
  long long idx = (long long)blockIdx.x * blockDim.x + threadIdx.x;
  if (idx >= total) return;
  long long t = idx % n_time;
  long long rest = idx / n_time;
  long long f = rest % n_out;
  rest /= n_out;
  long long l = rest % (n_chan * n_harm);  // lowered channel of this thread's element
  long long n = rest / (n_chan * n_harm);
  long long c, k;
  if (stack_groups == 0) {
    c = l / n_harm;
    k = l % n_harm;
  } else {
    long long c_g = n_chan / stack_groups;
    long long g = l / (c_g * n_harm);
    long long r = l - g * c_g * n_harm;
    k = r / c_g;
    c = g * c_g + r % c_g;
  }
  long long nc = n * n_chan + c;
  long long tab = k * n_out + f;
  T v = g[idx];
  T* col = out + nc * n_freq * n_time + t;
  T a = w_lo[tab];
  T b = w_hi[tab];
  if (a != T(0)) atomic_add(col + (long long)lo[tab] * n_time, a * v);
  if (b != T(0)) atomic_add(col + (long long)hi[tab] * n_time, b * v);
}
