// The .glow file: bit-exact round trips, and every kind of malformed or hostile file (a model, a
// training checkpoint, a judge) rejected with its own message naming the file.
#include <QtTest/QtTest>

#include <sys/stat.h>

#include <cstring>
#include <fstream>

#include <nlohmann/json.hpp>

#include "bundle/attribute.h"
#include "bundle/model_file.h"
#include "bundle/safetensors.h"
#include "core/atomic_file.h"
#include "core/error.h"
#include "judge/judge.h"
#include "testutil.h"
#include "train/run_state.h"

using namespace glowlab;
using json = nlohmann::json;

namespace {

ModelFile tiny_model() {
  at::manual_seed(3);
  ModelFile mf;
  mf.glow = Glow(test::tiny_config());
  mf.glow->initialize(at::rand({4, 3, 16, 16}) - 0.5);
  test::perturb(*mf.glow, 0.01);
  mf.attributes = {{"Smiling", 10, 20, -1.5, 1.5}, {"Blond_Hair", 3, 4, -1, 1}};
  mf.directions = {at::randn({mf.glow->config().dimension()}), at::randn({mf.glow->config().dimension()})};
  mf.provenance_json = R"({"dataset":"test","seed":1})";
  return mf;
}

struct Split {
  uint64_t n;
  json header;
  std::string data;
};

Split split(const std::string& bytes) {
  Split s;
  std::memcpy(&s.n, bytes.data(), 8);
  s.header = json::parse(bytes.substr(8, s.n));
  s.data = bytes.substr(8 + s.n);
  return s;
}

std::string join(const json& header, const std::string& data) {
  const std::string h = header.dump();
  std::string out(8, '\0');
  const uint64_t n = h.size();
  std::memcpy(out.data(), &n, 8);
  return out + h + data;
}

std::string with_length(std::string bytes, uint64_t n) {
  std::memcpy(bytes.data(), &n, 8);
  return bytes;
}

std::string valid_bytes() {
  QTemporaryDir dir;
  const std::string path = (dir.path() + "/m.glow").toStdString();
  save_model(path, tiny_model());
  return read_file(path, 1 << 30);
}

// Returns a copy of the valid file with the header edited by `edit`, and without its checksums
// (as a file from another tool, or an older one, would be), so that the validators are what answers.
std::string edited(const std::function<void(json&, std::string&)>& edit) {
  auto s = split(valid_bytes());
  s.header["__metadata__"].erase("integrity");
  edit(s.header, s.data);
  return join(s.header, s.data);
}

std::string set_meta(const std::string& key, const std::string& value) {
  return edited([&](json& h, std::string&) { h["__metadata__"][key] = value; });
}

// A training checkpoint of the tiny model, made with TrainOptions' defaults (seed 0, batch 16).
std::string saved_checkpoint(const QTemporaryDir& dir) {
  const std::string path = (dir.path() + "/checkpoint.ckpt").toStdString();
  State s;
  s.glow = tiny_model().glow;
  s.ema = tiny_model().glow;
  s.opt = std::make_unique<FlowOptimizer>(s.glow->parameters(), "adam");
  save_checkpoint(path, s, TrainOptions());
  return path;
}

// The message of the glowlab::Error that loading the checkpoint throws ("" if it loads).
QString checkpoint_error(const std::string& path) {
  State s;
  GlowConfig config;
  try {
    load_checkpoint(path, s, TrainOptions(), config, at::kCPU);
  } catch (const Error& e) {
    return QString::fromUtf8(e.what());
  }
  return {};
}

}  // namespace

class TestBundle : public QObject {
  Q_OBJECT

