// Each optimized kernel against its reference kernel on one operand shape
// taken from a real model, single-threaded, one sample.
//
//   ./build/quantlab_bench --benchmark_filter=Kernel
//
// Items per second = multiply-accumulates per second. The int8 shapes are
// person_detect's most frequent layers (a 1x1 convolution and a 3x3
// depthwise convolution at 6x6x128); the float shapes come from the
// SmartWatch fat model (a 2x2 convolution over 50 time steps, its first dense
// layer), tensor-train sized matrix products and a SmartWatch max pool.
#include <benchmark/benchmark.h>

#include <random>
#include <vector>

#include "quantlab/kernels/optimized/batch_matmul.h"
#include "quantlab/kernels/optimized/conv_2d.h"
#include "quantlab/kernels/optimized/depthwise_conv_2d.h"
#include "quantlab/kernels/optimized/fully_connected.h"
#include "quantlab/kernels/optimized/max_pool_2d.h"

namespace quantlab {
namespace {

template <typename T>
std::vector<T> random_values(int64_t n) {
  std::mt19937 rng(9);
  std::vector<T> v(static_cast<size_t>(n));
  for (T& x : v) x = static_cast<T>(static_cast<int>(rng() % 255) - 127) / (sizeof(T) == 1 ? T(1) : T(127));
  return v;
}

Conv2DGeometry pointwise_6x6x128() {
  Conv2DGeometry g;
  g.batches = 1, g.in_h = 6, g.in_w = 6, g.in_c = 128, g.out_h = 6, g.out_w = 6, g.out_c = 128;
  g.filter_h = g.filter_w = 1;
  return g;
}

Conv2DGeometry depthwise_3x3_6x6x128() {
  Conv2DGeometry g = pointwise_6x6x128();
  g.filter_h = g.filter_w = 3, g.pad_top = g.pad_left = 1;
  return g;
}

Conv2DGeometry smartwatch_conv_50x6x16() {
  Conv2DGeometry g;
  g.batches = 1, g.in_h = 50, g.in_w = 6, g.in_c = 16, g.out_h = 50, g.out_w = 6, g.out_c = 32;
  g.filter_h = g.filter_w = 2;  // SAME with an even filter pads only at the end
  return g;
}

int64_t conv_macs(const Conv2DGeometry& g) {
  return int64_t{g.out_h} * g.out_w * g.out_c * g.filter_h * g.filter_w * g.in_c;
}
int64_t depthwise_macs(const Conv2DGeometry& g) {
  return int64_t{g.out_h} * g.out_w * g.out_c * g.filter_h * g.filter_w;
}

void BM_Kernel_Conv2DInt8(benchmark::State& state) {
  const Conv2DGeometry g = pointwise_6x6x128();
  const auto input = random_values<int8_t>(g.in_h * g.in_w * g.in_c);
  const auto filter = random_values<int8_t>(int64_t{g.out_c} * g.in_c);
  const std::vector<QuantizedMultiplier> m(g.out_c, quantize_multiplier(0.002));
  std::vector<int8_t> output(static_cast<size_t>(g.out_h * g.out_w * g.out_c));
  Conv2DInt8Params p;
  p.geometry = g, p.input_zero_point = -3, p.output_zero_point = 5, p.channel_multipliers = m.data();
  const OptimizedConv2DInt8 conv(p, filter.data(), best_simd_level());
  std::vector<uint8_t> scratch(static_cast<size_t>(conv.scratch_bytes()));
  for (auto _ : state) {
    if (state.range(0) == 0)
      conv_2d_int8(p, input.data(), filter.data(), nullptr, output.data());
    else
      conv.run(input.data(), nullptr, output.data(), scratch.data());
    benchmark::DoNotOptimize(output.data());
  }
  state.SetItemsProcessed(state.iterations() * conv_macs(g));
}

void BM_Kernel_DepthwiseConv2DInt8(benchmark::State& state) {
  const Conv2DGeometry g = depthwise_3x3_6x6x128();
  const auto input = random_values<int8_t>(g.in_h * g.in_w * g.in_c);
  const auto filter = random_values<int8_t>(9 * g.out_c);
  const std::vector<QuantizedMultiplier> m(g.out_c, quantize_multiplier(0.002));
  std::vector<int8_t> output(static_cast<size_t>(g.out_h * g.out_w * g.out_c));
  DepthwiseConv2DInt8Params p;
  p.geometry = g, p.input_zero_point = -3, p.output_zero_point = 5, p.channel_multipliers = m.data();
  const OptimizedDepthwiseConv2DInt8 conv(p, filter.data(), best_simd_level());
  std::vector<uint32_t> scratch(static_cast<size_t>(conv.scratch_bytes() / 4 + 1));
  for (auto _ : state) {
    if (state.range(0) == 0)
      depthwise_conv_2d_int8(p, input.data(), filter.data(), nullptr, output.data());
    else
      conv.run(input.data(), nullptr, output.data(), scratch.data());
    benchmark::DoNotOptimize(output.data());
  }
  state.SetItemsProcessed(state.iterations() * depthwise_macs(g));
}

void BM_Kernel_FullyConnectedInt8(benchmark::State& state) {
  FullyConnectedShape s;
  s.rows = 1, s.in = 1536, s.out = 64;
  const auto input = random_values<int8_t>(s.in);
  const auto weights = random_values<int8_t>(int64_t{s.in} * s.out);
  const std::vector<QuantizedMultiplier> m(s.out, quantize_multiplier(0.002));
  std::vector<int8_t> output(s.out);
  FullyConnectedInt8Params p;
  p.shape = s, p.input_zero_point = -3, p.channel_multipliers = m.data();
  const OptimizedFullyConnectedInt8 fc(p, weights.data(), best_simd_level());
  std::vector<uint8_t> scratch(static_cast<size_t>(fc.scratch_bytes()));
  for (auto _ : state) {
    if (state.range(0) == 0)
      fully_connected_int8(p, input.data(), weights.data(), nullptr, output.data());
    else
      fc.run(input.data(), nullptr, output.data(), scratch.data());
    benchmark::DoNotOptimize(output.data());
  }
  state.SetItemsProcessed(state.iterations() * s.in * s.out);
}

void BM_Kernel_Conv2DFloat(benchmark::State& state) {
  const Conv2DGeometry g = smartwatch_conv_50x6x16();
  const auto input = random_values<float>(g.in_h * g.in_w * g.in_c);
  const auto filter = random_values<float>(int64_t{g.out_c} * 4 * g.in_c);
  std::vector<float> output(static_cast<size_t>(g.out_h * g.out_w * g.out_c));
  const OptimizedConv2DFloat conv(g, filter.data(), 0.f, 1e30f, best_simd_level());
  std::vector<float> scratch(static_cast<size_t>(conv.scratch_bytes() / 4 + 1));
  for (auto _ : state) {
    if (state.range(0) == 0)
      conv_2d_float(g, input.data(), filter.data(), nullptr, 0.f, 1e30f, output.data());
    else
      conv.run(input.data(), nullptr, output.data(), scratch.data());
    benchmark::DoNotOptimize(output.data());
  }
  state.SetItemsProcessed(state.iterations() * conv_macs(g));
}

void BM_Kernel_FullyConnectedFloat(benchmark::State& state) {
  FullyConnectedShape s;
  s.rows = 1, s.in = 1536, s.out = 64;
  const auto input = random_values<float>(s.in);
  const auto weights = random_values<float>(int64_t{s.in} * s.out);
  std::vector<float> output(s.out);
  const OptimizedFullyConnectedFloat fc(s, weights.data(), 0.f, 1e30f, best_simd_level());
  for (auto _ : state) {
    if (state.range(0) == 0)
      fully_connected_float(s, input.data(), weights.data(), nullptr, 0.f, 1e30f, output.data());
    else
      fc.run(input.data(), nullptr, output.data());
    benchmark::DoNotOptimize(output.data());
  }
  state.SetItemsProcessed(state.iterations() * s.in * s.out);
}

void BM_Kernel_BatchMatMulFloat(benchmark::State& state) {
  BatchMatMulShape s;
  s.m = 40, s.k = 40, s.n = 40;
  const auto lhs = random_values<float>(s.m * s.k), rhs = random_values<float>(s.k * s.n);
  std::vector<float> output(static_cast<size_t>(s.m * s.n));
  const OptimizedBatchMatMulFloat bmm(s, rhs.data(), best_simd_level());
  std::vector<float> scratch(static_cast<size_t>(bmm.scratch_bytes() / 4 + 1));
  for (auto _ : state) {
    if (state.range(0) == 0)
      batch_matmul_float(s, lhs.data(), rhs.data(), output.data());
    else
      bmm.run(lhs.data(), rhs.data(), output.data(), scratch.data());
    benchmark::DoNotOptimize(output.data());
  }
  state.SetItemsProcessed(state.iterations() * s.m * s.k * s.n);
}

void BM_Kernel_BatchMatMulInt8(benchmark::State& state) {
  BatchMatMulInt8Params p;
  p.shape.m = 40, p.shape.k = 40, p.shape.n = 40;
  p.lhs_zero_point = -3, p.rhs_zero_point = 2, p.multiplier = quantize_multiplier(0.002);
  const auto lhs = random_values<int8_t>(40 * 40), rhs = random_values<int8_t>(40 * 40);
  std::vector<int8_t> output(40 * 40);
  const OptimizedBatchMatMulInt8 bmm(p, rhs.data(), best_simd_level());
  std::vector<uint32_t> scratch(static_cast<size_t>(bmm.scratch_bytes() / 4 + 1));
  for (auto _ : state) {
    if (state.range(0) == 0)
      batch_matmul_int8(p, lhs.data(), rhs.data(), output.data());
    else
      bmm.run(lhs.data(), rhs.data(), output.data(), scratch.data());
    benchmark::DoNotOptimize(output.data());
  }
  state.SetItemsProcessed(state.iterations() * 40 * 40 * 40);
}

// SmartWatch's first pool: (2, 1) windows over [100, 6, 16]. Items are outputs.
void BM_Kernel_MaxPool2DInt8(benchmark::State& state) {
  PoolGeometry g;
  g.batches = 1, g.input_h = 100, g.input_w = 6, g.channels = 16;
  g.filter_h = 2, g.filter_w = 1, g.stride_h = 2, g.stride_w = 1;
  g.window = compute_window(Padding::kSame, 100, 6, 2, 1, 2, 1, 1, 1);
  const auto input = random_values<int8_t>(100 * 6 * 16);
  std::vector<int8_t> output(50 * 6 * 16);
  for (auto _ : state) {
    if (state.range(0) == 0)
      max_pool_int8(g, input.data(), output.data(), -128, 127);
    else
      optimized_max_pool_int8(best_simd_level(), g, input.data(), output.data(), -128, 127);
    benchmark::DoNotOptimize(output.data());
  }
  state.SetItemsProcessed(state.iterations() * static_cast<int64_t>(output.size()));
}

// Argument 0: reference kernel; 1: optimized kernel at the CPU's best SIMD level.
BENCHMARK(BM_Kernel_Conv2DInt8)->ArgName("optimized")->Arg(0)->Arg(1);
BENCHMARK(BM_Kernel_DepthwiseConv2DInt8)->ArgName("optimized")->Arg(0)->Arg(1);
BENCHMARK(BM_Kernel_FullyConnectedInt8)->ArgName("optimized")->Arg(0)->Arg(1);
BENCHMARK(BM_Kernel_Conv2DFloat)->ArgName("optimized")->Arg(0)->Arg(1);
BENCHMARK(BM_Kernel_FullyConnectedFloat)->ArgName("optimized")->Arg(0)->Arg(1);
BENCHMARK(BM_Kernel_BatchMatMulFloat)->ArgName("optimized")->Arg(0)->Arg(1);
BENCHMARK(BM_Kernel_BatchMatMulInt8)->ArgName("optimized")->Arg(0)->Arg(1);
BENCHMARK(BM_Kernel_MaxPool2DInt8)->ArgName("optimized")->Arg(0)->Arg(1);

}  // namespace
}  // namespace quantlab
