// Assigns arena offsets to intermediate tensors by liveness, so tensors whose lifetimes do
// not overlap share memory. Greedy by size (largest first, best-fitting gap), as TFLite's
// arena planner does: near-optimal for the chain-shaped graphs of CNNs, but its cost is the
// number of pairs of tensors alive together, quadratic in a graph that keeps thousands alive
// at once (many parallel branches). Past a budget of such pairs the planner places tensors in
// step order with a best-fit free list instead, O(n log n) at any width.
#pragma once
#include <cstddef>
#include <vector>

namespace octet::rt {

struct BufferRequest {
  size_t bytes = 0;
  int first_step = 0;  // step that writes it
  int last_step = 0;   // last step that reads it
};

struct MemoryPlan {
  std::vector<size_t> offsets;  // per request, 64-byte aligned
  size_t arena_bytes = 0;
};

// Greedy by size while the overlapping pairs stay under this many per request plus the
// minimum (real CNNs have a few per request; 1M pairs take a few tens of milliseconds).
constexpr size_t kGreedyPairsPerRequest = 8;
constexpr size_t kGreedyPairsMin = size_t{1} << 20;

MemoryPlan plan_memory(const std::vector<BufferRequest>& requests);

}  // namespace octet::rt
