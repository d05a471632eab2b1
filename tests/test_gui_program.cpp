// The glowlab program as a person or a script starts it: --help and --version need no display; a
// --screenshot run whose model or photo cannot be loaded exits with status 1 and the message
// instead of waiting forever, and leaves no file behind.
#include <QtTest/QtTest>

#include "bundle/model_file.h"
#include "core/atomic_file.h"
#include "testutil.h"
#include "tiny_model.h"
#include "vision/image_io.h"

using namespace glowlab;

class TestGuiProgram : public QObject {
  Q_OBJECT
  QTemporaryDir dir_;

  QString path(const QString& name) const { return dir_.path() + "/" + name; }

  // Runs `program` with `args`; the display variables removed, or the offscreen platform set.
  static int run(const QString& program, const QStringList& args, bool offscreen, const QString& config, QString* output,
                 const QString& workingDirectory = {}) {
    QProcess p;
    if (!workingDirectory.isEmpty()) p.setWorkingDirectory(workingDirectory);
    auto env = QProcessEnvironment::systemEnvironment();
    for (const char* v : {"QT_QPA_PLATFORM", "DISPLAY", "WAYLAND_DISPLAY", "GLOWLAB_MODEL"}) env.remove(v);
    if (offscreen) env.insert("QT_QPA_PLATFORM", "offscreen");
    env.insert("XDG_CONFIG_HOME", config);  // the app's settings stay in the test folder
    p.setProcessEnvironment(env);
    p.start(program, args);
    if (!p.waitForFinished(180000)) {
      p.kill();
      p.waitForFinished();
      return -1;
    }
    *output = QString::fromUtf8(p.readAllStandardError()) + QString::fromUtf8(p.readAllStandardOutput());
    return p.exitStatus() == QProcess::NormalExit ? p.exitCode() : -2;
  }

 private Q_SLOTS:
  void initTestCase() { QVERIFY(dir_.isValid()); }

  void helpAndVersionNeedNoDisplay() {
    QString out;
    QCOMPARE(run(GLOWLAB_GUI_BIN, {"--help"}, false, path("config"), &out), 0);
    QVERIFY2(out.contains("--screenshot"), qPrintable(out));
    QCOMPARE(run(GLOWLAB_GUI_BIN, {"--version"}, false, path("config"), &out), 0);
    QVERIFY2(out.contains("GlowLab"), qPrintable(out));
  }

  void screenshotRunsEndWithTheMessage() {
    QString out;
    const QString model = path("tiny.glow");
    QCOMPARE(run(GLOWLAB_CLI, {"init", "-o", model, "--image-size", "16", "-L", "2", "-K", "2", "--width", "16"}, true,
                 path("config"), &out), 0);
    const QString photo = path("photo.png");
    write_image(photo.toStdString(), test::random_image(48, 3, 5));
    const auto bytes = read_file(model.toStdString(), 1 << 30);
    write_file_atomic(path("cut.glow").toStdString(), bytes.substr(0, bytes.size() / 3));

    QCOMPARE(run(GLOWLAB_GUI_BIN, {"--model", path("cut.glow"), "--screenshot", path("shot1.png")}, true, path("config"), &out), 1);
    QVERIFY2(out.contains("cut.glow"), qPrintable(out));
    QVERIFY(!QFileInfo::exists(path("shot1.png")));
    QCOMPARE(run(GLOWLAB_GUI_BIN, {"--model", model, "--screenshot", path("shot2.png"), path("missing-photo.png")}, true,
                 path("config"), &out), 1);
    QVERIFY2(out.contains("missing-photo.png"), qPrintable(out));
    QVERIFY(!QFileInfo::exists(path("shot2.png")));
    QCOMPARE(run(GLOWLAB_GUI_BIN, {"--model", model, "--screenshot", path("shot3.png"), photo}, true, path("config"), &out), 0);
    QCOMPARE(read_image(path("shot3.png").toStdString(), 3).channels, 3);
  }

  // Issue 29 (4, 5): the window's --set is checked as glowlab-cli edit checks it, before the window
  // opens: a name the model lacks or a value that is no number is a bad command line (status 2,
  // the nearest name and the list said); a value beyond the slider's range is held to it, and said.
  void theWindowsSetIsCheckedAsTheClisIs() {
    ModelFile mf = test::tiny_model_file(16, 3);
    const int64_t d = mf.glow->config().dimension();
    mf.attributes = {{"Smiling", 1, 1, -1, 1}, {"Blond_Hair", 1, 1, -2, 2}};
    mf.directions = {at::zeros({d}), at::zeros({d})};
    const QString model = path("set.glow");
    save_model(model.toStdString(), mf);
    const QString photo = path("set-photo.png");
    write_image(photo.toStdString(), test::random_image(48, 3, 8));
    QString out;
    QCOMPARE(run(GLOWLAB_GUI_BIN, {"--model", model, "--set", "Smilng=1", "--screenshot", path("never.png"), photo}, true,
                 path("config-set"), &out), 2);
    QVERIFY2(out.contains("--set: the model has no attribute 'Smilng' (did you mean Smiling?); its attributes are Smiling, Blond_Hair"),
             qPrintable(out));
    QVERIFY(!QFileInfo::exists(path("never.png")));
    QCOMPARE(run(GLOWLAB_GUI_BIN, {"--model", model, "--set", "Smiling=abc", "--screenshot", path("never.png"), photo}, true,
                 path("config-set"), &out), 2);
    QVERIFY2(out.contains("'Smiling=abc': the value is not a number"), qPrintable(out));
    QCOMPARE(run(GLOWLAB_GUI_BIN, {"--model", model, "--set", "smiling=10", "--set", "blond hair=-1", "--screenshot", path("held.png"), photo},
                 true, path("config-set"), &out), 0);
    QVERIFY2(out.contains("note: Smiling goes from -1.00 to +1.00: 10 was set to +1.00"), qPrintable(out));
    QVERIFY(QFileInfo::exists(path("held.png")));
  }

