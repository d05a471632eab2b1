// glowlab-cli end to end: every sub-command on a tiny model made at test time, and the failures
// a user meets (missing files, corrupt images, bad flags) giving a message and a non-zero exit.
#include <QtTest/QtTest>

#include <nlohmann/json.hpp>

#include "bundle/model_file.h"
#include "core/atomic_file.h"
#include "glowlab.h"
#include "run_program.h"
#include "testutil.h"

using namespace glowlab;

namespace {

// glowlab-cli on two threads.
test::Run run(const QStringList& args, const QProcessEnvironment& env = QProcessEnvironment::systemEnvironment()) {
  return test::cli(args, env);
}

}  // namespace

class TestCli : public QObject {
  Q_OBJECT
  QTemporaryDir dir_;
  QString model_, images_;

  QString path(const QString& name) const { return dir_.path() + "/" + name; }
  // A fresh copy of the test model at `name`, for a command that must leave it byte for byte.
  QString model_copy(const QString& name) const {
    const QString copy = path(name);
    QFile::remove(copy);
    if (!QFile::copy(model_, copy)) qFatal("cannot copy the test model to %s", qPrintable(copy));
    return copy;
  }

 private Q_SLOTS:
  void initTestCase() {
    QVERIFY(dir_.isValid());
    images_ = path("faces");
    QDir().mkpath(images_ + "/sub");
    for (int i = 0; i < 6; ++i) {
      // Larger than the model and not square: the CLI centre-crops and resizes.
      auto im = test::random_image(40, 3, i);
      im.height = 30;
      im.bytes.resize(40 * 30 * 3);
      write_image(QString("%1/%2/face%3.png").arg(images_, i % 2 ? "sub" : ".").arg(i).toStdString(), im);
    }
    model_ = path("tiny.glow");
    auto r = run({"init", "-o", model_, "--image-size", "16", "-L", "2", "-K", "2", "--width", "16",
                  "--images", images_, "--seed", "3"});
    QVERIFY2(r.code == 0, qPrintable(r.err));
    QVERIFY(r.out.contains("ActNorm initialised on 6 images"));
  }

  void info() {
    auto r = run({"info", model_});
    QCOMPARE(r.code, 0);
    QVERIFY(r.out.contains("16x16x3"));
    QVERIFY(r.out.contains("L=2 K=2 width=16"));
    r = run({"info", "--json", model_});
    QCOMPARE(r.code, 0);
    const auto j = nlohmann::json::parse(r.out.toStdString());
    QCOMPARE(j["config"]["image_size"].get<int>(), 16);
    QVERIFY(j["parameters"].get<int64_t>() > 1000);
  }

  // Issue 23: the model description is the engine's, so info shows what the window's card shows
  // (an attribute's unit: Age moves in years).
  void infoShowsAnAttributesUnit() {
    auto loaded = load_model(model_.toStdString());
    const int64_t d = loaded.glow->config().dimension();
    Attribute age{"Age", 5, 5, -20, 20};
    age.unit = "years";
    loaded.attributes = {age};
    loaded.directions = {at::randn({d}) * 0.01};
    const QString model = path("age.glow");
    save_model(model.toStdString(), loaded);
    const auto r = run({"info", model});
    QCOMPARE(r.code, 0);
    QVERIFY2(r.out.contains("range [-20, 20] years"), qPrintable(r.out));
  }

  // Issue 23: a recipe without checksums (written by hand, or by an older GlowLab) is applied, and
  // the CLI says that a change to its model or photo cannot be detected, as the window does.
  void aRecipeWithoutChecksumsIsSaid() {
    const QString good = images_ + "/face0.png";
    const auto recipe = nlohmann::json{{"format", "glowlab.recipe/1"},
                                       {"source", {{"path", good.toStdString()}, {"crop_transform", {1, 0, 0, 0, 1, 0}}}},
                                       {"model", {{"path", model_.toStdString()}}}};
    QFile f(path("unchecked.json"));
    QVERIFY(f.open(QIODevice::WriteOnly));
    f.write(recipe.dump().c_str());
    f.close();
    const auto r = run({"edit", "--recipe", path("unchecked.json"), "-o", path("unchecked.png")});
    QVERIFY2(r.code == 0, qPrintable(r.err));
    QVERIFY2(r.err.contains("note: " + path("unchecked.json") + " has no checksum of its model"), qPrintable(r.err));
    QVERIFY2(r.err.contains("note: " + path("unchecked.json") + " has no checksum of its photo"), qPrintable(r.err));
  }

