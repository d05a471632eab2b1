// The synthetic face generator (tools/faces, Node): deterministic bytes, labels that follow the
// documented rules (docs/faces-generator.md, re-implemented here independently), balanced rates.
#include <QtTest/QtTest>

#include <cmath>
#include <set>
#include <tuple>

#include <nlohmann/json.hpp>

#include "core/atomic_file.h"
#include "core/error.h"
#include "data/celeba.h"
#include "data/dataset.h"
#include "vision/face_align.h"
#include "vision/image_io.h"
#include "face_generator.h"
#include "testutil.h"

using namespace glowlab;
using json = nlohmann::json;

namespace {

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

// The least and greatest paste-mask weight (a 64-px crop's) in the 4x4 pixels that bicubic
// sampling at crop position (u, v) reads: 0 and 0 mean the photo pixel is untouched, 1 and 1 that
// it is the edit's alone.
std::pair<double, double> mask_around(const std::vector<float>& mask, double u, double v) {
  double lo = 1, hi = 0;
  for (int dy = -1; dy <= 2; ++dy) {
    for (int dx = -1; dx <= 2; ++dx) {
      const int mx = static_cast<int>(std::floor(u)) + dx, my = static_cast<int>(std::floor(v)) + dy;
      const double m = mx < 0 || my < 0 || mx >= 64 || my >= 64 ? 0.0 : mask[static_cast<size_t>(my) * 64 + mx];
      lo = std::min(lo, m);
      hi = std::max(hi, m);
    }
  }
  return {lo, hi};
}

}  // namespace

class TestFaces : public QObject {
  Q_OBJECT
  QTemporaryDir dir_;

 private Q_SLOTS:
  void sameSeedGivesIdenticalBytes() {
    const QString a = dir_.path() + "/a", b = dir_.path() + "/b", c = dir_.path() + "/c";
    QCOMPARE(test::generate_faces(a, 24, 7), QString());
    QCOMPARE(test::generate_faces(b, 24, 7, 64, {"--workers", "2"}), QString());
    QCOMPARE(test::generate_faces(c, 24, 8), QString());
    const QStringList files = QDir(a + "/img_align_celeba").entryList(QDir::Files);
    QCOMPARE(files.size(), 24);
    int differing = 0;
    for (const QString& f : files) {
      const auto fa = read_file((a + "/img_align_celeba/" + f).toStdString(), 1 << 20);
      QVERIFY2(fa == read_file((b + "/img_align_celeba/" + f).toStdString(), 1 << 20), qPrintable(f));
      differing += fa != read_file((c + "/img_align_celeba/" + f).toStdString(), 1 << 20);
    }
    QVERIFY(differing > 20);  // another seed, other faces
    for (const char* f : {"/list_attr_celeba.txt", "/list_eval_partition.txt", "/list_landmarks_align_celeba.txt"}) {
      QVERIFY(read_file((a + f).toStdString(), 1 << 20) == read_file((b + f).toStdString(), 1 << 20));
    }
    const auto im = read_image((a + "/img_align_celeba/000001.png").toStdString(), 3);
    QCOMPARE(im.width, 64);
    QCOMPARE(im.height, 64);
  }

