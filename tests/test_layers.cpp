// Every flow layer: exact inverse, and log-determinant equal to the brute-force autograd Jacobian.
#include <QtTest/QtTest>

#include <cmath>

#include <c10/core/InferenceMode.h>

#include <nlohmann/json.hpp>

#include "bench/profile.h"
#include "flow/actnorm.h"
#include "flow/conv.h"
#include "flow/coupling.h"
#include "flow/flowstep.h"
#include "flow/glow.h"
#include "flow/invconv.h"
#include "glowlab.h"
#include "testutil.h"

using namespace glowlab;

namespace {

// A layer under test as forward (y, per-sample or scalar logdet) and reverse.
struct Layer {
  std::function<std::pair<at::Tensor, at::Tensor>(const at::Tensor&)> forward;
  std::function<at::Tensor(const at::Tensor&)> reverse;
  std::shared_ptr<torch::nn::Module> module;
};

Layer make_layer(const QString& kind, int64_t channels) {
  GlowConfig c = test::tiny_config();
  c.width = 8;
  if (kind == "actnorm") {
    auto m = ActNorm(channels);
    m->initialize(at::randn({4, channels, 4, 4}) * 3 + 1);
    return {[m](const at::Tensor& x) mutable { return m->forward(x); }, [m](const at::Tensor& y) mutable { return m->reverse(y); }, m.ptr()};
  }
  if (kind == "invconv-lu" || kind == "invconv-plain" || kind == "invconv-reverse") {
    const auto p = kind == "invconv-lu" ? Permutation::LU : kind == "invconv-plain" ? Permutation::Plain : Permutation::Reverse;
    auto m = InvConv1x1(channels, p);
    return {[m](const at::Tensor& x) mutable { return m->forward(x); }, [m](const at::Tensor& y) mutable { return m->reverse(y); }, m.ptr()};
  }
  if (kind.startsWith("coupling-")) {
    auto m = Coupling(channels, 8, kind == "coupling-additive" ? CouplingType::Additive : CouplingType::Affine,
                      kind == "coupling-bounded" ? 0.3 : 0.0);
    return {[m](const at::Tensor& x) mutable { return m->forward(x); }, [m](const at::Tensor& y) mutable { return m->reverse(y); }, m.ptr()};
  }
  if (kind == "flowstep" || kind == "flowstep-bounded") {
    if (kind == "flowstep-bounded") c.scale_min = kDefaultScaleMin;
    auto m = FlowStep(channels, c);
    return {[m](const at::Tensor& x) mutable { return m->forward(x); }, [m](const at::Tensor& y) mutable { return m->reverse(y); }, m.ptr()};
  }
  // squeeze: a pure permutation of the pixels.
  return {[](const at::Tensor& x) { return std::make_pair(squeeze2x2(x), at::zeros({}, x.options())); },
          [](const at::Tensor& y) { return unsqueeze2x2(y); }, nullptr};
}

}  // namespace

class TestLayers : public QObject {
  Q_OBJECT

 private Q_SLOTS:
  void initTestCase() { at::manual_seed(7); }

  void inverseAndLogDet_data() {
    QTest::addColumn<QString>("kind");
    for (const char* k : {"actnorm", "invconv-lu", "invconv-plain", "invconv-reverse", "coupling-affine",
                          "coupling-bounded", "coupling-additive", "flowstep", "flowstep-bounded", "squeeze",
                          "coupling-affine-bf16", "coupling-bounded-bf16", "flowstep-bf16"}) {
      QTest::newRow(k) << QString(k);
    }
  }

  // The -bf16 rows run the coupling networks' hidden convolutions in bf16: a layer's inverse and
  // log-det stay exact (its network sees the same input both ways; the determinant is the scales').
  void inverseAndLogDet() {
    QFETCH(QString, kind);
    struct Restore {
      ~Restore() { set_precision(Precision::FP32); }
    } restore;
    if (kind.endsWith("-bf16")) {
      set_precision(Precision::BF16);
      kind.chop(5);
    }
    const int64_t channels = 4;
    auto layer = make_layer(kind, channels);
    if (layer.module) {
      layer.module->to(at::kDouble);
      test::perturb(*layer.module, 0.2);  // leave the identity initialisation behind
    }
    const auto x = at::randn({1, channels, 4, 4}, at::kDouble);
    layer.forward(at::randn({2, channels, 4, 4}, at::kDouble));  // data-dependent inits happen here, not below
    auto [y, logdet] = layer.forward(x);
    // Exact inverse in float64.
    const double inv_err = (layer.reverse(y) - x).abs().max().item<double>();
    QVERIFY2(inv_err < 1e-10, qPrintable(QString("%1: inverse error %2").arg(kind).arg(inv_err)));
    // Log-det against the brute-force Jacobian.
    const double expected = test::brute_force_log_abs_det([&](const at::Tensor& in) { return layer.forward(in).first; }, x);
    const double got = logdet.sum().item<double>();
    QVERIFY2(std::abs(got - expected) < 1e-8,
             qPrintable(QString("%1: log-det %2, brute force %3").arg(kind).arg(got).arg(expected)));
    if (kind != "squeeze" && kind != "invconv-reverse" && kind != "coupling-additive") QVERIFY(std::abs(got) > 1e-3);  // a non-trivial check
  }

