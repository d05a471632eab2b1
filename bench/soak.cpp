// Edit-loop soak: drives the real MainWindow (offscreen) through 10,000 random events at 60 per
// second (slider moves on random attributes to random values, detail changes, undo and redo) with a
// photo switch every 1,000 events, and reports resident memory (start, after warm-up, end), renders
// shown against requested, and whether the last frame shown equals a direct render of the final
// state (the engine called by hand with the window's sliders, held attributes and detail). Prints
// one JSON object; exit 1 if the last frame differs or memory grew more than 5% after warm-up.
//   QT_QPA_PLATFORM=offscreen glowlab-bench-soak [--model M] [--photo P ...] [--events 10000] [--seed 1]
#include <QApplication>
#include <QCommandLineParser>
#include <QElapsedTimer>
#include <QEventLoop>
#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QRandomGenerator>
#include <QSignalSpy>
#include <QSlider>
#include <QStandardPaths>
#include <QTemporaryDir>
#include <QTimer>
#include <QUndoStack>

#include <algorithm>
#include <cstdio>

#include "attribute_panel.h"
#include "glowlab.h"
#include "image_view.h"
#include "main_window.h"
#include "model_path.h"
#include "qt_image.h"

namespace {

// Resident memory of this process in MiB (VmRSS).
double resident_mib() {
  QFile f("/proc/self/status");
  if (!f.open(QIODevice::ReadOnly)) return -1;
  for (const QByteArray& line : f.readAll().split('\n')) {
    if (line.startsWith("VmRSS:")) return line.mid(6).trimmed().split(' ').value(0).toDouble() / 1024.0;
  }
  return -1;
}

// What the random events did, and the memory seen every 1,000 of them.
struct Tally {
  int sent = 0, sliderMoves = 0, detailChanges = 0, undos = 0, redos = 0, photoSwitches = 0;
  double rssStart = 0, rssWarm = -1, rssMax = 0;
  QJsonArray rssEvery1000;
};

// Photos to switch between: the ones given, or three of the model's samples saved as photos.
QStringList soakPhotos(const QStringList& given, glowlab::Model& model, const QTemporaryDir& tmp) {
  if (!given.isEmpty()) return given;
  QStringList photos;
  const auto samples = model.sample(3, 0.7, 11);
  for (size_t i = 0; i < samples.size(); ++i) {
    photos << tmp.filePath(QString("photo%1.png").arg(i));
    glowlab::write_image(photos.back().toStdString(), glowlab::fit_square(samples[i], 256));
  }
  return photos;
}

// Waits in an event loop until the window shows its newest request, at most two minutes (a loop of
// processEvents() calls would spin a core: they return at once when nothing is pending).
void settle(MainWindow& w) {
  if (w.shownGeneration() == w.requestedGeneration()) return;
  QEventLoop loop;
  QObject::connect(&w, &MainWindow::renderShown, &loop, [&] {
    if (w.shownGeneration() == w.requestedGeneration()) loop.quit();
  });
  QTimer::singleShot(120000, &loop, &QEventLoop::quit);
  loop.exec();
}

// One random event: every 1,000th a photo switch (and a memory reading), else a slider move (85%),
// a detail change (5%), an undo (6%) or a redo (4%).
void randomEvent(MainWindow& w, const QStringList& photos, int levels, QRandomGenerator& rng, Tally& t) {
  auto* panel = w.attributes();
  if (t.sent > 0 && t.sent % 1000 == 0) {
    const double rss = resident_mib();
    t.rssEvery1000.append(rss);
    t.rssMax = std::max(t.rssMax, rss);
    if (t.sent == 1000) t.rssWarm = rss;
    w.openPhoto(photos[(t.sent / 1000) % photos.size()]);
    ++t.photoSwitches;
    return;
  }
  const quint32 r = rng.bounded(100);
  if (r < 85) {
    const int row = static_cast<int>(rng.bounded(panel->count()));
    QSlider* s = panel->findChild<QSlider*>(QStringLiteral("slider-") + QString::fromStdString(panel->attribute(row).name));
    s->setValue(s->minimum() + static_cast<int>(rng.bounded(s->maximum() - s->minimum() + 1)));
    ++t.sliderMoves;
  } else if (r < 90) {
    panel->setFinestLevel(static_cast<int>(rng.bounded(levels)));
    ++t.detailChanges;
  } else if (r < 96) {
    w.undoStack()->undo();
    ++t.undos;
  } else {
    w.undoStack()->redo();
    ++t.redos;
  }
}

// The engine called by hand with the window's final sliders, held attributes and detail: whether
// the last frame shown is that image, pixel for pixel.
bool lastFrameIsDirectRender(MainWindow& w, glowlab::Model& m) {
  auto* panel = w.attributes();
  const auto base = m.encode(fromQImage(w.currentImage().crop));
  const auto direct = m.decode_guarded(base, m.edit(base, panel->alphas(), panel->finestLevel(), panel->locked())).image;
  const QImage last = w.view()->edited().convertToFormat(QImage::Format_RGB888);
  return last == toQImage(direct).convertToFormat(QImage::Format_RGB888);
}

}  // namespace

