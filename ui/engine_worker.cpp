#include "engine_worker.h"

#include <QElapsedTimer>
#include <QDateTime>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QFileInfo>

#include <algorithm>
#include <cstdlib>
#include <memory>
#include <sstream>

#include "qt_image.h"

using namespace glowlab;

EngineWorker::EngineWorker(QObject* parent) : QThread(parent) {
  qRegisterMetaType<ModelSummary>();
  qRegisterMetaType<ImageSummary>();
  qRegisterMetaType<QList<QImage>>();
  start();
}

EngineWorker::~EngineWorker() {
  {
    QMutexLocker lock(&mutex_);
    abort_ = true;
    cancelUpTo_ = ~quint64{0};
    wake_.wakeOne();
  }
  wait();
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
  wake_.wakeOne();
  return ticket;
}

void EngineWorker::render(const EditState& state, quint64 generation) {
  QMutexLocker lock(&mutex_);
  pendingRender_ = std::make_pair(state, generation);  // replaces any render still waiting
  wake_.wakeOne();
}

void EngineWorker::run() {
  // Intra-op threads of this thread's renders: all cores but one, so the UI thread never competes
  // with the engine's OpenMP team. On 2 cores a drag went from 13-17 to 59-62 frames/s and p95
  // latency from 159-191 ms to 20-32 ms (bench/edit_loop.cpp). GLOWLAB_WORKER_THREADS overrides.
  const char* env = std::getenv("GLOWLAB_WORKER_THREADS");
  glowlab::init_runtime(env ? std::max(1, std::atoi(env)) : std::max(1, QThread::idealThreadCount() - 1));
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
      } else {
        request = std::move(pendingRender_);
        pendingRender_.reset();
      }
    }
    try {
      if (job) {
        if (!cancelled()) job();  // a queued job cancelled before it started is dropped
      } else if (request && model_ && !latent_.empty()) {
        // A request made for the previous model may name attributes this one lacks.
        const auto& attrs = model_->attributes();
        auto known = [&](const std::string& n) {
          return std::any_of(attrs.begin(), attrs.end(), [&](const Attribute& a) { return a.name == n; });
        };
        auto& st = request->first;
        st.alphas.erase(std::remove_if(st.alphas.begin(), st.alphas.end(), [&](const auto& a) { return !known(a.first); }),
                        st.alphas.end());
        st.locked.erase(std::remove_if(st.locked.begin(), st.locked.end(), [&](const auto& n) { return !known(n); }),
                        st.locked.end());
        st.finest_level = std::clamp(st.finest_level, 0, model_->config().levels - 1);
        QElapsedTimer timer;
        timer.start();
        QString note;
        const QImage image = toQImage(renderState(request->first, &note));
        ++renders_;
        Q_EMIT rendered(image, request->second, timer.nsecsElapsed() / 1e6, note);
      }
    } catch (const std::exception& e) {
      Q_EMIT failed(QString::fromUtf8(e.what()));
    }
  }
}

glowlab::Model& EngineWorker::model() {
  if (!model_) throw Error(ErrorKind::InvalidArgument, "no model is loaded");
  return *model_;
}

std::vector<float> EngineWorker::baseFor(const EditState& state) const {
  if (state.interpolating && !second_.empty()) return interpolate(latent_, second_, state.t, state.spherical);
  return latent_;
}

std::vector<float> EngineWorker::latentFor(const EditState& state) const {
  const std::vector<float> base = baseFor(state);
  std::vector<std::pair<std::string, double>> active;
  for (const auto& a : state.alphas) {
    if (a.second != 0.0) active.push_back(a);
  }
  return active.empty() ? base : model_->edit(base, active, state.finest_level, state.locked);
}

Image EngineWorker::renderState(const EditState& state, QString* note) {
  if (note) note->clear();
  const auto g = model().decode_guarded(baseFor(state), latentFor(state));
  if (g.limited() && note) {
    QStringList parts;
    for (const auto& [name, alpha] : state.alphas) {
      if (alpha == 0.0) continue;
      parts << tr("%1 limited to %2").arg(QString::fromStdString(display_name(name)))
                   .arg(QString::asprintf("%+.2f", alpha * g.strength));
    }
    *note = parts.isEmpty() ? tr("This edit does not decode cleanly; shown at %1% of its strength").arg(qRound(100 * g.strength))
                            : tr("%1 for this image (a stronger edit does not decode cleanly)").arg(parts.join(QStringLiteral(", ")));
  }
  return g.image;
}

