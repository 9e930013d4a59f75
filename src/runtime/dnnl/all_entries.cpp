// The oneDNN entries in one list, in the order the kernel table tries them.
#include "runtime/dnnl/dnnl_kernels.hpp"

namespace octet::rt::onednn {

std::vector<KernelEntry> all_entries() {
  std::vector<KernelEntry> table;
  for (auto entries : {conv_entries, conv_transpose_entries, fully_connected_entries, matmul_entries, pool_entries, eltwise_entries,
                       binary_entries, concat_entries, softmax_entries, layer_norm_entries, resize_entries,
                       reorder_entries}) {
    std::vector<KernelEntry> e = entries();
    table.insert(table.end(), e.begin(), e.end());
  }
  return table;
}

}  // namespace octet::rt::onednn
