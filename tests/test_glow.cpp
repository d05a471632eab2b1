// The whole multi-scale Glow: exact round trips, density against the brute-force Jacobian,
// sampling at temperature T, bits/dim, pixel quantisation and the facade's Model.
#include <QtTest/QtTest>

#include <cmath>

#include <c10/core/InferenceMode.h>
#include <torch/optim/adam.h>

#include "bundle/model_file.h"
#include "data/pixels.h"
#include "flow/glow.h"
#include "glowlab.h"
#include "testutil.h"
#include "train/objective.h"

using namespace glowlab;

namespace {

at::Tensor random_input(int64_t n, int64_t size, uint64_t seed) {
  std::vector<Image> ims;
  for (int64_t i = 0; i < n; ++i) ims.push_back(test::random_image(static_cast<int>(size), 3, seed + i));
  return to_model_input(images_to_uint8(ims), 8, at::kFloat, seed);
}

// A 16-px model whose zero-initialised output convolutions were nudged (so its couplings react to
// their input), with the attributes and directions given, saved in `dir` and loaded.
Model nudged_model(const QTemporaryDir& dir, uint64_t seed, std::vector<Attribute> attributes = {},
                   std::vector<at::Tensor> directions = {}) {
  at::manual_seed(seed);
  ModelFile mf;
  mf.glow = Glow(test::tiny_config(16, 2, 2, 16));
  mf.glow->initialize(random_input(4, 16, 1));
  test::perturb(*mf.glow, 0.03);
  mf.attributes = std::move(attributes);
  mf.directions = std::move(directions);
  const auto path = (dir.path() + "/nudged" + QString::number(seed) + ".glow").toStdString();
  save_model(path, mf);
  return Model::load(path);
}

double round_trip_error(Glow& glow, const at::Tensor& x) {
  c10::InferenceMode guard;
  return (glow->decode(glow->encode(x).eps) - x).abs().max().item<double>();
}

}  // namespace

class TestGlow : public QObject {
  Q_OBJECT

 private Q_SLOTS:
  void initTestCase() { init_runtime(); }

  void invertibleFloat32_data() {
    QTest::addColumn<int>("size");
    QTest::addColumn<int>("coupling");
    QTest::addColumn<int>("permutation");
    QTest::newRow("32 affine lu") << 32 << int(CouplingType::Affine) << int(Permutation::LU);
    QTest::newRow("64 affine lu") << 64 << int(CouplingType::Affine) << int(Permutation::LU);
    QTest::newRow("32 additive plain") << 32 << int(CouplingType::Additive) << int(Permutation::Plain);
    QTest::newRow("64 affine reverse") << 64 << int(CouplingType::Affine) << int(Permutation::Reverse);
  }

  void invertibleFloat32() {
    QFETCH(int, size);
    QFETCH(int, coupling);
    QFETCH(int, permutation);
    at::manual_seed(1);
    auto c = test::tiny_config(size, /*levels=*/3, /*steps=*/4, /*width=*/32);
    c.coupling = static_cast<CouplingType>(coupling);
    c.permutation = static_cast<Permutation>(permutation);
    Glow glow(c);
    const auto x = random_input(4, size, 11);
    glow->initialize(x);
    QVERIFY(glow->initialized());
    double err = round_trip_error(glow, x);
    QVERIFY2(err < 1e-5, qPrintable(QString("after init: %1").arg(err)));

    torch::optim::Adam adam(glow->parameters(), torch::optim::AdamOptions(1e-3));
    for (int i = 0; i < 20; ++i) {
      adam.zero_grad();
      nll_bits_per_dim(glow, x).backward();
      adam.step();
    }
    err = round_trip_error(glow, x);
    QVERIFY2(err < 1e-5, qPrintable(QString("after 20 Adam steps: %1").arg(err)));
    err = round_trip_error(glow, random_input(2, size, 99));  // unseen images too
    QVERIFY2(err < 1e-5, qPrintable(QString("unseen images: %1").arg(err)));
  }

  void invertibleFloat64() {
    at::manual_seed(2);
    Glow glow(test::tiny_config(32, 3, 4, 32));
    glow->to(at::kDouble);
    const auto x = random_input(2, 32, 5).to(at::kDouble);
    glow->initialize(x);
    test::perturb(*glow, 0.005);
    const double err = round_trip_error(glow, x);
    QVERIFY2(err < 1e-10, qPrintable(QString::number(err)));
  }

