// Replays fuzz inputs through a target's LLVMFuzzerTestOneInput without libFuzzer (any compiler),
// so ctest re-runs the committed corpus on every build: replay FILE_OR_FOLDER...
// Folders are read (recursively, sorted); an empty or missing one fails. Exit status 1 when any
// input lets an exception escape the target (the targets catch only glowlab::Error).
#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <exception>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size);

int main(int argc, char** argv) {
  namespace fs = std::filesystem;
  if (argc < 2) {
    std::fprintf(stderr, "usage: %s FILE_OR_FOLDER...\n", argv[0]);
    return 2;
  }
  std::vector<std::string> inputs;
  for (int i = 1; i < argc; ++i) {
    std::error_code ec;
    const fs::path arg = argv[i];
    if (fs::is_directory(arg, ec)) {
      std::vector<std::string> found;
      for (const auto& e : fs::recursive_directory_iterator(arg, ec)) {
        if (e.is_regular_file()) found.push_back(e.path().string());
      }
      std::sort(found.begin(), found.end());
      if (found.empty()) {
        std::fprintf(stderr, "%s: no inputs in this folder\n", argv[i]);
        return 1;
      }
      inputs.insert(inputs.end(), found.begin(), found.end());
    } else if (fs::is_regular_file(arg, ec)) {
      inputs.push_back(arg.string());
    } else {
      std::fprintf(stderr, "%s: no such file or folder\n", argv[i]);
      return 1;
    }
  }
  int failed = 0;
  for (const auto& path : inputs) {
    std::ifstream in(path, std::ios::binary);
    const std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    if (!in.good() && !in.eof()) {
      std::fprintf(stderr, "%s: cannot read\n", path.c_str());
      ++failed;
      continue;
    }
    try {
      LLVMFuzzerTestOneInput(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size());
    } catch (const std::exception& e) {
      std::fprintf(stderr, "%s: escaped the target: %s\n", path.c_str(), e.what());
      ++failed;
    } catch (...) {
      std::fprintf(stderr, "%s: escaped the target: a non-standard exception\n", path.c_str());
      ++failed;
    }
  }
  std::printf("replayed %zu inputs, %d failed\n", inputs.size(), failed);
  return failed == 0 ? 0 : 1;
}
