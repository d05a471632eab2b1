// Attribute directions and the judge: directions recover a known answer, regression separates
// correlated attributes, directions are stored in the model, the judge scores edits.
#include <QtTest/QtTest>

#include <algorithm>
#include <cmath>

#include <c10/core/InferenceMode.h>
#include <nlohmann/json.hpp>

#include "bundle/model_file.h"
#include "core/atomic_file.h"
#include "data/dataset.h"
#include "data/pixels.h"
#include "glowlab.h"
#include "latent/directions.h"
#include "testutil.h"
#include "toy_celeba.h"
#include "directions_fixtures.h"

using namespace glowlab;
using test::make_celeba;
using test::tiny_options;
using test::toy_image;
using test::tiny_judge_options;
using test::tiny_model_with_directions;
using test::error_of;

namespace {

// A labelled set whose images are a flow's decodes of latents `z` [N, D], one attribute `name`
// labelled by `sign` (+1 / -1 per face), all in the training partition.
Dataset decoded_set(Glow& glow, const at::Tensor& z, const at::Tensor& sign, const std::string& name) {
  Dataset data;
  {
    c10::InferenceMode guard;
    data.images = to_pixels(glow->decode(glow->unflatten(z)), glow->config().n_bits);
  }
  data.labels = sign.to(at::kChar).unsqueeze(1);
  data.attribute_names = {name};
  data.partition.assign(static_cast<size_t>(z.size(0)), 0);
  return data;
}

}  // namespace

class TestDirections : public QObject {
  Q_OBJECT
  QTemporaryDir dir_;
  QString data_;

 private Q_SLOTS:
  void initTestCase() {
    init_runtime();
    data_ = make_celeba(dir_, 96, 16);
  }

  void directionsRecoverAKnownAnswer() {
    // Latents z = noise + v (positives) or noise - v (negatives), decoded to images by a model;
    // the direction computed from the images must be 2v. Small enough that the decodes along it
    // stay fit to show (an untrained model's larger edits paint colour noise, where ranges end).
    at::manual_seed(11);
    Glow glow = test::initialised_toy_glow();
    const auto c = glow->config();
    const int64_t n = 200, d = c.dimension();
    const auto v = (at::randint(0, 2, {d}).to(at::kFloat) * 2 - 1) * 0.03;
    const auto sign = (at::arange(n) % 2 == 0).to(at::kFloat) * 2 - 1;  // +1, -1, ...
    const auto z = at::randn({n, d}) * 0.03 + sign.unsqueeze(1) * v;
    const Dataset data = decoded_set(glow, z, sign, "Known");
    DirectionOptions dopt;
    dopt.method = "mean";
    dopt.range_sample = 100;
    const auto dirs = compute_directions(glow, data, dopt);
    QCOMPARE(dirs.attributes.size(), size_t{1});
    QCOMPARE(dirs.attributes[0].positives, int64_t{100});
    const auto got = dirs.directions[0], want = 2 * v;
    const double cosine = (got.dot(want) / (got.norm() * want.norm())).item<double>();
    const double ratio = (got.norm() / want.norm()).item<double>();
    QVERIFY2(cosine > 0.95, qPrintable(QString::number(cosine)));
    QVERIFY2(std::abs(ratio - 1) < 0.1, qPrintable(QString::number(ratio)));
    // Negatives sit at -v and positives at +v, d = 2v: the decoder takes a negative to where the
    // positives sit at a strength near 1 (more for the 90% quantile, as faces are spread).
    QVERIFY2(dirs.attributes[0].range_max > 0.8 && dirs.attributes[0].range_max < 2.0,
             qPrintable(QString::number(dirs.attributes[0].range_max)));
    QVERIFY2(dirs.attributes[0].range_min < -0.8 && dirs.attributes[0].range_min > -2.0,
             qPrintable(QString::number(dirs.attributes[0].range_min)));
    // The ranges' ends are held to max_range (attributes --max-range).
    dopt.max_range = 0.6;
    const auto held = compute_directions(glow, data, dopt);
    QVERIFY(held.attributes[0].range_max >= 0.5 && held.attributes[0].range_max <= 0.6);
    QVERIFY(held.attributes[0].range_min <= -0.5 && held.attributes[0].range_min >= -0.6);
  }

