/// A context longer than the model was trained on runs (the memory plan and RoPE allow
/// it) but the model has never seen such positions: output past the trained length
/// degrades. So it is a warning on stderr, not an error.
public enum TrainedContextWarning {
    /// The line to print, or nil when `context` is within the trained context.
    public static func message(context: Int, trainedContext: Int) -> String? {
        guard context > trainedContext else { return nil }
        return "warning: --context \(context) exceeds the model's trained context of \(trainedContext) tokens; "
            + "output past \(trainedContext) tokens is outside what it was trained on"
    }
}
