// Synthetic multi-lead ECG from a moving-dipole beat model.
//
// The heart is a single electrical dipole whose moment over a beat is a sum
// of Gaussian waves in time (P, Q, R, S, T, each with an amplitude and a 3-D
// direction). Each lead records the projection of the dipole on its lead
// vector, so the twelve leads are consistent with one another (III = II - I,
// aVR = -(I + II) / 2 hold by construction). Records differ in heart rate,
// rate variability, electrical axis, voltage, normal-variant morphology
// (QRS width and voltage, T size, early repolarization), baseline wander,
// motion artifacts and noise; labels change the morphology:
//   CD    wider QRS and a late terminal wave (bundle-branch-block-like),
//         with the T wave turned away from it;
//   HYP   higher QRS voltage, turned left and posterior, deeper S;
//   STTC  a shifted ST segment in a record-specific direction and a
//         flattened or inverted T wave;
//   ECT   premature beats from one ectopic focus: ventricular (wide, no P
//         wave, compensatory pause) or supraventricular (normal QRS after
//         an odd P wave, rhythm reset);
//   NORM  none of CD, HYP, STTC (ectopic beats may still occur).
// Each abnormality has a latent severity and is labelled only when a
// (noisy) reader would call it, so mild cases overlap normal variants.
#include <array>
#include <cmath>

#include "quantlab/data/synth.h"
#include "quantlab/data/synth_random.h"

