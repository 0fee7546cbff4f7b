// --trace: narrate each container setup step and the syscalls it makes, for learners.
//
//      8.41ms [07/15] pivot_root: make the image the new /, then detach the old root
//      8.43ms         pivot_root(".", ".")  umount2("/", MNT_DETACH)
//
// Each line starts with the time since tracing began, so the slow steps stand out.
//
// Output goes to stderr, unbuffered, with write(2) only, so it is safe to call in the
// child between clone() and execve() (no locks, no allocation in trace_syscall's fast path
// when tracing is off).
#pragma once

#include <string>

namespace berth {

// Turned on by the CLI's --trace; inherited across clone() as plain memory.
void set_trace(bool on);
// Where trace lines go (default: stderr). A process about to hand its stderr to a
// container keeps the user's stderr on another fd for them.
void set_trace_fd(int fd);
bool trace_enabled();

// "[index/total] name: why"
void trace_step(int index, int total, const char* name, const char* why);
// "        syscall text" (indented under the current step).
void trace_syscall(const std::string& text);
// A free-form line, for work outside a step table (e.g. "loading layer sha256:...").
void trace_note(const std::string& text);

// "berth: warning: text" on stderr, traced or not: something berth could not do and will
// try again (a crash's leftovers it could not clean), which must not fail the command.
void warn(const std::string& text);

// Lines written by the calling thread carry `label` after their time ("[network] "), so
// that a helper thread's work stands out from the main thread's it runs beside. A
// static string; nullptr removes the label.
void set_trace_thread_label(const char* label);

// Decoders used by trace lines: "MS_BIND|MS_REC|MS_RDONLY", "CLONE_NEWNS|CLONE_NEWPID".
std::string mount_flags_str(unsigned long flags);
std::string clone_flags_str(unsigned long flags);
// Shell-style quoting of a string for trace output: "\"/proc\"".
std::string quote(const std::string& s);

}  // namespace berth
