// The Age slider in years: its direction calibrated on the decoder's response, the age judge that
// scores it (on photos with ages in their names and without), and an age regressor as a teacher.
#include <QtTest/QtTest>

#include <algorithm>
#include <cmath>

#include <c10/core/InferenceMode.h>

#include "bundle/model_file.h"
#include "data/dataset.h"
#include "data/pixels.h"
#include "glowlab.h"
#include "latent/directions.h"
#include "testutil.h"
#include "toy_celeba.h"
#include "directions_fixtures.h"

using namespace glowlab;
using test::make_celeba;
using test::tiny_judge_options;
using test::tiny_model_with_directions;
using test::toy_image;

namespace {

// A toy face whose age is drawn as brightness (2 levels of 255 a year), for the age tests.
Image aged_face(int i, int age) {
  Image im = toy_image(16, i, i % 3 == 0);
  for (auto& b : im.bytes) b = static_cast<std::uint8_t>(std::clamp(b / 3 + age * 2, 0, 255));
  return im;
}

}  // namespace

class TestAge : public QObject {
  Q_OBJECT
  QTemporaryDir dir_;
  QString data_;

 private Q_SLOTS:
  void initTestCase() {
    init_runtime();
    data_ = make_celeba(dir_, 96, 16);
  }

  // The Age direction in years is calibrated on the decoder's response: a decoded 20-year step moves
  // faces as far along the pixels' age axis as 20 years of the data do (within a third), the scale
  // applied is said, and without a sample to measure on (range_sample 0) the direction is the fit's.
  void theAgeDirectionMovesDecodedFacesByItsYears() {
    at::manual_seed(41);
    Glow glow = test::initialised_toy_glow();
    const auto c = glow->config();
    const int64_t n = 300;
    Dataset data;
    std::vector<Image> faces;
    std::vector<float> ages;
    for (int64_t i = 0; i < n; ++i) {
      const int age = 10 + static_cast<int>((i * 37) % 60);
      faces.push_back(aged_face(static_cast<int>(i), age));
      ages.push_back(static_cast<float>(age));
    }
    data.images = images_to_uint8(faces);
    data.labels = at::zeros({n, 0}, at::kChar);
    data.ages = at::tensor(ages);
    data.partition.assign(n, 0);
    DirectionOptions o;
    o.range_sample = 0;
    const auto fitted = age_direction(glow, data, o);
    QVERIFY(fitted.has_value());
    std::string said;
    o.range_sample = 64;
    o.note = [&](const std::string& s) { said = s; };
    const auto calibrated = age_direction(glow, data, o);
    QVERIFY2(said.find("scaled by") != std::string::npos, said.c_str());
    // Measured both ways on faces of every age: +20 years of all 64 (aged 10 to 69), -20 only of
    // those 30 and older (about two in three).
    const auto open = said.find('('), steps_at = said.find(" steps");
    QVERIFY2(open != std::string::npos && steps_at != std::string::npos, said.c_str());
    const int steps = std::stoi(said.substr(open + 1, steps_at - open - 1));
    QVERIFY2(steps > 64 + 30 && steps < 64 + 50, said.c_str());
    const double scale = (calibrated->second.norm() / fitted->second.norm()).item<double>();
    QVERIFY(scale >= 1.0 && scale <= 4.0);
    // With an age guide (attributes --age-guide) the years are its reading of the decoded faces: one
    // that reads a year per 4 levels of brightness, half the data's years, asks a direction about
    // twice as strong.
    o.age_reader = [](const at::Tensor& u8) { return u8.to(at::kDouble).mean({1, 2, 3}) / 4.0; };
    const auto guided = age_direction(glow, data, o);
    QVERIFY2(said.find("as the age guide reads them") != std::string::npos, said.c_str());
    const double ratio = (guided->second.norm() / calibrated->second.norm()).item<double>();
    QVERIFY2(ratio > 1.6 && ratio < 2.5, qPrintable(QString("%1 times the pixel-calibrated direction (its scale %2)").arg(ratio).arg(scale)));
    o.age_reader = nullptr;
    // Brightness per year in the data: 2 levels of 255; a decoded 20-year step on the first faces.
    c10::InferenceMode guard;
    const auto x = to_model_input(data.images.narrow(0, 0, 32), c.n_bits, at::kFloat, std::nullopt);
    const auto eps = glow->flatten(glow->encode(x).eps);
    const auto before = to_pixels(glow->decode(glow->unflatten(eps)), c.n_bits).to(at::kDouble).mean();
    const auto after = to_pixels(glow->decode(glow->unflatten(eps + 20 * calibrated->second.unsqueeze(0))), c.n_bits).to(at::kDouble).mean();
    const double years = (after - before).item<double>() / 2.0;
    QVERIFY2(years > 20 / 1.35 && years < 20 * 1.35, qPrintable(QString("%1 years (scale %2)").arg(years).arg(scale)));
  }

