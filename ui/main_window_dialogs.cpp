// MainWindow's dialogs and drops: file choosers, the import, export and preferences dialogs, the
// question before unsaved edits are lost, Model Info. Each gathers choices and calls an action.
#include <QCheckBox>
#include <QCloseEvent>
#include <QComboBox>
#include <QCoreApplication>
#include <QDialog>
#include <QDialogButtonBox>
#include <QDir>
#include <QDoubleSpinBox>
#include <QEventLoop>
#include <QFileDialog>
#include <QFileInfo>
#include <QFormLayout>
#include <QHBoxLayout>
#include <QInputDialog>
#include <QLabel>
#include <QLineEdit>
#include <QMessageBox>
#include <QMimeData>
#include <QProgressBar>
#include <QPushButton>
#include <QSettings>
#include <QSpinBox>
#include <QStatusBar>
#include <QTextBrowser>
#include <QVBoxLayout>

#include <algorithm>

#include "autosave.h"
#include "image_view.h"
#include "main_window.h"

namespace {
const char* kImageFilter = "Images (*.png *.jpg *.jpeg *.webp *.bmp *.ppm *.pgm)";
}  // namespace

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

namespace {

// Model > Import Checkpoint's form: the format, and what the checkpoint cannot say; only what the
// chosen format needs is enabled. Its words are the window's (translated in its context).
class ImportForm {
  Q_DECLARE_TR_FUNCTIONS(MainWindow)

 public:
  ImportForm(QDialog& dialog, const QString& checkpoint) {
    QSettings settings;
    dialog.setObjectName("importDialog");
    dialog.setWindowTitle(tr("Import %1").arg(QFileInfo(checkpoint).fileName()));
    auto* form = new QFormLayout(&dialog);
    format_ = new QComboBox;
    format_->setObjectName("format");
    format_->addItem(tr("rosinality/glow-pytorch"), "rosinality");
    format_->addItem(tr("y0ast/Glow-PyTorch"), "y0ast");
    format_->addItem(tr("chaiyujin/glow-pytorch"), "chaiyujin");
    format_->setCurrentIndex(std::max(0, format_->findData(settings.value("import/format", "rosinality"))));
    form->addRow(tr("&Written by:"), format_);
    imageSize_ = spin("imageSize", 2, 1024, settings.value("import/imageSize", 64).toInt(),
                      tr("rosinality: its checkpoints do not store the image size (its train.py default is 64)"));
    imageSize_->setSuffix(tr(" px"));
    form->addRow(tr("&Image size:"), imageSize_);
    bits_ = spin("nBits", 1, 8, settings.value("import/nBits", 5).toInt(),
                 tr("rosinality: the bits per value it was trained on (its train.py default is 5)"));
    form->addRow(tr("&Bits:"), bits_);
    hparams_ = new QLineEdit;
    hparams_->setObjectName("hparams");
    hparams_->setPlaceholderText(tr("optional: the run's hparams JSON"));
    // Wide enough for its placeholder, which is never cut.
    const QMargins margins = hparams_->textMargins() + hparams_->contentsMargins();
    hparams_->setMinimumWidth(hparams_->fontMetrics().horizontalAdvance(hparams_->placeholderText()) + margins.left() + margins.right() + 16);
    hparams_->setToolTip(tr("y0ast, chaiyujin: checked against the tensors; needed for a model without 1×1 convolutions"));
    browse_ = new QPushButton(tr("Bro&wse…"));
    auto* hparamsRow = new QHBoxLayout;
    hparamsRow->addWidget(hparams_, 1);
    hparamsRow->addWidget(browse_);
    // A row that is a layout gets no buddy from addRow (its "&" would show): its label is made here.
    auto* hparamsLabel = new QLabel(tr("&Hparams:"));
    hparamsLabel->setObjectName("hparamsLabel");
    hparamsLabel->setBuddy(hparams_);
    form->addRow(hparamsLabel, hparamsRow);
    yClass_ = spin("class", -1, 9999, -1, tr("y0ast, chaiyujin class-conditional models: the class whose prior the model samples"));
    yClass_->setSpecialValueText(tr("none (not class-conditional)"));
    form->addRow(tr("&Class:"), yClass_);
    auto* buttons = new QDialogButtonBox(QDialogButtonBox::Ok | QDialogButtonBox::Cancel);
    form->addRow(buttons);
    QObject::connect(buttons, &QDialogButtonBox::accepted, &dialog, &QDialog::accept);
    QObject::connect(buttons, &QDialogButtonBox::rejected, &dialog, &QDialog::reject);
    QLineEdit* hparams = hparams_;
    QObject::connect(browse_, &QPushButton::clicked, &dialog, [&dialog, hparams, checkpoint] {
      const QString file = QFileDialog::getOpenFileName(&dialog, tr("Hparams"), QFileInfo(checkpoint).absolutePath(), tr("JSON (*.json);;All files (*)"));
      if (!file.isEmpty()) hparams->setText(file);
    });
    QObject::connect(format_, &QComboBox::currentIndexChanged, &dialog, [this] { follow(); });
    follow();
  }

