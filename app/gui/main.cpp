// glowlab: the desktop app. Opens the model given with --model, or the bundled default model.
#include <QApplication>
#include <QCommandLineParser>
#include <QMessageBox>

#include "glowlab.h"
#include "main_window.h"
#include "model_path.h"

int main(int argc, char** argv) {
  QApplication app(argc, argv);
  QApplication::setApplicationName("GlowLab");
  QApplication::setOrganizationName("GlowLab");
  QApplication::setApplicationVersion(GLOWLAB_VERSION);
  QCommandLineParser parser;
  parser.setApplicationDescription("Interactive latent editing of faces with Glow");
  parser.addHelpOption();
  parser.addVersionOption();
  parser.addOption({{"m", "model"}, "Model file (.glow); default: the bundled model.", "file"});
  parser.addPositionalArgument("photo", "A photo to open.", "[photo]");
  parser.process(app);
  glowlab::init_runtime();

  MainWindow window;
  window.show();
  try {
    window.openModel(QString::fromStdString(glowlab::model_path_or_default(parser.value("model").toStdString())));
    if (!parser.positionalArguments().isEmpty()) window.openPhoto(parser.positionalArguments().first());
  } catch (const std::exception& e) {
    QMessageBox::warning(&window, "GlowLab", QString::fromUtf8(e.what()));
  }
  return app.exec();
}
