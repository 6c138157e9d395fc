// `quantlab run`: run a .tflite model on NumPy arrays.
#include <cctype>
#include <chrono>
#include <cstring>
#include <map>
#include <memory>
#include <cstdio>
#include <filesystem>
#include <string>
#include <vector>

#include "quantlab/data/npy.h"
#include "quantlab/runtime/interpreter.h"
#include "quantlab/runtime/model_io.h"
#include "quantlab/tflite/reader.h"
#include "subcommands.h"

namespace quantlab::cli {
namespace {

struct RunArgs {
  std::string model;
  std::vector<std::string> inputs;
  std::vector<std::string> outputs;
  int64_t batch = 256;
  int threads = 0;
  bool raw = false;
  std::string rounding = "double";
  std::string kernels = "optimized";
  std::string dump_dir;
  int64_t max_arena = int64_t{1} << 31;
  bool dequantize = false;
};

// Records every tensor of every sample, for --dump.
class DumpObserver : public Observer {
 public:
  DumpObserver(const Interpreter& interp, int64_t samples) : interp_(interp), samples_(samples) {}

  void on_inputs(int64_t sample, const std::vector<TensorView>& inputs) override { store(sample, inputs); }
  void on_op_output(int64_t sample, int32_t, const std::vector<TensorView>& outputs) override { store(sample, outputs); }

  Status write(const std::string& dir, int64_t first_sample) const {
    namespace fs = std::filesystem;
    for (const auto& [t, array] : arrays_) {
      std::string name = interp_.graph().tensors[t].name;
      for (char& c : name)
        if (!std::isalnum(static_cast<unsigned char>(c)) && c != '_' && c != '-' && c != '.') c = '_';
      const std::string path = (fs::path(dir) / (std::to_string(t) + "_" + name.substr(0, 120) + ".npy")).string();
      QL_RETURN_IF_ERROR(write_npy(path, array));
    }
    (void)first_sample;
    return Status::Ok();
  }

 private:
  void store(int64_t sample, const std::vector<TensorView>& views) {
    for (const TensorView& v : views) {
      auto it = arrays_.find(v.tensor);
      if (it == arrays_.end()) {
        Shape shape = v.info->shape;
        shape.insert(shape.begin(), static_cast<int32_t>(samples_));
        it = arrays_.emplace(v.tensor, Array::zeros(v.info->dtype, shape)).first;
      }
      const size_t n = static_cast<size_t>(v.info->bytes());
      std::memcpy(it->second.bytes.data() + sample * n, v.data, n);
    }
  }

