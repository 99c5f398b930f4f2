import AutoGLM

/// The slot a start runs, and what happened on the way.
public struct SlotChoice: Sendable {
    public let slot: String
    public let manifest: BundleManifest
    public let modelPath: String
    /// Why the start went back to the previous slot, if it did.
    public let reverted: String?
}

extension ModelSlots {
    /// Called once per daemon start, before loading: counts a start on a slot on trial,
    /// reverts after too many, and checks the chosen slot (signature + deploy record).
    /// A slot that fails its check falls back to the previous one when there is one.
    public func startup() throws(BundleError) -> SlotChoice {
        guard var p = try pointer() else { throw .io(path: directory, reason: "no model deployed in the slots (run `autoglm deploy`)") }
        if p.trial {
            p.attempts += 1
            if p.attempts > Self.maxTrialStarts, let previous = p.previous {
                p = SlotPointer(slot: previous, previous: nil, trial: false,
                                reverted: "slot \(p.slot) started \(p.attempts - 1) times without reaching READY")
            }
            try writePointer(p)
        }
        do throws(BundleError) {
            let (manifest, _) = try check(p.slot)
            return SlotChoice(slot: p.slot, manifest: manifest, modelPath: path(p.slot) + "/" + manifest.model, reverted: p.reverted)
        } catch {
            guard let previous = p.previous else { throw error }
            let why = "slot \(p.slot) failed its check: \(error.description)"
            try writePointer(SlotPointer(slot: previous, previous: nil, trial: false, reverted: why))
            let (manifest, _) = try check(previous)
            return SlotChoice(slot: previous, manifest: manifest, modelPath: path(previous) + "/" + manifest.model, reverted: why)
        }
    }

    /// READY was reached on the current slot: it is no longer on trial.
    public func confirm() throws(BundleError) {
        guard var p = try pointer(), p.trial else { return }
        p.trial = false
        p.attempts = 0
        try writePointer(p)
    }

    /// A later check (the background re-hash) found the running slot damaged: go back to
    /// the previous slot on the next start. Returns false when there is none.
    public func abandonCurrent(reason: String) throws(BundleError) -> Bool {
        guard let p = try pointer(), let previous = p.previous else { return false }
        try writePointer(SlotPointer(slot: previous, previous: nil, trial: false, reverted: reason))
        return true
    }
}
