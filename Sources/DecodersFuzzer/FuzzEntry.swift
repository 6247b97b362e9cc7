// The decoders fuzzer's entry points; the driver (libFuzzer, or replaying files) is FuzzDriver's.
// One executable for several decoders: FUZZ_TARGET (frames, http1, json, conventions) names the
// one to fuzz, so each keeps its own corpus and its own figures (Scripts/fuzz).

import FuzzDriver

#if canImport(Glibc)
@preconcurrency import Glibc
#elseif canImport(Musl)
@preconcurrency import Musl
#endif

/// The decoders, by the name FUZZ_TARGET gives.
let targets: [String: @Sendable ([UInt8]) -> Void] = [
    "frames": FramesFuzzCheck.check,
    "http1": HTTP1FuzzCheck.check,
    "json": JSONFuzzCheck.check,
    "conventions": ConventionsFuzzCheck.check,
]

/// The target chosen for this process. `nonisolated(unsafe)`: set once in `main` before libFuzzer
/// starts, only read after, from libFuzzer's one thread.
nonisolated(unsafe) var selected: @Sendable ([UInt8]) -> Void = { _ in }

/// libFuzzer's per-input entry point: runs the chosen target's check on the bytes. Always returns 0.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    selected(FuzzDriver.bytes(data, size))
    return 0
}

@main
enum FuzzerMain {
    static func main() {
        let name = getenv("FUZZ_TARGET").map { String(cString: $0) } ?? ""
        guard let check = targets[name] else {
            print("set FUZZ_TARGET to one of: \(targets.keys.sorted().joined(separator: ", "))")
            exit(64)
        }
        selected = check
        FuzzDriver.main(name: "decoders-fuzzer", entry: { fuzzOneInput($0, $1) }, check: check)
    }
}
