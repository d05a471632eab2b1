// Named framings (face_align.h): where a model's crops put the face's five landmarks.
#include <cmath>
#include <sstream>

#include "core/error.h"
#include "vision/face_align.h"

namespace glowlab {

const std::vector<double>& head_framing() {
  // The whole head, as FFHQ's alignment frames it: the crop's side four eye distances, the eyes 0.475
  // of the way down (a tenth of the eyes-to-mouth distance above the middle). The face's shape is the
  // mean of celeba64's 19,321 training faces (nose 0.54, mouth 1.01 eye distances below the eyes;
  // mouth corners 0.90 eye distances apart), made symmetric as left-right mirroring makes it anyway.
  static const std::vector<double> f{0.375, 0.475, 0.625, 0.475, 0.5, 0.611, 0.3875, 0.728, 0.6125, 0.728};
  return f;
}

std::vector<double> parse_framing(const std::string& text, const std::string& where) {
  if (text == "head") return head_framing();
  std::vector<double> f;
  std::stringstream in(text);
  bool ok = true;
  for (std::string part; std::getline(in, part, ',');) {
    try {
      size_t used = 0;
      const double v = std::stod(part, &used);
      ok = ok && used == part.size() && std::isfinite(v) && v >= 0.0 && v <= 1.0;
      f.push_back(v);
    } catch (const std::exception&) {
      ok = false;
    }
  }
  if (!ok || f.size() != 10) {
    throw Error(ErrorKind::InvalidArgument, where + ": a framing is \"head\" or ten numbers from 0 to 1, separated by commas (the x and y of "
                                                    "the left eye, right eye, nose and mouth corners, as fractions of the side); got \"" +
                                                text + "\"");
  }
  const double eyes = std::hypot(f[2] - f[0], f[3] - f[1]);
  if (eyes < 0.05 || f[2] <= f[0]) {
    throw Error(ErrorKind::InvalidArgument, where + ": the framing's eyes must be apart, the left eye (first) left of the right one");
  }
  return f;
}

}  // namespace glowlab
