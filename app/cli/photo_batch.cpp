// The CLI's photo commands' shared part (photo_batch.h).
#include "photo_batch.h"

#include <algorithm>
#include <filesystem>
#include <iomanip>
#include <iostream>

namespace glowlab::cli {

std::vector<std::string> expand_photos(const std::vector<std::string>& args, bool& many) {
  std::vector<std::string> out;
  many = args.size() > 1;
  for (const auto& a : args) {
    if (std::filesystem::is_directory(a)) {
      many = true;
      const auto found = list_images(a);
      if (found.empty()) std::cerr << "note: " << a << ": no images in this folder\n";
      out.insert(out.end(), found.begin(), found.end());
    } else {
      out.push_back(a);
    }
  }
  return out;
}

void show_progress(size_t done, size_t total, const std::string& path) {
  std::cerr << "[" << std::setw(static_cast<int>(std::to_string(total).size())) << done + 1 << "/" << total << "] "
            << std::setw(3) << (100 * done / std::max<size_t>(total, 1)) << "%  " << path << "\n";
}

// Notes on stderr when the crop is weaker than asked for (no landmarks, no face: FaceCrop::note
// says which), and which face of several is used.
void report_crop(const FaceCrop& crop, const std::string& path, int face) {
  if (!crop.note.empty()) std::cerr << "note: " << path << ": " << crop.note << "\n";
  if (crop.face_found && crop.faces > 1) std::cerr << "note: " << path << ": " << crop.faces << " faces found; face " << face << " (by size) is used\n";
}

EncodedPhoto encode_photo(Model& model, const std::string& path, int face) {
  const auto& c = model.config();
  EncodedPhoto e;
  e.source = path;
  e.photo = read_image(path, c.channels);
  e.crop = align_face(e.photo, c.image_size, /*centre_fallback=*/true, path, model.framing(), face - 1);
  report_crop(e.crop, path, face);
  e.latent = model.encode(e.crop.crop);
  return e;
}

// Frames as an animation (.gif, .mp4) or, for any image extension, one row of tiles. An MP4 says
// which codec it was written with (H.264 where OpenCV has an encoder for it, else MPEG-4 Part 2).
void write_frames(const std::string& path, const std::vector<Image>& frames, double fps) {
  if (!is_animation_path(path)) {
    write_image(path, make_grid(frames, static_cast<int>(frames.size())));
    return;
  }
  const std::string codec = write_animation(path, frames, fps);
  if (!codec.empty()) std::cerr << "note: " << path << ": video codec " << codec << "\n";
}

// Where a batch writes a photo's result: OUTPUT itself for one photo, OUTPUT/NAME.png for several.
std::string output_for(const std::string& photo, const std::string& output, bool many) {
  if (!many) return output;
  return (std::filesystem::path(output) / std::filesystem::path(photo).filename()).replace_extension(".png").string();
}

// Ends a batch: exit status 1 saying how many photos failed (each was reported as it failed).
void finish_batch(int failures, size_t photos, const char* what) {
  if (failures) {
    throw Error(ErrorKind::InvalidArgument,
                std::to_string(failures) + " of " + std::to_string(photos) + " photos were not " + what + " (see above)");
  }
}

}  // namespace glowlab::cli
