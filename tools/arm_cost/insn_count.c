// A qemu TCG plugin that counts the guest instructions a program executes, for
// tools/arm_cost.py. Debian's qemu-user is built with plugin support but ships none of
// qemu's example plugins (no libinsn.so), so this is the smallest equivalent: at
// translation every block gets an inline "counter += its instruction count" on
// execution, so the count is exact and costs no callback per block.
//
// The counter is one 64-bit word, not one per vCPU: with several guest threads running
// at once their additions could race, so arm_cost.py runs every program on one thread.
//
// With profile=FILE it also counts per translated block and writes "address instructions"
// lines (guest start address of the block, instructions executed in it) to FILE, for
// arm_cost.py's per-function breakdown.
//
// Build: cc -O2 -shared -fPIC -o insn_count.so insn_count.c
// Use:   qemu-aarch64 -plugin ./insn_count.so,outfile=COUNT.txt[,profile=BLOCKS.txt] PROGRAM ...
//
// The declarations below are the few parts of qemu's stable plugin API (qemu-plugin.h,
// API version 1 as in qemu 7.2) this file uses; Debian packages no header for it.
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef uint64_t qemu_plugin_id_t;
struct qemu_plugin_tb;
enum qemu_plugin_op { QEMU_PLUGIN_INLINE_ADD_U64 };
typedef void (*qemu_plugin_vcpu_tb_trans_cb_t)(qemu_plugin_id_t id, struct qemu_plugin_tb *tb);
typedef void (*qemu_plugin_udata_cb_t)(qemu_plugin_id_t id, void *userdata);

void qemu_plugin_register_vcpu_tb_trans_cb(qemu_plugin_id_t id, qemu_plugin_vcpu_tb_trans_cb_t cb);
size_t qemu_plugin_tb_n_insns(const struct qemu_plugin_tb *tb);
void qemu_plugin_register_vcpu_tb_exec_inline(struct qemu_plugin_tb *tb, enum qemu_plugin_op op, void *ptr, uint64_t imm);
void qemu_plugin_register_atexit_cb(qemu_plugin_id_t id, qemu_plugin_udata_cb_t cb, void *userdata);
uint64_t qemu_plugin_tb_vaddr(const struct qemu_plugin_tb *tb);

__attribute__((visibility("default"))) int qemu_plugin_version = 1;

static uint64_t executed;
static char outfile[4096];
static char profile_file[4096];

// One translated block, for the profile: its address and instructions executed in it.
// Blocks are translated a few thousand times in a run; the list is freed at exit.
struct block {
    uint64_t address;
    uint64_t executed;
    struct block *next;
};
static struct block *blocks;

static void on_translate(qemu_plugin_id_t id, struct qemu_plugin_tb *tb) {
    (void)id;
    const uint64_t n = qemu_plugin_tb_n_insns(tb);
    qemu_plugin_register_vcpu_tb_exec_inline(tb, QEMU_PLUGIN_INLINE_ADD_U64, &executed, n);
    if (profile_file[0] == 0) return;
    struct block *b = calloc(1, sizeof *b);
    if (b == NULL) return;
    b->address = qemu_plugin_tb_vaddr(tb);
    b->next = blocks;
    blocks = b;
    qemu_plugin_register_vcpu_tb_exec_inline(tb, QEMU_PLUGIN_INLINE_ADD_U64, &b->executed, n);
}

static void write_profile(void) {
    FILE *f = fopen(profile_file, "w");
    for (struct block *b = blocks, *next; b != NULL; b = next) {
        if (f != NULL && b->executed != 0) fprintf(f, "%llx %llu\n", (unsigned long long)b->address, (unsigned long long)b->executed);
        next = b->next;
        free(b);
    }
    if (f != NULL) fclose(f);
}

static void report_at_exit(qemu_plugin_id_t id, void *userdata) {
    (void)id; (void)userdata;
    FILE *f = outfile[0] != 0 ? fopen(outfile, "w") : stderr;
    if (f == NULL) f = stderr;
    fprintf(f, "insns %llu\n", (unsigned long long)executed);
    if (f != stderr) fclose(f);
    if (profile_file[0] != 0) write_profile();
}

__attribute__((visibility("default"))) int qemu_plugin_install(qemu_plugin_id_t id, const void *info, int argc, char **argv) {
    (void)info;
    for (int i = 0; i < argc; i++) {
        if (strncmp(argv[i], "outfile=", 8) == 0) snprintf(outfile, sizeof outfile, "%s", argv[i] + 8);
        else if (strncmp(argv[i], "profile=", 8) == 0) snprintf(profile_file, sizeof profile_file, "%s", argv[i] + 8);
        else { fprintf(stderr, "insn_count: unknown argument '%s' (outfile=PATH, profile=PATH)\n", argv[i]); return -1; }
    }
    qemu_plugin_register_vcpu_tb_trans_cb(id, on_translate);
    qemu_plugin_register_atexit_cb(id, report_at_exit, NULL);
    return 0;
}