  void actNormInitialisesToZeroMeanUnitStd() {
    auto m = ActNorm(5);
    QVERIFY(!m->initialized());
    const auto x = at::randn({8, 5, 6, 6}) * at::tensor({0.1f, 1.f, 3.f, 10.f, 0.5f}).view({1, 5, 1, 1}) +
                   at::tensor({-2.f, 0.f, 5.f, 1.f, 100.f}).view({1, 5, 1, 1});
    auto y = m->forward(x).first;
    QVERIFY(m->initialized());
    const auto mean = y.mean({0, 2, 3});
    const auto std = y.transpose(0, 1).reshape({5, -1}).std(1, /*unbiased=*/false);
    QVERIFY(mean.abs().max().item<double>() < 1e-4);
    QVERIFY((std - 1).abs().max().item<double>() < 1e-4);
    // A second batch must not re-initialise.
    const auto loc = m->loc.clone();
    m->forward(x * 2);
    QVERIFY(at::equal(loc, m->loc));
  }

  void luLogDetEqualsSlogdet() {
    auto m = InvConv1x1(6, Permutation::LU);
    m->to(at::kDouble);
    test::perturb(*m, 0.3);
    auto [y, logdet] = m->forward(at::randn({1, 6, 3, 5}, at::kDouble));
    const double slog = std::get<1>(at::linalg_slogdet(m->weight())).item<double>();
    QVERIFY(std::abs(logdet.item<double>() - 15.0 * slog) < 1e-9);
  }

  // The folded, cached inference weights of a flow step (ActNorm + 1x1 conv, and the coupling's
  // network) follow an in-place weight change: inference equals the unfolded training path.
  void foldedWeightsFollowAWeightChange() {
    GlowConfig c = test::tiny_config();
    c.width = 8;
    auto m = FlowStep(4, c);
    m->to(at::kDouble);
    const auto x = at::randn({2, 4, 4, 4}, at::kDouble);
    m->forward(x);  // data-dependent init
    test::perturb(*m, 0.2);
    at::Tensor before;
    {
      c10::InferenceMode guard;
      before = m->forward(x).first;  // fills the caches
    }
    for (const char* name : {"coupling.conv1_weight", "coupling.out.weight", "actnorm.logs", "invconv.upper"}) {
      {
        at::NoGradGuard g;
        m->named_parameters()[name].add_(0.1);
      }
      at::Tensor cached, back;
      {
        c10::InferenceMode guard;
        cached = m->forward(x).first;
        back = m->reverse(cached);
      }
      const auto fresh = m->forward(x).first.detach();  // gradients on: folded afresh every call
      QVERIFY2(at::allclose(cached, fresh, 1e-9, 1e-9), name);
      QVERIFY2(!at::allclose(cached, before, 1e-5, 1e-5), name);
      QVERIFY2((back - x).abs().max().item<double>() < 1e-8, name);
      before = cached;
    }
  }

  void inverseIsCachedAndRefreshed() {
    auto m = InvConv1x1(6, Permutation::LU);
    const auto x = at::randn({2, 6, 4, 4});
    {
      c10::InferenceMode guard;
      m->reverse(x);
      m->reverse(x);
      m->reverse(x);
    }
    QCOMPARE(m->inversions(), int64_t{1});
    {
      at::NoGradGuard g;
      m->named_parameters()["upper"].add_(0.5);  // an optimiser step changes the weights in place
    }
    at::NoGradGuard g;
    auto y = m->forward(x).first;
    const double err = (m->reverse(y) - x).abs().max().item<double>();
    QCOMPARE(m->inversions(), int64_t{2});
    QVERIFY2(err < 1e-5, qPrintable(QString::number(err)));
    m->reverse(y);
    QCOMPARE(m->inversions(), int64_t{2});
  }

