// AutoGLM: the full-Swift library on top of AutoGLMCore (see docs/ARCHITECTURE.md).
// Core stays Embedded-compatible; what needs Foundation, JSON or file-format conversion
// lives here: Hugging Face folder loading (config.json, tokenizer.json, safetensors),
// chat templates, and the quantization tooling (calibration, sensitivity, mixed
// precision, pruning).
@_exported import AutoGLMCore
