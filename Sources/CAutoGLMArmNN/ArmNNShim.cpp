// The C API of CAutoGLMArmNN.h over Arm NN 20.08. C++ exceptions never cross into Swift:
// every entry point catches them and reports the message through `error`.
#include "CAutoGLMArmNN.h"

#include <armnn/ArmNN.hpp>

#include <algorithm>
#include <cstring>
#include <map>
#include <mutex>
#include <string>
#include <vector>

struct AutoGLMArmNNRuntime {
    // Shared by every AutoGLMArmNNRuntime of the process with the same dynamic-backend
    // path, and never destroyed (see sharedRuntime).
    armnn::IRuntime *runtime;
    std::vector<armnn::BackendId> preferences;
};

struct AutoGLMArmNNLinear {
    AutoGLMArmNNRuntime *owner;
    armnn::NetworkId id;
    int32_t rows, cols, batch;
    // Staging buffers [batch × cols] and [batch × rows], allocated once here: callers'
    // activations are strided, Arm NN binds dense tensors.
    std::vector<float> input, output;
    armnn::InputTensors inputs;
    armnn::OutputTensors outputs;
};

namespace {

const armnn::LayerBindingId inputBinding = 0;
const armnn::LayerBindingId outputBinding = 0;

void report(char *error, size_t capacity, const std::string &message) {
    if (error == nullptr || capacity == 0) return;
    size_t n = std::min(message.size(), capacity - 1);
    std::memcpy(error, message.data(), n);
    error[n] = 0;
}

std::string joined(const armnn::BackendIdSet &set) {
    std::vector<std::string> names;
    for (const auto &id : set) names.push_back(id.Get());
    std::sort(names.begin(), names.end());
    std::string out;
    for (const auto &name : names) out += (out.empty() ? "" : ",") + name;
    return out.empty() ? "none" : out;
}

// One Arm NN runtime per dynamic-backend path for the whole process, created on first
// use and kept to the end. Arm NN 20.08 keeps backends in a process-wide registry: a
// runtime registers the dynamic backends it loads (Debian's CpuRef is one) unless they
// are registered already, and deregisters its own when destroyed. With two runtimes
// alive, destroying the first removed CpuRef from under the second ("no IBackend
// factory registered"), which parallel tests hit. A runtime is thread-safe for loading,
// unloading and running networks, so sharing one is enough.
armnn::IRuntime *sharedRuntime(const char *dynamicBackendsPath) {
    static std::mutex lock;
    static std::map<std::string, armnn::IRuntime *> runtimes;
    const std::string key = dynamicBackendsPath == nullptr ? std::string() : std::string(dynamicBackendsPath);
    std::lock_guard<std::mutex> guard(lock);
    auto found = runtimes.find(key);
    if (found != runtimes.end()) return found->second;
    armnn::IRuntime::CreationOptions options;
    if (dynamicBackendsPath != nullptr) options.m_DynamicBackendsPath = dynamicBackendsPath;
    armnn::IRuntime *created = armnn::IRuntime::CreateRaw(options);
    runtimes[key] = created;
    return created;
}

}  // namespace

extern "C" AutoGLMArmNNRuntime *autoglm_armnn_runtime_create(const char *const *backends, int32_t backendCount,
                                                              const char *dynamicBackendsPath,
                                                              char *error, size_t errorCapacity) {
    try {
        armnn::IRuntime *runtime = sharedRuntime(dynamicBackendsPath);
        const auto &found = runtime->GetDeviceSpec().GetSupportedBackends();
        std::vector<armnn::BackendId> preferences;
        std::string missing;
        for (int32_t i = 0; i < backendCount; i++) {
            armnn::BackendId id(backends[i]);
            if (found.count(id) == 0) missing += (missing.empty() ? "" : ",") + std::string(backends[i]);
            preferences.push_back(id);
        }
        if (!missing.empty()) {
            report(error, errorCapacity, "Arm NN compute backend " + missing + " not available (found: " + joined(found) + ")");
            return nullptr;
        }
        if (preferences.empty()) {
            report(error, errorCapacity, "no Arm NN compute backend requested");
            return nullptr;
        }
        return new AutoGLMArmNNRuntime{runtime, std::move(preferences)};
    } catch (const std::exception &e) {
        report(error, errorCapacity, std::string("Arm NN runtime: ") + e.what());
        return nullptr;
    }
}

extern "C" void autoglm_armnn_runtime_destroy(AutoGLMArmNNRuntime *runtime) { delete runtime; }

extern "C" void autoglm_armnn_runtime_available_backends(const AutoGLMArmNNRuntime *runtime, char *out,
                                                         size_t capacity) {
    report(out, capacity, joined(runtime->runtime->GetDeviceSpec().GetSupportedBackends()));
}

