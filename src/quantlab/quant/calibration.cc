#include "quantlab/quant/calibration.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <nlohmann/json.hpp>
#include <optional>
#include <unordered_map>

#include "quantlab/core/file_io.h"
#include "quantlab/runtime/model_io.h"

namespace quantlab {
namespace {

// Sees every float32 tensor of every sample: first pass the extremes, second
// pass (histogram methods only) the distribution inside them.
class StatisticsObserver : public Observer {
 public:
  explicit StatisticsObserver(size_t num_tensors) : observed_(num_tensors) {}

  void start_histograms(int bins) {
    histograms_.resize(observed_.size());
    for (size_t t = 0; t < observed_.size(); ++t)
      if (observed_[t]) histograms_[t].emplace(observed_[t]->min, observed_[t]->max, bins);
  }

  void on_inputs(int64_t, const std::vector<TensorView>& inputs) override { record(inputs); }
  void on_op_output(int64_t, int32_t, const std::vector<TensorView>& outputs) override { record(outputs); }

  const std::optional<RealRange>& observed(size_t t) const { return observed_[t]; }
  const Histogram& histogram(size_t t) const { return *histograms_[t]; }

 private:
  void record(const std::vector<TensorView>& views) {
    for (const TensorView& v : views) {
      if (v.info->dtype != DType::kFloat32) continue;
      const float* values = static_cast<const float*>(v.data);
      const int64_t count = v.info->num_elements();
      if (!histograms_.empty()) {
        histograms_[v.tensor]->add(values, count);
        continue;
      }
      std::optional<RealRange>& r = observed_[v.tensor];
      if (!r) r = RealRange{std::numeric_limits<float>::infinity(), -std::numeric_limits<float>::infinity()};
      for (int64_t i = 0; i < count; ++i) {
        if (!std::isfinite(values[i])) continue;
        r->min = std::min(r->min, values[i]);
        r->max = std::max(r->max, values[i]);
      }
    }
  }

