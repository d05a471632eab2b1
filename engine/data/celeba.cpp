#include "data/celeba.h"

#include <sstream>

#include "core/atomic_file.h"
#include "core/error.h"

namespace glowlab {
namespace {

constexpr std::size_t kMaxLabelFileBytes = std::size_t{1} << 30;

[[noreturn]] void bad(const std::string& path, std::size_t line, const std::string& what) {
  throw Error(ErrorKind::Format, path + ":" + std::to_string(line) + ": " + what);
}

std::vector<std::string> split_ws(const std::string& line) {
  std::istringstream in(line);
  std::vector<std::string> out;
  for (std::string w; in >> w;) out.push_back(w);
  return out;
}

}  // namespace

CelebaAttributes parse_celeba_attributes(const std::string& path) {
  return parse_celeba_attributes_text(read_file(path, kMaxLabelFileBytes), path);
}

CelebaAttributes parse_celeba_attributes_text(const std::string& text, const std::string& path) {
  std::istringstream in(text);
  std::string line;
  CelebaAttributes out;
  std::size_t lineno = 0;
  long long declared = -1;
  while (std::getline(in, line)) {
    ++lineno;
    if (!line.empty() && line.back() == '\r') line.pop_back();
    const auto words = split_ws(line);
    if (lineno == 1) {
      try {
        std::size_t used = 0;
        declared = std::stoll(line, &used);
        if (words.size() != 1 || declared < 0) throw std::invalid_argument("count");
      } catch (const std::exception&) {
        bad(path, lineno, "expected the image count, got '" + line + "'");
      }
      continue;
    }
    if (lineno == 2) {
      if (words.empty()) bad(path, lineno, "expected the attribute names");
      out.names = words;
      continue;
    }
    if (words.empty()) continue;
    if (words.size() != out.names.size() + 1) {
      bad(path, lineno, "expected a file name and " + std::to_string(out.names.size()) + " values, got " +
                            std::to_string(words.size()) + " fields");
    }
    std::vector<std::int8_t> v;
    for (std::size_t i = 1; i < words.size(); ++i) {
      if (words[i] == "1") v.push_back(1);
      else if (words[i] == "-1") v.push_back(-1);
      else bad(path, lineno, "value '" + words[i] + "' for " + out.names[i - 1] + " is not 1 or -1");
    }
    out.files.push_back(words[0]);
    out.values.push_back(std::move(v));
  }
  if (lineno < 2) bad(path, lineno + 1, "file ends before the attribute names");
  if (static_cast<long long>(out.files.size()) != declared) {
    bad(path, 1, "declares " + std::to_string(declared) + " images but lists " + std::to_string(out.files.size()));
  }
  return out;
}

std::map<std::string, int> parse_celeba_partition(const std::string& path) {
  return parse_celeba_partition_text(read_file(path, kMaxLabelFileBytes), path);
}

std::map<std::string, int> parse_celeba_partition_text(const std::string& text, const std::string& path) {
  std::istringstream in(text);
  std::string line;
  std::map<std::string, int> out;
  std::size_t lineno = 0;
  while (std::getline(in, line)) {
    ++lineno;
    const auto words = split_ws(line);
    if (words.empty()) continue;
    if (words.size() != 2 || (words[1] != "0" && words[1] != "1" && words[1] != "2")) {
      bad(path, lineno, "expected 'file 0|1|2', got '" + line + "'");
    }
    out[words[0]] = words[1][0] - '0';
  }
  return out;
}

}  // namespace glowlab
