// GlowLab engine: the one header the UI and the CLI include (the build lets them see nothing else of
// the engine: engine/include/ holds it and the plain-type headers it includes). No Qt, no torch.
//
//   glowlab::init_runtime();                                  // once, at start-up
//   auto model = glowlab::Model::load("faces64.glow", "auto");
//   auto latent = model.encode(glowlab::fit_square(glowlab::read_image("me.jpg", 3), 64));
//   latent = model.edit(latent, {{"Smiling", 0.8}});
//   glowlab::write_image("me-smiling.png", model.decode(latent));
//
// Every function throws glowlab::Error (core/error.h) with a message naming the file or field.
// A Model is not thread-safe: use one per thread (it caches inverse weights as it runs).
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "bundle/attribute.h"
#include "bundle/recipe.h"
#include "core/atomic_file.h"
#include "core/error.h"
#include "core/image.h"
#include "edit/clip.h"
#include "edit/edit.h"
#include "flow/config.h"
#include "import/import.h"
#include "judge/judge.h"
#include "train/train_options.h"
#include "vision/animation.h"
#include "vision/face_align.h"
#include "vision/image_io.h"

namespace glowlab {

// Sets intra-op threads to `threads` (0: all cores), tunes malloc for large tensor buffers
// (GLOWLAB_MALLOC_TUNING=0 turns that off). Image files over kMaxImagePixels are refused by
// read_image from their header, before any pixel is decoded.
void init_runtime(int threads = 0);
// "auto" (CUDA if present, else CPU), "cpu" or "cuda". Throws Error(Device) if "cuda" is asked
// for and absent, unless fallback is set, in which case the CPU is used.
std::string resolve_device(const std::string& requested, bool fallback_to_cpu = false);
bool cuda_available();
// Whether this CPU has native bf16 arithmetic (AVX512_BF16 or AMX-BF16, as the kernel lists them).
bool cpu_has_native_bf16();

// Progress callback: fraction done in [0, 1]; return false to cancel (Error(Cancelled) follows).
using ProgressFn = std::function<bool(double fraction)>;

// A decode that never presents garbage: the image of base + strength * (target - base) for the
// largest strength in [0, 1] whose decode is clean: every value finite, and at most 0.2% of them
// more than two quantisation bins outside the image's range (clamped to 8 bits, such values are the
// saturated cyan, magenta and yellow an edit paints where it leaves the images the model knows; a
// runaway inverse fails too). An image already beyond that unedited (a sample) may not get worse.
// An edit (GuardRule::Edit) must also paint no colour noise over its base: the speckled colour
// part of its change, in the noisiest 8x8 window, at most kCleanColourNoise (data/pixels.h).
enum class GuardRule {
  Edit,   // the range and the colour noise of the change: base is the unedited image
  Range,  // the range alone: base is only a way back (a sample's zero latent, an interpolation's end)
};
struct GuardedImage {
  Image image;
  double strength = 1.0;  // 1: the target itself; below 1: the change was limited to this fraction
  bool limited() const { return strength < 1.0; }
};

struct Reconstruction {
  Image image;              // decode(encode(input)), at the model's resolution
  int max_abs_error = 0;    // max |pixel difference| in 8-bit levels, after n-bit quantisation
  double bits_per_dim = 0;  // of the input under the model (uniform dequantisation, seed 0)
};

class Model {
 public:
  // A new model with random weights; ActNorm is initialised on `init_images` (model-sized), or on
  // smooth synthetic images when none are given.
  static Model create(const GlowConfig& config, const std::vector<Image>& init_images, uint64_t seed,
                      const std::string& device = "cpu");
  static Model load(const std::string& path, const std::string& device = "cpu");
  void save(const std::string& path);

  const GlowConfig& config() const;
  std::int64_t parameter_count() const;
  const std::vector<Attribute>& attributes() const;
  const std::string& provenance_json() const;
  // CelebA's five landmarks averaged over the training images, as fractions of the side (10 values;
  // empty: the file has none). align_face(..., framing()) maps a photo's face onto it.
  const std::vector<double>& framing() const;
  // True when the file carried SHA-256 checksums and they matched (files written before they
  // existed load too, with false).
  bool checksummed() const;
  std::string device() const;

