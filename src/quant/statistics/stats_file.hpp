// The statistics file (--stats): calibration results one run writes and later runs read, so
// re-quantizing with other settings skips calibration (as TensorRT's calibration cache and
// llama.cpp's imatrix do). Binary, little-endian, versioned; it records a fingerprint of the
// optimized model and of the calibration data, and is reused only when both match and it
// holds every statistic the current settings need.
#pragma once
#include <cstdint>
#include <string>

#include "ir/graph.hpp"
#include "quant/statistics/collector.hpp"

namespace octet::quant {

struct StatsFileKey {
  uint64_t model_hash = 0;  // graph_fingerprint of the optimized FP32 graph
  uint64_t data_hash = 0;   // sample count and the first sample's bytes
};

// FNV-1a over the graph's structure (ops, names, attributes, wiring, input shapes) and every
// constant's bytes.
uint64_t graph_fingerprint(const ir::Graph& graph);
uint64_t bytes_fingerprint(const void* data, size_t n, uint64_t seed = 1469598103934665603ull);

void write_stats_file(const std::string& path, const StatsFileKey& key, const StatsMap& stats);

// Reads the file; returns false (and why, in `why`) when it is absent, for another model or
// data, or lacks something `request` needs. A damaged file is an error naming it.
bool read_stats_file(const std::string& path, const StatsFileKey& key, const StatisticsRequest& request,
                     StatsMap& stats, std::string& why);

}  // namespace octet::quant
