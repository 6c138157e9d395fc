// Quantization-aware training: fine-tuning a float graph through fake
// quantization that mirrors the TFLite int8 conversion the quantizer
// performs, so the converted model computes what the trained one did.
//
//  - conv filters: symmetric int8 [-127, 127], one scale per output channel
//    (depthwise: per channel of the last dimension); dense weights and
//    constant BATCH_MATMUL operands: one symmetric scale per tensor;
//  - activations (the model input and every op output): asymmetric int8
//    with parameters from choose_activation_params of a moving-average
//    range (the batch min/max, decayed), frozen outside training;
//  - SOFTMAX and LOGISTIC outputs: the fixed 1/256, -128;
//  - ops whose output shares the input's parameters (MAX_POOL_2D,
//    AVERAGE_POOL_2D, RESHAPE, TRANSPOSE, SQUEEZE) reuse the input's range;
//  - rounding half away from zero; straight-through gradients inside the
//    representable range, zero outside.
// Exact zeros in conv and dense weights (a pruned model) stay zero.
// The learned ranges become a CalibrationTable for the quantizer.
//
// This header does not include libtorch.
#pragma once

#include <cstdint>
#include <vector>

#include "quantlab/core/status.h"
#include "quantlab/data/dataset.h"
#include "quantlab/ir/graph.h"
#include "quantlab/quant/calibration.h"
#include "quantlab/train/trainer.h"

namespace quantlab::train {

struct QatOptions {
  TrainOptions train;          // on_start/after_step are QAT's own
  double range_decay = 0.99;   // moving average: r = decay * r + (1 - decay) * batch value
  bool fc_per_channel = false; // dense weights per output channel (must match the conversion)
};

struct QatResult {
  TrainSummary summary;       // test metrics are those of the fake-quantized model
  CalibrationTable ranges;    // the learned activation ranges, by calibration key
};

// Trains `graph` in place with fake quantization and returns the ranges.
Result<QatResult> quantization_aware_train(Graph* graph, const Dataset& train_data, const Dataset& val,
                                           const Dataset* test, const QatOptions& options);

// Class predictions (argmax of the output; for one sigmoid output,
// probability >= 0.5) of the fake-quantized `graph` with the frozen
// `ranges`, through the torch bridge.
Result<std::vector<int32_t>> fake_quant_predictions(const Graph& graph, const CalibrationTable& ranges,
                                                    const Dataset& data, bool fc_per_channel = false);

}  // namespace quantlab::train
