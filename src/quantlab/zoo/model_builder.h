// Building float graphs layer by layer, the way a Keras model converted to
// TFLite looks: each layer becomes its op(s) with a fused activation, tensor
// names follow the converter's "model/<layer>/<Op>" style (so `inspect` and
// the debugger show familiar names), and weights start from Keras's default
// initialization (Glorot-uniform kernels, zero biases) drawn from a seeded
// generator, so the same seed gives the same graph bytes everywhere.
//
// Every CONV_2D and FULLY_CONNECTED gets a bias, so that every runtime
// accepts the model. Shapes are [1, ...] per sample, NHWC, as ir/graph.h
// lays out.
#pragma once

#include <cstdint>
#include <map>
#include <random>
#include <string>
#include <vector>

#include "quantlab/ir/graph.h"

namespace quantlab::zoo {

struct Conv2DLayer {
  int filters = 1;               // output channels, >= 1
  int kernel_h = 3, kernel_w = 3;  // >= 1
  int stride_h = 1, stride_w = 1;  // >= 1
  Padding padding = Padding::kSame;
  Activation activation = Activation::kRelu;
};

// Output length of a window op along one axis (TensorFlow's rule): SAME
// keeps ceil(n / stride), VALID keeps ceil((n - kernel + 1) / stride), which
// is 0 when the window does not fit.
int32_t window_output_size(int32_t size, int32_t kernel, int32_t stride, Padding padding);

class ModelBuilder {
 public:
  // `seed` drives the weight initialization only.
  explicit ModelBuilder(uint64_t seed);

  // The model input: a float tensor of shape [1] + sample_shape, named as
  // converted Keras models name it.
  int32_t input(const Shape& sample_shape);

  // Preconditions for every layer: `x` is a tensor this builder returned,
  // and the layer's sizes are positive (the zoo checks them first).
  int32_t conv2d(int32_t x, const Conv2DLayer& layer);
  // MAX_POOL_2D with stride equal to the window.
  int32_t max_pool(int32_t x, int filter_h, int filter_w, Padding padding);
  // RESHAPE to [1, features] (a Keras Flatten), with the shape as an int32
  // constant input [-1, features] as the converter writes it.
  int32_t flatten(int32_t x);
  // MEAN over the two spatial axes without keep_dims: [1, H, W, C] -> [1, C].
  int32_t global_average_pool(int32_t x);
  // FULLY_CONNECTED with weights [units, in] and a bias.
  int32_t dense(int32_t x, int units, Activation activation);
  // Element-wise ADD of two tensors of the same shape.
  int32_t add(int32_t a, int32_t b, Activation activation);
  int32_t softmax(int32_t x);
  int32_t logistic(int32_t x);

  const Shape& shape(int32_t tensor) const { return graph_.tensors[tensor].shape; }

  // Marks `output` as the model output (renamed as the converter names
  // signature outputs) and returns the graph; the builder is spent.
  Graph finish(int32_t output, const std::string& description);

 private:
  // "conv2d", "conv2d_1", ... as Keras numbers layers of one type.
  std::string layer_name(const std::string& type);
  // A float constant of `shape` with Glorot-uniform values for fan_in/out.
  int32_t glorot_constant(const std::string& name, const Shape& shape, int64_t fan_in, int64_t fan_out);
  int32_t zeros_constant(const std::string& name, const Shape& shape);
  // The output tensor name of a layer with a fused activation.
  static std::string activation_output_name(const std::string& layer, Activation activation);
  int32_t add_op(OpKind kind, std::vector<int32_t> inputs, int32_t output, OpOptions options);

  Graph graph_;
  std::mt19937_64 rng_;
  std::map<std::string, int> layer_counts_;
};

}  // namespace quantlab::zoo
