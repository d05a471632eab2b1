// Data-parallel training over c10d/Gloo on loopback, with the real glowlab-cli: two ranks of batch B
// reach one rank's weights with batch 2B; the torchrun-style environment works; a killed rank is
// named by the other, which stops within the timeout and leaves a loadable checkpoint; resuming a
// 2-rank run is bit-identical to an uninterrupted one; Ctrl+C on the launcher stops every rank.
// PyTorch's torchrun launches it too (one node of 2 processes, two nodes of 1).
// The gradient reducer overlaps its all-reduce with the backward pass and averages exactly.
// Ports: the launcher's are picked free by the kernel on 127.0.0.1; the manual ranks use a free one too.
#include <QtTest/QtTest>

#include <QTcpServer>

#include <csignal>
#include <thread>

#include <torch/csrc/distributed/c10d/TCPStore.hpp>

#include "bundle/model_file.h"
#include "bundle/safetensors.h"
#include "train/distributed.h"
#include "glowlab.h"
#include "run_program.h"
#include "testutil.h"
#include "vision/image_io.h"

using namespace glowlab;

namespace {

using test::Run;
using test::run_program;

Run cli(const QStringList& args, const QProcessEnvironment& env = QProcessEnvironment::systemEnvironment()) {
  return run_program(GLOWLAB_CLI, args, env);
}

int free_port() {
  QTcpServer s;
  return s.listen(QHostAddress::LocalHost, 0) ? s.serverPort() : 0;
}

std::map<std::string, at::Tensor> tensors_of(const QString& path) {
  auto c = read_safetensors(path.toStdString());
  return {c.tensors.begin(), c.tensors.end()};
}

// The largest difference between two checkpoints' tensors (infinity when their names differ).
double weight_difference(const QString& a_path, const QString& b_path) {
  const auto a = tensors_of(a_path), b = tensors_of(b_path);
  if (a.size() != b.size()) return INFINITY;
  double worst = 0;
  for (const auto& [name, t] : a) {
    if (!b.count(name)) return INFINITY;
    worst = std::max(worst, (t - b.at(name)).abs().max().item<double>());
  }
  return worst;
}

}  // namespace

class TestDistributed : public QObject {
  Q_OBJECT
  QTemporaryDir dir_;
  QString data_;

  QString path(const QString& name) const { return dir_.path() + "/" + name; }

  QStringList train_args(const QString& out, int batch, int steps) const {
    return {"train", data_, "--dataset", "folder", "-o", out, "--batch", QString::number(batch), "--steps", QString::number(steps),
            "--image-size", "16", "-L", "2", "-K", "2", "--width", "16", "--no-cache", "--seed", "5", "--warmup", "2"};
  }

  QProcessEnvironment rank_env(int rank, int world, int port) const {
    auto env = QProcessEnvironment::systemEnvironment();
    env.insert("RANK", QString::number(rank));
    env.insert("LOCAL_RANK", QString::number(rank));
    env.insert("WORLD_SIZE", QString::number(world));
    env.insert("LOCAL_WORLD_SIZE", QString::number(world));
    env.insert("MASTER_ADDR", "127.0.0.1");
    env.insert("MASTER_PORT", QString::number(port));
    return env;
  }

  // Two ranks started by hand, as torchrun would, on a long run into `out`; returns once rank 0 has
  // written its first checkpoint (both ranks are then past the rendezvous and training).
  void startTwoRanks(QProcess& rank0, QProcess& rank1, const QString& out, int timeout_s) {
    const int port = free_port();
    QVERIFY(port > 0);
    rank0.setProcessEnvironment(rank_env(0, 2, port));
    rank1.setProcessEnvironment(rank_env(1, 2, port));
    const QStringList args = QStringList{"--threads", "1"} + train_args(path(out), 4, 1000000) +
                             QStringList{"--checkpoint-every", "5", "--dist-timeout", QString::number(timeout_s)};
    rank0.start(GLOWLAB_CLI, args);
    rank1.start(GLOWLAB_CLI, args);
    QVERIFY(rank0.waitForStarted() && rank1.waitForStarted());
    QTRY_VERIFY_WITH_TIMEOUT(QFileInfo::exists(path(out + "/checkpoint.ckpt")), 120000);
  }

