// Running a program from a test: its exit code and what it printed (one copy for every suite).
#pragma once

#include <QProcess>
#include <QString>
#include <QStringList>

namespace glowlab::test {

struct Run {
  int code = -1;  // -1: still running after 5 minutes (killed); -2: crashed
  QString out, err;
};

inline Run run_program(const QString& program, const QStringList& args,
                       const QProcessEnvironment& env = QProcessEnvironment::systemEnvironment()) {
  QProcess p;
  p.setProcessEnvironment(env);
  p.start(program, args);
  if (!p.waitForFinished(300000)) {
    p.kill();
    p.waitForFinished();
    return {-1, "", "timed out"};
  }
  return {p.exitStatus() == QProcess::NormalExit ? p.exitCode() : -2, QString::fromUtf8(p.readAllStandardOutput()),
          QString::fromUtf8(p.readAllStandardError())};
}

// glowlab-cli with `args`, on two threads (the machines that run the suite have two cores).
inline Run cli(const QStringList& args, const QProcessEnvironment& env = QProcessEnvironment::systemEnvironment()) {
  return run_program(GLOWLAB_CLI, QStringList{"--threads", "2"} + args, env);
}

}  // namespace glowlab::test
