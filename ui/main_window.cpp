#include "main_window.h"

#include <algorithm>
#include <cmath>

#include <QDockWidget>
#include <QFileDialog>
#include <QFileInfo>
#include <QLabel>
#include <QMessageBox>
#include <QProgressBar>
#include <QSettings>
#include <QStatusBar>
#include <QTimer>
#include <QToolButton>

#include "attribute_panel.h"
#include "face_picker.h"
#include "image_view.h"
#include "interpolation_panel.h"
#include "sample_panel.h"
#include "undo_commands.h"

namespace {
constexpr int kStripFrames = 8;
}  // namespace

MainWindow::MainWindow(QWidget* parent) : QMainWindow(parent) {
  setWindowTitle(tr("GlowLab"));
  setAcceptDrops(true);
  undo_ = new QUndoStack(this);
  worker_ = new EngineWorker(this);
  view_ = new ImageView;
  setCentralWidget(view_);
  attributes_ = new AttributePanel;
  // The side panels run the full height of the window; the Interpolation panel sits between them
  // (it no longer takes rows from the attribute list).
  setCorner(Qt::BottomRightCorner, Qt::RightDockWidgetArea);
  setCorner(Qt::BottomLeftCorner, Qt::LeftDockWidgetArea);
  buildDocks();
  buildMenus();
  defaultLayout_ = saveState();

  modelLabel_ = new QLabel(tr("No model"));
  renderLabel_ = new QLabel;
  bpdLabel_ = new QLabel;
  framingLabel_ = new QLabel;
  framingLabel_->setObjectName("framing");
  progress_ = new QProgressBar;
  progress_->setRange(0, 1000);
  progress_->setMaximumWidth(160);
  progress_->hide();
  cancel_ = new QToolButton;
  cancel_->setText(tr("Cancel"));
  cancel_->hide();
  statusBar()->addPermanentWidget(framingLabel_);
  statusBar()->addPermanentWidget(bpdLabel_);
  statusBar()->addPermanentWidget(renderLabel_);
  statusBar()->addPermanentWidget(modelLabel_);
  statusBar()->addPermanentWidget(progress_);
  statusBar()->addPermanentWidget(cancel_);

  connectWorker();
  connectPanels();

  QSettings settings;
  restoreGeometry(settings.value("window/geometry").toByteArray());
  restoreState(settings.value("window/state").toByteArray());
  if (settings.value("view/split", false).toBool()) view_->setMode(ImageView::Mode::Split);
  updateRecentMenu();
  updateActions();
  updateTitle();
}

MainWindow::~MainWindow() {
  // The children outlive this class's part of the object (QWidget deletes them later): a signal
  // they send while they go (the undo stack's cleanChanged as it clears) must not reach it.
  const auto children = findChildren<QObject*>();
  for (QObject* child : children) child->disconnect(this);
}

void MainWindow::connectWorker() {
  connect(worker_, &EngineWorker::modelLoaded, this, &MainWindow::onModelLoaded);
  connect(worker_, &EngineWorker::imageReady, this, &MainWindow::onImageReady);
  connect(worker_, &EngineWorker::rendered, this, &MainWindow::onRendered);
  connect(worker_, &EngineWorker::imported, this, &MainWindow::onImported);
  connect(worker_, &EngineWorker::failed, this, &MainWindow::showError);
  connect(worker_, &EngineWorker::secondIsCurrent, this, [this] {
    notice(tr("The second image is the current image itself: choose another photo or sample to interpolate towards."));
  });
  connect(worker_, &EngineWorker::recipeChecked, this, [this](const std::vector<glowlab::RecipeWarning>& warnings) {
    if (!warnings.empty()) notice(recipeWarnings(warnings));
  });
  connect(worker_, &EngineWorker::samplesReady, this, [this](const QList<QImage>& images) {
    samplePanel_->setSamples(images);
    progress_->hide();
    cancel_->hide();
    Q_EMIT samplesShown();
  });
  connect(worker_, &EngineWorker::secondReady, this, &MainWindow::onSecondReady);
  connect(worker_, &EngineWorker::stripReady, this, [this](const QList<QImage>& frames) {
    if (frames.isEmpty()) return;
    interpPanel_->setStrip(frames);
    Q_EMIT stripShown();
  });
  connect(worker_, &EngineWorker::progress, this, [this](Task task, double f) {
    progress_->setRange(0, 1000);
    progress_->show();
    cancel_->show();
    progress_->setFormat((task == Task::Sampling ? tr("Sampling") : tr("Exporting")) + " %p%");
    progress_->setValue(static_cast<int>(f * 1000));
    if (f >= 1.0) {
      progress_->hide();
      cancel_->hide();
    }
  });
  connect(worker_, &EngineWorker::exported, this, [this](const QString& path, const QString& detail, double leftOut) {
    progress_->hide();
    cancel_->hide();
    const QString suffix = QFileInfo(path).suffix().toLower();
    const bool animation = suffix == "gif" || suffix == "mp4";
    // An image exported while a blend is shown holds the blend: said, as its name says it.
    const QString blend = !animation && haveSecond_ && interpPanel_->blend() > 0
                              ? tr(" (the edit blended %1% towards B, as shown)").arg(interpPanel_->blend())
                              : QString();
    if (leftOut > 0.0) {
      notice(tr("Wrote %1%3; %2% of the edit's change lies at the crop's border or beyond the photo and is faded out of it")
                 .arg(path)
                 .arg(std::lround(100 * leftOut))
                 .arg(blend));
    } else {
      notice(detail.isEmpty() ? tr("Wrote %1%2").arg(path, blend) : tr("Wrote %1 (video codec: %2)").arg(path, detail));
    }
    if (!animation) markExported();  // the edit itself went out
    Q_EMIT exported(path);
  });
  connect(cancel_, &QToolButton::clicked, worker_, &EngineWorker::cancel);
}

