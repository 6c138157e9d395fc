#include "quantlab/quant/op_rules.h"

#include <gtest/gtest.h>

#include <map>

namespace quantlab {
namespace {

// Generated from ops.def, so an op added there without a quantization rule
// fails here.
TEST(OpRules, EveryOpInOpsDefHasExactlyOneRule) {
  std::map<OpKind, int> count;
  for (const OpQuantRule& r : all_op_rules()) ++count[r.kind];
#define QL_OP(Kind, NAME, code, Options, min_in, max_in, n_out)                         \
  EXPECT_EQ(count[OpKind::k##Kind], 1) << #NAME " needs exactly one quantization rule"; \
  EXPECT_NE(find_op_rule(OpKind::k##Kind), nullptr) << #NAME;
#include "quantlab/ir/ops.def"
#undef QL_OP
  EXPECT_EQ(all_op_rules().size(), static_cast<size_t>(kNumOpKinds));
  EXPECT_EQ(find_op_rule(OpKind::kOpaque), nullptr);
}

// Each rule names a role for every input the op can have (a single repeated
// role for variadic ops), and a per-channel weight names a real axis.
TEST(OpRules, RolesFitTheArityInOpsDef) {
  for (const OpQuantRule& r : all_op_rules()) {
    const OpKindInfo& info = op_kind_info(r.kind);
    const int roles = static_cast<int>(r.inputs.size());
    const bool variadic = info.max_inputs > 3;
    EXPECT_EQ(roles, variadic ? 1 : info.max_inputs) << info.name;
    bool has_weight = false;
    for (InputRole role : r.inputs) has_weight |= role == InputRole::kWeight || role == InputRole::kWeightIfConstant;
    EXPECT_EQ(has_weight, r.dynamic_range) << info.name << ": only weighted ops have hybrid kernels";
    if (r.weight_channels != ChannelPolicy::kPerTensor) {
      EXPECT_GE(r.weight_channel_axis, 0) << info.name;
    }
    if (r.output == OutputParams::kFixed) {
      EXPECT_GT(r.fixed_scale, 0.f) << info.name;
    }
  }
}

// The facts below come from the int8 spec (TFLITE_NOTES.md), not from the table.
TEST(OpRules, FollowTheInt8Spec) {
  for (OpKind k : {OpKind::kSoftmax, OpKind::kLogistic}) {
    const OpQuantRule* r = find_op_rule(k);
    ASSERT_NE(r, nullptr);
    EXPECT_EQ(r->output, OutputParams::kFixed);
    EXPECT_EQ(r->fixed_scale, 1.f / 256.f);
    EXPECT_EQ(r->fixed_zero_point, -128);
  }
  for (OpKind k : {OpKind::kMaxPool2D, OpKind::kAveragePool2D, OpKind::kReshape, OpKind::kTranspose, OpKind::kPad,
                   OpKind::kSqueeze})
    EXPECT_EQ(find_op_rule(k)->output, OutputParams::kSameAsInput) << op_kind_name(k);
  EXPECT_EQ(find_op_rule(OpKind::kConcatenation)->output, OutputParams::kInputsMatchOutput);
  for (OpKind k : {OpKind::kAdd, OpKind::kMul, OpKind::kMean})
    EXPECT_EQ(find_op_rule(k)->output, OutputParams::kCalibrated) << op_kind_name(k);

  const OpQuantRule* conv = find_op_rule(OpKind::kConv2D);
  EXPECT_EQ(conv->role(1), InputRole::kWeight);
  EXPECT_EQ(conv->role(2), InputRole::kBias);
  EXPECT_TRUE(weight_per_channel(*conv, false));
  EXPECT_EQ(conv->weight_channel_axis, 0);
  const OpQuantRule* depthwise = find_op_rule(OpKind::kDepthwiseConv2D);
  EXPECT_TRUE(weight_per_channel(*depthwise, false));
  EXPECT_EQ(depthwise->weight_channel_axis, 3);
  const OpQuantRule* fc = find_op_rule(OpKind::kFullyConnected);
  EXPECT_FALSE(weight_per_channel(*fc, false));
  EXPECT_TRUE(weight_per_channel(*fc, true));
  EXPECT_EQ(fc->weight_channel_axis, 0);
  const OpQuantRule* bmm = find_op_rule(OpKind::kBatchMatMul);
  EXPECT_FALSE(weight_per_channel(*bmm, true));
  EXPECT_EQ(bmm->role(1), InputRole::kWeightIfConstant);
  EXPECT_EQ(find_op_rule(OpKind::kQuantize)->output, OutputParams::kNotQuantizable);
  EXPECT_EQ(find_op_rule(OpKind::kDequantize)->output, OutputParams::kNotQuantizable);
  // Variadic inputs repeat the last role.
  EXPECT_EQ(find_op_rule(OpKind::kConcatenation)->role(5), InputRole::kActivation);
}

}  // namespace
}  // namespace quantlab
