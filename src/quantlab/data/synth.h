// Synthetic datasets standing in for the study's wearable and ECG data,
// which cannot be downloaded here. They are SYNTHETIC: generated from
// simple physical and physiological models (docs/data.md describes them),
// never recordings. They have the layout and the difficulties of the real
// thing (very different channel scales, subject variation, co-occurring
// labels), so the whole pipeline can be exercised and compared.
//
// Every generator is deterministic per seed: each sample draws from its own
// stream derived from (seed, sample index), so a sample does not depend on
// how many others were generated.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "quantlab/core/status.h"
#include "quantlab/data/dataset.h"

namespace quantlab::synth {

// Human activity recognition from a wrist-worn device: windows of 100
// samples at 50 Hz (2 s) x 6 channels [acc_x, acc_y, acc_z in m/s^2,
// gyro_x, gyro_y, gyro_z in rad/s], x shaped [N, 100, 6, 1]; 6 classes
// (walking, running, stairs_up, stairs_down, sitting, lying) as class
// indices. Windows come from simulated subjects, and the splits are
// subject-disjoint (train 20, validation 5, test 5 subjects), as careful
// HAR evaluations split real data.
struct HarOptions {
  uint64_t seed = 1;
  int64_t num_windows = 6000;  // over all splits; >= 30
  int num_subjects = 30;       // >= 3
};
Result<DatasetSplits> generate_har(const HarOptions& options);

// Multi-label ECG: `leads` leads (12: I, II, III, aVR, aVL, aVF, V1-V6; fewer
// takes the first ones) x `length` samples at `sample_rate_hz`, in mV, x
// shaped [N, length, leads, 1]; 5 labels as multi-hot y [N, 5]: NORM (normal
// beat morphology), CD (conduction delay), STTC (ST/T change), HYP
// (hypertrophy-like voltage), ECT (ectopic beats). Labels co-occur (HYP
// raises the chance of STTC; ECT appears with any morphology). Records are
// independent; splits are 80/10/10 at random.
struct EcgOptions {
  uint64_t seed = 1;
  int64_t num_records = 4000;  // over all splits; >= 10
  int leads = 12;              // 1..12
  int length = 500;            // samples per record; >= 2 s worth
  double sample_rate_hz = 100.0;  // 50..1000
};
Result<DatasetSplits> generate_ecg(const EcgOptions& options);

// Label names, in label order.
const std::vector<std::string>& har_activity_names();
const std::vector<std::string>& ecg_label_names();
const std::vector<std::string>& har_channel_names();
const std::vector<std::string>& ecg_lead_names();

// Writes train.npz, val.npz and test.npz into `dir` (created if missing)
// and a README.txt that says the data is synthetic, how it was generated
// (`description`) and what each split holds.
Status write_splits(const std::string& dir, const DatasetSplits& splits, const std::string& description);

}  // namespace quantlab::synth
