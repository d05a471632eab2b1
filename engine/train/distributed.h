// Data-parallel training over PyTorch's c10d: a TCPStore rendezvous hosted by rank 0 and a Gloo
// process group (CPU tensors; CUDA gradients are staged through host memory). Every collective runs
// with the job's timeout; when one fails (a rank died, hung or was interrupted) the error names the
// rank that fell behind, from the step each rank last announced in the store.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include <ATen/ATen.h>

#include "train/train_options.h"

namespace glowlab {

class Communicator {
 public:
  // Rendezvous: waits (up to the timeout) for all ranks. Throws Error(Io) naming the address.
  explicit Communicator(const DistributedOptions& options);
  ~Communicator();
  int rank() const { return options_.rank; }
  int world_size() const { return options_.world_size; }

  // Overwrites `tensors` (same shapes on every rank) with rank 0's values.
  void broadcast(const std::vector<at::Tensor>& tensors);
  // Sums `tensors` across ranks in place, through flat buffers of at most ~16 MB (one collective
  // each: the model's gradients travel as one or a few messages).
  void allreduce_sum(const std::vector<at::Tensor>& tensors);
  // Rank 0's text (e.g. the model config) on every rank, through the store.
  std::string share_text(const std::string& key, const std::string& text_on_rank0);
  // Announces that this rank has reached `step` (for naming a rank that stops).
  void announce(std::int64_t step);
  // Seconds of one all-reduce of `numel` floats, the median of `repeats` (the job's whole
  // communication cost per step).
  double time_allreduce(std::int64_t numel, int repeats);

 private:
  [[noreturn]] void fail(const std::string& what, const std::exception& e);
  DistributedOptions options_;
  std::int64_t step_ = -1;
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace glowlab
