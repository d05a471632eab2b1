#include "config_flags.h"

#include <CLI/CLI.hpp>

namespace glowlab::cli {

struct ConfigFlags::Bound {
  std::string config_file, coupling, permutation;
  GlowConfig values;
  bool no_learn_top = false;
  double scale_min = kDefaultScaleMin;
  CLI::Option *size = nullptr, *channels = nullptr, *levels = nullptr, *steps = nullptr, *width = nullptr,
              *bits = nullptr, *coupling_opt = nullptr, *permutation_opt = nullptr, *no_top = nullptr,
              *scale_min_opt = nullptr;
};

ConfigFlags::ConfigFlags(CLI::App* cmd, const std::string& steps_flag, const std::string& prefix)
    : b_(std::make_unique<Bound>()) {
  auto& b = *b_;
  const GlowConfig d;
  b.coupling = to_string(d.coupling);
  b.permutation = to_string(d.permutation);
  cmd->add_option("--config", b.config_file, prefix + "GlowConfig JSON file; the flags below override its fields")
      ->check(CLI::ExistingFile);
  b.size = cmd->add_option("--image-size", b.values.image_size, prefix + "image side in pixels")->capture_default_str();
  b.channels = cmd->add_option("--channels", b.values.channels, prefix + "1 (grey) or 3 (RGB)")->capture_default_str();
  b.levels = cmd->add_option("-L,--levels", b.values.levels, prefix + "multi-scale levels L")->capture_default_str();
  b.steps = cmd->add_option(steps_flag, b.values.steps, prefix + "flow steps per level K")->capture_default_str();
  b.width = cmd->add_option("--width", b.values.width, prefix + "hidden channels of the coupling network")
                ->capture_default_str();
  b.bits = cmd->add_option("--n-bits", b.values.n_bits, prefix + "quantisation bits per pixel value (1-8)")
               ->capture_default_str();
  b.coupling_opt = cmd->add_option("--coupling", b.coupling, prefix + "affine or additive")->capture_default_str()
                       ->check(CLI::IsMember(coupling_names()));
  b.permutation_opt = cmd->add_option("--permutation", b.permutation, prefix + "lu, plain or reverse")
                          ->capture_default_str()->check(CLI::IsMember(permutation_names()));
  b.no_top = cmd->add_flag("--no-learn-top", b.no_learn_top, prefix + "N(0, I) as the top prior instead of a learned one");
  b.scale_min_opt = cmd->add_option("--scale-min", b.scale_min,
                                    prefix + "affine coupling's scale floor s: scale = s + (1 - s) * sigmoid(h + 2), so "
                                             "decoding never amplifies by more than 1/s per layer; 0 = the paper's "
                                             "unbounded sigmoid(h + 2)")
                        ->capture_default_str()->check(CLI::Range(0.0, 0.95));
}

ConfigFlags::~ConfigFlags() = default;

GlowConfig ConfigFlags::merged() const {
  const auto& b = *b_;
  ConfigOverrides o;
  auto given = [](const CLI::Option* opt, auto value, auto& field) {
    if (opt->count()) field = value;
  };
  given(b.size, b.values.image_size, o.image_size);
  given(b.channels, b.values.channels, o.channels);
  given(b.levels, b.values.levels, o.levels);
  given(b.steps, b.values.steps, o.steps);
  given(b.width, b.values.width, o.width);
  given(b.bits, b.values.n_bits, o.n_bits);
  if (b.coupling_opt->count()) o.coupling = coupling_from_name(b.coupling);
  if (b.permutation_opt->count()) o.permutation = permutation_from_name(b.permutation);
  if (b.no_top->count()) o.learn_top = false;
  given(b.scale_min_opt, b.scale_min, o.scale_min);
  return merge_config(b.config_file, o);
}

std::string ConfigFlags::shape_flag_given() const {
  const auto& b = *b_;
  if (!b.config_file.empty()) return "--config";
  for (const CLI::Option* opt : {b.size, b.channels, b.levels, b.steps, b.width, b.bits, b.coupling_opt, b.permutation_opt, b.no_top}) {
    if (opt->count()) return opt->get_name();
  }
  return "";
}

bool ConfigFlags::scale_min_given() const { return b_->scale_min_opt->count() > 0; }
double ConfigFlags::scale_min() const { return b_->scale_min; }

}  // namespace glowlab::cli
