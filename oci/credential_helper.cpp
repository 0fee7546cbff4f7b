// Docker's credential helper protocol (see credential_helper.h).
#include "oci/credential_helper.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include "base/fd.h"

namespace berth::oci {

namespace {

struct HelperOutput {
  int status = 0;
  std::string out;
};

// Runs docker-credential-HELPER ACTION with `input` on its stdin; its stdout back.
Result<HelperOutput> run_helper(const std::string& helper, const std::string& action, const std::string& input) {
  std::string program = "docker-credential-" + helper;
  int in[2], out[2];
  if (::pipe2(in, O_CLOEXEC) < 0 || ::pipe2(out, O_CLOEXEC) < 0) return sys_error("pipe2");
  Fd in_r(in[0]), in_w(in[1]), out_r(out[0]), out_w(out[1]);
  pid_t pid = ::fork();
  if (pid < 0) return sys_error("fork");
  if (pid == 0) {
    ::dup2(in_r.get(), 0);
    ::dup2(out_w.get(), 1);
    const char* argv[] = {program.c_str(), action.c_str(), nullptr};
    ::execvp(program.c_str(), const_cast<char* const*>(argv));
    ::_exit(127);
  }
  in_r.reset();
  out_w.reset();
  // A helper that exits without reading (not found: 127) must not kill us with SIGPIPE.
  struct sigaction ignore = {}, saved = {};
  ignore.sa_handler = SIG_IGN;
  ::sigaction(SIGPIPE, &ignore, &saved);
  (void)write_all(in_w.get(), input.data(), input.size());
  ::sigaction(SIGPIPE, &saved, nullptr);
  in_w.reset();
  HelperOutput r;
  char buf[4096];
  for (ssize_t n; (n = ::read(out_r.get(), buf, sizeof buf)) != 0;) {
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) break;
    r.out.append(buf, static_cast<size_t>(n));
  }
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  r.status = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  if (r.status == 127) return fail("credential helper not found in PATH", program);
  return r;
}

std::string first_line(const std::string& s) { return s.substr(0, s.find('\n')); }

}  // namespace

std::string credential_helper_for(const Json& config, const std::string& key) {
  if (auto h = config.find("credHelpers"); h != config.end() && h->is_object()) {
    auto it = h->find(key);
    if (it != h->end() && it->is_string()) return it->get<std::string>();
  }
  if (auto s = config.find("credsStore"); s != config.end() && s->is_string()) return s->get<std::string>();
  return "";
}

Result<std::optional<Credentials>> helper_get(const std::string& helper, const std::string& server) {
  ASSIGN_OR_RETURN(HelperOutput r, run_helper(helper, "get", server));
  if (r.status != 0) {
    if (r.out.find("credentials not found") != std::string::npos) return std::nullopt;
    return fail("docker-credential-" + helper + " get: " + first_line(r.out));
  }
  ASSIGN_OR_RETURN(Json doc, parse_json(r.out, "docker-credential-" + helper + " get"));
  if (!doc.is_object()) return fail("docker-credential-" + helper + " get: not a JSON object");
  Credentials c;
  c.username = doc.value("Username", "");
  c.password = doc.value("Secret", "");
  c.source = "docker-credential-" + helper;
  if (c.username.empty() && c.password.empty()) return std::nullopt;
  return c;
}

Result<> helper_store(const std::string& helper, const std::string& server, const Credentials& creds) {
  Json doc = {{"ServerURL", server}, {"Username", creds.username}, {"Secret", creds.password}};
  ASSIGN_OR_RETURN(HelperOutput r, run_helper(helper, "store", doc.dump()));
  if (r.status != 0) return fail("docker-credential-" + helper + " store: " + first_line(r.out));
  return {};
}

Result<> helper_erase(const std::string& helper, const std::string& server) {
  ASSIGN_OR_RETURN(HelperOutput r, run_helper(helper, "erase", server));
  if (r.status != 0 && r.out.find("credentials not found") == std::string::npos)
    return fail("docker-credential-" + helper + " erase: " + first_line(r.out));
  return {};
}

}  // namespace berth::oci