  void sampleWritesAGrid() {
    const QString out = path("grid.png");
    auto r = run({"sample", "-m", model_, "-n", "6", "--cols", "3", "-T", "0.7", "--seed", "4", "-o", out});
    QVERIFY2(r.code == 0, qPrintable(r.err));
    const auto grid = read_image(out.toStdString(), 3);
    QCOMPARE(grid.width, 3 * 16 + 2 * 2);
    QCOMPARE(grid.height, 2 * 16 + 2);
    QVERIFY(run({"sample", "-m", model_, "-n", "6", "--cols", "3", "--seed", "4", "-o", path("grid2.png")}).code == 0);
    QVERIFY(read_image(path("grid2.png").toStdString(), 3).bytes == grid.bytes);
  }

  void reconstructIsExact() {
    auto r = run({"reconstruct", "-m", model_, images_ + "/face0.png", "-o", path("rec.png")});
    QVERIFY2(r.code == 0, qPrintable(r.err));
    QVERIFY2(r.out.contains("max_abs_pixel_error 0\n"), qPrintable(r.out));
    QVERIFY(r.out.contains("bits_per_dim "));
    QCOMPARE(read_image(path("rec.png").toStdString(), 3).width, 16);
  }

  void evalPrintsBitsPerDim() {
    auto r = run({"eval", "-m", model_, images_});
    QVERIFY2(r.code == 0, qPrintable(r.err));
    QVERIFY(r.out.contains("images 6\n"));
    const double bpd = r.out.section("bits_per_dim ", 1).trimmed().toDouble();
    QVERIFY2(bpd > 0.5 && bpd < 20, qPrintable(r.out));
  }

  void failuresNameTheFile_data() {
    QTest::addColumn<QStringList>("args");
    QTest::addColumn<int>("code");
    QTest::addColumn<QString>("message");
    const QString corrupt = path("corrupt.png");
    QFile f(corrupt);
    f.open(QIODevice::WriteOnly);
    f.write("\x89PNG\r\n\x1a\nthis is not really a png");
    f.close();
    QTest::newRow("missing image") << QStringList{"reconstruct", "-m", model_, path("nope.png")} << 1 << path("nope.png");
    QTest::newRow("corrupt image") << QStringList{"reconstruct", "-m", model_, corrupt} << 1 << corrupt;
    QTest::newRow("directory as image") << QStringList{"reconstruct", "-m", model_, images_} << 1 << images_;
    QTest::newRow("missing model") << QStringList{"info", path("nope.glow")} << 1 << path("nope.glow");
    QTest::newRow("image as model") << QStringList{"info", corrupt} << 1 << corrupt;
    QTest::newRow("missing eval folder") << QStringList{"eval", "-m", model_, path("none")} << 1 << path("none");
    QTest::newRow("unwritable output") << QStringList{"sample", "-m", model_, "-o", path("no/dir/x.png")} << 1
                                       << path("no/dir/x.png");
    QTest::newRow("bad flag") << QStringList{"bench", "--frobnicate"} << 2 << "frobnicate";
    QTest::newRow("no sub-command") << QStringList{} << 2 << "subcommand";
    QTest::newRow("bad config") << QStringList{"init", "-o", path("x.glow"), "--image-size", "17"} << 1 << "not divisible";
  }

  void failuresNameTheFile() {
    QFETCH(QStringList, args);
    QFETCH(int, code);
    QFETCH(QString, message);
    auto r = run(args);
    QCOMPARE(r.code, code);
    QVERIFY2(r.err.contains(message), qPrintable(r.err));
    if (code == 1) QVERIFY2(r.err.contains(QRegularExpression("(^|\\n)error: ")), qPrintable(r.err));
  }

