// Reading and writing the statistics file; see stats_file.hpp.
#include "quant/statistics/stats_file.hpp"

#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "core/file_type.hpp"
#include "octet/error.hpp"
#include "octet/output.hpp"

namespace octet::quant {
namespace {

constexpr char kMagic[] = "OCTET-STATS\n";
constexpr uint32_t kVersion = 2;  // 2: counts of samples with NaN/Inf

class Writer {
 public:
  template <class T> void pod(const T& v) { out_.append(reinterpret_cast<const char*>(&v), sizeof(T)); }
  void str(const std::string& s) { pod<uint64_t>(s.size()); out_ += s; }
  template <class T> void vec(const std::vector<T>& v) {
    pod<uint64_t>(v.size());
    out_.append(reinterpret_cast<const char*>(v.data()), v.size() * sizeof(T));
  }
  const std::string& bytes() const { return out_; }

 private:
  std::string out_;
};

class Reader {
 public:
  Reader(const std::string& bytes, const std::string& path) : bytes_(bytes), path_(path) {}
  template <class T> T pod() {
    need(sizeof(T));
    T v;
    std::memcpy(&v, bytes_.data() + pos_, sizeof(T));
    pos_ += sizeof(T);
    return v;
  }
  std::string str() {
    const uint64_t n = pod<uint64_t>();
    need(n);
    std::string s = bytes_.substr(pos_, n);
    pos_ += n;
    return s;
  }
  template <class T> std::vector<T> vec() {
    const uint64_t n = pod<uint64_t>();
    if (n > bytes_.size()) need(n);
    need(n * sizeof(T));
    std::vector<T> v(n);
    if (n > 0) std::memcpy(v.data(), bytes_.data() + pos_, n * sizeof(T));  // an empty vector has no buffer
    pos_ += n * sizeof(T);
    return v;
  }
  bool done() const { return pos_ == bytes_.size(); }

