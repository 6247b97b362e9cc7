// The few Linux calls Swift cannot make directly: GNU-only functions (hidden unless _GNU_SOURCE
// is defined when the header is read) and structures that only exist under it. Every symbol is
// prefixed `cshims_` so it cannot clash with libc.
#pragma once

// Linux headers Swift's Glibc module leaves out; including them here makes epoll and eventfd
// visible to the I/O module through `import CShims`.
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <stddef.h>
#include <spawn.h>
#include <sys/types.h>

/// `accept4(2)` with SOCK_NONBLOCK | SOCK_CLOEXEC, so an accepted socket is never inherited by a
/// child process and never blocks the event loop. Returns the new descriptor or -1 with errno set.
int cshims_accept_nonblocking(int listener);

/// The process, user and group of the peer of a connected Unix socket (`SO_PEERCRED`; the
/// `struct ucred` it fills is GNU-only). Returns 0, or -1 with errno set.
int cshims_peer_credentials(int socket, pid_t *pid, uid_t *uid, gid_t *gid);

/// Names the calling thread as `ps -L` and debuggers show it (`pthread_setname_np`, GNU-only).
/// Names longer than 15 bytes are truncated. Returns 0 or an error number.
int cshims_set_thread_name(const char *name);

/// Bytes the C heap has handed out and not had back (glibc `mallinfo2().uordblks`): what
/// benchmarks use to weigh a data structure without counting pages the allocator keeps.
size_t cshims_heap_bytes_in_use(void);

/// Starts `/bin/sh -c command` with environment `envp` (NULL-terminated "NAME=value" strings) in
/// a process group of its own (so the whole group can be signalled), standard input from
/// /dev/null, and SIGPIPE, SIGINT and SIGTERM back at their defaults with nothing blocked (the
/// parent ignores SIGPIPE; a child must not inherit that). Returns 0 and sets `*pid`, or an error
/// number.
int cshims_spawn_shell(const char *command, char *const envp[], pid_t *pid);

/// Adds a `closefrom(lowest)` to a spawn's file actions (`posix_spawn_file_actions_addclosefrom_np`,
/// GNU-only): the child starts with no descriptor at or above `lowest`, whatever the parent holds
/// that was opened without `O_CLOEXEC` (by a library, or by a thread racing the spawn). Returns 0
/// or an error number.
int cshims_spawn_file_actions_addclosefrom(posix_spawn_file_actions_t *actions, int lowest);

/// Waits until child `pid` has exited, without reaping it (`waitid` with `WNOWAIT`), so its id
/// cannot be reused while the caller still signals it. Returns the exit status, or 128 + the
/// signal that ended it; -1 with errno set on failure.
int cshims_wait_exited_no_reap(pid_t pid);
