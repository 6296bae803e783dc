// One persistent pool for the whole process. A job is a list of tasks that the calling thread and the pool's
// workers CLAIM one at a time from a shared counter (no task belongs to a thread): on a busy machine a worker
// that is descheduled leaves its share to whoever is running, instead of holding up the whole job. A worker
// that wakes after the caller has closed the job does not join it at all. Calls from several threads (main
// thread, worker threads, async work) are serialized, so the machine is never oversubscribed.
//
// What a task computes must depend only on its index, never on the thread that runs it: then results do not
// depend on scheduling (same seed, same result). Per-thread scratch (thread_local) is fine when each task
// rewrites what it reads; a reduction split over tasks keeps one partial per task INDEX, reduced in index order.
#pragma once
#include <cstddef>
#include <functional>

namespace simdnet {

// Runs fn(ith, nth) for every ith in [0, nth) and waits for all; nth = min(threads(), max_tasks) when
// max_tasks > 0, else threads(). The tasks are claimed dynamically by up to nth threads (the caller is one of
// them), so one thread may run several (one after another). Nested calls from inside a task run inline with
// nth=1. A task that throws does not end the process: the other tasks still run, and once all have finished the
// exception of the lowest-numbered task that threw is rethrown here, on the calling thread (the others dropped).
void parallel_run(const std::function<void(int ith, int nth)>& fn, int max_tasks = 0);

// Runs fn(begin, end) over [0, n) in chunks [k*grain, min(n, (k+1)*grain)) claimed one at a time by up to
// threads() threads (grain 0 is taken as 1). The chunks depend only on n and grain, not on the thread count or
// on which thread runs them. Nested calls run the whole range inline as one call fn(0, n). Exceptions as in
// parallel_run (the lowest-numbered chunk's).
void parallel_for(std::size_t n, std::size_t grain, const std::function<void(std::size_t begin, std::size_t end)>& fn);

// A grain for parallel_for that gives about `per_thread` chunks per thread (at least `min_grain` items each),
// so a descheduled thread holds back at most 1/per_thread of its share.
std::size_t grain_for(std::size_t n, std::size_t min_grain = 1, int per_thread = 4);

// The thread count: the machine's hardware concurrency by default, or SIMDNET_THREADS at load.
int threads();
// Sets the thread count (1..256); takes effect on the next parallel_run.
void set_threads(int n);

// Splits [0, n) into nth near-equal contiguous parts; returns part ith as [begin, end).
inline void split_range(std::size_t n, int ith, int nth, std::size_t& begin, std::size_t& end) {
  const std::size_t q = n / nth, r = n % nth;
  begin = ith * q + (static_cast<std::size_t>(ith) < r ? ith : r);
  end = begin + q + (static_cast<std::size_t>(ith) < r ? 1 : 0);
}

}  // namespace simdnet
