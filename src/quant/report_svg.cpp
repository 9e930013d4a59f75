// The accuracy-aware report as a picture (plain SVG, written by hand, no library):
//   top:    the metric (left axis) and batch-1 latency (right axis) after each step, against
//           the FP32 metric, the bound, and the FP32 and full-INT8 latencies; undone steps as
//           hollow markers;
//   bottom: the first ranking: per unit, the samples it recovers alone (sensitivity) beside
//           the share of the INT8 speed-up it carries; the units left in FP32 highlighted.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <set>
#include <sstream>
#include <string>

#include "octet/accuracy_aware.hpp"

namespace octet {
namespace {

std::string esc(const std::string& s) {
  std::string o;
  for (char c : s) {
    switch (c) {
      case '&': o += "&amp;"; break;
      case '<': o += "&lt;"; break;
      case '>': o += "&gt;"; break;
      case '"': o += "&quot;"; break;
      default: o += c;
    }
  }
  return o;
}

std::string num(double x, int digits = 1) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.*f", digits, x);
  return buf;
}

class Svg {
 public:
  void line(double x1, double y1, double x2, double y2, const std::string& color, double width = 1,
            const std::string& dash = "") {
    os_ << "<line x1=\"" << num(x1) << "\" y1=\"" << num(y1) << "\" x2=\"" << num(x2) << "\" y2=\"" << num(y2)
        << "\" stroke=\"" << color << "\" stroke-width=\"" << width << "\"";
    if (!dash.empty()) os_ << " stroke-dasharray=\"" << dash << "\"";
    os_ << "/>\n";
  }
  void text(double x, double y, const std::string& s, const std::string& anchor = "start", int size = 12,
            const std::string& color = "#222", const std::string& weight = "normal") {
    os_ << "<text x=\"" << num(x) << "\" y=\"" << num(y) << "\" font-size=\"" << size << "\" text-anchor=\"" << anchor
        << "\" fill=\"" << color << "\" font-weight=\"" << weight << "\">" << esc(s) << "</text>\n";
  }
  void rect(double x, double y, double w, double h, const std::string& fill, const std::string& stroke = "none") {
    os_ << "<rect x=\"" << num(x) << "\" y=\"" << num(y) << "\" width=\"" << num(std::max(0.0, w)) << "\" height=\""
        << num(std::max(0.0, h)) << "\" fill=\"" << fill << "\" stroke=\"" << stroke << "\"/>\n";
  }
  void circle(double x, double y, double r, const std::string& color, bool filled) {
    os_ << "<circle cx=\"" << num(x) << "\" cy=\"" << num(y) << "\" r=\"" << r << "\" stroke=\"" << color
        << "\" stroke-width=\"1.5\" fill=\"" << (filled ? color : "white") << "\"/>\n";
  }
  void polyline(const std::vector<std::pair<double, double>>& pts, const std::string& color) {
    if (pts.size() < 2) return;
    os_ << "<polyline fill=\"none\" stroke=\"" << color << "\" stroke-width=\"2\" points=\"";
    for (const auto& [x, y] : pts) os_ << num(x) << "," << num(y) << " ";
    os_ << "\"/>\n";
  }
  std::string str() const { return os_.str(); }

