// `berth push`, `berth login`, `berth logout`: docker's flags and output (oci/push.h,
// oci/docker_login.h).
#include <termios.h>
#include <unistd.h>

#include <cstdio>
#include <iostream>

#include "cli/commands.h"
#include "oci/docker_login.h"
#include "oci/push.h"
#include "oci/registry.h"

namespace berth::cli {

Result<> push_image(engine::Engine& engine, const PushFlags& f) {
  ASSIGN_OR_RETURN(oci::Reference ref, oci::parse_reference(f.name));
  oci::PushOptions options;
  options.tls_verify = f.tls_verify;
  options.cert_dir = f.cert_dir;
  ASSIGN_OR_RETURN(auto pushed, engine.images().push(ref, options, progress_lines(f.quiet)));
  if (f.quiet) std::printf("%s\n", ref.str().c_str());
  else std::printf("%s: digest: %s size: %lld\n", ref.tag.c_str(), pushed.digest.c_str(), static_cast<long long>(pushed.size));
  return {};
}

namespace {

struct LoginFlags {
  std::string server, username, password, cert_dir;
  bool password_stdin = false, tls_verify = true;
};

// "https://127.0.0.1:5000/v2/" -> "127.0.0.1:5000"; "" and Docker Hub's names -> docker.io.
std::string registry_domain(std::string server) {
  if (auto scheme = server.find("://"); scheme != std::string::npos) server = server.substr(scheme + 3);
  server = server.substr(0, server.find('/'));
  if (server.empty() || server == "index.docker.io" || server == "registry-1.docker.io") return "docker.io";
  return server;
}

// A line from the terminal, echo off for a password.
std::string prompt(const char* what, bool secret) {
  std::fprintf(stderr, "%s", what);
  struct termios saved;
  bool tty = ::isatty(STDIN_FILENO) && ::tcgetattr(STDIN_FILENO, &saved) == 0;
  if (secret && tty) {
    struct termios quiet = saved;
    quiet.c_lflag &= ~static_cast<tcflag_t>(ECHO);
    ::tcsetattr(STDIN_FILENO, TCSANOW, &quiet);
  }
  std::string line;
  std::getline(std::cin, line);
  if (secret && tty) {
    ::tcsetattr(STDIN_FILENO, TCSANOW, &saved);
    std::fprintf(stderr, "\n");
  }
  return line;
}

int login(const LoginFlags& f) {
  oci::Credentials creds{f.username, f.password, ""};
  if (!f.password.empty()) std::fprintf(stderr, "WARNING! Using --password via the CLI is insecure. Use --password-stdin.\n");
  if (f.password_stdin) {
    if (f.username.empty()) return report(Error(0, "must provide --username with --password-stdin"));
    std::string all, line;
    while (std::getline(std::cin, line)) all += (all.empty() ? "" : "\n") + line;
    creds.password = all;
  }
  if (creds.username.empty()) creds.username = prompt("Username: ", false);
  if (creds.password.empty()) creds.password = prompt("Password: ", true);
  if (creds.username.empty()) return report(Error(0, "username is empty"));
  std::string domain = registry_domain(f.server);
  oci::RegistryOptions ro;
  ro.credentials = creds;
  ro.credentials_dir = "the command line";
  auto ep = oci::registry_endpoint(oci::Reference{domain, "", "", ""}, f.tls_verify, f.cert_dir);
  if (!ep) return report(ep.error());
  auto client = oci::RegistryClient::create(*ep, ro);
  if (!client) return report(client.error());
  if (auto ok = client->check_login(); !ok) return report(wrap(ok.error(), "login to " + domain));
  auto saved = oci::save_login(domain, creds);
  if (!saved) return report(saved.error());
  if (saved->in_plain)
    std::fprintf(stderr, "WARNING! Your password will be stored unencrypted in %s.\n", saved->where.c_str());
  std::puts("Login Succeeded");
  return 0;
}

int logout(const std::string& server) {
  std::string domain = registry_domain(server);
  std::string key = oci::docker_config_key(domain);
  auto removed = oci::remove_login(domain);
  if (!removed) return report(removed.error());
  if (*removed) std::printf("Removing login credentials for %s\n", key.c_str());
  else std::printf("Not logged in to %s\n", key.c_str());
  return 0;
}

}  // namespace

void register_registry_commands(CLI::App& app, Globals& g, int* exit_code) {
  static PushFlags push_flags;
  auto* push = app.add_subcommand("push", "Upload an image to a registry");
  push->add_option("name", push_flags.name, "NAME[:TAG]")->required();
  push->add_flag("-q,--quiet", push_flags.quiet, "Suppress verbose output");
  push->add_option("--cert-dir", push_flags.cert_dir, "The certs.d directory (default /etc/berth/certs.d, /etc/docker/certs.d)");
  push->add_flag("--tls-verify", push_flags.tls_verify,
                 "Require HTTPS and verify certificates (--tls-verify=false: an insecure registry)");
  push->callback([&g, exit_code] {
    auto eng = open_engine(g);
    auto pushed = eng ? push_image(*eng, push_flags) : std::unexpected(eng.error());
    *exit_code = pushed ? 0 : report(pushed.error());
  });

  static LoginFlags login_flags;
  auto* login_cmd = app.add_subcommand("login", "Log in to a registry");
  login_cmd->add_option("server", login_flags.server, "SERVER (default: Docker Hub)");
  login_cmd->add_option("-u,--username", login_flags.username, "Username");
  login_cmd->add_option("-p,--password", login_flags.password, "Password");
  login_cmd->add_flag("--password-stdin", login_flags.password_stdin, "Take the password from stdin");
  login_cmd->add_option("--cert-dir", login_flags.cert_dir, "The certs.d directory (default /etc/berth/certs.d, /etc/docker/certs.d)");
  login_cmd->add_flag("--tls-verify", login_flags.tls_verify, "Require HTTPS and verify certificates");
  login_cmd->callback([exit_code] { *exit_code = login(login_flags); });

  static std::string logout_server;
  auto* logout_cmd = app.add_subcommand("logout", "Log out from a registry");
  logout_cmd->add_option("server", logout_server, "SERVER (default: Docker Hub)");
  logout_cmd->callback([exit_code] { *exit_code = logout(logout_server); });
}

}  // namespace berth::cli
