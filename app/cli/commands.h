// glowlab-cli sub-commands: each registers its options on the app and runs when chosen.
#pragma once

#include <functional>
#include <string>
#include <vector>

namespace CLI {
class App;
}

namespace glowlab {
class Model;
struct SliderEdit;
}  // namespace glowlab

namespace glowlab::cli {

// Exit codes, documented in --help and the README.
inline constexpr int kExitOk = 0;
inline constexpr int kExitError = 1;   // a file, model, image or device problem
inline constexpr int kExitUsage = 2;   // bad command line
inline constexpr int kExitCancelled = 3;

// --threads, read by every command before it starts the runtime.
extern int g_threads;

// For -o: empty when write_image (or the command itself, for the extensions in `also`) writes the
// file's format, else why not, naming the formats it writes: CLI11 then refuses the command line
// (exit 2) before any work is done.
std::function<std::string(const std::string&)> image_output(std::vector<std::string> also = {});

// The packed dataset cache: $XDG_CACHE_HOME/glowlab, else ~/.cache/glowlab (empty: neither is set).
std::string default_cache_dir();

void add_init(CLI::App& app);
void add_info(CLI::App& app);
void add_sample(CLI::App& app);
void add_reconstruct(CLI::App& app);
void add_eval(CLI::App& app);
void add_bench(CLI::App& app);
void add_train(CLI::App& app);
void add_attributes(CLI::App& app);
void add_framing(CLI::App& app);
void add_judge(CLI::App& app);
void add_edit(CLI::App& app);
void add_align(CLI::App& app);
void add_interpolate(CLI::App& app);
void add_import(CLI::App& app);  // import_commands.cpp

// `edit CLIP.mp4 -o OUT.mp4` (clip_commands.cpp): edit_clip with a progress line, Ctrl+C (nothing
// written) and what was done said; --strict makes a limited edit an error.
void run_clip_edit(Model& model, const std::string& input, const std::string& output, const SliderEdit& edit, int face,
                   bool strict);

}  // namespace glowlab::cli
