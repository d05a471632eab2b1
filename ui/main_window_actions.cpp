// MainWindow's menus and actions: open, paste, save, export, recipes, model info, preferences.
#include <QAction>
#include <QActionGroup>
#include <QApplication>
#include <QCheckBox>
#include <QDir>
#include <QDockWidget>
#include <QPushButton>
#include <QClipboard>
#include <QComboBox>
#include <QDialog>
#include <QDialogButtonBox>
#include <QDoubleSpinBox>
#include <QFileDialog>
#include <QFileInfo>
#include <QFormLayout>
#include <QHBoxLayout>
#include <QInputDialog>
#include <QLineEdit>
#include <QProgressBar>
#include <QMenuBar>
#include <QMessageBox>
#include <QMimeData>
#include <QSettings>
#include <QSlider>
#include <QSpinBox>
#include <QStatusBar>
#include <QTextBrowser>
#include <QToolButton>
#include <QVBoxLayout>

#include <algorithm>
#include <memory>

#include "attribute_panel.h"
#include "image_view.h"
#include "main_window.h"
#include "qt_image.h"

namespace {
const char* kImageFilter = "Images (*.png *.jpg *.jpeg *.webp *.bmp *.ppm *.pgm)";
constexpr int kMaxRecent = 8;
}  // namespace

void MainWindow::buildMenus() {
  auto* file = menuBar()->addMenu(tr("&File"));
  file->setToolTipsVisible(true);  // a disabled action says why
  file->addAction(tr("&Open Photo…"), QKeySequence::Open, this, &MainWindow::chooseAndOpenPhoto);
  recentMenu_ = file->addMenu(tr("Open &Recent"));
  file->addAction(tr("&Paste Photo"), QKeySequence::Paste, this, &MainWindow::pasteImage);
  file->addAction(tr("Open Re&cipe…"), this, &MainWindow::chooseAndOpenRecipe);
  file->addSeparator();
  saveImageAction_ = file->addAction(tr("&Save Image…"), QKeySequence::Save, this, &MainWindow::chooseAndSaveImage);
  saveImageAction_->setObjectName("saveImage");
  exportPastedAction_ = file->addAction(tr("Export Edit Into &Photo…"), this, &MainWindow::chooseAndExportPasted);
  exportPastedAction_->setObjectName("exportPasted");
  exportAnimationAction_ = file->addAction(tr("Export &Animation…"), this, &MainWindow::chooseAndExportAnimation);
  exportAnimationAction_->setObjectName("exportAnimation");
  saveRecipeAction_ = file->addAction(tr("Save Recip&e…"), this, &MainWindow::chooseAndSaveRecipe);
  saveRecipeAction_->setObjectName("saveRecipe");
  file->addSeparator();
  file->addAction(tr("&Quit"), QKeySequence::Quit, this, &QWidget::close);

  auto* edit = menuBar()->addMenu(tr("&Edit"));
  auto* undo = undo_->createUndoAction(this, tr("&Undo"));
  undo->setObjectName("undo");
  undo->setShortcuts(QKeySequence::Undo);
  auto* redo = undo_->createRedoAction(this, tr("&Redo"));
  redo->setObjectName("redo");
  // The platform's Redo keys, each once (a key bound twice is an ambiguous shortcut that does
  // nothing), plus Ctrl+Y where the platform lacks it.
  QList<QKeySequence> redoKeys;
  for (const QKeySequence& k : QKeySequence::keyBindings(QKeySequence::Redo) + QList<QKeySequence>{QKeySequence(Qt::CTRL | Qt::Key_Y)}) {
    if (!redoKeys.contains(k)) redoKeys << k;
  }
  redo->setShortcuts(redoKeys);
  edit->addAction(undo);
  edit->addAction(redo);
  edit->addAction(tr("Reset &All Sliders"), this, [this] { Q_EMIT attributes_->resetAllRequested(); });
  edit->addSeparator();
  edit->addAction(tr("&Preferences…"), QKeySequence::Preferences, this, &MainWindow::showPreferences)->setObjectName("preferences");

  auto* view = menuBar()->addMenu(tr("&View"));
  auto* split = view->addAction(tr("&Before/After Split"));
  split->setCheckable(true);
  split->setChecked(view_->mode() == ImageView::Mode::Split);
  connect(split, &QAction::toggled, this,
          [this](bool on) { view_->setMode(on ? ImageView::Mode::Split : ImageView::Mode::SideBySide); });
  view->addSeparator();
  // Every panel, to bring back one that was closed.
  for (QDockWidget* dock : {attrDock_, sampleDock_, interpDock_, faceDock_}) {
    QAction* toggle = dock->toggleViewAction();
    toggle->setObjectName(QStringLiteral("show-") + dock->objectName());
    view->addAction(toggle);
  }
  view->addSeparator();
  view->addAction(tr("&Reset Layout"), this, [this] {
    const bool faces = faceDock_->isVisible();
    restoreState(defaultLayout_);
    // The Faces panel follows the image: shown for a photo with several faces, and left as it was
    // while a sample (which has no photo) is edited.
    faceDock_->setVisible(haveImage_ && (image_.original.isNull() ? faces : image_.faceBoxes.size() > 1));
  })->setObjectName("resetLayout");

  auto* model = menuBar()->addMenu(tr("&Model"));
  model->addAction(tr("&Open Model…"), this, &MainWindow::chooseAndOpenModel)->setObjectName("openModel");
  importAction_ = model->addAction(tr("&Import Checkpoint…"), this, &MainWindow::chooseAndImportCheckpoint);
  importAction_->setObjectName("importCheckpoint");
  importAction_->setToolTip(tr("Open a checkpoint of rosinality/glow-pytorch, y0ast/Glow-PyTorch or chaiyujin/glow-pytorch "
                               "(written to a .glow first)"));
  bundledMenu_ = model->addMenu(tr("&Bundled Models"));
  bundledMenu_->setObjectName("bundledModels");
  bundledMenu_->setToolTipsVisible(true);
  bundledMenu_->setEnabled(false);
  model->addAction(tr("Model &Info"), this, &MainWindow::showModelInfo)->setObjectName("modelInfo");
}

