#include "engine_worker.h"

#include <QDateTime>
#include <QElapsedTimer>
#include <QFileInfo>

#include <algorithm>
#include <cstdlib>

#include "qt_image.h"

using namespace glowlab;

EngineWorker::EngineWorker(QObject* parent) : QThread(parent) {
  qRegisterMetaType<ModelSummary>();
  qRegisterMetaType<ImageSummary>();
  qRegisterMetaType<QList<QImage>>();
  qRegisterMetaType<RenderInfo>();
  qRegisterMetaType<Task>();
  qRegisterMetaType<ImportOutcome>();
  qRegisterMetaType<ClipPreviewSummary>();
  qRegisterMetaType<ClipEditSummary>();
  qRegisterMetaType<std::vector<glowlab::RecipeWarning>>();
  // Intra-op threads: all cores but one, so the UI thread never competes with the engine's OpenMP
  // team (on 2 cores a drag went from 13-17 to 59-62 frames/s and p95 latency from 159-191 ms to
  // 20-32 ms, bench/edit_loop.cpp). Where that leaves one or two threads, one batch-1 render cannot
  // use them well: two lanes of half as many render two frames at once instead (docs/speed.md).
  const char* threadsEnv = std::getenv("GLOWLAB_WORKER_THREADS");
  const char* lanesEnv = std::getenv("GLOWLAB_RENDER_LANES");
  const int threads = threadsEnv ? std::max(1, std::atoi(threadsEnv)) : std::max(1, QThread::idealThreadCount() - 1);
  lanes_ = std::clamp(lanesEnv ? std::atoi(lanesEnv) : (threads <= 2 && QThread::idealThreadCount() >= 2 ? 2 : 1), 1, 2);
  laneThreads_ = lanes_ == 2 && !threadsEnv ? std::max(1, threads / 2) : threads;
  start();
  if (lanes_ == 2) lane_ = std::thread([this] { laneLoop(); });
}

EngineWorker::~EngineWorker() {
  {
    QMutexLocker lock(&mutex_);
    abort_ = true;
    cancelUpTo_ = ~quint64{0};
    wake_.wakeAll();
  }
  wait();
  if (lane_.joinable()) lane_.join();
}

quint64 EngineWorker::post(std::function<void()> job, bool modelLoad) {
  QMutexLocker lock(&mutex_);
  if (modelLoad) {
    failedLoadUnseen_ = false;  // what follows is for this model
  } else if (failedLoadUnseen_) {
    // A model load failed and the window has not heard of it yet: this request was made for that
    // model, behind its load, as much as the jobs it cancelled were. Dropped, not reported again.
    return 0;
  }
  const quint64 ticket = ++posted_;
  jobs_.emplace_back(ticket, std::move(job));
  if (modelLoad) modelLoads_.push_back(ticket);
  wake_.wakeAll();  // the engine thread waits on it beside the second lane
  return ticket;
}

void EngineWorker::render(const EditState& state, quint64 generation) {
  QMutexLocker lock(&mutex_);
  pendingRender_ = std::make_pair(state, generation);  // replaces any render still waiting
  wake_.wakeAll();  // the engine thread or the second lane, whichever is free first
}

void EngineWorker::renderRequest(Model& model, const std::vector<float>& latent, const std::vector<float>& second,
                                 std::pair<EditState, quint64> request, int lane) {
  QElapsedTimer timer;
  timer.start();
  EditState& st = request.first;
  // A request made for the previous model may name attributes this one lacks.
  const auto& attrs = model.attributes();
  auto known = [&](const std::string& n) {
    return std::any_of(attrs.begin(), attrs.end(), [&](const Attribute& a) { return a.name == n; });
  };
  st.alphas.erase(std::remove_if(st.alphas.begin(), st.alphas.end(), [&](const auto& a) { return !known(a.first); }),
                  st.alphas.end());
  st.locked.erase(std::remove_if(st.locked.begin(), st.locked.end(), [&](const auto& n) { return !known(n); }),
                  st.locked.end());
  st.finest_level = std::clamp(st.finest_level, 0, model.config().levels - 1);
  const Precision draftIn = draftPrecision();
  const bool draft = st.draft && draftIn != Precision::FP32;
  std::optional<ThreadPrecision> precision;
  if (draft) precision.emplace(draftIn);
  auto r = render_edit(model, baseOf(latent, second, st), st);
  const QImage image = toQImage(r.image);
  ++renders_;
  Q_EMIT rendered(image, RenderInfo{request.second, timer.nsecsElapsed() / 1e6, r.strength, std::move(r.limited_to), lane, draft});
}

