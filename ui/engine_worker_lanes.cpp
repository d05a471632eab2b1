// EngineWorker's second render lane: the snapshot it renders from, published between jobs, and
// its loop (engine_worker.h; docs/speed.md, "Two renders in flight").
#include <cstdlib>

#include "engine_worker.h"

using namespace glowlab;

void EngineWorker::holdLane() {
  if (lanes_ < 2) return;
  QMutexLocker lock(&mutex_);
  while (laneBusy_) laneIdle_.wait(&mutex_);
}

void EngineWorker::afterJob() {
  if (!model_ || latent_.empty()) return;
  if (warmModelGen_ != modelGen_) {
    // The first decode of a model makes and caches its folded weights (float32 and bf16): here,
    // alone. Then the draft precision: measured, unless GLOWLAB_DRAFT_PRECISION says.
    model_->decode(latent_);
    warmModelGen_ = modelGen_;
    const char* env = std::getenv("GLOWLAB_DRAFT_PRECISION");
    const std::string asked = env ? env : "auto";
    const Precision p = asked == "fp32" || asked == "bf16" ? parse_precision(asked) : draft_precision(*model_, latent_);
    draftPrecision_ = static_cast<int>(p);
  }
  if (lanes_ < 2 || model_->device() != "cpu") return;
  auto context = std::make_shared<const RenderContext>(RenderContext{*model_, latent_, second_});
  QMutexLocker lock(&mutex_);
  laneContext_ = std::move(context);
  wake_.wakeAll();
}

void EngineWorker::laneLoop() {
  glowlab::init_runtime(laneThreads_);
  while (true) {
    std::shared_ptr<const RenderContext> context;
    std::optional<std::pair<EditState, quint64>> request;
    {
      QMutexLocker lock(&mutex_);
      // Never ahead of a queued job: a render asked for after it (a model switch, a new photo) is
      // for the state it makes, as on the engine thread, which runs jobs first.
      while (!abort_ && !(pendingRender_ && laneContext_ && jobs_.empty())) wake_.wait(&mutex_);
      if (abort_) return;
      request = std::move(pendingRender_);
      pendingRender_.reset();
      context = laneContext_;
      laneBusy_ = true;
    }
    try {
      Model model = context->model;  // shares the weights
      renderRequest(model, context->latent, context->second, std::move(*request), 1);
    } catch (const std::exception& e) {
      Q_EMIT failed(QString::fromUtf8(e.what()));
    }
    QMutexLocker lock(&mutex_);
    laneBusy_ = false;
    laneIdle_.wakeAll();
  }
}
