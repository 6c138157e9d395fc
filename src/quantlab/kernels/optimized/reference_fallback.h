// The optimized kernels start every prepare with the reference kernel's
// prepare: it validates the op (dtypes, shapes, quantization, accumulator
// bounds) and computes the output shape, so both kernel families accept and
// reject exactly the same graphs. The reference's OpData is kept, and its
// eval runs the op whenever the optimized kernel has no faster form for it
// (hybrid arithmetic, weights that are not constant).
#pragma once

#include <memory>

#include "quantlab/kernels/kernel.h"

namespace quantlab {

struct OptimizedOpData : OpData {
  const Kernel* reference = nullptr;
  std::unique_ptr<OpData> reference_data;

  // Runs the op with the reference kernel.
  Status eval_reference(const EvalContext& ctx) const {
    return reference->eval(EvalContext{ctx.op, reference_data.get(), ctx.tensors, ctx.buffers, ctx.scratch});
  }
};

// Runs `reference.prepare` and moves its OpData into `data`.
inline Status prepare_reference(const Kernel& reference, PrepareContext& ctx, OptimizedOpData& data) {
  QL_RETURN_IF_ERROR(reference.prepare(ctx));
  data.reference = &reference;
  data.reference_data = std::move(ctx.data);
  return Status::Ok();
}

}  // namespace quantlab
