// Where the bundled default model lives: $GLOWLAB_MODEL, the install tree, or the source tree.
#pragma once

#include <string>

namespace glowlab {

// The path of the default model; throws Error(Io) listing the places looked at if none exists.
std::string default_model_path();
// `given` if non-empty, else default_model_path().
std::string model_path_or_default(const std::string& given);

}  // namespace glowlab
