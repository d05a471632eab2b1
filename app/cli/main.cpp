// glowlab-cli: train, inspect, sample, evaluate and benchmark Glow models from the shell.
#include <iostream>

#include <CLI/CLI.hpp>

#include "commands.h"
#include "launch.h"
#include "glowlab.h"

int main(int argc, char** argv) {
  using namespace glowlab::cli;
  g_argv.assign(argv, argv + argc);
  CLI::App app{"glowlab-cli " GLOWLAB_VERSION " - Glow normalizing flows: models, samples, benchmarks"};
  app.require_subcommand(1);
  app.set_version_flag("--version", GLOWLAB_VERSION);
  app.add_option("--threads", g_threads, "Intra-op CPU threads (0: all cores)")->check(CLI::NonNegativeNumber);
  app.footer(
      "Exit status: 0 success, 1 error (file, model, image or device), 2 bad command line, 3 cancelled.\n"
      "Without --model, commands use $GLOWLAB_MODEL or the bundled default model (celeba64 when its package is installed, else faces64).");
  add_init(app);
  add_info(app);
  add_sample(app);
  add_reconstruct(app);
  add_eval(app);
  add_bench(app);
  add_train(app);
  add_attributes(app);
  add_framing(app);
  add_judge(app);
  add_edit(app);
  add_align(app);
  add_interpolate(app);
  add_import(app);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    const int rc = app.exit(e);
    return rc == 0 ? kExitOk : kExitUsage;
  } catch (const glowlab::Error& e) {
    std::cerr << "error: " << e.what() << "\n";
    return e.kind() == glowlab::ErrorKind::Cancelled ? kExitCancelled : kExitError;
  } catch (const std::exception& e) {
    std::cerr << "error: " << e.what() << "\n";
    return kExitError;
  }
  return kExitOk;
}
