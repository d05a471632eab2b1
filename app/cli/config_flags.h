// The flags that shape a new model (--config, --image-size, ... --scale-min), the same on every
// command that makes one (init, train, bench); the merge itself is the engine's merge_config.
#pragma once

#include <memory>
#include <string>

#include "glowlab.h"

namespace CLI {
class App;
}

namespace glowlab::cli {

class ConfigFlags {
 public:
  // Registers the flags on `cmd`. `steps_flag` names K's flag ("-K,--steps"; train's --steps is
  // its optimiser steps); `prefix` starts every help text ("New model: ").
  ConfigFlags(CLI::App* cmd, const std::string& steps_flag, const std::string& prefix);
  ~ConfigFlags();
  // --config's file, then every flag given on the command line (engine: merge_config).
  GlowConfig merged() const;
  // The flag that sets the model's shape (--config, or any flag but --scale-min) given first, or empty:
  // commands that read a model instead (bench --model, train --init-model) refuse them.
  std::string shape_flag_given() const;
  // Whether --scale-min was given, and its value (train applies it to --init-model's model too).
  bool scale_min_given() const;
  double scale_min() const;

 private:
  struct Bound;
  std::unique_ptr<Bound> b_;
};

}  // namespace glowlab::cli
