#pragma once
// Waiting for a spawned child, shared by `profile` (the application) and
// `bench` (its resumed process).

namespace flopscope::cli {

/// Waits for child process `pid`, retrying on EINTR, and returns its wait
/// status; throws Error(failure) when waitpid fails otherwise.
int wait_for_child(int pid);

}  // namespace flopscope::cli
