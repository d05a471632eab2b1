// The synthetic face generator (tools/faces, Node): deterministic bytes, labels that follow the
// documented rules (docs/faces-generator.md, re-implemented here independently), balanced rates.
#include <QtTest/QtTest>

#include <set>

#include <nlohmann/json.hpp>

#include "core/atomic_file.h"
#include "data/celeba.h"
#include "vision/image_io.h"

using namespace glowlab;
using json = nlohmann::json;

namespace {

const QString kGenerator = QString(GLOWLAB_SOURCE_DIR) + "/tools/faces/generate.mjs";

// Runs the generator; returns an empty string on success, else what went wrong. (A QVERIFY in
// here would only return from this helper, so the caller checks the result.)
QString generate(const QString& out, int count, int seed, const QStringList& extra = {}) {
  QProcess p;
  p.start("node", QStringList{kGenerator, "--out", out, "--count", QString::number(count), "--seed",
                              QString::number(seed), "--size", "64"} + extra);
  if (!p.waitForStarted()) return "node is not installed: the generator needs Node 18 or newer (see README)";
  if (!p.waitForFinished(300000)) return "the generator timed out";
  if (p.exitStatus() != QProcess::NormalExit || p.exitCode() != 0) {
    return "generator failed (run `npm ci` in tools/faces?): " + QString::fromUtf8(p.readAllStandardError());
  }
  return {};
}

bool in(const std::string& v, std::initializer_list<const char*> set) {
  for (const char* s : set) {
    if (QString::fromStdString(v).compare(s, Qt::CaseInsensitive) == 0) return true;
  }
  return false;
}

// The label rules of docs/faces-generator.md, written from the table, not from the generator.
std::map<std::string, bool> documented_labels(const json& face) {
  const std::string hair = face["hair"]["id"], color = face["hair"]["color"];
  const bool hat = in(face["accessories"]["id"], {"hat", "hat2", "hat3", "santa-hat"});
  const bool hair_visible = !in(hair, {"none", "bald", "short-fade", "short-fade-2"}) ||
                            face["hairBg"]["id"].get<std::string>() != "none";
  return {
      {"Bald", !hat && in(hair, {"bald", "short-bald"})},
      {"Big_Nose", face["nose"]["size"].get<double>() >= 1.0},
      {"Black_Hair", hair_visible && in(color, {"#272421", "#0f0902", "#1c1008", "#2c1608"})},
      {"Blond_Hair", hair_visible && in(color, {"#e9c67b", "#d7bf91"})},
      {"Brown_Hair", hair_visible && in(color, {"#3d2314", "#5a3825", "#cc9966"})},
      {"Chubby", face["fatness"].get<double>() >= 0.75},
      {"Eyeglasses", in(face["glasses"]["id"], {"glasses1-primary", "glasses1-secondary", "glasses2-black",
                                                "glasses2-primary", "glasses2-secondary"})},
      {"Gray_Hair", hair_visible && in(color, {"#9e9e9e", "#bdbdbd", "#d9d9d9"})},
      {"Male", face["gender"].get<std::string>() == "male"},
      {"Mouth_Slightly_Open", in(face["mouth"]["id"], {"angry", "mouth", "mouth2", "mouth3", "mouth4", "mouth7",
                                                       "mouth8", "smile", "smile2", "smile3"})},
      {"No_Beard", in(face["facialHair"]["id"], {"none", "sideburns1", "sideburns2", "sideburns3"})},
      {"Pale_Skin", in(face["body"]["color"], {"#f2d6cb", "#fedac7"})},
      {"Smiling", in(face["mouth"]["id"], {"smile-closed", "smile", "smile2", "smile3", "smile4"})},
      {"Wearing_Hat", hat},
  };
}

}  // namespace

class TestFaces : public QObject {
  Q_OBJECT
  QTemporaryDir dir_;

 private Q_SLOTS:
  void sameSeedGivesIdenticalBytes() {
    const QString a = dir_.path() + "/a", b = dir_.path() + "/b", c = dir_.path() + "/c";
    QCOMPARE(generate(a, 24, 7), QString());
    QCOMPARE(generate(b, 24, 7, {"--workers", "2"}), QString());
    QCOMPARE(generate(c, 24, 8), QString());
    const QStringList files = QDir(a + "/img_align_celeba").entryList(QDir::Files);
    QCOMPARE(files.size(), 24);
    int differing = 0;
    for (const QString& f : files) {
      const auto fa = read_file((a + "/img_align_celeba/" + f).toStdString(), 1 << 20);
      QVERIFY2(fa == read_file((b + "/img_align_celeba/" + f).toStdString(), 1 << 20), qPrintable(f));
      differing += fa != read_file((c + "/img_align_celeba/" + f).toStdString(), 1 << 20);
    }
    QVERIFY(differing > 20);  // another seed, other faces
    for (const char* f : {"/list_attr_celeba.txt", "/list_eval_partition.txt"}) {
      QVERIFY(read_file((a + f).toStdString(), 1 << 20) == read_file((b + f).toStdString(), 1 << 20));
    }
    const auto im = read_image((a + "/img_align_celeba/000001.png").toStdString(), 3);
    QCOMPARE(im.width, 64);
    QCOMPARE(im.height, 64);
  }

  void labelsFollowTheDocumentedRulesAndAreBalanced() {
    const QString out = dir_.path() + "/rates", dump = dir_.path() + "/faces.json";
    QCOMPARE(generate(out, 400, 7, {"--dump-json", dump}), QString());
    const auto attrs = parse_celeba_attributes((out + "/list_attr_celeba.txt").toStdString());
    const std::vector<std::string> names{"Bald", "Big_Nose", "Black_Hair", "Blond_Hair", "Brown_Hair",
                                         "Chubby", "Eyeglasses", "Gray_Hair", "Male", "Mouth_Slightly_Open",
                                         "No_Beard", "Pale_Skin", "Smiling", "Wearing_Hat"};
    QVERIFY(attrs.names == names);
    QCOMPARE(attrs.files.size(), size_t{400});
    const json faces = json::parse(read_file(dump.toStdString(), 1 << 28))["faces"];
    QCOMPARE(faces.size(), size_t{400});
    std::vector<int> positives(names.size());
    for (size_t i = 0; i < faces.size(); ++i) {
      const auto expected = documented_labels(faces[i]["face"]);
      QCOMPARE(QString::fromStdString(faces[i]["file"]), QString::fromStdString(attrs.files[i]));
      for (size_t k = 0; k < names.size(); ++k) {
        const bool got = attrs.values[i][k] == 1;
        QVERIFY2(got == expected.at(names[k]),
                 qPrintable(QString("%1 %2: label %3, documented rule says %4")
                                .arg(QString::fromStdString(attrs.files[i]), QString::fromStdString(names[k]))
                                .arg(got).arg(expected.at(names[k]))));
        positives[k] += got;
      }
    }
    for (size_t k = 0; k < names.size(); ++k) {
      const double rate = positives[k] / 400.0;
      QVERIFY2(rate >= 0.15 && rate <= 0.85, qPrintable(QString("%1: %2").arg(QString::fromStdString(names[k])).arg(rate)));
    }
  }
};

QTEST_GUILESS_MAIN(TestFaces)
#include "test_faces.moc"