  // n images from eps ~ N(0, T^2) at every level; the same seed gives the same images.
  // Every image is decoded under the guard: a sample that does not decode cleanly is drawn at the
  // largest clean fraction of T instead, written to `limits` (1 where nothing was limited) if given.
  std::vector<Image> sample(int n, double temperature, uint64_t seed, std::vector<double>* limits = nullptr);
  // The latent of a model-sized image (D floats, level order as docs/model-format.md); exact.
  std::vector<float> encode(const Image& image);
  // The raw decode, unguarded: for measuring a model. Renders use decode_guarded.
  Image decode(const std::vector<float>& latent);
  // What decode(encode(image)) gives, without the flow: the image at the model's n_bits (the
  // encoding is exact, so the unedited decode of a photo's crop is its quantised self).
  Image quantized(const Image& image);
  // True when the latent decodes to a clean image (see GuardedImage).
  bool decodes_cleanly(const std::vector<float>& latent);
  // The raw decode with what the guard sees in it, for calibrating and reporting the guard. Given
  // the unedited `base`, `clean` is what decode_guarded(base, latent) asks (GuardRule::Edit);
  // without it, what decodes_cleanly says.
  struct DecodeCheck {
    Image image;
    double share_beyond = 0.0;  // share of values more than two bins outside the range (or non-finite)
    double colour_noise = 0.0;  // colour noise of the change from base's decode (0 without a base)
    bool clean = false;
  };
  DecodeCheck check_decode(const std::vector<float>& latent, const std::vector<float>* base = nullptr);
  // The guarded render: `target` when it decodes cleanly, else base + s * (target - base) for the
  // largest clean s found by bisection (at most `search_decodes` more decodes; base must decode
  // cleanly, as an encoded photo or a sample at T <= 1 does, else Error(Numeric)).
  GuardedImage decode_guarded(const std::vector<float>& base, const std::vector<float>& target,
                              GuardRule rule = GuardRule::Edit, int search_decodes = 6);
  // latent + sum(alpha_i * direction_i) on levels finest_level..L-1 (0: all levels; L-1: the
  // coarsest only, which keeps fine identity details); throws Error(InvalidArgument) for unknown names.
  // `keep` names attributes held fixed: every other direction is projected off their directions
  // (InterFaceGAN's conditional edit), so the latent's projection on a kept direction does not
  // change while the others move (a kept attribute's own alpha still applies, unprojected).
  std::vector<float> edit(const std::vector<float>& latent,
                          const std::vector<std::pair<std::string, double>>& alphas, int finest_level = 0,
                          const std::vector<std::string>& keep = {}) const;
  // The unit-free direction of an attribute as edit() moves it (D floats; projected off `keep`).
  std::vector<float> direction(const std::string& name, int finest_level = 0, const std::vector<std::string>& keep = {}) const;
  // The latents that sample(n, T, seed) decodes.
  std::vector<std::vector<float>> sample_latents(int n, double temperature, uint64_t seed);
  // (offset, size) of each level's slice of the latent, finest first.
  std::vector<std::pair<std::int64_t, std::int64_t>> level_spans() const;
  Reconstruction reconstruct(const Image& image);
  // Mean bits/dim over model-sized images with uniform dequantisation noise from `seed`.
  double bits_per_dim(const std::vector<Image>& images, uint64_t seed, const ProgressFn& progress = {});

  struct Impl;

