#include "quantlab/quant/range_estimators.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <limits>

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

// Candidate cut points on bin edges: candidate k (1..kCandidates) keeps
// round(bins * k / kCandidates) of the bins on that side of zero, so k =
// kCandidates keeps everything. The two sides are cut independently: an
// outlier on one side says nothing about the other.
int lower_cut(const Histogram& h, int k) {
  return h.zero_bin() - static_cast<int>(std::lround(static_cast<double>(h.zero_bin()) * k / kCandidates));
}
int upper_cut(const Histogram& h, int k) {
  const int positive_bins = h.num_bins() - h.zero_bin();
  return h.zero_bin() + static_cast<int>(std::lround(static_cast<double>(positive_bins) * k / kCandidates));
}
RealRange cut_range(const Histogram& h, int first, int last, RealRange observed) {
  return clamp_to(RealRange{static_cast<float>(h.lower_edge(first)), static_cast<float>(h.lower_edge(last))}, observed);
}

// The expected squared int8 error of the histogram's values for any
// parameters in O(1), from prefix sums of n, n c and n c^2 over the bins (c a
// bin centre, exact zeros left out since they quantize exactly). A centre
// below the lowest representable value costs (c - lowest)^2, above the
// highest (c - highest)^2, and inside step^2 / 12 (the rounding error of
// values spread evenly over a step).
class SquaredErrorTable {
 public:
  explicit SquaredErrorTable(const Histogram& h)
      : h_(h), n_(h.num_bins() + 1, 0.0), nc_(h.num_bins() + 1, 0.0), ncc_(h.num_bins() + 1, 0.0) {
    for (int i = 0; i < h.num_bins(); ++i) {
      const double n = h.counts()[i] - (i == h.zero_bin() ? h.exact_zeros() : 0.0);
      const double c = h.center(i);
      n_[i + 1] = n_[i] + n;
      nc_[i + 1] = nc_[i] + n * c;
      ncc_[i + 1] = ncc_[i] + n * c * c;
    }
  }

  double expected_squared_error(RealRange candidate) const {
    const AffineParams p = choose_activation_params(candidate.min, candidate.max, DType::kInt8);
    const double step = p.scale;
    const double lowest = (-128.0 - p.zero_point) * step, highest = (127.0 - p.zero_point) * step;
    // Bins [0, below) have centres under `lowest`; bins [above, n) over `highest`.
    const int below = bin_index_clamped(std::ceil(lowest / h_.width() + h_.zero_bin() - 0.5));
    const int above = std::max(below, bin_index_clamped(std::floor(highest / h_.width() + h_.zero_bin() - 0.5) + 1));
    const int last = h_.num_bins();
    return squared_distance(0, below, lowest) + squared_distance(above, last, highest) +
           (n_[above] - n_[below]) * step * step / 12.0;
  }

 private:
  int bin_index_clamped(double i) const { return static_cast<int>(std::min<double>(std::max(i, 0.0), h_.num_bins())); }
  // Sum of n (c - t)^2 over bins [begin, end).
  double squared_distance(int begin, int end, double t) const {
    if (begin >= end) return 0.0;
    const double n = n_[end] - n_[begin], nc = nc_[end] - nc_[begin], ncc = ncc_[end] - ncc_[begin];
    return std::max(0.0, ncc - 2.0 * t * nc + t * t * n);
  }

  const Histogram& h_;
  std::vector<double> n_, nc_, ncc_;
};

