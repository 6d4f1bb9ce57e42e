#include "thread_pool.h"

#include <sched.h>
#include <unistd.h>

namespace tern {
namespace {

// About 50 to 100 microseconds of spinning: longer than the generated code between two kernel calls
// of one token, so a decode never pays for a wake-up; short enough that an idle model sleeps.
constexpr int kSpinsBeforeSleep = 20000;
// The caller waiting for tasks that workers hold yields now and then: on a machine with more
// runnable threads than CPUs, the worker may need this CPU to finish.
constexpr int kSpinsBeforeYield = 2000;

inline void cpuRelax() {
#if defined(__x86_64__) || defined(__i386__)
  __builtin_ia32_pause();
#elif defined(__aarch64__)
  asm volatile("yield");
#endif
}

}  // namespace

int ThreadPool::availableCpus() {
  cpu_set_t set;
  if (sched_getaffinity(0, sizeof set, &set) == 0) {
    int n = CPU_COUNT(&set);
    if (n > 0) return n;
  }
  long n = sysconf(_SC_NPROCESSORS_ONLN);
  return n > 0 ? static_cast<int>(n) : 1;
}

ThreadPool::ThreadPool(int threads) {
  for (int i = 1; i < threads; ++i) workers_.emplace_back([this] { workerLoop(); });
}

ThreadPool::~ThreadPool() {
  {
    std::lock_guard<std::mutex> lock(sleepMutex_);
    stop_.store(true);
    // A new generation with no tasks wakes every worker, which then sees stop_.
    job_.store((lastGeneration_ + 1) << (2 * kTaskBits));
  }
  wake_.notify_all();
  for (std::thread &worker : workers_) worker.join();
}

void ThreadPool::runTasks(uint64_t generation) {
  uint64_t word = job_.load(std::memory_order_acquire);
  for (;;) {
    const uint64_t next = word & kTaskMask, count = (word >> kTaskBits) & kTaskMask;
    if (generationOf(word) != generation || next >= count) return;
    if (!job_.compare_exchange_weak(word, word + 1, std::memory_order_acq_rel,
                                    std::memory_order_acquire))
      continue;  // `word` now holds the current value
    fn_(context_, static_cast<int64_t>(next));
    done_.fetch_add(1, std::memory_order_release);
    word = job_.load(std::memory_order_acquire);
  }
}

void ThreadPool::run(int64_t tasks, TaskFn fn, void *context) {
  std::unique_lock<std::mutex> busy(busy_, std::try_to_lock);
  if (workers_.empty() || !busy.owns_lock() || tasks <= 1 || tasks > kMaxTasks) {
    for (int64_t t = 0; t < tasks; ++t) fn(context, t);
    return;
  }
  // Every task of the previous job is done, so nobody reads these now.
  fn_ = fn;
  context_ = context;
  done_.store(0, std::memory_order_relaxed);
  const uint64_t generation = ++lastGeneration_;
  job_.store((generation << (2 * kTaskBits)) | (uint64_t(tasks) << kTaskBits));  // seq_cst
  if (sleepers_.load() > 0) {
    std::lock_guard<std::mutex> lock(sleepMutex_);
    wake_.notify_all();
  }
  runTasks(generation);
  for (int spins = 0; done_.load(std::memory_order_acquire) < tasks; ++spins) {
    if (spins % kSpinsBeforeYield == kSpinsBeforeYield - 1)
      sched_yield();
    else
      cpuRelax();
  }
}

void ThreadPool::workerLoop() {
  uint64_t seen = 0;  // jobs start at generation 1
  for (;;) {
    int spins = 0;
    while (generationOf(job_.load(std::memory_order_acquire)) == seen) {
      if (++spins < kSpinsBeforeSleep) {
        cpuRelax();
        continue;
      }
      std::unique_lock<std::mutex> lock(sleepMutex_);
      sleepers_.fetch_add(1);  // seq_cst: a publisher that misses it has already stored job_
      wake_.wait(lock, [&] { return generationOf(job_.load()) != seen; });
      sleepers_.fetch_sub(1);
    }
    seen = generationOf(job_.load(std::memory_order_acquire));
    if (stop_.load()) return;
    runTasks(seen);
  }
}

}  // namespace tern
