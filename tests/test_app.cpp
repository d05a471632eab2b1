// The real MainWindow, offscreen: open a photo, drag sliders, undo, export, recipes, failures.
// Waits are on signals (QSignalSpy::wait / QTRY_*), never on sleeps.
#include <QtTest/QtTest>

#include <QAction>
#include <QCheckBox>
#include <QComboBox>
#include <QDialogButtonBox>
#include <QDockWidget>
#include <QDoubleSpinBox>
#include <QFileDialog>
#include <QInputDialog>
#include <QLabel>
#include <QLineEdit>
#include <QListWidget>
#include <QMenuBar>
#include <QMenu>
#include <QMessageBox>
#include <QProgressBar>
#include <QPushButton>
#include <QScrollArea>
#include <QScrollBar>

#include <atomic>
#include <functional>
#include <QPainter>
#include <QSlider>
#include <QStandardPaths>
#include <QStatusBar>
#include <QTextBrowser>
#include <QToolButton>

#include "attribute_panel.h"
#include "bundle/model_file.h"
#include "core/atomic_file.h"
#include "glowlab.h"
#include "face_picker.h"
#include "image_view.h"
#include "main_window.h"
#include "qt_image.h"
#include "testutil.h"

using namespace glowlab;

namespace {

constexpr int kSize = 32;

// A photo: a generated face, enlarged and placed off-centre on a plain canvas, that the face
// detector finds. Returns the path.
QString make_photo(const QString& dir) {
  QProcess p;
  p.start("node", {QString(GLOWLAB_SOURCE_DIR) + "/tools/faces/generate.mjs", "--out", dir + "/gen", "--count", "16", "--seed", "3"});
  if (!p.waitForFinished(120000) || p.exitCode() != 0) return {};
  for (int i = 1; i <= 16; ++i) {
    const auto face = read_image(QString("%1/gen/img_align_celeba/%2.png").arg(dir).arg(i, 6, 10, QChar('0')).toStdString(), 3);
    QImage canvas(420, 360, QImage::Format_RGB888);
    canvas.fill(QColor(90, 120, 150));
    QPainter painter(&canvas);
    painter.setRenderHint(QPainter::SmoothPixmapTransform);
    painter.drawImage(QRect(110, 60, 256, 256), toQImage(face));
    painter.end();
    try {
      if (align_face(fromQImage(canvas), kSize, false, "probe").face_found) {
        const QString path = dir + "/photo.png";
        canvas.save(path);
        return path;
      }
    } catch (const Error&) {
    }
  }
  return {};
}

bool same_pixels(const QImage& a, const QImage& b) {
  return a.convertToFormat(QImage::Format_RGB888) == b.convertToFormat(QImage::Format_RGB888);
}

// Runs `act` on the next modal dialog of class `className` once it is on screen (the window's
// dialogs run their own event loop: exec()). Polled from the event loop, never a sleep.
QTimer* onNextDialog(const char* className, std::function<void(QWidget*)> act) {
  auto* timer = new QTimer;
  auto tries = std::make_shared<int>(0);
  timer->setInterval(10);
  QObject::connect(timer, &QTimer::timeout, [timer, tries, className, act] {
    QWidget* modal = QApplication::activeModalWidget();
    if (modal && qstrcmp(modal->metaObject()->className(), className) == 0 && modal->isVisible()) {
      timer->stop();
      timer->deleteLater();
      act(modal);
    } else if (++*tries > 3000) {
      timer->stop();
      timer->deleteLater();
    }
  });
  timer->start();
  return timer;
}

// Never left waiting: if `dialog` is still open a while after the test acted on it (the action did
// not take), it and any message box over it are rejected, so the test fails instead of hanging.
void closeIfStuck(QWidget* dialog) {
  QPointer<QWidget> d(dialog);
  QTimer::singleShot(3000, [d] {
    if (!d || !d->isVisible()) return;
    for (auto* box : d->findChildren<QMessageBox*>()) box->reject();
    if (auto* dd = qobject_cast<QDialog*>(d.data())) dd->reject();
  });
}

// The file name box of a (Qt, not native) file dialog set to `file`, as typed, with no other file
// left selected in its list (selectFile leaves a focused box alone, and a selection wins over it).
void setFileName(QFileDialog* dialog, const QString& file) {
  for (auto* view : dialog->findChildren<QAbstractItemView*>()) view->clearSelection();
  auto* edit = dialog->findChild<QLineEdit*>("fileNameEdit");
  if (!edit) {
    dialog->selectFile(file);
    return;
  }
  edit->setFocus();
  edit->setText(file);
}

// A wheel turn over `widget` (delta > 0: up), as the window system delivers it.
void wheel(QWidget* widget, int delta) {
  const QPointF pos = QRectF(widget->rect()).center();
  QWheelEvent event(pos, widget->mapToGlobal(pos), QPoint(), QPoint(0, delta), Qt::NoButton, Qt::NoModifier, Qt::NoScrollPhase, false);
  QApplication::sendEvent(widget, &event);
}

// Where `w` lies in the scroll area's viewport.
QRect inViewport(QWidget* w, QWidget* viewport) { return QRect(w->mapTo(viewport, QPoint(0, 0)), w->size()); }

}  // namespace

class TestApp : public QObject {
  Q_OBJECT
  QTemporaryDir dir_;
  QString model_, photo_;
  std::unique_ptr<MainWindow> w_;

  QString path(const QString& name) const { return dir_.path() + "/" + name; }

  // A model with the 14 attributes of the bundled ones (Smiling: -1.5 .. 1.5, an Age in years).
  QString fourteenModel() {
    const QString file = path("fourteen.glow");
    if (QFileInfo::exists(file)) return file;
    at::manual_seed(8);
    ModelFile mf;
    mf.glow = Glow(test::tiny_config(kSize, 2, 2, 16));
    std::vector<Image> init;
    for (int i = 0; i < 8; ++i) init.push_back(test::random_image(kSize, 3, i));
    mf.glow->initialize(to_model_input_for_test(init));
    for (const char* name : {"Smiling", "Male", "Young", "Eyeglasses", "Blond_Hair", "Black_Hair", "Bald", "Mustache",
                             "Wearing_Hat", "Heavy_Makeup", "Pale_Skin", "Mouth_Slightly_Open", "Narrow_Eyes", "Bushy_Eyebrows"}) {
      mf.attributes.push_back({name, 10, 10, std::string(name) == "Smiling" ? -1.5 : -1.0, std::string(name) == "Smiling" ? 1.5 : 1.0});
      mf.directions.push_back(at::randn({mf.glow->config().dimension()}) * 0.5);
    }
    save_model(file.toStdString(), mf);
    return file;
  }

  // Another model of the same size: Eyeglasses, then Smiling (which the first model has too).
  QString otherModel() {
    const QString file = path("other.glow");
    if (QFileInfo::exists(file)) return file;
    at::manual_seed(4);
    ModelFile mf;
    mf.glow = Glow(test::tiny_config(kSize, 2, 2, 16));
    std::vector<Image> init;
    for (int i = 0; i < 8; ++i) init.push_back(test::random_image(kSize, 3, i + 20));
    mf.glow->initialize(to_model_input_for_test(init));
    mf.attributes = {{"Eyeglasses", 10, 10, -1, 1}, {"Smiling", 10, 10, -1.5, 1.5}};
    mf.directions = {at::randn({mf.glow->config().dimension()}) * 0.5, at::randn({mf.glow->config().dimension()}) * 0.5};
    save_model(file.toStdString(), mf);
    return file;
  }

  // A model whose last three attributes are not featured (they missed the judge's target).
  QString featuredModel() {
    const QString file = path("featured.glow");
    if (QFileInfo::exists(file)) return file;
    at::manual_seed(9);
    ModelFile mf;
    mf.glow = Glow(test::tiny_config(kSize, 2, 2, 16));
    std::vector<Image> init;
    for (int i = 0; i < 8; ++i) init.push_back(test::random_image(kSize, 3, i + 40));
    mf.glow->initialize(to_model_input_for_test(init));
    for (const char* name : {"Smiling", "Male", "Bald", "Pale_Skin", "Narrow_Eyes"}) {
      Attribute a{name, 10, 10, -1.0, 1.0};
      a.featured = mf.attributes.size() < 2;
      mf.attributes.push_back(a);
      mf.directions.push_back(at::randn({mf.glow->config().dimension()}) * 0.5);
    }
    save_model(file.toStdString(), mf);
    return file;
  }

  // A fresh window as a first-time user meets it (no saved layout), at the program's default size.
  void freshWindow(MainWindow& w, const QString& model) {
    QSettings().remove("window");
    w.resize(1200, 760);
    w.show();
    QVERIFY(QTest::qWaitForWindowExposed(&w));
    QSignalSpy ready(&w, &MainWindow::modelReady);
    w.openModel(model);
    QVERIFY(ready.wait(30000));
  }

  static void waitShown(MainWindow& w) {
    QTRY_VERIFY_WITH_TIMEOUT(w.shownGeneration() == w.requestedGeneration() && w.shownGeneration() > 0, 30000);
  }

  // Waits until everything asked of the engine so far has run (its queue is in order).
  static void drainEngine(MainWindow& w) {
    QSignalSpy samples(&w, &MainWindow::samplesShown);
    w.setSampleSettings(0.7, 1, 1);
    w.sample();
    QVERIFY(samples.wait(30000));
  }

