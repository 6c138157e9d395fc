// `quantlab qat`: quantization-aware fine-tuning of a float .tflite model,
// then conversion to the five schemes with the learned ranges (no
// calibration data). Reports the QAT fiq-int8 accuracy next to post-training
// quantization's on the same evaluation set, and how often the converted
// model and the fake-quantized torch model predict the same class.
#include <cstdio>
#include <filesystem>
#include <memory>
#include <string>

#include "quantlab/data/dataset.h"
#include "quantlab/eval/evaluate.h"
#include "quantlab/quant/calibration.h"
#include "quantlab/quant/schemes.h"
#include "quantlab/tflite/reader.h"
#include "quantlab/tflite/writer.h"
#include "quantlab/train/qat.h"
#include "quantlab/train/trainable_graph.h"
#include "subcommands.h"
#include "training_args.h"

namespace quantlab::cli {
namespace {

struct QatArgs {
  TrainingArgs training{"", 5, 64, 2e-4, 1, 0, 0};
  std::string model;
  std::string output;
  double decay = 0.99;
  bool fc_per_channel = false;
  int64_t calib_samples = 500;
};

// Accuracy of a model by the evaluation harness (the interpreter).
Result<EvalResult> interpreter_eval(const Graph& g, const Dataset& data, int threads) {
  EvalOptions options;
  options.threads = threads;
  return evaluate(g, data, options);
}

// Multiclass and binary tasks report "Accuracy"; multilabel "Binary Accuracy".
double accuracy_of(const EvalResult& r) {
  return r.multilabel ? r.metric("Binary Accuracy") : r.metric("Accuracy");
}

Status run_qat(const QatArgs& args) {
  const int threads = train::configure_threads(args.training.threads);
  QL_ASSIGN_OR_RETURN(const TrainingSplits data, load_training_splits(args.training.data, args.training.seed));
  const Dataset& eval_data = data.has_test ? data.test : data.val;
  const char* eval_name = data.has_test ? "test" : "val";
  QL_ASSIGN_OR_RETURN(Graph graph, read_tflite_file(args.model));
  train::add_missing_biases(&graph);
  const Graph original = graph;

  ConversionOptions conversion;
  conversion.full_integer.fc_per_channel = args.fc_per_channel;

  // Post-training quantization of the float model, for comparison:
  // min/max ranges from the first training samples.
  CalibrationOptions calibration;
  calibration.max_samples = args.calib_samples;
  QL_ASSIGN_OR_RETURN(const CalibrationTable ptq_ranges, calibrate(original, {data.train.x}, calibration));
  QL_ASSIGN_OR_RETURN(const QuantizedGraph ptq, convert_model(original, Scheme::kFullIntegerInt8Io, &ptq_ranges,
                                                              conversion));
  QL_ASSIGN_OR_RETURN(const EvalResult float_eval, interpreter_eval(original, eval_data, threads));
  QL_ASSIGN_OR_RETURN(const EvalResult ptq_eval, interpreter_eval(ptq.graph, eval_data, threads));

  train::QatOptions options;
  options.train = args.training.train_options();
  options.range_decay = args.decay;
  options.fc_per_channel = args.fc_per_channel;
  std::printf("qat: %s, %d epochs, Adam lr %g, range decay %g, %d thread%s\n", args.model.c_str(),
              args.training.epochs, args.training.lr, args.decay, threads, threads == 1 ? "" : "s");
  QL_ASSIGN_OR_RETURN(const train::QatResult qat,
                      train::quantization_aware_train(&graph, data.train, data.val, nullptr, options));
  std::printf("kept epoch %d of %zu; %zu learned ranges\n", qat.summary.best_epoch, qat.summary.epochs.size(),
              qat.ranges.ranges.size());

  namespace fs = std::filesystem;
  fs::create_directories(args.output);
  const std::string stem = fs::path(args.model).stem().string() + ".qat";
  std::string fiq_int8_path;
  Graph fiq_int8;
  for (Scheme scheme : all_schemes()) {
    QL_ASSIGN_OR_RETURN(const QuantizedGraph converted, convert_model(graph, scheme, &qat.ranges, conversion));
    const std::string path = (fs::path(args.output) / (stem + "." + scheme_name(scheme) + ".tflite")).string();
    QL_RETURN_IF_ERROR(write_tflite_file(converted.graph, path));
    std::printf("wrote %s\n", path.c_str());
    if (scheme == Scheme::kFullIntegerInt8Io) fiq_int8 = converted.graph;
  }

  QL_ASSIGN_OR_RETURN(const EvalResult qat_eval, interpreter_eval(fiq_int8, eval_data, threads));
  QL_ASSIGN_OR_RETURN(const std::vector<int32_t> fake,
                      train::fake_quant_predictions(graph, qat.ranges, eval_data, args.fc_per_channel));
  int64_t agree = 0;
  for (size_t i = 0; i < fake.size() && i < qat_eval.predicted.size(); ++i)
    agree += fake[i] == qat_eval.predicted[i] ? 1 : 0;
  const double agreement = fake.empty() ? 0.0 : static_cast<double>(agree) / static_cast<double>(fake.size());

  std::printf("\n%s accuracy (%lld samples, interpreter):\n", eval_name, static_cast<long long>(eval_data.size()));
  std::printf("  float               %.4f\n", accuracy_of(float_eval));
  std::printf("  PTQ fiq-int8        %.4f  (min/max ranges from %lld training samples)\n", accuracy_of(ptq_eval),
              static_cast<long long>(ptq_ranges.samples));
  std::printf("  QAT fiq-int8        %.4f\n", accuracy_of(qat_eval));
  std::printf("converted fiq-int8 vs fake-quant torch model: %lld of %zu predictions agree (%.2f%%)\n",
              static_cast<long long>(agree), fake.size(), 100.0 * agreement);
  return Status::Ok();
}

}  // namespace

void register_qat(CLI::App& app) {
  auto args = std::make_shared<QatArgs>();
  auto* cmd = app.add_subcommand("qat", "Quantization-aware training, then conversion to the five schemes");
  cmd->add_option("model", args->model, "Float .tflite model (original, pruned or factorized)")->required();
  add_training_options(cmd, &args->training, "QAT epochs",
                       "Seed for shuffling and splitting", "Torch and interpreter threads");
  cmd->add_option("-o,--output", args->output, "Output directory: <model>.qat.<scheme>.tflite")->required();
  cmd->add_option("--range-decay", args->decay, "Moving-average decay of the activation ranges (default 0.99)")
      ->check(CLI::Range(0.0, 0.9999));
  cmd->add_flag("--fc-per-channel", args->fc_per_channel, "Dense weights per output channel");
  cmd->add_option("--calib-samples", args->calib_samples,
                  "Training samples for the PTQ comparison's ranges (default 500)")
      ->check(positive_number());
  cmd->callback([args] {
    const Status s = run_qat(*args);
    if (!s.ok()) fail("qat", s);
  });
}

}  // namespace quantlab::cli
