// Issue 28's identity check: the face chips (dlib's alignment for face recognition) that come
// with a photo's framing, and the chips judge-edits --identity-chips writes for bench/identity.
#include <QtTest/QtTest>

#include <algorithm>
#include <cmath>

#include <nlohmann/json.hpp>

#include "core/atomic_file.h"
#include "data/celeba.h"
#include "judge/judge_net.h"
#include "vision/face_align.h"
#include "vision/image_io.h"
#include "face_generator.h"
#include "testutil.h"

using namespace glowlab;

class TestIdentity : public QObject {
  Q_OBJECT

  QTemporaryDir dir_;

 private Q_SLOTS:
  // Issue 28's identity check: dlib's face chip (its alignment for face recognition) follows the
  // face wherever the photo has it. The same generated face placed at two angles, sizes and places
  // (the face 1.44 times larger and 70 px away in one): its eyes land on nearly the same chip
  // pixels (dlib's landmarks on these drawn faces move a few pixels with the pose), and the two
  // chips look alike far more than a chip of another face does. A photo without a face has none.
  void identityChipFollowsTheFace() {
    const QString out = dir_.path() + "/chips";
    QCOMPARE(test::generate_faces(out, 6, 17, 256), QString());
    const auto marks = parse_celeba_landmarks((out + "/list_landmarks_align_celeba.txt").toStdString());
    auto placed = [](double degrees, double scale, double cx, double cy) {
      const double a = degrees * M_PI / 180;
      std::array<double, 6> t{scale * std::cos(a), -scale * std::sin(a), 0, scale * std::sin(a), scale * std::cos(a), 0};
      t[2] = cx - (t[0] * 127.5 + t[1] * 127.5);
      t[5] = cy - (t[3] * 127.5 + t[4] * 127.5);
      return t;
    };
    const std::array<std::array<double, 6>, 2> where{placed(12, 1.3, 330, 290), placed(-8, 0.9, 260, 360)};
    auto apply = [](const std::array<double, 6>& t, double x, double y) {
      return std::make_pair(t[0] * x + t[1] * y + t[2], t[3] * x + t[4] * y + t[5]);
    };
    auto mean_abs = [](const Image& a, const Image& b) {
      double d = 0;
      for (size_t k = 0; k < a.bytes.size(); ++k) d += std::abs(int(a.bytes[k]) - int(b.bytes[k]));
      return d / static_cast<double>(a.bytes.size());
    };
    Image plain{320, 320, 3, std::vector<std::uint8_t>(320 * 320 * 3, 128)};
    QVERIFY(!align_face(plain, 64, true, "plain", head_framing()).landmarks_used);  // no face, no chip
    if (!have_landmark_support()) QSKIP("built with GLOWLAB_DLIB=OFF: no landmark detector to test");
    std::vector<std::array<Image, 2>> chips;
    std::vector<double> shifts;
    for (size_t i = 0; i < marks.files.size(); ++i) {
      const auto face = read_image((out + "/img_align_celeba/").toStdString() + marks.files[i], 3);
      std::array<Image, 2> pair;
      std::array<std::pair<double, double>, 2> left_eye;
      bool found = true;
      for (size_t w = 0; w < 2 && found; ++w) {
        const Image canvas = crop_with_transform(face, 640, where[w]).crop;
        const auto framed = align_face(canvas, 64, true, "canvas", head_framing());
        found = framed.landmarks_used;  // dlib misses some drawn faces at some sizes
        if (!found) break;
        const auto& m = framed.identity_chip;
        pair[w] = identity_chip(canvas, m);
        QCOMPARE(pair[w].width, kIdentityChipSize);
        QCOMPARE(pair[w].height, kIdentityChipSize);
        QCOMPARE(pair[w].channels, 3);
        const auto [x, y] = apply(where[w], marks.points[i][0] - 0.5, marks.points[i][1] - 0.5);
        left_eye[w] = apply(m, x, y);
      }
      if (!found) continue;
      const double moved = std::hypot(left_eye[0].first - left_eye[1].first, left_eye[0].second - left_eye[1].second);
      shifts.push_back(moved);
      chips.push_back(pair);
    }
    QVERIFY2(chips.size() >= 3, qPrintable(QString("dlib found only %1 of 6 faces in both places").arg(chips.size())));
    // A mapping that missed the placement would put the eyes tens of pixels apart (the placements
    // differ by 70 px and a factor 1.44); dlib's landmarks on drawn faces move them a few.
    std::sort(shifts.begin(), shifts.end());
    const double median_shift = shifts[shifts.size() / 2];
    QVERIFY2(median_shift < 8.0, qPrintable(QString("the eyes moved %1 chip px (median) between placements").arg(median_shift)));
    double same = 0, other = 0;
    for (size_t i = 0; i < chips.size(); ++i) {
      same += mean_abs(chips[i][0], chips[i][1]);
      other += mean_abs(chips[i][0], chips[(i + 1) % chips.size()][1]);
    }
    QVERIFY2(same < 0.65 * other, qPrintable(QString("the same face's chips differ by %1 on average, different faces' by %2")
                                                 .arg(same / chips.size()).arg(other / chips.size())));
  }

