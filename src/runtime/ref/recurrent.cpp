// RNN, GRU and LSTM over float32: one direction at a time, one batch row at a time, gates
// computed as X_t W^T + H_{t-1} R^T + biases, then the cell's activations. Sequence lengths
// end a batch row early: its Y rows past the length stay zero and Y_h/Y_c hold the state at
// its last step (for the reverse direction, that is the row's first step, as in ONNX).
#include <algorithm>
#include <cmath>
#include <cstring>

#include "octet/error.hpp"
#include "runtime/ref/ref_kernels.hpp"
#include "runtime/ref/ref_util.hpp"

namespace octet::rt::ref {
namespace {

using ir::OpKind;

// One of the activation functions ONNX's recurrent ops name, with its alpha and beta.
struct Activation {
  enum Kind { kSigmoid, kTanh, kRelu, kAffine, kLeakyRelu, kThresholdedRelu, kScaledTanh, kHardSigmoid, kElu, kSoftsign, kSoftplus };
  Kind kind = kSigmoid;
  float alpha = 0, beta = 0;
  float operator()(float x) const {
    switch (kind) {
      case kSigmoid: return 1.0f / (1.0f + std::exp(-x));
      case kTanh: return std::tanh(x);
      case kRelu: return std::max(x, 0.0f);
      case kAffine: return alpha * x + beta;
      case kLeakyRelu: return x >= 0 ? x : alpha * x;
      case kThresholdedRelu: return x > alpha ? x : 0.0f;
      case kScaledTanh: return alpha * std::tanh(beta * x);
      case kHardSigmoid: return std::clamp(alpha * x + beta, 0.0f, 1.0f);
      case kElu: return x >= 0 ? x : alpha * (std::exp(x) - 1.0f);
      case kSoftsign: return x / (1.0f + std::fabs(x));
      case kSoftplus: return std::log1p(std::exp(x));
    }
    return x;
  }
};

// The activations of every direction, from "activations", "activation_alpha/beta" (consumed in
// order by the functions that take them) or the op's defaults.
std::vector<Activation> parse_activations(const ir::Node& node, size_t per_direction, size_t directions) {
  std::vector<std::string> names;
  if (auto it = node.attrs.find("activations"); it != node.attrs.end()) names = it->second.strings;
  if (names.empty()) {
    const std::vector<std::string> defaults = node.op == OpKind::LSTM ? std::vector<std::string>{"Sigmoid", "Tanh", "Tanh"}
                                              : node.op == OpKind::GRU ? std::vector<std::string>{"Sigmoid", "Tanh"}
                                                                       : std::vector<std::string>{"Tanh"};
    for (size_t d = 0; d < directions; ++d) names.insert(names.end(), defaults.begin(), defaults.end());
  }
  if (names.size() == per_direction && directions == 2) names.insert(names.end(), names.begin(), names.end());
  if (names.size() != per_direction * directions)
    fail(node.describe(), ": ", names.size(), " activations given, ", per_direction * directions, " expected");
  const std::vector<float> alphas = node.attr_floats("activation_alpha"), betas = node.attr_floats("activation_beta");
  size_t ai = 0, bi = 0;
  std::vector<Activation> result;
  for (std::string name : names) {
    std::transform(name.begin(), name.end(), name.begin(), [](unsigned char c) { return std::tolower(c); });
    struct Spec { const char* name; Activation::Kind kind; float alpha, beta; bool uses_alpha, uses_beta; };
    static const Spec kSpecs[] = {
        {"sigmoid", Activation::kSigmoid, 0, 0, false, false},        {"tanh", Activation::kTanh, 0, 0, false, false},
        {"relu", Activation::kRelu, 0, 0, false, false},              {"affine", Activation::kAffine, 1, 0, true, true},
        {"leakyrelu", Activation::kLeakyRelu, 0.01f, 0, true, false}, {"thresholdedrelu", Activation::kThresholdedRelu, 1, 0, true, false},
        {"scaledtanh", Activation::kScaledTanh, 1, 1, true, true},    {"hardsigmoid", Activation::kHardSigmoid, 0.2f, 0.5f, true, true},
        {"elu", Activation::kElu, 1, 0, true, false},                 {"softsign", Activation::kSoftsign, 0, 0, false, false},
        {"softplus", Activation::kSoftplus, 0, 0, false, false}};
    const Spec* spec = nullptr;
    for (const Spec& s : kSpecs)
      if (name == s.name) spec = &s;
    if (!spec) fail(node.describe(), ": activation '", name, "' is not supported");
    Activation a{spec->kind, spec->alpha, spec->beta};
    if (spec->uses_alpha && ai < alphas.size()) a.alpha = alphas[ai++];
    if (spec->uses_beta && bi < betas.size()) a.beta = betas[bi++];
    result.push_back(a);
  }
  return result;
}

class RecurrentKernel final : public Kernel {
 public:
  explicit RecurrentKernel(const KernelContext& ctx) : op_(ctx.node->op), name_(ctx.describe()) {
    const ir::Node& node = *ctx.node;
    gates_ = op_ == OpKind::LSTM ? 4 : op_ == OpKind::GRU ? 3 : 1;
    const std::string direction = node.attr_string("direction", "forward");
    if (direction != "forward" && direction != "reverse" && direction != "bidirectional")
      fail(name_, ": direction '", direction, "' is not forward, reverse or bidirectional");
    dirs_ = direction == "bidirectional" ? 2 : 1;
    reverse_only_ = direction == "reverse";
    batch_first_ = node.attr_int("layout", 0) == 1;
    const Shape& x = ctx.inputs[0].shape;
    seq_ = x[batch_first_ ? 1 : 0];
    batch_ = x[batch_first_ ? 0 : 1];
    input_ = x[2];
    hidden_ = ctx.inputs[1].shape[1] / gates_;
    if (node.attr_int("hidden_size", hidden_) != hidden_)
      fail(name_, ": hidden_size ", node.attr_int("hidden_size", hidden_), " disagrees with W's ", ctx.inputs[1].shape[1],
           " rows");
    clip_ = node.attr_float("clip", 0.0f);
    input_forget_ = node.attr_int("input_forget", 0) != 0;
    linear_before_reset_ = node.attr_int("linear_before_reset", 0) != 0;
    acts_ = parse_activations(node, op_ == OpKind::LSTM ? 3 : op_ == OpKind::GRU ? 2 : 1, static_cast<size_t>(dirs_));
    present_.assign(8, false);
    for (size_t i = 0; i < ctx.inputs.size() && i < 8; ++i) present_[i] = ctx.inputs[i].present();
    for (size_t i = 0; i < ctx.outputs.size() && i < 3; ++i) out_present_[i] = ctx.outputs[i].present();
  }

