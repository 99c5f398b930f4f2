import CAutoGLMSys
import Foundation
import Logging

/// checkpoint_dir holds conversations, so it must be the daemon's own: created 0700, and
/// refused when another uid owns it or when its group or others may write to it (they
/// could plant, swap or delete checkpoints). One that others may only read — made by an
/// older version, 0755 — is tightened to 0700 with a log line.
enum CheckpointDirectory {
    static let privateMode: UInt32 = 0o700
    static let groupOrOtherWrite: UInt32 = 0o022
    static let groupOrOtherAccess: UInt32 = 0o077

    static func prepare(_ path: String, logger: Logger) throws {
        let made = path.withCString { aglm_make_private_directory($0) }
        guard made == 0 else { throw ConfigError(message: "checkpoint_dir \(path): cannot create it: \(describe(errno: -made))") }
        var owner: UInt32 = 0
        var mode: UInt32 = 0
        let checked = path.withCString { aglm_owner_and_mode($0, &owner, &mode) }
        guard checked == 0 else { throw ConfigError(message: "checkpoint_dir \(path): \(describe(errno: -checked))") }
        let uid = geteuid()
        guard owner == uid else {
            throw ConfigError(message: "checkpoint_dir \(path) is owned by uid \(owner), not by this daemon's uid \(uid); "
                + "refusing to keep sessions there (chown it to uid \(uid), or name another directory)")
        }
        guard mode & groupOrOtherWrite == 0 else {
            throw ConfigError(message: "checkpoint_dir \(path) has mode \(octal(mode)): its group or others may write to it and "
                + "so plant or remove checkpoints; refusing to start (chmod 700 \(path))")
        }
        if mode & groupOrOtherAccess != 0 {
            let r = path.withCString { aglm_chmod($0, privateMode) }
            guard r == 0 else { throw ConfigError(message: "checkpoint_dir \(path): cannot chmod it 0700: \(describe(errno: -r))") }
            logger.warning("checkpoint_dir \(path) had mode \(octal(mode)), readable by others; now 0700")
        }
    }

    static func octal(_ mode: UInt32) -> String { "0" + String(mode, radix: 8) }

    static func describe(errno e: Int32) -> String { String(cString: strerror(e)) + " (errno \(e))" }
}
