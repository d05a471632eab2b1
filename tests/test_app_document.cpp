// The edit's one owner and what rests on it (issue 29, items 15, 1 and 14): EditDocument driven
// with no widget at all (undo, autosave, export), a new photo that starts from its own unedited
// state, and a window killed mid-drag whose edit comes back pixel for pixel. The killed windows
// are this program run again as a child (--crash-child, --restore-child), killed with SIGKILL.
#include <csignal>
#include <cstdio>

#include <unistd.h>

#include "app_fixture.h"
#include "autosave.h"
#include "edit_document.h"

#ifdef GLOWLAB_HAVE_EXIV2
#include <exiv2/exiv2.hpp>
#endif

using namespace app_test;

namespace {

// Waits until `path` holds an autosave whose Smiling is `smiling` (the settled edit).
bool waitForAutosave(MainWindow& w, double smiling) {
  QSignalSpy saved(&w, &MainWindow::autosaved);
  for (int i = 0; i < 50; ++i) {
    try {
      for (const auto& [name, value] : Autosave::read(w.autosavePath()).recipe.sliders) {
        if (name == "Smiling" && value == smiling) return true;
      }
    } catch (const Error&) {
    }
    saved.wait(2000);
  }
  return false;
}

// A window that opens the photo, edits it (two sliders, a hold, the detail), exports it into the
// photo, then begins a drag it never ends and says so on stdout: the parent kills it there.
int crashChild(const QStringList& args) {
  init_runtime();
  MainWindow w;
  w.show();
  QSignalSpy model(&w, &MainWindow::modelReady), image(&w, &MainWindow::imageReady), exported(&w, &MainWindow::exported);
  w.openModel(args.value(0));
  if (!model.wait(60000)) return 3;
  w.openPhoto(args.value(1));
  if (!image.wait(60000)) return 4;
  w.setSlider("Smiling", 1.25);
  w.setSlider("Blond_Hair", -0.5);
  w.document()->setHeld("Blond_Hair", true);
  w.document()->setDetail(1);
  if (!waitForAutosave(w, 1.25)) return 5;
  w.exportPasted(args.value(2));
  if (!exported.wait(60000)) return 6;
  auto* slider = w.attributes()->findChild<QSlider*>("slider-Smiling");
  slider->setSliderDown(true);  // pressed, moved, never let go
  slider->setValue(slider->value() - 40);
  QCoreApplication::processEvents();
  if (w.document()->value("Smiling") == 1.25) return 7;
  // Mid-drag nothing is written (the settled edit stays on disk until the slider is let go).
  if (w.findChild<QTimer*>("autosaveTimer")->isActive()) return 8;
  std::printf("dragging %s\n", qPrintable(w.autosavePath()));
  std::fflush(stdout);
  return QCoreApplication::exec();
}

// A window that begins to restore `args[0]` and dies at once (a restore that crashes).
int restoreChild(const QStringList& args) {
  init_runtime();
  MainWindow w;
  w.restoreAutosave(args.value(0));
  ::kill(::getpid(), SIGKILL);
  return 0;
}

#ifdef GLOWLAB_HAVE_EXIV2
// A minimal colour profile: ICC's 128-byte header (an RGB display profile) and one tag, a copyright text.
Exiv2::DataBuf testProfile() {
  Exiv2::DataBuf icc(156);
  std::memset(icc.pData_, 0, static_cast<size_t>(icc.size_));
  icc.pData_[3] = 156;                               // the profile's size
  icc.pData_[8] = 2, icc.pData_[9] = 0x10;           // version 2.1
  std::memcpy(icc.pData_ + 12, "mntrRGB XYZ ", 12);  // class, colour space, connection space
  std::memcpy(icc.pData_ + 36, "acsp", 4);           // the signature
  icc.pData_[70] = 0xf6, icc.pData_[71] = 0xd6;      // D50 white, as ICC asks
  icc.pData_[74] = 1;
  icc.pData_[78] = 0xd3, icc.pData_[79] = 0x2d;
  icc.pData_[131] = 1;                               // one tag: 'cprt' at 144, 12 bytes
  std::memcpy(icc.pData_ + 132, "cprt", 4);
  icc.pData_[139] = 144;
  icc.pData_[143] = 12;
  std::memcpy(icc.pData_ + 144, "text\0\0\0\0GL", 10);
  return icc;
}

struct Tags {
  QString make;
  int orientation = 0;  // 0: none
  QByteArray icc;
  bool thumbnail = false;
};

Tags readTags(const QString& path) {
  auto image = Exiv2::ImageFactory::open(path.toStdString());
  image->readMetadata();
  Tags t;
  const auto& exif = image->exifData();
  auto make = exif.findKey(Exiv2::ExifKey("Exif.Image.Make"));
  if (make != exif.end()) t.make = QString::fromStdString(make->toString());
  auto orientation = exif.findKey(Exiv2::ExifKey("Exif.Image.Orientation"));
  if (orientation != exif.end()) t.orientation = static_cast<int>(orientation->toLong());
  if (image->iccProfileDefined()) t.icc = QByteArray(reinterpret_cast<const char*>(image->iccProfile()->pData_), image->iccProfile()->size_);
  t.thumbnail = Exiv2::ExifThumbC(exif).copy().size_ > 0;
  return t;
}
#endif

}  // namespace

