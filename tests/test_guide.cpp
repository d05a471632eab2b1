// The guide (attributes --guide, latent/guide.h): directions refined against a classifier on
// decoded pixels hold its other outputs, a hold chosen on other faces, a refinement that weakens
// the named output refused, and the guide reading through a resampling.
#include <QtTest/QtTest>

#include <algorithm>

#include <c10/core/InferenceMode.h>

#include "glowlab.h"
#include "judge/judge_net.h"
#include "latent/guide.h"
#include "data/pixels.h"
#include "testutil.h"
#include "toy_celeba.h"
#include "directions_fixtures.h"

using namespace glowlab;
using test::tiny_options;
using test::toy_image;

class TestGuide : public QObject {
  Q_OBJECT

 private Q_SLOTS:
  void initTestCase() { init_runtime(); }

  // The guide (attributes --guide): a classifier reading one output from the red of the decoded
  // image and another from its green, and a fitted direction that brightens both. Refined against
  // the guide, the direction keeps pushing red across the guide's line and stops dragging green.
  void aGuideHoldsTheOthersWhileTheNamedOneCrosses() {
    at::manual_seed(41);
    Glow glow = test::initialised_toy_glow();
    const int64_t n = 64, d = glow->config().dimension();
    at::Tensor z, x, d0;
    {
      c10::InferenceMode guard;
      z = at::randn({n, d}) * 0.1;
      x = glow->decode(glow->unflatten(z));
      const auto shift = at::tensor({0.1f, 0.1f, 0.0f}).view({1, 3, 1, 1});
      d0 = (glow->flatten(glow->encode(x + shift).eps) - z).mean(0);
    }
    auto red = [](const at::Tensor& im) { return im.select(1, 0).mean({1, 2}); };
    auto green = [](const at::Tensor& im) { return im.select(1, 1).mean({1, 2}); };
    const double r0 = red(x).median().item<double>(), g0 = green(x).median().item<double>();
    Guide g;
    g.logits = [&](const at::Tensor& im) { return at::stack({(red(im) - r0) * 40.0, (green(im) - g0) * 40.0}, 1); };
    g.attributes = {"Red", "Green"};
    g.add_strength = g.remove_strength = 1.0;
    g.steps = 60;
    auto faces = [&](const at::Tensor& idx) {
      const auto part_lacking = (red(x.index_select(0, idx)) < r0).nonzero().flatten(), part_having = (red(x.index_select(0, idx)) >= r0).nonzero().flatten();
      const auto zl = z.index_select(0, idx), xl = x.index_select(0, idx);
      return GuideFaces{zl.index_select(0, part_lacking), zl.index_select(0, part_having), xl.index_select(0, part_lacking),
                        xl.index_select(0, part_having)};
    };
    const auto train = faces(at::arange(0, 48, at::kLong)), validation = faces(at::arange(48, n, at::kLong));
    const auto r = guide_direction(glow, g, 0, d0, train, 5.0, 1);
    auto said = [](const GuidedDirection& r) {
      return QString("add %1 -> %2, remove %3 -> %4, others %5 -> %6, moved %7")
          .arg(r.before.add).arg(r.after.add).arg(r.before.remove).arg(r.after.remove).arg(r.before.others).arg(r.after.others).arg(r.moved);
    };
    QVERIFY2(r.before.others > 0.2, qPrintable("the fitted direction must drag green: " + said(r)));
    QVERIFY2(r.after.others < 0.5 * r.before.others, qPrintable(said(r)));
    QVERIFY2(r.after.add >= 0.9 && r.after.remove >= 0.9, qPrintable(said(r)));
    QVERIFY2(r.moved > 0.05, qPrintable(said(r)));
    QCOMPARE(r.direction.sizes(), d0.sizes());
    QCOMPARE(r.hold, 5.0);
    // Deterministic for its seed.
    QVERIFY(at::equal(guide_direction(glow, g, 0, d0, train, 5.0, 1).direction, r.direction));
    // With no hold the refinement does not spare green: the hold is what does.
    const auto loose = guide_direction(glow, g, 0, d0, train, 0.0, 1);
    QVERIFY2(loose.after.others > r.after.others + 0.1, qPrintable(said(loose) + " vs " + said(r)));

    // Among several holds, faces it was not refined on choose: the hold that spares green. When no
    // hold is tried that does better than the fitted direction on them, the fitted one is kept.
    g.holds = {0.0, 5.0};
    const auto chosen = choose_guided(glow, g, 0, d0, train, validation, 1);
    QVERIFY2(chosen.refined && chosen.hold == 5.0, qPrintable(QString("hold %1: ").arg(chosen.hold) + said(chosen)));
    g.holds = {5.0, 0.0};
    QCOMPARE(choose_guided(glow, g, 0, d0, train, validation, 1).hold, 5.0);
    QVERIFY2(chosen.after.shortfall() < chosen.before.shortfall(), qPrintable(said(chosen)));
    QVERIFY(at::equal(chosen.direction, r.direction));
    g.holds = {0.0};
    g.steps = 1;
    const auto kept = choose_guided(glow, g, 0, d0, train, validation, 1);
    QVERIFY2(!kept.refined && at::equal(kept.direction, d0), qPrintable(said(kept)));

    // A check (attributes --guide-check) reads the validation faces instead of the guide: one whose
    // other output reads red against green sees the refinement that spares green drag it (red
    // rises alone), where the fitted direction brightening both does not; the hold the guide liked
    // is not taken, and the figures returned are the check's.
    g.holds = {0.0, 5.0};
    g.steps = 60;
    g.check = [&](const at::Tensor& im) { return at::stack({(red(im) - r0) * 40.0, (red(im) - green(im) - (r0 - g0)) * 40.0}, 1); };
    const auto checked = choose_guided(glow, g, 0, d0, train, validation, 1);
    QVERIFY2(!(checked.refined && checked.hold == 5.0), qPrintable(QString("hold %1: ").arg(checked.hold) + said(checked)));
    QVERIFY2(checked.before.others < 0.5 * chosen.before.others, qPrintable(said(checked) + " vs " + said(chosen)));
    g.check = nullptr;

    // A guide whose other output reads red too: sparing it can only weaken the named one. A strong
    // hold then drags the other less (a smaller shortfall as such), but crosses on fewer faces:
    // not taken, the fitted direction kept.
    g.logits = [&](const at::Tensor& im) { return at::stack({(red(im) - r0) * 40.0, (red(im) - r0) * 40.0}, 1); };
    g.attributes = {"Red", "Red too"};
    g.steps = 60;
    const auto weakened = guide_direction(glow, g, 0, d0, validation, 50.0, 1);
    QVERIFY2(std::min(weakened.after.add - weakened.before.add, weakened.after.remove - weakened.before.remove) < -0.1 &&
                 weakened.after.shortfall() < weakened.before.shortfall(),
             qPrintable(said(weakened)));
    g.holds = {50.0};
    const auto spared = choose_guided(glow, g, 0, d0, validation, validation, 1);
    QVERIFY2(!spared.refined && at::equal(spared.direction, d0), qPrintable(said(spared)));
  }

