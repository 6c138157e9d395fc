// `quantlab bench`: speed of a model with the reference and the optimized
// kernels, side by side in one run.
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "quantlab/ir/analysis.h"
#include "quantlab/kernels/optimized/simd_level.h"
#include "quantlab/runtime/interpreter.h"
#include "quantlab/tflite/reader.h"
#include "subcommands.h"

namespace quantlab::cli {
namespace {

struct BenchArgs {
  std::string model;
  int64_t batch = 256;
  int threads = 0;
  double seconds = 2.0;
  std::string rounding = "double";
};

using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point start) { return std::chrono::duration<double>(Clock::now() - start).count(); }

double percentile(std::vector<double> v, double p) {
  std::sort(v.begin(), v.end());
  const size_t i = static_cast<size_t>(std::ceil(p * static_cast<double>(v.size()))) - 1;
  return v[std::min(i, v.size() - 1)];
}

// Random samples for every model input: floats uniform in [-1, 1), integers
// uniform over their type (the golden inputs' convention).
std::vector<std::vector<uint8_t>> random_inputs(const Interpreter& interp, int64_t samples) {
  std::mt19937 rng(2024);
  std::vector<std::vector<uint8_t>> inputs;
  for (size_t i = 0; i < interp.num_inputs(); ++i) {
    const TensorInfo& info = interp.input_info(i);
    std::vector<uint8_t> bytes(static_cast<size_t>(info.bytes() * samples));
    if (info.dtype == DType::kFloat32) {
      std::uniform_real_distribution<float> u(-1.f, 1.f);
      for (size_t k = 0; k + 4 <= bytes.size(); k += 4) {
        const float v = u(rng);
        std::memcpy(bytes.data() + k, &v, 4);
      }
    } else {
      for (uint8_t& b : bytes) b = static_cast<uint8_t>(rng());
    }
    inputs.push_back(std::move(bytes));
  }
  return inputs;
}

// One kernel family's interpreter with its input and output buffers.
struct Runner {
  std::unique_ptr<Interpreter> interp;
  std::vector<std::vector<uint8_t>> outputs;
  std::vector<double> latencies;  // seconds per batch-1 invoke
  std::vector<double> batches;    // seconds per batch-N invoke
  int optimized_ops = 0;

