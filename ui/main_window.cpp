#include "main_window.h"

#include <algorithm>
#include <cmath>

#include <QDockWidget>
#include <QFileDialog>
#include <QFileInfo>
#include <QLabel>
#include <QMessageBox>
#include <QProgressBar>
#include <QScreen>
#include <QSettings>
#include <QStatusBar>
#include <QTimer>
#include <QToolButton>

#include "attribute_panel.h"
#include "face_picker.h"
#include "image_view.h"
#include "interpolation_panel.h"
#include "autosave.h"
#include "sample_panel.h"

namespace {
constexpr int kStripFrames = 8;
}  // namespace

MainWindow::MainWindow(QWidget* parent) : QMainWindow(parent) {
  setWindowTitle(tr("GlowLab"));
  setAcceptDrops(true);
  doc_ = new EditDocument(this);
  doc_->setKeepSliders(QSettings().value("edit/keepSliders", false).toBool());
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
  // The edit is kept on disk a moment after each settled change (never mid-drag).
  autosave_ = std::make_unique<Autosave>(Autosave::folder());
  autosaveTimer_ = new QTimer(this);
  autosaveTimer_->setObjectName("autosaveTimer");
  autosaveTimer_->setSingleShot(true);
  autosaveTimer_->setInterval(300);
  connect(autosaveTimer_, &QTimer::timeout, this, &MainWindow::writeAutosave);
  connect(attributes_, &AttributePanel::dragFinished, autosaveTimer_, qOverload<>(&QTimer::start));
  // Frames while a slider moves may be bf16 drafts: once it settles, the exact frame.
  connect(attributes_, &AttributePanel::dragFinished, this, [this] {
    if (worker_->draftPrecision() != glowlab::Precision::FP32) requestRender();
  });

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

void MainWindow::resizeToScreen(const QSize& preferred) {
  QSize size = preferred;
  if (const QScreen* s = screen()) size = size.boundedTo(s->availableGeometry().size() - QSize(16, 48));
  resize(size.expandedTo(minimumSizeHint()));
}

QUndoStack* MainWindow::undoStack() const { return doc_->undoStack(); }

bool MainWindow::setSlider(const std::string& name, double value) { return doc_->setValue(name, value); }

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
    progress_->setFormat((task == Task::Sampling ? tr("Sampling") : task == Task::Video ? tr("Video") : tr("Exporting")) +
                         " %p%");
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
      notice(detail.isEmpty() ? tr("Wrote %1%2").arg(path, blend)
             : animation      ? tr("Wrote %1 (video codec: %2)").arg(path, detail)
                              : tr("Wrote %1%2; %3").arg(path, blend, detail));
    }
    if (!animation) markExported();  // the edit itself went out
    Q_EMIT exported(path);
  });
  connect(worker_, &EngineWorker::clipEdited, this, &MainWindow::onClipEdited);
  connect(cancel_, &QToolButton::clicked, worker_, &EngineWorker::cancel);
}

