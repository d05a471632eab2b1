// glowlab-cli train and attributes: the long jobs, with a progress line and clean interruption.
#include <atomic>
#include <chrono>
#include <csignal>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <thread>
#include <unistd.h>

#include <CLI/CLI.hpp>

#include "commands.h"
#include "config_flags.h"
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

struct TrainFlags {
  TrainOptions t;
  std::unique_ptr<ConfigFlags> config;
  bool no_cache = false;
  int nproc = 1;
  double dist_timeout = 300;
};

// The data: sources, framing, augmentation.
void add_data_flags(CLI::App* cmd, TrainFlags& f) {
  auto& t = f.t;
  cmd->add_option("data", t.data,
                  "Dataset folders, one or more: CelebA layout, UTKFace, a folder of photos, or Fashion-MNIST IDX files")
      ->required();
  cmd->add_option("-o,--out", t.run_dir, "Run folder: model.glow (EMA weights), checkpoint.ckpt, train.jsonl, samples.png")->required();
  cmd->add_option("--dataset", t.dataset_kind, "auto, celeba, utkface, folder or fashion-mnist")->capture_default_str()
      ->check(CLI::IsMember({"auto", "celeba", "utkface", "folder", "fashion-mnist"}));
  cmd->add_flag("--align", t.align,
                "Frame every photo as the window does: its face's five landmarks mapped onto the model's framing (a new "
                "model's is the photos' mean, stored in it); photos without a face are skipped and counted");
  cmd->add_option_function<std::string>(
         "--framing", [&t](const std::string& v) { t.framing = parse_framing(v, "--framing"); },
         "With --align: the framing to map the photos onto, \"head\" (the whole head, hair and crown: eyes a quarter of the "
         "side apart, as FFHQ) or ten fractions of the side (x,y of the eyes, nose and mouth corners); default: the init "
         "model's, else the photos' mean")
      ->type_name("head|X,Y,...");
  cmd->add_flag("--flip", t.flip, "Also train on mirrored photos (each image flipped left-right at random)");
  cmd->add_flag("--resume", t.resume, "Continue the checkpoint in --out (starts fresh if there is none)");
  cmd->add_flag("--no-cache", f.no_cache, "Do not read or write the packed dataset cache");
}

// The start, the schedule, the optimiser, checkpoints.
void add_schedule_flags(CLI::App* cmd, TrainOptions& t) {
  cmd->add_option("--init-model", t.init_model, "Start from this .glow instead of a new model (without --align the images are taken as framed already, as `quantize --align` with that model frames them, and the model keeps its framing)")->check(CLI::ExistingFile);
  cmd->add_option("--steps", t.steps, "Total optimiser steps to reach (0: until --minutes)")->capture_default_str();
  cmd->add_option("--minutes", t.minutes, "Time budget for this run in minutes (0: none)")->capture_default_str();
  cmd->add_option("--batch", t.batch, "Images per step")->capture_default_str()->check(CLI::Range(1, 4096));
  cmd->add_option("--lr", t.lr, "Peak learning rate")->capture_default_str();
  cmd->add_option("--warmup", t.warmup_steps, "Linear learning-rate warm-up steps")->capture_default_str();
  cmd->add_option("--decay-from", t.decay_from, "With --steps: decay the learning rate linearly from this step (-1: no decay)")
      ->capture_default_str();
  cmd->add_option("--lr-final", t.lr_final, "Learning-rate factor reached at the last step when decaying")->capture_default_str();
  cmd->add_option("--precision", t.precision,
                  "Arithmetic of the coupling networks' hidden convolutions while training: fp32, bf16 (faster only "
                  "where the CPU or GPU has fast bf16 convolutions; the flow itself stays float32, and the model is used "
                  "in float32), or auto: bf16 where the CPU has native bf16 (or on a GPU) and a step on the first batch "
                  "measures at least 10% faster with a loss within 0.01 bits/dim of fp32's, else fp32 (one process only)")
      ->capture_default_str()
      ->check(CLI::IsMember({"fp32", "bf16", "auto"}));
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
}

// Data-parallel training (one process per rank).
void add_parallel_flags(CLI::App* cmd, TrainFlags& f) {
  cmd->add_option("--nproc", f.nproc,
                  "Data-parallel: start this many local ranks (processes), each training on its own share of every "
                  "batch of --batch images per rank, cores / N threads each. Several machines: start one process per "
                  "rank with torchrun's variables (RANK, WORLD_SIZE, MASTER_ADDR, MASTER_PORT; see README)")
      ->capture_default_str()->check(CLI::Range(1, 256));
  cmd->add_option("--dist-timeout", f.dist_timeout,
                  "Data-parallel: seconds a rank may stay silent (died, hung) before the others stop, naming it")
      ->capture_default_str()->check(CLI::Range(1.0, 86400.0));
}