void MainWindow::setBundledModels(const QStringList& paths) {
  bundledMenu_->clear();
  auto* group = new QActionGroup(bundledMenu_);
  group->setExclusionPolicy(QActionGroup::ExclusionPolicy::ExclusiveOptional);
  for (const QString& path : paths) {
    const QString name = QFileInfo(path).completeBaseName();
    const QString what = name == "celeba64" ? tr("Real photographs") : name == "faces64" ? tr("Synthetic faces") : QString();
    auto* action = bundledMenu_->addAction(what.isEmpty() ? name : tr("%1 (%2)").arg(what, name));
    action->setData(QFileInfo(path).absoluteFilePath());
    action->setToolTip(QDir::toNativeSeparators(QFileInfo(path).absoluteFilePath()));
    action->setCheckable(true);
    group->addAction(action);
    connect(action, &QAction::triggered, this, [this, path] {
      openModel(path);
      updateBundledChecks();  // the tick follows the model that is open, once it has loaded
    });
  }
  bundledMenu_->setEnabled(!paths.isEmpty());
  updateBundledChecks();
}

void MainWindow::updateBundledChecks() {
  const QString open = model_.path.isEmpty() ? QString() : QFileInfo(model_.path).absoluteFilePath();
  for (QAction* action : bundledMenu_->actions()) action->setChecked(!open.isEmpty() && action->data().toString() == open);
}

bool MainWindow::showDefaultModelNote(const QString& note) {
  QSettings settings;
  if (note.isEmpty() || settings.value("notes/defaultModelShown", false).toBool()) return false;
  settings.setValue("notes/defaultModelShown", true);
  lastNotice_ = note.left(1).toUpper() + note.mid(1) + QStringLiteral(".");
  statusBar()->showMessage(lastNotice_, 30000);
  return true;
}

void MainWindow::openModel(const QString& path) { loadModel(path, QSettings().value("engine/device", "auto").toString()); }

void MainWindow::loadModel(const QString& path, const QString& device) {
  const QString absolute = QFileInfo(path).absoluteFilePath();
  if (!model_.path.isEmpty() && absolute == QFileInfo(model_.path).absoluteFilePath() && device == model_.requestedDevice &&
      EngineWorker::fileStamp(absolute) == model_.stamp) {
    lastNotice_ = tr("%1 is already open (unchanged): nothing to do").arg(model_.name);
    statusBar()->showMessage(lastNotice_, 5000);
    return;
  }
  worker_->loadModel(absolute, device);
}

void MainWindow::openPhoto(const QString& path) {
  currentSample_ = -1;
  // By its absolute path: Open Recent and recipes find it from any folder. It joins Open Recent
  // once it has opened.
  const QString absolute = QFileInfo(path).absoluteFilePath();
  worker_->openPhoto(absolute);
  QSettings().setValue("paths/photos", QFileInfo(absolute).absolutePath());
}

