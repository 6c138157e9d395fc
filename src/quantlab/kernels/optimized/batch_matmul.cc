#include "quantlab/kernels/optimized/batch_matmul.h"

#include <algorithm>
#include <limits>
#include <memory>

#include "quantlab/kernels/optimized/kernels.h"
#include "quantlab/kernels/optimized/reference_fallback.h"

namespace quantlab {
namespace {

int64_t batch_count(const int32_t* dims, int rank) {
  int64_t n = 1;
  for (int d = 0; d < rank; ++d) n *= dims[d];
  return n;
}

struct OperandBatches {
  int64_t lhs = 0, rhs = 0;
};

// The lhs and rhs matrices that output batch `out_b` reads: its coordinates
// with broadcast (size-1) operand dimensions pinned to 0.
OperandBatches operand_batches(const BatchMatMulShape& s, int64_t out_b) {
  OperandBatches r;
  int64_t lhs_stride = 1, rhs_stride = 1;
  for (int d = s.batch_rank - 1; d >= 0; --d) {
    const int64_t coord = out_b % s.out_batch[d];
    out_b /= s.out_batch[d];
    if (s.lhs_batch[d] != 1) r.lhs += coord * lhs_stride;
    if (s.rhs_batch[d] != 1) r.rhs += coord * rhs_stride;
    lhs_stride *= s.lhs_batch[d];
    rhs_stride *= s.rhs_batch[d];
  }
  return r;
}

int64_t lhs_matrix_size(const BatchMatMulShape& s) { return static_cast<int64_t>(s.m) * s.k; }
int64_t rhs_matrix_size(const BatchMatMulShape& s) { return static_cast<int64_t>(s.k) * s.n; }

// rhs' column j at depth kk is rhs[kk][j], or rhs[j][kk] with adj_y.
int64_t rhs_column_stride(const BatchMatMulShape& s) { return s.adj_y ? s.k : 1; }
int64_t rhs_depth_stride(const BatchMatMulShape& s) { return s.adj_y ? 1 : s.n; }

// Element [i, kk] of lhs' within one batch's matrix.
template <typename T>
T lhs_at(const BatchMatMulShape& s, const T* lhs, int i, int kk) {
  return s.adj_x ? lhs[static_cast<int64_t>(kk) * s.m + i] : lhs[static_cast<int64_t>(i) * s.k + kk];
}

int64_t round_up_4(int64_t bytes) { return (bytes + 3) / 4 * 4; }

// Scratch of the int8 form, 4-byte arrays first.
struct Int8Workspace {
  int32_t* row_offsets;     // [m]
  int32_t* column_sums;     // [rhs batches][n], when the rhs is packed per run
  int32_t* column_offsets;  // [rhs batches][n], likewise
  uint8_t* lhs_rows;        // [m][padded depth]
  int8_t* packed;           // rhs batches x packed bytes, likewise
};

}  // namespace

OptimizedBatchMatMulInt8::OptimizedBatchMatMulInt8(const BatchMatMulInt8Params& params, const int8_t* constant_rhs,
                                                   SimdLevel level)
    : params_(params), level_(level) {
  const BatchMatMulShape& s = params_.shape;
  padded_depth_ = int8_padded_depth(s.k);
  packed_bytes_ = int8_packed_bytes(s.n, s.k);
  const std::vector<QuantizedMultiplier> multipliers(s.n, params.multiplier);
  requantizer_ = Int8Requantizer(multipliers.data(), s.n, params.rounding, params.output_zero_point, -128, 127);
  rhs_is_constant_ = constant_rhs != nullptr;
  if (rhs_is_constant_) {
    packed_ = AlignedBuffer<int8_t>(static_cast<size_t>(packed_bytes_ * rhs_batches()));
    column_sums_.resize(rhs_batches() * s.n);
    column_offsets_.resize(column_sums_.size());
    pack_rhs(constant_rhs, packed_.data(), column_sums_.data(), column_offsets_.data());
  }
}

int64_t OptimizedBatchMatMulInt8::rhs_batches() const {
  return batch_count(params_.shape.rhs_batch, params_.shape.batch_rank);
}

void OptimizedBatchMatMulInt8::pack_rhs(const int8_t* rhs, int8_t* packed, int32_t* column_sums,
                                        int32_t* column_offsets) const {
  const BatchMatMulShape& s = params_.shape;
  // With a = lhs + 128 and za = lhs_zero_point + 128 (see int8_gemm.h):
  //   sum (a - za)(r - zr) = sum a*r - za * sum r + k * za * zr - zr * sum a,
  // the last term per row. Every term is formed modulo 2^32; the true sum
  // fits in int32 (prepare checked k * 255 * 255).
  const int64_t za = params_.lhs_zero_point + 128, zr = params_.rhs_zero_point;
  for (int64_t b = 0; b < rhs_batches(); ++b) {
    int32_t* sums = column_sums + b * s.n;
    pack_int8_columns(rhs + b * rhs_matrix_size(s), s.n, s.k, rhs_column_stride(s), rhs_depth_stride(s),
                      packed + b * packed_bytes_, sums);
    for (int j = 0; j < s.n; ++j)
      column_offsets[b * s.n + j] = static_cast<int32_t>(static_cast<uint32_t>(-za * sums[j] + s.k * za * zr));
  }
}

int64_t OptimizedBatchMatMulInt8::scratch_bytes() const {
  const BatchMatMulShape& s = params_.shape;
  const int64_t per_run_rhs = rhs_is_constant_ ? 0 : rhs_batches();
  return int64_t{4} * s.m + 2 * 4 * per_run_rhs * s.n + round_up_4(static_cast<int64_t>(s.m) * padded_depth_) +
         per_run_rhs * packed_bytes_;
}

void OptimizedBatchMatMulInt8::run(const int8_t* lhs, const int8_t* rhs, int8_t* output, void* scratch) const {
  const BatchMatMulShape& s = params_.shape;
  const bool rhs_per_run = !rhs_is_constant_;
  const int64_t per_run_rhs = rhs_per_run ? rhs_batches() : 0;
  Int8Workspace ws;
  ws.row_offsets = static_cast<int32_t*>(scratch);
  ws.column_sums = ws.row_offsets + s.m;
  ws.column_offsets = ws.column_sums + per_run_rhs * s.n;
  ws.lhs_rows = reinterpret_cast<uint8_t*>(ws.column_offsets + per_run_rhs * s.n);
  ws.packed = reinterpret_cast<int8_t*>(ws.lhs_rows + round_up_4(static_cast<int64_t>(s.m) * padded_depth_));
  if (rhs_per_run) pack_rhs(rhs, ws.packed, ws.column_sums, ws.column_offsets);
  const int8_t* packed = rhs_per_run ? ws.packed : packed_.data();
  const int32_t* column_sums = rhs_per_run ? ws.column_sums : column_sums_.data();
  const int32_t* column_offsets = rhs_per_run ? ws.column_offsets : column_offsets_.data();

  Int8OutputStage stage;
  stage.requantizer = &requantizer_;
  const int64_t zr = params_.rhs_zero_point;
  const int64_t batches = batch_count(s.out_batch, s.batch_rank);
  for (int64_t b = 0; b < batches; ++b) {
    const OperandBatches ob = operand_batches(s, b);
    const int8_t* l = lhs + ob.lhs * lhs_matrix_size(s);
    for (int i = 0; i < s.m; ++i) {
      uint8_t* row = ws.lhs_rows + static_cast<int64_t>(i) * padded_depth_;
      int64_t row_sum = 0;
      for (int kk = 0; kk < s.k; ++kk) {
        row[kk] = static_cast<uint8_t>(lhs_at(s, l, i, kk) ^ 0x80);  // lhs + 128
        row_sum += row[kk];
      }
      std::fill(row + s.k, row + padded_depth_, uint8_t{0});
      ws.row_offsets[i] = static_cast<int32_t>(static_cast<uint32_t>(-zr * row_sum));
    }
    const Int8PackedColumns packed_rhs{s.n, s.k, packed + ob.rhs * packed_bytes_, column_sums + ob.rhs * s.n};
    stage.column_offsets = column_offsets + ob.rhs * s.n;
    int8_gemm(level_, ws.lhs_rows, padded_depth_, s.m, ws.row_offsets, packed_rhs, stage,
              output + b * static_cast<int64_t>(s.m) * s.n, s.n);
  }
}

OptimizedBatchMatMulFloat::OptimizedBatchMatMulFloat(const BatchMatMulShape& shape, const float* constant_rhs,
                                                     SimdLevel level)
    : shape_(shape), level_(level) {
  packed_size_ = float_packed_size(shape_.n, shape_.k);
  rhs_is_constant_ = constant_rhs != nullptr;
  if (rhs_is_constant_) {
    packed_ = AlignedBuffer<float>(static_cast<size_t>(packed_size_ * rhs_batches()));
    pack_rhs(constant_rhs, packed_.data());
  }
}

int64_t OptimizedBatchMatMulFloat::rhs_batches() const { return batch_count(shape_.rhs_batch, shape_.batch_rank); }

void OptimizedBatchMatMulFloat::pack_rhs(const float* rhs, float* packed) const {
  for (int64_t b = 0; b < rhs_batches(); ++b)
    pack_float_columns(rhs + b * rhs_matrix_size(shape_), shape_.n, shape_.k, rhs_column_stride(shape_),
                       rhs_depth_stride(shape_), packed + b * packed_size_);
}

int64_t OptimizedBatchMatMulFloat::scratch_bytes() const {
  const int64_t lhs = shape_.adj_x ? lhs_matrix_size(shape_) : 0;
  const int64_t rhs = rhs_is_constant_ ? 0 : rhs_batches() * packed_size_;
  return 4 * (lhs + rhs);
}

void OptimizedBatchMatMulFloat::run(const float* lhs, const float* rhs, float* output, void* scratch) const {
  const BatchMatMulShape& s = shape_;
  float* gathered = static_cast<float*>(scratch);
  float* packed_per_run = gathered + (s.adj_x ? lhs_matrix_size(s) : 0);
  const float* packed = packed_.data();
  if (!rhs_is_constant_) {
    pack_rhs(rhs, packed_per_run);
    packed = packed_per_run;
  }
  constexpr float kInf = std::numeric_limits<float>::infinity();  // the op has no activation
  const int64_t batches = batch_count(s.out_batch, s.batch_rank);
  for (int64_t b = 0; b < batches; ++b) {
    const OperandBatches ob = operand_batches(s, b);
    const float* l = lhs + ob.lhs * lhs_matrix_size(s);
    if (s.adj_x) {
      for (int i = 0; i < s.m; ++i)
        for (int kk = 0; kk < s.k; ++kk) gathered[static_cast<int64_t>(i) * s.k + kk] = lhs_at(s, l, i, kk);
      l = gathered;
    }
    const FloatPackedColumns packed_rhs{s.n, s.k, packed + ob.rhs * packed_size_};
    float_gemm(level_, l, s.k, s.m, packed_rhs, nullptr, -kInf, kInf, output + b * static_cast<int64_t>(s.m) * s.n,
               s.n);
  }
}

namespace {

struct BatchMatMulData : OptimizedOpData {
  std::unique_ptr<OptimizedBatchMatMulInt8> int8;
  std::unique_ptr<OptimizedBatchMatMulFloat> real;
};

// The reference prepare validated the shapes; derive the same broadcast view.
BatchMatMulShape matmul_shape(const PrepareContext& ctx) {
  const auto& o = ctx.op.opts<BatchMatMulOptions>();
  const Shape& lhs = ctx.input(0).shape;
  const Shape& rhs = ctx.input(1).shape;
  const int rank = static_cast<int>(std::max(lhs.size(), rhs.size()));
  BatchMatMulShape s;
  s.adj_x = o.adj_x;
  s.adj_y = o.adj_y;
  s.batch_rank = rank - 2;
  for (int d = 0; d < s.batch_rank; ++d) {
    const int lhs_pad = rank - static_cast<int>(lhs.size()), rhs_pad = rank - static_cast<int>(rhs.size());
    s.lhs_batch[d] = d < lhs_pad ? 1 : lhs[d - lhs_pad];
    s.rhs_batch[d] = d < rhs_pad ? 1 : rhs[d - rhs_pad];
    s.out_batch[d] = s.lhs_batch[d] == 1 ? s.rhs_batch[d] : s.lhs_batch[d];
  }
  s.m = o.adj_x ? lhs.back() : lhs[lhs.size() - 2];
  s.k = o.adj_x ? lhs[lhs.size() - 2] : lhs.back();
  s.n = o.adj_y ? rhs[rhs.size() - 2] : rhs.back();
  return s;
}

Status prepare(PrepareContext& ctx) {
  auto data = std::make_unique<BatchMatMulData>();
  QL_RETURN_IF_ERROR(prepare_reference(reference_kernel_BatchMatMul(), ctx, *data));
  const TensorInfo& lhs = ctx.input(0);
  const TensorInfo& rhs = ctx.input(1);
  const TensorInfo& output = ctx.output(0);
  const SimdLevel level = best_simd_level();
  const BatchMatMulShape s = matmul_shape(ctx);
  // The packed form builds per-column tables (multipliers, column sums) here,
  // before memory planning weighs the output, and an empty rhs [0, n] lets a
  // file declare any n at no cost. Outputs without elements and more than
  // 2^20 columns (above any real layer) stay with the reference kernel,
  // which allocates nothing per column.
  constexpr int kMaxPackedColumns = 1 << 20;
  if (output.num_elements() == 0 || s.n > kMaxPackedColumns) {
    ctx.data = std::move(data);
    return Status::Ok();
  }
  if (lhs.dtype == DType::kFloat32 && rhs.dtype == DType::kFloat32 && output.dtype == DType::kFloat32) {
    data->real = std::make_unique<OptimizedBatchMatMulFloat>(s, reinterpret_cast<const float*>(rhs.constant), level);
    ctx.scratch_bytes = std::max(ctx.scratch_bytes, data->real->scratch_bytes());
  } else if (lhs.dtype == DType::kInt8 && rhs.dtype == DType::kInt8 && output.dtype == DType::kInt8) {
    BatchMatMulInt8Params p;
    p.shape = s;
    p.lhs_zero_point = lhs.zero_point();
    p.rhs_zero_point = rhs.zero_point();
    p.output_zero_point = output.zero_point();
    // The reference's multiplier: lhs * rhs scale formed in float, then / output scale.
    p.multiplier = quantize_multiplier(real_multiplier_float_product(lhs.scale(), rhs.scale(), output.scale()));
    p.rounding = ctx.options.rounding;
    data->int8 = std::make_unique<OptimizedBatchMatMulInt8>(p, reinterpret_cast<const int8_t*>(rhs.constant), level);
    ctx.scratch_bytes = std::max(ctx.scratch_bytes, data->int8->scratch_bytes());
  }
  ctx.data = std::move(data);
  return Status::Ok();
}

Status eval(const EvalContext& ctx) {
  const auto& d = ctx.op_data<BatchMatMulData>();
  if (d.int8) {
    d.int8->run(ctx.input<int8_t>(0), ctx.input<int8_t>(1), ctx.output<int8_t>(0), ctx.scratch);
    return Status::Ok();
  }
  if (d.real) {
    d.real->run(ctx.input<float>(0), ctx.input<float>(1), ctx.output<float>(0), ctx.scratch);
    return Status::Ok();
  }
  return d.eval_reference(ctx);
}

}  // namespace

const Kernel& optimized_kernel_BatchMatMul() {
  static const Kernel kernel{"optimized", prepare, eval};
  return kernel;
}

}  // namespace quantlab
