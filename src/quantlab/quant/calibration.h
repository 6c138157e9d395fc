// Calibration: running the float model on representative data and recording,
// for every float tensor, the range its int8 parameters should cover. It is a
// stage of its own whose result, the CalibrationTable, can be inspected,
// saved as JSON and loaded again, so that quantization is a pure function of
// (model, table, options).
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "quantlab/core/status.h"
#include "quantlab/data/npy.h"
#include "quantlab/ir/graph.h"
#include "quantlab/quant/range_estimators.h"
#include "quantlab/runtime/interpreter.h"

namespace quantlab {

struct CalibrationOptions {
  CalibrationMethodSpec method;
  int64_t max_samples = 500;        // use at most this many samples (the first ones)
  int histogram_bins = 4096;        // for the histogram methods
  int64_t samples_per_invoke = 64;  // bounds the memory of one interpreter call
  InterpreterOptions interpreter;
};

// The calibrated range of one tensor, and the extremes actually observed.
struct TensorRange {
  float min = 0.f, max = 0.f;
  float observed_min = 0.f, observed_max = 0.f;
};

struct CalibrationTable {
  std::string method = "minmax";              // calibration_method_name of the method used
  int64_t samples = 0;                        // samples the ranges were computed from
  std::map<std::string, TensorRange> ranges;  // by calibration_key

  const TensorRange* find(const std::string& key) const {
    auto it = ranges.find(key);
    return it == ranges.end() ? nullptr : &it->second;
  }
};

// The key a tensor's range is stored under: its name when that is non-empty
// and unique in the graph, else "#<index>". One entry per tensor of `g`.
std::vector<std::string> calibration_keys(const Graph& g);

// Runs `float_graph` on the first min(N, max_samples) samples of `inputs`
// (inputs[i] feeds model input i and has shape [N * d0, d1, ...] for a model
// input of shape [d0, d1, ...]; float32, float64 or integer values, converted
// to float) and records a range for every float32 tensor the model computes
// or reads. Errors name the input: a count or shape mismatch ("expected
// [N, 128, 3, 1]"), a NaN or infinite element (with its sample index), a
// non-float model input, no samples.
Result<CalibrationTable> calibrate(const Graph& float_graph, const std::vector<Array>& inputs,
                                   const CalibrationOptions& options);

// The table as JSON: {"format": "quantlab-calibration", "version": 1,
// "method", "samples", "tensors": [{"name", "min", "max", "observed_min",
// "observed_max"}, ...]} with floats written so that they read back exactly.
std::string calibration_table_to_json(const CalibrationTable& table);
// Parses that JSON; errors name `source` and the bad entry (a missing field,
// a non-finite number, min > max).
Result<CalibrationTable> calibration_table_from_json(const std::string& text, const std::string& source);

Status save_calibration_table(const std::string& path, const CalibrationTable& table);
Result<CalibrationTable> load_calibration_table(const std::string& path);

}  // namespace quantlab