 private Q_SLOTS:
  void initTestCase() {
    QVERIFY(dir_.isValid());
    data_ = path("images");
    QDir().mkpath(data_);
    for (int i = 0; i < 40; ++i) write_image(QString("%1/%2.png").arg(data_).arg(i, 3, 10, QChar('0')).toStdString(), test::random_image(16, 3, i));
  }

  // One process with batch 8 for 6 steps: the run every 2-rank job of batch 4 must match.
  QString oneRankCheckpoint() {
    const QString ckpt = path("one/checkpoint.ckpt");
    if (!QFileInfo::exists(ckpt)) {
      const auto r = cli(QStringList{"--threads", "1"} + train_args(path("one"), 8, 6));
      if (r.code != 0) qWarning("%s", qPrintable(r.err));
    }
    return ckpt;
  }

  void twoRanksEqualOneRankWithTheDoubleBatch() {
    const QString one = oneRankCheckpoint();
    QVERIFY(QFileInfo::exists(one));
    auto r = cli(train_args(path("two"), 4, 6) + QStringList{"--nproc", "2"});
    QVERIFY2(r.code == 0, qPrintable(r.err));
    QVERIFY2(r.err.contains("2 ranks x batch 4 = 8 images per step"), qPrintable(r.err));
    QVERIFY(r.out.contains("ranks 2"));
    // Throughput for the whole job and per rank.
    const auto job = QRegularExpression("images_per_second ([0-9.]+)").match(r.out);
    const auto per_rank = QRegularExpression("images_per_second_per_rank ([0-9.]+)").match(r.out);
    QVERIFY2(job.hasMatch() && per_rank.hasMatch(), qPrintable(r.out));
    QVERIFY(per_rank.captured(1).toDouble() > 0);
    QVERIFY2(qAbs(job.captured(1).toDouble() - 2 * per_rank.captured(1).toDouble()) < 1e-3 * job.captured(1).toDouble(), qPrintable(r.out));
    const double worst = weight_difference(one, path("two/checkpoint.ckpt"));
    QVERIFY2(worst < 1e-5, qPrintable(QString("weights differ by %1").arg(worst)));
    // ActNorm's data init agrees: the initialised flags are set and the init moved the weights off 0/1.
    const auto model = load_model(path("two/model.glow").toStdString());
    int flags = 0;
    for (const auto& b : model.glow->named_buffers()) {
      if (b.key().find("initialized") != std::string::npos) {
        QCOMPARE(b.value().item<double>(), 1.0);
        ++flags;
      }
    }
    QVERIFY(flags > 0);
    // The model a 2-rank job writes is an ordinary model: the engine (and so the window) opens it
    // and encodes exactly.
    auto m = Model::load(path("two/model.glow").toStdString());
    const auto face = read_image(QString("%1/007.png").arg(data_).toStdString(), 3);
    const auto back = m.reconstruct(face);
    QVERIFY2(back.max_abs_error <= 1, qPrintable(QString::number(back.max_abs_error)));
  }

  void torchrunEnvironmentAndAKilledRank() {
    QProcess rank0, rank1;
    startTwoRanks(rank0, rank1, "killed", 20);
    if (QTest::currentTestFailed()) return;
    ::kill(static_cast<pid_t>(rank1.processId()), SIGKILL);
    QVERIFY(rank1.waitForFinished(10000));
    QElapsedTimer t;
    t.start();
    QVERIFY2(rank0.waitForFinished(60000), "rank 0 did not stop after rank 1 was killed");
    const QString err = QString::fromUtf8(rank0.readAllStandardError());
    QCOMPARE(rank0.exitCode(), 1);
    QVERIFY2(err.contains("rank 1 stopped at step") || err.contains("rank 1 never started"), qPrintable(err));
    QVERIFY2(t.elapsed() < 30000, qPrintable(QString("rank 0 took %1 ms to stop").arg(t.elapsed())));
    // The last checkpoint and model load.
    QVERIFY(load_model(path("killed/model.glow").toStdString()).glow);
    QVERIFY(!tensors_of(path("killed/checkpoint.ckpt")).empty());
    // A rank number out of range is refused by name.
    auto bad = rank_env(5, 2, free_port());
    const auto r = cli(train_args(path("bad"), 4, 2), bad);
    QCOMPARE(r.code, 1);
    QVERIFY2(r.err.contains("RANK=5 is not below WORLD_SIZE=2"), qPrintable(r.err));
  }

