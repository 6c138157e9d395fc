// The contract between the interpreter and an op's kernel.
//
// A kernel is two functions. `prepare` runs once per interpreter: it checks
// the op's dtypes, shapes and options, computes output shapes, precomputes
// everything eval needs (multipliers, shifts, activation ranges, packed
// weights) into an OpData, and asks for scratch memory. `eval` runs for every
// sample and only computes; it never validates or allocates.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "quantlab/core/dtype.h"
#include "quantlab/core/shape.h"
#include "quantlab/core/status.h"
#include "quantlab/ir/graph.h"
#include "quantlab/numerics/requantize.h"

namespace quantlab {

// What the interpreter knows about a tensor once the graph is prepared.
struct TensorInfo {
  DType dtype = DType::kFloat32;
  Shape shape;                          // concrete shape for one invoke
  const QuantParams* quant = nullptr;   // never null after planning (may be empty)
  const uint8_t* constant = nullptr;    // constant bytes, or null for activations
  int64_t num_elements() const { return quantlab::num_elements(shape); }
  int64_t bytes() const { return num_elements() * static_cast<int64_t>(dtype_size(dtype)); }
  float scale() const { return quant->scale.empty() ? 0.f : quant->scale[0]; }
  int32_t zero_point() const { return quant->zero_point.empty() ? 0 : static_cast<int32_t>(quant->zero_point[0]); }
};

// Per-op state computed by prepare and read by eval.
struct OpData {
  virtual ~OpData() = default;
};

// Which implementation family the interpreter should pick.
enum class KernelSet : uint8_t { kReference, kOptimized };

struct KernelOptions {
  Rounding rounding = Rounding::kDouble;
  KernelSet kernels = KernelSet::kOptimized;
};

struct PrepareContext {
  const Graph& graph;
  const Op& op;
  int32_t op_index;
  std::vector<TensorInfo>& tensors;  // indexed by graph tensor index
  KernelOptions options;

  // Filled in by prepare:
  std::unique_ptr<OpData> data;
  int64_t scratch_bytes = 0;  // per-invoke scratch memory the op needs

  bool has_input(size_t i) const { return op.input(i) >= 0; }
  const TensorInfo& input(size_t i) const { return tensors[op.inputs[i]]; }
  TensorInfo& output(size_t i) { return tensors[op.outputs[i]]; }
  size_t num_inputs() const { return op.inputs.size(); }

  // An InvalidArgument error prefixed with "op N (KIND): ".
  Status error(const std::string& message) const;
  // An Unsupported error naming the op and the dtypes of its inputs/outputs.
  Status unsupported_types() const;
};

struct EvalContext {
  const Op& op;
  const OpData* data;
  const std::vector<TensorInfo>& tensors;
  void* const* buffers;  // data pointer of every tensor for this invoke
  void* scratch;

  const TensorInfo& input_info(size_t i) const { return tensors[op.inputs[i]]; }
  const TensorInfo& output_info(size_t i) const { return tensors[op.outputs[i]]; }
  bool has_input(size_t i) const { return op.input(i) >= 0; }
  template <typename T>
  const T* input(size_t i) const {
    return op.input(i) < 0 ? nullptr : static_cast<const T*>(buffers[op.inputs[i]]);
  }
  template <typename T>
  T* output(size_t i) const {
    return static_cast<T*>(buffers[op.outputs[i]]);
  }
  template <typename D>
  const D& op_data() const {
    return *static_cast<const D*>(data);
  }
};

struct Kernel {
  const char* name;  // "reference", "optimized"
  Status (*prepare)(PrepareContext&);
  Status (*eval)(const EvalContext&);
};

// The reference kernel of each op kind, generated from ops.def. Each op's
// file defines `reference_kernel_<Kind>()`.
#define QL_OP(Kind, NAME, code, Options, min_in, max_in, n_out) const Kernel& reference_kernel_##Kind();
#include "quantlab/ir/ops.def"
#undef QL_OP

// The kernel to use for `op` given the options (optimized where one exists
// and the op's dtypes suit it, else reference). Null for opaque ops.
const Kernel* find_kernel(const Graph& graph, const Op& op, const KernelOptions& options);

}  // namespace quantlab
