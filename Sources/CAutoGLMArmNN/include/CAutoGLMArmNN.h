// A plain C API over Arm NN 20.08 (Debian's libarmnn-dev), so that Swift never sees C++.
// One `AutoGLMArmNNLinear` is one optimized, loaded network holding a single
// FullyConnected layer with its weights:
//
//   float input [batch × cols]
//     → Quantize   (QAsymmS8, the static activation scale / zero point from calibration)
//     → FullyConnected (QAsymmS8 weights with one per-tensor scale, zero point 0 — 20.08
//                       takes only per-tensor scales for this layer; int32 bias at
//                       scale input·weight, zero point 0)
//     → QAsymmS8 output with its own static scale / zero point
//     → Dequantize → float output [batch × rows]
//
// The output is quantized because Arm NN's FullyConnected produces the input's type
// (CpuAcc requires it); the Dequantize layer gives the caller floats back.
// Every function that can fail returns 0 / NULL and writes a one-line reason to `error`.
#ifndef CAUTOGLM_ARMNN_H
#define CAUTOGLM_ARMNN_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct AutoGLMArmNNRuntime AutoGLMArmNNRuntime;
typedef struct AutoGLMArmNNLinear AutoGLMArmNNLinear;

/// Creates a runtime that will place layers on `backends` (Arm NN ids such as "CpuAcc",
/// "CpuRef"), in order of preference. Fails, naming the missing ones and the backends
/// the library did find, when any requested backend is not available.
/// `dynamicBackendsPath` (NULL: Arm NN's default) is where backend plugins such as
/// Debian's libarmnn-cpuref-backend22 live.
AutoGLMArmNNRuntime *autoglm_armnn_runtime_create(const char *const *backends, int32_t backendCount,
                                                   const char *dynamicBackendsPath,
                                                   char *error, size_t errorCapacity);
void autoglm_armnn_runtime_destroy(AutoGLMArmNNRuntime *runtime);

/// Writes the backends the library found, comma-separated, into `out`.
void autoglm_armnn_runtime_available_backends(const AutoGLMArmNNRuntime *runtime, char *out, size_t capacity);

typedef struct {
    int32_t rows;            // output features
    int32_t cols;            // input features
    int32_t batch;           // rows of input per run (shorter runs are zero-padded)
    const int8_t *weights;   // [rows × cols] row-major, copied during creation
    float weightScale;
    const int32_t *bias;     // [rows] at scale inputScale·weightScale, or NULL
    float inputScale;
    int32_t inputZeroPoint;
    float outputScale;
    int32_t outputZeroPoint;
} AutoGLMArmNNLinearSpec;

/// Builds, optimizes and loads the network for one weight matrix. Done at model load,
/// never per token.
AutoGLMArmNNLinear *autoglm_armnn_linear_create(AutoGLMArmNNRuntime *runtime, const AutoGLMArmNNLinearSpec *spec,
                                                char *error, size_t errorCapacity);
void autoglm_armnn_linear_destroy(AutoGLMArmNNLinear *linear);

/// out[t·outStride + r] = dequantize(FC(quantize(in[t·inStride + c]))) for t < tokens ≤ batch.
/// Returns 1 on success.
int32_t autoglm_armnn_linear_run(AutoGLMArmNNLinear *linear, const float *input, int32_t inStride, int32_t tokens,
                                 float *output, int32_t outStride, char *error, size_t errorCapacity);

#ifdef __cplusplus
}
#endif

#endif
