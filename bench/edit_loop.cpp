// Edit-loop benchmark: drives the real MainWindow (offscreen) through a slider drag at 60 events
// per second and measures frames shown per second, request-to-pixels latency, and how long the
// UI thread is ever blocked. Prints one JSON object. Usage:
//   QT_QPA_PLATFORM=offscreen glowlab-bench-edit [--model M] [--photo P] [--events 120] [--attribute NAME]
#include <QApplication>
#include <QCommandLineParser>
#include <QElapsedTimer>
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
  QSignalSpy modelReady(&w, &MainWindow::modelReady), imageReady(&w, &MainWindow::imageReady);
  w.openModel(QString::fromStdString(glowlab::model_path_or_default(parser.value("model").toStdString())));
  if (!modelReady.wait(60000)) return 1;
  if (parser.isSet("photo")) {
    w.openPhoto(parser.value("photo"));
  } else {
    QSignalSpy samples(&w, &MainWindow::samplesShown);
    w.setSampleSettings(0.7, 1, 1);
    w.sample();
    if (!samples.wait(60000)) return 1;
    w.useSample(0);
  }
  if (!imageReady.wait(60000) || w.attributes()->count() == 0) return 1;
  QElapsedTimer settle;
  settle.start();
  while (w.shownGeneration() != w.requestedGeneration() && settle.elapsed() < 60000) QApplication::processEvents(QEventLoop::WaitForMoreEvents, 50);

  int index = 0;
  if (parser.isSet("attribute")) index = std::max(0, w.attributes()->indexOf(parser.value("attribute").toStdString()));
  // The row's slider, by its name (objectName "slider-ATTRIBUTE").
  QSlider* slider = w.attributes()->findChild<QSlider*>(QStringLiteral("slider-") + QString::fromStdString(w.attributes()->attribute(index).name));
  const int events = parser.value("events").toInt();

  QElapsedTimer clock;
  clock.start();
  std::map<quint64, qint64> requestedAt;   // generation -> ns
  std::vector<double> latencies;           // ms, for every render shown
  std::vector<qint64> shownTimes;
  QObject::connect(&w, &MainWindow::renderShown, &w, [&](quint64 g) {
    const qint64 now = clock.nsecsElapsed();
    shownTimes.push_back(now);
    if (requestedAt.count(g)) latencies.push_back((now - requestedAt[g]) / 1e6);
  });
  // UI-thread blocking: gaps between ticks of a 1 ms timer.
  qint64 lastTick = clock.nsecsElapsed();
  double maxGap = 0;
  std::vector<double> gaps;
  QTimer ticker;
  ticker.setTimerType(Qt::PreciseTimer);
  QObject::connect(&ticker, &QTimer::timeout, [&] {
    const qint64 now = clock.nsecsElapsed();
    gaps.push_back((now - lastTick) / 1e6);
    maxGap = std::max(maxGap, (now - lastTick) / 1e6);
    lastTick = now;
  });
  ticker.start(1);

  int sent = 0;
  qint64 dragStart = 0, lastEventAt = 0;
  quint64 lastGeneration = 0;
  std::vector<double> handlerMs;
  QTimer drag;
  drag.setTimerType(Qt::PreciseTimer);
  slider->setSliderDown(true);
  QObject::connect(&drag, &QTimer::timeout, [&] {
    if (sent == 0) dragStart = clock.nsecsElapsed();
    const qint64 t0 = clock.nsecsElapsed();
    slider->setValue(-100 + (200 * (sent + 1)) / events);
    const qint64 t1 = clock.nsecsElapsed();
    handlerMs.push_back((t1 - t0) / 1e6);
    requestedAt[w.requestedGeneration()] = t0;
    lastEventAt = t0;
    lastGeneration = w.requestedGeneration();
    if (++sent == events) {
      drag.stop();
      slider->setSliderDown(false);
    }
  });
  drag.start(1000 / 60);
  while ((sent < events || w.shownGeneration() != lastGeneration) && clock.elapsed() < 300000) {
    QApplication::processEvents(QEventLoop::WaitForMoreEvents, 5);
  }
  ticker.stop();
  const double dragSeconds = (lastEventAt - dragStart) / 1e9;
  int framesDuringDrag = 0;
  for (qint64 t : shownTimes) framesDuringDrag += (t >= dragStart && t <= lastEventAt);
  QJsonObject out{{"events", events},
                  {"drag_seconds", dragSeconds},
                  {"renders_shown", static_cast<int>(shownTimes.size())},
                  {"frames_per_second_during_drag", framesDuringDrag / std::max(dragSeconds, 1e-9)},
                  {"latency_ms_median", percentile(latencies, 0.5)},
                  {"latency_ms_p95", percentile(latencies, 0.95)},
                  {"last_event_to_pixels_ms", shownTimes.empty() ? -1 : (shownTimes.back() - lastEventAt) / 1e6},
                  {"ui_max_block_ms", maxGap},
                  {"ui_block_p99_ms", percentile(gaps, 0.99)},
                  {"slider_handler_ms_max", percentile(handlerMs, 1.0)},
                  {"threads", QThread::idealThreadCount()}};
  printf("%s\n", QJsonDocument(out).toJson().constData());
  return 0;
}