  // The options chosen (remembered for next time).
  glowlab::ImportOptions options(const QString& checkpoint) const {
    QSettings settings;
    glowlab::ImportOptions options;
    options.format = format_->currentData().toString().toStdString();
    options.checkpoint = QFileInfo(checkpoint).absoluteFilePath().toStdString();
    settings.setValue("import/format", format_->currentData());
    if (options.format == "rosinality") {
      options.image_size = imageSize_->value();
      options.n_bits = bits_->value();
      settings.setValue("import/imageSize", imageSize_->value());
      settings.setValue("import/nBits", bits_->value());
    } else {
      options.hparams = hparams_->text().trimmed().toStdString();
      options.y_class = yClass_->value();
    }
    return options;
  }

 private:
  static QSpinBox* spin(const char* name, int min, int max, int value, const QString& tip) {
    auto* box = new QSpinBox;
    box->setObjectName(name);
    box->setRange(min, max);
    box->setValue(value);
    box->setToolTip(tip);
    return box;
  }

  void follow() {
    const bool rosinality = format_->currentData().toString() == "rosinality";
    imageSize_->setEnabled(rosinality);
    bits_->setEnabled(rosinality);
    hparams_->setEnabled(!rosinality);
    browse_->setEnabled(!rosinality);
    yClass_->setEnabled(!rosinality);
  }

  QComboBox* format_ = nullptr;
  QSpinBox* imageSize_ = nullptr;
  QSpinBox* bits_ = nullptr;
  QSpinBox* yClass_ = nullptr;
  QLineEdit* hparams_ = nullptr;
  QPushButton* browse_ = nullptr;
};

}  // namespace

void MainWindow::chooseAndImportCheckpoint() {
  QSettings settings;
  const QString checkpoint = QFileDialog::getOpenFileName(this, tr("Import Checkpoint"), settings.value("paths/checkpoints").toString(),
                                                          tr("PyTorch checkpoints (*.pt *.pth *.pkg *.ckpt *.tar);;All files (*)"));
  if (checkpoint.isEmpty()) return;
  settings.setValue("paths/checkpoints", QFileInfo(checkpoint).absolutePath());
  // The file first: nothing more is asked about a file that cannot be imported (issue 29, 10).
  try {
    glowlab::check_checkpoint(checkpoint.toStdString());
  } catch (const std::exception& e) {
    showError(QString::fromUtf8(e.what()));
    return;
  }
  QDialog dialog(this);
  const ImportForm form(dialog, checkpoint);
  if (dialog.exec() != QDialog::Accepted) return;
  const glowlab::ImportOptions options = form.options(checkpoint);
  // The import writes a real .glow, kept beside the checkpoint unless the user says otherwise.
  const QFileInfo info(checkpoint);
  QString output = QFileDialog::getSaveFileName(this, tr("Save Imported Model"), info.dir().filePath(info.completeBaseName() + ".glow"),
                                                tr("Glow models (*.glow)"));
  if (output.isEmpty()) return;
  if (QFileInfo(output).suffix().isEmpty()) output += ".glow";
  settings.setValue("paths/models", QFileInfo(output).absolutePath());
  importCheckpoint(options, output);
}