  const Interpreter& interp_;
  int64_t samples_;
  std::map<int32_t, Array> arrays_;
};

void print_preview(const Array& a, const TensorInfo& info, const std::string& label) {
  std::printf("%s: %s %s", label.c_str(), dtype_name(a.dtype), shape_to_string(a.shape).c_str());
  if (info.quant && !info.quant->scale.empty())
    std::printf(" (scale %g, zero point %d)", info.scale(), info.zero_point());
  std::printf("\n");
  const int64_t rows = a.shape.empty() ? 1 : a.shape[0];
  const int64_t per_row = rows > 0 ? a.num_elements() / rows : 0;
  for (int64_t r = 0; r < std::min<int64_t>(rows, 8); ++r) {
    std::printf("  [%lld]", static_cast<long long>(r));
    for (int64_t i = 0; i < std::min<int64_t>(per_row, 12); ++i) std::printf(" %.6g", a.value_as_double(r * per_row + i));
    if (per_row > 12) std::printf(" ...");
    std::printf("\n");
  }
  if (rows > 8) std::printf("  ... %lld more rows\n", static_cast<long long>(rows - 8));
}

Status run(const RunArgs& args) {
  QL_ASSIGN_OR_RETURN(Graph graph, read_tflite_file(args.model));
  InterpreterOptions options;
  options.threads = args.threads;
  options.max_arena_bytes = args.max_arena;
  if (args.rounding == "single") options.kernels.rounding = Rounding::kSingle;
  if (args.kernels == "reference") options.kernels.kernels = KernelSet::kReference;
  auto created = Interpreter::create(graph, options);
  if (!created.ok()) return created.status().with_context(args.model);
  Interpreter& interp = **created;
  if (args.inputs.size() != interp.num_inputs())
    return invalid_argument(args.model + " has " + std::to_string(interp.num_inputs()) + " input(s) but " +
                            std::to_string(args.inputs.size()) + " --input file(s) were given");
  if (!args.outputs.empty() && args.outputs.size() != interp.num_outputs())
    return invalid_argument(args.model + " has " + std::to_string(interp.num_outputs()) + " output(s) but " +
                            std::to_string(args.outputs.size()) + " --output file(s) were given");

  std::vector<Array> inputs;
  int64_t samples = -1;
  for (size_t i = 0; i < args.inputs.size(); ++i) {
    QL_ASSIGN_OR_RETURN(Array data, read_npy(args.inputs[i]));
    auto converted = convert_to_input(data, interp.input_info(i), args.raw, args.inputs[i]);
    if (!converted.ok()) return converted.status();
    BatchView view{converted->dtype, converted->shape, converted->bytes.data()};
    auto n = interp.batch_size_of(i, view);
    if (!n.ok()) return n.status().with_context(args.inputs[i]);
    if (samples >= 0 && *n != samples)
      return invalid_argument(args.inputs[i] + " holds " + std::to_string(*n) + " samples but the first input holds " +
                              std::to_string(samples));
    samples = *n;
    inputs.push_back(std::move(*converted));
  }

  std::vector<Array> outputs;
  for (size_t j = 0; j < interp.num_outputs(); ++j) {
    Shape shape = interp.output_info(j).shape;
    if (shape.empty()) shape = {1};
    shape[0] *= static_cast<int32_t>(samples);
    outputs.push_back(Array::zeros(interp.output_info(j).dtype, shape));
  }

  std::unique_ptr<DumpObserver> dump;
  if (!args.dump_dir.empty()) dump = std::make_unique<DumpObserver>(interp, samples);
  const auto start = std::chrono::steady_clock::now();
  const int64_t batch = std::max<int64_t>(1, args.batch);
  for (int64_t begin = 0; begin < samples; begin += batch) {
    const int64_t n = std::min(batch, samples - begin);
    std::vector<const void*> in_ptrs;
    for (size_t i = 0; i < inputs.size(); ++i)
      in_ptrs.push_back(inputs[i].bytes.data() + begin * interp.input_info(i).bytes());
    std::vector<void*> out_ptrs;
    for (size_t j = 0; j < outputs.size(); ++j)
      out_ptrs.push_back(outputs[j].bytes.data() + begin * interp.output_info(j).bytes());
    // The dump observer indexes samples within one invoke; with --dump the
    // whole input runs as one batch so indices are global.
    QL_RETURN_IF_ERROR(interp.invoke(dump ? samples : n, in_ptrs, out_ptrs, dump.get()).with_context(args.model));
    if (dump) break;
  }
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();

  for (size_t j = 0; j < outputs.size(); ++j) {
    Array result = outputs[j];
    if (args.dequantize) {
      QL_ASSIGN_OR_RETURN(result, dequantize_output(outputs[j], interp.output_info(j)));
    }
    if (!args.outputs.empty()) {
      QL_RETURN_IF_ERROR(write_npy(args.outputs[j], result));
      std::printf("output %zu -> %s %s %s\n", j, args.outputs[j].c_str(), dtype_name(result.dtype),
                  shape_to_string(result.shape).c_str());
    } else {
      print_preview(result, interp.output_info(j), "output " + std::to_string(j) + " (" +
                                                       graph.tensors[graph.outputs[j]].name + ")");
    }
  }
  if (dump) {
    QL_RETURN_IF_ERROR(dump->write(args.dump_dir, 0));
    std::printf("dumped every tensor of %lld sample(s) to %s\n", static_cast<long long>(samples), args.dump_dir.c_str());
  }
  std::printf("%lld sample(s) in %.3f s (%.0f samples/s), %d thread(s), arena %lld bytes per thread (%lld without reuse), %s rounding\n",
              static_cast<long long>(samples), seconds, seconds > 0 ? samples / seconds : 0.0, interp.threads(),
              static_cast<long long>(interp.arena_bytes()), static_cast<long long>(interp.unplanned_bytes()),
              rounding_name(options.kernels.rounding));
  return Status::Ok();
}

}  // namespace

void register_run(CLI::App& app) {
  auto args = std::make_shared<RunArgs>();
  auto* cmd = app.add_subcommand("run", "Run a .tflite model on NumPy arrays");
  cmd->footer(
      "Each --input is a .npy array whose leading dimension stacks samples: a model input of shape\n"
      "[1, 128, 3, 1] takes an array [N, 128, 3, 1]. Float arrays given to an int8/uint8 input are\n"
      "quantized with that input's scale and zero point (rounded half away from zero and saturated);\n"
      "--raw passes integer arrays through unchanged. Without --output, a preview of each output is\n"
      "printed.\n\n"
      "Examples:\n"
      "  quantlab run model.tflite --input x.npy --output y.npy\n"
      "  quantlab run model_int8.tflite --input x_float.npy --dequantize --output probs.npy\n"
      "  quantlab run model.tflite --input x.npy --dump tensors/   # every tensor of every sample");
  cmd->add_option("model", args->model, "The .tflite model")->required();
  cmd->add_option("--input,-i", args->inputs, "Input .npy file, one per model input, in order")->required();
  cmd->add_option("--output,-o", args->outputs, "Where to write each model output as .npy");
  cmd->add_option("--batch", args->batch, "Samples per invoke (memory/throughput trade-off)")->check(positive_number());
  cmd->add_option("--threads", args->threads, "Worker threads (default: all cores)");
  cmd->add_flag("--raw", args->raw, "Do not quantize: integer inputs are already in the model's quantized domain");
  cmd->add_flag("--dequantize", args->dequantize, "Write/print quantized outputs as real values");
  cmd->add_option("--rounding", args->rounding,
                  "Requantization rounding: double (TFLite reference kernels, default) or single (XNNPACK/CMSIS-NN)")
      ->check(CLI::IsMember({"double", "single"}));
  cmd->add_option("--kernels", args->kernels, "Kernel family: optimized (default) or reference")
      ->check(CLI::IsMember({"optimized", "reference"}));
  cmd->add_option("--dump", args->dump_dir, "Write every tensor of the run to DIR/<index>_<name>.npy");
  cmd->add_option("--max-arena", args->max_arena, "Refuse models needing more activation bytes per thread");
  cmd->callback([args] {
    Status s = run(*args);
    if (!s.ok()) fail("run", s);
  });
}

}  // namespace quantlab::cli
