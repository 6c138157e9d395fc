// Test support (header only, used by kernel tests): runs the single op of a
// hand-built graph through its kernel's prepare and eval, without the
// interpreter, so a test can check output shapes, values and prepare errors.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <map>
#include <vector>

#include "quantlab/kernels/kernel.h"

namespace quantlab {
namespace testing {

template <typename T>
std::vector<uint8_t> to_bytes(const std::vector<T>& values) {
  std::vector<uint8_t> bytes(values.size() * sizeof(T));
  if (!bytes.empty()) std::memcpy(bytes.data(), values.data(), bytes.size());
  return bytes;
}

template <typename T>
std::vector<T> from_bytes(const std::vector<uint8_t>& bytes) {
  std::vector<T> values(bytes.size() / sizeof(T));
  if (!values.empty()) std::memcpy(values.data(), bytes.data(), values.size() * sizeof(T));
  return values;
}

// Per-axis quantization parameters with symmetric (zero) zero points.
inline QuantParams per_axis_symmetric(std::vector<float> scales, int32_t axis) {
  QuantParams q;
  q.zero_point.assign(scales.size(), 0);
  q.scale = std::move(scales);
  q.axis = axis;
  return q;
}

// The int8 value a real number should quantize to, computed in double:
// round half away from zero, offset, saturate. Tests compare kernels'
// requantized outputs with this within 1 LSB.
inline int32_t reference_int8(double real, double scale, int32_t zero_point) {
  const double q = std::round(real / scale) + zero_point;
  return static_cast<int32_t>(std::min(127.0, std::max(-128.0, q)));
}

struct SingleOpRun {
  Status status;            // the first failure of prepare or eval
  Shape output_shape;       // as prepare computed it
  std::vector<uint8_t> output;  // bytes of output 0
};

// Runs g.ops[0]. `activations` holds the bytes of every non-constant input,
// keyed by tensor index; constants come from the graph.
inline SingleOpRun run_single_op(const Graph& g, const std::map<int32_t, std::vector<uint8_t>>& activations,
                                 KernelOptions options = {}) {
  SingleOpRun run;
  const Op& op = g.ops[0];
  const Kernel* kernel = find_kernel(g, op, options);
  if (kernel == nullptr) {
    run.status = internal_error("no kernel");
    return run;
  }
  std::vector<TensorInfo> infos(g.tensors.size());
  for (size_t t = 0; t < g.tensors.size(); ++t) {
    infos[t].dtype = g.tensors[t].dtype;
    infos[t].shape = g.tensors[t].shape;
    infos[t].quant = &g.tensors[t].quant;
    if (g.is_constant(static_cast<int32_t>(t))) infos[t].constant = g.constant_bytes(static_cast<int32_t>(t)).data();
  }
  PrepareContext prepare{g, op, 0, infos, options, nullptr, 0};
  run.status = kernel->prepare(prepare);
  if (!run.status.ok()) return run;
  const int32_t out = op.outputs[0];
  run.output_shape = infos[out].shape;

  std::vector<std::vector<uint8_t>> storage(g.tensors.size());
  std::vector<void*> buffers(g.tensors.size(), nullptr);
  for (int32_t t : op.inputs) {
    if (t < 0) continue;
    if (infos[t].constant != nullptr) {
      buffers[t] = const_cast<uint8_t*>(infos[t].constant);
      continue;
    }
    auto it = activations.find(t);
    if (it == activations.end() || static_cast<int64_t>(it->second.size()) != infos[t].bytes()) {
      run.status = invalid_argument("test supplied no data of the right size for tensor " + std::to_string(t));
      return run;
    }
    storage[t] = it->second;
    buffers[t] = storage[t].data();
  }
  storage[out].assign(static_cast<size_t>(infos[out].bytes()), 0);
  buffers[out] = storage[out].data();
  std::vector<uint64_t> scratch(static_cast<size_t>((prepare.scratch_bytes + 7) / 8) + 1);  // 8-byte aligned
  EvalContext eval{op, prepare.data.get(), infos, buffers.data(), scratch.data()};
  run.status = kernel->eval(eval);
  run.output = storage[out];
  return run;
}

}  // namespace testing
}  // namespace quantlab
