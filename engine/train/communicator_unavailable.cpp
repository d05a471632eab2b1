// A build configured with GLOWLAB_DISTRIBUTED=OFF (no Gloo headers, e.g. a CUDA LibTorch whose
// package lacks them): training runs in one process, and asking for ranks says why it cannot.
// No Communicator can be constructed, so the other members are never reached.
#include <cstdlib>

#include "core/error.h"
#include "train/distributed.h"

namespace glowlab {

struct Communicator::Impl {};
struct GradientReducer::Bucket {};

Communicator::Communicator(const DistributedOptions& o) : options_(o) {
  throw Error(ErrorKind::InvalidArgument,
              "data-parallel training is not in this build of GlowLab (it was configured with GLOWLAB_DISTRIBUTED=OFF; "
              "it needs Gloo's headers, Debian's libgloo-dev); train with one process");
}
Communicator::~Communicator() = default;
void Communicator::broadcast(const std::vector<at::Tensor>&) { std::abort(); }
void Communicator::allreduce_sum(const at::Tensor&, const char*) { std::abort(); }
std::string Communicator::share_text(const std::string&, const std::string&) { std::abort(); }
void Communicator::announce(std::int64_t) { std::abort(); }
double Communicator::time_allreduce(std::int64_t, int) { std::abort(); }
void Communicator::fail(const std::string&, const std::exception&) { std::abort(); }

GradientReducer::GradientReducer(Communicator& comm, std::vector<at::Tensor>, std::int64_t) : comm_(comm) { std::abort(); }
GradientReducer::~GradientReducer() = default;
void GradientReducer::begin() { std::abort(); }
GradientReducer::Done GradientReducer::finish() { std::abort(); }

}  // namespace glowlab
