// Entries of the oneDNN kernels: the fast FP32 path. Each op (or family sharing a primitive)
// has one file exporting its entries; all_entries() lists them for the kernel table, where
// they come before the reference kernels so they win wherever their why_not() accepts.
#pragma once
#include <vector>

#include "runtime/kernel.hpp"

namespace octet::rt::onednn {

std::vector<KernelEntry> conv_entries();             // Conv, FusedConv
std::vector<KernelEntry> conv_transpose_entries();   // ConvTranspose
std::vector<KernelEntry> fully_connected_entries();  // FullyConnected, Gemm (constant B)
std::vector<KernelEntry> matmul_entries();           // MatMul
std::vector<KernelEntry> pool_entries();             // MaxPool, AveragePool, Global*Pool
std::vector<KernelEntry> eltwise_entries();          // unary activations and math
std::vector<KernelEntry> binary_entries();           // Add, Sub, Mul, Div, Max, Min
std::vector<KernelEntry> concat_entries();           // Concat
std::vector<KernelEntry> softmax_entries();          // Softmax, LogSoftmax
std::vector<KernelEntry> layer_norm_entries();       // LayerNormalization
std::vector<KernelEntry> resize_entries();           // Resize (where ONNX's coordinates are oneDNN's)
std::vector<KernelEntry> reorder_entries();          // the planner's layout changes

// Every oneDNN entry above, in one list, for the kernel table.
std::vector<KernelEntry> all_entries();

}  // namespace octet::rt::onednn
