// The interpreter: plan -> prepare -> invoke.
//
// `create` validates the graph, orders the ops by their edges, picks a kernel
// per op and runs every kernel's prepare (shapes, multipliers, packed
// weights), then plans one arena per worker thread in which activation
// buffers whose lifetimes do not overlap share memory. `invoke` only copies
// inputs in, runs the kernels' eval functions and copies outputs out.
//
// Batching: one sample is one execution of the graph with the shapes the file
// declares. A batch stacks samples along dimension 0 of every model input and
// output (so a model input [1, 100, 6, 1] takes arrays [N, 100, 6, 1]); the
// samples of a batch are split across threads. Each sample is computed on
// its own, so results never depend on batch size or thread count.
#pragma once

#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "quantlab/core/status.h"
#include "quantlab/core/thread_pool.h"
#include "quantlab/ir/graph.h"
#include "quantlab/kernels/kernel.h"

namespace quantlab {

struct InterpreterOptions {
  KernelOptions kernels;               // rounding style and kernel family
  int threads = 0;                     // <= 0: one per core
  int64_t max_arena_bytes = int64_t{1} << 31;  // refuse plans needing more per thread
};

// A read-only look at one tensor of one sample during invoke.
struct TensorView {
  int32_t tensor;            // graph tensor index
  const TensorInfo* info;    // dtype, shape, quantization
  const void* data;
};

// Sees every op's outputs as invoke runs. Calls are serialized (never two at
// once) but, with several threads, samples arrive in no particular order:
// use `sample` (index within the batch) to keep results apart.
class Observer {
 public:
  virtual ~Observer() = default;
  // Called once per sample with the model inputs, before any op runs.
  virtual void on_inputs(int64_t /*sample*/, const std::vector<TensorView>& /*inputs*/) {}
  // Called after `op_index` has run on `sample`.
  virtual void on_op_output(int64_t sample, int32_t op_index, const std::vector<TensorView>& outputs) = 0;
};

// A batch of values for one model input or output, row-major, leading
// dimension = samples x the file's leading dimension.
struct BatchView {
  DType dtype;
  Shape shape;
  const void* data;
};

class Interpreter {
 public:
  // Plans and prepares `graph` (copied; the interpreter does not refer to the
  // caller's graph afterwards). Errors name the op, tensor and bad value.
  static Result<std::unique_ptr<Interpreter>> create(const Graph& graph, const InterpreterOptions& options = {});
  ~Interpreter();

  const Graph& graph() const { return graph_; }
  size_t num_inputs() const { return graph_.inputs.size(); }
  size_t num_outputs() const { return graph_.outputs.size(); }
  // Shape/dtype/quantization of one sample of model input/output i.
  const TensorInfo& input_info(size_t i) const { return tensors_[graph_.inputs[i]]; }
  const TensorInfo& output_info(size_t i) const { return tensors_[graph_.outputs[i]]; }
  const TensorInfo& tensor_info(int32_t t) const { return tensors_[t]; }
  // Op indices in execution order.
  const std::vector<int32_t>& execution_order() const { return order_; }
  // Bytes of activation memory one worker needs (the planned peak).
  int64_t arena_bytes() const { return arena_bytes_; }
  // Bytes of activation memory without buffer reuse, for comparison.
  int64_t unplanned_bytes() const { return unplanned_bytes_; }
  int threads() const { return pool_->size(); }
  // Name of the kernel chosen for op i ("reference", "optimized").
  const char* kernel_name(int32_t op_index) const { return ops_[op_index].kernel->name; }

  // Number of samples in a batch array for input i, or an error if its dtype
  // or trailing dimensions do not match the model input.
  Result<int64_t> batch_size_of(size_t input, const BatchView& batch) const;

  // Runs `samples` samples. inputs[i] points to samples x bytes-per-sample of
  // input i in its dtype; outputs[i] to room for samples x bytes-per-sample of
  // output i. The observer, if any, sees every op's outputs.
  Status invoke(int64_t samples, const std::vector<const void*>& inputs, const std::vector<void*>& outputs,
                Observer* observer = nullptr);

  // Checked form: validates each input batch against the model (dtype and
  // shape, "expected [N, 128, 3, 1] FLOAT32, got ...") and returns the
  // outputs as contiguous byte arrays with their shapes.
  struct Output {
    DType dtype;
    Shape shape;
    std::vector<uint8_t> bytes;
  };
  Result<std::vector<Output>> run(const std::vector<BatchView>& inputs, Observer* observer = nullptr);

 private:
  struct PreparedOp {
    int32_t op_index;
    const Kernel* kernel;
    std::unique_ptr<OpData> data;
    int64_t scratch_offset = 0;
  };
  struct Worker;

  Interpreter() = default;
  Status prepare(const InterpreterOptions& options);
  Status plan_memory(int64_t max_arena_bytes);
  Status run_sample(Worker& w, int64_t sample, const std::vector<const void*>& inputs,
                    const std::vector<void*>& outputs, Observer* observer);

  Graph graph_;
  std::vector<TensorInfo> tensors_;
  std::vector<int32_t> order_;
  std::vector<PreparedOp> ops_;        // indexed by op index
  std::vector<int64_t> offsets_;       // arena offset per tensor, -1 for constants
  int64_t arena_bytes_ = 0;
  int64_t unplanned_bytes_ = 0;
  std::unique_ptr<ThreadPool> pool_;
  std::vector<std::unique_ptr<Worker>> workers_;
  // One status per chunk of an invoke (at most four chunks per thread),
  // allocated once so that invoke itself never allocates.
  std::vector<Status> chunk_status_;
  std::mutex observer_mutex_;
};

}  // namespace quantlab
