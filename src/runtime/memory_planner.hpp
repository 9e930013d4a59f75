// Assigns arena offsets to intermediate tensors by liveness, so tensors whose lifetimes do
// not overlap share memory. Greedy by size (largest first, lowest offset that fits), as
// TFLite's arena planner does; near-optimal for the chain-shaped graphs of CNNs.
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

MemoryPlan plan_memory(const std::vector<BufferRequest>& requests);

}  // namespace octet::rt
