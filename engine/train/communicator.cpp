// Communicator and GradientReducer over c10d: a TCPStore rendezvous and a ProcessGroupGloo (built
// with GLOWLAB_DISTRIBUTED, which needs Gloo's headers; communicator_unavailable.cpp otherwise).
#include "train/distributed.h"

#include <algorithm>
#include <chrono>
#include <cstdlib>

#include <torch/csrc/distributed/c10d/ProcessGroupGloo.hpp>
#include <torch/csrc/distributed/c10d/TCPStore.hpp>

#include "core/error.h"

namespace glowlab {
namespace {

bool loopback(const std::string& host) { return host == "127.0.0.1" || host == "localhost" || host == "::1"; }

}  // namespace

struct Communicator::Impl {
  c10::intrusive_ptr<c10d::TCPStore> store;
  c10::intrusive_ptr<c10d::ProcessGroupGloo> group;
};

Communicator::Communicator(const DistributedOptions& o) : options_(o), impl_(std::make_unique<Impl>()) {
  const auto timeout = std::chrono::milliseconds(static_cast<std::int64_t>(o.timeout_seconds * 1000));
  const std::string where = o.master_addr + ":" + std::to_string(o.master_port);
  try {
    c10d::TCPStoreOptions so;
    so.port = static_cast<std::uint16_t>(o.master_port);
    so.isServer = o.rank == 0 && !o.agent_store;
    so.numWorkers = static_cast<std::size_t>(o.world_size);
    so.waitWorkers = true;
    so.timeout = timeout;
    impl_->store = c10::make_intrusive<c10d::TCPStore>(o.master_addr, so);
  } catch (const std::exception& e) {
    throw Error(ErrorKind::Io, "rank " + std::to_string(o.rank) + ": the rendezvous at " + where +
                                   (o.rank == 0 && !o.agent_store ? " could not be opened (is the port in use?)"
                                                                  : " did not answer (is rank 0 running?)") +
                                   ": " + e.what());
  }
  try {
    auto go = c10d::ProcessGroupGloo::Options::create(timeout);
    // Gloo's own socket: GLOO_SOCKET_IFNAME names an interface; a loopback rendezvous stays on
    // 127.0.0.1; otherwise the address this host's name resolves to.
    if (const char* ifname = std::getenv("GLOO_SOCKET_IFNAME"); ifname && *ifname) {
      go->devices.push_back(c10d::ProcessGroupGloo::createDeviceForInterface(ifname));
    } else if (loopback(o.master_addr)) {
      go->devices.push_back(c10d::ProcessGroupGloo::createDeviceForHostname("127.0.0.1"));
    } else {
      go->devices.push_back(c10d::ProcessGroupGloo::createDefaultDevice());
    }
    go->threads = 1;
    impl_->group = c10::make_intrusive<c10d::ProcessGroupGloo>(impl_->store, o.rank, o.world_size, go);
  } catch (const std::exception& e) {
    throw Error(ErrorKind::Io, "rank " + std::to_string(o.rank) + ": could not connect to the other ranks through " + where + ": " + e.what());
  }
}

// After a failure, a rank stopped in the middle of a store request (SIGSTOP, a hung machine) can
// leave rank 0's store server thread blocked reading the rest of it: c10d's server reads without a
// timeout, so destroying the store (which joins that thread) would never return and rank 0 would
// hang instead of reporting. The store and the group are then left to the process, which is about
// to end with the failure's message.
Communicator::~Communicator() {
  if (!failed_) return;
  (void)impl_->group.release();
  (void)impl_->store.release();
}

void Communicator::announce(std::int64_t step) {
  step_ = step;
  try {
    const std::string v = std::to_string(step);
    impl_->store->set("glowlab/step/" + std::to_string(options_.rank), std::vector<std::uint8_t>(v.begin(), v.end()));
  } catch (const std::exception& e) {
    fail("announcing step " + std::to_string(step), e);
  }
}

void Communicator::fail(const std::string& what, const std::exception& e) {
  failed_ = true;
  // Which rank fell behind: the one whose announced step is lowest (or that never announced).
  std::string culprit;
  try {
    std::int64_t lowest = INT64_MAX;
    for (int r = 0; r < options_.world_size; ++r) {
      if (r == options_.rank) continue;
      const std::string key = "glowlab/step/" + std::to_string(r);
      std::int64_t step = -1;
      if (impl_->store->check({key})) {
        const auto v = impl_->store->get(key);
        step = std::stoll(std::string(v.begin(), v.end()));
      }
      if (step < lowest) {
        lowest = step;
        culprit = "rank " + std::to_string(r) + (step < 0 ? " never started" : " stopped at step " + std::to_string(step));
      }
    }
  } catch (const std::exception&) {
    // The store did not answer either: a rank stopped mid-request. With two ranks it is the other.
    if (options_.rank != 0) culprit = "rank 0 (which hosts the rendezvous) stopped";
    else culprit = options_.world_size == 2 ? "rank 1 stopped (its last step unknown: the rendezvous did not answer)" : "another rank";
  }
  std::string detail = e.what();
  detail = detail.substr(0, detail.find('\n'));
  throw Error(ErrorKind::Io, "rank " + std::to_string(options_.rank) + " at step " + std::to_string(step_) + ": " +
                                 (culprit.empty() ? "a rank" : culprit) + " did not take part in " + what + " within " +
                                 std::to_string(static_cast<int>(options_.timeout_seconds)) + " s; stopping (" + detail + ")");
}

void Communicator::broadcast(const std::vector<at::Tensor>& tensors) {
  try {
    for (const auto& t : tensors) {
      std::vector<at::Tensor> one{t.is_cuda() ? t.cpu() : t};
      impl_->group->broadcast(one)->wait();
      if (t.is_cuda()) t.copy_(one[0]);
    }
  } catch (const Error&) {
    throw;
  } catch (const std::exception& e) {
    fail("the broadcast of rank 0's weights", e);
  }
}

void Communicator::allreduce_sum(const at::Tensor& t, const char* what) {
  try {
    std::vector<at::Tensor> one{t};
    impl_->group->allreduce(one)->wait();
  } catch (const std::exception& e) {
    fail(what, e);
  }
}

std::string Communicator::share_text(const std::string& key, const std::string& text) {
  try {
    const std::string k = "glowlab/text/" + key;
    if (options_.rank == 0) impl_->store->set(k, std::vector<std::uint8_t>(text.begin(), text.end()));
    const auto v = impl_->store->get(k);  // waits for rank 0, up to the timeout
    return std::string(v.begin(), v.end());
  } catch (const std::exception& e) {
    fail("sharing the " + key, e);
  }
}

double Communicator::time_allreduce(std::int64_t numel, int repeats) {
  auto t = at::ones({numel});
  std::vector<double> seconds;
  for (int r = 0; r < repeats; ++r) {
    const auto start = std::chrono::steady_clock::now();
    allreduce_sum(t, "a timed all-reduce");
    seconds.push_back(std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
  }
  std::sort(seconds.begin(), seconds.end());
  return seconds[seconds.size() / 2];
}

struct GradientReducer::Bucket {
  std::vector<size_t> params;  // indices into params_
  std::vector<std::int64_t> offsets;
  at::Tensor flat;             // float32 on the CPU: what Gloo reduces
  int pending = 0;             // gradients not yet copied in this step
  c10::intrusive_ptr<c10d::Work> work;  // set once its all-reduce started
};

GradientReducer::GradientReducer(Communicator& comm, std::vector<at::Tensor> params, std::int64_t bucket_floats)
    : comm_(comm), params_(std::move(params)), bucket_of_(params_.size()), slot_of_(params_.size()), seen_(params_.size()) {
  std::int64_t filled = 0;
  for (size_t k = params_.size(); k-- > 0;) {
    const std::int64_t n = params_[k].numel();
    if (buckets_.empty() || (filled > 0 && filled + n > bucket_floats)) {
      buckets_.push_back(std::make_unique<Bucket>());
      filled = 0;
    }
    bucket_of_[k] = buckets_.size() - 1;
    slot_of_[k] = buckets_.back()->params.size();
    buckets_.back()->params.push_back(k);
    buckets_.back()->offsets.push_back(filled);
    filled += n;
  }
  for (auto& b : buckets_) {
    std::int64_t n = 0;
    for (size_t k : b->params) n += params_[k].numel();
    b->flat = at::zeros({n}, at::kFloat);
  }
  for (size_t k = 0; k < params_.size(); ++k) {
    hooks_.push_back(params_[k].register_hook([this, k](const at::Tensor& grad) { ready(k, grad); }));
  }
}

GradientReducer::~GradientReducer() {
  for (size_t k = 0; k < hooks_.size(); ++k) params_[k].remove_hook(hooks_[k]);
}

void GradientReducer::begin() {
  for (auto& b : buckets_) {
    b->pending = static_cast<int>(b->params.size());
    b->work.reset();
  }
  std::fill(seen_.begin(), seen_.end(), false);
  next_ = 0;
  started_early_ = 0;
  error_ = nullptr;
  in_backward_ = true;
}

void GradientReducer::put(size_t k, const at::Tensor* grad) {
  seen_[k] = true;
  auto& b = *buckets_[bucket_of_[k]];
  auto slot = b.flat.narrow(0, b.offsets[slot_of_[k]], params_[k].numel());
  if (grad) slot.copy_(grad->reshape(-1));
  else slot.zero_();
  --b.pending;
}

void GradientReducer::ready(size_t k, const at::Tensor& grad) {
  if (!in_backward_ || seen_[k] || error_) return;  // a backward outside a step, or a second one
  put(k, &grad);
  try {
    start_ready_buckets();
  } catch (...) {
    error_ = std::current_exception();  // not through autograd: finish() reports it
  }
}

void GradientReducer::start_ready_buckets() {
  while (next_ < buckets_.size() && buckets_[next_]->pending == 0) {
    std::vector<at::Tensor> one{buckets_[next_]->flat};
    buckets_[next_]->work = comm_.impl_->group->allreduce(one);
    if (in_backward_) ++started_early_;
    ++next_;
  }
}

GradientReducer::Done GradientReducer::finish() {
  const auto start = std::chrono::steady_clock::now();
  Done done;
  done.buckets = static_cast<int>(buckets_.size());
  in_backward_ = false;
  done.started_early = started_early_;
  try {
    if (error_) std::rethrow_exception(error_);
    // Gradients that never came (no backward on this rank, or a parameter the loss does not use) count as zeros.
    for (size_t k = 0; k < params_.size(); ++k) {
      if (!seen_[k]) put(k, nullptr);
    }
    start_ready_buckets();
    const double world = comm_.world_size();
    for (auto& b : buckets_) {
      b->work->wait();
      b->work.reset();
      b->flat.div_(world);
      for (size_t i = 0; i < b->params.size(); ++i) {
        auto& p = params_[b->params[i]];
        if (!p.grad().defined()) p.mutable_grad() = at::zeros_like(p);
        p.mutable_grad().copy_(b->flat.narrow(0, b->offsets[i], p.numel()).view(p.sizes()));
      }
    }
  } catch (const Error&) {
    throw;
  } catch (const std::exception& e) {
    comm_.fail("the gradient all-reduce", e);
  }
  done.wait_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return done;
}

}  // namespace glowlab
