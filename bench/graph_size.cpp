// Graph size against time: how long octet takes to load, compile and run a model as its node
// count grows, for a deep chain of Relu and for a wide graph (parallel Relu branches summed
// by a tree of Adds). Linear growth is the contract (docs/benchmarks.md has the figures):
// time per node should stay flat from 10k to 1M nodes.
//
//   build/octet_graph_size_bench [--nodes 10000,100000,1000000] [--shapes chain,wide]
//                                [--width 256] [--iters 5] [--threads 1]
//
// Prints a markdown table: shape, nodes, file write/load/compile/first run in seconds, median
// per-inference latency in ms, microseconds per node for load+compile+run, and whether the
// output was the expected multiple of relu(x).
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <unistd.h>
#include <iostream>
#include <sstream>
#include <string>
#include <vector>

#include "octet/engine.hpp"
#include "tests/fixtures/graph_shapes.hpp"

namespace {

using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point t0) { return std::chrono::duration<double>(Clock::now() - t0).count(); }

std::vector<std::string> split(const std::string& s) {
  std::vector<std::string> parts;
  std::stringstream ss(s);
  for (std::string item; std::getline(ss, item, ',');)
    if (!item.empty()) parts.push_back(item);
  return parts;
}

struct Options {
  std::vector<int> nodes = {10000, 100000, 1000000};
  std::vector<std::string> shapes = {"chain", "wide"};
  int64_t width = 256;
  int iters = 5;
  int threads = 1;
};

Options parse(int argc, char** argv) {
  Options o;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string key = argv[i], value = argv[i + 1];
    if (key == "--nodes") {
      o.nodes.clear();
      for (const auto& n : split(value)) o.nodes.push_back(std::stoi(n));
    } else if (key == "--shapes") {
      o.shapes = split(value);
    } else if (key == "--width") {
      o.width = std::stoll(value);
    } else if (key == "--iters") {
      o.iters = std::stoi(value);
    } else if (key == "--threads") {
      o.threads = std::stoi(value);
    } else {
      std::cerr << "unknown option " << key << "\n";
      std::exit(2);
    }
  }
  return o;
}

// The model of `shape` with about `nodes` nodes, and the factor its output carries on relu(x).
// A wide graph is sqrt(nodes) branches of sqrt(nodes) Relu each: both width and depth grow.
octet::testing::OnnxBuilder make(const std::string& shape, int nodes, int64_t width, float& factor) {
  if (shape == "chain") {
    factor = 1.0f;
    return octet::testing::chain_model(nodes, width);
  }
  if (shape == "wide") {
    const int branches = std::max(1, static_cast<int>(std::sqrt(static_cast<double>(nodes))));
    factor = static_cast<float>(branches);
    return octet::testing::wide_model(branches, std::max(1, nodes / branches - 1), width);
  }
  std::cerr << "unknown shape " << shape << " (chain, wide)\n";
  std::exit(2);
}

}  // namespace

int main(int argc, char** argv) {
  const Options o = parse(argc, argv);
  const std::filesystem::path dir =
      std::filesystem::temp_directory_path() / ("octet-graph-size-" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  std::printf("| shape | nodes | write s | load s | compile s | first run s | latency ms | us/node | output |\n");
  std::printf("|---|---:|---:|---:|---:|---:|---:|---:|---|\n");
  for (const std::string& shape : o.shapes) {
    for (int nodes : o.nodes) {
      float factor = 1.0f;
      auto t0 = Clock::now();
      const auto builder = make(shape, nodes, o.width, factor);
      const std::string path = (dir / (shape + std::to_string(nodes) + ".onnx")).string();
      builder.save(path);
      const double write_s = seconds_since(t0);
      const int real_nodes = builder.proto().graph().node_size();

      t0 = Clock::now();
      const octet::Model model = octet::Model::load(path);
      const double load_s = seconds_since(t0);
      t0 = Clock::now();
      octet::CompileOptions copts;
      copts.threads = o.threads;
      octet::CompiledModel compiled = octet::CompiledModel::compile(model, copts);
      const double compile_s = seconds_since(t0);

      std::vector<float> x(static_cast<size_t>(o.width));
      for (size_t i = 0; i < x.size(); ++i) x[i] = static_cast<float>(i % 7) - 3.0f;
      const octet::Tensor input = octet::Tensor::from_vector<float>(octet::DType::kFloat32, {1, o.width}, x);
      t0 = Clock::now();
      std::vector<octet::Tensor> out = compiled.run({input});
      const double first_s = seconds_since(t0);
      std::vector<double> ms;
      for (int i = 0; i < o.iters; ++i) {
        t0 = Clock::now();
        out = compiled.run({input});
        ms.push_back(seconds_since(t0) * 1e3);
      }
      std::sort(ms.begin(), ms.end());
      const double median = ms.empty() ? 0.0 : ms[ms.size() / 2];

      bool ok = out.size() == 1 && out[0].numel() == o.width;
      for (size_t i = 0; ok && i < x.size(); ++i)
        ok = std::fabs(out[0].data<float>()[i] - factor * std::max(x[i], 0.0f)) <= 1e-4f * factor;
      std::printf("| %s | %d | %.2f | %.2f | %.2f | %.3f | %.2f | %.2f | %s |\n", shape.c_str(), real_nodes, write_s,
                  load_s, compile_s, first_s, median, (load_s + compile_s + first_s) * 1e6 / real_nodes,
                  ok ? "right" : "WRONG");
      std::fflush(stdout);
      std::filesystem::remove(path);
    }
  }
  std::filesystem::remove_all(dir);
  return 0;
}
