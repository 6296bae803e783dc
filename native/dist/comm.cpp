// See comm.h. Everything that calls MPI runs on the communication thread (Comm::run).
#include "comm.h"

#include <pthread.h>
#include <signal.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <cstring>

namespace simdnet {
namespace dist {

namespace {

// When progress is made. Open MPI's TCP and shared-memory paths advance a non-blocking collective only inside an
// MPI call, so this thread calls MPI_Testsome:
//  - while a caller waits in wait_all (its compute thread is idle), every kPollSleep: the end of a step is the
//    last bucket's latency;
//  - otherwise (backward running), once per poke — the JS thread pokes after every layer's backward — and at least
//    every kPokeBackstop. Polling on a 20 µs timer during backward instead (the first design) woke this thread
//    ~330 times per DeepConvNet step, each wake-up preempting a compute thread on a machine whose cores all
//    compute; poked, it wakes ~100 times and uses less than half the CPU (A/B in one run: npm run bench:dist -- --ab).
// SIMDNET_MPI_PROGRESS=poll restores the timer polling (for that A/B).
constexpr auto kPollSleep = std::chrono::microseconds(20);
constexpr auto kPokeBackstop = std::chrono::microseconds(2000);

const int kFatalSignals[] = {SIGSEGV, SIGBUS, SIGFPE, SIGILL};
constexpr int kNumFatal = sizeof(kFatalSignals) / sizeof(kFatalSignals[0]);

std::string mpi_error(int code) {
  char text[MPI_MAX_ERROR_STRING];
  int len = 0;
  if (MPI_Error_string(code, text, &len) != MPI_SUCCESS) return "MPI error " + std::to_string(code);
  return std::string(text, static_cast<std::size_t>(len));
}

// buf *= s. Eight products per iteration so that -O2 (GCC's very cheap vector cost model, which skips loops that need
// a scalar epilogue) still packs them into SIMD multiplies: the scalar loop was 6.5 % of this thread's CPU (perf, 2 ranks
// of DeepConvNet over TCP loopback). Same products, same bits.
void scale_in_place(float* p, std::size_t n, float s) {
  std::size_t i = 0;
  for (; i + 8 <= n; i += 8) {
    float* q = p + i;
    q[0] *= s; q[1] *= s; q[2] *= s; q[3] *= s; q[4] *= s; q[5] *= s; q[6] *= s; q[7] *= s;
  }
  for (; i < n; i++) p[i] *= s;
}

std::size_t job_bytes(const Job& j) {
  switch (j.kind) {
    case JobKind::kAllreduceSumF32: return j.count * sizeof(float);
    case JobKind::kAllreduceSumF64: return j.count * sizeof(double);
    default: return j.count;
  }
}

}  // namespace

Comm::~Comm() {
  // Normal paths finalize or abort first; a still-running thread here means the process is going down after
  // an error, and joining it could wait forever on a dead peer.
  if (thread_.joinable()) thread_.detach();
}

bool Comm::init(int timeout_ms, std::string* err) {
  std::unique_lock<std::mutex> lk(mu_);
  if (started_) {
    *err = "MPI is already initialized in this process";
    return false;
  }
  started_ = true;
  const char* progress = std::getenv("SIMDNET_MPI_PROGRESS");
  poke_mode_ = progress == nullptr || std::strcmp(progress, "poll") != 0;
  thread_ = std::thread([this] { run(); });
  if (!cv_done_.wait_for(lk, std::chrono::milliseconds(timeout_ms), [this] { return init_done_; })) {
    *err = "MPI_Init_thread did not return within " + std::to_string(timeout_ms) + " ms";
    failed_ = true;
    return false;
  }
  if (!init_ok_) *err = error_;
  return init_ok_;
}

void Comm::run() {
  // ---- MPI_Init_thread, keeping the process's own fatal-signal handlers ----
  struct sigaction saved[kNumFatal];
  for (int i = 0; i < kNumFatal; i++) sigaction(kFatalSignals[i], nullptr, &saved[i]);
  int provided = 0;
  // Thread names (15 characters at most) for `top -H` and the bench's per-thread CPU accounting
  // (scripts/bench/threads.ts): the threads Open MPI starts inside MPI_Init_thread inherit "simdnet-mpilib",
  // this one is "simdnet-comm" afterwards.
  pthread_setname_np(pthread_self(), "simdnet-mpilib");
  int rc = MPI_Init_thread(nullptr, nullptr, MPI_THREAD_FUNNELED, &provided);
  pthread_setname_np(pthread_self(), "simdnet-comm");
  for (int i = 0; i < kNumFatal; i++) sigaction(kFatalSignals[i], &saved[i], nullptr);
  {
    std::lock_guard<std::mutex> lk(mu_);
    if (rc != MPI_SUCCESS) {
      error_ = "MPI_Init_thread failed: " + mpi_error(rc);
    } else if (provided < MPI_THREAD_FUNNELED) {
      // Node has threads of its own; only this one calls MPI, which is what FUNNELED promises and needs.
      error_ = "this MPI library provides thread level " + std::to_string(provided) +
               " (below MPI_THREAD_FUNNELED), which a Node process needs";
      MPI_Finalize();
      rc = MPI_ERR_OTHER;
    } else {
      // Errors come back as codes (reported to JS with the job's name) instead of aborting inside MPI.
      MPI_Comm_set_errhandler(MPI_COMM_WORLD, MPI_ERRORS_RETURN);
      MPI_Comm_rank(MPI_COMM_WORLD, &rank_);
      MPI_Comm_size(MPI_COMM_WORLD, &size_);
      char lib[MPI_MAX_LIBRARY_VERSION_STRING];
      int len = 0;
      MPI_Get_library_version(lib, &len);
      library_.assign(lib, static_cast<std::size_t>(len));
      while (!library_.empty() && (library_.back() == '\n' || library_.back() == '\0')) library_.pop_back();
      provided_ = provided;
      init_ok_ = true;
    }
    init_done_ = true;
  }
  cv_done_.notify_all();
  if (rc != MPI_SUCCESS) return;

  // ---- the loop: start queued jobs, test the outstanding ones ----
  std::vector<MPI_Request> reqs;
  std::vector<int> idx;
  for (;;) {
    {
      std::unique_lock<std::mutex> lk(mu_);
      if (active_.empty() && queue_.empty()) {
        cv_work_.wait(lk, [this] { return !queue_.empty() || quit_ || abort_code_ >= 0; });
      }
      if (abort_code_ >= 0) {
        int code = abort_code_;
        lk.unlock();
        MPI_Abort(MPI_COMM_WORLD, code);
        return;
      }
      if (quit_ && active_.empty() && queue_.empty()) break;
      while (!queue_.empty() && !failed_) {
        Job job = std::move(queue_.front());
        queue_.pop_front();
        lk.unlock();
        MPI_Request req = MPI_REQUEST_NULL;
        std::string err;
        bool ok = start(job, &req, &err);
        lk.lock();
        if (!ok) {
          lk.unlock();
          fail(err);
          lk.lock();
          break;
        }
        active_.push_back({std::move(job), req});
      }
    }
    if (active_.empty()) continue;
    reqs.resize(active_.size());
    idx.resize(active_.size());
    for (std::size_t i = 0; i < active_.size(); i++) reqs[i] = active_[i].req;
    int outcount = 0;
    int rc2 = MPI_Testsome(static_cast<int>(reqs.size()), reqs.data(), &outcount, idx.data(), MPI_STATUSES_IGNORE);
    if (rc2 != MPI_SUCCESS) {
      fail("MPI error during " + active_.front().job.label + ": " + mpi_error(rc2));
      std::lock_guard<std::mutex> lk(mu_);
      active_.clear();
      continue;
    }
    if (outcount <= 0 || outcount == MPI_UNDEFINED) {
      if (poke_mode_ && waiters_.load(std::memory_order_relaxed) == 0) {
        std::unique_lock<std::mutex> lk(mu_);
        poke_waiting_ = true;
        cv_work_.wait_for(lk, kPokeBackstop, [this] {
          return poked_ || !queue_.empty() || waiters_.load() > 0 || quit_ || abort_code_ >= 0;
        });
        poke_waiting_ = false;
        if (poked_) stats_.poked_rounds++;
        poked_ = false;
      } else {
        std::this_thread::sleep_for(kPollSleep);
      }
      continue;
    }
    std::vector<Active> still;
    std::vector<bool> done(active_.size(), false);
    for (int k = 0; k < outcount; k++) done[static_cast<std::size_t>(idx[static_cast<std::size_t>(k)])] = true;
    std::uint64_t bytes = 0;
    std::vector<std::uint64_t> finished;
    for (std::size_t i = 0; i < active_.size(); i++) {
      if (done[i]) {
        bytes += job_bytes(active_[i].job);
        finished.push_back(active_[i].job.seq);
      } else {
        still.push_back(active_[i]);
      }
    }
    {
      std::lock_guard<std::mutex> lk(mu_);
      for (std::uint64_t q : finished) done_ahead_.insert(q);
      while (!done_ahead_.empty() && *done_ahead_.begin() == prefix_done_ + 1) {
        done_ahead_.erase(done_ahead_.begin());
        prefix_done_++;
      }
      completed_ += static_cast<std::uint64_t>(outcount);
      stats_.jobs += static_cast<std::uint64_t>(outcount);
      stats_.payload_bytes += bytes;
      active_.swap(still);
      pending_label_ = !active_.empty() ? active_.front().job.label : (!queue_.empty() ? queue_.front().label : "");
    }
    cv_done_.notify_all();
  }
  // ---- quit: finalize on this thread, the one that initialized ----
  MPI_Finalize();
  {
    std::lock_guard<std::mutex> lk(mu_);
    finalized_ = true;
  }
  cv_done_.notify_all();
}

bool Comm::start(Job& job, MPI_Request* req, std::string* err) {
  int rc = MPI_SUCCESS;
  int n = static_cast<int>(job.count);
  switch (job.kind) {
    case JobKind::kAllreduceSumF32: {
      float* p = static_cast<float*>(job.buf);
      if (job.scale != 1.0) scale_in_place(p, job.count, static_cast<float>(job.scale));
      rc = MPI_Iallreduce(MPI_IN_PLACE, p, n, MPI_FLOAT, MPI_SUM, MPI_COMM_WORLD, req);
      break;
    }
    case JobKind::kAllreduceSumF64:
      rc = MPI_Iallreduce(MPI_IN_PLACE, job.buf, n, MPI_DOUBLE, MPI_SUM, MPI_COMM_WORLD, req);
      break;
    case JobKind::kAllgatherBytes:
      rc = MPI_Iallgather(job.buf, n, MPI_BYTE, job.out, n, MPI_BYTE, MPI_COMM_WORLD, req);
      break;
    case JobKind::kBcastBytes:
      rc = MPI_Ibcast(job.buf, n, MPI_BYTE, job.root, MPI_COMM_WORLD, req);
      break;
  }
  if (rc != MPI_SUCCESS) {
    *err = "MPI error starting " + job.label + ": " + mpi_error(rc);
    return false;
  }
  return true;
}

void Comm::fail(const std::string& msg) {
  {
    std::lock_guard<std::mutex> lk(mu_);
    if (error_.empty()) error_ = msg;
    failed_ = true;
  }
  cv_done_.notify_all();
}

void Comm::poke() {
  bool wake;
  {
    std::lock_guard<std::mutex> lk(mu_);
    poked_ = true;
    stats_.pokes++;
    // Wake the thread only where it waits for a poke: idle (nothing pending) or busy in MPI, a wake-up would be a
    // context switch on a compute core for nothing (busy, it sees poked_ when it next waits).
    wake = poke_waiting_;
  }
  if (wake) cv_work_.notify_one();
}

std::uint64_t Comm::submit(Job job) {
  std::uint64_t seq;
  {
    std::lock_guard<std::mutex> lk(mu_);
    if (pending_label_.empty() && completed_ == submitted_) pending_label_ = job.label;
    seq = job.seq = ++submitted_;
    queue_.push_back(std::move(job));
  }
  cv_work_.notify_one();
  return seq;
}

bool Comm::wait_all(int timeout_ms, std::string* err) {
  std::uint64_t all;
  {
    std::lock_guard<std::mutex> lk(mu_);
    all = submitted_;
  }
  return wait_until(all, timeout_ms, err);
}

bool Comm::wait_until(std::uint64_t seq, int timeout_ms, std::string* err) {
  auto t0 = std::chrono::steady_clock::now();
  std::unique_lock<std::mutex> lk(mu_);
  if (seq > submitted_) seq = submitted_;  // nothing later was submitted: wait for what was
  waiters_++;
  cv_work_.notify_one();  // the thread polls fast while someone waits
  bool ok = cv_done_.wait_for(lk, std::chrono::milliseconds(timeout_ms),
                              [this, seq] { return prefix_done_ >= seq || failed_.load(); });
  waiters_--;
  stats_.wait_ns += static_cast<std::uint64_t>(
      std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now() - t0).count());
  if (failed_) {
    *err = error_;
    return false;
  }
  if (!ok) {
    error_ = "no progress on " + (pending_label_.empty() ? std::string("a collective") : pending_label_) +
             " for " + std::to_string(timeout_ms) + " ms (" + std::to_string(submitted_ - completed_) +
             " collective(s) pending): a peer rank is stopped, overloaded or unreachable";
    failed_ = true;
    *err = error_;
    return false;
  }
  return true;
}

void Comm::abort(int code) {
  {
    std::lock_guard<std::mutex> lk(mu_);
    if (!init_ok_ || finalized_) return;
    abort_code_ = code < 0 ? 1 : code;
  }
  cv_work_.notify_one();
  // MPI_Abort does not return on the thread; give it time to take the job down, then go down ourselves.
  std::this_thread::sleep_for(std::chrono::seconds(10));
  _exit(code < 0 ? 1 : code);
}

bool Comm::finalize(std::string* err) {
  std::unique_lock<std::mutex> lk(mu_);
  if (!init_ok_ || finalized_) return true;
  if (failed_ || completed_ != submitted_) {
    *err = failed_ ? "not finalizing after an MPI failure: " + error_
                   : std::to_string(submitted_ - completed_) + " collective(s) still pending";
    return false;
  }
  quit_ = true;
  lk.unlock();
  cv_work_.notify_one();
  thread_.join();
  return true;
}

CommStats Comm::stats() {
  std::lock_guard<std::mutex> lk(mu_);
  return stats_;
}

}  // namespace dist
}  // namespace simdnet
