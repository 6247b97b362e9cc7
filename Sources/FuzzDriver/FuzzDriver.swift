// The part every fuzzer executable shares: under `-sanitize=fuzzer -DFUZZING` (Scripts/fuzz) it
// hands the process to libFuzzer through `LLVMFuzzerRunDriver`, libFuzzer's documented way in
// when the program has its own `main` (SwiftPM renames an executable's). In an ordinary build it
// replays the files named on the command line through the same checks, so a crashing input can
// be run under a debugger.

#if canImport(Glibc)
@preconcurrency import Glibc
#elseif canImport(Musl)
@preconcurrency import Musl
#endif

/// libFuzzer's driver: parses its flags from `argv` and runs `callback` on every input.
@_silgen_name("LLVMFuzzerRunDriver")
func llvmFuzzerRunDriver(
    _ argc: UnsafeMutablePointer<Int32>,
    _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>>,
    _ callback: @convention(c) (UnsafePointer<UInt8>?, Int) -> Int32
) -> Int32

/// Runs a fuzzer executable.
public enum FuzzDriver {
    /// Under libFuzzer, fuzzes with `entry` (the executable's `LLVMFuzzerTestOneInput`);
    /// otherwise replays the files on the command line through `check`. Never returns.
    public static func main(
        name: String,
        entry: @convention(c) (UnsafePointer<UInt8>?, Int) -> Int32,
        check: ([UInt8]) -> Void
    ) -> Never {
        #if FUZZING
        var argc = CommandLine.argc
        var argv = CommandLine.unsafeArgv
        exit(llvmFuzzerRunDriver(&argc, &argv, entry))
        #else
        let paths = CommandLine.arguments.dropFirst()
        if paths.isEmpty {
            print("usage: \(name) FILE...  (replays inputs through the fuzz checks)")
            exit(64)
        }
        for path in paths {
            guard let bytes = readFile(path) else {
                print("cannot read \(path)")
                exit(66)
            }
            check(bytes)
            print("\(path): ok (\(bytes.count) bytes)")
        }
        exit(0)
        #endif
    }

    /// The bytes libFuzzer hands over, as an array.
    public static func bytes(_ data: UnsafePointer<UInt8>?, _ size: Int) -> [UInt8] {
        data.map { Array(UnsafeBufferPointer(start: $0, count: size)) } ?? []
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
