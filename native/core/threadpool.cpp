#include "core/threadpool.h"

#include <sched.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <cstdlib>
#include <exception>
#include <mutex>
#include <thread>
#include <vector>

namespace simdnet {
namespace {

int default_threads() {
  if (const char* env = std::getenv("SIMDNET_THREADS")) {
    const int n = std::atoi(env);
    if (n >= 1 && n <= 256) return n;
  }
  const unsigned hc = std::thread::hardware_concurrency();
  return hc == 0 ? 1 : static_cast<int>(std::min(hc, 256u));
}

thread_local bool t_in_task = false;

// Marks the calling thread as inside a task for its scope (reset on unwinding too).
struct InTask {
  InTask() { t_in_task = true; }
  ~InTask() { t_in_task = false; }
};

// Before sleeping on a condition variable, a waiter (a worker between jobs, the caller waiting for the workers
// that joined its job) polls: a training step issues dozens of short jobs with JS work in between, and a futex
// wake-up under a hypervisor costs tens of microseconds per call on each side (measured on DeepConvNet's step at
// 2 threads: polling 1 ms beat 100 us, median 38 vs 44 ms). It polls with `pause` for kSpinPause, then with
// sched_yield() up to kSpin: on a quiet core the yield returns at once, on a busy one it hands the core to
// whatever else is runnable (another process, the thread that has the work) instead of burning the time slice.
constexpr auto kSpinPause = std::chrono::microseconds(50);
constexpr auto kSpin = std::chrono::microseconds(1000);

inline void cpu_relax() {
#if defined(__x86_64__) || defined(__i386__)
  __builtin_ia32_pause();
#endif
}

// Polls ready() for up to kSpin; true when it became true.
template <typename Ready>
bool spin_until(Ready ready) {
  const auto t0 = std::chrono::steady_clock::now();
  for (;;) {
    for (int i = 0; i < 64; ++i) {
      if (ready()) return true;
      cpu_relax();
    }
    const auto dt = std::chrono::steady_clock::now() - t0;
    if (dt > kSpin) return ready();
    if (dt > kSpinPause) sched_yield();
  }
}

// The join word of the current job: generation (high 32 bits), closed flag, number of workers inside the job.
constexpr uint64_t kClosed = uint64_t(1) << 31;
constexpr uint64_t kCount = kClosed - 1;
inline uint64_t gen_bits(uint64_t gen) { return (gen & 0xffffffffu) << 32; }

class Pool {
 public:
  Pool() : nthreads_(default_threads()) {}
  ~Pool() {
    {
      std::lock_guard<std::mutex> lk(mu_);
      stop_.store(true);
      generation_.fetch_add(1, std::memory_order_release);
    }
    cv_.notify_all();
    for (auto& t : workers_) t.join();
  }

  int threads() const { return nthreads_.load(); }
  void set_threads(int n) { nthreads_.store(std::max(1, std::min(n, 256))); }

  // Runs task(i) for i in [0, ntasks) on up to `width` threads (the caller included), claimed one at a time.
  void run(const std::function<void(std::size_t)>& task, std::size_t ntasks, int width) {
    if (ntasks == 0) return;
    std::lock_guard<std::mutex> job_lock(job_mu_);  // one job at a time across the process
    if (width <= 1 || ntasks == 1) {  // on the caller alone, same contract: every task runs
      std::exception_ptr first;
      {
        InTask in_task;
        for (std::size_t i = 0; i < ntasks; ++i) {
          try {
            task(i);
          } catch (...) {
            if (!first) first = std::current_exception();
          }
        }
      }
      if (first) std::rethrow_exception(first);
      return;
    }
    ensure_workers(width - 1);
    unsigned long long gen;
    {
      std::lock_guard<std::mutex> lk(mu_);
      task_ = &task;
      ntasks_ = ntasks;
      max_workers_ = static_cast<uint64_t>(width - 1);
      next_.store(0, std::memory_order_relaxed);
      error_ = nullptr;
      error_task_ = ntasks;
      gen = generation_.load(std::memory_order_relaxed) + 1;
      join_.store(gen_bits(gen), std::memory_order_relaxed);
      generation_.store(gen, std::memory_order_release);  // publishes the job to spinners and sleepers
    }
    cv_.notify_all();
    {
      InTask in_task;
      work();
    }
    // Close the job: a worker that has not joined yet never will (it may be descheduled for a whole time slice);
    // then wait for the ones inside, which still hold &task.
    const uint64_t before = join_.fetch_or(kClosed, std::memory_order_acq_rel);
    if ((before & kCount) != 0) {
      auto done = [&] { return (join_.load(std::memory_order_acquire) & kCount) == 0; };
      if (!spin_until(done)) {
        std::unique_lock<std::mutex> lk(mu_);
        done_cv_.wait(lk, done);
      }
    }
    std::exception_ptr err;
    {
      std::lock_guard<std::mutex> lk(mu_);
      err = error_;
      error_ = nullptr;
    }
    if (err) std::rethrow_exception(err);  // on the calling thread: the binding turns it into a JS error
  }