  void helpOnEverySubcommand() {
    // Every sub-command the top-level help lists (not a hand-kept list that can fall behind).
    auto top = run({"--help"});
    QCOMPARE(top.code, 0);
    QVERIFY(top.out.contains("Exit status"));
    const auto section = top.out.section("Subcommands:", 1);
    QStringList subs;
    for (const auto& line : section.split('\n')) {
      const auto m = QRegularExpression("^\\s+([a-z][a-z-]+)\\s").match(line);
      if (m.hasMatch()) subs << m.captured(1);
    }
    for (const char* expected : {"init", "info", "sample", "reconstruct", "eval", "bench", "train", "attributes",
                                 "judge-train", "judge-edits", "judge-fid", "quantize", "edit", "align",
                                 "interpolate", "framing"}) {
      QVERIFY2(subs.contains(expected), expected);
    }
    for (const auto& sub : subs) {
      auto r = run({sub, "--help"});
      QVERIFY2(r.code == 0, qPrintable(sub));
      QVERIFY2(r.out.contains("Usage") && r.out.contains(sub), qPrintable(sub));
    }
  }

  // `edit`: the window's edit for photos; one bad photo is reported by name and the others still
  // written (exit 1); an edit that overflows is limited and said, or refused with --strict.
  void editPhotosWithTheGuard() {
    at::manual_seed(4);
    auto loaded = load_model(model_.toStdString());
    const int64_t d = loaded.glow->config().dimension();
    test::perturb(*loaded.glow, 0.03);
    loaded.attributes = {{"Smiling", 1, 1, -1, 1}, {"Boom", 1, 1, -1, 1}};
    loaded.directions = {at::randn({d}) * 0.3, at::ones({d}) * 300.0};
    const QString model = path("edit.glow");
    save_model(model.toStdString(), loaded);
    const QString bad = path("broken.png");
    { QFile f(bad); QVERIFY(f.open(QIODevice::WriteOnly)); f.write("not a png"); }
    const QString good = images_ + "/face0.png";
    QDir().mkpath(path("edited"));
    auto r = run({"edit", "-m", model, good, bad, "--set", "Smiling=0.8", "--keep", "Boom", "-o", path("edited")});
    QCOMPARE(r.code, 1);
    QVERIFY2(r.err.contains("broken.png") && r.err.contains("1 of 2 photos"), qPrintable(r.err));
    QCOMPARE(read_image(path("edited/face0.png").toStdString(), 3).width, 16);
    r = run({"edit", "-m", model, good, "--set", "Boom=1", "-o", path("boom.png")});
    QVERIFY2(r.code == 0, qPrintable(r.err));
    QVERIFY2(r.err.contains("Boom limited to +"), qPrintable(r.err));
    QVERIFY(QFileInfo::exists(path("boom.png")));
    r = run({"edit", "-m", model, good, "--set", "Boom=1", "--strict", "-o", path("strict.png")});
    QCOMPARE(r.code, 1);
    QVERIFY2(r.err.contains("does not decode cleanly"), qPrintable(r.err));
    QVERIFY(!QFileInfo::exists(path("strict.png")));
    r = run({"edit", "-m", model, good, "--set", "Nope=1", "-o", path("nope.png")});
    QCOMPARE(r.code, 2);  // a name the model lacks is a bad command line
    QVERIFY2(r.err.contains("no attribute 'Nope'; its attributes are Smiling, Boom"), qPrintable(r.err));
    r = run({"edit", "-m", model, good, "--set", "Smiling", "-o", path("nope.png")});
    QCOMPARE(r.code, 2);
    // A folder: every image in it, the corrupt one named, the others written, exit 1.
    QDir().mkpath(path("folder"));
    QVERIFY(QFile::copy(good, path("folder/a.png")) && QFile::copy(images_ + "/face2.png", path("folder/c.png")) &&
            QFile::copy(bad, path("folder/b.png")));
    r = run({"edit", "-m", model, path("folder"), "--set", "Smiling=0.5", "-o", path("folder-out")});
    QCOMPARE(r.code, 1);
    QVERIFY2(r.err.contains("b.png") && r.err.contains("1 of 3 photos"), qPrintable(r.err));
    QVERIFY(QFileInfo::exists(path("folder-out/a.png")) && QFileInfo::exists(path("folder-out/c.png")));
    QVERIFY(!QFileInfo::exists(path("folder-out/b.png")));
    // Recipes: a damaged one, one for another model, one whose model is gone, each said plainly.
    auto write = [&](const QString& name, const QByteArray& text) {
      QFile f(path(name));
      QVERIFY(f.open(QIODevice::WriteOnly));
      f.write(text);
    };
    write("cut.json", "{\"format\": \"glowlab.recipe/1\", \"source\": {\"path\": \"x.png\", \"crop_");
    r = run({"edit", "--recipe", path("cut.json"), "-o", path("r.png")});
    QCOMPARE(r.code, 1);
    QVERIFY2(r.err.contains("cut.json is not a recipe (not valid JSON)"), qPrintable(r.err));
    write("flat.json", nlohmann::json{{"format", "glowlab.recipe/1"}, {"source", {{"path", "x.png"}, {"crop_transform", {0, 0, 0, 0, 0, 0}}}}}.dump().c_str());
    r = run({"edit", "--recipe", path("flat.json"), "-o", path("r.png")});
    QVERIFY2(r.err.contains("flat.json is not a usable recipe: the crop transform cannot be inverted"), qPrintable(r.err));
    write("gone.json", nlohmann::json{{"format", "glowlab.recipe/1"},
                                      {"source", {{"path", good.toStdString()}, {"crop_transform", {1, 0, 0, 0, 1, 0}}}},
                                      {"model", {{"path", "/nonexistent/m.glow"}}},
                                      {"sliders", {{"Smiling", 1}}}}.dump().c_str());
    r = run({"edit", "--recipe", path("gone.json"), "-o", path("r.png")});
    QCOMPARE(r.code, 1);
    QVERIFY2(r.err.contains("gone.json: its model /nonexistent/m.glow does not exist (name one with -m)"), qPrintable(r.err));
    r = run({"edit", "--recipe", path("gone.json"), "-m", model, "--set", "Boom=0", "-o", path("r.png")});
    QVERIFY2(r.code == 0, qPrintable(r.err));
    QCOMPARE(read_image(path("r.png").toStdString(), 3).width, 16);
    QVERIFY(!QFileInfo::exists(path("r.png.tmp")));
  }

