// Internal to the judges (judge.cpp, age_judge.cpp): the small CNN both are made of, its file, the
// user's export path that both score, and the face chips of that path for the identity check.
#pragma once

#include <array>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include <ATen/ATen.h>
#include <torch/nn/module.h>

#include "core/image.h"
#include "data/dataset.h"
#include "glowlab.h"

namespace glowlab {

inline constexpr const char* kJudgeFormat = "glowlab.judge/1";
inline constexpr int64_t kJudgeChunk = 32;

// Four stride-2 3x3 convolutions with ReLU, global average pooling, one linear layer.
class JudgeNet : public torch::nn::Module {
 public:
  explicit JudgeNet(int64_t outputs);
  // uint8 [B, 3, S, S] -> logits (or, for the age judge, years) [B, outputs]
  at::Tensor forward(const at::Tensor& pixels);
  // uint8 [B, 3, S, S] -> the pooled penultimate features [B, 128]
  at::Tensor features(const at::Tensor& pixels);
  // The same outputs from float images in [-0.5, 0.5] (a model's decodes) as the net sees them
  // quantised to `n_bits` and written to 8 bits (to_pixels), with the gradient passed straight
  // through the quantisation: attributes --guide.
  at::Tensor forward_decoded(const at::Tensor& x, int n_bits);

 private:
  at::Tensor features_of_unit(at::Tensor h);  // from pixels / 255 - 0.5
  std::vector<at::Tensor> weights_, biases_;
  at::Tensor fc_w_, fc_b_;
};

struct LoadedJudge {
  std::shared_ptr<JudgeNet> net;
  std::vector<std::string> attributes;  // the outputs' names ("Age" alone for the age judge)
  std::string unit;                     // "years" for the age judge; empty: probabilities of attributes
};

// Reads a judge file; Error(Format) naming `path` when it is not one.
LoadedJudge load_judge(const std::string& path);
// Writes one atomically (safetensors with the format, the outputs' names and the unit).
void save_judge(const std::string& path, JudgeNet& net, const std::vector<std::string>& outputs, int image_size,
                const std::string& unit = {});

// The net's raw outputs on uint8 pixels, in chunks, without gradients: [N, outputs].
at::Tensor judge_outputs(JudgeNet& net, const at::Tensor& pixels);

// The ages (years, double [N]) an age judge file (train_age_judge) reads from uint8 crops
// [N, 3, S, S] at its framing: `attributes --age-teacher`.
at::Tensor read_ages(const std::string& age_judge_path, const at::Tensor& images);
// The same, the file read once: a reader of uint8 crops -> years (`attributes --age-guide`).
std::function<at::Tensor(const at::Tensor&)> age_reader(const std::string& age_judge_path);
// Judges of attributes (judge-train) read together as one guide (attributes --guide A,B,...):
// logits = the mean of their logits on decodes as forward_decoded sees them, their weights frozen
// on `device`. Several judges of other seeds are harder to move with one judge's quirks than one
// is, so that what moves all of them is more likely a change a referee sees too. Error naming the
// file when one is not a judge of attributes, or reads other attributes than the first.
struct GuideJudges {
  std::function<at::Tensor(const at::Tensor&)> logits;
  std::vector<std::string> attributes;
  std::string name;  // the files' names, joined by '+'
};
GuideJudges load_guide_judges(const std::vector<std::string>& paths, int n_bits, c10::Device device);

// sigmoid of them: each attribute's probability.
at::Tensor probabilities(JudgeNet& net, const at::Tensor& pixels);
// The pooled features [N, 128] as double.
at::Tensor features_of(JudgeNet& net, const at::Tensor& pixels);

// Trains `net` with Adam over `epochs` passes of `images` (uint8 [N, 3, S, S]) in shuffled batches
// (the order seeded per epoch), every other batch mirrored (a face's attributes and age are
// symmetric); `loss` takes the net's outputs on a batch and the batch's indices into `images`.
// Logs each epoch's mean loss: "<what> epoch e/E: loss L".
void fit_judge(JudgeNet& net, const at::Tensor& images, const std::function<at::Tensor(const at::Tensor&, const at::Tensor&)>& loss,
               int epochs, int64_t batch, double lr, std::uint64_t seed, const std::string& what,
               const std::function<void(const std::string&)>& log);

// Frames a data set onto a model's framing; Error when the model has none.
void set_alignment(DatasetOptions& dopt, const std::vector<double>& framing, const std::string& model);

// The user's path for one held-out photo (issue 28, 6): framed by the window's aligner and encoded
// once; then each edit rendered under the guard (the strength it allows), pasted back into the photo
// (paste_edit) and framed again by the aligner, as a person exports it and the judge sees it.
class ExportPath {
 public:
  explicit ExportPath(Model& model);
  struct Photo {
    Image photo;
    FaceCrop crop;
    std::vector<float> latent;
  };
  // Reads and frames `path`; Error (unreadable, or no face found by its landmarks for a model with
  // a framing) when it cannot be used.
  Photo open(const std::string& path) const;
  struct Exported {
    Image crop;             // the exported photo framed again
    double strength = 1.0;  // the fraction of the edit the guard allowed
    Image photo;            // the exported photo itself (the edit pasted back)
    bool refound = false;   // the aligner found the face again in it (else it was judged where it was)
    std::array<double, 6> identity_chip{};  // when refound: photo -> the face's identity chip (identity_chip)
  };
  Exported exported(const Photo& p, const SliderEdit& edit, const std::string& path) const;

 private:
  FaceCrop frame(const Image& photo, const std::string& path) const;
  Model& model_;
  int size_;
  bool landmarks_;
};

// Face chips for issue 28's identity target (does an edit keep the person?), scored outside the
// engine by a face recognition model (bench/identity): each unedited photo's chip and each of its
// exports', cut by dlib's face-recognition alignment (identity_chip). Written to a folder as
// chips.u8 (N x 150 x 150 x 3 RGB bytes, one chip after another; absent when N is 0) and chips.json
// (what each chip is).
class IdentityChips {
 public:
  explicit IdentityChips(std::string folder) : folder_(std::move(folder)) {}
  bool enabled() const { return !folder_.empty(); }
  // The unedited photo's chip, by its framing's landmarks (`crop`, as ExportPath::open framed it);
  // -1 when they were not found (then its edits get none).
  int add_photo(const std::string& name, const Image& photo, const FaceCrop& crop);
  // An export of the photo whose chip is `of`: where the aligner found its face again, else where
  // the photo's face was.
  void add_edit(int of, const std::string& attribute, double value, const ExportPath::Exported& exported);
  // Writes both files atomically (the folder is made). Throws Error(Io) naming the folder.
  void write() const;

 private:
  std::string folder_;
  std::vector<std::array<double, 6>> mappings_;  // per chip: where it was cut
  std::string bytes_;
  nlohmann::json chips_ = nlohmann::json::array();
  int without_face_ = 0;
};

}  // namespace glowlab
