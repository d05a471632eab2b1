#include "main_window.h"

#include <QApplication>
#include <QCheckBox>
#include <QCloseEvent>
#include <QComboBox>
#include <QDockWidget>
#include <QDoubleSpinBox>
#include <QFileDialog>
#include <QRandomGenerator>
#include <QFileInfo>
#include <QMenu>
#include <QFormLayout>
#include <QHBoxLayout>
#include <QLabel>
#include <QListWidget>
#include <QMessageBox>
#include <QMimeData>
#include <QPainter>
#include <QProgressBar>
#include <QPushButton>
#include <QSettings>
#include <QSlider>
#include <QSpinBox>
#include <QStatusBar>
#include <QTimer>
#include <QToolButton>
#include <QVBoxLayout>

#include "attribute_panel.h"
#include "face_picker.h"
#include "image_view.h"
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

  connect(worker_, &EngineWorker::modelLoaded, this, &MainWindow::onModelLoaded);
  connect(worker_, &EngineWorker::imageReady, this, &MainWindow::onImageReady);
  connect(worker_, &EngineWorker::rendered, this, &MainWindow::onRendered);
  connect(worker_, &EngineWorker::imported, this, [this](const QString& output, const QStringList& notes, const QString& error) {
    const QString from = QFileInfo(importing_).fileName();
    importing_.clear();
    importAction_->setEnabled(true);
    progress_->hide();
    progress_->setRange(0, 1000);
    if (!error.isEmpty()) {
      showError(error);
      return;
    }
    lastNotice_ = tr("Imported %1 as %2").arg(from, output) +
                  (notes.isEmpty() ? QString() : QStringLiteral(" (") + notes.join(QStringLiteral("; ")) + QStringLiteral(")"));
    statusBar()->showMessage(lastNotice_, 8000);
    openModel(output);  // as Model > Open Model: the image kept, one undo step
  });
  connect(worker_, &EngineWorker::failed, this, [this](const QString& message) {
    worker_->failureSeen();
    showError(message);
  });
  connect(worker_, &EngineWorker::notice, this, [this](const QString& message) {
    lastNotice_ = message;
    statusBar()->showMessage(message, 8000);
  });
  connect(worker_, &EngineWorker::samplesReady, this, [this](const QList<QImage>& images) {
    samples_ = images;
    sampleList_->clear();
    for (int i = 0; i < images.size(); ++i) {
      // The selected sample stays visible as it is (a frame marks it, no tint over the face).
      QIcon icon;
      const QPixmap pixmap = QPixmap::fromImage(images[i]);
      icon.addPixmap(pixmap, QIcon::Normal);
      icon.addPixmap(pixmap, QIcon::Selected);
      auto* item = new QListWidgetItem(icon, QString());
      item->setToolTip(tr("Sample %1: double-click (or Enter) to edit it; right-click to interpolate towards it").arg(i + 1));
      sampleList_->addItem(item);
    }
    progress_->hide();
    cancel_->hide();
    updateSampleStale();
    Q_EMIT samplesShown();
  });
  connect(worker_, &EngineWorker::secondReady, this, [this](const QImage& image) {
    haveSecond_ = true;
    secondImage_ = image;
    secondThumb_->setPixmap(QPixmap::fromImage(image).scaled(64, 64, Qt::KeepAspectRatio, Qt::SmoothTransformation));
    interpSlider_->setEnabled(true);
    playButton_->setEnabled(true);
    updateBlendCaption();
    requestRender();
    refreshStrip();
    updateActions();
  });
  connect(worker_, &EngineWorker::stripReady, this, [this](const QList<QImage>& frames) {
    if (frames.isEmpty()) return;
    const int side = 64;
    QImage strip(side * frames.size() + 4 * (frames.size() - 1), side, QImage::Format_RGB888);
    strip.fill(palette().color(QPalette::Window));
    QPainter p(&strip);
    p.setRenderHint(QPainter::SmoothPixmapTransform);
    for (int i = 0; i < frames.size(); ++i) p.drawImage(QRect(i * (side + 4), 0, side, side), frames[i]);
    p.end();
    strip_->setPixmap(QPixmap::fromImage(strip));
    // The ends of the strip are A and B as edited: the thumbnails show the same.
    firstThumb_->setPixmap(QPixmap::fromImage(frames.first()).scaled(64, 64, Qt::KeepAspectRatio, Qt::SmoothTransformation));
    secondThumb_->setPixmap(QPixmap::fromImage(frames.last()).scaled(64, 64, Qt::KeepAspectRatio, Qt::SmoothTransformation));
    Q_EMIT stripShown();
  });
  connect(worker_, &EngineWorker::progress, this, [this](const QString& what, double f) {
    progress_->setRange(0, 1000);
    progress_->show();
    cancel_->show();
    progress_->setFormat(what + " %p%");
    progress_->setValue(static_cast<int>(f * 1000));
    if (f >= 1.0) {
      progress_->hide();
      cancel_->hide();
    }
  });
  connect(worker_, &EngineWorker::exported, this, [this](const QString& path, const QString& detail) {
    progress_->hide();
    cancel_->hide();
    lastNotice_ = detail.isEmpty() ? tr("Wrote %1").arg(path) : tr("Wrote %1 (video codec: %2)").arg(path, detail);
    statusBar()->showMessage(lastNotice_, 8000);
    const QString suffix = QFileInfo(path).suffix().toLower();
    if (suffix != "gif" && suffix != "mp4") markExported();  // the edit itself went out
    Q_EMIT exported(path);
  });
  connect(cancel_, &QToolButton::clicked, worker_, &EngineWorker::cancel);
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

  connect(attributes_, &AttributePanel::hint, this, [this](const QString& message) {
    lastNotice_ = message;
    statusBar()->showMessage(message, 8000);
  });
  connect(attributes_, &AttributePanel::changed, this, &MainWindow::updateTitle);
  connect(undo_, &QUndoStack::cleanChanged, this, &MainWindow::updateTitle);

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