class TestAppDocument : public QObject, AppFixture {
  Q_OBJECT

  // Runs this program as a child window; `until`: the stdout line that says it is ready to be
  // killed (empty: wait for its end). Returns its stdout.
  QString child(const QStringList& args, const QString& until) {
    QProcess p;
    auto env = QProcessEnvironment::systemEnvironment();
    env.insert("QT_QPA_PLATFORM", "offscreen");
    env.insert("GLOWLAB_AUTOSAVE_DIR", path("crash-autosave"));
    env.insert("XDG_CONFIG_HOME", path("crash-config"));
    p.setProcessEnvironment(env);
    p.setProcessChannelMode(QProcess::ForwardedErrorChannel);
    p.start(QCoreApplication::applicationFilePath(), args);
    QString out;
    while (p.state() != QProcess::NotRunning && (until.isEmpty() || !out.contains(until))) {
      p.waitForReadyRead(120000);
      out += QString::fromUtf8(p.readAllStandardOutput());
      if (p.state() == QProcess::NotRunning) break;
    }
    if (!until.isEmpty() && out.contains(until)) p.kill();  // SIGKILL: no clean-up runs
    p.waitForFinished(60000);
    out += QString::fromUtf8(p.readAllStandardOutput());
    lastExit_ = p.exitStatus() == QProcess::CrashExit ? -1 : p.exitCode();
    return out;
  }
  int lastExit_ = 0;

 private Q_SLOTS:
  void initTestCase() {
    makeModelAndPhoto();
    qputenv("GLOWLAB_AUTOSAVE_DIR", path("autosave").toLocal8Bit());
    // The same face, mirrored: another photo to open.
    QImage(photo_).mirrored(true, false).save(path("other.png"));
  }

  // Item 15: the document alone (no widget) takes edits, merges a drag, undoes and redoes them,
  // starts a new image unedited, writes the autosave, and what it holds exports the same pixels.
  // The history keeps the last kUndoLimit steps: a long session's memory stays bounded.
  void theUndoHistoryKeepsTheLastThousandSteps() {
    EditDocument doc;
    ModelSummary model;
    model.path = "smiling.glow";
    model.attributes = {{"Smiling", 10, 10, -1.5, 1.5}};
    doc.switchModel(model, "Open model");
    auto value = [](int i) { return 0.01 * (1 + i % 97); };  // never the starting 0
    for (int i = 1; i <= EditDocument::kUndoLimit + 100; ++i) QVERIFY(doc.setValue("Smiling", value(i)));
    QCOMPARE(doc.undoStack()->count(), EditDocument::kUndoLimit);
    while (doc.undoStack()->canUndo()) doc.undoStack()->undo();
    QCOMPARE(doc.value("Smiling"), value(100));  // the oldest state kept: after step 100
  }

