// The output transaction and write_file_atomically; see include/octet/output.hpp.
//
// A staged file is ".NAME.tmp.PID.N" in the target's own folder (so the rename is atomic and
// never crosses file systems), registered for the signal handler (core/temp_registry.hpp).
// The commit links each existing target to ".NAME.bak.PID.N" before renaming over it, so a
// rename failing half-way can put the earlier targets back.
#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <stdexcept>
#include <vector>

#include "core/file_type.hpp"
#include "core/temp_registry.hpp"
#include "octet/error.hpp"
#include "octet/output.hpp"

namespace octet {
namespace {

namespace fs = std::filesystem;

std::atomic<unsigned> g_counter{0};

fs::path folder_of(const std::string& path) {
  const fs::path p(path);
  return p.has_parent_path() ? p.parent_path() : fs::path(".");
}

// The same target however it is spelled ("a/../q.onnx", "./q.onnx").
std::string key_of(const std::string& path) {
  std::error_code ec;
  const fs::path abs = fs::absolute(path, ec);
  return (ec ? fs::path(path) : abs).lexically_normal().string();
}

// A later run removes what a SIGKILLed one left beside the same target: ".NAME.tmp.PID.N" and
// ".NAME.bak.PID.N" whose PID is no running process. Never a file of another pattern.
void remove_stale_temporaries(const fs::path& dir, const std::string& name) {
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(dir, ec)) {
    const std::string f = entry.path().filename().string();
    for (const char* kind : {".tmp.", ".bak."}) {
      const std::string prefix = "." + name + kind;
      if (f.compare(0, prefix.size(), prefix) != 0) continue;
      const std::string rest = f.substr(prefix.size());
      const size_t dot = rest.find('.');
      if (dot == 0 || dot == std::string::npos || rest.size() > 30 ||
          rest.find_first_not_of("0123456789.") != std::string::npos || rest.find('.', dot + 1) != std::string::npos)
        continue;
      const long pid = std::stol(rest.substr(0, dot));
      if (pid > 0 && pid != ::getpid() && ::kill(static_cast<pid_t>(pid), 0) != 0 && errno == ESRCH) {
        std::error_code ignore;
        fs::remove(entry.path(), ignore);
      }
    }
  }
}

struct Staged {
  std::string target, key, tmp;
  temp_registry::Handle handle = 0;
};

void discard(Staged& s) {
  ::unlink(s.tmp.c_str());
  temp_registry::remove(s.handle);
  s.handle = 0;
}

// Writes all of `bytes` to a new file `tmp`, synced to disk; throws naming `target`.
void write_new_file(const std::string& tmp, const std::string& target, const std::string& bytes) {
  const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0666);
  if (fd < 0) fail(target, ": cannot write in folder '", folder_of(target).string(), "' (", std::strerror(errno), ")");
  size_t done = 0;
  int err = 0;
  while (done < bytes.size() && err == 0) {
    const ssize_t n = ::write(fd, bytes.data() + done, bytes.size() - done);
    if (n > 0) done += static_cast<size_t>(n);
    else if (n < 0 && errno != EINTR) err = errno;
    else if (n == 0) err = EIO;
  }
  // Delayed allocation and network file systems report a full disk at fsync or close.
  if (err == 0 && ::fsync(fd) != 0 && errno != EINVAL) err = errno;
  if (::close(fd) != 0 && err == 0 && errno != EINTR) err = errno;
  if (err != 0) fail(target, ": write failed (", std::strerror(err), ")");
}

// The staged files of one transaction (or of one write outside any).
struct Staging {
  std::vector<Staged> files;

  ~Staging() {
    for (Staged& s : files) discard(s);
  }

  void stage(const std::string& path, const std::string& bytes, const std::string& protect) {
    std::error_code ec;
    if (!protect.empty() && fs::exists(path, ec) && fs::equivalent(path, protect, ec))
      fail(path, ": refusing to overwrite the input file; choose another output path");
    check_output_target(path);
    const std::string key = key_of(path);
    Staged* s = nullptr;
    for (Staged& f : files)
      if (f.key == key) s = &f;  // written again (a report updated): the new bytes replace the staged ones
    if (s == nullptr) {
      const fs::path dir = folder_of(path);
      const std::string name = fs::path(path).filename().string();
      remove_stale_temporaries(dir, name);
      Staged fresh;
      fresh.target = path;
      fresh.key = key;
      fresh.tmp = (dir / cat(".", name, ".tmp.", ::getpid(), ".", g_counter.fetch_add(1))).string();
      fresh.handle = temp_registry::add(fresh.tmp);  // before the file exists: a signal finds it
      files.push_back(fresh);
      s = &files.back();
    }
    try {
      write_new_file(s->tmp, path, bytes);
    } catch (...) {
      discard(*s);
      files.erase(files.begin() + (s - files.data()));
      throw;
    }
  }