void MainWindow::connectPanels() {
  connect(attributes_, &AttributePanel::changed, this, &MainWindow::requestRender);
  // The strip (and the A/B thumbnails) follow the sliders, a moment after they stop.
  stripTimer_ = new QTimer(this);
  stripTimer_->setSingleShot(true);
  stripTimer_->setInterval(250);
  connect(stripTimer_, &QTimer::timeout, this, &MainWindow::refreshStrip);
  connect(attributes_, &AttributePanel::changed, this, [this] {
    if (haveSecond_) stripTimer_->start();
  });
  connect(attributes_, &AttributePanel::edited, this, [this](int index, double before, double after, int dragId) {
    lastEditedAttribute_ = QString::fromStdString(attributes_->attribute(index).name);
    undo_->push(new SliderCommand(attributes_, index, before, after, dragId));
  });
  connect(attributes_, &AttributePanel::detailEdited, this,
          [this](int before, int after) { undo_->push(new DetailCommand(attributes_, before, after)); });
  connect(attributes_, &AttributePanel::resetAllRequested, this, [this] {
    const auto values = attributes_->values();
    if (std::any_of(values.begin(), values.end(), [](double v) { return v != 0.0; })) {
      undo_->push(new ResetAllCommand(attributes_, values));
    }
  });
  connect(attributes_, &AttributePanel::hint, this, [this](const QString& message) { notice(message); });
  connect(attributes_, &AttributePanel::changed, this, &MainWindow::updateTitle);
  connect(undo_, &QUndoStack::cleanChanged, this, &MainWindow::updateTitle);
  connect(samplePanel_, &SamplePanel::sampleRequested, this, &MainWindow::sample);
  connect(samplePanel_, &SamplePanel::editRequested, this, &MainWindow::useSample);
  connect(samplePanel_, &SamplePanel::towardsRequested, this, &MainWindow::interpolateTowardsSample);
  connect(interpPanel_, &InterpolationPanel::blendChanged, this, &MainWindow::requestRender);
  connect(interpPanel_, &InterpolationPanel::blendChanged, this, &MainWindow::updateBlendCaption);
  connect(interpPanel_, &InterpolationPanel::modeChanged, this, [this] {
    requestRender();
    refreshStrip();
  });
  connect(interpPanel_, &InterpolationPanel::secondPhotoRequested, this, [this] {
    const QString path = QFileDialog::getOpenFileName(this, tr("Second image"), QSettings().value("paths/photos").toString(),
                                                      tr("Images (*.png *.jpg *.jpeg *.webp *.bmp)"));
    if (!path.isEmpty()) setSecondPhoto(path);
  });
  connect(interpPanel_, &InterpolationPanel::selectedSampleRequested, this, [this] {
    if (samplePanel_->selected() >= 0) interpolateTowardsSample(samplePanel_->selected());
  });
}