  size_t scratch_bytes() const override {
    // gates, h, c, the recurrent product and GRU's reset hidden, per batch row.
    return static_cast<size_t>((gates_ * 2 + 4) * hidden_) * sizeof(float);
  }

  void execute(const ExecArgs& args) override {
    const float* x = static_cast<const float*>(args.src[0]);
    const float* w = static_cast<const float*>(args.src[1]);
    const float* r = static_cast<const float*>(args.src[2]);
    const float* bias = present_[3] ? static_cast<const float*>(args.src[3]) : nullptr;
    const int32_t* lens = present_[4] ? static_cast<const int32_t*>(args.src[4]) : nullptr;
    const float* h0 = present_[5] ? static_cast<const float*>(args.src[5]) : nullptr;
    const float* c0 = op_ == OpKind::LSTM && present_[6] ? static_cast<const float*>(args.src[6]) : nullptr;
    const float* peep = op_ == OpKind::LSTM && present_[7] ? static_cast<const float*>(args.src[7]) : nullptr;
    float* y = out_present_[0] ? static_cast<float*>(args.dst[0]) : nullptr;
    float* y_h = out_present_[1] ? static_cast<float*>(args.dst[1]) : nullptr;
    float* y_c = op_ == OpKind::LSTM && out_present_[2] ? static_cast<float*>(args.dst[2]) : nullptr;
    const int64_t H = hidden_, G = gates_ * hidden_;
    if (y) std::memset(y, 0, static_cast<size_t>(seq_ * dirs_ * batch_ * H) * sizeof(float));
    float* gates = static_cast<float*>(args.scratch);
    float* rec = gates + G;
    float* h = rec + G;
    float* c = h + H;
    float* rh = c + H;
    for (int64_t d = 0; d < dirs_; ++d) {
      const bool reverse = reverse_only_ || d == 1;
      const float* wd = w + d * G * input_;
      const float* rd = r + d * G * H;
      const float* wb = bias ? bias + d * 2 * G : nullptr;
      const float* rb = bias ? wb + G : nullptr;
      const float* pd = peep ? peep + d * 3 * H : nullptr;
      const Activation* act = &acts_[static_cast<size_t>(d) * (op_ == OpKind::LSTM ? 3 : op_ == OpKind::GRU ? 2 : 1)];
      for (int64_t b = 0; b < batch_; ++b) {
        const int64_t len = lens ? std::clamp<int64_t>(lens[b], 0, seq_) : seq_;
        const size_t state_at = static_cast<size_t>(batch_first_ ? (b * dirs_ + d) * H : (d * batch_ + b) * H);
        for (int64_t j = 0; j < H; ++j) {
          h[j] = h0 ? h0[state_at + static_cast<size_t>(j)] : 0.0f;
          c[j] = c0 ? c0[state_at + static_cast<size_t>(j)] : 0.0f;
        }
        for (int64_t s = 0; s < len; ++s) {
          const int64_t t = reverse ? len - 1 - s : s;
          const float* xt = x + (batch_first_ ? (b * seq_ + t) : (t * batch_ + b)) * input_;
          for (int64_t g = 0; g < G; ++g) {
            float acc = wb ? wb[g] : 0.0f;
            const float* wr = wd + g * input_;
            for (int64_t i = 0; i < input_; ++i) acc += wr[i] * xt[i];
            gates[g] = acc;
            float racc = rb ? rb[g] : 0.0f;
            const float* rr = rd + g * H;
            for (int64_t i = 0; i < H; ++i) racc += rr[i] * h[i];
            rec[g] = racc;
          }
          step(gates, rec, h, c, rh, rd, rb, pd, act);
          if (y) {
            float* yt = y + (batch_first_ ? ((b * seq_ + t) * dirs_ + d) : ((t * dirs_ + d) * batch_ + b)) * H;
            std::memcpy(yt, h, static_cast<size_t>(H) * sizeof(float));
          }
        }
        if (y_h) std::memcpy(y_h + state_at, h, static_cast<size_t>(H) * sizeof(float));
        if (y_c) std::memcpy(y_c + state_at, c, static_cast<size_t>(H) * sizeof(float));
      }
    }
  }