// Refuses data-parallel requests this build cannot serve; with --nproc N, runs the N local ranks
// here and returns true (the job is done).
bool launched_local_ranks(const TrainFlags& f) {
  if (!have_distributed() && (f.nproc > 1 || DistributedOptions::from_environment().enabled())) {
    throw Error(ErrorKind::InvalidArgument, "data-parallel training (" + std::string(f.nproc > 1 ? "--nproc" : "WORLD_SIZE > 1") +
                                                ") is not in this build of glowlab-cli: it was configured with GLOWLAB_DISTRIBUTED=OFF "
                                                "(no Gloo headers; Debian's libgloo-dev has them)");
  }
  if (f.nproc <= 1) return false;
  if (std::getenv("WORLD_SIZE")) throw CLI::ValidationError("--nproc", "this process is already one rank of a job (WORLD_SIZE is set)");
  const int rc = launch_local_ranks(f.nproc, f.dist_timeout);
  if (rc == kExitCancelled) throw Error(ErrorKind::Cancelled, "interrupted: checkpoint written, continue with --resume");
  if (rc != kExitOk) throw Error(ErrorKind::Io, "the training job failed (see the ranks' messages above)");
  return true;
}

// torchrun starts LOCAL_WORLD_SIZE ranks per machine: their threads share its cores.
int threads_per_rank(const DistributedOptions& d) {
  if (g_threads != 0 || !d.enabled()) return g_threads;
  const char* local = std::getenv("LOCAL_WORLD_SIZE");
  const int per_machine = local ? std::max(1, std::atoi(local)) : 1;
  return std::max(1, static_cast<int>(std::thread::hardware_concurrency()) / per_machine);
}

// A progress line on a terminal (rank 0 only); log lines: rank 0 tells the story, the other ranks
// only what concerns them alone (prefixed).
void report_to_terminal(TrainOptions& t, int rank) {
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
  t.log = [tty, rank](const std::string& s) {
    if (rank == 0) std::cerr << (tty ? "\r\033[K" : "") << s << "\n";
    else if (s.rfind("warning", 0) == 0) std::cerr << "rank " << rank << ": " << s << "\n";
  };
}

void print_result(const TrainOptions& t, const TrainResult& r) {
  if (t.distributed.enabled()) std::cout << "ranks " << t.distributed.world_size << "\n";
  std::cout << "model " << r.model_path << "\nsteps " << r.steps << "\ntrain_bits_per_dim " << r.train_bits_per_dim
            << "\ntest_bits_per_dim " << r.test_bits_per_dim << "\nimages_per_second " << r.images_per_second
            << "\nskipped_batches " << r.skipped_batches << "\n";
  if (t.distributed.enabled()) std::cout << "images_per_second_per_rank " << r.images_per_second_per_rank << "\n";
}

void run_train(TrainFlags& f) {
  if (launched_local_ranks(f)) return;
  auto& t = f.t;
  t.distributed = DistributedOptions::from_environment();
  t.distributed.timeout_seconds = f.dist_timeout;
  const int rank = t.distributed.rank;
  init_runtime(threads_per_rank(t.distributed));
  if (const auto flag = f.config->shape_flag_given(); !flag.empty() && !t.init_model.empty()) {
    throw CLI::ValidationError(flag, "shapes a new model, but --init-model starts from that model's shape: give one or the other");
  }
  t.config = f.config->merged();
  // --scale-min also replaces the floor of an --init-model's model (the bounded coupling of v2).
  if (f.config->scale_min_given()) t.init_scale_min = f.config->scale_min();
  t.device = resolve_device(t.device);
  if (!f.no_cache) t.cache_dir = default_cache_dir();
  report_to_terminal(t, rank);
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
  print_result(t, r);
  if (r.interrupted) throw Error(ErrorKind::Cancelled, "interrupted: checkpoint written, continue with --resume");
}

}  // namespace