  // The generator writes CelebA's five landmarks from the geometry it draws, and the framing (their
  // mean) puts a face placed rotated, scaled and shifted on a larger canvas back where the model's
  // training faces have it: within 1.5 px at the eyes of a 64-px crop, measured with the landmark
  // file, not by eye.
  // The generator writes CelebA's five landmarks from the geometry it draws; their mean is the
  // framing; a face placed rotated, scaled and shifted on a larger canvas is aligned back onto it
  // (its eyes within 1.5 px of the framing's in a 64-px crop, measured with the landmark file). With
  // the file's own points the geometry is exact; with dlib's detector and predictor (trained on
  // photos, not cartoons) the face must be found and framed, less precisely (see the issue note).
  void landmarksAlignAFaceOntoTheFraming() {
    const QString out = dir_.path() + "/marks";
    QCOMPARE(test::generate_faces(out, 9, 11, 256), QString());
    const auto marks = parse_celeba_landmarks((out + "/list_landmarks_align_celeba.txt").toStdString());
    QCOMPARE(marks.files.size(), size_t{9});
    // facesjs centres the eyes on (140, 310) and (260, 310) of its canvas; the view box starts at (10, 130), 380 wide.
    const double k = 256.0 / 380.0;
    QVERIFY(std::abs(marks.points[0][0] - 130 * k) < 0.01 && std::abs(marks.points[0][1] - 180 * k) < 0.01);
    QVERIFY(std::abs(marks.points[0][2] - 250 * k) < 0.01 && std::abs(marks.points[0][3] - 180 * k) < 0.01);
    for (const auto& p : marks.points) QVERIFY(p[6] < p[4] && p[4] < p[8]);  // mouth corners either side of the nose
    const auto framing = celeba_framing(out.toStdString());
    QCOMPARE(framing.size(), size_t{10});
    QVERIFY(std::abs(framing[0] - 130.0 / 380) < 1e-3 && std::abs(framing[3] - 180.0 / 380) < 1e-3);

    const double angle = 12 * M_PI / 180, scale = 1.3, cx = 330, cy = 290;
    std::array<double, 6> a{scale * std::cos(angle), -scale * std::sin(angle), 0, scale * std::sin(angle), scale * std::cos(angle), 0};
    a[2] = cx - (a[0] * 127.5 + a[1] * 127.5);
    a[5] = cy - (a[3] * 127.5 + a[4] * 127.5);
    auto on_canvas = [&](double x, double y) {  // file coordinates (pixel centres at +0.5) -> canvas pixels
      x -= 0.5;
      y -= 0.5;
      return std::make_pair(a[0] * x + a[1] * y + a[2], a[3] * x + a[4] * y + a[5]);
    };
    // The worst eye error, in crop pixels, of a crop of face i.
    auto eye_error = [&](const FaceCrop& fc, size_t i) {
      double worst = 0;
      for (size_t eye = 0; eye < 2; ++eye) {
        const auto [px, py] = on_canvas(marks.points[i][2 * eye], marks.points[i][2 * eye + 1]);
        const auto& t = fc.transform;
        const double qx = t[0] * px + t[1] * py + t[2], qy = t[3] * px + t[4] * py + t[5];
        worst = std::max(worst, std::hypot(qx - (framing[2 * eye] * 64 - 0.5), qy - (framing[2 * eye + 1] * 64 - 0.5)));
      }
      return worst;
    };
    QStringList found;
    int aligned = 0;
    for (size_t i = 0; i < marks.files.size(); ++i) {
      const auto face = read_image((out + "/img_align_celeba/").toStdString() + marks.files[i], 3);
      const Image canvas = crop_with_transform(face, 640, a).crop;  // the face on a 640 x 640 canvas
      std::array<double, 10> points{};
      for (size_t p = 0; p < 5; ++p) std::tie(points[2 * p], points[2 * p + 1]) = on_canvas(marks.points[i][2 * p], marks.points[i][2 * p + 1]);
      const double exact = eye_error(align_to_landmarks(canvas, 64, points, framing), i);
      QVERIFY2(exact < 1.5, qPrintable(QString("face %1: eyes %2 px from the framing").arg(i + 1).arg(exact)));
      if (!have_landmark_support()) continue;
      const auto fc = align_face(canvas, 64, true, "canvas", framing);
      if (!fc.landmarks_used) {
        found << "-";
        continue;
      }
      ++aligned;
      const double e = eye_error(fc, i);
      found << QString::number(e, 'f', 1);
      QVERIFY2(e < 12.0, qPrintable(QString("face %1: dlib's eyes put the crop %2 px off").arg(i + 1).arg(e)));
    }
    if (!have_landmark_support()) QSKIP("built with GLOWLAB_DLIB=OFF: no landmark detector to test");
    qInfo() << "eye error with dlib's landmarks, px of a 64-px crop, per face:" << found.join(" ");
    QVERIFY2(aligned >= 6, qPrintable(found.join(" ")));
    // A face-free image falls back and says why.
    Image plain;
    plain.width = plain.height = 320;
    plain.channels = 3;
    plain.bytes.assign(320 * 320 * 3, 128);
    const auto none = align_face(plain, 64, true, "plain", framing);
    QVERIFY(!none.face_found && !none.landmarks_used);
    QVERIFY2(QString::fromStdString(none.note).contains("found no face"), none.note.c_str());
    QVERIFY2(!QString::fromStdString(none.note).contains("invented"), none.note.c_str());  // 320 px: shrunk, not enlarged
  }