  std::vector<std::optional<RealRange>> observed_;
  std::vector<std::optional<Histogram>> histograms_;
};

// Calibration data converted to float32, with its sample count checked.
struct PreparedInputs {
  std::vector<Array> arrays;
  int64_t samples = 0;
  std::vector<int64_t> sample_bytes;  // bytes of one sample of each input
};

Result<PreparedInputs> prepare_inputs(const Interpreter& interpreter, const std::vector<Array>& inputs,
                                      int64_t max_samples) {
  const Graph& g = interpreter.graph();
  if (inputs.size() != g.inputs.size())
    return invalid_argument("calibration data: the model has " + std::to_string(g.inputs.size()) + " inputs but " +
                            std::to_string(inputs.size()) + " arrays were given");
  PreparedInputs prepared;
  for (size_t i = 0; i < inputs.size(); ++i) {
    const TensorInfo& info = interpreter.input_info(i);
    const std::string what =
        "calibration data for model input " + std::to_string(i) + " (" + describe_tensor(g, g.inputs[i]) + ")";
    if (info.dtype != DType::kFloat32)
      return invalid_argument(what + ": the model input is " + dtype_name(info.dtype) +
                              "; calibration needs a float model");
    QL_ASSIGN_OR_RETURN(Array converted, convert_to_input(inputs[i], info, false, what));
    QL_ASSIGN_OR_RETURN(
        int64_t n, interpreter.batch_size_of(i, BatchView{converted.dtype, converted.shape, converted.bytes.data()}));
    if (i > 0 && n != prepared.samples)
      return invalid_argument(what + ": " + std::to_string(n) + " samples, but input 0 has " +
                              std::to_string(prepared.samples));
    prepared.samples = n;
    prepared.sample_bytes.push_back(info.bytes());
    prepared.arrays.push_back(std::move(converted));
  }
  if (prepared.samples <= 0) return invalid_argument("calibration data holds no samples");
  prepared.samples = std::min(prepared.samples, max_samples);
  for (size_t i = 0; i < prepared.arrays.size(); ++i) {
    const float* values = prepared.arrays[i].data<float>();
    const int64_t per_sample = prepared.sample_bytes[i] / static_cast<int64_t>(sizeof(float));
    for (int64_t e = 0; e < prepared.samples * per_sample; ++e)
      if (!std::isfinite(values[e]))
        return invalid_argument("calibration data for model input " + std::to_string(i) + " (" +
                                describe_tensor(g, g.inputs[i]) + "): element " + std::to_string(e) + " (sample " +
                                std::to_string(e / per_sample) + ") is " +
                                (std::isnan(values[e]) ? "NaN" : "infinite"));
  }
  return prepared;
}

// Runs every used sample through the interpreter, in chunks, with `observer`.
Status run_all(Interpreter& interpreter, const PreparedInputs& data, int64_t per_invoke, Observer& observer) {
  for (int64_t begin = 0; begin < data.samples; begin += per_invoke) {
    const int64_t count = std::min(per_invoke, data.samples - begin);
    std::vector<BatchView> views;
    for (size_t i = 0; i < data.arrays.size(); ++i) {
      const Array& a = data.arrays[i];
      // A sample is one execution: the model input's own leading dimension
      // (1 for a scalar input) times one.
      const Shape& model_shape = interpreter.input_info(i).shape;
      Shape shape = a.shape;
      shape[0] = static_cast<int32_t>(count * (model_shape.empty() ? 1 : model_shape[0]));
      views.push_back(BatchView{a.dtype, shape, a.bytes.data() + begin * data.sample_bytes[i]});
    }
    auto outputs = interpreter.run(views, &observer);
    if (!outputs.ok()) return outputs.status().with_context("calibration");
  }
  return Status::Ok();
}

}  // namespace

std::vector<std::string> calibration_keys(const Graph& g) {
  std::unordered_map<std::string, int> uses;
  for (const Tensor& t : g.tensors) ++uses[t.name];
  std::vector<std::string> keys;
  keys.reserve(g.tensors.size());
  for (size_t t = 0; t < g.tensors.size(); ++t) {
    const std::string& name = g.tensors[t].name;
    keys.push_back(!name.empty() && uses[name] == 1 ? name : "#" + std::to_string(t));
  }
  return keys;
}

Result<CalibrationTable> calibrate(const Graph& float_graph, const std::vector<Array>& inputs,
                                   const CalibrationOptions& options) {
  if (options.max_samples <= 0) return invalid_argument("calibration: the sample limit must be positive");
  QL_ASSIGN_OR_RETURN(auto interpreter, Interpreter::create(float_graph, options.interpreter));
  QL_ASSIGN_OR_RETURN(PreparedInputs data, prepare_inputs(*interpreter, inputs, options.max_samples));
  const int64_t per_invoke = std::max<int64_t>(1, options.samples_per_invoke);

  StatisticsObserver observer(float_graph.tensors.size());
  QL_RETURN_IF_ERROR(run_all(*interpreter, data, per_invoke, observer));
  const CalibrationMethod method = options.method.method;
  if (needs_histogram(method)) {
    observer.start_histograms(options.histogram_bins);
    QL_RETURN_IF_ERROR(run_all(*interpreter, data, per_invoke, observer));
  }

  CalibrationTable table;
  table.method = calibration_method_name(options.method);
  table.samples = data.samples;
  const std::vector<std::string> keys = calibration_keys(float_graph);
  for (size_t t = 0; t < float_graph.tensors.size(); ++t) {
    const std::optional<RealRange>& observed_or = observer.observed(t);
    if (!observed_or) continue;
    RealRange observed = *observed_or;
    if (observed.min > observed.max) observed = RealRange{0.f, 0.f};  // only non-finite values were seen
    RealRange chosen = observed;
    switch (method) {
      case CalibrationMethod::kMinMax:
        break;
      case CalibrationMethod::kPercentile:
        chosen = percentile_range(observer.histogram(t), observed, options.method.percentile);
        break;
      case CalibrationMethod::kMse:
        chosen = mse_range(observer.histogram(t), observed);
        break;
      case CalibrationMethod::kKl:
        chosen = kl_range(observer.histogram(t), observed);
        break;
    }
    table.ranges[keys[t]] = TensorRange{chosen.min, chosen.max, observed.min, observed.max};
  }
  return table;
}

std::string calibration_table_to_json(const CalibrationTable& table) {
  nlohmann::ordered_json tensors = nlohmann::ordered_json::array();
  for (const auto& [name, r] : table.ranges) {
    nlohmann::ordered_json entry;
    entry["name"] = name;
    // float -> double is exact, and the JSON writer prints doubles so that
    // they parse back to the same double, hence to the same float.
    entry["min"] = static_cast<double>(r.min);
    entry["max"] = static_cast<double>(r.max);
    entry["observed_min"] = static_cast<double>(r.observed_min);
    entry["observed_max"] = static_cast<double>(r.observed_max);
    tensors.push_back(std::move(entry));
  }
  nlohmann::ordered_json doc;
  doc["format"] = "quantlab-calibration";
  doc["version"] = 1;
  doc["method"] = table.method;
  doc["samples"] = table.samples;
  doc["tensors"] = std::move(tensors);
  return doc.dump(1) + "\n";
}

Result<CalibrationTable> calibration_table_from_json(const std::string& text, const std::string& source) {
  const nlohmann::json doc = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (doc.is_discarded()) return invalid_argument(source + ": not valid JSON");
  if (!doc.is_object() || doc.value("format", "") != "quantlab-calibration")
    return invalid_argument(source +
                            ": not a quantlab calibration table (\"format\" must be \"quantlab-calibration\")");
  if (!doc.contains("tensors") || !doc["tensors"].is_array())
    return invalid_argument(source + ": \"tensors\" must be an array");
  CalibrationTable table;
  if (doc.contains("method") && doc["method"].is_string()) table.method = doc["method"].get<std::string>();
  if (doc.contains("samples") && doc["samples"].is_number_integer()) table.samples = doc["samples"].get<int64_t>();
  size_t index = 0;
  for (const nlohmann::json& entry : doc["tensors"]) {
    const std::string where = source + ": tensors[" + std::to_string(index++) + "]";
    if (!entry.is_object() || !entry.contains("name") || !entry["name"].is_string())
      return invalid_argument(where + " needs a string \"name\"");
    const std::string name = entry["name"].get<std::string>();
    auto number = [&](const char* field, bool required, float fallback) -> Result<float> {
      if (!entry.contains(field)) {
        if (required) return invalid_argument(where + " ('" + name + "') has no \"" + field + "\"");
        return fallback;
      }
      if (!entry[field].is_number())
        return invalid_argument(where + " ('" + name + "'): \"" + field + "\" is not a number");
      const float v = static_cast<float>(entry[field].get<double>());
      if (!std::isfinite(v)) return invalid_argument(where + " ('" + name + "'): \"" + field + "\" is not finite");
      return v;
    };
    TensorRange r;
    QL_ASSIGN_OR_RETURN(r.min, number("min", true, 0.f));
    QL_ASSIGN_OR_RETURN(r.max, number("max", true, 0.f));
    QL_ASSIGN_OR_RETURN(r.observed_min, number("observed_min", false, r.min));
    QL_ASSIGN_OR_RETURN(r.observed_max, number("observed_max", false, r.max));
    if (r.min > r.max)
      return invalid_argument(fmt::format("{} ('{}'): min {:g} exceeds max {:g}", where, name, r.min, r.max));
    if (!table.ranges.emplace(name, r).second) return invalid_argument(where + ": tensor '" + name + "' appears twice");
  }
  return table;
}

Status save_calibration_table(const std::string& path, const CalibrationTable& table) {
  return write_file_atomic(path, calibration_table_to_json(table));
}

Result<CalibrationTable> load_calibration_table(const std::string& path) {
  QL_ASSIGN_OR_RETURN(std::string text, read_text_file(path));
  return calibration_table_from_json(text, path);
}

}  // namespace quantlab