void EngineWorker::run() {
  glowlab::init_runtime(laneThreads_);
  while (!abort_) {
    std::function<void()> job;
    std::optional<std::pair<EditState, quint64>> request;
    {
      QMutexLocker lock(&mutex_);
      while (!abort_ && jobs_.empty() && !pendingRender_) wake_.wait(&mutex_);
      if (abort_) return;
      if (!jobs_.empty()) {
        running_ = jobs_.front().first;
        while (!modelLoads_.empty() && modelLoads_.front() < running_) modelLoads_.pop_front();
        job = std::move(jobs_.front().second);
        jobs_.pop_front();
        laneContext_.reset();  // in the same hold of the lock: the lane takes no render from now on
      } else {
        request = std::move(pendingRender_);
        pendingRender_.reset();
      }
    }
    try {
      if (job) {
        holdLane();
        if (!cancelled()) job();  // a queued job cancelled before it started is dropped
      } else if (request && model_ && !latent_.empty()) {
        renderRequest(*model_, latent_, second_, std::move(*request), 0);
      }
    } catch (const std::exception& e) {
      Q_EMIT failed(QString::fromUtf8(e.what()));
    }
    try {
      if (job) afterJob();
    } catch (const std::exception& e) {
      Q_EMIT failed(QString::fromUtf8(e.what()));
    }
  }
}

glowlab::Model& EngineWorker::model() {
  if (!model_) throw Error(ErrorKind::InvalidArgument, "no model is loaded");
  return *model_;
}

std::vector<float> EngineWorker::baseOf(const std::vector<float>& latent, const std::vector<float>& second, const EditState& state) {
  if (state.interpolating && !second.empty()) return interpolate(latent, second, state.t, state.spherical);
  return latent;
}

std::vector<float> EngineWorker::baseFor(const EditState& state) const { return baseOf(latent_, second_, state); }

RenderedEdit EngineWorker::renderState(const EditState& state) { return render_edit(model(), baseFor(state), state); }

Image EngineWorker::renderSample(const std::vector<float>& latent) {
  return model().decode_guarded(std::vector<float>(latent.size(), 0.0f), latent, GuardRule::Range).image;
}

QString EngineWorker::fileStamp(const QString& path) {
  const QFileInfo info(path);
  return QStringLiteral("%1/%2").arg(info.size()).arg(info.lastModified().toMSecsSinceEpoch());
}

Image EngineWorker::toModelSize(const Image& image) {
  const int size = model().config().image_size, channels = model().config().channels;
  if (image.width == size && image.height == size && image.channels == channels) return image;
  QImage q = toQImage(image);
  if (q.width() != size || q.height() != size) q = q.scaled(size, size, Qt::IgnoreAspectRatio, Qt::SmoothTransformation);
  return fromQImage(q, channels);
}