  // Issue 29 (13): a face smaller than the model's resolution (a thumbnail, a distant face) is
  // enlarged to it, and the crop's note says that its detail is the model's invention.
  void anEnlargedFaceIsSaid() {
    Image tiny;
    tiny.width = tiny.height = 10;
    tiny.channels = 3;
    tiny.bytes.assign(10 * 10 * 3, 90);
    const auto fc = align_face(tiny, 64, true, "tiny");
    QVERIFY(std::abs(fc.enlargement - 6.4) < 1e-6);
    QVERIFY2(QString::fromStdString(fc.note).contains("the square used is only about 10 px across in the photo, smaller than the model's 64: "
                                                      "enlarged 6.4x, its detail is the model's invention"),
             fc.note.c_str());
    QVERIFY2(QString::fromStdString(fc.note).startsWith("no face found"), fc.note.c_str());  // the other note stays first
    Image fair = tiny;
    fair.width = fair.height = 56;  // 64 / 56 = 1.14: soft, not invented
    fair.bytes.assign(56 * 56 * 3, 90);
    const auto ok = align_face(fair, 64, true, "fair");
    QVERIFY2(!QString::fromStdString(ok.note).contains("invented"), ok.note.c_str());
  }

  // Training photos framed as the window frames them: every face's landmarks found by dlib, their
  // mean (in each photo's plain crop) becomes the framing, and each photo is mapped onto it. The
  // generator's own landmark file says where the features are: the mean dlib finds must agree.
  void alignedDatasetTakesItsFramingFromThePhotos() {
    if (!have_landmark_support()) QSKIP("built with GLOWLAB_DLIB=OFF: no landmark detector to test");
    const QString out = dir_.path() + "/aligned-set";
    QCOMPARE(test::generate_faces(out, 10, 13, 256), QString());
    DatasetOptions o;
    o.image_size = 32;
    o.align = true;
    const auto d = load_datasets({out.toStdString()}, o);
    QCOMPARE(d.size() + d.skipped_no_face, int64_t{10});
    QVERIFY2(d.size() >= 7, qPrintable(QString("only %1 of 10 generated faces were found").arg(d.size())));
    QCOMPARE(d.framing.size(), size_t{10});
    const auto truth = celeba_framing(out.toStdString());
    QCOMPARE(truth.size(), size_t{10});
    for (size_t k = 0; k < 10; ++k) {
      QVERIFY2(std::abs(d.framing[k] - truth[k]) < 0.05,
               qPrintable(QString("landmark coordinate %1: %2 from dlib, %3 from the generator").arg(k).arg(d.framing[k]).arg(truth[k])));
    }
    QCOMPARE(d.images.size(0), d.labels.size(0));
    QCOMPARE(d.images.size(2), int64_t{32});
    // A given framing is used as it is (the model's, when training goes on from one).
    DatasetOptions given = o;
    given.framing = truth;
    QCOMPARE(load_datasets({out.toStdString()}, given).framing, truth);
    // Without a face a photo is skipped and counted, never trained on as a centre crop.
    const QString blank = dir_.path() + "/blank-set";
    QDir().mkpath(blank);
    Image plain;
    plain.width = plain.height = 96;
    plain.channels = 3;
    plain.bytes.assign(96 * 96 * 3, 128);
    write_image((blank + "/grey.png").toStdString(), plain);
    given.framing = {};
    const auto mixed = load_datasets({out.toStdString(), blank.toStdString()}, o);
    QCOMPARE(mixed.size(), d.size());
    QCOMPARE(mixed.skipped_no_face, d.skipped_no_face + 1);
  }

