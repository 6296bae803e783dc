// See signals.h.
#include "signals.h"

#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <cstring>
#include <mutex>

namespace simdnet {
namespace dist {

namespace {

constexpr int kSlots = 16;
constexpr std::size_t kMaxPath = 4096;
const int kSignals[] = {SIGINT, SIGTERM, SIGHUP};
constexpr int kNumSignals = 3;

char g_path[kSlots][kMaxPath];
std::atomic<int> g_state[kSlots];      // 0 free, 1 being filled, 2 armed
std::atomic<unsigned> g_ending[kSlots];
struct sigaction g_prev[kNumSignals];   // the handler each signal had before ours
std::mutex g_install_mu;                // guards g_prev while (re)installing, never taken by the handler

int signal_index(int sig) {
  for (int k = 0; k < kNumSignals; k++) {
    if (kSignals[k] == sig) return k;
  }
  return -1;
}

void on_signal(int sig, siginfo_t* info, void* uc) {
  const int k = signal_index(sig);
  if (k < 0) return;
  for (int i = 0; i < kSlots; i++) {
    if (g_state[i].load() == 2 && (g_ending[i].load() & (1u << k))) unlink(g_path[i]);
  }
  const struct sigaction& prev = g_prev[k];
  if (prev.sa_flags & SA_RESETHAND) {
    // the previous handler expected its disposition to be reset before it ran (Node's SignalExit re-raises)
    struct sigaction dfl;
    std::memset(&dfl, 0, sizeof dfl);
    dfl.sa_handler = SIG_DFL;
    sigaction(sig, &dfl, nullptr);
  }
  if (prev.sa_flags & SA_SIGINFO) {
    if (prev.sa_sigaction != nullptr) prev.sa_sigaction(sig, info, uc);
  } else if (prev.sa_handler == SIG_DFL) {
    struct sigaction dfl;
    std::memset(&dfl, 0, sizeof dfl);
    dfl.sa_handler = SIG_DFL;
    sigaction(sig, &dfl, nullptr);
    raise(sig);  // pending until this handler returns (the signal is blocked while it runs), then the default action
  } else if (prev.sa_handler != SIG_IGN && prev.sa_handler != nullptr) {
    prev.sa_handler(sig);
  }
}

void install() {
  std::lock_guard<std::mutex> lk(g_install_mu);
  for (int k = 0; k < kNumSignals; k++) {
    struct sigaction cur;
    if (sigaction(kSignals[k], nullptr, &cur) != 0) continue;
    if ((cur.sa_flags & SA_SIGINFO) && cur.sa_sigaction == on_signal) continue;  // ours already
    struct sigaction mine;
    std::memset(&mine, 0, sizeof mine);
    mine.sa_sigaction = on_signal;
    mine.sa_flags = SA_SIGINFO | SA_RESTART;
    sigemptyset(&mine.sa_mask);
    for (int s : kSignals) sigaddset(&mine.sa_mask, s);
    g_prev[k] = cur;
    sigaction(kSignals[k], &mine, nullptr);
  }
}

}  // namespace

int guard_file(const char* path, std::size_t len, unsigned ending) {
  if (len == 0 || len >= kMaxPath) return -1;
  install();
  for (int i = 0; i < kSlots; i++) {
    int expected = 0;
    if (!g_state[i].compare_exchange_strong(expected, 1)) continue;
    std::memcpy(g_path[i], path, len);
    g_path[i][len] = '\0';
    g_ending[i].store(ending);
    g_state[i].store(2);
    return i;
  }
  return -1;
}

void unguard_file(int slot) {
  if (slot >= 0 && slot < kSlots) g_state[slot].store(0);
}

int guarded_files() {
  int n = 0;
  for (int i = 0; i < kSlots; i++) n += g_state[i].load() == 2 ? 1 : 0;
  return n;
}

}  // namespace dist
}  // namespace simdnet