 private:
  void need(uint64_t n) const {
    if (n > bytes_.size() - pos_) fail(path_, ": statistics file is truncated or damaged (at byte ", pos_, ")");
  }
  const std::string& bytes_;
  const std::string& path_;
  size_t pos_ = 0;
};

void write_needs(Writer& w, const StatNeeds& n) {
  w.pod<uint8_t>(n.min_max);
  w.vec(n.quantiles);
  w.vec(n.abs_quantiles);
  w.pod<int32_t>(n.histogram_bins);
  w.pod<int32_t>(n.channel_axis);
  w.pod<uint8_t>(n.mean_map);
}

StatNeeds read_needs(Reader& r) {
  StatNeeds n;
  n.min_max = r.pod<uint8_t>() != 0;
  n.quantiles = r.vec<double>();
  n.abs_quantiles = r.vec<double>();
  n.histogram_bins = r.pod<int32_t>();
  n.channel_axis = r.pod<int32_t>();
  n.mean_map = r.pod<uint8_t>() != 0;
  return n;
}

void write_quantile_map(Writer& w, const std::map<double, std::vector<float>>& m) {
  w.pod<uint64_t>(m.size());
  for (const auto& [q, values] : m) {
    w.pod(q);
    w.vec(values);
  }
}

std::map<double, std::vector<float>> read_quantile_map(Reader& r) {
  std::map<double, std::vector<float>> m;
  const uint64_t n = r.pod<uint64_t>();
  for (uint64_t i = 0; i < n; ++i) {
    const double q = r.pod<double>();
    m[q] = r.vec<float>();
  }
  return m;
}

}  // namespace

uint64_t bytes_fingerprint(const void* data, size_t n, uint64_t seed) {
  // FNV-1a, 8 bytes at a time for speed on large weights (resnet50: 100 MB).
  uint64_t h = seed;
  const auto* p = static_cast<const unsigned char*>(data);
  size_t i = 0;
  for (; i + 8 <= n; i += 8) {
    uint64_t word;
    std::memcpy(&word, p + i, 8);
    h = (h ^ word) * 1099511628211ull;
  }
  for (; i < n; ++i) h = (h ^ p[i]) * 1099511628211ull;
  return h;
}

uint64_t graph_fingerprint(const ir::Graph& graph) {
  std::ostringstream s;
  s << graph.opset << "|";
  for (ir::ValueId v : graph.inputs) s << "in:" << graph.value(v).name << shape_str(graph.value(v).shape) << "|";
  for (ir::ValueId v : graph.outputs) s << "out:" << graph.value(v).name << "|";
  for (const ir::Node& n : graph.nodes) {
    if (n.dead) continue;
    s << ir::op_name(n.op) << ":" << n.name << "(";
    for (ir::ValueId v : n.inputs) s << (v == ir::kNoValue ? std::string("-") : graph.value(v).name) << ",";
    s << ")->(";
    for (ir::ValueId v : n.outputs) s << (v == ir::kNoValue ? std::string("-") : graph.value(v).name) << ",";
    s << ")";
    for (const auto& [key, a] : n.attrs) {
      s << key << "=" << a.i << "/" << a.f << "/" << a.s;
      for (int64_t x : a.ints) s << "," << x;
      for (float x : a.floats) s << "," << x;
    }
    s << "|";
  }
  const std::string text = s.str();
  uint64_t h = bytes_fingerprint(text.data(), text.size());
  for (const ir::Value& v : graph.values)
    if (v.is_constant()) h = bytes_fingerprint(v.data->bytes.data(), v.data->bytes.size(), h);
  return h;
}

void write_stats_file(const std::string& path, const StatsFileKey& key, const StatsMap& stats) {
  Writer w;
  w.str(kMagic);
  w.pod(kVersion);
  w.pod(key.model_hash);
  w.pod(key.data_hash);
  w.pod<uint64_t>(stats.size());
  for (const auto& [name, t] : stats) {
    w.str(t.name);
    w.vec(t.shape);
    write_needs(w, t.needs);
    w.pod<uint64_t>(t.samples);
    w.pod(t.min);
    w.pod(t.max);
    w.vec(t.sample_min);
    w.vec(t.sample_max);
    w.vec(t.sample_absmax);
    write_quantile_map(w, t.sample_quantile);
    write_quantile_map(w, t.sample_abs_quantile);
    w.pod(t.histogram.range());
    w.vec(t.needs.histogram_bins > 0 ? t.histogram.counts() : std::vector<double>{});
    w.vec(t.channel_min);
    w.vec(t.channel_max);
    w.vec(t.mean_sum);
    w.pod<uint64_t>(t.nonfinite_samples);
    w.pod<uint64_t>(t.first_nonfinite);
    w.pod<uint64_t>(t.skipped_samples);
  }
  write_file_atomically(path, w.bytes());
}

bool read_stats_file(const std::string& path, const StatsFileKey& key, const StatisticsRequest& request,
                     StatsMap& stats, std::string& why) {
  std::error_code ec;
  if (!std::filesystem::exists(path, ec)) {
    why = "no statistics file yet";
    return false;
  }
  // This run's own statistics, when an output transaction holds them unwritten yet.
  const std::string bytes = read_regular_file(output_location(path));
  Reader r(bytes, path);
  if (bytes.size() < 8 || r.str() != kMagic) fail(path, ": not an octet statistics file");
  const uint32_t version = r.pod<uint32_t>();
  if (version != kVersion) {
    why = cat("statistics file version ", version, ", this octet writes ", kVersion);
    return false;
  }
  const uint64_t model_hash = r.pod<uint64_t>(), data_hash = r.pod<uint64_t>();
  if (model_hash != key.model_hash) { why = "statistics were collected for another model"; return false; }
  if (data_hash != key.data_hash) { why = "statistics were collected on other calibration data"; return false; }
  StatsMap loaded;
  const uint64_t count = r.pod<uint64_t>();
  for (uint64_t i = 0; i < count; ++i) {
    TensorStats t;
    t.name = r.str();
    t.shape = r.vec<int64_t>();
    t.needs = read_needs(r);
    t.samples = r.pod<uint64_t>();
    t.min = r.pod<float>();
    t.max = r.pod<float>();
    t.sample_min = r.vec<float>();
    t.sample_max = r.vec<float>();
    t.sample_absmax = r.vec<float>();
    t.sample_quantile = read_quantile_map(r);
    t.sample_abs_quantile = read_quantile_map(r);
    const float range = r.pod<float>();
    std::vector<double> counts = r.vec<double>();
    if (t.needs.histogram_bins > 0) {
      // A damaged bin count must not size an allocation: the stored counts bound it.
      if (counts.size() != static_cast<size_t>(t.needs.histogram_bins))
        fail(path, ": statistics file is damaged (tensor '", t.name, "' has ", counts.size(), " histogram counts for ",
             t.needs.histogram_bins, " bins)");
      t.histogram = Histogram(t.needs.histogram_bins);
      t.histogram.restore(range, std::move(counts));
    }
    t.channel_min = r.vec<float>();
    t.channel_max = r.vec<float>();
    t.mean_sum = r.vec<double>();
    t.nonfinite_samples = r.pod<uint64_t>();
    t.first_nonfinite = r.pod<uint64_t>();
    t.skipped_samples = r.pod<uint64_t>();
    loaded[t.name] = std::move(t);
  }
  if (!r.done()) fail(path, ": statistics file has trailing bytes (damaged?)");
  for (const auto& [name, needs] : request.tensors) {
    auto it = loaded.find(name);
    if (it == loaded.end()) { why = cat("statistics file lacks tensor '", name, "'"); return false; }
    if (!needs.covered_by(it->second.needs)) {
      why = cat("statistics file lacks some statistic of tensor '", name, "' the current settings need");
      return false;
    }
  }
  stats = std::move(loaded);
  return true;
}

}  // namespace octet::quant