void MainWindow::buildDocks() {
  attrDock_ = new QDockWidget(tr("Attributes"), this);
  attrDock_->setObjectName("attributes");
  attrDock_->setWidget(attributes_);
  addDockWidget(Qt::RightDockWidgetArea, attrDock_);

  // Shown while the photo has more than one face (and while a sample is edited after such a photo).
  facePicker_ = new FacePicker;
  faceDock_ = new QDockWidget(tr("Faces"), this);
  faceDock_->setObjectName("faces");
  faceDock_->setWidget(facePicker_);
  addDockWidget(Qt::RightDockWidgetArea, faceDock_);
  faceDock_->hide();
  connect(facePicker_, &FacePicker::faceChosen, this, &MainWindow::chooseFace);

  auto* sampleWidget = new QWidget;
  auto* sv = new QVBoxLayout(sampleWidget);
  auto* form = new QFormLayout;
  temperature_ = new QDoubleSpinBox;
  temperature_->setRange(0.0, 1.2);
  temperature_->setSingleStep(0.05);
  temperature_->setValue(0.7);
  auto* tSlider = new QSlider(Qt::Horizontal);
  tSlider->setRange(0, 120);
  tSlider->setValue(70);
  connect(tSlider, &QSlider::valueChanged, temperature_, [this](int v) { temperature_->setValue(v / 100.0); });
  connect(temperature_, &QDoubleSpinBox::valueChanged, tSlider, [tSlider](double v) {
    const QSignalBlocker b(tSlider);
    tSlider->setValue(static_cast<int>(std::lround(v * 100)));
  });
  auto* tRow = new QHBoxLayout;
  tRow->addWidget(tSlider, 1);
  tRow->addWidget(temperature_);
  auto* tLabel = new QLabel(tr("&Temperature:"));
  tLabel->setBuddy(tSlider);
  form->addRow(tLabel, tRow);
  seed_ = new QSpinBox;
  seed_->setRange(0, 999999999);
  auto* newSeed = new QPushButton(tr("&New seed"));
  auto* seedRow = new QHBoxLayout;
  seedRow->addWidget(seed_, 1);
  seedRow->addWidget(newSeed);
  auto* seedLabel = new QLabel(tr("S&eed:"));
  seedLabel->setBuddy(seed_);
  form->addRow(seedLabel, seedRow);
  sampleCount_ = new QSpinBox;
  sampleCount_->setRange(1, 64);
  sampleCount_->setValue(12);
  form->addRow(tr("Co&unt:"), sampleCount_);
  sv->addLayout(form);
  auto* sampleButton = new QPushButton(tr("&Sample"));
  sv->addWidget(sampleButton);
  sampleStale_ = new QLabel;
  sampleStale_->setWordWrap(true);
  sampleStale_->hide();
  sv->addWidget(sampleStale_);
  sampleList_ = new QListWidget;
  sampleList_->setStyleSheet(QStringLiteral("QListWidget::item:selected { background: transparent; border: 3px solid palette(highlight); }"));
  sampleList_->setViewMode(QListView::IconMode);
  sampleList_->setIconSize(QSize(72, 72));
  sampleList_->setResizeMode(QListView::Adjust);
  sampleList_->setMovement(QListView::Static);
  sampleList_->setAccessibleName(tr("Samples"));
  sv->addWidget(sampleList_, 1);
  connect(newSeed, &QPushButton::clicked, this, [this] { seed_->setValue(static_cast<int>(QRandomGenerator::global()->bounded(1000000000))); });
  connect(sampleButton, &QPushButton::clicked, this, &MainWindow::sample);
  connect(temperature_, &QDoubleSpinBox::valueChanged, this, &MainWindow::updateSampleStale);
  connect(seed_, &QSpinBox::valueChanged, this, &MainWindow::updateSampleStale);
  connect(sampleCount_, &QSpinBox::valueChanged, this, &MainWindow::updateSampleStale);
  // A click selects; double-click or Enter (or the button, or the context menu) makes the sample
  // the current image, which is one undo step: the photo a person was working on is never lost.
  auto* sampleActions = new QVBoxLayout;  // one above the other: neither label is cut
  useSampleButton_ = new QPushButton(tr("Edit t&his sample"));
  towardsSampleButton_ = new QPushButton(tr("Interpolate towards &it"));
  useSampleButton_->setEnabled(false);
  towardsSampleButton_->setEnabled(false);
  sampleActions->addWidget(useSampleButton_);
  sampleActions->addWidget(towardsSampleButton_);
  sv->addLayout(sampleActions);
  sampleList_->setContextMenuPolicy(Qt::CustomContextMenu);
  connect(sampleList_, &QListWidget::itemActivated, this, [this](QListWidgetItem* item) { useSample(sampleList_->row(item)); });
  connect(sampleList_, &QListWidget::currentRowChanged, this, [this](int row) {
    useSampleButton_->setEnabled(row >= 0);
    towardsSampleButton_->setEnabled(row >= 0 && haveImage_);
  });
  connect(useSampleButton_, &QPushButton::clicked, this, [this] {
    if (sampleList_->currentRow() >= 0) useSample(sampleList_->currentRow());
  });
  connect(towardsSampleButton_, &QPushButton::clicked, this, [this] {
    if (sampleList_->currentRow() >= 0) interpolateTowardsSample(sampleList_->currentRow());
  });
  connect(sampleList_, &QListWidget::customContextMenuRequested, this, [this](const QPoint& pos) {
    auto* item = sampleList_->itemAt(pos);
    if (!item) item = sampleList_->currentItem();
    if (!item) return;
    const int row = sampleList_->row(item);
    QMenu menu(this);
    menu.addAction(tr("Edit this sample"), this, [this, row] { useSample(row); });
    menu.addAction(tr("Interpolate towards this"), this, [this, row] { interpolateTowardsSample(row); })->setEnabled(haveImage_);
    menu.exec(sampleList_->viewport()->mapToGlobal(pos));
  });
  sampleDock_ = new QDockWidget(tr("Samples"), this);
  sampleDock_->setObjectName("samples");
  sampleDock_->setWidget(sampleWidget);
  addDockWidget(Qt::LeftDockWidgetArea, sampleDock_);

  auto* interp = new QWidget;
  auto* iv = new QVBoxLayout(interp);
  auto* pickRow = new QHBoxLayout;
  auto* pickPhoto = new QPushButton(tr("Second &photo…"));
  auto* pickSample = new QPushButton(tr("Selected sample as &B"));
  // The two ends, each captioned above its thumbnail: A is the current image, B the one it blends
  // towards; the choices for B beside them.
  firstThumb_ = new QLabel;
  firstThumb_->setFixedSize(64, 64);
  firstThumb_->setToolTip(tr("A: the current image, as edited"));
  firstThumb_->setAccessibleName(tr("Interpolation start (the current image)"));
  secondThumb_ = new QLabel;
  secondThumb_->setFixedSize(64, 64);
  secondThumb_->setAlignment(Qt::AlignCenter);
  secondThumb_->setText(tr("none"));
  secondThumb_->setToolTip(tr("B: the image to blend towards (with the same edits)"));
  secondThumb_->setAccessibleName(tr("Interpolation end"));
  auto end = [](const QString& caption, QLabel* thumb) {
    auto* column = new QVBoxLayout;
    auto* label = new QLabel(caption);
    label->setAlignment(Qt::AlignHCenter);
    column->addWidget(label);
    column->addWidget(thumb, 0, Qt::AlignHCenter);
    return column;
  };
  pickRow->addLayout(end(tr("A (current)"), firstThumb_));
  auto* arrow = new QLabel(QStringLiteral("→"));
  arrow->setAlignment(Qt::AlignCenter);
  pickRow->addWidget(arrow);
  pickRow->addLayout(end(tr("B"), secondThumb_));
  auto* bButtons = new QVBoxLayout;
  bButtons->addWidget(pickPhoto);
  bButtons->addWidget(pickSample);
  bButtons->addStretch(1);
  pickRow->addSpacing(12);
  pickRow->addLayout(bButtons);
  pickRow->addStretch(1);
  iv->addLayout(pickRow);
  auto* blendRow = new QHBoxLayout;
  interpSlider_ = new QSlider(Qt::Horizontal);
  interpSlider_->setRange(0, 100);
  interpSlider_->setEnabled(false);
  interpSlider_->setAccessibleName(tr("Blend towards the second image"));
  blendValue_ = new QLabel;
  blendValue_->setMinimumWidth(blendValue_->fontMetrics().horizontalAdvance(tr("100% B")) + 4);
  interpMode_ = new QComboBox;
  interpMode_->addItems({tr("Spherical"), tr("Linear")});
  playButton_ = new QPushButton(tr("Play"));
  playButton_->setCheckable(true);
  playButton_->setEnabled(false);
  playButton_->setMinimumWidth(playButton_->fontMetrics().horizontalAdvance(tr("Stop")) + 32);
  auto* blendLabel = new QLabel(tr("B&lend:"));
  blendLabel->setBuddy(interpSlider_);
  blendRow->addWidget(blendLabel);
  blendRow->addWidget(interpSlider_, 1);
  blendRow->addWidget(blendValue_);
  blendRow->addWidget(interpMode_);
  blendRow->addWidget(playButton_);
  iv->addLayout(blendRow);
  strip_ = new QLabel;
  strip_->setMinimumHeight(72);
  strip_->setAlignment(Qt::AlignLeft | Qt::AlignVCenter);
  strip_->setAccessibleName(tr("Interpolation frames"));
  iv->addWidget(strip_);
  playTimer_ = new QTimer(this);
  playTimer_->setInterval(80);
  // Play runs A -> B -> A ... until Stop (the button says which it does).
  connect(playTimer_, &QTimer::timeout, this, [this] {
    int v = interpSlider_->value() + 4 * playDirection_;
    if (v >= 100 || v <= 0) playDirection_ = -playDirection_;
    interpSlider_->setValue(std::clamp(v, 0, 100));
  });
  connect(playButton_, &QPushButton::toggled, this, [this](bool on) {
    playButton_->setText(on ? tr("Stop") : tr("Play"));
    on ? playTimer_->start() : playTimer_->stop();
  });
  connect(interpSlider_, &QSlider::valueChanged, this, &MainWindow::requestRender);
  connect(interpSlider_, &QSlider::valueChanged, this, &MainWindow::updateBlendCaption);
  updateBlendCaption();
  connect(interpMode_, &QComboBox::currentIndexChanged, this, [this] {
    requestRender();
    refreshStrip();
  });
  connect(pickPhoto, &QPushButton::clicked, this, [this] {
    const QString path = QFileDialog::getOpenFileName(this, tr("Second image"), QSettings().value("paths/photos").toString(),
                                                      tr("Images (*.png *.jpg *.jpeg *.webp *.bmp)"));
    if (!path.isEmpty()) setSecondPhoto(path);
  });
  connect(pickSample, &QPushButton::clicked, this, [this] {
    if (sampleList_->currentRow() >= 0) interpolateTowardsSample(sampleList_->currentRow());
  });
  interpDock_ = new QDockWidget(tr("Interpolation"), this);
  interpDock_->setObjectName("interpolation");
  interpDock_->setWidget(interp);
  addDockWidget(Qt::BottomDockWidgetArea, interpDock_);
}