void MainWindow::connectPanels() {
  // The strip (and the A/B thumbnails) follow the sliders, a moment after they stop.
  stripTimer_ = new QTimer(this);
  stripTimer_->setSingleShot(true);
  stripTimer_->setInterval(250);
  connect(stripTimer_, &QTimer::timeout, this, &MainWindow::refreshStrip);
  // The user's changes go to the document; what it holds then comes back to the panels.
  connect(doc_, &EditDocument::changed, this, &MainWindow::showDocument);
  connect(doc_, &EditDocument::hint, this, [this](const QString& message) { notice(message); });
  connect(attributes_, &AttributePanel::edited, this, [this](int index, double, double after, int dragId) {
    const std::string name = attributes_->attribute(index).name;
    lastEditedAttribute_ = QString::fromStdString(name);
    doc_->setValue(name, after, dragId);
  });
  connect(attributes_, &AttributePanel::heldEdited, this,
          [this](int index, bool held) { doc_->setHeld(attributes_->attribute(index).name, held); });
  connect(attributes_, &AttributePanel::detailEdited, this, [this](int, int after) { doc_->setDetail(after); });
  connect(attributes_, &AttributePanel::resetAllRequested, doc_, &EditDocument::resetAll);
  connect(attributes_, &AttributePanel::hint, this, [this](const QString& message) { notice(message); });
  connect(doc_->undoStack(), &QUndoStack::cleanChanged, this, &MainWindow::updateTitle);
  connect(samplePanel_, &SamplePanel::sampleRequested, this, &MainWindow::sample);
  connect(samplePanel_, &SamplePanel::editRequested, this, &MainWindow::useSample);
  connect(samplePanel_, &SamplePanel::towardsRequested, this, &MainWindow::interpolateTowardsSample);
  connect(interpPanel_, &InterpolationPanel::blendChanged, this,
          [this](int percent) { doc_->setBlend(percent, interpPanel_->spherical()); });
  connect(interpPanel_, &InterpolationPanel::modeChanged, this, [this] {
    doc_->setBlend(interpPanel_->blend(), interpPanel_->spherical());
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
  doc_->setSecond(requestedSecond_);
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

QList<QImage> MainWindow::sampleImages() const { return samplePanel_->samples(); }

void MainWindow::refreshStrip() {
  if (doc_->hasImage() && haveSecond_) worker_->interpolationStrip(doc_->editState(), kStripFrames);
}

void MainWindow::requestRender() {
  if (!doc_->hasImage()) return;
  EditState state = doc_->editState();
  state.draft = attributes_->isDragging();
  worker_->render(state, ++requested_);
}

void MainWindow::onRendered(const QImage& image, const RenderInfo& info) {
  if (info.generation <= shown_) return;  // a newer render is already on screen
  shown_ = info.generation;
  view_->setEdited(image);
  if (!haveSecond_) interpPanel_->setFirstThumbnail(image);
  renderLabel_->setText(info.draft ? tr("render %1 ms (bf16 draft)").arg(info.milliseconds, 0, 'f', 1)
                                   : tr("render %1 ms").arg(info.milliseconds, 0, 'f', 1));
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
  if (!restoring_.isEmpty() && restoreShownAt_ != 0 && info.generation >= restoreShownAt_) {
    // The restored edit is on screen: this window's own autosave holds it from now on.
    Autosave::remove(std::exchange(restoring_, QString()));
    restoreShownAt_ = 0;
    writeAutosave();
    notice(tr("Restored the edit GlowLab was making when it last stopped"));
  }
  Q_EMIT renderShown(info.generation);
}

void MainWindow::onModelLoaded(const ModelSummary& summary) {
  const bool first = model_.path.isEmpty();
  const bool replay = replayLoads_.remove(summary.request);
  model_ = summary;
  QStringList dropped;
  if (replay) {
    doc_->updateModel(summary);  // undo/redo brought it back: the document shows it already
  } else {
    // The new model's sliders take the values they had by name (a step, unless it is the first).
    const QString what = doc_->state().model().path == summary.path ? tr("Switch to %1").arg(summary.device.toUpper())
                                                                  : tr("Open model %1").arg(summary.name);
    dropped = doc_->switchModel(summary, what);
  }
  if (!summary.keptImage) {
    // Nothing to carry over: nothing of an earlier image stays on screen either.
    engineImage_ = 0;
    requestedSample_ = -1;
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
  if (doc_->state().image.sample >= 0) {
    // The sample's pixels stay, re-encoded; it is no longer a draw of this model's prior.
    ImageRef ref = doc_->state().image;
    ref.sample = -1;
    ref.origin = ImageOrigin::Sample;
    doc_->updateImage(ref);
    requestedSample_ = -1;
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
  if (!first && !dropped.isEmpty()) {
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
  const int v = doc_->state().blend;
  view_->setEditedCaption(haveSecond_ && v > 0 ? tr("Blend: %1% towards B").arg(v) : tr("Edited"));
}

void MainWindow::showModelLabels() {
  modelLabel_->setText(tr("%1 · %2 px · %3").arg(model_.name).arg(model_.imageSize).arg(model_.device.toUpper()));
}

bool MainWindow::hasUnexportedEdits() const { return doc_->hasUnexportedEdits(); }

void MainWindow::markExported() {
  doc_->markExported();
  updateTitle();
}

void MainWindow::updateTitle() {
  QString image;
  if (doc_->hasImage()) {
    const ImageRef& ref = doc_->state().image;
    if (ref.sample >= 0) image = tr("Sample %1").arg(ref.sample + 1);
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
  const ImageRef ref = imageRef(summary);
  const ImageRef current = doc_->state().image;
  engineImage_ = summary.stateId;
  if (pending_) {
    // A recipe or a restored autosave: its sliders, blend and B, with no history before them.
    EditSnapshot state = doc_->state();
    state.image = ref;
    state.sliders = pending_->sliders;
    state.blend = pending_->blend;
    state.spherical = pending_->spherical;
    pending_.reset();
    doc_->reset(state);
    if (!restoring_.isEmpty()) restoreShownAt_ = requested_ + 1;  // the render asked for below
  } else if (summary.restored) {
    if (current.id == summary.stateId) doc_->updateImage(ref);  // re-encoded, perhaps re-framed
  } else if (current.id != summary.stateId) {
    const bool sameImage = summary.origin == image_.origin && summary.source == image_.source;
    const bool otherFace = sameImage && summary.origin != ImageOrigin::Sample && summary.faceIndex != image_.faceIndex;
    const QString what = summary.origin == ImageOrigin::Sample ? tr("Edit sample %1").arg(ref.sample + 1)
                         : otherFace ? tr("Choose face %1").arg(summary.faceIndex + 1)
                         : summary.origin == ImageOrigin::File ? tr("Open %1").arg(QFileInfo(summary.source).fileName())
                                                               : tr("Open %1").arg(imageName(summary));
    // Another face of the same photo keeps the edit; another image starts from its own (issue 29, 1).
    doc_->switchImage(ref, what, /*keepEdit=*/otherFace);
  }
  image_ = summary;
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
      QFileInfo::exists(summary.source) && restoring_.isEmpty()) {
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

void MainWindow::interpolateTowardsSample(int index) {
  if (index == doc_->state().image.sample && index >= 0) {
    notice(tr("Sample %1 is the current image: choose another sample (or a photo) to interpolate towards.").arg(index + 1));
    return;
  }
  requestedSecond_ = SecondRef{QString(), index};
  worker_->useSample(index, /*asSecond=*/true);
}

void MainWindow::showError(const QString& message) {
  lastError_ = message;
  if (videoRunning_) {  // the engine runs one job at a time: the failure is the video's (or it was cancelled)
    videoRunning_ = false;
    updateActions();
  }
  progress_->hide();
  cancel_->hide();
  statusBar()->showMessage(message, 10000);
  auto* box = new QMessageBox(QMessageBox::Warning, tr("GlowLab"), message, QMessageBox::Ok, this);
  box->setAttribute(Qt::WA_DeleteOnClose);
  box->open();  // not modal-blocking: the window stays usable
  Q_EMIT errorShown(message);
}
