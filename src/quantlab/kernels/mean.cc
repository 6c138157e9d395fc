// PLACEHOLDER: the Mean kernel is being written; it refuses to run until then.
#include "quantlab/kernels/kernel.h"

namespace quantlab {
namespace {

Status prepare(PrepareContext& ctx) { return ctx.unsupported_types(); }
Status eval(const EvalContext&) { return internal_error("Mean: not implemented"); }

}  // namespace

const Kernel& reference_kernel_Mean() {
  static const Kernel kernel{"reference", prepare, eval};
  return kernel;
}

}  // namespace quantlab
