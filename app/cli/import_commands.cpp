// glowlab-cli import: another Glow implementation's checkpoint -> a .glow (docs/import.md).
#include <iostream>
#include <memory>

#include <CLI/CLI.hpp>

#include "commands.h"
#include "glowlab.h"

namespace glowlab::cli {

void add_import(CLI::App& app) {
  auto* cmd = app.add_subcommand("import", "Turn another Glow implementation's checkpoint into a .glow (docs/import.md)");
  struct Opts {
    ImportOptions i;
    std::string output;
    bool affine = false, additive = false;
  };
  auto o = std::make_shared<Opts>();
  cmd->add_option("--from", o->i.format, "The implementation that wrote it: rosinality (rosinality/glow-pytorch), y0ast "
                                         "(y0ast/Glow-PyTorch) or chaiyujin (chaiyujin/glow-pytorch)")
      ->required()->check(CLI::IsMember({"rosinality", "y0ast", "chaiyujin"}));
  cmd->add_option("checkpoint", o->i.checkpoint, "The torch.save file (zip format, PyTorch 1.6 or newer)")
      ->required()->check(CLI::ExistingFile);
  cmd->add_option("-o,--output", o->output, "Model file to write (.glow)")->required();
  cmd->add_option("--hparams", o->i.hparams, "y0ast, chaiyujin: the run's hparams JSON (checked against the tensors; "
                                             "needed when the model has no 1x1 convolutions)")->check(CLI::ExistingFile);
  cmd->add_option("--image-size", o->i.image_size, "Image side in pixels (rosinality: required; y0ast, chaiyujin: checked)")
      ->check(CLI::Range(2, 1024));
  cmd->add_option("--n-bits", o->i.n_bits, "Bits per value the model was trained on (rosinality: required, its default "
                                           "is 5; y0ast: 8 unless given)")->check(CLI::Range(1, 8));
  cmd->add_option("-L,--levels", o->i.levels, "Checked against the checkpoint (blocks / levels)")->check(CLI::Range(1, 8));
  cmd->add_option("-K,--steps", o->i.steps, "Checked against the checkpoint (flows per block)")->check(CLI::Range(1, 256));
  auto* aff = cmd->add_flag("--affine", o->affine, "Checked: the checkpoint has affine coupling");
  cmd->add_flag("--additive", o->additive, "Checked: the checkpoint has additive coupling")->excludes(aff);
  cmd->add_option("--class", o->i.y_class, "y0ast/chaiyujin class-conditional model: import it with this class's prior")
      ->check(CLI::NonNegativeNumber);
  cmd->callback([o] {
    init_runtime(g_threads);
    if (o->affine) o->i.coupling = "affine";
    if (o->additive) o->i.coupling = "additive";
    const auto r = import_checkpoint(o->i, o->output);
    for (const auto& n : r.notes) std::cout << "note: " << n << "\n";
    std::cout << "wrote " << o->output << " (" << r.config.image_size << "x" << r.config.image_size << "x"
              << r.config.channels << ", L=" << r.config.levels << ", K=" << r.config.steps << ", width "
              << r.config.width << ", " << to_string(r.config.coupling) << ", " << r.config.n_bits
              << " bits; no attribute directions: add them with glowlab-cli attributes)\n";
  });
}

}  // namespace glowlab::cli
