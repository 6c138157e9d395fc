#include "quantlab/debug/error_metrics.h"

#include <algorithm>
#include <cmath>

namespace quantlab {

void LayerErrorAccumulator::add_sample(const float* reference, const float* candidate, int64_t n, double scale) {
  if (n <= 0) return;
  double sum = 0.0, sum_abs = 0.0, sum_sq = 0.0, max_abs = 0.0;
  double dot = 0.0, ref_sq = 0.0, cand_sq = 0.0;
  bool any_nan = false;
  for (int64_t i = 0; i < n; ++i) {
    const double f = reference[i], q = candidate[i];
    const double d = f - q;
    if (std::isnan(d)) any_nan = true;
    sum += d;
    sum_abs += std::fabs(d);
    sum_sq += d * d;
    max_abs = std::max(max_abs, std::fabs(d));
    dot += f * q;
    ref_sq += f * f;
    cand_sq += q * q;
  }
  const double count = static_cast<double>(n);
  const double mean = sum / count;
  const double mse = sum_sq / count;
  // Population variance in a second pass around the mean: E[d^2] - E[d]^2
  // would cancel catastrophically when a layer's error is mostly a constant
  // offset (a shifted zero point, a bias rounding).
  double centered_sq = 0.0;
  for (int64_t i = 0; i < n; ++i) {
    const double d = static_cast<double>(reference[i]) - static_cast<double>(candidate[i]) - mean;
    centered_sq += d * d;
  }
  const double variance = centered_sq / count;
  num_elements_ = n;
  ++samples_;
  stddev_.add(std::sqrt(variance));
  mean_error_.add(mean);
  max_abs_error_.add(any_nan ? LayerErrorStats::kNaN : max_abs);
  mean_squared_error_.add(mse);
  mean_abs_error_.add(sum_abs / count);
  rmse_over_scale_.add(scale > 0.0 ? std::sqrt(mse) / scale : LayerErrorStats::kNaN);
  double cosine;
  if (ref_sq == 0.0 && cand_sq == 0.0)
    cosine = 1.0;
  else if (ref_sq == 0.0 || cand_sq == 0.0)
    cosine = 0.0;
  else
    cosine = dot / (std::sqrt(ref_sq) * std::sqrt(cand_sq));
  cosine_.add(cosine);
  signal_energy_ += ref_sq;
  noise_energy_ += sum_sq;
}

const std::vector<LayerMetricInfo>& layer_metrics() {
  static const std::vector<LayerMetricInfo> metrics = {
      {"stddev", "standard deviation of the error (float - dequantized quantized)",
       [](const LayerErrorStats& s) { return s.stddev; }, true},
      {"mean_error", "mean error: a systematic offset (bias) when far from 0",
       [](const LayerErrorStats& s) { return s.mean_error; }, true},
      {"max_abs_error", "largest absolute error of a sample, averaged over samples",
       [](const LayerErrorStats& s) { return s.max_abs_error; }, true},
      {"mean_squared_error", "mean squared error",
       [](const LayerErrorStats& s) { return s.mean_squared_error; }, true},
      {"mean_abs_error", "mean absolute error",
       [](const LayerErrorStats& s) { return s.mean_abs_error; }, false},
      {"rmse/scale", "root mean squared error in quantization steps: ~0.29 is rounding alone, > 0.7 is suspect",
       [](const LayerErrorStats& s) { return s.rmse_over_scale; }, false},
      {"sqnr_db", "signal-to-quantization-noise ratio in dB (higher is better)",
       [](const LayerErrorStats& s) { return s.sqnr_db; }, false},
      {"cosine_similarity", "cosine similarity of float and dequantized values (1 is identical direction)",
       [](const LayerErrorStats& s) { return s.cosine_similarity; }, false},
  };
  return metrics;
}

LayerErrorStats LayerErrorAccumulator::finish() const {
  LayerErrorStats s;
  s.num_elements = num_elements_;
  s.samples = samples_;
  if (samples_ == 0) return s;
  s.stddev = stddev_.mean();
  s.mean_error = mean_error_.mean();
  s.max_abs_error = max_abs_error_.mean();
  s.mean_squared_error = mean_squared_error_.mean();
  s.mean_abs_error = mean_abs_error_.mean();
  s.rmse_over_scale = rmse_over_scale_.mean();
  s.cosine_similarity = cosine_.mean();
  if (noise_energy_ == 0.0)
    s.sqnr_db = std::numeric_limits<double>::infinity();
  else
    s.sqnr_db = 10.0 * std::log10(signal_energy_ / noise_energy_);
  return s;
}

}  // namespace quantlab
