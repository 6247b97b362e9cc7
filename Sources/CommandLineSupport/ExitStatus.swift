/// The statuses the commands exit with, following `sysexits.h` where it has a fitting code.
public enum ExitStatus: Int32, Sendable {
    /// Everything worked.
    case success = 0
    /// The command ran and failed (e.g. a broker refused the connection).
    case failure = 1
    /// The command line was wrong (`EX_USAGE`).
    case usage = 64
    /// The input data was malformed (`EX_DATAERR`).
    case dataError = 65
    /// An input file could not be read (`EX_NOINPUT`).
    case noInput = 66
    /// A file or directory of ours cannot be created or used, e.g. a session store another
    /// process holds (`EX_CANTCREAT`).
    case cannotCreate = 73
    /// The broker cannot be reached, or TLS failed (`EX_UNAVAILABLE`).
    case unavailable = 69
    /// The broker broke the protocol (`EX_PROTOCOL`).
    case protocolError = 76
    /// The broker refused us: bad credentials, not authorised, banned (`EX_NOPERM`).
    case notPermitted = 77
}