 private Q_SLOTS:
  void roundTripIsBitExact() {
    QTemporaryDir dir;
    const std::string a = (dir.path() + "/a.glow").toStdString(), b = (dir.path() + "/b.glow").toStdString();
    auto mf = tiny_model();
    save_model(a, mf);
    auto loaded = load_model(a);
    save_model(b, loaded);
    QVERIFY(read_file(a, 1 << 30) == read_file(b, 1 << 30));
    auto orig = mf.glow->named_parameters();
    for (const auto& p : loaded.glow->named_parameters()) QVERIFY(at::equal(p.value(), orig[p.key()]));
    for (const auto& b2 : loaded.glow->named_buffers()) QVERIFY(at::equal(b2.value(), mf.glow->named_buffers()[b2.key()]));
    QCOMPARE(loaded.attributes.size(), size_t{2});
    QCOMPARE(QString::fromStdString(loaded.attributes[1].name), QString("Blond_Hair"));
    QCOMPARE(loaded.attributes[0].range_max, 1.5);
    QVERIFY(at::equal(loaded.directions[0], mf.directions[0]));
    QCOMPARE(QString::fromStdString(loaded.provenance_json), QString::fromStdString(mf.provenance_json));
    QVERIFY(QDir(dir.path()).entryList(QDir::Files).size() == 2);  // no temp files left
    QVERIFY(loaded.framing.empty());  // a model without a framing stays without one

    mf.framing = {0.34, 0.47, 0.66, 0.47, 0.5, 0.63, 0.38, 0.8, 0.62, 0.8};
    save_model(a, mf);
    QVERIFY(load_model(a).framing == mf.framing);
  }

  // An attribute's unit ("years") and its featured flag survive the file; files without them read
  // as before (no unit, featured), and a wrong type is refused by name.
  void attributeUnitAndFeaturedRoundTrip() {
    Attribute age;
    age.name = "Age";
    age.unit = "years";
    age.range_min = -30;
    age.range_max = 30;
    Attribute hat;
    hat.name = "Wearing_Hat";
    hat.featured = false;
    const auto back = attributes_from_json(attributes_to_json({age, hat}), "test");
    QCOMPARE(back.size(), size_t{2});
    QCOMPARE(QString::fromStdString(back[0].unit), QString("years"));
    QVERIFY(back[0].featured);
    QVERIFY(!back[1].featured);
    QVERIFY(back[1].unit.empty());
    const auto plain = attributes_from_json(R"([{"name": "Smiling"}])", "old.glow");
    QVERIFY(plain[0].featured && plain[0].unit.empty());
    QVERIFY(attributes_to_json(plain).find("featured") == std::string::npos);  // old files' bytes stay the same
    try {
      attributes_from_json(R"([{"name": "Smiling", "featured": "yes"}])", "bad.glow");
      QFAIL("a featured flag that is not a boolean was accepted");
    } catch (const Error& e) {
      QVERIFY2(QString(e.what()).contains("bad.glow") && QString(e.what()).contains("featured"), e.what());
    }
  }

  void readableAsPlainSafetensors() {
    // The layout any safetensors reader expects: length, JSON with dtype/shape/data_offsets.
    auto s = split(valid_bytes());
    QCOMPARE(s.n % 8, uint64_t{0});
    const auto& t = s.header["level0.step0.invconv.lower"];
    QCOMPARE(QString::fromStdString(t["dtype"].get<std::string>()), QString("F32"));
    QCOMPARE(t["shape"].size(), size_t{2});
    QCOMPARE(QString::fromStdString(s.header["__metadata__"]["format"].get<std::string>()), QString(kBundleFormat));
    size_t covered = 0;
    for (auto it = s.header.begin(); it != s.header.end(); ++it) {
      if (it.key() != "__metadata__") covered += it.value()["data_offsets"][1].get<size_t>() - it.value()["data_offsets"][0].get<size_t>();
    }
    QCOMPARE(covered, s.data.size());
  }

