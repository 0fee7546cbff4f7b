# bench/lib/fresh-fs.sh: a fresh filesystem for a benchmark's state (sourced, not run).
#
# Why: this VM's root is ext4 *without* a journal, which skips, when it allocates an inode,
# every inode of the group freed in the last 60 s (300 s while its inode table block is
# dirty; fs/ext4/ialloc.c, recently_deleted()). Benchmarks that create and delete files on
# every run (a container's records, its overlay's upper and work directories, the overlay's
# own probes at mount) then get slower run after run, and the figure depends on what the
# machine deleted in the minutes before: `berth run --rm` measured anything from 10.9 to
# 13.5 ms on /tmp, and 20 `run -d` 240 to 420 ms, for the same binary. A journalled ext4,
# as on any VPS, does not do this. So the tools keep their state on a new ext4 (mkfs.ext4
# defaults, journal and all, inode tables initialised up front so that no lazy-init thread
# writes during the rounds) on a sparse file, attached with `losetup --direct-io=on` so that
# its writes reach the disk instead of a second page cache. bench/pull does the same.

FRESH_FS_LOOPDEV=""

# fresh_fs_make IMAGE MOUNTPOINT SIZE: makes the filesystem in the sparse file IMAGE, SIZE
# as truncate(1) takes it, and mounts it at MOUNTPOINT. Nonzero status on failure.
fresh_fs_make() {
  local tool
  for tool in mkfs.ext4 losetup; do
    command -v "$tool" >/dev/null || { echo "$tool is missing" >&2; return 1; }
  done
  truncate -s "$3" "$1" &&
    mkfs.ext4 -q -E lazy_itable_init=0,lazy_journal_init=0,nodiscard "$1" &&
    FRESH_FS_LOOPDEV=$(losetup --direct-io=on --show -f "$1") &&
    mkdir -p "$2" && mount "$FRESH_FS_LOOPDEV" "$2"
}

# fresh_fs_release MOUNTPOINT: unmounts it (what is mounted below must be gone already)
# and detaches the loop device.
fresh_fs_release() {
  umount "$1" 2>/dev/null || umount -l "$1" 2>/dev/null
  [ -z "$FRESH_FS_LOOPDEV" ] || losetup -d "$FRESH_FS_LOOPDEV" 2>/dev/null
  FRESH_FS_LOOPDEV=""
}
