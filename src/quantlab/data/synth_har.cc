// Synthetic wrist-worn HAR data from a kinematic model of the forearm.
//
// The watch's orientation is R(t) = Swing(theta(t)) * Posture * Roll(beta(t)) *
// Mount: an arm swing about the body's lateral axis, the activity's forearm
// posture, a small forearm roll, and the subject's way of wearing the watch.
// The accelerometer measures the specific force R^T (a_body + g) and the
// gyroscope the body-frame angular velocity of R, so gravity moves between
// the accelerometer axes exactly as the gyroscope says the wrist turns.
// Gait activities add the trunk's step-periodic acceleration with an
// activity-specific harmonic signature (smooth push-off going up stairs,
// impacts going down). Subjects differ in cadence, vigour, posture, mount
// and sensor bias; windows differ in phase and intensity.
#include <array>
#include <cmath>

#include "quantlab/data/synth.h"
#include "quantlab/data/synth_random.h"

namespace quantlab::synth {
namespace {

constexpr int kWindow = 100;
constexpr double kRateHz = 50.0;
constexpr double kGravity = 9.80665;
constexpr double kDeg = M_PI / 180.0;

using Vec3 = std::array<double, 3>;
using Mat3 = std::array<Vec3, 3>;  // rows

Mat3 multiply(const Mat3& a, const Mat3& b) {
  Mat3 c{};
  for (int i = 0; i < 3; ++i)
    for (int j = 0; j < 3; ++j)
      for (int k = 0; k < 3; ++k) c[i][j] += a[i][k] * b[k][j];
  return c;
}
Vec3 apply_transposed(const Mat3& m, const Vec3& v) {
  Vec3 r{};
  for (int i = 0; i < 3; ++i) r[i] = m[0][i] * v[0] + m[1][i] * v[1] + m[2][i] * v[2];
  return r;
}
Mat3 rot_x(double a) { return {{{1, 0, 0}, {0, std::cos(a), -std::sin(a)}, {0, std::sin(a), std::cos(a)}}}; }
Mat3 rot_y(double a) { return {{{std::cos(a), 0, std::sin(a)}, {0, 1, 0}, {-std::sin(a), 0, std::cos(a)}}}; }
Mat3 rot_z(double a) { return {{{std::cos(a), -std::sin(a), 0}, {std::sin(a), std::cos(a), 0}, {0, 0, 1}}}; }

enum Activity { kWalking, kRunning, kStairsUp, kStairsDown, kSitting, kLying, kNumActivities };

// Typical values of each activity; subjects and windows scatter around them.
struct GaitProfile {
  double cadence_hz;      // steps per second (0: no gait)
  double bounce;          // vertical trunk acceleration amplitude, m/s^2
  double surge;           // forward trunk acceleration amplitude, m/s^2
  double second, third;   // relative 2nd and 3rd step harmonics
  double swing_rad;       // arm swing amplitude
  double lean_rad;        // forward lean of the hanging arm
  double share;           // relative frequency of the activity in the data
};

const std::array<GaitProfile, kNumActivities> kProfiles = {{
    {1.85, 2.6, 1.2, 0.45, 0.15, 0.45, 0.0 * kDeg, 1.2},    // walking
    {2.75, 8.5, 3.0, 0.40, 0.20, 0.80, 0.0, 0.7},           // running (bent arm, see posture)
    {1.55, 3.2, 1.6, 0.25, 0.08, 0.30, 10.0 * kDeg, 0.8},   // stairs up: slower, smooth push-off
    {2.00, 3.8, 1.0, 0.75, 0.50, 0.32, -6.0 * kDeg, 0.8},   // stairs down: impacts, sharp harmonics
    {0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 1.2},               // sitting
    {0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 1.0},               // lying
}};

struct Subject {
  double cadence_scale;    // personal walking speed
  double vigour;           // scales accelerations and swing
  Mat3 mount;              // how the watch sits on the wrist
  Vec3 acc_bias, gyro_bias;
  double noise_scale;
  double posture_tilt;     // personal arm carriage
};

Subject make_subject(SynthRandom& r) {
  Subject s;
  s.cadence_scale = r.normal(1.0, 0.07);
  s.vigour = std::exp(r.normal(0.0, 0.18));
  // Draws are sequenced one statement at a time: the order in which
  // function arguments are evaluated is unspecified.
  const double yaw = r.normal(0.0, 8.0 * kDeg);
  const double pitch = r.normal(0.0, 6.0 * kDeg);
  const double roll = r.normal(0.0, 10.0 * kDeg);
  s.mount = multiply(rot_z(yaw), multiply(rot_y(pitch), rot_x(roll)));
  for (int i = 0; i < 3; ++i) {
    s.acc_bias[i] = r.normal(0.0, 0.15);
    s.gyro_bias[i] = r.normal(0.0, 0.015);
  }
  s.noise_scale = r.uniform(0.7, 1.5);
  s.posture_tilt = r.normal(0.0, 6.0 * kDeg);
  return s;
}

// The forearm posture of a window (device frame -> body frame; body x is
// forward, y lateral, z up). Device x runs along the forearm to the hand,
// z out of the watch face.
Mat3 posture(Activity a, const Subject& s, SynthRandom& r) {
  switch (a) {
    case kWalking:
    case kStairsUp:
    case kStairsDown: {
      // Arm hanging: forearm down, face forward, leaning with the trunk.
      const double pitch = 90.0 * kDeg - kProfiles[a].lean_rad - s.posture_tilt + r.normal(0.0, 4.0 * kDeg);
      const double roll = r.normal(0.0, 8.0 * kDeg);
      return multiply(rot_y(pitch), rot_x(roll));
    }
    case kRunning: {
      // Elbow bent: forearm forward and up, face to the side.
      const double pitch = -r.uniform(10.0, 35.0) * kDeg;
      const double roll = -90.0 * kDeg + r.normal(0.0, 12.0 * kDeg);
      return multiply(rot_y(pitch), rot_x(roll));
    }
    case kSitting: {
      // Forearm resting on a desk or the lap, face up, any heading; now and
      // then held up (reading, phone).
      const double tilt = r.chance(0.25) ? r.uniform(25.0, 55.0) * kDeg : r.normal(0.0, 8.0 * kDeg);
      const double heading = r.uniform(-M_PI, M_PI);
      const double roll = r.normal(0.0, 12.0 * kDeg);
      return multiply(rot_z(heading), multiply(rot_y(-tilt), rot_x(roll)));
    }
    case kLying: {
      // Arm beside the body, the watch on its side; often on the chest face
      // up, which the accelerometer cannot tell from sitting: then only the
      // small wrist motions (fidgeting vs breathing, hundredths of rad/s on
      // the gyroscope) separate the two.
      const bool face_up = r.chance(0.35);
      const double heading = r.uniform(-M_PI, M_PI);
      if (face_up) {
        const double roll = r.normal(0.0, 15.0 * kDeg);
        return multiply(rot_z(heading), rot_x(roll));
      }
      const double side = r.chance(0.5) ? 90.0 : -90.0;
      const double pitch = r.normal(0.0, 12.0 * kDeg);
      const double roll = (side + r.normal(0.0, 15.0)) * kDeg;
      return multiply(rot_z(heading), multiply(rot_y(pitch), rot_x(roll)));
    }
    default: break;
  }
  return rot_x(0.0);
}

// Smooth random motion (a sum of a few slow sinusoids): fidgeting, typing,
// breathing.
struct SlowMotion {
  std::array<double, 3> amplitude{}, frequency{}, phase{};
  double at(double t) const {
    double v = 0;
    for (int k = 0; k < 3; ++k) v += amplitude[k] * std::sin(2.0 * M_PI * frequency[k] * t + phase[k]);
    return v;
  }
  double rate(double t) const {
    double v = 0;
    for (int k = 0; k < 3; ++k)
      v += amplitude[k] * 2.0 * M_PI * frequency[k] * std::cos(2.0 * M_PI * frequency[k] * t + phase[k]);
    return v;
  }
};

SlowMotion slow_motion(SynthRandom& r, double amplitude, double max_hz) {
  SlowMotion m;
  for (int k = 0; k < 3; ++k) {
    m.amplitude[k] = amplitude * r.uniform(0.2, 1.0);
    m.frequency[k] = r.uniform(0.1, max_hz);
    m.phase[k] = r.uniform(0.0, 2.0 * M_PI);
  }
  return m;
}

// One window of activity `a` by subject `s`, written as 100 rows of 6.
void generate_window(Activity a, const Subject& s, SynthRandom& r, float* out) {
  const GaitProfile& p = kProfiles[a];
  const bool gait = p.cadence_hz > 0.0;
  const double cadence = p.cadence_hz * s.cadence_scale * r.normal(1.0, 0.04);
  const double intensity = s.vigour * std::exp(r.normal(0.0, 0.12));
  const double step_phase = r.uniform(0.0, 2.0 * M_PI);
  const double h2_phase = r.normal(0.3, 0.3), h3_phase = r.normal(0.6, 0.4);
  const double swing = p.swing_rad * intensity * r.normal(1.0, 0.1);
  const Mat3 body_posture = posture(a, s, r);
  // Static activities: fidgeting (sitting) or breathing (lying) only.
  const SlowMotion swing_noise = slow_motion(r, gait ? 0.04 : (a == kSitting ? 0.06 : 0.015), gait ? 2.0 : 0.6);
  const SlowMotion roll = slow_motion(r, gait ? 0.12 * intensity : (a == kSitting ? 0.05 : 0.01), gait ? 1.5 : 0.5);
  const double acc_noise = 0.06 * s.noise_scale * (gait ? 1.5 : 1.0);
  const double gyro_noise = 0.008 * s.noise_scale * (gait ? 1.5 : 1.0);

  for (int i = 0; i < kWindow; ++i) {
    const double t = i / kRateHz;
    const double phi = 2.0 * M_PI * cadence * t + step_phase;
    // The arm swings once per stride (two steps).
    double theta = swing_noise.at(t), theta_rate = swing_noise.rate(t);
    Vec3 trunk{0.0, 0.0, 0.0};
    if (gait) {
      theta += swing * std::sin(0.5 * phi);
      theta_rate += swing * 0.5 * 2.0 * M_PI * cadence * std::cos(0.5 * phi);
      const double step = std::sin(phi) + p.second * std::sin(2.0 * phi + h2_phase) +
                          p.third * std::sin(3.0 * phi + h3_phase);
      trunk[2] = p.bounce * intensity * step;
      trunk[0] = p.surge * intensity * std::sin(phi + M_PI / 2);
      trunk[1] = 0.3 * p.surge * intensity * std::sin(0.5 * phi);
    }
    const double beta = roll.at(t), beta_rate = roll.rate(t);
    // R = Swing(theta) * M with M = Posture * Roll(beta) * Mount; body-frame
    // angular velocity = M^T (0, theta', 0) + Mount^T (beta', 0, 0).
    const Mat3 lower = multiply(rot_x(beta), s.mount);
    const Mat3 m = multiply(body_posture, lower);
    const Mat3 orientation = multiply(rot_y(theta), m);
    const Vec3 specific_force{trunk[0], trunk[1], trunk[2] + kGravity};
    const Vec3 acc = apply_transposed(orientation, specific_force);
    const Vec3 swing_part = apply_transposed(m, Vec3{0.0, theta_rate, 0.0});
    const Vec3 roll_part = apply_transposed(s.mount, Vec3{beta_rate, 0.0, 0.0});
    for (int k = 0; k < 3; ++k) {
      out[i * 6 + k] = static_cast<float>(acc[k] + s.acc_bias[k] + r.normal(0.0, acc_noise));
      out[i * 6 + 3 + k] =
          static_cast<float>(swing_part[k] + roll_part[k] + s.gyro_bias[k] + r.normal(0.0, gyro_noise));
    }
  }
}

Dataset make_split(const std::vector<float>& values, const std::vector<int32_t>& labels) {
  Dataset d;
  const auto n = static_cast<int32_t>(labels.size());
  d.x = Array::from_vector<float>({n, kWindow, 6, 1}, values);
  d.y = Array::from_vector<int32_t>({n}, labels);
  d.label_names = har_activity_names();
  return d;
}

}  // namespace

const std::vector<std::string>& har_activity_names() {
  static const std::vector<std::string> kNames = {"walking", "running", "stairs_up", "stairs_down", "sitting",
                                                  "lying"};
  return kNames;
}

const std::vector<std::string>& har_channel_names() {
  static const std::vector<std::string> kNames = {"acc_x", "acc_y", "acc_z", "gyro_x", "gyro_y", "gyro_z"};
  return kNames;
}

Result<DatasetSplits> generate_har(const HarOptions& options) {
  if (options.num_subjects < 3)
    return invalid_argument("HAR: " + std::to_string(options.num_subjects) +
                            " subjects cannot make subject-disjoint train/validation/test splits (need >= 3)");
  if (options.num_windows < options.num_subjects || options.num_windows > (int64_t{1} << 24))
    return invalid_argument("HAR: " + std::to_string(options.num_windows) + " windows: need between " +
                            std::to_string(options.num_subjects) + " (one per subject) and 16777216");
  // Subject roles: a seeded shuffle, then 2/3 train, 1/6 validation, 1/6 test.
  const int subjects = options.num_subjects;
  std::vector<int> order(subjects);
  for (int i = 0; i < subjects; ++i) order[i] = i;
  SynthRandom shuffle = SynthRandom::for_item(options.seed, 1, 0);
  for (int i = subjects - 1; i > 0; --i) std::swap(order[i], order[shuffle.below(i + 1)]);
  const int n_val = std::max(1, subjects / 6), n_test = std::max(1, subjects / 6);
  std::vector<int> role(subjects);  // 0 train, 1 val, 2 test
  for (int i = 0; i < subjects; ++i) role[order[i]] = i < n_test ? 2 : (i < n_test + n_val ? 1 : 0);

  std::vector<Subject> people;
  for (int s = 0; s < subjects; ++s) {
    SynthRandom r = SynthRandom::for_item(options.seed, 2, static_cast<uint64_t>(s));
    people.push_back(make_subject(r));
  }
  double total_share = 0;
  for (const GaitProfile& p : kProfiles) total_share += p.share;

  std::array<std::vector<float>, 3> values;
  std::array<std::vector<int32_t>, 3> labels;
  std::vector<float> window(kWindow * 6);
  for (int64_t i = 0; i < options.num_windows; ++i) {
    SynthRandom r = SynthRandom::for_item(options.seed, 3, static_cast<uint64_t>(i));
    // Every subject contributes windows in turn; the activity is drawn
    // with the profiles' shares.
    const int subject = static_cast<int>(i % subjects);
    double pick = r.uniform(0.0, total_share);
    int activity = 0;
    while (activity + 1 < kNumActivities && pick >= kProfiles[activity].share) pick -= kProfiles[activity++].share;
    generate_window(static_cast<Activity>(activity), people[subject], r, window.data());
    const int split = role[subject];
    values[split].insert(values[split].end(), window.begin(), window.end());
    labels[split].push_back(activity);
  }
  DatasetSplits splits;
  splits.train = make_split(values[0], labels[0]);
  splits.val = make_split(values[1], labels[1]);
  splits.test = make_split(values[2], labels[2]);
  return splits;
}

}  // namespace quantlab::synth
