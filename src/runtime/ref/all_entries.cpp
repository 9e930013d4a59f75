// The reference kernels' part of the dispatch table, gathered from each file's entries.
#include "runtime/ref/ref_kernels.hpp"

namespace octet::rt::ref {

std::vector<KernelEntry> all_entries() {
  std::vector<KernelEntry> table;
  for (auto entries : {reorder_entries, unary_entries, binary_entries, clip_entries, where_entries,
                       softmax_entries, view_entries}) {
    std::vector<KernelEntry> e = entries();
    table.insert(table.end(), e.begin(), e.end());
  }
  return table;
}

}  // namespace octet::rt::ref
