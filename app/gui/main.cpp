// glowlab: the desktop app. Opens the model given with --model, or the bundled default model.
#include <QApplication>
#include <QCommandLineParser>
#include <QMessageBox>
#include <QUndoStack>
#include <QTimer>

#include <cstdio>
#include <cstring>
#include <memory>
#include <utility>

#include "attribute_panel.h"
#include "glowlab.h"
#include "main_window.h"
#include "model_path.h"
#include "qt_image.h"

namespace {

// --help and --version print and exit: they need no display, so they get the offscreen platform
// when none was chosen (a terminal over ssh, a build machine running help2man).
void offscreenForHelp(int argc, char** argv) {
  for (int i = 1; i < argc; ++i) {
    for (const char* flag : {"-h", "--help", "--help-all", "-?", "-v", "--version"}) {
      if (std::strcmp(argv[i], flag) == 0 && qEnvironmentVariableIsEmpty("QT_QPA_PLATFORM")) qputenv("QT_QPA_PLATFORM", "offscreen");
    }
  }
}

void addOptions(QCommandLineParser& parser) {
  parser.setApplicationDescription("Interactive latent editing of faces with Glow");
  parser.addHelpOption();
  parser.addVersionOption();
  parser.addOption({{"m", "model"}, "Model file (.glow); default: the bundled model.", "file"});
  parser.addOption({"set",
                    "Set an attribute slider once the photo is open, e.g. --set Smiling=1.2 or --set \"Blond hair=-1\" "
                    "(repeatable; the name in any case; a value beyond the slider's range is held to it).",
                    "name=value"});
  parser.addOption({"sample", "Start with a grid of samples (seed, at T = 0.7).", "seed"});
  parser.addOption({"screenshot", "Save a screenshot of the window once everything is rendered, then quit.", "file.png"});
  parser.addPositionalArgument("photo", "A photo to open.", "[photo]");
}

// --set, checked as glowlab-cli edit checks it, before the window opens: NAME=VALUE with a number,
// a name the model has (any case, or as the window shows it), a value within the slider's range
// (else held to it, with the CLI's note; the status bar says it too). Fills `out` by the
// attributes' own names. A bad one is printed and false returned: a bad command line (status 2).
bool checkSets(const QStringList& sets, const QString& model, glowlab::Alphas& out) {
  try {
    for (const QString& s : sets) out.push_back(glowlab::split_slider_value(s.toStdString()));
    if (out.empty()) return true;
    std::vector<glowlab::Attribute> attributes;
    try {
      attributes = glowlab::read_model_attributes(glowlab::model_path_or_default(model.toStdString()));
    } catch (const glowlab::Error&) {
      return true;  // the window says what is wrong with the model when it loads it
    }
    for (auto& [name, value] : out) {
      const auto v = glowlab::slider_value(attributes, name, value);
      if (v.clamped()) std::fprintf(stderr, "glowlab: note: %s\n", glowlab::range_note(attributes[v.index], value).c_str());
      name = v.name;
    }
  } catch (const glowlab::Error& e) {
    std::fprintf(stderr, "glowlab: --set: %s\n", e.what());
    return false;
  }
  return true;
}

// --set applies once, to the first image (not again after each photo, undo or model switch).
void applySetsOnce(MainWindow& window, const glowlab::Alphas& sets) {
  auto setsApplied = std::make_shared<bool>(false);
  QObject::connect(&window, &MainWindow::imageReady, &window, [&window, sets, setsApplied] {
    if (std::exchange(*setsApplied, true)) return;
    for (const auto& [name, value] : sets) window.setSlider(name, value);  // held to the slider's range, and said
    // The edit the program was started with is where it starts: one undo step away from the
    // unedited image, and nothing to ask about on quitting until the user changes it.
    window.undoStack()->setClean();
  });
}

// After a crash, the edit that was on screen is offered back once the first model is ready (the
// window's autosave; a restore that itself failed is not offered again).
void offerRestoreOnce(MainWindow& window) {
  auto once = std::make_shared<QMetaObject::Connection>();
  *once = QObject::connect(&window, &MainWindow::modelReady, &window, [&window, once] {
    QObject::disconnect(*once);
    window.offerRestore();
  });
}

// A screenshot run never waits for a render that cannot come: the first failure (model, photo) is
// printed and the program exits with status 1. The picture is written like every other image the
// app saves (atomically, format from the extension).
void screenshotWhenRendered(MainWindow& window, const QString& screenshot) {
  QObject::connect(&window, &MainWindow::errorShown, &window, [](const QString& message) {
    std::fprintf(stderr, "glowlab: %s\n", qPrintable(message));
    QCoreApplication::exit(1);
  });
  QObject::connect(&window, &MainWindow::renderShown, &window, [&window, screenshot](quint64 generation) {
    if (generation != window.requestedGeneration()) return;
    QTimer::singleShot(300, &window, [&window, screenshot] {
      try {
        glowlab::write_image(screenshot.toStdString(), fromQImage(window.grab().toImage(), 3));
      } catch (const std::exception& e) {
        std::fprintf(stderr, "glowlab: %s\n", e.what());
        QCoreApplication::exit(1);
        return;
      }
      QApplication::quit();
    });
  });
}

// Started on the default model while it is a fall-back (celeba64 not installed): said once, the
// first time, after the model's own "loaded" message.
void noteFallbackModelOnce(MainWindow& window) {
  const QString note = QString::fromStdString(glowlab::default_model_note());
  if (note.isEmpty()) return;
  auto once = std::make_shared<QMetaObject::Connection>();
  *once = QObject::connect(&window, &MainWindow::modelReady, &window, [&window, note, once] {
    QObject::disconnect(*once);
    window.showDefaultModelNote(note);
  });
}

// The model, then a photo, or a grid of samples (and without a photo the first one ready to edit).
void openWhatWasAsked(MainWindow& window, const QCommandLineParser& parser) {
  window.openModel(QString::fromStdString(glowlab::model_path_or_default(parser.value("model").toStdString())));
  const bool photo = !parser.positionalArguments().isEmpty();
  if (parser.isSet("sample") || !photo) {
    window.setSampleSettings(0.7, parser.isSet("sample") ? parser.value("sample").toULongLong() : 0, 12);
    window.sample();
    if (!photo) window.useSample(0);
  }
  if (photo) window.openPhoto(parser.positionalArguments().first());
}

}  // namespace

