#include "commands.h"

#include <cstdio>
#include <cstdlib>
#include <iomanip>
#include <iostream>
#include <sstream>
#include <sys/stat.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include "config_flags.h"
#include "glowlab.h"
#include "model_path.h"

namespace glowlab::cli {

int g_threads = 0;

namespace {

// Options shared by every command that loads a model.
struct ModelOptions {
  std::string model;
  std::string device = "auto";
};

void add_model_options(CLI::App* cmd, ModelOptions& o) {
  cmd->add_option("-m,--model", o.model, "Model file (.glow); default: the bundled model");
  cmd->add_option("--device", o.device, "auto, cpu or cuda")->capture_default_str()
      ->check(CLI::IsMember({"auto", "cpu", "cuda"}));
}

Model open_model(const ModelOptions& o) {
  init_runtime(g_threads);
  const std::string path = model_path_or_default(o.model);
  auto m = Model::load(path, o.device);
  if (!m.checksummed()) std::cerr << "note: " << path << " has no checksum (written before GlowLab stored them): damage to it cannot be detected\n";
  return m;
}

// Reads every image in `dir` (or the file `dir`), fitted to the model's size; unreadable files are
// reported by name on stderr and skipped. Throws if nothing usable remains.
std::vector<Image> load_images(const std::string& dir, const GlowConfig& c, size_t limit) {
  std::vector<std::string> files;
  struct stat st {};
  if (::stat(dir.c_str(), &st) == 0 && S_ISREG(st.st_mode)) {
    files.push_back(dir);
  } else {
    files = list_images(dir);
  }
  std::vector<Image> out;
  for (const auto& f : files) {
    if (limit && out.size() >= limit) break;
    try {
      out.push_back(fit_square(read_image(f, c.channels), c.image_size));
    } catch (const Error& e) {
      std::cerr << "warning: skipped " << e.what() << "\n";
    }
  }
  if (out.empty()) throw Error(ErrorKind::Io, dir + ": no readable images");
  return out;
}

// The engine's description of a model, as lines of text (the window's Model Info shows the same).
void print_description(const ModelDescription& d) {
  const auto& c = d.config;
  std::cout << "model:       " << d.path << "\n"
            << "image:       " << c.image_size << "x" << c.image_size << "x" << c.channels << ", " << c.n_bits << "-bit\n"
            << "flow:        L=" << c.levels << " K=" << c.steps << " width=" << c.width << " " << to_string(c.coupling)
            << " coupling, " << to_string(c.permutation) << " 1x1 conv, " << (c.learn_top ? "learned" : "standard")
            << " top prior\n"
            << "scale:       "
            << (c.scale_min > 0 ? "bounded, scale = " + std::to_string(c.scale_min).substr(0, 5) + " + " +
                                    std::to_string(1.0 - c.scale_min).substr(0, 5) + " * sigmoid(h + 2)"
                                : std::string("sigmoid(h + 2), unbounded inverse"))
            << "\n"
            << "parameters:  " << d.parameters << "\n"
            << "integrity:   " << (d.checksummed ? "SHA-256 of header and tensors verified" : "no checksum (an older file)") << "\n"
            << "framing:     "
            << (d.framing.empty() ? "none (photos are framed from the face detector's box)" : "five landmarks (photos are aligned onto them)")
            << "\n"
            << "latent:      " << d.latent_size << " values\n"
            << "attributes:  " << d.attributes.size() << "\n";
  for (const auto& a : d.attributes) {
    std::cout << "  " << std::left << std::setw(22) << a.name << " +" << a.positives << " / -" << a.negatives << "  range ["
              << a.range_min << ", " << a.range_max << "]" << (a.unit.empty() ? "" : " " + a.unit) << "\n";
  }
  std::cout << "provenance:  " << d.provenance_json << "\n";
}

void print_progress(const std::string& what, double fraction) {
  if (!::isatty(STDERR_FILENO)) return;
  std::fprintf(stderr, "\r%s %5.1f%%", what.c_str(), 100.0 * fraction);
  if (fraction >= 1.0) std::fprintf(stderr, "\n");
}

}  // namespace

std::function<std::string(const std::string&)> image_output(std::vector<std::string> also) {
  return [also = std::move(also)](const std::string& path) -> std::string {
    try {
      check_image_extension(path, also);
    } catch (const Error& e) {
      return e.what();
    }
    return {};
  };
}

std::string default_cache_dir() {
  if (const char* x = std::getenv("XDG_CACHE_HOME"); x && *x) return std::string(x) + "/glowlab";
  if (const char* h = std::getenv("HOME"); h && *h) return std::string(h) + "/.cache/glowlab";
  return "";
}

void add_init(CLI::App& app) {
  auto* cmd = app.add_subcommand("init", "Create a new model from a config; ActNorm is initialised on images or synthetic data");
  struct Opts {
    std::string images, output, device = "cpu";
    uint64_t seed = 0;
    size_t init_count = 256;
    std::unique_ptr<ConfigFlags> config;
  };
  auto o = std::make_shared<Opts>();
  cmd->add_option("-o,--output", o->output, "Model file to write (.glow)")->required();
  o->config = std::make_unique<ConfigFlags>(cmd, "-K,--steps", "");
  cmd->add_option("--images", o->images, "Folder (or file) of images for ActNorm's data-dependent init");
  cmd->add_option("--init-count", o->init_count, "At most this many init images")->capture_default_str();
  cmd->add_option("--seed", o->seed, "Random seed for the weights")->capture_default_str();
  cmd->add_option("--device", o->device, "auto, cpu or cuda")->capture_default_str()
      ->check(CLI::IsMember({"auto", "cpu", "cuda"}));
  cmd->callback([o] {
    init_runtime(g_threads);
    const GlowConfig c = o->config->merged();
    std::vector<Image> images;
    if (!o->images.empty()) images = load_images(o->images, c, o->init_count);
    auto model = Model::create(c, images, o->seed, o->device);
    model.save(o->output);
    std::cout << "wrote " << o->output << " (" << model.parameter_count() << " parameters, ActNorm initialised on "
              << (images.empty() ? std::string("synthetic data") : std::to_string(images.size()) + " images")
              << ")\n";
  });
}

void add_info(CLI::App& app) {
  auto* cmd = app.add_subcommand("info", "Print a model's config, parameter count, attributes and provenance");
  auto o = std::make_shared<ModelOptions>();
  cmd->add_option("model", o->model, "Model file (.glow); default: the bundled model");
  auto json = std::make_shared<bool>(false);
  cmd->add_flag("--json", *json, "Print one JSON object");
  cmd->callback([o, json] {
    o->device = "cpu";
    auto m = open_model(*o);
    const auto d = describe_model(m, model_path_or_default(o->model));
    if (*json) {
      const nlohmann::json j = {{"config", nlohmann::json::parse(d.config.to_json())},
                                {"parameters", d.parameters},
                                {"checksummed", d.checksummed},
                                {"framing", d.framing},
                                {"attributes", nlohmann::json::parse(attributes_to_json(d.attributes))},
                                {"provenance", nlohmann::json::parse(d.provenance_json, nullptr, false)}};
      std::cout << j.dump() << "\n";
      return;
    }
    print_description(d);
  });
}

void add_sample(CLI::App& app) {
  auto* cmd = app.add_subcommand("sample", "Draw samples at temperature T and write them as a grid image");
  struct Opts : ModelOptions {
    int n = 16, cols = 0;
    double temperature = 0.7;
    uint64_t seed = 0;
    std::string output;
    bool strict = false;
  };
  auto o = std::make_shared<Opts>();
  add_model_options(cmd, *o);
  cmd->add_flag("--strict", o->strict,
                "Fail (exit 1, nothing written) if a sample does not decode cleanly at T; by default such a sample "
                "is drawn at the largest clean temperature and reported");
  cmd->add_option("-n", o->n, "Number of samples")->capture_default_str()->check(CLI::Range(1, 4096));
  cmd->add_option("-T,--temperature", o->temperature, "Temperature: eps ~ N(0, T^2)")->capture_default_str()
      ->check(CLI::Range(0.0, 10.0));
  cmd->add_option("--seed", o->seed, "Random seed")->capture_default_str();
  cmd->add_option("--cols", o->cols, "Grid columns (default: square-ish)");
  cmd->add_option("-o,--output", o->output, "Grid image to write (.png, .jpg, ...)")->required()->check(image_output());
  cmd->callback([o] {
    auto m = open_model(*o);
    std::vector<double> limits;
    auto images = m.sample(o->n, o->temperature, o->seed, &limits);
    int limited = 0;
    for (size_t i = 0; i < limits.size(); ++i) {
      if (limits[i] >= 1.0) continue;
      ++limited;
      std::cerr << (o->strict ? "error: " : "note: ") << "sample " << i + 1 << " does not decode cleanly at T = "
                << o->temperature << "; " << (o->strict ? "the largest clean T is " : "drawn at T = ")
                << o->temperature * limits[i] << "\n";
    }
    if (limited && o->strict) {
      throw Error(ErrorKind::Numeric, std::to_string(limited) + " of " + std::to_string(o->n) +
                                          " samples do not decode cleanly at this temperature; " + o->output + " not written");
    }
    int cols = o->cols;
    if (cols <= 0) while (cols * cols < o->n) ++cols;
    write_image(o->output, make_grid(images, cols));
    std::cout << o->output << "\n";
  });
}

void add_reconstruct(CLI::App& app) {
  auto* cmd = app.add_subcommand("reconstruct", "Encode an image and decode it again; print the error and bits/dim");
  struct Opts : ModelOptions {
    std::string input, output;
  };
  auto o = std::make_shared<Opts>();
  add_model_options(cmd, *o);
  cmd->add_option("input", o->input, "Image file")->required();
  cmd->add_option("-o,--output", o->output, "Where to write the reconstruction")->check(image_output());
  cmd->callback([o] {
    auto m = open_model(*o);
    const auto& c = m.config();
    auto im = fit_square(read_image(o->input, c.channels), c.image_size);
    auto r = m.reconstruct(im);
    if (!o->output.empty()) write_image(o->output, r.image);
    std::cout << "max_abs_pixel_error " << r.max_abs_error << "\nbits_per_dim " << std::fixed
              << std::setprecision(4) << r.bits_per_dim << "\n";
  });
}

void add_eval(CLI::App& app) {
  auto* cmd = app.add_subcommand("eval", "Mean bits/dim of the model over a folder of images");
  struct Opts : ModelOptions {
    std::string dir;
    size_t limit = 0;
    uint64_t seed = 0;
    std::string noise = "uniform";
  };
  auto o = std::make_shared<Opts>();
  add_model_options(cmd, *o);
  cmd->add_option("images", o->dir, "Folder of images (searched recursively)")->required();
  cmd->add_option("--limit", o->limit, "Use at most this many images (0: all)");
  cmd->add_option("--seed", o->seed, "Seed of the dequantisation noise")->capture_default_str();
  cmd->add_option("--noise", o->noise,
                  "uniform: dequantisation noise from --seed; none: every value at its bin's centre "
                  "(x/n_bins - 0.5 + 0.5/n_bins), deterministic, to compare with other code exactly")
      ->capture_default_str()->check(CLI::IsMember({"uniform", "none"}));
  cmd->callback([o] {
    auto m = open_model(*o);
    auto images = load_images(o->dir, m.config(), o->limit);
    const double bpd = o->noise == "none" ? centred_bits_per_dim(model_path_or_default(o->model), images, o->device)
                                          : m.bits_per_dim(images, o->seed, [](double f) {
      print_progress("eval", f);
      return true;
    });
    std::cout << "images " << images.size() << "\nbits_per_dim " << std::fixed << std::setprecision(o->noise == "none" ? 8 : 4)
              << bpd << "\n";
  });
}

void add_bench(CLI::App& app) {
  auto* cmd = app.add_subcommand("bench", "Measure latency, throughput and peak memory; print JSON (a benchmark, not a test)");
  struct Opts {
    BenchOptions b;
    std::unique_ptr<ConfigFlags> config;
  };
  auto o = std::make_shared<Opts>();
  o->b.device = "auto";
  cmd->add_option("-m,--model", o->b.model_path, "Benchmark this model file instead of a config");
  o->config = std::make_unique<ConfigFlags>(cmd, "-K,--steps", "Without --model: ");
  cmd->add_option("--device", o->b.device, "auto, cpu or cuda")->capture_default_str()
      ->check(CLI::IsMember({"auto", "cpu", "cuda"}));
  cmd->add_option("--iterations", o->b.iterations, "Timed runs per latency figure (at least 1)")->capture_default_str();
  cmd->add_option("--batch", o->b.batch, "Batch for throughput figures")->capture_default_str()->check(CLI::Range(1, 1024));
  cmd->add_option("--train-steps", o->b.train_steps, "Timed training steps")->capture_default_str();
  cmd->add_option("--precision", o->b.precisions,
                  "Coupling-network arithmetic to measure, in turn: fp32, bf16 (comma-separated; the first one's figures "
                  "are also at the top level, all under by_precision)")
      ->delimiter(',')->capture_default_str()->check(CLI::IsMember({"fp32", "bf16"}));
  cmd->add_flag("--profile", o->b.profile,
                "Also where encode, decode and a training step spend their time, by operator (self time and calls) and by level, and the training step's parts (CPU)");
  cmd->add_option("--photo", o->b.photo,
                  "With --model: also time opening this photo as the window does (read, face and landmarks, crop, "
                  "encode) and a render (decode, the guard's checks)")
      ->check(CLI::ExistingFile);
  cmd->callback([o] {
    init_runtime(g_threads);
    if (!o->b.photo.empty() && o->b.model_path.empty()) throw CLI::ValidationError("--photo", "needs --model");
    if (const auto flag = o->config->shape_flag_given(); !flag.empty() && !o->b.model_path.empty()) {
      throw CLI::ValidationError(flag, "shapes a new model, but --model benchmarks that file as it is: give one or the other");
    }
    o->b.config = o->config->merged();
    o->b.log = [](const std::string& s) { std::cerr << s << "\n"; };
    std::cout << run_bench(o->b) << "\n";
  });
}

}  // namespace glowlab::cli
