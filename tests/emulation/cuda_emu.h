// cuda_emu.h: compile a CUDA C++ source (.cu) unmodified as host C++20 and run its kernels
// on the CPU.  Test infrastructure of sigpu (tests/emulation/cuda_emu.py builds and launches
// through it); never part of the runtime package.  This header is what a .cu file sees; the
// launcher is cuda_emu_runtime.cpp, built once into a library that every kernel library
// links, so that a kernel build compiles little more than the kernels.
//
// Execution model
//   A launch spreads its blocks over a pool of OS threads ("workers"), so global-memory
//   atomics race for real.  A worker runs one block at a time, in one of two modes:
//   * direct: the block's threads run one after another to completion (kernels that never
//     call __syncthreads; no context switches, so this is the fast path);
//   * fibers: every thread of the block is a ucontext fiber and the worker switches between
//     them only at __syncthreads.  A "phase" runs each runnable fiber until it reaches a
//     barrier or exits; at the end of a phase every fiber must be waiting at the same
//     barrier, or all must have exited (CUDA: a barrier that not every thread of the block
//     reaches is undefined behaviour; here it is a reported error).
//   __shared__ is `static thread_local`: one copy per worker, i.e. per block in flight.
//   With a nonzero seed the block order, the thread order (direct) and the fiber order in
//   every phase are seeded permutations, so a result that depends on the schedule changes
//   from seed to seed.
//
// __CUDA_ARCH__ is deliberately left undefined: device code written for the host pass of
// nvcc (and sm_60+ code paths such as native double atomicAdd) is what compiles here.
//
// Not emulated: warp-synchronous execution (warp shuffles, votes and __syncwarp abort with a
// message), the GPU's weak memory model (x86 is strongly ordered, and fibers switch only at
// barriers, so races between two barriers are invisible), dynamic shared memory, streams,
// textures, and CUDA's own math library (host libm differs in the last ulp).
#pragma once

#include <atomic>
#include <bit>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <string>
#include <type_traits>
#include <utility>

// ---- CUDA keywords ----------------------------------------------------------------------
#define __global__
#define __device__
#define __host__
#define __forceinline__ inline
#define __noinline__ __attribute__((noinline))
#define __launch_bounds__(...)
#define __shared__ static thread_local
#define __constant__ static
// __restrict__ is a GCC keyword already.

struct uint3 {
  unsigned int x, y, z;
};

struct dim3 {
  unsigned int x, y, z;
  constexpr dim3(unsigned int x_ = 1, unsigned int y_ = 1, unsigned int z_ = 1)
      : x(x_), y(y_), z(z_) {}
};

// Defined in the runtime library: one set for every kernel library of the process.
namespace emu {
extern thread_local uint3 thread_index;
extern thread_local uint3 block_index;
extern thread_local dim3 block_size;
extern thread_local dim3 grid_size;
[[noreturn]] void fatal(const char* what, int line);
[[noreturn]] unsigned warp_level(const char* what, int line);
void syncthreads(int line, int site);
}  // namespace emu

#define threadIdx (::emu::thread_index)
#define blockIdx (::emu::block_index)
#define blockDim (::emu::block_size)
#define gridDim (::emu::grid_size)
#define warpSize 32
// __COUNTER__ tells two textually different barriers apart (one site per source location,
// shared by every template instantiation and loop iteration of that location).
#define __syncthreads() ::emu::syncthreads(__LINE__, __COUNTER__)
#define __syncwarp(...) ::emu::warp_level("__syncwarp", __LINE__)
#define __shfl_sync(...) ::emu::warp_level("__shfl_sync", __LINE__)
#define __shfl_down_sync(...) ::emu::warp_level("__shfl_down_sync", __LINE__)
#define __shfl_up_sync(...) ::emu::warp_level("__shfl_up_sync", __LINE__)
#define __shfl_xor_sync(...) ::emu::warp_level("__shfl_xor_sync", __LINE__)
#define __ballot_sync(...) ::emu::warp_level("__ballot_sync", __LINE__)
#define __any_sync(...) ::emu::warp_level("__any_sync", __LINE__)
#define __all_sync(...) ::emu::warp_level("__all_sync", __LINE__)
#define __activemask() ::emu::warp_level("__activemask", __LINE__)
#define __threadfence() std::atomic_thread_fence(std::memory_order_seq_cst)
#define __threadfence_block() std::atomic_thread_fence(std::memory_order_seq_cst)

template <class T>
inline T __ldg(const T* p) {
  return *p;
}

// ---- reinterpretation intrinsics ------------------------------------------------------------
inline long long __double_as_longlong(double x) { return std::bit_cast<long long>(x); }
inline double __longlong_as_double(long long x) { return std::bit_cast<double>(x); }
inline int __float_as_int(float x) { return std::bit_cast<int>(x); }
inline float __int_as_float(int x) { return std::bit_cast<float>(x); }
inline unsigned int __float_as_uint(float x) { return std::bit_cast<unsigned int>(x); }
inline float __uint_as_float(unsigned int x) { return std::bit_cast<float>(x); }