  // The age judge (issue 28, 6): trained on photos whose UTKFace names give their ages (here an age
  // is drawn as brightness), it reads ages from pixels far better than guessing the median; the Age
  // slider, fitted on the same folder, moves its estimate up for +years and down for -years; and a
  // judge of one kind is refused where the other is asked for.
  void theAgeJudgeReadsAgesAndScoresTheAgeSlider() {
    QTemporaryDir run;
    const QString utk = run.path() + "/utk";
    QDir().mkpath(utk);
    for (int i = 0; i < 240; ++i) {
      const int age = 10 + (i * 37) % 70;
      const Image im = aged_face(i, age);
      const std::string name = std::to_string(age) + "_" + std::to_string(i % 2) + "_0_2017011" + std::to_string(1000000 + i) + ".jpg.chip.jpg";
      write_image((utk + "/" + QString::fromStdString(name)).toStdString(), im);
    }
    auto jt = tiny_judge_options(utk, run.path() + "/age.safetensors", 25);
    const auto acc = train_age_judge(jt);
    QVERIFY(acc.held_out > 5);
    QVERIFY2(acc.mean_abs_error < 0.5 * acc.baseline_error,
             qPrintable(QString("%1 years against the median's %2").arg(acc.mean_abs_error).arg(acc.baseline_error)));
    jt.data = data_.toStdString();  // a CelebA folder has no ages
    QVERIFY_THROWS_EXCEPTION(Error, train_age_judge(jt));

    const std::string model = tiny_model_with_directions(utk, run.path());
    AgeEditOptions e;
    e.model = model;
    e.judge = (run.path() + "/age.safetensors").toStdString();
    e.data = utk.toStdString();
    e.faces = 6;
    e.through_export = false;
    const auto crops = evaluate_age_edits(e);
    QCOMPARE(crops.older_faces, 6);
    QCOMPARE(crops.younger_faces, 6);
    QVERIFY2(crops.older > 2 && crops.younger < -2, qPrintable(QString("%1, %2").arg(crops.older).arg(crops.younger)));
    // Each mean comes with its standard error: the faces' changes differ, so it is above zero.
    QVERIFY2(crops.older_se > 0 && crops.younger_se > 0 && std::isfinite(crops.older_se + crops.younger_se),
             qPrintable(QString("%1, %2").arg(crops.older_se).arg(crops.younger_se)));
    // The faces are drawn across the ages (UTKFace's names sort by age), and each edit is asked
    // only where the age it asks for is one a face can have: -20 years of faces 30 and older.
    QVERIFY2(crops.oldest - crops.youngest >= 30, qPrintable(QString("%1 to %2").arg(crops.youngest).arg(crops.oldest)));
    QVERIFY(crops.youngest_made_younger >= e.years + kAgeEditYoungest);
    QVERIFY(crops.oldest_made_older <= kAgeEditOldest - e.years);
    e.through_export = true;
    const auto exported = evaluate_age_edits(e);
    QCOMPARE(exported.older_faces, 6);
    QVERIFY(exported.mean_strength > 0 && exported.mean_strength <= 1);
    QVERIFY(std::isfinite(exported.older) && std::isfinite(exported.younger));
    // Photos without ages in their names (a CelebA folder's, as users' photos look): each photo's
    // age is the judge's reading of it, and the judge's error against the names is not known.
    AgeEditOptions unnamed = e;
    unnamed.data = (data_ + "/img_align_celeba").toStdString();
    unnamed.through_export = false;
    const auto read = evaluate_age_edits(unnamed);
    QVERIFY(read.older_faces + read.younger_faces > 0);
    QVERIFY(std::isnan(read.judge_error));
    // The verdict marks the Age slider as it marks the others: featured exactly when it meets the target.
    AgeEditScore weak = crops, strong = crops;
    weak.older = 1.0;
    strong.older = strong.years;
    strong.younger = -strong.years;
    mark_featured(model, {}, &weak);
    const auto age_featured = [&] {
      const auto m = Model::load(model);
      return m.attributes()[find_attribute(m.attributes(), "Age")].featured;
    };
    QVERIFY(!age_featured());
    mark_featured(model, {}, &strong);
    QVERIFY(age_featured());

    EditEvalOptions wrong;
    wrong.model = model;
    wrong.judge = e.judge;  // an age judge where a judge of attributes is asked for
    wrong.data = data_.toStdString();
    QVERIFY_THROWS_EXCEPTION(Error, evaluate_edits(wrong));

    // UTKFace as a teacher (issue 28, item 1): a CelebA folder has no ages, so no Age slider, until
    // an age regressor reads its photos' ages; Age is then fitted on them, one unit a year.
    QTemporaryDir celeba_run;
    const std::string celeba_model = tiny_model_with_directions(data_, celeba_run.path());
    const auto names = [](const std::string& path) {
      std::vector<std::string> out;
      const auto loaded = Model::load(path);
      for (const auto& a : loaded.attributes()) out.push_back(a.name);
      return out;
    };
    const auto before = names(celeba_model);
    QVERIFY(std::find(before.begin(), before.end(), "Age") == before.end());
    AttributeOptions taught;
    taught.model_path = celeba_model;
    taught.data = {data_.toStdString()};
    taught.age_teacher = e.judge;
    std::vector<std::string> notes;
    taught.note = [&](const std::string& n) { notes.push_back(n); };
    add_attributes(taught);
    const auto after = names(celeba_model);
    QVERIFY(std::find(after.begin(), after.end(), "Age") != after.end());
    const auto m = Model::load(celeba_model);
    const auto& age_attr = m.attributes()[find_attribute(m.attributes(), "Age")];
    QCOMPARE(age_attr.unit, std::string("years"));
    QVERIFY(age_attr.positives > 0);  // faces of known age: all of the folder's training photos
    QVERIFY(std::any_of(notes.begin(), notes.end(), [](const std::string& n) { return n.rfind("Age teacher", 0) == 0; }));
    taught.age_teacher = model;  // a flow, not an age regressor
    QVERIFY_THROWS_EXCEPTION(Error, add_attributes(taught));
  }
};

QTEST_GUILESS_MAIN(TestAge)
#include "test_age.moc"
