import ArgumentParser

/// --threads and --pin-threads, shared by every command that runs the kernels.
struct ThreadOptions: ParsableArguments {
    @Option(help: "Worker threads for the kernels.")
    var threads: Int = 1

    @Flag(name: .customLong("pin-threads"),
          help: "Pin kernel worker thread i (i ≥ 1) to CPU i mod the CPU count; the calling thread stays unpinned.")
    var pinThreads = false
}