static QString exportPath(const QString& name) {
  const QString dir = QSettings().value("paths/exports", QDir::homePath()).toString();
  return QDir(dir).filePath(name);
}

bool MainWindow::chooseAndSaveImage() {
  if (!doc_->hasImage()) return false;
  const QString path = QFileDialog::getSaveFileName(this, tr("Save Image"), exportPath(suggestedFileName("png")),
                                                    tr("PNG (*.png);;JPEG (*.jpg)"));
  if (path.isEmpty()) return false;
  QSettings().setValue("paths/exports", QFileInfo(path).absolutePath());
  bool ok = false;
  const int scale = QInputDialog::getInt(this, tr("Save Image"), tr("Upscale factor (1 = the model's resolution):"), 1, 1, 8, 1, &ok);
  if (!ok) return false;
  return saveImage(path, scale);
}

QString MainWindow::choosePastedPath() {
  if (!exportPastedAction_->isEnabled()) return {};
  const QString path = QFileDialog::getSaveFileName(this, tr("Export Edit Into Photo"), exportPath(suggestedFileName("png")),
                                                    tr("PNG (*.png);;JPEG (*.jpg)"));
  if (!path.isEmpty()) QSettings().setValue("paths/exports", QFileInfo(path).absolutePath());
  return path;
}

void MainWindow::chooseAndExportPasted() {
  const QString path = choosePastedPath();
  if (!path.isEmpty()) exportPasted(path);
}

bool MainWindow::chooseAndExportPastedNow() {
  const QString path = choosePastedPath();
  if (path.isEmpty()) return false;
  // The export runs on the engine thread; the prompt waits for its answer (as a dialog would).
  QEventLoop loop;
  bool written = false;
  const auto done = connect(this, &MainWindow::exported, &loop, [&](const QString& p) {
    written = p == path;
    loop.quit();
  });
  const auto failed = connect(this, &MainWindow::errorShown, &loop, [&] { loop.quit(); });
  exportPasted(path);
  loop.exec();
  disconnect(done);
  disconnect(failed);
  return written;
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
  // What to animate, how many frames, how fast and how large. It starts at the slider edited last
  // (since the last animation), else at the last choice, remembered (issue 29, 11).
  QDialog dialog(this);
  dialog.setWindowTitle(tr("Export Animation"));
  auto* form = new QFormLayout(&dialog);
  auto* animate = new QComboBox;
  animate->setObjectName("animate");
  animate->addItems(choices);
  const QString remembered = QSettings().value("export/animate").toString();
  const QString preferred = !lastEditedAttribute_.isEmpty() && names.contains(lastEditedAttribute_) ? lastEditedAttribute_ : remembered;
  if (names.contains(preferred) && (!preferred.isEmpty() || haveSecond_)) animate->setCurrentIndex(static_cast<int>(names.indexOf(preferred)));
  form->addRow(tr("&Animate:"), animate);
  // What the frames run through: the slider's whole range, or from this image to the second.
  auto* range = new QLabel;
  range->setObjectName("sweepRange");
  auto showRange = [this, range, names](int index) {
    const QString name = names.value(index);
    const int row = attributes_->indexOf(name.toStdString());
    if (name.isEmpty() || row < 0) {
      range->setText(tr("From this image to the second"));
      return;
    }
    const auto& a = attributes_->attribute(row);
    range->setText(tr("From %1 to %2 (the slider's whole range), the other sliders as they are")
                       .arg(QString::fromStdString(glowlab::slider_text(a, a.range_min)),
                            QString::fromStdString(glowlab::slider_text(a, a.range_max))));
  };
  showRange(animate->currentIndex());
  connect(animate, &QComboBox::currentIndexChanged, range, showRange);
  form->addRow(tr("Range:"), range);
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
  QSettings().setValue("export/animate", names.value(animate->currentIndex()));
  lastEditedAttribute_.clear();
  QSettings().setValue("export/frames", frames->value());
  QSettings().setValue("export/fps", fps->value());
  QSettings().setValue("export/scale", size->currentData().toInt());
  const QString attribute = names.value(animate->currentIndex());
  QString suggestion;
  if (attribute.isEmpty()) {
    suggestion = suggestedFileName("gif").replace(".gif", tr("-blend.gif"));
  } else {
    suggestion = suggestedFileName("gif").section('-', 0, 0) + '-' +
                 QString::fromStdString(glowlab::display_name(attribute.toStdString())).toLower().replace(' ', '-').remove('\'') + tr("-sweep.gif");
  }
  const QString path = QFileDialog::getSaveFileName(this, tr("Export Animation"), exportPath(suggestion),
                                                    tr("GIF (*.gif);;MP4 video (*.mp4)"));
  if (path.isEmpty()) return;
  QSettings().setValue("paths/exports", QFileInfo(path).absolutePath());
  exportAnimation(path, attribute, frames->value(), fps->value(), size->currentData().toInt());
}

