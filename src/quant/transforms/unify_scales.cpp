// Union-find over quantizers, then one range per merged group; see unify_scales.hpp.
#include "quant/transforms/unify_scales.hpp"

#include <algorithm>
#include <map>
#include <numeric>

namespace octet::quant {

void unify_scales(QuantSetup& setup) {
  const size_t n = setup.activations.size();
  std::vector<size_t> parent(n);
  std::iota(parent.begin(), parent.end(), 0);
  auto find = [&](size_t x) {
    while (parent[x] != x) x = parent[x] = parent[parent[x]];
    return x;
  };
  std::map<size_t, std::string> why;
  for (const UnifyGroup& g : setup.groups) {
    if (g.members.empty()) continue;
    const size_t first = find(static_cast<size_t>(g.members[0]));
    for (int m : g.members) parent[find(static_cast<size_t>(m))] = first;
  }
  for (const UnifyGroup& g : setup.groups) {
    if (g.members.empty()) continue;
    std::string& w = why[find(static_cast<size_t>(g.members[0]))];
    w += (w.empty() ? "" : ", ") + g.why;
  }
  std::map<size_t, Range> merged;
  std::map<size_t, int> size;
  for (size_t i = 0; i < n; ++i) {
    const ActivationQuantizer& a = setup.activations[i];
    const size_t root = find(i);
    ++size[root];
    if (a.uses.empty()) continue;
    auto [it, fresh] = merged.emplace(root, a.range);
    if (!fresh) {
      it->second.lo = std::min(it->second.lo, a.range.lo);
      it->second.hi = std::max(it->second.hi, a.range.hi);
    }
  }
  for (size_t i = 0; i < n; ++i) {
    const size_t root = find(i);
    if (size[root] < 2 || !merged.count(root)) continue;
    ActivationQuantizer& a = setup.activations[i];
    a.range = merged[root];
    a.estimator += " (scale shared: " + why[root] + ")";
  }
}

}  // namespace octet::quant
