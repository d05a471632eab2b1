// The age judge (issue 28, 6): the judge's small CNN trained to read a face's age in years from its
// pixels, on UTKFace's training photos, never on the flow: a referee for the Age slider that is not
// the latent regression that made it. And the Age slider's score, through the export.
#include <algorithm>
#include <cmath>
#include <filesystem>
#include <limits>
#include <tuple>

#include <c10/core/InferenceMode.h>

#include "bundle/model_file.h"
#include "core/error.h"
#include "data/dataset.h"
#include "data/pixels.h"
#include "glowlab.h"
#include "judge/judge.h"
#include "judge/judge_net.h"
#include "vision/image_io.h"

namespace glowlab {
namespace {

// The net reads (age - kMeanAge) / kAgeScale: targets of order one for its last layer.
constexpr double kMeanAge = 35.0, kAgeScale = 15.0;
constexpr const char* kYears = "years";

at::Tensor ages_of(JudgeNet& net, const at::Tensor& pixels) {
  return judge_outputs(net, pixels).select(1, 0).to(at::kDouble) * kAgeScale + kMeanAge;
}

LoadedJudge load_age_judge(const std::string& path) {
  auto j = load_judge(path);
  if (j.unit != kYears || j.attributes != std::vector<std::string>{"Age"}) {
    throw Error(ErrorKind::InvalidArgument, path + ": not an age judge (judge-train --age makes one)");
  }
  return j;
}

// The held-out photos of a folder (held_out_by_name) with the ages in their names (UTKFace's), in
// the order of their names' hash: UTKFace's names begin with the age, so in name order the first 40
// are all 10 to 14 years old. A folder whose names give no ages (CelebA's photos) gives its
// held-out photos with the age NaN: the age judge's reading of each stands in for it.
std::vector<std::pair<std::string, double>> held_out_aged_photos(const std::string& folder) {
  std::vector<std::tuple<std::uint64_t, std::string, double>> found, unaged;
  for (const auto& f : list_images(folder)) {
    const auto name = std::filesystem::path(f).filename().string();
    if (!held_out_by_name(name)) continue;
    int age = 0, gender = 0;
    if (parse_utkface_name(name, age, gender)) {
      found.emplace_back(name_hash(name), f, age);
    } else {
      unaged.emplace_back(name_hash(name), f, std::numeric_limits<double>::quiet_NaN());
    }
  }
  if (found.empty()) found = std::move(unaged);
  std::sort(found.begin(), found.end());
  std::vector<std::pair<std::string, double>> out;
  for (const auto& [h, f, age] : found) out.emplace_back(f, age);
  return out;
}

}  // namespace

at::Tensor read_ages(const std::string& age_judge_path, const at::Tensor& images) {
  auto judge = load_age_judge(age_judge_path);
  return ages_of(*judge.net, images);  // judge_outputs reads in chunks
}

std::function<at::Tensor(const at::Tensor&)> age_reader(const std::string& age_judge_path) {
  auto net = load_age_judge(age_judge_path).net;
  return [net](const at::Tensor& images) { return ages_of(*net, images); };
}

AgeJudgeAccuracy train_age_judge(const JudgeTrainOptions& o) {
  auto dopt = DatasetOptions::for_images("auto", o.image_size, 3, o.cache_dir);
  if (!o.align_model.empty()) set_alignment(dopt, load_model(o.align_model).framing, o.align_model);
  const Dataset all = load_dataset(o.data, dopt);
  if (!all.ages.defined() || !at::isfinite(all.ages).any().item<bool>()) {
    throw Error(ErrorKind::InvalidArgument,
                o.data + ": no photo has an age in its name (UTKFace's AGE_GENDER_RACE_DATE.jpg.chip.jpg)");
  }
  auto aged = [](const Dataset& d) {
    const auto idx = at::isfinite(d.ages).nonzero().flatten();
    return std::make_pair(d.images.index_select(0, idx), d.ages.index_select(0, idx).to(at::kDouble));
  };
  const auto [train_x, train_age] = aged(all.split(0));
  const auto [test_x, test_age] = aged(all.held_out());
  if (train_x.size(0) < 2 || test_x.size(0) == 0) {
    throw Error(ErrorKind::InvalidArgument, o.data + ": needs photos of known age to train on and to hold out");
  }
  at::manual_seed(o.seed);
  JudgeNet net(1);
  const auto target = ((train_age - kMeanAge) / kAgeScale).to(at::kFloat);
  // Huber: a mislabelled age (UTKFace has some) pulls no harder than a few years' error.
  fit_judge(
      net, train_x,
      [&](const at::Tensor& out, const at::Tensor& idx) {
        return at::smooth_l1_loss(out.select(1, 0), target.index_select(0, idx), at::Reduction::Mean, 0.3);
      },
      o.epochs, o.batch, o.lr, o.seed, "age judge", o.log);
  AgeJudgeAccuracy acc;
  acc.held_out = test_x.size(0);
  acc.mean_abs_error = (ages_of(net, test_x) - test_age).abs().mean().item<double>();
  // What saying the training photos' median age to everyone would score.
  acc.baseline_error = (test_age - train_age.median()).abs().mean().item<double>();
  save_judge(o.output, net, {"Age"}, o.image_size, kYears);
  return acc;
}

AgeEditScore evaluate_age_edits(const AgeEditOptions& o) {
  auto log = [&](const std::string& s) { if (o.log) o.log(s); };
  auto model = Model::load(o.model, resolve_device(o.device));
  auto judge = load_age_judge(o.judge);
  const auto& attrs = model.attributes();
  const auto age = std::find_if(attrs.begin(), attrs.end(), [](const Attribute& a) { return a.name == "Age"; });
  if (age == attrs.end()) throw Error(ErrorKind::InvalidArgument, o.model + ": has no Age slider");
  const auto photos = held_out_aged_photos(o.data);
  if (photos.empty()) throw Error(ErrorKind::InvalidArgument, o.data + ": no held-out photos");
  const ExportPath path(model);
  IdentityChips chips(o.through_export ? o.identity_chips : std::string());
  AgeEditScore s;
  s.years = o.years;
  s.through_export = o.through_export;
  double older = 0, younger = 0, older_sq = 0, younger_sq = 0, strength = 0, error = 0;
  int edits = 0;
  int known_ages = 0;
  for (const auto& [file, named_years] : photos) {
    if (s.older_faces >= o.faces && s.younger_faces >= o.faces) break;
    const bool named = std::isfinite(named_years);
    // An edit is asked only where the age it asks for is one a face can have and the data shows
    // (kAgeEditYoungest..kAgeEditOldest): -20 years of a 12-year-old cannot be seen.
    const auto wanted = [&](double years) {
      return std::pair{s.older_faces < o.faces && years + o.years <= kAgeEditOldest,
                       s.younger_faces < o.faces && years - o.years >= kAgeEditYoungest};
    };
    if (named) {
      const auto [older, younger] = wanted(named_years);
      if (!older && !younger) continue;
    }
    ExportPath::Photo p;
    try {
      p = path.open(file);
    } catch (const Error& e) {
      ++s.set_aside;
      log("set aside: " + std::string(e.what()));
      continue;
    }
    // No age in the name: the judge's reading of the unedited crop.
    const double years = named ? named_years : ages_of(*judge.net, images_to_uint8({p.crop.crop}))[0].item<double>();
    const auto [make_older, make_younger] = wanted(years);
    if (!make_older && !make_younger) continue;
    std::vector<Image> crops{p.crop.crop};
    const int chip = chips.add_photo(std::filesystem::path(file).filename().string(), p.photo, p.crop);
    std::vector<double> signs;
    if (make_older) signs.push_back(+1.0);
    if (make_younger) signs.push_back(-1.0);
    for (double sign : signs) {
      SliderEdit edit;
      // The slider as a person sets it: held to its range (Age goes to +-40 years).
      edit.alphas = {{"Age", std::clamp(sign * o.years, age->range_min, age->range_max)}};
      if (o.through_export) {
        const auto out = path.exported(p, edit, file);
        chips.add_edit(chip, "Age", edit.alphas.begin()->second * out.strength, out);
        crops.push_back(out.crop);
        strength += out.strength;
      } else {
        const auto r = render_edit(model, p.latent, edit);
        crops.push_back(r.image);
        strength += r.strength;
      }
      ++edits;
    }
    const auto est = ages_of(*judge.net, images_to_uint8(crops));
    const double before = est[0].item<double>();
    for (size_t k = 0; k < signs.size(); ++k) {
      const double change = est[static_cast<int64_t>(k + 1)].item<double>() - before;
      if (signs[k] > 0) {
        older += change;
        older_sq += change * change;
        ++s.older_faces;
        s.oldest_made_older = std::max(s.oldest_made_older, years);
      } else {
        younger += change;
        younger_sq += change * change;
        ++s.younger_faces;
        s.youngest_made_younger = std::min(s.youngest_made_younger, years);
      }
    }
    s.youngest = std::min(s.youngest, years);
    s.oldest = std::max(s.oldest, years);
    if (named) {
      error += std::abs(before - years);
      ++known_ages;
    }
    ++s.faces;
  }
  if (s.faces == 0) throw Error(ErrorKind::InvalidArgument, o.data + ": no held-out photo had a face to edit");
  if (s.older_faces == 0 || s.younger_faces == 0) {
    throw Error(ErrorKind::InvalidArgument, o.data + ": no held-out face can be made " + (s.older_faces ? "younger" : "older") +
                                                " by " + std::to_string(o.years) + " years");
  }
  chips.write();
  s.older = older / s.older_faces;
  s.younger = younger / s.younger_faces;
  const auto standard_error = [](double sum_sq, double mean, int n) {
    return n > 1 ? std::sqrt(std::max(0.0, (sum_sq - n * mean * mean) / (n - 1)) / n) : 0.0;
  };
  s.older_se = standard_error(older_sq, s.older, s.older_faces);
  s.younger_se = standard_error(younger_sq, s.younger, s.younger_faces);
  s.mean_strength = strength / edits;
  s.judge_error = known_ages ? error / known_ages : std::numeric_limits<double>::quiet_NaN();
  log("Age " + std::string(o.through_export ? "(through the export)" : "(64-px crops)") + ": +" + std::to_string(o.years) +
      " years moves the age judge by " + std::to_string(s.older) + " (+-" + std::to_string(s.older_se) + "), -" +
      std::to_string(o.years) + " by " + std::to_string(s.younger) + " (+-" + std::to_string(s.younger_se) + ") (" + std::to_string(s.older_faces) + " and " + std::to_string(s.younger_faces) +
      " faces aged " + std::to_string(static_cast<int>(s.youngest)) + " to " + std::to_string(static_cast<int>(s.oldest)) + ")");
  return s;
}

}  // namespace glowlab
