// How each op kind is quantized, as data. One table, keyed by OpKind, says
// which inputs are activations, weights, biases or integer parameters, how
// the output's parameters are chosen and whether a hybrid (dynamic-range)
// kernel exists. The full-integer and dynamic-range passes read only this
// table; a test checks that every op in ops.def has exactly one rule.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "quantlab/ir/op_kind.h"

namespace quantlab {

enum class InputRole : uint8_t {
  kActivation,        // int8 asymmetric; a constant gets parameters from its own values
  kWeight,            // constant; int8 symmetric (see OpQuantRule::weight_channels)
  kWeightIfConstant,  // a weight when constant (BATCH_MATMUL's right operand), else an activation
  kBias,              // int32, scale = input scale x weight scale, zero point 0
  kIndex,             // integer parameter (shape, axes, paddings, permutation): left as is
};

enum class OutputParams : uint8_t {
  kCalibrated,         // from the output's calibrated range; the kernel rescales
  kFixed,              // fixed by the op's definition (OpQuantRule::fixed_*)
  kSameAsInput,        // input 0's parameters: the op only moves or selects values
  kInputsMatchOutput,  // calibrated; inputs with other parameters are requantized to it
  kNotQuantizable,     // the op converts between domains itself; a float model has none
};

enum class ChannelPolicy : uint8_t {
  kPerTensor,              // one scale for the whole weight
  kPerChannel,             // one scale per index of weight_channel_axis
  kPerChannelIfRequested,  // per tensor unless the options ask for per channel (FULLY_CONNECTED)
};

struct OpQuantRule {
  OpKind kind;
  // Role of input i; inputs beyond the list take the last role (variadic ops).
  std::vector<InputRole> inputs;
  OutputParams output = OutputParams::kCalibrated;
  float fixed_scale = 0.f;  // used when output == kFixed
  int32_t fixed_zero_point = 0;
  ChannelPolicy weight_channels = ChannelPolicy::kPerTensor;
  int32_t weight_channel_axis = -1;  // the output-channel axis of the weight
  // A hybrid kernel exists: dynamic-range quantization quantizes the weight.
  bool dynamic_range = false;

  InputRole role(size_t input) const { return input < inputs.size() ? inputs[input] : inputs.back(); }
};

// The rule for `kind`, or null when there is none (kOpaque, or an op added
// to ops.def without a rule, which op_rules_test catches).
const OpQuantRule* find_op_rule(OpKind kind);

// Whether the rule quantizes its weight per channel under `fc_per_channel`.
bool weight_per_channel(const OpQuantRule& rule, bool fc_per_channel);

// Every rule, for tests and documentation.
const std::vector<OpQuantRule>& all_op_rules();

}  // namespace quantlab
