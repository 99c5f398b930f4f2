// The opening every kernel file shares (a private header: not part of the module's API).
// The float steps must round exactly as the Swift kernels' separate multiply and add, so
// no multiply-add pair may be fused into an FMA anywhere in a kernel file — for the
// whole translation unit, whichever compiler builds it (SwiftPM's clang, the cross gcc).
#ifndef AGLM_KERNEL_PROLOGUE_H
#define AGLM_KERNEL_PROLOGUE_H

#include "CAutoGLMKernels.h"

#pragma STDC FP_CONTRACT OFF
#if defined(__clang__)
#pragma clang fp contract(off)
#elif defined(__GNUC__)
#pragma GCC optimize("fp-contract=off")
#endif

#endif