 private:
  explicit Model(std::shared_ptr<Impl> impl);
  std::shared_ptr<Impl> impl_;
};

// A model file's attributes without building its network (its container read and checked as
// Model::load checks it): the window checks the names on its command line with them before it opens.
std::vector<Attribute> read_model_attributes(const std::string& path);

// The edit `edited` (a decode of an edit of `base`, the photo's latent, cropped by `crop`) put back
// into the photo. By default only the edit's change is pasted (paste_change against decode(base),
// over the whole crop square): what the edit leaves alone keeps the photo's full resolution, and a
// zero edit returns the photo byte for byte. whole_face pastes the decoded face itself (paste_back,
// inside the face's ellipse), 64-px soft at large sizes.
struct PastedEdit {
  Image image;
  // What the photo did not receive (paste_coverage): faded at the crop's border or beyond the photo
  // (or outside the face's ellipse with whole_face).
  PasteCoverage coverage;
  // Worth telling the user: a sizeable share of the change left out, and the change strongest
  // there (hair cut by the crop's edge), not the background's even drift. Measured on celeba64's
  // edits of two photos: hair colour 27-32% left out at 1.24-1.53 times the strength inside; Smiling
  // +2 21-23% at 0.88-1.01 (drift), so that one is not said.
  bool partly_left_out() const { return coverage.left_out >= 0.15 && coverage.edge_strength >= 1.2; }
};
PastedEdit paste_edit(Model& model, const Image& photo, const FaceCrop& crop, const std::vector<float>& base, const Image& edited,
                      bool whole_face = false);

// Trains a model (train/train_options.h); see train/trainer.h for the contract.
TrainResult train(const TrainOptions& options);

struct AttributeOptions {
  std::string model_path;         // the model to read
  std::string output_path;        // where to write it with the directions (empty: model_path, atomically)
  std::vector<std::string> data;  // labelled sources: CelebA-layout folders, UTKFace (ages: an Age direction), Fashion-MNIST
  std::string dataset_kind = "auto";
  bool align = false;             // frame the photos onto the model's framing, as its training did
  std::string positives, negatives, name;  // or: one custom attribute from two folders of photos
  std::string device = "cpu";
  std::string cache_dir;
  std::int64_t limit = 0;         // at most this many images (0: all)
  std::int64_t range_sample = 256;   // faces whose decoded edits choose the recommended slider ranges
  std::string method = "regression"; // "mean": mean(positives) - mean(negatives) per attribute;
                                     // "regression": all attributes jointly (ridge least squares)
  double ridge = 1e-3;               // regression: ridge term, relative to the label covariance's trace / A
  int finest_level = 0;              // directions are zero on latent levels finer than this (0: all levels)
  bool shrink_levels = false;        // shrink each level of a direction by its share of sampling noise (directions.h)
  double max_range = 3.0;            // the recommended ranges' ends are at most this strength
  double max_unfit = 0.05;           // ... and where at most this share of the sampled faces decode unfit
  double condition = 0;              // project each direction off those of attributes whose labels go with it at |phi| >= this
  // An age regressor (judge-train --age): the photos without an age (CelebA's) get the age it reads
  // from their crops, and Age is fitted on them (issue 28: UTKFace as a teacher, not as photos to
  // fit on). Should not be the age judge that then scores the slider.
  std::string age_teacher;
  // An age regressor (judge-train --age, another seed than the age judge that scores the slider)
  // whose reading of decoded edits calibrates the Age slider's years, instead of the pixels' age axis.
  std::string age_guide;
  // Judges of attributes (judge-train) that refine the directions of the attributes they know
  // (all, or those in guide_attributes) through the decoder: the named one crosses, the others held
  // (issue 28, 4; latent/guide.h). Several are read together (the mean of their logits). Should
  // not include the judge that then scores the sliders.
  std::vector<std::string> guides;
  // Judges of attributes that read the refinements on the validation faces that choose among the
  // holds (empty: the guides themselves): ones the refinement was not fitted to read it as the
  // referee will. Not the referee either.
  std::vector<std::string> guide_check;
  std::vector<std::string> guide_attributes;
  int guide_steps = 100;
  std::vector<double> guide_holds{5.0, 10.0, 20.0};  // weights of the other attributes' change tried; other training faces choose
  double guide_strength = 0;          // the edit the directions are refined at, each way (0: each fitted range's own ends)
  double guide_anchor = 1.0;          // weight of |d - d0|^2 / |d0|^2: how near the fitted direction it stays
  std::vector<std::string> only;      // only these attributes are computed and replaced in the model (empty: all)
  ProgressFn progress;               // the whole job (encoding, the guide, the ranges' decodes), 0..1
  std::function<void(const std::string&)> stage;  // what it is doing now ("encoding", "ranges", ...)
  std::function<void(double)> reading;  // first, the photos read (and framed by their landmarks with align), 0..1
  std::function<void(const std::string&)> warn;
  std::function<void(const std::string&)> note;  // what was measured on the way (e.g. the Age direction's scale)
};
// Computes directions (options.method) from the training partition only (the held-out faces stay
// unseen), adds or replaces them in the model and writes it atomically. Returns the attributes added.
std::vector<Attribute> add_attributes(const AttributeOptions& options);

// Stores the framing of a CelebA-layout folder (the mean of its list_landmarks_align_celeba.txt over
// the training partition) in the model at `model_path`, written to `output_path` (empty: in place,
// atomically). Returns it; throws Error naming the folder when it has no landmark file.
std::vector<double> add_framing(const std::string& model_path, const std::string& data, const std::string& output_path);

// The crops a model trained with --align saw: every photo of `sources` framed onto the model's
// framing (landmarks) at its size, from partition `partition` (0 train, 2 held out; -1: all), at most
// `limit` (0: all). Uses the packed cache in `cache_dir` (empty: none). Throws Error naming the model
// when it has no framing.
std::vector<Image> aligned_crops(const std::vector<std::string>& sources, const std::string& model_path, int partition,
                                 std::int64_t limit, const std::string& cache_dir);

// Blend of two latents at t in [0, 1]: linear, or spherical (slerp, keeps the norm typical).
std::vector<float> interpolate(const std::vector<float>& a, const std::vector<float>& b, double t, bool spherical);

struct BenchOptions {
  GlowConfig config;            // used when model_path is empty
  std::string model_path;
  std::string device = "cpu";
  int iterations = 30;          // timed runs per latency figure (after warm-up)
  int batch = 16;
  int train_steps = 10;
  std::vector<std::string> precisions{"fp32"};  // measured in turn ("fp32", "bf16"); the first at the top level
  bool profile = false;  // also where encode, decode and a training step spend their time (by operator, by level)
  std::string photo;     // with model_path: also the steps of opening this photo (read, face and landmarks,
                         // crop, encode) and of a render (decode, the guard's checks), as the window does them
  std::function<void(const std::string&)> log;  // progress lines (stderr in the CLI)
};
// Measures encode/decode latency, encode and training throughput, and peak memory, with the FLOPs
// of a pass and the machine's own matrix-multiply peak beside them (each speed as a share of it);
// returns JSON.
std::string run_bench(const BenchOptions& options);

}  // namespace glowlab