void MainWindow::openImage(const QImage& image, const QString& label) {
  if (image.isNull()) {
    showError(tr("The %1 data is not an image.").arg(label));
    return;
  }
  currentSample_ = -1;
  worker_->openImage(image, label);
}

void MainWindow::setSampleSettings(double temperature, quint64 seed, int count) {
  temperature_->setValue(temperature);
  seed_->setValue(static_cast<int>(seed));
  sampleCount_->setValue(count);
}

void MainWindow::sample() {
  sampledTemperature_ = temperature_->value();
  sampledSeed_ = static_cast<quint64>(seed_->value());
  sampledCount_ = sampleCount_->value();
  worker_->sample(sampledCount_, sampledTemperature_, sampledSeed_);
}

void MainWindow::useSample(int index) {
  currentSample_ = index;
  worker_->useSample(index);
}

void MainWindow::setSecondPhoto(const QString& path) { worker_->setSecondPhoto(path); }

void MainWindow::chooseFace(int index) {
  if (!haveImage_ || index < 0 || index >= image_.faceBoxes.size() || index == image_.faceIndex) return;
  currentSample_ = -1;
  worker_->chooseFace(index);
}

bool MainWindow::saveImage(const QString& path, int scale) {
  if (!haveImage_) {
    showError(tr("There is no image to save yet."));
    return false;
  }
  QImage image = view_->edited();
  if (image.isNull()) {
    showError(tr("There is no image to save yet."));
    return false;
  }
  if (scale > 1) image = image.scaled(image.size() * scale, Qt::IgnoreAspectRatio, Qt::SmoothTransformation);
  try {
    glowlab::write_image(path.toStdString(), fromQImage(image, image.isGrayscale() ? 1 : 3));
  } catch (const std::exception& e) {
    showError(QString::fromUtf8(e.what()));
    return false;
  }
  statusBar()->showMessage(tr("Wrote %1").arg(path), 5000);
  markExported();
  return true;
}

void MainWindow::exportPasted(const QString& path) { worker_->exportPasted(path, editState()); }

void MainWindow::exportAnimation(const QString& path, const QString& attribute, int frames, double fps, int scale) {
  if (attribute.isEmpty() && !haveSecond_) {
    showError(tr("Pick a second image in the Interpolation panel first, or choose an attribute to sweep."));
    return;
  }
  worker_->exportAnimation(path, editState(), attribute, frames, fps, scale);
}

bool MainWindow::saveRecipe(const QString& path) {
  if (!haveImage_) {
    showError(tr("There is no edit to save yet."));
    return false;
  }
  glowlab::Recipe r;
  if (currentSample_ >= 0) {
    r.sample_index = currentSample_;
    r.sample_count = sampledCount_;
    r.sample_temperature = sampledTemperature_;
    r.sample_seed = sampledSeed_;
  } else {
    if (image_.source == "clipboard" || image_.source == tr("dropped") || !QFileInfo::exists(image_.source)) {
      showError(tr("A recipe needs a photo file: save the pasted image first and open it."));
      return false;
    }
    r.source = QFileInfo(image_.source).absoluteFilePath().toStdString();
    r.source_sha256 = glowlab::file_sha256(image_.source.toStdString());
    r.transform = image_.transform;
    r.face = image_.faceIndex + 1;
  }
  r.model = QFileInfo(model_.path).absoluteFilePath().toStdString();
  r.model_sha256 = glowlab::file_sha256(model_.path.toStdString());
  r.sliders = attributes_->alphas();
  std::sort(r.sliders.begin(), r.sliders.end());
  r.finest_level = attributes_->finestLevel();
  r.locked = attributes_->locked();
  try {
    glowlab::save_recipe(path.toStdString(), r);
  } catch (const std::exception& e) {
    showError(QString::fromUtf8(e.what()));
    return false;
  }
  markExported();
  return true;
}