int main(int argc, char** argv) {
  offscreenForHelp(argc, argv);
  QApplication app(argc, argv);
  QApplication::setApplicationName("GlowLab");
  QApplication::setOrganizationName("GlowLab");
  QApplication::setApplicationVersion(GLOWLAB_VERSION);
  QCommandLineParser parser;
  addOptions(parser);
  parser.process(app);
  glowlab::Alphas sets;
  if (!checkSets(parser.values("set"), parser.value("model"), sets)) return 2;
  glowlab::init_runtime();

  MainWindow window;
  window.resizeToScreen(QSize(1200, 760));  // never larger than the screen's free area
  window.show();
  applySetsOnce(window, sets);
  const QString screenshot = parser.value("screenshot");
  if (!screenshot.isEmpty()) screenshotWhenRendered(window, screenshot);
  else offerRestoreOnce(window);
  // Model > Bundled Models: the installed ones, the real-photo model first.
  QStringList bundled;
  for (const auto& path : glowlab::bundled_models()) bundled << QString::fromStdString(path);
  window.setBundledModels(bundled);
  if (!parser.isSet("model")) noteFallbackModelOnce(window);
  try {
    openWhatWasAsked(window, parser);
  } catch (const std::exception& e) {
    if (!screenshot.isEmpty()) {
      std::fprintf(stderr, "glowlab: %s\n", e.what());
      return 1;
    }
    QMessageBox::warning(&window, "GlowLab", QString::fromUtf8(e.what()));
  }
  return app.exec();
}
