// The arena planner: tensors alive at a common step never share bytes, whichever strategy
// runs (greedy by size, or step order once too many tensors overlap), and memory is reused
// where lifetimes allow.
#include "runtime/memory_planner.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <random>

namespace octet::rt {
namespace {

size_t aligned(size_t bytes) { return (std::max<size_t>(bytes, 1) + 63) / 64 * 64; }

// Every pair alive together gets disjoint bytes, and all fit in the arena.
void expect_valid(const std::vector<BufferRequest>& requests, const MemoryPlan& plan) {
  ASSERT_EQ(plan.offsets.size(), requests.size());
  for (size_t a = 0; a < requests.size(); ++a) {
    EXPECT_EQ(plan.offsets[a] % 64, 0u);
    EXPECT_LE(plan.offsets[a] + aligned(requests[a].bytes), plan.arena_bytes) << "request " << a;
    for (size_t b = a + 1; b < requests.size(); ++b) {
      const bool together = requests[a].first_step <= requests[b].last_step && requests[b].first_step <= requests[a].last_step;
      const bool apart = plan.offsets[a] + aligned(requests[a].bytes) <= plan.offsets[b] ||
                         plan.offsets[b] + aligned(requests[b].bytes) <= plan.offsets[a];
      if (together) ASSERT_TRUE(apart) << "requests " << a << " and " << b << " overlap in time and memory";
    }
  }
}

TEST(MemoryPlanner, ChainReusesTwoBuffers) {
  std::vector<BufferRequest> chain;
  for (int s = 0; s < 1000; ++s) chain.push_back({4096, s, s + 1});  // written at s, read at s + 1
  const MemoryPlan plan = plan_memory(chain);
  expect_valid(chain, plan);
  EXPECT_EQ(plan.arena_bytes, 2u * 4096);
}

TEST(MemoryPlanner, RandomLifetimesNeverCollide) {
  std::mt19937 rng(7);
  for (int trial = 0; trial < 20; ++trial) {
    std::vector<BufferRequest> requests;
    for (int i = 0; i < 200; ++i) {
      const int first = static_cast<int>(rng() % 100);
      requests.push_back({static_cast<size_t>(rng() % 5000), first, first + static_cast<int>(rng() % 20)});
    }
    expect_valid(requests, plan_memory(requests));
  }
}

// 2,000 tensors alive at once are ~2M overlapping pairs, past the greedy budget: the step-order
// planner takes over, still valid and still tight (all alive together need all their bytes).
TEST(MemoryPlanner, ManyTensorsAliveAtOnceStayValidAndTight) {
  std::vector<BufferRequest> requests;
  const int n = 2000;
  for (int i = 0; i < n; ++i) requests.push_back({64, i, n});  // all read by the last step
  for (int i = 0; i < n; ++i) requests.push_back({128, n + 1 + i, n + 2 + i});  // a chain after
  const MemoryPlan plan = plan_memory(requests);
  EXPECT_EQ(plan.arena_bytes, n * 64u);  // the chain after reuses the freed space
  // Checking all pairs is quadratic; the shape of this case makes a sample enough.
  std::vector<BufferRequest> sample(requests.begin(), requests.begin() + 300);
  MemoryPlan sampled;
  sampled.offsets.assign(plan.offsets.begin(), plan.offsets.begin() + 300);
  sampled.arena_bytes = plan.arena_bytes;
  expect_valid(sample, sampled);
  std::vector<size_t> offsets(plan.offsets.begin(), plan.offsets.begin() + n);
  std::sort(offsets.begin(), offsets.end());
  EXPECT_EQ(std::unique(offsets.begin(), offsets.end()), offsets.end());  // all alive: all distinct
}

}  // namespace
}  // namespace octet::rt
