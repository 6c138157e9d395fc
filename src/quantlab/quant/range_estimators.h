// Choosing a tensor's quantization range from the values calibration saw.
// Min/max needs only the extremes; the other methods read a histogram whose
// bins have one width and put real zero exactly on a bin edge, so a
// candidate range that keeps zero fixed (as the int8 zero point does) cuts
// the histogram on bin edges.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "quantlab/core/status.h"

namespace quantlab {

enum class CalibrationMethod : uint8_t {
  kMinMax,      // the observed [min, max]
  kPercentile,  // [(100 - P)th percentile, Pth percentile]
  kMse,         // the range minimizing the expected int8 quantization MSE
  kKl,          // the range minimizing KL(P || Q) between the histogram and its int8 version
};

struct CalibrationMethodSpec {
  CalibrationMethod method = CalibrationMethod::kMinMax;
  double percentile = 99.99;  // for kPercentile, in (50, 100]
};

// Parses "minmax", "percentile:P" (50 < P <= 100), "mse" or "kl".
Result<CalibrationMethodSpec> parse_calibration_method(const std::string& text);
// The form parse_calibration_method reads ("percentile:99.9").
std::string calibration_method_name(const CalibrationMethodSpec& spec);
// Whether the method needs a histogram (a second pass over the data).
bool needs_histogram(CalibrationMethod method);

struct RealRange {
  float min = 0.f, max = 0.f;
};

// Counts of values in equal-width bins. Bin i covers
// [(i - zero_bin) * width, (i - zero_bin + 1) * width); values outside the
// bins land in the first or last bin. Real zero is the left edge of bin
// `zero_bin`.
class Histogram {
 public:
  // Bins covering [min(lo, 0), max(hi, 0)] with at most `max_bins` bins
  // (>= 2), the wider side of zero getting max_bins / 2 of them.
  // Precondition: lo and hi finite.
  Histogram(float lo, float hi, int max_bins);

  void add(const float* values, int64_t count);

  int num_bins() const { return static_cast<int>(counts_.size()); }
  int zero_bin() const { return zero_bin_; }
  double width() const { return width_; }
  const std::vector<double>& counts() const { return counts_; }
  double total() const { return total_; }
  // Values that were exactly 0 (counted in bin zero_bin() as well). Zero is
  // always exact in int8 (it is the zero point), and after ReLU it is often
  // the most common value, so estimators that weigh errors ignore it.
  double exact_zeros() const { return exact_zeros_; }
  double lower_edge(int bin) const { return (bin - zero_bin_) * width_; }
  double center(int bin) const { return (bin - zero_bin_ + 0.5) * width_; }

 private:
  double width_ = 0.0;
  int zero_bin_ = 0;
  double total_ = 0.0;
  double exact_zeros_ = 0.0;
  std::vector<double> counts_;
};

// The value below which `fraction` (in [0, 1]) of the counted values lie,
// interpolating linearly inside a bin.
double histogram_quantile(const Histogram& h, double fraction);

// Each estimator returns a range inside [observed.min, observed.max]; an
// empty histogram (all values 0, or no values) returns `observed`.
RealRange percentile_range(const Histogram& h, RealRange observed, double percentile);

// Candidate ranges cut the histogram on bin edges, each side of zero
// independently, at 128 fractions of that side (an outlier on one side says
// nothing about the other). The expected squared error of a bin is
// (c - clip)^2 for a centre c outside the representable range, else
// step^2 / 12 (rounding error of values spread evenly over a step); exact
// zeros cost nothing. Every pair of cuts is tried; ties keep the wider range.
// For int8 this rarely clips: an outlier costs its squared distance, while
// the finer step saves about range^2 / 780000 per value.
RealRange mse_range(const Histogram& h, RealRange observed);

// Entropy calibration. Candidates as for mse_range; the upper cut is chosen
// first (the lower side kept whole), then the lower cut. For each, P is the
// kept histogram with the clipped counts added to its edge bins; Q merges the
// kept bins without the clipped counts into 256 groups of adjacent bins (the
// int8 levels) and spreads each group's count evenly over the bins where P
// is non-empty, smoothed with 1e-4 of probability where P has mass and Q has
// none (so clipping past an empty stretch of the tail is priced, not
// forbidden). Exact zeros are left out of both: int8 represents them exactly,
// and a ReLU's spike at zero would otherwise decide the range alone. The
// smallest KL(P || Q) wins; ties keep the wider range. Candidates of fewer
// than 256 bins are not tried (a level would hold less than a bin).
RealRange kl_range(const Histogram& h, RealRange observed);

}  // namespace quantlab
