// The one table of metric names -> factories. Built-ins are listed here, not registered by
// static initializers; register_metric() adds a user's metric at run time.
#include <mutex>

#include "eval/metrics.hpp"

namespace octet {
namespace {

struct Table {
  std::mutex mutex;
  std::map<std::string, MetricFactory> factories = {
      {"top1", [] { return eval::make_topk(1); }},
      {"top5", [] { return eval::make_topk(5); }},
      {"agreement", [] { return eval::make_agreement(); }},
      {"cosine", [] { return eval::make_cosine(); }},
      {"sqnr", [] { return eval::make_sqnr(); }},
      {"max_abs", [] { return eval::make_max_abs(); }},
  };
};

Table& table() {
  static Table t;
  return t;
}

}  // namespace

std::unique_ptr<Metric> make_metric(const std::string& name) {
  Table& t = table();
  std::lock_guard<std::mutex> lock(t.mutex);
  auto it = t.factories.find(name);
  if (it == t.factories.end()) {
    std::string known;
    for (const auto& [n, f] : t.factories) known += (known.empty() ? "" : ", ") + n;
    fail("unknown metric '", name, "' (known: ", known, ")");
  }
  return it->second();
}

std::vector<std::string> metric_names() {
  Table& t = table();
  std::lock_guard<std::mutex> lock(t.mutex);
  std::vector<std::string> names;
  for (const auto& [n, f] : t.factories) names.push_back(n);
  return names;
}

void register_metric(const std::string& name, MetricFactory factory) {
  if (name.empty() || !factory) fail("register_metric: a metric needs a name and a factory");
  Table& t = table();
  std::lock_guard<std::mutex> lock(t.mutex);
  t.factories[name] = std::move(factory);
}

}  // namespace octet