void MainWindow::buildDocks() {
  auto dock = [this](const QString& title, const char* name, QWidget* widget, Qt::DockWidgetArea area) {
    auto* d = new QDockWidget(title, this);
    d->setObjectName(name);
    d->setWidget(widget);
    addDockWidget(area, d);
    return d;
  };
  attrDock_ = dock(tr("Attributes"), "attributes", attributes_, Qt::RightDockWidgetArea);
  // Shown while the photo has more than one face (and while a sample is edited after such a photo).
  facePicker_ = new FacePicker;
  faceDock_ = dock(tr("Faces"), "faces", facePicker_, Qt::RightDockWidgetArea);
  faceDock_->hide();
  connect(facePicker_, &FacePicker::faceChosen, this, &MainWindow::chooseFace);
  samplePanel_ = new SamplePanel;
  sampleDock_ = dock(tr("Samples"), "samples", samplePanel_, Qt::LeftDockWidgetArea);
  interpPanel_ = new InterpolationPanel;
  interpDock_ = dock(tr("Interpolation"), "interpolation", interpPanel_, Qt::BottomDockWidgetArea);
  updateBlendCaption();
}

void MainWindow::onSecondReady(const QImage& image) {
  haveSecond_ = true;
  interpPanel_->setSecond(image);
  updateBlendCaption();
  requestRender();
  refreshStrip();
  updateActions();
}

void MainWindow::onImported(const ImportOutcome& outcome) {
  const QString from = QFileInfo(outcome.checkpoint).fileName();
  importing_.clear();
  importAction_->setEnabled(true);
  progress_->hide();
  progress_->setRange(0, 1000);
  if (outcome.cancelled) {
    showError(tr("The import of %1 was cancelled: nothing was written").arg(from));
    return;
  }
  if (!outcome.error.isEmpty()) {
    // The import's own message, which names the file; said once, naming it in any case.
    const QString message = outcome.error.contains(from) ? outcome.error : tr("%1: %2").arg(outcome.checkpoint, outcome.error);
    showError(tr("Import failed: %1").arg(message));
    return;
  }
  notice(tr("Imported %1 as %2").arg(from, outcome.output) +
         (outcome.notes.isEmpty() ? QString() : QStringLiteral(" (") + outcome.notes.join(QStringLiteral("; ")) + QStringLiteral(")")));
  openModel(outcome.output);  // as Model > Open Model: the image kept, one undo step
}

void MainWindow::notice(const QString& message, int ms) {
  lastNotice_ = message;
  statusBar()->showMessage(message, ms);
}

EditState MainWindow::editState() const {
  EditState s;
  s.alphas = attributes_->alphas();
  s.finest_level = attributes_->finestLevel();
  s.locked = attributes_->locked();
  s.interpolating = haveSecond_ && interpPanel_->blend() > 0;
  s.t = interpPanel_->blend() / 100.0;
  s.spherical = interpPanel_->spherical();
  return s;
}

QList<QImage> MainWindow::sampleImages() const { return samplePanel_->samples(); }

void MainWindow::refreshStrip() {
  if (haveImage_ && haveSecond_) worker_->interpolationStrip(editState(), kStripFrames);
}

void MainWindow::requestRender() {
  if (!haveImage_) return;
  worker_->render(editState(), ++requested_);
}

void MainWindow::onRendered(const QImage& image, const RenderInfo& info) {
  if (info.generation <= shown_) return;  // a newer render is already on screen
  shown_ = info.generation;
  view_->setEdited(image);
  if (!haveSecond_) interpPanel_->setFirstThumbnail(image);
  renderLabel_->setText(tr("render %1 ms").arg(info.milliseconds, 0, 'f', 1));
  const QString note = limitNote(info);
  attributes_->showLimits(info.strength < 1.0 ? info.limitedTo : glowlab::Alphas{});
  // Say when an edit was limited; clear the word once an edit renders in full again.
  if (!note.isEmpty()) {
    statusBar()->showMessage(note);
    limitShown_ = true;
  } else if (limitShown_) {
    statusBar()->clearMessage();
    limitShown_ = false;
  }
  lastNote_ = note;
  Q_EMIT renderShown(info.generation);
}

