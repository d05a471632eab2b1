// glowlab-cli train and attributes: the long jobs, with a progress line and clean interruption.
#include <atomic>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <thread>
#include <unistd.h>

#include <CLI/CLI.hpp>

#include "commands.h"
#include "core/atomic_file.h"
#include "glowlab.h"
#include "launch.h"
#include "model_path.h"

namespace glowlab::cli {
namespace {

std::atomic<bool> g_stop{false};

void on_signal(int sig) {
  g_stop = true;
  std::signal(sig, SIG_DFL);  // a second signal ends the process at once
}

std::string clock_text(double seconds) {
  if (seconds < 0) return "--:--";
  const long s = static_cast<long>(seconds);
  char buf[32];
  if (s >= 3600) std::snprintf(buf, sizeof buf, "%ld:%02ld:%02ld", s / 3600, (s / 60) % 60, s % 60);
  else std::snprintf(buf, sizeof buf, "%02ld:%02ld", s / 60, s % 60);
  return buf;
}

std::string default_cache_dir() {
  if (const char* x = std::getenv("XDG_CACHE_HOME"); x && *x) return std::string(x) + "/glowlab";
  if (const char* h = std::getenv("HOME"); h && *h) return std::string(h) + "/.cache/glowlab";
  return "";
}

}  // namespace

void add_train(CLI::App& app) {
  auto* cmd = app.add_subcommand("train", "Train a model on a dataset; checkpointed, resumable, interruptible (Ctrl+C)");
  struct Opts {
    TrainOptions t;
    std::string config_file, coupling = "affine";
    double scale_min = kDefaultScaleMin;
    bool no_cache = false;
    int nproc = 1;
    double dist_timeout = 300;
  };
  auto o = std::make_shared<Opts>();
  auto& t = o->t;
  cmd->add_option("data", t.data,
                  "Dataset folders, one or more: CelebA layout, UTKFace, a folder of photos, or Fashion-MNIST IDX files")
      ->required();
  cmd->add_option("-o,--out", t.run_dir, "Run folder: model.glow (EMA weights), checkpoint.ckpt, train.jsonl, samples.png")->required();
  cmd->add_option("--dataset", t.dataset_kind, "auto, celeba, utkface, folder or fashion-mnist")->capture_default_str()
      ->check(CLI::IsMember({"auto", "celeba", "utkface", "folder", "fashion-mnist"}));
  cmd->add_flag("--align", t.align,
                "Frame every photo as the window does: its face's five landmarks mapped onto the model's framing (a new "
                "model's is the photos' mean, stored in it); photos without a face are skipped and counted");
  cmd->add_flag("--flip", t.flip, "Also train on mirrored photos (each image flipped left-right at random)");
  cmd->add_option("--config", o->config_file, "GlowConfig JSON for a new model")->check(CLI::ExistingFile);
  cmd->add_option("--init-model", t.init_model, "Start from this .glow instead of a new model")->check(CLI::ExistingFile);
  cmd->add_option("--steps", t.steps, "Total optimiser steps to reach (0: until --minutes)")->capture_default_str();
  cmd->add_option("--minutes", t.minutes, "Time budget for this run in minutes (0: none)")->capture_default_str();
  cmd->add_option("--batch", t.batch, "Images per step")->capture_default_str()->check(CLI::Range(1, 4096));
  cmd->add_option("--lr", t.lr, "Peak learning rate")->capture_default_str();
  cmd->add_option("--warmup", t.warmup_steps, "Linear learning-rate warm-up steps")->capture_default_str();
  cmd->add_option("--decay-from", t.decay_from, "With --steps: decay the learning rate linearly from this step (-1: no decay)")
      ->capture_default_str();
  cmd->add_option("--lr-final", t.lr_final, "Learning-rate factor reached at the last step when decaying")->capture_default_str();
  cmd->add_option("--precision", t.precision,
                  "Arithmetic of the coupling networks' hidden convolutions while training: fp32, or bf16 (faster only "
                  "where the CPU or GPU has fast bf16 convolutions; the flow itself stays float32, and the model is used "
                  "in float32)")->capture_default_str()->check(CLI::IsMember({"fp32", "bf16"}));
  cmd->add_option("--optimizer", t.optimizer, "adam or adamax")->capture_default_str()->check(CLI::IsMember({"adam", "adamax"}));
  cmd->add_option("--clip", t.clip_norm, "Gradient-norm clipping (0: off)")->capture_default_str();
  cmd->add_option("--ema", t.ema_decay, "EMA decay of the exported weights")->capture_default_str();
  cmd->add_option("--checkpoint-minutes", t.checkpoint_minutes, "Minutes between checkpoints")->capture_default_str();
  cmd->add_option("--checkpoint-every", t.checkpoint_every, "Also checkpoint every N steps (0: off)")->capture_default_str();
  cmd->add_option("--test-images", t.test_images, "Held-out images evaluated at each checkpoint")->capture_default_str();
  cmd->add_option("--init-batch", t.init_batch, "Images for ActNorm's data-dependent init")->capture_default_str();
  cmd->add_option("--limit", t.limit, "Use at most this many images (0: all)")->capture_default_str();
  cmd->add_option("--seed", t.seed, "Seed: weights, data order, dequantisation noise")->capture_default_str();
  cmd->add_option("--device", t.device, "auto, cpu or cuda")->capture_default_str()->check(CLI::IsMember({"auto", "cpu", "cuda"}));
  cmd->add_option("--nproc", o->nproc,
                  "Data-parallel: start this many local ranks (processes), each training on its own share of every "
                  "batch of --batch images per rank, cores / N threads each. Several machines: start one process per "
                  "rank with torchrun's variables (RANK, WORLD_SIZE, MASTER_ADDR, MASTER_PORT; see README)")
      ->capture_default_str()->check(CLI::Range(1, 256));
  cmd->add_option("--dist-timeout", o->dist_timeout,
                  "Data-parallel: seconds a rank may stay silent (died, hung) before the others stop, naming it")
      ->capture_default_str()->check(CLI::Range(1.0, 86400.0));
  cmd->add_flag("--resume", t.resume, "Continue the checkpoint in --out (starts fresh if there is none)");
  cmd->add_flag("--no-cache", o->no_cache, "Do not read or write the packed dataset cache");
  cmd->add_option("--image-size", t.config.image_size, "New model: image side")->capture_default_str();
  cmd->add_option("--channels", t.config.channels, "New model: 1 or 3")->capture_default_str();
  cmd->add_option("-L,--levels", t.config.levels, "New model: levels")->capture_default_str();
  cmd->add_option("-K,--steps-per-level", t.config.steps, "New model: flow steps per level")->capture_default_str();
  cmd->add_option("--width", t.config.width, "New model: coupling width")->capture_default_str();
  cmd->add_option("--n-bits", t.config.n_bits, "New model: quantisation bits")->capture_default_str();
  cmd->add_option("--coupling", o->coupling, "New model: affine or additive")->capture_default_str()
      ->check(CLI::IsMember({"affine", "additive"}));
  auto* scale_min = cmd->add_option("--scale-min", o->scale_min,
                                    "Affine coupling's scale floor s: scale = s + (1 - s) * sigmoid(h + 2), so decoding "
                                    "never amplifies by more than 1/s per layer; 0 = the paper's unbounded sigmoid(h + 2). "
                                    "Applies to new models, and with --init-model replaces that model's")
                        ->capture_default_str()->check(CLI::Range(0.0, 0.95));
  cmd->callback([o, scale_min] {
    if (!have_distributed() && (o->nproc > 1 || DistributedOptions::from_environment().enabled())) {
      throw Error(ErrorKind::InvalidArgument, "data-parallel training (" + std::string(o->nproc > 1 ? "--nproc" : "WORLD_SIZE > 1") +
                                                  ") is not in this build of glowlab-cli: it was configured with GLOWLAB_DISTRIBUTED=OFF "
                                                  "(no Gloo headers; Debian's libgloo-dev has them)");
    }
    if (o->nproc > 1) {
      if (std::getenv("WORLD_SIZE")) throw CLI::ValidationError("--nproc", "this process is already one rank of a job (WORLD_SIZE is set)");
      const int rc = launch_local_ranks(o->nproc, o->dist_timeout);
      if (rc == kExitCancelled) throw Error(ErrorKind::Cancelled, "interrupted: checkpoint written, continue with --resume");
      if (rc != kExitOk) throw Error(ErrorKind::Io, "the training job failed (see the ranks' messages above)");
      return;
    }
    auto& t = o->t;
    t.distributed = DistributedOptions::from_environment();
    t.distributed.timeout_seconds = o->dist_timeout;
    const int rank = t.distributed.rank;
    // torchrun starts LOCAL_WORLD_SIZE ranks per machine: their threads share its cores.
    int threads = g_threads;
    if (threads == 0 && t.distributed.enabled()) {
      const char* local = std::getenv("LOCAL_WORLD_SIZE");
      const int per_machine = local ? std::max(1, std::atoi(local)) : 1;
      threads = std::max(1, static_cast<int>(std::thread::hardware_concurrency()) / per_machine);
    }
    init_runtime(threads);
    if (!o->config_file.empty()) t.config = GlowConfig::from_json(read_file(o->config_file, 1 << 20), o->config_file);
    else t.config.coupling = o->coupling == "affine" ? CouplingType::Affine : CouplingType::Additive;
    if (o->config_file.empty() || scale_min->count()) t.config.scale_min = o->scale_min;
    if (scale_min->count()) t.init_scale_min = o->scale_min;
    t.device = resolve_device(t.device);
    if (!o->no_cache) t.cache_dir = default_cache_dir();
    const bool tty = ::isatty(STDERR_FILENO) && rank == 0;
    auto last = std::chrono::steady_clock::now();
    t.on_progress = [tty, last](const TrainProgress& p) mutable {
      if (!tty) return;
      const auto now = std::chrono::steady_clock::now();
      if (std::chrono::duration<double>(now - last).count() < 0.5) return;
      last = now;
      std::fprintf(stderr, "\r\033[Kstep %lld%s | %.1f img/s | %.3f bits/dim | lr %.1e | ETA %s",
                   static_cast<long long>(p.step),
                   p.total_steps ? ("/" + std::to_string(p.total_steps)).c_str() : "", p.images_per_second,
                   p.train_bits_per_dim, p.learning_rate, clock_text(p.eta_seconds).c_str());
    };
    // Rank 0 tells the story; the other ranks only what concerns them alone (prefixed).
    t.log = [tty, rank](const std::string& s) {
      if (rank == 0) std::cerr << (tty ? "\r\033[K" : "") << s << "\n";
      else if (s.rfind("warning", 0) == 0) std::cerr << "rank " << rank << ": " << s << "\n";
    };
    t.should_stop = [] { return g_stop.load(); };
    std::signal(SIGINT, on_signal);
    std::signal(SIGTERM, on_signal);
    const auto r = train(t);
    std::signal(SIGINT, SIG_DFL);
    std::signal(SIGTERM, SIG_DFL);
    if (rank != 0) {
      if (r.interrupted) throw Error(ErrorKind::Cancelled, "rank " + std::to_string(rank) + ": interrupted");
      return;
    }
    std::cout << (t.distributed.enabled() ? "ranks " + std::to_string(t.distributed.world_size) + "\n" : std::string()) << "model " << r.model_path << "\nsteps " << r.steps << "\ntrain_bits_per_dim " << r.train_bits_per_dim
              << "\ntest_bits_per_dim " << r.test_bits_per_dim << "\nimages_per_second " << r.images_per_second
              << "\nskipped_batches " << r.skipped_batches << "\n";
    if (t.distributed.enabled()) std::cout << "images_per_second_per_rank " << r.images_per_second_per_rank << "\n";
    if (r.interrupted) throw Error(ErrorKind::Cancelled, "interrupted: checkpoint written, continue with --resume");
  });
}

void add_attributes(CLI::App& app) {
  auto* cmd = app.add_subcommand("attributes", "Compute attribute directions from labelled faces and store them in the model");
  auto o = std::make_shared<AttributeOptions>();
  auto no_cache = std::make_shared<bool>(false);
  cmd->add_option("-m,--model", o->model_path,
                  "Model file (.glow) to read; without -o it is updated in place (atomically). "
                  "Without -m, the bundled model is read and -o is required");
  cmd->add_option("data", o->data,
                  "Labelled folders, one or more: CelebA layout (list_attr_celeba.txt), UTKFace (ages in the names: an Age "
                  "direction in years, and Male), or Fashion-MNIST");
  cmd->add_flag("--align", o->align,
                "Frame the photos onto the model's framing by their landmarks, as a model trained with --align saw them");
  cmd->add_option("-o,--output", o->output_path, "Write the model with its directions here (a new file)");
  cmd->add_option("--positives", o->positives, "Custom attribute: folder of photos that have it");
  cmd->add_option("--negatives", o->negatives, "Custom attribute: folder of photos that lack it");
  cmd->add_option("--name", o->name, "Custom attribute: its name (letters, digits, _ and -)");
  cmd->add_option("--limit", o->limit, "Use at most this many images (0: all)")->capture_default_str();
  cmd->add_option("--range-sample", o->range_sample, "Images used to choose slider ranges")->capture_default_str();
  cmd->add_option("--method", o->method,
                  "regression: all attributes fitted jointly (ridge least squares), each direction the effect of "
                  "one attribute with the others held fixed; mean: mean of the faces having it minus those lacking it")
      ->capture_default_str()->check(CLI::IsMember({"regression", "mean"}));
  cmd->add_option("--finest-level", o->finest_level,
                  "Directions touch latent levels from this one to the coarsest (0: all; higher levels keep more of "
                  "a face's fine detail)")->capture_default_str()->check(CLI::Range(0, 7));
  cmd->add_option("--ridge", o->ridge, "Regression: ridge term, relative to the mean label count")->capture_default_str()
      ->check(CLI::Range(0.0, 100.0));
  cmd->add_option("--device", o->device, "auto, cpu or cuda")->capture_default_str()->check(CLI::IsMember({"auto", "cpu", "cuda"}));
  cmd->add_flag("--no-cache", *no_cache, "Do not read or write the packed dataset cache");
  cmd->callback([o, no_cache] {
    if (o->model_path.empty() && o->output_path.empty()) {
      // Never rewrite the bundled (or $GLOWLAB_MODEL) model behind the user's back.
      throw CLI::ValidationError("attributes",
                                 "name the model to update with -m MODEL, or write a new file with -o OUT "
                                 "(the default model is only read, never rewritten)");
    }
    init_runtime(g_threads);
    o->model_path = model_path_or_default(o->model_path);
    if (!*no_cache) o->cache_dir = default_cache_dir();
    const bool tty = ::isatty(STDERR_FILENO);
    o->progress = [tty](double f) {
      if (tty) std::fprintf(stderr, "\r\033[Kencoding %5.1f%%", 100.0 * f);
      return true;
    };
    o->warn = [tty](const std::string& s) { std::cerr << (tty ? "\r\033[K" : "") << "warning: " << s << "\n"; };
    const auto attrs = glowlab::add_attributes(*o);
    if (tty) std::fprintf(stderr, "\n");
    for (const auto& a : attrs) {
      std::cout << a.name << " +" << a.positives << " -" << a.negatives << " range [" << a.range_min << ", " << a.range_max << "]\n";
    }
    std::cout << "wrote " << (o->output_path.empty() ? o->model_path : o->output_path) << "\n";
  });
}

void add_framing(CLI::App& app) {
  auto* cmd = app.add_subcommand("framing",
                                 "Store the framing of a face set (its mean five landmarks) in the model: photos are then "
                                 "aligned onto it (attributes does this too when the folder has landmarks)");
  auto model = std::make_shared<std::string>();
  auto data = std::make_shared<std::string>();
  auto output = std::make_shared<std::string>();
  cmd->add_option("-m,--model", *model, "Model file (.glow) to update in place (atomically)")->required();
  cmd->add_option("data", *data, "CelebA-layout folder with list_landmarks_align_celeba.txt")->required();
  cmd->add_option("-o,--output", *output, "Write the model here instead (a new file)");
  cmd->callback([=] {
    init_runtime(g_threads);
    const auto f = glowlab::add_framing(*model, *data, *output);
    const char* names[] = {"left eye", "right eye", "nose", "left mouth corner", "right mouth corner"};
    for (int k = 0; k < 5; ++k) std::printf("%-19s %.4f %.4f\n", names[k], f[static_cast<size_t>(2 * k)], f[static_cast<size_t>(2 * k + 1)]);
    std::cout << "wrote " << (output->empty() ? *model : *output) << "\n";
  });
}

}  // namespace glowlab::cli