  // log p(x) from encode equals log N(eps; 0, I) + log|det d eps / dx| from the full Jacobian.
  void densityMatchesBruteForceJacobian() {
    at::manual_seed(3);
    auto c = test::tiny_config(4, /*levels=*/2, /*steps=*/2, /*width=*/8);
    Glow glow(c);
    glow->to(at::kDouble);
    const auto x = at::rand({1, 3, 4, 4}, at::kDouble) - 0.5;
    glow->initialize(at::rand({16, 3, 4, 4}, at::kDouble) - 0.5);
    test::perturb(*glow, 0.01);  // priors, couplings and top prior all away from zero
    const auto enc = glow->encode(x);
    const double log2pi = std::log(2 * M_PI);
    const auto flat = glow->flatten(enc.eps);
    const double log_n = (-0.5 * (flat * flat + log2pi)).sum().item<double>();
    const double jac = test::brute_force_log_abs_det(
        [&](const at::Tensor& in) { return glow->flatten(glow->encode(in).eps); }, x);
    const double log_px = enc.log_px().item<double>();
    QVERIFY2(std::abs(log_px - (log_n + jac)) < 1e-8,
             qPrintable(QString("log p(x) %1, brute force %2").arg(log_px).arg(log_n + jac)));
  }

  // Training with bf16 coupling networks: gradients reach the float32 weights, and the model it
  // leaves round-trips exactly under float32 inference (what the window and the CLI use). bf16
  // inference itself is not exact through a whole model: decoding reconstructs each coupling's input
  // from the priors to within float32 rounding, and a value that close to a bf16 rounding boundary
  // can round the other way (measured: ~4e-4 here), so bf16 stays a training option.
  void bf16TrainingKeepsInferenceExact() {
    struct Restore {
      ~Restore() { set_precision(Precision::FP32); }
    } restore;
    set_precision(Precision::BF16);
    QCOMPARE(parse_precision("bf16"), Precision::BF16);
    at::manual_seed(4);
    Glow glow(test::tiny_config(32, 3, 4, 32));
    const auto x = random_input(4, 32, 12);
    glow->initialize(x);
    torch::optim::Adam adam(glow->parameters(), torch::optim::AdamOptions(1e-3));
    const auto before = glow->parameters()[5].detach().clone();
    for (int i = 0; i < 20; ++i) {
      adam.zero_grad();
      nll_bits_per_dim(glow, x).backward();
      adam.step();
    }
    QVERIFY(!at::equal(before, glow->parameters()[5]));  // gradients reach the float32 weights
    QCOMPARE(glow->parameters()[5].scalar_type(), at::kFloat);
    c10::InferenceMode guard;
    const auto eps16 = glow->flatten(glow->encode(x).eps);
    set_precision(Precision::FP32);
    const auto eps32 = glow->flatten(glow->encode(x).eps);
    QVERIFY((eps16 - eps32).abs().max().item<double>() > 1e-4);  // bf16 really ran
    const double err = round_trip_error(glow, random_input(2, 32, 98));
    QVERIFY2(err < 1e-5, qPrintable(QString("round trip after bf16 training: %1").arg(err)));
  }

  void samplingTemperatureAndSeeds() {
    at::manual_seed(4);
    Glow glow(test::tiny_config(32, 3, 2, 16));
    glow->initialize(random_input(4, 32, 1));
    test::perturb(*glow, 0.02);
    c10::InferenceMode guard;
    for (double t : {0.5, 0.7, 1.0}) {
      const auto eps = glow->sample_eps(16, t, 123);
      const double std = glow->flatten(eps).std().item<double>();
      QVERIFY2(std::abs(std / t - 1.0) < 0.02, qPrintable(QString("T=%1 std=%2").arg(t).arg(std)));
      // Decoding then encoding recovers the same eps: the image really is the sample at T.
      const auto back = glow->flatten(glow->encode(glow->decode(eps)).eps);
      QVERIFY((back - glow->flatten(eps)).abs().max().item<double>() < 1e-3);
    }
    QVERIFY(at::equal(glow->flatten(glow->sample_eps(2, 0.7, 5)), glow->flatten(glow->sample_eps(2, 0.7, 5))));
    QVERIFY(!at::equal(glow->flatten(glow->sample_eps(2, 0.7, 5)), glow->flatten(glow->sample_eps(2, 0.7, 6))));
  }

