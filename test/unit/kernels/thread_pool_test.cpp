#include <gtest/gtest.h>

#include <atomic>
#include <thread>
#include <vector>

#include "thread_pool.h"

namespace tern {
namespace {

struct Counts {
  std::vector<std::atomic<int>> hits;
  explicit Counts(size_t n) : hits(n) {}
};

void countTask(void *context, int64_t task) {
  static_cast<Counts *>(context)->hits[size_t(task)].fetch_add(1);
}

TEST(ThreadPool, EveryTaskRunsExactlyOncePerJob) {
  for (int threads : {1, 2, 4}) {
    ThreadPool pool(threads);
    EXPECT_EQ(pool.threads(), threads);
    for (int64_t tasks : {0, 1, 2, 3, 64, 1000}) {
      for (int job = 0; job < 20; ++job) {
        Counts counts{static_cast<size_t>(tasks)};
        pool.run(tasks, countTask, &counts);
        for (int64_t t = 0; t < tasks; ++t)
          ASSERT_EQ(counts.hits[size_t(t)].load(), 1) << threads << " threads, task " << t;
      }
    }
  }
}

TEST(ThreadPool, TwoCallersAtOnceBothFinish) {
  ThreadPool pool(2);
  Counts a(5000), b(5000);
  std::thread other([&] {
    for (int i = 0; i < 50; ++i) pool.run(100, countTask, &b);
  });
  for (int i = 0; i < 50; ++i) pool.run(100, countTask, &a);
  other.join();
  for (int t = 0; t < 100; ++t) {
    EXPECT_EQ(a.hits[size_t(t)].load(), 50);
    EXPECT_EQ(b.hits[size_t(t)].load(), 50);
  }
}

TEST(ThreadPool, WorkersThatSleptWakeForTheNextJob) {
  ThreadPool pool(3);
  Counts counts(8);
  pool.run(8, countTask, &counts);
  std::this_thread::sleep_for(std::chrono::milliseconds(50));  // past the spin: workers sleep
  pool.run(8, countTask, &counts);
  for (int t = 0; t < 8; ++t) EXPECT_EQ(counts.hits[size_t(t)].load(), 2);
}

TEST(ThreadPool, AvailableCpusIsPositive) { EXPECT_GE(ThreadPool::availableCpus(), 1); }

}  // namespace
}  // namespace tern
