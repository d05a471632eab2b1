// MainWindow and its EditDocument: the panels follow the document, the engine follows what undo
// brought back; the autosave keeps the document on disk and brings it back after a crash.
#include <QFileInfo>
#include <QMessageBox>
#include <QPushButton>
#include <QSettings>
#include <QStatusBar>
#include <QTimer>

#include <utility>

#include "attribute_panel.h"
#include "autosave.h"
#include "image_view.h"
#include "interpolation_panel.h"
#include "main_window.h"
#include "sample_panel.h"

void MainWindow::showDocument(const EditSnapshot& before) {
  const EditSnapshot& s = doc_->state();
  // A model that undo/redo brought back: loaded again (the panel shows its sliders at once).
  if (!s.model().path.isEmpty() && !sameModel(s.model(), model_)) {
    QSettings settings;
    if (settings.value("engine/device", "auto").toString() != s.model().requestedDevice) {
      settings.setValue("engine/device", s.model().requestedDevice);
    }
    replayLoads_.insert(worker_->loadModel(s.model().path, s.model().requestedDevice));
    model_ = s.model();
    showModelLabels();
    updateBundledChecks();
  }
  bool sameRows = static_cast<int>(s.model().attributes.size()) == attributes_->count();
  for (int i = 0; sameRows && i < attributes_->count(); ++i) {
    sameRows = attributes_->attribute(i).name == s.model().attributes[static_cast<size_t>(i)].name;
  }
  if (!sameRows || before.model().levels != s.model().levels) attributes_->setAttributes(s.model().attributes, s.model().levels);
  attributes_->apply(s.sliders);
  if (interpPanel_->blend() != s.blend) interpPanel_->setBlend(s.blend);
  updateBlendCaption();
  // An image that undo/redo brought back: the engine makes it current again.
  if (s.image.id != 0 && s.image.id != engineImage_) {
    engineImage_ = s.image.id;
    requestedSample_ = s.image.sample;
    worker_->restoreImage(s.image.id);
  }
  if (s.sliders == before.sliders && s.blend == before.blend && s.spherical == before.spherical && s.image.id == before.image.id &&
      sameModel(s.model(), before.model()) && s.second == before.second) {
    return;  // what is drawn does not change (a transform or checksum updated)
  }
  requestRender();
  if (haveSecond_ && !(s.sliders == before.sliders)) stripTimer_->start();
  updateActions();
  updateTitle();
  if (!attributes_->isDragging()) autosaveTimer_->start();
}

ImageRef MainWindow::imageRef(const ImageSummary& summary) const {
  ImageRef ref = imageRefOf(summary);
  const ImageRef& current = doc_->state().image;
  if (summary.restored && current.id == summary.stateId) {
    // The same image (undo/redo, a re-encode): which sample it is was recorded with it.
    ref.sample = current.sample;
    ref.sampleCount = current.sampleCount;
    ref.sampleTemperature = current.sampleTemperature;
    ref.sampleSeed = current.sampleSeed;
  } else if (summary.origin == ImageOrigin::Sample && requestedSample_ >= 0) {
    const SampleSettings drawn = samplePanel_->drawn();
    ref.sample = requestedSample_;
    ref.sampleCount = drawn.count;
    ref.sampleTemperature = drawn.temperature;
    ref.sampleSeed = drawn.seed;
  }
  return ref;
}

QString MainWindow::autosavePath() const { return autosave_->path(); }

void MainWindow::writeAutosave() {
  if (attributes_->isDragging()) return;  // written when the slider is let go
  SampleDraw samples;
  if (!samplePanel_->samples().isEmpty()) {
    const SampleSettings drawn = samplePanel_->drawn();
    samples = {drawn.count, drawn.temperature, drawn.seed};
  }
  QString error;
  if (!autosave_->write(doc_->state(), samples, &error)) {
    notice(tr("The edit could not be kept for recovery: %1").arg(error));
    return;
  }
  Q_EMIT autosaved(autosave_->path());
}

QStringList MainWindow::orphanedAutosaves() {
  QStringList setAside;
  QStringList found = Autosave::orphans(QFileInfo(autosave_->path()).absolutePath(), &setAside);
  found.removeAll(autosave_->path());
  if (!setAside.isEmpty()) {
    notice(
        tr("An autosaved edit whose restore did not finish last time is not offered again; it is kept as %1").arg(setAside.first()), 15000);
  }
  return found;
}

bool MainWindow::offerRestore() {
  const QStringList found = orphanedAutosaves();
  if (found.isEmpty()) return false;
  const QString path = found.first();
  QString what;
  try {
    what = Autosave::read(path).describe();
  } catch (const std::exception& e) {
    showError(QString::fromUtf8(e.what()));
    return false;
  }
  auto* box = new QMessageBox(QMessageBox::Question, tr("Restore the last edit?"),
                              tr("GlowLab did not close properly last time. Restore the edit you were making?"), QMessageBox::NoButton, this);
  box->setInformativeText(what);
  box->setAttribute(Qt::WA_DeleteOnClose);
  box->setObjectName("restoreOffer");
  QPushButton* restore = box->addButton(tr("&Restore"), QMessageBox::AcceptRole);
  restore->setObjectName("restore");
  QPushButton* discard = box->addButton(tr("&Discard"), QMessageBox::DestructiveRole);
  discard->setObjectName("discard");
  box->addButton(tr("&Later"), QMessageBox::RejectRole)->setObjectName("later");
  box->setDefaultButton(restore);
  connect(box, &QMessageBox::buttonClicked, this, [this, path, restore, discard](QAbstractButton* button) {
    if (button == restore) restoreAutosave(path);
    else if (button == discard) Autosave::remove(path);
  });
  box->open();
  return true;
}

bool MainWindow::restoreAutosave(const QString& path) {
  AutosaveData d;
  glowlab::AppliedRecipe applied;
  try {
    d = Autosave::read(path);
    applied = glowlab::apply_recipe(d.recipe, path.toStdString());
  } catch (const std::exception& e) {
    showError(QString::fromUtf8(e.what()));
    return false;
  }
  // Counted before anything loads: if this restore brings the program down, it is not offered again.
  Autosave::markAttempt(path);
  restoring_ = path;
  withModel(QString::fromStdString(applied.model), d.device, [this, d, applied] { applyRecipe(d.recipe, applied, d.extras); });
  return true;
}
