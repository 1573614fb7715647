// cuda_emu.h: compile a CUDA C++ source (.cu) unmodified as host C++20 and run its kernels
// on the CPU.  Test infrastructure of sigpu (tests/emulation/cuda_emu.py builds and launches
// through it); never part of the runtime package.
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

#include <ucontext.h>
#include <sys/mman.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <bit>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <mutex>
#include <random>
#include <string>
#include <thread>
#include <type_traits>
#include <utility>
#include <vector>

#if defined(__SANITIZE_ADDRESS__)
#include <sanitizer/common_interface_defs.h>
#define EMU_ASAN 1
#else
#define EMU_ASAN 0
#endif

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

namespace emu {
inline thread_local uint3 thread_index{0, 0, 0};
inline thread_local uint3 block_index{0, 0, 0};
inline thread_local dim3 block_size{1, 1, 1};
inline thread_local dim3 grid_size{1, 1, 1};
[[noreturn]] inline void fatal(const char* what, int line);
[[noreturn]] inline unsigned warp_level(const char* what, int line);
inline void syncthreads(int line, int site);
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

// ---- the launcher -----------------------------------------------------------------------
namespace emu {

// Errors of one launch, from any worker: counted, and the first few kept for the message
// the Python side raises.
struct Report {
  std::mutex mutex;
  std::string text;
  long long count = 0;

  void add(const std::string& message) {
    std::lock_guard<std::mutex> lock(mutex);
    if (++count <= 8) text += (text.empty() ? "" : "\n") + message;
  }
};

struct Fiber {
  ucontext_t context;
  char* stack = nullptr;  // usable part of the mapping, above its guard page
  uint3 index{0, 0, 0};
  enum State { runnable, at_barrier, exited } state = runnable;
  int line = -1;  // source line and call site of the barrier it waits at
  int site = -1;
  void* fake_stack = nullptr;  // ASan's bookkeeping while switched out
};

// One worker's state: the fibers of the block it runs and the kernel call they execute.
struct Worker {
  ucontext_t scheduler;
  std::vector<Fiber> fibers;
  char* stacks = nullptr;  // one mapping for every fiber stack
  size_t stacks_bytes = 0;
  bool use_fibers = false;
  bool shuffle = false;
  std::mt19937 rng;
  std::function<void()> body;  // the kernel applied to this launch's arguments
  Report* report = nullptr;
  void* scheduler_fake_stack = nullptr;
  const void* scheduler_stack_bottom = nullptr;
  size_t scheduler_stack_size = 0;