FaceCrop EngineWorker::recrop(const Image& photo, const FaceCrop& old, int oldSize) {
  const int size = model().config().image_size;
  auto t = old.transform;
  if (oldSize > 0 && oldSize != size) {
    // The same square of the photo at the new resolution (pixel centres at half-integers).
    const double k = static_cast<double>(size) / oldSize;
    for (int r = 0; r < 2; ++r) {
      for (int c = 0; c < 3; ++c) t[static_cast<size_t>(r * 3 + c)] *= k;
      t[static_cast<size_t>(r * 3 + 2)] += (k - 1) * 0.5;
    }
  }
  FaceCrop fc = crop_with_transform(photo, size, t);
  // Where the framing came from stays what it was: only the pixels are re-made.
  fc.face_found = old.face_found;
  fc.eyes_levelled = old.eyes_levelled;
  fc.landmarks_used = old.landmarks_used;
  fc.landmarks = old.landmarks;
  fc.note = old.note;
  fc.faces = old.faces;
  fc.face_index = old.face_index;
  fc.boxes = old.boxes;
  return fc;
}

Image EngineWorker::withChannels(const Image& image, int channels) {
  if (image.empty() || image.channels == channels) return image;
  return fromQImage(toQImage(image), channels);
}

void EngineWorker::keepColour(const QString& path) {
  photoColour_ = photo_.channels == 3 ? photo_ : read_image(path.toStdString(), 3);
}

void EngineWorker::dropJobsBehindFailedLoad() {
  // What was queued behind this load (samples, a photo, a recipe's sliders) was meant for the model
  // that did not load: dropped, so one failure gives one message, not a chain of them. A later
  // model load and what follows it still run.
  QMutexLocker lock(&mutex_);
  quint64 upTo = posted_.load();
  bool laterLoad = false;
  for (const quint64 t : modelLoads_) {
    if (t > running_) {
      upTo = t - 1;
      laterLoad = true;
      break;
    }
  }
  cancelUpTo_ = std::max(cancelUpTo_.load(), upTo);
  if (laterLoad) return;
  // Requests made on the UI thread before the failure reaches it are dropped too (see post()): the
  // flag clears in that thread's event order, just ahead of the failure's own delivery.
  failedLoadUnseen_ = true;
  QMetaObject::invokeMethod(
      this,
      [this] {
        QMutexLocker relock(&mutex_);
        failedLoadUnseen_ = false;
      },
      Qt::QueuedConnection);
}

quint64 EngineWorker::loadModel(const QString& path, const QString& device) {
  const quint64 request = ++loadRequests_;
  post([this, path, device, request] {
    const std::string dev = resolve_device(device.toStdString(), /*fallback_to_cpu=*/true);
    std::optional<Model> loaded;
    try {
      loaded.emplace(Model::load(path.toStdString(), dev));
    } catch (...) {
      dropJobsBehindFailedLoad();
      throw;
    }
    ModelSummary s;
    s.description = describe_model(*loaded, path.toStdString());
    s.path = path;
    s.name = QString::fromStdString(s.description.name);
    s.device = QString::fromStdString(s.description.device);
    s.requestedDevice = device;
    s.stamp = fileStamp(path);
    s.sha256 = QString::fromStdString(file_sha256(path.toStdString()));
    s.request = request;
    s.imageSize = s.description.config.image_size;
    s.levels = s.description.config.levels;
    s.checksummed = s.description.checksummed;
    s.attributes = s.description.attributes;
    const int oldSize = model_ ? model_->config().image_size : 0;
    model_ = std::move(*loaded);
    ++modelGen_;
    // Samples are draws from the old model's prior: they go (the window samples again). A render
    // still waiting was asked of the old model.
    sampleLatents_.clear();
    {
      QMutexLocker lock(&mutex_);
      pendingRender_.reset();
    }
    const std::optional<ImageSummary> kept = keepImage(oldSize);
    s.keptImage = kept.has_value();
    if (!second_.empty()) {
      secondCrop_ = toModelSize(secondCrop_);
      second_ = model().encode(secondCrop_);
    }
    Q_EMIT modelLoaded(s);
    if (kept) {
      currentSummary_ = *kept;
      Q_EMIT imageReady(*kept);
    }
    if (!second_.empty()) Q_EMIT secondReady(toQImage(secondCrop_));
  }, /*modelLoad=*/true);
  return request;
}

