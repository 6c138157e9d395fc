// Labelled datasets for evaluation, calibration and training.
//
// Representation (one for the whole project):
//   x  float32 [N, ...sample shape]. Integer or float64 features read from a
//      file are converted to float32; models with integer inputs quantize
//      these values at their input.
//   y  either class indices:  int32 [N], each in [0, num_classes)
//      or multi-hot labels:   uint8 [N, L], each 0 or 1
//      (label_kind() tells which; a rank-2 y is always multi-hot).
//   label_names  empty, or one name per class / label column.
//   normalization  optional per-channel mean/std of x's last axis that were
//      ALREADY applied to x (x is always model-ready). They are carried with
//      the data as a record, so that new raw data for the same model (a test
//      split imported later, a device's recordings) is normalized with the
//      very statistics training saw: apply_normalization(raw, stats).
//      Consumers (training, calibration, evaluation) use x as it is.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "quantlab/core/shape.h"
#include "quantlab/core/status.h"
#include "quantlab/data/npy.h"
#include "quantlab/data/npz.h"

namespace quantlab {

enum class LabelKind { kClassIndex, kMultiHot };

// Per-channel statistics of the last axis of x: normalized = (x - mean) / std.
struct NormalizationStats {
  std::vector<float> mean;
  std::vector<float> std;  // every entry finite and > 0
};

struct Dataset {
  Array x;
  Array y;
  std::vector<std::string> label_names;
  std::optional<NormalizationStats> normalization;

  // Number of samples (x.shape[0]); 0 for an empty or rank-0 x.
  int64_t size() const { return x.shape.empty() ? 0 : x.shape[0]; }
  // x's shape without the leading sample dimension.
  Shape sample_shape() const { return x.shape.empty() ? Shape{} : Shape(x.shape.begin() + 1, x.shape.end()); }
  // Floats per sample.
  int64_t sample_elements() const { return quantlab::num_elements(sample_shape()); }
  // kMultiHot if y has rank 2, else kClassIndex.
  LabelKind label_kind() const { return y.shape.size() == 2 ? LabelKind::kMultiHot : LabelKind::kClassIndex; }
  // Classes (class indices: label_names.size() if names are given, else the
  // largest label + 1, 0 when empty) or label columns (multi-hot: L).
  // Precondition: y is int32 [N] or uint8 [N, L].
  int32_t num_labels() const;
};

// Checks every representation rule above and says which one is broken:
// dtypes, ranks, x/y length mismatch, samples without features or
// multi-hot rows without labels (when N > 0), NaN/Inf in x (naming sample and
// element), a class index outside [0, num_classes) (num_classes from
// label_names when present; any negative index otherwise), a multi-hot
// entry other than 0/1, label_names of the wrong length, normalization
// stats whose length differs from x's last dimension or whose std is not
// finite and positive.
Status validate_dataset(const Dataset& dataset);

// Checks that each sample of `dataset` has the shape the model input
// expects, ignoring the input's leading batch dimension: x [N, a, b] fits
// model_input [1, a, b] (or [-1, a, b]). Precondition: model_input has rank
// >= 1. The error names both shapes.
Status check_input_shape(const Dataset& dataset, const Shape& model_input);

// Reinterprets each sample as `sample_shape` (same element count, C order),
// e.g. [N, 384] -> [N, 128, 3, 1]. Normalization stats are dropped if the
// last dimension changes. Error if the element counts differ.
Status reshape_samples(Dataset* dataset, const Shape& sample_shape);

// The samples at `indices` (each in [0, size())), in that order, with the
// same label names and normalization. Precondition: dataset is valid.
Dataset select_samples(const Dataset& dataset, const std::vector<int64_t>& indices);

// ---- Normalization ----------------------------------------------------------

// Mean and (population) standard deviation of each channel of x's last
// axis, accumulated in double. A channel with zero spread gets std 1 so
// normalizing it is the identity shift. Error if the dataset is empty.
Result<NormalizationStats> compute_normalization(const Dataset& dataset);

// x = (x - mean) / std per channel, and records `stats` in the dataset.
// Error if the stats' length differs from x's last dimension.
Status apply_normalization(Dataset* dataset, const NormalizationStats& stats);

// ---- Reading -----------------------------------------------------------------

// Reads an .npz with members `x`, `y` and optionally `label_names` (a text
// array), `norm_mean` and `norm_std` (float32 [C]). x of any numeric dtype
// is converted to float32; a rank-1 integer y becomes int32 class indices;
// a rank-2 y of any numeric or bool dtype becomes uint8 multi-hot (entries
// must be exactly 0 or 1). Other members are ignored. The result is
// validated.
Result<Dataset> read_dataset_npz(const std::string& path);

// Reads x and y from two .npy files, converted and validated as above.
Result<Dataset> read_dataset_npy_pair(const std::string& x_path, const std::string& y_path);

struct CsvOptions {
  char delimiter = ',';
  // Label columns by header name, in label order. When empty, the last
  // `label_column_count` columns are the labels.
  std::vector<std::string> label_columns;
  int label_column_count = 1;  // >= 1; used only when label_columns is empty
};

// Reads a CSV file with a header row: every non-label column is a numeric
// feature (x float32 [N, F], in file order); the label columns form y.
// One label column gives class indices: integers are used as they are;
// otherwise each distinct text is a class, numbered in sorted order, and
// the texts become label_names. Several label columns give multi-hot y
// (each entry 0 or 1) with the column names as label_names. Quoted fields
// ("a,b", "say ""hi""") and CRLF line ends are accepted; blank lines are
// skipped. Errors name the file, line and column.
Result<Dataset> read_dataset_csv(const std::string& path, const CsvOptions& options = {});

// Chooses the reader by extension: ".npz" or ".csv" (CSV with default options).
Result<Dataset> read_dataset(const std::string& path);

// ---- Writing -----------------------------------------------------------------

// Writes the dataset as an .npz (members as read_dataset_npz expects)
// atomically. Error if the dataset is not valid.
Status write_dataset_npz(const std::string& path, const Dataset& dataset,
                         NpzCompression compression = NpzCompression::kStored);

// ---- Splitting ---------------------------------------------------------------

struct SplitOptions {
  // Each in [0, 1]; they must sum to 1 (within 1e-9).
  double train_fraction = 0.8;
  double val_fraction = 0.1;
  double test_fraction = 0.1;
  uint64_t seed = 0;
  // For class-index labels, split every class in the same proportions.
  // Multi-hot datasets are always split without stratification.
  bool stratified = true;
};

struct DatasetSplits {
  Dataset train;
  Dataset val;
  Dataset test;
};

// Shuffles and splits the samples. Sizes: val = round(val_fraction * n),
// test = round(test_fraction * n), train = the rest; when stratified the
// same rule is applied to each class separately. The result depends only
// on the data and the seed (the shuffle uses a fixed algorithm, not the
// standard library's unspecified one), and each split is itself shuffled.
// Errors: invalid fractions, an invalid dataset.
Result<DatasetSplits> split_dataset(const Dataset& dataset, const SplitOptions& options);

}  // namespace quantlab
