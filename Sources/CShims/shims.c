#ifndef _GNU_SOURCE
#error "CShims must be compiled with _GNU_SOURCE defined (see Package.swift)"
#endif

#include "CShims.h"

#include <malloc.h>
#include <pthread.h>
#include <string.h>
#include <sys/socket.h>

int cshims_accept_nonblocking(int listener) {
    return accept4(listener, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
}

int cshims_peer_credentials(int socket, pid_t *pid, uid_t *uid, gid_t *gid) {
    struct ucred credentials;
    socklen_t length = sizeof(credentials);
    if (getsockopt(socket, SOL_SOCKET, SO_PEERCRED, &credentials, &length) != 0) {
        return -1;
    }
    *pid = credentials.pid;
    *uid = credentials.uid;
    *gid = credentials.gid;
    return 0;
}

int cshims_set_thread_name(const char *name) {
    char truncated[16];
    strncpy(truncated, name, sizeof(truncated) - 1);
    truncated[sizeof(truncated) - 1] = '\0';
    return pthread_setname_np(pthread_self(), truncated);
}

size_t cshims_heap_bytes_in_use(void) {
    return mallinfo2().uordblks;
}
