// A small fork-join thread pool for the kernels' row splits. Decode makes about 150 kernel calls per
// token, so a call's fork and join must cost about a microsecond: workers spin on an atomic for a
// while before they sleep on a condition variable. A job is a number of tasks that the caller and
// the workers take from a shared counter, so a worker the OS has descheduled (a busy machine) delays
// the job by at most the task it holds; the caller does the tasks nobody took.
#ifndef TERN_RUNTIME_THREAD_POOL_H
#define TERN_RUNTIME_THREAD_POOL_H

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <thread>
#include <vector>

namespace tern {

class ThreadPool {
 public:
  // One task of a job: runs task `task` (0 <= task < tasks) with the job's context.
  using TaskFn = void (*)(void *context, int64_t task);

  // `threads` counts the calling thread, which takes part in every job: threads - 1 workers start.
  explicit ThreadPool(int threads);
  ~ThreadPool();
  ThreadPool(const ThreadPool &) = delete;
  ThreadPool &operator=(const ThreadPool &) = delete;

  int threads() const { return static_cast<int>(workers_.size()) + 1; }
  static constexpr int64_t kMaxTasks = (int64_t(1) << 20) - 1;

  // Runs fn(context, t) for every t in [0, tasks) on the caller and the workers, and returns when
  // all are done. tasks <= kMaxTasks. When another thread is already running a job on this pool (two sessions of one
  // model), the caller runs every task itself instead of waiting.
  void run(int64_t tasks, TaskFn fn, void *context);

  // The number of CPUs this process may run on (at least 1).
  static int availableCpus();

 private:
  // The job word: generation (24 bits) | task count (20 bits) | next task (20 bits). Taking a task
  // is one compare-and-swap of it, so a worker that was descheduled and wakes up after its job was
  // done and a new one published can never take a task of the wrong job.
  static constexpr int kTaskBits = 20;
  static constexpr uint64_t kTaskMask = (uint64_t(1) << kTaskBits) - 1;
  static uint64_t generationOf(uint64_t word) { return word >> (2 * kTaskBits); }

  void workerLoop();
  // Takes and runs tasks of job `generation` until none is left.
  void runTasks(uint64_t generation);

  std::vector<std::thread> workers_;
  std::mutex busy_;  // held by the thread whose job the workers are running
  uint64_t lastGeneration_ = 0;  // under busy_
  // Written only while no task of any job is outstanding; read after taking a task.
  TaskFn fn_ = nullptr;
  void *context_ = nullptr;
  std::atomic<uint64_t> job_{0};
  std::atomic<int64_t> done_{0};  // tasks of the current job finished
  std::atomic<int> sleepers_{0};
  std::atomic<bool> stop_{false};
  std::mutex sleepMutex_;
  std::condition_variable wake_;
};

}  // namespace tern

#endif  // TERN_RUNTIME_THREAD_POOL_H
