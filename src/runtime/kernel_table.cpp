// The dispatch table: for each op, its kernels in the order they are tried (fast kernels
// first, the reference last). Each backend lists its own kernels (dnnl/all_entries.cpp,
// dnnl/int8/, ref/all_entries.cpp, ref/q_kernels.hpp); adding a kernel is adding its entry
// to its backend's list, and the order is decided here only.
#include "runtime/dnnl/dnnl_kernels.hpp"
#include "runtime/dnnl/int8/int8_kernels.hpp"
#include "runtime/kernel.hpp"
#include "runtime/ref/q_kernels.hpp"
#include "runtime/ref/ref_kernels.hpp"

namespace octet::rt {
namespace {

// Each backend lists its kernels; this is the one place that orders them. Per op: oneDNN's
// INT8 kernels (which accept only int8 tensors or INT8 ops), then oneDNN's, then the
// reference kernels, whatever order the backends' lists give. An op's first accepting
// kernel runs it, so the reference runs only where no fast kernel takes the node.
std::vector<KernelEntry> build_table() {
  std::vector<std::vector<KernelEntry>> backends = {onednn::int8::int8_entries(), onednn::all_entries()};
  std::vector<KernelEntry> reference = ref::all_entries();
  for (KernelEntry& e : ref::q_entries()) reference.push_back(e);  // INT8 ops: exact integer arithmetic
  for (KernelEntry& e : reference) e.reference = true;
  backends.push_back(std::move(reference));
  std::vector<KernelEntry> table;
  for (ir::OpKind op : ir::all_op_kinds())
    for (const std::vector<KernelEntry>& backend : backends)
      for (const KernelEntry& e : backend)
        if (e.op == op) table.push_back(e);
  return table;
}

}  // namespace

const std::vector<KernelEntry>& kernel_table() {
  static const std::vector<KernelEntry> table = build_table();
  return table;
}

}  // namespace octet::rt