bool MainWindow::openRecipe(const QString& path) {
  glowlab::Recipe r;
  try {
    r = glowlab::load_recipe(path.toStdString());
  } catch (const std::exception& e) {
    showError(QString::fromUtf8(e.what()));
    return false;
  }
  const QString modelPath = QString::fromStdString(r.model);
  if (!QFileInfo::exists(modelPath)) {
    showError(tr("%1: its model %2 does not exist").arg(path, modelPath));
    return false;
  }
  if (glowlab::file_sha256(r.model) != r.model_sha256) statusBar()->showMessage(tr("Warning: the model file has changed since the recipe was saved"), 8000);
  // Load the model, then the image, then the sliders, in order once the model is ready.
  auto apply = [this, r] {
    if (r.is_sample()) {
      worker_->sample(r.sample_count, r.sample_temperature, r.sample_seed);
      useSample(r.sample_index);
      sampledCount_ = r.sample_count;
      sampledTemperature_ = r.sample_temperature;
      sampledSeed_ = r.sample_seed;
    } else {
      if (glowlab::file_sha256(r.source) != r.source_sha256) statusBar()->showMessage(tr("Warning: the photo has changed since the recipe was saved"), 8000);
      currentSample_ = -1;
      worker_->openPhotoWithTransform(QString::fromStdString(r.source), r.transform, std::max(0, r.face - 1));
    }
    for (const auto& [name, value] : r.sliders) {
      const int i = attributes_->indexOf(name);
      if (i >= 0) attributes_->setValue(i, value);
    }
    for (int i = 0; i < attributes_->count(); ++i) {
      attributes_->setLocked(i, std::find(r.locked.begin(), r.locked.end(), attributes_->attribute(i).name) != r.locked.end());
    }
    attributes_->setFinestLevel(r.finest_level);
    undo_->clear();
  };
  if (QFileInfo(modelPath).absoluteFilePath() == QFileInfo(model_.path).absoluteFilePath()) {
    apply();
  } else {
    // One shot: applied when this model is ready, dropped if it fails to load (never armed for a
    // later, unrelated model load).
    auto conns = std::make_shared<std::pair<QMetaObject::Connection, QMetaObject::Connection>>();
    auto disarm = [conns] {
      QObject::disconnect(conns->first);
      QObject::disconnect(conns->second);
    };
    conns->first = connect(this, &MainWindow::modelReady, this, [apply, disarm] {
      disarm();
      apply();
    });
    conns->second = connect(worker_, &EngineWorker::failed, this, [disarm](const QString&) { disarm(); });
    openModel(modelPath);
  }
  return true;
}

void MainWindow::addRecent(const QString& path) {
  QSettings settings;
  const QString absolute = QFileInfo(path).absoluteFilePath();
  QStringList recent = settings.value("paths/recent").toStringList();
  recent.removeAll(absolute);
  recent.prepend(absolute);
  while (recent.size() > kMaxRecent) recent.removeLast();
  settings.setValue("paths/recent", recent);
  updateRecentMenu();
}

void MainWindow::updateRecentMenu() {
  recentMenu_->clear();
  // Entries of older versions (relative paths, repeats, files since removed) are left out.
  QStringList shown;
  for (const QString& path : QSettings().value("paths/recent").toStringList()) {
    if (!QFileInfo(path).isAbsolute() || shown.contains(path) || !QFileInfo::exists(path)) continue;
    shown << path;
    auto* action = recentMenu_->addAction(QFileInfo(path).fileName(), this, [this, path] { openPhoto(path); });
    action->setToolTip(path);
  }
  recentMenu_->setToolTipsVisible(true);
  recentMenu_->setEnabled(!shown.isEmpty());
}

void MainWindow::chooseAndOpenPhoto() {
  const QString path = QFileDialog::getOpenFileName(this, tr("Open Photo"), QSettings().value("paths/photos").toString(), tr(kImageFilter));
  if (!path.isEmpty()) openPhoto(path);
}

void MainWindow::chooseAndOpenModel() {
  const QString path = QFileDialog::getOpenFileName(this, tr("Open Model"), QSettings().value("paths/models").toString(), tr("Glow models (*.glow)"));
  if (path.isEmpty()) return;
  QSettings().setValue("paths/models", QFileInfo(path).absolutePath());
  openModel(path);
}

void MainWindow::importCheckpoint(const glowlab::ImportOptions& options, const QString& output) {
  if (!importing_.isEmpty()) {
    lastNotice_ = tr("%1 is still being imported: wait for it to finish").arg(QFileInfo(importing_).fileName());
    statusBar()->showMessage(lastNotice_, 5000);
    return;
  }
  importing_ = QString::fromStdString(options.checkpoint);
  importAction_->setEnabled(false);
  // Busy, not a fraction: the import reads, maps and writes in one go (on the engine thread).
  cancel_->hide();
  progress_->setRange(0, 0);
  progress_->setFormat(tr("Importing %1…").arg(QFileInfo(importing_).fileName()));
  progress_->setToolTip(progress_->format());
  progress_->show();
  lastNotice_ = tr("Importing %1…").arg(QFileInfo(importing_).fileName());
  statusBar()->showMessage(lastNotice_);
  worker_->importCheckpoint(options, QFileInfo(output).absoluteFilePath());
}