  // The known answer again, with an effect large enough that decodes along it paint colour noise
  // (an untrained model) before the faces lacking it reach where those having it sit: the range
  // ends where at most max_unfit of the sampled faces decode unfit, not where the pixels arrive.
  void aRangeEndsBeforeItsEditsPaintGarbage() {
    at::manual_seed(13);
    Glow glow = test::initialised_toy_glow();
    const auto c = glow->config();
    const int64_t n = 200, sample = 100, d = c.dimension();
    const auto v = (at::randint(0, 2, {d}).to(at::kFloat) * 2 - 1) * 0.1;
    const auto sign = (at::arange(n) % 2 == 0).to(at::kFloat) * 2 - 1;
    const Dataset data = decoded_set(glow, at::randn({n, d}) * 0.1 + sign.unsqueeze(1) * v, sign, "Known");
    DirectionOptions dopt;
    dopt.method = "mean";
    dopt.range_sample = sample;
    dopt.max_unfit = 0.02;
    const auto a = compute_directions(glow, data, dopt);
    dopt.max_unfit = 1;  // no such limit: where the pixels arrive
    const auto arrive = compute_directions(glow, data, dopt).attributes[0];
    c10::InferenceMode guard;
    const auto eps = glow->flatten(glow->encode(to_model_input(data.images.narrow(0, 0, sample), c.n_bits, at::kFloat, std::nullopt)).eps);
    const auto base = glow->decode(glow->unflatten(eps));
    auto unfit_at = [&](double alpha) {
      const auto x = glow->decode(glow->unflatten(eps + alpha * a.directions[0].unsqueeze(0)));
      return unfit_decodes(x, c.n_bits, base).to(at::kDouble).mean().item<double>();
    };
    const auto& r = a.attributes[0];
    QVERIFY2(unfit_at(arrive.range_max) > 0.5 && unfit_at(arrive.range_min) > 0.5, "the test needs edits that break before they arrive");
    QVERIFY2(r.range_max < arrive.range_max && r.range_min > arrive.range_min,
             qPrintable(QString("%1 %2 against %3 %4").arg(r.range_min).arg(r.range_max).arg(arrive.range_min).arg(arrive.range_max)));
    QVERIFY2(unfit_at(r.range_max) <= 0.02 && unfit_at(r.range_min) <= 0.02,
             qPrintable(QString("%1 at %2, %3 at %4").arg(unfit_at(r.range_max)).arg(r.range_max).arg(unfit_at(r.range_min)).arg(r.range_min)));
    // Brought in no further than it has to be.
    QVERIFY2(unfit_at(r.range_max * 1.15) > 0.02 && unfit_at(r.range_min * 1.15) > 0.02,
             qPrintable(QString("%1 %2").arg(unfit_at(r.range_max * 1.15)).arg(unfit_at(r.range_min * 1.15))));
  }

