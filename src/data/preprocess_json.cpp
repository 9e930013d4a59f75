// Preprocess <-> JSON, the form it takes in a model's metadata_props ("octet.preprocess"),
// in models/manifest.json and on the command line (--preprocess '{...}'). Strict: an unknown
// key or a wrong type is an error naming the key, so a typo never silently changes accuracy.
#include <nlohmann/json.hpp>

#include <cmath>
#include <sstream>

#include "core/json_strict.hpp"
#include "ir/graph.hpp"
#include "octet/data.hpp"
#include "octet/engine.hpp"

namespace octet {
namespace {

using nlohmann::json;

const char* interpolation_name(Interpolation i) {
  switch (i) {
    case Interpolation::kNearest: return "nearest";
    case Interpolation::kLinear: return "linear";
    case Interpolation::kCubic: return "cubic";
    case Interpolation::kArea: return "area";
  }
  return "linear";
}

std::vector<float> float_list(const json& v, const std::string& key, const std::string& origin) {
  std::vector<float> out;
  if (v.is_number()) return {v.get<float>()};
  if (!v.is_array()) fail(origin, ": preprocess key '", key, "' wants a number or a list of numbers");
  for (const json& x : v) {
    if (!x.is_number()) fail(origin, ": preprocess key '", key, "' wants numbers, got ", x.dump());
    out.push_back(x.get<float>());
  }
  return out;
}

std::pair<int, int> size_pair(const json& v, const std::string& key, const std::string& origin) {
  if (v.is_number_integer()) return {v.get<int>(), v.get<int>()};
  if (!v.is_array() || v.size() != 2 || !v[0].is_number_integer() || !v[1].is_number_integer() || v[0].get<int>() <= 0 ||
      v[1].get<int>() <= 0)
    fail(origin, ": preprocess key '", key, "' wants [height, width] (positive integers), got ", v.dump());
  return {v[0].get<int>(), v[1].get<int>()};
}

}  // namespace

void Preprocess::merge_json(const std::string& text, const std::string& origin) {
  const json j = parse_json_strict(text, origin + " (preprocess)");
  if (!j.is_object()) fail(origin, ": preprocess wants a JSON object, got ", excerpt(j.dump()));
  for (const auto& [key, v] : j.items()) {
    if (key == "resize_shorter") {
      if (!v.is_number_integer() || v.get<int>() < 0) fail(origin, ": preprocess key 'resize_shorter' wants a size");
      resize_shorter = v.get<int>();
    } else if (key == "resize") {
      std::tie(resize_height, resize_width) = size_pair(v, key, origin);
    } else if (key == "crop") {
      std::tie(crop_height, crop_width) = size_pair(v, key, origin);
    } else if (key == "interpolation") {
      const std::string s = v.is_string() ? v.get<std::string>() : "";
      if (s == "nearest") interpolation = Interpolation::kNearest;
      else if (s == "linear" || s == "bilinear") interpolation = Interpolation::kLinear;
      else if (s == "cubic" || s == "bicubic") interpolation = Interpolation::kCubic;
      else if (s == "area") interpolation = Interpolation::kArea;
      else fail(origin, ": preprocess interpolation ", v.dump(), " is not one of nearest, linear, cubic, area");
    } else if (key == "grayscale") {
      if (!v.is_boolean()) fail(origin, ": preprocess key 'grayscale' wants true or false");
      grayscale = v.get<bool>();
    } else if (key == "color") {
      const std::string s = v.is_string() ? v.get<std::string>() : "";
      if (s == "rgb" || s == "RGB") { bgr = false; grayscale = false; }
      else if (s == "bgr" || s == "BGR") { bgr = true; grayscale = false; }
      else if (s == "gray" || s == "grayscale") grayscale = true;
      else fail(origin, ": preprocess color ", v.dump(), " is not one of rgb, bgr, gray");
    } else if (key == "scale") {
      if (!v.is_number()) fail(origin, ": preprocess key 'scale' wants a number");
      scale = v.get<float>();
    } else if (key == "mean") {
      mean = float_list(v, key, origin);
    } else if (key == "std") {
      std = float_list(v, key, origin);
      for (float s : std)
        if (!(s > 0.0f) || !std::isfinite(s)) fail(origin, ": preprocess std values must be positive, got ", v.dump());
    } else if (key == "layout") {
      const std::string s = v.is_string() ? v.get<std::string>() : "";
      if (s == "NCHW" || s == "nchw") layout = Layout::kNCHW;
      else if (s == "NHWC" || s == "nhwc") layout = Layout::kNHWC;
      else fail(origin, ": preprocess layout ", v.dump(), " is not NCHW or NHWC");
    } else if (key == "dataset") {
      // Informational: the data the model was trained on.
    } else {
      fail(origin, ": unknown preprocess key '", key,
           "' (known: resize_shorter, resize, interpolation, crop, grayscale, color, scale, mean, std, layout)");
    }
  }
}

Preprocess Preprocess::from_json(const std::string& text, const std::string& origin) {
  Preprocess p;
  p.merge_json(text, origin);
  return p;
}

std::string Preprocess::to_json() const {
  json j;
  if (resize_shorter > 0) j["resize_shorter"] = resize_shorter;
  if (resize_height > 0) j["resize"] = {resize_height, resize_width};
  if (resize_shorter > 0 || resize_height > 0) j["interpolation"] = interpolation_name(interpolation);
  if (crop_height > 0) j["crop"] = {crop_height, crop_width};
  j["color"] = grayscale ? "gray" : bgr ? "bgr" : "rgb";
  j["scale"] = scale;
  if (!mean.empty()) j["mean"] = mean;
  if (!std.empty()) j["std"] = std;
  j["layout"] = layout == Layout::kNCHW ? "NCHW" : "NHWC";
  return j.dump();
}

std::optional<Preprocess> Preprocess::for_model(const Model& model, const std::string& json, const std::string& origin) {
  std::optional<Preprocess> p = from_model(model);
  if (json.empty()) return p;
  if (!p) p = Preprocess{};
  p->merge_json(json, origin);
  return p;
}

std::optional<Preprocess> Preprocess::from_model(const Model& model) {
  const auto& meta = model.graph().metadata;
  auto it = meta.find("octet.preprocess");
  if (it == meta.end()) return std::nullopt;
  return from_json(it->second, cat(model.path(), ": metadata 'octet.preprocess'"));
}

std::string Preprocess::describe() const {
  std::ostringstream os;
  auto list = [&](const std::vector<float>& v) {
    os << "[";
    for (size_t i = 0; i < v.size(); ++i) os << (i ? "," : "") << v[i];
    os << "]";
  };
  if (resize_height > 0) os << "resize " << resize_height << "x" << resize_width << " (" << interpolation_name(interpolation) << ") ";
  else if (resize_shorter > 0) os << "resize shorter " << resize_shorter << " (" << interpolation_name(interpolation) << ") ";
  if (crop_height > 0) os << "crop " << crop_height << "x" << crop_width << " ";
  os << (grayscale ? "gray" : bgr ? "BGR" : "RGB") << " scale " << scale;
  if (!mean.empty()) { os << " mean "; list(mean); }
  if (!std.empty()) { os << " std "; list(std); }
  os << (layout == Layout::kNCHW ? " NCHW" : " NHWC");
  return os.str();
}

}  // namespace octet
