import Testing
@testable import AutoGLM

@Suite struct NegativeNumberArgumentsTests {
    @Test func negativeValueIsAttachedToItsOption() {
        #expect(NegativeNumberArguments.attached(["generate", "--max-tokens", "-1", "--prompt", "x"])
                == ["generate", "--max-tokens=-1", "--prompt", "x"])
        #expect(NegativeNumberArguments.attached(["--temperature", "-0.5", "--min-p", "-.5", "--seed", "-1e3"])
                == ["--temperature=-0.5", "--min-p=-.5", "--seed=-1e3"])
        #expect(NegativeNumberArguments.attached(["--top-p", "-inf"]) == ["--top-p=-inf"])
    }

    @Test func everythingElseIsLeftAlone() {
        let untouched: [[String]] = [
            ["--json", "--verbose"],
            ["--max-tokens", "5"],
            ["--max-tokens=-1"],
            ["--prompt", "-x"],            // not a number: ArgumentParser decides
            ["--prompt", "-"],
            ["--", "--max-tokens", "-1"],  // after "--" all is positional
            ["-h"],
        ]
        for args in untouched { #expect(NegativeNumberArguments.attached(args) == args) }
    }
}
