// Entries of the reference kernels: plain loops over plain layouts, the fallback for every
// op and the oracle the fast kernels are tested against. One op (or one family of ops
// sharing a loop) per file; each file exports one function returning its entries.
#pragma once
#include <vector>

#include "runtime/kernel.hpp"

namespace octet::rt::ref {

std::vector<KernelEntry> reorder_entries();
std::vector<KernelEntry> unary_entries();
std::vector<KernelEntry> binary_entries();
std::vector<KernelEntry> clip_entries();
std::vector<KernelEntry> where_entries();
std::vector<KernelEntry> softmax_entries();
std::vector<KernelEntry> view_entries();
std::vector<KernelEntry> reduce_entries();
std::vector<KernelEntry> argminmax_entries();
std::vector<KernelEntry> cast_entries();
std::vector<KernelEntry> transpose_entries();
std::vector<KernelEntry> concat_entries();
std::vector<KernelEntry> split_entries();
std::vector<KernelEntry> slice_entries();
std::vector<KernelEntry> gather_entries();
std::vector<KernelEntry> pad_entries();
std::vector<KernelEntry> tile_entries();
std::vector<KernelEntry> expand_entries();
std::vector<KernelEntry> depth_space_entries();
std::vector<KernelEntry> shape_entries();
std::vector<KernelEntry> generator_entries();
std::vector<KernelEntry> trilu_entries();
std::vector<KernelEntry> cumsum_entries();
std::vector<KernelEntry> topk_entries();
std::vector<KernelEntry> quantize_entries();
std::vector<KernelEntry> conv_entries();
std::vector<KernelEntry> conv_transpose_entries();
std::vector<KernelEntry> matmul_entries();
std::vector<KernelEntry> gemm_entries();
std::vector<KernelEntry> layer_norm_entries();
std::vector<KernelEntry> batch_norm_entries();
std::vector<KernelEntry> instance_norm_entries();
std::vector<KernelEntry> lp_norm_entries();
std::vector<KernelEntry> pool_entries();
std::vector<KernelEntry> resize_entries();
std::vector<KernelEntry> control_flow_entries();  // If, Loop, Scan
std::vector<KernelEntry> recurrent_entries();     // RNN, GRU, LSTM

// Every reference entry above, in one list, for the kernel table.
std::vector<KernelEntry> all_entries();

}  // namespace octet::rt::ref