  // Two faces on one canvas: both are offered (by size), the larger first; a third is refused
  // with how many there are.
  void twoFacesAreBothOffered() {
    const QString out = dir_.path() + "/two";
    QCOMPARE(test::generate_faces(out, 3, 11, 256), QString());
    const auto framing = celeba_framing(out.toStdString());
    Image canvas{640, 360, 3, std::vector<std::uint8_t>(640 * 360 * 3, 200)};
    auto paste = [&](const Image& im, int x0, int y0) {
      for (int y = 0; y < im.height; ++y) {
        std::copy_n(im.bytes.data() + static_cast<size_t>(y) * im.width * 3, im.width * 3,
                    canvas.bytes.data() + (static_cast<size_t>(y0 + y) * canvas.width + x0) * 3);
      }
    };
    const auto big = read_image((out + "/img_align_celeba/000002.png").toStdString(), 3);
    const auto small = crop_with_transform(read_image((out + "/img_align_celeba/000003.png").toStdString(), 3), 192,
                                           {0.75, 0, 0, 0, 0.75, 0}).crop;
    paste(big, 30, 50);
    paste(small, 400, 90);
    if (!have_landmark_support()) QSKIP("built with GLOWLAB_DLIB=OFF: no landmark detector to test");
    const auto first = align_face(canvas, 64, false, "two", framing, 0);
    const auto second = align_face(canvas, 64, false, "two", framing, 1);
    QVERIFY2(first.landmarks_used && second.landmarks_used, (first.note + " / " + second.note).c_str());
    QCOMPARE(first.faces, 2);
    QCOMPARE(first.boxes.size(), size_t{2});  // both boxes, largest first, each on its face
    QCOMPARE(second.face_index, 1);
    QVERIFY(first.boxes[0][0] < 286 && first.boxes[0][0] + first.boxes[0][2] > 30);
    QVERIFY(first.boxes[1][0] < 592 && first.boxes[1][0] + first.boxes[1][2] > 400);
    QVERIFY(first.boxes[0][2] > first.boxes[1][2]);
    // The crop's centre, mapped back into the canvas, lies on the face it is of.
    auto centre_x = [](const FaceCrop& fc) {
      const auto& t = fc.transform;  // canvas -> crop; solve t * (x, y) = (31.5, 31.5) for x
      const double det = t[0] * t[4] - t[1] * t[3], u = 31.5 - t[2], v = 31.5 - t[5];
      return (t[4] * u - t[1] * v) / det;
    };
    QVERIFY2(centre_x(first) > 30 && centre_x(first) < 286, qPrintable(QString::number(centre_x(first))));
    QVERIFY2(centre_x(second) > 400 && centre_x(second) < 592, qPrintable(QString::number(centre_x(second))));
    try {
      align_face(canvas, 64, true, "two", framing, 2);
      QFAIL("a third face was offered");
    } catch (const Error& e) {
      QVERIFY2(QString(e.what()).contains("no face 3"), e.what());
    }
  }

  // Paste-back: photo pixels outside the face's mask are the photo's own bytes; where the mask is
  // 1 they are the edited crop warped back (bicubic: within a level or two of the exact bilinear
  // value on a smooth edit); the mask follows the face (rotated with it).
  void pasteBackTouchesOnlyTheFace() {
    Image photo = glowlab::test::random_image(300, 3, 5);
    const double angle = 0.3, scale = 64.0 / 150.0;  // a 150-px face, tilted, at (80, 60)
    const std::array<double, 6> t{scale * std::cos(angle), scale * std::sin(angle), 0, -scale * std::sin(angle), scale * std::cos(angle), 0};
    std::array<double, 6> transform = t;
    transform[2] = -(t[0] * 155 + t[1] * 135) + 32;  // the photo point (155, 135) -> the crop's centre
    transform[5] = -(t[3] * 155 + t[4] * 135) + 32;
    const FaceCrop crop = crop_with_transform(photo, 64, transform);
    Image edited{64, 64, 3, std::vector<std::uint8_t>(64 * 64 * 3)};
    auto edit_value = [](double x, double y, int c) { return 40.0 + 2.0 * x + 1.0 * y + 10.0 * c; };  // smooth, in 0..255
    for (int y = 0; y < 64; ++y) {
      for (int x = 0; x < 64; ++x) {
        for (int c = 0; c < 3; ++c) edited.bytes[(static_cast<size_t>(y) * 64 + x) * 3 + c] = static_cast<std::uint8_t>(std::lround(edit_value(x, y, c)));
      }
    }
    const std::vector<double> framing{0.35, 0.42, 0.65, 0.42, 0.5, 0.58, 0.38, 0.72, 0.62, 0.72};
    const auto mask = paste_mask(64, framing);
    const Image out = paste_back(photo, edited, crop, framing);
    QCOMPARE(out.width, photo.width);
    int outside = 0, inside = 0, worst = 0;
    for (int y = 0; y < photo.height; ++y) {
      for (int x = 0; x < photo.width; ++x) {
        const double u = transform[0] * x + transform[1] * y + transform[2], v = transform[3] * x + transform[4] * y + transform[5];
        // The mask around (u, v): all 0 -> untouched; all 1 -> the edit itself.
        const auto [lo, hi] = mask_around(mask, u, v);
        for (int c = 0; c < 3; ++c) {
          if (hi == 0.0) {
            QCOMPARE(out.at(x, y, c), photo.at(x, y, c));
            outside += c == 0;
          } else if (lo == 1.0) {
            worst = std::max(worst, std::abs(out.at(x, y, c) - static_cast<int>(std::lround(edit_value(u, v, c)))));
            inside += c == 0;
          }
        }
      }
    }
    QVERIFY2(worst <= 2, qPrintable(QString("inside the mask the paste is %1 levels off the edit").arg(worst)));
    QVERIFY2(outside > 300 * 300 / 2 && inside > 1000, qPrintable(QString("%1 outside, %2 inside").arg(outside).arg(inside)));
    // The mask is a face-shaped ellipse: 1 between the eyes and mouth, 0 in the crop's corners.
    QCOMPARE(mask[static_cast<size_t>(0.55 * 64) * 64 + 32], 1.0f);
    QCOMPARE(mask[0], 0.0f);
    QCOMPARE(mask[63 * 64 + 63], 0.0f);
  }

