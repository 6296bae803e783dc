// One persistent pool for the whole process. Work is a function of (ith, nth): the caller splits rows,
// tiles or images explicitly (ggml's params->ith/nth). Calls from several threads (main thread, worker
// threads, async work) are serialized, so the machine is never oversubscribed.
#pragma once
#include <cstddef>
#include <functional>

namespace simdnet {

// Runs fn(ith, nth) for ith in [0, nth) on nth threads (the caller is one of them) and waits for all.
// nth = min(threads(), max_tasks) when max_tasks > 0. Nested calls from inside a task run inline with nth=1.
// A task that throws does not end the process: once every task has finished, the exception is rethrown here,
// on the calling thread (the caller's own task's first, else the first a worker threw; the others are dropped).
void parallel_run(const std::function<void(int ith, int nth)>& fn, int max_tasks = 0);

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