std::optional<ImageSummary> EngineWorker::keepImage(int oldSize) {
  if (latent_.empty()) {
    photo_ = Image{};
    crop_ = FaceCrop{};
    return std::nullopt;
  }
  if (!photo_.empty()) {
    photo_ = withChannels(photoColour_.empty() ? photo_ : photoColour_, model().config().channels);
    crop_ = recrop(photo_, crop_, oldSize);
    currentCrop_ = crop_.crop;
  } else {
    currentCrop_ = toModelSize(currentCrop_);
  }
  latent_ = model().encode(currentCrop_);
  ImageSummary summary = currentSummary_;
  summary.crop = toQImage(currentCrop_);
  summary.bitsPerDim = model().bits_per_dim({currentCrop_}, 0);
  summary.announce = false;
  auto it = std::find_if(history_.begin(), history_.end(), [&](const SavedImage& h) { return h.id == summary.stateId; });
  if (it != history_.end()) {
    it->latent = latent_;
    it->photo = photo_;
    it->crop = crop_;
    it->image = currentCrop_;
    it->modelGen = modelGen_;
    it->size = model().config().image_size;
    it->summary.crop = summary.crop;
    it->summary.bitsPerDim = summary.bitsPerDim;
  } else {
    remember(summary);
  }
  summary.restored = true;
  return summary;
}

void EngineWorker::setCurrent(const Image& crop, ImageSummary summary) {
  latent_ = model().encode(crop);
  currentCrop_ = crop;
  summary.crop = toQImage(crop);
  summary.bitsPerDim = model().bits_per_dim({crop}, 0);
  remember(summary);
  currentSummary_ = summary;
  Q_EMIT imageReady(summary);
}

void EngineWorker::remember(ImageSummary& summary) {
  summary.stateId = ++nextStateId_;
  history_.push_back({summary.stateId, latent_, photo_, crop_, summary, currentCrop_, photoColour_, modelGen_, model().config().image_size});
  while (history_.size() > kHistory) history_.pop_front();
}

void EngineWorker::restoreImage(quint64 stateId) {
  post([this, stateId] {
    auto it = std::find_if(history_.begin(), history_.end(), [&](const SavedImage& s) { return s.id == stateId; });
    if (it == history_.end()) throw Error(ErrorKind::InvalidArgument, "that image is no longer in the history");
    if (it->modelGen != modelGen_) {
      // Saved under another model: the same crop (or pixels), re-encoded by this one.
      if (!it->photo.empty()) {
        it->photo = withChannels(it->photoColour.empty() ? it->photo : it->photoColour, model().config().channels);
        it->crop = recrop(it->photo, it->crop, it->size);
        it->image = it->crop.crop;
      } else {
        it->image = toModelSize(it->image.empty() ? fromQImage(it->summary.crop, model().config().channels) : it->image);
      }
      it->latent = model().encode(it->image);
      it->summary.crop = toQImage(it->image);
      it->summary.bitsPerDim = model().bits_per_dim({it->image}, 0);
      it->modelGen = modelGen_;
      it->size = model().config().image_size;
    }
    latent_ = it->latent;
    photo_ = it->photo;
    photoColour_ = it->photoColour;
    origin_ = it->summary.origin;
    source_ = it->summary.source;
    crop_ = it->crop;
    currentCrop_ = it->image;
    ImageSummary s = it->summary;
    s.restored = true;
    currentSummary_ = s;
    Q_EMIT imageReady(s);
  });
}

bool EngineWorker::sameAsCurrent(const std::vector<float>& latent) {
  if (latent_.empty() || latent != latent_) return false;
  Q_EMIT secondIsCurrent();
  return true;
}