// KL(P || Q) for the bins [first, last) of `h`, exact zeros left out. P is
// the kept histogram with the clipped counts folded into its edge bins (what
// the clipped tensor holds); Q merges the kept bins *without* the clipped
// counts into kInt8Levels groups and spreads each group's count over the
// bins where P is non-empty (what int8 can represent). Both are normalized.
// Clipping costs through P's heavier edge bins, coarse levels through Q's
// flattening. Where P has mass but Q none (clipped values landing in an
// otherwise empty level), Q gets kSmoothing of probability, taken from its
// other bins, so that clipping past an empty stretch of the tail is priced
// rather than forbidden.
double clipped_kl_divergence(const Histogram& h, int first, int last) {
  constexpr double kSmoothing = 1e-4;
  std::vector<double> counts = h.counts();
  counts[h.zero_bin()] -= h.exact_zeros();
  double all_total = 0.0;
  for (double c : counts) all_total += c;
  const int kept = last - first;
  std::vector<double> p(counts.begin() + first, counts.begin() + last);
  double kept_total = 0.0;
  for (double c : p) kept_total += c;
  if (kept_total <= 0.0 || all_total <= 0.0) return std::numeric_limits<double>::infinity();
  for (int i = 0; i < first; ++i) p.front() += counts[i];
  for (int i = last; i < h.num_bins(); ++i) p.back() += counts[i];

  std::vector<double> q(static_cast<size_t>(kept), 0.0);
  for (int g = 0; g < kInt8Levels; ++g) {
    const int begin = static_cast<int>(static_cast<int64_t>(g) * kept / kInt8Levels);
    const int end = static_cast<int>(static_cast<int64_t>(g + 1) * kept / kInt8Levels);
    double group_total = 0.0;
    int non_empty = 0;
    for (int i = begin; i < end; ++i) {
      group_total += counts[first + i];
      non_empty += p[i] > 0.0;
    }
    for (int i = begin; i < end; ++i)
      if (p[i] > 0.0) q[i] = group_total / non_empty / kept_total;
  }
  int unrepresented = 0;
  for (int i = 0; i < kept; ++i) unrepresented += p[i] > 0.0 && q[i] <= 0.0;
  const double keep_share = 1.0 - unrepresented * kSmoothing;
  if (keep_share <= 0.0) return std::numeric_limits<double>::infinity();
  double divergence = 0.0;
  for (int i = 0; i < kept; ++i) {
    if (p[i] <= 0.0) continue;
    const double pn = p[i] / all_total;
    const double qn = q[i] > 0.0 ? q[i] * keep_share : kSmoothing;
    divergence += pn * std::log(pn / qn);
  }
  return divergence;
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
    case CalibrationMethod::kMinMax:
      return "minmax";
    case CalibrationMethod::kMse:
      return "mse";
    case CalibrationMethod::kKl:
      return "kl";
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
    if (values[i] == 0.f) exact_zeros_ += 1.0;
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
  const SquaredErrorTable table(h);
  RealRange best = observed;
  double best_error = table.expected_squared_error(observed);
  // Widest first, so that ties keep the wider range.
  for (int a = kCandidates; a >= 1; --a) {
    for (int b = kCandidates; b >= 1; --b) {
      const RealRange candidate = cut_range(h, lower_cut(h, a), upper_cut(h, b), observed);
      const double error = table.expected_squared_error(candidate);
      if (error < best_error) {
        best_error = error;
        best = candidate;
      }
    }
  }
  return best;
}

RealRange kl_range(const Histogram& h, RealRange observed) {
  if (is_empty(h)) return observed;
  // The upper cut with everything below kept, then the lower cut with that
  // upper cut: a search per side rather than over every pair, since each
  // divergence costs a pass over the histogram.
  auto best_cut = [&](bool upper, int fixed) {
    int best = upper ? h.num_bins() : 0;
    double best_divergence = std::numeric_limits<double>::infinity();
    for (int k = kCandidates; k >= 1; --k) {
      const int first = upper ? fixed : lower_cut(h, k);
      const int last = upper ? upper_cut(h, k) : fixed;
      if (last - first < kInt8Levels) break;  // smaller candidates only get smaller
      const double divergence = clipped_kl_divergence(h, first, last);
      if (divergence < best_divergence) {
        best_divergence = divergence;
        best = upper ? last : first;
      }
    }
    return best;
  };
  const int last = best_cut(true, 0);
  const int first = best_cut(false, last);
  return cut_range(h, first, last, observed);
}

}  // namespace quantlab
