// MainWindow's menus and actions: open, paste, save, export, recipes, model info, preferences.
#include <QAction>
#include <QApplication>
#include <QClipboard>
#include <QComboBox>
#include <QDialog>
#include <QDialogButtonBox>
#include <QDoubleSpinBox>
#include <QFileDialog>
#include <QFileInfo>
#include <QFormLayout>
#include <QInputDialog>
#include <QMenuBar>
#include <QMessageBox>
#include <QMimeData>
#include <QSettings>
#include <QSlider>
#include <QSpinBox>
#include <QStatusBar>

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
  file->addAction(tr("&Open Photo…"), QKeySequence::Open, this, &MainWindow::chooseAndOpenPhoto);
  recentMenu_ = file->addMenu(tr("Open &Recent"));
  file->addAction(tr("&Paste Photo"), QKeySequence::Paste, this, &MainWindow::pasteImage);
  file->addAction(tr("Open Re&cipe…"), this, &MainWindow::chooseAndOpenRecipe);
  file->addSeparator();
  file->addAction(tr("&Save Image…"), QKeySequence::Save, this, &MainWindow::chooseAndSaveImage);
  file->addAction(tr("Export Edit Into &Photo…"), this, &MainWindow::chooseAndExportPasted);
  file->addAction(tr("Export &Animation…"), this, &MainWindow::chooseAndExportAnimation);
  file->addAction(tr("Save Recip&e…"), this, &MainWindow::chooseAndSaveRecipe);
  file->addSeparator();
  file->addAction(tr("&Quit"), QKeySequence::Quit, this, &QWidget::close);

  auto* edit = menuBar()->addMenu(tr("&Edit"));
  auto* undo = undo_->createUndoAction(this, tr("&Undo"));
  undo->setShortcut(QKeySequence::Undo);
  auto* redo = undo_->createRedoAction(this, tr("&Redo"));
  redo->setShortcuts({QKeySequence(Qt::CTRL | Qt::SHIFT | Qt::Key_Z), QKeySequence::Redo});
  edit->addAction(undo);
  edit->addAction(redo);
  edit->addAction(tr("Reset &All Sliders"), this, [this] { Q_EMIT attributes_->resetAllRequested(); });
  edit->addSeparator();
  edit->addAction(tr("&Preferences…"), QKeySequence::Preferences, this, &MainWindow::showPreferences);

  auto* view = menuBar()->addMenu(tr("&View"));
  auto* split = view->addAction(tr("&Before/After Split"));
  split->setCheckable(true);
  split->setChecked(view_->mode() == ImageView::Mode::Split);
  connect(split, &QAction::toggled, this,
          [this](bool on) { view_->setMode(on ? ImageView::Mode::Split : ImageView::Mode::SideBySide); });

  auto* model = menuBar()->addMenu(tr("&Model"));
  model->addAction(tr("&Open Model…"), this, &MainWindow::chooseAndOpenModel);
  model->addAction(tr("Model &Info"), this, &MainWindow::showModelInfo);
}

void MainWindow::openModel(const QString& path) {
  worker_->loadModel(path, QSettings().value("engine/device", "auto").toString());
}

void MainWindow::openPhoto(const QString& path) {
  currentSample_ = -1;
  worker_->openPhoto(path);
  addRecent(path);
  QSettings().setValue("paths/photos", QFileInfo(path).absolutePath());
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
  return true;
}

void MainWindow::exportPasted(const QString& path) { worker_->exportPasted(path, editState()); }

void MainWindow::exportAnimation(const QString& path, const QString& attribute, int frames, double fps) {
  if (attribute.isEmpty() && !haveSecond_) {
    showError(tr("Pick a second image in the Interpolation panel first, or choose an attribute to sweep."));
    return;
  }
  worker_->exportAnimation(path, editState(), attribute, frames, fps);
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
  QStringList recent = settings.value("paths/recent").toStringList();
  recent.removeAll(path);
  recent.prepend(path);
  while (recent.size() > kMaxRecent) recent.removeLast();
  settings.setValue("paths/recent", recent);
  updateRecentMenu();
}

void MainWindow::updateRecentMenu() {
  recentMenu_->clear();
  const QStringList recent = QSettings().value("paths/recent").toStringList();
  for (const QString& path : recent) recentMenu_->addAction(QFileInfo(path).fileName(), this, [this, path] { openPhoto(path); });
  recentMenu_->setEnabled(!recent.isEmpty());
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

void MainWindow::chooseAndSaveImage() {
  const QString path = QFileDialog::getSaveFileName(this, tr("Save Image"), QSettings().value("paths/exports").toString(),
                                                    tr("PNG (*.png);;JPEG (*.jpg)"));
  if (path.isEmpty()) return;
  QSettings().setValue("paths/exports", QFileInfo(path).absolutePath());
  const int scale = QInputDialog::getInt(this, tr("Save Image"), tr("Upscale factor (1 = the model's resolution):"), 1, 1, 8);
  saveImage(path, scale);
}

void MainWindow::chooseAndExportPasted() {
  const QString path = QFileDialog::getSaveFileName(this, tr("Export Edit Into Photo"), QSettings().value("paths/exports").toString(),
                                                    tr("PNG (*.png);;JPEG (*.jpg)"));
  if (!path.isEmpty()) exportPasted(path);
}

void MainWindow::chooseAndExportAnimation() {
  QStringList choices{tr("Interpolation to the second image")};
  for (int i = 0; i < attributes_->count(); ++i) choices << QString::fromStdString(attributes_->attribute(i).name);
  bool ok = false;
  const QString what = QInputDialog::getItem(this, tr("Export Animation"), tr("Animate:"), choices, 0, false, &ok);
  if (!ok) return;
  const QString path = QFileDialog::getSaveFileName(this, tr("Export Animation"), QSettings().value("paths/exports").toString(),
                                                    tr("GIF (*.gif);;MP4 video (*.mp4)"));
  if (!path.isEmpty()) exportAnimation(path, what == choices.first() ? QString() : what);
}

void MainWindow::chooseAndSaveRecipe() {
  const QString path = QFileDialog::getSaveFileName(this, tr("Save Recipe"), QSettings().value("paths/exports").toString(),
                                                    tr("GlowLab recipes (*.json)"));
  if (!path.isEmpty()) saveRecipe(path);
}

void MainWindow::chooseAndOpenRecipe() {
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
  auto* box = new QMessageBox(QMessageBox::Information, tr("Model Info"), model_.card.isEmpty() ? tr("No model is loaded.") : model_.card,
                              QMessageBox::Ok, this);
  box->setAttribute(Qt::WA_DeleteOnClose);
  box->open();
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
  form->addRow(tr("&Device:"), device);
  auto* buttons = new QDialogButtonBox(QDialogButtonBox::Ok | QDialogButtonBox::Cancel);
  form->addRow(buttons);
  connect(buttons, &QDialogButtonBox::accepted, &dialog, &QDialog::accept);
  connect(buttons, &QDialogButtonBox::rejected, &dialog, &QDialog::reject);
  if (dialog.exec() != QDialog::Accepted) return;
  QSettings().setValue("engine/device", device->currentData());
  if (!model_.path.isEmpty()) openModel(model_.path);
}
