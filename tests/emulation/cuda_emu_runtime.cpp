// cuda_emu_runtime.cpp: the launcher of the CUDA emulation (the model is described in
// cuda_emu.h): worker threads, fibers for kernels with barriers, the barrier-divergence
// checks and the seeded schedules.  cuda_emu.py builds it once per set of compiler flags
// into a library that each kernel library links.
#include "cuda_emu.h"

#include <sys/mman.h>
#include <ucontext.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <mutex>
#include <random>
#include <thread>
#include <vector>

#if defined(__SANITIZE_ADDRESS__)
#include <sanitizer/common_interface_defs.h>
#define EMU_ASAN 1
#else
#define EMU_ASAN 0
#endif

namespace emu {

thread_local uint3 thread_index{0, 0, 0};
thread_local uint3 block_index{0, 0, 0};
thread_local dim3 block_size{1, 1, 1};
thread_local dim3 grid_size{1, 1, 1};

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

[[noreturn]] void fatal(const char* what, int line) {
  std::fprintf(stderr, "cuda_emu: %s (kernel source line %d)\n", what, line);
  std::fflush(stderr);
  std::abort();
}

[[noreturn]] unsigned warp_level(const char* what, int line) {
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

void syncthreads(int line, int site) {
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

long long launch(void (*kernel_call)(void**), dim3 grid, dim3 block, void** argv,
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

}  // namespace emu