void MainWindow::chooseAndImportCheckpoint() {
  QSettings settings;
  const QString checkpoint = QFileDialog::getOpenFileName(this, tr("Import Checkpoint"), settings.value("paths/checkpoints").toString(),
                                                          tr("PyTorch checkpoints (*.pt *.pth *.pkg *.ckpt *.tar);;All files (*)"));
  if (checkpoint.isEmpty()) return;
  settings.setValue("paths/checkpoints", QFileInfo(checkpoint).absolutePath());
  // The format, and what the checkpoint cannot say.
  QDialog dialog(this);
  dialog.setObjectName("importDialog");
  dialog.setWindowTitle(tr("Import %1").arg(QFileInfo(checkpoint).fileName()));
  auto* form = new QFormLayout(&dialog);
  auto* format = new QComboBox;
  format->setObjectName("format");
  format->addItem(tr("rosinality/glow-pytorch"), "rosinality");
  format->addItem(tr("y0ast/Glow-PyTorch"), "y0ast");
  format->addItem(tr("chaiyujin/glow-pytorch"), "chaiyujin");
  format->setCurrentIndex(std::max(0, format->findData(settings.value("import/format", "rosinality"))));
  form->addRow(tr("&Written by:"), format);
  auto* imageSize = new QSpinBox;
  imageSize->setObjectName("imageSize");
  imageSize->setRange(2, 1024);
  imageSize->setSuffix(tr(" px"));
  imageSize->setValue(settings.value("import/imageSize", 64).toInt());
  imageSize->setToolTip(tr("rosinality: its checkpoints do not store the image size (its train.py default is 64)"));
  form->addRow(tr("&Image size:"), imageSize);
  auto* bits = new QSpinBox;
  bits->setObjectName("nBits");
  bits->setRange(1, 8);
  bits->setValue(settings.value("import/nBits", 5).toInt());
  bits->setToolTip(tr("rosinality: the bits per value it was trained on (its train.py default is 5)"));
  form->addRow(tr("&Bits:"), bits);
  auto* hparams = new QLineEdit;
  hparams->setObjectName("hparams");
  hparams->setPlaceholderText(tr("optional: the run's hparams JSON"));
  hparams->setToolTip(tr("y0ast, chaiyujin: checked against the tensors; needed for a model without 1×1 convolutions"));
  auto* browse = new QPushButton(tr("Bro&wse…"));
  auto* hparamsRow = new QHBoxLayout;
  hparamsRow->addWidget(hparams, 1);
  hparamsRow->addWidget(browse);
  form->addRow(tr("&Hparams:"), hparamsRow);
  auto* yClass = new QSpinBox;
  yClass->setObjectName("class");
  yClass->setRange(-1, 9999);
  yClass->setValue(-1);
  yClass->setSpecialValueText(tr("none (not class-conditional)"));
  yClass->setToolTip(tr("y0ast, chaiyujin class-conditional models: the class whose prior the model samples"));
  form->addRow(tr("&Class:"), yClass);
  auto* buttons = new QDialogButtonBox(QDialogButtonBox::Ok | QDialogButtonBox::Cancel);
  form->addRow(buttons);
  connect(buttons, &QDialogButtonBox::accepted, &dialog, &QDialog::accept);
  connect(buttons, &QDialogButtonBox::rejected, &dialog, &QDialog::reject);
  connect(browse, &QPushButton::clicked, &dialog, [&dialog, hparams, checkpoint] {
    const QString file = QFileDialog::getOpenFileName(&dialog, tr("Hparams"), QFileInfo(checkpoint).absolutePath(), tr("JSON (*.json);;All files (*)"));
    if (!file.isEmpty()) hparams->setText(file);
  });
  // Only what the chosen format needs is asked for.
  auto follow = [=] {
    const bool rosinality = format->currentData().toString() == "rosinality";
    imageSize->setEnabled(rosinality);
    bits->setEnabled(rosinality);
    hparams->setEnabled(!rosinality);
    browse->setEnabled(!rosinality);
    yClass->setEnabled(!rosinality);
  };
  connect(format, &QComboBox::currentIndexChanged, &dialog, follow);
  follow();
  if (dialog.exec() != QDialog::Accepted) return;
  glowlab::ImportOptions options;
  options.format = format->currentData().toString().toStdString();
  options.checkpoint = QFileInfo(checkpoint).absoluteFilePath().toStdString();
  settings.setValue("import/format", format->currentData());
  if (options.format == "rosinality") {
    options.image_size = imageSize->value();
    options.n_bits = bits->value();
    settings.setValue("import/imageSize", imageSize->value());
    settings.setValue("import/nBits", bits->value());
  } else {
    options.hparams = hparams->text().trimmed().toStdString();
    options.y_class = yClass->value();
  }
  // The import writes a real .glow, kept beside the checkpoint unless the user says otherwise.
  const QFileInfo info(checkpoint);
  QString output = QFileDialog::getSaveFileName(this, tr("Save Imported Model"), info.dir().filePath(info.completeBaseName() + ".glow"),
                                                tr("Glow models (*.glow)"));
  if (output.isEmpty()) return;
  if (QFileInfo(output).suffix().isEmpty()) output += ".glow";
  settings.setValue("paths/models", QFileInfo(output).absolutePath());
  importCheckpoint(options, output);
}

