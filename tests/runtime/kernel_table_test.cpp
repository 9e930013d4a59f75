// The dispatch order per op (runtime/kernel_table.cpp): fast kernels first, the reference
// kernels last, and every supported op has a reference kernel to fall back on and to test
// the fast ones against.
#include <gtest/gtest.h>

#include <string>

#include "ir/op_kind.hpp"
#include "runtime/kernel.hpp"

namespace octet::rt {
namespace {

TEST(KernelTable, ReferenceKernelsComeLastForEveryOp) {
  for (ir::OpKind op : ir::all_op_kinds()) {
    bool seen_reference = false;
    std::string order;
    for (const KernelEntry* e : kernels_for(op)) {
      order += std::string(" ") + e->name;
      if (e->reference) seen_reference = true;
      else EXPECT_FALSE(seen_reference) << ir::op_name(op) << ": fast kernel " << e->name << " after a reference:" << order;
    }
  }
}

TEST(KernelTable, EverySupportedOpHasAReferenceKernel) {
  for (ir::OpKind op : ir::all_op_kinds()) {
    if (!op_supported(op)) continue;
    bool reference = false;
    for (const KernelEntry* e : kernels_for(op)) reference = reference || e->reference;
    EXPECT_TRUE(reference) << ir::op_name(op) << " has no reference kernel (constant folding and the tests need one)";
  }
}

TEST(KernelTable, ReferenceIsAFieldTheNamesAgreeWith) {
  for (const KernelEntry& e : kernel_table())
    EXPECT_EQ(e.reference, std::string(e.name).rfind("ref_", 0) == 0)
        << e.name << ": the docs (octet ops) call ref_* kernels the reference";
}

TEST(KernelTable, AnOpsKernelsAreAdjacent) {
  // kernel_table() is grouped by op: kernels_for(op) is a contiguous run of it.
  const auto& table = kernel_table();
  for (size_t i = 1; i < table.size(); ++i)
    for (size_t j = i + 1; j < table.size() && table[i].op != table[i - 1].op; ++j)
      EXPECT_NE(table[j].op, table[i - 1].op) << table[j].name << " is separated from the other "
                                              << ir::op_name(table[j].op) << " kernels";
}

}  // namespace
}  // namespace octet::rt