  void malformedFilesAreRejected_data() {
    QTest::addColumn<QByteArray>("bytes");
    QTest::addColumn<QString>("message");
    const std::string v = valid_bytes();
    const uint64_t n = split(v).n;
    auto row = [](const char* name, const std::string& bytes, const char* msg) {
      QTest::newRow(name) << QByteArray(bytes.data(), static_cast<int>(bytes.size())) << QString(msg);
    };
    row("zero bytes", "", "file is empty");
    row("truncated at 5", v.substr(0, 5), "too short for the 8-byte header length");
    row("truncated in header", v.substr(0, 8 + n / 2), "runs past the end of the file");
    row("truncated in data", v.substr(0, v.size() - 100), "lie outside");
    row("truncated to header", v.substr(0, 8 + n), "lie outside");
    row("header length beyond file", with_length(v, v.size()), "runs past the end of the file");
    row("huge header length", with_length(v, uint64_t{1} << 62), "exceeds the limit");
    std::string garbage = v;
    for (uint64_t i = 8; i < 8 + n; ++i) garbage[i] = 'x';
    row("header not JSON", garbage, "header is not valid JSON");
    row("header a list", join(json::array({1, 2}), ""), "header is not a JSON object");
    row("unknown format version", set_meta("format", "glowlab.bundle/9"), "unknown format version 'glowlab.bundle/9'");
    row("no format", edited([](json& h, std::string&) { h["__metadata__"].erase("format"); }), "no 'format'");
    row("unknown dtype", edited([](json& h, std::string&) { h["top_mean"]["dtype"] = "Q7"; }), "unknown dtype 'Q7'");
    row("unsupported dtype", edited([](json& h, std::string&) { h["top_mean"]["dtype"] = "I64"; }), "dtype I64 is not supported");
    row("shape vs offsets", edited([](json& h, std::string&) { h["top_mean"]["shape"] = {1, 2}; }), "shape needs");
    row("shape vs config", edited([](json& h, std::string&) {
          auto& t = h["level1.step0.actnorm.loc"];
          const auto c = t["shape"][1].get<int64_t>();
          t["shape"] = {1, 1, 1, c};  // same bytes, wrong shape
        }), "has shape [1, 1, 1, 24] but the config needs [1, 24, 1, 1]");
    row("missing tensor", edited([](json& h, std::string&) { h.erase("level0.step1.coupling.conv1_weight"); }),
        "missing tensor 'level0.step1.coupling.conv1_weight'");
    row("unexpected tensor", edited([](json& h, std::string& d) {
          h["evil.payload"] = {{"dtype", "F32"}, {"shape", {1}}, {"data_offsets", {d.size(), d.size() + 4}}};
          d.append(4, '\0');
        }), "unexpected tensor 'evil.payload'");
    row("missing direction", edited([](json& h, std::string&) { h.erase("direction.Smiling"); }), "missing tensor 'direction.Smiling'");
    row("overlapping offsets", edited([](json& h, std::string&) {
          h["level0.step0.actnorm.logs"]["data_offsets"] = h["level0.step0.actnorm.loc"]["data_offsets"];
        }), "overlap");
    row("negative dimension", edited([](json& h, std::string&) { h["top_mean"]["shape"] = {-1, 4}; }), "negative or non-integer");
    row("huge shape", edited([](json& h, std::string&) { h["top_mean"]["shape"] = {uint64_t{1} << 35, uint64_t{1} << 35}; }),
        "implausibly large");
    row("NaN weights", edited([](json& h, std::string& d) {
          const auto off = h["level0.step0.coupling.conv1_weight"]["data_offsets"][0].get<size_t>();
          const float nan = std::nanf("");
          std::memcpy(d.data() + off, &nan, 4);
        }), "'level0.step0.coupling.conv1_weight' contains NaN or infinite values");
    row("config not JSON", set_meta("config", "{oops"), "invalid config: not JSON");
    row("config bad field", set_meta("config", R"({"image_size":17})"), "not divisible");
    row("config unknown field", set_meta("config", R"({"image_size":16,"depth":3})"), "unknown field 'depth'");
    row("attributes not a list", set_meta("attributes", R"({"a":1})"), "attributes must be a JSON list");
    row("framing not a list", set_meta("framing", R"({"eyes":1})"), "framing must be a list of 10 numbers");
    row("framing short", set_meta("framing", "[0.3, 0.4]"), "framing must be a list of 10 numbers");
    row("framing outside", set_meta("framing", "[0.3,0.4,0.6,0.4,0.5,0.6,0.4,0.8,0.6,7]"), "framing values must be numbers from 0 to 1");
    row("metadata not strings", edited([](json& h, std::string&) { h["__metadata__"]["format"] = 7; }), "is not a string");
  }

