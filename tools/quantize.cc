// `quantlab quantize`: convert a float model five ways (float, drq, fiq-f32,
// fiq-int8, fiq-uint8), calibrating first when a full-integer scheme needs it.
#include <cstdio>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "quantlab/core/file_io.h"
#include "quantlab/data/npy.h"
#include "quantlab/quant/calibration.h"
#include "quantlab/quant/model_checks.h"
#include "quantlab/quant/schemes.h"
#include "quantlab/quant/summary.h"
#include "quantlab/runtime/interpreter.h"
#include "quantlab/tflite/reader.h"
#include "quantlab/tflite/writer.h"
#include "subcommands.h"

namespace quantlab::cli {
namespace {

struct QuantizeArgs {
  std::string model;
  std::vector<std::string> calib;
  std::vector<std::string> schemes;
  std::string out_dir;
  std::string method = "minmax";
  int64_t samples = 500;
  std::string save_ranges, load_ranges;
  int64_t drq_min_elements = 1024;
  bool fc_per_channel = false;
  bool drq_symmetric_inputs = false;
  std::vector<std::string> deny_ops, deny_nodes;
  int threads = 0;
};

Result<std::vector<Scheme>> parse_schemes(const std::vector<std::string>& names) {
  if (names.empty()) return all_schemes();
  std::vector<Scheme> schemes;
  for (const std::string& name : names) {
    std::optional<Scheme> s = scheme_from_name(name);
    if (!s)
      return invalid_argument("unknown scheme '" + name + "' (expected float, drq, fiq-f32, fiq-int8 or fiq-uint8)");
    schemes.push_back(*s);
  }
  return schemes;
}

Result<ConversionOptions> conversion_options(const QuantizeArgs& a) {
  ConversionOptions options;
  SelectiveOptions selective;
  for (const std::string& name : a.deny_ops) {
    std::optional<OpKind> kind = op_kind_from_name(name);
    if (!kind) return invalid_argument("--deny-op " + name + ": not an op kind quantlab knows");
    selective.deny_ops.push_back(*kind);
  }
  selective.deny_nodes = a.deny_nodes;
  options.full_integer.fc_per_channel = a.fc_per_channel;
  options.full_integer.selective = selective;
  options.dynamic_range.min_elements = a.drq_min_elements;
  options.dynamic_range.fc_per_channel = a.fc_per_channel;
  options.dynamic_range.asymmetric_inputs = !a.drq_symmetric_inputs;
  options.dynamic_range.selective = selective;
  return options;
}

// Ranges from a saved table or by calibrating on the data files.
Result<CalibrationTable> obtain_ranges(const QuantizeArgs& a, const Graph& graph, QuantizeRunInfo& info) {
  if (!a.load_ranges.empty()) {
    info.calibration_source = "loaded";
    info.calibration_detail = a.load_ranges;
    return load_calibration_table(a.load_ranges);
  }
  if (a.calib.empty())
    return invalid_argument(
        "full-integer schemes need calibration data (--calib X.npy) or a range table (--load-ranges)");
  info.calibration_source = "data";
  std::vector<Array> data;
  for (const std::string& path : a.calib) {
    QL_ASSIGN_OR_RETURN(Array array, read_npy(path));
    data.push_back(std::move(array));
    info.calibration_detail += (info.calibration_detail.empty() ? "" : ", ") + path;
  }
  CalibrationOptions options;
  QL_ASSIGN_OR_RETURN(options.method, parse_calibration_method(a.method));
  options.max_samples = a.samples;
  options.interpreter.threads = a.threads;
  auto table = calibrate(graph, data, options);
  if (!table.ok()) return table.status().with_context("calibrating on " + info.calibration_detail);
  return table;
}

// Converts, checks that the interpreter prepares the result, and writes it.
SchemeOutcome run_scheme(const Graph& graph, Scheme scheme, const CalibrationTable* ranges, const Status& ranges_status,
                         const ConversionOptions& options, const std::string& path) {
  SchemeOutcome outcome;
  outcome.scheme = scheme;
  if (scheme_needs_ranges(scheme) && !ranges) {
    outcome.status = ranges_status;
    return outcome;
  }
  auto converted = convert_model(graph, scheme, ranges, options);
  if (!converted.ok()) {
    outcome.status = converted.status();
    return outcome;
  }
  auto loads = Interpreter::create(converted->graph, InterpreterOptions{{}, 1, int64_t{1} << 31});
  if (!loads.ok()) {
    outcome.status = loads.status().with_context("the converted model does not load");
    return outcome;
  }
  outcome.status = write_tflite_file(converted->graph, path);
  if (!outcome.status.ok()) return outcome;
  std::error_code ec;
  outcome.path = path;
  outcome.file_bytes = static_cast<int64_t>(std::filesystem::file_size(path, ec));
  outcome.decisions = std::move(converted->decisions);
  return outcome;
}

Status quantize(const QuantizeArgs& a) {
  namespace fs = std::filesystem;
  if (!a.load_ranges.empty() && !a.calib.empty())
    return invalid_argument("give either calibration data (--calib) or a range table (--load-ranges), not both");
  QL_ASSIGN_OR_RETURN(std::vector<Scheme> schemes, parse_schemes(a.schemes));
  QL_ASSIGN_OR_RETURN(ConversionOptions options, conversion_options(a));
  QL_ASSIGN_OR_RETURN(Graph graph, read_tflite_file(a.model));
  // Every scheme needs a float model with a rule for each op: say so once.
  QL_RETURN_IF_ERROR(check_quantizable_float_model(graph).with_context(a.model));
  QuantizeRunInfo info;
  info.model_path = a.model;
  std::error_code ec;
  info.model_bytes = static_cast<int64_t>(fs::file_size(a.model, ec));
  info.options = options;
  info.calibration_source = "none";

  bool need_ranges = !a.save_ranges.empty();
  for (Scheme s : schemes) need_ranges |= scheme_needs_ranges(s);
  std::optional<CalibrationTable> ranges;
  Status ranges_status;
  if (need_ranges) {
    auto obtained = obtain_ranges(a, graph, info);
    if (obtained.ok()) {
      ranges = std::move(obtained).value();
      info.calibration_method = ranges->method;
      info.calibration_samples = ranges->samples;
      std::printf("ranges    %zu tensors, %s over %lld samples (%s)\n", ranges->ranges.size(), ranges->method.c_str(),
                  static_cast<long long>(ranges->samples), info.calibration_detail.c_str());
      if (!a.save_ranges.empty()) QL_RETURN_IF_ERROR(save_calibration_table(a.save_ranges, *ranges));
    } else {
      ranges_status = obtained.status();
      if (!a.save_ranges.empty()) fail("quantize", ranges_status.with_context("--save-ranges"));
    }
  }

  const std::string stem = fs::path(a.model).stem().string();
  std::vector<SchemeOutcome> outcomes;
  for (Scheme s : schemes) {
    const std::string path = (fs::path(a.out_dir) / (stem + "." + scheme_name(s) + ".tflite")).string();
    outcomes.push_back(run_scheme(graph, s, ranges ? &*ranges : nullptr, ranges_status, options, path));
    std::printf("%s\n", scheme_summary_line(outcomes.back()).c_str());
    std::fflush(stdout);
  }
  const std::string summary = (fs::path(a.out_dir) / (stem + ".quantize.json")).string();
  QL_RETURN_IF_ERROR(write_file_atomic(summary, quantize_summary_json(info, outcomes)));
  std::printf("summary   %s\n", summary.c_str());
  for (const SchemeOutcome& o : outcomes)
    if (!o.status.ok()) fail("quantize", o.status.with_context(scheme_name(o.scheme)));
  return Status::Ok();
}

}  // namespace

void register_quantize(CLI::App& app) {
  auto args = std::make_shared<QuantizeArgs>();
  auto* cmd = app.add_subcommand("quantize", "Convert a float .tflite model: float, drq, fiq-f32, fiq-int8, fiq-uint8");
  cmd->footer(
      "Writes DIR/<model>.<scheme>.tflite for each scheme and DIR/<model>.quantize.json, which lists\n"
      "every tensor each scheme quantized or left float, and why. Schemes:\n"
      "  float      the float model re-written (zero biases added where a conv/dense op had none)\n"
      "  drq        dynamic range: int8 weights (conv per channel, dense per tensor) for weights of\n"
      "             at least --drq-min-elements elements; biases and activations stay float\n"
      "  fiq-f32    full integer int8 inside, float32 inputs/outputs (QUANTIZE/DEQUANTIZE at the edges)\n"
      "  fiq-int8   the same graph with int8 inputs/outputs\n"
      "  fiq-uint8  the same graph with uint8 inputs/outputs (zero point + 128)\n"
      "The fiq schemes need ranges: --calib runs the float model on up to --calib-samples samples\n"
      "(one .npy per model input, leading dimension = samples) and records each tensor's range with\n"
      "--calib-method: minmax, percentile:P (e.g. percentile:99.99), mse or kl. --save-ranges writes\n"
      "the range table as JSON; --load-ranges reuses one instead of calibrating.\n"
      "A scheme that fails writes nothing; the others still complete.\n\n"
      "Examples:\n"
      "  quantlab quantize model.tflite --calib x.npy -o out/\n"
      "  quantlab quantize model.tflite --calib x.npy --calib-method percentile:99.9 --save-ranges r.json -o out/\n"
      "  quantlab quantize model.tflite --load-ranges r.json --scheme fiq-int8 --deny-op MEAN -o out/");
  cmd->add_option("model", args->model, "The float .tflite model")->required();
  cmd->add_option("--calib", args->calib, "Calibration data, one .npy per model input, in order");
  cmd->add_option("--scheme", args->schemes, "Schemes to write (default: all five)");
  cmd->add_option("-o,--output-dir", args->out_dir, "Directory for the converted models and the summary")->required();
  cmd->add_option("--calib-method", args->method, "minmax (default), percentile:P, mse or kl");
  cmd->add_option("--calib-samples", args->samples, "Use at most this many calibration samples")
      ->check(positive_number());
  cmd->add_option("--save-ranges", args->save_ranges, "Write the calibrated range table (JSON)");
  cmd->add_option("--load-ranges", args->load_ranges, "Use a saved range table instead of calibrating");
  cmd->add_option("--drq-min-elements", args->drq_min_elements,
                  "drq: weights with fewer elements stay float (default 1024, as TFLite)")
      ->check(non_negative_number());
  cmd->add_flag("--fc-per-channel", args->fc_per_channel,
                "Quantize FULLY_CONNECTED weights per output channel (default: per tensor)");
  cmd->add_flag("--drq-symmetric-inputs", args->drq_symmetric_inputs,
                "drq: hybrid dense/batch-matmul ops quantize inputs symmetrically (default: asymmetric)");
  cmd->add_option("--deny-op", args->deny_ops, "Keep every op of this kind float (e.g. MEAN); repeatable");
  cmd->add_option("--deny-node", args->deny_nodes, "Keep the op writing this tensor float; repeatable");
  cmd->add_option("--threads", args->threads, "Calibration threads (default: all cores)");
  cmd->callback([args] {
    Status s = quantize(*args);
    if (!s.ok()) fail("quantize", s);
  });
}

}  // namespace quantlab::cli