 private:
  // Claims and runs tasks of the current job until none is left; keeps the lowest-numbered task's exception.
  void work() {
    const std::function<void(std::size_t)>& task = *task_;
    const std::size_t n = ntasks_;
    for (std::size_t i = next_.fetch_add(1, std::memory_order_relaxed); i < n;
         i = next_.fetch_add(1, std::memory_order_relaxed)) {
      try {
        task(i);
      } catch (...) {
        std::lock_guard<std::mutex> lk(mu_);
        if (i < error_task_) {
          error_task_ = i;
          error_ = std::current_exception();
        }
      }
    }
  }

  void ensure_workers(int n) {
    while (static_cast<int>(workers_.size()) < n) {
      unsigned long long gen;
      {
        std::lock_guard<std::mutex> lk(mu_);
        gen = generation_.load();  // the worker waits for the next job, not one it never saw
      }
      workers_.emplace_back([this, gen] { loop(gen); });
    }
  }

  // Joins job `gen` unless it is closed, full or already replaced by a newer one.
  bool join(unsigned long long gen) {
    uint64_t s = join_.load(std::memory_order_acquire);
    for (;;) {
      if ((s & ~(kClosed | kCount)) != gen_bits(gen) || (s & kClosed) || (s & kCount) >= max_workers_.load()) return false;
      if (join_.compare_exchange_weak(s, s + 1, std::memory_order_acq_rel, std::memory_order_acquire)) return true;
    }
  }

  void loop(unsigned long long seen) {
    t_in_task = true;
    for (;;) {
      auto ready = [&] { return stop_.load() || generation_.load(std::memory_order_acquire) != seen; };
      if (!spin_until(ready)) {
        std::unique_lock<std::mutex> lk(mu_);
        cv_.wait(lk, ready);
      }
      if (stop_.load()) return;
      seen = generation_.load(std::memory_order_acquire);
      if (!join(seen)) continue;  // the job is over (or full): wait for the next one
      work();
      // The caller may be between its predicate check and its wait: notify under the lock.
      const uint64_t before = join_.fetch_sub(1, std::memory_order_acq_rel);
      if ((before & kCount) == 1 && (before & kClosed)) {
        std::lock_guard<std::mutex> lk(mu_);
        done_cv_.notify_one();
      }
    }
  }

  std::atomic<int> nthreads_;
  std::mutex job_mu_;
  std::mutex mu_;
  std::condition_variable cv_, done_cv_;
  std::vector<std::thread> workers_;
  // The current job (written by its caller before it is published, read by the workers that joined it).
  const std::function<void(std::size_t)>* task_ = nullptr;
  std::size_t ntasks_ = 0;
  std::atomic<uint64_t> max_workers_{0};
  std::atomic<std::size_t> next_{0};
  std::exception_ptr error_;     // the lowest-numbered failed task's exception (under mu_)
  std::size_t error_task_ = 0;   // its index (under mu_)
  std::atomic<uint64_t> join_{0};
  std::atomic<unsigned long long> generation_{0};
  std::atomic<bool> stop_{false};
};

Pool& pool() {
  // Never destroyed: worker threads may outlive static destruction order at process exit.
  static Pool* p = new Pool();
  return *p;
}

}  // namespace

void parallel_run(const std::function<void(int, int)>& fn, int max_tasks) {
  if (t_in_task) {  // nested: run inline
    fn(0, 1);
    return;
  }
  int nth = pool().threads();
  if (max_tasks > 0) nth = std::min(nth, max_tasks);
  pool().run([&](std::size_t i) { fn(static_cast<int>(i), nth); }, static_cast<std::size_t>(nth), nth);
}

void parallel_for(std::size_t n, std::size_t grain, const std::function<void(std::size_t, std::size_t)>& fn) {
  if (n == 0) return;
  if (t_in_task) {  // nested: run inline
    fn(0, n);
    return;
  }
  if (grain == 0) grain = 1;
  const std::size_t chunks = (n - 1) / grain + 1;
  const int width = static_cast<int>(std::min<std::size_t>(chunks, static_cast<std::size_t>(pool().threads())));
  pool().run([&](std::size_t k) { fn(k * grain, std::min(n, (k + 1) * grain)); }, chunks, width);
}

std::size_t grain_for(std::size_t n, std::size_t min_grain, int per_thread) {
  const std::size_t parts = static_cast<std::size_t>(std::max(1, threads() * std::max(1, per_thread)));
  return std::max<std::size_t>(std::max<std::size_t>(min_grain, 1), (n + parts - 1) / parts);
}

int threads() { return pool().threads(); }
void set_threads(int n) { pool().set_threads(n); }

}  // namespace simdnet
