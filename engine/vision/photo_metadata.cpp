// A photo's colour profile and metadata carried into the images made from it (exiv2, in memory:
// the file is still written atomically, once).
#include <algorithm>
#include <cctype>
#include <string>

#include "core/atomic_file.h"
#include "core/error.h"
#include "vision/image_io.h"

#ifdef GLOWLAB_HAVE_EXIV2
#include <zlib.h>

#include <exiv2/exiv2.hpp>
#endif

namespace glowlab {

namespace {

#ifdef GLOWLAB_HAVE_EXIV2
void put_be32(std::string& out, uint32_t v) {
  for (int shift = 24; shift >= 0; shift -= 8) out.push_back(static_cast<char>((v >> shift) & 0xff));
}

// A PNG's bytes with an iCCP chunk holding `icc` after its header chunk. Written here, not by
// exiv2: exiv2 0.27 names the profile only when it read one from a PNG, and an empty name is a
// malformed chunk ("iCCP: bad keyword").
std::string with_png_profile(const std::string& png, const Exiv2::DataBuf& icc) {
  constexpr std::size_t kHeaderEnd = 8 + 12 + 13;  // the signature, then IHDR (13 bytes of data)
  if (png.size() < kHeaderEnd || png.compare(12, 4, "IHDR") != 0) return png;
  uLongf packed_size = compressBound(static_cast<uLong>(icc.size_));
  std::string packed(packed_size, '\0');
  if (compress2(reinterpret_cast<Bytef*>(packed.data()), &packed_size, icc.pData_, static_cast<uLong>(icc.size_), 9) != Z_OK) return png;
  packed.resize(packed_size);
  std::string chunk = "iCCP";
  chunk += std::string("ICC profile", 11);
  chunk.push_back('\0');  // the name's end
  chunk.push_back('\0');  // compression: deflate
  chunk += packed;
  std::string out = png.substr(0, kHeaderEnd);
  put_be32(out, static_cast<uint32_t>(chunk.size() - 4));
  out += chunk;
  put_be32(out, static_cast<uint32_t>(crc32(0, reinterpret_cast<const Bytef*>(chunk.data()), static_cast<uInt>(chunk.size()))));
  out += png.substr(kHeaderEnd);
  return out;
}

// `encoded` (an image file's bytes) with the metadata of the photo at `photo_path`.
std::string with_metadata(const std::string& encoded, const std::string& photo_path, bool png) {
  Exiv2::LogMsg::setLevel(Exiv2::LogMsg::mute);  // the library's warnings stay out of the terminal
  auto photo = Exiv2::ImageFactory::open(photo_path);
  photo->readMetadata();
  Exiv2::ExifData exif = photo->exifData();
  if (!exif.empty()) {
    Exiv2::ExifThumb(exif).erase();
    auto orientation = exif.findKey(Exiv2::ExifKey("Exif.Image.Orientation"));
    if (orientation != exif.end()) exif["Exif.Image.Orientation"] = static_cast<uint16_t>(1);
  }
  auto out = Exiv2::ImageFactory::open(reinterpret_cast<const Exiv2::byte*>(encoded.data()), static_cast<long>(encoded.size()));
  out->setExifData(exif);
  out->setIptcData(photo->iptcData());
  out->setXmpData(photo->xmpData());
  if (photo->iccProfileDefined() && !png) out->setIccProfile(*photo->iccProfile(), /*bTestValid=*/false);
  out->writeMetadata();
  Exiv2::BasicIo& io = out->io();
  io.open();
  io.seek(0, Exiv2::BasicIo::beg);
  const Exiv2::DataBuf bytes = io.read(static_cast<long>(io.size()));
  io.close();
  std::string written(reinterpret_cast<const char*>(bytes.pData_), static_cast<size_t>(bytes.size_));
  if (png && photo->iccProfileDefined()) written = with_png_profile(written, *photo->iccProfile());
  return written;
}
#endif

}  // namespace

std::string write_photo_image(const std::string& path, const Image& image, const std::string& photo_path) {
  const std::string ext = lower_extension(path);
  std::string bytes = encode_image(image, ext, path);
  std::string note;
#ifdef GLOWLAB_HAVE_EXIV2
  if (!photo_path.empty() && (ext == ".png" || ext == ".jpg" || ext == ".jpeg" || ext == ".webp")) {
    try {
      bytes = with_metadata(bytes, photo_path, ext == ".png");
    } catch (const std::exception& e) {
      note = "the colour profile and metadata of " + photo_path + " were not carried over (" + e.what() + ")";
    }
  } else if (!photo_path.empty()) {
    note = ext + " holds no colour profile or metadata: those of the photo were left out";
  }
#else
  if (!photo_path.empty()) note = "this build carries no colour profile or metadata (built without exiv2)";
#endif
  write_file_atomic(path, bytes);
  return note;
}

}  // namespace glowlab
