// ScopedOmpTeam: runs a block with OpenMP's team size set to a plan's thread count, and gives
// the calling thread its own setting back afterwards. OpenMP keeps the team size per thread
// (the nthreads-var ICV), and octet's kernels and oneDNN's primitives read it when they run
// (oneDNN also when a primitive is created), so a plan sets it for exactly its own compile
// and run: two plans with different counts can be run one after the other from one thread,
// and the caller's own parallel regions keep the team size it chose.
#pragma once
#include <omp.h>

namespace octet::rt {

class ScopedOmpTeam {
 public:
  explicit ScopedOmpTeam(int threads) : previous_(omp_get_max_threads()) {
    if (threads != previous_) omp_set_num_threads(threads);
  }
  ~ScopedOmpTeam() {
    if (omp_get_max_threads() != previous_) omp_set_num_threads(previous_);
  }
  ScopedOmpTeam(const ScopedOmpTeam&) = delete;
  ScopedOmpTeam& operator=(const ScopedOmpTeam&) = delete;

 private:
  int previous_;
};

}  // namespace octet::rt