  void openModelAndPhoto(MainWindow& w) {
    QSignalSpy model(&w, &MainWindow::modelReady), image(&w, &MainWindow::imageReady), shown(&w, &MainWindow::renderShown);
    w.openModel(model_);
    QVERIFY(model.wait(30000));
    w.openPhoto(photo_);
    QVERIFY(image.wait(30000));
    QTRY_VERIFY_WITH_TIMEOUT(w.shownGeneration() == w.requestedGeneration() && w.shownGeneration() > 0, 30000);
  }

  // What the engine itself renders for the current crop and the given slider values.
  QImage direct_render(const QImage& crop, const std::vector<std::pair<std::string, double>>& alphas) {
    auto m = Model::load(model_.toStdString());
    return toQImage(m.decode(m.edit(m.encode(fromQImage(crop)), alphas)));
  }

 private Q_SLOTS:
  void initTestCase() {
    QStandardPaths::setTestModeEnabled(true);
    QSettings().clear();
    init_runtime();
    at::manual_seed(1);
    ModelFile mf;
    mf.glow = Glow(test::tiny_config(kSize, 2, 2, 16));
    std::vector<Image> init;
    for (int i = 0; i < 8; ++i) init.push_back(test::random_image(kSize, 3, i));
    mf.glow->initialize(to_model_input_for_test(init));
    mf.attributes = {{"Smiling", 10, 10, -1.5, 1.5}, {"Blond_Hair", 10, 10, -1, 1}};
    const int64_t d = mf.glow->config().dimension();
    mf.directions = {at::randn({d}) * 0.5, at::randn({d}) * 0.5};
    model_ = path("tiny.glow");
    save_model(model_.toStdString(), mf);
    photo_ = make_photo(dir_.path());
    QVERIFY2(!photo_.isEmpty(), "no generated face was found by the detector (is node installed?)");
    w_ = std::make_unique<MainWindow>();
    w_->show();
    openModelAndPhoto(*w_);
  }

  void openPhotoFindsTheFaceAndEncodesExactly() {
    QVERIFY2(w_->lastError().isEmpty(), qPrintable(w_->lastError()));
    QVERIFY(w_->currentImage().faceFound);
    QCOMPARE(w_->currentImage().crop.size(), QSize(kSize, kSize));
    QCOMPARE(w_->view()->original().size(), QSize(kSize, kSize));
    // With every slider at zero the render is decode(encode(crop)): exactly the crop.
    QVERIFY(same_pixels(w_->view()->edited(), w_->currentImage().crop));
    QCOMPARE(w_->attributes()->count(), 2);
  }

  void draggingRendersLiveAndCoalesces() {
    auto* slider = w_->attributes()->slider(0);
    const int before = w_->worker()->renderCount();
    const int steps_before = w_->undoStack()->count();
    slider->setSliderDown(true);  // a drag: press, 100 moves, release
    for (int i = 1; i <= 100; ++i) slider->setValue(i);
    slider->setSliderDown(false);
    QTRY_VERIFY_WITH_TIMEOUT(w_->shownGeneration() == w_->requestedGeneration(), 30000);
    const int renders = w_->worker()->renderCount() - before;
    QVERIFY2(renders >= 1 && renders < 50, qPrintable(QString("%1 renders for 100 slider changes").arg(renders)));
    QCOMPARE(w_->attributes()->value(0), 1.5);
    const QImage expected = direct_render(w_->currentImage().crop, {{"Smiling", 1.5}, {"Blond_Hair", 0.0}});
    QVERIFY(same_pixels(w_->view()->edited(), expected));
    QVERIFY(!same_pixels(w_->view()->edited(), w_->currentImage().crop));
    QCOMPARE(w_->undoStack()->count(), steps_before + 1);  // the whole drag is one undo step
  }

  void undoAndRedo() {
    const QImage edited = w_->view()->edited();
    w_->undoStack()->undo();
    QCOMPARE(w_->attributes()->value(0), 0.0);
    QTRY_VERIFY_WITH_TIMEOUT(w_->shownGeneration() == w_->requestedGeneration(), 30000);
    QVERIFY(same_pixels(w_->view()->edited(), w_->currentImage().crop));
    w_->undoStack()->redo();
    QCOMPARE(w_->attributes()->value(0), 1.5);
    QTRY_VERIFY_WITH_TIMEOUT(w_->shownGeneration() == w_->requestedGeneration(), 30000);
    QVERIFY(same_pixels(w_->view()->edited(), edited));
  }

  void exportsAreWrittenAndReadBack() {
    QVERIFY(w_->saveImage(path("edit.png")));
    QCOMPARE(read_image(path("edit.png").toStdString(), 3).width, kSize);
    QVERIFY(w_->saveImage(path("edit4.jpg"), 4));
    QCOMPARE(read_image(path("edit4.jpg").toStdString(), 3).width, 4 * kSize);

    QSignalSpy exported(w_.get(), &MainWindow::exported);
    w_->exportPasted(path("pasted.png"));
    QVERIFY(exported.wait(30000));
    const auto pasted = read_image(path("pasted.png").toStdString(), 3);
    QCOMPARE(pasted.width, 420);
    QCOMPARE(pasted.height, 360);
    QVERIFY(pasted.bytes != read_image(photo_.toStdString(), 3).bytes);  // the edit went in

    w_->exportAnimation(path("sweep.gif"), "Smiling", 8, 10);
    QVERIFY(exported.wait(30000));
    auto gif = read_animation_info(path("sweep.gif").toStdString());
    QCOMPARE(gif.frames, 8);
    QCOMPARE(gif.width, kSize);
    w_->exportAnimation(path("sweep.mp4"), "Blond_Hair", 6, 10);
    QVERIFY(exported.wait(30000));
    // The video opens, and the status bar names the codec the file declares: H.264 where OpenCV
    // has an encoder for it, else MPEG-4 Part 2.
    const auto mp4 = read_animation_info(path("sweep.mp4").toStdString());
    QCOMPARE(mp4.frames, 6);
    const QString fourcc = QString::fromStdString(mp4.codec).toLower();
    const bool h264 = fourcc == "avc1" || fourcc == "h264" || fourcc == "x264";
    QVERIFY2(h264 || fourcc == "mp4v", qPrintable(fourcc));
    const QString said = w_->statusBar()->currentMessage();
    QVERIFY2(said.contains("video codec: ") && said.contains(h264 ? "H.264" : "MPEG-4 Part 2"), qPrintable(said + " / " + fourcc));
    qInfo() << "MP4 export:" << said;
  }

  void recipeReproducesThePixels() {
    w_->attributes()->setValue(1, -0.5);
    QTRY_VERIFY_WITH_TIMEOUT(w_->shownGeneration() == w_->requestedGeneration(), 30000);
    const QImage shown = w_->view()->edited();
    QVERIFY(w_->saveRecipe(path("edit.json")));
    MainWindow other;
    QSignalSpy image(&other, &MainWindow::imageReady);
    QVERIFY(other.openRecipe(path("edit.json")));
    QVERIFY(image.wait(30000));
    QTRY_VERIFY_WITH_TIMEOUT(other.shownGeneration() == other.requestedGeneration() && other.shownGeneration() > 0, 30000);
    QCOMPARE(other.attributes()->value(1), -0.5);
    QVERIFY(same_pixels(other.view()->edited(), shown));
  }

  // Issue 23: a recipe without checksums is applied, and the window says that a change to its
  // model or photo cannot be detected (it said they had changed).
  void aRecipeWithoutChecksumsIsSaid() {
    Recipe r;
    r.source = photo_.toStdString();
    r.transform = w_->currentImage().transform;
    r.model = model_.toStdString();
    r.sliders = {{"Smiling", 0.3}};
    save_recipe(path("unchecked.json").toStdString(), r);
    MainWindow other;
    QSignalSpy image(&other, &MainWindow::imageReady);
    QVERIFY(other.openRecipe(path("unchecked.json")));
    QVERIFY(image.wait(30000));
    QTRY_VERIFY2_WITH_TIMEOUT(other.lastNotice().contains("no checksum of its model"), qPrintable(other.lastNotice()), 30000);
    QVERIFY2(other.lastNotice().contains("no checksum of its photo"), qPrintable(other.lastNotice()));
    QVERIFY2(!other.lastNotice().contains("changed"), qPrintable(other.lastNotice()));
    QCOMPARE(other.attributes()->value(0), 0.3);
  }

  // Issue 23: files are hashed on the engine thread, never the window's: the photo's and the model's
  // SHA-256 arrive with them (a recipe records those), and a recipe's are compared there, the
  // warnings coming back by signal.
  void checksumsAreTheEngineThreads() {
    QCOMPARE(w_->currentImage().sha256.toStdString(), file_sha256(photo_.toStdString()));
    QVERIFY(w_->saveRecipe(path("hashed.json")));
    const auto r = load_recipe(path("hashed.json").toStdString());
    QCOMPARE(r.model_sha256, file_sha256(model_.toStdString()));
    QCOMPARE(r.source_sha256, file_sha256(photo_.toStdString()));
    MainWindow other;
    QSignalSpy checked(other.worker(), &EngineWorker::recipeChecked);
    QVERIFY(other.openRecipe(path("hashed.json")));
    QVERIFY(checked.wait(30000));
    QVERIFY(checked.first().first().value<std::vector<RecipeWarning>>().empty());
  }