QString MainWindow::suggestedFileName(const QString& extension) const {
  QString base;
  if (currentSample_ >= 0) base = tr("sample-%1").arg(currentSample_ + 1);
  else if (image_.source == "sample") base = tr("sample");
  else if (QFileInfo(image_.source).isAbsolute()) base = QFileInfo(image_.source).completeBaseName();
  else base = tr("image");
  // The strongest edits name the file: photo-smiling.png, photo-less-smiling-blond-hair.png.
  auto alphas = attributes_->alphas();
  std::stable_sort(alphas.begin(), alphas.end(), [](const auto& a, const auto& b) { return std::abs(a.second) > std::abs(b.second); });
  QStringList words{base};
  for (size_t i = 0; i < alphas.size() && i < 2 && alphas[i].second != 0.0; ++i) {
    QString name = QString::fromStdString(glowlab::display_name(alphas[i].first)).toLower().replace(' ', '-');
    words << (alphas[i].second < 0 ? tr("less-%1").arg(name) : name);
  }
  return words.join('-') + '.' + extension;
}

static QString exportPath(const QString& name) {
  const QString dir = QSettings().value("paths/exports", QDir::homePath()).toString();
  return QDir(dir).filePath(name);
}

bool MainWindow::chooseAndSaveImage() {
  if (!haveImage_) return false;
  const QString path = QFileDialog::getSaveFileName(this, tr("Save Image"), exportPath(suggestedFileName("png")),
                                                    tr("PNG (*.png);;JPEG (*.jpg)"));
  if (path.isEmpty()) return false;
  QSettings().setValue("paths/exports", QFileInfo(path).absolutePath());
  bool ok = false;
  const int scale = QInputDialog::getInt(this, tr("Save Image"), tr("Upscale factor (1 = the model's resolution):"), 1, 1, 8, 1, &ok);
  if (!ok) return false;
  return saveImage(path, scale);
}

void MainWindow::chooseAndExportPasted() {
  if (!exportPastedAction_->isEnabled()) return;
  const QString path = QFileDialog::getSaveFileName(this, tr("Export Edit Into Photo"), exportPath(suggestedFileName("png")),
                                                    tr("PNG (*.png);;JPEG (*.jpg)"));
  if (path.isEmpty()) return;
  QSettings().setValue("paths/exports", QFileInfo(path).absolutePath());
  exportPasted(path);
}

