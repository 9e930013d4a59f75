// The registry of temporaries and the cleanup signal handler; see temp_registry.hpp.
//
// The handler may run on any thread (OpenMP workers do not block signals), while the thread
// that writes files adds and removes paths. So the table is fixed slots that are never freed,
// each path guarded by a sequence number (odd while it is being rewritten): the handler copies
// a path, checks the number did not move, and unlinks only a path it read whole.
#include "core/temp_registry.hpp"

#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <time.h>
#include <unistd.h>

#include <atomic>
#include <cstring>
#include <mutex>
#include <vector>

#include "octet/error.hpp"

namespace octet::temp_registry {
namespace {

// Every signal whose default action terminates the process (with or without a core dump).
std::vector<int> terminating_signals() {
  std::vector<int> s = {SIGHUP,  SIGINT,  SIGQUIT, SIGILL,    SIGTRAP, SIGABRT, SIGBUS,  SIGFPE,
                        SIGUSR1, SIGSEGV, SIGUSR2, SIGPIPE,   SIGALRM, SIGTERM, SIGXCPU, SIGXFSZ,
                        SIGVTALRM, SIGPROF, SIGIO, SIGSYS};
#ifdef SIGSTKFLT
  s.push_back(SIGSTKFLT);
#endif
#ifdef SIGPWR
  s.push_back(SIGPWR);
#endif
  for (int r = SIGRTMIN; r <= SIGRTMAX; ++r) s.push_back(r);
  return s;
}

struct Slot {
  std::atomic<unsigned> seq{0};   // odd while `path` is being written
  std::atomic<bool> used{false};  // holds a live temporary
  char path[PATH_MAX] = {};
};
constexpr size_t kSlotsPerChunk = 16;
struct Chunk {
  Slot slots[kSlotsPerChunk];
  std::atomic<Chunk*> next{nullptr};  // chunks are added, never freed
};

Chunk g_first;
std::atomic<int> g_critical{0};  // CriticalSections alive (commits in progress)

struct State {
  std::mutex mutex;
  int live = 0;  // slots in use
  std::vector<int> signals = terminating_signals();
  std::vector<struct sigaction> old = std::vector<struct sigaction>(signals.size());
  std::vector<char> installed = std::vector<char>(signals.size(), 0);
};
State& state() {
  static State* s = new State;  // never destroyed: a handler may run during exit
  return *s;
}

extern "C" void remove_temporaries_and_reraise(int sig) {
  // A commit on another thread finishes first (it holds these signals off on its own thread).
  for (int i = 0; i < 5000 && g_critical.load() > 0; ++i) {
    struct timespec ms = {0, 1000000};
    ::nanosleep(&ms, nullptr);
  }
  char copy[PATH_MAX];
  for (Chunk* c = &g_first; c != nullptr; c = c->next.load()) {
    for (Slot& s : c->slots) {
      if (!s.used.load()) continue;
      const unsigned before = s.seq.load();
      if (before % 2 != 0) continue;
      std::memcpy(copy, s.path, sizeof copy);
      if (s.seq.load() != before || !s.used.load()) continue;
      copy[sizeof copy - 1] = '\0';
      ::unlink(copy);
    }
  }
  ::raise(sig);  // SA_RESETHAND restored the default action; SA_NODEFER lets it through
}

// Signals a caller ignores or handles (nohup's SIGHUP, a sanitizer's SIGSEGV) are left alone.
void install(State& st) {
  struct sigaction sa {};
  sa.sa_handler = remove_temporaries_and_reraise;
  sa.sa_flags = SA_RESETHAND | SA_NODEFER;
  sigemptyset(&sa.sa_mask);
  for (size_t i = 0; i < st.signals.size(); ++i) {
    struct sigaction old {};
    if (::sigaction(st.signals[i], nullptr, &old) != 0 || (old.sa_flags & SA_SIGINFO) || old.sa_handler != SIG_DFL)
      continue;
    st.installed[i] = ::sigaction(st.signals[i], &sa, &st.old[i]) == 0;
  }
}

void restore(State& st) {
  for (size_t i = 0; i < st.signals.size(); ++i)
    if (st.installed[i]) {
      ::sigaction(st.signals[i], &st.old[i], nullptr);
      st.installed[i] = 0;
    }
}

Slot* slot_of(Handle h) {
  Chunk* c = &g_first;
  for (int i = (h - 1) / static_cast<int>(kSlotsPerChunk); i > 0; --i) c = c->next.load();
  return &c->slots[(h - 1) % static_cast<int>(kSlotsPerChunk)];
}

}  // namespace

Handle add(const std::string& path) {
  if (path.size() >= PATH_MAX) fail(path.substr(0, 200), "...: the path is too long (", path.size(), " bytes)");
  State& st = state();
  std::lock_guard<std::mutex> lock(st.mutex);
  Handle h = 0;
  for (Chunk* c = &g_first;; c = c->next.load()) {
    for (Slot& s : c->slots) {
      ++h;
      if (s.used.load()) continue;
      s.seq.fetch_add(1);
      std::memcpy(s.path, path.c_str(), path.size() + 1);
      s.seq.fetch_add(1);
      s.used.store(true);
      if (st.live++ == 0) install(st);
      return h;
    }
    if (c->next.load() == nullptr) c->next.store(new Chunk);
  }
}

void remove(Handle h) {
  if (h <= 0) return;
  State& st = state();
  std::lock_guard<std::mutex> lock(st.mutex);
  Slot* s = slot_of(h);
  if (!s->used.load()) return;
  s->used.store(false);
  if (--st.live == 0) restore(st);
}

CriticalSection::CriticalSection() {
  sigset_t all;
  sigemptyset(&all);
  for (int sig : state().signals) sigaddset(&all, sig);
  sigemptyset(&old_mask_);
  pthread_sigmask(SIG_BLOCK, &all, &old_mask_);
  g_critical.fetch_add(1);
}

CriticalSection::~CriticalSection() {
  g_critical.fetch_sub(1);
  pthread_sigmask(SIG_SETMASK, &old_mask_, nullptr);
}

}  // namespace octet::temp_registry
