#include "quantlab/kernels/batch_matmul.h"

#include <algorithm>
#include <memory>
#include <string>
#include <vector>

#include "quantlab/kernels/kernel.h"
#include "quantlab/kernels/weighted_op.h"
#include "quantlab/numerics/quantize_row.h"

namespace quantlab {
namespace {

struct OperandBatches {
  int64_t lhs = 0, rhs = 0;
};

// The lhs and rhs matrices read by output batch `out_b`: its coordinates,
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

// Element [i, kk] of lhs' and [kk, j] of rhs' within one batch's matrix.
template <typename T>
T lhs_at(const BatchMatMulShape& s, const T* lhs, int i, int kk) {
  return s.adj_x ? lhs[static_cast<int64_t>(kk) * s.m + i] : lhs[static_cast<int64_t>(i) * s.k + kk];
}
template <typename T>
T rhs_at(const BatchMatMulShape& s, const T* rhs, int kk, int j) {
  return s.adj_y ? rhs[static_cast<int64_t>(j) * s.k + kk] : rhs[static_cast<int64_t>(kk) * s.n + j];
}

int64_t lhs_matrix_size(const BatchMatMulShape& s) { return static_cast<int64_t>(s.m) * s.k; }
int64_t rhs_matrix_size(const BatchMatMulShape& s) { return static_cast<int64_t>(s.k) * s.n; }

// Product of `rank` batch dimensions.
int64_t batch_count(const int32_t* dims, int rank) {
  int64_t n = 1;
  for (int d = 0; d < rank; ++d) n *= dims[d];
  return n;
}

}  // namespace

int64_t batch_matmul_hybrid_rows(const BatchMatMulShape& s) { return batch_count(s.lhs_batch, s.batch_rank) * s.m; }

void batch_matmul_float(const BatchMatMulShape& s, const float* lhs, const float* rhs, float* output) {
  const int64_t batches = batch_count(s.out_batch, s.batch_rank);
  for (int64_t b = 0; b < batches; ++b) {
    const OperandBatches ob = operand_batches(s, b);
    const float* l = lhs + ob.lhs * lhs_matrix_size(s);
    const float* r = rhs + ob.rhs * rhs_matrix_size(s);
    for (int i = 0; i < s.m; ++i)
      for (int j = 0; j < s.n; ++j) {
        float acc = 0.f;
        for (int kk = 0; kk < s.k; ++kk) acc += lhs_at(s, l, i, kk) * rhs_at(s, r, kk, j);
        *output++ = acc;
      }
  }
}

void batch_matmul_int8(const BatchMatMulInt8Params& p, const int8_t* lhs, const int8_t* rhs, int8_t* output) {
  const BatchMatMulShape& s = p.shape;
  const int64_t batches = batch_count(s.out_batch, s.batch_rank);
  for (int64_t b = 0; b < batches; ++b) {
    const OperandBatches ob = operand_batches(s, b);
    const int8_t* l = lhs + ob.lhs * lhs_matrix_size(s);
    const int8_t* r = rhs + ob.rhs * rhs_matrix_size(s);
    for (int i = 0; i < s.m; ++i)
      for (int j = 0; j < s.n; ++j) {
        // prepare bounds k so that this int32 sum cannot overflow.
        int32_t acc = 0;
        for (int kk = 0; kk < s.k; ++kk)
          acc += (lhs_at(s, l, i, kk) - p.lhs_zero_point) * (rhs_at(s, r, kk, j) - p.rhs_zero_point);
        acc = add_zero_point_wrapping(multiply_by_quantized_multiplier(acc, p.multiplier, p.rounding),
                                      p.output_zero_point);
        *output++ = static_cast<int8_t>(std::min(std::max(acc, int32_t{-128}), int32_t{127}));
      }
  }
}

void batch_matmul_hybrid(const BatchMatMulHybridParams& p, const float* lhs, const int8_t* rhs,
                         const HybridWorkspace& ws, float* output) {
  const BatchMatMulShape& s = p.shape;
  // Quantize every row of lhs' once, gathering it first when adj_x strides it.
  const int64_t lhs_rows = batch_matmul_hybrid_rows(s);
  for (int64_t row = 0; row < lhs_rows; ++row) {
    const float* l = lhs + (row / s.m) * lhs_matrix_size(s);
    for (int kk = 0; kk < s.k; ++kk) ws.row_buffer[kk] = lhs_at(s, l, static_cast<int>(row % s.m), kk);
    int8_t* q = ws.values + row * s.k;
    const RowQuantization rq = p.asymmetric_inputs ? quantize_row_asymmetric(ws.row_buffer, s.k, q)
                                                   : quantize_row_symmetric(ws.row_buffer, s.k, q);
    ws.scales[row] = rq.scale;
    ws.zero_points[row] = rq.zero_point;
  }
  const int64_t batches = batch_count(s.out_batch, s.batch_rank);
  for (int64_t b = 0; b < batches; ++b) {
    const OperandBatches ob = operand_batches(s, b);
    const int8_t* r = rhs + ob.rhs * rhs_matrix_size(s);
    for (int i = 0; i < s.m; ++i) {
      const int64_t row = ob.lhs * s.m + i;
      const int8_t* q = ws.values + row * s.k;
      for (int j = 0; j < s.n; ++j) {
        int32_t acc = 0;
        for (int kk = 0; kk < s.k; ++kk) acc += q[kk] * rhs_at(s, r, kk, j);
        if (p.asymmetric_inputs) acc -= ws.zero_points[row] * p.rhs_column_sums[ob.rhs * s.n + j];
        *output++ = static_cast<float>(acc) * (ws.scales[row] * p.rhs_scale);
      }
    }
  }
}

std::vector<int32_t> batch_matmul_rhs_column_sums(const BatchMatMulShape& s, const int8_t* rhs) {
  const int64_t batches = batch_count(s.rhs_batch, s.batch_rank);
  std::vector<int32_t> sums(static_cast<size_t>(batches * s.n), 0);
  for (int64_t b = 0; b < batches; ++b)
    for (int j = 0; j < s.n; ++j)
      for (int kk = 0; kk < s.k; ++kk) sums[b * s.n + j] += rhs_at(s, rhs + b * rhs_matrix_size(s), kk, j);
  return sums;
}

namespace {

struct BatchMatMulOpData : OpData {
  WeightedVariant variant = WeightedVariant::kFloat;
  BatchMatMulShape shape;
  BatchMatMulInt8Params int8;
  BatchMatMulHybridParams hybrid;  // points into `column_sums`
  std::vector<int32_t> column_sums;
};

Result<WeightedVariant> classify(const PrepareContext& ctx) {
  if (!ctx.has_input(0) || !ctx.has_input(1)) return ctx.error("both operands are required");
  const DType l = ctx.input(0).dtype, r = ctx.input(1).dtype, out = ctx.tensors[ctx.op.outputs[0]].dtype;
  if (l == DType::kFloat32 && r == DType::kFloat32 && out == DType::kFloat32) return WeightedVariant::kFloat;
  if (l == DType::kInt8 && r == DType::kInt8 && out == DType::kInt8) return WeightedVariant::kInt8;
  if (l == DType::kFloat32 && r == DType::kInt8 && out == DType::kFloat32) return WeightedVariant::kHybrid;
  return ctx.unsupported_types();
}

// Broadcasts the batch dimensions and checks the matrix dimensions agree.
Result<BatchMatMulShape> compute_shape(const PrepareContext& ctx, const BatchMatMulOptions& o, Shape* output_shape) {
  const Shape& lhs = ctx.input(0).shape;
  const Shape& rhs = ctx.input(1).shape;
  const int rank = static_cast<int>(std::max(lhs.size(), rhs.size()));
  if (lhs.size() < 2 || rhs.size() < 2 || rank - 2 > kBatchMatMulMaxBatchDims)
    return ctx.error("operands must have rank 2 to " + std::to_string(kBatchMatMulMaxBatchDims + 2) + ", got " +
                     shape_to_string(lhs) + " and " + shape_to_string(rhs));
  BatchMatMulShape s;
  s.adj_x = o.adj_x;
  s.adj_y = o.adj_y;
  s.batch_rank = rank - 2;
  output_shape->clear();
  for (int d = 0; d < s.batch_rank; ++d) {
    const int lhs_pad = rank - static_cast<int>(lhs.size()), rhs_pad = rank - static_cast<int>(rhs.size());
    s.lhs_batch[d] = d < lhs_pad ? 1 : lhs[d - lhs_pad];
    s.rhs_batch[d] = d < rhs_pad ? 1 : rhs[d - rhs_pad];
    if (s.lhs_batch[d] != s.rhs_batch[d] && s.lhs_batch[d] != 1 && s.rhs_batch[d] != 1)
      return ctx.error("batch dimensions of " + shape_to_string(lhs) + " and " + shape_to_string(rhs) +
                       " do not broadcast");
    s.out_batch[d] = s.lhs_batch[d] == 1 ? s.rhs_batch[d] : s.lhs_batch[d];
    output_shape->push_back(s.out_batch[d]);
  }
  const int32_t l_rows = lhs[lhs.size() - 2], l_cols = lhs.back();
  const int32_t r_rows = rhs[rhs.size() - 2], r_cols = rhs.back();
  s.m = o.adj_x ? l_cols : l_rows;
  s.k = o.adj_x ? l_rows : l_cols;
  s.n = o.adj_y ? r_rows : r_cols;
  const int32_t rhs_k = o.adj_y ? r_cols : r_rows;
  if (rhs_k != s.k)
    return ctx.error("inner dimensions differ: lhs " + shape_to_string(lhs) + (o.adj_x ? " (adj_x)" : "") + " vs rhs " +
                     shape_to_string(rhs) + (o.adj_y ? " (adj_y)" : ""));
  output_shape->push_back(s.m);
  output_shape->push_back(s.n);
  return s;
}

Status prepare(PrepareContext& ctx) {
  const auto& o = ctx.op.opts<BatchMatMulOptions>();
  QL_ASSIGN_OR_RETURN(const WeightedVariant variant, classify(ctx));
  Shape output_shape;
  QL_ASSIGN_OR_RETURN(const BatchMatMulShape s, compute_shape(ctx, o, &output_shape));
  auto data = std::make_unique<BatchMatMulOpData>();
  data->variant = variant;
  data->shape = s;
  const TensorInfo& lhs = ctx.input(0);
  const TensorInfo& rhs = ctx.input(1);
  TensorInfo& output = ctx.output(0);
  if (variant == WeightedVariant::kInt8) {
    QL_RETURN_IF_ERROR(check_activation_quant(ctx, "lhs", lhs));
    QL_RETURN_IF_ERROR(check_activation_quant(ctx, "rhs", rhs));
    QL_RETURN_IF_ERROR(check_activation_quant(ctx, "output", output));
    QL_RETURN_IF_ERROR(check_int32_accumulation(ctx, s.k, kMaxInt8ProductTerm));
    BatchMatMulInt8Params& p = data->int8;
    p.shape = s;
    p.lhs_zero_point = lhs.zero_point();
    p.rhs_zero_point = rhs.zero_point();
    p.output_zero_point = output.zero_point();
    p.multiplier = quantize_multiplier(real_multiplier_float_product(lhs.scale(), rhs.scale(), output.scale()));
    p.rounding = ctx.options.rounding;
  } else if (variant == WeightedVariant::kHybrid) {
    if (rhs.constant == nullptr) return ctx.error("hybrid arithmetic needs a constant int8 rhs");
    QL_RETURN_IF_ERROR(check_weight_quant(ctx, rhs, 0, 1, false));
    QL_RETURN_IF_ERROR(check_int32_accumulation(ctx, s.k, kMaxInt8WeightTerm));
    if (o.asymmetric_quantize_inputs)
      data->column_sums = batch_matmul_rhs_column_sums(s, reinterpret_cast<const int8_t*>(rhs.constant));
    data->hybrid = BatchMatMulHybridParams{s, rhs.scale(), o.asymmetric_quantize_inputs, data->column_sums.data()};
    ctx.scratch_bytes = hybrid_workspace_bytes(batch_matmul_hybrid_rows(s), s.k, true);
  }
  output.shape = output_shape;
  ctx.data = std::move(data);
  return Status::Ok();
}

Status eval(const EvalContext& ctx) {
  const auto& d = ctx.op_data<BatchMatMulOpData>();
  switch (d.variant) {
    case WeightedVariant::kFloat:
      batch_matmul_float(d.shape, ctx.input<float>(0), ctx.input<float>(1), ctx.output<float>(0));
      return Status::Ok();
    case WeightedVariant::kInt8:
      batch_matmul_int8(d.int8, ctx.input<int8_t>(0), ctx.input<int8_t>(1), ctx.output<int8_t>(0));
      return Status::Ok();
    case WeightedVariant::kHybrid: {
      const HybridWorkspace ws = hybrid_workspace(ctx.scratch, batch_matmul_hybrid_rows(d.shape), d.shape.k, true);
      batch_matmul_hybrid(d.hybrid, ctx.input<float>(0), ctx.input<int8_t>(1), ws, ctx.output<float>(0));
      return Status::Ok();
    }
  }
  return internal_error("BATCH_MATMUL: prepare chose no known variant");
}

}  // namespace

const Kernel& reference_kernel_BatchMatMul() {
  static const Kernel kernel{"reference", prepare, eval};
  return kernel;
}

}  // namespace quantlab