extern "C" AutoGLMArmNNLinear *autoglm_armnn_linear_create(AutoGLMArmNNRuntime *runtime,
                                                           const AutoGLMArmNNLinearSpec *spec,
                                                           char *error, size_t errorCapacity) {
    using armnn::DataType;
    using armnn::TensorInfo;
    using armnn::TensorShape;
    try {
        const unsigned rows = static_cast<unsigned>(spec->rows);
        const unsigned cols = static_cast<unsigned>(spec->cols);
        const unsigned batch = static_cast<unsigned>(spec->batch);
        if (spec->rows <= 0 || spec->cols <= 0 || spec->batch <= 0) {
            report(error, errorCapacity, "Arm NN linear: rows, cols and batch must be positive");
            return nullptr;
        }
        armnn::INetworkPtr network = armnn::INetwork::Create();

        TensorInfo floatIn(TensorShape({batch, cols}), DataType::Float32);
        TensorInfo quantIn(TensorShape({batch, cols}), DataType::QAsymmS8, spec->inputScale, spec->inputZeroPoint);
        TensorInfo quantOut(TensorShape({batch, rows}), DataType::QAsymmS8, spec->outputScale, spec->outputZeroPoint);
        TensorInfo floatOut(TensorShape({batch, rows}), DataType::Float32);
        // Weights [rows × cols] = [out × in], which FullyConnected takes transposed.
        TensorInfo weightInfo(TensorShape({rows, cols}), DataType::QAsymmS8, spec->weightScale, 0);
        armnn::ConstTensor weights(weightInfo, spec->weights);
        TensorInfo biasInfo(TensorShape({rows}), DataType::Signed32, spec->inputScale * spec->weightScale, 0);
        armnn::Optional<armnn::ConstTensor> bias;
        if (spec->bias != nullptr) bias = armnn::ConstTensor(biasInfo, spec->bias);

        armnn::FullyConnectedDescriptor descriptor;
        descriptor.m_BiasEnabled = spec->bias != nullptr;
        descriptor.m_TransposeWeightMatrix = true;

        auto *in = network->AddInputLayer(inputBinding, "x");
        auto *quantize = network->AddQuantizeLayer("quantize x");
        auto *fc = network->AddFullyConnectedLayer(descriptor, weights, bias, "W·x");
        auto *dequantize = network->AddDequantizeLayer("dequantize y");
        auto *out = network->AddOutputLayer(outputBinding, "y");
        in->GetOutputSlot(0).Connect(quantize->GetInputSlot(0));
        quantize->GetOutputSlot(0).Connect(fc->GetInputSlot(0));
        fc->GetOutputSlot(0).Connect(dequantize->GetInputSlot(0));
        dequantize->GetOutputSlot(0).Connect(out->GetInputSlot(0));
        in->GetOutputSlot(0).SetTensorInfo(floatIn);
        quantize->GetOutputSlot(0).SetTensorInfo(quantIn);
        fc->GetOutputSlot(0).SetTensorInfo(quantOut);
        dequantize->GetOutputSlot(0).SetTensorInfo(floatOut);

        std::vector<std::string> messages;
        armnn::IOptimizedNetworkPtr optimized =
            armnn::Optimize(*network, runtime->preferences, runtime->runtime->GetDeviceSpec(),
                            armnn::OptimizerOptions(), armnn::Optional<std::vector<std::string> &>(messages));
        if (!optimized) {
            std::string why;
            for (const auto &m : messages) why += " " + m;
            report(error, errorCapacity, "Arm NN could not place the FullyConnected network on the requested backends:" + why);
            return nullptr;
        }
        armnn::NetworkId id;
        std::string loadError;
        armnn::INetworkProperties properties;
        if (runtime->runtime->LoadNetwork(id, std::move(optimized), loadError, properties) != armnn::Status::Success) {
            report(error, errorCapacity, "Arm NN LoadNetwork failed: " + loadError);
            return nullptr;
        }
        auto *linear = new AutoGLMArmNNLinear{runtime, id, spec->rows, spec->cols, spec->batch,
                                              std::vector<float>(size_t(batch) * cols),
                                              std::vector<float>(size_t(batch) * rows), {}, {}};
        linear->inputs.emplace_back(inputBinding, armnn::ConstTensor(runtime->runtime->GetInputTensorInfo(id, inputBinding),
                                                                     linear->input.data()));
        linear->outputs.emplace_back(outputBinding, armnn::Tensor(runtime->runtime->GetOutputTensorInfo(id, outputBinding),
                                                                  linear->output.data()));
        return linear;
    } catch (const std::exception &e) {
        report(error, errorCapacity, std::string("Arm NN linear: ") + e.what());
        return nullptr;
    }
}

extern "C" void autoglm_armnn_linear_destroy(AutoGLMArmNNLinear *linear) {
    if (linear == nullptr) return;
    linear->owner->runtime->UnloadNetwork(linear->id);
    delete linear;
}

extern "C" int32_t autoglm_armnn_linear_run(AutoGLMArmNNLinear *linear, const float *input, int32_t inStride,
                                            int32_t tokens, float *output, int32_t outStride,
                                            char *error, size_t errorCapacity) {
    if (tokens < 1 || tokens > linear->batch) {
        report(error, errorCapacity, "Arm NN linear: " + std::to_string(tokens) + " rows, network built for 1..." +
                                         std::to_string(linear->batch));
        return 0;
    }
    const size_t cols = size_t(linear->cols), rows = size_t(linear->rows);
    for (size_t t = 0; t < size_t(tokens); t++) {
        std::memcpy(linear->input.data() + t * cols, input + t * size_t(inStride), cols * sizeof(float));
    }
    // Rows past `tokens` keep whatever they held: each output row depends on its own input row only.
    try {
        if (linear->owner->runtime->EnqueueWorkload(linear->id, linear->inputs, linear->outputs) != armnn::Status::Success) {
            report(error, errorCapacity, "Arm NN EnqueueWorkload failed");
            return 0;
        }
    } catch (const std::exception &e) {
        report(error, errorCapacity, std::string("Arm NN run: ") + e.what());
        return 0;
    }
    for (size_t t = 0; t < size_t(tokens); t++) {
        std::memcpy(output + t * size_t(outStride), linear->output.data() + t * rows, rows * sizeof(float));
    }
    return 1;
}