  // The chips judge-edits --identity-chips writes: each photo's chip once, each export's linked to
  // it (found again, or cut where the photo's face was when the edit lost it), photos without a
  // face counted; both files written whole.
  void identityChipsAreWrittenWithWhatEachIs() {
    if (!have_landmark_support()) QSKIP("built with GLOWLAB_DLIB=OFF: no landmark detector to test");
    const QString out = dir_.path() + "/chip-index";
    QCOMPARE(test::generate_faces(out, 1, 19, 256), QString());
    const auto face = read_image((out + "/img_align_celeba/000001.png").toStdString(), 3);
    const Image photo = crop_with_transform(face, 480, {1, 0, 110, 0, 1, 90}).crop;
    Image brighter = photo;
    for (auto& b : brighter.bytes) b = static_cast<std::uint8_t>(std::min(255, b + 20));
    Image plain{480, 480, 3, std::vector<std::uint8_t>(480 * 480 * 3, 90)};
    const QString folder = dir_.path() + "/chip-index/out";
    IdentityChips chips(folder.toStdString());
    const auto framed = align_face(photo, 64, false, "a.png", head_framing());
    QVERIFY(framed.landmarks_used);
    const int k = chips.add_photo("a.png", photo, framed);
    QCOMPARE(k, 0);
    QCOMPARE(chips.add_photo("plain.png", plain, align_face(plain, 64, true, "plain.png", head_framing())), -1);
    ExportPath::Exported found;  // an export whose face the aligner found again
    found.photo = brighter;
    found.refound = true;
    found.identity_chip = align_face(brighter, 64, false, "a.png", head_framing()).identity_chip;
    chips.add_edit(k, "Smiling", 2.5, found);
    ExportPath::Exported lost;  // the edit lost the face: cut where the photo's was
    lost.photo = plain;
    chips.add_edit(k, "Bald", -1.0, lost);
    chips.add_edit(-1, "Bald", 1.0, found);  // a photo without a chip: nothing
    chips.write();
    const auto index = nlohmann::json::parse(read_file((folder + "/chips.json").toStdString(), 1 << 20));
    QCOMPARE(index["format"].get<std::string>(), std::string("glowlab.identity-chips/1"));
    QCOMPARE(index["photos_without_face"].get<int>(), 1);
    QCOMPARE(index["chips"].size(), size_t{3});
    QVERIFY(index["chips"][0]["of"].is_null());
    QCOMPARE(index["chips"][1]["of"].get<int>(), 0);
    QCOMPARE(index["chips"][1]["attribute"].get<std::string>(), std::string("Smiling"));
    QCOMPARE(index["chips"][1]["photo"].get<std::string>(), std::string("a.png"));
    QVERIFY(index["chips"][1]["refound"].get<bool>());
    QVERIFY(!index["chips"][2]["refound"].get<bool>());
    QCOMPARE(index["chips"][2]["value"].get<double>(), -1.0);
    const std::string bytes = read_file((folder + "/chips.u8").toStdString(), 1 << 24);
    const size_t one = size_t{kIdentityChipSize} * kIdentityChipSize * 3;
    QCOMPARE(bytes.size(), 3 * one);
    const auto first = identity_chip(photo, framed.identity_chip);
    QVERIFY(std::equal(first.bytes.begin(), first.bytes.end(), reinterpret_cast<const std::uint8_t*>(bytes.data())));
    const std::string cut = bytes.substr(2 * one);
    QVERIFY(std::all_of(cut.begin() + one / 3, cut.begin() + 2 * one / 3, [](char c) { return static_cast<std::uint8_t>(c) == 90; }));
  }
};

QTEST_GUILESS_MAIN(TestIdentity)
#include "test_identity.moc"