  // Two attributes whose labels go together (as Male and No_Beard do): the mean difference of the
  // first leaks the second's direction; the joint regression separates them.
  void regressionSeparatesCorrelatedAttributes() {
    at::manual_seed(21);
    Glow glow = test::initialised_toy_glow();
    const auto c = glow->config();
    const int64_t n = 600, d = c.dimension();
    const auto v1 = (at::randint(0, 2, {d}).to(at::kFloat) * 2 - 1) * 0.5;
    const auto v2 = (at::randint(0, 2, {d}).to(at::kFloat) * 2 - 1) * 0.5;
    const auto a1 = at::randint(0, 2, {n}).to(at::kFloat);
    const auto same = (at::rand({n}) < 0.85).to(at::kFloat);
    const auto a2 = a1 * same + (1 - a1) * (1 - same);  // equal to a1 85% of the time
    const auto z = at::randn({n, d}) * 0.5 + a1.unsqueeze(1) * v1 + a2.unsqueeze(1) * v2;
    Dataset data;
    {
      c10::InferenceMode guard;
      data.images = to_pixels(glow->decode(glow->unflatten(z)), c.n_bits);
    }
    data.labels = at::stack({a1 * 2 - 1, a2 * 2 - 1}, 1).to(at::kChar);
    data.attribute_names = {"First", "Second"};
    data.partition.assign(n, 0);
    auto cosine = [](const at::Tensor& a, const at::Tensor& b) { return (a.dot(b) / (a.norm() * b.norm())).item<double>(); };
    DirectionOptions o;
    o.range_sample = 200;
    o.method = "mean";
    const auto mean = compute_directions(glow, data, o);
    o.method = "regression";
    const auto reg = compute_directions(glow, data, o);
    const double mean_cos = cosine(mean.directions[0], v1), reg_cos = cosine(reg.directions[0], v1);
    QVERIFY2(reg_cos > 0.95, qPrintable(QString::number(reg_cos)));
    QVERIFY2(reg_cos > mean_cos + 0.05, qPrintable(QString("regression %1, mean %2").arg(reg_cos).arg(mean_cos)));
    // Regression coefficients are in the same units as the planted vectors.
    QVERIFY(std::abs((reg.directions[0].norm() / v1.norm()).item<double>() - 1) < 0.1);
    // The leak: the mean difference of First points partly along Second; the regression's does not.
    QVERIFY(cosine(mean.directions[0], v2) > 0.3);
    QVERIFY(std::abs(cosine(reg.directions[0], v2)) < 0.1);
    QVERIFY(reg.attributes[0].range_max > 0 && reg.attributes[0].range_min < 0);
    // The conditional edit built in (attributes --condition): the labels go together (phi about
    // 0.7), so each direction is projected off the other's; a threshold above that holds nothing.
    o.condition = 0.5;
    const auto cond = compute_directions(glow, data, o);
    QCOMPARE(cond.attributes[0].held_off, std::vector<std::string>{"Second"});
    QCOMPARE(cond.attributes[1].held_off, std::vector<std::string>{"First"});
    QVERIFY2(std::abs(cosine(cond.directions[0], reg.directions[1])) < 1e-4, qPrintable(QString::number(cosine(cond.directions[0], reg.directions[1]))));
    QVERIFY(cosine(cond.directions[0], v1) > 0.8);
    o.condition = 0.95;
    QVERIFY(compute_directions(glow, data, o).attributes[0].held_off.empty());
    o.condition = 0;
    o.method = "median";
    QVERIFY_THROWS_EXCEPTION(Error, compute_directions(glow, data, o));
  }

  // Per-level shrinkage (attributes --shrink-levels): the planted effect lives on the coarsest level
  // only, so the finest level's part of a fitted direction is sampling noise; it is shrunk to almost
  // nothing and the planted level kept, by both methods; the weights are recorded on the attribute
  // and survive its JSON (a bad one is refused).
  void shrinkingKeepsOnlyTheLevelsThatCarryTheEffect() {
    at::manual_seed(31);
    Glow glow = test::initialised_toy_glow();
    const auto c = glow->config();
    const auto shapes = c.level_shapes();
    const int64_t fine = shapes[0][0] * shapes[0][1] * shapes[0][2], d = c.dimension(), n = 400;
    auto v = at::zeros({d});
    v.narrow(0, fine, d - fine).copy_((at::randint(0, 2, {d - fine}).to(at::kFloat) * 2 - 1) * 0.3);
    const auto sign = (at::arange(n) % 2 == 0).to(at::kFloat) * 2 - 1;
    const auto z = at::randn({n, d}) * 0.7 + sign.unsqueeze(1) * v;
    const Dataset data = decoded_set(glow, z, sign, "Coarse");
    for (const char* method : {"mean", "regression"}) {
      DirectionOptions o;
      o.method = method;
      o.range_sample = 0;
      const auto plain = compute_directions(glow, data, o);
      o.shrink_levels = true;
      const auto shrunk = compute_directions(glow, data, o);
      QVERIFY(plain.attributes[0].level_weights.empty());
      const auto& w = shrunk.attributes[0].level_weights;
      QCOMPARE(w.size(), shapes.size());
      QVERIFY2(w[0] < 0.25 && w[1] > 0.9, qPrintable(QString("%1: %2, %3").arg(method).arg(w[0]).arg(w[1])));
      auto fine_share = [&](const at::Tensor& dir) {
        return (dir.narrow(0, 0, fine).norm() / dir.narrow(0, fine, d - fine).norm()).item<double>();
      };
      QVERIFY2(fine_share(shrunk.directions[0]) < 0.25 * fine_share(plain.directions[0]),
               qPrintable(QString("%1: %2 against %3").arg(method).arg(fine_share(shrunk.directions[0])).arg(fine_share(plain.directions[0]))));
    }
    Attribute a;
    a.name = "Coarse";
    a.level_weights = {0.125, 1.0};
    const auto back = attributes_from_json(attributes_to_json({a}), "test");
    QCOMPARE(back[0].level_weights, a.level_weights);
    a.held_off = {"Other"};
    QCOMPARE(attributes_from_json(attributes_to_json({a}), "test")[0].held_off, a.held_off);
    QVERIFY_THROWS_EXCEPTION(Error, attributes_from_json(R"([{"name":"A","held_off":[1]}])", "test"));
    a.guide = "guide.safetensors";
    QCOMPARE(attributes_from_json(attributes_to_json({a}), "test")[0].guide, a.guide);
    QVERIFY_THROWS_EXCEPTION(Error, attributes_from_json(R"([{"name":"A","guide":2}])", "test"));
    QVERIFY_THROWS_EXCEPTION(Error, attributes_from_json(R"([{"name":"A","level_weights":[1.5]}])", "test"));
  }