  void theDocumentDrivesUndoAutosaveAndExportWithoutWidgets() {
    QVERIFY(QApplication::allWidgets().isEmpty());
    EngineWorker worker;
    EditDocument doc;
    QSignalSpy loaded(&worker, &EngineWorker::modelLoaded), ready(&worker, &EngineWorker::imageReady),
        exported(&worker, &EngineWorker::exported), failed(&worker, &EngineWorker::failed), hints(&doc, &EditDocument::hint);
    worker.loadModel(model_, "cpu");
    QVERIFY(loaded.wait(30000));
    const auto model = loaded.takeFirst().at(0).value<ModelSummary>();
    doc.switchModel(model, "Open model");
    worker.openPhoto(photo_);
    QVERIFY(ready.wait(30000));
    const ImageRef photo = imageRefOf(ready.takeFirst().at(0).value<ImageSummary>());
    doc.switchImage(photo, "Open photo");
    QCOMPARE(doc.undoStack()->count(), 0);  // the first model and image are where it starts
    // A drag is one step; a value beyond the range is held to it and said.
    doc.setValue("Smiling", 0.3, 7);
    doc.setValue("Smiling", 0.6, 7);
    QCOMPARE(doc.undoStack()->count(), 1);
    QVERIFY(doc.setValue("Smiling", 9.0));
    QCOMPARE(doc.value("Smiling"), 1.5);
    QCOMPARE(hints.count(), 1);
    QVERIFY(!doc.setValue("Smilng", 1.0));
    doc.setValue("Blond_Hair", -0.4);
    doc.setHeld("Blond_Hair", true);
    QCOMPARE(doc.undoStack()->count(), 4);
    QCOMPARE(doc.undoStack()->undoText(), QString("Hold Blond hair"));
    doc.undoStack()->undo();
    QVERIFY(!doc.isHeld("Blond_Hair"));
    doc.undoStack()->undo();
    doc.undoStack()->undo();
    QCOMPARE(doc.value("Smiling"), 0.6);
    doc.undoStack()->redo();
    doc.undoStack()->redo();
    doc.undoStack()->redo();
    QCOMPARE(doc.value("Smiling"), 1.5);
    QVERIFY(doc.isHeld("Blond_Hair"));
    QVERIFY(doc.hasUnexportedEdits());
    // What a render or an export reads.
    const EditState state = doc.editState();
    QCOMPARE(state.locked, std::vector<std::string>{"Blond_Hair"});
    QVERIFY(!state.interpolating);

    // The autosave holds it all, and an export from what it holds is the same, pixel for pixel.
    Autosave autosave(path("doc-autosave"));
    QString error;
    QVERIFY2(autosave.write(doc.state(), {}, &error), qPrintable(error));
    const AutosaveData saved = Autosave::read(autosave.path());
    QCOMPARE(saved.recipe.sliders, doc.recipe().sliders);
    QCOMPARE(saved.recipe.locked, doc.recipe().locked);
    QCOMPARE(saved.recipe.source, QFileInfo(photo_).absoluteFilePath().toStdString());
    QVERIFY(saved.describe().contains("Smiling +1.50"));
    worker.exportPasted(path("doc-before.png"), doc.editState());
    QVERIFY(exported.wait(30000));
    EngineWorker again;
    EditDocument restored;
    QSignalSpy loaded2(&again, &EngineWorker::modelLoaded), ready2(&again, &EngineWorker::imageReady),
        exported2(&again, &EngineWorker::exported);
    again.loadModel(QString::fromStdString(saved.recipe.model), saved.device);
    QVERIFY(loaded2.wait(30000));
    again.openPhotoWithTransform(QString::fromStdString(saved.recipe.source), saved.recipe.transform, saved.recipe.face - 1);
    QVERIFY(ready2.wait(30000));
    EditSnapshot snapshot;
    snapshot.setModel(loaded2.takeFirst().at(0).value<ModelSummary>());
    snapshot.image = imageRefOf(ready2.takeFirst().at(0).value<ImageSummary>());
    snapshot.sliders = {saved.recipe.sliders, saved.recipe.locked, saved.recipe.finest_level};
    restored.reset(snapshot);
    again.exportPasted(path("doc-after.png"), restored.editState());
    QVERIFY(exported2.wait(30000));
    QVERIFY(same_pixels(QImage(path("doc-before.png")), QImage(path("doc-after.png"))));

    // Item 1: another image starts unedited; undo brings back the photo with its sliders.
    worker.openPhoto(path("other.png"));
    QVERIFY(ready.wait(30000));
    doc.switchImage(imageRefOf(ready.takeFirst().at(0).value<ImageSummary>()), "Open other.png");
    QCOMPARE(doc.value("Smiling"), 0.0);
    QVERIFY(!doc.hasUnexportedEdits());
    doc.undoStack()->undo();
    QCOMPARE(doc.state().image.id, photo.id);
    QCOMPARE(doc.value("Smiling"), 1.5);
    QVERIFY2(failed.isEmpty(), qPrintable(failed.isEmpty() ? QString() : failed.first().first().toString()));
    QVERIFY(QApplication::allWidgets().isEmpty());
  }

