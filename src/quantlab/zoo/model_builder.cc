#include "quantlab/zoo/model_builder.h"

#include <cmath>
#include <cstring>

namespace quantlab::zoo {
namespace {

std::vector<uint8_t> float_bytes(const std::vector<float>& values) {
  std::vector<uint8_t> bytes(values.size() * sizeof(float));
  if (!values.empty()) std::memcpy(bytes.data(), values.data(), bytes.size());
  return bytes;
}

std::vector<uint8_t> int32_bytes(const std::vector<int32_t>& values) {
  std::vector<uint8_t> bytes(values.size() * sizeof(int32_t));
  if (!values.empty()) std::memcpy(bytes.data(), values.data(), bytes.size());
  return bytes;
}

// A uniform double in [0, 1) from the top 53 bits of one draw. Written out
// rather than taken from <random>'s distributions, whose algorithms the
// standard leaves to each library: mt19937_64's raw sequence is fixed by
// the standard, so the weights are the same with every compiler.
double unit_uniform(std::mt19937_64& rng) { return static_cast<double>(rng() >> 11) * 0x1.0p-53; }

}  // namespace

int32_t window_output_size(int32_t size, int32_t kernel, int32_t stride, Padding padding) {
  if (padding == Padding::kSame) return (size + stride - 1) / stride;
  const int32_t span = size - kernel + 1;
  return span <= 0 ? 0 : (span + stride - 1) / stride;
}

ModelBuilder::ModelBuilder(uint64_t seed) : rng_(seed) { graph_.name = "main"; }

std::string ModelBuilder::layer_name(const std::string& type) {
  const int n = layer_counts_[type]++;
  return n == 0 ? type : type + "_" + std::to_string(n);
}

int32_t ModelBuilder::glorot_constant(const std::string& name, const Shape& shape, int64_t fan_in,
                                      int64_t fan_out) {
  // Glorot & Bengio's uniform limit keeps the activation variance roughly
  // constant from layer to layer at initialization.
  const double limit = std::sqrt(6.0 / static_cast<double>(fan_in + fan_out));
  std::vector<float> values(static_cast<size_t>(num_elements(shape)));
  for (float& v : values) v = static_cast<float>((2.0 * unit_uniform(rng_) - 1.0) * limit);
  return graph_.add_constant(name, DType::kFloat32, shape, float_bytes(values));
}

int32_t ModelBuilder::zeros_constant(const std::string& name, const Shape& shape) {
  return graph_.add_constant(name, DType::kFloat32, shape,
                             std::vector<uint8_t>(static_cast<size_t>(num_elements(shape)) * sizeof(float), 0));
}

std::string ModelBuilder::activation_output_name(const std::string& layer, Activation activation) {
  switch (activation) {
    case Activation::kRelu: return layer + "/Relu;" + layer + "/BiasAdd";
    case Activation::kRelu6: return layer + "/Relu6;" + layer + "/BiasAdd";
    default: return layer + "/BiasAdd";
  }
}

int32_t ModelBuilder::add_op(OpKind kind, std::vector<int32_t> inputs, int32_t output, OpOptions options) {
  Op op;
  op.kind = kind;
  op.inputs = std::move(inputs);
  op.outputs = {output};
  op.options = std::move(options);
  graph_.ops.push_back(std::move(op));
  return output;
}

int32_t ModelBuilder::input(const Shape& sample_shape) {
  Shape shape{1};
  shape.insert(shape.end(), sample_shape.begin(), sample_shape.end());
  const int32_t t = graph_.add_activation("serving_default_x:0", DType::kFloat32, shape);
  graph_.inputs.push_back(t);
  return t;
}

int32_t ModelBuilder::conv2d(int32_t x, const Conv2DLayer& layer) {
  const Shape in = shape(x);
  const int32_t in_channels = in[3];
  const std::string name = "model/" + layer_name("conv2d");
  const int32_t filter =
      glorot_constant(name + "/Conv2D", {layer.filters, layer.kernel_h, layer.kernel_w, in_channels},
                      int64_t{layer.kernel_h} * layer.kernel_w * in_channels,
                      int64_t{layer.kernel_h} * layer.kernel_w * layer.filters);
  const int32_t bias = zeros_constant(name + "/BiasAdd/ReadVariableOp", {layer.filters});
  const Shape out_shape{1, window_output_size(in[1], layer.kernel_h, layer.stride_h, layer.padding),
                        window_output_size(in[2], layer.kernel_w, layer.stride_w, layer.padding), layer.filters};
  const int32_t out =
      graph_.add_activation(activation_output_name(name, layer.activation), DType::kFloat32, out_shape);
  Conv2DOptions options;
  options.padding = layer.padding;
  options.stride_h = layer.stride_h;
  options.stride_w = layer.stride_w;
  options.activation = layer.activation;
  return add_op(OpKind::kConv2D, {x, filter, bias}, out, options);
}

int32_t ModelBuilder::max_pool(int32_t x, int filter_h, int filter_w, Padding padding) {
  const Shape in = shape(x);
  const std::string name = "model/" + layer_name("max_pooling2d");
  const Shape out_shape{1, window_output_size(in[1], filter_h, filter_h, padding),
                        window_output_size(in[2], filter_w, filter_w, padding), in[3]};
  const int32_t out = graph_.add_activation(name + "/MaxPool", DType::kFloat32, out_shape);
  Pool2DOptions options;
  options.padding = padding;
  options.filter_h = filter_h;
  options.filter_w = filter_w;
  options.stride_h = filter_h;
  options.stride_w = filter_w;
  return add_op(OpKind::kMaxPool2D, {x}, out, options);
}

int32_t ModelBuilder::flatten(int32_t x) {
  const Shape in = shape(x);
  const auto features = static_cast<int32_t>(num_elements(in) / in[0]);
  const std::string name = "model/" + layer_name("flatten");
  const int32_t target = graph_.add_constant(name + "/Const", DType::kInt32, {2}, int32_bytes({-1, features}));
  const int32_t out = graph_.add_activation(name + "/Reshape", DType::kFloat32, {1, features});
  ReshapeOptions options;
  options.has_new_shape = true;
  options.new_shape = {-1, features};
  return add_op(OpKind::kReshape, {x, target}, out, options);
}

int32_t ModelBuilder::global_average_pool(int32_t x) {
  const Shape in = shape(x);
  const std::string name = "model/" + layer_name("global_average_pooling2d");
  const int32_t axes =
      graph_.add_constant(name + "/Mean/reduction_indices", DType::kInt32, {2}, int32_bytes({1, 2}));
  const int32_t out = graph_.add_activation(name + "/Mean", DType::kFloat32, {1, in[3]});
  ReducerOptions options;
  options.keep_dims = false;
  return add_op(OpKind::kMean, {x, axes}, out, options);
}

int32_t ModelBuilder::dense(int32_t x, int units, Activation activation) {
  const Shape in = shape(x);
  const int32_t features = in.back();
  const std::string name = "model/" + layer_name("dense");
  const int32_t weights = glorot_constant(name + "/MatMul", {units, features}, features, units);
  const int32_t bias = zeros_constant(name + "/BiasAdd/ReadVariableOp", {units});
  const int32_t out = graph_.add_activation(activation_output_name(name, activation), DType::kFloat32, {1, units});
  FullyConnectedOptions options;
  options.activation = activation;
  return add_op(OpKind::kFullyConnected, {x, weights, bias}, out, options);
}

int32_t ModelBuilder::add(int32_t a, int32_t b, Activation activation) {
  const std::string name = "model/" + layer_name("add");
  const std::string out_name = activation == Activation::kRelu ? name + "/Relu;" + name + "/add" : name + "/add";
  const int32_t out = graph_.add_activation(out_name, DType::kFloat32, shape(a));
  AddOptions options;
  options.activation = activation;
  return add_op(OpKind::kAdd, {a, b}, out, options);
}

int32_t ModelBuilder::softmax(int32_t x) {
  const int32_t out = graph_.add_activation("model/" + layer_name("softmax") + "/Softmax", DType::kFloat32, shape(x));
  return add_op(OpKind::kSoftmax, {x}, out, SoftmaxOptions{});
}

int32_t ModelBuilder::logistic(int32_t x) {
  const int32_t out = graph_.add_activation("model/" + layer_name("sigmoid") + "/Sigmoid", DType::kFloat32, shape(x));
  return add_op(OpKind::kLogistic, {x}, out, NoOptions{});
}

Graph ModelBuilder::finish(int32_t output, const std::string& description) {
  graph_.tensors[output].name = "StatefulPartitionedCall:0";
  graph_.outputs = {output};
  graph_.description = description;
  SignatureDef signature;
  signature.key = "serving_default";
  signature.inputs = {{"x", graph_.inputs[0]}};
  signature.outputs = {{"output_0", output}};
  graph_.signatures.push_back(signature);
  return std::move(graph_);
}

}  // namespace quantlab::zoo
