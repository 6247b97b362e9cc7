/// The indexing tables of one direction of a connection (RFC 7541 §2.3): the static table,
/// indices 1 to 61, then the dynamic table, newest entry first, whose size (each entry's octets
/// plus 32) stays within its maximum by evicting the oldest entries (§4.4).
struct HeaderTable: Sendable {
    /// RFC 7541 Appendix A.
    static let staticEntries: [(name: String, value: String)] = [
        (":authority", ""), (":method", "GET"), (":method", "POST"), (":path", "/"), (":path", "/index.html"),
        (":scheme", "http"), (":scheme", "https"), (":status", "200"), (":status", "204"), (":status", "206"),
        (":status", "304"), (":status", "400"), (":status", "404"), (":status", "500"), ("accept-charset", ""),
        ("accept-encoding", "gzip, deflate"), ("accept-language", ""), ("accept-ranges", ""), ("accept", ""),
        ("access-control-allow-origin", ""), ("age", ""), ("allow", ""), ("authorization", ""),
        ("cache-control", ""), ("content-disposition", ""), ("content-encoding", ""), ("content-language", ""),
        ("content-length", ""), ("content-location", ""), ("content-range", ""), ("content-type", ""),
        ("cookie", ""), ("date", ""), ("etag", ""), ("expect", ""), ("expires", ""), ("from", ""), ("host", ""),
        ("if-match", ""), ("if-modified-since", ""), ("if-none-match", ""), ("if-range", ""),
        ("if-unmodified-since", ""), ("last-modified", ""), ("link", ""), ("location", ""), ("max-forwards", ""),
        ("proxy-authenticate", ""), ("proxy-authorization", ""), ("range", ""), ("referer", ""), ("refresh", ""),
        ("retry-after", ""), ("server", ""), ("set-cookie", ""), ("strict-transport-security", ""),
        ("transfer-encoding", ""), ("user-agent", ""), ("vary", ""), ("via", ""), ("www-authenticate", ""),
    ]

    /// The dynamic table's entries, oldest first (the newest is index 62).
    private var entries: [(name: String, value: String)] = []
    private var oldest = 0
    /// The dynamic table's size now.
    private(set) var size = 0
    /// The most it may hold now (changed by a dynamic table size update).
    private(set) var maximumSize: Int

    /// A table of `maximumSize` octets.
    init(maximumSize: Int) {
        self.maximumSize = maximumSize
    }

    /// Entries in the dynamic table.
    var dynamicCount: Int { entries.count - oldest }

    /// The entry at `index` (1-based, static first), or nil past the end.
    func entry(_ index: Int) -> (name: String, value: String)? {
        if index >= 1, index <= Self.staticEntries.count { return Self.staticEntries[index - 1] }
        let position = index - Self.staticEntries.count - 1
        guard position >= 0, position < dynamicCount else { return nil }
        return entries[entries.count - 1 - position]
    }

    /// Adds an entry, evicting the oldest to make room; one larger than the table empties it and
    /// is not added (RFC 7541 §4.4).
    mutating func add(name: String, value: String) {
        let entrySize = name.utf8.count + value.utf8.count + 32
        evict(toFit: maximumSize - entrySize)
        guard entrySize <= maximumSize else { return }
        entries.append((name, value))
        size += entrySize
    }

    /// Sets a new maximum, evicting as needed (RFC 7541 §4.3).
    mutating func resize(to newMaximum: Int) {
        maximumSize = newMaximum
        evict(toFit: newMaximum)
    }

    private mutating func evict(toFit room: Int) {
        while size > max(room, 0), oldest < entries.count {
            let entry = entries[oldest]
            size -= entry.name.utf8.count + entry.value.utf8.count + 32
            oldest += 1
        }
        if oldest > 64, oldest * 2 > entries.count {
            entries.removeFirst(oldest)
            oldest = 0
        }
    }
}
