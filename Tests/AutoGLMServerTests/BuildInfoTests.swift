import AutoGLM
import Testing
@testable import AutoGLMServer

@Suite struct BuildInfoTests {
    @Test func metricsCarryTheVersionAsABuildInfoGauge() {
        let metrics = ServerMetrics()
        var buffer: [UInt8] = []
        metrics.registry.emit(into: &buffer)
        let text = String(decoding: buffer, as: UTF8.self)
        #expect(text.contains("autoglm_build_info{version=\"\(AutoGLMVersion.current)\"} 1"), "\(text.prefix(2000))")
    }

    @Test func versionIsSemantic() {
        let parts = AutoGLMVersion.current.split(separator: ".")
        #expect(parts.count == 3 && parts.allSatisfy { Int($0) != nil })
    }
}