  // Item 1 in the window: a new photo opens unedited (title unmarked, no blend), the previous photo
  // and its sliders one undo step back; Preferences can keep the sliders instead (remembered).
  void aNewPhotoStartsFromItsOwnUneditedState() {
    QSettings().remove("edit/keepSliders");
    MainWindow w;
    openActiveWindow(w);
    if (QTest::currentTestFailed()) return;
    QSignalSpy image(&w, &MainWindow::imageReady);
    sampleAsSecond(w, 5, 2);
    w.findChild<QSlider*>("blend")->setValue(92);
    w.setSlider("Smiling", 1.0);
    waitShown(w);
    QVERIFY(w.isWindowModified());
    w.openPhoto(path("other.png"));
    QVERIFY(image.wait(30000));
    QCOMPARE(w.attributes()->value(0), 0.0);
    QCOMPARE(w.findChild<QSlider*>("blend")->value(), 0);
    QCOMPARE(w.document()->state().blend, 0);
    QVERIFY(!w.isWindowModified());
    QVERIFY2(w.windowTitle().startsWith("other.png"), qPrintable(w.windowTitle()));
    waitShown(w);
    QCOMPARE(w.undoStack()->undoText(), QString("Open other.png"));
    w.undoStack()->undo();
    QVERIFY(image.wait(30000));
    QCOMPARE(w.currentImage().source, QFileInfo(photo_).absoluteFilePath());
    QCOMPARE(w.attributes()->value(0), 1.0);
    QCOMPARE(w.findChild<QSlider*>("blend")->value(), 92);
    // Keep the sliders: an explicit choice in Preferences, remembered.
    onNextDialog("QDialog", [](QWidget* d) {
      d->findChild<QCheckBox*>("keepSliders")->setChecked(true);
      d->findChild<QDialogButtonBox*>()->button(QDialogButtonBox::Ok)->click();
    });
    w.findChild<QAction*>("preferences")->trigger();
    QVERIFY(QSettings().value("edit/keepSliders").toBool());
    w.openPhoto(path("other.png"));
    QVERIFY(image.wait(30000));
    QCOMPARE(w.attributes()->value(0), 1.0);
    MainWindow later;
    QVERIFY(later.document()->keepSliders());
    QSettings().remove("edit/keepSliders");
  }

