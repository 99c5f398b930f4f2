/// ArgumentParser reads "-1" after an option as another option, so `--max-tokens -1`
/// failed with "Missing value" instead of the option's own range check. Rewriting such a
/// pair to `--max-tokens=-1` before parsing lets every option see its value. No command
/// has a positional argument that could be a negative number, so nothing else changes.
public enum NegativeNumberArguments {
    /// `arguments` without the program name.
    public static func attached(_ arguments: [String]) -> [String] {
        var out: [String] = []
        out.reserveCapacity(arguments.count)
        var i = 0
        while i < arguments.count {
            let arg = arguments[i]
            if arg == "--" {  // everything after is positional
                out += arguments[i...]
                break
            }
            if arg.hasPrefix("--"), arg.count > 2, !arg.contains("="), i + 1 < arguments.count,
               isNegativeNumber(arguments[i + 1]) {
                out.append(arg + "=" + arguments[i + 1])
                i += 2
                continue
            }
            out.append(arg)
            i += 1
        }
        return out
    }

    /// "-1", "-0.5", "-.5", "-1e-3", "-inf", "-nan": what Int or Double parsing accepts after a minus.
    static func isNegativeNumber(_ s: String) -> Bool {
        guard s.hasPrefix("-"), s.count > 1 else { return false }
        let rest = s.dropFirst()
        if ["inf", "infinity", "nan"].contains(rest.lowercased()) { return true }
        guard let first = rest.first, first.isNumber || first == "." else { return false }
        return Double(rest) != nil
    }
}