  // A held attribute: the other sliders move along directions projected off it (the engine's
  // conditional edit), and the hold is saved in the recipe.
  void heldAttributeRendersTheConditionalEditAndIsSaved() {
    w_->attributes()->setValue(1, 0.0);
    QVERIFY(!w_->attributes()->isLocked(1));
    w_->attributes()->lockButton(1)->click();
    QVERIFY(w_->attributes()->isLocked(1));
    QVERIFY(!w_->attributes()->slider(1)->isEnabled());
    w_->attributes()->setValue(0, 1.2);
    QTRY_VERIFY_WITH_TIMEOUT(w_->shownGeneration() == w_->requestedGeneration(), 30000);
    auto m = Model::load(model_.toStdString());
    const auto base = m.encode(fromQImage(w_->currentImage().crop));
    const QImage held = toQImage(m.decode(m.edit(base, {{"Smiling", 1.2}}, 0, {"Blond_Hair"})));
    const QImage free = toQImage(m.decode(m.edit(base, {{"Smiling", 1.2}})));
    QVERIFY(!same_pixels(held, free));
    QVERIFY(same_pixels(w_->view()->edited(), held));
    QVERIFY(w_->saveRecipe(path("held.json")));
    MainWindow other;
    QSignalSpy image(&other, &MainWindow::imageReady);
    QVERIFY(other.openRecipe(path("held.json")));
    QVERIFY(image.wait(30000));
    QTRY_VERIFY_WITH_TIMEOUT(other.shownGeneration() == other.requestedGeneration() && other.shownGeneration() > 0, 30000);
    QVERIFY(other.attributes()->isLocked(1));
    QVERIFY(!other.attributes()->isLocked(0));
    QVERIFY(same_pixels(other.view()->edited(), held));
    w_->attributes()->lockButton(1)->click();
    w_->attributes()->setValue(0, 0.0);
    QTRY_VERIFY_WITH_TIMEOUT(w_->shownGeneration() == w_->requestedGeneration(), 30000);
  }

  // An edit that does not decode cleanly is shown at its largest clean strength, and the status
  // bar says so; never a black or non-finite frame.
  void anOverflowingEditIsLimitedAndSaid() {
    at::manual_seed(3);
    ModelFile mf;
    mf.glow = Glow(test::tiny_config(kSize, 2, 2, 16));
    std::vector<Image> init;
    for (int i = 0; i < 8; ++i) init.push_back(test::random_image(kSize, 3, i));
    mf.glow->initialize(to_model_input_for_test(init));
    test::perturb(*mf.glow, 0.03);
    mf.attributes = {{"Smiling", 10, 10, -1, 1}};
    mf.directions = {at::ones({mf.glow->config().dimension()}) * 300.0};
    const QString boom = path("boom.glow");
    save_model(boom.toStdString(), mf);
    MainWindow w;
    QSignalSpy model(&w, &MainWindow::modelReady), image(&w, &MainWindow::imageReady);
    w.openModel(boom);
    QVERIFY(model.wait(30000));
    w.openPhoto(photo_);
    QVERIFY(image.wait(30000));
    w.attributes()->setValue(0, 1.0);
    QTRY_VERIFY_WITH_TIMEOUT(w.shownGeneration() == w.requestedGeneration() && w.shownGeneration() > 0, 30000);
    QVERIFY2(w.lastRenderNote().startsWith("Smiling limited to +"), qPrintable(w.lastRenderNote()));
    QVERIFY(w.statusBar()->currentMessage().contains("limited"));
    auto m = Model::load(boom.toStdString());
    const auto base = m.encode(fromQImage(w.currentImage().crop));
    const auto target = m.edit(base, {{"Smiling", 1.0}});
    QVERIFY(!m.decodes_cleanly(target));
    QVERIFY(same_pixels(w.view()->edited(), toQImage(m.decode_guarded(base, target).image)));
    w.attributes()->setValue(0, 0.0);
    QTRY_VERIFY_WITH_TIMEOUT(w.shownGeneration() == w.requestedGeneration(), 30000);
    QVERIFY(w.lastRenderNote().isEmpty());
    QVERIFY(!w.statusBar()->currentMessage().contains("limited"));
  }

  void samplingIsReproducible() {
    QSignalSpy shown(w_.get(), &MainWindow::samplesShown);
    w_->setSampleSettings(0.7, 42, 4);
    w_->sample();
    QVERIFY(shown.wait(30000));
    const auto first = w_->sampleImages();
    w_->sample();
    QVERIFY(shown.wait(30000));
    QCOMPARE(first.size(), 4);
    for (int i = 0; i < 4; ++i) QVERIFY(same_pixels(first[i], w_->sampleImages()[i]));
    QSignalSpy image(w_.get(), &MainWindow::imageReady);
    w_->useSample(2);
    QVERIFY(image.wait(30000));
    QVERIFY(same_pixels(w_->currentImage().crop, first[2]));
  }

  void interpolationBlendsAndExports() {
    QSignalSpy strip(w_.get(), &MainWindow::stripShown), exported(w_.get(), &MainWindow::exported);
    w_->setSampleSettings(0.7, 5, 2);
    QSignalSpy samples(w_.get(), &MainWindow::samplesShown);
    w_->sample();
    QVERIFY(samples.wait(30000));
    w_->worker()->useSample(1, /*asSecond=*/true);
    QVERIFY(strip.wait(30000));
    QCOMPARE(w_->findChild<QLabel*>("strip")->pixmap().width(), 8 * 64 + 7 * 4);  // 8 frames
    QTRY_VERIFY_WITH_TIMEOUT(w_->shownGeneration() == w_->requestedGeneration(), 30000);
    const QImage start = w_->view()->edited();
    w_->findChild<QSlider*>("blend")->setValue(100);
    QTRY_VERIFY_WITH_TIMEOUT(w_->shownGeneration() == w_->requestedGeneration(), 30000);
    QVERIFY(!same_pixels(w_->view()->edited(), start));
    w_->exportAnimation(path("blend.gif"), QString(), 5, 10);
    QVERIFY(exported.wait(30000));
    QCOMPARE(read_animation_info(path("blend.gif").toStdString()).frames, 5);
    w_->findChild<QSlider*>("blend")->setValue(0);
  }

  void badInputLeavesTheAppUsable() {
    QSignalSpy errors(w_.get(), &MainWindow::errorShown);
    QFile bad(path("corrupt.jpg"));
    QVERIFY(bad.open(QIODevice::WriteOnly));
    bad.write("\xff\xd8\xff garbage");
    bad.close();
    w_->openPhoto(path("corrupt.jpg"));
    QVERIFY(errors.wait(30000));
    QVERIFY(w_->lastError().contains("corrupt.jpg"));

    const auto bytes = read_file(model_.toStdString(), 1 << 30);
    write_file_atomic(path("truncated.glow").toStdString(), bytes.substr(0, bytes.size() / 2));
    w_->openModel(path("truncated.glow"));
    QVERIFY(errors.wait(30000));
    QVERIFY(w_->lastError().contains("truncated.glow"));

    QVERIFY(!w_->saveImage(path("no/such/dir/x.png")));
    QVERIFY(w_->lastError().contains("no/such/dir/x.png"));

    // Still usable: the old model stays loaded and a good photo opens and renders.
    QSignalSpy image(w_.get(), &MainWindow::imageReady);
    w_->openPhoto(photo_);
    QVERIFY(image.wait(30000));
    QTRY_VERIFY_WITH_TIMEOUT(w_->shownGeneration() == w_->requestedGeneration(), 30000);
  }

  // A model that fails to load gives one message, not one per job queued behind it (the samples
  // and the first sample made current that the window asks for at start).
  void aFailedModelGivesOneMessage() {
    const auto bytes = read_file(model_.toStdString(), 1 << 30);
    write_file_atomic(path("half.glow").toStdString(), bytes.substr(0, bytes.size() / 2));
    MainWindow w;
    QSignalSpy errors(&w, &MainWindow::errorShown);
    QSignalSpy ready(&w, &MainWindow::modelReady);
    w.openModel(path("half.glow"));
    w.sample();
    w.useSample(0);
    w.openModel(model_);  // queued after the failure: still loads
    QVERIFY(ready.wait(30000));
    QCOMPARE(errors.count(), 1);
    QVERIFY2(w.lastError().contains("half.glow"), qPrintable(w.lastError()));
    // The same when the load has already failed on the engine thread before the requests are made
    // (the window has not seen the failure yet): still one message.
    MainWindow w2;
    QSignalSpy errors2(&w2, &MainWindow::errorShown), ready2(&w2, &MainWindow::modelReady);
    std::atomic<bool> failedOnWorker{false};
    connect(w2.worker(), &EngineWorker::failed, this, [&] { failedOnWorker = true; }, Qt::DirectConnection);
    w2.openModel(path("half.glow"));
    QElapsedTimer t;
    t.start();
    while (!failedOnWorker && t.elapsed() < 30000) QThread::yieldCurrentThread();  // no event processing here
    QVERIFY(failedOnWorker);
    w2.sample();
    w2.useSample(0);
    w2.openModel(model_);
    QVERIFY(ready2.wait(30000));
    QCOMPARE(errors2.count(), 1);
    // Once the failure has been shown, a request without a model says so.
    MainWindow w3;
    QSignalSpy errors3(&w3, &MainWindow::errorShown);
    w3.openModel(path("half.glow"));
    QVERIFY(errors3.wait(30000));
    w3.sample();
    QVERIFY(errors3.wait(30000));
    QVERIFY2(w3.lastError().contains("no model is loaded"), qPrintable(w3.lastError()));
  }