  // A rank that hangs (stopped, not dead: its sockets stay open) is named once the timeout passes.
  void aHungRankIsNamedAfterTheTimeout() {
    QProcess rank0, rank1;
    startTwoRanks(rank0, rank1, "hung", 4);
    if (QTest::currentTestFailed()) return;
    ::kill(static_cast<pid_t>(rank1.processId()), SIGSTOP);
    QVERIFY2(rank0.waitForFinished(60000), "rank 0 did not stop after rank 1 hung");
    const QString err = QString::fromUtf8(rank0.readAllStandardError());
    QCOMPARE(rank0.exitCode(), 1);
    // (Stopped in the middle of announcing its step, rank 1 leaves the step unknown: rare, and said.)
    QVERIFY2(err.contains("rank 1 stopped") && err.contains("within 4 s"), qPrintable(err));
    ::kill(static_cast<pid_t>(rank1.processId()), SIGKILL);
    ::kill(static_cast<pid_t>(rank1.processId()), SIGCONT);
    QVERIFY(rank1.waitForFinished(10000));
  }

  // torchrun's elastic agent serves the store itself and tells the workers so
  // (TORCHELASTIC_USE_AGENT_STORE=True): rank 0 then joins it as a client. The agent's store here
  // is one this test hosts.
  void ranksJoinTorchrunsAgentStore() {
    const int port = free_port();
    c10d::TCPStoreOptions so;
    so.port = static_cast<std::uint16_t>(port);
    so.isServer = true;
    so.waitWorkers = false;
    c10d::TCPStore agent("127.0.0.1", so);
    QProcess rank0, rank1;
    auto env0 = rank_env(0, 2, port), env1 = rank_env(1, 2, port);
    env0.insert("TORCHELASTIC_USE_AGENT_STORE", "True");
    env1.insert("TORCHELASTIC_USE_AGENT_STORE", "True");
    rank0.setProcessEnvironment(env0);
    rank1.setProcessEnvironment(env1);
    const QStringList args = QStringList{"--threads", "1"} + train_args(path("agent"), 4, 3);
    rank0.start(GLOWLAB_CLI, args);
    rank1.start(GLOWLAB_CLI, args);
    QVERIFY(rank0.waitForFinished(120000) && rank1.waitForFinished(120000));
    QVERIFY2(rank0.exitCode() == 0, rank0.readAllStandardError().constData());
    QCOMPARE(rank1.exitCode(), 0);
    QVERIFY(agent.check({"glowlab/step/0", "glowlab/step/1"}));  // both ranks used the agent's store
    QVERIFY(load_model(path("agent/model.glow").toStdString()).glow);
  }

