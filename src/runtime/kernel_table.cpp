// The dispatch table: for each op, its kernels in the order they are tried (fastest first,
// the reference last). This is the only list of kernels; adding a kernel is adding its
// entry here.
#include "runtime/dnnl/dnnl_kernels.hpp"
#include "runtime/dnnl/int8/int8_kernels.hpp"
#include "runtime/kernel.hpp"
#include "runtime/ref/q_kernels.hpp"
#include "runtime/ref/ref_kernels.hpp"

namespace octet::rt {
namespace {

std::vector<KernelEntry> build_table() {
  std::vector<KernelEntry> table;
  auto add = [&](std::vector<KernelEntry> entries) { table.insert(table.end(), entries.begin(), entries.end()); };
  // oneDNN kernels first: they win wherever they accept a node.
  add(onednn::int8::int8_entries());  // INT8 ops, and MaxPool/Concat/Q/DQ on int8 tensors
  add(onednn::all_entries());
  // Reference kernels last.
  add(ref::all_entries());
  add(ref::q_entries());  // INT8 ops: exact integer arithmetic
  return table;
}

}  // namespace

const std::vector<KernelEntry>& kernel_table() {
  static const std::vector<KernelEntry> table = build_table();
  return table;
}

}  // namespace octet::rt
