// The optimiser and the training step's flat buffers (train/flat_params.h): the same updates as a
// per-tensor Adam, the model's caches see every update, and parameters moved elsewhere are bound
// again without losing their values or the optimiser's state.
#include <QtTest/QtTest>

#include <cmath>
#include <vector>

#include "flow/glow.h"
#include "glowlab.h"
#include "testutil.h"
#include "train/optimizer.h"
#include "train/train_step.h"

using namespace glowlab;

namespace {

// Adam or Adamax as the paper writes it, one tensor at a time (the optimiser before its buffers
// were flat).
struct Reference {
  std::vector<at::Tensor> p, m, v;
  bool adamax;
  int t = 0;
  void step(const std::vector<at::Tensor>& g, double lr) {
    ++t;
    const double b1 = 0.9, b2 = 0.999, eps = 1e-8;
    for (size_t i = 0; i < p.size(); ++i) {
      m[i] = b1 * m[i] + (1 - b1) * g[i];
      if (adamax) {
        v[i] = at::maximum(b2 * v[i], g[i].abs());
        p[i] = p[i] - lr / (1 - std::pow(b1, t)) * m[i] / (v[i] + eps);
      } else {
        v[i] = b2 * v[i] + (1 - b2) * g[i] * g[i];
        p[i] = p[i] - lr / (1 - std::pow(b1, t)) * m[i] / ((v[i] / (1 - std::pow(b2, t))).sqrt() + eps);
      }
    }
  }
};

std::vector<at::Tensor> some_parameters() {
  return {at::randn({3, 4}).requires_grad_(), at::randn({5}).requires_grad_(), at::randn({2, 2, 3, 3}).requires_grad_()};
}

double max_diff(const std::vector<at::Tensor>& a, const std::vector<at::Tensor>& b) {
  double d = 0.0;
  for (size_t i = 0; i < a.size(); ++i) d = std::max(d, (a[i].detach() - b[i]).abs().max().item<double>());
  return d;
}

}  // namespace

class TestOptimizer : public QObject {
  Q_OBJECT

 private Q_SLOTS:
  void initTestCase() { init_runtime(); }

  void flatUpdatesMatchAPerTensorAdam() {
    for (const char* kind : {"adam", "adamax"}) {
      at::manual_seed(3);
      auto params = some_parameters();
      Reference ref{{}, {}, {}, std::string(kind) == "adamax"};
      for (const auto& p : params) {
        ref.p.push_back(p.detach().clone());
        ref.m.push_back(at::zeros_like(p));
        ref.v.push_back(at::zeros_like(p));
      }
      FlowOptimizer opt(params, kind);
      QCOMPARE(max_diff(params, ref.p), 0.0);  // values kept by the binding
      for (int step = 0; step < 6; ++step) {
        opt.zero_grad();
        std::vector<at::Tensor> g;
        for (const auto& p : params) {
          g.push_back(at::randn(p.sizes()));
          p.mutable_grad().add_(g.back());  // as autograd accumulates: in place, into the buffer
        }
        opt.step(1e-2);
        ref.step(g, 1e-2);
      }
      QVERIFY2(max_diff(params, ref.p) < 1e-6, kind);
      QVERIFY2(max_diff(opt.first_moments(), ref.m) < 1e-6, kind);
      QVERIFY2(max_diff(opt.second_moments(), ref.v) < 1e-6, kind);
      // The flat buffer is the parameters: one write reaches both.
      QCOMPARE(opt.flat_values().numel(), 12 + 5 + 36);
      QCOMPARE(opt.flat_values()[12].item<float>(), params[1].view(-1)[0].item<float>());
    }
  }

  void gradientsAccumulateIntoTheBuffer() {
    at::manual_seed(4);
    auto params = some_parameters();
    FlowOptimizer opt(params, "adam");
    opt.zero_grad();
    ((params[0] * 2).sum() + params[2].pow(2).sum()).backward();
    QVERIFY(at::allclose(opt.flat_grads().narrow(0, 0, 12), at::full({12}, 2.0)));
    QVERIFY(at::allclose(opt.flat_grads().narrow(0, 17, 36), 2 * params[2].detach().reshape(-1)));
    QCOMPARE(opt.flat_grads().narrow(0, 12, 5).abs().sum().item<double>(), 0.0);  // unused: zero
    opt.zero_grad();
    QCOMPARE(params[0].grad().abs().sum().item<double>(), 0.0);
  }