  // The flows of issue 13: a photo is never lost to a sample, and a photo interpolates towards a
  // sample (A = the photo, B = the sample) while an image is never interpolated with itself.
  void photoTowardsSampleAndUndoOfImageSwitch() {
    MainWindow w;
    openModelAndPhoto(w);
    const QImage photoCrop = w.currentImage().crop;
    const QString photoSource = w.currentImage().source;
    w.attributes()->setValue(1, 0.4);
    QTRY_VERIFY_WITH_TIMEOUT(w.shownGeneration() == w.requestedGeneration(), 30000);
    const QImage photoEdited = w.view()->edited();
    QSignalSpy samples(&w, &MainWindow::samplesShown);
    w.setSampleSettings(0.7, 9, 3);
    w.sample();
    QVERIFY(samples.wait(30000));
    // Selecting a sample (a click) does not replace the photo.
    w.findChild<QListWidget*>("sampleList")->setCurrentRow(1);
    QCOMPARE(w.currentImage().source, photoSource);
    // Photo towards the selected sample: the strip runs from the photo's render to the sample.
    QSignalSpy frames(w.worker(), &EngineWorker::stripReady);
    w.interpolateTowardsSample(1);
    QVERIFY(frames.wait(30000));
    const auto strip = frames.takeLast().at(0).value<QList<QImage>>();
    QCOMPARE(strip.size(), 8);
    QVERIFY(same_pixels(strip.front(), photoEdited));
    auto m = Model::load(model_.toStdString());
    const auto sampleLatent = m.sample_latents(3, 0.7, 9)[1];
    const QImage sampleEdited = toQImage(m.decode(m.edit(sampleLatent, {{"Smiling", 0.0}, {"Blond_Hair", 0.4}})));
    QVERIFY(same_pixels(strip.back(), sampleEdited));
    QVERIFY(!same_pixels(strip[3], strip.front()) && !same_pixels(strip[3], strip.back()));
    // Making a sample current is one undo step; undo brings back the photo, its crop and sliders.
    QSignalSpy image(&w, &MainWindow::imageReady);
    const int steps = w.undoStack()->count();
    w.useSample(2);
    QVERIFY(image.wait(30000));
    QVERIFY(w.currentImage().origin == ImageOrigin::Sample);
    QCOMPARE(w.undoStack()->count(), steps + 1);
    w.attributes()->setValue(1, -0.3);
    w.undoStack()->undo();
    QVERIFY(image.wait(30000));
    QCOMPARE(w.currentImage().source, photoSource);
    QVERIFY(same_pixels(w.currentImage().crop, photoCrop));
    QCOMPARE(w.attributes()->value(1), 0.4);
    QTRY_VERIFY_WITH_TIMEOUT(w.shownGeneration() == w.requestedGeneration(), 30000);
    QVERIFY(same_pixels(w.view()->edited(), photoEdited));
    w.undoStack()->redo();
    QVERIFY(image.wait(30000));
    QVERIFY(w.currentImage().origin == ImageOrigin::Sample);
    // The current sample as its own second: a hint, and no strip.
    frames.clear();
    w.interpolateTowardsSample(2);
    QVERIFY2(w.lastNotice().contains("current image"), qPrintable(w.lastNotice()));
    w.worker()->useSample(2, /*asSecond=*/true);  // the engine refuses it too
    QTRY_VERIFY_WITH_TIMEOUT(w.lastNotice().contains("itself"), 30000);
    QVERIFY(frames.isEmpty());
  }

  // A grey (1-channel) model, e.g. Fashion-MNIST: clicking a sample and pasting an image work.
  void greyModelWorksInTheWindow() {
    at::manual_seed(6);
    auto c = test::tiny_config(kSize, 2, 2, 16);
    c.channels = 1;
    ModelFile mf;
    mf.glow = Glow(c);
    mf.glow->initialize(at::rand({4, 1, kSize, kSize}) - 0.5);
    const QString grey = path("grey.glow");
    save_model(grey.toStdString(), mf);
    MainWindow w;
    QSignalSpy model(&w, &MainWindow::modelReady), image(&w, &MainWindow::imageReady), samples(&w, &MainWindow::samplesShown);
    QSignalSpy errors(&w, &MainWindow::errorShown);
    w.openModel(grey);
    QVERIFY(model.wait(30000));
    w.sample();
    QVERIFY(samples.wait(30000));
    w.useSample(0);
    QVERIFY(image.wait(30000));
    QCOMPARE(w.currentImage().crop.size(), QSize(kSize, kSize));
    QImage pasted(50, 40, QImage::Format_RGB888);
    pasted.fill(QColor(90, 140, 200));
    w.openImage(pasted, ImageOrigin::Clipboard);
    QVERIFY(image.wait(30000));
    QTRY_VERIFY_WITH_TIMEOUT(w.shownGeneration() == w.requestedGeneration() && w.shownGeneration() > 0, 30000);
    QVERIFY2(errors.isEmpty(), qPrintable(w.lastError()));
  }

  // Issue 24 (1): Edit > Preferences > OK with nothing changed, and Model > Open Model on the model
  // already open, leave the photo, its edits and the undo history alone.
  void preferencesOkAndTheSameModelKeepTheWork() {
    MainWindow w;
    w.show();
    openModelAndPhoto(w);
    auto* slider = w.attributes()->slider(0);
    slider->setFocus();
    QTest::keyClick(slider, Qt::Key_PageUp);  // a user edit: one undo step
    QVERIFY(w.attributes()->value(0) > 0);
    waitShown(w);
    const int steps = w.undoStack()->count();
    QVERIFY(steps > 0);
    const QImage shown = w.view()->edited();
    const QString source = w.currentImage().source;
    QSignalSpy models(&w, &MainWindow::modelReady), images(&w, &MainWindow::imageReady);
    auto* preferences = w.findChild<QAction*>("preferences");
    QVERIFY(preferences);
    bool clicked = false;
    onNextDialog("QDialog", [&](QWidget* dialog) {
      auto* buttons = dialog->findChild<QDialogButtonBox*>();
      QTest::mouseClick(buttons->button(QDialogButtonBox::Ok), Qt::LeftButton);
      clicked = true;
    });
    preferences->trigger();
    QVERIFY(clicked);
    w.openModel(model_);
    QVERIFY2(w.lastNotice().contains("already open"), qPrintable(w.lastNotice()));
    drainEngine(w);  // a reload, had one been asked for, has run by now
    QCOMPARE(models.count(), 0);
    QCOMPARE(images.count(), 0);
    QCOMPARE(w.undoStack()->count(), steps);
    QCOMPARE(w.currentImage().source, source);
    QVERIFY(w.attributes()->value(0) > 0);
    QVERIFY(same_pixels(w.view()->edited(), shown));
  }

  // Issue 24 (1): another model keeps the photo (the same crop, re-encoded by it; sliders by name)
  // and is one undo step; undo brings back the first model with its sliders. A slider change made
  // just before the switch does not render against the new model.
  void aModelSwitchKeepsTheImageAndIsOneUndoStep() {
    const QString other = otherModel();
    MainWindow w;
    openModelAndPhoto(w);
    w.attributes()->setValue(1, 0.5);
    waitShown(w);
    const QImage crop = w.currentImage().crop;
    const QString source = w.currentImage().source;
    const int steps = w.undoStack()->count();
    QSignalSpy model(&w, &MainWindow::modelReady), image(&w, &MainWindow::imageReady), errors(&w, &MainWindow::errorShown);
    w.attributes()->setValue(0, 1.0);  // a render for the first model is requested ...
    w.openModel(other);                // ... and the model switches before or after it runs
    QVERIFY(model.wait(30000));
    QTRY_VERIFY_WITH_TIMEOUT(image.count() == 1, 30000);
    waitShown(w);
    QCOMPARE(w.attributes()->count(), 2);
    QCOMPARE(w.attributes()->attribute(1).name, std::string("Smiling"));
    QCOMPARE(w.attributes()->value(1), 1.0);  // by name
    QCOMPARE(w.attributes()->value(0), 0.0);
    QCOMPARE(w.currentImage().source, source);
    QVERIFY(same_pixels(w.currentImage().crop, crop));
    QCOMPARE(w.undoStack()->count(), steps + 1);
    auto m = Model::load(other.toStdString());
    QVERIFY(same_pixels(w.view()->edited(), toQImage(m.decode(m.edit(m.encode(fromQImage(crop)), {{"Smiling", 1.0}})))));
    QVERIFY(w.findChild<FacePicker*>()->count() >= 1);
    QSignalSpy exported(&w, &MainWindow::exported);
    w.exportPasted(path("kept.png"));
    QVERIFY(exported.wait(30000));
    QVERIFY2(errors.isEmpty(), qPrintable(w.lastError()));
    // Undo: the first model and its sliders, at once in the panel, then on screen.
    w.undoStack()->undo();
    QCOMPARE(w.attributes()->count(), 2);
    QCOMPARE(w.attributes()->attribute(0).name, std::string("Smiling"));
    QCOMPARE(w.attributes()->value(0), 1.0);
    QCOMPARE(w.attributes()->value(1), 0.5);
    QVERIFY(model.wait(30000));
    waitShown(w);
    auto first = Model::load(model_.toStdString());
    QVERIFY(same_pixels(w.view()->edited(), toQImage(first.decode(first.edit(first.encode(fromQImage(crop)), {{"Smiling", 1.0}, {"Blond_Hair", 0.5}})))));
    QCOMPARE(w.undoStack()->count(), steps + 1);
    w.undoStack()->redo();  // the switch again
    QCOMPARE(w.attributes()->attribute(1).name, std::string("Smiling"));
    QVERIFY(model.wait(30000));
    waitShown(w);
    QVERIFY2(errors.isEmpty(), qPrintable(w.lastError()));
    // A recipe whose model cannot be loaded is dropped, not applied at the next model load.
    Recipe r;
    r.source = photo_.toStdString();
    r.source_sha256 = file_sha256(r.source);
    r.transform = {1, 0, 0, 0, 1, 0};
    r.model = path("truncated-for-recipe.glow").toStdString();
    r.sliders = {{"Eyeglasses", 1.0}};
    const auto bytes = read_file(model_.toStdString(), 1 << 30);
    write_file_atomic(r.model, bytes.substr(0, bytes.size() / 3));
    save_recipe(path("broken-model.json").toStdString(), r);
    QVERIFY(w.openRecipe(path("broken-model.json")));
    QVERIFY(errors.wait(30000));
    QVERIFY(w.lastError().contains("truncated-for-recipe.glow"));
    for (int i = 0; i < w.attributes()->count(); ++i) w.attributes()->setValue(i, 0.0);
    w.openModel(model_);
    QVERIFY(model.wait(30000));
    // A still-armed recipe would have set its slider in the same modelReady emission.
    QCOMPARE(w.attributes()->indexOf("Eyeglasses"), -1);
    QCOMPARE(w.attributes()->value(0), 0.0);
  }

