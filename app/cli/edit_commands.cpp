// glowlab-cli edit: the window's slider edit for photos on the command line, under the same
// guarded render (an edit that does not decode cleanly is limited and reported, never shown black).
#include <algorithm>
#include <cmath>
#include <filesystem>
#include <optional>
#include <iomanip>
#include <iostream>
#include <sstream>
#include <unistd.h>

#include <CLI/CLI.hpp>

#include "commands.h"
#include "glowlab.h"
#include "model_path.h"
#include "photo_batch.h"

namespace glowlab::cli {
namespace {

struct EditOptions {
  std::vector<std::string> photos;
  std::vector<std::string> sets;  // NAME=VALUE
  std::string keep;               // NAME,NAME
  int detail = 0;
  std::string output;
  int face = 1;                    // which face, by size (1: the largest)
  std::string sweep;               // NAME=FROM:TO:FRAMES
  double fps = 12.0;
  std::string model, device = "auto";
  std::string recipe;              // a recipe saved by the window
  bool paste_back = false, paste_whole = false, strict = false;
};

// The recipe's photo (cropped by its saved transform) or sample, encoded: what the window showed.
EncodedPhoto encode_recipe_source(Model& model, const Recipe& r) {
  EncodedPhoto e;
  if (r.is_sample()) {
    e.latent = model.sample_latents(r.sample_count, r.sample_temperature, r.sample_seed)[static_cast<size_t>(r.sample_index)];
    return e;
  }
  e.source = r.source;
  e.photo = read_image(r.source, model.config().channels);
  e.crop = crop_with_transform(e.photo, model.config().image_size, r.transform);
  e.latent = model.encode(e.crop.crop);
  return e;
}

// The engine's recipe warnings, as the CLI's notes.
void report_recipe(const AppliedRecipe& applied, const std::string& recipe_path) {
  for (const auto& w : applied.warnings) {
    const char* what = w.photo ? "photo" : "model";
    if (w.kind == RecipeWarning::Kind::Changed) {
      std::cerr << "note: " << w.file << " has changed since " << recipe_path << " was saved\n";
    } else {
      std::cerr << "note: " << recipe_path << " has no checksum of its " << what << " " << w.file
                << ": a change to it cannot be detected\n";
    }
  }
}

// NAME=FROM:TO:FRAMES
struct Sweep {
  std::string name;
  double from = 0, to = 0;
  int frames = 0;
};

Sweep parse_sweep(const std::string& text) {
  Sweep w;
  const auto eq = text.find('=');
  const auto c1 = text.find(':', eq == std::string::npos ? 0 : eq);
  const auto c2 = c1 == std::string::npos ? c1 : text.find(':', c1 + 1);
  try {
    if (eq == std::string::npos || eq == 0 || c2 == std::string::npos) throw std::invalid_argument("shape");
    w.name = text.substr(0, eq);
    size_t used = 0;
    w.from = std::stod(text.substr(eq + 1, c1 - eq - 1), &used);
    w.to = std::stod(text.substr(c1 + 1, c2 - c1 - 1), &used);
    w.frames = std::stoi(text.substr(c2 + 1), &used);
    if (used != text.size() - c2 - 1) throw std::invalid_argument("trailing text");
  } catch (const std::exception&) {
    throw CLI::ValidationError("--sweep", "'" + text + "' is not NAME=FROM:TO:FRAMES (e.g. Smiling=-1:1:9)");
  }
  if (w.frames < 2 || w.frames > 1000) throw CLI::ValidationError("--sweep", "'" + text + "': FRAMES must be 2 to 1000");
  return w;
}

std::vector<std::string> split_names(const std::string& text) {
  std::vector<std::string> out;
  std::stringstream in(text);
  std::string name;
  while (std::getline(in, name, ',')) {
    if (!name.empty()) out.push_back(name);
  }
  return out;
}

void add_edit_options(CLI::App* cmd, EditOptions& o) {
  cmd->add_option("photos", o.photos,
                  "Photos or folders of photos to edit (one that cannot be read is reported and the others still edited); "
                  "with --recipe and none given, the recipe's own photo or sample; or one video (.mp4, .mov, .m4v, .avi, .mkv, "
                  ".webm) with -o OUT.mp4: every frame's face edited at one strength and pasted back, its sound and frame times kept");
  cmd->add_option("--recipe", o.recipe,
                  "Apply a recipe saved by the window (File > Save Recipe): its sliders, held attributes and detail level "
                  "(--set, --keep and --detail add to or override them), and, with no photos given, its photo framed as "
                  "saved, or its sample: the window's export, pixel for pixel");
  cmd->add_option("--set", o.sets,
                  "Slider value, NAME=VALUE (repeatable), e.g. --set Smiling=1.2 or --set \"Blond hair=-1\": the name in any "
                  "case, as the window shows it or as `info` lists it; a value beyond the slider's range is held to it, "
                  "with a note");
  cmd->add_option("--sweep", o.sweep,
                  "One photo as an animation: NAME=FROM:TO:FRAMES (e.g. Smiling=-1:1:9), other --set values held; "
                  "-o .gif, .mp4, or an image for one row of frames");
  cmd->add_option("--fps", o.fps, "Frames per second of a --sweep animation")->capture_default_str()->check(CLI::Range(0.5, 60.0));
  cmd->add_option("--keep", o.keep,
                  "Attributes to hold fixed, comma-separated (e.g. Male,No_Beard): the edit moves along directions "
                  "that leave them unchanged");
  cmd->add_option("--face", o.face, "Which face of each photo, by size (1: the largest); in a video, on its first frame with a face, then that person followed")->capture_default_str()->check(CLI::Range(1, 1000));
  cmd->add_option("--detail", o.detail, "Finest latent level the edit touches (0: all levels; L-1: coarse only)")
      ->capture_default_str();
  cmd->add_option("-o,--output", o.output, "Output image for one photo, or a folder for several")->required();
  cmd->add_flag("--paste-back", o.paste_back,
                "Write the whole photo with the edit pasted back: only the edit's change is added to the photo's own "
                "pixels inside the face, so the rest keeps its full resolution");
  cmd->add_flag("--paste-whole", o.paste_whole,
                "With --paste-back: paste the whole decoded face instead (the model's resolution, soft in a large photo)");
  cmd->add_flag("--strict", o.strict,
                "Treat an edit that does not decode cleanly as an error (by default it is limited to the largest "
                "clean strength and reported)");
  cmd->add_option("-m,--model", o.model, "Model file (.glow); default: the bundled model");
  cmd->add_option("--device", o.device, "auto, cpu or cuda")->capture_default_str()->check(CLI::IsMember({"auto", "cpu", "cuda"}));
}

// An edit run, once the command line and the recipe are read: what to render, from which images.
struct EditPlan {
  std::optional<Recipe> recipe;
  AppliedRecipe applied;  // the recipe's model and edit, its checksums compared
  SliderEdit edit;        // the recipe's sliders, then --set; its held attributes, then --keep; the detail level
  Alphas sets;            // --set as typed: named and held to the sliders' ranges once the model is loaded
  std::optional<Sweep> sweep;
  std::vector<std::string> photos;
  bool many = false;         // a batch: OUTPUT is a folder
  bool from_recipe = false;  // the recipe's own photo or sample
  bool clip = false;         // one video: every frame edited (edit_clip)
  std::string first;         // the first image, as messages name it
};

// The recipe (if any) applied and its files checked, the command line's values on top.
EditPlan plan_edit(EditOptions& o, const CLI::App& cmd) {
  EditPlan p;
  if (!o.recipe.empty()) p.recipe = load_recipe(o.recipe);
  p.edit.locked = split_names(o.keep);
  p.from_recipe = p.recipe && o.photos.empty();
  if (p.recipe) {
    try {
      p.applied = apply_recipe(*p.recipe, o.recipe, o.model, p.from_recipe);
    } catch (const Error& e) {
      // The CLI's way out of a missing model: another one named on the command line.
      if (o.model.empty() && !p.recipe->model.empty() && !std::filesystem::exists(p.recipe->model)) {
        throw Error(e.kind(), std::string(e.what()) + " (name one with -m)");
      }
      throw;
    }
    p.edit.alphas = p.applied.edit.alphas;
    p.edit.locked.insert(p.edit.locked.begin(), p.applied.edit.locked.begin(), p.applied.edit.locked.end());
    o.detail = cmd.count("--detail") ? o.detail : p.applied.edit.finest_level;
    if (cmd.count("--face") == 0 && p.recipe->face > 0) o.face = p.recipe->face;
  }
  p.edit.finest_level = o.detail;
  for (const auto& s : o.sets) p.sets.push_back(as_usage_error("--set", [&] { return split_slider_value(s); }));
  if (!o.sweep.empty()) p.sweep = parse_sweep(o.sweep);
  if (p.sets.empty() && !p.sweep && !p.recipe) throw CLI::ValidationError("edit", "say what to change: --set NAME=VALUE, --sweep NAME=FROM:TO:FRAMES or --recipe R.json");
  if (o.photos.empty() && !p.recipe) throw CLI::ValidationError("edit", "name the photos to edit (or a --recipe whose photo to use)");
  p.photos = expand_photos(o.photos, p.many);
  if (p.sweep && (p.from_recipe ? 1 : p.photos.size()) != 1) {
    throw CLI::ValidationError("--sweep", "a sweep animates one photo; " + std::to_string(p.photos.size()) + " were given");
  }
  if (!p.from_recipe && p.photos.empty()) throw Error(ErrorKind::Io, "no photos to edit");
  p.clip = !p.from_recipe && !p.many && is_video_path(p.photos[0]);
  if (p.clip && (p.sweep || o.paste_whole)) {
    throw CLI::ValidationError("edit", "a video is edited with --set or --recipe, its change pasted into every frame (no --sweep or --paste-whole)");
  }
  if (p.from_recipe) p.many = false;
  p.first = p.from_recipe ? (p.recipe->is_sample() ? o.recipe : p.recipe->source) : p.photos[0];
  if (p.recipe) {
    check_recipe(*p.recipe, p.applied);
    report_recipe(p.applied, o.recipe);
  }
  return p;
}

// The command line's names checked against the loaded model, as the window checks its own --set:
// any case, or the window's display name, means the attribute ("smiling", "Blond hair"); a name
// the model lacks is a bad command line (exit 2), with the nearest name and the list; a value
// beyond a slider's range is held to it, with the window's note.
void resolve_names(const Model& model, EditPlan& p) {
  const auto& attrs = model.attributes();
  // A recipe's values are held to the sliders' ranges as the window holds them (one written by hand
  // may go beyond), so both render the same.
  for (auto& alpha : p.edit.alphas) {
    const auto it = std::find_if(attrs.begin(), attrs.end(), [&alpha](const Attribute& a) { return a.name == alpha.first; });
    if (it == attrs.end() || (alpha.second >= it->range_min && alpha.second <= it->range_max)) continue;
    std::cerr << "note: " << range_note(*it, alpha.second) << "\n";
    alpha.second = std::clamp(alpha.second, it->range_min, it->range_max);
  }
  for (const auto& set : p.sets) {
    const auto v = as_usage_error("--set", [&] { return slider_value(attrs, set.first, set.second); });
    if (v.clamped()) std::cerr << "note: " << range_note(attrs[v.index], set.second) << "\n";
    set_alpha(p.edit.alphas, v.name, v.value);
  }
  for (auto& name : p.edit.locked) name = attrs[as_usage_error("--keep", [&] { return find_attribute(attrs, name); })].name;
  if (p.sweep) {
    const auto& a = attrs[as_usage_error("--sweep", [&] { return find_attribute(attrs, p.sweep->name); })];
    p.sweep->name = a.name;
    for (double* end : {&p.sweep->from, &p.sweep->to}) {
      if (*end < a.range_min || *end > a.range_max) {
        std::cerr << "note: " << range_note(a, *end) << "\n";
        *end = std::clamp(*end, a.range_min, a.range_max);
      }
    }
  }
}

// The output's format, checked before any photo is read or edited (a folder for a batch).
void check_output(const EditPlan& p, const EditOptions& o) {
  if (p.many) return;
  as_usage_error("-o", [&] {
    if (p.clip) {
      if (!(is_video_path(o.output) && is_animation_path(o.output))) {  // both: .mp4
        throw Error(ErrorKind::InvalidArgument, o.output + ": an edited video is written as .mp4; give the file that extension");
      }
    } else if (p.sweep) {
      if (!is_animation_path(o.output)) check_image_extension(o.output, {".gif", ".mp4"});
    } else {
      check_image_extension(o.output);
    }
    return 0;
  });
}

// The "limited to" values of a render, as the CLI says them: "Smiling limited to +0.21, ...".
std::string limited_text(const RenderedEdit& r) {
  std::ostringstream what;
  if (r.limited_to.empty()) return "the edit limited to " + std::to_string(std::lround(100 * r.strength)) + "% of its strength";
  for (const auto& [name, alpha] : r.limited_to) {
    what << (what.tellp() > 0 ? ", " : "") << name << " limited to " << std::showpos << std::fixed << std::setprecision(2) << alpha
         << std::noshowpos;
  }
  return what.str();
}

// What a paste left out of the photo, as the CLI says it.
std::string left_out_text(double left_out, bool whole_face) {
  return std::to_string(std::lround(100 * left_out)) + "% of the edit's change is not in the photo, and it is strongest there (" +
         (whole_face ? "outside the face's ellipse that --paste-whole pastes" : "at the crop's border, or beyond the photo's edge") +
         "): the export shows less of it than the edited crop";
}

// --sweep: one image's frames along one attribute, the other sliders held.
void run_sweep(Model& model, const EditPlan& p, const EditOptions& o, const EncodedPhoto& e) {
  const Sweep& sweep = *p.sweep;
  std::vector<Image> frames;
  double least = 1.0;
  PastedEdit most_left_out;  // the frame whose paste left the most out (its image unused)
  for (int i = 0; i < sweep.frames; ++i) {
    SliderEdit edit = p.edit;
    set_alpha(edit.alphas, sweep.name, sweep.from + (sweep.to - sweep.from) * i / (sweep.frames - 1));
    const auto r = render_edit(model, e.latent, edit);
    least = std::min(least, r.strength);
    if (o.paste_back && !e.photo.empty()) {
      auto pasted = paste_edit(model, e.photo, e.crop, e.latent, r.image, o.paste_whole);
      if (pasted.partly_left_out() && pasted.coverage.left_out > most_left_out.coverage.left_out) most_left_out.coverage = pasted.coverage;
      frames.push_back(std::move(pasted.image));
    } else {
      frames.push_back(r.image);
    }
  }
  if (most_left_out.partly_left_out()) std::cerr << "note: " << p.first << ": " << left_out_text(most_left_out.coverage.left_out, o.paste_whole) << "\n";
  if (least < 1.0) {
    if (o.strict) throw Error(ErrorKind::Numeric, p.first + ": some frames do not decode cleanly at full strength");
    std::cerr << "note: " << p.first << ": frames limited to " << std::lround(100 * least)
              << "% of their strength at the ends (a stronger edit leaves the colours the model can draw)\n";
  }
  write_frames(o.output, frames, o.fps);
  std::cout << o.output << "\n";
}

// One image of a batch edited and written (OUTPUT, or OUTPUT/NAME.png in a batch).
void edit_one(Model& model, const EditPlan& p, const EditOptions& o, const EncodedPhoto& e, const std::string& path) {
  const auto r = render_edit(model, e.latent, p.edit);
  if (r.limited()) {
    if (o.strict) throw Error(ErrorKind::Numeric, path + ": the edit does not decode cleanly at full strength (" + limited_text(r) + " would)");
    std::cerr << "note: " << path << ": " << limited_text(r) << " (a stronger edit leaves the colours the model can draw)\n";
  }
  const std::string out = output_for(path, o.output, p.many);
  if (o.paste_back) {
    const auto pasted = paste_edit(model, e.photo, e.crop, e.latent, r.image, o.paste_whole);
    if (pasted.partly_left_out()) std::cerr << "note: " << path << ": " << left_out_text(pasted.coverage.left_out, o.paste_whole) << "\n";
    const std::string kept = write_photo_image(out, pasted.image, e.source);
    if (!kept.empty()) std::cerr << "note: " << out << ": " << kept << "\n";
  } else {
    write_image(out, r.image);
  }
  std::cout << out << "\n";
}

// Every photo of the batch (or the recipe's own image), each failure reported and counted.
void run_batch(Model& model, const EditPlan& p, const EditOptions& o) {
  if (p.many) std::filesystem::create_directories(o.output);
  const bool tty = ::isatty(STDERR_FILENO);
  const size_t count = p.from_recipe ? 1 : p.photos.size();
  int failures = 0;
  for (size_t i = 0; i < count; ++i) {
    const auto& path = p.from_recipe ? p.first : p.photos[i];
    if (tty && p.many) show_progress(i, count, path);
    try {
      if (o.paste_back && p.from_recipe && p.recipe->is_sample()) {
        throw Error(ErrorKind::InvalidArgument, o.recipe + " edits a sample: there is no photo to paste it into");
      }
      edit_one(model, p, o, p.from_recipe ? encode_recipe_source(model, *p.recipe) : encode_photo(model, path, o.face), path);
    } catch (const Error& e) {
      ++failures;
      std::cerr << "error: " << e.what() << "\n";
    }
  }
  finish_batch(failures, count, "edited");
}

}  // namespace

void add_edit(CLI::App& app) {
  auto* cmd = app.add_subcommand("edit", "Edit the face in each photo along attribute directions, as the window's sliders do");
  auto o = std::make_shared<EditOptions>();
  add_edit_options(cmd, *o);
  cmd->callback([o, cmd] {
    EditPlan p = plan_edit(*o, *cmd);
    check_output(p, *o);
    init_runtime(g_threads);
    auto model = Model::load(model_path_or_default(p.recipe ? p.applied.model : o->model), o->device);
    // Unknown names and levels are refused before any photo is read.
    resolve_names(model, p);
    auto probe = p.edit.alphas;
    if (p.sweep) probe.emplace_back(p.sweep->name, 1.0);
    model.edit(std::vector<float>(static_cast<size_t>(model.config().dimension())), probe, p.edit.finest_level, p.edit.locked);
    if (p.sweep) {
      run_sweep(model, p, *o, p.from_recipe ? encode_recipe_source(model, *p.recipe) : encode_photo(model, p.photos[0], o->face));
      return;
    }
    if (p.clip) {
      run_clip_edit(model, p.first, o->output, p.edit, o->face - 1, o->strict);
      return;
    }
    run_batch(model, p, *o);
  });
}

void add_align(CLI::App& app) {
  auto* cmd = app.add_subcommand("align", "Write the face crop the model will see for each photo (aligned onto the model's framing by five face "
                                 "landmarks when it has one)");
  auto photos = std::make_shared<std::vector<std::string>>();
  auto output = std::make_shared<std::string>();
  auto model_path = std::make_shared<std::string>();
  auto face = std::make_shared<int>(1);
  cmd->add_option("photos", *photos, "Photos, or folders of photos")->required();
  cmd->add_option("--face", *face, "Which face of each photo, by size (1: the largest)")->capture_default_str()->check(CLI::Range(1, 1000));
  cmd->add_option("-o,--output", *output, "Output image for one photo, or a folder for several")->required();
  cmd->add_option("-m,--model", *model_path, "Model file (.glow) whose framing and size are used; default: the bundled model");
  cmd->callback([=] {
    bool many = false;
    const auto paths = expand_photos(*photos, many);
    if (paths.empty()) throw Error(ErrorKind::Io, "no photos to align");
    if (!many) as_usage_error("-o", [&] { check_image_extension(*output); return 0; });
    init_runtime(g_threads);
    const auto model = Model::load(model_path_or_default(*model_path), "cpu");
    const auto& c = model.config();
    if (many) std::filesystem::create_directories(*output);
    const bool tty = ::isatty(STDERR_FILENO);
    int failures = 0;
    for (size_t i = 0; i < paths.size(); ++i) {
      const auto& path = paths[i];
      if (tty && many) show_progress(i, paths.size(), path);
      try {
        const auto crop = align_face(read_image(path, c.channels), c.image_size, /*centre_fallback=*/true, path, model.framing(), *face - 1);
        report_crop(crop, path, *face);
        const std::string out = output_for(path, *output, many);
        write_image(out, crop.crop);
        std::cout << out << "\n";
      } catch (const Error& e) {
        ++failures;
        std::cerr << "error: " << e.what() << "\n";
      }
    }
    finish_batch(failures, paths.size(), "aligned");
  });
}

void add_interpolate(CLI::App& app) {
  auto* cmd = app.add_subcommand("interpolate", "Frames between the faces of two photos, through the latent space");
  struct Options {
    std::string a, b, output, method = "slerp", model, device = "auto";
    int frames = 9;
    double fps = 12.0;
    bool strict = false;
  };
  auto o = std::make_shared<Options>();
  cmd->add_option("a", o->a, "First photo")->required();
  cmd->add_option("b", o->b, "Second photo")->required();
  cmd->add_option("-o,--output", o->output, "out.gif, out.mp4, or an image (one row of frames)")->required()
      ->check(image_output({".gif", ".mp4"}));
  cmd->add_option("--frames", o->frames, "Frames, both ends included")->capture_default_str()->check(CLI::Range(2, 1000));
  cmd->add_option("--method", o->method, "slerp (keeps the latent's norm typical) or linear")
      ->capture_default_str()->check(CLI::IsMember({"slerp", "linear"}));
  cmd->add_option("--fps", o->fps, "Frames per second of an animation")->capture_default_str()->check(CLI::Range(0.5, 60.0));
  cmd->add_flag("--strict", o->strict, "Treat a frame that does not decode cleanly as an error");
  cmd->add_option("-m,--model", o->model, "Model file (.glow); default: the bundled model");
  cmd->add_option("--device", o->device, "auto, cpu or cuda")->capture_default_str()->check(CLI::IsMember({"auto", "cpu", "cuda"}));
  cmd->callback([o] {
    init_runtime(g_threads);
    auto model = Model::load(model_path_or_default(o->model), o->device);
    const auto a = encode_photo(model, o->a);
    const auto b = encode_photo(model, o->b);
    std::vector<Image> frames;
    double least = 1.0;
    for (int i = 0; i < o->frames; ++i) {
      const double t = static_cast<double>(i) / (o->frames - 1);
      const auto g = model.decode_guarded(a.latent, interpolate(a.latent, b.latent, t, o->method == "slerp"), GuardRule::Range);
      least = std::min(least, g.strength);
      frames.push_back(g.image);
    }
    if (least < 1.0) {
      if (o->strict) throw Error(ErrorKind::Numeric, "some frames between " + o->a + " and " + o->b + " do not decode cleanly");
      std::cerr << "note: some frames were drawn nearer to " << o->a << " (they do not decode cleanly on the way)\n";
    }
    write_frames(o->output, frames, o->fps);
    std::cout << o->output << "\n";
  });
}

}  // namespace glowlab::cli