  // align, interpolate and edit --sweep: what the model sees, and frames as a strip or animation.
  // The ends of an interpolation are the two photos' own renders; one unreadable photo is named and
  // the others still written.
  void alignInterpolateAndSweep() {
    const QString a = images_ + "/face0.png", b = images_ + "/face2.png";
    {
      auto loaded = load_model(model_.toStdString());
      loaded.attributes = {{"Smiling", 1, 1, -1, 1}};
      loaded.directions = {at::randn({loaded.glow->config().dimension()}) * 0.3};
      save_model(path("smile.glow").toStdString(), loaded);
    }
    const QString model = path("smile.glow");
    QDir().mkpath(path("aligned"));
    auto r = run({"align", "-m", model, a, path("absent.png"), "-o", path("aligned")});
    QCOMPARE(r.code, 1);
    QVERIFY2(r.err.contains("absent.png") && r.err.contains("1 of 2 photos"), qPrintable(r.err));
    const auto crop = read_image(path("aligned/face0.png").toStdString(), 3);
    QCOMPARE(crop.width, 16);

    r = run({"interpolate", "-m", model, a, b, "--frames", "4", "--method", "linear", "-o", path("strip.png")});
    QVERIFY2(r.code == 0, qPrintable(r.err));
    const auto strip = read_image(path("strip.png").toStdString(), 3);
    QCOMPARE(strip.width, 4 * 16 + 3 * 2);
    QCOMPARE(strip.height, 16);
    r = run({"edit", "-m", model, a, "--set", "Smiling=0", "-o", path("a.png")});
    QVERIFY2(r.code == 0, qPrintable(r.err));
    r = run({"edit", "-m", model, b, "--set", "Smiling=0", "-o", path("b.png")});
    QVERIFY2(r.code == 0, qPrintable(r.err));
    auto tile = [&](int i) {
      Image t;
      t.width = t.height = 16;
      t.channels = 3;
      for (int y = 0; y < 16; ++y) {
        const auto* row = strip.bytes.data() + (static_cast<size_t>(y) * strip.width + i * 18) * 3;
        t.bytes.insert(t.bytes.end(), row, row + 16 * 3);
      }
      return t;
    };
    QVERIFY(tile(0).bytes == read_image(path("a.png").toStdString(), 3).bytes);
    QVERIFY(tile(3).bytes == read_image(path("b.png").toStdString(), 3).bytes);
    QVERIFY(tile(1).bytes != tile(0).bytes && tile(1).bytes != tile(3).bytes);

    r = run({"interpolate", "-m", model, a, b, "--frames", "5", "-o", path("morph.gif")});
    QVERIFY2(r.code == 0, qPrintable(r.err));
    QCOMPARE(read_animation_info(path("morph.gif").toStdString()).frames, 5);
    r = run({"edit", "-m", model, a, "--sweep", "Smiling=-1:1:7", "-o", path("sweep.gif")});
    QVERIFY2(r.code == 0, qPrintable(r.err));
    QCOMPARE(read_animation_info(path("sweep.gif").toStdString()).frames, 7);
    r = run({"edit", "-m", model, a, b, "--sweep", "Smiling=-1:1:7", "-o", path("two.gif")});
    QCOMPARE(r.code, 2);
    QVERIFY2(r.err.contains("one photo"), qPrintable(r.err));
    r = run({"edit", "-m", model, a, "--sweep", "Smiling=-1:1", "-o", path("bad.gif")});
    QCOMPARE(r.code, 2);
    r = run({"edit", "-m", model, a, "-o", path("nothing.png")});
    QCOMPARE(r.code, 2);
    QVERIFY(!QFileInfo::exists(path("bad.gif")) && !QFileInfo::exists(path("nothing.png")));
  }

