// glowlab-cli train --nproc N: starts N local ranks of this very command (torchrun's environment:
// RANK, WORLD_SIZE, LOCAL_RANK, LOCAL_WORLD_SIZE, MASTER_ADDR=127.0.0.1, a free MASTER_PORT), each in
// its own process group with cores / N threads; forwards Ctrl+C (SIGINT/SIGTERM) once to all of
// them; once a rank fails, the others get the job's timeout to stop on their own, then are killed.
#pragma once

#include <string>
#include <vector>

namespace glowlab::cli {

// The command line this process was started with (set by main).
extern std::vector<std::string> g_argv;

// Runs the ranks and returns the exit status: 0 when all succeeded, 3 when interrupted, else 1
// (each failed rank named on stderr).
int launch_local_ranks(int nproc, double timeout_seconds);

}  // namespace glowlab::cli