  // Pasting the change: a zero change is the photo byte for byte; a change adds itself (warped
  // back) to the photo's own pixels over the whole crop square (feathered at its border) and leaves
  // every pixel outside the crop alone, so the photo's fine detail survives under the edit
  // (paste_back would replace it by the 64-px face), and an edit of the hair or the crop's corners
  // reaches the photo too.
  void pasteChangeKeepsThePhotosDetail() {
    const Image photo = glowlab::test::random_image(300, 3, 9);  // noise: full-resolution detail
    const double scale = 64.0 / 150.0;
    const std::array<double, 6> transform{scale, 0, -scale * 80, 0, scale, -scale * 60};  // (80, 60) + 150 px -> 64 px
    const FaceCrop crop = crop_with_transform(photo, 64, transform);
    const Image recon = crop.crop;
    const Image same = paste_change(photo, recon, recon, crop);
    QVERIFY(same.bytes == photo.bytes);
    Image brighter = recon;
    for (auto& b : brighter.bytes) b = static_cast<std::uint8_t>(std::min(255, b + 20));
    const Image out = paste_change(photo, brighter, recon, crop);
    const auto mask = change_mask(64);
    int outside = 0, inside = 0, kept_detail = 0, top_changed = 0, top = 0;
    for (int y = 0; y < photo.height; ++y) {
      for (int x = 0; x < photo.width; ++x) {
        const double u = transform[0] * x + transform[2], v = transform[4] * y + transform[5];
        const auto [lo, hi] = mask_around(mask, u, v);
        const int p = photo.at(x, y, 0), o = out.at(x, y, 0);
        if (hi == 0.0) {
          QCOMPARE(o, p);
          ++outside;
        } else if (lo == 1.0 && p < 200) {
          // The photo's own pixel plus the change (+20 where the crop was not clipped at 255).
          if (std::abs(o - (p + 20)) <= 3) ++kept_detail;
          ++inside;
          // The crop's top fifth (the hair, in a framing that holds it) gets the change as well.
          if (v < 0.2 * 64) {
            ++top;
            top_changed += o > p;
          }
        }
      }
    }
    QVERIFY2(outside > 300 * 300 / 2 && inside > 4000, qPrintable(QString("%1 outside, %2 inside").arg(outside).arg(inside)));
    QVERIFY2(kept_detail > inside * 9 / 10, qPrintable(QString("%1 of %2 crop pixels kept the photo's detail").arg(kept_detail).arg(inside)));
    QVERIFY2(top > 300 && top_changed == top, qPrintable(QString("%1 of %2 pixels at the crop's top changed").arg(top_changed).arg(top)));
    // The export framed again is the edited crop: the photo's own crop plus the change, wherever the
    // mask is 1 (the crop's values clipped at 255 aside).
    const Image again = crop_with_transform(out, 64, transform).crop;
    double diff = 0;
    int n = 0;
    for (int y = 9; y < 55; ++y) {
      for (int x = 9; x < 55; ++x) {
        for (int c = 0; c < 3; ++c) {
          if (recon.at(x, y, c) > 235) continue;
          diff += std::abs(again.at(x, y, c) - brighter.at(x, y, c));
          ++n;
        }
      }
    }
    QVERIFY2(n > 4000 && diff / n < 2.0, qPrintable(QString("framed again, the export is %1 levels off the edit").arg(diff / n)));
    // The mask: 1 in the middle and a little in from every edge, 0 at the corners' very edge.
    QCOMPARE(mask[32 * 64 + 32], 1.0f);
    QCOMPARE(mask[9 * 64 + 9], 1.0f);
    QVERIFY(mask[0] < 0.02f);
  }