  void bitsPerDimFormula() {
    // -(log p - D ln n_bins) / (D ln 2) with log p = -1000, D = 100, 5 bits.
    QVERIFY(std::abs(bits_per_dim(-1000.0, 100, 32) - 19.426950408889635) < 1e-12);
    // An identity-like model: uninitialised ActNorm and zero-initialised couplings and priors make
    // the flow an orthogonal map, so log p(x) = -D/2 ln(2 pi) - |x|^2 / 2. A grey image of value 128
    // at 8 bits has x = 1/512 everywhere: bits/dim = log2(2 pi)/2 + 8 + x^2 / (2 ln 2).
    auto c = test::tiny_config(16, 2, 2, 8);
    c.coupling = CouplingType::Additive;
    Glow glow(c);
    for (auto& b : glow->named_buffers()) {
      if (b.key().find("initialized") != std::string::npos) b.value().fill_(1.0);  // ActNorm stays identity
    }
    Image grey{16, 16, 3, std::vector<std::uint8_t>(16 * 16 * 3, 128)};
    c10::InferenceMode guard;
    const auto x = to_model_input(images_to_uint8({grey}), 8, at::kFloat, std::nullopt);
    const double bpd = bits_per_dim(glow->encode(x).log_px(), c.dimension(), c.n_bins()).item<double>();
    QVERIFY2(std::abs(bpd - 9.325750816458575) < 1e-5, qPrintable(QString::number(bpd, 'g', 12)));
  }

  void pixelQuantisationRoundTrips() {
    auto all = at::arange(256, at::kLong).to(at::kByte).view({1, 1, 16, 16});
    for (int bits = 1; bits <= 8; ++bits) {
      const auto x = to_model_input(all, bits, at::kFloat, std::nullopt);
      QVERIFY(x.min().item<double>() > -0.5 && x.max().item<double>() < 0.5);
      const auto back = to_pixels(x, bits);
      QVERIFY2(at::equal(quantize(back, bits), quantize(all, bits)), qPrintable(QString("n_bits %1").arg(bits)));
      if (bits == 8) QVERIFY(at::equal(back, all));
      // Dequantisation noise stays inside each bin.
      const auto noisy = to_model_input(all, bits, at::kFloat, 3);
      QVERIFY(at::equal(to_pixels(noisy, bits), back));
    }
  }

  // The guard's test of a decode: values a bin or two past the range are fine (the 8-bit clamp
  // hardly shows them), but more than a sliver of values well past it is what the clamp turns into
  // saturated colour noise, and is not clean (the old rule let anything within a whole pixel range
  // more through); a non-finite value never is.
  void cleanDecodesBoundValuesBeyondTheRange() {
    const int bins = 32;  // 5 bits: a bin is 1/32 of the range
    auto x = at::zeros({4, 3, 20, 20});  // 1,200 values per image
    x[1].fill_(0.5 + 1.5 / bins);        // everywhere past the top, but by less than two bins
    x[2].view({-1}).narrow(0, 0, 12).fill_(0.6);  // 1% of the values 3.2 bins past it: a colour blotch
    x[3].view({-1}).narrow(0, 0, 2).fill_(-0.6);  // 2 values (0.17%): a stray pixel
    auto clean = clean_decodes(x, bins);
    QVERIFY(clean[0].item<bool>() && clean[1].item<bool>() && clean[3].item<bool>());
    QVERIFY(!clean[2].item<bool>());
    const auto share = share_beyond_range(x, bins);
    QCOMPARE(share[2].item<float>(), 0.01f);
    QCOMPARE(share[1].item<float>(), 0.0f);
    x[0][0][0][0] = std::nan("");
    QVERIFY(!clean_decodes(x, bins)[0].item<bool>());
    QVERIFY(share_beyond_range(x, bins)[0].item<float>() > 0.0f);
  }

