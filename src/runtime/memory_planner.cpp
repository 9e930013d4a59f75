// Offset assignment for the activation arena; see memory_planner.hpp for the two strategies.
#include "runtime/memory_planner.hpp"

#include <algorithm>
#include <cstdint>
#include <map>
#include <numeric>
#include <set>

namespace octet::rt {
namespace {

constexpr size_t kAlign = 64;
size_t aligned_size(const BufferRequest& r) { return (std::max<size_t>(r.bytes, 1) + kAlign - 1) / kAlign * kAlign; }

// Request indices in the order they start (ties: the order given).
std::vector<size_t> by_first_step(const std::vector<BufferRequest>& requests) {
  std::vector<size_t> order(requests.size());
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(),
                   [&](size_t a, size_t b) { return requests[a].first_step < requests[b].first_step; });
  return order;
}

// For each request, the others alive at some common step ([first, last] intersect), found by
// one sweep in start order; empty with `exceeded` set once there are more than `budget` pairs.
std::vector<std::vector<uint32_t>> overlaps(const std::vector<BufferRequest>& requests, size_t budget, bool& exceeded) {
  std::vector<std::vector<uint32_t>> result(requests.size());
  std::multimap<int, size_t> alive;  // last step -> request, among those started
  size_t pairs = 0;
  exceeded = false;
  for (size_t r : by_first_step(requests)) {
    const BufferRequest& req = requests[r];
    alive.erase(alive.begin(), alive.lower_bound(req.first_step));  // ended before r starts
    pairs += alive.size();
    if (pairs > budget) {
      exceeded = true;
      return {};
    }
    for (const auto& [last, other] : alive) {
      result[r].push_back(static_cast<uint32_t>(other));
      result[other].push_back(static_cast<uint32_t>(r));
    }
    alive.emplace(req.last_step, r);
  }
  return result;
}

// Greedy by size: largest first, each at the best-fitting gap among the tensors placed so far
// that overlap it in time, else on top of them. Cost: the overlapping pairs.
MemoryPlan greedy_by_size(const std::vector<BufferRequest>& requests, const std::vector<std::vector<uint32_t>>& overlap) {
  std::vector<size_t> order(requests.size());
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(),
                   [&](size_t a, size_t b) { return requests[a].bytes > requests[b].bytes; });
  MemoryPlan plan;
  plan.offsets.assign(requests.size(), 0);
  std::vector<char> placed(requests.size(), 0);
  std::vector<std::pair<size_t, size_t>> busy;
  for (size_t r : order) {
    const size_t bytes = aligned_size(requests[r]);
    // Intervals of memory taken by tensors alive at the same time, sorted by offset.
    busy.clear();
    for (uint32_t o : overlap[r])
      if (placed[o]) busy.push_back({plan.offsets[o], plan.offsets[o] + aligned_size(requests[o])});
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
    placed[r] = 1;
    plan.arena_bytes = std::max(plan.arena_bytes, best + bytes);
  }
  return plan;
}

// In step order, as an allocator would: at each step the tensors it writes take the smallest
// free block that fits (or the top of the arena), then those it read last are freed and
// merged with free neighbours. O(n log n) whatever the overlap.
MemoryPlan in_step_order(const std::vector<BufferRequest>& requests) {
  MemoryPlan plan;
  plan.offsets.assign(requests.size(), 0);
  std::map<size_t, size_t> free_at;             // offset -> size of a free block below the top
  std::set<std::pair<size_t, size_t>> by_size;  // (size, offset) of the same blocks
  size_t top = 0;
  auto take = [&](size_t bytes) {
    auto it = by_size.lower_bound({bytes, 0});
    if (it == by_size.end()) {
      // Nothing fits: grow the arena, starting inside a free block that reaches the top.
      size_t offset = top;
      if (auto last = free_at.empty() ? free_at.end() : std::prev(free_at.end());
          last != free_at.end() && last->first + last->second == top) {
        offset = last->first;
        by_size.erase({last->second, last->first});
        free_at.erase(last);
      }
      top = offset + bytes;
      return offset;
    }
    const auto [size, offset] = *it;
    by_size.erase(it);
    free_at.erase(offset);
    if (size > bytes) {
      free_at[offset + bytes] = size - bytes;
      by_size.insert({size - bytes, offset + bytes});
    }
    return offset;
  };
  auto give_back = [&](size_t offset, size_t bytes) {
    auto next = free_at.lower_bound(offset);
    if (next != free_at.end() && offset + bytes == next->first) {
      bytes += next->second;
      by_size.erase({next->second, next->first});
      next = free_at.erase(next);
    }
    if (next != free_at.begin()) {
      auto prev = std::prev(next);
      if (prev->first + prev->second == offset) {
        offset = prev->first;
        bytes += prev->second;
        by_size.erase({prev->second, prev->first});
        free_at.erase(prev);
      }
    }
    free_at[offset] = bytes;
    by_size.insert({bytes, offset});
  };
  const std::vector<size_t> starts = by_first_step(requests);
  std::vector<size_t> ends(requests.size());
  std::iota(ends.begin(), ends.end(), 0);
  std::stable_sort(ends.begin(), ends.end(),
                   [&](size_t a, size_t b) { return requests[a].last_step < requests[b].last_step; });
  size_t s = 0, e = 0;
  while (s < starts.size()) {
    const int step = requests[starts[s]].first_step;
    // Freed only after the step that last reads them, so tensors of this step never share.
    for (; e < ends.size() && requests[ends[e]].last_step < step; ++e)
      give_back(plan.offsets[ends[e]], aligned_size(requests[ends[e]]));
    for (; s < starts.size() && requests[starts[s]].first_step == step; ++s)
      plan.offsets[starts[s]] = take(aligned_size(requests[starts[s]]));
  }
  plan.arena_bytes = top;
  return plan;
}

}  // namespace

MemoryPlan plan_memory(const std::vector<BufferRequest>& requests) {
  bool exceeded = false;
  const size_t budget = kGreedyPairsPerRequest * requests.size() + kGreedyPairsMin;
  const auto overlap = overlaps(requests, budget, exceeded);
  return exceeded ? in_step_order(requests) : greedy_by_size(requests, overlap);
}

}  // namespace octet::rt