  // Issue 24 (1): a model of another size (and a grey one) frames the same square of the photo;
  // undo brings back the first model's crop exactly.
  void aSwitchToAnotherSizeKeepsTheSameSquare() {
    at::manual_seed(5);
    auto c = test::tiny_config(16, 2, 2, 16);
    c.channels = 1;
    ModelFile mf;
    mf.glow = Glow(c);
    mf.glow->initialize(at::rand({4, 1, 16, 16}) - 0.5);
    mf.attributes = {{"Smiling", 10, 10, -1, 1}};
    mf.directions = {at::randn({mf.glow->config().dimension()}) * 0.5};
    const QString small = path("small-grey.glow");
    save_model(small.toStdString(), mf);
    MainWindow w;
    openModelAndPhoto(w);
    const QImage crop = w.currentImage().crop;
    QSignalSpy model(&w, &MainWindow::modelReady), image(&w, &MainWindow::imageReady), errors(&w, &MainWindow::errorShown);
    w.openModel(small);
    QVERIFY(model.wait(30000));
    QTRY_VERIFY_WITH_TIMEOUT(image.count() == 1, 30000);
    waitShown(w);
    QVERIFY2(errors.isEmpty(), qPrintable(w.lastError()));
    const QImage smallCrop = w.currentImage().crop.convertToFormat(QImage::Format_Grayscale8);
    QCOMPARE(smallCrop.size(), QSize(16, 16));
    // The same square: alike once both are averaged down to 8 x 8 (the 16-px crop is warped from
    // the photo directly, so its fine detail aliases differently), and less alike when shifted.
    auto at8 = [](const QImage& im, int dx) {
      return im.convertToFormat(QImage::Format_Grayscale8).copy(dx, 0, im.width(), im.height()).scaled(8, 8, Qt::IgnoreAspectRatio, Qt::SmoothTransformation);
    };
    auto meanDiff = [](const QImage& a, const QImage& b) {
      double d = 0;
      for (int y = 0; y < 8; ++y) {
        for (int x = 0; x < 8; ++x) d += std::abs(qGray(a.pixel(x, y)) - qGray(b.pixel(x, y)));
      }
      return d / 64;
    };
    const double same = meanDiff(at8(smallCrop, 0), at8(crop, 0)), shifted = meanDiff(at8(smallCrop, 0), at8(crop, 4));
    QVERIFY2(same < 8 && same < shifted, qPrintable(QString("mean difference %1 levels (%2 shifted)").arg(same).arg(shifted)));
    w.undoStack()->undo();
    QVERIFY(model.wait(30000));
    QTRY_VERIFY_WITH_TIMEOUT(image.count() == 2, 30000);
    QVERIFY(same_pixels(w.currentImage().crop, crop));
  }

  // Issue 24 (3): Redo's keys (Ctrl+Shift+Z, Ctrl+Y) redo; each is bound once.
  void redoKeysRedo() {
    MainWindow w;
    w.show();
    openModelAndPhoto(w);
    w.activateWindow();
    QVERIFY(QTest::qWaitForWindowActive(&w));
    auto* slider = w.attributes()->slider(1);
    slider->setFocus();
    QTest::keyClick(slider, Qt::Key_PageUp);
    const double after = w.attributes()->value(1);
    QVERIFY(after > 0);
    QTest::keyClick(&w, Qt::Key_Z, Qt::ControlModifier);
    QCOMPARE(w.attributes()->value(1), 0.0);
    QTest::keyClick(&w, Qt::Key_Z, Qt::ControlModifier | Qt::ShiftModifier);
    QCOMPARE(w.attributes()->value(1), after);
    QTest::keyClick(&w, Qt::Key_Z, Qt::ControlModifier);
    QCOMPARE(w.attributes()->value(1), 0.0);
    QTest::keyClick(&w, Qt::Key_Y, Qt::ControlModifier);
    QCOMPARE(w.attributes()->value(1), after);
    auto* redo = w.findChild<QAction*>("redo");
    QVERIFY(redo);
    const auto keys = redo->shortcuts();
    for (const auto& k : keys) QCOMPARE(keys.count(k), 1);
  }

  // Issue 24 (4): the wheel over the attribute list scrolls it; a slider or number box takes the
  // wheel only once it has the focus.
  void theWheelScrollsTheListNotTheSliders() {
    MainWindow w;
    freshWindow(w, fourteenModel());
    w.resize(w.minimumSizeHint());
    auto* bar = w.attributes()->scrollArea()->verticalScrollBar();
    QTRY_VERIFY(bar->maximum() > 0);  // the list scrolls at this size
    bar->setValue(0);
    auto* slider = w.attributes()->slider(1);
    QVERIFY(!slider->hasFocus());
    wheel(slider, -120);
    QCOMPARE(slider->value(), 0);
    QCOMPARE(w.attributes()->value(1), 0.0);
    QVERIFY(bar->value() > 0);  // the list scrolled instead
    bar->setValue(bar->maximum());
    auto* last = w.attributes()->slider(13);
    wheel(last, -120);  // at the end of the list: still not the slider
    QCOMPARE(w.attributes()->value(13), 0.0);
    QCOMPARE(bar->value(), bar->maximum());
    wheel(w.attributes()->box(13), -120);
    QCOMPARE(w.attributes()->value(13), 0.0);
    wheel(last, 120);
    QCOMPARE(w.attributes()->value(13), 0.0);
    QVERIFY(bar->value() < bar->maximum());
    // Focused, the slider takes it.
    w.activateWindow();
    QVERIFY(QTest::qWaitForWindowActive(&w));
    bar->setValue(bar->maximum());
    last->setFocus();
    QVERIFY(last->hasFocus());
    wheel(last, 120);
    QVERIFY(w.attributes()->value(13) > 0.0);
  }

  // Issue 24 (5): at the default size every row shows whole (the Hold column too); at the smallest
  // size five rows do, and moving the focus never scrolls sideways. The number box has the
  // slider's range, and a value outside it is set to the end and said.
  void theAttributeListFitsAndTheBoxesAgreeWithTheSliders() {
    MainWindow w;
    freshWindow(w, fourteenModel());
    auto* panel = w.attributes();
    QCOMPARE(panel->count(), 14);
    auto* scroll = panel->scrollArea();
    QWidget* viewport = scroll->viewport();
    QTRY_COMPARE(scroll->verticalScrollBar()->maximum(), 0);  // all 14 rows in view
    for (int i = 0; i < panel->count(); ++i) {
      QVERIFY2(viewport->rect().contains(inViewport(panel->lockButton(i), viewport)), qPrintable(QString("row %1's Hold is cut").arg(i)));
      QVERIFY(panel->lockButton(i)->width() >= panel->lockButton(i)->sizeHint().width());
      QVERIFY(panel->label(i)->width() >= panel->label(i)->sizeHint().width());
      QVERIFY(viewport->rect().contains(inViewport(panel->box(i), viewport)));
    }
    // The smallest window: at least five whole rows, and Tab through the list never scrolls sideways.
    w.resize(w.minimumSizeHint());
    auto wholeRows = [&] {
      int whole = 0;
      for (int i = 0; i < panel->count(); ++i) whole += viewport->rect().contains(inViewport(panel->box(i), viewport)) ? 1 : 0;
      return whole;
    };
    QTRY_VERIFY(scroll->verticalScrollBar()->maximum() > 0);
    QTRY_VERIFY2(wholeRows() >= 5, qPrintable(QString("%1 rows in view at %2x%3").arg(wholeRows()).arg(w.width()).arg(w.height())));
    w.activateWindow();
    QVERIFY(QTest::qWaitForWindowActive(&w));
    panel->slider(0)->setFocus();
    for (int step = 0; step < 5 * panel->count(); ++step) {
      QTest::keyClick(QApplication::focusWidget(), Qt::Key_Tab);
      QCOMPARE(scroll->horizontalScrollBar()->value(), 0);
      for (int i = 0; i < panel->count(); ++i) QVERIFY(inViewport(panel->label(i), viewport).left() >= 0);
    }
    // One range: typed values outside it go to its end, and the status bar says what it is.
    auto* box = panel->box(0);
    for (const char* typed : {"2.5", "99"}) {
      box->setFocus();
      box->selectAll();
      QTest::keyClicks(box, typed);
      QTest::keyClick(box, Qt::Key_Return);
      QCOMPARE(panel->value(0), 1.5);
      QCOMPARE(panel->slider(0)->value(), panel->slider(0)->maximum());
      QVERIFY2(w.lastNotice().contains("1.50") && w.lastNotice().contains(typed), qPrintable(w.lastNotice()));
    }
    box->selectAll();
    QTest::keyClicks(box, "-0.75");
    QTest::keyClick(box, Qt::Key_Return);
    QCOMPARE(panel->value(0), -0.75);
    QCOMPARE(panel->slider(0)->value(), -50);
  }