void MainWindow::chooseAndExportAnimation() {
  if (!exportAnimationAction_->isEnabled()) return;
  // Only what can run: the interpolation once a second image is set, and the attributes (by the
  // names the sliders show).
  QStringList choices;
  QStringList names;
  if (haveSecond_) {
    choices << tr("Interpolation to the second image");
    names << QString();
  }
  for (int i = 0; i < attributes_->count(); ++i) {
    choices << tr("Sweep %1").arg(QString::fromStdString(glowlab::display_name(attributes_->attribute(i).name)));
    names << QString::fromStdString(attributes_->attribute(i).name);
  }
  if (choices.isEmpty()) return;
  // What to animate, how many frames, how fast and how large.
  QDialog dialog(this);
  dialog.setWindowTitle(tr("Export Animation"));
  auto* form = new QFormLayout(&dialog);
  auto* animate = new QComboBox;
  animate->setObjectName("animate");
  animate->addItems(choices);
  form->addRow(tr("&Animate:"), animate);
  auto* frames = new QSpinBox;
  frames->setObjectName("frames");
  frames->setRange(2, 240);
  frames->setValue(QSettings().value("export/frames", 24).toInt());
  form->addRow(tr("&Frames:"), frames);
  auto* fps = new QDoubleSpinBox;
  fps->setObjectName("fps");
  fps->setRange(1, 60);
  fps->setDecimals(0);
  fps->setSuffix(tr(" per second"));
  fps->setValue(QSettings().value("export/fps", 12).toDouble());
  form->addRow(tr("&Speed:"), fps);
  auto* size = new QComboBox;
  size->setObjectName("size");
  for (int scale : {1, 2, 4, 8}) size->addItem(tr("%1 × %1 px").arg(model_.imageSize * scale), scale);
  size->setCurrentIndex(std::max(0, size->findData(QSettings().value("export/scale", 4).toInt())));
  form->addRow(tr("Si&ze:"), size);
  auto* buttons = new QDialogButtonBox(QDialogButtonBox::Ok | QDialogButtonBox::Cancel);
  form->addRow(buttons);
  connect(buttons, &QDialogButtonBox::accepted, &dialog, &QDialog::accept);
  connect(buttons, &QDialogButtonBox::rejected, &dialog, &QDialog::reject);
  if (dialog.exec() != QDialog::Accepted) return;
  QSettings().setValue("export/frames", frames->value());
  QSettings().setValue("export/fps", fps->value());
  QSettings().setValue("export/scale", size->currentData().toInt());
  const QString attribute = names.value(animate->currentIndex());
  QString suggestion;
  if (attribute.isEmpty()) {
    suggestion = suggestedFileName("gif").replace(".gif", tr("-blend.gif"));
  } else {
    suggestion = suggestedFileName("gif").section('-', 0, 0) + '-' +
                 QString::fromStdString(glowlab::display_name(attribute.toStdString())).toLower().replace(' ', '-') + tr("-sweep.gif");
  }
  const QString path = QFileDialog::getSaveFileName(this, tr("Export Animation"), exportPath(suggestion),
                                                    tr("GIF (*.gif);;MP4 video (*.mp4)"));
  if (path.isEmpty()) return;
  QSettings().setValue("paths/exports", QFileInfo(path).absolutePath());
  exportAnimation(path, attribute, frames->value(), fps->value(), size->currentData().toInt());
}

void MainWindow::chooseAndSaveRecipe() {
  if (!saveRecipeAction_->isEnabled()) return;
  const QString path = QFileDialog::getSaveFileName(this, tr("Save Recipe"), exportPath(suggestedFileName("json")),
                                                    tr("GlowLab recipes (*.json)"));
  if (!path.isEmpty()) saveRecipe(path);
}

void MainWindow::updateActions() {
  auto set = [](QAction* action, const QString& whyNot) {
    action->setEnabled(whyNot.isEmpty());
    action->setToolTip(whyNot.isEmpty() ? action->text().remove('&').remove(QStringLiteral("…")) : whyNot);
  };
  const bool sample = haveImage_ && (currentSample_ >= 0 || image_.source == "sample" || image_.original.isNull());
  const QString noImage = tr("Open a photo (or make a sample the current image) first");
  set(saveImageAction_, haveImage_ ? QString() : noImage);
  set(exportPastedAction_, !haveImage_ ? tr("Open a photo first: an edit is pasted back into the photo it came from")
                           : sample    ? tr("The current image is a sample: there is no photo to paste it into")
                                       : QString());
  set(exportAnimationAction_, !haveImage_ ? noImage
                              : (!haveSecond_ && attributes_->count() == 0)
                                  ? tr("This model has no attributes to sweep: set a second image in the Interpolation panel first")
                                  : QString());
  const bool fileBacked = QFileInfo(image_.source).isAbsolute() && QFileInfo::exists(image_.source);
  set(saveRecipeAction_, !haveImage_                           ? noImage
                         : (currentSample_ < 0 && !fileBacked) ? tr("A recipe needs a photo file: save the pasted image first and open it")
                                                               : QString());
}