Image EngineWorker::renderSample(const std::vector<float>& latent) {
  return model().decode_guarded(std::vector<float>(latent.size(), 0.0f), latent).image;
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

quint64 EngineWorker::loadModel(const QString& path, const QString& device) {
  const quint64 request = ++loadRequests_;
  post([this, path, device, request] {
    const std::string dev = resolve_device(device.toStdString(), /*fallback_to_cpu=*/true);
    std::optional<Model> loaded;
    try {
      loaded.emplace(Model::load(path.toStdString(), dev));
    } catch (...) {
      // What was queued behind this load (samples, a photo, a recipe's sliders) was meant for the
      // model that did not load: dropped, so one failure gives one message, not a chain of them.
      // A later model load and what follows it still run.
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
      // Requests the window makes before it sees this failure are dropped too (see post()).
      if (!laterLoad) failedLoadUnseen_ = true;
      throw;
    }
    Model& m = *loaded;
    ModelSummary s;
    s.path = path;
    s.name = QFileInfo(path).completeBaseName();
    s.device = QString::fromStdString(m.device());
    s.requestedDevice = device;
    s.stamp = fileStamp(path);
    s.request = request;
    s.imageSize = m.config().image_size;
    s.levels = m.config().levels;
    s.checksummed = m.checksummed();
    s.attributes = m.attributes();
    // The card: a readable summary (rich text), not a dump.
    const auto& c = m.config();
    auto row = [](const QString& k, const QString& v) { return QStringLiteral("<tr><td><b>%1</b>&nbsp;&nbsp;</td><td>%2</td></tr>").arg(k, v); };
    QString html = QStringLiteral("<h3>%1</h3><table>").arg(s.name.toHtmlEscaped());
    html += row(tr("File"), path.toHtmlEscaped());
    html += row(tr("Images"), tr("%1 × %1, %2, %3-bit").arg(c.image_size).arg(c.channels == 1 ? tr("grey") : tr("colour")).arg(c.n_bits));
    html += row(tr("Flow"), tr("%1 levels × %2 steps, width %3, %4 coupling, %5 1×1 convolution")
                              .arg(c.levels).arg(c.steps).arg(c.width)
                              .arg(QString::fromStdString(to_string(c.coupling)), QString::fromStdString(to_string(c.permutation))));
    const double params = static_cast<double>(m.parameter_count());
    html += row(tr("Parameters"), params >= 1e6 ? tr("%1 million").arg(params / 1e6, 0, 'f', 1) : QString::number(m.parameter_count()));
    html += row(tr("Device"), s.device.toUpper());
    html += row(tr("Integrity"), m.checksummed() ? tr("SHA-256 checksums verified") : tr("no checksum (an older file): damage cannot be detected"));
    html += QStringLiteral("</table>");
    if (m.attributes().empty()) {
      html += tr("<p>No attribute directions: sampling and interpolation work, editing does not.</p>");
    } else {
      html += tr("<h4>Attributes (%1)</h4><table>").arg(m.attributes().size());
      html += tr("<tr><th align=left>Slider</th><th align=left>&nbsp;Range</th><th align=left>&nbsp;Learnt from</th></tr>");
      for (const auto& a : m.attributes()) {
        const QString unit = a.unit.empty() ? QString() : QStringLiteral(" ") + QString::fromStdString(a.unit);
        html += QStringLiteral("<tr><td>%1</td><td>&nbsp;%2 … %3%4</td><td>&nbsp;%5</td></tr>")
                    .arg(QString::fromStdString(display_name(a.name)).toHtmlEscaped(), QString::asprintf("%+.2f", a.range_min),
                         QString::asprintf("%+.2f", a.range_max), unit.toHtmlEscaped(),
                         tr("%1 with, %2 without").arg(a.positives).arg(a.negatives));
      }
      html += QStringLiteral("</table>");
    }
    const QJsonDocument provenance = QJsonDocument::fromJson(QByteArray::fromStdString(m.provenance_json()));
    if (provenance.isObject() && !provenance.object().isEmpty()) {
      html += tr("<h4>Provenance</h4><table>");
      const QJsonObject o = provenance.object();
      for (auto it = o.begin(); it != o.end(); ++it) {
        QString v;
        if (it->isString()) v = it->toString();
        else if (it->isDouble()) v = QString::number(it->toDouble(), 'g', 8);
        else if (it->isBool()) v = it->toBool() ? tr("yes") : tr("no");
        else v = QString::fromUtf8(QJsonDocument(it->isObject() ? QJsonDocument(it->toObject()) : QJsonDocument(it->toArray())).toJson(QJsonDocument::Compact));
        html += row(QString(it.key()).replace('_', ' ').toHtmlEscaped(), v.toHtmlEscaped());
      }
      html += QStringLiteral("</table>");
    } else if (!m.provenance_json().empty() && m.provenance_json() != "{}") {
      html += tr("<h4>Provenance</h4><p>%1</p>").arg(QString::fromStdString(m.provenance_json()).toHtmlEscaped());
    }
    s.card = html;
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
    // The current image stays: the same crop of the same photo (or the same sample's pixels),
    // re-encoded by this model. So does the second image.
    std::optional<ImageSummary> kept;
    if (!latent_.empty()) {
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
      summary.message.clear();
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
      kept = summary;
      s.keptImage = true;
    } else {
      photo_ = Image{};
      crop_ = FaceCrop{};
    }
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
  Q_EMIT notice(tr("The second image is the current image itself: choose another photo or sample to interpolate towards."));
  return true;
}

ImageSummary EngineWorker::photoSummary(const QString& source) const {
  ImageSummary s;
  s.original = toQImage(photo_);
  s.faceFound = crop_.face_found;
  s.transform = crop_.transform;
  s.faceIndex = crop_.face_index;
  for (const auto& b : crop_.boxes) s.faceBoxes << QRect(b[0], b[1], b[2], b[3]);
  s.source = source;
  // Where the crop came from: a word for the status bar and a sentence for its tooltip. The
  // aligner's note says why the framing is weaker than asked for (no landmarks, no face at all).
  const QString note = QString::fromStdString(crop_.note);
  const QString why = note.isEmpty() ? QString() : note.left(1).toUpper() + note.mid(1) + QStringLiteral(".");
  if (!crop_.face_found) {
    s.framingShort = tr("No face: centre crop");
    s.framing = note.isEmpty() ? tr("No face was found: the centre square of the photo is used.") : why;
  } else if (crop_.landmarks_used) {
    s.framingShort = tr("Framed by landmarks");
    s.framing = tr("Framed by the five landmarks of face %1 (eyes, nose tip, mouth corners), mapped onto the model's framing.")
                    .arg(crop_.face_index + 1);
  } else {
    s.framingShort = tr("Framed by face box");
    s.framing = tr("Framed by the face detector's box around face %1%2.")
                    .arg(crop_.face_index + 1)
                    .arg(crop_.eyes_levelled ? tr(", levelled by the eyes") : tr(" (not levelled: the eyes were not found)"));
    if (!why.isEmpty()) s.framing += QStringLiteral(" ") + why;
  }
  if (!note.isEmpty()) {
    const QString name = QFileInfo(source).isAbsolute() ? QFileInfo(source).fileName() : tr("The %1 image").arg(source);
    s.message = name + QStringLiteral(": ") + note;
  }
  if (crop_.boxes.size() > 1 && s.message.isEmpty()) {
    s.message = tr("%1 faces found: editing face %2 (choose another in the Faces panel)").arg(crop_.boxes.size()).arg(crop_.face_index + 1);
  }
  return s;
}

void EngineWorker::openPhoto(const QString& path, bool centreFallback, int faceIndex) {
  post([this, path, centreFallback, faceIndex] {
    const int size = model().config().image_size;
    photo_ = read_image(path.toStdString(), model().config().channels);
    keepColour(path);
    crop_ = align_face(photo_, size, centreFallback, path.toStdString(), model().framing(), faceIndex);
    source_ = path;
    setCurrent(crop_.crop, photoSummary(path));
  });
}

void EngineWorker::chooseFace(int faceIndex) {
  post([this, faceIndex] {
    if (photo_.empty()) throw Error(ErrorKind::InvalidArgument, "open a photo first: there are no faces to choose from");
    const Image photo = photo_;
    crop_ = align_face(photo, model().config().image_size, /*centre_fallback=*/false, source_.toStdString(), model().framing(), faceIndex);
    setCurrent(crop_.crop, photoSummary(source_));
  });
}

void EngineWorker::openPhotoWithTransform(const QString& path, const std::array<double, 6>& transform, int faceIndex) {
  post([this, path, transform, faceIndex] {
    photo_ = read_image(path.toStdString(), model().config().channels);
    keepColour(path);
    crop_ = crop_with_transform(photo_, model().config().image_size, transform);
    crop_.face_index = faceIndex;
    source_ = path;
    ImageSummary summary = photoSummary(path);
    summary.framingShort = tr("Crop from recipe");
    summary.framing = tr("The crop saved in the recipe (its transform), applied as saved.");
    summary.message.clear();
    setCurrent(crop_.crop, summary);
  });
}

void EngineWorker::openImage(const QImage& image, const QString& label) {
  post([this, image, label] {  // QImage is implicitly shared: the copy is safe to read here
    photo_ = fromQImage(image, model().config().channels);
    photoColour_ = fromQImage(image, 3);
    crop_ = align_face(photo_, model().config().image_size, /*centre_fallback=*/true, label.toStdString(), model().framing());
    source_ = label;
    setCurrent(crop_.crop, photoSummary(label));
  });
}

void EngineWorker::sample(int n, double temperature, quint64 seed) {
  post([this, n, temperature, seed] {
    sampleLatents_ = model().sample_latents(n, temperature, seed);
    QList<QImage> images;
    for (size_t i = 0; i < sampleLatents_.size(); ++i) {
      if (cancelled()) break;
      images << toQImage(renderSample(sampleLatents_[i]));
      Q_EMIT progress(tr("Sampling"), static_cast<double>(i + 1) / sampleLatents_.size());
    }
    Q_EMIT samplesReady(images);
  });
}

void EngineWorker::useSample(int index, bool asSecond) {
  post([this, index, asSecond] {
    if (index < 0 || index >= static_cast<int>(sampleLatents_.size())) throw Error(ErrorKind::InvalidArgument, "no such sample");
    if (asSecond) {
      if (sameAsCurrent(sampleLatents_[static_cast<size_t>(index)])) return;
      second_ = sampleLatents_[static_cast<size_t>(index)];
      secondCrop_ = renderSample(second_);
      Q_EMIT secondReady(toQImage(secondCrop_));
      return;
    }
    latent_ = sampleLatents_[static_cast<size_t>(index)];
    photo_ = Image{};
    photoColour_ = Image{};
    crop_ = FaceCrop{};
    currentCrop_ = renderSample(latent_);
    ImageSummary s;
    s.crop = toQImage(currentCrop_);
    s.bitsPerDim = model().bits_per_dim({currentCrop_}, 0);
    s.source = "sample";
    s.framingShort = tr("Sample");
    s.framing = tr("A sample drawn by the model: there is no photo and no crop.");
    remember(s);
    currentSummary_ = s;
    Q_EMIT imageReady(s);
  });
}

void EngineWorker::interpolationStrip(const EditState& state, int n) {
  post([this, state, n] {
    if (latent_.empty() || second_.empty()) return;
    QList<QImage> frames;
    for (int i = 0; i < n; ++i) {
      EditState s = state;
      s.interpolating = true;
      s.t = n > 1 ? static_cast<double>(i) / (n - 1) : 0.0;
      frames << toQImage(renderState(s));
    }
    Q_EMIT stripReady(frames);
  });
}

void EngineWorker::setSecondPhoto(const QString& path) {
  post([this, path] {
    const Image photo = read_image(path.toStdString(), model().config().channels);
    const auto fc = align_face(photo, model().config().image_size, true, path.toStdString(), model().framing());
    const auto latent = model().encode(fc.crop);
    if (sameAsCurrent(latent)) return;
    second_ = latent;
    secondCrop_ = fc.crop;
    Q_EMIT secondReady(toQImage(fc.crop));
  });
}

void EngineWorker::exportPasted(const QString& path, const EditState& state) {
  post([this, path, state] {
    if (latent_.empty()) throw Error(ErrorKind::InvalidArgument, "open a photo first: there is nothing to paste back");
    if (photo_.empty()) throw Error(ErrorKind::InvalidArgument, "the current image is a sample: there is no photo to paste it into");
    const Image edited = renderState(state);
    // The one paste rule of the window and the CLI: the edit's change onto the photo's own pixels.
    write_image(path.toStdString(), paste_edit(model(), photo_, crop_, latent_, edited));
    Q_EMIT exported(path, {});
  });
}

void EngineWorker::exportAnimation(const QString& path, const EditState& state, const QString& sweepAttribute, int frames,
                                   double fps, int scale) {
  post([this, path, state, sweepAttribute, frames, fps, scale] {
    std::vector<Image> images;
    const auto& attrs = model().attributes();
    for (int i = 0; i < frames; ++i) {
      if (cancelled()) throw Error(ErrorKind::Cancelled, "export cancelled");
      const double f = frames > 1 ? static_cast<double>(i) / (frames - 1) : 0.0;
      EditState s = state;
      if (sweepAttribute.isEmpty()) {
        s.interpolating = true;
        s.t = f;
      } else {
        const std::string name = sweepAttribute.toStdString();
        auto it = std::find_if(attrs.begin(), attrs.end(), [&](const Attribute& a) { return a.name == name; });
        if (it == attrs.end()) throw Error(ErrorKind::InvalidArgument, "no attribute " + name);
        const double v = it->range_min + f * (it->range_max - it->range_min);
        bool found = false;
        for (auto& a : s.alphas) {
          if (a.first == name) { a.second = v; found = true; }
        }
        if (!found) s.alphas.emplace_back(name, v);
      }
      Image frame = renderState(s);
      if (scale > 1) {
        const QImage q = toQImage(frame);
        frame = fromQImage(q.scaled(q.size() * scale, Qt::IgnoreAspectRatio, Qt::SmoothTransformation), frame.channels);
      }
      images.push_back(std::move(frame));
      Q_EMIT progress(tr("Exporting"), static_cast<double>(i + 1) / frames);
    }
    const std::string codec = write_animation(path.toStdString(), images, fps);
    Q_EMIT exported(path, QString::fromStdString(codec));
  });
}

void EngineWorker::importCheckpoint(const glowlab::ImportOptions& options, const QString& output) {
  // The window waits for `imported`: a job that never runs (cancelled while queued, or dropped
  // behind a failed model load) says so too, when it goes.
  struct Pending {
    EngineWorker* worker = nullptr;
    QString output, name;
    bool ran = false;
    ~Pending() {
      if (!ran && !worker->abort_) {
        Q_EMIT worker->imported(output, {}, tr("The import of %1 was cancelled: nothing was written").arg(name));
      }
    }
  };
  auto pending = std::make_shared<Pending>();
  pending->worker = this;
  pending->output = output;
  pending->name = QFileInfo(QString::fromStdString(options.checkpoint)).fileName();
  post([this, options, output, pending] {
    pending->ran = true;
    const QString checkpoint = QString::fromStdString(options.checkpoint);
    const QString name = pending->name;
    try {
      const auto result = glowlab::import_checkpoint(options, output.toStdString());
      QStringList notes;
      for (const auto& n : result.notes) notes << QString::fromStdString(n);
      Q_EMIT imported(output, notes, QString());
    } catch (const std::exception& e) {
      // The import's own message, which names the file; said once, naming it in any case.
      QString message = QString::fromUtf8(e.what());
      if (!message.contains(name)) message = tr("%1: %2").arg(checkpoint, message);
      Q_EMIT imported(output, {}, tr("Import failed: %1").arg(message));
    }
  });
}
