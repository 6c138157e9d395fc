#include "quantlab/runtime/interpreter.h"

#include <algorithm>
#include <cstring>
#include <new>

#include "quantlab/runtime/memory_planner.h"

namespace quantlab {
namespace {

constexpr int64_t kArenaAlignment = 64;
constexpr size_t kChunksPerThread = 4;

struct AlignedDelete {
  void operator()(uint8_t* p) const { ::operator delete[](p, std::align_val_t(kArenaAlignment)); }
};

// Bytes of one sample of a model input/output. Shapes were validated in
// prepare, so the product cannot overflow.
int64_t sample_bytes(const TensorInfo& info) { return info.bytes(); }

// Batch shape for `samples` samples of a tensor whose per-sample shape is `s`.
Shape batch_shape(const Shape& s, int64_t samples) {
  if (s.empty()) return {static_cast<int32_t>(samples)};
  Shape b = s;
  b[0] = static_cast<int32_t>(b[0] * samples);
  return b;
}

}  // namespace

struct Interpreter::Worker {
  std::unique_ptr<uint8_t[], AlignedDelete> arena;
  std::vector<void*> buffers;  // per tensor: constant data or a place in the arena
};

Interpreter::~Interpreter() = default;

Result<std::unique_ptr<Interpreter>> Interpreter::create(const Graph& graph, const InterpreterOptions& options) {
  std::unique_ptr<Interpreter> interp(new Interpreter());
  interp->graph_ = graph;
  QL_RETURN_IF_ERROR(interp->prepare(options));
  QL_RETURN_IF_ERROR(interp->plan_memory(options.max_arena_bytes));
  return interp;
}

Status Interpreter::prepare(const InterpreterOptions& options) {
  QL_RETURN_IF_ERROR(validate(graph_));
  QL_ASSIGN_OR_RETURN(order_, topological_order(graph_));
  if (graph_.inputs.empty()) return invalid_argument("the model has no inputs");
  if (graph_.outputs.empty()) return invalid_argument("the model has no outputs");

  tensors_.resize(graph_.tensors.size());
  for (size_t t = 0; t < graph_.tensors.size(); ++t) {
    const Tensor& src = graph_.tensors[t];
    TensorInfo& info = tensors_[t];
    info.dtype = src.dtype;
    info.shape = src.shape;
    info.quant = &src.quant;
    info.constant = src.buffer >= 0 ? graph_.buffers[src.buffer].data() : nullptr;
  }

  // Every tensor an op reads must be a constant, a model input, or the output
  // of an op that runs earlier.
  std::vector<bool> available(graph_.tensors.size(), false);
  for (size_t t = 0; t < graph_.tensors.size(); ++t) available[t] = graph_.tensors[t].buffer >= 0;
  for (int32_t t : graph_.inputs) {
    if (graph_.tensors[t].buffer >= 0) return invalid_argument("model input " + describe_tensor(graph_, t) + " is a constant");
    if (graph_.tensors[t].dtype == DType::kString)
      return unsupported("model input " + describe_tensor(graph_, t) + " has type STRING");
    available[t] = true;
  }

  ops_.clear();
  ops_.resize(graph_.ops.size());
  for (int32_t oi : order_) {
    const Op& op = graph_.ops[oi];
    if (op.kind == OpKind::kOpaque)
      return unsupported(describe_op(graph_, oi) + ": the interpreter has no kernel for " + op_name(op) +
                         " (it can be inspected and rewritten, but not run)");
    for (size_t i = 0; i < op.inputs.size(); ++i) {
      const int32_t t = op.inputs[i];
      if (t >= 0 && !available[t])
        return invalid_argument(describe_op(graph_, oi) + " input " + std::to_string(i) + " " +
                                describe_tensor(graph_, t) + " is neither a constant, a model input nor computed earlier");
    }
    const Kernel* kernel = find_kernel(graph_, op, options.kernels);
    if (!kernel) return internal_error(describe_op(graph_, oi) + ": no kernel registered");
    PrepareContext ctx{graph_, op, oi, tensors_, options.kernels, nullptr, 0};
    QL_RETURN_IF_ERROR(kernel->prepare(ctx));
    for (int32_t t : op.outputs) {
      auto n = checked_num_elements(tensors_[t].shape);
      if (!n.ok()) return n.status().with_context(describe_op(graph_, oi) + " output " + describe_tensor(graph_, t));
      available[t] = true;
    }
    PreparedOp& p = ops_[oi];
    p.op_index = oi;
    p.kernel = kernel;
    p.data = std::move(ctx.data);
    p.scratch_offset = ctx.scratch_bytes;  // holds the size until plan_memory assigns an offset
  }
  for (int32_t t : graph_.outputs)
    if (!available[t]) return invalid_argument("model output " + describe_tensor(graph_, t) + " is never computed");

  pool_ = std::make_unique<ThreadPool>(options.threads);
  return Status::Ok();
}

Status Interpreter::plan_memory(int64_t max_arena_bytes) {
  const int steps = static_cast<int>(order_.size());
  const int32_t num_tensors = static_cast<int32_t>(tensors_.size());
  std::vector<int> first(num_tensors, -1), last(num_tensors, -1);
  auto touch = [&](int32_t t, int step) {
    if (t < 0 || tensors_[t].constant) return;
    if (first[t] < 0 || step < first[t]) first[t] = step;
    last[t] = std::max(last[t], step);
  };
  for (int32_t t : graph_.inputs) touch(t, 0);
  for (int s = 0; s < steps; ++s) {
    const Op& op = graph_.ops[order_[s]];
    for (int32_t t : op.inputs) touch(t, s);
    for (int32_t t : op.outputs) touch(t, s);
  }
  for (int32_t t : graph_.outputs) touch(t, steps);  // read back after the last op

  std::vector<BufferRequest> requests;
  std::vector<int32_t> owner;  // tensor index, or -(op index + 1) for scratch
  for (int32_t t = 0; t < num_tensors; ++t) {
    if (first[t] < 0) continue;
    requests.push_back({std::max<int64_t>(tensors_[t].bytes(), 1), first[t], last[t]});
    owner.push_back(t);
    unplanned_bytes_ += tensors_[t].bytes();
  }
  for (int s = 0; s < steps; ++s) {
    const int32_t oi = order_[s];
    const int64_t scratch = ops_[oi].scratch_offset;
    ops_[oi].scratch_offset = -1;
    if (scratch <= 0) continue;
    requests.push_back({scratch, s, s});
    owner.push_back(-(oi + 1));
    unplanned_bytes_ += scratch;
  }
  const MemoryPlan plan = plan_memory_greedy(requests, kArenaAlignment);
  if (plan.arena_bytes > max_arena_bytes)
    return resource_exhausted("the model needs " + std::to_string(plan.arena_bytes) +
                              " bytes of activation memory per thread, more than the limit of " +
                              std::to_string(max_arena_bytes));
  arena_bytes_ = plan.arena_bytes;
  offsets_.assign(num_tensors, -1);
  for (size_t r = 0; r < requests.size(); ++r) {
    if (owner[r] >= 0)
      offsets_[owner[r]] = plan.offsets[r];
    else
      ops_[-owner[r] - 1].scratch_offset = plan.offsets[r];
  }

  workers_.clear();
  for (int w = 0; w < pool_->size(); ++w) {
    auto worker = std::make_unique<Worker>();
    const size_t bytes = static_cast<size_t>(std::max<int64_t>(arena_bytes_, kArenaAlignment));
    worker->arena.reset(new (std::align_val_t(kArenaAlignment)) uint8_t[bytes]);
    std::memset(worker->arena.get(), 0, bytes);
    worker->buffers.assign(num_tensors, nullptr);
    for (int32_t t = 0; t < num_tensors; ++t) {
      if (tensors_[t].constant)
        worker->buffers[t] = const_cast<uint8_t*>(tensors_[t].constant);  // kernels only read inputs
      else if (offsets_[t] >= 0)
        worker->buffers[t] = worker->arena.get() + offsets_[t];
    }
    workers_.push_back(std::move(worker));
  }
  chunk_status_.assign(static_cast<size_t>(pool_->size()) * kChunksPerThread, Status::Ok());
  return Status::Ok();
}

Status Interpreter::run_sample(Worker& w, int64_t sample, const std::vector<const void*>& inputs,
                               const std::vector<void*>& outputs, Observer* observer) {
  for (size_t i = 0; i < graph_.inputs.size(); ++i) {
    const int32_t t = graph_.inputs[i];
    const int64_t n = sample_bytes(tensors_[t]);
    std::memcpy(w.buffers[t], static_cast<const uint8_t*>(inputs[i]) + sample * n, static_cast<size_t>(n));
  }
  if (observer) {
    std::vector<TensorView> views;
    for (int32_t t : graph_.inputs) views.push_back({t, &tensors_[t], w.buffers[t]});
    std::lock_guard<std::mutex> lock(observer_mutex_);
    observer->on_inputs(sample, views);
  }
  for (int32_t oi : order_) {
    const PreparedOp& p = ops_[oi];
    void* scratch = p.scratch_offset >= 0 ? w.arena.get() + p.scratch_offset : nullptr;
    // An op whose outputs hold no elements has nothing to compute. Kernels
    // loop over batches and window positions before channels, so a file
    // declaring [1, 4, 50000000, 0] would otherwise cost time for nothing.
    bool has_output_elements = false;
    for (int32_t t : graph_.ops[oi].outputs) has_output_elements |= tensors_[t].num_elements() > 0;
    if (has_output_elements) {
      EvalContext ctx{graph_.ops[oi], p.data.get(), tensors_, w.buffers.data(), scratch};
      Status s = p.kernel->eval(ctx);
      if (!s.ok()) return s.with_context(describe_op(graph_, oi));
    }
    if (observer) {
      std::vector<TensorView> views;
      for (int32_t t : graph_.ops[oi].outputs) views.push_back({t, &tensors_[t], w.buffers[t]});
      std::lock_guard<std::mutex> lock(observer_mutex_);
      observer->on_op_output(sample, oi, views);
    }
  }
  for (size_t i = 0; i < graph_.outputs.size(); ++i) {
    const int32_t t = graph_.outputs[i];
    const int64_t n = sample_bytes(tensors_[t]);
    std::memcpy(static_cast<uint8_t*>(outputs[i]) + sample * n, w.buffers[t], static_cast<size_t>(n));
  }
  return Status::Ok();
}

Status Interpreter::invoke(int64_t samples, const std::vector<const void*>& inputs,
                           const std::vector<void*>& outputs, Observer* observer) {
  if (inputs.size() != graph_.inputs.size())
    return invalid_argument("the model has " + std::to_string(graph_.inputs.size()) + " inputs but " +
                            std::to_string(inputs.size()) + " were given");
  if (outputs.size() != graph_.outputs.size())
    return invalid_argument("the model has " + std::to_string(graph_.outputs.size()) + " outputs but room for " +
                            std::to_string(outputs.size()) + " was given");
  if (samples <= 0) return Status::Ok();
  // Contiguous chunks, a few per thread so uneven samples still balance.
  // Without an observer nothing here allocates: the job is captured by one
  // reference, which std::function stores in place, and the chunk statuses
  // were allocated at prepare.
  struct Job {
    Interpreter* self;
    int64_t samples, per_chunk;
    const std::vector<const void*>* inputs;
    const std::vector<void*>* outputs;
    Observer* observer;
  };
  const int64_t chunks = std::min<int64_t>(samples, static_cast<int64_t>(chunk_status_.size()));
  const Job job{this, samples, (samples + chunks - 1) / chunks, &inputs, &outputs, observer};
  for (int64_t c = 0; c < chunks; ++c) chunk_status_[static_cast<size_t>(c)] = Status::Ok();
  pool_->run(chunks, [&job](int64_t chunk, int worker) {
    Interpreter& self = *job.self;
    const int64_t begin = chunk * job.per_chunk, end = std::min(job.samples, begin + job.per_chunk);
    for (int64_t s = begin; s < end; ++s) {
      Status st = self.run_sample(*self.workers_[worker], s, *job.inputs, *job.outputs, job.observer);
      if (!st.ok()) {
        self.chunk_status_[static_cast<size_t>(chunk)] = st.with_context("sample " + std::to_string(s));
        return;
      }
    }
  });
  for (int64_t c = 0; c < chunks; ++c)
    if (!chunk_status_[static_cast<size_t>(c)].ok()) return chunk_status_[static_cast<size_t>(c)];
  return Status::Ok();
}

Result<int64_t> Interpreter::batch_size_of(size_t input, const BatchView& batch) const {
  const TensorInfo& info = input_info(input);
  const std::string name = describe_tensor(graph_, graph_.inputs[input]);
  const Shape expected = batch_shape(info.shape, 1);
  auto mismatch = [&](const std::string& why) {
    Shape shown = expected;
    shown[0] = -1;
    std::string want = shape_to_string(shown);
    want.replace(want.find("-1"), 2, "N");
    return invalid_argument("model input " + std::to_string(input) + " (" + name + "): expected " + want + " " +
                            dtype_name(info.dtype) + ", got " + shape_to_string(batch.shape) + " " +
                            dtype_name(batch.dtype) + " (" + why + ")");
  };
  if (batch.dtype != info.dtype) return mismatch("wrong type");
  if (batch.shape.size() != expected.size()) return mismatch("wrong rank");
  for (size_t d = 1; d < expected.size(); ++d)
    if (batch.shape[d] != expected[d]) return mismatch("dimension " + std::to_string(d) + " differs");
  const int64_t lead = expected[0];
  if (lead <= 0 || batch.shape[0] % lead != 0) return mismatch("leading dimension is not a multiple of " + std::to_string(lead));
  return static_cast<int64_t>(batch.shape[0] / lead);
}

Result<std::vector<Interpreter::Output>> Interpreter::run(const std::vector<BatchView>& inputs, Observer* observer) {
  if (inputs.size() != num_inputs())
    return invalid_argument("the model has " + std::to_string(num_inputs()) + " inputs but " +
                            std::to_string(inputs.size()) + " were given");
  int64_t samples = -1;
  std::vector<const void*> in_ptrs;
  for (size_t i = 0; i < inputs.size(); ++i) {
    QL_ASSIGN_OR_RETURN(int64_t n, batch_size_of(i, inputs[i]));
    if (samples >= 0 && n != samples)
      return invalid_argument("model inputs disagree on the number of samples: " + std::to_string(samples) + " vs " +
                              std::to_string(n) + " for input " + std::to_string(i));
    samples = n;
    in_ptrs.push_back(inputs[i].data);
  }
  std::vector<Output> outputs(num_outputs());
  std::vector<void*> out_ptrs;
  for (size_t i = 0; i < num_outputs(); ++i) {
    const TensorInfo& info = output_info(i);
    outputs[i].dtype = info.dtype;
    outputs[i].shape = batch_shape(info.shape, samples);
    outputs[i].bytes.resize(static_cast<size_t>(sample_bytes(info) * samples));
    out_ptrs.push_back(outputs[i].bytes.data());
  }
  QL_RETURN_IF_ERROR(invoke(samples, in_ptrs, out_ptrs, observer));
  return outputs;
}

}  // namespace quantlab