  // Issue 24 (7): Open Recent holds files that opened, by absolute path, once.
  void openRecentHoldsFilesThatOpened() {
    QSettings().remove("paths/recent");
    MainWindow w;
    freshWindow(w, model_);
    QFile bad(path("bad.png"));
    QVERIFY(bad.open(QIODevice::WriteOnly));
    bad.write("\x89PNG not really");
    bad.close();
    const QString cwd = QDir::currentPath();
    QVERIFY(QDir::setCurrent(dir_.path()));
    QSignalSpy image(&w, &MainWindow::imageReady), errors(&w, &MainWindow::errorShown);
    w.openPhoto(QFileInfo(photo_).fileName());  // relative, as on a command line
    QVERIFY(image.wait(30000));
    w.openPhoto("bad.png");
    QVERIFY(errors.wait(30000));
    w.openPhoto("bad.png");
    QVERIFY(errors.wait(30000));
    w.openPhoto(QFileInfo(photo_).fileName());
    QVERIFY(image.wait(30000));
    QVERIFY(QDir::setCurrent(cwd));
    const QString absolute = QFileInfo(photo_).absoluteFilePath();
    QCOMPARE(QSettings().value("paths/recent").toStringList(), QStringList{absolute});
    const auto actions = w.findChild<QMenu*>("recent")->actions();
    QCOMPARE(actions.size(), 1);
    // From another folder it still opens.
    actions.first()->trigger();
    QVERIFY(image.wait(30000));
    QCOMPARE(w.currentImage().source, absolute);
  }

  // Issue 24 (11): what cannot run is disabled and says why; the save dialog suggests a name.
  void exportsThatCannotRunAreDisabled() {
    MainWindow w;
    w.show();
    openModelAndPhoto(w);
    auto* pasted = w.findChild<QAction*>("exportPasted");
    auto* animation = w.findChild<QAction*>("exportAnimation");
    QVERIFY(pasted && animation);
    QVERIFY(pasted->isEnabled());
    QVERIFY(animation->isEnabled());
    // No second image: the animation dialog offers the sweeps only, by the sliders' names.
    QStringList offered;
    onNextDialog("QDialog", [&](QWidget* d) {
      auto* animate = d->findChild<QComboBox*>("animate");
      for (int i = 0; animate && i < animate->count(); ++i) offered << animate->itemText(i);
      qobject_cast<QDialog*>(d)->reject();
    });
    animation->trigger();
    QVERIFY(!offered.isEmpty());
    for (const QString& o : offered) QVERIFY2(!o.contains("Interpolation"), qPrintable(o));
    QVERIFY2(offered.contains("Sweep Blond hair"), qPrintable(offered.join(", ")));
    // The suggested file name: the photo and its edit.
    w.attributes()->setValue(0, 1.0);
    QCOMPARE(w.suggestedFileName("png"), QString("photo-smiling.png"));
    QString suggested;
    onNextDialog("QFileDialog", [&](QWidget* d) {
      auto* dialog = qobject_cast<QFileDialog*>(d);
      suggested = dialog->selectedFiles().value(0);
      dialog->reject();
    });
    w.findChild<QAction*>("saveImage")->trigger();
    QVERIFY2(suggested.endsWith("/photo-smiling.png"), qPrintable(suggested));
    // A sample as the current image: there is no photo to paste it into.
    QSignalSpy samples(&w, &MainWindow::samplesShown), image(&w, &MainWindow::imageReady);
    w.setSampleSettings(0.7, 3, 2);
    w.sample();
    QVERIFY(samples.wait(30000));
    w.useSample(0);
    QVERIFY(image.wait(30000));
    QVERIFY(!pasted->isEnabled());
    QVERIFY2(pasted->toolTip().contains("sample"), qPrintable(pasted->toolTip()));
    bool opened = false;
    QPointer<QTimer> watch = onNextDialog("QFileDialog", [&](QWidget* d) {
      opened = true;
      qobject_cast<QFileDialog*>(d)->reject();
    });
    pasted->trigger();  // nothing opens
    QVERIFY(!opened);
    delete watch.data();
    w.undoStack()->undo();  // the photo again
    QVERIFY(image.wait(30000));
    QVERIFY(pasted->isEnabled());
  }

  // Issue 24 (2): the title names the photo and marks unsaved edits; quitting with them asks.
  void theTitleNamesThePhotoAndQuittingAsks() {
    MainWindow w;
    w.show();
    openModelAndPhoto(w);
    QVERIFY2(w.windowTitle().startsWith("photo.png[*]"), qPrintable(w.windowTitle()));
    QVERIFY(!w.isWindowModified());
    QVERIFY(w.close());  // nothing to lose: no question
    w.show();
    auto* slider = w.attributes()->slider(0);
    slider->setFocus();
    QTest::keyClick(slider, Qt::Key_PageUp);
    QVERIFY(w.isWindowModified());
    onNextDialog("QMessageBox", [](QWidget* d) { qobject_cast<QMessageBox*>(d)->button(QMessageBox::Cancel)->click(); });
    QVERIFY(!w.close());
    QVERIFY(w.isVisible());
    QVERIFY(w.saveImage(path("saved.png")));
    QVERIFY(!w.isWindowModified());
    QTest::keyClick(slider, Qt::Key_PageUp);
    QVERIFY(w.isWindowModified());
    onNextDialog("QMessageBox", [](QWidget* d) {
      auto* box = qobject_cast<QMessageBox*>(d);
      box->checkBox()->setChecked(true);  // don't ask again
      for (auto* b : box->buttons()) {
        if (box->buttonRole(b) == QMessageBox::DestructiveRole) b->click();
      }
    });
    QVERIFY(w.close());
    w.show();
    QTest::keyClick(slider, Qt::Key_PageUp);
    QVERIFY(w.isWindowModified());
    QVERIFY(w.close());  // not asked again
    QSettings().remove("confirm");
  }

  // The attributes that are not featured sit behind "More attributes (N)" until it is pressed; its
  // state persists, and a hidden row keeps (and shows) a value set from elsewhere.
  void moreAttributesShowsTheOthersWhenPressed() {
    QSettings().remove("attributes/showMore");
    MainWindow w;
    freshWindow(w, featuredModel());
    auto* panel = w.attributes();
    QCOMPARE(panel->count(), 5);
    auto* more = panel->moreButton();
    QVERIFY(more->isVisible());
    QCOMPARE(more->text(), QString("More attributes (3)"));
    for (int i = 0; i < panel->count(); ++i) {
      QCOMPARE(panel->slider(i)->isVisible(), i < 2);
      QCOMPARE(panel->label(i)->isVisible(), i < 2);
      QCOMPARE(panel->lockButton(i)->isVisible(), i < 2);
    }
    QTest::mouseClick(more, Qt::LeftButton);
    QVERIFY(more->isChecked());
    for (int i = 0; i < panel->count(); ++i) QVERIFY2(panel->slider(i)->isVisible() && panel->box(i)->isVisible(), qPrintable(QString::number(i)));
    QCOMPARE(QSettings().value("attributes/showMore").toBool(), true);
    {
      MainWindow again;  // the choice persists
      freshWindow(again, featuredModel());
      QVERIFY(again.attributes()->moreButton()->isChecked());
      QVERIFY(again.attributes()->slider(4)->isVisible());
    }
    // A value on a row that is not featured: it stays in view (and in the edit) when the others hide.
    panel->setValue(3, 0.5);
    QTest::mouseClick(more, Qt::LeftButton);
    QVERIFY(!more->isChecked());
    QCOMPARE(QSettings().value("attributes/showMore").toBool(), false);
    QVERIFY(!panel->slider(2)->isVisible() && !panel->slider(4)->isVisible());
    QVERIFY(panel->slider(3)->isVisible());
    QCOMPARE(panel->value(3), 0.5);
    // One set while hidden (a recipe, --set) is shown.
    panel->setValue(4, -0.25);
    QVERIFY(panel->slider(4)->isVisible());
    QVERIFY(panel->alphas()[4] == (std::pair<std::string, double>("Narrow_Eyes", -0.25)));
    // A model whose attributes are all featured has no toggle.
    QSignalSpy ready(&w, &MainWindow::modelReady);
    w.openModel(model_);
    QVERIFY(ready.wait(30000));
    QVERIFY(!panel->moreButton()->isVisible());
    QSettings().remove("attributes/showMore");
  }

