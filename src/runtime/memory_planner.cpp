// Greedy-by-size offset assignment; see memory_planner.hpp.
#include "runtime/memory_planner.hpp"

#include <algorithm>
#include <cstdint>
#include <numeric>

namespace octet::rt {

MemoryPlan plan_memory(const std::vector<BufferRequest>& requests) {
  constexpr size_t kAlign = 64;
  auto align = [](size_t n) { return (n + kAlign - 1) / kAlign * kAlign; };
  std::vector<size_t> order(requests.size());
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(),
                   [&](size_t a, size_t b) { return requests[a].bytes > requests[b].bytes; });
  MemoryPlan plan;
  plan.offsets.assign(requests.size(), 0);
  struct Placed { size_t offset, bytes; int first, last; };
  std::vector<Placed> placed;
  for (size_t r : order) {
    const BufferRequest& req = requests[r];
    const size_t bytes = align(std::max<size_t>(req.bytes, 1));
    // Intervals of memory taken by tensors alive at the same time, sorted by offset.
    std::vector<std::pair<size_t, size_t>> busy;
    for (const Placed& p : placed)
      if (p.first <= req.last_step && req.first_step <= p.last) busy.push_back({p.offset, p.offset + p.bytes});
    std::sort(busy.begin(), busy.end());
    size_t best = SIZE_MAX, best_gap = SIZE_MAX, cursor = 0;
    for (const auto& [begin, end] : busy) {
      if (begin > cursor && begin - cursor >= bytes && begin - cursor < best_gap) {
        best = cursor;
        best_gap = begin - cursor;
      }
      cursor = std::max(cursor, end);
    }
    if (best == SIZE_MAX) best = cursor;
    plan.offsets[r] = best;
    plan.arena_bytes = std::max(plan.arena_bytes, best + bytes);
    placed.push_back({best, bytes, req.first_step, req.last_step});
  }
  return plan;
}

}  // namespace octet::rt