  void attributesAreStoredInTheModel() {
    QTemporaryDir run;
    auto o = tiny_options(data_, run.path());
    o.steps = 2;
    train(o);
    AttributeOptions a;
    a.model_path = (run.path() + "/model.glow").toStdString();
    a.output_path = (run.path() + "/with-attrs.glow").toStdString();
    a.data = {data_.toStdString()};
    // Reading the photos is long work too (a landmark pass per photo with align): it reports.
    double read = 0;
    a.reading = [&](double f) { read = f; };
    const auto attrs = add_attributes(a);
    QCOMPARE(read, 1.0);
    QCOMPARE(attrs.size(), size_t{2});
    auto m = Model::load(a.output_path);
    QCOMPARE(m.attributes().size(), size_t{2});
    QCOMPARE(QString::fromStdString(m.attributes()[0].name), QString("Red"));
    // The training partition only (80 of the 96 images): the 16 held-out faces stay unseen.
    QCOMPARE(m.attributes()[0].positives + m.attributes()[0].negatives, int64_t{80});
    const auto latent = m.encode(toy_image(16, 3, false));
    const auto edited = m.decode(m.edit(latent, {{"Red", 1.0}}));
    QVERIFY(edited.bytes != m.decode(latent).bytes);
    // A custom attribute from two folders.
    QTemporaryDir pos, neg;
    for (int i = 0; i < 4; ++i) {
      write_image((pos.path() + QString("/%1.png").arg(i)).toStdString(), toy_image(16, i, true));
      write_image((neg.path() + QString("/%1.png").arg(i)).toStdString(), toy_image(16, i, false));
    }
    AttributeOptions custom;
    custom.model_path = a.output_path;
    custom.positives = pos.path().toStdString();
    custom.negatives = neg.path().toStdString();
    custom.name = "Reddish";
    add_attributes(custom);
    QCOMPARE(Model::load(a.output_path).attributes().size(), size_t{3});
  }

