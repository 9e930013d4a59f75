// The plain names of the quantization enums, one table each. The CLI flags, the config file
// and the Python API all parse through these, and the report prints through them, so a name
// cannot be spelled two ways in two places.
#include <array>
#include <string>
#include <utility>

#include "octet/error.hpp"
#include "octet/quantize.hpp"

namespace octet {
namespace {

template <class E, size_t N>
using Table = std::array<std::pair<const char*, E>, N>;

constexpr Table<QuantPreset, 2> kPresets{{{"performance", QuantPreset::kPerformance}, {"mixed", QuantPreset::kMixed}}};
constexpr Table<ModelType, 3> kModelTypes{
    {{"auto", ModelType::kAuto}, {"cnn", ModelType::kCnn}, {"transformer", ModelType::kTransformer}}};
constexpr Table<BiasCorrection, 3> kBiasCorrections{
    {{"fast", BiasCorrection::kFast}, {"full", BiasCorrection::kFull}, {"none", BiasCorrection::kNone}}};
constexpr Table<SaturationFix, 5> kSaturationFixes{{{"auto", SaturationFix::kAuto},
                                                    {"detect", SaturationFix::kDetect},
                                                    {"no", SaturationFix::kNo},
                                                    {"first_layer", SaturationFix::kFirstLayer},
                                                    {"all", SaturationFix::kAll}}};

constexpr Table<Placement, 2> kPlacements{{{"measured", Placement::kMeasured}, {"all", Placement::kAll}}};

// AccuracyControlOptions::relative, by its POT/NNCF name.
constexpr Table<bool, 2> kDropTypes{{{"absolute", false}, {"relative", true}}};

template <class E, size_t N>
E parse(const Table<E, N>& table, const std::string& name, const std::string& what) {
  std::string names;
  for (const auto& [n, e] : table) {
    if (name == n) return e;
    names += (names.empty() ? "" : ", ") + std::string(n);
  }
  fail(what, " is '", name, "'; it must be one of: ", names);
}

template <class E, size_t N>
const char* name_of(const Table<E, N>& table, E value) {
  for (const auto& [n, e] : table)
    if (e == value) return n;
  return "?";
}

template <class E, size_t N>
std::vector<std::string> names_of(const Table<E, N>& table) {
  std::vector<std::string> out;
  for (const auto& entry : table) out.emplace_back(entry.first);
  return out;
}

}  // namespace

QuantPreset parse_preset(const std::string& name, const std::string& what) { return parse(kPresets, name, what); }
ModelType parse_model_type(const std::string& name, const std::string& what) { return parse(kModelTypes, name, what); }
BiasCorrection parse_bias_correction(const std::string& name, const std::string& what) {
  return parse(kBiasCorrections, name, what);
}
SaturationFix parse_saturation_fix(const std::string& name, const std::string& what) {
  return parse(kSaturationFixes, name, what);
}
Placement parse_placement(const std::string& name, const std::string& what) { return parse(kPlacements, name, what); }

bool parse_drop_type(const std::string& name, const std::string& what) { return parse(kDropTypes, name, what); }
const char* drop_type_name(bool relative) { return name_of(kDropTypes, relative); }

const char* preset_name(QuantPreset preset) { return name_of(kPresets, preset); }
const char* model_type_name(ModelType type) { return name_of(kModelTypes, type); }
const char* bias_correction_name(BiasCorrection mode) { return name_of(kBiasCorrections, mode); }
const char* saturation_fix_name(SaturationFix fix) { return name_of(kSaturationFixes, fix); }
const char* placement_name(Placement placement) { return name_of(kPlacements, placement); }

std::vector<std::string> preset_names() { return names_of(kPresets); }
std::vector<std::string> model_type_names() { return names_of(kModelTypes); }
std::vector<std::string> bias_correction_names() { return names_of(kBiasCorrections); }
std::vector<std::string> saturation_fix_names() { return names_of(kSaturationFixes); }
std::vector<std::string> placement_names() { return names_of(kPlacements); }

}  // namespace octet
