// A photo with two faces in the real MainWindow (offscreen): the Faces panel numbers them and a
// click picks one; a recipe records it; `glowlab-cli edit --recipe` reproduces the window's exports
// pixel for pixel (the edited face, the edit pasted into the photo, and a sample's edit).
#include <QtTest/QtTest>

#include "face_generator.h"

#include <QAction>
#include <QComboBox>
#include <QDockWidget>

#include <nlohmann/json.hpp>

#include "attribute_panel.h"
#include "bundle/model_file.h"
#include "core/atomic_file.h"
#include "data/celeba.h"
#include "data/pixels.h"
#include "face_picker.h"
#include "glowlab.h"
#include "image_view.h"
#include "main_window.h"
#include "qt_image.h"
#include "testutil.h"
#include "tiny_model.h"

using namespace glowlab;

namespace {

constexpr int kSize = 32;

struct Run {
  int code = -1;
  QString err;
};

Run cli(const QStringList& args) {
  QProcess p;
  p.start(GLOWLAB_CLI, args);
  if (!p.waitForFinished(180000)) return {};
  return {p.exitStatus() == QProcess::NormalExit ? p.exitCode() : -2, QString::fromUtf8(p.readAllStandardError())};
}

bool same_pixels(const Image& a, const Image& b) {
  return a.width == b.width && a.height == b.height && a.channels == b.channels && a.bytes == b.bytes;
}

}  // namespace

class TestRecipes : public QObject {
  Q_OBJECT
  QTemporaryDir dir_;
  QString model_, photo_;
  std::unique_ptr<MainWindow> w_;

  QString path(const QString& name) const { return dir_.path() + "/" + name; }

  void waitShown(MainWindow& w) {
    QTRY_VERIFY_WITH_TIMEOUT(w.shownGeneration() == w.requestedGeneration() && w.shownGeneration() > 0, 30000);
  }

 private Q_SLOTS:
  void initTestCase() {
    QStandardPaths::setTestModeEnabled(true);
    QSettings().clear();
    init_runtime();
    // Two generated faces of different sizes on one canvas.
    const QString failed = test::generate_faces(path("gen"), 3, 11, 256);
    QVERIFY2(failed.isEmpty(), qPrintable(failed));
    Image canvas{640, 360, 3, std::vector<std::uint8_t>(640 * 360 * 3, 200)};
    auto paste = [&](const Image& im, int x0, int y0) {
      for (int y = 0; y < im.height; ++y) {
        std::copy_n(im.bytes.data() + static_cast<size_t>(y) * im.width * 3, im.width * 3,
                    canvas.bytes.data() + (static_cast<size_t>(y0 + y) * canvas.width + x0) * 3);
      }
    };
    paste(read_image(path("gen/img_align_celeba/000002.png").toStdString(), 3), 30, 50);
    paste(crop_with_transform(read_image(path("gen/img_align_celeba/000003.png").toStdString(), 3), 192, {0.75, 0, 0, 0, 0.75, 0}).crop,
          400, 90);
    photo_ = path("two.png");
    write_image(photo_.toStdString(), canvas);
    // A tiny model that frames faces as the generator does.
    ModelFile mf = test::tiny_model_file(kSize, 2);
    mf.attributes = {{"Smiling", 10, 10, -1.5, 1.5}, {"Blond_Hair", 10, 10, -1, 1}};
    const int64_t d = mf.glow->config().dimension();
    mf.directions = {at::randn({d}) * 0.5, at::randn({d}) * 0.5};
    mf.framing = celeba_framing(path("gen").toStdString());
    model_ = path("tiny.glow");
    save_model(model_.toStdString(), mf);
    if (!have_landmark_support()) QSKIP("built with GLOWLAB_DLIB=OFF: faces are not found by landmarks");

    w_ = std::make_unique<MainWindow>();
    w_->show();
    QSignalSpy model(w_.get(), &MainWindow::modelReady), image(w_.get(), &MainWindow::imageReady);
    w_->openModel(model_);
    QVERIFY(model.wait(30000));
    w_->openPhoto(photo_);
    QVERIFY(image.wait(30000));
    waitShown(*w_);
  }

  void everyFaceIsNumberedAndAClickPicksOne() {
    const auto& first = w_->currentImage();
    QCOMPARE(first.faceBoxes.size(), 2);
    QCOMPARE(first.faceIndex, 0);  // the largest by default
    QVERIFY(first.faceBoxes[0].width() > first.faceBoxes[1].width());
    QVERIFY(w_->findChild<QDockWidget*>("faces")->isVisible());
    auto* picker = w_->findChild<FacePicker*>();
    QCOMPARE(picker->count(), 2);
    QCOMPARE(picker->findChild<QComboBox*>("faceChooser")->count(), 2);
    QVERIFY2(w_->lastError().isEmpty(), qPrintable(w_->lastError()));
    const QImage largest = first.crop;
    // A click on box 2 edits the second face: a different crop, its centre on that face.
    QSignalSpy image(w_.get(), &MainWindow::imageReady);
    const QRect box = picker->boxOnScreen(1);
    QVERIFY(!box.isEmpty());
    QTest::mouseClick(picker, Qt::LeftButton, {}, box.center());
    QVERIFY(image.wait(30000));
    waitShown(*w_);
    QCOMPARE(w_->currentImage().faceIndex, 1);
    QCOMPARE(picker->current(), 1);
    QVERIFY(w_->currentImage().crop != largest);
    const auto& t = w_->currentImage().transform;  // photo -> crop: the crop's centre lies in the small face's half
    const double det = t[0] * t[4] - t[1] * t[3], u = kSize / 2.0 - 0.5 - t[2], v = kSize / 2.0 - 0.5 - t[5];
    QVERIFY((t[4] * u - t[1] * v) / det > 400);
    // Undo brings the first face back; redo the second.
    w_->undoStack()->undo();
    QVERIFY(image.wait(30000));
    QCOMPARE(w_->currentImage().faceIndex, 0);
    QCOMPARE(w_->currentImage().crop, largest);
    w_->undoStack()->redo();
    QVERIFY(image.wait(30000));
    QCOMPARE(w_->currentImage().faceIndex, 1);
    waitShown(*w_);
  }

