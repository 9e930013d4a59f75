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

// Every reference entry above, in one list, for the kernel table.
std::vector<KernelEntry> all_entries();

}  // namespace octet::rt::ref