void add_train(CLI::App& app) {
  auto* cmd = app.add_subcommand("train", "Train a model on a dataset; checkpointed, resumable, interruptible (Ctrl+C)");
  auto f = std::make_shared<TrainFlags>();
  add_data_flags(cmd, *f);
  add_schedule_flags(cmd, f->t);
  add_parallel_flags(cmd, *f);
  f->config = std::make_unique<ConfigFlags>(cmd, "-K,--steps-per-level", "New model: ");
  auto* scale_min = cmd->get_option("--scale-min");
  scale_min->description(scale_min->get_description() + ". With --init-model it replaces that model's floor");
  cmd->callback([f] { run_train(*f); });
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
  cmd->add_flag("--shrink-levels", o->shrink_levels,
                "Shrink each latent level of a direction towards zero by the share of it that is sampling noise "
                "(rare attributes' fine levels), as measured from the fit; the weights are stored and printed");
  cmd->add_option("--max-range", o->max_range,
                  "The sliders' recommended ranges end at most at this strength (a shrunk direction needs more "
                  "strength for the same change)")->capture_default_str()->check(CLI::Range(0.5, 20.0));
  cmd->add_option("--max-unfit", o->max_unfit,
                  "...and where at most this share of the sampled faces decode unfit to show (out of the image's "
                  "range, black, or painting colour noise, as the guard finds; 1: no such limit)")
      ->capture_default_str()->check(CLI::Range(0.0, 1.0));
  cmd->add_option("--condition", o->condition,
                  "Project each direction off the directions of the attributes whose training labels go with its own "
                  "at |phi| >= this (InterFaceGAN's conditional edit, built in; 0: none); printed and stored")
      ->capture_default_str()->check(CLI::Range(0.0, 1.0));
  cmd->add_option("--age-teacher", o->age_teacher,
                  "Fit Age also on the photos without an age in their names (CelebA's), their ages read by this age "
                  "regressor (judge-train --age; not the age judge that will score the slider)")
      ->check(CLI::ExistingFile);
  cmd->add_option("--age-guide", o->age_guide,
                  "Calibrate the Age slider's years on this age regressor's reading of decoded edits (judge-train --age, "
                  "another seed than the age judge that will score the slider) instead of the pixels' age axis")
      ->check(CLI::ExistingFile);
  auto* guide_option = cmd->add_option("--guide", o->guides,
                  "Refine the directions against this judge of attributes (judge-train; not the judge that will score "
                  "the sliders) through the decoder: the named attribute crosses, the others held (the Latent "
                  "Transformer's recipe on pixels). Several, comma-separated (other seeds), are read together: the "
                  "mean of their logits")
      ->delimiter(',')->check(CLI::ExistingFile);
  cmd->add_option("--guide-check", o->guide_check,
                  "Judges of attributes (judge-train, other seeds; comma-separated) that read the refinements on the "
                  "other training faces choosing among the holds, instead of the guide itself: a judge the refinement "
                  "was not fitted to reads it as the referee will (not the referee either)")
      ->delimiter(',')->check(CLI::ExistingFile)->needs(guide_option);
  cmd->add_option("--guide-attributes", o->guide_attributes, "Refine only these attributes (comma-separated; default: all the guide knows)")
      ->delimiter(',');
  cmd->add_option("--guide-steps", o->guide_steps, "Steps of refinement per direction and hold")->capture_default_str()->check(CLI::Range(1, 10000));
  cmd->add_option("--guide-hold", o->guide_holds,
                  "Weights of the other attributes' change in the refinement, comma-separated: each is tried and "
                  "other training faces choose, by the guide's reading (the fitted direction too)")
      ->capture_default_str()->delimiter(',')->check(CLI::Range(0.0, 100.0));
  cmd->add_option("--guide-strength", o->guide_strength,
                  "The edit the directions are refined at, each way, in slider units (0: each fitted direction's own range ends)")
      ->capture_default_str()->check(CLI::Range(0.0, 10.0));
  cmd->add_option("--guide-anchor", o->guide_anchor, "Weight that keeps a refined direction near the fitted one (|d - d0|^2 / |d0|^2)")
      ->capture_default_str()->check(CLI::Range(0.0, 100.0));
  cmd->add_option("--only", o->only,
                  "Compute and replace only these attributes (comma-separated; Age included only if named); the model's "
                  "others are kept as they are")
      ->delimiter(',');
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
    o->reading = [tty](double f) {
      if (tty) std::fprintf(stderr, "\r\033[Kreading the photos %5.1f%%", 100.0 * f);
    };
    auto stage = std::make_shared<std::string>("encoding");
    o->stage = [stage](const std::string& s) { *stage = s; };
    o->progress = [tty, stage](double f) {
      if (tty) std::fprintf(stderr, "\r\033[K%s %5.1f%%", stage->c_str(), 100.0 * f);
      return true;
    };
    o->warn = [tty](const std::string& s) { std::cerr << (tty ? "\r\033[K" : "") << "warning: " << s << "\n"; };
    o->note = [tty](const std::string& s) { std::cerr << (tty ? "\r\033[K" : "") << "note: " << s << "\n"; };
    const auto attrs = glowlab::add_attributes(*o);
    if (tty) std::fprintf(stderr, "\n");
    for (const auto& a : attrs) {
      std::cout << a.name << " +" << a.positives << " -" << a.negatives << " range [" << a.range_min << ", " << a.range_max << "]";
      if (!a.held_off.empty()) {
        std::cout << " held off";
        for (const auto& h : a.held_off) std::cout << " " << h;
      }
      if (!a.guide.empty()) std::cout << " guided by " << a.guide;
      if (!a.level_weights.empty()) {
        std::cout << " levels kept";
        for (double w : a.level_weights) std::cout << " " << std::round(w * 100) / 100;
      }
      std::cout << "\n";
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