  // Model > Bundled Models lists the installed ones, the real-photo model first, ticks the open one,
  // and choosing another is Open Model on it (the photo kept, one undo step).
  void bundledModelsAreInTheModelMenu() {
    QVERIFY(QDir().mkpath(path("bundled")));
    const QString real = path("bundled/celeba64.glow"), synthetic = path("bundled/faces64.glow");
    if (!QFileInfo::exists(real)) QVERIFY(QFile::copy(model_, real));
    if (!QFileInfo::exists(synthetic)) QVERIFY(QFile::copy(otherModel(), synthetic));
    MainWindow w;
    w.setBundledModels({real, synthetic});
    freshWindow(w, synthetic);
    QSignalSpy image(&w, &MainWindow::imageReady), model(&w, &MainWindow::modelReady);
    w.openPhoto(photo_);
    QVERIFY(image.wait(30000));
    waitShown(w);
    auto* menu = w.findChild<QMenu*>("bundledModels");
    QVERIFY(menu && menu->isEnabled());
    QVERIFY(w.findChild<QAction*>("openModel"));
    const auto actions = menu->actions();
    QCOMPARE(actions.size(), 2);
    QCOMPARE(actions[0]->text(), QString("Real photographs (celeba64)"));
    QCOMPARE(actions[1]->text(), QString("Synthetic faces (faces64)"));
    QVERIFY(actions[0]->isCheckable() && !actions[0]->isChecked() && actions[1]->isChecked());
    w.attributes()->setValue(1, 1.0);  // Smiling, kept by name
    waitShown(w);
    const int steps = w.undoStack()->count();
    const QString source = w.currentImage().source;
    menu->popup(w.mapToGlobal(QPoint(40, 40)));
    QVERIFY(QTest::qWaitForWindowExposed(menu));
    QTest::mouseClick(menu, Qt::LeftButton, {}, menu->actionGeometry(actions[0]).center());
    QVERIFY(model.wait(30000));
    QTRY_VERIFY_WITH_TIMEOUT(image.count() == 2, 30000);
    waitShown(w);
    QVERIFY(actions[0]->isChecked() && !actions[1]->isChecked());
    QCOMPARE(w.currentImage().source, source);
    QCOMPARE(w.attributes()->indexOf("Smiling"), 0);
    QCOMPARE(w.attributes()->value(0), 1.0);
    QCOMPARE(w.undoStack()->count(), steps + 1);
    w.undoStack()->undo();  // back to the synthetic one, ticked at once
    QVERIFY(!actions[0]->isChecked() && actions[1]->isChecked());
    QVERIFY(model.wait(30000));
    QVERIFY(actions[1]->isChecked());
    // A model that is not bundled: nothing ticked.
    w.openModel(fourteenModel());
    QVERIFY(model.wait(30000));
    QVERIFY(!actions[0]->isChecked() && !actions[1]->isChecked());
  }

  // Issue 22 (3): Model > Import Checkpoint asks for the checkpoint, its format and what the file
  // cannot say, and where to write the .glow (beside it); imports on the engine thread and opens
  // the model as Open Model does (the photo kept, one undo step). A model without directions says
  // how to add them where the sliders would be; a wrong format is one message naming the file.
  void importCheckpointOpensTheImportedModel() {
    // A tiny rosinality checkpoint from tests/import/make_checkpoints.py's own layout (Debian's
    // python3-torch): its random weights, with the coupling outputs, priors and ActNorms of a freshly
    // initialised model (zero, zero, identity), so that its samples decode (the fixtures' fully
    // random weights do not, even unedited).
    const QString python = QFile::exists("/usr/bin/python3") ? "/usr/bin/python3" : "python3";
    const QString checkpoint = path("rosinality_small.pt");
    const QString script = QStringLiteral(
        "import sys, torch\n"
        "from collections import OrderedDict\n"
        "sys.path.insert(0, sys.argv[1])\n"
        "import make_checkpoints as m\n"
        "sd = m.rosinality_state(torch.Generator().manual_seed(3), blocks=3, flows=2, width=8, affine=True, lu=True)\n"
        "for k, v in sd.items():\n"
        "    if k.endswith(('net.4.conv.weight', 'net.4.conv.bias', 'net.4.scale', 'actnorm.loc')) or '.prior.' in k:\n"
        "        v.zero_()\n"
        "    if k.endswith('actnorm.scale'):\n"
        "        v.fill_(1.0)\n"
        "torch.save(OrderedDict(('module.' + k, v) for k, v in sd.items()), sys.argv[2])\n");
    QProcess gen;
    gen.start(python, {"-c", script, QString(GLOWLAB_SOURCE_DIR) + "/tests/import", checkpoint});
    QVERIFY2(gen.waitForFinished(120000) && gen.exitStatus() == QProcess::NormalExit && gen.exitCode() == 0,
             qPrintable("making a checkpoint with tests/import/make_checkpoints.py failed (it needs Debian's python3-torch): " +
                        QString::fromUtf8(gen.readAllStandardError())));
    QVERIFY(QFileInfo::exists(checkpoint));
    QSettings().remove("import");
    MainWindow w;
    freshWindow(w, model_);
    QSignalSpy image(&w, &MainWindow::imageReady), model(&w, &MainWindow::modelReady), errors(&w, &MainWindow::errorShown);
    w.openPhoto(photo_);
    QVERIFY(image.wait(30000));
    waitShown(w);
    const QString source = w.currentImage().source;
    const int steps = w.undoStack()->count();
    auto* action = w.findChild<QAction*>("importCheckpoint");
    QVERIFY2(action, "Model > Import Checkpoint… is missing");
    QMenu* modelMenu = nullptr;
    for (QAction* a : w.menuBar()->actions()) {
      if (a->text().remove('&') == "Model") modelMenu = a->menu();
    }
    QVERIFY(modelMenu && modelMenu->actions().contains(action));

    // The three dialogs, each driven once it is on screen: the checkpoint, the options (real key
    // presses and a click on OK), and where to save (its suggestion recorded, `output` chosen).
    QString suggested, dialogTitle;
    bool optionsShown = false, saveShown = false;
    auto importVia = [&](int formatIndex, const QString& output) {
      suggested.clear();
      optionsShown = saveShown = false;
      onNextDialog("QFileDialog", [&, formatIndex, output](QWidget* d) {
        auto* open = qobject_cast<QFileDialog*>(d);
        onNextDialog("QDialog", [&, formatIndex, output](QWidget* o) {
          optionsShown = true;
          dialogTitle = o->windowTitle();
          auto* format = o->findChild<QComboBox*>("format");
          auto* size = o->findChild<QSpinBox*>("imageSize");
          auto* bits = o->findChild<QSpinBox*>("nBits");
          auto* buttons = o->findChild<QDialogButtonBox*>();
          if (format) {
            format->setFocus();
            QTest::keyClick(format, Qt::Key_Home);
            for (int i = 0; i < formatIndex; ++i) QTest::keyClick(format, Qt::Key_Down);
          }
          if (size && size->isEnabled()) {
            size->setFocus();
            QTest::keyClick(size, Qt::Key_A, Qt::ControlModifier);
            QTest::keyClicks(size, "16");
          }
          if (bits && bits->isEnabled()) {
            bits->setFocus();
            QTest::keyClick(bits, Qt::Key_A, Qt::ControlModifier);
            QTest::keyClicks(bits, "5");
          }
          onNextDialog("QFileDialog", [&, output](QWidget* s) {
            saveShown = true;
            auto* save = qobject_cast<QFileDialog*>(s);
            suggested = save->selectedFiles().value(0);
            setFileName(save, output);
            closeIfStuck(save);
            static_cast<QDialog*>(save)->accept();  // (QFileDialog::accept, public in QDialog)
          });
          closeIfStuck(o);
          if (buttons) QTest::mouseClick(buttons->button(QDialogButtonBox::Ok), Qt::LeftButton);
          else qobject_cast<QDialog*>(o)->reject();
        });
        setFileName(open, checkpoint);
        closeIfStuck(open);
        static_cast<QDialog*>(open)->accept();
      });
      modelMenu->popup(w.mapToGlobal(QPoint(40, 40)));
      QVERIFY(QTest::qWaitForWindowExposed(modelMenu));
      QTest::mouseClick(modelMenu, Qt::LeftButton, {}, modelMenu->actionGeometry(action).center());
    };

    // rosinality, 16 px, 5 bits, saved where suggested: CKPTNAME.glow beside the checkpoint.
    const QString written = QFileInfo(path("rosinality_small.glow")).absoluteFilePath();
    importVia(0, written);
    QVERIFY(optionsShown && saveShown);
    QVERIFY2(dialogTitle.contains("rosinality_small.pt"), qPrintable(dialogTitle));
    QCOMPARE(suggested, written);
    // Busy on the engine thread (the menu came back at once), or already done.
    QVERIFY(model.count() == 1 || (!action->isEnabled() && w.findChild<QProgressBar*>()->isVisible()));
    QVERIFY(model.count() == 1 || model.wait(60000));
    QVERIFY2(errors.isEmpty(), qPrintable(w.lastError()));
    QVERIFY(QFileInfo::exists(written));
    const QString said = w.statusBar()->currentMessage();
    QVERIFY2(said.contains("no attribute directions"), qPrintable(said));
    QTRY_VERIFY_WITH_TIMEOUT(image.count() == 2, 30000);  // the photo, re-encoded by the imported model
    waitShown(w);
    QVERIFY(action->isEnabled());
    QCOMPARE(w.currentImage().source, source);
    QCOMPARE(w.currentImage().crop.size(), QSize(16, 16));
    QCOMPARE(w.undoStack()->count(), steps + 1);
    QVERIFY2(w.windowTitle().contains("rosinality_small"), qPrintable(w.windowTitle()));
    w.findChild<QAction*>("modelInfo")->trigger();
    auto* card = w.findChild<QTextBrowser*>("card");
    QVERIFY(card);
    const QString text = card->toPlainText();
    QVERIFY2(text.contains("16 × 16, colour, 5-bit") && text.contains("3 levels × 2 steps") && text.contains("rosinality"), qPrintable(text));
    card->window()->close();
    // No sliders: a note, where they would be, says how to add them.
    QCOMPARE(w.attributes()->count(), 0);
    QLabel* note = w.attributes()->noDirectionsNote();
    QVERIFY(note);
    QVERIFY(note->isVisible());
    QVERIFY2(note->text().contains("glowlab-cli attributes -m MODEL DATA"), qPrintable(note->text()));
    // Sampling and interpolation work (near the mode: this random-weight flow decodes cleanly only
    // at a low temperature, and a sample becomes B as drawn).
    QSignalSpy samples(&w, &MainWindow::samplesShown), strip(&w, &MainWindow::stripShown);
    w.setSampleSettings(0.1, 5, 2);
    w.sample();
    QVERIFY2(samples.wait(30000), qPrintable(w.lastError()));
    QCOMPARE(w.sampleImages().size(), 2);
    QCOMPARE(w.sampleImages().first().size(), QSize(16, 16));
    w.interpolateTowardsSample(1);
    QVERIFY2(strip.wait(30000), qPrintable(w.lastError() + " / " + w.lastNotice()));
    // Undo brings the earlier model back, with its sliders (and the note goes).
    w.undoStack()->undo();
    QVERIFY(model.wait(30000));
    QCOMPARE(w.attributes()->count(), 2);
    QVERIFY(!w.attributes()->noDirectionsNote());

    // The wrong format (a rosinality file read as y0ast's): one message naming the file, and the
    // model in use stays.
    const int loads = model.count();
    importVia(1, path("wrong.glow"));
    QVERIFY(optionsShown && saveShown);
    QVERIFY(errors.count() == 1 || errors.wait(60000));
    QVERIFY2(w.lastError().contains("rosinality_small.pt"), qPrintable(w.lastError()));
    drainEngine(w);
    QCOMPARE(errors.count(), 1);
    QCOMPARE(model.count(), loads);
    QVERIFY(!QFileInfo::exists(path("wrong.glow")));
    QVERIFY(action->isEnabled());
    QCOMPARE(w.attributes()->count(), 2);
    for (auto* box : w.findChildren<QMessageBox*>()) box->close();
    QSettings().remove("import");
  }

