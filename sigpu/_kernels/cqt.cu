// name_expressions: decimate2<float> decimate2<double>
// Half-band decimation by two (see cqt_numba.decimate2 for the contract).

template <typename T>
__global__ void decimate2(const T* __restrict__ x, const T* __restrict__ odd_taps,
                          const T centre, T* __restrict__ out, const long long batch,
                          const long long n, const long long n_out, const long long n_taps) {
    const long long idx = (long long)blockIdx.x * blockDim.x + threadIdx.x;
    if (idx >= batch * n_out) return;
    const long long b = idx / n_out;
    const long long m = idx - b * n_out;
    const T* row = x + b * n;
    const long long i = 2 * m;
    T acc = centre * row[i];
    for (long long k = 0; k < n_taps; ++k) {
        const long long d = 2 * k + 1;
        const T left = (i - d >= 0) ? row[i - d] : T(0);
        const T right = (i + d < n) ? row[i + d] : T(0);
        acc += odd_taps[k] * (left + right);
    }
    out[idx] = acc;
}