  // framing: the mean landmarks of a CelebA-layout folder go into the model (info shows them); a
  // malformed landmark file is named with its line; without the landmark model, align says so and
  // falls back to the detector's box (here: no face either, so a centre crop).
  void framingIsStoredAndUsed() {
    const QString data = path("marked");
    QDir().mkpath(data + "/img_align_celeba");
    write_image((data + "/img_align_celeba/000001.png").toStdString(), test::random_image(40, 3, 7));
    write_image((data + "/img_align_celeba/000002.png").toStdString(), test::random_image(40, 3, 8));
    auto write = [](const QString& file, const QByteArray& text) {
      QFile f(file);
      return f.open(QIODevice::WriteOnly) && f.write(text) == text.size();
    };
    const QByteArray head = "2\nlefteye_x lefteye_y righteye_x righteye_y nose_x nose_y leftmouth_x leftmouth_y rightmouth_x rightmouth_y\n";
    QVERIFY(write(data + "/list_landmarks_align_celeba.txt",
                  head + "000001.png 12 16 28 16 20 22 14 30 26 30\n000002.png 14 18 30 18 22 24 16 32 28 32\n"));
    auto r = run({"framing", "-m", model_, data, "-o", path("framed.glow")});
    QVERIFY2(r.code == 0, qPrintable(r.err));
    QVERIFY2(r.out.contains("left eye            0.3250 0.4250"), qPrintable(r.out));  // (13, 17) / 40
    r = run({"info", "--json", path("framed.glow")});
    QCOMPARE(nlohmann::json::parse(r.out.toStdString())["framing"].size(), size_t{10});

    QVERIFY(write(data + "/list_landmarks_align_celeba.txt", head + "000001.png 12 16 28 16 20 22 14 30 26 x\n000002.png 1 2 3 4 5 6 7 8 9 10\n"));
    r = run({"framing", "-m", model_, data, "-o", path("framed2.glow")});
    QCOMPARE(r.code, 1);
    QVERIFY2(r.err.contains("list_landmarks_align_celeba.txt:3") && r.err.contains("'x' is not a number"), qPrintable(r.err));
    QVERIFY(!QFileInfo::exists(path("framed2.glow")));

    auto env = QProcessEnvironment::systemEnvironment();
    env.insert("GLOWLAB_DLIB_LANDMARKS", path("no-such-landmarks.dat"));
    r = run({"align", "-m", path("framed.glow"), images_ + "/face0.png", "-o", path("framed-crop.png")}, env);
    QVERIFY2(r.code == 0, qPrintable(r.err));
    QVERIFY2(r.err.contains("face0.png") && (r.err.contains("no-such-landmarks.dat is missing") || r.err.contains("no face landmark support")),
             qPrintable(r.err));
    QCOMPARE(read_image(path("framed-crop.png").toStdString(), 3).width, 16);
  }

