#include "quantlab/quant/quantized_graph.h"

namespace quantlab {

const char* tensor_role_name(TensorRole role) {
  switch (role) {
    case TensorRole::kInput:
      return "input";
    case TensorRole::kActivation:
      return "activation";
    case TensorRole::kWeight:
      return "weight";
    case TensorRole::kBias:
      return "bias";
    case TensorRole::kOutput:
      return "output";
  }
  return "activation";
}

}  // namespace quantlab