void MainWindow::onModelLoaded(const ModelSummary& summary) {
  const bool first = model_.path.isEmpty();
  const bool replay = replayLoads_.remove(summary.request);
  const ModelSummary before = model_;
  const PanelEdit beforeEdit = attributes_->edit();
  model_ = summary;
  // The panel already shows a model that undo/redo brought back; otherwise the new model's
  // sliders take the values they had by name.
  bool sameRows = replay && static_cast<int>(summary.attributes.size()) == attributes_->count();
  for (int i = 0; sameRows && i < attributes_->count(); ++i) sameRows = attributes_->attribute(i).name == summary.attributes[static_cast<size_t>(i)].name;
  if (!sameRows) {
    attributes_->setAttributes(summary.attributes, summary.levels);
    attributes_->apply(beforeEdit);
  }
  if (!first && !replay) {
    const QString what = before.path == summary.path ? tr("Switch to %1").arg(summary.device.toUpper()) : tr("Open model %1").arg(summary.name);
    auto restore = [this](const ModelSummary& m, const PanelEdit& e) { restoreModel(m, e); };
    undo_->push(new ModelSwitchCommand(restore, before, beforeEdit, summary, attributes_->edit(), what));
  }
  if (!summary.keptImage) {
    // Nothing to carry over: nothing of an earlier image stays on screen either.
    haveImage_ = false;
    currentState_ = 0;
    stateSample_ = -1;
    image_ = ImageSummary{};
    interpPanel_->setFirstThumbnail({});
    samplePanel_->setHaveImage(false);
    view_->setOriginal({});
    view_->setEdited({});
    facePicker_->setFaces({}, {}, 0);
    bpdLabel_->clear();
    renderLabel_->clear();
    framingLabel_->clear();
    framingLabel_->setToolTip({});
  }
  if (currentSample_ >= 0) {
    // The sample's pixels stay, re-encoded; it is no longer a draw of this model's prior.
    currentSample_ = -1;
    stateSample_ = -1;
  }
  // Samples are the old model's: drawn again from this one with the same settings.
  if (!samplePanel_->samples().isEmpty()) {
    samplePanel_->clearSamples();
    const SampleSettings drawn = samplePanel_->drawn();
    worker_->sample(drawn.count, drawn.temperature, drawn.seed);
  }
  showModelLabels();
  updateBundledChecks();
  QString loaded = summary.attributes.empty() ? tr("This model has no attribute directions: sampling and interpolation work")
                                              : tr("Model loaded: %1 attributes").arg(summary.attributes.size());
  if (summary.keptImage) loaded += tr("; the image is kept, re-encoded by this model");
  if (!summary.checksummed) loaded += tr(" (no checksum in this older file: damage to it cannot be detected)");
  // The sliders the new model lacks are said, never dropped in silence (issue 29, 9).
  QStringList dropped;
  if (!first && !replay) {
    for (const auto& v : beforeEdit.values) {
      if (v.second == 0.0) continue;
      const auto has = [&v](const std::vector<glowlab::Attribute>& list) {
        return std::find_if(list.begin(), list.end(), [&v](const glowlab::Attribute& a) { return a.name == v.first; }) != list.end();
      };
      if (has(summary.attributes)) continue;
      const auto old = std::find_if(before.attributes.begin(), before.attributes.end(),
                                    [&v](const glowlab::Attribute& a) { return a.name == v.first; });
      const QString value = old == before.attributes.end() ? QString::number(v.second)
                                                           : QString::fromStdString(glowlab::slider_text(*old, v.second));
      dropped << tr("%1 (%2)").arg(QString::fromStdString(glowlab::display_name(v.first)), value);
    }
  }
  if (!dropped.isEmpty()) {
    loaded += tr("; it has no slider for %1, which the edit leaves out (Edit > Undo brings the previous model back with it)")
                  .arg(dropped.join(QStringLiteral(", ")));
    notice(loaded, 12000);
  } else {
    statusBar()->showMessage(loaded, 8000);
  }
  updateActions();
  updateTitle();
  Q_EMIT modelReady();
}

bool MainWindow::samplesStale() const { return samplePanel_->isStale(); }

void MainWindow::updateBlendCaption() {
  const int v = interpPanel_->blend();
  view_->setEditedCaption(haveSecond_ && v > 0 ? tr("Blend: %1% towards B").arg(v) : tr("Edited"));
}

void MainWindow::showModelLabels() {
  modelLabel_->setText(tr("%1 · %2 px · %3").arg(model_.name).arg(model_.imageSize).arg(model_.device.toUpper()));
}

void MainWindow::restoreModel(const ModelSummary& model, const PanelEdit& edit) {
  QSettings settings;
  if (settings.value("engine/device", "auto").toString() != model.requestedDevice) settings.setValue("engine/device", model.requestedDevice);
  replayLoads_.insert(worker_->loadModel(model.path, model.requestedDevice));
  model_ = model;
  attributes_->setAttributes(model.attributes, model.levels);
  attributes_->apply(edit);
  showModelLabels();
  updateBundledChecks();
  updateTitle();
}

