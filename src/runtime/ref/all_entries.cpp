// The reference kernels' part of the dispatch table, gathered from each file's entries.
#include "runtime/ref/ref_kernels.hpp"

namespace octet::rt::ref {

std::vector<KernelEntry> all_entries() {
  std::vector<KernelEntry> table;
  for (auto entries : {reorder_entries, unary_entries, binary_entries, clip_entries, where_entries, softmax_entries, view_entries, reduce_entries, argminmax_entries, cast_entries, transpose_entries, concat_entries, split_entries, slice_entries, gather_entries, pad_entries, tile_entries, expand_entries, depth_space_entries, shape_entries, generator_entries, trilu_entries, cumsum_entries, topk_entries, quantize_entries, conv_entries, conv_transpose_entries, matmul_entries, gemm_entries, layer_norm_entries, batch_norm_entries, instance_norm_entries, lp_norm_entries, pool_entries, resize_entries, control_flow_entries, recurrent_entries}) {
    std::vector<KernelEntry> e = entries();
    table.insert(table.end(), e.begin(), e.end());
  }
  return table;
}

}  // namespace octet::rt::ref
