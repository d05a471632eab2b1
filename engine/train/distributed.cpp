#include "train/distributed.h"

#include <cstdlib>
#include <string>

#include "core/error.h"

namespace glowlab {
namespace {

int env_int(const char* name, int fallback, int lo, int hi) {
  const char* v = std::getenv(name);
  if (!v || !*v) return fallback;
  char* end = nullptr;
  const long x = std::strtol(v, &end, 10);
  if (*end != '\0' || x < lo || x > hi) {
    throw Error(ErrorKind::InvalidArgument, std::string("the environment variable ") + name + "='" + v + "' is not a whole number from " +
                                                std::to_string(lo) + " to " + std::to_string(hi));
  }
  return static_cast<int>(x);
}

}  // namespace

DistributedOptions DistributedOptions::from_environment() {
  DistributedOptions d;
  d.world_size = env_int("WORLD_SIZE", 1, 1, 65536);
  d.rank = env_int("RANK", 0, 0, 65535);
  d.local_rank = env_int("LOCAL_RANK", d.rank, 0, 65535);
  d.master_port = env_int("MASTER_PORT", d.master_port, 1, 65535);
  if (const char* a = std::getenv("MASTER_ADDR"); a && *a) d.master_addr = a;
  if (const char* a = std::getenv("TORCHELASTIC_USE_AGENT_STORE"); a && std::string(a) == "True") d.agent_store = true;
  if (d.rank >= d.world_size) {
    throw Error(ErrorKind::InvalidArgument, "RANK=" + std::to_string(d.rank) + " is not below WORLD_SIZE=" + std::to_string(d.world_size));
  }
  return d;
}

bool have_distributed() {
#ifdef GLOWLAB_HAVE_DISTRIBUTED
  return true;
#else
  return false;
#endif
}

}  // namespace glowlab
