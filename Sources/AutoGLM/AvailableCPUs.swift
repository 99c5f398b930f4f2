import CAutoGLMSys
import Foundation

/// How many CPUs this process can actually use: the default for `--threads`. More
/// threads than that only contend: the online CPU count ignores `taskset`, cpusets and a
/// container's CPU quota (cgroup cpu.max), which is what a board's systemd slice sets.
public enum AvailableCPUs {
    public static func count() -> Int {
        let online = ProcessInfo.processInfo.activeProcessorCount
        let affinity = Int(aglm_affinity_cpu_count())
        let quota = (try? String(contentsOfFile: "/proc/self/cgroup", encoding: .utf8))
            .flatMap { cgroupQuotaCPUs(procSelfCgroup: $0, root: "/") }
        return combine(online: online, affinity: affinity > 0 ? affinity : nil, quota: quota)
    }

    /// The smallest of the limits, at least 1.
    static func combine(online: Int, affinity: Int?, quota: Int?) -> Int {
        max(1, min(online, affinity ?? online, quota ?? online))
    }

    /// cgroup v2 `cpu.max` ("QUOTA PERIOD" or "max PERIOD"; v1's quota and period read the
    /// same, -1 for none) as whole CPUs, rounded up (a quota of 1.5 CPUs still runs 2
    /// threads usefully); nil when unlimited or unreadable.
    static func quotaCPUs(cpuMax: String) -> Int? {
        let fields = cpuMax.split(whereSeparator: \.isWhitespace)
        guard fields.count == 2, let quota = Int(fields[0]), let period = Int(fields[1]), quota > 0, period > 0 else {
            return nil
        }
        return (quota + period - 1) / period
    }

    /// The tightest CPU quota of this process's cgroup and its parents; a parent's quota
    /// limits its children too. cgroup v2: cpu.max under ROOT/sys/fs/cgroup/PATH for the
    /// "0::PATH" line of /proc/self/cgroup; v1: cpu.cfs_quota_us / cpu.cfs_period_us under
    /// the cpu controller's mount for the "N:…cpu…:PATH" line.
    static func cgroupQuotaCPUs(procSelfCgroup: String, root: String) -> Int? {
        let cgroupRoot = URL(fileURLWithPath: root).appendingPathComponent("sys/fs/cgroup")
        var tightest: Int?
        for line in procSelfCgroup.split(separator: "\n") {
            let parts = line.split(separator: ":", maxSplits: 2, omittingEmptySubsequences: false)
            guard parts.count == 3 else { continue }
            let controllers = parts[1].split(separator: ",")
            let mounts: [URL]
            let read: (URL) -> Int?
            if parts[0] == "0" && parts[1].isEmpty {
                mounts = [cgroupRoot]
                read = { dir in (try? String(contentsOf: dir.appendingPathComponent("cpu.max"), encoding: .utf8))
                    .flatMap { quotaCPUs(cpuMax: $0) } }
            } else if controllers.contains("cpu") {
                mounts = [cgroupRoot.appendingPathComponent(String(parts[1])), cgroupRoot.appendingPathComponent("cpu")]
                read = { dir in
                    func number(_ name: String) -> String? {
                        (try? String(contentsOf: dir.appendingPathComponent(name), encoding: .utf8))?
                            .trimmingCharacters(in: .whitespacesAndNewlines)
                    }
                    guard let quota = number("cpu.cfs_quota_us"), let period = number("cpu.cfs_period_us") else { return nil }
                    return quotaCPUs(cpuMax: quota + " " + period)
                }
            } else {
                continue
            }
            for mount in mounts {
                var path = String(parts[2])
                while true {
                    if let cpus = read(mount.appendingPathComponent(path)) { tightest = min(tightest ?? cpus, cpus) }
                    if path == "/" || path.isEmpty { break }
                    path = (path as NSString).deletingLastPathComponent
                }
            }
        }
        return tightest
    }
}