bool MainWindow::chooseAndSaveRecipe() {
  if (!saveRecipeAction_->isEnabled()) return false;
  const QString path = QFileDialog::getSaveFileName(this, tr("Save Recipe"), exportPath(suggestedFileName("json")),
                                                    tr("GlowLab recipes (*.json)"));
  return !path.isEmpty() && saveRecipe(path);
}

bool MainWindow::confirmDiscard(const QString& question, const QString& discardText) {
  QSettings settings;
  if (!settings.value("confirm/unexportedEdits", true).toBool()) return true;
  QMessageBox box(QMessageBox::Warning, tr("GlowLab"),
                  tr("%1 without saving the edit of %2?").arg(question, windowTitle().section(QStringLiteral(" — "), 0, 0).remove(QStringLiteral("[*]"))),
                  QMessageBox::Cancel, this);
  box.setInformativeText(tr("Its sliders have changed since it was last saved or exported."));
  // What a person would keep (issue 29, 7): the edit in the photo, the recipe, the edited face.
  QPushButton* pasted = exportPastedAction_->isEnabled() ? box.addButton(tr("&Export Edit Into Photo…"), QMessageBox::AcceptRole) : nullptr;
  if (pasted) pasted->setObjectName("keepPasted");
  QPushButton* recipe = saveRecipeAction_->isEnabled() ? box.addButton(tr("Save &Recipe…"), QMessageBox::AcceptRole) : nullptr;
  if (recipe) recipe->setObjectName("keepRecipe");
  QPushButton* save = box.addButton(tr("&Save Image…"), QMessageBox::AcceptRole);
  save->setObjectName("keepImage");
  QPushButton* discard = box.addButton(discardText, QMessageBox::DestructiveRole);
  discard->setObjectName("discard");
  box.setDefaultButton(QMessageBox::Cancel);
  auto* dontAsk = new QCheckBox(tr("Don't ask again (Preferences can ask again)"));
  box.setCheckBox(dontAsk);
  box.exec();
  bool go = false;
  if (box.clickedButton() == discard) go = true;
  else if (pasted && box.clickedButton() == pasted) go = chooseAndExportPastedNow();
  else if (recipe && box.clickedButton() == recipe) go = chooseAndSaveRecipe();
  else if (box.clickedButton() == save) go = chooseAndSaveImage();
  if (go && dontAsk->isChecked()) settings.setValue("confirm/unexportedEdits", false);
  return go;
}

