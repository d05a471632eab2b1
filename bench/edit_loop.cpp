// Edit-loop benchmark: drives the real MainWindow (offscreen) through a slider drag at 60 events
// per second and measures frames shown per second, request-to-pixels latency, and how long the
// UI thread is ever blocked. Prints one JSON object. Usage:
//   QT_QPA_PLATFORM=offscreen glowlab-bench-edit [--model M] [--photo P] [--events 120] [--attribute NAME]
#include <QApplication>
#include <QCommandLineParser>
#include <QElapsedTimer>
#include <QEventLoop>
#include <QJsonDocument>
#include <QJsonObject>
#include <QSignalSpy>
#include <QSlider>
#include <QTimer>

#include <algorithm>
#include <map>

#include "attribute_panel.h"
#include "glowlab.h"
#include "main_window.h"
#include "model_path.h"

namespace {

double percentile(std::vector<double> v, double p) {
  if (v.empty()) return -1;
  std::sort(v.begin(), v.end());
  return v[std::min(v.size() - 1, static_cast<size_t>(p * (v.size() - 1) + 0.5))];
}

// The model open and an image on screen, fully rendered: the photo given, else a sample.
bool openAndSettle(MainWindow& w, const QCommandLineParser& parser) {
  QSignalSpy modelReady(&w, &MainWindow::modelReady), imageReady(&w, &MainWindow::imageReady);
  w.openModel(QString::fromStdString(glowlab::model_path_or_default(parser.value("model").toStdString())));
  if (!modelReady.wait(60000)) return false;
  if (parser.isSet("photo")) {
    w.openPhoto(parser.value("photo"));
  } else {
    QSignalSpy samples(&w, &MainWindow::samplesShown);
    w.setSampleSettings(0.7, 1, 1);
    w.sample();
    if (!samples.wait(60000)) return false;
    w.useSample(0);
  }
  if (!imageReady.wait(60000) || w.attributes()->count() == 0) return false;
  QElapsedTimer settle;
  settle.start();
  while (w.shownGeneration() != w.requestedGeneration() && settle.elapsed() < 60000) QApplication::processEvents(QEventLoop::WaitForMoreEvents, 50);
  return true;
}

// UI-thread blocking: the gaps between ticks of a 1 ms timer.
struct BlockMeter {
  const QElapsedTimer& clock;
  qint64 lastTick;
  std::vector<double> gaps;
  QTimer ticker;

  explicit BlockMeter(const QElapsedTimer& c) : clock(c), lastTick(c.nsecsElapsed()) {
    ticker.setTimerType(Qt::PreciseTimer);
    QObject::connect(&ticker, &QTimer::timeout, [this] {
      const qint64 now = clock.nsecsElapsed();
      gaps.push_back((now - lastTick) / 1e6);
      lastTick = now;
    });
    ticker.start(1);
  }
};

// The drag: `events` slider moves from -100 to +100 at 60 per second, the slider held down.
struct Drag {
  int sent = 0;
  qint64 start = 0, lastEventAt = 0;
  quint64 lastGeneration = 0;
  std::map<quint64, qint64> requestedAt;  // generation -> ns
  std::vector<double> handlerMs;
};

void runDrag(MainWindow& w, QSlider* slider, int events, const QElapsedTimer& clock, Drag& d) {
  QTimer drag;
  drag.setTimerType(Qt::PreciseTimer);
  slider->setSliderDown(true);
  QObject::connect(&drag, &QTimer::timeout, [&] {
    if (d.sent == 0) d.start = clock.nsecsElapsed();
    const qint64 t0 = clock.nsecsElapsed();
    slider->setValue(-100 + (200 * (d.sent + 1)) / events);
    d.handlerMs.push_back((clock.nsecsElapsed() - t0) / 1e6);
    d.requestedAt[w.requestedGeneration()] = t0;
    d.lastEventAt = t0;
    d.lastGeneration = w.requestedGeneration();
    if (++d.sent == events) {
      drag.stop();
      slider->setSliderDown(false);
    }
  });
  drag.start(1000 / 60);
  // Waits in a real event loop: a loop of processEvents() calls returns at once when nothing is
  // pending, so it spun one of the two cores at 100% beside the window it measured.
  QEventLoop loop;
  auto done = [&] {
    // The last event's frame, or a newer one (the exact frame asked for when the slider is let go).
    if (d.sent >= events && w.shownGeneration() >= d.lastGeneration) loop.quit();
  };
  QObject::connect(&w, &MainWindow::renderShown, &loop, done);
  QObject::connect(&drag, &QTimer::timeout, &loop, done);
  QTimer::singleShot(300000, &loop, &QEventLoop::quit);
  loop.exec();
}

}  // namespace

int main(int argc, char** argv) {
  QApplication app(argc, argv);
  QCommandLineParser parser;
  parser.addOption({"model", "Model file (default: the bundled model).", "file"});
  parser.addOption({"photo", "Photo to edit (default: a sample).", "file"});
  parser.addOption({"events", "Slider events in the drag.", "n", "120"});
  parser.addOption({"attribute", "Attribute to drag (default: the first).", "name"});
  parser.addHelpOption();
  parser.process(app);
  glowlab::init_runtime();

  MainWindow w;
  w.show();
  if (!openAndSettle(w, parser)) return 1;
  int index = 0;
  if (parser.isSet("attribute")) index = std::max(0, w.attributes()->indexOf(parser.value("attribute").toStdString()));
  // The row's slider, by its name (objectName "slider-ATTRIBUTE").
  QSlider* slider = w.attributes()->findChild<QSlider*>(QStringLiteral("slider-") + QString::fromStdString(w.attributes()->attribute(index).name));
  const int events = parser.value("events").toInt();

  QElapsedTimer clock;
  clock.start();
  Drag d;
  std::vector<double> latencies;  // ms, for every render shown
  std::vector<qint64> shownTimes;
  QObject::connect(&w, &MainWindow::renderShown, &w, [&](quint64 g) {
    const qint64 now = clock.nsecsElapsed();
    shownTimes.push_back(now);
    if (d.requestedAt.count(g)) latencies.push_back((now - d.requestedAt[g]) / 1e6);
  });
  BlockMeter blocks(clock);
  runDrag(w, slider, events, clock, d);
  blocks.ticker.stop();
  const double dragSeconds = (d.lastEventAt - d.start) / 1e9;
  int framesDuringDrag = 0;
  for (qint64 t : shownTimes) framesDuringDrag += (t >= d.start && t <= d.lastEventAt);
  QJsonObject out{{"events", events},
                  {"drag_seconds", dragSeconds},
                  {"renders_shown", static_cast<int>(shownTimes.size())},
                  {"frames_per_second_during_drag", framesDuringDrag / std::max(dragSeconds, 1e-9)},
                  {"latency_ms_median", percentile(latencies, 0.5)},
                  {"latency_ms_p95", percentile(latencies, 0.95)},
                  {"last_event_to_pixels_ms", shownTimes.empty() ? -1 : (shownTimes.back() - d.lastEventAt) / 1e6},
                  {"ui_max_block_ms", percentile(blocks.gaps, 1.0)},
                  {"ui_block_p99_ms", percentile(blocks.gaps, 0.99)},
                  {"slider_handler_ms_max", percentile(d.handlerMs, 1.0)},
                  {"threads", QThread::idealThreadCount()},
                  {"render_lanes", w.worker()->renderLanes()},
                  {"draft_precision", glowlab::to_string(w.worker()->draftPrecision())}};
  printf("%s\n", QJsonDocument(out).toJson().constData());
  return 0;
}