  // Issue 30: the flow step's 1x1 mix trains as batched matrix products with a backward of its
  // own; its values and gradients are a 1x1 convolution's.
  void channelMixTrainsAsA1x1Convolution() {
    const auto x = at::randn({3, 12, 5, 7}).requires_grad_(), w = at::randn({12, 12}).requires_grad_(),
               b = at::randn({12}).requires_grad_();
    const auto x2 = x.detach().clone().requires_grad_(), w2 = w.detach().clone().requires_grad_(),
               b2 = b.detach().clone().requires_grad_();
    const auto y = channel_mix(x, w, b), y2 = at::conv2d(x2, w2.view({12, 12, 1, 1}), b2);
    QVERIFY(at::allclose(y, y2, 1e-5, 1e-5));
    // The gradient as it arrives in a flow: a channel slice of a larger one (not contiguous).
    const auto g = at::randn({3, 24, 5, 7}).narrow(1, 6, 12);
    y.backward(g);
    y2.backward(g);
    QVERIFY(at::allclose(x.grad(), x2.grad(), 1e-5, 1e-5));
    QVERIFY(at::allclose(w.grad(), w2.grad(), 1e-4, 1e-5));
    QVERIFY(at::allclose(b.grad(), b2.grad(), 1e-4, 1e-5));
    QVERIFY(y.grad_fn()->name().find("ChannelMix") != std::string::npos);  // its own backward ran
    at::NoGradGuard off;
    QVERIFY(at::allclose(channel_mix(x, w, b), y2, 1e-5, 1e-5));  // inference: the convolution
  }

  // Issue 30: inference convolutions run on oneDNN at any size (ATen's own choice took a batch-1
  // 3x3 over a small input to its slow im2col path) and equal at::conv2d; bench says where the time
  // goes and how far it is from the machine's limit.
  void inferenceConvolutionsRunOnOneDnn() {
    const auto x = at::randn({1, 6, 8, 8}), w = at::randn({16, 6, 3, 3}), b = at::randn({16});
    at::Tensor fast;
    {
      c10::InferenceMode guard;
      fast = flow_conv2d(x, w, b, 1);
    }
    QVERIFY(at::allclose(fast, at::conv2d(x, w, b, 1, 1), 1e-5, 1e-5));
    GlowConfig c;
    c.image_size = 16;
    c.levels = 2;
    c.steps = 2;
    c.width = 16;
    // Level 1 (8x8, 12 channels): 2 steps of 2*64*(12*12 + 9*6*16 + 16*16 + 9*16*12) and the split's
    // prior 2*64*9*6*12; level 2 (4x4, 24 channels): 2 steps of 2*16*(24*24 + 9*12*16 + 16*16 + 9*16*24).
    QCOMPARE(flow_flops(c), 2 * 382976.0 + 82944.0 + 2 * 192512.0);
    BenchOptions o;
    o.config = c;
    o.iterations = 3;
    o.train_steps = 1;
    o.batch = 2;
    o.profile = true;
    const auto j = nlohmann::json::parse(run_bench(o));
    QCOMPARE(j["gflop_per_pass"].get<double>(), flow_flops(c) / 1e9);
    QVERIFY(j["machine_peak"]["gflops"].get<double>() > 0);
    QVERIFY(j["decode_share_of_peak"].get<double>() > 0);
    const auto& decode = j["profile"]["decode"];
    QVERIFY(decode["by_level"].contains("level1") && decode["by_level"].contains("level2"));
    QStringList ops;
    for (const auto& op : decode["by_op"]) ops << QString::fromStdString(op["op"].get<std::string>());
    QVERIFY2(ops.contains("aten::mkldnn_convolution"), qPrintable(ops.join(", ")));
    QVERIFY2(!ops.contains("aten::_slow_conv2d_forward"), qPrintable(ops.join(", ")));
    QVERIFY(j["profile"].contains("train_step"));
    QVERIFY(j["profile"]["train_step"]["operator_calls"].get<int64_t>() > 0);
    for (const char* part : {"forward_and_backward", "clip_and_optimiser", "finiteness_check", "moving_average"}) {
      QVERIFY2(j["profile"]["train_step_parts_ms"][part].get<double>() > 0, part);
    }
    // --photo: File > Open and a render, step by step (a photo without a face: centre-cropped).
    QTemporaryDir dir;
    const std::string photo = dir.filePath("photo.png").toStdString();
    write_image(photo, test::random_image(40, 3, 5));
    BenchOptions p;
    p.model_path = std::string(GLOWLAB_SOURCE_DIR) + "/resources/models/faces64.glow";
    p.photo = photo;
    p.iterations = 2;
    p.train_steps = 1;
    p.batch = 1;
    const auto open = nlohmann::json::parse(run_bench(p))["open_photo"];
    for (const char* key : {"read_ms", "face_and_landmarks_ms", "align_ms", "encode_ms", "bits_per_dim_ms", "decode_ms", "guarded_render_ms"}) {
      QVERIFY2(open[key].get<double>() > 0, key);
    }
    QVERIFY(std::isfinite(open["guard_ms"].get<double>()));
    p.model_path.clear();
    QVERIFY_THROWS_EXCEPTION(Error, run_bench(p));  // a photo needs a model's framing
  }
};

QTEST_GUILESS_MAIN(TestLayers)
#include "test_layers.moc"
