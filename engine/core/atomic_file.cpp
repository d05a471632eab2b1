#include "core/atomic_file.h"

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <functional>
#include <string>
#include <vector>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/error.h"

namespace glowlab {
namespace {

std::string errno_text() { return std::strerror(errno); }

std::string directory_of(const std::string& path) {
  const auto slash = path.find_last_of('/');
  if (slash == std::string::npos) return ".";
  if (slash == 0) return "/";
  return path.substr(0, slash);
}

// The process's umask, read without changing it (umask(2) can only be read by setting it, which
// races with other threads creating files). Linux reports it in /proc/self/status.
mode_t current_umask() {
  std::ifstream status("/proc/self/status");
  std::string line;
  while (std::getline(status, line)) {
    if (line.rfind("Umask:", 0) == 0) return static_cast<mode_t>(std::stoul(line.substr(6), nullptr, 8));
  }
  return 022;
}

// fsync of the folder, so that the rename itself survives a crash.
void sync_directory(const std::string& path) {
  const int dir = ::open(directory_of(path).c_str(), O_RDONLY | O_DIRECTORY);
  if (dir < 0) return;
  ::fsync(dir);
  ::close(dir);
}

}  // namespace

void write_atomically(const std::string& path, const std::string& suffix,
                      const std::function<void(const std::string& temp_path)>& produce) {
  if (path.empty()) throw Error(ErrorKind::Io, "cannot write: empty output path");
  std::string tmpl = path + ".tmp-XXXXXX" + suffix;
  std::vector<char> name(tmpl.begin(), tmpl.end());
  name.push_back('\0');
  const int fd = ::mkstemps(name.data(), static_cast<int>(suffix.size()));
  if (fd < 0) {
    throw Error(ErrorKind::Io, "cannot write " + path + ": " + errno_text() + " (directory " + directory_of(path) + ")");
  }
  ::close(fd);
  const std::string tmp(name.data());
  try {
    produce(tmp);
    const int out = ::open(tmp.c_str(), O_RDWR);
    if (out < 0) throw Error(ErrorKind::Io, "cannot write " + path + ": the temporary file vanished: " + errno_text());
    struct stat st {};
    const bool empty = ::fstat(out, &st) == 0 && st.st_size == 0;
    // Files made by mkstemp are 0600; give the result the usual umask-derived permissions.
    ::fchmod(out, 0666 & ~current_umask());
    const bool synced = ::fsync(out) == 0;
    const std::string reason = errno_text();
    if (::close(out) != 0 || !synced) throw Error(ErrorKind::Io, "cannot write " + path + ": fsync failed: " + reason);
    if (empty) throw Error(ErrorKind::Io, "cannot write " + path + ": nothing was written");
    if (::rename(tmp.c_str(), path.c_str()) != 0) {
      throw Error(ErrorKind::Io, "cannot write " + path + ": rename failed: " + errno_text());
    }
  } catch (...) {
    ::unlink(tmp.c_str());
    throw;
  }
  sync_directory(path);
}

void write_file_atomic(const std::string& path, std::string_view bytes) {
  write_atomically(path, "", [&](const std::string& tmp) {
    const int fd = ::open(tmp.c_str(), O_WRONLY | O_TRUNC);
    if (fd < 0) throw Error(ErrorKind::Io, "cannot write " + path + ": " + errno_text());
    std::size_t done = 0;
    while (done < bytes.size()) {
      const ssize_t n = ::write(fd, bytes.data() + done, bytes.size() - done);
      if (n < 0) {
        if (errno == EINTR) continue;
        const std::string reason = errno_text();
        ::close(fd);
        throw Error(ErrorKind::Io, "cannot write " + path + ": write failed: " + reason);
      }
      done += static_cast<std::size_t>(n);
    }
    if (::close(fd) != 0) throw Error(ErrorKind::Io, "cannot write " + path + ": close failed: " + errno_text());
  });
}

std::string read_file(const std::string& path, std::size_t max_bytes) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) {
    throw Error(ErrorKind::Io, "cannot read " + path + ": " + errno_text());
  }
  if (S_ISDIR(st.st_mode)) throw Error(ErrorKind::Io, "cannot read " + path + ": is a directory");
  if (static_cast<std::size_t>(st.st_size) > max_bytes) {
    throw Error(ErrorKind::Io, "cannot read " + path + ": file is " + std::to_string(st.st_size) +
                                   " bytes, more than the limit of " + std::to_string(max_bytes));
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) throw Error(ErrorKind::Io, "cannot read " + path + ": " + errno_text());
  std::string data(static_cast<std::size_t>(st.st_size), '\0');
  in.read(data.data(), static_cast<std::streamsize>(data.size()));
  if (static_cast<std::size_t>(in.gcount()) != data.size()) {
    throw Error(ErrorKind::Io, "cannot read " + path + ": short read");
  }
  return data;
}

}  // namespace glowlab
