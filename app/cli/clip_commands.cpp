// glowlab-cli edit CLIP.mp4: the photo edit applied to every frame of a video (edit_clip).
#include <atomic>
#include <chrono>
#include <csignal>
#include <cmath>
#include <iomanip>
#include <iostream>

#include <unistd.h>

#include "commands.h"
#include "glowlab.h"

namespace glowlab::cli {
namespace {

std::atomic<bool> g_interrupted{false};
extern "C" void on_interrupt(int) { g_interrupted = true; }

}  // namespace

void run_clip_edit(Model& model, const std::string& input, const std::string& output, const SliderEdit& edit, int face,
                   bool strict) {
  ClipEditOptions options;
  options.edit = edit;
  options.face = face;
  const bool tty = ::isatty(STDERR_FILENO);
  int shown = -1;
  options.progress = [&](double fraction) {
    const int percent = static_cast<int>(std::floor(100 * fraction));
    if (tty && percent != shown) {
      shown = percent;
      std::cerr << "\r" << input << ": " << std::setw(3) << percent << "%" << std::flush;
    }
    return !g_interrupted.load();
  };
  // Ctrl+C stops the run between frames, and nothing is written (the output is made atomically).
  g_interrupted = false;
  auto* previous = std::signal(SIGINT, on_interrupt);
  const auto start = std::chrono::steady_clock::now();
  ClipEditReport r;
  try {
    r = edit_clip(model, input, output, options);
  } catch (...) {
    std::signal(SIGINT, previous);
    if (tty && shown >= 0) std::cerr << "\n";
    throw;
  }
  std::signal(SIGINT, previous);
  if (tty && shown >= 0) std::cerr << "\n";
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  if (r.frames_with_face == 0) std::cerr << "note: " << input << ": no face in any frame: the clip is written unchanged\n";
  if (r.strength < 1.0) {
    if (strict) throw Error(ErrorKind::Numeric, input + ": the edit does not decode cleanly at full strength on every frame");
    std::cerr << "note: " << input << ": the whole clip's edit limited to " << std::lround(100 * r.strength)
              << "% of its strength (a stronger edit does not decode cleanly on some frames; one strength for every frame, so "
                 "the edit does not pump)\n";
  }
  std::cerr << "note: " << output << ": " << r.frames << " frames (" << r.frames_with_face << " with a face, "
            << r.frames - r.frames_with_face << " passed through unchanged), " << r.width << "x" << r.height
            << (r.width % 2 || r.height % 2 ? " (written " + std::to_string(r.width + r.width % 2) + "x" + std::to_string(r.height + r.height % 2) +
                                                   ": H.264 needs even sizes, the last column or row repeated)"
                                             : std::string())
            << " at "
            << std::setprecision(4) << r.fps << " fps, video codec " << r.codec << ", "
            << (r.sound ? "its sound carried" : r.sound_note.empty() ? "no sound" : "sound not carried: " + r.sound_note) << "; " << std::fixed
            << std::setprecision(1) << seconds << " s (" << r.frames / std::max(seconds, 1e-9) << " frames/s)\n";
  std::cout << output << "\n";
}

}  // namespace glowlab::cli
