// The collective engine of data-parallel training: one communication thread that owns every MPI call of
// the process (MPI_THREAD_FUNNELED: the thread that initializes MPI is the only one that calls it), fed by
// a queue. Plain C++17 + MPI, no N-API (native/dist/addon.cpp is the binding).
//
// Why a thread: JS must never block inside MPI, and Open MPI has no asynchronous progress for the ob1/tcp/
// vader paths ("OMPI progress: no" in ompi_info), so a non-blocking collective only advances while someone
// calls MPI_Test. The thread starts each submitted job with a non-blocking collective (MPI_Iallreduce,
// MPI_Iallgather, MPI_Ibcast) in submission order, which is the same on every rank, and keeps testing the
// outstanding requests, so the buckets of a backward pass travel while the next layers' backward still runs
// on the JS thread (which pokes the thread after each layer: see comm.cpp for when progress is made). The JS
// thread only waits (wait_all) when it needs the results, with a time limit: a
// stopped or unreachable peer becomes an error naming what was pending, never a hang.
//
// Buffers belong to the caller and must stay alive and untouched until wait_all returns.
#pragma once
#include <mpi.h>

#include <atomic>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

namespace simdnet {
namespace dist {

enum class JobKind { kAllreduceSumF32, kAllreduceSumF64, kAllgatherBytes, kBcastBytes };

struct Job {
  JobKind kind;
  void* buf;          // in/out (allreduce in place, bcast) or the local block (allgather)
  void* out;          // allgather: size * bytes
  std::size_t count;  // elements (allreduce) or bytes (allgather block, bcast)
  double scale;       // allreduce f32: buf *= scale before the sum (1 = none)
  int root;           // bcast
  std::string label;  // for error messages ("gradient bucket 2", …)
  std::uint64_t seq;  // set by submit: 1, 2, … in submission order
};

struct CommStats {
  std::uint64_t jobs = 0;             // collectives completed
  std::uint64_t payload_bytes = 0;    // bytes handed to collectives (each rank's own buffer sizes)
  std::uint64_t wait_ns = 0;          // time callers spent blocked in wait_all
  std::uint64_t pokes = 0;            // poke() calls (from backward, after each layer)
  std::uint64_t poked_rounds = 0;     // progress rounds the thread made because a poke woke it (0 when polling)
};

class Comm {
 public:
  Comm() = default;
  ~Comm();
  Comm(const Comm&) = delete;
  Comm& operator=(const Comm&) = delete;

  // Starts the thread, which calls MPI_Init_thread(FUNNELED) with the process's fatal-signal handlers
  // (SIGSEGV, SIGBUS, SIGFPE, SIGILL) saved before and restored after (Open MPI and UCX install their own;
  // V8 needs its SIGSEGV handler for WebAssembly bounds checks). Errors: false and *err.
  bool init(int timeout_ms, std::string* err);

  int rank() const { return rank_; }
  int size() const { return size_; }
  int thread_level() const { return provided_; }
  const std::string& library() const { return library_; }
  bool initialized() const { return started_; }
  bool failed() const { return failed_.load(); }

  // Queues a job; the thread starts it at once. Jobs are started in submission order. Returns the job's sequence
  // number (1 for the first job of the process, then 2, …), for wait_until.
  std::uint64_t submit(Job job);
  // Asks the thread for one round of progress on the outstanding collectives now.
  void poke();
  // Blocks until every submitted job has completed. false and *err on a failed job (MPI error, message
  // kept for every later call) or when `timeout_ms` pass without all of them completing.
  bool wait_all(int timeout_ms, std::string* err);
  // Blocks until every job up to sequence number `seq` (see submit) has completed; later ones may still be in flight
  // (a data-parallel step updates the weights of a bucket whose sum is in while the next buckets travel). Errors
  // and the time limit as wait_all.
  bool wait_until(std::uint64_t seq, int timeout_ms, std::string* err);

  // Ends the whole job (MPI_Abort on MPI_COMM_WORLD): for errors after which the collectives cannot go on.
  void abort(int code);
  // MPI_Finalize and joins the thread; only when nothing is pending (else it returns false, *err says why).
  bool finalize(std::string* err);

  CommStats stats();

 private:
  struct Active {
    Job job;
    MPI_Request req;
  };
  void run();
  bool start(Job& job, MPI_Request* req, std::string* err);
  void fail(const std::string& msg);

  std::thread thread_;
  std::mutex mu_;
  std::condition_variable cv_work_;   // thread waits: new job, finalize, abort
  std::condition_variable cv_done_;   // callers wait: init done, jobs done
  std::deque<Job> queue_;
  std::vector<Active> active_;        // touched by the thread only
  std::uint64_t submitted_ = 0, completed_ = 0;
  std::uint64_t prefix_done_ = 0;     // every job with seq <= prefix_done_ has completed
  std::set<std::uint64_t> done_ahead_;  // completed jobs beyond prefix_done_ (collectives may complete out of order)
  std::string pending_label_;         // first job not completed yet (for the timeout message)
  std::string error_;
  std::atomic<bool> failed_{false};
  bool started_ = false, init_done_ = false, init_ok_ = false;
  bool quit_ = false, finalized_ = false;
  int abort_code_ = -1;
  std::atomic<int> waiters_{0};       // callers blocked in wait_all
  bool poke_mode_ = true;             // progress on pokes while nobody waits (comm.cpp); false: timer polling
  bool poked_ = false;
  bool poke_waiting_ = false;         // the thread waits for a poke (only then does poke() wake it)
  int rank_ = 0, size_ = 1, provided_ = 0;
  std::string library_;
  CommStats stats_;
};

}  // namespace dist
}  // namespace simdnet