  // train --framing: "head" or ten fractions, for aligned photos only; a bad value is named and
  // nothing is trained.
  void trainFramingIsChecked() {
    auto r = run({"train", images_, "-o", path("framed-run"), "--framing", "head", "--steps", "1"});
    QCOMPARE(r.code, 1);
    QVERIFY2(r.err.contains("--framing needs --align"), qPrintable(r.err));
    r = run({"train", images_, "-o", path("framed-run"), "--align", "--framing", "0.3,0.4,0.7", "--steps", "1"});
    QVERIFY(r.code != 0);
    QVERIFY2(r.err.contains("--framing") && r.err.contains("ten numbers") && r.err.contains("0.3,0.4,0.7"), qPrintable(r.err));
    QVERIFY(!QFileInfo::exists(path("framed-run/model.glow")));
    const auto head = parse_framing("head", "test");
    QCOMPARE(head.size(), size_t{10});
    QCOMPARE(head[2] - head[0], 0.25);  // the eyes a quarter of the side apart
    QCOMPARE(parse_framing("0.3,0.4,0.7,0.4,0.5,0.6,0.35,0.75,0.65,0.75", "test")[9], 0.75);
  }

  // Issue 29 (16, 17, 18): names as a person types them (any case, the window's display name), a
  // slip answered with the nearest name and the list (exit 2); values beyond a slider's range held
  // to it with the window's words; an output format that cannot be written refused before any work.
  void editTakesNamesAsTypedAndHoldsValuesToTheRange() {
    auto loaded = load_model(model_.toStdString());
    const int64_t d = loaded.glow->config().dimension();
    at::manual_seed(5);
    loaded.attributes = {{"Smiling", 1, 1, -1.5, 1.5}, {"Blond_Hair", 1, 1, -2, 2}};
    loaded.directions = {at::randn({d}) * 0.05, at::randn({d}) * 0.05};
    const QString model = path("names.glow");
    save_model(model.toStdString(), loaded);
    const QString photo = images_ + "/face0.png";
    auto r = run({"edit", "-m", model, photo, "--set", "Blond_Hair=0.5", "--set", "Smiling=1.5", "-o", path("exact.png")});
    QVERIFY2(r.code == 0, qPrintable(r.err));
    QVERIFY2(!r.err.contains("goes from"), qPrintable(r.err));
    r = run({"edit", "-m", model, photo, "--set", "blond hair=0.5", "--set", "SMILING=10", "-o", path("typed.png")});
    QVERIFY2(r.code == 0, qPrintable(r.err));
    QVERIFY2(r.err.contains("note: Smiling goes from -1.50 to +1.50: 10 was set to +1.50"), qPrintable(r.err));
    QVERIFY(read_image(path("typed.png").toStdString(), 3).bytes == read_image(path("exact.png").toStdString(), 3).bytes);
    r = run({"edit", "-m", model, photo, "--set", "Smilng=1", "-o", path("slip.png")});
    QCOMPARE(r.code, 2);
    QVERIFY2(r.err.contains("no attribute 'Smilng' (did you mean Smiling?); its attributes are Smiling, Blond_Hair"), qPrintable(r.err));
    QVERIFY(!QFileInfo::exists(path("slip.png")));
    r = run({"edit", "-m", model, photo, "--set", "Smiling=1", "--keep", "blond", "-o", path("slip.png")});
    QCOMPARE(r.code, 2);
    QVERIFY2(r.err.contains("no attribute 'blond' (did you mean Blond_Hair?)"), qPrintable(r.err));
    r = run({"edit", "-m", model, photo, "--set", "Smiling=abc", "-o", path("slip.png")});
    QCOMPARE(r.code, 2);
    QVERIFY2(r.err.contains("'Smiling=abc': the value is not a number"), qPrintable(r.err));
    r = run({"edit", "-m", model, photo, "--sweep", "smiling=-5:1:3", "-o", path("sweep.png")});
    QVERIFY2(r.code == 0, qPrintable(r.err));
    QVERIFY2(r.err.contains("Smiling goes from -1.50 to +1.50: -5 was set to -1.50"), qPrintable(r.err));
    // The format is checked first: a missing photo is not even looked for.
    r = run({"edit", "-m", model, path("missing.png"), "--set", "Smiling=1", "-o", path("out.xyz")});
    QCOMPARE(r.code, 2);
    QVERIFY2(r.err.contains("out.xyz: GlowLab cannot write '.xyz' files; it writes .png, .jpg"), qPrintable(r.err));
    QVERIFY2(!r.err.contains("missing.png") && !r.err.contains("OpenCV"), qPrintable(r.err));
    r = run({"sample", "-m", model, "-n", "2", "-o", path("grid.tiff")});
    QCOMPARE(r.code, 2);
    QVERIFY2(r.err.contains("cannot write '.tiff' files"), qPrintable(r.err));
    r = run({"interpolate", "-m", model, photo, path("missing.png"), "-o", path("between.avi")});
    QCOMPARE(r.code, 2);
    QVERIFY2(r.err.contains(".gif, .mp4"), qPrintable(r.err));
    r = run({"align", "-m", model, path("missing.png"), "-o", path("noext")});
    QCOMPARE(r.code, 2);
    QVERIFY2(r.err.contains("noext: no file extension"), qPrintable(r.err));
  }

