import CAutoGLMSys
import Foundation
import Testing
@testable import AutoGLM

@Suite struct AvailableCPUsTests {
    @Test func cpuMaxIsReadAsWholeCPUsRoundedUp() {
        #expect(AvailableCPUs.quotaCPUs(cpuMax: "200000 100000\n") == 2)
        #expect(AvailableCPUs.quotaCPUs(cpuMax: "150000 100000") == 2)
        #expect(AvailableCPUs.quotaCPUs(cpuMax: "50000 100000") == 1)
        #expect(AvailableCPUs.quotaCPUs(cpuMax: "max 100000") == nil)
        #expect(AvailableCPUs.quotaCPUs(cpuMax: "") == nil)
    }

    @Test func theTightestLimitWins() {
        #expect(AvailableCPUs.combine(online: 64, affinity: 8, quota: 2) == 2)
        #expect(AvailableCPUs.combine(online: 64, affinity: 3, quota: nil) == 3)
        #expect(AvailableCPUs.combine(online: 4, affinity: nil, quota: nil) == 4)
        #expect(AvailableCPUs.combine(online: 4, affinity: 0, quota: 0) == 1)
    }

    /// A fake filesystem root holding `files` (path under the root → contents).
    func fakeRoot(_ files: [String: String]) throws -> URL {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("cgroup-\(UUID().uuidString)")
        for (path, text) in files {
            let url = root.appendingPathComponent(path)
            try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
            try text.write(to: url, atomically: true, encoding: .utf8)
        }
        return root
    }

    /// A container slice limited to 2 CPUs, the process in a child without its own limit.
    @Test func parentCgroupQuotaLimitsTheProcess() throws {
        let root = try fakeRoot(["sys/fs/cgroup/car.slice/cpu.max": "200000 100000\n",
                                 "sys/fs/cgroup/car.slice/autoglmd.service/cpu.max": "max 100000\n"])
        defer { try? FileManager.default.removeItem(at: root) }
        let cgroup = "0::/car.slice/autoglmd.service\n"
        #expect(AvailableCPUs.cgroupQuotaCPUs(procSelfCgroup: cgroup, root: root.path) == 2)
        #expect(AvailableCPUs.cgroupQuotaCPUs(procSelfCgroup: "0::/elsewhere\n", root: root.path) == nil)
        // cgroup v1 only, no cpu controller there: nothing to read.
        #expect(AvailableCPUs.cgroupQuotaCPUs(procSelfCgroup: "4:cpu,cpuacct:/x\n", root: root.path) == nil)
    }

    @Test func cgroupV1QuotaIsReadToo() throws {
        let v1 = "sys/fs/cgroup/cpu,cpuacct/docker/abc/"
        let root = try fakeRoot([v1 + "cpu.cfs_quota_us": "300000\n", v1 + "cpu.cfs_period_us": "100000\n"])
        defer { try? FileManager.default.removeItem(at: root) }
        let dir = root.appendingPathComponent(v1)
        let cgroup = "4:cpu,cpuacct:/docker/abc\n0::/\n"
        #expect(AvailableCPUs.cgroupQuotaCPUs(procSelfCgroup: cgroup, root: root.path) == 3)
        try "-1\n".write(to: dir.appendingPathComponent("cpu.cfs_quota_us"), atomically: true, encoding: .utf8)
        #expect(AvailableCPUs.cgroupQuotaCPUs(procSelfCgroup: cgroup, root: root.path) == nil)
    }

    @Test func thisProcessGetsBetweenOneAndTheOnlineCPUs() {
        let online = ProcessInfo.processInfo.activeProcessorCount
        let affinity = Int(aglm_affinity_cpu_count())
        #expect(affinity >= 1 && affinity <= online)
        #expect((1...online).contains(AvailableCPUs.count()))
        #expect(AvailableCPUs.count() <= affinity)
    }
}