  void malformedFilesAreRejected() {
    QFETCH(QByteArray, bytes);
    QFETCH(QString, message);
    QTemporaryDir dir;
    const std::string path = (dir.path() + "/bad.glow").toStdString();
    {
      std::ofstream out(path, std::ios::binary);
      out.write(bytes.constData(), bytes.size());
    }
    try {
      load_model(path);
      QFAIL("a malformed file was accepted");
    } catch (const Error& e) {
      const QString what = QString::fromUtf8(e.what());
      QVERIFY2(what.contains(message), qPrintable("got: " + what));
      QVERIFY2(what.startsWith(QString::fromStdString(path)), qPrintable("message does not name the file: " + what));
    }
  }

  // Integrity: a one-byte change in the tensor data or in the header is refused as damage; the
  // untouched file loads verified; a file written before checksums loads, unverified.
  void checksumsCatchDamage() {
    const std::string v = valid_bytes();
    QTemporaryDir dir;
    auto load_bytes = [&](const std::string& bytes) {
      const std::string path = (dir.path() + "/model.glow").toStdString();
      write_file_atomic(path, bytes);
      return load_model(path);
    };
    QVERIFY(load_bytes(v).checksummed);
    const auto s = split(v);
    // A flipped exponent bit in a weight: finite (1e38-like), so only the checksum can tell.
    std::string data_flip = v;
    const auto off = s.header["level0.step0.coupling.conv1_weight"]["data_offsets"][0].get<size_t>();
    data_flip[8 + s.n + off + 3] = static_cast<char>(data_flip[8 + s.n + off + 3] ^ 0x40);
    std::string header_flip = v;
    const auto at = header_flip.find("\\\"test\\\"");  // the provenance's dataset name, escaped in the header
    QVERIFY(at != std::string::npos && at < 8 + s.n);
    header_flip[at + 2] = 'T';
    for (const auto& [bytes, what] : {std::pair{data_flip, QString("tensor data")}, std::pair{header_flip, QString("header")}}) {
      try {
        load_bytes(bytes);
        QFAIL("a damaged file was accepted");
      } catch (const Error& e) {
        const QString m = QString::fromUtf8(e.what());
        QVERIFY2(m.endsWith("model.glow is damaged (checksum mismatch: the " + what + " changed after it was written)"), qPrintable(m));
      }
    }
    // Round 1's files have no checksums: they load, marked unverified.
    const auto v1 = load_model(std::string(GLOWLAB_SOURCE_DIR) + "/docs/models/faces64-v1.glow");
    QVERIFY(!v1.checksummed);
    QVERIFY(v1.attributes.size() == 14);
  }

  void missingFileNamesThePath() {
    try {
      load_model("/nonexistent/model.glow");
      QFAIL("accepted");
    } catch (const Error& e) {
      QCOMPARE(e.kind(), ErrorKind::Io);
      QVERIFY(QString(e.what()).contains("/nonexistent/model.glow"));
    }
  }

  // A checkpoint's tensors are checked like a model's: a wrong shape (here one that would
  // broadcast) in the weights or the optimiser's moments names the file, the key and both shapes.
  void checkpointWithAWrongShapeNamesTheKey() {
    QTemporaryDir dir;
    for (const std::string key : {"ema/level0.step0.actnorm.loc", "opt/v/level0.step0.actnorm.loc"}) {
      const std::string path = saved_checkpoint(dir);
      auto c = read_safetensors(path);
      for (auto& [name, t] : c.tensors) {
        if (name == key) t = at::zeros({1});
      }
      write_safetensors(path, c.metadata, c.tensors);
      QCOMPARE(checkpoint_error(path), QString::fromStdString(path + ": tensor '" + key + "' has shape [1] but the config needs [1, 12, 1, 1]"));
    }
  }

  // And its counters: a field of the wrong type names the file and the field.
  void checkpointWithABadStateNamesTheField() {
    QTemporaryDir dir;
    const std::string path = saved_checkpoint(dir);
    auto c = read_safetensors(path);
    auto state = json::parse(c.metadata["state"]);
    state["framing"] = json::array({"left eye"});
    c.metadata["state"] = state.dump();
    write_safetensors(path, c.metadata, c.tensors);
    QCOMPARE(checkpoint_error(path), QString::fromStdString(path + ": checkpoint state field 'framing' has the wrong type"));
  }

