// The rules the window and the CLI share (engine/edit): the guarded render of an edit and what it
// was limited to, set-or-replace of a slider, a model's description, a recipe's application and
// the checks of its files.
#include <QtTest/QtTest>

#include "bundle/model_file.h"
#include "data/pixels.h"
#include "glowlab.h"
#include "testutil.h"
#include "tiny_model.h"

using namespace glowlab;

namespace {

constexpr int kSize = 16;

bool same_pixels(const Image& a, const Image& b) {
  return a.width == b.width && a.height == b.height && a.channels == b.channels && a.bytes == b.bytes;
}

}  // namespace

class TestEdit : public QObject {
  Q_OBJECT
  QTemporaryDir dir_;
  std::string model_, photo_;

  std::string path(const char* name) const { return (dir_.path() + "/" + name).toStdString(); }

 private Q_SLOTS:
  void initTestCase() {
    QVERIFY(dir_.isValid());
    init_runtime();
    ModelFile mf = test::tiny_model_file(kSize, 5);
    Attribute age{"Age", 3, 4, -20, 20};
    age.unit = "years";
    mf.attributes = {{"Smiling", 1, 1, -1, 1}, {"Boom", 1, 1, -1, 1}, age};
    const int64_t d = mf.glow->config().dimension();
    mf.directions = {at::randn({d}) * 0.02, at::ones({d}) * 300.0, at::randn({d}) * 0.01};  // Smiling: mild, never limited
    mf.provenance_json = R"({"seed": 3, "aligned": true, "dataset": "faces", "bits_per_dim": 1.402, "sizes": [1, 2]})";
    model_ = path("model.glow");
    save_model(model_, mf);
    photo_ = path("photo.png");
    write_image(photo_, test::random_image(kSize, 3, 11));
  }

  void setAlphaReplacesInPlaceOrAppends() {
    Alphas a{{"Smiling", 0.5}, {"Male", -1.0}};
    set_alpha(a, "Smiling", 0.2);
    QCOMPARE(a.size(), size_t{2});
    QCOMPARE(a[0].first, std::string("Smiling"));  // its place kept: the edit sums in the same order
    QCOMPARE(a[0].second, 0.2);
    set_alpha(a, "Young", 0.7);
    QCOMPARE(a.size(), size_t{3});
    QCOMPARE(a[2].first, std::string("Young"));
    QCOMPARE(a[2].second, 0.7);
  }

  void renderEditIsTheGuardedDecodeOfTheEdit() {
    auto m = Model::load(model_);
    const auto base = m.encode(read_image(photo_, 3));
    SliderEdit edit;
    edit.alphas = {{"Smiling", 0.6}, {"Boom", 0.0}};
    const auto r = render_edit(m, base, edit);
    QVERIFY(!r.limited());
    QVERIFY(r.limited_to.empty());
    QVERIFY(same_pixels(r.image, m.decode_guarded(base, m.edit(base, {{"Smiling", 0.6}})).image));
    // No slider moved: the image itself, under the guard.
    const auto none = render_edit(m, base, SliderEdit{});
    QVERIFY(same_pixels(none.image, m.decode_guarded(base, base).image));
    // Held attributes and the detail level are the edit's.
    edit.locked = {"Age"};
    edit.finest_level = 1;
    QVERIFY(same_pixels(render_edit(m, base, edit).image, m.decode_guarded(base, m.edit(base, {{"Smiling", 0.6}}, 1, {"Age"})).image));
  }

  void aRunawayEditSaysWhatItWasLimitedTo() {
    auto m = Model::load(model_);
    const auto base = m.encode(read_image(photo_, 3));
    SliderEdit edit;
    edit.alphas = {{"Smiling", 0.0}, {"Boom", 1.0}};
    const auto r = render_edit(m, base, edit);
    QVERIFY(r.limited());
    QCOMPARE(r.limited_to.size(), size_t{1});  // a slider at 0 was not limited
    QCOMPARE(r.limited_to[0].first, std::string("Boom"));
    QCOMPARE(r.limited_to[0].second, r.strength);
  }