EditState MainWindow::editState() const {
  EditState s;
  s.alphas = attributes_->alphas();
  s.finest_level = attributes_->finestLevel();
  s.locked = attributes_->locked();
  s.interpolating = haveSecond_ && interpSlider_->value() > 0;
  s.t = interpSlider_->value() / 100.0;
  s.spherical = interpMode_->currentIndex() == 0;
  return s;
}

QPixmap MainWindow::stripPixmap() const { return strip_->pixmap(); }

void MainWindow::refreshStrip() {
  if (haveImage_ && haveSecond_) worker_->interpolationStrip(editState(), kStripFrames);
}

void MainWindow::requestRender() {
  if (!haveImage_) return;
  worker_->render(editState(), ++requested_);
}

void MainWindow::onRendered(const QImage& image, quint64 generation, double ms, const QString& note) {
  if (generation <= shown_) return;  // a newer render is already on screen
  shown_ = generation;
  view_->setEdited(image);
  if (!haveSecond_) firstThumb_->setPixmap(QPixmap::fromImage(image).scaled(64, 64, Qt::KeepAspectRatio, Qt::SmoothTransformation));
  renderLabel_->setText(tr("render %1 ms").arg(ms, 0, 'f', 1));
  // Say when an edit was limited; clear the word once an edit renders in full again.
  if (!note.isEmpty()) {
    statusBar()->showMessage(note);
    limitShown_ = true;
  } else if (limitShown_) {
    statusBar()->clearMessage();
    limitShown_ = false;
  }
  lastNote_ = note;
  Q_EMIT renderShown(generation);
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
    firstThumb_->clear();
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
  if (!samples_.isEmpty()) {
    samples_.clear();
    sampleList_->clear();
    worker_->sample(sampledCount_, sampledTemperature_, sampledSeed_);
  }
  showModelLabels();
  updateBundledChecks();
  QString loaded = summary.attributes.empty() ? tr("This model has no attribute directions: sampling and interpolation work")
                                              : tr("Model loaded: %1 attributes").arg(summary.attributes.size());
  if (summary.keptImage) loaded += tr("; the image is kept, re-encoded by this model");
  if (!summary.checksummed) loaded += tr(" (no checksum in this older file: damage to it cannot be detected)");
  statusBar()->showMessage(loaded, 8000);
  updateActions();
  updateTitle();
  Q_EMIT modelReady();
}

