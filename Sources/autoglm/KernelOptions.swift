import ArgumentParser
import AutoGLM

/// --backend, shared by every command that runs the model (`checkpoints` has its own: there
/// it names the backend the checkpoints were written with).
struct BackendOption: ParsableArguments {
    @Option(help: "Kernel backend: reference, emulation or neon; armnn too for generate, bench and perplexity (default: the fastest exact one here).")
    var backend: String?
}

/// --threads and --pin-threads, shared by every command that runs the kernels.
struct ThreadOptions: ParsableArguments {
    @Option(help: "Worker threads for the kernels (default: the CPUs this process may use: affinity mask and cgroup quota).")
    var threads: Int = AvailableCPUs.count()

    @Flag(name: .customLong("pin-threads"),
          help: "Pin kernel worker thread i (i ≥ 1) to CPU i mod the CPU count; the calling thread stays unpinned.")
    var pinThreads = false
}
