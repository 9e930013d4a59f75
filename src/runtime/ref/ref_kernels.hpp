// Entries of the reference kernels: plain loops over plain layouts, the fallback for every
// op and the oracle the fast kernels are tested against. One op (or one family of
// elementwise ops sharing a loop) per file.
#pragma once
#include <vector>

#include "runtime/kernel.hpp"

namespace octet::rt::ref {

std::vector<KernelEntry> reorder_entries();

}  // namespace octet::rt::ref
