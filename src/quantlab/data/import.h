// Turning a user's own data (one CSV, or an x/y .npy pair) into the
// train/val/test .npz files that `quantlab train`, `quantize --calib` and
// `eval` read: samples reshaped to the model's input shape, a seeded split
// (stratified for class labels), and optional normalization whose
// statistics come from the train split alone.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "quantlab/core/shape.h"
#include "quantlab/core/status.h"
#include "quantlab/data/dataset.h"

namespace quantlab {

// Parses a sample shape such as "8,8,1" or "128x9x1": positive integers
// separated by ',' or 'x'. The error quotes the text.
Result<Shape> parse_sample_shape(const std::string& text);

// Parses "TRAIN,VAL,TEST" fractions such as "0.7,0.15,0.15" into `options`
// (seed and stratification are left as they are). Each must lie in [0, 1]
// and the three must sum to 1 within 1e-6; the error says which rule broke.
Status parse_split_fractions(const std::string& text, SplitOptions* options);

struct ImportOptions {
  // Each sample is reinterpreted (C order) as this shape; empty keeps the
  // shape as read (e.g. [F] for a CSV).
  Shape sample_shape;
  SplitOptions split;
  // Normalize every split with per-channel statistics of the train split
  // (the last axis of the sample shape is the channel axis).
  bool normalize = false;
};

// Reshapes, splits and (optionally) normalizes `all`. Normalization
// statistics are computed on the train split only, so no information from
// validation or test samples leaks into the model-ready data, and the same
// statistics are applied to, and recorded in, all three splits.
// Data that already carries normalization stats (an imported .npz) keeps
// them as its record unless the reshape changes the channel axis, and
// refuses a second normalization.
// Errors: a shape whose element count differs from the samples', invalid
// fractions, an empty train split or already-normalized data with
// `normalize`.
Result<DatasetSplits> prepare_import(Dataset all, const ImportOptions& options);

// Writes DIR/train.npz, DIR/val.npz and DIR/test.npz (creating DIR) and a
// DIR/README.txt that records `provenance` and each split's shapes.
Status write_import(const std::string& dir, const DatasetSplits& splits, const std::string& provenance);

}  // namespace quantlab
