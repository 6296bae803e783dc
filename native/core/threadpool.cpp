#include "core/threadpool.h"

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <cstdlib>
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

class Pool {
 public:
  Pool() : nthreads_(default_threads()) {}
  ~Pool() {
    {
      std::lock_guard<std::mutex> lk(mu_);
      stop_ = true;
      ++generation_;
    }
    cv_.notify_all();
    for (auto& t : workers_) t.join();
  }

  int threads() const { return nthreads_.load(); }
  void set_threads(int n) { nthreads_.store(std::max(1, std::min(n, 256))); }

  void run(const std::function<void(int, int)>& fn, int max_tasks) {
    if (t_in_task) {  // nested: run inline
      fn(0, 1);
      return;
    }
    std::lock_guard<std::mutex> job_lock(job_mu_);  // one job at a time across the process
    int nth = nthreads_.load();
    if (max_tasks > 0) nth = std::min(nth, max_tasks);
    if (nth <= 1) {
      t_in_task = true;
      fn(0, 1);
      t_in_task = false;
      return;
    }
    ensure_workers(nth - 1);
    {
      std::lock_guard<std::mutex> lk(mu_);
      fn_ = &fn;
      nth_ = nth;
      pending_ = nth - 1;
      ++generation_;
    }
    cv_.notify_all();
    t_in_task = true;
    fn(0, nth);
    t_in_task = false;
    std::unique_lock<std::mutex> lk(mu_);
    done_cv_.wait(lk, [&] { return pending_ == 0; });
    fn_ = nullptr;
  }

 private:
  void ensure_workers(int n) {
    while (static_cast<int>(workers_.size()) < n) {
      const int id = static_cast<int>(workers_.size()) + 1;  // worker k runs task ith = k
      unsigned long long gen;
      {
        std::lock_guard<std::mutex> lk(mu_);
        gen = generation_;  // the worker waits for the next job, not one it never saw
      }
      workers_.emplace_back([this, id, gen] { loop(id, gen); });
    }
  }

  void loop(int id, unsigned long long seen) {
    t_in_task = true;
    for (;;) {
      const std::function<void(int, int)>* fn;
      int nth;
      {
        std::unique_lock<std::mutex> lk(mu_);
        cv_.wait(lk, [&] { return stop_ || generation_ != seen; });
        if (stop_) return;
        seen = generation_;
        fn = fn_;
        nth = nth_;
      }
      if (id < nth) {
        (*fn)(id, nth);
        std::lock_guard<std::mutex> lk(mu_);
        if (--pending_ == 0) done_cv_.notify_one();
      }
    }
  }

  std::atomic<int> nthreads_;
  std::mutex job_mu_;
  std::mutex mu_;
  std::condition_variable cv_, done_cv_;
  std::vector<std::thread> workers_;
  const std::function<void(int, int)>* fn_ = nullptr;
  int nth_ = 1;
  int pending_ = 0;
  unsigned long long generation_ = 0;
  bool stop_ = false;
};

Pool& pool() {
  // Never destroyed: worker threads may outlive static destruction order at process exit.
  static Pool* p = new Pool();
  return *p;
}

}  // namespace

void parallel_run(const std::function<void(int, int)>& fn, int max_tasks) { pool().run(fn, max_tasks); }
int threads() { return pool().threads(); }
void set_threads(int n) { pool().set_threads(n); }

}  // namespace simdnet
