// glowlab-cli edit: the window's slider edit for photos on the command line, under the same
// guarded render (an edit that does not decode cleanly is limited and reported, never shown black).
#include <filesystem>
#include <iomanip>
#include <iostream>
#include <sstream>
#include <unistd.h>

#include <CLI/CLI.hpp>

#include "commands.h"
#include "glowlab.h"
#include "model_path.h"

namespace glowlab::cli {
namespace {

struct EditOptions {
  std::vector<std::string> photos;
  std::vector<std::string> sets;  // NAME=VALUE
  std::string keep;               // NAME,NAME
  int detail = 0;
  std::string output;
  std::string model, device = "auto";
  bool paste_back = false, strict = false;
};

std::pair<std::string, double> parse_set(const std::string& text) {
  const auto eq = text.find('=');
  if (eq == std::string::npos || eq == 0) throw CLI::ValidationError("--set", "'" + text + "' is not NAME=VALUE");
  try {
    size_t used = 0;
    const double v = std::stod(text.substr(eq + 1), &used);
    if (used != text.size() - eq - 1) throw std::invalid_argument("trailing text");
    return {text.substr(0, eq), v};
  } catch (const std::exception&) {
    throw CLI::ValidationError("--set", "'" + text + "': the value is not a number");
  }
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

}  // namespace

void add_edit(CLI::App& app) {
  auto* cmd = app.add_subcommand("edit", "Edit the face in each photo along attribute directions, as the window's sliders do");
  auto o = std::make_shared<EditOptions>();
  cmd->add_option("photos", o->photos, "Photos to edit")->required()->check(CLI::ExistingFile);
  cmd->add_option("--set", o->sets, "Slider value, NAME=VALUE (repeatable), e.g. --set Smiling=1.2")->required();
  cmd->add_option("--keep", o->keep,
                  "Attributes to hold fixed, comma-separated (e.g. Male,No_Beard): the edit moves along directions "
                  "that leave them unchanged");
  cmd->add_option("--detail", o->detail, "Finest latent level the edit touches (0: all levels; L-1: coarse only)")
      ->capture_default_str();
  cmd->add_option("-o,--output", o->output, "Output image for one photo, or a folder for several")->required();
  cmd->add_flag("--paste-back", o->paste_back, "Write the whole photo with the edited face pasted back");
  cmd->add_flag("--strict", o->strict,
                "Treat an edit that does not decode cleanly as an error (by default it is limited to the largest "
                "clean strength and reported)");
  cmd->add_option("-m,--model", o->model, "Model file (.glow); default: the bundled model");
  cmd->add_option("--device", o->device, "auto, cpu or cuda")->capture_default_str()->check(CLI::IsMember({"auto", "cpu", "cuda"}));
  cmd->callback([o] {
    std::vector<std::pair<std::string, double>> alphas;
    for (const auto& s : o->sets) alphas.push_back(parse_set(s));
    const auto keep = split_names(o->keep);
    init_runtime(g_threads);
    auto model = Model::load(model_path_or_default(o->model), o->device);
    const auto& c = model.config();
    // Unknown names and levels are refused before any photo is read.
    model.edit(std::vector<float>(static_cast<size_t>(c.dimension())), alphas, o->detail, keep);
    const bool many = o->photos.size() > 1;
    if (many) std::filesystem::create_directories(o->output);
    const bool tty = ::isatty(STDERR_FILENO);
    int failures = 0;
    for (size_t i = 0; i < o->photos.size(); ++i) {
      const auto& path = o->photos[i];
      if (tty && many) std::cerr << "[" << i + 1 << "/" << o->photos.size() << "] " << path << "\n";
      try {
        const Image photo = read_image(path, c.channels);
        const auto crop = align_face(photo, c.image_size, /*centre_fallback=*/true, path);
        if (!crop.face_found) std::cerr << "note: " << path << ": no face found, a centre crop is used\n";
        const auto base = model.encode(crop.crop);
        const auto g = model.decode_guarded(base, model.edit(base, alphas, o->detail, keep));
        if (g.limited()) {
          std::ostringstream what;
          for (const auto& [name, alpha] : alphas) {
            if (alpha != 0.0) what << (what.tellp() > 0 ? ", " : "") << name << " limited to " << std::showpos << std::fixed << std::setprecision(2) << alpha * g.strength << std::noshowpos;
          }
          if (o->strict) {
            throw Error(ErrorKind::Numeric, path + ": the edit does not decode cleanly at full strength (" + what.str() + " would)");
          }
          std::cerr << "note: " << path << ": " << what.str() << " (a stronger edit does not decode cleanly)\n";
        }
        std::string out = o->output;
        if (many) out = (std::filesystem::path(o->output) / std::filesystem::path(path).filename()).replace_extension(".png").string();
        write_image(out, o->paste_back ? paste_back(photo, g.image, crop) : g.image);
        std::cout << out << "\n";
      } catch (const Error& e) {
        ++failures;
        std::cerr << "error: " << e.what() << "\n";
      }
    }
    if (failures) {
      throw Error(ErrorKind::InvalidArgument, std::to_string(failures) + " of " + std::to_string(o->photos.size()) +
                                                  " photos were not edited (see above)");
    }
  });
}

}  // namespace glowlab::cli
