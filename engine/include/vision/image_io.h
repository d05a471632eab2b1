// Image files: decoding with limits, atomic encoding, square fitting and grids.
// With OpenCV: PNG, JPEG, WebP, BMP, PPM/PGM (EXIF orientation honoured). Without: PPM/PGM only.
#pragma once

#include <string>
#include <vector>

#include "core/image.h"

namespace glowlab {

inline constexpr long long kMaxImagePixels = 50'000'000;     // refuses pixel bombs before decoding
inline constexpr std::size_t kMaxImageFileBytes = 256u << 20;

// Decodes an image file to `channels` (1 grey or 3 RGB). Throws Error(Io) if unreadable and
// Error(Image) if corrupt, empty, unsupported or over the pixel limit; the message names the file.
Image read_image(const std::string& path, int channels);
// The same from the file's bytes (read_image reads the file, up to kMaxImageFileBytes, and calls
// this); `path` is used in messages only. Throws Error(Image) as read_image does.
Image decode_image(const std::string& bytes, int channels, const std::string& path);
// Encodes by the extension (.png, .jpg/.jpeg, .webp, .bmp, .ppm/.pgm) and writes atomically.
void write_image(const std::string& path, const Image& image);
// Writes an image made from the photo `photo_path` (an edit pasted into it) as write_image does,
// carrying the photo's colour profile (ICC), EXIF, IPTC and XMP where the output's format holds
// them (PNG, JPEG, WebP), as photo editors do. The pixels are upright already (read_image applied
// the EXIF orientation), so the orientation written is 1 (applied once); the EXIF thumbnail, a
// picture of the unedited photo, is left out. Returns a note when some of it could not be carried
// (another format, a build without exiv2); empty when all of it was (or there was none).
std::string write_photo_image(const std::string& path, const Image& image, const std::string& photo_path);
// A path's extension in lower case, with its dot (".jpg"; empty when it has none).
std::string lower_extension(const std::string& path);
// The extensions write_image writes (".png", ".jpg", ...; a build without OpenCV ".ppm", ".pgm").
std::vector<std::string> writable_image_extensions();
// Checked before any work is done: throws Error(InvalidArgument) naming `path` when write_image
// cannot write its extension, listing those it can, and `also` (extensions the caller writes by
// other means, e.g. ".gif" for an animation).
void check_image_extension(const std::string& path, const std::vector<std::string>& also = {});
// A PNG's bytes without its colour-profile chunks (iCCP, sRGB, cHRM), which the decoder does not
// apply to colour images but libpng warns about on the terminal ("iCCP: known incorrect sRGB
// profile"); anything else (another format, a chunk that does not parse) is returned as it is.
std::string without_png_colour_chunks(const std::string& bytes);
// Encodes to bytes in the given format extension (".png", ...).
std::string encode_image(const Image& image, const std::string& extension, const std::string& path_for_errors);

// Centre-crops to a square and resizes (area averaging) to size x size.
Image fit_square(const Image& image, int size);
// Crops the rectangle (x, y, w, h), clamped to the image, and resizes it to size x size.
Image crop_resize(const Image& image, int x, int y, int w, int h, int size);
// Tiles equally sized images into a grid with `cols` columns and `pad` pixels of white between.
Image make_grid(const std::vector<Image>& images, int cols, int pad = 2);

// Image files under `dir` (recursive, sorted): .png .jpg .jpeg .webp .bmp .ppm .pgm.
// Throws Error(Io) if `dir` is not a readable directory.
std::vector<std::string> list_images(const std::string& dir);

bool have_opencv();

// Width and height from the header of a PNG, JPEG, WebP, BMP or PPM/PGM file, without decoding any
// pixel (so a pixel bomb is refused before it costs memory). False when the bytes are none of these.
bool image_dimensions(const std::string& bytes, long long& width, long long& height);
// Throws Error(Image) naming `path` when the header declares more than kMaxImagePixels pixels, or is
// not one of the formats above.
void check_image_header(const std::string& bytes, const std::string& path);

}  // namespace glowlab
