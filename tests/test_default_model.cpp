// The bundled default model: it loads, its config and 14 attributes are as documented
// (docs/models/faces64.md), and faces generated with an unseen seed round-trip exactly.
#include <QtTest/QtTest>

#include <thread>

#include "glowlab.h"

using namespace glowlab;

namespace {
// The first default model (round 1), kept for this test and as v2's starting point.
constexpr const char* kV1 = "/docs/models/faces64-v1.glow";
constexpr const char* kV1SampleHash = "f375047f92360b68";
constexpr double kV1SampleBitsPerDim = 1.429696083;
}  // namespace

class TestDefaultModel : public QObject {
  Q_OBJECT

 private Q_SLOTS:
  void loadsWithTheDocumentedConfigAndAttributes() {
    init_runtime();
    const auto m = Model::load(std::string(GLOWLAB_SOURCE_DIR) + "/resources/models/faces64.glow");
    const auto& c = m.config();
    QCOMPARE(c.image_size, 64);
    QCOMPARE(c.channels, 3);
    QCOMPARE(c.levels, 3);
    QCOMPARE(c.steps, 8);
    QCOMPARE(c.width, 128);
    QCOMPARE(c.n_bits, 5);
    QVERIFY(c.coupling == CouplingType::Affine && c.permutation == Permutation::LU && c.learn_top);
    QCOMPARE(c.scale_min, 0.5);  // v2: the bounded coupling
    QVERIFY(m.checksummed());
    const std::vector<std::string> names{"Bald", "Big_Nose", "Black_Hair", "Blond_Hair", "Brown_Hair",
                                         "Chubby", "Eyeglasses", "Gray_Hair", "Male", "Mouth_Slightly_Open",
                                         "No_Beard", "Pale_Skin", "Smiling", "Wearing_Hat"};
    QCOMPARE(m.attributes().size(), names.size());
    for (size_t i = 0; i < names.size(); ++i) {
      QCOMPARE(QString::fromStdString(m.attributes()[i].name), QString::fromStdString(names[i]));
      QVERIFY(m.attributes()[i].range_min < 0 && m.attributes()[i].range_max > 0);
    }
    QVERIFY(QString::fromStdString(m.provenance_json()).contains("test_bits_per_dim"));
  }

  // faces64 v1 was trained with the paper's coupling, sigmoid(h + 2): it has no scale_min and must
  // decode and score as before the bounded coupling existed. tests/data/faces64-v1-sample-2026.png
  // is what round 1's glowlab-cli drew for this sample (its pixels' FNV-1a hash is the recorded
  // one); the same decode through another BLAS (Debian's OpenBLAS instead of the reference BLAS)
  // rounds a handful of values across a 5-bit level boundary, so the check allows at most 0.1% of
  // the values one level (255/31) apart, and nothing more: a changed formula moves thousands.
  void v1DecodesWithThePapersFormulaUnchanged() {
    init_runtime(2);
    auto m = Model::load(std::string(GLOWLAB_SOURCE_DIR) + kV1);
    QCOMPARE(m.config().scale_min, 0.0);
    const auto ref = read_image(std::string(GLOWLAB_SOURCE_DIR) + "/tests/data/faces64-v1-sample-2026.png", 3);
    std::uint64_t h = 1469598103934665603ULL;  // FNV-1a of the reference pixels
    for (auto b : ref.bytes) h = (h ^ b) * 1099511628211ULL;
    QCOMPARE(QString::number(h, 16), QString(kV1SampleHash));
    const auto im = m.sample(1, 0.7, 2026).front();
    QCOMPARE(im.bytes.size(), ref.bytes.size());
    std::size_t differ = 0;
    int worst = 0;
    for (std::size_t i = 0; i < im.bytes.size(); ++i) {
      const int d = std::abs(static_cast<int>(im.bytes[i]) - static_cast<int>(ref.bytes[i]));
      differ += d > 0;
      worst = std::max(worst, d);
    }
    QVERIFY2(worst <= 9 && differ * 1000 <= im.bytes.size(),
             qPrintable(QString("%1 of %2 values differ from round 1's sample, by up to %3").arg(differ).arg(im.bytes.size()).arg(worst)));
    const double bpd = m.bits_per_dim({ref}, 0);
    QVERIFY2(std::abs(bpd - kV1SampleBitsPerDim) < 1e-4, qPrintable(QString::number(bpd, 'f', 9)));
  }

  void generatedFacesRoundTripExactly() {
    QTemporaryDir dir;
    QProcess p;
    p.start("node", {QString(GLOWLAB_SOURCE_DIR) + "/tools/faces/generate.mjs", "--out", dir.path(), "--count", "4",
                     "--seed", "777001"});
    QVERIFY2(p.waitForFinished(120000) && p.exitCode() == 0, "the face generator failed (node, npm ci in tools/faces?)");
    auto m = Model::load(std::string(GLOWLAB_SOURCE_DIR) + "/resources/models/faces64.glow");
    for (int i = 1; i <= 4; ++i) {
      const auto face = read_image(QString("%1/img_align_celeba/%2.png").arg(dir.path()).arg(i, 6, 10, QChar('0')).toStdString(), 3);
      const auto r = m.reconstruct(face);
      // Exact in the model's 5-bit space: no pixel moves by a quantisation level (255/31).
      QVERIFY2(r.max_abs_error == 0, qPrintable(QString("face %1: max error %2").arg(i).arg(r.max_abs_error)));
    }
  }

  // The window's draft frames (bf16 while a slider moves): a thread's own precision changes only
  // that thread's decodes, and a celeba64 draft stays close to the exact frame it stands in for.
  void aDraftFrameIsCloseAndOtherThreadsStayExact() {
    init_runtime(1);
    auto m = Model::load(std::string(GLOWLAB_SOURCE_DIR) + "/resources/models/celeba64.glow");
    const auto base = m.encode(m.sample(1, 0.7, 31).front());
    const auto target = m.edit(base, {{"Smiling", 1.5}});
    const Image exact = m.decode(target);  // also makes the cached folded weights, on this thread
    Image draft, besideDraft;
    std::thread drafting([&] {
      init_runtime(1);
      ThreadPrecision bf16(Precision::BF16);
      draft = m.decode(target);
    });
    besideDraft = m.decode(target);
    drafting.join();
    QVERIFY(besideDraft.bytes == exact.bytes);
    QVERIFY(m.decode(target).bytes == exact.bytes);
    QCOMPARE(draft.bytes.size(), exact.bytes.size());
    double sum = 0;
    int largest = 0;
    std::size_t moved = 0;
    for (std::size_t i = 0; i < exact.bytes.size(); ++i) {
      const int d = std::abs(int(draft.bytes[i]) - int(exact.bytes[i]));
      sum += d;
      largest = std::max(largest, d);
      moved += d > 0;
    }
    const double mean = sum / static_cast<double>(exact.bytes.size());
    qInfo("bf16 draft against the exact frame: mean |difference| %.3f of 255, largest %d, %.1f%% of values moved", mean,
          largest, 100.0 * static_cast<double>(moved) / static_cast<double>(exact.bytes.size()));
    QVERIFY2(moved > 0, "the draft decoded in float32");
    QVERIFY2(mean < 1.5 && largest <= 25, qPrintable(QString("mean %1, largest %2").arg(mean).arg(largest)));
  }
};

QTEST_GUILESS_MAIN(TestDefaultModel)
#include "test_default_model.moc"
