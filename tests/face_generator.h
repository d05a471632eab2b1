// The synthetic face generator (tools/faces, Node) run from a test: faces with known landmarks
// that the detectors find, made at test time (no research photos in the tests).
#pragma once

#include <QProcess>
#include <QString>
#include <QStringList>

namespace glowlab::test {

// Writes `count` faces of `size` px (a CelebA-layout folder) to `out`; returns an empty string on
// success, else what went wrong (a QVERIFY in here would only return from this helper).
inline QString generate_faces(const QString& out, int count, int seed, int size = 64, const QStringList& extra = {}) {
  QProcess p;
  p.start("node", QStringList{QString(GLOWLAB_SOURCE_DIR) + "/tools/faces/generate.mjs", "--out", out, "--count",
                              QString::number(count), "--seed", QString::number(seed), "--size", QString::number(size)} +
                      extra);
  if (!p.waitForStarted()) return "node is not installed: the generator needs Node 18 or newer (see README)";
  if (!p.waitForFinished(300000)) return "the generator timed out";
  if (p.exitStatus() != QProcess::NormalExit || p.exitCode() != 0) {
    return "generator failed (run `npm ci` in tools/faces?): " + QString::fromUtf8(p.readAllStandardError());
  }
  return {};
}

}  // namespace glowlab::test