bool MainWindow::hasUnexportedEdits() const { return haveImage_ && attributes_->hasEdits() && !undo_->isClean(); }

void MainWindow::markExported() {
  undo_->setClean();
  updateTitle();
}

void MainWindow::updateTitle() {
  QString image;
  if (haveImage_) {
    if (currentSample_ >= 0) image = tr("Sample %1").arg(currentSample_ + 1);
    else if (image_.origin == ImageOrigin::Sample) image = tr("Sample");
    else if (image_.origin == ImageOrigin::File) image = QFileInfo(image_.source).fileName();
    else image = tr("Image from the %1").arg(imageName(image_));
  }
  QStringList parts;
  if (!image.isEmpty()) parts << image + QStringLiteral("[*]");
  if (!model_.name.isEmpty()) parts << model_.name;
  parts << tr("GlowLab");
  setWindowTitle(parts.join(QStringLiteral(" — ")));
  setWindowModified(hasUnexportedEdits());
}

void MainWindow::onImageReady(const ImageSummary& summary) {
  if (!summary.restored && currentState_ != 0 && summary.stateId != currentState_) {
    const bool sameImage = summary.origin == image_.origin && summary.source == image_.source;
    const QString what = summary.origin == ImageOrigin::Sample ? tr("Edit sample %1").arg(currentSample_ + 1)
                         : sameImage && summary.faceIndex != image_.faceIndex ? tr("Choose face %1").arg(summary.faceIndex + 1)
                         : summary.origin == ImageOrigin::File ? tr("Open %1").arg(QFileInfo(summary.source).fileName())
                                                               : tr("Open %1").arg(imageName(summary));
    auto restore = [this](quint64 id, int sample, const std::vector<double>& values) { restoreImageState(id, sample, values); };
    undo_->push(new ImageSwitchCommand(restore, currentState_, stateSample_, summary.stateId, currentSample_,
                                       attributes_->values(), what));
  }
  currentState_ = summary.stateId;
  stateSample_ = currentSample_;
  image_ = summary;
  haveImage_ = true;
  interpPanel_->setFirstThumbnail(summary.crop);
  samplePanel_->setHaveImage(true);
  view_->setOriginal(summary.crop);
  view_->setEdited(summary.crop);
  if (summary.original.isNull()) {
    // A sample has no photo: the Faces panel stays as it was (greyed, saying why), so the panels
    // beside it do not jump between a sample and the photo.
    facePicker_->setNoPhoto(tr("No photo for a sample: the current image was drawn by the model."));
  } else {
    facePicker_->setFaces(summary.original, summary.faceBoxes, summary.faceIndex);
    faceDock_->setVisible(summary.faceBoxes.size() > 1);
  }
  // Open Recent: a file that opened, once, by its absolute path.
  if (!summary.restored && summary.origin == ImageOrigin::File && QFileInfo(summary.source).isAbsolute() &&
      QFileInfo::exists(summary.source)) {
    addRecent(summary.source);
  }
  showFraming(summary);
  if (haveSecond_) refreshStrip();  // the strip runs from this image now (issue 29, 2)
  bpdLabel_->setText(tr("%1 bits/dim").arg(summary.bitsPerDim, 0, 'f', 3));
  bpdLabel_->setToolTip(tr("How typical the image looks to the model: lower is more typical"));
  requestRender();
  updateActions();
  updateTitle();
  Q_EMIT imageReady();
}

void MainWindow::restoreImageState(quint64 stateId, int sample, const std::vector<double>& values) {
  currentSample_ = sample;
  if (static_cast<int>(values.size()) == attributes_->count()) {
    for (int i = 0; i < attributes_->count(); ++i) attributes_->setValue(i, values[static_cast<size_t>(i)]);
  }
  worker_->restoreImage(stateId);
}

void MainWindow::interpolateTowardsSample(int index) {
  if (index == currentSample_ && currentSample_ >= 0) {
    notice(tr("Sample %1 is the current image: choose another sample (or a photo) to interpolate towards.").arg(index + 1));
    return;
  }
  worker_->useSample(index, /*asSecond=*/true);
}

void MainWindow::showError(const QString& message) {
  lastError_ = message;
  progress_->hide();
  cancel_->hide();
  statusBar()->showMessage(message, 10000);
  auto* box = new QMessageBox(QMessageBox::Warning, tr("GlowLab"), message, QMessageBox::Ok, this);
  box->setAttribute(Qt::WA_DeleteOnClose);
  box->open();  // not modal-blocking: the window stays usable
  Q_EMIT errorShown(message);
}