bool MainWindow::confirmDiscard(const QString& what) {
  QSettings settings;
  if (!settings.value("confirm/unexportedEdits", true).toBool()) return true;
  QMessageBox box(QMessageBox::Warning, tr("GlowLab"),
                  tr("%1 without saving the edit of %2?").arg(what, windowTitle().section(QStringLiteral(" — "), 0, 0).remove(QStringLiteral("[*]"))),
                  QMessageBox::Cancel, this);
  box.setInformativeText(tr("Its sliders have changed since it was last saved or exported."));
  QPushButton* save = box.addButton(tr("&Save Image…"), QMessageBox::AcceptRole);
  QPushButton* discard = box.addButton(tr("%1 &Without Saving").arg(what), QMessageBox::DestructiveRole);
  box.setDefaultButton(QMessageBox::Cancel);
  auto* dontAsk = new QCheckBox(tr("Don't ask again"));
  box.setCheckBox(dontAsk);
  box.exec();
  bool go = false;
  if (box.clickedButton() == discard) go = true;
  else if (box.clickedButton() == save) go = chooseAndSaveImage();
  if (go && dontAsk->isChecked()) settings.setValue("confirm/unexportedEdits", false);
  return go;
}

void MainWindow::chooseAndOpenRecipe() {
  // A recipe replaces the image, the sliders and the undo history.
  if (hasUnexportedEdits() && !confirmDiscard(tr("Open a recipe"))) return;
  const QString path = QFileDialog::getOpenFileName(this, tr("Open Recipe"), QSettings().value("paths/exports").toString(),
                                                    tr("GlowLab recipes (*.json)"));
  if (!path.isEmpty()) openRecipe(path);
}

void MainWindow::pasteImage() {
  const QMimeData* mime = QApplication::clipboard()->mimeData();
  if (mime && mime->hasImage()) {
    openImage(qvariant_cast<QImage>(mime->imageData()), tr("clipboard"));
  } else if (mime && mime->hasUrls() && mime->urls().first().isLocalFile()) {
    openPhoto(mime->urls().first().toLocalFile());
  } else {
    showError(tr("The clipboard holds no image."));
  }
}

void MainWindow::showModelInfo() {
  // The model's card, readable: what it makes, how it is built, its sliders and where it came from.
  auto* dialog = new QDialog(this);
  dialog->setAttribute(Qt::WA_DeleteOnClose);
  dialog->setWindowTitle(tr("Model Info"));
  auto* layout = new QVBoxLayout(dialog);
  auto* text = new QTextBrowser;
  text->setObjectName("card");
  text->setOpenExternalLinks(false);
  text->setHtml(model_.card.isEmpty() ? tr("No model is loaded.") : model_.card);
  layout->addWidget(text);
  auto* buttons = new QDialogButtonBox(QDialogButtonBox::Close);
  connect(buttons, &QDialogButtonBox::rejected, dialog, &QDialog::close);
  layout->addWidget(buttons);
  dialog->resize(560, 520);
  dialog->open();
}

void MainWindow::showPreferences() {
  QDialog dialog(this);
  dialog.setWindowTitle(tr("Preferences"));
  auto* form = new QFormLayout(&dialog);
  auto* device = new QComboBox;
  device->addItem(tr("Automatic (CUDA if available)"), "auto");
  device->addItem(tr("CPU"), "cpu");
  device->addItem(glowlab::cuda_available() ? tr("CUDA GPU") : tr("CUDA GPU (not available: falls back to CPU)"), "cuda");
  device->setCurrentIndex(std::max(0, device->findData(QSettings().value("engine/device", "auto"))));
  device->setObjectName("device");
  form->addRow(tr("&Device:"), device);
  auto* buttons = new QDialogButtonBox(QDialogButtonBox::Ok | QDialogButtonBox::Cancel);
  form->addRow(buttons);
  connect(buttons, &QDialogButtonBox::accepted, &dialog, &QDialog::accept);
  connect(buttons, &QDialogButtonBox::rejected, &dialog, &QDialog::reject);
  const QString before = QSettings().value("engine/device", "auto").toString();
  if (dialog.exec() != QDialog::Accepted) return;
  const QString chosen = device->currentData().toString();
  if (chosen == before) return;  // nothing changed: nothing happens
  QSettings().setValue("engine/device", chosen);
  if (model_.path.isEmpty()) return;
  // Another device is another model load (the image kept, one undo step); a choice that lands on
  // the device in use (CUDA without a GPU, auto on a CPU machine) changes nothing now.
  if (QString::fromStdString(glowlab::resolve_device(chosen.toStdString(), /*fallback_to_cpu=*/true)) == model_.device) {
    model_.requestedDevice = chosen;
    lastNotice_ = tr("Device: %1 (as before)").arg(model_.device.toUpper());
    statusBar()->showMessage(lastNotice_, 5000);
    return;
  }
  loadModel(model_.path, chosen);
}
