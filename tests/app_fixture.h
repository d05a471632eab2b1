// The fixture the window's test suites share (test_app, test_app_models, test_app_panels): a tiny
// model and a photo made at test time, other models on demand, and helpers to drive the real
// MainWindow offscreen. Waits are on signals (QSignalSpy::wait / QTRY_*), never on sleeps.
#pragma once

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
#include <QPainter>
#include <QSlider>
#include <QStandardPaths>
#include <QStatusBar>
#include <QTextBrowser>
#include <QToolButton>

#include <atomic>
#include <functional>

#include "attribute_panel.h"
#include "bundle/model_file.h"
#include "core/atomic_file.h"
#include "glowlab.h"
#include "face_picker.h"
#include "image_view.h"
#include "main_window.h"
#include "qt_image.h"
#include "data/pixels.h"
#include "testutil.h"
#include "tiny_model.h"
#include "video_dialog.h"

namespace app_test {

using namespace glowlab;

constexpr int kSize = 32;

// A photo: a generated face, enlarged and placed off-centre on a plain canvas, that the face
// detector finds. Returns the path.
inline QString make_photo(const QString& dir) {
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

inline bool same_pixels(const QImage& a, const QImage& b) {
  return a.convertToFormat(QImage::Format_RGB888) == b.convertToFormat(QImage::Format_RGB888);
}

// Runs `act` on the next modal dialog of class `className` once it is on screen (the window's
// dialogs run their own event loop: exec()). Polled from the event loop, never a sleep.
inline QTimer* onNextDialog(const char* className, std::function<void(QWidget*)> act) {
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
inline void closeIfStuck(QWidget* dialog) {
  QPointer<QWidget> d(dialog);
  QTimer::singleShot(3000, [d] {
    if (!d || !d->isVisible()) return;
    for (auto* box : d->findChildren<QMessageBox*>()) box->reject();
    if (auto* dd = qobject_cast<QDialog*>(d.data())) dd->reject();
  });
}

// The file name box of a (Qt, not native) file dialog set to `file`, as typed, with no other file
// left selected in its list (selectFile leaves a focused box alone, and a selection wins over it).
inline void setFileName(QFileDialog* dialog, const QString& file) {
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
inline void wheel(QWidget* widget, int delta) {
  const QPointF pos = QRectF(widget->rect()).center();
  QWheelEvent event(pos, widget->mapToGlobal(pos), QPoint(), QPoint(0, delta), Qt::NoButton, Qt::NoModifier, Qt::NoScrollPhase, false);
  QApplication::sendEvent(widget, &event);
}

// Where `w` lies in the scroll area's viewport.
inline QRect inViewport(QWidget* w, QWidget* viewport) { return QRect(w->mapTo(viewport, QPoint(0, 0)), w->size()); }


// Row i of the attribute panel's widgets, found by name (objectName "KIND-ATTRIBUTE").
template <class T>
T* rowWidget(AttributePanel* panel, const char* kind, int i) {
  return panel->findChild<T*>(QStringLiteral("%1-%2").arg(kind, QString::fromStdString(panel->attribute(i).name)));
}
inline QSlider* sliderOf(AttributePanel* panel, int i) { return rowWidget<QSlider>(panel, "slider", i); }
inline QDoubleSpinBox* boxOf(AttributePanel* panel, int i) { return rowWidget<QDoubleSpinBox>(panel, "value", i); }
inline QLabel* labelOf(AttributePanel* panel, int i) { return rowWidget<QLabel>(panel, "label", i); }
inline QToolButton* holdOf(AttributePanel* panel, int i) { return rowWidget<QToolButton>(panel, "hold", i); }

// The files every suite starts from, and the helpers that use them.
class AppFixture {
 protected:
  QTemporaryDir dir_;
  QString model_, photo_;

  QString path(const QString& name) const { return dir_.path() + "/" + name; }

  // A model with the 14 attributes of the bundled ones (Smiling: -1.5 .. 1.5, an Age in years).
  QString fourteenModel() {
    const QString file = path("fourteen.glow");
    if (QFileInfo::exists(file)) return file;
    ModelFile mf = test::tiny_model_file(kSize, 8);
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
    ModelFile mf = test::tiny_model_file(kSize, 4, 20);
    mf.attributes = {{"Eyeglasses", 10, 10, -1, 1}, {"Smiling", 10, 10, -1.5, 1.5}};
    mf.directions = {at::randn({mf.glow->config().dimension()}) * 0.5, at::randn({mf.glow->config().dimension()}) * 0.5};
    save_model(file.toStdString(), mf);
    return file;
  }

  // A model whose last three attributes are not featured (they missed the judge's target).
  QString featuredModel() {
    const QString file = path("featured.glow");
    if (QFileInfo::exists(file)) return file;
    ModelFile mf = test::tiny_model_file(kSize, 9, 40);
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

  // Draws `count` samples with `seed` and makes sample 2 (index 1) the second image B; returns once
  // the interpolation strip is shown.
  static void sampleAsSecond(MainWindow& w, quint64 seed, int count) {
    QSignalSpy samples(&w, &MainWindow::samplesShown), strip(&w, &MainWindow::stripShown);
    w.setSampleSettings(0.7, seed, count);
    w.sample();
    QVERIFY(samples.wait(30000));
    w.interpolateTowardsSample(1);
    QVERIFY(strip.wait(30000));
  }

  void openModelAndPhoto(MainWindow& w) {
    QSignalSpy model(&w, &MainWindow::modelReady), image(&w, &MainWindow::imageReady), shown(&w, &MainWindow::renderShown);
    w.openModel(model_);
    QVERIFY(model.wait(30000));
    w.openPhoto(photo_);
    QVERIFY(image.wait(30000));
    QTRY_VERIFY_WITH_TIMEOUT(w.shownGeneration() == w.requestedGeneration() && w.shownGeneration() > 0, 30000);
  }

  // The window on screen with the model and photo open, and active (it takes the keys sent to it).
  void openActiveWindow(MainWindow& w) {
    w.show();
    openModelAndPhoto(w);
    w.activateWindow();
    QVERIFY(QTest::qWaitForWindowActive(&w));
  }

  // What the engine itself renders for the current crop and the given slider values.
  QImage direct_render(const QImage& crop, const std::vector<std::pair<std::string, double>>& alphas) {
    auto m = Model::load(model_.toStdString());
    const auto base = m.encode(fromQImage(crop));
    return toQImage(m.decode_guarded(base, m.edit(base, alphas)).image);  // the window shows the guarded render
  }

  // The tiny model (Smiling, Blond_Hair) and a photo whose face the detector finds, with fresh settings.
  void makeModelAndPhoto() {
    QStandardPaths::setTestModeEnabled(true);
    QSettings().clear();
    init_runtime();
    ModelFile mf = test::tiny_model_file(kSize, 1);
    mf.attributes = {{"Smiling", 10, 10, -1.5, 1.5}, {"Blond_Hair", 10, 10, -1, 1}};
    const int64_t d = mf.glow->config().dimension();
    mf.directions = {at::randn({d}) * 0.5, at::randn({d}) * 0.5};
    model_ = path("tiny.glow");
    save_model(model_.toStdString(), mf);
    photo_ = make_photo(dir_.path());
    QVERIFY2(!photo_.isEmpty(), "no generated face was found by the detector (is node installed?)");
  }
};

}  // namespace app_test