 private:
  std::ostringstream os_;
};

constexpr double kWidth = 900;
constexpr const char* kMetricColor = "#1f6fb4";
constexpr const char* kLatencyColor = "#d9731a";

// Panel 1: metric and latency per step. Returns the height used.
double iterations_panel(Svg& svg, const AccuracyAwareReport& r, double top) {
  const double left = 70, right = kWidth - 80, height = 260, bottom = top + height;
  svg.text(left, top - 12, "Metric and latency per step (" + r.metric + ")", "start", 14, "#222", "bold");
  // Points: the FP32 reference is a line; step 0 is DefaultQuantization; then each step.
  struct Point { double metric, latency; bool accepted; std::string label; };
  std::vector<Point> pts = {{r.default_metric, r.int8_latency_ms, true, "default"}};
  for (const AccuracyAwareStep& s : r.steps) pts.push_back({s.metric, s.latency_ms, s.accepted, s.action + " " + s.unit});
  const double bound = r.fp32_metric - r.allowed_drop;
  double mlo = std::min(bound, r.fp32_metric), mhi = std::max(bound, r.fp32_metric);
  for (const Point& p : pts) { mlo = std::min(mlo, p.metric); mhi = std::max(mhi, p.metric); }
  const double mpad = std::max(1e-3, (mhi - mlo) * 0.1);
  mlo -= mpad;
  mhi += mpad;
  double lhi = std::max(r.fp32_latency_ms, r.int8_latency_ms);
  for (const Point& p : pts) lhi = std::max(lhi, p.latency);
  lhi = lhi > 0 ? lhi * 1.15 : 1.0;
  const size_t n = pts.size();
  auto xat = [&](size_t i) { return n <= 1 ? (left + right) / 2 : left + (right - left) * static_cast<double>(i) / static_cast<double>(n - 1); };
  auto ym = [&](double m) { return bottom - (m - mlo) / (mhi - mlo) * height; };
  auto yl = [&](double l) { return bottom - l / lhi * height; };
  svg.rect(left, top, right - left, height, "#fafafa", "#bbb");
  for (int t = 0; t <= 4; ++t) {
    const double m = mlo + (mhi - mlo) * t / 4.0, y = ym(m);
    svg.line(left, y, right, y, "#e4e4e4");
    svg.text(left - 6, y + 4, num(100 * m, 2) + "%", "end", 11, kMetricColor);
    svg.text(right + 6, y + 4, num(lhi * t / 4.0, 2) + " ms", "start", 11, kLatencyColor);
  }
  svg.line(left, ym(r.fp32_metric), right, ym(r.fp32_metric), kMetricColor, 1, "6,3");
  svg.text(right - 4, ym(r.fp32_metric) - 4, "FP32 " + num(100 * r.fp32_metric, 2) + "%", "end", 11, kMetricColor);
  svg.line(left, ym(bound), right, ym(bound), "#c0392b", 1.5, "4,4");
  svg.text(right - 4, ym(bound) + 13, "bound (max drop " + num(100 * r.allowed_drop, 2) + " points)", "end", 11, "#c0392b");
  if (r.fp32_latency_ms > 0) {
    svg.line(left, yl(r.fp32_latency_ms), right, yl(r.fp32_latency_ms), kLatencyColor, 1, "2,3");
    svg.text(left + 4, yl(r.fp32_latency_ms) - 4, "FP32 latency", "start", 11, kLatencyColor);
  }
  if (r.int8_latency_ms > 0) {
    svg.line(left, yl(r.int8_latency_ms), right, yl(r.int8_latency_ms), kLatencyColor, 1, "8,3");
    svg.text(left + 4, yl(r.int8_latency_ms) + 13, "full INT8 latency", "start", 11, kLatencyColor);
  }
  // The kept model's trajectory: accepted steps only; undone ones as hollow markers off it.
  std::vector<std::pair<double, double>> metric_line, latency_line;
  for (size_t i = 0; i < n; ++i) {
    if (pts[i].accepted) {
      metric_line.emplace_back(xat(i), ym(pts[i].metric));
      if (pts[i].latency > 0) latency_line.emplace_back(xat(i), yl(pts[i].latency));
    }
  }
  svg.polyline(metric_line, kMetricColor);
  svg.polyline(latency_line, kLatencyColor);
  for (size_t i = 0; i < n; ++i) {
    svg.circle(xat(i), ym(pts[i].metric), 4, kMetricColor, pts[i].accepted);
    if (pts[i].accepted && pts[i].latency > 0) svg.circle(xat(i), yl(pts[i].latency), 3.5, kLatencyColor, true);
  }
  for (size_t i = 0; i < n && n <= 24; ++i)
    svg.text(xat(i), bottom + 14, std::to_string(i), "middle", 10, "#444");
  svg.text((left + right) / 2, bottom + 30, "step (0 = DefaultQuantization; hollow = undone)", "middle", 11, "#444");
  return height + 70;
}

// Panel 2: the sensitivity ranking against speed cost. Returns the height used.
double ranking_panel(Svg& svg, const AccuracyAwareReport& r, double top, double name_w, double width) {
  const size_t rows = std::min<size_t>(r.ranking.size(), 40);
  if (rows == 0) return 0;
  const double left = 20 + name_w, mid = left + 300, right = width - 40, row_h = 18;
  svg.text(20, top - 12, "Per-unit sensitivity (samples recovered alone, first ranking) and speed cost", "start", 14,
           "#222", "bold");
  std::vector<UnitRanking> sorted(r.ranking.begin(), r.ranking.end());
  std::stable_sort(sorted.begin(), sorted.end(), [](const UnitRanking& a, const UnitRanking& b) {
    return a.recovered + 0.25 * a.soft_gain > b.recovered + 0.25 * b.soft_gain;
  });
  sorted.resize(rows);
  double max_gain = 1e-9, max_cost = 1e-9;
  for (const UnitRanking& u : sorted) {
    max_gain = std::max(max_gain, std::fabs(u.recovered + 0.25 * u.soft_gain));
    max_cost = std::max(max_cost, u.speed_cost);
  }
  const std::set<std::string> fp32(r.fp32_units.begin(), r.fp32_units.end());
  svg.text(left, top + 4, "accuracy recovered (samples)", "start", 11, kMetricColor);
  svg.text(mid + 20, top + 4, "share of the INT8 speed-up", "start", 11, kLatencyColor);
  for (size_t i = 0; i < rows; ++i) {
    const UnitRanking& u = sorted[i];
    const double y = top + 12 + static_cast<double>(i) * row_h;
    const bool reverted = fp32.count(u.unit) != 0;
    if (reverted) svg.rect(18, y - 1, right - 18, row_h, "#fdecea");
    svg.text(left - 6, y + 12, u.unit + (reverted ? "  [FP32]" : ""), "end", 11,
             reverted ? "#c0392b" : "#222", reverted ? "bold" : "normal");
    const double gain = u.recovered + 0.25 * u.soft_gain;
    const double w = std::fabs(gain) / max_gain * (mid - left - 50);
    svg.rect(left, y + 2, w, row_h - 5, gain >= 0 ? kMetricColor : "#999");
    svg.text(left + w + 4, y + 12, num(u.recovered, 0) + (u.soft_gain != 0 ? " (+" + num(u.soft_gain, 2) + " p)" : ""),
             "start", 10, "#444");
    const double cw = u.speed_cost / max_cost * (right - mid - 80);
    svg.rect(mid + 20, y + 2, cw, row_h - 5, kLatencyColor);
    svg.text(mid + 24 + cw, y + 12, num(100 * u.speed_cost, 1) + "%", "start", 10, "#444");
  }
  return 12 + static_cast<double>(rows) * row_h + 30;
}

}  // namespace