  void theDescriptionHoldsWhatBothFrontEndsShow() {
    auto m = Model::load(model_);
    const auto d = describe_model(m, model_);
    QCOMPARE(d.path, model_);
    QCOMPARE(d.name, std::string("model"));
    QCOMPARE(d.config.image_size, kSize);
    QCOMPARE(d.latent_size, m.config().dimension());
    QCOMPARE(d.parameters, m.parameter_count());
    QVERIFY(d.checksummed);
    QVERIFY(d.framing.empty());
    QCOMPARE(d.device, std::string("cpu"));
    QCOMPARE(d.attributes.size(), size_t{3});
    QCOMPARE(d.attributes[2].unit, std::string("years"));
    // Provenance by key (sorted), each value as a person reads it.
    QCOMPARE(d.provenance.size(), size_t{5});
    auto field = [&](const std::string& key) {
      for (const auto& f : d.provenance) {
        if (f.key == key) return f;
      }
      return ProvenanceField{};
    };
    QCOMPARE(d.provenance[0].key, std::string("aligned"));
    QVERIFY(field("aligned").flag);
    QCOMPARE(field("aligned").value, std::string("true"));
    QCOMPARE(field("seed").value, std::string("3"));
    QCOMPARE(field("bits_per_dim").value, std::string("1.402"));
    QCOMPARE(field("dataset").value, std::string("faces"));
    QCOMPARE(field("sizes").value, std::string("[1,2]"));
    QVERIFY(!field("seed").flag);
  }

  void applyingARecipeNamesWhatIsMissing() {
    Recipe r;
    r.source = photo_;
    r.transform = {1, 0, 0, 0, 1, 0};
    r.model = path("gone.glow");
    r.sliders = {{"Smiling", 0.4}};
    r.locked = {"Age"};
    r.finest_level = 1;
    try {
      apply_recipe(r, "r.json");
      QFAIL("a missing model was accepted");
    } catch (const Error& e) {
      QCOMPARE(QString(e.what()), QString("r.json: its model %1 does not exist").arg(QString::fromStdString(r.model)));
    }
    // Another model named instead: the recipe's own is not needed.
    auto a = apply_recipe(r, "r.json", model_);
    QCOMPARE(a.model, model_);
    QVERIFY(a.with_photo);
    QVERIFY(a.edit.alphas == r.sliders);
    QVERIFY(a.edit.locked == r.locked);
    QCOMPARE(a.edit.finest_level, 1);
    r.model = model_;
    r.source = path("gone.png");
    try {
      apply_recipe(r, "r.json");
      QFAIL("a missing photo was accepted");
    } catch (const Error& e) {
      QVERIFY2(QString(e.what()).contains("r.json: its photo") && QString(e.what()).contains("gone.png"), e.what());
    }
    QVERIFY(!apply_recipe(r, "r.json", {}, /*with_photo=*/false).with_photo);  // other photos named: its own is not read
    r.sample_index = 0;
    r.sample_count = 1;
    QVERIFY(!apply_recipe(r, "r.json").with_photo);  // a sample has no photo
  }

  void checkingARecipeSaysWhatCannotBeVouchedFor() {
    Recipe r;
    r.source = photo_;
    r.transform = {1, 0, 0, 0, 1, 0};
    r.model = model_;
    auto unchecked = apply_recipe(r, "r.json");
    check_recipe(r, unchecked);
    QCOMPARE(unchecked.warnings.size(), size_t{2});
    for (const auto& w : unchecked.warnings) QVERIFY(w.kind == RecipeWarning::Kind::NoChecksum);
    QVERIFY(!unchecked.warnings[0].photo && unchecked.warnings[0].file == model_);
    QVERIFY(unchecked.warnings[1].photo && unchecked.warnings[1].file == photo_);
    r.model_sha256 = file_sha256(model_);
    r.source_sha256 = file_sha256(photo_);
    auto same = apply_recipe(r, "r.json");
    check_recipe(r, same);
    QVERIFY(same.warnings.empty());
    r.source_sha256 = std::string(64, '0');
    auto changed = apply_recipe(r, "r.json");
    check_recipe(r, changed);
    QCOMPARE(changed.warnings.size(), size_t{1});
    QVERIFY(changed.warnings[0].kind == RecipeWarning::Kind::Changed && changed.warnings[0].photo);
    // Another model than the recipe's has nothing to be compared with.
    r.model_sha256.clear();
    auto other = apply_recipe(r, "r.json", path("other.glow"), /*with_photo=*/false);
    check_recipe(r, other);
    QVERIFY(other.warnings.empty());
  }
};

QTEST_GUILESS_MAIN(TestEdit)
#include "test_edit.moc"
