// Entries of the reference INT8 kernels (QConv, QFullyConnected, QAdd, QAveragePool, and MaxPool
// on uint8/int8): exact integer arithmetic plus the shared requantization of q_attrs.hpp. They
// are the oracle of the oneDNN INT8 kernels and their fallback. The *_why_not checks of a
// node's semantics are shared with the oneDNN kernels, which add their own limits on top.
#pragma once
#include <string>
#include <vector>

#include "runtime/kernel.hpp"

namespace octet::rt::ref {

// "" when the node's inputs, attributes and output fit the op's semantics (layouts not checked).
std::string qconv_why_not(const KernelContext& ctx);
std::string qfully_connected_why_not(const KernelContext& ctx);
std::string qaverage_pool_why_not(const KernelContext& ctx);

std::vector<KernelEntry> qconv_entries();
std::vector<KernelEntry> qfully_connected_entries();
std::vector<KernelEntry> qadd_entries();
std::vector<KernelEntry> qaverage_pool_entries();
std::vector<KernelEntry> qmaxpool_entries();

// All of the above, for the kernel table.
inline std::vector<KernelEntry> q_entries() {
  std::vector<KernelEntry> all;
  for (auto entries : {qconv_entries(), qfully_connected_entries(), qadd_entries(), qaverage_pool_entries(),
                       qmaxpool_entries()})
    all.insert(all.end(), entries.begin(), entries.end());
  return all;
}

}  // namespace octet::rt::ref