// ---- device math: the global-namespace overloads CUDA provides --------------------------
// (glibc already declares the C functions expf, log2f, ...; these add the float and double
// overloads of the unsuffixed names that CUDA device code may call.)
using std::abs;
using std::cbrt;
using std::ceil;
using std::copysign;
using std::cos;
using std::exp;
using std::exp2;
using std::fabs;
using std::floor;
using std::fma;
using std::fmax;
using std::fmin;
using std::fmod;
using std::hypot;
using std::isfinite;
using std::isinf;
using std::isnan;
using std::log;
using std::log10;
using std::log2;
using std::pow;
using std::round;
using std::sin;
using std::sqrt;
using std::trunc;
inline double rsqrt(double x) { return 1.0 / std::sqrt(x); }
inline float rsqrtf(float x) { return 1.0f / std::sqrt(x); }

// CUDA's min/max: one overload per type.  A mixed call (int and long long) is ambiguous
// here, which is stricter than nvcc and so flags surprising mixes of widths.
#define EMU_MIN_MAX(T)                              \
  inline T min(T a, T b) { return a < b ? a : b; } \
  inline T max(T a, T b) { return a < b ? b : a; }
EMU_MIN_MAX(int)
EMU_MIN_MAX(unsigned int)
EMU_MIN_MAX(long)
EMU_MIN_MAX(unsigned long)
EMU_MIN_MAX(long long)
EMU_MIN_MAX(unsigned long long)
#undef EMU_MIN_MAX
inline float min(float a, float b) { return std::fmin(a, b); }
inline float max(float a, float b) { return std::fmax(a, b); }
inline double min(double a, double b) { return std::fmin(a, b); }
inline double max(double a, double b) { return std::fmax(a, b); }

// ---- atomics ------------------------------------------------------------------------------
// Exactly CUDA's overload sets (sm_60+), not templates: a call that NVRTC would reject, such
// as atomicAdd on long long, fails to compile here too.  std::atomic_ref works on global and
// on __shared__ memory alike.
namespace emu {
template <class T>
inline std::atomic_ref<T> atomic(T* address) {
  return std::atomic_ref<T>(*address);
}
template <class T>
inline T fetch_max(T* address, T value) {
  auto a = atomic(address);
  T old = a.load();
  while (old < value && !a.compare_exchange_weak(old, value)) {
  }
  return old;
}
template <class T>
inline T fetch_min(T* address, T value) {
  auto a = atomic(address);
  T old = a.load();
  while (value < old && !a.compare_exchange_weak(old, value)) {
  }
  return old;
}
}  // namespace emu

#define EMU_ATOMIC(NAME, T, EXPR) \
  inline T NAME(T* address, T value) { return EXPR; }
#define EMU_ADD(T) EMU_ATOMIC(atomicAdd, T, ::emu::atomic(address).fetch_add(value))
#define EMU_SUB(T) EMU_ATOMIC(atomicSub, T, ::emu::atomic(address).fetch_sub(value))
#define EMU_EXCH(T) EMU_ATOMIC(atomicExch, T, ::emu::atomic(address).exchange(value))
#define EMU_MAX(T) EMU_ATOMIC(atomicMax, T, ::emu::fetch_max(address, value))
#define EMU_MIN(T) EMU_ATOMIC(atomicMin, T, ::emu::fetch_min(address, value))
#define EMU_AND(T) EMU_ATOMIC(atomicAnd, T, ::emu::atomic(address).fetch_and(value))
#define EMU_OR(T) EMU_ATOMIC(atomicOr, T, ::emu::atomic(address).fetch_or(value))
#define EMU_XOR(T) EMU_ATOMIC(atomicXor, T, ::emu::atomic(address).fetch_xor(value))
EMU_ADD(int)
EMU_ADD(unsigned int)
EMU_ADD(unsigned long long)
EMU_ADD(float)
EMU_ADD(double)
EMU_SUB(int)
EMU_SUB(unsigned int)
EMU_EXCH(int)
EMU_EXCH(unsigned int)
EMU_EXCH(unsigned long long)
EMU_EXCH(float)
EMU_MAX(int)
EMU_MAX(unsigned int)
EMU_MAX(long long)
EMU_MAX(unsigned long long)
EMU_MIN(int)
EMU_MIN(unsigned int)
EMU_MIN(long long)
EMU_MIN(unsigned long long)
EMU_AND(int)
EMU_AND(unsigned int)
EMU_AND(unsigned long long)
EMU_OR(int)
EMU_OR(unsigned int)
EMU_OR(unsigned long long)
EMU_XOR(int)
EMU_XOR(unsigned int)
EMU_XOR(unsigned long long)
#undef EMU_ADD
#undef EMU_SUB
#undef EMU_EXCH
#undef EMU_MAX
#undef EMU_MIN
#undef EMU_AND
#undef EMU_OR
#undef EMU_XOR
#undef EMU_ATOMIC

