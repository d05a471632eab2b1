// The real MainWindow, offscreen: open a photo, drag sliders, undo, export, recipes, samples,
// interpolation, failures (app_fixture.h).
#include "app_fixture.h"

using namespace app_test;

class TestApp : public QObject, AppFixture {
  Q_OBJECT
  std::unique_ptr<MainWindow> w_;

 private Q_SLOTS:
  void initTestCase() {
    makeModelAndPhoto();
    if (QTest::currentTestFailed()) return;
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
    auto* slider = sliderOf(w_->attributes(), 0);
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
    w_->setSlider(w_->attributes()->attribute(1).name, -0.5);
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
    w_->setSlider(w_->attributes()->attribute(1).name, 0.0);
    QVERIFY(!w_->attributes()->isLocked(1));
    holdOf(w_->attributes(), 1)->click();
    QVERIFY(w_->attributes()->isLocked(1));
    QVERIFY(!sliderOf(w_->attributes(), 1)->isEnabled());
    w_->setSlider(w_->attributes()->attribute(0).name, 1.2);
    QTRY_VERIFY_WITH_TIMEOUT(w_->shownGeneration() == w_->requestedGeneration(), 30000);
    auto m = Model::load(model_.toStdString());
    const auto base = m.encode(fromQImage(w_->currentImage().crop));
    const QImage held = toQImage(m.decode_guarded(base, m.edit(base, {{"Smiling", 1.2}}, 0, {"Blond_Hair"})).image);
    const QImage free = toQImage(m.decode_guarded(base, m.edit(base, {{"Smiling", 1.2}})).image);
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
    holdOf(w_->attributes(), 1)->click();
    w_->setSlider(w_->attributes()->attribute(0).name, 0.0);
    QTRY_VERIFY_WITH_TIMEOUT(w_->shownGeneration() == w_->requestedGeneration(), 30000);
  }