  const Staged* find(const std::string& path) const {
    const std::string key = key_of(path);
    for (const Staged& f : files)
      if (f.key == key) return &f;
    return nullptr;
  }

  void commit() {
    temp_registry::CriticalSection hold_signals;
    std::vector<std::string> backups(files.size());
    std::vector<temp_registry::Handle> backup_handles(files.size(), 0);
    auto drop_backups = [&] {
      for (size_t i = 0; i < files.size(); ++i) {
        if (!backups[i].empty()) ::unlink(backups[i].c_str());
        temp_registry::remove(backup_handles[i]);
      }
    };
    for (size_t i = 0; i < files.size(); ++i) {
      struct stat st {};
      if (::lstat(files[i].target.c_str(), &st) != 0) continue;
      const fs::path dir = folder_of(files[i].target);
      std::string backup = (dir / cat(".", fs::path(files[i].target).filename().string(), ".bak.", ::getpid(), ".",
                                      g_counter.fetch_add(1))).string();
      backup_handles[i] = temp_registry::add(backup);
      // A file system without hard links: that target cannot be restored, the rest still can.
      if (::link(files[i].target.c_str(), backup.c_str()) == 0) backups[i] = backup;
    }
    for (size_t i = 0; i < files.size(); ++i) {
      if (::rename(files[i].tmp.c_str(), files[i].target.c_str()) == 0) continue;
      const int err = errno;
      for (size_t j = i; j-- > 0;) {
        if (!backups[j].empty()) {
          if (::rename(backups[j].c_str(), files[j].target.c_str()) == 0) backups[j].clear();
        } else {
          ::unlink(files[j].target.c_str());
        }
      }
      drop_backups();
      const std::string target = files[i].target;
      for (size_t j = 0; j < i; ++j) temp_registry::remove(files[j].handle);
      for (size_t j = i; j < files.size(); ++j) discard(files[j]);
      files.clear();
      fail(target, ": cannot rename the temporary file into place (", std::strerror(err), "); ",
           i == 0 ? "no output was written" : "the outputs written before it were restored");
    }
    drop_backups();
    for (Staged& s : files) temp_registry::remove(s.handle);
    files.clear();
  }
};

thread_local Staging* t_open = nullptr;

}  // namespace

struct OutputTransaction::Impl {
  Staging staging;
};

OutputTransaction::OutputTransaction() : impl_(std::make_unique<Impl>()) {
  if (t_open != nullptr) throw std::logic_error("an OutputTransaction is already open on this thread");
  t_open = &impl_->staging;
}

OutputTransaction::~OutputTransaction() {
  if (t_open == &impl_->staging) t_open = nullptr;
}

void OutputTransaction::commit() {
  if (t_open != &impl_->staging) return;
  t_open = nullptr;  // closed whether or not the renames succeed
  impl_->staging.commit();
}

void write_file_atomically(const std::string& path, const std::string& bytes, const std::string& protect) {
  if (t_open != nullptr) {
    t_open->stage(path, bytes, protect);
    return;
  }
  Staging one;
  one.stage(path, bytes, protect);
  one.commit();
}

std::string output_location(const std::string& path) {
  if (t_open != nullptr)
    if (const Staged* s = t_open->find(path)) return s->tmp;
  return path;
}

void check_output_target(const std::string& path) {
  if (path.empty() || path.back() == '/') fail("'", path, "': an output needs a file name");
  const std::string dir = folder_of(path).string();
  struct stat st {};
  if (::stat(dir.c_str(), &st) != 0) {
    if (errno == ENOTDIR) fail(path, ": a part of '", dir, "' is a file, not a folder");
    fail(path, ": folder '", dir, "' does not exist");
  }
  if (!S_ISDIR(st.st_mode)) fail(path, ": '", dir, "' is ", S_ISREG(st.st_mode) ? "a file" : "not a file", ", not a folder");
  if (::stat(path.c_str(), &st) != 0) return;  // a new file
  const std::string why = not_a_regular_file(path);
  if (!why.empty())
    fail(path, ": ", why, "; octet writes outputs as regular files only, and will not replace it");
}

}  // namespace octet