#define EMU_CAS(T)                                                    \
  inline T atomicCAS(T* address, T compare, T value) {                \
    ::emu::atomic(address).compare_exchange_strong(compare, value);   \
    return compare; /* the old value, whether or not it was swapped */ \
  }
EMU_CAS(int)
EMU_CAS(unsigned int)
EMU_CAS(unsigned long long)
EMU_CAS(unsigned short)
#undef EMU_CAS

// ---- launching ----------------------------------------------------------------------
namespace emu {

struct Options {
  int use_fibers;  // 1: the kernel may call __syncthreads
  unsigned seed;   // 0: in-order schedule; otherwise seeded permutations
  int workers;     // OS threads; 0: one per hardware thread
};

template <class... P>
constexpr size_t signature_size(void (*)(P...)) {
  return sizeof...(P);
}

// cuLaunchKernel-style parameters: argv[i] points at the value of parameter i.
template <class... P, size_t... I>
inline void call_unpacked(void (*kernel)(P...), void** argv, std::index_sequence<I...>) {
  kernel(*static_cast<std::remove_cv_t<std::remove_reference_t<P>>*>(argv[I])...);
}

// One kernel instantiation behind a plain function pointer, which is all the launcher in
// the runtime library needs of it.
template <auto kernel>
void call(void** argv) {
  call_unpacked(kernel, argv, std::make_index_sequence<signature_size(kernel)>{});
}

// Runs kernel_call(argv) once per thread of the grid (cuda_emu_runtime.cpp); returns the
// number of errors reported, the first few of them in `message`.  The Python side has
// checked the configuration (nonzero, within CUDA's limits).
long long launch(void (*kernel_call)(void**), dim3 grid, dim3 block, void** argv,
                 Options options, char* message, size_t message_size);

// ---- parameter types, for the Python side's argument checks -----------------------------
template <class T>
struct TypeName;
#define EMU_TYPE_NAME(T, NAME) \
  template <>                  \
  struct TypeName<T> {         \
    static constexpr const char* name = NAME; \
  };
EMU_TYPE_NAME(bool, "bool")
EMU_TYPE_NAME(signed char, "int8")
EMU_TYPE_NAME(unsigned char, "uint8")
EMU_TYPE_NAME(short, "int16")
EMU_TYPE_NAME(unsigned short, "uint16")
EMU_TYPE_NAME(int, "int32")
EMU_TYPE_NAME(unsigned int, "uint32")
EMU_TYPE_NAME(long, "int64")
EMU_TYPE_NAME(unsigned long, "uint64")
EMU_TYPE_NAME(long long, "int64")
EMU_TYPE_NAME(unsigned long long, "uint64")
EMU_TYPE_NAME(float, "float32")
EMU_TYPE_NAME(double, "float64")
#undef EMU_TYPE_NAME

// "float32", "const float64*", "uint64*", or "struct<bytes>" for anything else.
template <class P>
std::string parameter_type() {
  using Q = std::remove_cv_t<P>;
  if constexpr (std::is_pointer_v<Q>) {
    using E = std::remove_pointer_t<Q>;
    if constexpr (std::is_arithmetic_v<std::remove_cv_t<E>>)
      return std::string(std::is_const_v<E> ? "const " : "") +
             TypeName<std::remove_cv_t<E>>::name + "*";
    else
      return "struct*";
  } else if constexpr (std::is_arithmetic_v<Q>) {
    return TypeName<Q>::name;
  } else {
    return "struct" + std::to_string(sizeof(Q));
  }
}

template <class... P>
std::string signature(void (*)(P...)) {
  std::string s;
  ((s += parameter_type<P>() + ","), ...);
  if (!s.empty()) s.pop_back();
  return s;
}

}  // namespace emu

// One C entry point pair per instantiation: EMU_EXPORT(3, overlap_add<float>).
#define EMU_EXPORT(ID, ...)                                                                   \
  extern "C" long long emu_launch_##ID(unsigned gx, unsigned gy, unsigned gz, unsigned bx,    \
                                       unsigned by, unsigned bz, void** argv, int use_fibers, \
                                       unsigned seed, int workers, char* message,             \
                                       size_t message_size) {                                 \
    return ::emu::launch(&::emu::call<&__VA_ARGS__>, dim3(gx, gy, gz), dim3(bx, by, bz), argv, \
                         ::emu::Options{use_fibers, seed, workers}, message, message_size);   \
  }                                                                                           \
  extern "C" const char* emu_signature_##ID() {                                              \
    static const std::string s = ::emu::signature(&__VA_ARGS__);                             \
    return s.c_str();                                                                         \
  }
