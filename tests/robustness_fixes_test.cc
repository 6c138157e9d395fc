// One test per bug that fuzzing, the sanitizer build or the failure-behaviour
// work found (docs/reliability.md lists them). The fuzzer inputs themselves
// are replayed by robustness_regression_test.cc; these tests pin the fixed
// behaviour with hand-derived values.
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmath>
#include <cstdint>
#include <filesystem>
#include <limits>
#include <string>
#include <utility>
#include <vector>

#include "quantlab/core/file_io.h"
#include "quantlab/data/dataset.h"
#include "quantlab/data/npy.h"
#include "quantlab/data/npz.h"
#include "quantlab/ir/graph.h"
#include "quantlab/kernels/concatenation.h"
#include "quantlab/kernels/pad.h"
#include "quantlab/kernels/reshape.h"
#include "quantlab/kernels/window.h"
#include "quantlab/numerics/quantize_row.h"
#include "quantlab/numerics/quantized_arithmetic.h"
#include "quantlab/numerics/requantize.h"
#include "quantlab/runtime/interpreter.h"

namespace quantlab {
namespace {

namespace fs = std::filesystem;

constexpr int32_t kInt32Max = std::numeric_limits<int32_t>::max();
constexpr int32_t kInt32Min = std::numeric_limits<int32_t>::min();

// Finding: a quantized MEAN whose input/output scale ratio was about 2^105
// gave quantize_multiplier a shift of 106, and multiply_by_quantized_multiplier
// shifted a 64-bit value by it (undefined behaviour). Real multipliers of
// 2^31 and more now saturate to {2^31 - 1, 31}.
TEST(RobustnessFixes, HugeRealMultipliersSaturate) {
  for (double real : {std::ldexp(1.0, 31), std::ldexp(1.0, 100), std::ldexp(1.0, 1000), 1e300}) {
    const QuantizedMultiplier m = quantize_multiplier(real);
    EXPECT_EQ(m.multiplier, kInt32Max) << real;
    EXPECT_EQ(m.shift, 31) << real;
  }
  // Just below 2^31 the decomposition is still exact: (2^31 - 2^7) = q * 2^31
  // with q = 1 - 2^-24, so the multiplier is 2^31 - 2^7 and the shift 31.
  const QuantizedMultiplier below = quantize_multiplier(std::ldexp(1.0, 31) - std::ldexp(1.0, 7));
  EXPECT_EQ(below.multiplier, kInt32Max - 127);
  EXPECT_EQ(below.shift, 31);

  // Any nonzero accumulator times 2^100 lies far outside int32; after
  // saturation the result is at (or, with two roundings, within two of) the
  // int32 limits, and zero stays zero.
  const QuantizedMultiplier huge = quantize_multiplier(std::ldexp(1.0, 100));
  for (Rounding rounding : {Rounding::kDouble, Rounding::kSingle}) {
    EXPECT_GE(multiply_by_quantized_multiplier(1, huge, rounding), kInt32Max - 2);
    EXPECT_GE(multiply_by_quantized_multiplier(kInt32Max, huge, rounding), kInt32Max - 2);
    EXPECT_LE(multiply_by_quantized_multiplier(-1, huge, rounding), kInt32Min + 2);
    EXPECT_LE(multiply_by_quantized_multiplier(kInt32Min, huge, rounding), kInt32Min + 2);
    EXPECT_EQ(multiply_by_quantized_multiplier(0, huge, rounding), 0);
    EXPECT_GE(multiply_by_quantized_multiplier_64(int64_t{1} << 50, huge, rounding), kInt32Max - 2);
    EXPECT_LE(multiply_by_quantized_multiplier_64(-(int64_t{1} << 50), huge, rounding), kInt32Min + 2);
  }
}

// Finding (review of the same function): the 64-bit accumulator variant
// formed x * multiplier in int64 for |x| up to 2^47, which overflows once
// |x| exceeds 2^32 (a multiplier is up to 2^31). Powers of two make the
// expected values exact: 2^40 * 2^-20 = 2^20.
TEST(RobustnessFixes, LargeAccumulatorsRescaleWithoutOverflow) {
  const QuantizedMultiplier two_to_minus_20 = quantize_multiplier(std::ldexp(1.0, -20));
  ASSERT_EQ(two_to_minus_20.multiplier, 1 << 30);
  ASSERT_EQ(two_to_minus_20.shift, -19);
  const QuantizedMultiplier two_to_minus_40 = quantize_multiplier(std::ldexp(1.0, -40));
  ASSERT_EQ(two_to_minus_40.multiplier, 0);  // below 2^-32: rounds to zero
  const QuantizedMultiplier two_to_minus_30 = quantize_multiplier(std::ldexp(1.0, -30));
  for (Rounding rounding : {Rounding::kDouble, Rounding::kSingle}) {
    EXPECT_EQ(multiply_by_quantized_multiplier_64(int64_t{1} << 40, two_to_minus_20, rounding), 1 << 20);
    EXPECT_EQ(multiply_by_quantized_multiplier_64(-(int64_t{3} << 40), two_to_minus_20, rounding), -(3 << 20));
    EXPECT_EQ(multiply_by_quantized_multiplier_64(int64_t{5} << 50, two_to_minus_30, rounding), 5 << 20);
    // 2^40 + 2^19 is 2^20 + 0.5 after scaling: one rounding, half up.
    EXPECT_EQ(multiply_by_quantized_multiplier_64((int64_t{1} << 40) + (1 << 19), two_to_minus_20, rounding),
              (1 << 20) + 1);
    // Results beyond int32 saturate rather than wrap.
    EXPECT_EQ(multiply_by_quantized_multiplier_64(int64_t{1} << 60, two_to_minus_20, rounding), kInt32Max);
    EXPECT_EQ(multiply_by_quantized_multiplier_64(-(int64_t{1} << 60), two_to_minus_20, rounding), kInt32Min);
  }
}

// Finding: an int8 MUL by a constant whose scale was 4.7e19 had a real
// multiplier far above 2^31, so the rescaled product saturated to about
// 2^31 - 1 and adding the output zero point 34 overflowed int32 (undefined
// behaviour; kept as mul_i8_requantized_value_plus_zero_point_overflows).
// The same sum overflowed in the reference CONV_2D kernel (kept as
// conv_i8_reference_requantized_value_plus_zero_point_overflows). ADD, MUL,
// MEAN, single-value requantization and the reference CONV_2D,
// DEPTHWISE_CONV_2D, FULLY_CONNECTED and BATCH_MATMUL kernels now add the
// zero point modulo 2^32 (add_zero_point_wrapping), as TFLite's int32
// addition does in practice, and then clamp.
TEST(RobustnessFixes, ZeroPointAfterSaturatedRescaleWraps) {
  // The fuzzer's case: 2147483646 + 34 = 2^31 + 32, which wraps to -2^31 + 32.
  EXPECT_EQ(add_zero_point_wrapping(kInt32Max - 1, 34), kInt32Min + 32);
  // -2^31 + 5 - 128 = -2^31 - 123, which wraps to 2^31 - 123.
  EXPECT_EQ(add_zero_point_wrapping(kInt32Min + 5, -128), kInt32Max - 122);
  EXPECT_EQ(add_zero_point_wrapping(-100, 34), -66);

  // 0.5 * 1e19 / 0.25 = 2e19 saturates the multiplier to {2^31 - 1, 31}.
  for (Rounding rounding : {Rounding::kDouble, Rounding::kSingle}) {
    const QuantizedMulParams p = make_quantized_mul_params(0.5f, 0, 1e19f, 0, 0.25f, 34, -128, 127, rounding);
    ASSERT_EQ(p.output_multiplier.multiplier, kInt32Max);
    ASSERT_EQ(p.output_multiplier.shift, 31);
    EXPECT_EQ(quantized_mul(0, 7, p), 34);  // a zero product is just the zero point
    // A product of 1 rescales to within 2 of 2^31 - 1; plus 34 it wraps to
    // near -2^31, which the activation range clamps to -128.
    EXPECT_EQ(quantized_mul(1, 1, p), -128);
    // A product of -1 rescales to within 2 of -2^31; plus 34 it stays negative.
    EXPECT_EQ(quantized_mul(-1, 1, p), -128);
    // Without a zero point nothing wraps and the clamp gives the maximum.
    const QuantizedMulParams no_offset = make_quantized_mul_params(0.5f, 0, 1e19f, 0, 0.25f, 0, -128, 127, rounding);
    EXPECT_EQ(quantized_mul(1, 1, no_offset), 127);

    // Requantizing with a ratio of 2^40 (also saturated): 1 -> about 2^31 - 1,
    // plus 100 wraps, clamped to -128; 0 stays the zero point.
    const RequantizeParams r = make_requantize_params(1.f, 0, std::ldexp(1.f, -40), 100, -128, 127, rounding);
    EXPECT_EQ(requantize_value(0, r), 100);
    EXPECT_EQ(requantize_value(1, r), -128);
    EXPECT_EQ(requantize_value(-1, r), -128);
  }
}

// Finding: a DEPTHWISE_CONV_2D with a 3x3 filter and dilation 1409286146
// (kept as depthwise_dilation_times_filter_overflows_int) overflowed int
// computing the effective filter (3 - 1) * 1409286146 + 1 = 2818572293.
// The window arithmetic is now int64, and prepare refuses windows whose
// effective filter or last input position does not fit int (window_fits_int).
TEST(RobustnessFixes, WindowArithmeticDoesNotOverflow) {
  constexpr int kDilation = 1409286146;
  // VALID: the 2818572293-wide window does not fit 8 positions.
  EXPECT_EQ(window_output_size(Padding::kValid, 8, 3, 1, kDilation), 0);
  // SAME: ceil(8 / 1) = 8 regardless of the filter; padding before is
  // ((8 - 1) * 1 + 2818572293 - 8) / 2 = 1409286146.
  EXPECT_EQ(window_output_size(Padding::kSame, 8, 3, 1, kDilation), 8);
  EXPECT_EQ(window_padding_before(8, 8, 3, 1, kDilation), 1409286146);
  EXPECT_FALSE(window_fits_int(Padding::kSame, 8, 3, 1, kDilation));
  // The effective filter itself must fit: 1 * (2^31 - 2) + 1 = 2^31 - 1 does
  // (SAME over 8: out 8, total padding 7 + 2^31 - 1 - 8, 1073741823 before,
  // last position 7 - 1073741823 + 2^31 - 2 = 1073741830), 2^31 does not.
  EXPECT_TRUE(window_fits_int(Padding::kSame, 8, 2, 1, kInt32Max - 1));
  EXPECT_FALSE(window_fits_int(Padding::kSame, 8, 2, 1, kInt32Max));
  // The last position must lie below 2^31 - 1. VALID over 2^31 - 1 with a
  // 2-tap filter ends at 2^31 - 2; SAME with 3 taps over 2^31 - 1 pads 1
  // before and ends at (2^31 - 2) - 1 + 2 = 2^31 - 1, over 2^31 - 2 at 2^31 - 2.
  EXPECT_TRUE(window_fits_int(Padding::kValid, kInt32Max, 2, 1, 1));
  EXPECT_FALSE(window_fits_int(Padding::kSame, kInt32Max, 3, 1, 1));
  EXPECT_TRUE(window_fits_int(Padding::kSame, kInt32Max - 1, 3, 1, 1));
  // Ordinary windows are unchanged: VALID ceil((8 - 5 + 1) / 2) = 2 for a
  // 3-tap filter at dilation 2 (effective 5), SAME ceil(8 / 3) = 3.
  EXPECT_EQ(window_output_size(Padding::kValid, 8, 3, 2, 2), 2);
  EXPECT_EQ(window_output_size(Padding::kSame, 8, 3, 3, 1), 3);
}

// Finding: a hybrid FULLY_CONNECTED with asymmetric input quantization got
// an input row holding +infinity (kept as
// fully_connected_hybrid_asymmetric_row_with_infinity): the scale was
// infinite, the zero point predicted from the max end inf / inf = NaN, and
// converting it to int was undefined. The other end's prediction stands in.
TEST(RobustnessFixes, AsymmetricRowsWithInfinitiesHaveAZeroPoint) {
  const float inf = std::numeric_limits<float>::infinity();
  int8_t q[3];
  // [-2, +inf]: scale inf; the min end predicts -128 - (-2 / inf) = -128.
  // Every value times 1 / inf = 0 lands on the zero point (inf * 0 is NaN,
  // which goes to the zero point too).
  const float high[3] = {1.f, inf, -2.f};
  RowQuantization r = quantize_row_asymmetric(high, 3, q);
  EXPECT_EQ(r.zero_point, -128);
  EXPECT_TRUE(std::isinf(r.scale));
  for (int8_t v : q) EXPECT_EQ(v, -128);
  // [-inf, 1]: the max end predicts 127 - 1 / inf = 127.
  const float low[3] = {-inf, 1.f, 0.f};
  r = quantize_row_asymmetric(low, 3, q);
  EXPECT_EQ(r.zero_point, 127);
  for (int8_t v : q) EXPECT_EQ(v, 127);
  // [-inf, +inf]: both ends are NaN; the zero point is the middle, 0.
  const float both[3] = {-inf, inf, 5.f};
  r = quantize_row_asymmetric(both, 3, q);
  EXPECT_EQ(r.zero_point, 0);
  for (int8_t v : q) EXPECT_EQ(v, 0);
}

// Finding: a RESHAPE whose constant new shape multiplied past int64 while
// the product was formed (kept as reshape_new_shape_product_overflows_int64).
// The product now saturates; a saturated product is refused, and a zero
// dimension after it still makes the shape empty.
TEST(RobustnessFixes, ReshapeProductsBeyondInt64AreRefused) {
  constexpr int32_t kMax = kInt32Max;
  // (2^31 - 1)^3 is about 2^93.
  auto huge = resolve_reshape({2, 3}, {kMax, kMax, kMax});
  ASSERT_FALSE(huge.ok());
  EXPECT_NE(huge.status().message().find("2^63 - 1 or more elements"), std::string::npos) << huge.status().message();
  auto inferred = resolve_reshape({2, 3}, {kMax, kMax, kMax, -1});
  EXPECT_FALSE(inferred.ok());
  // An empty input reshaped to a shape holding a 0 is still fine.
  auto empty = resolve_reshape({0, 3}, {kMax, kMax, kMax, 0});
  ASSERT_TRUE(empty.ok()) << empty.status().message();
  EXPECT_EQ(*empty, (Shape{kMax, kMax, kMax, 0}));
  // Ordinary shapes: 6 elements as [3, -1] infer [3, 2].
  auto ordinary = resolve_reshape({2, 3}, {3, -1});
  ASSERT_TRUE(ordinary.ok()) << ordinary.status().message();
  EXPECT_EQ(*ordinary, (Shape{3, 2}));
}

// Finding: a PAD of a dimension of 1593835526 by 926164696 overflowed int32
// forming the padded size 2520000222 (kept as
// pad_padded_dimension_overflows_int32). Padded sizes are now summed in
// int64 and refused past 2^31 - 1; CONCATENATION's sum along the axis had
// the same form and is checked the same way.
TEST(RobustnessFixes, PaddedAndJoinedSizesBeyondInt32AreRefused) {
  auto found = plan_pad({1, 1593835526}, {0, 0, 926164696, 0});
  ASSERT_FALSE(found.ok());
  EXPECT_NE(found.status().message().find("gives 2520000222, beyond 2^31 - 1"), std::string::npos)
      << found.status().message();
  // 2147483640 + 3 + 4 = 2^31 - 1 is the largest valid dimension.
  auto largest = plan_pad({2147483640}, {3, 4});
  ASSERT_TRUE(largest.ok()) << largest.status().message();
  EXPECT_EQ(largest->output_shape, (Shape{kInt32Max}));
  EXPECT_FALSE(plan_pad({2147483640}, {3, 5}).ok());

  // 2^30 + 2^30 = 2^31 does not fit; 2^30 + (2^30 - 1) does.
  EXPECT_FALSE(plan_concatenation({{1, 1 << 30}, {1, 1 << 30}}, 1).ok());
  auto joined = plan_concatenation({{1, 1 << 30}, {1, (1 << 30) - 1}}, 1);
  ASSERT_TRUE(joined.ok()) << joined.status().message();
  EXPECT_EQ(joined->output_shape, (Shape{1, kInt32Max}));
}

// A graph with one op of `kind` from `input` to `output` (both activations).
Graph single_op_graph(OpKind kind, OpOptions options, const Tensor& input, const Tensor& output) {
  Graph g;
  const int32_t in = g.add_tensor(input);
  const int32_t out = g.add_tensor(output);
  Op op;
  op.kind = kind;
  op.inputs = {in};
  op.outputs = {out};
  op.options = std::move(options);
  g.ops.push_back(op);
  g.inputs = {in};
  g.outputs = {out};
  return g;
}

Tensor activation(const std::string& name, DType dtype, Shape shape, QuantParams quant = {}) {
  Tensor t;
  t.name = name;
  t.dtype = dtype;
  t.shape = std::move(shape);
  t.quant = std::move(quant);
  return t;
}

// Finding: an int8 ADD whose input zero point was -262271 made the kernel's
// (q - zero_point) << 20 overflow int32. A zero point is a value of its
// tensor's type; validate() now refuses one outside that range, so the file
// is rejected at load time with the tensor named.
TEST(RobustnessFixes, ZeroPointsOutsideTheirTypeAreRefused) {
  const Tensor in = activation("in", DType::kInt8, {1, 4}, QuantParams::per_tensor(0.5f, -262271));
  const Tensor out = activation("out", DType::kInt8, {1, 4}, QuantParams::per_tensor(0.5f, 0));
  const Graph g = single_op_graph(OpKind::kRelu, NoOptions{}, in, out);
  const Status status = validate(g);
  ASSERT_FALSE(status.ok());
  EXPECT_EQ(status.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(status.message().find("tensor 0 'in': zero_point[0] = -262271 is outside the INT8 range [-128, 127]"),
            std::string::npos)
      << status.message();
  EXPECT_FALSE(Interpreter::create(g).ok());

  // The limits themselves are valid, for every integer type a tensor has.
  struct Case {
    DType dtype;
    int64_t lowest, highest;
  };
  for (const Case& c : {Case{DType::kInt8, -128, 127}, Case{DType::kUInt8, 0, 255},
                        Case{DType::kInt16, -32768, 32767}, Case{DType::kInt32, -2147483648LL, 2147483647LL}}) {
    for (int64_t zp : {c.lowest, c.highest}) {
      const Graph ok = single_op_graph(OpKind::kRelu, NoOptions{}, activation("in", c.dtype, {2}, QuantParams::per_tensor(1.f, zp)),
                                       activation("out", c.dtype, {2}, QuantParams::per_tensor(1.f, zp)));
      EXPECT_TRUE(validate(ok).ok()) << dtype_name(c.dtype) << " " << zp << ": " << validate(ok).message();
    }
    for (int64_t zp : {c.lowest - 1, c.highest + 1}) {
      const Graph bad = single_op_graph(OpKind::kRelu, NoOptions{}, activation("in", c.dtype, {2}, QuantParams::per_tensor(1.f, zp)),
                                        activation("out", c.dtype, {2}, QuantParams::per_tensor(1.f, 0)));
      EXPECT_FALSE(validate(bad).ok()) << dtype_name(c.dtype) << " " << zp;
    }
  }
}

// Finding: AVERAGE_POOL_2D on an input declared [1, 4, 50724864, 0] has no
// output element, yet the kernel visited every window position (about
// 1.5e8 of them) before looking at the empty channel loop, which the fuzzer
// reported as a hang. The interpreter now skips ops whose outputs are empty.
// Here the width is 2^31 - 1: without the skip this takes minutes.
TEST(RobustnessFixes, OpsWithEmptyOutputsCostNothing) {
  Pool2DOptions pool;
  pool.padding = Padding::kValid;
  pool.filter_h = pool.filter_w = 2;
  pool.stride_h = pool.stride_w = 1;
  for (OpKind kind : {OpKind::kAveragePool2D, OpKind::kMaxPool2D}) {
    const Graph g = single_op_graph(kind, pool, activation("in", DType::kFloat32, {1, 4, 2147483647, 0}),
                                    activation("out", DType::kFloat32, {1, 3, 2147483646, 0}));
    auto created = Interpreter::create(g, InterpreterOptions{{}, 1, int64_t{1} << 20});
    ASSERT_TRUE(created.ok()) << created.status().message();
    EXPECT_EQ((*created)->output_info(0).num_elements(), 0);
    float unused = 0.f;
    const Status run = (*created)->invoke(1, {&unused}, {&unused});
    EXPECT_TRUE(run.ok()) << run.message();
  }
}

// A version 1.0 .npy header for `descr` and `shape` (a Python tuple
// literal), padded as numpy pads it, with no data after it.
std::vector<uint8_t> npy_header_only(const std::string& descr, const std::string& shape) {
  std::string header = "{'descr': '" + descr + "', 'fortran_order': False, 'shape': " + shape + ", }";
  header.append((64 - (10 + header.size() + 1) % 64) % 64, ' ');
  header += '\n';
  const std::string file = std::string("\x93NUMPY\x01\x00", 8) + static_cast<char>(header.size() & 0xff) +
                           static_cast<char>(header.size() >> 8) + header;
  return std::vector<uint8_t>(file.begin(), file.end());
}

// Finding (a hand-made input in the spirit of the fuzzers): a text array of
// zero width has no bytes per element, so a 128-byte header could declare
// 2^31 - 1 empty strings and parse_npy_strings built them all (about 64 GB).
// numpy never writes a zero width; it is now refused.
TEST(RobustnessFixes, ZeroWidthTextArraysAreRefused) {
  for (const char* descr : {"<U0", "|S0"}) {
    const std::vector<uint8_t> bytes = npy_header_only(descr, "(2147483647,)");
    auto strings = parse_npy_strings(bytes.data(), bytes.size(), "huge.npy");
    ASSERT_FALSE(strings.ok()) << descr;
    EXPECT_EQ(strings.status().message(), std::string("huge.npy: text descr '") + descr + "' has zero width");
  }
  // An empty text array of width 1 (what numpy writes for no strings) is fine.
  const std::vector<uint8_t> empty = npy_header_only("<U1", "(0,)");
  auto none = parse_npy_strings(empty.data(), empty.size(), "empty.npy");
  ASSERT_TRUE(none.ok()) << none.status().message();
  EXPECT_TRUE(none->empty());
}

// Finding: a 450-byte .npz whose x is [2147483647, 0] float32 and y
// [2147483647, 0] uint8 (no bytes at all) was a valid dataset of two billion
// samples; `quantlab train` then spent minutes and gigabytes splitting it.
// Samples without features and multi-hot rows without labels are refused.
TEST(RobustnessFixes, DatasetsOfEmptySamplesAreRefused) {
  Dataset no_features;
  no_features.x = Array::zeros(DType::kFloat32, {3, 0});
  no_features.y = Array::from_vector<int32_t>({3}, {0, 1, 0});
  const Status features = validate_dataset(no_features);
  ASSERT_FALSE(features.ok());
  EXPECT_EQ(features.message(), "x [3, 0] has samples without features");

  Dataset no_labels;
  no_labels.x = Array::zeros(DType::kFloat32, {2, 4});
  no_labels.y = Array::zeros(DType::kUInt8, {2, 0});
  const Status labels = validate_dataset(no_labels);
  ASSERT_FALSE(labels.ok());
  EXPECT_EQ(labels.message(), "multi-hot y [2, 0] has no label columns");

  // A dataset with no samples at all stays valid (an empty split).
  Dataset empty;
  empty.x = Array::zeros(DType::kFloat32, {0, 4});
  empty.y = Array::zeros(DType::kInt32, {0});
  EXPECT_TRUE(validate_dataset(empty).ok()) << validate_dataset(empty).message();
}

class RobustnessFixesFiles : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("quantlab_robust_fixes_" + std::to_string(::getpid()) + "_" +
                                        ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }
  std::string path(const std::string& name) const { return (dir_ / name).string(); }
  fs::path dir_;
};

// Finding: read_file opened a FIFO with a blocking open, so `quantlab run
// model --input <fifo>` waited forever when nothing wrote to it. It now
// returns an I/O error naming the path. (A hang here would hit the test
// timeout rather than pass.)
TEST_F(RobustnessFixesFiles, ReadingAFifoWithoutWriterFailsAtOnce) {
  ASSERT_EQ(::mkfifo(path("pipe.npy").c_str(), 0600), 0);
  auto bytes = read_file(path("pipe.npy"));
  ASSERT_FALSE(bytes.ok());
  EXPECT_EQ(bytes.status().code(), StatusCode::kIoError);
  EXPECT_NE(bytes.status().message().find(path("pipe.npy") + ": not a regular file"), std::string::npos)
      << bytes.status().message();
}

// An empty regular file is still read as empty (the FIFO message is only for
// files that are not regular).
TEST_F(RobustnessFixesFiles, EmptyRegularFileReadsAsEmpty) {
  ASSERT_TRUE(write_file_atomic(path("empty.bin"), std::vector<uint8_t>{}).ok());
  auto bytes = read_file(path("empty.bin"));
  ASSERT_TRUE(bytes.ok()) << bytes.status().message();
  EXPECT_TRUE(bytes->empty());
}

// Finding: an .npz path naming a directory or a FIFO was reported by libzip
// as "Operation not supported"; the error now says what the path is.
TEST_F(RobustnessFixesFiles, NpzReaderNamesDirectoriesAndPipes) {
  fs::create_directories(path("archive.npz"));
  auto from_directory = read_npz_members(path("archive.npz"));
  ASSERT_FALSE(from_directory.ok());
  EXPECT_EQ(from_directory.status().message(), path("archive.npz") + ": is a directory, not a file");

  ASSERT_EQ(::mkfifo(path("pipe.npz").c_str(), 0600), 0);
  auto from_pipe = read_npz_members(path("pipe.npz"));
  ASSERT_FALSE(from_pipe.ok());
  EXPECT_NE(from_pipe.status().message().find(path("pipe.npz") + ": not a regular file"), std::string::npos)
      << from_pipe.status().message();
}

}  // namespace
}  // namespace quantlab
