// llama.cpp's side of tools/arm_cost.py: the same work as `crosscheck MODEL --cost P G`
// (Toolchains/crosscheck/main.swift) through llama.cpp's C API — one prefill of P tokens
// in a single batch, then G single-token decodes of fixed ids, on one thread — so that
// instruction counts under qemu can be subtracted run from run and compared with ours.
//
// Usage: llama_cost_driver MODEL.gguf PROMPT GENERATED
#include <stdio.h>
#include <stdlib.h>

#include "llama.h"

static void quiet(enum ggml_log_level level, const char *text, void *user) {
    (void)user;
    if (level == GGML_LOG_LEVEL_ERROR) fputs(text, stderr);
}

int main(int argc, char **argv) {
    if (argc != 4) {
        fprintf(stderr, "usage: %s MODEL.gguf PROMPT GENERATED\n", argv[0]);
        return 2;
    }
    const int prompt = atoi(argv[2]), generated = atoi(argv[3]);
    if (prompt <= 0 || generated < 0) {
        fprintf(stderr, "PROMPT must be > 0 and GENERATED >= 0\n");
        return 2;
    }
    llama_log_set(quiet, NULL);
    llama_backend_init();
    struct llama_model_params mp = llama_model_default_params();
    struct llama_model *model = llama_model_load_from_file(argv[1], mp);
    if (model == NULL) { fprintf(stderr, "cannot load %s\n", argv[1]); return 1; }
    struct llama_context_params cp = llama_context_default_params();
    cp.n_ctx = (uint32_t)(prompt + generated + 1);
    cp.n_batch = cp.n_ubatch = (uint32_t)prompt;
    cp.n_threads = cp.n_threads_batch = 1;
    cp.no_perf = true;
    struct llama_context *ctx = llama_init_from_model(model, cp);
    if (ctx == NULL) { fprintf(stderr, "cannot create a context\n"); return 1; }
    const int vocab = llama_vocab_n_tokens(llama_model_get_vocab(model));

    llama_token *ids = malloc(sizeof(llama_token) * (size_t)prompt);
    for (int i = 0; i < prompt; i++) ids[i] = (llama_token)((i * 37 + 11) % vocab);
    if (llama_decode(ctx, llama_batch_get_one(ids, prompt)) != 0) { fprintf(stderr, "prefill failed\n"); return 1; }
    llama_token next = (llama_token)(prompt % vocab);
    for (int step = 0; step < generated; step++) {
        if (llama_decode(ctx, llama_batch_get_one(&next, 1)) != 0) { fprintf(stderr, "decode failed\n"); return 1; }
        next = (llama_token)((next * 7 + 3) % vocab);
    }
    printf("cost prompt %d generated %d logit0 %a\n", prompt, generated, (double)llama_get_logits_ith(ctx, -1)[0]);
    free(ids);
    llama_free(ctx);
    llama_model_free(model);
    llama_backend_free();
    return 0;
}