  // What a paste leaves out is measured: a change in the middle of the crop reaches the photo
  // whole; one on the crop's outer rows is mostly faded, and strongest there; one over the whole
  // crop alike (a direction's drift) is partly faded but no stronger at the border; one where the
  // crop reaches beyond the photo has nowhere to go.
  void pasteCoverageIsMeasured() {
    const Image photo = glowlab::test::random_image(300, 3, 9);
    const double scale = 64.0 / 150.0;
    const std::array<double, 6> inside{scale, 0, -scale * 80, 0, scale, -scale * 60};
    const FaceCrop crop = crop_with_transform(photo, 64, inside);
    const Image recon = crop.crop;
    auto changed = [&](int y0, int y1, int x0 = 0, int x1 = 64, const Image& from = Image{}) {
      Image e = from.empty() ? recon : from;
      for (int y = y0; y < y1; ++y) {
        for (int i = x0 * 3; i < x1 * 3; ++i) e.bytes[static_cast<size_t>(y) * 64 * 3 + i] ^= 0x20;
      }
      return e;
    };
    const auto mask = change_mask(64);
    QCOMPARE(paste_coverage(photo, recon, recon, crop, mask).left_out, 0.0);
    const auto middle = paste_coverage(photo, changed(24, 40, 8, 56), recon, crop, mask);  // clear of the feather
    QCOMPARE(middle.left_out, 0.0);
    QCOMPARE(middle.edge_strength, 0.0);
    const auto top_rows = paste_coverage(photo, changed(0, 2), recon, crop, mask);
    QVERIFY2(top_rows.left_out > 0.9 && top_rows.edge_strength > 5, qPrintable(QString::number(top_rows.left_out)));
    const auto everywhere = paste_coverage(photo, changed(0, 64), recon, crop, mask);
    QVERIFY2(everywhere.left_out > 0.15 && everywhere.left_out < 0.35, qPrintable(QString::number(everywhere.left_out)));
    QVERIFY2(std::abs(everywhere.edge_strength - 1.0) < 1e-6, qPrintable(QString::number(everywhere.edge_strength)));
    // The same crop shifted so that its left half lies beyond the photo's left edge.
    std::array<double, 6> beyond = inside;
    beyond[2] = 32.0;
    const FaceCrop half = crop_with_transform(photo, 64, beyond);
    const double cut = paste_coverage(photo, changed(24, 40, 0, 64, half.crop), half.crop, half, mask).left_out;
    QVERIFY2(cut > 0.5 && cut < 0.6, qPrintable(QString::number(cut)));  // half, and the right end's feather
  }

  void similarityTransformIsExact() {
    const std::vector<double> from{10, 20, 50, 22, 31, 40, 20, 60, 45, 61};
    const double c = std::cos(0.3) * 0.7, s = std::sin(0.3) * 0.7;
    std::vector<double> to;
    for (size_t i = 0; i < from.size(); i += 2) {
      to.push_back(c * from[i] - s * from[i + 1] + 5);
      to.push_back(s * from[i] + c * from[i + 1] - 3);
    }
    const auto t = similarity_transform(from, to);
    const std::array<double, 6> want{c, -s, 5, s, c, -3};
    for (size_t i = 0; i < 6; ++i) QVERIFY2(std::abs(t[i] - want[i]) < 1e-9, qPrintable(QString::number(i)));
  }

  void labelsFollowTheDocumentedRulesAndAreBalanced() {
    const QString out = dir_.path() + "/rates", dump = dir_.path() + "/faces.json";
    QCOMPARE(test::generate_faces(out, 400, 7, 64, {"--dump-json", dump}), QString());
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