int main(int argc, char** argv) {
  QApplication app(argc, argv);
  QCommandLineParser parser;
  parser.setApplicationDescription("Edit-loop soak of the GlowLab window (offscreen).");
  parser.addOption({"model", "Model file (default: the bundled model).", "file"});
  parser.addOption({"photo", "A photo to switch to (repeatable; default: three of the model's samples saved as photos).", "file"});
  parser.addOption({"events", "Random events.", "n", "10000"});
  parser.addOption({"seed", "Seed of the random events.", "n", "1"});
  parser.addHelpOption();
  parser.process(app);
  QStandardPaths::setTestModeEnabled(true);  // the soak's recent files never reach the user's settings
  glowlab::init_runtime();
  const int events = std::max(1, parser.value("events").toInt());
  const QString modelPath = QString::fromStdString(glowlab::model_path_or_default(parser.value("model").toStdString()));
  QTemporaryDir tmp;
  auto m = glowlab::Model::load(modelPath.toStdString());  // for the direct render at the end
  const QStringList photos = soakPhotos(parser.values("photo"), m, tmp);

  MainWindow w;
  w.show();
  QSignalSpy modelReady(&w, &MainWindow::modelReady), imageReady(&w, &MainWindow::imageReady);
  w.openModel(modelPath);
  if (!modelReady.wait(60000)) return 1;
  w.openPhoto(photos[0]);
  if (!imageReady.wait(60000) || w.attributes()->count() == 0) return 1;
  QElapsedTimer clock;
  clock.start();
  settle(w);

  int shown = 0;
  QObject::connect(&w, &MainWindow::renderShown, &w, [&](quint64) { ++shown; });
  const quint64 requestedBefore = w.requestedGeneration();
  Tally t;
  t.rssStart = t.rssMax = resident_mib();
  QRandomGenerator rng(parser.value("seed").toUInt());
  QTimer tick;
  tick.setTimerType(Qt::PreciseTimer);
  QEventLoop loop;
  QObject::connect(&tick, &QTimer::timeout, [&] {
    randomEvent(w, photos, m.config().levels, rng, t);
    if (++t.sent == events) {
      tick.stop();
      loop.quit();
    }
  });
  const qint64 start = clock.elapsed();
  tick.start(1000 / 60);
  QTimer::singleShot(3600000, &loop, &QEventLoop::quit);
  loop.exec();
  const double seconds = (clock.elapsed() - start) / 1000.0;
  // The final state: wait for any image switch still on its way, then for its render.
  imageReady.clear();
  while (imageReady.wait(2000)) {
  }
  settle(w);
  const double rssEnd = resident_mib();
  t.rssMax = std::max(t.rssMax, rssEnd);
  const bool same = lastFrameIsDirectRender(w, m);
  const double growth = (rssEnd - (t.rssWarm > 0 ? t.rssWarm : t.rssStart)) / (t.rssWarm > 0 ? t.rssWarm : t.rssStart);
  const QJsonObject out{{"events", t.sent},
                        {"seconds", seconds},
                        {"slider_moves", t.sliderMoves},
                        {"detail_changes", t.detailChanges},
                        {"undos", t.undos},
                        {"redos", t.redos},
                        {"photo_switches", t.photoSwitches},
                        {"renders_requested", static_cast<qint64>(w.requestedGeneration() - requestedBefore)},
                        {"renders_shown", shown},
                        {"last_frame_equals_direct_render", same},
                        {"rss_mib_start", t.rssStart},
                        {"rss_mib_after_warmup", t.rssWarm},
                        {"rss_mib_end", rssEnd},
                        {"rss_mib_max", t.rssMax},
                        {"rss_growth_after_warmup", growth},
                        {"rss_mib_every_1000_events", t.rssEvery1000},
                        {"errors_shown", w.lastError()}};
  printf("%s\n", QJsonDocument(out).toJson().constData());
  return same && growth <= 0.05 ? 0 : 1;
}