  Status invoke(int64_t samples, const std::vector<std::vector<uint8_t>>& inputs) {
    std::vector<const void*> in;
    for (const auto& x : inputs) in.push_back(x.data());
    std::vector<void*> out;
    for (auto& y : outputs) out.push_back(y.data());
    return interp->invoke(samples, in, out);
  }
};

Result<Runner> make_runner(const Graph& graph, KernelSet kernels, const BenchArgs& args) {
  InterpreterOptions options;
  options.threads = args.threads;
  options.kernels.kernels = kernels;
  options.kernels.rounding = args.rounding == "single" ? Rounding::kSingle : Rounding::kDouble;
  Runner r;
  QL_ASSIGN_OR_RETURN(r.interp, Interpreter::create(graph, options));
  for (size_t j = 0; j < r.interp->num_outputs(); ++j)
    r.outputs.emplace_back(static_cast<size_t>(r.interp->output_info(j).bytes() * args.batch));
  for (int32_t op : r.interp->execution_order())
    if (std::strcmp(r.interp->kernel_name(op), "optimized") == 0) ++r.optimized_ops;
  return r;
}

// Times `step` on both runners in turn until each has `min_runs` runs and
// `seconds` have passed, so that changes in machine load affect both alike.
template <typename Step>
Status alternate(Runner& a, Runner& b, int min_runs, double seconds, Step step) {
  const Clock::time_point start = Clock::now();
  for (int run = 0; run < min_runs || seconds_since(start) < seconds; ++run) {
    QL_RETURN_IF_ERROR(step(a));
    QL_RETURN_IF_ERROR(step(b));
  }
  return Status::Ok();
}

// "identical", or how far float outputs of the two families are apart.
std::string compare_outputs(const Runner& reference, const Runner& optimized) {
  bool identical = true;
  double max_diff = 0;
  for (size_t j = 0; j < reference.outputs.size(); ++j) {
    const std::vector<uint8_t>& r = reference.outputs[j];
    const std::vector<uint8_t>& o = optimized.outputs[j];
    if (r == o) continue;
    identical = false;
    if (reference.interp->output_info(j).dtype != DType::kFloat32) return "NO (integer outputs differ)";
    for (size_t k = 0; k + 4 <= r.size(); k += 4) {
      float x, y;
      std::memcpy(&x, r.data() + k, 4);
      std::memcpy(&y, o.data() + k, 4);
      max_diff = std::max(max_diff, static_cast<double>(std::fabs(x - y)));
    }
  }
  if (identical) return "identical";
  char text[96];
  std::snprintf(text, sizeof text, "float, max |difference| %.2g (sums in another order)", max_diff);
  return text;
}

Status bench(const BenchArgs& args) {
  QL_ASSIGN_OR_RETURN(Graph graph, read_tflite_file(args.model));
  QL_ASSIGN_OR_RETURN(Runner reference, make_runner(graph, KernelSet::kReference, args));
  QL_ASSIGN_OR_RETURN(Runner optimized, make_runner(graph, KernelSet::kOptimized, args));
  const ModelSummary summary = summarize(graph);
  const double macs = static_cast<double>(summary.total_macs);
  const auto inputs = random_inputs(*optimized.interp, args.batch);

  double load_before[1] = {0};
  const bool have_load = getloadavg(load_before, 1) == 1;
  std::printf("model        %s\n", args.model.c_str());
  std::printf("ops          %zu (%d with an optimized kernel)\n", graph.ops.size(), optimized.optimized_ops);
  std::printf("MACs/sample  %.0f\n", macs);
  std::printf("weights      %lld bytes\n", static_cast<long long>(summary.constant_bytes));
  std::printf("machine      %s, %d thread(s) of %d cores", simd_level_name(best_simd_level()),
              optimized.interp->threads(), ThreadPool::hardware_threads());
  if (have_load) std::printf(", load average %.1f", load_before[0]);
  std::printf("\n\n");

  // Latency: one sample per invoke.
  QL_RETURN_IF_ERROR(alternate(reference, optimized, 20, args.seconds / 2, [&](Runner& r) {
    const Clock::time_point t = Clock::now();
    Status s = r.invoke(1, inputs);
    r.latencies.push_back(seconds_since(t));
    return s;
  }));
  // Throughput: the whole batch per invoke, split across the threads.
  QL_RETURN_IF_ERROR(alternate(reference, optimized, 3, args.seconds, [&](Runner& r) {
    const Clock::time_point t = Clock::now();
    Status s = r.invoke(args.batch, inputs);
    r.batches.push_back(seconds_since(t));
    return s;
  }));

  auto row = [](const char* name, double ref, double opt, const char* format) {
    std::printf("%-34s", name);
    std::printf(format, ref);
    std::printf(format, opt);
    std::printf("%9.1fx\n", ref > 0 && opt > 0 ? (ref < opt ? opt / ref : ref / opt) : 0.0);
  };
  std::printf("%-34s%14s%14s%10s\n", "", "reference", "optimized", "ratio");
  const double ref_latency = percentile(reference.latencies, 0.5), opt_latency = percentile(optimized.latencies, 0.5);
  row("latency, batch 1, median (ms)", 1e3 * ref_latency, 1e3 * opt_latency, "%14.3f");
  row("latency, batch 1, p99 (ms)", 1e3 * percentile(reference.latencies, 0.99),
      1e3 * percentile(optimized.latencies, 0.99), "%14.3f");
  row("throughput, batch 1 (samples/s)", 1 / ref_latency, 1 / opt_latency, "%14.0f");
  const double ref_batch = percentile(reference.batches, 0.5), opt_batch = percentile(optimized.batches, 0.5);
  const std::string label = "throughput, batch " + std::to_string(args.batch) + " (samples/s)";
  row(label.c_str(), args.batch / ref_batch, args.batch / opt_batch, "%14.0f");
  row("GMAC/s at that throughput", macs * args.batch / ref_batch * 1e-9, macs * args.batch / opt_batch * 1e-9,
      "%14.2f");
  std::printf("%-34s%14lld%14lld\n", "arena bytes per thread", static_cast<long long>(reference.interp->arena_bytes()),
              static_cast<long long>(optimized.interp->arena_bytes()));
  std::printf("\noutputs on the same %lld samples: %s\n", static_cast<long long>(args.batch),
              compare_outputs(reference, optimized).c_str());
  std::printf("optimized batch-%lld throughput / reference batch-1 throughput: %.1fx\n",
              static_cast<long long>(args.batch), (args.batch / opt_batch) * ref_latency);
  double load_after[1] = {0};
  if (have_load && getloadavg(load_after, 1) == 1) std::printf("load average at the end: %.1f\n", load_after[0]);
  return Status::Ok();
}

}  // namespace

void register_bench(CLI::App& app) {
  auto args = std::make_shared<BenchArgs>();
  auto* cmd = app.add_subcommand("bench", "Latency and throughput of a model, reference vs optimized kernels");
  cmd->footer(
      "Runs the model on random inputs with both kernel families, alternating between them so that\n"
      "changes in machine load affect both alike: latency at batch 1 (median and 99th percentile),\n"
      "throughput at --batch samples per invoke split across --threads, MACs per sample and the\n"
      "achieved GMAC/s, activation arena and weight bytes, and whether the two families' outputs on\n"
      "the same samples are identical.\n\n"
      "Example:\n"
      "  quantlab bench person_detect.tflite --batch 256 --threads 2");
  cmd->add_option("model", args->model, "The .tflite model")->required();
  cmd->add_option("--batch", args->batch, "Samples per invoke for the throughput measurement")
      ->check(positive_number());
  cmd->add_option("--threads", args->threads, "Worker threads (default: all cores)");
  cmd->add_option("--seconds", args->seconds, "Time spent on each measurement (latency gets half)")
      ->check(positive_number());
  cmd->add_option("--rounding", args->rounding, "Requantization rounding: double (default) or single")
      ->check(CLI::IsMember({"double", "single"}));
  cmd->callback([args] {
    Status s = bench(*args);
    if (!s.ok()) fail("bench", s);
  });
}

}  // namespace quantlab::cli
