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
#include "autosave.h"
#include "image_view.h"
#include "interpolation_panel.h"
#include "main_window.h"
#include "qt_image.h"
#include "sample_panel.h"

namespace {
constexpr int kMaxRecent = 8;
}  // namespace

void MainWindow::buildMenus() {
  auto* file = menuBar()->addMenu(tr("&File"));
  file->setToolTipsVisible(true);  // a disabled action says why
  file->addAction(tr("&Open Photo…"), QKeySequence::Open, this, &MainWindow::chooseAndOpenPhoto);
  recentMenu_ = file->addMenu(tr("Open &Recent"));
  recentMenu_->setObjectName("recent");
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
  applyToVideoAction_ = file->addAction(tr("Apply Edit to &Video…"), this, &MainWindow::chooseAndApplyToVideo);
  applyToVideoAction_->setObjectName("applyToVideo");
  file->addSeparator();
  file->addAction(tr("&Quit"), QKeySequence::Quit, this, &QWidget::close);

  auto* edit = menuBar()->addMenu(tr("&Edit"));
  auto* undo = undoStack()->createUndoAction(this, tr("&Undo"));
  undo->setObjectName("undo");
  undo->setShortcuts(QKeySequence::Undo);
  auto* redo = undoStack()->createRedoAction(this, tr("&Redo"));
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
  edit->addAction(tr("Reset &All Sliders"), doc_, &EditDocument::resetAll);
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
    faceDock_->setVisible(doc_->hasImage() && (image_.original.isNull() ? faces : image_.faceBoxes.size() > 1));
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
    notice(tr("%1 is already open (unchanged): nothing to do").arg(model_.name), 5000);
    return;
  }
  worker_->loadModel(absolute, device);
}

void MainWindow::openPhoto(const QString& path) {
  requestedSample_ = -1;
  // By its absolute path: Open Recent and recipes find it from any folder. It joins Open Recent
  // once it has opened.
  const QString absolute = QFileInfo(path).absoluteFilePath();
  worker_->openPhoto(absolute);
  QSettings().setValue("paths/photos", QFileInfo(absolute).absolutePath());
}

void MainWindow::openImage(const QImage& image, ImageOrigin origin) {
  if (image.isNull()) {
    showError(tr("The %1 data is not an image.").arg(origin == ImageOrigin::Dropped ? tr("dropped") : tr("clipboard")));
    return;
  }
  requestedSample_ = -1;
  worker_->openImage(image, origin);
}

void MainWindow::setSampleSettings(double temperature, quint64 seed, int count) { samplePanel_->setSettings({temperature, seed, count}); }

void MainWindow::sample() {
  const SampleSettings s = samplePanel_->settings();
  samplePanel_->setDrawn(s);
  worker_->sample(s.count, s.temperature, s.seed);
}

void MainWindow::useSample(int index) {
  requestedSample_ = index;
  worker_->useSample(index);
}

void MainWindow::setSecondPhoto(const QString& path) {
  requestedSecond_ = SecondRef{QFileInfo(path).absoluteFilePath(), -1};
  worker_->setSecondPhoto(requestedSecond_.source);
}

void MainWindow::chooseFace(int index) {
  if (!doc_->hasImage() || index < 0 || index >= image_.faceBoxes.size() || index == image_.faceIndex) return;
  requestedSample_ = -1;
  worker_->chooseFace(index);
}

