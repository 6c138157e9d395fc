#include "quantlab/data/dataset.h"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cmath>
#include <cstring>
#include <limits>
#include <map>
#include <random>
#include <set>

#include "quantlab/core/file_io.h"

namespace quantlab {
namespace {

// Number of normalization channels: the last axis of a sample, or 1 for
// scalar samples (x of rank 1).
int64_t channel_count(const Array& x) { return x.shape.size() >= 2 ? x.shape.back() : 1; }

std::string describe_value(double v) {
  if (std::isnan(v)) return "NaN";
  if (std::isinf(v)) return v > 0 ? "+Inf" : "-Inf";
  char buf[32];
  std::snprintf(buf, sizeof(buf), "%.9g", v);
  return buf;
}

bool is_numeric(DType t) { return is_integer(t) || is_float(t) || t == DType::kBool; }

// x of any numeric dtype -> float32 (float64 rounds to nearest; integers
// up to 2^24 convert exactly).
Result<Array> features_to_float32(const Array& x, const std::string& where) {
  if (!is_numeric(x.dtype))
    return invalid_argument(where + ": x must be numeric, found " + dtype_name(x.dtype));
  if (x.shape.empty()) return invalid_argument(where + ": x must have a sample dimension, found a scalar");
  if (x.dtype == DType::kFloat32) return x;
  Array out = Array::zeros(DType::kFloat32, x.shape);
  float* dst = out.data<float>();
  for (int64_t i = 0; i < x.num_elements(); ++i) dst[i] = static_cast<float>(x.value_as_double(i));
  return out;
}

// y -> int32 [N] class indices or uint8 [N, L] multi-hot, refusing values
// the conversion would change.
Result<Array> labels_to_canonical(const Array& y, const std::string& where) {
  if (!is_numeric(y.dtype))
    return invalid_argument(where + ": y must be numeric, found " + dtype_name(y.dtype));
  if (y.shape.size() == 1) {
    Array out = Array::zeros(DType::kInt32, y.shape);
    int32_t* dst = out.data<int32_t>();
    for (int64_t i = 0; i < y.num_elements(); ++i) {
      const double v = y.value_as_double(i);
      if (!(v == std::floor(v)) || v < std::numeric_limits<int32_t>::min() || v > std::numeric_limits<int32_t>::max())
        return invalid_argument(where + ": y[" + std::to_string(i) + "] = " + describe_value(v) +
                                " is not an integer class index");
      dst[i] = static_cast<int32_t>(v);
    }
    return out;
  }
  if (y.shape.size() == 2) {
    Array out = Array::zeros(DType::kUInt8, y.shape);
    uint8_t* dst = out.data<uint8_t>();
    const int64_t labels = y.shape[1];
    for (int64_t i = 0; i < y.num_elements(); ++i) {
      const double v = y.value_as_double(i);
      if (v != 0.0 && v != 1.0)
        return invalid_argument(where + ": multi-hot y row " + std::to_string(i / labels) + " label " +
                                std::to_string(i % labels) + " is " + describe_value(v) + ", not 0 or 1");
      dst[i] = static_cast<uint8_t>(v);
    }
    return out;
  }
  return invalid_argument(where + ": y must be [N] class indices or [N, L] multi-hot, found shape " +
                          shape_to_string(y.shape));
}

Result<std::vector<float>> float_vector(const Array& a, const std::string& where) {
  if (a.shape.size() != 1) return invalid_argument(where + " must be one-dimensional, found shape " +
                                                   shape_to_string(a.shape));
  if (!is_float(a.dtype)) return invalid_argument(where + " must be float, found " + dtype_name(a.dtype));
  std::vector<float> out(static_cast<size_t>(a.num_elements()));
  for (size_t i = 0; i < out.size(); ++i) out[i] = static_cast<float>(a.value_as_double(static_cast<int64_t>(i)));
  return out;
}

// Builds a validated dataset from freshly read arrays.
Result<Dataset> assemble_dataset(const Array& x, const Array& y, const std::string& where) {
  Dataset d;
  QL_ASSIGN_OR_RETURN(d.x, features_to_float32(x, where));
  QL_ASSIGN_OR_RETURN(d.y, labels_to_canonical(y, where));
  return d;
}

// Unbiased integer in [0, bound) from a generator whose output sequence the
// C++ standard fixes (mt19937_64), so splits agree across platforms.
uint64_t uniform_below(std::mt19937_64& rng, uint64_t bound) {
  // 2^64 mod bound: draws below it would favour small results.
  const uint64_t threshold = (0 - bound) % bound;
  uint64_t r;
  do r = rng(); while (r < threshold);
  return r % bound;
}

void fisher_yates_shuffle(std::vector<int64_t>* v, std::mt19937_64& rng) {
  for (size_t i = v->size(); i > 1; --i) {
    const size_t j = static_cast<size_t>(uniform_below(rng, i));
    std::swap((*v)[i - 1], (*v)[j]);
  }
}

// ---- CSV -------------------------------------------------------------------

struct CsvRecord {
  int64_t line = 0;  // 1-based line where the record starts
  std::vector<std::string> fields;
};

Result<std::vector<CsvRecord>> parse_csv_records(const std::string& text, char delimiter, const std::string& path) {
  std::vector<CsvRecord> records;
  CsvRecord current;
  std::string field;
  bool in_quotes = false;
  bool field_was_quoted = false;
  int64_t line = 1;
  current.line = 1;
  auto end_record = [&]() {
    current.fields.push_back(std::move(field));
    field.clear();
    const bool blank = current.fields.size() == 1 && current.fields[0].empty() && !field_was_quoted;
    if (!blank) records.push_back(std::move(current));
    current = CsvRecord{};
    field_was_quoted = false;
  };
  for (size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (in_quotes) {
      if (c == '"') {
        if (i + 1 < text.size() && text[i + 1] == '"') {
          field += '"';
          ++i;
        } else {
          in_quotes = false;
        }
      } else {
        if (c == '\n') ++line;
        field += c;
      }
      continue;
    }
    if (c == '"' && field.find_first_not_of(" \t") == std::string::npos) {
      field.clear();
      in_quotes = true;
      field_was_quoted = true;
    } else if (c == delimiter) {
      current.fields.push_back(std::move(field));
      field.clear();
    } else if (c == '\n' || c == '\r') {
      if (c == '\r' && i + 1 < text.size() && text[i + 1] == '\n') ++i;
      end_record();
      current.line = ++line;
    } else {
      field += c;
    }
  }
  if (in_quotes) return invalid_argument(path + ": line " + std::to_string(current.line) + ": unterminated quote");
  if (!field.empty() || !current.fields.empty() || field_was_quoted) end_record();
  return records;
}

std::string trim(const std::string& s) {
  const size_t b = s.find_first_not_of(" \t");
  if (b == std::string::npos) return "";
  const size_t e = s.find_last_not_of(" \t");
  return s.substr(b, e - b + 1);
}

bool parse_double(const std::string& text, double* out) {
  const std::string t = trim(text);
  if (t.empty()) return false;
  const char* begin = t.data();
  if (*begin == '+') ++begin;  // from_chars does not take a leading '+'
  auto [ptr, ec] = std::from_chars(begin, t.data() + t.size(), *out);
  return ec == std::errc() && ptr == t.data() + t.size();
}

bool parse_int64(const std::string& text, int64_t* out) {
  const std::string t = trim(text);
  if (t.empty()) return false;
  auto [ptr, ec] = std::from_chars(t.data(), t.data() + t.size(), *out);
  return ec == std::errc() && ptr == t.data() + t.size();
}

}  // namespace

int32_t Dataset::num_labels() const {
  if (label_kind() == LabelKind::kMultiHot) return y.shape[1];
  if (!label_names.empty()) return static_cast<int32_t>(label_names.size());
  const int32_t* labels = y.data<int32_t>();
  int32_t max_label = -1;
  if (labels)
    for (int64_t i = 0; i < y.num_elements(); ++i) max_label = std::max(max_label, labels[i]);
  return max_label + 1;
}

Status validate_dataset(const Dataset& d) {
  if (d.x.dtype != DType::kFloat32)
    return invalid_argument(std::string("x must be FLOAT32, found ") + dtype_name(d.x.dtype));
  if (d.x.shape.empty()) return invalid_argument("x must have a sample dimension, found a scalar");
  if (!d.x.consistent())
    return invalid_argument("x holds " + std::to_string(d.x.bytes.size()) + " bytes, which does not match its shape " +
                            shape_to_string(d.x.shape));
  const LabelKind kind = d.label_kind();
  if (kind == LabelKind::kClassIndex && (d.y.dtype != DType::kInt32 || d.y.shape.size() != 1))
    return invalid_argument(std::string("y must be INT32 [N] class indices or UINT8 [N, L] multi-hot, found ") +
                            dtype_name(d.y.dtype) + " " + shape_to_string(d.y.shape));
  if (kind == LabelKind::kMultiHot && d.y.dtype != DType::kUInt8)
    return invalid_argument(std::string("multi-hot y must be UINT8, found ") + dtype_name(d.y.dtype));
  if (!d.y.consistent())
    return invalid_argument("y holds " + std::to_string(d.y.bytes.size()) + " bytes, which does not match its shape " +
                            shape_to_string(d.y.shape));
  if (d.y.shape[0] != d.x.shape[0])
    return invalid_argument("x has " + std::to_string(d.x.shape[0]) + " samples but y has " +
                            std::to_string(d.y.shape[0]) + " labels");
  // Samples without features (or multi-hot rows without labels) carry
  // nothing, and as they take no bytes a tiny file could declare billions of
  // them, which splitting or training would then try to index.
  if (d.size() > 0 && d.sample_elements() == 0)
    return invalid_argument("x " + shape_to_string(d.x.shape) + " has samples without features");
  if (kind == LabelKind::kMultiHot && d.size() > 0 && d.y.shape[1] == 0)
    return invalid_argument("multi-hot y " + shape_to_string(d.y.shape) + " has no label columns");

  const float* x = d.x.data<float>();
  const int64_t per_sample = d.sample_elements();
  for (int64_t i = 0; i < d.x.num_elements(); ++i)
    if (!std::isfinite(x[i]))
      return invalid_argument("x sample " + std::to_string(i / per_sample) + " element " +
                              std::to_string(i % per_sample) + " is " + describe_value(x[i]));

  if (kind == LabelKind::kClassIndex) {
    const int32_t* y = d.y.data<int32_t>();
    const int64_t classes = static_cast<int64_t>(d.label_names.size());
    for (int64_t i = 0; i < d.y.num_elements(); ++i) {
      if (y[i] < 0) return invalid_argument("label " + std::to_string(i) + " is " + std::to_string(y[i]) +
                                            "; class indices must be >= 0");
      if (classes > 0 && y[i] >= classes)
        return invalid_argument("label " + std::to_string(i) + " is " + std::to_string(y[i]) + " but there are only " +
                                std::to_string(classes) + " label names");
    }
  } else {
    const uint8_t* y = d.y.data<uint8_t>();
    const int64_t labels = d.y.shape[1];
    for (int64_t i = 0; i < d.y.num_elements(); ++i)
      if (y[i] > 1)
        return invalid_argument("multi-hot row " + std::to_string(i / labels) + " label " + std::to_string(i % labels) +
                                " is " + std::to_string(y[i]) + ", not 0 or 1");
    if (!d.label_names.empty() && static_cast<int64_t>(d.label_names.size()) != labels)
      return invalid_argument(std::to_string(d.label_names.size()) + " label names for " + std::to_string(labels) +
                              " multi-hot label columns");
  }

  if (d.normalization) {
    const auto& n = *d.normalization;
    const int64_t channels = channel_count(d.x);
    if (static_cast<int64_t>(n.mean.size()) != channels || static_cast<int64_t>(n.std.size()) != channels)
      return invalid_argument("normalization has " + std::to_string(n.mean.size()) + " means and " +
                              std::to_string(n.std.size()) + " stds but x has " + std::to_string(channels) +
                              " channels");
    for (size_t c = 0; c < n.mean.size(); ++c) {
      if (!std::isfinite(n.mean[c]))
        return invalid_argument("normalization mean of channel " + std::to_string(c) + " is " +
                                describe_value(n.mean[c]));
      if (!std::isfinite(n.std[c]) || !(n.std[c] > 0))
        return invalid_argument("normalization std of channel " + std::to_string(c) + " is " +
                                describe_value(n.std[c]) + "; it must be finite and positive");
    }
  }
  return Status::Ok();
}

Status check_input_shape(const Dataset& dataset, const Shape& model_input) {
  if (model_input.empty()) return invalid_argument("the model input has rank 0; expected a batch dimension");
  const Shape expected(model_input.begin() + 1, model_input.end());
  const Shape actual = dataset.sample_shape();
  if (actual != expected)
    return invalid_argument("dataset samples have shape " + shape_to_string(actual) + " (x " +
                            shape_to_string(dataset.x.shape) + ") but the model input " +
                            shape_to_string(model_input) + " expects samples of shape " + shape_to_string(expected));
  return Status::Ok();
}

Status reshape_samples(Dataset* dataset, const Shape& sample_shape) {
  QL_ASSIGN_OR_RETURN(int64_t count, checked_num_elements(sample_shape));
  if (count != dataset->sample_elements())
    return invalid_argument("cannot reshape samples of shape " + shape_to_string(dataset->sample_shape()) + " (" +
                            std::to_string(dataset->sample_elements()) + " elements) to " +
                            shape_to_string(sample_shape) + " (" + std::to_string(count) + " elements)");
  const int64_t old_channels = channel_count(dataset->x);
  Shape shape = {static_cast<int32_t>(dataset->size())};
  shape.insert(shape.end(), sample_shape.begin(), sample_shape.end());
  dataset->x.shape = shape;
  if (channel_count(dataset->x) != old_channels) dataset->normalization.reset();
  return Status::Ok();
}

Dataset select_samples(const Dataset& dataset, const std::vector<int64_t>& indices) {
  Dataset out;
  out.label_names = dataset.label_names;
  out.normalization = dataset.normalization;
  auto gather = [&indices](const Array& src) {
    Shape shape = src.shape;
    shape[0] = static_cast<int32_t>(indices.size());
    Array dst = Array::zeros(src.dtype, shape);
    const size_t row = src.shape[0] == 0 ? 0 : src.bytes.size() / static_cast<size_t>(src.shape[0]);
    for (size_t i = 0; i < indices.size(); ++i)
      std::memcpy(dst.bytes.data() + i * row, src.bytes.data() + static_cast<size_t>(indices[i]) * row, row);
    return dst;
  };
  out.x = gather(dataset.x);
  out.y = gather(dataset.y);
  return out;
}

Result<NormalizationStats> compute_normalization(const Dataset& dataset) {
  if (dataset.size() == 0 || dataset.x.num_elements() == 0)
    return invalid_argument("cannot compute normalization statistics of an empty dataset");
  const int64_t channels = channel_count(dataset.x);
  const float* x = dataset.x.data<float>();
  if (!x) return invalid_argument(std::string("x must be FLOAT32, found ") + dtype_name(dataset.x.dtype));
  const int64_t total = dataset.x.num_elements();
  const double per_channel = static_cast<double>(total / channels);
  std::vector<double> sum(static_cast<size_t>(channels), 0.0);
  for (int64_t i = 0; i < total; ++i) sum[static_cast<size_t>(i % channels)] += x[i];
  std::vector<double> mean(sum.size());
  for (size_t c = 0; c < sum.size(); ++c) mean[c] = sum[c] / per_channel;
  // Second pass over deviations: avoids the cancellation of E[x^2] - E[x]^2.
  std::vector<double> squares(sum.size(), 0.0);
  for (int64_t i = 0; i < total; ++i) {
    const size_t c = static_cast<size_t>(i % channels);
    const double dev = x[i] - mean[c];
    squares[c] += dev * dev;
  }
  NormalizationStats stats;
  for (size_t c = 0; c < sum.size(); ++c) {
    const double sd = std::sqrt(squares[c] / per_channel);
    stats.mean.push_back(static_cast<float>(mean[c]));
    stats.std.push_back(sd > 0 && static_cast<float>(sd) > 0 ? static_cast<float>(sd) : 1.0f);
  }
  return stats;
}

Status apply_normalization(Dataset* dataset, const NormalizationStats& stats) {
  const int64_t channels = channel_count(dataset->x);
  if (static_cast<int64_t>(stats.mean.size()) != channels || static_cast<int64_t>(stats.std.size()) != channels)
    return invalid_argument("normalization has " + std::to_string(stats.mean.size()) + " means and " +
                            std::to_string(stats.std.size()) + " stds but x has " + std::to_string(channels) +
                            " channels");
  for (size_t c = 0; c < stats.std.size(); ++c)
    if (!std::isfinite(stats.std[c]) || !(stats.std[c] > 0))
      return invalid_argument("normalization std of channel " + std::to_string(c) + " is " +
                              describe_value(stats.std[c]) + "; it must be finite and positive");
  float* x = dataset->x.data<float>();
  if (!x) return invalid_argument(std::string("x must be FLOAT32, found ") + dtype_name(dataset->x.dtype));
  for (int64_t i = 0; i < dataset->x.num_elements(); ++i) {
    const size_t c = static_cast<size_t>(i % channels);
    x[i] = (x[i] - stats.mean[c]) / stats.std[c];
  }
  dataset->normalization = stats;
  return Status::Ok();
}

Result<Dataset> read_dataset_npz(const std::string& path) {
  QL_ASSIGN_OR_RETURN(auto members, read_npz_members(path));
  const NpzMember* x = nullptr;
  const NpzMember* y = nullptr;
  const NpzMember* names = nullptr;
  const NpzMember* mean = nullptr;
  const NpzMember* std_dev = nullptr;
  for (const auto& m : members) {
    if (m.key == "x") x = &m;
    else if (m.key == "y") y = &m;
    else if (m.key == "label_names") names = &m;
    else if (m.key == "norm_mean") mean = &m;
    else if (m.key == "norm_std") std_dev = &m;
  }
  if (!x || !y) return invalid_argument(path + ": a dataset archive needs members 'x' and 'y'" +
                                        (x ? "; 'y' is missing" : "; 'x' is missing"));
  auto member_name = [&path](const NpzMember& m) { return path + ": member '" + m.key + "'"; };
  QL_ASSIGN_OR_RETURN(Array x_array, parse_npy(x->npy_bytes.data(), x->npy_bytes.size(), member_name(*x)));
  QL_ASSIGN_OR_RETURN(Array y_array, parse_npy(y->npy_bytes.data(), y->npy_bytes.size(), member_name(*y)));
  QL_ASSIGN_OR_RETURN(Dataset d, assemble_dataset(x_array, y_array, path));
  if (names) {
    QL_ASSIGN_OR_RETURN(d.label_names,
                        parse_npy_strings(names->npy_bytes.data(), names->npy_bytes.size(), member_name(*names)));
  }
  if (mean || std_dev) {
    if (!mean || !std_dev)
      return invalid_argument(path + ": 'norm_mean' and 'norm_std' must be given together");
    QL_ASSIGN_OR_RETURN(Array mean_array,
                        parse_npy(mean->npy_bytes.data(), mean->npy_bytes.size(), member_name(*mean)));
    QL_ASSIGN_OR_RETURN(Array std_array,
                        parse_npy(std_dev->npy_bytes.data(), std_dev->npy_bytes.size(), member_name(*std_dev)));
    NormalizationStats stats;
    QL_ASSIGN_OR_RETURN(stats.mean, float_vector(mean_array, member_name(*mean)));
    QL_ASSIGN_OR_RETURN(stats.std, float_vector(std_array, member_name(*std_dev)));
    d.normalization = std::move(stats);
  }
  QL_RETURN_IF_ERROR(validate_dataset(d).with_context(path));
  return d;
}

Result<Dataset> read_dataset_npy_pair(const std::string& x_path, const std::string& y_path) {
  QL_ASSIGN_OR_RETURN(Array x, read_npy(x_path));
  QL_ASSIGN_OR_RETURN(Array y, read_npy(y_path));
  const std::string where = x_path + " + " + y_path;
  QL_ASSIGN_OR_RETURN(Dataset d, assemble_dataset(x, y, where));
  QL_RETURN_IF_ERROR(validate_dataset(d).with_context(where));
  return d;
}

Result<Dataset> read_dataset_csv(const std::string& path, const CsvOptions& options) {
  QL_ASSIGN_OR_RETURN(std::string text, read_text_file(path));
  if (text.size() >= 3 && static_cast<uint8_t>(text[0]) == 0xef && static_cast<uint8_t>(text[1]) == 0xbb &&
      static_cast<uint8_t>(text[2]) == 0xbf)
    text.erase(0, 3);  // a UTF-8 byte-order mark, as spreadsheet exports write
  QL_ASSIGN_OR_RETURN(auto records, parse_csv_records(text, options.delimiter, path));
  if (records.empty()) return invalid_argument(path + ": empty file; expected a header row");
  std::vector<std::string> header = records[0].fields;
  for (auto& h : header) h = trim(h);
  const int columns = static_cast<int>(header.size());

  std::vector<int> label_cols;
  if (!options.label_columns.empty()) {
    for (const auto& name : options.label_columns) {
      const auto it = std::find(header.begin(), header.end(), name);
      if (it == header.end()) return not_found(path + ": no column named '" + name + "' in the header");
      const int col = static_cast<int>(it - header.begin());
      if (std::find(label_cols.begin(), label_cols.end(), col) != label_cols.end())
        return invalid_argument(path + ": label column '" + name + "' is listed twice");
      label_cols.push_back(col);
    }
  } else {
    if (options.label_column_count < 1)
      return invalid_argument(path + ": label column count must be >= 1, got " +
                              std::to_string(options.label_column_count));
    if (options.label_column_count >= columns)
      return invalid_argument(path + ": " + std::to_string(options.label_column_count) +
                              " label columns leave no feature column among " + std::to_string(columns));
    for (int c = columns - options.label_column_count; c < columns; ++c) label_cols.push_back(c);
  }
  std::vector<int> feature_cols;
  for (int c = 0; c < columns; ++c)
    if (std::find(label_cols.begin(), label_cols.end(), c) == label_cols.end()) feature_cols.push_back(c);
  if (feature_cols.empty()) return invalid_argument(path + ": every column is a label; no features remain");

  const int64_t rows = static_cast<int64_t>(records.size()) - 1;
  if (rows > std::numeric_limits<int32_t>::max()) return resource_exhausted(path + ": too many rows");
  Dataset d;
  d.x = Array::zeros(DType::kFloat32, {static_cast<int32_t>(rows), static_cast<int32_t>(feature_cols.size())});
  float* x = d.x.data<float>();
  auto where = [&](const CsvRecord& r, int col) {
    return path + ": line " + std::to_string(r.line) + ", column '" + header[static_cast<size_t>(col)] + "'";
  };
  for (int64_t r = 0; r < rows; ++r) {
    const CsvRecord& rec = records[static_cast<size_t>(r + 1)];
    if (static_cast<int>(rec.fields.size()) != columns)
      return invalid_argument(path + ": line " + std::to_string(rec.line) + " has " +
                              std::to_string(rec.fields.size()) + " fields but the header has " +
                              std::to_string(columns));
    for (size_t f = 0; f < feature_cols.size(); ++f) {
      double v;
      const std::string& field = rec.fields[static_cast<size_t>(feature_cols[f])];
      if (!parse_double(field, &v))
        return invalid_argument(where(rec, feature_cols[f]) + ": '" + field + "' is not a number");
      x[r * static_cast<int64_t>(feature_cols.size()) + static_cast<int64_t>(f)] = static_cast<float>(v);
    }
  }

  if (label_cols.size() == 1) {
    const int col = label_cols[0];
    d.y = Array::zeros(DType::kInt32, {static_cast<int32_t>(rows)});
    int32_t* y = d.y.data<int32_t>();
    bool all_integers = true;
    for (int64_t r = 0; r < rows && all_integers; ++r) {
      int64_t v;
      const CsvRecord& rec = records[static_cast<size_t>(r + 1)];
      all_integers = parse_int64(rec.fields[static_cast<size_t>(col)], &v);
      if (all_integers && (v < std::numeric_limits<int32_t>::min() || v > std::numeric_limits<int32_t>::max()))
        return invalid_argument(where(rec, col) + ": class index " + std::to_string(v) + " is out of range");
      if (all_integers) y[r] = static_cast<int32_t>(v);
    }
    if (!all_integers) {
      // Text labels: number the distinct names in sorted order.
      std::set<std::string> distinct;
      for (int64_t r = 0; r < rows; ++r) {
        const CsvRecord& rec = records[static_cast<size_t>(r + 1)];
        const std::string name = trim(rec.fields[static_cast<size_t>(col)]);
        if (name.empty()) return invalid_argument(where(rec, col) + ": empty label");
        distinct.insert(name);
      }
      d.label_names.assign(distinct.begin(), distinct.end());
      for (int64_t r = 0; r < rows; ++r) {
        const std::string name = trim(records[static_cast<size_t>(r + 1)].fields[static_cast<size_t>(col)]);
        y[r] = static_cast<int32_t>(std::lower_bound(d.label_names.begin(), d.label_names.end(), name) -
                                    d.label_names.begin());
      }
    }
  } else {
    const int32_t labels = static_cast<int32_t>(label_cols.size());
    d.y = Array::zeros(DType::kUInt8, {static_cast<int32_t>(rows), labels});
    uint8_t* y = d.y.data<uint8_t>();
    for (int64_t r = 0; r < rows; ++r) {
      const CsvRecord& rec = records[static_cast<size_t>(r + 1)];
      for (int32_t l = 0; l < labels; ++l) {
        const std::string& field = rec.fields[static_cast<size_t>(label_cols[static_cast<size_t>(l)])];
        double v;
        if (!parse_double(field, &v) || (v != 0.0 && v != 1.0))
          return invalid_argument(where(rec, label_cols[static_cast<size_t>(l)]) + ": multi-hot label '" + field +
                                  "' must be 0 or 1");
        y[r * labels + l] = static_cast<uint8_t>(v);
      }
    }
    for (int c : label_cols) d.label_names.push_back(header[static_cast<size_t>(c)]);
  }
  QL_RETURN_IF_ERROR(validate_dataset(d).with_context(path));
  return d;
}

Result<Dataset> read_dataset(const std::string& path) {
  auto ends_with = [&path](const char* suffix) {
    const size_t n = std::strlen(suffix);
    if (path.size() < n) return false;
    for (size_t i = 0; i < n; ++i)
      if (std::tolower(static_cast<unsigned char>(path[path.size() - n + i])) != suffix[i]) return false;
    return true;
  };
  if (ends_with(".npz")) return read_dataset_npz(path);
  if (ends_with(".csv")) return read_dataset_csv(path);
  return unsupported(path + ": unknown dataset format; expected a .npz or .csv file (or a pair of .npy files)");
}

Status write_dataset_npz(const std::string& path, const Dataset& dataset, NpzCompression compression) {
  QL_RETURN_IF_ERROR(validate_dataset(dataset).with_context(path));
  std::vector<NpzMember> members;
  members.push_back({"x", serialize_npy(dataset.x)});
  members.push_back({"y", serialize_npy(dataset.y)});
  if (!dataset.label_names.empty()) {
    auto names = serialize_npy_strings(dataset.label_names);
    if (!names.ok()) return names.status().with_context(path + ": label_names");
    members.push_back({"label_names", std::move(*names)});
  }
  if (dataset.normalization) {
    const auto& n = *dataset.normalization;
    const Shape shape = {static_cast<int32_t>(n.mean.size())};
    members.push_back({"norm_mean", serialize_npy(Array::from_vector<float>(shape, n.mean))});
    members.push_back({"norm_std", serialize_npy(Array::from_vector<float>(shape, n.std))});
  }
  return write_npz_members(path, members, compression);
}

Result<DatasetSplits> split_dataset(const Dataset& dataset, const SplitOptions& options) {
  const double fractions[] = {options.train_fraction, options.val_fraction, options.test_fraction};
  const char* names[] = {"train", "val", "test"};
  for (int i = 0; i < 3; ++i)
    if (!(fractions[i] >= 0.0 && fractions[i] <= 1.0))
      return invalid_argument(std::string(names[i]) + " fraction " + describe_value(fractions[i]) +
                              " is outside [0, 1]");
  const double total = fractions[0] + fractions[1] + fractions[2];
  if (std::fabs(total - 1.0) > 1e-9)
    return invalid_argument("split fractions sum to " + describe_value(total) + ", not 1");
  QL_RETURN_IF_ERROR(validate_dataset(dataset));

  // Groups split independently: one per class when stratified, else all.
  std::vector<std::vector<int64_t>> groups;
  if (options.stratified && dataset.label_kind() == LabelKind::kClassIndex) {
    std::map<int32_t, std::vector<int64_t>> by_class;
    const int32_t* y = dataset.y.data<int32_t>();
    for (int64_t i = 0; i < dataset.size(); ++i) by_class[y[i]].push_back(i);
    for (auto& [label, members] : by_class) groups.push_back(std::move(members));
  } else {
    std::vector<int64_t> all(static_cast<size_t>(dataset.size()));
    for (size_t i = 0; i < all.size(); ++i) all[i] = static_cast<int64_t>(i);
    groups.push_back(std::move(all));
  }

  std::mt19937_64 rng(options.seed);
  std::vector<int64_t> train, val, test;
  for (auto& group : groups) {
    fisher_yates_shuffle(&group, rng);
    const int64_t n = static_cast<int64_t>(group.size());
    const int64_t n_val = std::min<int64_t>(n, std::llround(options.val_fraction * static_cast<double>(n)));
    const int64_t n_test = std::min<int64_t>(n - n_val, std::llround(options.test_fraction * static_cast<double>(n)));
    val.insert(val.end(), group.begin(), group.begin() + n_val);
    test.insert(test.end(), group.begin() + n_val, group.begin() + n_val + n_test);
    train.insert(train.end(), group.begin() + n_val + n_test, group.end());
  }
  fisher_yates_shuffle(&train, rng);
  fisher_yates_shuffle(&val, rng);
  fisher_yates_shuffle(&test, rng);
  DatasetSplits splits;
  splits.train = select_samples(dataset, train);
  splits.val = select_samples(dataset, val);
  splits.test = select_samples(dataset, test);
  return splits;
}

}  // namespace quantlab
