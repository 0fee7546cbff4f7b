// libarchive, loaded the first time berth reads or writes a tar (base/lazy_library.h says
// why). Each function berth calls is defined here with archive.h's own signature and
// forwards to the library's. A new call elsewhere fails to link until it is added here.

#include <archive.h>
#include <archive_entry.h>

#include "base/lazy_library.h"

// The library, and the Debian package that has it.
#define REAL(name) LAZY_FORWARD("libarchive.so.13", "libarchive13", name)

extern "C" {

// Reading.
struct archive* archive_read_new(void) { return REAL(archive_read_new)(); }
int archive_read_free(struct archive* a) { return REAL(archive_read_free)(a); }
int archive_read_support_filter_all(struct archive* a) {
  return REAL(archive_read_support_filter_all)(a);
}
int archive_read_support_filter_bzip2(struct archive* a) {
  return REAL(archive_read_support_filter_bzip2)(a);
}
int archive_read_support_filter_gzip(struct archive* a) {
  return REAL(archive_read_support_filter_gzip)(a);
}
int archive_read_support_filter_xz(struct archive* a) {
  return REAL(archive_read_support_filter_xz)(a);
}
int archive_read_support_filter_zstd(struct archive* a) {
  return REAL(archive_read_support_filter_zstd)(a);
}
int archive_read_support_format_empty(struct archive* a) {
  return REAL(archive_read_support_format_empty)(a);
}
int archive_read_support_format_raw(struct archive* a) {
  return REAL(archive_read_support_format_raw)(a);
}
int archive_read_support_format_tar(struct archive* a) {
  return REAL(archive_read_support_format_tar)(a);
}
int archive_read_open(struct archive* a, void* client_data, archive_open_callback* open,
                      archive_read_callback* read, archive_close_callback* close) {
  return REAL(archive_read_open)(a, client_data, open, read, close);
}
int archive_read_open_filename(struct archive* a, const char* filename, size_t block_size) {
  return REAL(archive_read_open_filename)(a, filename, block_size);
}
int archive_read_next_header(struct archive* a, struct archive_entry** entry) {
  return REAL(archive_read_next_header)(a, entry);
}
int archive_read_data_block(struct archive* a, const void** buff, size_t* size,
                            la_int64_t* offset) {
  return REAL(archive_read_data_block)(a, buff, size, offset);
}
const char* archive_error_string(struct archive* a) { return REAL(archive_error_string)(a); }

// Writing.
struct archive* archive_write_new(void) { return REAL(archive_write_new)(); }
int archive_write_free(struct archive* a) { return REAL(archive_write_free)(a); }
int archive_write_set_format_pax_restricted(struct archive* a) {
  return REAL(archive_write_set_format_pax_restricted)(a);
}
int archive_write_set_bytes_in_last_block(struct archive* a, int bytes_in_last_block) {
  return REAL(archive_write_set_bytes_in_last_block)(a, bytes_in_last_block);
}
int archive_write_open2(struct archive* a, void* client_data, archive_open_callback* open,
                        archive_write_callback* write, archive_close_callback* close,
                        archive_free_callback* free) {
  return REAL(archive_write_open2)(a, client_data, open, write, close, free);
}
int archive_write_open_filename(struct archive* a, const char* file) {
  return REAL(archive_write_open_filename)(a, file);
}
int archive_write_header(struct archive* a, struct archive_entry* entry) {
  return REAL(archive_write_header)(a, entry);
}
la_ssize_t archive_write_data(struct archive* a, const void* data, size_t size) {
  return REAL(archive_write_data)(a, data, size);
}
int archive_write_close(struct archive* a) { return REAL(archive_write_close)(a); }

// Entries.
struct archive_entry* archive_entry_new(void) { return REAL(archive_entry_new)(); }
void archive_entry_free(struct archive_entry* e) { REAL(archive_entry_free)(e); }
void archive_entry_copy_stat(struct archive_entry* e, const struct stat* st) {
  REAL(archive_entry_copy_stat)(e, st);
}
const char* archive_entry_pathname(struct archive_entry* e) {
  return REAL(archive_entry_pathname)(e);
}
const char* archive_entry_pathname_utf8(struct archive_entry* e) {
  return REAL(archive_entry_pathname_utf8)(e);
}
const char* archive_entry_hardlink(struct archive_entry* e) {
  return REAL(archive_entry_hardlink)(e);
}
const char* archive_entry_symlink(struct archive_entry* e) {
  return REAL(archive_entry_symlink)(e);
}
__LA_MODE_T archive_entry_filetype(struct archive_entry* e) {
  return REAL(archive_entry_filetype)(e);
}
__LA_MODE_T archive_entry_perm(struct archive_entry* e) { return REAL(archive_entry_perm)(e); }
la_int64_t archive_entry_uid(struct archive_entry* e) { return REAL(archive_entry_uid)(e); }
la_int64_t archive_entry_gid(struct archive_entry* e) { return REAL(archive_entry_gid)(e); }
la_int64_t archive_entry_size(struct archive_entry* e) { return REAL(archive_entry_size)(e); }
dev_t archive_entry_rdev(struct archive_entry* e) { return REAL(archive_entry_rdev)(e); }
time_t archive_entry_atime(struct archive_entry* e) { return REAL(archive_entry_atime)(e); }
long archive_entry_atime_nsec(struct archive_entry* e) {
  return REAL(archive_entry_atime_nsec)(e);
}
int archive_entry_atime_is_set(struct archive_entry* e) {
  return REAL(archive_entry_atime_is_set)(e);
}
time_t archive_entry_mtime(struct archive_entry* e) { return REAL(archive_entry_mtime)(e); }
long archive_entry_mtime_nsec(struct archive_entry* e) {
  return REAL(archive_entry_mtime_nsec)(e);
}
int archive_entry_mtime_is_set(struct archive_entry* e) {
  return REAL(archive_entry_mtime_is_set)(e);
}
void archive_entry_set_pathname(struct archive_entry* e, const char* name) {
  REAL(archive_entry_set_pathname)(e, name);
}
void archive_entry_set_hardlink(struct archive_entry* e, const char* target) {
  REAL(archive_entry_set_hardlink)(e, target);
}
void archive_entry_set_symlink(struct archive_entry* e, const char* target) {
  REAL(archive_entry_set_symlink)(e, target);
}
void archive_entry_set_filetype(struct archive_entry* e, unsigned int type) {
  REAL(archive_entry_set_filetype)(e, type);
}
void archive_entry_set_perm(struct archive_entry* e, __LA_MODE_T perm) {
  REAL(archive_entry_set_perm)(e, perm);
}
void archive_entry_set_size(struct archive_entry* e, la_int64_t size) {
  REAL(archive_entry_set_size)(e, size);
}
void archive_entry_set_mtime(struct archive_entry* e, time_t sec, long nsec) {
  REAL(archive_entry_set_mtime)(e, sec, nsec);
}
void archive_entry_set_uname(struct archive_entry* e, const char* name) {
  REAL(archive_entry_set_uname)(e, name);
}
void archive_entry_set_gname(struct archive_entry* e, const char* name) {
  REAL(archive_entry_set_gname)(e, name);
}
int archive_entry_xattr_reset(struct archive_entry* e) {
  return REAL(archive_entry_xattr_reset)(e);
}
int archive_entry_xattr_next(struct archive_entry* e, const char** name, const void** value,
                             size_t* size) {
  return REAL(archive_entry_xattr_next)(e, name, value, size);
}
void archive_entry_xattr_add_entry(struct archive_entry* e, const char* name, const void* value,
                                   size_t size) {
  REAL(archive_entry_xattr_add_entry)(e, name, value, size);
}

}  // extern "C"
