#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>

#include <malloc.h>

#include <ATen/Parallel.h>
#include <torch/cuda.h>

#include "core/error.h"
#include "glowlab.h"

namespace glowlab {

void init_runtime(int threads) {
  if (threads <= 0) threads = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  at::set_num_threads(threads);
  const char* tuning = std::getenv("GLOWLAB_MALLOC_TUNING");
  if (!tuning || std::string(tuning) != "0") {
    // Keep large tensor buffers in the heap instead of mmap/munmap-ing them on every op.
    mallopt(M_MMAP_THRESHOLD, 32 << 20);
    mallopt(M_TRIM_THRESHOLD, 512 << 20);
    mallopt(M_TOP_PAD, 64 << 20);
  }
  // FFmpeg's own lines ("moov atom not found") would go to stderr beside GlowLab's one message
  // naming the file; OpenCV reads this when it first opens a video. A value set by the user stays.
  setenv("OPENCV_FFMPEG_LOGLEVEL", "-8", /*overwrite=*/0);  // AV_LOG_QUIET
  // Pixel bombs: read_image checks the size each file's header declares before decoding (setting
  // OPENCV_IO_MAX_IMAGE_PIXELS here would be too late: OpenCV reads it when it loads).
}

bool cuda_available() { return torch::cuda::is_available(); }

bool cpu_has_native_bf16() {
  std::ifstream in("/proc/cpuinfo");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("flags", 0) != 0) continue;
    std::istringstream words(line);
    std::string w;
    while (words >> w) {
      if (w == "avx512_bf16" || w == "amx_bf16") return true;
    }
    return false;  // every core lists the same flags
  }
  return false;
}

std::string resolve_device(const std::string& requested, bool fallback_to_cpu) {
  if (requested == "cpu") return "cpu";
  if (requested == "auto") return cuda_available() ? "cuda" : "cpu";
  if (requested == "cuda") {
    if (cuda_available()) return "cuda";
    if (fallback_to_cpu) return "cpu";
    throw Error(ErrorKind::Device, "device 'cuda' requested but LibTorch sees no CUDA GPU (build or driver)");
  }
  throw Error(ErrorKind::InvalidArgument, "unknown device '" + requested + "' (expected auto, cpu or cuda)");
}

}  // namespace glowlab
