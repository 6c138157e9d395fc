// The per-layer error statistics of the quantization debugger, over the
// difference d = float_output - dequantized(quantized_output).
//
// TensorFlow's debugger computes its default metrics per sample and averages
// them over samples, ignoring NaN (np.nanmean); so does this, with the same
// definitions:
//   num_elements        elements of one sample of the tensor
//   stddev              population standard deviation of d (np.std)
//   mean_error          mean of d
//   max_abs_error       max |d|
//   mean_squared_error  mean of d^2
// and these extras:
//   mean_abs_error      mean |d|
//   rmse/scale          sqrt(mean d^2) / scale: the error in units of the
//                       tensor's quantization step. Rounding alone gives
//                       1/sqrt(12) ~ 0.289 (d uniform over one step); much
//                       more means clipping or error carried in from earlier
//                       layers. NaN when the quantized tensor has no scale
//                       (a float tensor of a dynamic-range or selective model).
//   sqnr_db             10 log10(sum f^2 / sum d^2), the signal-to-quantization-
//                       noise ratio; pooled over all samples rather than
//                       averaged, since one sample with no error at all would
//                       make an average infinite. +inf when d is all zero.
//   cosine_similarity   f.q / (|f| |q|) per sample (1 when both are all
//                       zero, 0 when only one is).
#pragma once

#include <cstdint>
#include <limits>
#include <vector>

namespace quantlab {

struct LayerErrorStats {
  static constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
  int64_t num_elements = 0;
  int64_t samples = 0;
  double stddev = kNaN;
  double mean_error = kNaN;
  double max_abs_error = kNaN;
  double mean_squared_error = kNaN;
  double mean_abs_error = kNaN;
  double rmse_over_scale = kNaN;
  double sqnr_db = kNaN;
  double cosine_similarity = kNaN;
};

// The metrics above after num_elements, in the order of TensorFlow's CSV
// (its defaults first, then the extras). Every report, chart and help text
// takes its columns from this one list.
struct LayerMetricInfo {
  const char* name;         // column name ("rmse/scale")
  const char* description;  // one line for --help and the charts
  double (*value)(const LayerErrorStats&);
  bool tensorflow_default;  // one of TensorFlow's default metrics
};
const std::vector<LayerMetricInfo>& layer_metrics();

// Collects samples one at a time; sums are kept in double.
class LayerErrorAccumulator {
 public:
  // `reference` holds the float model's values and `candidate` the
  // dequantized values of the quantized model, `n` each (n >= 1; every
  // sample of one layer has the same n). `scale` is the quantized tensor's
  // scale, or <= 0 / NaN when it has none.
  void add_sample(const float* reference, const float* candidate, int64_t n, double scale);

  // The statistics of the samples added so far; all NaN when there were none.
  LayerErrorStats finish() const;

 private:
  // A sum over samples of a per-sample value, skipping NaN as np.nanmean does.
  struct NanMean {
    double sum = 0.0;
    int64_t count = 0;
    void add(double v) {
      if (v == v) {
        sum += v;
        ++count;
      }
    }
    double mean() const { return count > 0 ? sum / static_cast<double>(count) : LayerErrorStats::kNaN; }
  };

  int64_t num_elements_ = 0;
  int64_t samples_ = 0;
  NanMean stddev_, mean_error_, max_abs_error_, mean_squared_error_, mean_abs_error_, rmse_over_scale_, cosine_;
  double signal_energy_ = 0.0, noise_energy_ = 0.0;
};

}  // namespace quantlab
