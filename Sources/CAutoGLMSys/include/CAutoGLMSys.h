// The C shim: POSIX calls that Swift (and Embedded Swift in particular) cannot
// import as-is — variadic functions, macros like MAP_FAILED, struct-heavy APIs.
// Static inline only, no logic beyond translating return conventions.
#ifndef CAUTOGLMSYS_H
#define CAUTOGLMSYS_H

#include <stdint.h>
#include <stddef.h>
#include <fcntl.h>
#include <unistd.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/resource.h>
#include <time.h>
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <stdio.h>
#include <dirent.h>
#ifdef __linux__
#include <linux/futex.h>
#include <sys/syscall.h>
#endif

/// Opens a file read-only. Returns the fd or -errno.
static inline int32_t aglm_open_readonly(const char *path) {
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    return fd >= 0 ? fd : -errno;
}

/// Size of an open file in bytes, or -errno.
static inline int64_t aglm_file_size(int32_t fd) {
    struct stat st;
    if (fstat(fd, &st) != 0) return -errno;
    return (int64_t)st.st_size;
}

/// Maps `length` bytes of fd read-only and private. Returns NULL on failure
/// (MAP_FAILED does not import into Swift).
static inline const void *aglm_mmap_readonly(int32_t fd, size_t length) {
    void *p = mmap(NULL, length, PROT_READ, MAP_PRIVATE, fd, 0);
    return p == MAP_FAILED ? NULL : p;
}

static inline int32_t aglm_munmap(const void *p, size_t length) {
    return munmap((void *)p, length) == 0 ? 0 : -errno;
}

/// Drops the resident pages of [p, p + length) (page-aligned) of a private file
/// mapping; the next read faults them in from the file again. Returns 0 or -errno.
static inline int32_t aglm_madvise_dontneed(const void *p, size_t length) {
    return madvise((void *)p, length, MADV_DONTNEED) == 0 ? 0 : -errno;
}

static inline int64_t aglm_page_size(void) { return (int64_t)sysconf(_SC_PAGESIZE); }

static inline int32_t aglm_close(int32_t fd) { return close(fd) == 0 ? 0 : -errno; }

static inline int32_t aglm_errno(void) { return errno; }

/// The C library's text for an errno value ("No such file or directory"), copied into
/// buf (always NUL-terminated). strerror itself may share one buffer between threads.
void aglm_strerror(int32_t error, char *buf, size_t size);

/// Creates (or truncates) a file for writing, mode 0644. Returns the fd or -errno
/// (open is variadic, so Swift cannot call it directly).
static inline int32_t aglm_create_file(const char *path) {
    int fd = open(path, O_CREAT | O_TRUNC | O_WRONLY | O_CLOEXEC, 0644);
    return fd >= 0 ? fd : -errno;
}

static inline int32_t aglm_fsync(int32_t fd) { return fsync(fd) == 0 ? 0 : -errno; }

static inline int32_t aglm_rename(const char *from, const char *to) {
    return rename(from, to) == 0 ? 0 : -errno;
}

static inline int32_t aglm_unlink(const char *path) { return unlink(path) == 0 ? 0 : -errno; }

/// Reads up to `count` bytes at `offset` (pread, retried on EINTR and short reads).
/// Returns the bytes read (fewer only at end of file) or -errno.
static inline int64_t aglm_read_at(int32_t fd, void *buffer, size_t count, int64_t offset) {
    size_t done = 0;
    while (done < count) {
        ssize_t n = pread(fd, (uint8_t *)buffer + done, count - done, (off_t)(offset + (int64_t)done));
        if (n < 0) { if (errno == EINTR) continue; return -errno; }
        if (n == 0) break;
        done += (size_t)n;
    }
    return (int64_t)done;
}

/// mkdir with mode 0755; an existing directory is not an error. Returns 0 or -errno.
static inline int32_t aglm_make_directory(const char *path) {
    if (mkdir(path, 0755) == 0 || errno == EEXIST) return 0;
    return -errno;
}

/// Creates (or truncates) a checkpoint file for writing, readable by its owner only: mode
/// 0600 whatever the umask (fchmod after open, since open's mode is masked). Refuses to
/// follow a symlink at `path`. Returns the fd or -errno.
static inline int32_t aglm_create_private_file(const char *path) {
    int fd = open(path, O_CREAT | O_TRUNC | O_WRONLY | O_CLOEXEC | O_NOFOLLOW, 0600);
    if (fd < 0) return -errno;
    if (fchmod(fd, 0600) != 0) { int e = errno; close(fd); return -e; }
    return fd;
}

/// Opens a checkpoint file read-only without blocking (a FIFO opens at once and then fails
/// to read) and without following a symlink (ELOOP). Returns the fd or -errno.
static inline int32_t aglm_open_private_file(const char *path) {
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOFOLLOW);
    return fd >= 0 ? fd : -errno;
}

/// mkdir with mode 0700, set exactly (chmod) when this call created it; an existing
/// directory is left as it is (callers check it). Returns 0 or -errno.
static inline int32_t aglm_make_private_directory(const char *path) {
    if (mkdir(path, 0700) == 0) return chmod(path, 0700) == 0 ? 0 : -errno;
    return errno == EEXIST ? 0 : -errno;
}