  void actNormStateSurvivesSaveAndLoad() {
    QTemporaryDir dir;
    const std::string path = (dir.path() + "/m.glow").toStdString();
    at::manual_seed(5);
    ModelFile mf;
    mf.glow = Glow(test::tiny_config());
    mf.glow->initialize(random_input(4, 16, 3));
    save_model(path, mf);
    auto loaded = load_model(path);
    QVERIFY(loaded.glow->initialized());
    auto params_before = loaded.glow->named_parameters()["level0.step0.actnorm.loc"].clone();
    at::NoGradGuard g;
    loaded.glow->encode(random_input(4, 16, 77) * 0.3);  // different data: must not re-initialise
    QVERIFY(at::equal(params_before, loaded.glow->named_parameters()["level0.step0.actnorm.loc"]));
    const auto x = random_input(2, 16, 8);
    QVERIFY(at::allclose(loaded.glow->encode(x).log_px(), mf.glow->encode(x).log_px(), 1e-5, 1e-4));
  }

  // A bounded model, briefly trained, decodes far-off latents (T = 3) to finite values; the
  // paper's formula with the same weights is the one that can overflow.
  void boundedCouplingDecodesFarLatentsToFiniteValues() {
    at::manual_seed(5);
    auto c = test::tiny_config(16, 2, 4, 16);
    c.scale_min = kDefaultScaleMin;
    Glow glow(c);
    const auto x = random_input(8, 16, 3);
    glow->initialize(x);
    torch::optim::Adam adam(glow->parameters(), torch::optim::AdamOptions(2e-3));
    for (int i = 0; i < 30; ++i) {
      adam.zero_grad();
      nll_bits_per_dim(glow, x).backward();
      adam.step();
    }
    QVERIFY(round_trip_error(glow, x) < 1e-5);
    c10::InferenceMode guard;
    const auto far = glow->decode(glow->sample_eps(16, 3.0, 7));
    QVERIFY(at::isfinite(far).all().item<bool>());
    // An edit of 5x a typical range along a random direction of unit-variance size.
    const auto eps = glow->flatten(glow->encode(x).eps);
    const auto dir = at::randn({1, c.dimension()});
    const auto edited = glow->decode(glow->unflatten(eps + 5.0 * 1.5 * dir));
    QVERIFY(at::isfinite(edited).all().item<bool>());
  }

  void scaleMinIsStoredOnlyWhenSet() {
    GlowConfig legacy;
    QVERIFY(!QString::fromStdString(legacy.to_json()).contains("scale_min"));
    QCOMPARE(GlowConfig::from_json(legacy.to_json(), "x").scale_min, 0.0);
    GlowConfig bounded;
    bounded.scale_min = 0.25;
    QCOMPARE(GlowConfig::from_json(bounded.to_json(), "x").scale_min, 0.25);
    QVERIFY_THROWS_EXCEPTION(Error, GlowConfig::from_json(R"({"scale_min": 1.5})", "x"));
    QVERIFY_THROWS_EXCEPTION(Error, GlowConfig::from_json(R"({"scale_min": "big"})", "x"));
  }

  // The guarded render: an edit that overflows the unbounded formula comes back as the largest
  // clean fraction of the edit, never as a non-finite image.
  void guardedDecodeLimitsAnEditThatOverflows() {
    QTemporaryDir dir;
    const int64_t d = test::tiny_config(16, 2, 2, 16).dimension();
    auto model = nudged_model(dir, 8, {{"Boom", 1, 1, -1, 1}}, {at::ones({d}) * 300.0});
    const auto base = model.encode(test::random_image(16, 3, 4));
    const auto target = model.edit(base, {{"Boom", 1.0}});
    QVERIFY2(!model.decodes_cleanly(target), "the test needs an edit that overflows unguarded");
    QVERIFY(model.decodes_cleanly(base));
    const auto g = model.decode_guarded(base, target);
    QVERIFY(g.limited());
    QVERIFY(g.strength >= 0.0 && g.strength < 1.0);
    std::vector<float> shown(base.size());
    for (size_t i = 0; i < base.size(); ++i) shown[i] = static_cast<float>(base[i] + g.strength * (target[i] - base[i]));
    QVERIFY(model.decodes_cleanly(shown));
    QVERIFY(g.image.bytes == model.decode(shown).bytes);
    // A clean edit is shown whole.
    const auto small = model.edit(base, {{"Boom", 1e-6}});
    const auto whole = model.decode_guarded(base, small);
    QCOMPARE(whole.strength, 1.0);
    QVERIFY(whole.image.bytes == model.decode(small).bytes);
  }

