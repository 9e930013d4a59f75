// The temporary files octet has on disk right now, for a signal handler to remove. While any is
// registered, every signal whose default action ends the process (INT, TERM, HUP, ALRM, USR1,
// PIPE, XFSZ, the real-time ones, ... all that are still at their default) first removes them and
// then takes its default action, so no kill short of SIGKILL leaves a temporary behind (and
// staging a file removes those a SIGKILLed octet left; see output_files.cpp).
#pragma once
#include <signal.h>

#include <string>

namespace octet::temp_registry {

// A registered path; 0 is none.
using Handle = int;

// Registers `path` (installing the handlers with the first); throws if it is too long.
Handle add(const std::string& path);
// Forgets it (the file was renamed or removed); restores the handlers with the last.
void remove(Handle h);

// While one is alive the calling thread holds off every terminating signal (delivered when it
// ends), and a handler running on another thread waits for it: a commit of several renames is
// seen by a signal whole or not at all.
class CriticalSection {
 public:
  CriticalSection();
  ~CriticalSection();
  CriticalSection(const CriticalSection&) = delete;
  CriticalSection& operator=(const CriticalSection&) = delete;

 private:
  sigset_t old_mask_;  // the caller's, restored at the end
};

}  // namespace octet::temp_registry
