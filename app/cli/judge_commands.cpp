// glowlab-cli judge-train, judge-edits and quantize: measuring models the same way every time.
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <iomanip>
#include <iostream>
#include <sstream>

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include "commands.h"
#include "glowlab.h"
#include "model_path.h"

namespace glowlab::cli {

namespace {

void add_judge_train(CLI::App& app) {
  auto* tr = app.add_subcommand("judge-train", "Train the attribute judge (a small CNN on pixels) on a labelled face set");
  auto t = std::make_shared<JudgeTrainOptions>();
  tr->add_option("data", t->data, "CelebA-layout folder (partition 0 trains, 2 is held out); with --age, a UTKFace folder")->required();
  tr->add_option("-o,--output", t->output, "Judge file to write")->required();
  tr->add_option("--epochs", t->epochs, "Epochs")->capture_default_str();
  tr->add_option("--align", t->align_model, "Frame the photos onto this model's framing (by their landmarks), as it saw them")
      ->check(CLI::ExistingFile);
  tr->add_option("--image-size", t->image_size, "Image side")->capture_default_str();
  tr->add_option("--seed", t->seed, "Seed")->capture_default_str();
  auto unbalanced = std::make_shared<bool>(false);
  tr->add_flag("--unbalanced", *unbalanced,
               "Plain loss instead of the class-balanced one (positives weighted by negatives / positives, at most 50)");
  auto age = std::make_shared<bool>(false);
  tr->add_flag("--age", *age,
               "Train the age judge instead: age in years read from pixels, on a UTKFace folder (ages in the file "
               "names; one name in ten held out); judge-edits --age-judge scores the Age slider with it");
  tr->callback([t, unbalanced, age] {
    init_runtime(g_threads);
    t->balanced = !*unbalanced;
    t->log = [](const std::string& s) { std::cerr << s << "\n"; };
    if (*age) {
      const auto a = train_age_judge(*t);
      std::cout << nlohmann::json{{"held_out_photos", a.held_out}, {"mean_abs_error_years", a.mean_abs_error},
                                  {"median_age_guess_error_years", a.baseline_error}}
                       .dump(2)
                << "\n";
      return;
    }
    const auto acc = train_judge(*t);
    nlohmann::json j = nlohmann::json::object();
    for (const auto& a : acc) {
      j[a.attribute] = {{"accuracy", a.accuracy}, {"balanced_accuracy", a.balanced_accuracy}, {"positive_rate", a.positive_rate}};
    }
    std::cout << j.dump(2) << "\n";
  });
}

void add_judge_edits(CLI::App& app) {
  auto* ev = app.add_subcommand("judge-edits", "Edit held-out faces along every attribute and score them with the judge (JSON)");
  auto e = std::make_shared<EditEvalOptions>();
  auto json_out = std::make_shared<std::string>();
  ev->add_option("-m,--model", e->model, "Model with attribute directions; default: the bundled model");
  ev->add_option("--judge", e->judge, "Judge file from judge-train")->required();
  ev->add_option("data", e->data, "CelebA-layout folder; its held-out partition is used")->required();
  ev->add_flag("--align", e->align, "Frame the photos onto the model's framing by their landmarks (a model trained with --align)");
  ev->add_option("--faces", e->faces, "Faces per attribute and direction (Age: faces made older, and as many made younger, of every age, unless --age-faces)")->capture_default_str();
  ev->add_option("--strength", e->strength, "Edit to this multiple of each recommended range's ends (a strength curve)")
      ->capture_default_str()->check(CLI::Range(0.0, 10.0));
  ev->add_option("--grid", e->grid, "Also write the edit grid (8 faces x each attribute at -1, 0, +1 of its range)");
  ev->add_flag("--through-export", e->through_export,
               "Score what a person exports: each held-out photo framed by the window's aligner, edited under the guard, "
               "pasted back into the photo, framed again and judged (slower: two landmark passes per edit)");
  ev->add_option("--only", e->only, "Score only these attributes (comma-separated; Age is scored with --age-judge)")
      ->delimiter(',');
  ev->add_option("--json", *json_out, "Also write the scores to this file");
  ev->add_option("--identity-chips", e->identity_chips,
                 "With --through-export: also write each photo's and each export's face chip (dlib's alignment for face "
                 "recognition; DIR/chips.u8 and DIR/chips.json, Age's in DIR/age) for the identity check (bench/identity)")
      ->needs("--through-export");
  auto age = std::make_shared<AgeEditOptions>();
  ev->add_option("--age-judge", age->judge, "Also score the Age slider with this age judge (judge-train --age) on --age-data's held-out photos")
      ->check(CLI::ExistingFile);
  ev->add_option("--age-data", age->data, "UTKFace folder whose held-out photos the Age slider edits (with --age-judge); or a folder of photos without ages in their names (CelebA's img_align_celeba), each photo's age then the age judge's reading of it")
      ->check(CLI::ExistingDirectory);
  auto age_faces = std::make_shared<int>(0);
  ev->add_option("--age-faces", *age_faces, "Faces made older, and as many made younger, for Age (0: --faces)")
      ->capture_default_str()->check(CLI::Range(0, 100000));
  ev->add_option("--age-years", age->years, "Age edit asked for, each way, in years")->capture_default_str()->check(CLI::Range(1.0, 100.0));
  auto mark = std::make_shared<bool>(false);
  ev->add_flag("--mark-featured", *mark,
               "Store the verdict in the model (in place): attributes that meet the target are shown in the window by "
               "default, the others behind More attributes");
  ev->add_option("--device", e->device, "auto, cpu or cuda")->capture_default_str()->check(CLI::IsMember({"auto", "cpu", "cuda"}));
  ev->callback([e, json_out, mark, age, age_faces] {
    if (age->judge.empty() != age->data.empty()) {
      throw CLI::ValidationError("judge-edits", "--age-judge and --age-data go together");
    }
    init_runtime(g_threads);
    e->model = model_path_or_default(e->model);
    e->device = resolve_device(e->device);
    e->log = [](const std::string& s) { std::cerr << s << "\n"; };
    const auto scores = evaluate_edits(*e);
    nlohmann::json j = nlohmann::json::array();
    int good = 0, edits = 0, unclean = 0;
    for (const auto& s : scores) {
      j.push_back({{"attribute", s.attribute}, {"add_flip", s.add_flip}, {"remove_flip", s.remove_flip},
                   {"others_change", s.others_change}, {"eligible_add", s.eligible_add},
                   {"eligible_remove", s.eligible_remove}, {"range", {s.range_min, s.range_max}},
                   {"unfit_decodes", s.unclean}});
      if (e->through_export) {
        j.back()["mean_strength_allowed"] = s.mean_strength;
        j.back()["photos_set_aside"] = s.skipped_photos;
        nlohmann::json moved = nlohmann::json::object();
        for (const auto& [name, change] : s.most_moved) moved[name] = change;
        j.back()["others_moved_most"] = moved;
      }
      good += s.meets_target();
      edits += s.edits;
      unclean += s.unclean;
    }
    // unfit: edits at the ends of the ranges whose raw (unguarded) decode is non-finite, runaway
    // or all black; the app's guarded render never shows those.
    nlohmann::json out{{"scores", j}, {"attributes_meeting_target", good}, {"through_export", e->through_export},
                       {"edits_decoded", edits}, {"unfit_decodes", unclean},
                       {"unfit_fraction", edits ? static_cast<double>(unclean) / edits : 0.0}};
    AgeEditScore age_score;
    if (!age->judge.empty()) {
      age->model = e->model;
      age->faces = *age_faces > 0 ? *age_faces : e->faces;
      age->through_export = e->through_export;
      age->identity_chips = e->identity_chips.empty() ? std::string() : e->identity_chips + "/age";
      age->device = e->device;
      age->log = e->log;
      age_score = evaluate_age_edits(*age);
      const auto& a = age_score;
      out["age"] = {{"years_asked", a.years}, {"judge_change_older", a.older}, {"judge_change_younger", a.younger},
                    {"judge_change_older_se", a.older_se}, {"judge_change_younger_se", a.younger_se},
                    {"meets_target", a.meets_target()}, {"faces_made_older", a.older_faces},
                    {"faces_made_younger", a.younger_faces}, {"ages_edited", {a.youngest, a.oldest}}, {"photos_set_aside", a.set_aside},
                    {"mean_strength_allowed", a.mean_strength}, {"judge_error_unedited_years", a.judge_error}};
    }
    const std::string text = out.dump(2);
    if (!json_out->empty()) write_file_atomic(*json_out, text + "\n");
    if (*mark) mark_featured(e->model, scores, age->judge.empty() ? nullptr : &age_score);
    std::cout << text << "\n";
  });
}

void add_judge_fid(CLI::App& app) {
  auto* fid = app.add_subcommand("judge-fid",
                                  "Sample quality: Frechet distance between the judge's features of samples and of "
                                  "held-out faces (lower is better)");
  auto f = std::make_shared<FidOptions>();
  fid->add_option("-m,--model", f->model, "Model to sample from; default: the bundled model");
  fid->add_option("--judge", f->judge, "Judge file from judge-train")->required();
  fid->add_option("data", f->data, "CelebA-layout folder; its held-out partition is the reference")->required();
  fid->add_option("-n,--count", f->count, "Samples (and held-out faces, at most the partition's size)")
      ->capture_default_str()->check(CLI::Range(2, 1000000));
  fid->add_option("-T,--temperature", f->temperature, "Sampling temperature")->capture_default_str()->check(CLI::Range(0.0, 10.0));
  fid->add_flag("--align", f->align, "Frame the reference photos onto the model's framing by their landmarks");
  fid->add_option("--seed", f->seed, "Sampling seed")->capture_default_str();
  fid->add_option("--device", f->device, "auto, cpu or cuda")->capture_default_str()->check(CLI::IsMember({"auto", "cpu", "cuda"}));
  fid->callback([f] {
    init_runtime(g_threads);
    f->model = model_path_or_default(f->model);
    f->device = resolve_device(f->device);
    f->log = [](const std::string& s) { std::cerr << s << "\n"; };
    const auto r = judge_fid(*f);
    std::cout << nlohmann::json{{"judge_fid", r.fid}, {"samples", r.samples}, {"references", r.references},
                                {"temperature", f->temperature}, {"seed", f->seed}}
                     .dump()
              << "\n";
  });
}

void add_quantize(CLI::App& app) {
  auto* q = app.add_subcommand("quantize", "Write images quantised to n bits (for comparing lossless codecs with a model)");
  struct Q {
    std::vector<std::string> in;
    std::string out, align;
    int bits = 5;
    size_t limit = 0;
    int partition = -1;
  };
  auto qo = std::make_shared<Q>();
  q->add_option("input", qo->in,
                "Image folder (or CelebA folder with --partition), then the folder to write PNGs into; with --align, one "
                "or more sources before it")
      ->required()->expected(2, -1);
  q->add_option("--align", qo->align,
                "Write the crops this model (trained with --align) sees: every photo framed onto its framing, the held-out "
                "ones with --partition 2")->check(CLI::ExistingFile);
  q->add_option("--n-bits", qo->bits, "Bits per value")->capture_default_str()->check(CLI::Range(1, 8));
  q->add_option("--partition", qo->partition, "CelebA partition to take (0 train, 2 test; default: all images)");
  q->add_option("--limit", qo->limit, "At most this many images");
  q->callback([qo] {
    init_runtime(g_threads);
    qo->out = qo->in.back();  // the last folder named is the output
    qo->in.pop_back();
    std::filesystem::create_directories(qo->out);
    const int shift = 8 - qo->bits, levels = (1 << qo->bits) - 1;
    auto quantise = [&](Image im) {
      for (auto& b : im.bytes) b = static_cast<std::uint8_t>(std::lround((b >> shift) * 255.0 / levels));
      return im;
    };
    if (!qo->align.empty()) {
      const auto crops = aligned_crops(qo->in, qo->align, qo->partition, static_cast<std::int64_t>(qo->limit), default_cache_dir());
      for (size_t i = 0; i < crops.size(); ++i) {
        char name[32];
        std::snprintf(name, sizeof name, "/%06zu.png", i + 1);
        write_image(qo->out + name, quantise(crops[i]));
      }
      std::cout << crops.size() << " images written to " << qo->out << "\n";
      return;
    }
    if (qo->in.size() != 1) throw CLI::ValidationError("quantize", "several inputs need --align MODEL");
    std::vector<std::string> files;
    if (qo->partition >= 0) {
      const auto text = read_file(qo->in[0] + "/list_eval_partition.txt", 1 << 28);
      std::istringstream in(text);
      std::string name;
      int part = 0;
      while (in >> name >> part) {
        if (part == qo->partition) files.push_back(qo->in[0] + "/img_align_celeba/" + name);
      }
    } else {
      files = list_images(qo->in[0]);
    }
    if (qo->limit && files.size() > qo->limit) files.resize(qo->limit);
    for (const auto& f : files) {
      write_image(qo->out + "/" + std::filesystem::path(f).stem().string() + ".png", quantise(read_image(f, 3)));
    }
    std::cout << files.size() << " images written to " << qo->out << "\n";
  });
}

}  // namespace

void add_judge(CLI::App& app) {
  add_judge_train(app);
  add_judge_edits(app);
  add_judge_fid(app);
  add_quantize(app);
}

}  // namespace glowlab::cli
