// Attribute: one editable direction stored in a model file (plain C++, shared with the UI).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace glowlab {

// The ages an Age edit is measured towards (calibrating the direction, judging it): -20 years is
// asked of faces aged 30 and over, +20 of faces up to 70; -20 years of a 12-year-old cannot be seen.
inline constexpr double kAgeEditYoungest = 10, kAgeEditOldest = 90;

struct Attribute {
  std::string name;            // CelebA-style, e.g. "Blond_Hair"
  std::int64_t positives = 0;  // images the direction was computed from
  std::int64_t negatives = 0;
  double range_min = -1.0;     // recommended slider range, in units of the direction
  double range_max = 1.0;
  std::string unit;            // empty: a strength; "years": the direction moves one year per unit (Age)
  bool featured = true;        // shown by default in the window; false: behind "More attributes"
                               // (judge-edits --mark-featured: the attributes that missed the judge's target)
  // The share of the fitted direction kept on each latent level, finest first (attributes
  // --shrink-levels: a level whose part of the direction is mostly sampling noise is shrunk towards
  // zero); empty: every level as fitted. A record of how the stored direction was made.
  std::vector<double> level_weights;
  // attributes --condition: the attributes whose directions this one was projected off (their
  // training labels go with its own), so that it moves them less. Empty: none.
  std::vector<std::string> held_off;
  // attributes --guide: the file name of the judge this direction was refined against (through the
  // decoder, the others held). Empty: as fitted.
  std::string guide;
};

// "Blond_Hair" -> "Blond hair": the label a person reads.
std::string display_name(const std::string& attribute_name);

// The attribute a person means by `name` where they type one (--set, --keep and --sweep of the
// window and the CLI alike): its own name ("Blond_Hair") exactly, else in any case with spaces or
// hyphens for the underscores, which takes in its display name ("Blond hair"). Returns its index.
// Throws Error(InvalidArgument) when none matches, or several do only loosely: "the model has no
// attribute 'Smilng' (did you mean Smiling?); its attributes are ...".
std::size_t find_attribute(const std::vector<Attribute>& attributes, const std::string& name);

std::string attributes_to_json(const std::vector<Attribute>& attributes);
// Throws Error(Format) naming `where` and the bad entry.
std::vector<Attribute> attributes_from_json(const std::string& json, const std::string& where);

}  // namespace glowlab
