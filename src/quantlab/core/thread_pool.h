// A fixed set of worker threads that run an indexed task range and wait for
// it. The calling thread takes part, so a pool of size 1 spawns no threads.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace quantlab {

class ThreadPool {
 public:
  // `threads` <= 0 means one per hardware core.
  explicit ThreadPool(int threads);
  ~ThreadPool();
  ThreadPool(const ThreadPool&) = delete;
  ThreadPool& operator=(const ThreadPool&) = delete;

  int size() const { return static_cast<int>(workers_.size()) + 1; }

  // Runs fn(task, worker) for task in [0, num_tasks), each exactly once,
  // spread over the pool; `worker` in [0, size()) identifies the thread so
  // callers can keep per-thread state. Returns when all tasks are done.
  // Not reentrant: one run at a time per pool.
  void run(int64_t num_tasks, const std::function<void(int64_t task, int worker)>& fn);

  static int hardware_threads();

 private:
  void worker_loop(int worker);
  void drain(int worker);

  std::vector<std::thread> workers_;
  std::mutex mutex_;
  std::condition_variable wake_, done_;
  const std::function<void(int64_t, int)>* job_ = nullptr;
  int64_t next_task_ = 0, num_tasks_ = 0;
  int busy_ = 0;
  uint64_t generation_ = 0;
  bool stop_ = false;
};

}  // namespace quantlab