  // Colour noise is the speckled colour of a change: a checkerboard of colour is noise, a smooth
  // tint and a light/dark pattern are not, and only the change counts (the base's own is not).
  void colourNoiseIsTheSpeckledColourOfTheChange() {
    const auto base = at::rand({1, 3, 16, 16}, at::TensorOptions().dtype(at::kFloat)) * 0.4 - 0.2;
    const auto checker = (at::arange(16).view({16, 1}) + at::arange(16).view({1, 16})).remainder(2).to(at::kFloat) * 0.4 - 0.2;
    auto tint = base.clone();
    tint.select(1, 0).add_(0.2);  // every pixel redder
    auto light = base.clone();
    light.add_(checker);  // lighter and darker pixels, no colour
    auto speck = base.clone();
    speck.select(1, 0).add_(checker);  // red and cyan pixels in turn
    QCOMPARE(colour_noise(base, base)[0].item<double>(), 0.0);
    QVERIFY(colour_noise(tint, base)[0].item<double>() < 1e-6);
    QVERIFY(colour_noise(light, base)[0].item<double>() < 1e-6);
    QVERIFY(colour_noise(speck, base)[0].item<double>() > 3 * kCleanColourNoise);
    // Only the change: the speckled image compared with itself paints nothing new.
    QCOMPARE(colour_noise(speck, speck)[0].item<double>(), 0.0);
    // A grey image has no colour to speckle.
    QCOMPARE(colour_noise(light.narrow(1, 0, 1), base.narrow(1, 0, 1))[0].item<double>(), 0.0);
  }

  // The guard of an edit: a target that paints speckled colour over the photo is limited even
  // when every value lies within the range; a smooth tint of the same size is shown whole; the
  // range rule alone (samples, interpolation) lets the speckle through.
  void guardedEditPaintsNoColourNoise() {
    QTemporaryDir dir;
    auto model = nudged_model(dir, 9);
    Image photo{16, 16, 3, std::vector<std::uint8_t>(16 * 16 * 3)};
    for (int y = 0; y < 16; ++y) {
      for (int x = 0; x < 16; ++x) {
        std::uint8_t* p = photo.bytes.data() + (y * 16 + x) * 3;
        p[0] = static_cast<std::uint8_t>(100 + 2 * x);
        p[1] = static_cast<std::uint8_t>(90 + y);
        p[2] = static_cast<std::uint8_t>(80 + x + y);
      }
    }
    Image speckled = photo, tinted = photo;
    for (int y = 4; y < 12; ++y) {
      for (int x = 4; x < 12; ++x) {
        speckled.bytes[(y * 16 + x) * 3] = static_cast<std::uint8_t>(photo.bytes[(y * 16 + x) * 3] + ((x + y) % 2 ? 48 : -48));
      }
    }
    for (size_t i = 0; i < tinted.bytes.size(); i += 3) tinted.bytes[i] = static_cast<std::uint8_t>(tinted.bytes[i] + 48);
    const auto base = model.encode(photo), noisy = model.encode(speckled), tint = model.encode(tinted);
    QVERIFY2(model.decodes_cleanly(noisy), "the speckle lies within the range");
    QVERIFY(model.check_decode(noisy, &base).colour_noise > kCleanColourNoise);
    QVERIFY(!model.check_decode(noisy, &base).clean);

    const auto g = model.decode_guarded(base, noisy);
    QVERIFY(g.limited());
    std::vector<float> shown(base.size());
    for (size_t i = 0; i < base.size(); ++i) shown[i] = static_cast<float>(base[i] + g.strength * (noisy[i] - base[i]));
    const auto check = model.check_decode(shown, &base);
    QVERIFY(check.clean);
    QVERIFY(check.colour_noise <= kCleanColourNoise);
    QVERIFY(g.image.bytes == check.image.bytes);

    const auto t = model.decode_guarded(base, tint);
    QCOMPARE(t.strength, 1.0);
    QVERIFY(t.image.bytes == tinted.bytes);  // exact: the tint itself
    const auto r = model.decode_guarded(base, noisy, GuardRule::Range);
    QCOMPARE(r.strength, 1.0);
    QVERIFY(r.image.bytes == speckled.bytes);
    // No slider moved: the photo itself, whatever its own colours.
    QVERIFY(model.decode_guarded(noisy, noisy).image.bytes == speckled.bytes);
  }