  ~Worker() {
    if (stacks) munmap(stacks, stacks_bytes);
  }
};

inline thread_local Worker* current_worker = nullptr;
inline thread_local Fiber* current_fiber = nullptr;

// 256 KiB per fiber (kernels keep little on the stack, but libm and printf want some), each
// below a PROT_NONE page, so an overflow faults instead of corrupting the next fiber.
constexpr size_t fiber_stack_bytes = 256 * 1024;

[[noreturn]] inline void fatal(const char* what, int line) {
  std::fprintf(stderr, "cuda_emu: %s (kernel source line %d)\n", what, line);
  std::fflush(stderr);
  std::abort();
}

[[noreturn]] inline unsigned warp_level(const char* what, int line) {
  std::fprintf(stderr, "cuda_emu: %s is not emulated (warp-level; kernel source line %d)\n",
               what, line);
  std::fflush(stderr);
  std::abort();
}

inline void switch_to_scheduler(Worker& worker, Fiber& fiber, bool exiting) {
#if EMU_ASAN
  // an exiting fiber's stack is dead: nullptr tells ASan to drop its fake stack
  __sanitizer_start_switch_fiber(exiting ? nullptr : &fiber.fake_stack,
                                 worker.scheduler_stack_bottom, worker.scheduler_stack_size);
#else
  (void)exiting;
#endif
  swapcontext(&fiber.context, &worker.scheduler);
#if EMU_ASAN
  __sanitizer_finish_switch_fiber(fiber.fake_stack, nullptr, nullptr);
#endif
}

inline void syncthreads(int line, int site) {
  Worker* worker = current_worker;
  if (!worker || !worker->use_fibers)
    fatal("__syncthreads() in a kernel launched without fibers (the Python side did not see "
          "a barrier in this kernel's source)",
          line);
  Fiber* fiber = current_fiber;
  fiber->state = Fiber::at_barrier;
  fiber->line = line;
  fiber->site = site;
  switch_to_scheduler(*worker, *fiber, false);
  thread_index = fiber->index;  // resumed: this fiber's thread index again
}

// makecontext passes int-sized arguments only, so the Fiber pointer travels in two halves.
inline void fiber_main(unsigned low, unsigned high) {
  Fiber* fiber = reinterpret_cast<Fiber*>((static_cast<uintptr_t>(high) << 32) | low);
  Worker* worker = current_worker;
#if EMU_ASAN
  __sanitizer_finish_switch_fiber(nullptr, &worker->scheduler_stack_bottom,
                                  &worker->scheduler_stack_size);
#endif
  thread_index = fiber->index;
  worker->body();
  fiber->state = Fiber::exited;
  switch_to_scheduler(*worker, *fiber, true);  // never resumed
}

inline uint3 unflatten(unsigned long long i, const dim3& d) {
  return uint3{unsigned(i % d.x), unsigned((i / d.x) % d.y),
               unsigned(i / ((unsigned long long)d.x * d.y))};
}

inline void prepare_fibers(Worker& worker, unsigned n_threads) {
  const size_t page = size_t(sysconf(_SC_PAGESIZE));
  const size_t per_fiber = fiber_stack_bytes + page;
  if (worker.stacks_bytes < per_fiber * n_threads) {
    if (worker.stacks) munmap(worker.stacks, worker.stacks_bytes);
    worker.stacks_bytes = per_fiber * n_threads;
    void* map = mmap(nullptr, worker.stacks_bytes, PROT_READ | PROT_WRITE,
                     MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (map == MAP_FAILED) fatal("could not map the fiber stacks", __LINE__);
    worker.stacks = static_cast<char*>(map);
    for (unsigned i = 0; i < n_threads; ++i)
      mprotect(worker.stacks + i * per_fiber, page, PROT_NONE);  // guard below each stack
  }
  worker.fibers.resize(n_threads);
  for (unsigned i = 0; i < n_threads; ++i)
    worker.fibers[i].stack = worker.stacks + i * per_fiber + page;
}

// Runs one block as fibers, phase by phase, and reports barriers that not every thread
// reaches together.
inline void run_block_as_fibers(Worker& worker, const dim3& block) {
  const unsigned n = block.x * block.y * block.z;
  prepare_fibers(worker, n);
  for (unsigned i = 0; i < n; ++i) {
    Fiber& fiber = worker.fibers[i];
    fiber.index = unflatten(i, block);
    fiber.state = Fiber::runnable;
    fiber.line = fiber.site = -1;
    getcontext(&fiber.context);
    fiber.context.uc_stack.ss_sp = fiber.stack;
    fiber.context.uc_stack.ss_size = fiber_stack_bytes;
    fiber.context.uc_link = nullptr;
    const uintptr_t address = reinterpret_cast<uintptr_t>(&fiber);
    makecontext(&fiber.context, reinterpret_cast<void (*)()>(fiber_main), 2,
                unsigned(address & 0xffffffffu), unsigned(address >> 32));
  }
  std::vector<unsigned> order(n);
  for (unsigned i = 0; i < n; ++i) order[i] = i;
  for (;;) {
    if (worker.shuffle) std::shuffle(order.begin(), order.end(), worker.rng);
    for (unsigned i : order) {
      Fiber& fiber = worker.fibers[i];
      if (fiber.state != Fiber::runnable) continue;
      current_fiber = &fiber;
#if EMU_ASAN
      __sanitizer_start_switch_fiber(&worker.scheduler_fake_stack, fiber.stack,
                                     fiber_stack_bytes);
#endif
      swapcontext(&worker.scheduler, &fiber.context);
#if EMU_ASAN
      __sanitizer_finish_switch_fiber(worker.scheduler_fake_stack, nullptr, nullptr);
#endif
    }
    current_fiber = nullptr;
    unsigned waiting = 0, exited = 0;
    const Fiber* first_waiting = nullptr;
    const Fiber* other_site = nullptr;
    for (const Fiber& fiber : worker.fibers) {
      if (fiber.state == Fiber::exited) {
        ++exited;
      } else if (fiber.state == Fiber::at_barrier) {
        ++waiting;
        if (!first_waiting) first_waiting = &fiber;
        else if (fiber.site != first_waiting->site && !other_site) other_site = &fiber;
      }
    }
    if (waiting == 0) return;
    char message[320];
    if (exited) {
      std::snprintf(message, sizeof message,
                    "divergent __syncthreads (line %d): in block (%u,%u,%u) %u threads wait at "
                    "the barrier and %u have exited",
                    first_waiting->line, blockIdx.x, blockIdx.y, blockIdx.z, waiting, exited);
      worker.report->add(message);
    }
    if (other_site) {
      std::snprintf(message, sizeof message,
                    "divergent __syncthreads: in block (%u,%u,%u) threads wait at different "
                    "__syncthreads() calls (lines %d and %d)",
                    blockIdx.x, blockIdx.y, blockIdx.z, first_waiting->line, other_site->line);
      worker.report->add(message);
    }
    // release everyone and carry on, so that the launch finishes and reports once per block
    for (Fiber& fiber : worker.fibers)
      if (fiber.state == Fiber::at_barrier) fiber.state = Fiber::runnable;
  }
}

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

// One kernel instantiation behind a plain function pointer: the launcher below is then
// compiled once per library instead of once per instantiation (most of the build time).
template <auto kernel>
void call(void** argv) {
  call_unpacked(kernel, argv, std::make_index_sequence<signature_size(kernel)>{});
}

// The Python side has checked the configuration (nonzero, within CUDA's limits).
inline long long launch(void (*kernel_call)(void**), dim3 grid, dim3 block, void** argv,
                        Options options, char* message, size_t message_size) {
  const unsigned long long n_blocks = (unsigned long long)grid.x * grid.y * grid.z;
  const unsigned n_threads = block.x * block.y * block.z;
  unsigned long long n_workers =
      options.workers > 0 ? unsigned(options.workers) : std::thread::hardware_concurrency();
  n_workers = std::clamp<unsigned long long>(n_workers, 1, n_blocks);
  std::vector<unsigned long long> block_order;
  if (options.seed) {
    block_order.resize(n_blocks);
    for (unsigned long long i = 0; i < n_blocks; ++i) block_order[i] = i;
    std::mt19937_64 rng(options.seed);
    std::shuffle(block_order.begin(), block_order.end(), rng);
  }
  Report report;
  std::atomic<unsigned long long> next_block{0};
  auto work = [&](unsigned worker_id) {
    Worker worker;
    worker.use_fibers = options.use_fibers != 0;
    worker.shuffle = options.seed != 0;
    worker.rng.seed(options.seed * 7919u + worker_id);
    worker.report = &report;
    worker.body = [&]() { kernel_call(argv); };
    current_worker = &worker;
    block_size = block;
    grid_size = grid;
    std::vector<unsigned> thread_order(n_threads);
    for (unsigned i = 0; i < n_threads; ++i) thread_order[i] = i;
    for (;;) {
      const unsigned long long i = next_block.fetch_add(1);
      if (i >= n_blocks) break;
      block_index = unflatten(options.seed ? block_order[i] : i, grid);
      if (worker.use_fibers) {
        run_block_as_fibers(worker, block);
        continue;
      }
      if (worker.shuffle) std::shuffle(thread_order.begin(), thread_order.end(), worker.rng);
      for (unsigned t : thread_order) {
        thread_index = unflatten(t, block);
        worker.body();
      }
    }
    current_worker = nullptr;
  };
  if (n_workers == 1) {
    work(0);
  } else {
    std::vector<std::thread> pool;
    for (unsigned w = 0; w < n_workers; ++w) pool.emplace_back(work, w);
    for (std::thread& t : pool) t.join();
  }
  if (message_size) {
    std::snprintf(message, message_size, "%s", report.text.c_str());
  }
  return report.count;
}

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
