// The rules the window and the CLI share, once: an edit's guarded render, a model's description and
// a recipe's application. Plain C++ (no torch, no Qt): they return data, each front end words it.
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "bundle/attribute.h"
#include "bundle/recipe.h"
#include "core/image.h"
#include "flow/config.h"

namespace glowlab {

class Model;

using Alphas = std::vector<std::pair<std::string, double>>;  // attribute name -> slider value

// What the sliders say.
struct SliderEdit {
  Alphas alphas;
  int finest_level = 0;             // edits touch levels finest_level..L-1
  std::vector<std::string> locked;  // attributes held fixed while the other sliders move
};

// Sets `name` to `value` in place (its position kept, so the edit sums in the same order), or
// appends it when it is not there.
void set_alpha(Alphas& alphas, const std::string& name, double value);

// NAME=VALUE as a command line gives a slider (--set in the window and the CLI), split and its value
// read before any model is at hand. Throws Error(InvalidArgument) naming `text` when it is not that
// shape or VALUE is not a finite number.
std::pair<std::string, double> split_slider_value(const std::string& text);

// A slider value asked for by name: the model's attribute (find_attribute: any case, or the
// display name) and the value held to its slider's range, as the window's number box holds a
// typed one. Throws find_attribute's Error for a name the model lacks.
struct SliderValue {
  std::size_t index = 0;  // in the attributes
  std::string name;       // the attribute's own name
  double value = 0;       // within [range_min, range_max]
  double asked = 0;       // as given
  bool clamped() const { return value != asked; }
};
SliderValue slider_value(const std::vector<Attribute>& attributes, const std::string& name, double asked);

// A slider's value as both front ends write it: "+1.20", or in whole years for Age ("+25 years").
std::string slider_text(const Attribute& attribute, double value);
// What both front ends say when a value beyond a slider's range is held to it:
// "Smiling goes from -3.00 to +3.00: 10 was set to +3.00".
std::string range_note(const Attribute& attribute, double asked);

struct RenderedEdit {
  Image image;
  double strength = 1.0;  // 1: the edit in full; below 1: the largest fraction of it that decodes cleanly
  Alphas limited_to;      // when limited: each moved slider at the value it was shown at (alpha * strength)
  bool limited() const { return strength < 1.0; }
};

// The guarded render of `edit` on the latent `base` (a photo's, or a blend): Model::edit with the
// moved sliders, then Model::decode_guarded from `base`. Throws Error for unknown names or levels.
RenderedEdit render_edit(Model& model, const std::vector<float>& base, const SliderEdit& edit);

// The precision for draft renders (the frames shown while a slider moves, each replaced by the exact
// float32 render once it settles) of this model on this machine: bf16 where the CPU has native bf16
// and decoding `latent` measures at least 20% faster in bf16 (best of four each, in turn); float32
// otherwise, and without a decode on a CPU that lacks native bf16 or on a GPU.
Precision draft_precision(Model& model, const std::vector<float>& latent);

// One provenance entry, as a value a person reads.
struct ProvenanceField {
  std::string key;
  std::string value;  // strings as written, numbers to 8 significant digits, lists and objects as compact JSON
  bool flag = false;  // a yes/no value: `value` is "true" or "false"
};

// What a model is, for Model Info and `glowlab-cli info`.
struct ModelDescription {
  std::string path;
  std::string name;  // the file's name without its extension ("faces64")
  GlowConfig config;
  std::int64_t parameters = 0;
  std::int64_t latent_size = 0;  // values per latent
  bool checksummed = false;      // SHA-256 checksums present and verified
  std::vector<double> framing;   // its landmark framing (Model::framing); empty: framed by the face box
  std::string device;
  std::vector<Attribute> attributes;
  std::string provenance_json;
  std::vector<ProvenanceField> provenance;  // by key; empty when the JSON is not an object
};

ModelDescription describe_model(const Model& model, const std::string& path);

// A recipe's model or photo that cannot be vouched for.
struct RecipeWarning {
  enum class Kind { Changed, NoChecksum };
  Kind kind = Kind::Changed;
  bool photo = false;  // false: the recipe's model; true: its photo
  std::string file;
};

struct AppliedRecipe {
  std::string model;  // the model to load: the override, else the recipe's (empty: it names none)
  SliderEdit edit;    // its sliders, held attributes and detail level
  bool with_photo = false;  // its photo is used (a photo recipe applied to its own photo)
  std::vector<RecipeWarning> warnings;  // filled by check_recipe
};

// A recipe applied: its model (`model_override` when not empty) and its edit. `with_photo`: the
// recipe's own photo will be opened. Cheap (no hashing). Throws Error(Io) naming `recipe_path` when
// the model or the photo it needs does not exist.
AppliedRecipe apply_recipe(const Recipe& recipe, const std::string& recipe_path, const std::string& model_override = {},
                           bool with_photo = true);
// Compares the checksums of the model and photo `applied` uses with the recipe's (SHA-256 of files up
// to GBs: call it off a UI thread); a recipe without one is said too. Fills applied.warnings.
void check_recipe(const Recipe& recipe, AppliedRecipe& applied);

}  // namespace glowlab