  // Held attributes: every other direction is projected off them, so the latent's projection on
  // a held direction stays where it was while the other sliders move.
  void lockedAttributesKeepTheirProjection() {
    at::manual_seed(12);
    auto c = test::tiny_config(16, 2, 2, 16);
    ModelFile mf;
    mf.glow = Glow(c);
    mf.glow->initialize(random_input(4, 16, 1));
    const auto shared = at::randn({c.dimension()});
    mf.attributes = {{"Male", 1, 1, -1, 1}, {"No_Beard", 1, 1, -1, 1}, {"Smiling", 1, 1, -1, 1}};
    // Correlated directions, as Male and No_Beard are.
    mf.directions = {shared + at::randn({c.dimension()}) * 0.5, shared * -0.8 + at::randn({c.dimension()}) * 0.5,
                     at::randn({c.dimension()})};
    QTemporaryDir dir;
    const auto path = (dir.path() + "/locks.glow").toStdString();
    save_model(path, mf);
    auto model = Model::load(path);
    const auto base = model.encode(test::random_image(16, 3, 4));
    auto projection = [&](const std::vector<float>& v, int k) {
      const auto d = mf.directions[static_cast<size_t>(k)].to(at::kDouble);
      const auto t = at::from_blob(const_cast<float*>(v.data()), {static_cast<int64_t>(v.size())}, at::kFloat).to(at::kDouble);
      return (t.dot(d) / d.dot(d)).item<double>();
    };
    for (int level : {0, 1}) {
      const auto free_edit = model.edit(base, {{"Male", 1.2}, {"Smiling", -0.7}}, level);
      QVERIFY(std::abs(projection(free_edit, 1) - projection(base, 1)) > 0.1);  // unheld: No_Beard moves
      const auto held = model.edit(base, {{"Male", 1.2}, {"Smiling", -0.7}}, level, {"No_Beard"});
      QVERIFY2(std::abs(projection(held, 1) - projection(base, 1)) < 1e-6,
               qPrintable(QString::number(projection(held, 1) - projection(base, 1))));
      const auto two = model.edit(base, {{"Male", 0.9}}, level, {"No_Beard", "Smiling"});
      QVERIFY(std::abs(projection(two, 1) - projection(base, 1)) < 1e-6);
      QVERIFY(std::abs(projection(two, 2) - projection(base, 2)) < 1e-6);
      QVERIFY(std::abs(projection(two, 0) - projection(base, 0)) > 0.1);  // Male itself still moves
    }
    QVERIFY_THROWS_EXCEPTION(Error, model.edit(base, {{"Male", 1.0}}, 0, {"Nope"}));
  }

  void facadeModelEncodesExactlyAndSamplesDeterministically() {
    auto c = test::tiny_config(16, 2, 2, 16);
    std::vector<Image> init;
    for (int i = 0; i < 4; ++i) init.push_back(test::random_image(16, 3, i));
    auto model = Model::create(c, init, 9);
    const auto im = test::random_image(16, 3, 42);
    const auto latent = model.encode(im);
    QCOMPARE(static_cast<int64_t>(latent.size()), c.dimension());
    const auto back = model.decode(latent);
    QVERIFY(back.bytes == im.bytes);
    QCOMPARE(model.reconstruct(im).max_abs_error, 0);
    const auto a = model.sample(3, 0.7, 11), b = model.sample(3, 0.7, 11), d = model.sample(3, 0.7, 12);
    for (int i = 0; i < 3; ++i) QVERIFY(a[i].bytes == b[i].bytes);
    QVERIFY(a[0].bytes != d[0].bytes);
    QVERIFY_THROWS_EXCEPTION(Error, model.encode(test::random_image(8, 3, 1)));
    QVERIFY_THROWS_EXCEPTION(Error, model.decode(std::vector<float>(5)));
    QVERIFY_THROWS_EXCEPTION(Error, model.edit(latent, {{"Smiling", 1.0}}));
  }
};

QTEST_GUILESS_MAIN(TestGlow)
#include "test_glow.moc"