  // An edit that does not decode cleanly is shown at its largest clean strength, and the status
  // bar says so; never a black or non-finite frame.
  void anOverflowingEditIsLimitedAndSaid() {
    ModelFile mf = test::tiny_model_file(kSize, 3);
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
    w.setSlider(w.attributes()->attribute(0).name, 1.0);
    QTRY_VERIFY_WITH_TIMEOUT(w.shownGeneration() == w.requestedGeneration() && w.shownGeneration() > 0, 30000);
    QVERIFY2(w.lastRenderNote().startsWith("Smiling limited to +"), qPrintable(w.lastRenderNote()));
    QVERIFY(w.statusBar()->currentMessage().contains("limited"));
    // The slider marks where the render was limited (issue 29, 4): the handle at what was asked.
    auto* slider = w.attributes()->findChild<QSlider*>("slider-Smiling");
    QVERIFY(slider->property("limitedTo").isValid());
    QVERIFY(slider->property("limitedTo").toDouble() >= 0.0 && slider->property("limitedTo").toDouble() < 1.0);
    QCOMPARE(slider->value(), slider->maximum());
    auto m = Model::load(boom.toStdString());
    const auto base = m.encode(fromQImage(w.currentImage().crop));
    const auto target = m.edit(base, {{"Smiling", 1.0}});
    QVERIFY(!m.decodes_cleanly(target));
    QVERIFY(same_pixels(w.view()->edited(), toQImage(m.decode_guarded(base, target).image)));
    w.setSlider(w.attributes()->attribute(0).name, 0.0);
    QTRY_VERIFY_WITH_TIMEOUT(w.shownGeneration() == w.requestedGeneration(), 30000);
    QVERIFY(w.lastRenderNote().isEmpty());
    QVERIFY(!w.statusBar()->currentMessage().contains("limited"));
    QVERIFY(!slider->property("limitedTo").isValid());
    // A value beyond the slider's range (a command line's, a recipe's written by hand) is held to
    // the range and said, so the slider shows what is rendered.
    w.setSlider(w.attributes()->attribute(0).name, 10.0);
    QCOMPARE(w.attributes()->value(0), 1.0);
    QVERIFY2(w.lastNotice().contains("Smiling goes from -1.00 to +1.00: 10 was set to +1.00"), qPrintable(w.lastNotice()));
    w.setSlider(w.attributes()->attribute(0).name, 0.0);
    QTRY_VERIFY_WITH_TIMEOUT(w.shownGeneration() == w.requestedGeneration(), 30000);
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
    w_->interpolateTowardsSample(1);
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
    w.setSlider(w.attributes()->attribute(1).name, 0.4);
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
    const QImage sampleEdited = toQImage(m.decode_guarded(sampleLatent, m.edit(sampleLatent, {{"Smiling", 0.0}, {"Blond_Hair", 0.4}})).image);
    QVERIFY(same_pixels(strip.back(), sampleEdited));
    QVERIFY(!same_pixels(strip[3], strip.front()) && !same_pixels(strip[3], strip.back()));
    // Making a sample current is one undo step; undo brings back the photo, its crop and sliders.
    QSignalSpy image(&w, &MainWindow::imageReady);
    const int steps = w.undoStack()->count();
    w.useSample(2);
    QVERIFY(image.wait(30000));
    QVERIFY(w.currentImage().origin == ImageOrigin::Sample);
    QCOMPARE(w.undoStack()->count(), steps + 1);
    QCOMPARE(w.attributes()->value(1), 0.0);  // a new image starts from its own unedited state (issue 29, 1)
    w.setSlider(w.attributes()->attribute(1).name, -0.3);
    w.undoStack()->undo();  // the sample's own edit
    QCOMPARE(w.attributes()->value(1), 0.0);
    w.undoStack()->undo();  // the photo, with its sliders
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
    // Strips may still arrive (the strip follows every new A, issue 29, 2), but none from the
    // current image to itself.
    for (const auto& args : frames) {
      const auto strip = args.at(0).value<QList<QImage>>();
      QVERIFY(!strip.isEmpty() && !same_pixels(strip.front(), strip.back()));
    }
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

  // Two renders in flight (the second lane, as a 2-core machine gets it): each frame is the exact
  // render of its own request, the last request is always shown, and a frame the second lane was
  // making when a new photo opened arrives before that photo, never after it.
  void twoRenderLanesRenderEachRequestExactly() {
    qputenv("GLOWLAB_RENDER_LANES", "2");
    EngineWorker worker;
    qunsetenv("GLOWLAB_RENDER_LANES");
    QCOMPARE(worker.renderLanes(), 2);
    struct Frame {
      quint64 generation;
      int lane;
      QImage image;
      int photo;
    };
    // Held by the connections too: a frame still queued when this test ends has somewhere to go.
    auto framesHeld = std::make_shared<std::vector<Frame>>();
    auto cropsHeld = std::make_shared<QList<QImage>>();
    auto& frames = *framesHeld;
    auto& crops = *cropsHeld;
    connect(&worker, &EngineWorker::imageReady, this, [cropsHeld](const ImageSummary& s) { *cropsHeld << s.crop; });
    connect(&worker, &EngineWorker::rendered, this, [framesHeld, cropsHeld](const QImage& image, const RenderInfo& info) {
      framesHeld->push_back({info.generation, info.lane, image, static_cast<int>(cropsHeld->size()) - 1});
    });
    QSignalSpy loaded(&worker, &EngineWorker::modelLoaded), errors(&worker, &EngineWorker::failed);
    worker.loadModel(model_, "cpu");
    QVERIFY(loaded.wait(30000));
    worker.openPhoto(photo_);
    QTRY_COMPARE_WITH_TIMEOUT(crops.size(), 1, 30000);
    // A request on every turn of the event loop, so one is always waiting while a lane renders.
    quint64 generation = 0;
    auto smiling = [](quint64 g) { return -1.5 + 0.1 * static_cast<double>(g % 31); };
    QTimer pump;
    connect(&pump, &QTimer::timeout, this, [&] {
      EditState s;
      s.alphas = {{"Smiling", smiling(++generation)}};
      worker.render(s, generation);
    });
    pump.start(0);
    auto laneOneSince = [&](size_t from) {
      return std::any_of(frames.begin() + static_cast<std::ptrdiff_t>(std::min(from, frames.size())), frames.end(),
                         [](const Frame& f) { return f.lane == 1; });
    };
    QTRY_VERIFY_WITH_TIMEOUT(laneOneSince(0), 30000);
    const QString mirrored = path("mirrored.png");
    QVERIFY(QImage(photo_).mirrored(true, false).save(mirrored));
    worker.openPhoto(mirrored);
    QTRY_COMPARE_WITH_TIMEOUT(crops.size(), 2, 30000);
    const size_t afterSwitch = frames.size();
    QTRY_VERIFY_WITH_TIMEOUT(laneOneSince(afterSwitch), 30000);
    pump.stop();
    QTRY_VERIFY_WITH_TIMEOUT(!frames.empty() && std::any_of(frames.begin(), frames.end(), [&](const Frame& f) {
      return f.generation == generation;
    }), 30000);
    QVERIFY2(errors.isEmpty(), qPrintable(errors.isEmpty() ? QString() : errors.first().first().toString()));
    auto m = Model::load(model_.toStdString());
    const std::vector<std::vector<float>> bases{m.encode(fromQImage(crops[0])), m.encode(fromQImage(crops[1]))};
    int mismatched = 0;
    for (const Frame& f : frames) {
      QVERIFY(f.photo == 0 || f.photo == 1);
      const auto& base = bases[static_cast<size_t>(f.photo)];
      const QImage expected = toQImage(m.decode_guarded(base, m.edit(base, {{"Smiling", smiling(f.generation)}})).image);
      mismatched += !same_pixels(f.image, expected);
    }
    QVERIFY2(mismatched == 0, qPrintable(QString("%1 of %2 frames differ from the exact render of their request").arg(mismatched).arg(frames.size())));
  }
};

QTEST_MAIN(TestApp)
#include "test_app.moc"
