/// The memory plan does not fit, or the one allocation at start-up failed.
public enum MemoryError: Error, Equatable {
    case exceedsBudget(planBytes: Int, budgetBytes: Int, plan: String)
    case allocationFailed(bytes: Int)
    case sizeOverflow(what: String)

    public var message: String {
        switch self {
        case .exceedsBudget(let planBytes, let budget, let plan):
            return "memory plan needs \(planBytes) bytes, over the budget of \(budget) bytes:\n" + plan
        case .allocationFailed(let bytes): return "could not allocate the \(bytes)-byte arena"
        case .sizeOverflow(let what): return "size of \(what) overflows"
        }
    }
}
