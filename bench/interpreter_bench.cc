// Interpreter throughput and latency on real models, with the reference and
// the optimized kernels.
//
//   ./build/quantlab_bench --benchmark_filter=Interpreter
//
// Latency: one sample per invoke on one thread. Throughput: 256 samples per
// invoke split across threads (the argument). Items per second = samples per
// second. `quantlab bench MODEL` prints the same comparison for any model.
#include <benchmark/benchmark.h>

#include <cstdio>
#include <random>

#include "quantlab/runtime/interpreter.h"
#include "quantlab/tflite/reader.h"

namespace quantlab {
namespace {

const std::string kTestdata = QL_TESTDATA_DIR;

void run_model(benchmark::State& state, const std::string& name, int64_t batch, int threads, KernelSet kernels) {
  auto graph = read_tflite_file(kTestdata + "/tflite/" + name + ".tflite");
  if (!graph.ok()) {
    state.SkipWithError(graph.status().message().c_str());
    return;
  }
  InterpreterOptions options;
  options.threads = threads;
  options.kernels.kernels = kernels;
  auto interp = Interpreter::create(*graph, options);
  if (!interp.ok()) {
    state.SkipWithError(interp.status().message().c_str());
    return;
  }
  const TensorInfo& in = (*interp)->input_info(0);
  std::vector<uint8_t> input(static_cast<size_t>(in.bytes() * batch));
  std::mt19937 rng(1);
  if (in.dtype == DType::kFloat32) {
    std::uniform_real_distribution<float> u(-1.f, 1.f);
    auto* p = reinterpret_cast<float*>(input.data());
    for (size_t i = 0; i < input.size() / 4; ++i) p[i] = u(rng);
  } else {
    for (auto& b : input) b = static_cast<uint8_t>(rng());
  }
  std::vector<uint8_t> output(static_cast<size_t>((*interp)->output_info(0).bytes() * batch));
  for (auto _ : state) {
    Status s = (*interp)->invoke(batch, {input.data()}, {output.data()});
    if (!s.ok()) {
      state.SkipWithError(s.message().c_str());
      return;
    }
    benchmark::DoNotOptimize(output.data());
  }
  state.SetItemsProcessed(state.iterations() * batch);
  state.counters["arena_bytes"] = static_cast<double>((*interp)->arena_bytes());
}

void BM_Interpreter_Latency(benchmark::State& state, const char* name) { run_model(state, name, 1, 1, KernelSet::kReference); }
void BM_Interpreter_Throughput(benchmark::State& state, const char* name) {
  run_model(state, name, 256, static_cast<int>(state.range(0)), KernelSet::kReference);
}
void BM_Interpreter_OptimizedLatency(benchmark::State& state, const char* name) {
  run_model(state, name, 1, 1, KernelSet::kOptimized);
}
void BM_Interpreter_OptimizedThroughput(benchmark::State& state, const char* name) {
  run_model(state, name, 256, static_cast<int>(state.range(0)), KernelSet::kOptimized);
}

BENCHMARK_CAPTURE(BM_Interpreter_Latency, person_detect, "person_detect")->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(BM_Interpreter_Latency, magic_wand, "magic_wand")->Unit(benchmark::kMicrosecond);
BENCHMARK_CAPTURE(BM_Interpreter_Throughput, person_detect, "person_detect")->Arg(1)->Arg(2)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK_CAPTURE(BM_Interpreter_Throughput, magic_wand, "magic_wand")->Arg(1)->Arg(2)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK_CAPTURE(BM_Interpreter_OptimizedLatency, person_detect, "person_detect")->Unit(benchmark::kMicrosecond);
BENCHMARK_CAPTURE(BM_Interpreter_OptimizedLatency, magic_wand, "magic_wand")->Unit(benchmark::kMicrosecond);
BENCHMARK_CAPTURE(BM_Interpreter_OptimizedThroughput, person_detect, "person_detect")->Arg(1)->Arg(2)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK_CAPTURE(BM_Interpreter_OptimizedThroughput, magic_wand, "magic_wand")->Arg(1)->Arg(2)->Unit(benchmark::kMillisecond)->UseRealTime();

}  // namespace
}  // namespace quantlab

BENCHMARK_MAIN();
