// Files and folders as they really are: FIFOs, devices and folders where a file is expected,
// symlink loops in image folders, and outputs on a file system that fails half-way. Inputs are
// refused by type before anything opens them (a FIFO would block forever); outputs are staged
// and committed together, so a failed command leaves every existing output as it was.
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <random>

#include "cli/cli_fixture.hpp"
#include "octet/engine.hpp"
#include "octet/output.hpp"

namespace octet::testing {
namespace {

namespace fs = std::filesystem;

class HostileFiles : public CliTest {
 protected:
  // octet ARGS under `timeout`: a command that blocks on a FIFO ends as exit code 124.
  ProcessResult octet_bounded(std::vector<std::string> args) const {
    args.insert(args.begin(), {"timeout", "60", OCTET_CLI});
    return run_process(args);
  }
  std::string fifo(const std::string& name) const {
    const std::string file = path(name);
    EXPECT_EQ(::mkfifo(file.c_str(), 0600), 0);
    return file;
  }
  // x [1,2,4,4] -> Conv(2, 1x1) -> Relu -> y.
  std::string conv_model() const {
    const std::string file = path("conv.onnx");
    OnnxBuilder()
        .input("x", {int64_t{1}, int64_t{2}, int64_t{4}, int64_t{4}})
        .initializer("w", {2, 2, 1, 1}, {0.5f, -0.25f, 1.0f, 0.75f})
        .initializer("b", {2}, {0.1f, -0.1f})
        .node("Conv", {"x", "w", "b"}, {"c"}, "conv")
        .node("Relu", {"c"}, {"y"}, "relu")
        .output("y", {int64_t{1}, int64_t{2}, int64_t{4}, int64_t{4}})
        .save(file);
    return file;
  }
  std::string calibration(size_t n) const {
    std::mt19937 rng(3);
    std::uniform_real_distribution<float> u(-1.0f, 1.0f);
    std::vector<float> v(n * 32);
    for (float& x : v) x = u(rng);
    return write_input("calib.npy", {static_cast<int64_t>(n), 2, 4, 4}, v);
  }
  std::vector<std::string> temporaries() const {
    std::vector<std::string> found;
    for (const auto& e : fs::recursive_directory_iterator(dir_)) {
      const std::string f = e.path().filename().string();
      if (f.find(".tmp.") != std::string::npos || f.find(".bak.") != std::string::npos) found.push_back(e.path().string());
    }
    return found;
  }
  static void expect_refused(const ProcessResult& r, const std::string& piece) {
    EXPECT_EQ(r.exit_code, 1) << r.output;  // 124 would be a hang cut short by timeout
    EXPECT_NE(r.output.find(piece), std::string::npos) << piece << "\n" << r.output;
    EXPECT_EQ(r.output.find("internal error"), std::string::npos) << r.output;
  }
};

TEST_F(HostileFiles, AFifoAsAnyInputIsRefusedWithoutBlocking) {
  const std::string model = conv_model(), data = calibration(2), q = path("q.onnx");
  const std::string pipe = fifo("pipe.npy"), cfg = fifo("cfg.json"), model_pipe = fifo("model.onnx"), bare = fifo("bare");
  const std::string fifo_why = ": is a FIFO (named pipe), not a regular file";
  expect_refused(octet_bounded({"quantize", model, "--data", pipe, "-o", q}), pipe + fifo_why);
  expect_refused(octet_bounded({"quantize", model, "--data", bare, "-o", q}), bare + fifo_why);
  expect_refused(octet_bounded({"quantize", model, "--data", "x=" + pipe, "-o", q}), pipe + fifo_why);
  expect_refused(octet_bounded({"quantize", model, "--data", data, "--labels", bare, "-o", q}), bare + fifo_why);
  expect_refused(octet_bounded({"quantize", model, "--config", cfg, "--data", data, "-o", q}), cfg + fifo_why);
  expect_refused(octet_bounded({"eval", model, "--data", pipe}), pipe + fifo_why);
  expect_refused(octet_bounded({"inspect", model_pipe}), model_pipe + fifo_why);
  expect_refused(octet_bounded({"run", model, "--input", "x=" + pipe, "--output-dir", path("out")}), pipe + fifo_why);
  EXPECT_FALSE(fs::exists(q));
}

TEST_F(HostileFiles, AFolderOrADeviceAsAModelOrNpySaysWhatItIs) {
  const std::string model = conv_model();
  fs::create_directories(path("folder.onnx"));
  expect_refused(octet_bounded({"inspect", path("folder.onnx")}), path("folder.onnx") + ": is a folder, not a file");
  expect_refused(octet_bounded({"inspect", "/dev/zero"}), "/dev/zero: is a character device, not a regular file");
  expect_refused(octet_bounded({"run", model, "--input", "x=/dev/zero", "--output-dir", path("out")}),
                 "/dev/zero: is a character device");
  expect_refused(octet_bounded({"run", model, "--input", "x=" + path("folder.onnx"), "--output-dir", path("out")}),
                 path("folder.onnx") + ": is a folder, not a file");
  expect_refused(octet_bounded({"inspect", path("missing.onnx")}), path("missing.onnx") + ": no such file");
}

// A rename over a device, a FIFO or a folder would replace it: every such -o is refused before
// any work, and the special file is still what it was.
TEST_F(HostileFiles, AnOutputThatIsNotARegularFileIsRefusedAndKept) {
  const std::string model = conv_model(), data = calibration(2);
  fs::create_symlink("/dev/full", path("full.onnx"));
  const std::string pipe = fifo("out.onnx");
  fs::create_directories(path("dir.onnx"));
  for (const auto& [target, why] : std::vector<std::pair<std::string, std::string>>{
           {path("full.onnx"), "is a character device, not a regular file"},
           {pipe, "is a FIFO (named pipe), not a regular file"},
           {path("dir.onnx"), "is a folder, not a file"}}) {
    expect_refused(octet_bounded({"quantize", model, "--data", data, "-o", target}),
                   "-o " + target + ": " + why + "; octet writes outputs as regular files only");
    expect_refused(octet_bounded({"convert", model, "-o", target}), target + ": " + why);
    expect_refused(octet_bounded({"quantize", model, "--data", data, "-o", path("q.onnx"), "--report", target}),
                   "--report " + target + ": " + why);
  }
  EXPECT_TRUE(fs::is_symlink(path("full.onnx")));
  EXPECT_TRUE(fs::is_character_file("/dev/full"));
  EXPECT_TRUE(fs::is_fifo(pipe));
  EXPECT_TRUE(fs::is_directory(path("dir.onnx")));
  EXPECT_FALSE(fs::exists(path("q.onnx")));
  EXPECT_TRUE(temporaries().empty());
}

TEST_F(HostileFiles, OutputMessagesNameTheRealCause) {
  const std::string model = conv_model(), data = calibration(2);
  // A file where a folder should be is not "a folder that does not exist".
  expect_refused(octet_bounded({"quantize", model, "--data", data, "-o", model + "/q.onnx"}),
                 "-o " + model + "/q.onnx: '" + model + "' is a file, not a folder");
  expect_refused(octet_bounded({"quantize", model, "--data", data, "-o", model + "/sub/q.onnx"}),
                 "is a file, not a folder");
  expect_refused(octet_bounded({"quantize", model, "--data", data, "-o", path("none/q.onnx")}),
                 "folder '" + path("none") + "' does not exist");
  // -o on the evaluation data names the flag that gave it.
  const std::string eval = write_input("eval.npy", {2, 2, 4, 4}, std::vector<float>(64, 0.5f));
  expect_refused(octet_bounded({"quantize", model, "--data", data, "--eval-data", eval, "-o", eval}),
                 "refusing to overwrite the input file given as --eval-data");
}

// A per-file size limit with SIGXFSZ ignored makes write(2) fail with EFBIG for the one output
// that is too big, after the smaller ones were written: a real write error, deterministic.
ProcessResult with_file_size_limit(int blocks, const std::vector<std::string>& args) {
  std::string cmd = "trap '' XFSZ; ulimit -f " + std::to_string(blocks) + "; exec";
  for (const std::string& a : args) cmd += " " + shell_quote(a);
  return run_process({"sh", "-c", cmd});
}

TEST_F(HostileFiles, RunThatFailsOnOneOutputLeavesEveryOutputAsItWas) {
  // "a" is 4 floats, "b" 4096: under an 8 KB limit, a.npy is written and b.npy fails.
  const std::string model = path("ab.onnx");
  OnnxBuilder()
      .input("x", {int64_t{4}})
      .input("big", {int64_t{4096}})
      .node("Relu", {"x"}, {"a"}, "ra")
      .node("Relu", {"big"}, {"b"}, "rb")
      .output("a", {int64_t{4}})
      .output("b", {int64_t{4096}})
      .save(model);
  const std::string x = write_input("x.npy", {4}, {1, 2, 3, 4});
  const std::string big = write_input("big.npy", {4096}, std::vector<float>(4096, 1.0f));
  fs::create_directories(path("out"));
  std::ofstream(path("out/a.npy")) << "old a";
  std::ofstream(path("out/b.npy")) << "old b";
  const ProcessResult r = with_file_size_limit(
      16, {OCTET_CLI, "run", model, "--input", "x=" + x, "--input", "big=" + big, "--output-dir", path("out")});
  EXPECT_EQ(r.exit_code, 1) << r.output;
  EXPECT_NE(r.output.find(path("out/b.npy") + ": write failed (File too large)"), std::string::npos) << r.output;
  EXPECT_EQ(read_bytes(path("out/a.npy")), "old a");
  EXPECT_EQ(read_bytes(path("out/b.npy")), "old b");
  EXPECT_TRUE(temporaries().empty());
  // Without the limit both are written: the limit was what failed the first run.
  const ProcessResult ok =
      octet({"run", model, "--input", "x=" + x, "--input", "big=" + big, "--output-dir", path("out")});
  ASSERT_EQ(ok.exit_code, 0) << ok.output;
  EXPECT_EQ(data::read_npy(path("out/b.npy")).numel(), 4096);
}

TEST_F(HostileFiles, QuantizeWhoseReportFailsKeepsThePreviousModel) {
  const std::string model = conv_model(), data = calibration(4), q = path("q.onnx"), report = path("report.json");
  ASSERT_EQ(octet({"quantize", model, "--data", data, "-o", q}).exit_code, 0);
  const std::string before = read_bytes(q);
  std::ofstream(report) << "old report";
  // The report (about 1.6 KB) outgrows a limit in 512-byte blocks that the model (under 1 KB) fits in.
  const ProcessResult sized = octet({"quantize", model, "--data", data, "-o", path("sized.onnx"), "--report", path("sized.json")});
  ASSERT_EQ(sized.exit_code, 0) << sized.output;
  const auto model_bytes = fs::file_size(path("sized.onnx")), report_bytes = fs::file_size(path("sized.json"));
  const int blocks = static_cast<int>((model_bytes + 64 + 511) / 512);
  ASSERT_GT(report_bytes, static_cast<uintmax_t>(blocks) * 512) << "the test needs a report larger than the model";
  // A different calibration set, so a success would change the model.
  data::write_npy(data, Tensor::from_vector(DType::kFloat32, {1, 2, 4, 4}, std::vector<float>(32, 3.0f)));
  const ProcessResult r =
      with_file_size_limit(blocks, {OCTET_CLI, "quantize", model, "--data", data, "-o", q, "--report", report});
  EXPECT_EQ(r.exit_code, 1) << r.output;
  EXPECT_NE(r.output.find(report + ": write failed"), std::string::npos) << r.output;
  EXPECT_EQ(r.output.find("wrote"), std::string::npos) << r.output;
  EXPECT_EQ(read_bytes(q), before);
  EXPECT_EQ(read_bytes(report), "old report");
  EXPECT_TRUE(temporaries().empty());
}

// The commit itself failing half-way (here: the second target became a folder after staging)
// puts back the outputs it had already renamed.
TEST_F(HostileFiles, ACommitThatFailsHalfWayRestoresTheEarlierOutputs) {
  std::ofstream(path("a.txt")) << "old a";
  fs::create_symlink("a.txt", path("link.txt"));
  {
    OutputTransaction outputs;
    write_file_atomically(path("a.txt"), "new a");
    write_file_atomically(path("fresh.txt"), "new fresh");
    write_file_atomically(path("b.txt"), "new b");
    // Staged, not visible yet.
    EXPECT_EQ(read_bytes(path("a.txt")), "old a");
    EXPECT_FALSE(fs::exists(path("b.txt")));
    EXPECT_EQ(read_bytes(output_location(path("a.txt"))), "new a");
    fs::create_directories(path("b.txt/inside"));
    try {
      outputs.commit();
      ADD_FAILURE() << "the commit should fail on b.txt";
    } catch (const Error& e) {
      EXPECT_NE(std::string(e.what()).find(path("b.txt") + ": cannot rename the temporary file into place"),
                std::string::npos) << e.what();
      EXPECT_NE(std::string(e.what()).find("restored"), std::string::npos) << e.what();
    }
  }
  EXPECT_EQ(read_bytes(path("a.txt")), "old a");
  EXPECT_TRUE(fs::is_symlink(path("link.txt")));
  EXPECT_FALSE(fs::exists(path("fresh.txt")));
  EXPECT_TRUE(fs::is_directory(path("b.txt/inside")));
  EXPECT_TRUE(temporaries().empty()) << temporaries().front();
}

TEST_F(HostileFiles, AnUncommittedTransactionLeavesNothing) {
  std::ofstream(path("a.txt")) << "old a";
  {
    OutputTransaction outputs;
    write_file_atomically(path("a.txt"), "new a");
    write_file_atomically(path("b.txt"), "new b");
    EXPECT_EQ(temporaries().size(), 2u);
  }  // an exception unwinding through here is the same
  EXPECT_EQ(read_bytes(path("a.txt")), "old a");
  EXPECT_FALSE(fs::exists(path("b.txt")));
  EXPECT_TRUE(temporaries().empty());
  // Without a transaction a write is its own commit.
  write_file_atomically(path("a.txt"), "now a");
  EXPECT_EQ(read_bytes(path("a.txt")), "now a");
}

// Every signal that ends a process by default, while a transaction holds staged files: the
// handler removes them before the signal takes its course (nothing reaches the target).
TEST_F(HostileFiles, EveryTerminatingSignalRemovesTheStagedTemporaries) {
  for (int sig : {SIGALRM, SIGUSR1, SIGUSR2, SIGPIPE, SIGTERM, SIGQUIT, SIGVTALRM, SIGRTMIN + 3}) {
    int ready[2];
    ASSERT_EQ(::pipe(ready), 0);
    const pid_t pid = ::fork();
    ASSERT_GE(pid, 0);
    if (pid == 0) {
      ::signal(sig, SIG_DFL);  // as a fresh process has it, whatever the test runner set
      ::close(ready[0]);
      OutputTransaction outputs;
      write_file_atomically(path("a.onnx"), std::string(1 << 16, 'a'));
      write_file_atomically(path("b.json"), "{}");
      (void)!::write(ready[1], "r", 1);
      for (;;) ::pause();
    }
    ::close(ready[1]);
    char c;
    ASSERT_EQ(::read(ready[0], &c, 1), 1);
    ::close(ready[0]);
    EXPECT_EQ(temporaries().size(), 2u);
    ::kill(pid, sig);
    int status = 0;
    ASSERT_EQ(::waitpid(pid, &status, 0), pid);
    ASSERT_TRUE(WIFSIGNALED(status)) << "signal " << sig << ", status " << status;
    EXPECT_EQ(WTERMSIG(status), sig);
    EXPECT_TRUE(temporaries().empty()) << "signal " << sig << " left " << temporaries().front();
    EXPECT_FALSE(fs::exists(path("a.onnx")));
  }
}

// SIGKILL cannot be caught: the temporaries it leaves are removed by the next write beside the
// same target, and only those of processes that no longer run.
TEST_F(HostileFiles, TemporariesOfAKilledRunAreRemovedByTheNext) {
  const pid_t dead = ::fork();
  ASSERT_GE(dead, 0);
  if (dead == 0) ::_exit(0);
  ASSERT_EQ(::waitpid(dead, nullptr, 0), dead);
  const std::string stale = path(cat(".q.onnx.tmp.", dead, ".0")), backup = path(cat(".q.onnx.bak.", dead, ".7"));
  const std::string alive = path(cat(".q.onnx.tmp.", ::getppid(), ".0")), other = path(".q.onnx.tmp.notes");
  for (const std::string& f : {stale, backup, alive, other}) std::ofstream(f) << "x";
  write_file_atomically(path("q.onnx"), "model");
  EXPECT_FALSE(fs::exists(stale));
  EXPECT_FALSE(fs::exists(backup));
  EXPECT_TRUE(fs::exists(alive));  // a running process's (the parent's) is never touched
  EXPECT_TRUE(fs::exists(other));  // nor a name of another pattern
  EXPECT_EQ(read_bytes(path("q.onnx")), "model");
}

}  // namespace
}  // namespace octet::testing