  // The flow folds its weights once per change (flow/weight_cache.h, keyed on each parameter's
  // version): an update written into the flat buffer must reach a decode, and the moving average's.
  void updatesReachTheFlowsFoldedWeights() {
    at::manual_seed(5);
    Glow glow(test::tiny_config(8, 2, 2, 8)), ema(test::tiny_config(8, 2, 2, 8)), fresh(test::tiny_config(8, 2, 2, 8));
    glow->initialize(at::rand({8, 3, 8, 8}) - 0.5);
    ema->initialize(at::rand({8, 3, 8, 8}) - 0.5);
    FlowOptimizer opt(glow->parameters(), "adam");
    TrainStep step(glow, ema, opt, /*clip_norm=*/0, /*ema_decay=*/0.5);
    const auto eps = glow->sample_eps(2, 0.7, 1);
    at::Tensor before_glow, before_ema;
    {
      at::NoGradGuard g;
      glow->eval();
      ema->eval();
      before_glow = glow->decode(eps);  // folds and caches
      before_ema = ema->decode(eps);
      glow->train();
    }
    QVERIFY(step.run(at::rand({4, 3, 8, 8}) - 0.5, 1e-2, 0));
    at::NoGradGuard g;
    glow->eval();
    ema->eval();
    fresh->eval();
    auto decode_fresh = [&](Glow& from) {
      auto a = fresh->parameters(), b = from->parameters();
      for (size_t i = 0; i < a.size(); ++i) a[i].copy_(b[i]);
      auto ba = fresh->buffers(), bb = from->buffers();
      for (size_t i = 0; i < ba.size(); ++i) ba[i].copy_(bb[i]);
      return fresh->decode(eps);
    };
    const auto after_glow = glow->decode(eps), after_ema = ema->decode(eps);
    QVERIFY((after_glow - before_glow).abs().max().item<double>() > 1e-4);
    QVERIFY((after_ema - before_ema).abs().max().item<double>() > 1e-4);
    QVERIFY((after_glow - decode_fresh(glow)).abs().max().item<double>() < 1e-6);
    QVERIFY((after_ema - decode_fresh(ema)).abs().max().item<double>() < 1e-6);
  }

  // A parameter whose data was replaced (as moving a module to another device does) is bound
  // again at the next step: its value, its gradient and the optimiser's moments carry over.
  void replacedParametersAreBoundAgain() {
    at::manual_seed(6);
    auto params = some_parameters();
    auto twins = std::vector<at::Tensor>();
    for (const auto& p : params) twins.push_back(p.detach().clone().requires_grad_());
    FlowOptimizer opt(params, "adam"), twin(twins, "adam");
    auto set_grads = [&](int seed) {
      at::manual_seed(seed);
      for (size_t i = 0; i < params.size(); ++i) {
        const auto g = at::randn(params[i].sizes());
        params[i].mutable_grad().copy_(g);
        twins[i].mutable_grad().copy_(g);
      }
    };
    opt.zero_grad();
    twin.zero_grad();
    set_grads(7);
    opt.step(1e-2);
    twin.step(1e-2);
    {
      at::NoGradGuard g;
      params[1].set_data(params[1].detach().clone());  // no longer in the buffer
      params[2].mutable_grad() = params[2].grad().clone();
    }
    set_grads(8);
    opt.step(1e-2);
    twin.step(1e-2);
    QVERIFY(max_diff(params, std::vector<at::Tensor>(twins.begin(), twins.end())) < 1e-7);
    QCOMPARE(opt.flat_values()[12].item<float>(), params[1].view(-1)[0].item<float>());  // bound again
    QVERIFY(max_diff(opt.first_moments(), twin.first_moments()) < 1e-7);
  }

  void mixedTypesAreRefused() {
    std::vector<at::Tensor> mixed{at::zeros({2}).requires_grad_(), at::zeros({2}, at::kDouble).requires_grad_()};
    QVERIFY_THROWS_EXCEPTION(Error, FlowOptimizer(mixed, "adam"));
  }
};

QTEST_GUILESS_MAIN(TestOptimizer)
#include "test_optimizer.moc"