  // The judge pipeline on a tiny model and set (its numbers are meaningless; the plumbing is not).
  void judgeEvaluatesEdits() {
    QTemporaryDir run;
    const auto jt = tiny_judge_options(data_, run.path() + "/judge.safetensors", 1);
    const auto acc = train_judge(jt);
    QCOMPARE(acc.size(), size_t{2});
    QVERIFY(acc[0].accuracy >= 0 && acc[0].accuracy <= 1);
    QVERIFY(acc[0].balanced_accuracy >= 0 && acc[0].balanced_accuracy <= 1);
    EditEvalOptions e;
    e.model = tiny_model_with_directions(data_, run.path());
    e.judge = jt.output;
    e.data = data_.toStdString();
    e.faces = 5;
    e.grid = (run.path() + "/grid.png").toStdString();
    const auto scores = evaluate_edits(e);
    QCOMPARE(scores.size(), size_t{2});
    QCOMPARE(QString::fromStdString(scores[0].attribute), QString("Red"));
    // --only: the named attribute alone, scored as in the whole run; a name the model lacks is refused.
    EditEvalOptions one = e;
    one.grid.clear();
    one.only = {scores[1].attribute};
    const auto alone = evaluate_edits(one);
    QCOMPARE(alone.size(), size_t{1});
    QCOMPARE(alone[0].attribute, scores[1].attribute);
    QCOMPARE(alone[0].add_flip, scores[1].add_flip);
    QCOMPARE(alone[0].others_change, scores[1].others_change);
    one.only = {"Nope"};
    const QString lacked = error_of([&] { evaluate_edits(one); });
    QVERIFY2(lacked.contains("Nope"), qPrintable("an attribute the model lacks: " + lacked));
    QVERIFY(scores[0].eligible_add > 0 && scores[0].eligible_add <= 5);
    QVERIFY(scores[0].add_flip >= 0 && scores[0].add_flip <= 1 && scores[0].others_change >= 0);
    QVERIFY(scores[0].edits >= scores[0].eligible_add && scores[0].unclean >= 0 && scores[0].unclean <= scores[0].edits);
    // The judge as a guide for attributes (--guide): the asked direction is refined, the other kept
    // as fitted; a file that is not a judge is refused, naming it.
    AttributeOptions guided;
    guided.model_path = e.model;
    guided.output_path = (run.path() + "/guided.glow").toStdString();
    guided.data = {data_.toStdString()};
    guided.guides = {jt.output};
    guided.guide_attributes = {"Red"};
    guided.guide_steps = 30;
    guided.guide_holds = {5.0};
    std::vector<std::string> notes;
    guided.note = [&](const std::string& s) { notes.push_back(s); };
    add_attributes(guided);
    const auto plain = load_model(e.model), refined = load_model(guided.output_path);
    const auto red = std::find_if(notes.begin(), notes.end(), [](const std::string& s) { return s.rfind("Red: ", 0) == 0; });
    QVERIFY2(red != notes.end(), "the guide says what it did with Red");
    // Refined, or kept as fitted where faces it was not refined on read the refinement no better:
    // either way it says which, and the model records it.
    if (refined.attributes[0].guide.empty()) {
      QVERIFY2(red->find("the fitted direction kept") != std::string::npos, red->c_str());
      QVERIFY(at::equal(plain.directions[0], refined.directions[0]));
    } else {
      QVERIFY2(red->rfind("Red: refined by the guide at hold 5", 0) == 0, red->c_str());
      QCOMPARE(QString::fromStdString(refined.attributes[0].guide), QString("judge.safetensors"));
      QVERIFY(!at::equal(plain.directions[0], refined.directions[0]));
    }
    QVERIFY(at::equal(plain.directions[1], refined.directions[1]));
    QVERIFY(refined.attributes[1].guide.empty());
    // --only: the named attribute computed again, the model's others kept as they are (here a
    // doubled Red with a made-up range, which a recomputation would undo).
    auto altered = plain;
    altered.directions[0] = altered.directions[0] * 2;
    altered.attributes[0].range_max = 0.75;
    const auto altered_path = (run.path() + "/altered.glow").toStdString();
    save_model(altered_path, altered);
    AttributeOptions only;
    only.model_path = altered_path;
    only.data = {data_.toStdString()};
    only.only = {plain.attributes[1].name};
    std::vector<std::string> stages;
    only.stage = [&](const std::string& s) { stages.push_back(s); };
    add_attributes(only);
    const auto after = load_model(altered_path);
    QCOMPARE(after.attributes.size(), plain.attributes.size());
    QVERIFY(at::equal(after.directions[0], altered.directions[0]));
    QCOMPARE(after.attributes[0].range_max, 0.75);
    QVERIFY(at::allclose(after.directions[1], plain.directions[1], 1e-5, 1e-6));
    QCOMPARE(after.attributes[1].range_max, plain.attributes[1].range_max);
    only.only = {"Nope"};
    const QString unlabelled = error_of([&] { add_attributes(only); });
    QVERIFY2(unlabelled.contains("Nope"), qPrintable("an attribute the data does not label: " + unlabelled));
    QVERIFY(at::equal(load_model(altered_path).directions[0], altered.directions[0]));
    QVERIFY2(std::find(stages.begin(), stages.end(), "encoding") != stages.end() &&
                 std::find(stages.begin(), stages.end(), "ranges") != stages.end(),
             "the job says what it is doing");
    AttributeOptions lone = guided;
    lone.guides.clear();
    lone.guide_check = {jt.output};
    const QString unguided = error_of([&] { add_attributes(lone); });
    QVERIFY2(unguided.contains("judge.safetensors") && unguided.contains("no guide is named"), qPrintable(unguided));
    guided.guides = {e.model};
    try {
      add_attributes(guided);
      QFAIL("a model file was taken for a guide");
    } catch (const Error& err) {
      QVERIFY2(QString(err.what()).contains(QString::fromStdString(e.model)), err.what());
    }
    const auto grid = read_image(e.grid, 3);
    QCOMPARE(grid.width, 6 * 16 + 5);   // 2 attributes x 3 values, 1 px gaps
    QCOMPARE(grid.height, 8 * 16 + 7);  // 8 held-out faces
    // Through the export (issue 28, 6): the photos' files, framed, edited under the guard, pasted
    // back and framed again; the same attributes, each edit counted with the strength it was allowed.
    EditEvalOptions x = e;
    x.grid.clear();
    x.through_export = true;
    x.faces = 3;
    x.identity_chips = (dir_.path() + "/identity").toStdString();
    const auto exported = evaluate_edits(x);
    // The identity chips' index is written, every photo edited accounted for: these toy blobs hold
    // no face that dlib's detector finds, so each is counted as a photo without a chip.
    const auto index = nlohmann::json::parse(read_file(x.identity_chips + "/chips.json", 1 << 20));
    QCOMPARE(index["format"].get<std::string>(), std::string("glowlab.identity-chips/1"));
    QVERIFY(index["chips"].empty());
    QVERIFY(!QFile::exists(QString::fromStdString(x.identity_chips + "/chips.u8")));  // never an empty file
    QVERIFY2(index["photos_without_face"].get<int>() >= exported[0].eligible_add,
             qPrintable(QString::number(index["photos_without_face"].get<int>())));
    QCOMPARE(exported.size(), size_t{2});
    QCOMPARE(QString::fromStdString(exported[0].attribute), QString("Red"));
    QVERIFY(exported[0].eligible_add > 0 && exported[0].eligible_add <= 3);
    QCOMPARE(exported[0].edits, exported[0].eligible_add + exported[0].eligible_remove);
    QVERIFY(exported[0].mean_strength > 0 && exported[0].mean_strength <= 1);
    QVERIFY(exported[0].add_flip >= 0 && exported[0].add_flip <= 1 && exported[0].others_change >= 0);
    if (!cuda_available()) {  // the device asked for is used: without CUDA, "cuda" is refused, not run on the CPU
      e.device = "cuda";
      e.grid.clear();
      QVERIFY_THROWS_EXCEPTION(Error, evaluate_edits(e));
    }

    // judge-FID: a set against itself is 0; against a brighter copy of itself, clearly more; a
    // model's samples against held-out faces give a finite, positive number.
    std::vector<Image> set, brighter;
    for (int i = 0; i < 24; ++i) {
      set.push_back(toy_image(16, i, i % 2 == 0));
      brighter.push_back(set.back());
      for (auto& b : brighter.back().bytes) b = static_cast<std::uint8_t>(std::min(255, b + 60));
    }
    const double self = judge_fid(jt.output, set, set), shifted = judge_fid(jt.output, set, brighter);
    QVERIFY2(self < 1e-6, qPrintable(QString::number(self)));
    QVERIFY2(shifted > 1e-3 && shifted > 1000 * self, qPrintable(QString("%1 vs %2").arg(shifted).arg(self)));
    FidOptions f;
    f.model = e.model;
    f.judge = jt.output;
    f.data = e.data;
    f.count = 20;
    const auto r = judge_fid(f);
    QVERIFY(std::isfinite(r.fid) && r.fid > 0);
    QCOMPARE(r.samples, 20);
  }

};

QTEST_GUILESS_MAIN(TestDirections)
#include "test_directions.moc"