  // PyTorch's own launcher (python3-torch's torchrun, a test dependency `./quickstart test` installs
  // like node, so its absence is a failure, not a skip): one node
  // with 2 processes, then two "nodes" of one process each (two agents on loopback). Both use the
  // static rendezvous, where the agent serves the store (TORCHELASTIC_USE_AGENT_STORE=True); both
  // reach the weights of one process with the double batch, and the model opens in the engine.
  // (`--redirects 2 --tee 2`: Debian 12's torchrun 1.13 fails on its default "0" under Python 3.11.)
  void realTorchrunOneNodeAndTwoNodes() {
    const QString torchrun = QStandardPaths::findExecutable("torchrun");
    QVERIFY2(!torchrun.isEmpty(), "torchrun was not found: install Debian's python3-torch (./quickstart test does)");
    const QString one = oneRankCheckpoint();
    QVERIFY(QFileInfo::exists(one));
    const auto launch = [&](const QString& out, const QStringList& how) {
      return QStringList{"--master_addr", "127.0.0.1"} + how +
             QStringList{"--redirects", "2", "--tee", "2", "--no_python", GLOWLAB_CLI, "--threads", "1"} + train_args(path(out), 4, 6);
    };
    int port = free_port();
    QVERIFY(port > 0);
    auto r = run_program(torchrun, launch("torchrun1", {"--nnodes", "1", "--nproc_per_node", "2", "--master_port", QString::number(port)}));
    QVERIFY2(r.code == 0, qPrintable(r.err));
    QVERIFY2(r.out.contains("ranks 2"), qPrintable(r.out));
    double worst = weight_difference(one, path("torchrun1/checkpoint.ckpt"));
    QVERIFY2(worst < 1e-5, qPrintable(QString("one node: weights differ by %1").arg(worst)));

    port = free_port();
    QVERIFY(port > 0);
    QProcess node0, node1;
    node0.start(torchrun, launch("torchrun2", {"--nnodes", "2", "--node_rank", "0", "--nproc_per_node", "1", "--master_port", QString::number(port)}));
    node1.start(torchrun, launch("torchrun2", {"--nnodes", "2", "--node_rank", "1", "--nproc_per_node", "1", "--master_port", QString::number(port)}));
    QVERIFY(node0.waitForFinished(300000) && node1.waitForFinished(300000));
    QVERIFY2(node0.exitCode() == 0, node0.readAllStandardError().constData());
    QVERIFY2(node1.exitCode() == 0, node1.readAllStandardError().constData());
    worst = weight_difference(one, path("torchrun2/checkpoint.ckpt"));
    QVERIFY2(worst < 1e-5, qPrintable(QString("two nodes: weights differ by %1").arg(worst)));
    auto m = Model::load(path("torchrun2/model.glow").toStdString());
    const auto back = m.reconstruct(read_image(QString("%1/011.png").arg(data_).toStdString(), 3));
    QVERIFY2(back.max_abs_error <= 1, qPrintable(QString::number(back.max_abs_error)));
  }

  // The overlapping all-reduce, with two ranks on threads of this process: parameters of a chain
  // in buckets of one each. Every used bucket's all-reduce starts during backward (the chain's last
  // parameter gets its gradient first), the gradients become the ranks' average, and an unused
  // parameter or a rank that had no backward pass this step (its loss was not finite) counts as zeros.
  void gradientReducerOverlapsBackwardAndAverages() {
    const int port = free_port();
    QVERIFY(port > 0);
    constexpr int kChain = 4;
    auto make_params = [] {
      std::vector<at::Tensor> p;
      for (int i = 0; i <= kChain; ++i) p.push_back((at::arange(3, at::kFloat) * 0.1 + 0.3 * i).requires_grad_(true));
      return p;  // p[0] unused by the loss; p[1..4] in a chain
    };
    auto loss_of = [](const std::vector<at::Tensor>& p, int rank) {
      auto y = at::full({3}, rank + 1.0, at::kFloat);
      for (int i = 1; i <= kChain; ++i) y = (y * p[i]).sin() + p[i];
      return y.sum();
    };
    // Each rank's own gradients, without the reducer.
    std::vector<at::Tensor> own[2];
    for (int r = 0; r < 2; ++r) {
      auto p = make_params();
      loss_of(p, r).backward();
      for (auto& t : p) own[r].push_back(t.grad().defined() ? t.grad().clone() : at::zeros_like(t));
    }
    std::vector<at::Tensor> step1[2], step2[2];
    GradientReducer::Done done1[2], done2[2];
    int buckets[2] = {0, 0};
    std::string errors[2];
    auto rank_main = [&](int r) {
      try {
        DistributedOptions o;
        o.rank = r;
        o.world_size = 2;
        o.master_port = port;
        o.timeout_seconds = 30;
        Communicator comm(o);
        auto p = make_params();
        GradientReducer reducer(comm, p, 3);
        buckets[r] = reducer.bucket_count();
        reducer.begin();
        loss_of(p, r).backward();
        done1[r] = reducer.finish();
        for (auto& t : p) step1[r].push_back(t.grad().clone());
        reducer.begin();
        if (r == 0) loss_of(p, r).backward();  // rank 1: no backward this step
        done2[r] = reducer.finish();
        for (auto& t : p) step2[r].push_back(t.grad().clone());
      } catch (const std::exception& e) {
        errors[r] = e.what();
      }
    };
    std::thread t0(rank_main, 0), t1(rank_main, 1);
    t0.join();
    t1.join();
    QVERIFY2(errors[0].empty() && errors[1].empty(), (errors[0] + " / " + errors[1]).c_str());
    QCOMPARE(buckets[0], kChain + 1);
    for (int r = 0; r < 2; ++r) {
      QCOMPARE(done1[r].buckets, kChain + 1);
      QCOMPARE(done1[r].started_early, kChain);  // all but the unused parameter's, during backward
      QCOMPARE(done2[r].started_early, r == 0 ? kChain : 0);
      for (int i = 0; i <= kChain; ++i) {
        const auto mean = (own[0][i] + own[1][i]) / 2;
        QVERIFY2(at::allclose(step1[r][i], mean, 1e-6, 1e-7), qPrintable(QString("rank %1, parameter %2").arg(r).arg(i)));
        QVERIFY2(at::allclose(step2[r][i], own[0][i] / 2, 1e-6, 1e-7), qPrintable(QString("step 2: rank %1, parameter %2").arg(r).arg(i)));
      }
      QVERIFY(at::equal(step1[r][0], at::zeros({3})));
    }
    QVERIFY(own[0][1].abs().sum().item<double>() > 0 && !at::allclose(own[0][1], own[1][1]));
  }

