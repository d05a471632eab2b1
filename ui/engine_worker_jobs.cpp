// EngineWorker's jobs besides opening images and models: samples, the second image, the strip,
// exports, imports and recipe checks. Each runs on the worker thread and emits data only.
#include <QFileInfo>

#include <algorithm>
#include <memory>

#include "engine_worker.h"
#include "qt_image.h"

using namespace glowlab;

void EngineWorker::sample(int n, double temperature, quint64 seed) {
  post([this, n, temperature, seed] {
    sampleLatents_ = model().sample_latents(n, temperature, seed);
    QList<QImage> images;
    for (size_t i = 0; i < sampleLatents_.size(); ++i) {
      if (cancelled()) break;
      images << toQImage(renderSample(sampleLatents_[i]));
      Q_EMIT progress(Task::Sampling, static_cast<double>(i + 1) / sampleLatents_.size());
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
    s.origin = ImageOrigin::Sample;
    s.framing = Framing::Sample;
    origin_ = ImageOrigin::Sample;
    source_.clear();
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
      frames << toQImage(renderState(s).image);
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
    const Image edited = renderState(state).image;
    // The one paste rule of the window and the CLI: the edit's change onto the photo's own pixels.
    const auto pasted = paste_edit(model(), photo_, crop_, latent_, edited);
    // The photo's colour profile and metadata go with it (a pasted photo has no file: none).
    const std::string kept =
        write_photo_image(path.toStdString(), pasted.image, origin_ == ImageOrigin::File ? source_.toStdString() : std::string());
    Q_EMIT exported(path, QString::fromStdString(kept), pasted.partly_left_out() ? pasted.coverage.left_out : 0.0);
  });
}

void EngineWorker::exportAnimation(const QString& path, const EditState& state, const QString& sweepAttribute, int frames,
                                   double fps, int scale) {
  post([this, path, state, sweepAttribute, frames, fps, scale] {
    std::vector<Image> images;
    for (int i = 0; i < frames; ++i) {
      if (cancelled()) throw Error(ErrorKind::Cancelled, "export cancelled");
      const double f = frames > 1 ? static_cast<double>(i) / (frames - 1) : 0.0;
      EditState s = state;
      if (sweepAttribute.isEmpty()) {
        s.interpolating = true;
        s.t = f;
      } else {
        const std::string name = sweepAttribute.toStdString();
        const auto& attrs = model().attributes();
        auto it = std::find_if(attrs.begin(), attrs.end(), [&](const Attribute& a) { return a.name == name; });
        if (it == attrs.end()) throw Error(ErrorKind::InvalidArgument, "no attribute " + name);
        set_alpha(s.alphas, name, it->range_min + f * (it->range_max - it->range_min));
      }
      Image frame = renderState(s).image;
      if (scale > 1) {
        const QImage q = toQImage(frame);
        frame = fromQImage(q.scaled(q.size() * scale, Qt::IgnoreAspectRatio, Qt::SmoothTransformation), frame.channels);
      }
      images.push_back(std::move(frame));
      Q_EMIT progress(Task::Exporting, static_cast<double>(i + 1) / frames);
    }
    const std::string codec = write_animation(path.toStdString(), images, fps);
    Q_EMIT exported(path, QString::fromStdString(codec), 0.0);
  });
}

void EngineWorker::importCheckpoint(const glowlab::ImportOptions& options, const QString& output) {
  // The window waits for `imported`: a job that never runs (cancelled while queued, or dropped
  // behind a failed model load) says so too, when it goes.
  struct Pending {
    EngineWorker* worker = nullptr;
    ImportOutcome outcome;
    bool ran = false;
    ~Pending() {
      if (ran || worker->abort_) return;
      outcome.cancelled = true;
      Q_EMIT worker->imported(outcome);
    }
  };
  auto pending = std::make_shared<Pending>();
  pending->worker = this;
  pending->outcome.checkpoint = QString::fromStdString(options.checkpoint);
  pending->outcome.output = output;
  post([this, options, pending] {
    pending->ran = true;
    ImportOutcome outcome = pending->outcome;
    try {
      for (const auto& n : import_checkpoint(options, outcome.output.toStdString()).notes) outcome.notes << QString::fromStdString(n);
    } catch (const std::exception& e) {
      outcome.error = QString::fromUtf8(e.what());
    }
    Q_EMIT imported(outcome);
  });
}

void EngineWorker::checkRecipe(const Recipe& recipe, const AppliedRecipe& applied) {
  post([this, recipe, applied] {
    AppliedRecipe checked = applied;
    check_recipe(recipe, checked);
    Q_EMIT recipeChecked(checked.warnings);
  });
}