  // Item 14: a window killed (SIGKILL) mid-drag leaves its last settled edit; the next start
  // restores it and the export is pixel-identical to the one made before the kill. A restore that
  // itself dies is set aside, never offered again.
  void aKilledWindowsEditIsRestoredPixelForPixel() {
    const QString out = child({"--crash-child", model_, photo_, path("before-kill.png")}, "dragging");
    QVERIFY2(out.contains("dragging"), qPrintable(QString("the child window ended early (status %1): %2").arg(lastExit_).arg(out)));
    QCOMPARE(lastExit_, -1);
    qputenv("GLOWLAB_AUTOSAVE_DIR", path("crash-autosave").toLocal8Bit());
    {
      // A restore that dies on the way.
      MainWindow w;
      const QStringList orphans = w.orphanedAutosaves();
      QCOMPARE(orphans.size(), 1);
      child({"--restore-child", orphans.first()}, QString());
      QCOMPARE(lastExit_, -1);
      QVERIFY(w.orphanedAutosaves().isEmpty());
      QVERIFY(QFileInfo::exists(orphans.first() + ".failed"));  // kept, not offered again
      QVERIFY2(w.lastNotice().contains("not offered again"), qPrintable(w.lastNotice()));
    }
    child({"--crash-child", model_, photo_, path("before-kill-2.png")}, "dragging");
    QCOMPARE(lastExit_, -1);
    MainWindow w;
    w.show();
    const QStringList orphans = w.orphanedAutosaves();
    QCOMPARE(orphans.size(), 1);
    QSignalSpy saved(&w, &MainWindow::autosaved), exported(&w, &MainWindow::exported), errors(&w, &MainWindow::errorShown);
    QVERIFY(w.restoreAutosave(orphans.first()));
    QCOMPARE(Autosave::read(orphans.first()).restoreAttempts, 1);  // counted before anything loads
    QVERIFY(saved.wait(60000));  // the restored edit is on screen: the window's own autosave holds it
    QVERIFY(!QFileInfo::exists(orphans.first()));
    QCOMPARE(w.document()->value("Smiling"), 1.25);  // the settled value, not the one mid-drag
    QCOMPARE(w.document()->value("Blond_Hair"), -0.5);
    QVERIFY(w.document()->isHeld("Blond_Hair"));
    QCOMPARE(w.document()->state().sliders.finestLevel, 1);
    QCOMPARE(w.attributes()->value(0), 1.25);
    w.exportPasted(path("after-restore.png"));
    QVERIFY(exported.wait(60000));
    QVERIFY2(errors.isEmpty(), qPrintable(w.lastError()));
    QVERIFY(same_pixels(QImage(path("before-kill-2.png")), QImage(path("after-restore.png"))));
    QVERIFY(w.orphanedAutosaves().isEmpty());
  }

  // Item 14: a photo pasted from the clipboard has no file: the autosave keeps its pixels, and a
  // restore of it (here in a second window, from a copy of the first one's file) exports the same.
  void aPastedPhotoIsKeptByTheAutosave() {
    MainWindow w;
    QSignalSpy model(&w, &MainWindow::modelReady), image(&w, &MainWindow::imageReady), exported(&w, &MainWindow::exported);
    w.openModel(model_);
    QVERIFY(model.wait(30000));
    w.openImage(QImage(photo_), ImageOrigin::Clipboard);
    QVERIFY(image.wait(30000));
    w.setSlider("Smiling", -0.75);
    QVERIFY(waitForAutosave(w, -0.75));
    const QString kept = w.autosavePath().chopped(5) + "-photo.png";
    QVERIFY(QFileInfo::exists(kept));
    QVERIFY(same_pixels(QImage(kept), QImage(photo_)));
    w.exportPasted(path("pasted-before.png"));
    QVERIFY(exported.wait(30000));
    const QString copy = path("pasted-copy.json");
    QVERIFY(QFile::copy(w.autosavePath(), copy));
    MainWindow again;
    QSignalSpy saved(&again, &MainWindow::autosaved), exported2(&again, &MainWindow::exported), errors(&again, &MainWindow::errorShown);
    QVERIFY(again.restoreAutosave(copy));
    QVERIFY(saved.wait(60000));
    QVERIFY2(errors.isEmpty(), qPrintable(again.lastError()));
    QVERIFY(again.currentImage().origin == ImageOrigin::Clipboard);
    QCOMPARE(again.document()->value("Smiling"), -0.75);
    again.exportPasted(path("pasted-after.png"));
    QVERIFY(exported2.wait(30000));
    QVERIFY(same_pixels(QImage(path("pasted-before.png")), QImage(path("pasted-after.png"))));
  }