  // Writing directions into a model must name it: the bundled (or $GLOWLAB_MODEL) model is never
  // rewritten by a bare `attributes DATA`.
  void attributesNeverRewritesTheDefaultModel() {
    const QString copy = model_copy("default-copy.glow");
    const auto before = test::read_bytes(copy.toStdString());
    QProcess p;
    auto env = QProcessEnvironment::systemEnvironment();
    env.insert("GLOWLAB_MODEL", copy);
    p.setProcessEnvironment(env);
    p.start(GLOWLAB_CLI, {"attributes", images_});
    QVERIFY(p.waitForFinished(60000));
    QCOMPARE(p.exitCode(), 2);
    const auto err = QString::fromUtf8(p.readAllStandardError());
    QVERIFY2(err.contains("-m MODEL") && err.contains("-o OUT"), qPrintable(err));
    QCOMPARE(test::read_bytes(copy.toStdString()), before);
  }

  // A check judge reads a guide's refinements: alone it has nothing to read, and is refused before
  // any work, the model untouched.
  void aGuideCheckNeedsAGuide() {
    const QString copy = model_copy("check-copy.glow");
    const auto before = test::read_bytes(copy.toStdString());
    QProcess p;
    p.start(GLOWLAB_CLI, {"attributes", "-m", copy, images_, "--guide-check", model_});
    QVERIFY(p.waitForFinished(60000));
    QCOMPARE(p.exitCode(), 2);
    const auto err = QString::fromUtf8(p.readAllStandardError());
    QVERIFY2(err.contains("--guide-check requires --guide"), qPrintable(err));
    QCOMPARE(test::read_bytes(copy.toStdString()), before);
  }
};

QTEST_GUILESS_MAIN(TestCli)
#include "test_cli.moc"
