// What `quantlab quantize` reports: one line per scheme on the terminal and
// a JSON summary beside the written models, both saying which tensors were
// quantized, which stayed float and why. Formatting only; the decisions come
// from the passes.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "quantlab/core/status.h"
#include "quantlab/quant/quantized_graph.h"
#include "quantlab/quant/schemes.h"

namespace quantlab {

struct SchemeOutcome {
  Scheme scheme = Scheme::kFloat;
  Status status;     // why the scheme failed; OK when its file was written
  std::string path;  // the written file (empty when failed)
  int64_t file_bytes = 0;
  std::vector<TensorDecision> decisions;
};

struct QuantizeRunInfo {
  std::string model_path;
  int64_t model_bytes = 0;
  std::string calibration_source;  // "data", "loaded", or "none"
  std::string calibration_detail;  // data files or the loaded table's path
  std::string calibration_method;
  int64_t calibration_samples = 0;
  ConversionOptions options;
};

// "drq        out/m.drq.tflite  18,400 bytes | int8: 1 weight | float: 3 weights
// (fewer than 1024 elements), 4 biases (...)"; a failed scheme prints its error.
std::string scheme_summary_line(const SchemeOutcome& outcome);

// The whole run as JSON (every tensor decision of every scheme).
std::string quantize_summary_json(const QuantizeRunInfo& info, const std::vector<SchemeOutcome>& outcomes);

}  // namespace quantlab
