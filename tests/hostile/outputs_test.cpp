// Nothing half-written, and inputs never overwritten: every command refuses an output path that
// names one of its inputs (same path, "./" spellings, symlinks, hard links) or another output,
// before doing any work; an interrupted write leaves neither a partial target nor a stray
// temporary file.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <spawn.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <random>

#include "cli/cli_fixture.hpp"
#include "octet/engine.hpp"
#include "octet/error.hpp"

extern char** environ;

namespace octet::testing {
namespace {

namespace fs = std::filesystem;

class HostileOutputs : public CliTest {
 protected:
  // x [1,2,4,4] -> Conv(2, 1x1) -> Relu -> y: the smallest model quantize has a layer in.
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
    const std::string file = path("calib.npy");
    data::write_npy(file, Tensor::from_vector(DType::kFloat32, {static_cast<int64_t>(n), 2, 4, 4}, v));
    return file;
  }
  // Files in the scratch folder whose name marks a temporary of write_file_atomically.
  std::vector<std::string> temporaries() const {
    std::vector<std::string> found;
    for (const auto& e : fs::recursive_directory_iterator(dir_))
      if (e.path().filename().string().find(".tmp.") != std::string::npos) found.push_back(e.path().string());
    return found;
  }
};

TEST_F(HostileOutputs, QuantizeNeverOverwritesItsInputs) {
  const std::string model = conv_model(), data = calibration(4), before = read_bytes(model);
  fs::create_symlink(model, path("link.onnx"));
  fs::create_hard_link(model, path("hard.onnx"));
  const std::string q = path("q.onnx");
  for (const auto& [args, piece] : std::vector<std::pair<std::vector<std::string>, std::string>>{
           {{"-o", model}, "-o " + model + ": refusing to overwrite the input file given as MODEL"},
           {{"-o", dir_ + "/./sub/../conv.onnx"}, "given as MODEL"},
           {{"-o", path("link.onnx")}, "given as MODEL"},
           {{"-o", path("hard.onnx")}, "given as MODEL"},
           {{"-o", q, "--report", model}, "--report " + model + ": refusing"},
           {{"-o", q, "--stats", model}, "--stats " + model + ": refusing"},
           {{"-o", data}, "given as --data"},
           {{"-o", q, "--report", q}, "--report " + q + " and -o " + q + " name the same file"},
           {{"-o", q, "--stats", q}, "name the same file"},
       }) {
    std::vector<std::string> argv = {"quantize", model, "--data", data};
    argv.insert(argv.end(), args.begin(), args.end());
    const ProcessResult r = octet(argv);
    EXPECT_EQ(r.exit_code, 1) << r.output;
    EXPECT_NE(r.output.find(piece), std::string::npos) << piece << "\n" << r.output;
    // Refused before calibration: no report, no statistics, nothing at -o.
    EXPECT_EQ(r.output.find("calibrat"), std::string::npos) << r.output;
    EXPECT_FALSE(fs::exists(q));
  }
  EXPECT_EQ(read_bytes(model), before);
  EXPECT_TRUE(temporaries().empty());
}

TEST_F(HostileOutputs, RunNeverWritesAnOutputOverItsInputs) {
  // The model's output is named "x", so it would be written as DIR/x.npy: the input file.
  const std::string model = path("named.onnx");
  OnnxBuilder().input("in", {int64_t{3}}).node("Relu", {"in"}, {"x"}, "relu").output("x", {int64_t{3}}).save(model);
  const std::string input = write_input("x.npy", {3}, {-1.0f, 0.0f, 2.0f});
  const std::string before = read_bytes(input);
  ProcessResult r = octet({"run", model, "--input", "in=" + input, "--output-dir", dir_});
  EXPECT_EQ(r.exit_code, 1) << r.output;
  EXPECT_NE(r.output.find("output 'x' " + path("x.npy") + ": refusing to overwrite the input file given as --input in"),
            std::string::npos) << r.output;
  EXPECT_EQ(read_bytes(input), before);
  // --output-dir that is a file is an error naming it, not an internal exception.
  r = octet({"run", model, "--input", "in=" + input, "--output-dir", model});
  EXPECT_EQ(r.exit_code, 1) << r.output;
  EXPECT_NE(r.output.find("--output-dir " + model + ": cannot create"), std::string::npos) << r.output;
  EXPECT_EQ(r.output.find("internal error"), std::string::npos) << r.output;
}

TEST_F(HostileOutputs, ConvertRefusesLinksToItsInput) {
  const std::string model = conv_model(), before = read_bytes(model);
  fs::create_symlink(model, path("link.onnx"));
  fs::create_hard_link(model, path("hard.onnx"));
  for (const std::string& target : {path("link.onnx"), path("hard.onnx")}) {
    const ProcessResult r = octet({"convert", model, "-o", target});
    EXPECT_EQ(r.exit_code, 1) << r.output;
    EXPECT_NE(r.output.find("refusing to overwrite"), std::string::npos) << r.output;
  }
  EXPECT_EQ(read_bytes(model), before);
}

// A file size limit makes the kernel stop the write half-way with SIGXFSZ, deterministically:
// the target must not exist and the handler must have removed the temporary file.
TEST_F(HostileOutputs, WriteKilledHalfWayLeavesNoPartialFileAndNoTemporary) {
  const std::string model = path("wide.onnx");
  OnnxBuilder().input("in", {int64_t{1}, int64_t{4096}}).node("Relu", {"in"}, {"y"}, "relu")
      .output("y", {int64_t{1}, int64_t{4096}}).save(model);
  const std::string input = write_input("in.npy", {1, 4096}, std::vector<float>(4096, 1.5f));  // 16 KB
  fs::create_directories(path("out"));
  // dash counts ulimit -f in 512-byte blocks: 8 KB, half of the output.
  const std::string cmd = "ulimit -c 0; ulimit -f 16; exec " + shell_quote(OCTET_CLI) + " run " + shell_quote(model) +
                          " --input in=" + shell_quote(input) + " --output-dir " + shell_quote(path("out"));
  const ProcessResult r = run_process({"sh", "-c", cmd});
  EXPECT_NE(r.exit_code, 0) << r.output;
  EXPECT_FALSE(fs::exists(path("out/y.npy")));
  EXPECT_TRUE(temporaries().empty()) << temporaries().front();
  // The same run without the limit writes the whole file: the limit was what stopped it.
  const ProcessResult ok = octet({"run", model, "--input", "in=" + input, "--output-dir", path("out")});
  ASSERT_EQ(ok.exit_code, 0) << ok.output;
  EXPECT_EQ(data::read_npy(path("out/y.npy")).numel(), 4096);
}

// SIGINT and SIGKILL once quantize has started calibrating (it says so on stderr with
// --verbose): wherever the signal lands, the model and the report are both there or both absent
// (one transaction), SIGINT leaves no temporary, and the next run removes what SIGKILL left.
TEST_F(HostileOutputs, InterruptedQuantizeLeavesAllOrNothing) {
  const std::string model = conv_model(), data = calibration(200), q = path("q.onnx"), report = path("report.json");
  for (int sig : {SIGINT, SIGKILL}) {
    std::vector<std::string> args = {OCTET_CLI, "quantize", model, "--data", data, "-o", q, "--report", report,
                                     "--stats", path("stats.bin"), "--verbose"};
    std::vector<char*> argv;
    for (std::string& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    int err[2];
    ASSERT_EQ(::pipe(err), 0);
    posix_spawn_file_actions_t files;
    posix_spawn_file_actions_init(&files);
    posix_spawn_file_actions_adddup2(&files, err[1], STDERR_FILENO);
    posix_spawn_file_actions_addclose(&files, err[0]);
    // A test runner started in the background (sh: cmd &) ignores SIGINT, and children
    // inherit that: give octet the default action, as a terminal would.
    posix_spawnattr_t attr;
    posix_spawnattr_init(&attr);
    sigset_t defaults;
    sigemptyset(&defaults);
    sigaddset(&defaults, SIGINT);
    posix_spawnattr_setsigdefault(&attr, &defaults);
    posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGDEF);
    pid_t pid = 0;
    ASSERT_EQ(::posix_spawn(&pid, argv[0], &files, &attr, argv.data(), environ), 0);
    posix_spawn_file_actions_destroy(&files);
    posix_spawnattr_destroy(&attr);
    ::close(err[1]);
    std::string said;
    char buf[256];
    ssize_t n;
    while (said.find("collecting statistics") == std::string::npos && (n = ::read(err[0], buf, sizeof buf)) > 0)
      said.append(buf, static_cast<size_t>(n));
    ::kill(pid, sig);
    ::close(err[0]);
    int status = 0;
    ASSERT_EQ(::waitpid(pid, &status, 0), pid);
    EXPECT_EQ(fs::exists(q), fs::exists(report)) << "signal " << sig << ", status " << status;
    if (sig == SIGINT) EXPECT_TRUE(temporaries().empty()) << temporaries().front();
    fs::remove(q);
    fs::remove(report);
  }
  const ProcessResult r = octet({"quantize", model, "--data", data, "-o", q, "--report", report, "--stats", path("stats.bin")});
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_TRUE(temporaries().empty()) << temporaries().front();
}

// SIGINT aimed at a large write in progress: whenever it lands, the target is either absent or
// whole, and no temporary is left (the handler removes it). Repeated with growing delays so
// some land before, some during and some after the write.
TEST_F(HostileOutputs, SigintDuringAWriteRemovesTheTemporary) {
  const std::string target = path("big.bin");
  constexpr size_t kBytes = size_t{64} << 20;
  int landed_during = 0;
  for (int delay_ms : {1, 10, 40}) {
    fs::remove(target);
    int ready[2];
    ASSERT_EQ(::pipe(ready), 0);
    const pid_t pid = ::fork();
    ASSERT_GE(pid, 0);
    if (pid == 0) {
      ::signal(SIGINT, SIG_DFL);  // not inherited as ignored from a backgrounded test runner
      std::string bytes(kBytes, 'x');
      ::close(ready[0]);
      (void)!::write(ready[1], "r", 1);
      write_file_atomically(target, bytes);
      ::_exit(0);
    }
    ::close(ready[1]);
    char c;
    ASSERT_EQ(::read(ready[0], &c, 1), 1);
    ::close(ready[0]);
    ::usleep(static_cast<useconds_t>(delay_ms) * 1000);
    ::kill(pid, SIGINT);
    int status = 0;
    ASSERT_EQ(::waitpid(pid, &status, 0), pid);
    if (fs::exists(target)) EXPECT_EQ(fs::file_size(target), kBytes) << delay_ms;
    else landed_during += WIFSIGNALED(status);
    EXPECT_TRUE(temporaries().empty()) << "after a SIGINT " << delay_ms << " ms into the write";
  }
  RecordProperty("interrupted_writes", landed_during);
}

}  // namespace
}  // namespace octet::testing
