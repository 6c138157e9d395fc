#include "quantlab/quant/op_rules.h"

#include <utility>

namespace quantlab {
namespace {

using R = InputRole;
using O = OutputParams;

OpQuantRule rule(OpKind kind, std::vector<InputRole> inputs, OutputParams output) {
  OpQuantRule r;
  r.kind = kind;
  r.inputs = std::move(inputs);
  r.output = output;
  return r;
}

OpQuantRule fixed_output(OpKind kind, float scale, int32_t zero_point) {
  OpQuantRule r = rule(kind, {R::kActivation}, O::kFixed);
  r.fixed_scale = scale;
  r.fixed_zero_point = zero_point;
  return r;
}

OpQuantRule weighted(OpKind kind, std::vector<InputRole> inputs, ChannelPolicy channels, int32_t axis) {
  OpQuantRule r = rule(kind, std::move(inputs), O::kCalibrated);
  r.weight_channels = channels;
  r.weight_channel_axis = axis;
  r.dynamic_range = true;
  return r;
}

std::vector<OpQuantRule> make_rules() {
  // SOFTMAX and LOGISTIC outputs lie in [0, 1]: scale 1/256 with zero point
  // -128 covers [0, 255/256] with the finest step int8 allows.
  constexpr float kUnitIntervalScale = 1.f / 256.f;
  return {
      rule(OpKind::kAdd, {R::kActivation, R::kActivation}, O::kCalibrated),
      rule(OpKind::kAveragePool2D, {R::kActivation}, O::kSameAsInput),
      rule(OpKind::kConcatenation, {R::kActivation}, O::kInputsMatchOutput),
      // Filters are OHWI: output channels on axis 0.
      weighted(OpKind::kConv2D, {R::kActivation, R::kWeight, R::kBias}, ChannelPolicy::kPerChannel, 0),
      // Depthwise filters are [1, kh, kw, in * multiplier]: channels on axis 3.
      weighted(OpKind::kDepthwiseConv2D, {R::kActivation, R::kWeight, R::kBias}, ChannelPolicy::kPerChannel, 3),
      rule(OpKind::kDequantize, {R::kActivation}, O::kNotQuantizable),
      weighted(OpKind::kFullyConnected, {R::kActivation, R::kWeight, R::kBias}, ChannelPolicy::kPerChannelIfRequested,
               0),
      fixed_output(OpKind::kLogistic, kUnitIntervalScale, -128),
      rule(OpKind::kMaxPool2D, {R::kActivation}, O::kSameAsInput),
      rule(OpKind::kMul, {R::kActivation, R::kActivation}, O::kCalibrated),
      // RELU and RELU6 are calibrated on their own: their output range is
      // narrower than their input's, so a separate scale gains resolution.
      rule(OpKind::kRelu, {R::kActivation}, O::kCalibrated),
      rule(OpKind::kRelu6, {R::kActivation}, O::kCalibrated),
      rule(OpKind::kReshape, {R::kActivation, R::kIndex}, O::kSameAsInput),
      fixed_output(OpKind::kSoftmax, kUnitIntervalScale, -128),
      rule(OpKind::kPad, {R::kActivation, R::kIndex}, O::kSameAsInput),
      rule(OpKind::kTranspose, {R::kActivation, R::kIndex}, O::kSameAsInput),
      rule(OpKind::kMean, {R::kActivation, R::kIndex}, O::kCalibrated),
      rule(OpKind::kSqueeze, {R::kActivation}, O::kSameAsInput),
      rule(OpKind::kQuantize, {R::kActivation}, O::kNotQuantizable),
      weighted(OpKind::kBatchMatMul, {R::kActivation, R::kWeightIfConstant}, ChannelPolicy::kPerTensor, -1),
  };
}

}  // namespace

const std::vector<OpQuantRule>& all_op_rules() {
  static const std::vector<OpQuantRule> rules = make_rules();
  return rules;
}

const OpQuantRule* find_op_rule(OpKind kind) {
  for (const OpQuantRule& r : all_op_rules())
    if (r.kind == kind) return &r;
  return nullptr;
}

bool weight_per_channel(const OpQuantRule& rule, bool fc_per_channel) {
  switch (rule.weight_channels) {
    case ChannelPolicy::kPerTensor:
      return false;
    case ChannelPolicy::kPerChannel:
      return true;
    case ChannelPolicy::kPerChannelIfRequested:
      return fc_per_channel;
  }
  return false;
}

}  // namespace quantlab
