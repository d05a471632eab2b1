// Fixtures shared by the direction and age tests: a tiny initialised flow, a tiny model with
// directions, the judges' training options for the tiny sets.
#pragma once

#include <string>

#include <QString>

#include "core/error.h"
#include "data/pixels.h"
#include "flow/glow.h"
#include "glowlab.h"
#include "judge/judge.h"
#include "testutil.h"

namespace glowlab::test {

// The message of the Error that `f` throws (empty when it throws none).
template <typename F>
QString error_of(F f) {
  try {
    f();
  } catch (const Error& e) {
    return QString::fromUtf8(e.what());
  }
  return {};
}


// A tiny model trained two steps on `data` (in `run`/glow) with directions from it; its path.
inline std::string tiny_model_with_directions(const QString& data, const QString& run) {
  auto o = tiny_options(data, run + "/glow");
  o.steps = 2;
  train(o);
  AttributeOptions a;
  a.model_path = run.toStdString() + "/glow/model.glow";
  a.data = {data.toStdString()};
  add_attributes(a);
  return a.model_path;
}

// A tiny untrained flow for 16-px RGB faces (L 2, K 2, width 16), its ActNorms initialised on two
// toy faces.
inline Glow initialised_toy_glow() {
  Glow glow(tiny_config(16, 2, 2, 16));
  glow->initialize(to_model_input(images_to_uint8({toy_image(16, 0, true), toy_image(16, 1, false)}), 8, at::kFloat, 1));
  return glow;
}

// The judges' training options for the tiny sets: 16-px images, batches of 16.
inline JudgeTrainOptions tiny_judge_options(const QString& data, const QString& output, int epochs) {
  JudgeTrainOptions jt;
  jt.data = data.toStdString();
  jt.output = output.toStdString();
  jt.image_size = 16;
  jt.epochs = epochs;
  jt.batch = 16;
  return jt;
}

}  // namespace glowlab::test
