// Fuzz target: the torch.save reader's unpickler (glowlab-cli import, Model > Import Checkpoint).
// The input is data.pkl; it is wrapped into a valid torch.save zip (LibTorch's own writer, so the
// container's checksums hold and every mutation reaches the unpickler) with eight 64-byte float
// storages, data/0 .. data/7, for its tensors. Only glowlab::Error is caught.
#include <caffe2/serialize/inline_container.h>
#include <unistd.h>

#include <array>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <string>

#include "core/error.h"
#include "import/torch_pickle.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const std::string path = "/tmp/glowlab-fuzz-torch-pickle-" + std::to_string(::getpid()) + ".pt";
  {
    caffe2::serialize::PyTorchStreamWriter writer(path);
    writer.writeRecord("data.pkl", data, size);
    std::array<float, 16> storage{};
    for (size_t i = 0; i < storage.size(); ++i) storage[i] = static_cast<float>(i) - 7.5f;
    for (int s = 0; s < 8; ++s) writer.writeRecord("data/" + std::to_string(s), storage.data(), sizeof storage);
    writer.writeEndOfFile();
  }
  try {
    glowlab::read_torch_tensors(path);
  } catch (const glowlab::Error&) {
  }
  std::remove(path.c_str());
  return 0;
}
