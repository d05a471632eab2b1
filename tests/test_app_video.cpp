// The real MainWindow, offscreen: File > Apply Edit to Video, from the menu to the written clip
// (app_fixture.h; the engine's side is test_clip).
#include "app_fixture.h"

using namespace app_test;

class TestAppVideo : public QObject, AppFixture {
  Q_OBJECT

 private Q_SLOTS:
  void initTestCase() { makeModelAndPhoto(); }

  // Issue 31 (3): File > Apply Edit to Video is disabled until a slider moves; then the clip is
  // chosen, one frame previewed before and after (rendered by the engine), the face and output
  // chosen, the run goes on the engine thread with the status bar's progress, and the status bar
  // says the frames, faces and time. Cancel in the status bar stops a run with nothing written.
  void applyEditToVideo() {
    MainWindow w;
    w.show();
    openModelAndPhoto(w);
    if (QTest::currentTestFailed()) return;
    auto* action = w.findChild<QAction*>("applyToVideo");
    QVERIFY(action);
    QVERIFY(!action->isEnabled());
    QVERIFY2(action->toolTip().contains("slider"), qPrintable(action->toolTip()));
    // A clip: the test's photo (a drawn face on a canvas) moved two pixels a frame.
    const QImage photo = QImage(photo_).convertToFormat(QImage::Format_RGB888);
    std::vector<Image> frames;
    for (int i = 0; i < 10; ++i) {
      QImage frame(photo.size(), QImage::Format_RGB888);
      frame.fill(photo.pixelColor(0, 0));
      QPainter painter(&frame);
      painter.drawImage(2 * i - 10, 0, photo);
      painter.end();
      frames.push_back(fromQImage(frame));
    }
    const QString clip = path("clip.mp4"), out = path("clip-out.mp4");
    write_mp4(clip.toStdString(), frames, 25.0);
    w.setSlider(w.attributes()->attribute(0).name, 1.0);
    QVERIFY(action->isEnabled());

    QSignalSpy exported(&w, &MainWindow::exported);
    bool previewed = false, changed = false;
    int faces = 0;
    QString suggested;
    onNextDialog("QFileDialog", [&](QWidget* d) {
      auto* open = qobject_cast<QFileDialog*>(d);
      setFileName(open, clip);
      static_cast<QDialog*>(open)->accept();
    });
    onNextDialog("VideoDialog", [&](QWidget* d) {
      auto* dialog = qobject_cast<VideoDialog*>(d);
      QTimer::singleShot(60000, dialog, &QDialog::reject);  // never left waiting
      auto act = [&, dialog] {
        previewed = true;
        faces = static_cast<int>(dialog->preview().faces.size());
        changed = !same_pixels(dialog->preview().before, dialog->preview().after);
        auto* output = dialog->findChild<QLineEdit*>("output");
        suggested = output->text();
        output->setText(out);
        dialog->findChild<QDialogButtonBox*>()->button(QDialogButtonBox::Ok)->click();
      };
      if (dialog->preview().request != 0) act();
      else connect(dialog, &VideoDialog::previewShown, dialog, act, Qt::SingleShotConnection);
    });
    action->trigger();
    QVERIFY(previewed);
    QCOMPARE(faces, 1);
    QVERIFY2(changed, "the preview's after is the frame itself");
    QVERIFY2(suggested.endsWith("/clip-smiling.mp4"), qPrintable(suggested));
    QVERIFY(!action->isEnabled());  // one run at a time
    QVERIFY(exported.wait(120000));
    QCOMPARE(exported.last().at(0).toString(), out);
    QCOMPARE(read_animation_info(out.toStdString()).frames, 10);
    QVERIFY2(w.lastNotice().contains("10 frames, 10 with a face"), qPrintable(w.lastNotice()));
    QVERIFY(action->isEnabled());

    // Quitting while a video runs asks first; Cancel there keeps the window and the run.
    {
      QSignalSpy done(&w, &MainWindow::exported);
      bool asked = false;
      auto conn = connect(w.worker(), &EngineWorker::progress, &w, [&](Task task) {
        if (task != Task::Video || asked) return;
        asked = true;
        onNextDialog("QMessageBox", [](QWidget* d) {
          QVERIFY2(qobject_cast<QMessageBox*>(d)->text().contains("clip.mp4"), qPrintable(qobject_cast<QMessageBox*>(d)->text()));
          qobject_cast<QMessageBox*>(d)->button(QMessageBox::Cancel)->click();
        });
        QVERIFY(!w.close());  // the box answered Cancel: the window stays
      }, Qt::QueuedConnection);
      w.applyEditToVideo(clip, path("kept.mp4"));
      QTRY_VERIFY_WITH_TIMEOUT(done.count() > 0, 120000);  // (it may end while the box is open)
      disconnect(conn);
      QVERIFY(asked);
      QVERIFY(w.isVisible());
      QCOMPARE(read_animation_info(path("kept.mp4").toStdString()).frames, 10);
    }

    // Cancel, pressed while the run goes: an error says nothing was written, and nothing is.
    QSignalSpy errors(&w, &MainWindow::errorShown);
    auto* cancel = [&]() -> QToolButton* {
      for (auto* b : w.statusBar()->findChildren<QToolButton*>()) {
        if (b->text() == "Cancel") return b;
      }
      return nullptr;
    }();
    QVERIFY(cancel);
    connect(w.worker(), &EngineWorker::progress, cancel, [cancel](Task task) {
      if (task == Task::Video && cancel->isVisible()) cancel->click();
    });
    w.applyEditToVideo(clip, path("never.mp4"));
    QVERIFY(errors.wait(120000));
    QVERIFY2(w.lastError().contains("never.mp4") && w.lastError().contains("not written"), qPrintable(w.lastError()));
    QVERIFY(!QFile::exists(path("never.mp4")));
    QVERIFY(action->isEnabled());

    // A file that is not a video: the dialog says so where the preview would be, and cannot apply.
    QFile text(path("notes.mp4"));
    QVERIFY(text.open(QIODevice::WriteOnly));
    text.write("these are not frames\n");
    text.close();
    VideoDialog dialog(w.worker(), path("notes.mp4"), w.document()->editState(), path("never.mp4"), &w);
    dialog.show();
    QVERIFY(errors.wait(30000));
    auto* about = dialog.findChild<QLabel*>("about");
    QTRY_VERIFY2(about->text().contains("notes.mp4") && about->text().contains("not a video"), qPrintable(about->text()));
    QVERIFY(!dialog.findChild<QDialogButtonBox*>()->button(QDialogButtonBox::Ok)->isEnabled());
    dialog.reject();
  }
};

QTEST_MAIN(TestAppVideo)
#include "test_app_video.moc"