  // Issue 24 (7): a photo named on the command line by a relative path joins Open Recent by its
  // absolute path, once it has opened; one that fails to open does not join it.
  void aCommandLinePhotoJoinsOpenRecentByItsAbsolutePath() {
    QString out;
    const QString model = path("recent.glow");
    QCOMPARE(run(GLOWLAB_CLI, {"init", "-o", model, "--image-size", "16", "-L", "2", "-K", "2", "--width", "16"}, true,
                 path("config-recent"), &out), 0);
    write_image(path("face.png").toStdString(), test::random_image(48, 3, 6));
    QFile bad(path("bad.png"));
    QVERIFY(bad.open(QIODevice::WriteOnly));
    bad.write("\x89PNG\r\n\x1a\n not really");
    bad.close();
    QCOMPARE(run(GLOWLAB_GUI_BIN, {"--model", model, "--screenshot", path("shot4.png"), "bad.png"}, true, path("config-recent"), &out,
                 dir_.path()), 1);
    QCOMPARE(run(GLOWLAB_GUI_BIN, {"--model", model, "--screenshot", path("shot5.png"), "face.png"}, true, path("config-recent"), &out,
                 dir_.path()), 0);
    QSettings settings(path("config-recent") + "/GlowLab/GlowLab.conf", QSettings::IniFormat);
    QCOMPARE(settings.value("paths/recent").toStringList(), QStringList{QFileInfo(path("face.png")).absoluteFilePath()});
  }

  // An installed program beside its own models folder (../share/glowlab/models) holding `names`:
  // tiny models under the bundled names. Returns the program's path.
  QString installTree(const QString& name, const QStringList& names) {
    const QString tree = path(name);
    QDir().mkpath(tree + "/bin");
    QDir().mkpath(tree + "/share/glowlab/models");
    QString out;
    for (const auto& model : names) {
      if (run(GLOWLAB_CLI, {"init", "-o", tree + "/share/glowlab/models/" + model, "--image-size", "16", "-L", "2", "-K", "2",
                            "--width", "16"}, true, path("config-cli"), &out) != 0) {
        return {};
      }
    }
    const QString program = tree + "/bin/glowlab";
    return QFile::copy(GLOWLAB_GUI_BIN, program) ? program : QString();
  }

  // Started on the default model while that is the fall-back faces64 (celeba64 not installed), the
  // program says so once: the settings record it; with celeba64 installed, or with --model, it says
  // nothing.
  void theFallBackModelIsSaidOnce() {
    QString out;
    const QString fallBack = installTree("fall-back", {"faces64.glow"});
    QVERIFY(!fallBack.isEmpty());
    QCOMPARE(run(fallBack, {"--screenshot", path("default.png")}, true, path("config-note"), &out), 0);
    QSettings settings(path("config-note") + "/GlowLab/GlowLab.conf", QSettings::IniFormat);
    QVERIFY2(settings.value("notes/defaultModelShown").toBool(), qPrintable(out));

    const QString both = installTree("both", {"faces64.glow", "celeba64.glow"});
    QVERIFY(!both.isEmpty());
    QCOMPARE(run(both, {"--screenshot", path("both.png")}, true, path("config-both"), &out), 0);
    QSettings bothSettings(path("config-both") + "/GlowLab/GlowLab.conf", QSettings::IniFormat);
    QVERIFY2(!bothSettings.contains("notes/defaultModelShown"), qPrintable(out));

    const QString model = path("chosen.glow");
    QCOMPARE(run(GLOWLAB_CLI, {"init", "-o", model, "--image-size", "16", "-L", "2", "-K", "2", "--width", "16"}, true,
                 path("config-chosen"), &out), 0);
    QCOMPARE(run(fallBack, {"--model", model, "--screenshot", path("chosen.png")}, true, path("config-chosen"), &out), 0);
    QSettings chosen(path("config-chosen") + "/GlowLab/GlowLab.conf", QSettings::IniFormat);
    QVERIFY(!chosen.contains("notes/defaultModelShown"));
  }
};

QTEST_GUILESS_MAIN(TestGuiProgram)
#include "test_gui_program.moc"
