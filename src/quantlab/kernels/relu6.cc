#include "quantlab/kernels/relu6.h"

namespace quantlab {
namespace {

Status prepare_relu6(PrepareContext& ctx) { return prepare_clamp_activation(ctx, Activation::kRelu6); }

}  // namespace

const Kernel& reference_kernel_Relu6() {
  static const Kernel kernel{"reference", prepare_relu6, eval_clamp_activation};
  return kernel;
}

}  // namespace quantlab