namespace quantlab::synth {
namespace {

constexpr double kDeg = M_PI / 180.0;
enum Label { kNorm, kCd, kSttc, kHyp, kEct, kNumLabels };

using Vec3 = std::array<double, 3>;  // x: left, y: inferior (down), z: anterior

Vec3 normalized(const Vec3& v) {
  const double n = std::sqrt(v[0] * v[0] + v[1] * v[1] + v[2] * v[2]);
  return {v[0] / n, v[1] / n, v[2] / n};
}
Vec3 blend(const Vec3& a, const Vec3& b, double w) {
  return normalized({a[0] * (1 - w) + b[0] * w, a[1] * (1 - w) + b[1] * w, a[2] * (1 - w) + b[2] * w});
}
// Rotations of the electrical axis: in the frontal plane (about z) and the
// horizontal plane (about y).
Vec3 rotate_frontal(const Vec3& v, double a) {
  return {v[0] * std::cos(a) - v[1] * std::sin(a), v[0] * std::sin(a) + v[1] * std::cos(a), v[2]};
}
Vec3 rotate_horizontal(const Vec3& v, double a) {
  return {v[0] * std::cos(a) - v[2] * std::sin(a), v[1], v[0] * std::sin(a) + v[2] * std::cos(a)};
}

// Lead vectors: limb leads in the frontal plane at their conventional
// angles (0 deg = left, +90 = inferior; augmented leads sqrt(3)/2 as long),
// chest leads around the horizontal plane from V1 (right of the sternum,
// anterior) to V6 (left lateral), closer to the heart and so larger.
std::array<Vec3, 12> lead_vectors() {
  std::array<Vec3, 12> leads{};
  const double frontal[6] = {0, 60, 120, -150, -30, 90};
  const double gain[6] = {1, 1, 1, 0.866, 0.866, 0.866};
  for (int i = 0; i < 6; ++i)
    leads[i] = {gain[i] * std::cos(frontal[i] * kDeg), gain[i] * std::sin(frontal[i] * kDeg), 0.0};
  const double horizontal[6] = {115, 95, 75, 55, 30, 5};
  for (int i = 0; i < 6; ++i)
    leads[6 + i] = {1.3 * std::cos(horizontal[i] * kDeg), 1.3 * 0.15, 1.3 * std::sin(horizontal[i] * kDeg)};
  return leads;
}

struct Wave {
  double time;       // seconds after the R peak (negative: before)
  double width;      // Gaussian sigma, seconds
  double amplitude;  // mV
  Vec3 direction;
};

struct Record {
  std::array<bool, kNumLabels> labels{};
  std::vector<Wave> sinus_beat;    // waves of a normal (sinus) beat
  std::vector<Wave> ectopic_beat;  // waves of an ectopic beat
  bool ventricular_ectopy = true;  // else supraventricular (normal QRS, early)
  double rr = 1.0;                 // mean beat interval, s
};

// Each abnormality has a latent severity: 0 when absent, uniform in
// [0.05, 1] when present. Readers label it when the severity, seen through
// their own judgement (noise 0.08), exceeds 0.2: mild cases go unlabelled,
// and near the threshold either call happens, as between real readers.
double draw_severity(SynthRandom& r, double prevalence) { return r.chance(prevalence) ? r.uniform(0.05, 1.0) : 0.0; }
bool read_as_present(SynthRandom& r, double severity) { return severity > 0.0 && severity + r.normal(0.0, 0.08) > 0.2; }

Record make_record(SynthRandom& r) {
  Record rec;
  const double cd = draw_severity(r, 0.26);
  const double hyp = draw_severity(r, 0.24);
  // Hypertrophy strains the repolarization: ST/T changes come with it often.
  const double sttc = draw_severity(r, hyp > 0.0 ? 0.6 : 0.2);
  rec.labels[kCd] = read_as_present(r, cd);
  rec.labels[kHyp] = read_as_present(r, hyp);
  rec.labels[kSttc] = read_as_present(r, sttc);
  rec.labels[kEct] = r.chance(0.20);
  rec.labels[kNorm] = !(rec.labels[kCd] || rec.labels[kHyp] || rec.labels[kSttc]);

  const double heart_rate = r.uniform(55.0, 100.0);
  rec.rr = 60.0 / heart_rate;
  const double voltage = std::exp(r.normal(0.0, 0.2));
  const double frontal_axis = r.normal(0.0, 15.0 * kDeg);
  const double horizontal_axis = r.normal(0.0, 12.0 * kDeg);
  auto axis = [&](const Vec3& v) { return rotate_horizontal(rotate_frontal(normalized(v), frontal_axis), horizontal_axis); };
  // Repolarization shortens with rate (Bazett-like: QT ~ sqrt(RR)).
  const double t_time = 0.30 * std::sqrt(rec.rr);

  Wave p{-0.16, 0.022, 0.18, axis({0.6, 0.75, 0.2})};
  Wave q{-0.028, 0.008, 0.12, axis({-0.6, -0.2, 0.75})};
  Wave rw{0.0, 0.011, 1.3, axis({0.75, 0.55, -0.35})};
  Wave s{0.032, 0.011, 0.45, axis({-0.3, -0.5, -0.8})};
  Wave t{t_time, 0.045, 0.35, axis({0.6, 0.6, 0.3})};
  std::vector<Wave> extra;

  // Normal variation, present in every record and overlapping the mild
  // abnormal cases: QRS width and voltage, T-wave size, early-repolarization
  // ST elevation, and a small terminal wave (incomplete-block pattern).
  const double qrs_width = r.uniform(0.85, 1.25);
  rw.width *= qrs_width;
  s.width *= qrs_width;
  const double qrs_voltage = std::exp(r.normal(0.0, 0.2));
  rw.amplitude *= qrs_voltage;
  s.amplitude *= qrs_voltage;
  t.amplitude *= r.uniform(0.6, 1.3);
  extra.push_back({0.1 + 0.02 * rec.rr, 0.05, r.uniform(0.0, 0.06), t.direction});
  if (r.chance(0.1)) extra.push_back({0.05, 0.014, r.uniform(0.0, 0.15), axis({-0.5, 0.1, 0.85})});

  if (hyp > 0.0) {
    rw.amplitude *= 1.0 + 1.2 * hyp;
    rw.direction = blend(rw.direction, axis({0.85, 0.2, -0.5}), 0.5 * hyp);
    s.amplitude *= 1.0 + 1.3 * hyp;
    p.amplitude *= 1.0 + 0.3 * hyp;
  }
  if (cd > 0.0) {
    rw.width *= 1.0 + 1.0 * cd;
    s.width *= 1.0 + 1.2 * cd;
    s.time += 0.02 * cd;
    const Wave late{0.05 + 0.03 * cd, 0.014 * (1.0 + cd), 0.6 * cd, axis({-0.5, 0.1, 0.85})};
    extra.push_back(late);
    const Vec3 away{-late.direction[0], -late.direction[1], -late.direction[2]};
    t.direction = blend(t.direction, away, 0.5 * cd);
  }
  if (sttc > 0.0) {
    const Vec3 shift{r.normal(), r.normal(), r.normal()};
    extra.push_back({0.12 + 0.02 * rec.rr, 0.05, 0.2 * sttc, normalized(shift)});
    t.amplitude *= 1.0 - 1.5 * sttc;  // flattened, inverted when severe
  }
  for (Wave* w : {&p, &q, &rw, &s, &t}) w->amplitude *= voltage;
  for (Wave& w : extra) w.amplitude *= voltage;
  rec.sinus_beat = {p, q, rw, s, t};
  rec.sinus_beat.insert(rec.sinus_beat.end(), extra.begin(), extra.end());

  // One ectopic focus per record. Ventricular: a wide QRS pointing wherever
  // the focus sends it, no P wave, a T wave pointing the other way.
  // Supraventricular: the normal QRS and T after a differently shaped P.
  rec.ventricular_ectopy = r.chance(0.6);
  if (rec.ventricular_ectopy) {
    const Vec3 focus = normalized({r.normal(), r.normal(), r.normal()});
    const double width = r.uniform(0.022, 0.04);
    const double amplitude = r.uniform(0.6, 2.0) * voltage;
    rec.ectopic_beat = {{0.0, width, amplitude, focus},
                        {0.3, 0.06, 0.45 * amplitude, {-focus[0], -focus[1], -focus[2]}}};
  } else {
    const Vec3 atrial_focus = normalized({r.normal(), r.normal(), r.normal()});
    rec.ectopic_beat = rec.sinus_beat;
    rec.ectopic_beat[0] = {-0.12, 0.02, 0.12 * voltage, atrial_focus};
  }
  return rec;
}

// Adds one beat's dipole moment, centred at `beat_time`, into `dipole`
// (3 values per sample).
void add_beat(const std::vector<Wave>& waves, double beat_time, double rate, std::vector<double>& dipole) {
  const int64_t samples = static_cast<int64_t>(dipole.size() / 3);
  for (const Wave& w : waves) {
    const double centre = (beat_time + w.time) * rate;
    const double reach = 5.0 * w.width * rate;
    const int64_t first = std::max<int64_t>(0, static_cast<int64_t>(std::floor(centre - reach)));
    const int64_t last = std::min<int64_t>(samples - 1, static_cast<int64_t>(std::ceil(centre + reach)));
    for (int64_t i = first; i <= last; ++i) {
      const double z = (i - centre) / (w.width * rate);
      const double value = w.amplitude * std::exp(-0.5 * z * z);
      for (int k = 0; k < 3; ++k) dipole[i * 3 + k] += value * w.direction[k];
    }
  }
}

// One record: x values [length, leads] and its labels.
void generate_record(SynthRandom& r, const EcgOptions& o, float* out, uint8_t* labels) {
  const Record rec = make_record(r);
  const double duration = o.length / o.sample_rate_hz;
  std::vector<double> dipole(static_cast<size_t>(o.length) * 3, 0.0);

  // Beat times: sinus rhythm with respiratory variation; for an ECT record,
  // 1-2 sinus intervals inside the strip carry a premature beat. After a
  // ventricular one the next sinus beat is dropped (the compensatory pause
  // keeps the sinus timing); after a supraventricular one the sinus rhythm
  // restarts from the premature beat.
  std::vector<double> beats;
  const double breathing = r.uniform(0.15, 0.35), breathing_phase = r.uniform(0.0, 2.0 * M_PI);
  const double arrhythmia = r.uniform(0.02, 0.1);
  for (double time = -r.uniform(0.0, rec.rr); time < duration + 1.0;) {
    beats.push_back(time);
    time += rec.rr *
            (1.0 + arrhythmia * std::sin(2.0 * M_PI * breathing * time + breathing_phase) + r.normal(0.0, 0.015));
  }
  std::vector<bool> premature(beats.size(), false);
  if (rec.labels[kEct]) {
    std::vector<size_t> inside;
    for (size_t i = 0; i + 1 < beats.size(); ++i)
      if (beats[i] > 0.1 && beats[i] + 0.85 * rec.rr < duration - 0.2) inside.push_back(i);
    if (inside.empty()) inside.push_back(0);
    const int64_t count = 1 + r.below(2);
    for (int64_t k = 0; k < count; ++k)
      premature[inside[static_cast<size_t>(r.below(static_cast<int64_t>(inside.size())))]] = true;
  }
  double shift = 0.0;  // how far a supraventricular beat moved the rhythm
  for (size_t i = 0; i < beats.size(); ++i) {
    const double time = beats[i] + shift;
    const bool follows_ectopic = i > 0 && premature[i - 1];
    if (!(follows_ectopic && rec.ventricular_ectopy)) add_beat(rec.sinus_beat, time, o.sample_rate_hz, dipole);
    if (premature[i] && i + 1 < beats.size()) {
      const double interval = beats[i + 1] - beats[i];
      const double coupling = rec.ventricular_ectopy ? r.uniform(0.55, 0.8) : r.uniform(0.65, 0.85);
      add_beat(rec.ectopic_beat, time + coupling * interval, o.sample_rate_hz, dipole);
      if (!rec.ventricular_ectopy) shift += coupling * interval;
    }
  }

  // Motion artifacts in some records: a burst of 1-5 Hz wobble in a few leads.
  std::vector<double> artifact(static_cast<size_t>(o.length), 0.0);
  std::vector<bool> artifact_lead(static_cast<size_t>(o.leads), false);
  if (r.chance(0.2)) {
    const double centre = r.uniform(0.0, duration), spread = r.uniform(0.2, 0.5);
    const double amplitude = r.uniform(0.1, 0.4), frequency = r.uniform(1.0, 5.0);
    for (int i = 0; i < o.length; ++i) {
      const double t = i / o.sample_rate_hz;
      const double envelope = std::exp(-0.5 * ((t - centre) / spread) * ((t - centre) / spread));
      artifact[static_cast<size_t>(i)] = amplitude * envelope * std::sin(2.0 * M_PI * frequency * t);
    }
    for (int lead = 0; lead < o.leads; ++lead) artifact_lead[static_cast<size_t>(lead)] = r.chance(0.4);
  }

  const std::array<Vec3, 12> leads = lead_vectors();
  const double noise = r.uniform(0.01, 0.06);
  for (int lead = 0; lead < o.leads; ++lead) {
    const double gain = r.uniform(0.85, 1.15);
    const double wander_a = r.uniform(0.0, 0.25), wander_b = r.uniform(0.0, 0.12);
    const double f_a = r.uniform(0.05, 0.5), f_b = r.uniform(0.05, 0.5);
    const double ph_a = r.uniform(0.0, 2.0 * M_PI), ph_b = r.uniform(0.0, 2.0 * M_PI);
    const Vec3& v = leads[lead];
    for (int i = 0; i < o.length; ++i) {
      const double t = i / o.sample_rate_hz;
      const double heart = dipole[i * 3] * v[0] + dipole[i * 3 + 1] * v[1] + dipole[i * 3 + 2] * v[2];
      const double wander =
          wander_a * std::sin(2.0 * M_PI * f_a * t + ph_a) + wander_b * std::sin(2.0 * M_PI * f_b * t + ph_b);
      const double motion = artifact_lead[static_cast<size_t>(lead)] ? artifact[static_cast<size_t>(i)] : 0.0;
      const double measured = gain * heart + wander + motion + r.normal(0.0, noise);
      out[static_cast<size_t>(i) * o.leads + lead] = static_cast<float>(measured);
    }
  }
  for (int k = 0; k < kNumLabels; ++k) labels[k] = rec.labels[k] ? 1 : 0;
}

}  // namespace

const std::vector<std::string>& ecg_label_names() {
  static const std::vector<std::string> kNames = {"NORM", "CD", "STTC", "HYP", "ECT"};
  return kNames;
}

const std::vector<std::string>& ecg_lead_names() {
  static const std::vector<std::string> kNames = {"I",  "II", "III", "aVR", "aVL", "aVF",
                                                  "V1", "V2", "V3",  "V4",  "V5",  "V6"};
  return kNames;
}

Result<DatasetSplits> generate_ecg(const EcgOptions& options) {
  if (options.leads < 1 || options.leads > 12)
    return invalid_argument("ECG: " + std::to_string(options.leads) + " leads; choose 1 to 12");
  if (!(options.sample_rate_hz >= 50.0 && options.sample_rate_hz <= 1000.0))
    return invalid_argument("ECG: sample rate " + std::to_string(options.sample_rate_hz) + " Hz; choose 50 to 1000");
  if (options.length < 2.0 * options.sample_rate_hz || options.length > 100000)
    return invalid_argument("ECG: " + std::to_string(options.length) +
                            " samples per record; need at least 2 s worth (" +
                            std::to_string(static_cast<int>(2.0 * options.sample_rate_hz)) + ") and at most 100000");
  if (options.num_records < 10 || options.num_records * options.length * options.leads > (int64_t{1} << 31))
    return invalid_argument("ECG: " + std::to_string(options.num_records) +
                            " records: need at least 10 and at most 2^31 values in all");
  Dataset all;
  const auto n = static_cast<int32_t>(options.num_records);
  all.x = Array::zeros(DType::kFloat32, {n, options.length, options.leads, 1});
  all.y = Array::zeros(DType::kUInt8, {n, kNumLabels});
  all.label_names = ecg_label_names();
  float* x = all.x.data<float>();
  uint8_t* y = all.y.data<uint8_t>();
  const int64_t per_record = int64_t{options.length} * options.leads;
  for (int32_t i = 0; i < n; ++i) {
    SynthRandom r = SynthRandom::for_item(options.seed, 4, static_cast<uint64_t>(i));
    generate_record(r, options, x + i * per_record, y + int64_t{i} * kNumLabels);
  }
  SplitOptions split;
  split.seed = options.seed;
  return split_dataset(all, split);
}

}  // namespace quantlab::synth