  // The fall-back note (celeba64 not installed) is said the first time the program starts on its
  // default model, and never again.
  void theDefaultModelNoteIsSaidOnce() {
    QSettings().remove("notes");
    const QString note = "the real-photo model celeba64 is not installed (package glowlab-model-celeba64): using faces64";
    MainWindow w;
    freshWindow(w, model_);
    QVERIFY(!w.showDefaultModelNote(QString()));  // nothing to say: nothing said, nothing recorded
    QVERIFY(!QSettings().contains("notes/defaultModelShown"));
    QVERIFY(w.showDefaultModelNote(note));
    QVERIFY2(w.statusBar()->currentMessage().startsWith("The real-photo model celeba64 is not installed"), qPrintable(w.statusBar()->currentMessage()));
    MainWindow later;
    freshWindow(later, model_);
    QVERIFY(!later.showDefaultModelNote(note));
    QVERIFY(!later.statusBar()->currentMessage().contains("celeba64"));
    QSettings().remove("notes");
  }

  // A photo without a face: the note says the centre square is used (not the detector's box), and
  // the window's status bar and framing label say the same.
  void aPhotoWithoutAFaceSaysItIsACentreCrop() {
    const std::vector<double> framing{0.36, 0.45, 0.64, 0.45, 0.5, 0.58, 0.4, 0.72, 0.6, 0.72};
    Image plain{160, 120, 3, std::vector<std::uint8_t>(160 * 120 * 3, 128)};
    const auto crop = align_face(plain, kSize, true, "plain", framing);
    QVERIFY(!crop.face_found);
    QVERIFY2(crop.note.find("centre square") != std::string::npos && crop.note.find("detector's box") == std::string::npos, crop.note.c_str());
    at::manual_seed(1);
    ModelFile mf;
    mf.glow = Glow(test::tiny_config(kSize, 2, 2, 16));
    std::vector<Image> init;
    for (int i = 0; i < 8; ++i) init.push_back(test::random_image(kSize, 3, i));
    mf.glow->initialize(to_model_input_for_test(init));
    mf.framing = framing;
    const QString framed = path("framed.glow");
    save_model(framed.toStdString(), mf);
    MainWindow w;
    freshWindow(w, framed);
    QSignalSpy image(&w, &MainWindow::imageReady);
    w.openImage(toQImage(plain), ImageOrigin::Clipboard);
    QVERIFY(image.wait(30000));
    QCOMPARE(w.findChild<QLabel*>("framing")->text(), QString("No face: centre crop"));
    for (const QString& said : {w.findChild<QLabel*>("framing")->toolTip(), w.statusBar()->currentMessage()}) {
      QVERIFY2(said.contains("centre square") && !said.contains("detector's box"), qPrintable(said));
    }
  }

  // Issue 24 (6): every panel has its toggle in the View menu, and Reset Layout brings them back.
  void everyPanelCanBeBroughtBack() {
    MainWindow w;
    freshWindow(w, model_);
    for (const char* name : {"attributes", "samples", "interpolation", "faces"}) {
      QVERIFY2(w.findChild<QAction*>(QString("show-") + name), name);
    }
    w.findChild<QDockWidget*>("attributes")->close();
    QVERIFY(!w.findChild<QDockWidget*>("attributes")->isVisible());
    w.findChild<QAction*>("show-attributes")->trigger();
    QVERIFY(w.findChild<QDockWidget*>("attributes")->isVisible());
    w.findChild<QDockWidget*>("attributes")->close();
    w.findChild<QAction*>("resetLayout")->trigger();
    QVERIFY(w.findChild<QDockWidget*>("attributes")->isVisible());
  }

  // Issue 24 (8, 9, 10, 12, 13): the window says what it shows.
  void thePanelsAndMessagesSayWhatTheyShow() {
    MainWindow w;
    w.show();
    openModelAndPhoto(w);
    // Where the crop came from (8).
    QVERIFY(!w.findChild<QLabel*>("framing")->text().isEmpty());
    QVERIFY2(w.findChild<QLabel*>("framing")->toolTip().contains("face 1"), qPrintable(w.findChild<QLabel*>("framing")->toolTip()));
    // A corrupt PNG and a PNG opened as a model are named as such (13).
    QSignalSpy errors(&w, &MainWindow::errorShown);
    const auto png = read_file(photo_.toStdString(), 1 << 26);
    write_file_atomic(path("cut.png").toStdString(), png.substr(0, 120));
    w.openPhoto(path("cut.png"));
    QVERIFY(errors.wait(30000));
    QVERIFY2(w.lastError().contains("cut.png: corrupt PNG image"), qPrintable(w.lastError()));
    w.openModel(photo_);
    QVERIFY(errors.wait(30000));
    QVERIFY2(w.lastError().contains("not a GlowLab model (.glow): it is a PNG image"), qPrintable(w.lastError()));
    // Model > Info is a card (13).
    QSignalSpy ready(&w, &MainWindow::modelReady);
    w.openModel(otherModel());  // (the failed load left the first model in place)
    QVERIFY(ready.wait(30000));
    w.findChild<QAction*>("modelInfo")->trigger();
    auto* card = w.findChild<QTextBrowser*>("card");
    QVERIFY(card);
    QVERIFY2(card->toPlainText().contains("Attributes (2)") && card->toPlainText().contains("Eyeglasses"), qPrintable(card->toPlainText()));
    // The engine's description, as glowlab-cli info gives it: the latent's size, the framing, the scale (issue 23).
    for (const char* row : {"Latent", "Framing", "Scale"}) QVERIFY2(card->toPlainText().contains(row), qPrintable(card->toPlainText()));
    card->window()->close();
    // Samples drawn with other settings say so (10).
    QSignalSpy samples(&w, &MainWindow::samplesShown), strip(&w, &MainWindow::stripShown);
    w.setSampleSettings(0.7, 11, 2);
    w.sample();
    QVERIFY(samples.wait(30000));
    QVERIFY(!w.samplesStale());
    w.setSampleSettings(0.7, 12, 2);
    QVERIFY(w.samplesStale());
    w.sample();
    QVERIFY(samples.wait(30000));
    QVERIFY(!w.samplesStale());
    // The blend says how far it is, the view calls it a blend, Play says Stop while it plays (9).
    w.interpolateTowardsSample(1);
    QVERIFY(strip.wait(30000));
    w.findChild<QSlider*>("blend")->setValue(50);
    QCOMPARE(w.findChild<QLabel*>("blendValue")->text(), QString("50% B"));
    QCOMPARE(w.view()->editedCaption(), QString("Blend: 50% towards B"));
    QTest::mouseClick(w.findChild<QPushButton*>("play"), Qt::LeftButton);
    QCOMPARE(w.findChild<QPushButton*>("play")->text(), QString("Stop"));
    QTest::mouseClick(w.findChild<QPushButton*>("play"), Qt::LeftButton);
    QCOMPARE(w.findChild<QPushButton*>("play")->text(), QString("Play"));
    w.findChild<QSlider*>("blend")->setValue(0);
    QCOMPARE(w.view()->editedCaption(), QString("Edited"));
    // Animations at a chosen size (12).
    QSignalSpy exported(&w, &MainWindow::exported);
    w.exportAnimation(path("big.gif"), "Eyeglasses", 4, 8, 2);
    QVERIFY(exported.wait(30000));
    const auto info = read_animation_info(path("big.gif").toStdString());
    QCOMPARE(info.frames, 4);
    QCOMPARE(info.width, 2 * kSize);
  }

 private:
  static at::Tensor to_model_input_for_test(const std::vector<Image>& images);
};

#include "data/pixels.h"
at::Tensor TestApp::to_model_input_for_test(const std::vector<Image>& images) {
  return to_model_input(images_to_uint8(images), 8, at::kFloat, 1);
}

QTEST_MAIN(TestApp)
#include "test_app.moc"
