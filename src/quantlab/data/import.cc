#include "quantlab/data/import.h"

#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <sstream>

#include "quantlab/core/file_io.h"

namespace quantlab {
namespace {

// Splits on any of `separators`, keeping empty pieces so "8,,1" is caught.
std::vector<std::string> split_text(const std::string& text, const std::string& separators) {
  std::vector<std::string> pieces(1);
  for (char c : text) {
    if (separators.find(c) != std::string::npos) {
      pieces.emplace_back();
    } else {
      pieces.back() += c;
    }
  }
  return pieces;
}

}  // namespace

Result<Shape> parse_sample_shape(const std::string& text) {
  Shape shape;
  for (const std::string& piece : split_text(text, ",x")) {
    errno = 0;
    char* end = nullptr;
    const long long value = std::strtoll(piece.c_str(), &end, 10);
    // Bounded by int32 because Shape holds int32 dimensions.
    if (piece.empty() || *end != '\0' || errno != 0 || value <= 0 || value > 2147483647LL)
      return invalid_argument("shape \"" + text + "\": \"" + piece + "\" is not a positive integer dimension");
    shape.push_back(static_cast<int32_t>(value));
  }
  return shape;
}

Status parse_split_fractions(const std::string& text, SplitOptions* options) {
  const std::vector<std::string> pieces = split_text(text, ",");
  if (pieces.size() != 3)
    return invalid_argument("split \"" + text + "\": give three fractions TRAIN,VAL,TEST such as 0.7,0.15,0.15");
  double fractions[3];
  double sum = 0.0;
  for (size_t i = 0; i < 3; ++i) {
    char* end = nullptr;
    fractions[i] = std::strtod(pieces[i].c_str(), &end);
    if (pieces[i].empty() || *end != '\0' || !std::isfinite(fractions[i]) || fractions[i] < 0.0 || fractions[i] > 1.0)
      return invalid_argument("split \"" + text + "\": \"" + pieces[i] + "\" is not a fraction in [0, 1]");
    sum += fractions[i];
  }
  if (std::fabs(sum - 1.0) > 1e-6)
    return invalid_argument("split \"" + text + "\": the fractions sum to " + std::to_string(sum) + ", not 1");
  // Absorb the rounding of decimal text so split_dataset's tighter check holds.
  options->train_fraction = fractions[0] / sum;
  options->val_fraction = fractions[1] / sum;
  options->test_fraction = fractions[2] / sum;
  return Status::Ok();
}

Result<DatasetSplits> prepare_import(Dataset all, const ImportOptions& options) {
  QL_RETURN_IF_ERROR(validate_dataset(all));
  // Normalizing twice would leave a record that describes only the second step.
  if (options.normalize && all.normalization)
    return invalid_argument("--normalize: the data is already normalized (it carries norm_mean and norm_std)");
  if (!options.sample_shape.empty()) {
    const Status reshaped = reshape_samples(&all, options.sample_shape);
    if (!reshaped.ok())
      return reshaped.with_context("--shape " + shape_to_string(options.sample_shape) + " for samples of " +
                                   shape_to_string(all.sample_shape()));
  }
  QL_ASSIGN_OR_RETURN(DatasetSplits splits, split_dataset(all, options.split));
  if (!options.normalize) return splits;
  if (splits.train.size() == 0) return invalid_argument("--normalize needs a non-empty train split");
  QL_ASSIGN_OR_RETURN(const NormalizationStats stats, compute_normalization(splits.train));
  for (Dataset* part : {&splits.train, &splits.val, &splits.test}) {
    // An empty split still records the statistics, so every file says how x was made.
    if (part->size() == 0) {
      part->normalization = stats;
      continue;
    }
    QL_RETURN_IF_ERROR(apply_normalization(part, stats));
  }
  return splits;
}

Status write_import(const std::string& dir, const DatasetSplits& splits, const std::string& provenance) {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) return io_error("cannot create directory " + dir + ": " + ec.message());
  std::ostringstream readme;
  readme << provenance << "\n\nFiles (NumPy .npz with members x, y, label_names";
  if (splits.train.normalization) readme << ", norm_mean, norm_std";
  readme << "):\n";
  const std::pair<const char*, const Dataset*> parts[] = {
      {"train", &splits.train}, {"val", &splits.val}, {"test", &splits.test}};
  for (const auto& [name, data] : parts) {
    const std::string path = dir + "/" + name + ".npz";
    QL_RETURN_IF_ERROR(write_dataset_npz(path, *data).with_context(path));
    readme << "  " << name << ".npz: x " << shape_to_string(data->x.shape) << ", y " << shape_to_string(data->y.shape)
           << "\n";
  }
  if (splits.train.normalization) {
    readme << "x is normalized per channel (last axis) with the train split's mean and std:\n";
    const NormalizationStats& stats = *splits.train.normalization;
    for (size_t c = 0; c < stats.mean.size(); ++c)
      readme << "  channel " << c << ": mean " << stats.mean[c] << ", std " << stats.std[c] << "\n";
  }
  return write_file_atomic(dir + "/README.txt", readme.str());
}

}  // namespace quantlab