  // Item 19: Export Edit Into Photo (and the CLI's --paste-back) keep the photo's colour profile and
  // metadata; the EXIF orientation is applied once (upright pixels, orientation 1), its thumbnail left out.
  void exportsKeepThePhotosColourProfileAndMetadata() {
#ifndef GLOWLAB_HAVE_EXIV2
    QSKIP("built with GLOWLAB_EXIV2=OFF");
#else
    // The photo stored on its side with EXIF orientation 6 (turn 90 degrees clockwise to view).
    const QImage upright(photo_);
    const QString tagged = path("tagged.jpg");
    QVERIFY(upright.transformed(QTransform().rotate(-90)).save(tagged, "JPG", 95));
    {
      auto image = Exiv2::ImageFactory::open(tagged.toStdString());
      image->readMetadata();
      Exiv2::ExifData exif;
      exif["Exif.Image.Make"] = "GlowLabTestCam";
      exif["Exif.Image.Orientation"] = static_cast<uint16_t>(6);
      const QImage thumb = upright.scaled(40, 40);
      QByteArray thumbJpeg;
      QBuffer buffer(&thumbJpeg);
      buffer.open(QIODevice::WriteOnly);
      thumb.save(&buffer, "JPG");
      Exiv2::ExifThumb(exif).setJpegThumbnail(reinterpret_cast<const Exiv2::byte*>(thumbJpeg.constData()), thumbJpeg.size());
      image->setExifData(exif);
      Exiv2::DataBuf icc = testProfile();
      image->setIccProfile(icc, false);
      image->writeMetadata();
    }
    const Tags source = readTags(tagged);
    QCOMPARE(source.orientation, 6);
    QVERIFY(source.thumbnail);
    MainWindow w;
    QSignalSpy model(&w, &MainWindow::modelReady), image(&w, &MainWindow::imageReady), exported(&w, &MainWindow::exported);
    w.openModel(model_);
    QVERIFY(model.wait(30000));
    w.openPhoto(tagged);
    QVERIFY(image.wait(30000));
    QCOMPARE(w.currentImage().original.size(), upright.size());  // turned upright on reading
    w.setSlider("Smiling", 1.0);
    waitShown(w);
    for (const QString& name : {QString("tagged-out.jpg"), QString("tagged-out.png")}) {
      w.exportPasted(path(name));
      QVERIFY(exported.wait(30000));
      QVERIFY2(!w.lastNotice().contains("not carried"), qPrintable(w.lastNotice()));
      const Tags out = readTags(path(name));
      QCOMPARE(out.icc, source.icc);
      QCOMPARE(QImage(path(name)).size(), upright.size());
      if (name.endsWith(".jpg")) {
        QCOMPARE(out.make, QString("GlowLabTestCam"));
        QCOMPARE(out.orientation, 1);  // applied once: the pixels are upright
        QVERIFY(!out.thumbnail);       // a picture of the unedited photo is not kept
      }
    }
    // The CLI's paste-back writes the same.
    QProcess cli;
    cli.start(GLOWLAB_CLI, {"edit", "-m", model_, tagged, "--set", "Smiling=1", "--paste-back", "-o", path("cli-out.jpg")});
    QVERIFY(cli.waitForFinished(120000));
    QVERIFY2(cli.exitCode() == 0, cli.readAllStandardError().constData());
    const Tags fromCli = readTags(path("cli-out.jpg"));
    QCOMPARE(fromCli.icc, source.icc);
    QCOMPARE(fromCli.make, QString("GlowLabTestCam"));
    QCOMPARE(fromCli.orientation, 1);
    QVERIFY(!QString::fromUtf8(cli.readAllStandardError()).contains("not carried"));
#endif
  }
};

int main(int argc, char** argv) {
  QApplication app(argc, argv);
  const QStringList args = QCoreApplication::arguments();
  if (args.value(1) == "--crash-child") return crashChild(args.mid(2));
  if (args.value(1) == "--restore-child") return restoreChild(args.mid(2));
  TestAppDocument test;
  QTEST_SET_MAIN_SOURCE_PATH
  return QTest::qExec(&test, argc, argv);
}

#include "test_app_document.moc"
