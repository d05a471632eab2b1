// One config merge for every command that makes a model: --config's file, then each flag given
// (engine: merge_config; CLI: init, train and bench through the same flags); bench measures the
// config and counts it is given.
#include <QtTest/QtTest>

#include <nlohmann/json.hpp>

#include "glowlab.h"
#include "run_program.h"
#include "testutil.h"

using namespace glowlab;

class TestConfig : public QObject {
  Q_OBJECT
  QTemporaryDir dir_;
  QString config_, images_;

  QString path(const QString& name) const { return dir_.path() + "/" + name; }

 private Q_SLOTS:
  void initTestCase() {
    QVERIFY(dir_.isValid());
    config_ = path("tiny.json");
    write_file_atomic(config_.toStdString(), R"({"image_size":16,"levels":2,"steps":2,"width":16,"coupling":"affine"})");
    images_ = path("faces");
    QDir().mkpath(images_);
    for (int i = 0; i < 8; ++i) write_image(QString("%1/face%2.png").arg(images_).arg(i).toStdString(), test::random_image(16, 3, i));
  }

  void namesReadBackWhatToStringWrites() {
    for (const auto& name : coupling_names()) QCOMPARE(to_string(*coupling_from_name(name)), name.c_str());
    for (const auto& name : permutation_names()) QCOMPARE(to_string(*permutation_from_name(name)), name.c_str());
    QVERIFY(!coupling_from_name("Affine"));
    QVERIFY(!permutation_from_name(""));
  }

  void mergeTakesTheFileThenTheFlags() {
    const GlowConfig defaults = merge_config("", {});
    QCOMPARE(defaults.width, GlowConfig{}.width);
    QCOMPARE(defaults.scale_min, kDefaultScaleMin);  // a new model's bounded coupling
    const GlowConfig file = merge_config(config_.toStdString(), {});
    QCOMPARE(file.width, 16);
    QCOMPARE(file.scale_min, 0.0);  // a file without the field: the paper's coupling, as files always read
    ConfigOverrides o;
    o.width = GlowConfig{}.width;  // a flag equal to the default still replaces the file's value
    o.coupling = CouplingType::Additive;
    o.scale_min = 0.25;
    const GlowConfig merged = merge_config(config_.toStdString(), o);
    QCOMPARE(merged.width, GlowConfig{}.width);
    QVERIFY(merged.coupling == CouplingType::Additive);
    QCOMPARE(merged.scale_min, 0.25);
    QCOMPARE(merged.levels, 2);  // what no flag names stays the file's
  }

  void aBadMergeNamesTheFile() {
    ConfigOverrides o;
    o.image_size = 18;  // not divisible by 2^levels
    try {
      merge_config(config_.toStdString(), o);
      QFAIL("merged an invalid config");
    } catch (const Error& e) {
      QVERIFY2(QString(e.what()).contains(config_) && QString(e.what()).contains("divisible"), e.what());
    }
  }

  // The same flags over the same file give the same model on every command. Before: train dropped
  // --width and --coupling when --config was given, and bench ignored a --width equal to the default
  // and had no --coupling.
  void everyCommandMergesTheSameWay_data() {
    QTest::addColumn<QStringList>("args");
    QTest::addColumn<QString>("model");  // the file to read the config from (empty: bench's JSON)
    const QStringList flags{"--config", config_, "--width", "128", "--coupling", "additive"};
    QTest::newRow("init") << (QStringList{"init", "-o", path("init.glow")} + flags) << path("init.glow");
    QTest::newRow("train") << (QStringList{"train", images_, "--dataset", "folder", "-o", path("run"), "--steps", "1",
                                           "--batch", "4", "--no-cache", "--test-images", "2", "--init-batch", "4"} + flags)
                           << path("run/model.glow");
    QTest::newRow("bench") << (QStringList{"bench", "--device", "cpu", "--iterations", "3", "--batch", "2", "--train-steps", "1"} + flags)
                           << QString();
  }

