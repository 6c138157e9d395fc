// Float throughput of quantlab's optimized kernels against libtorch running
// the same network, with the same batch size and thread count, in one run.
//
//   ./build/quantlab_torch_bench                      # magic_wand and smartwatch-fat
//   ./build/quantlab_torch_bench --model m.tflite --arch bspc-lean --batch 256 --threads 2
//
// The torch network is built natively from the graph, as a torch user would
// write it: NCHW activations, OIHW filters, symmetric padding folded into the
// convolution (explicit padding only where TensorFlow's SAME pads unevenly),
// and the flatten before a dense layer taken in NCHW order with that layer's
// weight columns permuted to match. Both runs see the same inputs; the
// largest output difference is printed to show they compute the same thing.
// Each measurement alternates quantlab and torch batches so that machine load
// affects both alike, and reports the median batch time.
#include <dlfcn.h>
#include <torch/torch.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <limits>
#include <map>
#include <random>
#include <string>
#include <vector>

#include "quantlab/kernels/optimized/simd_level.h"
#include "quantlab/runtime/interpreter.h"
#include "quantlab/tflite/reader.h"
#include "quantlab/zoo/zoo.h"

namespace quantlab {
namespace {

using Sizes = std::vector<int64_t>;

// A torch value of one graph tensor. 4-D activations are held NCHW; a
// flatten of an NCHW tensor remembers the [H, W, C] it came from so the dense
// layer reading it can permute its weights instead of the data.
struct Value {
  torch::Tensor tensor;
  bool nchw = false;
  Sizes flattened_hwc;  // non-empty: a 2-D value flattened in NCHW order
};

std::pair<int64_t, int64_t> same_padding(int64_t in, int64_t kernel, int64_t stride, int64_t dilation) {
  const int64_t out = (in + stride - 1) / stride;
  const int64_t span = (kernel - 1) * dilation + 1;
  const int64_t total = std::max<int64_t>((out - 1) * stride + span - in, 0);
  return {total / 2, total - total / 2};
}

torch::Tensor constant(const Graph& g, int32_t t) {
  const Tensor& info = g.tensors[t];
  Sizes sizes(info.shape.begin(), info.shape.end());
  return torch::from_blob(const_cast<uint8_t*>(g.constant_bytes(t).data()), sizes, torch::kFloat32).clone();
}

torch::Tensor activate(torch::Tensor x, Activation a) {
  switch (a) {
    case Activation::kNone:
      return x;
    case Activation::kRelu:
      return torch::relu(x);
    case Activation::kRelu6:
      return torch::clamp(x, 0, 6);
    case Activation::kReluN1To1:
      return torch::clamp(x, -1, 1);
    case Activation::kTanh:
      return torch::tanh(x);
    case Activation::kSignBit:
      break;
  }
  return x;
}

// One op of the torch network: a closure over its prepared weights.
using TorchOp = std::function<void(std::map<int32_t, Value>&)>;

struct TorchNetwork {
  std::vector<TorchOp> ops;
  std::vector<int32_t> inputs, outputs;
  std::vector<Shape> input_shapes, output_shapes;
};

// Window geometry in torch terms: the padding to fold into the op when it is
// symmetric, else the explicit [left, right, top, bottom] padding.
struct TorchWindow {
  Sizes stride, dilation, kernel, symmetric{0, 0};
  std::vector<int64_t> explicit_pad;  // empty when symmetric
};

TorchWindow window(Padding padding, const Shape& in, int kh, int kw, int sh, int sw, int dh, int dw) {
  TorchWindow w;
  w.stride = {sh, sw};
  w.dilation = {dh, dw};
  w.kernel = {kh, kw};
  if (padding == Padding::kValid) return w;
  const auto [top, bottom] = same_padding(in[1], kh, sh, dh);
  const auto [left, right] = same_padding(in[2], kw, sw, dw);
  if (top == bottom && left == right)
    w.symmetric = {top, left};
  else
    w.explicit_pad = {left, right, top, bottom};
  return w;
}

Result<TorchNetwork> build_torch_network(const Graph& g) {
  TorchNetwork net;
  net.inputs = g.inputs;
  net.outputs = g.outputs;
  for (int32_t t : g.inputs) net.input_shapes.push_back(g.tensors[t].shape);
  for (int32_t t : g.outputs) net.output_shapes.push_back(g.tensors[t].shape);
  QL_ASSIGN_OR_RETURN(std::vector<int32_t> order, topological_order(g));
  for (int32_t oi : order) {
    const Op& op = g.ops[oi];
    const int32_t in = op.inputs.empty() ? -1 : op.inputs[0], out = op.outputs[0];
    const Shape in_shape = in >= 0 ? g.tensors[in].shape : Shape{};
    switch (op.kind) {
      case OpKind::kConv2D:
      case OpKind::kDepthwiseConv2D: {
        const bool depthwise = op.kind == OpKind::kDepthwiseConv2D;
        torch::Tensor w = constant(g, op.inputs[1]);
        // OHWI -> OIHW; depthwise [1, kh, kw, C * m] -> [C * m, 1, kh, kw].
        w = depthwise ? w.permute({3, 0, 1, 2}).contiguous() : w.permute({0, 3, 1, 2}).contiguous();
        torch::Tensor b = op.input(2) >= 0 ? constant(g, op.inputs[2]) : torch::Tensor();
        Padding padding;
        int sh, sw, dh, dw;
        Activation act;
        if (depthwise) {
          const auto& o = op.opts<DepthwiseConv2DOptions>();
          padding = o.padding, sh = o.stride_h, sw = o.stride_w, dh = o.dilation_h, dw = o.dilation_w,
          act = o.activation;
        } else {
          const auto& o = op.opts<Conv2DOptions>();
          padding = o.padding, sh = o.stride_h, sw = o.stride_w, dh = o.dilation_h, dw = o.dilation_w,
          act = o.activation;
        }
        const TorchWindow win =
            window(padding, in_shape, static_cast<int>(w.size(2)), static_cast<int>(w.size(3)), sh, sw, dh, dw);
        const int64_t groups = depthwise ? in_shape[3] : 1;
        net.ops.push_back([=](std::map<int32_t, Value>& v) {
          torch::Tensor x = v.at(in).tensor;
          if (!win.explicit_pad.empty()) x = torch::constant_pad_nd(x, win.explicit_pad, 0.0);
          v[out] = {activate(torch::conv2d(x, w, b, win.stride, win.symmetric, win.dilation, groups), act), true, {}};
        });
        break;
      }
      case OpKind::kMaxPool2D:
      case OpKind::kAveragePool2D: {
        const auto& o = op.opts<Pool2DOptions>();
        const TorchWindow win = window(o.padding, in_shape, o.filter_h, o.filter_w, o.stride_h, o.stride_w, 1, 1);
        const bool max = op.kind == OpKind::kMaxPool2D;
        if (!max && !win.explicit_pad.empty())
          return unsupported("the comparison cannot express an unevenly padded AVERAGE_POOL_2D");
        net.ops.push_back([=](std::map<int32_t, Value>& v) {
          torch::Tensor x = v.at(in).tensor;
          torch::Tensor y;
          if (max) {
            if (!win.explicit_pad.empty())
              x = torch::constant_pad_nd(x, win.explicit_pad, -std::numeric_limits<double>::infinity());
            y = torch::max_pool2d(x, win.kernel, win.stride, win.symmetric);
          } else {
            // TFLite averages over the in-bounds elements only.
            y = torch::avg_pool2d(x, win.kernel, win.stride, win.symmetric, false, /*count_include_pad=*/false);
          }
          v[out] = {activate(y, o.activation), true, {}};
        });
        break;
      }
      case OpKind::kReshape: {
        const Shape out_shape = g.tensors[out].shape;
        net.ops.push_back([=](std::map<int32_t, Value>& v) {
          const Value& x = v.at(in);
          const int64_t n = x.tensor.size(0);
          if (x.nchw && out_shape.size() == 2 && out_shape[0] == 1) {
            // A flatten: keep NCHW order; the dense layer permutes its weights.
            v[out] = {x.tensor.reshape({n, -1}), false, {in_shape[1], in_shape[2], in_shape[3]}};
            return;
          }
          torch::Tensor t = x.nchw ? x.tensor.permute({0, 2, 3, 1}) : x.tensor;
          Sizes sizes{n * out_shape[0]};
          sizes.insert(sizes.end(), out_shape.begin() + 1, out_shape.end());
          v[out] = {t.reshape(sizes), false, {}};
        });
        break;
      }
      case OpKind::kFullyConnected: {
        const auto& o = op.opts<FullyConnectedOptions>();
        const torch::Tensor w = constant(g, op.inputs[1]);
        const torch::Tensor b = op.input(2) >= 0 ? constant(g, op.inputs[2]) : torch::Tensor();
        // Weights for an NCHW-order flatten, prepared once per source shape.
        auto permuted = std::make_shared<std::map<Sizes, torch::Tensor>>();
        net.ops.push_back([=](std::map<int32_t, Value>& v) {
          const Value& x = v.at(in);
          torch::Tensor weights = w;
          if (!x.flattened_hwc.empty()) {
            auto it = permuted->find(x.flattened_hwc);
            if (it == permuted->end()) {
              const Sizes& s = x.flattened_hwc;
              torch::Tensor p = w.view({w.size(0), s[0], s[1], s[2]}).permute({0, 3, 1, 2}).reshape({w.size(0), -1});
              it = permuted->emplace(s, p.contiguous()).first;
            }
            weights = it->second;
          }
          torch::Tensor rows =
              x.nchw ? x.tensor.permute({0, 2, 3, 1}).reshape({-1, w.size(1)}) : x.tensor.reshape({-1, w.size(1)});
          v[out] = {activate(torch::linear(rows, weights, b), o.activation), false, {}};
        });
        break;
      }
      case OpKind::kSoftmax: {
        const float beta = op.opts<SoftmaxOptions>().beta;
        net.ops.push_back([=](std::map<int32_t, Value>& v) {
          torch::Tensor x = v.at(in).tensor;
          v[out] = {torch::softmax(beta == 1.f ? x : x * beta, -1), false, {}};
        });
        break;
      }
      case OpKind::kLogistic:
        net.ops.push_back([=](std::map<int32_t, Value>& v) {
          v[out] = {torch::sigmoid(v.at(in).tensor), v.at(in).nchw, {}};
        });
        break;
      case OpKind::kAdd: {
        const int32_t in2 = op.inputs[1];
        const Activation act = op.opts<AddOptions>().activation;
        net.ops.push_back([=](std::map<int32_t, Value>& v) {
          v[out] = {activate(v.at(in).tensor + v.at(in2).tensor, act), v.at(in).nchw, {}};
        });
        break;
      }
      case OpKind::kMean: {
        // Global average pooling over height and width, as the zoo uses it.
        const bool keep = op.opts<ReducerOptions>().keep_dims;
        net.ops.push_back([=](std::map<int32_t, Value>& v) {
          v[out] = {v.at(in).tensor.mean({2, 3}, keep), keep, {}};
        });
        break;
      }
      default:
        return unsupported("the torch comparison has no translation for " + op_name(op));
    }
  }
  return net;
}

// Runs the torch network on NCHW-converted inputs; returns outputs in the
// graph's layout, [N * leading dim, ...].
std::vector<torch::Tensor> run_torch(const TorchNetwork& net, const std::vector<torch::Tensor>& inputs) {
  std::map<int32_t, Value> values;
  for (size_t i = 0; i < inputs.size(); ++i) values[net.inputs[i]] = {inputs[i], inputs[i].dim() == 4, {}};
  for (const TorchOp& op : net.ops) op(values);
  std::vector<torch::Tensor> outputs;
  for (int32_t t : net.outputs) {
    const Value& v = values.at(t);
    outputs.push_back(v.nchw ? v.tensor.permute({0, 2, 3, 1}).contiguous() : v.tensor.contiguous());
  }
  return outputs;
}

double seconds_since(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

struct Options {
  std::vector<std::string> models;  // .tflite paths
  std::vector<std::string> archs;   // zoo architectures
  int64_t batch = 256;
  int threads = 2;
  double seconds = 3.0;  // per network, both runtimes together
};

Status compare(const std::string& name, const Graph& graph, const Options& options) {
  if (graph.inputs.size() != 1) return unsupported(name + ": the comparison feeds exactly one input");
  InterpreterOptions io;
  io.threads = options.threads;
  QL_ASSIGN_OR_RETURN(auto interp, Interpreter::create(graph, io));
  QL_ASSIGN_OR_RETURN(TorchNetwork net, build_torch_network(graph));

  const TensorInfo& in = interp->input_info(0);
  if (in.dtype != DType::kFloat32) return unsupported(name + ": not a float model");
  const int64_t n = options.batch, per_sample = in.num_elements();
  std::vector<float> x(static_cast<size_t>(n * per_sample));
  std::mt19937 rng(7);
  std::uniform_real_distribution<float> uniform(-1.f, 1.f);
  for (float& v : x) v = uniform(rng);
  std::vector<std::vector<uint8_t>> outputs;
  std::vector<void*> out_ptrs;
  for (size_t j = 0; j < interp->num_outputs(); ++j) {
    outputs.emplace_back(static_cast<size_t>(interp->output_info(j).bytes() * n));
    out_ptrs.push_back(outputs.back().data());
  }

  Sizes in_sizes{n * in.shape[0]};
  in_sizes.insert(in_sizes.end(), in.shape.begin() + 1, in.shape.end());
  torch::Tensor torch_input = torch::from_blob(x.data(), in_sizes, torch::kFloat32).clone();
  if (torch_input.dim() == 4) torch_input = torch_input.permute({0, 3, 1, 2}).contiguous();  // a torch user's NCHW data

  c10::InferenceMode inference;
  auto run_quantlab = [&] { return interp->invoke(n, {x.data()}, out_ptrs); };
  std::vector<torch::Tensor> torch_out;
  auto run_libtorch = [&] { torch_out = run_torch(net, {torch_input}); };

  for (int warm = 0; warm < 3; ++warm) {
    QL_RETURN_IF_ERROR(run_quantlab());
    run_libtorch();
  }
  std::vector<double> ql_times, torch_times;
  const auto start = std::chrono::steady_clock::now();
  while (seconds_since(start) < options.seconds || ql_times.size() < 5) {
    auto t0 = std::chrono::steady_clock::now();
    QL_RETURN_IF_ERROR(run_quantlab());
    ql_times.push_back(seconds_since(t0));
    t0 = std::chrono::steady_clock::now();
    run_libtorch();
    torch_times.push_back(seconds_since(t0));
  }

  double max_diff = 0, max_value = 0;
  const auto* ours = reinterpret_cast<const float*>(outputs[0].data());
  const torch::Tensor theirs = torch_out[0].reshape({-1});
  const float* t = theirs.data_ptr<float>();
  for (int64_t i = 0; i < theirs.numel(); ++i) {
    max_diff = std::max(max_diff, static_cast<double>(std::fabs(ours[i] - t[i])));
    max_value = std::max(max_value, static_cast<double>(std::fabs(t[i])));
  }
  const double ql = n / median(ql_times), tr = n / median(torch_times);
  std::printf("| %s | %lld | %d | %.0f | %.0f | %.2f | %.1e (of max %.2g) |\n", name.c_str(), static_cast<long long>(n),
              options.threads, ql, tr, ql / tr, max_diff, max_value);
  return Status::Ok();
}

int run(const Options& options) {
  torch::set_num_threads(options.threads);
  // The BLAS behind torch::linear keeps its own thread count.
  using SetThreads = void (*)(int);
  if (auto set = reinterpret_cast<SetThreads>(dlsym(RTLD_DEFAULT, "openblas_set_num_threads"))) set(options.threads);
  const char* wait_policy = std::getenv("OMP_WAIT_POLICY");
  std::printf("quantlab kernels: optimized (%s); libtorch %s, %d intra-op threads, OMP_WAIT_POLICY=%s\n\n",
              simd_level_name(best_simd_level()), TORCH_VERSION, torch::get_num_threads(),
              wait_policy != nullptr ? wait_policy : "(default)");
  std::printf(
      "| network | batch | threads | quantlab samples/s | libtorch samples/s | quantlab / libtorch | max |output diff| "
      "|\n");
  std::printf("|---|---:|---:|---:|---:|---:|---|\n");
  int failures = 0;
  for (const std::string& path : options.models) {
    auto graph = read_tflite_file(path);
    Status s = graph.ok() ? compare(path.substr(path.find_last_of('/') + 1), *graph, options) : graph.status();
    if (!s.ok()) std::fprintf(stderr, "%s: %s\n", path.c_str(), s.message().c_str()), ++failures;
  }
  for (const std::string& arch : options.archs) {
    auto request = zoo::default_request(arch);
    auto model = request.ok() ? zoo::build_model(*request) : Result<zoo::ZooModel>(request.status());
    Status s = model.ok() ? compare(arch + " (zoo, float)", model->graph, options) : model.status();
    if (!s.ok()) std::fprintf(stderr, "%s: %s\n", arch.c_str(), s.message().c_str()), ++failures;
  }
  return failures == 0 ? 0 : 1;
}

}  // namespace
}  // namespace quantlab

int main(int argc, char** argv) {
  // libtorch's OpenMP threads spin while they wait for work by default,
  // which on a machine busy with other processes steals the time slices its
  // own threads need (2-thread throughput dropped 10-20x in our runs).
  // quantlab's pool sleeps on a condition variable; give OpenMP the same
  // passive policy unless the caller chose one. libgomp reads the variable
  // when it is loaded, before main, hence the re-exec.
  if (std::getenv("OMP_WAIT_POLICY") == nullptr) {
    setenv("OMP_WAIT_POLICY", "PASSIVE", 1);
    execv("/proc/self/exe", argv);  // returns only on failure: carry on with the default policy
  }
  quantlab::Options options;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    auto next = [&]() -> std::string { return i + 1 < argc ? argv[++i] : ""; };
    if (a == "--model")
      options.models.push_back(next());
    else if (a == "--arch")
      options.archs.push_back(next());
    else if (a == "--batch")
      options.batch = std::max(1, std::atoi(next().c_str()));
    else if (a == "--threads")
      options.threads = std::max(1, std::atoi(next().c_str()));
    else if (a == "--seconds")
      options.seconds = std::atof(next().c_str());
    else {
      std::fprintf(stderr, "usage: %s [--model M.tflite]... [--arch NAME]... [--batch N] [--threads T] [--seconds S]\n",
                   argv[0]);
      return 2;
    }
  }
  if (options.models.empty() && options.archs.empty()) {
    options.models.push_back(std::string(QL_TESTDATA_DIR) + "/tflite/magic_wand.tflite");
    options.archs.push_back("smartwatch-fat");
  }
  return quantlab::run(options);
}
