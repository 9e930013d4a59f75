// How octet writes files: every output goes to a temporary file beside its target and is renamed
// into place only when all of a command's outputs were written (one output transaction), so a
// command that fails or is killed leaves every existing output as it was, and no temporary.
//
//   octet::OutputTransaction outputs;   // from here on, this thread's writes are staged
//   model.save("q.onnx");               // -> .q.onnx.tmp.PID.N
//   octet::write_file_atomically("report.json", json);
//   outputs.commit();                   // both renamed into place, or neither
#pragma once
#include <memory>
#include <string>

namespace octet {

class OutputTransaction {
 public:
  // Opens the transaction: until commit() or destruction, every file octet writes on this
  // thread (models and their external data, .npy, statistics, reports) is only staged. One may
  // be open per thread at a time.
  OutputTransaction();
  // Without commit(): removes every temporary; the targets are untouched.
  ~OutputTransaction();
  OutputTransaction(const OutputTransaction&) = delete;
  OutputTransaction& operator=(const OutputTransaction&) = delete;

  // Renames every staged file into place. If one rename fails, those already done are undone
  // (the old files restored) and it throws naming the file. Terminating signals are held off
  // while it runs, so a signal sees all or none of the outputs.
  void commit();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// Writes `bytes` to `path`: staged in the thread's open OutputTransaction, or else committed at
// once (a transaction of one file). Refuses to overwrite `protect` (the input model) when given,
// and refuses a target that exists but is not a regular file (a folder, a device, a FIFO): a
// rename would replace it.
void write_file_atomically(const std::string& path, const std::string& bytes, const std::string& protect = "");

// Where the bytes last written for `path` are now: its temporary while a transaction holds it,
// else `path` itself (to measure or re-read an output before the commit).
std::string output_location(const std::string& path);

// Throws "PATH: <why>" if `path` cannot be an output: its folder is missing or not a folder,
// or it exists and is not a regular file. Commands call it before any work; writes check again.
void check_output_target(const std::string& path);

}  // namespace octet
