// A build without OpenCV (GLOWLAB_OPENCV=OFF: a machine with only LibTorch and CMake, e.g. a GPU box
// that trains): the face and video functions the command line links are here and refuse with one
// clear message instead of leaving the link unresolved; images are PPM/PGM (image_io_ppm.cpp).
// Training, evaluation, sampling and the model's own commands need none of them.
#include <string>
#include <vector>

#include "core/error.h"
#include "vision/animation.h"
#include "vision/face_align.h"
#include "vision/image_io.h"

namespace glowlab {
namespace {

[[noreturn]] void needs_opencv(const std::string& what) {
  throw Error(ErrorKind::Image, what + ": this build has no OpenCV (configured with GLOWLAB_OPENCV=OFF); "
                                       "face alignment, pasting back, animations and video need it");
}

}  // namespace

FaceCrop align_face(const Image&, int, bool, const std::string& source, const std::vector<double>&, int) {
  needs_opencv(source + ": framing a face");
}

FaceCrop align_to_landmarks(const Image&, int, const std::array<double, 10>&, const std::vector<double>&) {
  needs_opencv("framing a face by its landmarks");
}

FaceCrop crop_with_transform(const Image&, int, const std::array<double, 6>&) { needs_opencv("cropping a photo"); }

bool find_face_landmarks(const Image&, std::array<double, 10>&, std::string& why, int, std::vector<std::array<int, 4>>*) {
  why = "this build has no OpenCV (configured with GLOWLAB_OPENCV=OFF): no face landmarks";
  return false;
}

Image identity_chip(const Image&, const std::array<double, 6>&) { needs_opencv("cutting a face chip"); }

std::string write_photo_image(const std::string& path, const Image&, const std::string&) {
  needs_opencv(path + ": writing an edit into its photo");
}

std::string write_animation(const std::string& path, const std::vector<Image>&, double) {
  needs_opencv(path + ": writing an animation");
}

void write_gif(const std::string& path, const std::vector<Image>&, double) { needs_opencv(path + ": writing a GIF"); }

std::string write_mp4(const std::string& path, const std::vector<Image>&, double) { needs_opencv(path + ": writing an MP4"); }

std::vector<Image> read_video_frames(const std::string& path, int) { needs_opencv(path + ": reading a video"); }

}  // namespace glowlab