bool MainWindow::saveImage(const QString& path, int scale) {
  if (!doc_->hasImage()) {
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

void MainWindow::exportPasted(const QString& path) { worker_->exportPasted(path, doc_->editState()); }

void MainWindow::exportAnimation(const QString& path, const QString& attribute, int frames, double fps, int scale) {
  if (attribute.isEmpty() && !haveSecond_) {
    showError(tr("Pick a second image in the Interpolation panel first, or choose an attribute to sweep."));
    return;
  }
  worker_->exportAnimation(path, doc_->editState(), attribute, frames, fps, scale);
}

bool MainWindow::saveRecipe(const QString& path) {
  if (!doc_->hasImage()) {
    showError(tr("There is no edit to save yet."));
    return false;
  }
  // The checksums are those of the files as the engine thread read them (never hashed here).
  const ImageRef& image = doc_->state().image;
  if (image.sample < 0 && (image.origin != ImageOrigin::File || !QFileInfo::exists(image.source))) {
    showError(tr("A recipe needs a photo file: save the pasted image first and open it."));
    return false;
  }
  const glowlab::Recipe r = doc_->recipe();
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
  glowlab::AppliedRecipe applied;
  try {
    r = glowlab::load_recipe(path.toStdString());
    applied = glowlab::apply_recipe(r, path.toStdString());
  } catch (const std::exception& e) {
    showError(QString::fromUtf8(e.what()));
    return false;
  }
  // The model, then the image, then the sliders, in order once the model is ready.
  withModel(QString::fromStdString(applied.model), QSettings().value("engine/device", "auto").toString(),
            [this, r, applied] { applyRecipe(r, applied); });
  return true;
}

void MainWindow::withModel(const QString& path, const QString& device, std::function<void()> then) {
  if (path.isEmpty() || (QFileInfo(path).absoluteFilePath() == QFileInfo(model_.path).absoluteFilePath() && device == model_.requestedDevice)) {
    then();
    return;
  }
  // One shot: run when this model is ready, dropped if it fails to load (never armed for a later,
  // unrelated model load).
  auto conns = std::make_shared<std::pair<QMetaObject::Connection, QMetaObject::Connection>>();
  auto disarm = [conns] {
    QObject::disconnect(conns->first);
    QObject::disconnect(conns->second);
  };
  conns->first = connect(this, &MainWindow::modelReady, this, [then, disarm] {
    disarm();
    then();
  });
  conns->second = connect(worker_, &EngineWorker::failed, this, [disarm](const QString&) { disarm(); });
  loadModel(path, device);
}

void MainWindow::applyRecipe(const glowlab::Recipe& r, const glowlab::AppliedRecipe& applied, const RecipeExtras& extras) {
  // The checksums are compared on the engine thread; recipeChecked brings the warnings. (A pasted
  // photo kept by the autosave has none to compare.)
  if (extras.origin == ImageOrigin::File) worker_->checkRecipe(r, applied);
  // The sliders, holds, detail and blend come with the image (no history before them).
  Pending pending;
  pending.sliders.values = applied.edit.alphas;
  pending.sliders.locked = applied.edit.locked;
  pending.sliders.finestLevel = applied.edit.finest_level;
  pending.blend = extras.blend;
  pending.spherical = extras.spherical;
  pending_ = pending;
  // The samples: the recipe's draw (its image is one of them), or those that were on show.
  const bool drawn = r.is_sample() || extras.samplesCount > 0;
  if (drawn) {
    const SampleSettings settings = r.is_sample() ? SampleSettings{r.sample_temperature, r.sample_seed, r.sample_count}
                                                  : SampleSettings{extras.samplesTemperature, extras.samplesSeed, extras.samplesCount};
    samplePanel_->setDrawn(settings);
    samplePanel_->setSettings(settings);
    worker_->sample(settings.count, settings.temperature, settings.seed);
  }
  if (r.is_sample()) {
    useSample(r.sample_index);
  } else if (extras.origin == ImageOrigin::File) {
    requestedSample_ = -1;
    worker_->openPhotoWithTransform(QString::fromStdString(r.source), r.transform, std::max(0, r.face - 1));
  } else {
    // The kept pixels of a pasted or dropped photo, framed as they were.
    requestedSample_ = -1;
    worker_->openImageWithTransform(QImage(QString::fromStdString(r.source)), extras.origin, r.transform, std::max(0, r.face - 1));
  }
  if (!extras.second.source.isEmpty()) {
    setSecondPhoto(extras.second.source);
  } else if (extras.second.sample >= 0 && drawn) {
    requestedSecond_ = extras.second;
    worker_->useSample(extras.second.sample, /*asSecond=*/true);
  }
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

void MainWindow::importCheckpoint(const glowlab::ImportOptions& options, const QString& output) {
  if (!importing_.isEmpty()) {
    notice(tr("%1 is still being imported: wait for it to finish").arg(QFileInfo(importing_).fileName()), 5000);
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

QString MainWindow::suggestedFileName(const QString& extension) const {
  QString base;
  const int sampleIndex = doc_->state().image.sample;
  if (sampleIndex >= 0) base = tr("sample-%1").arg(sampleIndex + 1);
  else if (image_.origin == ImageOrigin::Sample) base = tr("sample");
  else if (image_.origin == ImageOrigin::File) base = QFileInfo(image_.source).completeBaseName();
  else base = tr("image");
  // The strongest edits name the file: photo-smiling.png, photo-less-smiling-blond-hair.png.
  auto alphas = doc_->state().sliders.values;
  std::stable_sort(alphas.begin(), alphas.end(), [](const auto& a, const auto& b) { return std::abs(a.second) > std::abs(b.second); });
  QStringList words{base};
  for (size_t i = 0; i < alphas.size() && i < 2 && alphas[i].second != 0.0; ++i) {
    QString name = QString::fromStdString(glowlab::display_name(alphas[i].first)).toLower().replace(' ', '-').remove('\'');
    words << (alphas[i].second < 0 ? tr("less-%1").arg(name) : name);
  }
  // A blend on show is part of what is saved or exported, and of its name (issue 29, 8).
  if (haveSecond_ && doc_->state().blend > 0) words << tr("blend-%1").arg(doc_->state().blend);
  return words.join('-') + '.' + extension;
}

void MainWindow::updateActions() {
  auto set = [](QAction* action, const QString& whyNot) {
    action->setEnabled(whyNot.isEmpty());
    action->setToolTip(whyNot.isEmpty() ? action->text().remove('&').remove(QStringLiteral("…")) : whyNot);
  };
  const bool haveImage = doc_->hasImage();
  const int sampleIndex = doc_->state().image.sample;
  const bool sample = haveImage && (sampleIndex >= 0 || image_.origin == ImageOrigin::Sample || image_.original.isNull());
  const QString noImage = tr("Open a photo (or make a sample the current image) first");
  set(saveImageAction_, haveImage ? QString() : noImage);
  set(exportPastedAction_, !haveImage ? tr("Open a photo first: an edit is pasted back into the photo it came from")
                           : sample    ? tr("The current image is a sample: there is no photo to paste it into")
                                       : QString());
  set(exportAnimationAction_, !haveImage ? noImage
                              : (!haveSecond_ && attributes_->count() == 0)
                                  ? tr("This model has no attributes to sweep: set a second image in the Interpolation panel first")
                                  : QString());
  const auto sliders = doc_->editState().alphas;
  const bool moved = std::any_of(sliders.begin(), sliders.end(), [](const auto& a) { return a.second != 0.0; });
  set(applyToVideoAction_, model_.path.isEmpty() ? tr("Open a model first")
                           : videoRunning_       ? tr("A video is being edited: wait for it, or cancel it in the status bar")
                           : !moved              ? tr("Move a slider first: the video gets the edit the sliders make")
                                                 : QString());
  const bool fileBacked = image_.origin == ImageOrigin::File && QFileInfo::exists(image_.source);
  set(saveRecipeAction_, !haveImage                           ? noImage
                         : (sampleIndex < 0 && !fileBacked) ? tr("A recipe needs a photo file: save the pasted image first and open it")
                                                               : QString());
}

void MainWindow::pasteImage() {
  const QMimeData* mime = QApplication::clipboard()->mimeData();
  if (mime && mime->hasImage()) {
    openImage(qvariant_cast<QImage>(mime->imageData()), ImageOrigin::Clipboard);
  } else if (mime && mime->hasUrls() && mime->urls().first().isLocalFile()) {
    openPhoto(mime->urls().first().toLocalFile());
  } else {
    showError(tr("The clipboard holds no image."));
  }
}