// Unit names are shown whole, as in the tables (a name is what --ignore takes): the name column
// grows to the longest, at about 6.5 px a character of 11 px sans-serif, and the picture with it.
double name_column_px(const AccuracyAwareReport& r) {
  size_t longest = 0;
  for (const UnitRanking& u : r.ranking) longest = std::max(longest, u.unit.size() + 8);  // + "  [FP32]"
  return std::max(230.0, 6.5 * static_cast<double>(longest));
}

std::string accuracy_aware_svg(const AccuracyAwareReport& r) {
  const double name_w = name_column_px(r), width = kWidth + (name_w - 230.0);
  Svg body;
  double y = 30;
  body.text(20, y, "octet AccuracyAwareQuantization: " + std::string(r.bound_met ? "bound met" : "BOUND NOT MET") +
                       " - " + r.stop_reason, "start", 15, r.bound_met ? "#1e7d32" : "#c0392b", "bold");
  body.text(20, y + 18,
            "FP32 " + num(100 * r.fp32_metric, 2) + "%, default INT8 " + num(100 * r.default_metric, 2) + "%, result " +
                num(100 * r.final_metric, 2) + "% (" + std::to_string(r.fp32_units.size()) + " unit(s) FP32); latency " +
                num(r.fp32_latency_ms, 3) + " / " + num(r.int8_latency_ms, 3) + " / " + num(r.final_latency_ms, 3) + " ms",
            "start", 12, "#444");
  y += 70;
  y += iterations_panel(body, r, y);
  y += 20;
  y += ranking_panel(body, r, y, name_w, width);
  std::ostringstream os;
  os << "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"" << num(width, 0) << "\" height=\"" << num(y + 10, 0)
     << "\" viewBox=\"0 0 " << num(width, 0) << " " << num(y + 10, 0) << "\" font-family=\"sans-serif\">\n";
  os << "<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n" << body.str() << "</svg>\n";
  return os.str();
}

}  // namespace octet