  // The guide reads each decode through a random small resampling (Guide::jitter): a guide that
  // reads one pixel alone is barely moved by a direction that brightens that pixel only, while a
  // direction that brightens the whole image moves it as before.
  void theGuideReadsThroughAResampling() {
    at::manual_seed(43);
    Glow glow = test::initialised_toy_glow();
    const int64_t n = 32, d = glow->config().dimension();
    at::Tensor z, x, spot, broad;
    {
      c10::InferenceMode guard;
      z = at::randn({n, d}) * 0.1;
      x = glow->decode(glow->unflatten(z));
      auto dot = at::zeros_like(x.narrow(0, 0, 1));
      dot.select(2, 3).select(2, 3).fill_(0.4);
      spot = (glow->flatten(glow->encode(x + dot).eps) - z).mean(0);
      broad = (glow->flatten(glow->encode(x + 0.1).eps) - z).mean(0);
    }
    const double p0 = x.select(2, 3).select(2, 3).mean(1).median().item<double>();
    Guide g;
    g.logits = [&](const at::Tensor& im) { return ((im.select(2, 3).select(2, 3).mean(1) - p0) * 40.0).unsqueeze(1); };
    g.attributes = {"Spot"};
    g.add_strength = g.remove_strength = 1.0;
    g.steps = 1;
    g.holds = {0.0};
    const auto low = (x.select(2, 3).select(2, 3).mean(1) < p0).nonzero().flatten(), high = (x.select(2, 3).select(2, 3).mean(1) >= p0).nonzero().flatten();
    const GuideFaces f{z.index_select(0, low), z.index_select(0, high), x.index_select(0, low), x.index_select(0, high)};
    auto reading = [&](const at::Tensor& dir, bool jitter) {
      g.jitter = jitter;
      return choose_guided(glow, g, 0, dir, f, f, 1).before;
    };
    const auto spot_exact = reading(spot, false), spot_jittered = reading(spot, true);
    const auto broad_exact = reading(broad, false), broad_jittered = reading(broad, true);
    const QString figures = QString("spot %1 -> %2, broad %3 -> %4").arg(spot_exact.add).arg(spot_jittered.add).arg(broad_exact.add).arg(broad_jittered.add);
    QVERIFY2(spot_exact.add >= 0.9 && broad_exact.add >= 0.9, qPrintable(figures));
    QVERIFY2(spot_jittered.add <= spot_exact.add - 0.3, qPrintable(figures));
    QVERIFY2(broad_jittered.add >= 0.9, qPrintable(figures));
  }
  // Several judges read together as one guide (attributes --guide A,B): the mean of their logits
  // on a decode, the files named in what is recorded; a judge of other attributes, or one that is
  // not a judge of attributes, refused, naming its file.
  void severalJudgesGuideAsTheMeanOfTheirLogits() {
    QTemporaryDir dir;
    const auto path = [&](const char* name) { return (dir.path() + "/" + name).toStdString(); };
    at::manual_seed(5);
    JudgeNet a(2), b(2), other(2), age(1);
    save_judge(path("a.safetensors"), a, {"Red", "Green"}, 16);
    save_judge(path("b.safetensors"), b, {"Red", "Green"}, 16);
    save_judge(path("other.safetensors"), other, {"Red", "Blue"}, 16);
    save_judge(path("age.safetensors"), age, {"Age"}, 16, "years");
    const auto both = load_guide_judges({path("a.safetensors"), path("b.safetensors")}, 5, at::kCPU);
    QCOMPARE(QString::fromStdString(both.name), QString("a.safetensors+b.safetensors"));
    QCOMPARE(both.attributes, (std::vector<std::string>{"Red", "Green"}));
    const auto x = at::rand({3, 3, 16, 16}) - 0.5;
    const auto la = load_judge(path("a.safetensors")).net->forward_decoded(x, 5);
    const auto lb = load_judge(path("b.safetensors")).net->forward_decoded(x, 5);
    QVERIFY(!at::allclose(la, lb));
    QVERIFY(at::allclose(both.logits(x), (la + lb) / 2, 1e-5, 1e-6));
    // the gradient reaches the decode through both
    const auto xg = x.clone().set_requires_grad(true);
    both.logits(xg).sum().backward();
    QVERIFY(xg.grad().defined() && xg.grad().abs().sum().item<double>() > 0);
    const auto one = load_guide_judges({path("a.safetensors")}, 5, at::kCPU);
    QVERIFY(at::allclose(one.logits(x), la));
    const QString mixed = test::error_of([&] { load_guide_judges({path("a.safetensors"), path("other.safetensors")}, 5, at::kCPU); });
    QVERIFY2(mixed.contains("other.safetensors") && mixed.contains("other attributes"), qPrintable(mixed));
    const QString aged = test::error_of([&] { load_guide_judges({path("a.safetensors"), path("age.safetensors")}, 5, at::kCPU); });
    QVERIFY2(aged.contains("age.safetensors") && aged.contains("age judge"), qPrintable(aged));
  }
};

QTEST_GUILESS_MAIN(TestGuide)
#include "test_guide.moc"