 private:
  float clip(float v) const { return clip_ > 0 ? std::clamp(v, -clip_, clip_) : v; }

  // One cell update from the input part (gates) and the recurrent part (rec) of every gate.
  void step(const float* gates, const float* rec, float* h, float* c, float* rh, const float* rd, const float* rb,
            const float* peep, const Activation* act) const {
    const int64_t H = hidden_;
    if (op_ == OpKind::RNN) {
      for (int64_t j = 0; j < H; ++j) h[j] = act[0](clip(gates[j] + rec[j]));
    } else if (op_ == OpKind::LSTM) {
      // Gate order i, o, f, c; peepholes i, o, f.
      for (int64_t j = 0; j < H; ++j) {
        const float ci = c[j];
        const float i = act[0](clip(gates[j] + rec[j] + (peep ? peep[j] * ci : 0.0f)));
        const float f = input_forget_ ? 1.0f - i
                                      : act[0](clip(gates[2 * H + j] + rec[2 * H + j] + (peep ? peep[2 * H + j] * ci : 0.0f)));
        const float cand = act[1](clip(gates[3 * H + j] + rec[3 * H + j]));
        const float cn = f * ci + i * cand;
        const float o = act[0](clip(gates[H + j] + rec[H + j] + (peep ? peep[H + j] * cn : 0.0f)));
        c[j] = cn;
        rh[j] = o * act[2](cn);
      }
      std::memcpy(h, rh, static_cast<size_t>(H) * sizeof(float));
    } else {
      // GRU, gate order z, r, h. Without linear_before_reset the reset gate scales H_{t-1}
      // before the recurrent product, which rec[] (R_h H_{t-1}) cannot give: recompute it.
      for (int64_t j = 0; j < H; ++j) rh[j] = act[0](clip(gates[H + j] + rec[H + j])) * h[j];  // r * H_{t-1}
      for (int64_t j = 0; j < H; ++j) {
        const float z = act[0](clip(gates[j] + rec[j]));
        float pre;
        if (linear_before_reset_) {
          const float r = act[0](clip(gates[H + j] + rec[H + j]));
          pre = gates[2 * H + j] + r * rec[2 * H + j];
        } else {
          float acc = rb ? rb[2 * H + j] : 0.0f;
          const float* rr = rd + (2 * H + j) * H;
          for (int64_t i = 0; i < H; ++i) acc += rr[i] * rh[i];
          pre = gates[2 * H + j] + acc;
        }
        const float cand = act[1](clip(pre));
        c[j] = (1.0f - z) * cand + z * h[j];  // c is free in a GRU: the new state until all j are done
      }
      std::memcpy(h, c, static_cast<size_t>(H) * sizeof(float));
    }
  }

  OpKind op_;
  std::string name_;
  int64_t gates_ = 1, dirs_ = 1, seq_ = 0, batch_ = 0, input_ = 0, hidden_ = 0;
  bool reverse_only_ = false, batch_first_ = false, input_forget_ = false, linear_before_reset_ = false;
  float clip_ = 0;
  std::vector<Activation> acts_;
  std::vector<bool> present_;
  bool out_present_[3] = {false, false, false};
};

std::string why_not(const KernelContext& ctx) {
  if (auto why = require_plain(ctx); !why.empty()) return why;
  for (size_t i : {0, 1, 2, 3, 5, 6, 7})
    if (input_present(ctx, i) && ctx.inputs[i].dtype != DType::kFloat32) return cat("input ", i, " must be float32");
  if (input_present(ctx, 4) && ctx.inputs[4].dtype != DType::kInt32) return "sequence_lens must be int32";
  if (!input_present(ctx, 1) || !input_present(ctx, 2) || ctx.inputs[0].shape.size() != 3) return "needs X, W and R";
  return "";
}

std::unique_ptr<Kernel> create(KernelContext& ctx) { return std::make_unique<RecurrentKernel>(ctx); }

}  // namespace

std::vector<KernelEntry> recurrent_entries() {
  return {{"ref_rnn", OpKind::RNN, guarded<why_not>, create},
          {"ref_gru", OpKind::GRU, guarded<why_not>, create},
          {"ref_lstm", OpKind::LSTM, guarded<why_not>, create}};
}

}  // namespace octet::rt::ref