void MainWindow::chooseAndOpenRecipe() {
  // A recipe replaces the image, the sliders and the undo history.
  if (hasUnexportedEdits() && !confirmDiscard(tr("Open a recipe"), tr("&Open Without Saving"))) return;
  const QString path = QFileDialog::getOpenFileName(this, tr("Open Recipe"), QSettings().value("paths/exports").toString(),
                                                    tr("GlowLab recipes (*.json)"));
  if (!path.isEmpty()) openRecipe(path);
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
  text->setHtml(model_.path.isEmpty() ? tr("No model is loaded.") : modelCard());
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
  // The questions a person can silence ("Don't ask again") come back from here.
  auto* ask = new QCheckBox(tr("&Ask before edits that were not saved are lost (quitting, opening a recipe)"));
  ask->setObjectName("askBeforeDiscarding");
  ask->setChecked(QSettings().value("confirm/unexportedEdits", true).toBool());
  form->addRow(ask);
  // Opening another photo starts from its own unedited state unless this is on (issue 29, 1).
  auto* keep = new QCheckBox(tr("&Keep the sliders when another photo or sample is opened"));
  keep->setObjectName("keepSliders");
  keep->setChecked(doc_->keepSliders());
  form->addRow(keep);
  auto* buttons = new QDialogButtonBox(QDialogButtonBox::Ok | QDialogButtonBox::Cancel);
  form->addRow(buttons);
  connect(buttons, &QDialogButtonBox::accepted, &dialog, &QDialog::accept);
  connect(buttons, &QDialogButtonBox::rejected, &dialog, &QDialog::reject);
  const QString before = QSettings().value("engine/device", "auto").toString();
  if (dialog.exec() != QDialog::Accepted) return;
  QSettings().setValue("confirm/unexportedEdits", ask->isChecked());
  QSettings().setValue("edit/keepSliders", keep->isChecked());
  doc_->setKeepSliders(keep->isChecked());
  const QString chosen = device->currentData().toString();
  if (chosen == before) return;  // nothing changed: nothing happens
  QSettings().setValue("engine/device", chosen);
  if (model_.path.isEmpty()) return;
  // Another device is another model load (the image kept, one undo step); a choice that lands on
  // the device in use (CUDA without a GPU, auto on a CPU machine) changes nothing now.
  if (QString::fromStdString(glowlab::resolve_device(chosen.toStdString(), /*fallback_to_cpu=*/true)) == model_.device) {
    model_.requestedDevice = chosen;
    doc_->updateModel(model_);
    notice(tr("Device: %1 (as before)").arg(model_.device.toUpper()), 5000);
    return;
  }
  loadModel(model_.path, chosen);
}

void MainWindow::closeEvent(QCloseEvent* event) {
  if (videoRunning_) {  // quitting cancels it: asked first
    QMessageBox box(QMessageBox::Warning, tr("GlowLab"),
                    tr("%1 is being edited (%2%). Quit and cancel it? Nothing of it is written.")
                        .arg(QFileInfo(videoClip_).fileName())
                        .arg(progress_->value() / 10),
                    QMessageBox::Cancel, this);
    auto* quit = box.addButton(tr("&Quit and Cancel the Video"), QMessageBox::DestructiveRole);
    box.setDefaultButton(QMessageBox::Cancel);
    box.exec();
    if (box.clickedButton() != quit) {
      event->ignore();
      return;
    }
    worker_->cancel();
  }
  if (hasUnexportedEdits() && !confirmDiscard(tr("Quit"), tr("&Quit Without Saving"))) {
    event->ignore();
    return;
  }
  QSettings settings;
  settings.setValue("window/geometry", saveGeometry());
  settings.setValue("window/state", saveState());
  settings.setValue("view/split", view_->mode() == ImageView::Mode::Split);
  autosave_->clear();  // a clean end: nothing to restore next time
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
    openImage(qvariant_cast<QImage>(mime->imageData()), ImageOrigin::Dropped);
  }
}
