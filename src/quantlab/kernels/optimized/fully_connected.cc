#include "quantlab/kernels/optimized/fully_connected.h"

#include <algorithm>
#include <memory>
#include <tuple>

#include "quantlab/kernels/optimized/kernels.h"
#include "quantlab/kernels/optimized/reference_fallback.h"
#include "quantlab/kernels/weighted_op.h"
#include "quantlab/numerics/quantize_values.h"

namespace quantlab {
namespace {

// Input rows converted per chunk (see OptimizedConv2DInt8): the chunk stays
// in the L2 cache while the weight panels stream past it.
int chunk_rows_for(int64_t rows, int64_t row_bytes) {
  constexpr int64_t kChunkBytes = 96 * 1024;
  return static_cast<int>(std::min<int64_t>(std::max<int64_t>(24, kChunkBytes / row_bytes), rows));
}

// Rows handed to one float_gemm call (its row count is an int).
constexpr int64_t kMaxRowsPerCall = int64_t{1} << 20;

}  // namespace

OptimizedFullyConnectedInt8::OptimizedFullyConnectedInt8(const FullyConnectedInt8Params& params, const int8_t* weights,
                                                         SimdLevel level)
    : shape_(params.shape), level_(level) {
  padded_depth_ = int8_padded_depth(shape_.in);
  chunk_rows_ = chunk_rows_for(shape_.rows, padded_depth_);
  packed_ = AlignedBuffer<int8_t>(static_cast<size_t>(int8_packed_bytes(shape_.out, shape_.in)));
  column_sums_.resize(shape_.out);
  pack_int8_columns(weights, shape_.out, shape_.in, shape_.in, 1, packed_.data(), column_sums_.data());
  // sum w * (x - zx) = sum w * (x + 128) - (zx + 128) * sum w (see int8_gemm.h).
  const int64_t shifted_zero_point = params.input_zero_point + 128;
  for (int32_t s : column_sums_) column_offsets_.push_back(static_cast<int32_t>(-shifted_zero_point * s));
  requantizer_ = Int8Requantizer(params.channel_multipliers, shape_.out, params.rounding, params.output_zero_point,
                                 params.act_min, params.act_max);
}

int64_t OptimizedFullyConnectedInt8::scratch_bytes() const { return static_cast<int64_t>(chunk_rows_) * padded_depth_; }

void OptimizedFullyConnectedInt8::run(const int8_t* input, const int32_t* bias, int8_t* output, void* scratch) const {
  auto* a = static_cast<uint8_t*>(scratch);
  const Int8OutputStage stage{column_offsets_.data(), bias, &requantizer_};
  const Int8PackedColumns b{shape_.out, shape_.in, packed_.data(), column_sums_.data()};
  for (int64_t first = 0; first < shape_.rows; first += chunk_rows_) {
    const int count = static_cast<int>(std::min<int64_t>(chunk_rows_, shape_.rows - first));
    for (int i = 0; i < count; ++i)
      int8_row_to_unsigned(input + (first + i) * shape_.in, shape_.in, a + static_cast<int64_t>(i) * padded_depth_);
    int8_gemm(level_, a, padded_depth_, count, nullptr, b, stage, output + first * shape_.out, shape_.out);
  }
}

OptimizedFullyConnectedFloat::OptimizedFullyConnectedFloat(const FullyConnectedShape& shape, const float* weights,
                                                           float act_min, float act_max, SimdLevel level)
    : shape_(shape), level_(level), act_min_(act_min), act_max_(act_max) {
  packed_ = AlignedBuffer<float>(static_cast<size_t>(float_packed_size(shape_.out, shape_.in)));
  pack_float_columns(weights, shape_.out, shape_.in, shape_.in, 1, packed_.data());
}

void OptimizedFullyConnectedFloat::run(const float* input, const float* bias, float* output) const {
  const FloatPackedColumns b{shape_.out, shape_.in, packed_.data()};
  for (int64_t first = 0; first < shape_.rows; first += kMaxRowsPerCall) {
    const int count = static_cast<int>(std::min(kMaxRowsPerCall, shape_.rows - first));
    float_gemm(level_, input + first * shape_.in, shape_.in, count, b, bias, act_min_, act_max_,
               output + first * shape_.out, shape_.out);
  }
}

namespace {

struct FullyConnectedData : OptimizedOpData {
  std::unique_ptr<OptimizedFullyConnectedInt8> int8;
  std::unique_ptr<OptimizedFullyConnectedFloat> real;
};

Status prepare(PrepareContext& ctx) {
  auto data = std::make_unique<FullyConnectedData>();
  QL_RETURN_IF_ERROR(prepare_reference(reference_kernel_FullyConnected(), ctx, *data));
  const TensorInfo& weights = ctx.input(1);
  QL_ASSIGN_OR_RETURN(const WeightedVariant variant, classify_weighted_op(ctx));
  if (variant == WeightedVariant::kHybrid || weights.constant == nullptr) {
    ctx.data = std::move(data);
    return Status::Ok();
  }
  // The reference prepare validated the op and derived the shape, clamp
  // and multipliers (TFLite's float per-tensor product included).
  const FullyConnectedPrepared ref = reference_fully_connected_prepared(*data->reference_data);
  const SimdLevel level = best_simd_level();
  if (variant == WeightedVariant::kFloat) {
    data->real = std::make_unique<OptimizedFullyConnectedFloat>(
        ref.shape, reinterpret_cast<const float*>(weights.constant), ref.act_min, ref.act_max, level);
  } else {
    data->int8 = std::make_unique<OptimizedFullyConnectedInt8>(
        *ref.int8, reinterpret_cast<const int8_t*>(weights.constant), level);
    ctx.scratch_bytes = std::max(ctx.scratch_bytes, data->int8->scratch_bytes());
  }
  ctx.data = std::move(data);
  return Status::Ok();
}

Status eval(const EvalContext& ctx) {
  const auto& d = ctx.op_data<FullyConnectedData>();
  if (d.int8) {
    d.int8->run(ctx.input<int8_t>(0), ctx.input<int32_t>(2), ctx.output<int8_t>(0), ctx.scratch);
    return Status::Ok();
  }
  if (d.real) {
    d.real->run(ctx.input<float>(0), ctx.input<float>(2), ctx.output<float>(0));
    return Status::Ok();
  }
  return d.eval_reference(ctx);
}

}  // namespace

const Kernel& optimized_kernel_FullyConnected() {
  static const Kernel kernel{"optimized", prepare, eval};
  return kernel;
}

}  // namespace quantlab
