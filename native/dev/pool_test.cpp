// Unit test of the core's thread pool (native/core/threadpool.h), Node-free: run by `npm run test:core` and,
// built with -fsanitize=thread, by `npm run test:sanitize`. Checks the contract: every task / chunk runs exactly
// once with the documented indices, work is claimed dynamically (a stalled thread does not hold its static
// share), nested calls run inline, the lowest-numbered task's exception comes back to the caller and the pool
// keeps working, and a chunked reduction with per-chunk partials gives the same bits at every thread count.
// Exit status 0 and "pool_test: ok" when all passed.
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "core/threadpool.h"

namespace sn = simdnet;

namespace {

int g_checks = 0;
int g_failures = 0;

void check(bool ok, const std::string& what) {
  g_checks++;
  if (!ok) {
    std::fprintf(stderr, "pool_test: FAIL %s\n", what.c_str());
    g_failures++;
  }
}

// parallel_run: every ith in [0, nth) exactly once, nth = min(threads, max_tasks).
void run_indices() {
  for (int t : {1, 2, 3, 5}) {
    sn::set_threads(t);
    for (int max_tasks : {0, 1, 2, 4, 64}) {
      const int want_nth = max_tasks > 0 ? std::min(t, max_tasks) : t;
      std::vector<std::atomic<int>> hits(64);
      std::atomic<int> bad_nth{0};
      sn::parallel_run(
          [&](int ith, int nth) {
            if (nth != want_nth) bad_nth++;
            hits[ith]++;
          },
          max_tasks);
      bool ok = bad_nth.load() == 0;
      for (int i = 0; i < 64; i++) ok = ok && hits[i].load() == (i < want_nth ? 1 : 0);
      check(ok, "parallel_run threads=" + std::to_string(t) + " max_tasks=" + std::to_string(max_tasks));
    }
  }
}

// parallel_for: chunks [k*grain, min(n,(k+1)*grain)), each exactly once.
void for_chunks() {
  for (int t : {1, 2, 4}) {
    sn::set_threads(t);
    for (std::size_t n : {1, 2, 7, 64, 1000, 1001}) {
      for (std::size_t grain : {0, 1, 3, 64, 5000}) {
        const std::size_t g = grain == 0 ? 1 : grain;
        std::vector<std::atomic<int>> hits(n);
        std::atomic<int> bad{0};
        sn::parallel_for(n, grain, [&](std::size_t b, std::size_t e) {
          if (b % g != 0 || e != std::min(n, b + g) || b >= e) bad++;
          for (std::size_t i = b; i < e; i++) hits[i]++;
        });
        bool ok = bad.load() == 0;
        for (std::size_t i = 0; i < n; i++) ok = ok && hits[i].load() == 1;
        check(ok, "parallel_for threads=" + std::to_string(t) + " n=" + std::to_string(n) + " grain=" + std::to_string(grain));
      }
    }
  }
  sn::parallel_for(0, 4, [&](std::size_t, std::size_t) { check(false, "parallel_for n=0 called fn"); });
}

// A thread stalled inside one chunk (as if descheduled) holds back only that chunk: the others claim the rest.
// With a static split the stalled thread would own half of the chunks.
void claiming() {
  sn::set_threads(2);
  const std::size_t n = 40;
  const auto caller = std::this_thread::get_id();
  std::atomic<bool> stalled{false};
  std::atomic<int> by_caller{0}, by_others{0};
  sn::parallel_for(n, 1, [&](std::size_t, std::size_t) {
    if (std::this_thread::get_id() == caller) {
      by_caller++;
      std::this_thread::sleep_for(std::chrono::microseconds(200));
      return;
    }
    by_others++;
    if (!stalled.exchange(true)) std::this_thread::sleep_for(std::chrono::milliseconds(300));
  });
  check(by_caller.load() + by_others.load() == static_cast<int>(n), "claiming: every chunk ran once");
  check(by_others.load() <= 1, "claiming: the stalled thread ran " + std::to_string(by_others.load()) +
                                   " chunks (want at most 1: the caller claims the rest)");
  // The same through parallel_run with more tasks than threads is impossible (nth <= threads); its tasks are
  // claimed too: a worker that never shows up leaves both tasks to the caller, which the next check cannot force,
  // so only the counts are checked there (run_indices).
}

// Nested calls from inside a task run inline: parallel_run with nth = 1, parallel_for as one call fn(0, n).
void nested() {
  sn::set_threads(3);
  std::atomic<int> bad{0}, inner{0};
  sn::parallel_run([&](int, int) {
    sn::parallel_run([&](int ith, int nth) {
      if (ith != 0 || nth != 1) bad++;
      inner++;
    });
    sn::parallel_for(10, 2, [&](std::size_t b, std::size_t e) {
      if (b != 0 || e != 10) bad++;
      inner++;
    });
  });
  check(bad.load() == 0 && inner.load() == 6, "nested calls run inline");
}

// The lowest-numbered failing task's exception is rethrown on the caller after every task ran.
void exceptions() {
  for (int t : {1, 2, 3}) {
    sn::set_threads(t);
    for (int round = 0; round < 20; round++) {
      std::atomic<int> ran{0};
      std::string got;
      try {
        sn::parallel_for(30, 1, [&](std::size_t b, std::size_t) {
          ran++;
          // chunk 7 throws last (another thread throws chunk 20's first): the rethrown one is still chunk 7's
          if (b == 7 && t > 1 && round < 3) std::this_thread::sleep_for(std::chrono::milliseconds(20));
          if (b == 7 || b == 20 || (round % 2 && b == 29)) throw std::runtime_error("chunk " + std::to_string(b));
        });
      } catch (const std::runtime_error& e) {
        got = e.what();
      }
      check(got == "chunk 7", "exceptions threads=" + std::to_string(t) + ": rethrew '" + got + "', want 'chunk 7'");
      check(ran.load() == 30, "exceptions threads=" + std::to_string(t) + ": " + std::to_string(ran.load()) + " of 30 chunks ran");
      std::atomic<int> after{0};
      sn::parallel_run([&](int, int) { after++; });
      check(after.load() == t, "pool works after an exception");
    }
  }
}

// A sum split in chunks with one partial per chunk, reduced in chunk order: the same bits at every thread count
// and on every run (whichever thread ran whichever chunk).
void deterministic_reduction() {
  std::vector<float> x(100003);
  uint32_t s = 12345;
  for (float& v : x) {
    s = s * 1664525u + 1013904223u;
    v = static_cast<float>(s >> 8) / static_cast<float>(1u << 23) - 1.0f;
  }
  const std::size_t grain = 1000, chunks = (x.size() + grain - 1) / grain;
  auto sum = [&] {
    std::vector<float> part(chunks);
    sn::parallel_for(x.size(), grain, [&](std::size_t b, std::size_t e) {
      float a = 0;
      for (std::size_t i = b; i < e; i++) a += x[i];
      part[b / grain] = a;
    });
    float total = 0;
    for (float p : part) total += p;
    return total;
  };
  sn::set_threads(1);
  const float want = sum();
  for (int t : {2, 3, 4}) {
    sn::set_threads(t);
    for (int r = 0; r < 20; r++) {
      const float got = sum();
      check(std::memcmp(&got, &want, sizeof got) == 0, "deterministic reduction threads=" + std::to_string(t));
    }
  }
}

// Several callers at once (jobs are serialized) while the thread count changes.
void concurrent_callers() {
  std::atomic<bool> stop{false};
  std::thread changer([&] {
    for (int i = 0; !stop.load(); i++) {
      sn::set_threads(1 + i % 4);
      std::this_thread::yield();
    }
  });
  std::atomic<int> bad{0};
  std::vector<std::thread> callers;
  for (int c = 0; c < 3; c++) {
    callers.emplace_back([&] {
      for (int r = 0; r < 300; r++) {
        std::vector<std::atomic<int>> hits(257);
        sn::parallel_for(257, 5, [&](std::size_t b, std::size_t e) {
          for (std::size_t i = b; i < e; i++) hits[i]++;
        });
        for (auto& h : hits) bad += h.load() != 1;
      }
    });
  }
  for (auto& th : callers) th.join();
  stop = true;
  changer.join();
  check(bad.load() == 0, "concurrent callers: every item exactly once");
}

}  // namespace

int main() {
  run_indices();
  for_chunks();
  claiming();
  nested();
  exceptions();
  deterministic_reduction();
  concurrent_callers();
  if (g_failures > 0) {
    std::fprintf(stderr, "pool_test: %d of %d checks failed\n", g_failures, g_checks);
    return 1;
  }
  std::printf("pool_test: ok (%d checks)\n", g_checks);
  return 0;
}