bool MainWindow::samplesStale() const {
  return !samples_.isEmpty() && (std::abs(temperature_->value() - sampledTemperature_) > 1e-9 ||
                                 static_cast<quint64>(seed_->value()) != sampledSeed_ || sampleCount_->value() != sampledCount_);
}

void MainWindow::updateSampleStale() {
  // The grid is never passed off as the new settings' samples: it says what it was drawn with.
  if (samplesStale()) {
    sampleStale_->setText(tr("These samples are for T %1, seed %2: press Sample for the new settings.")
                              .arg(sampledTemperature_, 0, 'f', 2)
                              .arg(sampledSeed_));
    sampleStale_->show();
  } else {
    sampleStale_->hide();
  }
}

void MainWindow::updateBlendCaption() {
  const int v = interpSlider_->value();
  blendValue_->setText(haveSecond_ ? tr("%1% B").arg(v) : QStringLiteral("—"));
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
    else if (image_.source == "sample") image = tr("Sample");
    else if (QFileInfo(image_.source).isAbsolute()) image = QFileInfo(image_.source).fileName();
    else image = tr("Image from the %1").arg(image_.source);
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
    const QString what = summary.source == "sample"          ? tr("Edit sample %1").arg(currentSample_ + 1)
                         : summary.source == image_.source && summary.faceIndex != image_.faceIndex ? tr("Choose face %1").arg(summary.faceIndex + 1)
                                                           : tr("Open %1").arg(QFileInfo(summary.source).fileName());
    auto restore = [this](quint64 id, int sample, const std::vector<double>& values) { restoreImageState(id, sample, values); };
    undo_->push(new ImageSwitchCommand(restore, currentState_, stateSample_, summary.stateId, currentSample_,
                                       attributes_->values(), what));
  }
  currentState_ = summary.stateId;
  stateSample_ = currentSample_;
  image_ = summary;
  haveImage_ = true;
  firstThumb_->setPixmap(QPixmap::fromImage(summary.crop).scaled(64, 64, Qt::KeepAspectRatio, Qt::SmoothTransformation));
  towardsSampleButton_->setEnabled(sampleList_->currentRow() >= 0);
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
  if (!summary.restored && summary.source != "sample" && QFileInfo(summary.source).isAbsolute() && QFileInfo::exists(summary.source)) {
    addRecent(summary.source);
  }
  framingLabel_->setText(summary.framingShort);
  framingLabel_->setToolTip(summary.framing);
  bpdLabel_->setText(tr("%1 bits/dim").arg(summary.bitsPerDim, 0, 'f', 3));
  bpdLabel_->setToolTip(tr("How typical the image looks to the model: lower is more typical"));
  if (!summary.message.isEmpty()) statusBar()->showMessage(summary.message, 8000);
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
    lastNotice_ = tr("Sample %1 is the current image: choose another sample (or a photo) to interpolate towards.").arg(index + 1);
    statusBar()->showMessage(lastNotice_, 8000);
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

void MainWindow::closeEvent(QCloseEvent* event) {
  if (hasUnexportedEdits() && !confirmDiscard(tr("Quit"))) {
    event->ignore();
    return;
  }
  QSettings settings;
  settings.setValue("window/geometry", saveGeometry());
  settings.setValue("window/state", saveState());
  settings.setValue("view/split", view_->mode() == ImageView::Mode::Split);
  event->accept();
}

void MainWindow::dragEnterEvent(QDragEnterEvent* event) {
  if (event->mimeData()->hasUrls() || event->mimeData()->hasImage()) event->acceptProposedAction();
}

void MainWindow::dropEvent(QDropEvent* event) {
  const auto* mime = event->mimeData();
  if (mime->hasUrls() && mime->urls().first().isLocalFile()) {
    const QString path = mime->urls().first().toLocalFile();
    path.endsWith(".glow", Qt::CaseInsensitive) ? openModel(path) : openPhoto(path);
  } else if (mime->hasImage()) {
    openImage(qvariant_cast<QImage>(mime->imageData()), tr("dropped"));
  }
}
