// The details fuzzer's entry points; the driver (libFuzzer, or replaying files) is FuzzDriver's.

import FuzzDriver

/// libFuzzer's per-input entry point: runs ``DetailsFuzzCheck/check(_:)`` on the bytes. Always returns 0.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    DetailsFuzzCheck.check(FuzzDriver.bytes(data, size))
    return 0
}

@main
enum FuzzerMain {
    static func main() {
        FuzzDriver.main(name: "details-fuzzer", entry: { fuzzOneInput($0, $1) }, check: DetailsFuzzCheck.check)
    }
}