ImageSummary EngineWorker::photoSummary(ImageOrigin origin, const QString& path) const {
  ImageSummary s;
  s.original = toQImage(photo_);
  s.faceFound = crop_.face_found;
  s.transform = crop_.transform;
  s.faceIndex = crop_.face_index;
  for (const auto& b : crop_.boxes) s.faceBoxes << QRect(b[0], b[1], b[2], b[3]);
  s.origin = origin;
  s.source = path;
  // The photo as read is what a recipe names (hashed here, off the UI thread).
  if (origin == ImageOrigin::File) s.sha256 = QString::fromStdString(file_sha256(path.toStdString()));
  s.framing = !crop_.face_found ? Framing::CentreCrop : crop_.landmarks_used ? Framing::Landmarks : Framing::FaceBox;
  s.eyesLevelled = crop_.eyes_levelled;
  s.cropNote = QString::fromStdString(crop_.note);
  return s;
}

// The name a picture without a file goes by in the engine's own messages.
static std::string originName(ImageOrigin origin) {
  return origin == ImageOrigin::Clipboard ? "clipboard" : origin == ImageOrigin::Dropped ? "dropped image" : "image";
}

void EngineWorker::openPhoto(const QString& path, bool centreFallback, int faceIndex) {
  post([this, path, centreFallback, faceIndex] {
    const int size = model().config().image_size;
    photo_ = read_image(path.toStdString(), model().config().channels);
    keepColour(path);
    crop_ = align_face(photo_, size, centreFallback, path.toStdString(), model().framing(), faceIndex);
    origin_ = ImageOrigin::File;
    source_ = path;
    setCurrent(crop_.crop, photoSummary(origin_, path));
  });
}

void EngineWorker::chooseFace(int faceIndex) {
  post([this, faceIndex] {
    if (photo_.empty()) throw Error(ErrorKind::InvalidArgument, "open a photo first: there are no faces to choose from");
    const Image photo = photo_;
    const std::string name = origin_ == ImageOrigin::File ? source_.toStdString() : originName(origin_);
    crop_ = align_face(photo, model().config().image_size, /*centre_fallback=*/false, name, model().framing(), faceIndex);
    setCurrent(crop_.crop, photoSummary(origin_, source_));
  });
}

void EngineWorker::openPhotoWithTransform(const QString& path, const std::array<double, 6>& transform, int faceIndex) {
  post([this, path, transform, faceIndex] {
    photo_ = read_image(path.toStdString(), model().config().channels);
    keepColour(path);
    crop_ = crop_with_transform(photo_, model().config().image_size, transform);
    crop_.face_index = faceIndex;
    origin_ = ImageOrigin::File;
    source_ = path;
    ImageSummary summary = photoSummary(origin_, path);
    summary.framing = Framing::Recipe;
    summary.announce = false;
    setCurrent(crop_.crop, summary);
  });
}

void EngineWorker::openImageWithTransform(const QImage& image, ImageOrigin origin, const std::array<double, 6>& transform,
                                          int faceIndex) {
  post([this, image, origin, transform, faceIndex] {
    if (image.isNull()) throw Error(ErrorKind::Io, "the autosaved photo could not be read");
    photo_ = fromQImage(image, model().config().channels);
    photoColour_ = fromQImage(image, 3);
    crop_ = crop_with_transform(photo_, model().config().image_size, transform);
    crop_.face_index = faceIndex;
    origin_ = origin;
    source_.clear();
    ImageSummary summary = photoSummary(origin, {});
    summary.framing = Framing::Recipe;
    summary.announce = false;
    setCurrent(crop_.crop, summary);
  });
}

void EngineWorker::openImage(const QImage& image, ImageOrigin origin) {
  post([this, image, origin] {  // QImage is implicitly shared: the copy is safe to read here
    photo_ = fromQImage(image, model().config().channels);
    photoColour_ = fromQImage(image, 3);
    crop_ = align_face(photo_, model().config().image_size, /*centre_fallback=*/true, originName(origin), model().framing());
    origin_ = origin;
    source_.clear();
    setCurrent(crop_.crop, photoSummary(origin, {}));
  });
}