  void resumingATwoRankRunIsBitIdentical() {
    auto r = cli(train_args(path("straight"), 4, 8) + QStringList{"--nproc", "2"});
    QVERIFY2(r.code == 0, qPrintable(r.err));
    r = cli(train_args(path("halves"), 4, 4) + QStringList{"--nproc", "2"});
    QVERIFY2(r.code == 0, qPrintable(r.err));
    r = cli(train_args(path("halves"), 4, 8) + QStringList{"--nproc", "2", "--resume"});
    QVERIFY2(r.code == 0, qPrintable(r.err));
    const auto a = tensors_of(path("straight/checkpoint.ckpt")), b = tensors_of(path("halves/checkpoint.ckpt"));
    QCOMPARE(a.size(), b.size());
    for (const auto& [name, t] : a) QVERIFY2(at::equal(t, b.at(name)), name.c_str());
    // Another world size resumes too, and says what changed.
    r = cli(QStringList{"--threads", "1"} + train_args(path("halves"), 4, 10) + QStringList{"--resume"});
    QVERIFY2(r.code == 0, qPrintable(r.err));
    QVERIFY2(r.err.contains("was trained by 2 ranks (global batch 8); it continues on 1 (global batch 4)"), qPrintable(r.err));
  }

  void ctrlCOnTheLauncherStopsEveryRank() {
    QProcess launcher;
    launcher.start(GLOWLAB_CLI, train_args(path("stopped"), 4, 1000000) + QStringList{"--nproc", "2", "--checkpoint-every", "5"});
    QVERIFY(launcher.waitForStarted());
    QTRY_VERIFY_WITH_TIMEOUT(QFileInfo::exists(path("stopped/checkpoint.ckpt")), 120000);
    ::kill(static_cast<pid_t>(launcher.processId()), SIGINT);
    QVERIFY2(launcher.waitForFinished(60000), "the launcher did not stop");
    const QString err = QString::fromUtf8(launcher.readAllStandardError());
    QCOMPARE(launcher.exitCode(), 3);
    QVERIFY2(err.contains("interrupted: checkpoint written"), qPrintable(err));
    QVERIFY2(err.contains("checkpoint (interrupted)"), qPrintable(err));
    QVERIFY(load_model(path("stopped/model.glow").toStdString()).glow);
  }
};

QTEST_GUILESS_MAIN(TestDistributed)
#include "test_distributed.moc"