  void everyCommandMergesTheSameWay() {
    QFETCH(QStringList, args);
    QFETCH(QString, model);
    const auto r = test::cli(args);
    QVERIFY2(r.code == 0, qPrintable(r.err));
    nlohmann::json config;
    if (model.isEmpty()) {
      config = nlohmann::json::parse(r.out.toStdString())["config"];
    } else {
      const auto info = test::cli({"info", "--json", model});
      QVERIFY2(info.code == 0, qPrintable(info.err));
      config = nlohmann::json::parse(info.out.toStdString())["config"];
    }
    QCOMPARE(config["width"].get<int>(), 128);
    QCOMPARE(QString::fromStdString(config["coupling"].get<std::string>()), QString("additive"));
    QCOMPARE(config["levels"].get<int>(), 2);
  }

  void benchPrintsJson() {
    QFile cfg(path("tiny.json"));
    QVERIFY(cfg.open(QIODevice::WriteOnly));
    cfg.write(R"({"image_size":16,"levels":2,"steps":2,"width":16})");
    cfg.close();
    auto r = test::cli({"bench", "--config", path("tiny.json"), "--device", "cpu", "--iterations", "20", "--batch", "4",
                  "--train-steps", "3"});
    QVERIFY2(r.code == 0, qPrintable(r.err));
    const auto j = nlohmann::json::parse(r.out.toStdString());
    for (const char* key : {"encode_throughput_img_per_s", "train_throughput_img_per_s", "peak_rss_mib"}) {
      QVERIFY2(j[key].get<double>() > 0, key);
    }
    QVERIFY(j["decode_latency_ms"]["median"].get<double>() > 0);
    QCOMPARE(j["config"]["width"].get<int>(), 16);
  }

  // The counts given are the counts used (bench once raised --iterations to 20 and --train-steps
  // to 3 unasked), the config's coupling and width are the model's, and a count below 1 is refused.
  void benchHonoursItsCountsAndConfig() {
    QFile cfg(path("additive.json"));
    QVERIFY(cfg.open(QIODevice::WriteOnly));
    cfg.write(R"({"image_size":16,"levels":2,"steps":2,"width":8,"coupling":"additive"})");
    cfg.close();
    auto r = test::cli({"bench", "--config", path("additive.json"), "--device", "cpu", "--iterations", "3", "--batch", "2",
                  "--train-steps", "1"});
    QVERIFY2(r.code == 0, qPrintable(r.err));
    const auto j = nlohmann::json::parse(r.out.toStdString());
    QCOMPARE(j["iterations"].get<int>(), 3);
    QCOMPARE(j["train_steps"].get<int>(), 1);
    QCOMPARE(j["config"]["coupling"].get<std::string>(), std::string("additive"));
    QCOMPARE(j["config"]["width"].get<int>(), 8);
    r = test::cli({"bench", "--config", path("additive.json"), "--device", "cpu", "--iterations", "0"});
    QCOMPARE(r.code, 1);
    QVERIFY2(r.err.contains("--iterations must be at least 1"), qPrintable(r.err));
  }

  // A command that reads a model's shape from a file refuses the flags that would shape a new one.
  void shapeFlagsWithAModelAreRefused() {
    const auto made = test::cli({"init", "-o", path("base.glow"), "--config", config_});
    QVERIFY2(made.code == 0, qPrintable(made.err));
    auto r = test::cli({"bench", "-m", path("base.glow"), "--width", "64"});
    QCOMPARE(r.code, 2);
    QVERIFY2(r.err.contains("--width") && r.err.contains("--model"), qPrintable(r.err));
    r = test::cli({"train", images_, "-o", path("run2"), "--init-model", path("base.glow"), "--config", config_});
    QCOMPARE(r.code, 2);
    QVERIFY2(r.err.contains("--config") && r.err.contains("--init-model"), qPrintable(r.err));
  }
};

QTEST_GUILESS_MAIN(TestConfig)
#include "test_config.moc"
