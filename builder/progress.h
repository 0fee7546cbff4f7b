// Build output in the shape of BuildKit's plain progress (`docker build --progress=plain`):
// each step is a numbered vertex, its output lines carry the vertex number and the seconds
// since the step started, and it ends with DONE, CACHED or ERROR:
//   #5 [builder 2/4] RUN make
//   #5 0.153 cc -o app main.c
//   #5 DONE 1.2s
// Quiet mode (-q) prints nothing; the caller prints the image id alone.
#pragma once

#include <chrono>
#include <cstdio>
#include <mutex>
#include <string>

namespace berth::builder {

class Progress {
 public:
  explicit Progress(FILE* out, bool quiet = false) : out_(out), quiet_(quiet) {}

  // A new vertex; returns its number.
  int start(const std::string& name);
  // A line of the current vertex's output.
  void line(const std::string& text);
  void done();
  void cached();
  void error(const std::string& message);
  bool quiet() const { return quiet_; }

 private:
  double elapsed() const;
  FILE* out_;
  bool quiet_;
  int next_ = 1, current_ = 0;
  std::chrono::steady_clock::time_point started_;
  std::mutex mu_;  // RUN output arrives from a reader thread
};

}  // namespace berth::builder
