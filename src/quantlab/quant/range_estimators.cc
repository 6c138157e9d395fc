#include "quantlab/quant/range_estimators.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>

#include "quantlab/numerics/choose_params.h"
#include "quantlab/numerics/quantize_values.h"

namespace quantlab {
namespace {

// Candidate ranges per search: shrinking factors k / kCandidates, k = 1..kCandidates.
constexpr int kCandidates = 128;
// int8 has 256 levels; a histogram cut into fewer bins than this is already exact.
constexpr int kInt8Levels = 256;

RealRange clamp_to(RealRange r, RealRange observed) {
  r.min = std::max(r.min, observed.min);
  r.max = std::min(r.max, observed.max);
  if (r.min > r.max) r.min = r.max;
  return r;
}

bool is_empty(const Histogram& h) { return h.num_bins() == 0 || h.total() <= 0.0; }

// Expected squared int8 quantization error of the histogram's values under
// the parameters chosen for `candidate`.
double expected_squared_error(const Histogram& h, RealRange candidate) {
  const AffineParams p = choose_activation_params(candidate.min, candidate.max, DType::kInt8);
  const double step = p.scale;
  const double lowest = (-128.0 - p.zero_point) * step, highest = (127.0 - p.zero_point) * step;
  const double rounding_error = step * step / 12.0;
  double sum = 0.0;
  for (int i = 0; i < h.num_bins(); ++i) {
    const double n = h.counts()[i];
    if (n == 0.0) continue;
    const double c = h.center(i);
    if (c < lowest) sum += n * (c - lowest) * (c - lowest);
    else if (c > highest) sum += n * (c - highest) * (c - highest);
    else sum += n * rounding_error;
  }
  return sum;
}

// KL(P || Q) for the bins [first, last) of `h`, clipped counts folded into
// the edge bins, Q being P merged into kInt8Levels groups.
double clipped_kl_divergence(const Histogram& h, int first, int last) {
  const std::vector<double>& counts = h.counts();
  const int kept = last - first;
  std::vector<double> p(counts.begin() + first, counts.begin() + last);
  for (int i = 0; i < first; ++i) p.front() += counts[i];
  for (int i = last; i < h.num_bins(); ++i) p.back() += counts[i];
  double divergence = 0.0;
  for (int g = 0; g < kInt8Levels; ++g) {
    const int begin = static_cast<int>(static_cast<int64_t>(g) * kept / kInt8Levels);
    const int end = static_cast<int>(static_cast<int64_t>(g + 1) * kept / kInt8Levels);
    double group_total = 0.0;
    int non_empty = 0;
    for (int i = begin; i < end; ++i) {
      group_total += p[i];
      non_empty += p[i] > 0.0;
    }
    if (non_empty == 0) continue;
    // Q is positive wherever P is, so every term is finite.
    const double q = group_total / non_empty;
    for (int i = begin; i < end; ++i)
      if (p[i] > 0.0) divergence += p[i] * std::log(p[i] / q);
  }
  return divergence / h.total();
}

}  // namespace

Result<CalibrationMethodSpec> parse_calibration_method(const std::string& text) {
  CalibrationMethodSpec spec;
  if (text == "minmax") return spec;
  if (text == "mse") {
    spec.method = CalibrationMethod::kMse;
    return spec;
  }
  if (text == "kl") {
    spec.method = CalibrationMethod::kKl;
    return spec;
  }
  const std::string prefix = "percentile:";
  if (text.compare(0, prefix.size(), prefix) == 0) {
    const std::string number = text.substr(prefix.size());
    char* end = nullptr;
    const double p = std::strtod(number.c_str(), &end);
    if (number.empty() || *end != '\0' || !(p > 50.0 && p <= 100.0))
      return invalid_argument("calibration method '" + text + "': the percentile must be a number in (50, 100]");
    spec.method = CalibrationMethod::kPercentile;
    spec.percentile = p;
    return spec;
  }
  return invalid_argument("unknown calibration method '" + text + "' (expected minmax, percentile:P, mse or kl)");
}

std::string calibration_method_name(const CalibrationMethodSpec& spec) {
  switch (spec.method) {
    case CalibrationMethod::kMinMax: return "minmax";
    case CalibrationMethod::kMse: return "mse";
    case CalibrationMethod::kKl: return "kl";
    case CalibrationMethod::kPercentile: {
      char buffer[64];
      std::snprintf(buffer, sizeof buffer, "percentile:%.10g", spec.percentile);
      return buffer;
    }
  }
  return "minmax";
}

bool needs_histogram(CalibrationMethod method) { return method != CalibrationMethod::kMinMax; }

Histogram::Histogram(float lo, float hi, int max_bins) {
  const double below = -std::min(0.0, static_cast<double>(lo));
  const double above = std::max(0.0, static_cast<double>(hi));
  const double span = std::max(below, above);
  if (!(span > 0.0)) return;  // every value is zero: no bins, nothing to estimate
  const int half = std::max(1, max_bins / 2);
  width_ = span / half;
  const int negative_bins = std::min(half, static_cast<int>(std::ceil(below / width_)));
  const int positive_bins = std::min(half, static_cast<int>(std::ceil(above / width_)));
  zero_bin_ = negative_bins;
  counts_.assign(static_cast<size_t>(negative_bins + positive_bins), 0.0);
}

void Histogram::add(const float* values, int64_t count) {
  if (counts_.empty()) return;
  const int last = num_bins() - 1;
  for (int64_t i = 0; i < count; ++i) {
    if (!std::isfinite(values[i])) continue;
    const double bin = std::floor(values[i] / width_) + zero_bin_;
    const int index = bin < 0 ? 0 : (bin > last ? last : static_cast<int>(bin));
    counts_[index] += 1.0;
    total_ += 1.0;
  }
}

double histogram_quantile(const Histogram& h, double fraction) {
  const double target = fraction * h.total();
  double below = 0.0;
  for (int i = 0; i < h.num_bins(); ++i) {
    const double c = h.counts()[i];
    if (c > 0.0 && below + c >= target) return h.lower_edge(i) + h.width() * std::max(0.0, target - below) / c;
    below += c;
  }
  return h.lower_edge(h.num_bins());
}

RealRange percentile_range(const Histogram& h, RealRange observed, double percentile) {
  if (is_empty(h)) return observed;
  const double tail = 1.0 - percentile / 100.0;
  RealRange r;
  r.min = static_cast<float>(histogram_quantile(h, tail));
  r.max = static_cast<float>(histogram_quantile(h, 1.0 - tail));
  return clamp_to(r, observed);
}

RealRange mse_range(const Histogram& h, RealRange observed) {
  if (is_empty(h)) return observed;
  RealRange best = observed;
  double best_error = expected_squared_error(h, observed);
  for (int k = kCandidates - 1; k >= 1; --k) {
    const float factor = static_cast<float>(k) / kCandidates;
    const RealRange candidate{observed.min * factor, observed.max * factor};
    const double error = expected_squared_error(h, candidate);
    if (error < best_error) {
      best_error = error;
      best = candidate;
    }
  }
  return best;
}

RealRange kl_range(const Histogram& h, RealRange observed) {
  if (is_empty(h)) return observed;
  const int negative_bins = h.zero_bin(), positive_bins = h.num_bins() - h.zero_bin();
  RealRange best = observed;
  double best_divergence = 0.0;
  bool have_candidate = false;
  for (int k = kCandidates; k >= 1; --k) {
    const int first = h.zero_bin() - static_cast<int>(std::lround(static_cast<double>(negative_bins) * k / kCandidates));
    const int last = h.zero_bin() + static_cast<int>(std::lround(static_cast<double>(positive_bins) * k / kCandidates));
    if (last - first < kInt8Levels) break;  // smaller candidates only get smaller
    const double divergence = clipped_kl_divergence(h, first, last);
    if (!have_candidate || divergence < best_divergence) {
      have_candidate = true;
      best_divergence = divergence;
      best = clamp_to(RealRange{static_cast<float>(h.lower_edge(first)), static_cast<float>(h.lower_edge(last))},
                      observed);
    }
  }
  return best;
}

}  // namespace quantlab
