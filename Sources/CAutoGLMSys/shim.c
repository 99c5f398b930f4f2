#define _GNU_SOURCE
#include "CAutoGLMSys.h"
#ifdef __linux__
#include <sys/syscall.h>
#endif

// pthread wants void *(*)(void *); Swift hands us void (*)(void *). A heap
// trampoline bridges the two without casting function pointer types.
struct aglm_thread_start_args { aglm_thread_fn fn; void *context; };

static void *aglm_thread_trampoline(void *raw) {
    struct aglm_thread_start_args args = *(struct aglm_thread_start_args *)raw;
    free(raw);
    args.fn(args.context);
    return NULL;
}

uint64_t aglm_thread_start(aglm_thread_fn fn, void *context) {
    struct aglm_thread_start_args *args = malloc(sizeof *args);
    if (args == NULL) return 0;
    args->fn = fn;
    args->context = context;
    pthread_t t;
    if (pthread_create(&t, NULL, aglm_thread_trampoline, args) != 0) { free(args); return 0; }
    return (uint64_t)t;
}

int32_t aglm_thread_join(uint64_t handle) {
    return pthread_join((pthread_t)handle, NULL) == 0 ? 0 : -1;
}

int32_t aglm_set_current_thread_niceness(int32_t niceness) {
#ifdef __linux__
    // On Linux a nice value belongs to a thread: setpriority takes its tid.
    return setpriority(PRIO_PROCESS, (id_t)syscall(SYS_gettid), niceness) == 0 ? 0 : -1;
#else
    (void)niceness;
    return -1;
#endif
}

int32_t aglm_pin_current_thread(int32_t cpu) {
#ifdef __linux__
    cpu_set_t set;
    CPU_ZERO(&set);
    CPU_SET(cpu, &set);
    return pthread_setaffinity_np(pthread_self(), sizeof(set), &set) == 0 ? 0 : -1;
#else
    (void)cpu;
    return -1;
#endif
}

void aglm_strerror(int32_t error, char *buf, size_t size) {
    if (size == 0) return;
    // GNU strerror_r (_GNU_SOURCE above) returns either buf or a static string.
    const char *text = strerror_r(error, buf, size);
    if (text != buf) {
        strncpy(buf, text, size - 1);
        buf[size - 1] = '\0';
    }
}

int32_t aglm_affinity_cpu_count(void) {
#ifdef __linux__
    // A dynamically sized set, so machines with more than CPU_SETSIZE (1024) CPUs work too.
    for (int cpus = 1024; cpus <= 1 << 16; cpus *= 2) {
        cpu_set_t *set = CPU_ALLOC(cpus);
        if (set == NULL) return -1;
        size_t bytes = CPU_ALLOC_SIZE(cpus);
        CPU_ZERO_S(bytes, set);
        if (sched_getaffinity(0, bytes, set) == 0) {
            int n = CPU_COUNT_S(bytes, set);
            CPU_FREE(set);
            return n;
        }
        CPU_FREE(set);
        if (errno != EINVAL) return -1;
    }
#endif
    return -1;
}