  void theCliReproducesTheWindowsExports() {
    w_->setSlider(w_->attributes()->attribute(0).name, 0.9);
    w_->setSlider(w_->attributes()->attribute(1).name, -0.6);
    w_->document()->setDetail(1);
    waitShown(*w_);
    QVERIFY(w_->saveRecipe(path("face2.json")));
    const auto recipe = nlohmann::json::parse(read_file(path("face2.json").toStdString(), 1 << 20));
    QCOMPARE(recipe["source"]["face"].get<int>(), 2);
    QVERIFY(w_->saveImage(path("window.png")));
    QSignalSpy exported(w_.get(), &MainWindow::exported);
    w_->exportPasted(path("window-pasted.png"));
    QVERIFY(exported.wait(30000));

    auto r = cli({"edit", "--recipe", path("face2.json"), "-o", path("cli.png")});
    QVERIFY2(r.code == 0, qPrintable(r.err));
    QVERIFY(same_pixels(read_image(path("cli.png").toStdString(), 3), read_image(path("window.png").toStdString(), 3)));
    r = cli({"edit", "--recipe", path("face2.json"), "--paste-back", "-o", path("cli-pasted.png")});
    QVERIFY2(r.code == 0, qPrintable(r.err));
    const auto pasted = read_image(path("cli-pasted.png").toStdString(), 3);
    QVERIFY(same_pixels(pasted, read_image(path("window-pasted.png").toStdString(), 3)));
    QVERIFY(!same_pixels(pasted, read_image(photo_.toStdString(), 3)));
    // The recipe applied to the photo named again: its face 2 is found and framed the same way.
    r = cli({"edit", photo_, "--recipe", path("face2.json"), "-o", path("cli-again.png")});
    QVERIFY2(r.code == 0, qPrintable(r.err));
    QVERIFY(same_pixels(read_image(path("cli-again.png").toStdString(), 3), read_image(path("window.png").toStdString(), 3)));
  }

  void aSampleRecipeToo() {
    QSignalSpy samples(w_.get(), &MainWindow::samplesShown), image(w_.get(), &MainWindow::imageReady);
    w_->setSampleSettings(0.6, 7, 3);
    w_->sample();
    QVERIFY(samples.wait(30000));
    QVERIFY(w_->findChild<QDockWidget*>("faces")->isVisible());
    QApplication::processEvents();
    const QRect attributesBefore = w_->findChild<QDockWidget*>("attributes")->geometry();
    w_->useSample(2);
    QVERIFY(image.wait(30000));
    // A sample has no faces to choose: the Faces panel stays, greyed and saying so, and the panels
    // beside it do not move.
    QApplication::processEvents();
    QVERIFY(w_->findChild<QDockWidget*>("faces")->isVisible());
    QVERIFY(!w_->findChild<FacePicker*>()->isEnabled());
    QCOMPARE(w_->findChild<FacePicker*>()->count(), 0);
    QVERIFY2(w_->findChild<FacePicker*>()->placeholder().contains("No photo for a sample"), qPrintable(w_->findChild<FacePicker*>()->placeholder()));
    QCOMPARE(w_->findChild<QDockWidget*>("attributes")->geometry(), attributesBefore);
    w_->setSlider(w_->attributes()->attribute(0).name, -0.7);
    waitShown(*w_);
    QVERIFY(w_->saveRecipe(path("sample.json")));
    QVERIFY(w_->saveImage(path("window-sample.png")));
    auto r = cli({"edit", "--recipe", path("sample.json"), "-o", path("cli-sample.png")});
    QVERIFY2(r.code == 0, qPrintable(r.err));
    QVERIFY(same_pixels(read_image(path("cli-sample.png").toStdString(), 3), read_image(path("window-sample.png").toStdString(), 3)));
    r = cli({"edit", "--recipe", path("sample.json"), "--paste-back", "-o", path("nothing.png")});
    QCOMPARE(r.code, 1);
    QVERIFY2(r.err.contains("edits a sample: there is no photo to paste it into"), qPrintable(r.err));
    // Back to the photo (the slider's step first): its faces again, to choose from.
    w_->undoStack()->undo();
    w_->undoStack()->undo();
    QVERIFY(image.wait(30000));
    QVERIFY(w_->findChild<FacePicker*>()->isEnabled());
    QCOMPARE(w_->findChild<FacePicker*>()->count(), 2);
    QVERIFY(w_->findChild<QDockWidget*>("faces")->isVisible());
    QApplication::processEvents();
    QCOMPARE(w_->findChild<QDockWidget*>("attributes")->geometry(), attributesBefore);
    // View > Reset Layout while a sample is edited keeps the panel too.
    w_->undoStack()->redo();
    QVERIFY(image.wait(30000));
    QVERIFY(w_->findChild<QDockWidget*>("faces")->isVisible());
    w_->findChild<QAction*>("resetLayout")->trigger();
    QVERIFY(w_->findChild<QDockWidget*>("faces")->isVisible());
  }
};

QTEST_MAIN(TestRecipes)
#include "test_recipes.moc"
