// Where the bundled models live: $GLOWLAB_MODEL, the install tree, or the source tree.
#pragma once

#include <string>
#include <vector>

namespace glowlab {

// The bundled models that are installed, most preferred first: celeba64 (real photographs; its own
// package, glowlab-model-celeba64, for its training data's research-only terms) and faces64
// (synthetic faces, always in the main package): those of the first folder that has any, beside
// the program (../share/glowlab/models), else in the source tree.
std::vector<std::string> bundled_models();
// The path of the default model: $GLOWLAB_MODEL, else the first of bundled_models(). Throws
// Error(Io) listing the places looked at if none exists.
std::string default_model_path();
// A sentence for the user when the default is faces64 because celeba64 is not installed (empty
// otherwise, and when $GLOWLAB_MODEL chooses).
std::string default_model_note();
// `given` if non-empty, else default_model_path().
std::string model_path_or_default(const std::string& given);

}  // namespace glowlab
