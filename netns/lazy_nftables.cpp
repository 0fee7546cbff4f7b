// libnftables, loaded the first time berth changes its NAT rules (base/lazy_library.h says
// why): it brings libnftnl, libxtables, libjansson and libgmp along, which a container
// without published ports never needs. Each function berth calls is defined here with
// libnftables.h's own signature and forwards to the library's.

#include <nftables/libnftables.h>

#include "base/lazy_library.h"

// The library, and the Debian package that has it.
#define REAL(name) LAZY_FORWARD("libnftables.so.1", "libnftables1", name)

extern "C" {

struct nft_ctx* nft_ctx_new(uint32_t flags) { return REAL(nft_ctx_new)(flags); }
void nft_ctx_free(struct nft_ctx* ctx) { REAL(nft_ctx_free)(ctx); }
int nft_ctx_buffer_output(struct nft_ctx* ctx) { return REAL(nft_ctx_buffer_output)(ctx); }
int nft_ctx_buffer_error(struct nft_ctx* ctx) { return REAL(nft_ctx_buffer_error)(ctx); }
const char* nft_ctx_get_output_buffer(struct nft_ctx* ctx) {
  return REAL(nft_ctx_get_output_buffer)(ctx);
}
const char* nft_ctx_get_error_buffer(struct nft_ctx* ctx) {
  return REAL(nft_ctx_get_error_buffer)(ctx);
}
int nft_run_cmd_from_filename(struct nft_ctx* nft, const char* filename) {
  return REAL(nft_run_cmd_from_filename)(nft, filename);
}

}  // extern "C"
