// Facade entry points for the long jobs: attribute directions (training lives in train/trainer.cpp).
#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <limits>

#include <ATen/CPUGeneratorImpl.h>

#include "bundle/model_file.h"
#include "data/celeba.h"
#include "data/dataset.h"
#include "data/pixels.h"
#include "glowlab.h"
#include "judge/judge_net.h"
#include "latent/directions.h"

namespace glowlab {

std::vector<Attribute> add_attributes(const AttributeOptions& o) {
  auto mf = load_model(o.model_path);
  const at::Device device(resolve_device(o.device));
  mf.glow->to(device);
  const auto& c = mf.glow->config();
  // The guides, their check and the age guide first: a file that is not one is refused before the
  // photos are read.
  if (o.guides.empty() && !o.guide_check.empty())
    throw Error(ErrorKind::InvalidArgument, o.guide_check.front() + ": a check reads a guide's refinements, and no guide is named");
  GuideJudges guides, check;
  if (!o.guides.empty()) guides = load_guide_judges(o.guides, c.n_bits, device);
  if (!o.guide_check.empty()) {
    check = load_guide_judges(o.guide_check, c.n_bits, device);
    if (check.attributes != guides.attributes)
      throw Error(ErrorKind::InvalidArgument, o.guide_check.front() + ": reads other attributes than the guide " + o.guides.front() +
                                                  " (--guide-check must read the same ones)");
  }
  std::function<at::Tensor(const at::Tensor&)> ages;
  if (!o.age_guide.empty()) ages = age_reader(o.age_guide);
  DatasetOptions dopt = DatasetOptions::for_images(o.dataset_kind, c.image_size, c.channels, o.cache_dir, o.limit);
  dopt.warn = o.warn;
  dopt.progress = o.reading;
  if (o.align) {
    if (mf.framing.empty()) {
      throw Error(ErrorKind::InvalidArgument, o.model_path + " has no framing to align photos onto (train it with --align, or "
                                              "store one with glowlab-cli framing)");
    }
    dopt.align = true;
    dopt.framing = mf.framing;
  }
  Dataset data;
  if (!o.positives.empty() || !o.negatives.empty()) {
    if (o.positives.empty() || o.negatives.empty() || o.name.empty()) {
      throw Error(ErrorKind::InvalidArgument, "a custom attribute needs --positives DIR, --negatives DIR and --name NAME");
    }
    dopt.kind = "folder";
    auto pos = load_dataset(o.positives, dopt), neg = load_dataset(o.negatives, dopt);
    data.images = at::cat({pos.images, neg.images});
    data.labels = at::cat({at::ones({pos.size(), 1}, at::kChar), -at::ones({neg.size(), 1}, at::kChar)});
    data.attribute_names = {o.name};
    data.partition.assign(static_cast<size_t>(data.size()), 0);
    data.source = o.positives + " + " + o.negatives;
    // Interleave (deterministically) so the range sample sees both classes.
    auto gen = at::detail::createCPUGenerator(0);
    const auto perm = at::randperm(data.size(), gen, at::kLong);
    data.images = data.images.index_select(0, perm);
    data.labels = data.labels.index_select(0, perm);
  } else {
    if (o.data.empty()) throw Error(ErrorKind::InvalidArgument, "give a labelled dataset folder, or --positives/--negatives/--name");
    data = load_datasets(o.data, dopt);
    // Directions and ranges come from the training partition alone: the held-out faces stay
    // unseen, for the judge.
    if (data.held_out().size() > 0) data = data.split(0);
  }
  if (!o.age_teacher.empty()) {
    // The photos without an age get the teacher's reading; those with one (UTKFace's names) keep it.
    if (!data.ages.defined()) data.ages = at::full({data.size()}, std::numeric_limits<float>::quiet_NaN());
    const auto unknown = at::isfinite(data.ages).logical_not().nonzero().flatten();
    if (unknown.numel() > 0) {
      const auto read = read_ages(o.age_teacher, data.images.index_select(0, unknown)).to(data.ages.scalar_type());
      data.ages.index_copy_(0, unknown, read);
      if (o.note) {
        char text[160];
        std::snprintf(text, sizeof text, ": %lld photos aged from their crops, %.1f to %.1f years (mean %.1f)",
                      static_cast<long long>(unknown.numel()), read.min().item<double>(), read.max().item<double>(),
                      read.mean().item<double>());
        o.note("Age teacher " + o.age_teacher + text);
      }
    }
  }
  DirectionOptions dirs_opt;
  dirs_opt.method = o.method;
  dirs_opt.ridge = o.ridge;
  dirs_opt.finest_level = o.finest_level;
  dirs_opt.shrink_levels = o.shrink_levels;
  dirs_opt.max_range = o.max_range;
  dirs_opt.max_unfit = o.max_unfit;
  dirs_opt.condition = o.condition;
  dirs_opt.range_sample = o.range_sample;
  if (!o.guides.empty()) {
    dirs_opt.guide.logits = std::move(guides.logits);
    dirs_opt.guide.attributes = std::move(guides.attributes);
    dirs_opt.guide.name = std::move(guides.name);
    dirs_opt.guide.check = std::move(check.logits);
    dirs_opt.guide.check_name = std::move(check.name);
    dirs_opt.guide.steps = o.guide_steps;
    dirs_opt.guide.holds = o.guide_holds;
    dirs_opt.guide_at_ends = !(o.guide_strength > 0);
    if (o.guide_strength > 0) dirs_opt.guide.add_strength = dirs_opt.guide.remove_strength = o.guide_strength;
    dirs_opt.guide.anchor = o.guide_anchor;
    dirs_opt.guided = o.guide_attributes;
  }
  dirs_opt.only = o.only;
  dirs_opt.age_reader = std::move(ages);
  dirs_opt.progress = o.progress;
  dirs_opt.stage = o.stage;
  dirs_opt.warn = o.warn;
  dirs_opt.note = o.note;
  // --only Age: no labelled attribute is asked, so the pass over the labelled faces is skipped.
  const bool age_alone = !o.only.empty() && std::all_of(o.only.begin(), o.only.end(), [](const std::string& a) { return a == "Age"; });
  auto dirs = age_alone ? Directions{} : compute_directions(mf.glow, data, dirs_opt);
  if (o.stage) o.stage("the Age direction");
  const bool age_asked = o.only.empty() || std::find(o.only.begin(), o.only.end(), "Age") != o.only.end();
  if (auto age = age_asked ? age_direction(mf.glow, data, dirs_opt) : std::nullopt) {
    dirs.attributes.push_back(age->first);
    dirs.directions.push_back(age->second);
  }
  for (size_t i = 0; i < dirs.attributes.size(); ++i) {
    auto it = std::find_if(mf.attributes.begin(), mf.attributes.end(),
                           [&](const Attribute& a) { return a.name == dirs.attributes[i].name; });
    if (it != mf.attributes.end()) {
      mf.directions[static_cast<size_t>(it - mf.attributes.begin())] = dirs.directions[i];
      *it = dirs.attributes[i];
    } else {
      mf.attributes.push_back(dirs.attributes[i]);
      mf.directions.push_back(dirs.directions[i]);
    }
  }
  // A CelebA-layout folder with landmarks also gives the model its framing (photos are aligned to it).
  if (o.data.size() == 1 && o.positives.empty() && !o.align) {
    if (auto framing = celeba_framing(o.data[0]); !framing.empty()) mf.framing = std::move(framing);
  }
  mf.glow->to(at::kCPU);
  for (auto& d : mf.directions) d = d.to(at::kCPU);
  save_model(o.output_path.empty() ? o.model_path : o.output_path, mf);
  return dirs.attributes;
}

std::vector<Image> aligned_crops(const std::vector<std::string>& sources, const std::string& model_path, int partition,
                                 std::int64_t limit, const std::string& cache_dir) {
  const auto mf = load_model(model_path);
  const auto& c = mf.glow->config();
  if (mf.framing.empty()) throw Error(ErrorKind::InvalidArgument, model_path + " has no framing to align the photos onto");
  DatasetOptions dopt = DatasetOptions::for_images("auto", c.image_size, c.channels, cache_dir);
  dopt.align = true;
  dopt.framing = mf.framing;
  Dataset d = load_datasets(sources, dopt);
  if (partition >= 0) d = d.split(partition);
  std::vector<Image> out;
  const std::int64_t n = limit > 0 ? std::min(limit, d.size()) : d.size();
  for (std::int64_t i = 0; i < n; ++i) out.push_back(uint8_to_image(d.images[i]));
  return out;
}

std::vector<double> add_framing(const std::string& model_path, const std::string& data, const std::string& output_path) {
  auto mf = load_model(model_path);
  mf.framing = celeba_framing(data);
  if (mf.framing.empty()) {
    throw Error(ErrorKind::InvalidArgument, data + " has no list_landmarks_align_celeba.txt (or no training image in it) to take a framing from");
  }
  save_model(output_path.empty() ? model_path : output_path, mf);
  return mf.framing;
}

}  // namespace glowlab
