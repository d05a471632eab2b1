// The attribute judge: a small CNN trained on pixels with the generator's ground-truth labels,
// independent of the flow, used to measure how well the flow's attribute edits work.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <utility>
#include <vector>

#include "core/image.h"

namespace glowlab {

struct JudgeTrainOptions {
  std::string data;            // CelebA-layout folder (partition 0 trains, 2 is held out)
  std::string output;          // the judge file (safetensors)
  std::string align_model;     // frame the photos onto this model's framing (as it saw them); empty: plain crops
  int image_size = 64;
  int epochs = 3;
  int batch = 64;
  double lr = 1e-3;
  std::uint64_t seed = 0;
  // Class-balanced loss: each attribute's positives weighted by negatives / positives (at most 50),
  // so a rare attribute is learnt rather than always denied.
  bool balanced = true;
  std::string cache_dir;
  std::function<void(const std::string&)> log;
};

struct JudgeAccuracy {
  std::string attribute;
  double accuracy = 0;           // on the held-out split
  double positive_rate = 0;
  double balanced_accuracy = 0;  // (true-positive rate + true-negative rate) / 2: 0.5 is chance
};

// Trains the judge, writes it atomically and returns its held-out accuracy per attribute.
std::vector<JudgeAccuracy> train_judge(const JudgeTrainOptions& options);

struct EditEvalOptions {
  std::string model;           // .glow with attribute directions
  std::string judge;           // from train_judge
  std::string data;            // CelebA-layout folder; its held-out split (2) is used
  bool align = false;          // frame the photos onto the model's framing (a model trained with --align)
  int faces = 200;             // per attribute and direction, at most
  double strength = 1.0;       // edits go to this multiple of the recommended range's ends
  std::string grid;            // optional: edit grid PNG (8 faces x attributes at -1, 0, +1 of the range)
  // The user's path (issue 28, 6): each held-out photo read from its file, framed by the window's
  // aligner, edited under the guard (the strength it allows), pasted back into the photo
  // (paste_edit), then framed again by the aligner and judged; not the 64-px crop's raw decode.
  bool through_export = false;
  std::vector<std::string> only;  // score only these attributes (empty: all)
  // Through the export: also write each photo's and each export's face chip (dlib's alignment for
  // face recognition) to this folder, for the identity target (bench/identity). Empty: none.
  std::string identity_chips;
  std::string device = "cpu";
  std::string cache_dir;
  std::function<void(const std::string&)> log;
};

struct EditScore {
  std::string attribute;
  int eligible_add = 0, eligible_remove = 0;
  double add_flip = 0;      // fraction of faces lacking it that the judge calls positive after +range_max
  double remove_flip = 0;   // fraction of faces having it that the judge calls negative after range_min
  double others_change = 0; // mean |change| of the other attributes' probabilities (both edits)
  double range_min = 0, range_max = 0;
  int edits = 0;            // edited faces decoded (both directions)
  int unclean = 0;          // ... whose raw decode was not clean (non-finite, runaway) or all black
  double mean_strength = 1; // through the export: the mean fraction of the edit the guard allowed
  int skipped_photos = 0;   // through the export: held-out photos set aside (no face found, unreadable)
  // Through the export: the other attributes the edit moves most, with their mean |change|.
  std::vector<std::pair<std::string, double>> most_moved;
  // The target an attribute must meet to be shown by default: add and remove flip at least 80% of
  // the faces, the other attributes move at most 0.10 on average.
  bool meets_target() const { return add_flip >= 0.8 && remove_flip >= 0.8 && others_change <= 0.10; }
};


// Edits held-out faces along every attribute and scores the results with the judge.
std::vector<EditScore> evaluate_edits(const EditEvalOptions& options);

// The age judge (issue 28, 6): the same small CNN trained to read age in years from pixels, on a
// UTKFace folder's training photos (ages in the file names; options.data, optionally framed by
// options.align_model), never on the flow: the Age slider's referee, independent of the latent
// regression that fitted it. Writes it atomically; its error on the held-out photos is returned.
struct AgeJudgeAccuracy {
  double mean_abs_error = 0;  // years, held-out photos
  double baseline_error = 0;  // years, saying the training photos' median age to every held-out one
  int64_t held_out = 0;
};
AgeJudgeAccuracy train_age_judge(const JudgeTrainOptions& options);

struct AgeEditOptions {
  std::string model;           // .glow with an Age slider (years)
  std::string judge;           // from train_age_judge
  std::string data;            // UTKFace folder; its held-out photos are edited. A folder whose names give
                               // no ages (CelebA's img_align_celeba): each photo's age is the judge's reading
  int faces = 40;              // faces made older, and as many made younger
  double years = 20;           // the edit asked for, each way (held to the slider's range)
  bool through_export = true;  // the user's path (ExportPath), else the 64-px crop's guarded render
  std::string identity_chips;  // through the export: the face chips for the identity check (as EditEvalOptions)
  std::string device = "cpu";
  std::function<void(const std::string&)> log;
};

// Faces are drawn from the held-out photos in a fixed order that follows nothing in their names
// (all ages), and each edit asked only where the age it asks for lies within [kAgeEditYoungest,
// kAgeEditOldest] (bundle/attribute.h): +20 years of faces up to 70, -20 of faces from 30.
struct AgeEditScore {
  int faces = 0, set_aside = 0;
  int older_faces = 0, younger_faces = 0;  // faces made older / younger (o.faces each at most)
  double youngest = 1e9, oldest = -1e9;    // the ages (from the names) of the faces edited
  double oldest_made_older = -1e9, youngest_made_younger = 1e9;
  double years = 20;
  bool through_export = true;
  double older = 0;          // mean change of the age judge's estimate after +years (older_faces)
  double younger = 0;        // ... after -years (younger_faces)
  // The standard errors of those means (the faces' spread over the square root of their count):
  // with 40 faces a mean moves by a year or two from one draw of faces to the next.
  double older_se = 0, younger_se = 0;
  double mean_strength = 1;  // the mean fraction of the edits the guard allowed
  double judge_error = 0;    // the age judge's mean error on the unedited crops (years; NaN: no ages in the names)
  // Issue 28's target: +20 years moves the estimate by at least +10, -20 by at least -10.
  bool meets_target() const { return older >= years / 2 && younger <= -years / 2; }
};
AgeEditScore evaluate_age_edits(const AgeEditOptions& options);

// Marks the model's attributes: the judged ones featured exactly when they meet the target, Age
// likewise when `age` scored it, the others (not known to the judges) left as they are; writes the
// model atomically.
void mark_featured(const std::string& model_path, const std::vector<EditScore>& scores, const AgeEditScore* age = nullptr);

struct FidOptions {
  std::string model;           // .glow to sample from
  std::string judge;           // from train_judge
  std::string data;            // CelebA-layout folder; its held-out split is the reference
  bool align = false;          // frame the photos onto the model's framing
  int count = 2000;            // samples, and held-out faces (at most the split's size)
  double temperature = 0.7;
  std::uint64_t seed = 1;
  std::string device = "cpu";
  std::string cache_dir;
  std::function<void(const std::string&)> log;
};

struct FidResult {
  double fid = 0;
  int samples = 0, references = 0;
};

// Frechet distance between Gaussians fitted to the judge's penultimate features (its 128 pooled
// channels) of `count` samples at `temperature` and of `count` held-out faces: "judge-FID", a
// sample-quality score on this project's own judge (lower is better; not comparable with
// Inception FIDs).
FidResult judge_fid(const FidOptions& options);
// The same distance between two sets of images (each at least 2, the judge's input size).
double judge_fid(const std::string& judge, const std::vector<Image>& a, const std::vector<Image>& b);

}  // namespace glowlab
