// Data-parallel training over PyTorch's c10d: a TCPStore rendezvous hosted by rank 0 and a Gloo
// process group (CPU tensors; CUDA gradients are staged through host memory). Every collective runs
// with the job's timeout; when one fails (a rank died, hung or was interrupted) the error names the
// rank that fell behind, from the step each rank last announced in the store.
#pragma once

#include <cstdint>
#include <exception>
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
  // Sums `t` (float32 on the CPU, the same shape on every rank) across ranks in place, in one
  // collective; `what` names it in the error when a rank does not take part. (The gradients go
  // through GradientReducer.)
  void allreduce_sum(const at::Tensor& t, const char* what);
  // Rank 0's text (e.g. the model config) on every rank, through the store.
  std::string share_text(const std::string& key, const std::string& text_on_rank0);
  // Announces that this rank has reached `step` (for naming a rank that stops).
  void announce(std::int64_t step);
  // Seconds of one all-reduce of `numel` floats, the median of `repeats` (the job's whole
  // communication cost per step).
  double time_allreduce(std::int64_t numel, int repeats);

 private:
  friend class GradientReducer;
  [[noreturn]] void fail(const std::string& what, const std::exception& e);
  DistributedOptions options_;
  std::int64_t step_ = -1;
  bool failed_ = false;  // a collective or the store failed: see the destructor
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// Averages the gradients of `params` over the ranks while the backward pass is still running (the
// scheme of PyTorch's DistributedDataParallel): the parameters, in reverse order (roughly the order
// backward produces their gradients), are grouped into buckets of about `bucket_floats`; a hook on
// each parameter copies its gradient into its bucket, and a complete bucket's all-reduce starts at
// once, in the buckets' order on every rank (so the collectives match). finish() waits for them.
class GradientReducer {
 public:
  static constexpr std::int64_t kDefaultBucketFloats = 256 << 10;  // 1 MB of float32
  GradientReducer(Communicator& comm, std::vector<at::Tensor> params, std::int64_t bucket_floats = kDefaultBucketFloats);
  ~GradientReducer();
  GradientReducer(const GradientReducer&) = delete;
  GradientReducer& operator=(const GradientReducer&) = delete;

  // Before each step's backward pass.
  void begin();
  struct Done {
    double wait_seconds = 0;   // time finish() waited for communication (what overlap left exposed)
    int buckets = 0;
    int started_early = 0;     // buckets whose all-reduce started during the backward pass
  };
  // After the backward pass, or instead of it when this rank has no gradients this step (they count
  // as zeros): starts the buckets not started yet, waits for all, and sets every parameter's
  // gradient to the average over the ranks. Throws Error(Io) naming the rank that fell behind.
  Done finish();
  int bucket_count() const { return static_cast<int>(buckets_.size()); }

 private:
  struct Bucket;
  void ready(size_t param, const at::Tensor& grad);
  void put(size_t param, const at::Tensor* grad);  // its slot in its bucket; nullptr: zeros
  void start_ready_buckets();

  Communicator& comm_;
  std::vector<at::Tensor> params_;
  std::vector<unsigned> hooks_;
  std::vector<std::unique_ptr<Bucket>> buckets_;
  std::vector<size_t> bucket_of_;  // per parameter: its bucket and its place there
  std::vector<size_t> slot_of_;
  std::vector<bool> seen_;         // per parameter, this step
  size_t next_ = 0;                // the next bucket to start (strictly in order)
  int started_early_ = 0;
  bool in_backward_ = false;
  std::exception_ptr error_;       // from a hook (rethrown by finish)
};

}  // namespace glowlab