/// What lstat says a path is, without opening it (opening a FIFO could block):
/// 1 regular file, 2 directory, 3 symlink, 4 anything else; -errno on failure.
static inline int32_t aglm_entry_kind(const char *path) {
    struct stat st;
    if (lstat(path, &st) != 0) return -errno;
    if (S_ISREG(st.st_mode)) return 1;
    if (S_ISDIR(st.st_mode)) return 2;
    if (S_ISLNK(st.st_mode)) return 3;
    return 4;
}

/// Owner uid and permission bits of what `path` names (symlinks followed), for the
/// checks on a directory that will hold private files. 0 or -errno.
static inline int32_t aglm_owner_and_mode(const char *path, uint32_t *uid, uint32_t *mode) {
    struct stat st;
    if (stat(path, &st) != 0) return -errno;
    if (!S_ISDIR(st.st_mode)) return -ENOTDIR;
    *uid = (uint32_t)st.st_uid;
    *mode = (uint32_t)(st.st_mode & 07777);
    return 0;
}

static inline int32_t aglm_chmod(const char *path, uint32_t mode) {
    return chmod(path, (mode_t)mode) == 0 ? 0 : -errno;
}

/// Directory listing (DIR * does not import as a usable Swift type everywhere).
static inline void *aglm_directory_open(const char *path) { return (void *)opendir(path); }
/// Next entry's name, or NULL at the end. "." and ".." are skipped.
static inline const char *aglm_directory_next(void *dir) {
    struct dirent *e;
    while ((e = readdir((DIR *)dir)) != NULL) {
        if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0) return e->d_name;
    }
    return NULL;
}
static inline void aglm_directory_close(void *dir) { closedir((DIR *)dir); }

/// Aligned heap block for arenas. Returns NULL on failure.
static inline void *aglm_aligned_alloc(size_t alignment, size_t size) {
    void *p = NULL;
    if (posix_memalign(&p, alignment, size == 0 ? alignment : size) != 0) return NULL;
    return p;
}

static inline void aglm_free(void *p) { free(p); }

/// Monotonic clock in nanoseconds.
static inline uint64_t aglm_monotonic_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/// Peak resident set size of this process in bytes.
static inline int64_t aglm_peak_rss_bytes(void) {
    struct rusage ru;
    if (getrusage(RUSAGE_SELF, &ru) != 0) return -1;
    return (int64_t)ru.ru_maxrss * 1024;
}

/// Number of online CPUs.
static inline int32_t aglm_cpu_count(void) {
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    return n > 0 ? (int32_t)n : 1;
}

/// CPUs this process may run on (its sched_getaffinity mask: taskset, cpusets), or
/// -1 when the mask cannot be read.
int32_t aglm_affinity_cpu_count(void);

/// Writes all bytes to fd (1 = stdout, 2 = stderr). Returns 0 or -errno.
static inline int32_t aglm_write_all(int32_t fd, const void *bytes, size_t count) {
    const uint8_t *p = (const uint8_t *)bytes;
    while (count > 0) {
        ssize_t n = write(fd, p, count);
        if (n < 0) { if (errno == EINTR) continue; return -errno; }
        p += n; count -= (size_t)n;
    }
    return 0;
}

typedef void (*aglm_thread_fn)(void *context);

/// Starts a joinable pthread running fn(context). Returns an opaque handle
/// (0 on failure) to pass to aglm_thread_join. Defined in shim.c.
uint64_t aglm_thread_start(aglm_thread_fn fn, void *context);
int32_t aglm_thread_join(uint64_t handle);

static inline void aglm_thread_yield(void) { sched_yield(); }

/// Sleeps while the 32-bit word at `word` equals `expected` (Linux futex, process
/// private). Returns on a wake, a signal, or at once when the word already differs, so
/// callers re-check their condition in a loop. Without futexes it yields the core once.
static inline void aglm_futex_wait(void *word, uint32_t expected) {
#ifdef __linux__
    syscall(SYS_futex, (uint32_t *)word, FUTEX_WAIT_PRIVATE, expected, NULL, NULL, 0);
#else
    (void)word; (void)expected;
    sched_yield();
#endif
}

/// Wakes every thread sleeping in aglm_futex_wait on `word`.
static inline void aglm_futex_wake_all(void *word) {
#ifdef __linux__
    syscall(SYS_futex, (uint32_t *)word, FUTEX_WAKE_PRIVATE, INT32_MAX, NULL, NULL, 0);
#else
    (void)word;
#endif
}

/// Pins the calling thread to one CPU. Returns 0 or -1. Defined in shim.c.
int32_t aglm_pin_current_thread(int32_t cpu);

/// Sets the calling thread's nice value (19 lowest priority): background threads, such as
/// the checkpoint writer, then yield the CPU to decoding. 0 on success, -1 otherwise.
int32_t aglm_set_current_thread_niceness(int32_t niceness);

#endif
