// Face detection and alignment, and pasting an edited crop back into the original photo. Plain types.
// With a model framing (five landmarks, ModelFile::framing) and dlib's 68-point landmark model
// (libdlib-data), a face is mapped onto the model's own framing by a similarity transform; otherwise
// the OpenCV Haar cascades' box (opencv-data) frames it.
#pragma once

#include <array>
#include <string>
#include <vector>

#include "core/image.h"

namespace glowlab {

struct FaceCrop {
  Image crop;                      // size x size, the model's framing
  std::array<double, 6> transform{};  // 2x3 affine, original pixel -> crop pixel (row-major)
  bool face_found = false;         // false: a centre crop was used instead
  bool eyes_levelled = false;      // both eyes found and the crop rotated to level them
  bool landmarks_used = false;     // framed by five landmarks onto the model's framing
  std::array<double, 10> landmarks{};  // when landmarks_used: the five points found, photo pixels
  std::array<double, 6> identity_chip{};  // when landmarks_used: photo -> its face-recognition chip (identity_chip)
  std::string note;                // why a weaker framing than asked for was used, or that the face
                                   // was enlarged so far that its detail is invented (empty: none)
  double enlargement = 1.0;        // crop pixels per photo pixel (align_face); above 1 the face is enlarged
  int faces = 0;                   // faces the detector found (the crop is of face_index among them)
  int face_index = 0;              // which of them, by size (0: the largest)
  std::vector<std::array<int, 4>> boxes;  // every face found (x, y, w, h in photo pixels), largest first
};

// Finds the largest face and crops it to the model's framing (the synthetic faces': head filling
// the square, eyes a little above the middle). Throws Error(NoFace) naming `source` when no face
// is found, unless `centre_fallback` is set, in which case the centre square is used.
// `framing` (10 fractions of the side, as ModelFile::framing) asks for landmark alignment: the
// largest face's five landmarks are mapped onto framing * size by the least-squares similarity
// transform. When the landmark model is missing or finds no face, the detector's box is used and
// FaceCrop::note says why.
// `face_index` picks a face by size (0: the largest); asking for one beyond those found is
// Error(NoFace) saying how many there are.
FaceCrop align_face(const Image& photo, int size, bool centre_fallback, const std::string& source,
                    const std::vector<double>& framing = {}, int face_index = 0);

// The least-squares similarity that maps five landmarks `points` (photo pixels, integer pixel
// centres) onto framing * size (fractions of the side -> crop pixel centres). Without the nose tip
// (`with_nose` false: the eyes and mouth corners alone) for a video's frames, where dlib's
// predictor moves the nose tip most from frame to frame and with the expression (docs/video.md).
std::array<double, 6> landmark_transform(const std::array<double, 10>& points, const std::vector<double>& framing, int size,
                                         bool with_nose = true);

// The crop that maps five landmarks `points` (photo pixels, integer pixel centres) onto
// framing * size by the least-squares similarity transform (what align_face does once it has them).
FaceCrop align_to_landmarks(const Image& photo, int size, const std::array<double, 10>& points, const std::vector<double>& framing);

// The five landmarks (eye centres, nose tip, mouth corners; photo pixels) of the largest face, found
// by dlib on a copy whose longer side is about `detect_side` px (small photos enlarged up to 4x).
// False, with `why`, when there is no landmark model or no face. The same points align_face uses.
// With `boxes`, also the detector's box of every face found (x, y, w, h in photo pixels), largest
// first: the points are those of the first.
bool find_face_landmarks(const Image& photo, std::array<double, 10>& points, std::string& why, int detect_side = 800,
                         std::vector<std::array<int, 4>>* boxes = nullptr);
// The five landmarks of the face inside `box` (as find_face_landmarks gives it) by dlib's shape
// predictor alone, without the detector: a face followed from one video frame to the next, where
// the box moved with it. False, with `why`, when there is no landmark model.
bool follow_face_landmarks(const Image& photo, const std::array<int, 4>& box, std::array<double, 10>& points, std::string& why);

// The face chip that dlib's face recognition models read (issue 28: whether an edit keeps the
// person): kIdentityChipSize px, the face mapped by dlib's own alignment of its 68 landmarks
// (get_face_chip_details, padding 0.25). align_face gives the mapping with the landmarks
// (FaceCrop::identity_chip); identity_chip cuts the chip out of a photo by a mapping, so the same
// region can be cut from an edited copy of the photo whose face the detector no longer finds.
inline constexpr int kIdentityChipSize = 150;
Image identity_chip(const Image& photo, const std::array<double, 6>& photo_to_chip);

// The similarity transform (rotation, uniform scale, shift) that takes the points `from` (x, y
// pairs) onto `to` in the least-squares sense, as a row-major 2x3 matrix.
std::array<double, 6> similarity_transform(const std::vector<double>& from, const std::vector<double>& to);

// The framing that holds the whole head, hair and crown (FFHQ's alignment: eyes a quarter of the
// side apart, 0.475 of the way down): what train --framing head maps the photos onto.
const std::vector<double>& head_framing();
// A framing from its name ("head") or from ten numbers in [0, 1] separated by commas (the five
// landmarks' x and y as fractions of the side). Throws Error(InvalidArgument) naming `where`.
std::vector<double> parse_framing(const std::string& text, const std::string& where);

// Where dlib's 68-point landmark model is looked for ($GLOWLAB_DLIB_LANDMARKS or libdlib-data's file),
// and whether this build can use it.
std::string landmark_model_path();
bool have_landmark_support();

// The crop that `transform` (original -> crop, as in FaceCrop) describes: re-applies a saved crop.
FaceCrop crop_with_transform(const Image& photo, int size, const std::array<double, 6>& transform);

// A centre square crop with its transform.
FaceCrop centre_crop(const Image& photo, int size);

// The weight of each crop pixel in paste_back (size x size, row-major): 1 over the face, falling
// smoothly to 0 at the edge of an ellipse that follows the face (placed by the model's framing when
// it has one), exactly 0 beyond.
std::vector<float> paste_mask(int size, const std::vector<double>& framing = {});

// The original photo with `edited` (a crop made by `crop`) warped back into place (bicubic) and
// blended in by paste_mask: photo pixels where the mask is 0 are the photo's own, byte for byte.
Image paste_back(const Image& original, const Image& edited, const FaceCrop& crop, const std::vector<double>& framing = {});

// The weight of each crop pixel when an edit's *change* is pasted (size x size, row-major): 1 over
// the whole crop square, falling smoothly (smoothstep) to 0 over its outer eighth, so whatever the
// edit changes inside the crop (hair, a hat, the outline, not only the inner face) reaches the photo,
// with no seam at the square's border, and the photo outside the crop is never touched.
std::vector<float> change_mask(int size);

// Pastes the *change* an edit made, not the 64-px face: (edited - reconstruction), two crops of the
// same face at the model's resolution (the edit's decode and the unedited latent's), is warped back
// through the crop's transform (bicubic), weighted by change_mask and added to the photo's own
// pixels, so whatever the edit leaves alone keeps the photo's full resolution. A zero change returns
// the photo byte for byte; photo pixels outside the crop never change.
Image paste_change(const Image& original, const Image& edited, const Image& reconstruction, const FaceCrop& crop);

// How much of an edit's change, |edited - reconstruction| over the crop, a paste weighted by `mask`
// (change_mask, or paste_mask for the whole face) leaves out of `original`: faded by the mask, or
// fallen outside the photo where the crop reaches beyond it.
struct PasteCoverage {
  double left_out = 0.0;  // its share of the whole change (0..1; 0 for no change)
  // The change per pixel where it is left out over the change per pixel where it is pasted: about 1
  // when the edit moves the whole crop alike (the directions' drift of the background), well above
  // 1 when the edit is strongest at the crop's border (hair cut by the crop's top edge, say).
  double edge_strength = 0.0;
};
PasteCoverage paste_coverage(const Image& original, const Image& edited, const Image& reconstruction, const FaceCrop& crop,
                             const std::vector<float>& mask);

// Where the Haar cascades are looked for ($GLOWLAB_HAARCASCADES or opencv-data's folder).
std::string haarcascade_dir();

}  // namespace glowlab