  void judgeWithBrokenMetadataNamesTheFile() {
    QTemporaryDir dir;
    const std::string path = (dir.path() + "/judge.safetensors").toStdString();
    write_safetensors(path, {{"format", "glowlab.judge/1"}, {"attributes", R"(["Smiling",)"}}, {});
    const std::vector<Image> faces{test::random_image(16, 3, 1), test::random_image(16, 3, 2)};
    try {
      judge_fid(path, faces, faces);
      QFAIL("a judge with broken metadata was accepted");
    } catch (const Error& e) {
      QCOMPARE(QString(e.what()), QString::fromStdString(path + ": the judge's attributes are not a JSON list of names"));
    }
  }

  void brokenModelIsNeverWritten() {
    QTemporaryDir dir;
    const std::string path = (dir.path() + "/nan.glow").toStdString();
    auto mf = tiny_model();
    mf.glow->named_parameters()["top_logs"].data().fill_(std::nan(""));
    QVERIFY_THROWS_EXCEPTION(Error, save_model(path, mf));
    QVERIFY(QDir(dir.path()).isEmpty());
  }

  void unwritablePathFailsCleanly() {
    QTemporaryDir dir;
    const std::string target = (dir.path() + "/keep.glow").toStdString();
    save_model(target, tiny_model());
    const auto before = read_file(target, 1 << 30);
    try {
      save_model(dir.path().toStdString() + "/no/such/dir/m.glow", tiny_model());
      QFAIL("accepted");
    } catch (const Error& e) {
      QCOMPARE(e.kind(), ErrorKind::Io);
      QVERIFY(QString(e.what()).contains("/no/such/dir/m.glow"));
    }
    // Writing over a directory fails at the rename; its temp file would sit beside it, in `dir`,
    // and must be gone; the existing file is untouched.
    QVERIFY(QDir(dir.path()).mkdir("sub"));
    QVERIFY_THROWS_EXCEPTION(Error, write_file_atomic(dir.path().toStdString() + "/sub", "x"));
    QVERIFY(read_file(target, 1 << 30) == before);
    QCOMPARE(QDir(dir.path()).entryList(QDir::Files | QDir::Hidden), QStringList{"keep.glow"});
  }

  // The one atomic-output helper: a writer that fails (or writes nothing) leaves no temp file,
  // the result gets the umask's permissions, and the suffix reaches writers that sniff it.
  void atomicWriterCleansUpAndSetsPermissions() {
    QTemporaryDir dir;
    const std::string out = (dir.path() + "/anim.gif").toStdString();
    std::string seen;
    QVERIFY_THROWS_EXCEPTION(Error, write_atomically(out, ".gif", [&](const std::string& tmp) {
      seen = tmp;
      throw Error(ErrorKind::Io, "the encoder failed");
    }));
    QVERIFY2(QString::fromStdString(seen).endsWith(".gif"), seen.c_str());
    QVERIFY(!QFileInfo::exists(QString::fromStdString(seen)));
    QVERIFY_THROWS_EXCEPTION(Error, write_atomically(out, ".gif", [](const std::string&) {}));  // empty result
    QVERIFY(QDir(dir.path()).isEmpty());
    const mode_t old = ::umask(027);
    write_file_atomic(out, "GIF89a");
    ::umask(old);
    QCOMPARE(QFileInfo(QString::fromStdString(out)).permissions() & (QFile::ReadGroup | QFile::WriteGroup | QFile::ReadOther),
             QFileDevice::Permissions(QFile::ReadGroup));
    QCOMPARE(QString::fromStdString(read_file(out, 100)), QString("GIF89a"));
    QCOMPARE(QDir(dir.path()).entryList(QDir::Files | QDir::Hidden).size(), 1);
  }
};

QTEST_GUILESS_MAIN(TestBundle)
#include "test_bundle.moc"
