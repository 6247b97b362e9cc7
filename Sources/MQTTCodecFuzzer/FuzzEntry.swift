// Built with `-sanitize=fuzzer,address -DFUZZING` (Scripts/fuzz), this hands the process to
// libFuzzer, which calls `LLVMFuzzerTestOneInput` for every input. (SwiftPM renames an
// executable's `main`, so libFuzzer's own `main` cannot be used; `LLVMFuzzerRunDriver` is its
// documented way in.) In an ordinary build the same checks run on the files named on the command
// line, so a crashing input can be replayed under a debugger.

#if canImport(Glibc)
@preconcurrency import Glibc
#elseif canImport(Musl)
@preconcurrency import Musl
#endif

/// libFuzzer's per-input entry point: runs ``FuzzCheck/check(_:)`` on the bytes. Always returns 0.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    let bytes = data.map { Array(UnsafeBufferPointer(start: $0, count: size)) } ?? []
    FuzzCheck.check(bytes)
    return 0
}

/// libFuzzer's driver: parses its flags from `argv` and runs `callback` on every input.
@_silgen_name("LLVMFuzzerRunDriver")
func llvmFuzzerRunDriver(
    _ argc: UnsafeMutablePointer<Int32>,
    _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>>,
    _ callback: @convention(c) (UnsafePointer<UInt8>?, Int) -> Int32
) -> Int32

@main
enum FuzzerMain {
    static func main() {
        #if FUZZING
        var argc = CommandLine.argc
        var argv = CommandLine.unsafeArgv
        exit(llvmFuzzerRunDriver(&argc, &argv) { data, size in fuzzOneInput(data, size) })
        #else
        replay()
        #endif
    }

    static func replay() {
        let paths = CommandLine.arguments.dropFirst()
        if paths.isEmpty {
            print("usage: mqtt-codec-fuzzer FILE...  (replays inputs through the fuzz checks)")
            exit(64)
        }
        for path in paths {
            guard let bytes = readFile(path) else {
                print("cannot read \(path)")
                exit(66)
            }
            FuzzCheck.check(bytes)
            print("\(path): ok (\(bytes.count) bytes)")
        }
    }

    static func readFile(_ path: String) -> [UInt8]? {
        guard let file = fopen(path, "rb") else { return nil }
        defer { fclose(file) }
        var bytes: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 65_536)
        while true {
            let count = fread(&buffer, 1, buffer.count, file)
            if count <= 0 { break }
            bytes += buffer[..<count]
        }
        return bytes
    }
}
