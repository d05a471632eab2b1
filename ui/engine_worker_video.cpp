// EngineWorker's video jobs (File > Apply Edit to Video): a preview of one frame, and the edit of
// every frame, both by the engine's edit_clip rules (engine/edit/clip.h). Data only, as signals.
#include <chrono>
#include <memory>

#include "engine_worker.h"
#include "qt_image.h"

using namespace glowlab;

namespace {

ClipEditOptions clipOptions(const EditState& state, int face) {
  ClipEditOptions o;
  o.edit = static_cast<const SliderEdit&>(state);  // the sliders, holds and detail; a blend is not part of it
  o.face = face;
  return o;
}

}  // namespace

quint64 EngineWorker::previewClip(const QString& clip, const EditState& state, int face) {
  const quint64 request = ++clipPreviews_;
  post([this, clip, state, face, request] {
    if (request != clipPreviews_.load()) return;  // a newer preview was asked for
    const auto p = preview_clip(model(), clip.toStdString(), clipOptions(state, face));
    ClipPreviewSummary s;
    s.request = request;
    s.clip = clip;
    s.face = face;
    s.before = toQImage(p.frame);
    s.after = toQImage(p.edited);
    for (const auto& b : p.faces) s.faces << QRect(b[0], b[1], b[2], b[3]);
    s.editedFace = p.edited_face;
    s.frameIndex = p.frame_index;
    s.frames = p.frames;
    s.width = p.width;
    s.height = p.height;
    s.fps = p.fps;
    s.strength = p.strength;
    Q_EMIT clipPreviewReady(s);
  });
  return request;
}

void EngineWorker::editClip(const QString& clip, const QString& output, const EditState& state, int face) {
  // The window waits for clipEdited or failed: a run cancelled before it started says so too.
  struct Pending {
    EngineWorker* worker = nullptr;
    QString output;
    bool ran = false;
    ~Pending() {
      if (!ran && !worker->abort_) Q_EMIT worker->failed(QString("cancelled: %1 was not written").arg(output));
    }
  };
  auto pending = std::make_shared<Pending>();
  pending->worker = this;
  pending->output = output;
  post([this, clip, output, state, face, pending] {
    pending->ran = true;
    auto o = clipOptions(state, face);
    int shown = -1;
    o.progress = [this, &shown](double fraction) {
      const int permille = static_cast<int>(fraction * 1000);
      if (permille != shown) {  // at most a thousand signals, whatever the clip's length
        shown = permille;
        Q_EMIT progress(Task::Video, std::min(fraction, 0.999));  // 1 only once written (clipEdited)
      }
      return !cancelled();
    };
    const auto start = std::chrono::steady_clock::now();
    const auto r = edit_clip(model(), clip.toStdString(), output.toStdString(), o);
    ClipEditSummary s;
    s.clip = clip;
    s.output = output;
    s.codec = QString::fromStdString(r.codec);
    s.frames = r.frames;
    s.framesWithFace = r.frames_with_face;
    s.width = r.width;
    s.height = r.height;
    s.fps = r.fps;
    s.strength = r.strength;
    s.sound = r.sound;
    s.soundNote = QString::fromStdString(r.sound_note);
    s.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    Q_EMIT clipEdited(s);
  });
}
