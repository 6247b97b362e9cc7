/// When each device must next be looked at: a binary min-heap of (time, device) with lazy
/// deletion. A device keeps at most one live entry, the one whose time equals its `scheduled`
/// field; entries that no longer match are dropped when they reach the top. Pushing and popping
/// cost O(log n), and moving a device's deadline later costs nothing until the old one comes due.
struct DeadlineQueue {
    private var heap: [(time: Int64, device: Int32)] = []

    var isEmpty: Bool { heap.isEmpty }
    var count: Int { heap.count }

    /// The earliest time in the queue (possibly of a stale entry).
    var earliest: Int64? { heap.first?.time }

    mutating func push(_ time: Int64, _ device: Int32) {
        heap.append((time, device))
        var child = heap.count - 1
        while child > 0 {
            let parent = (child - 1) / 2
            guard heap[child].time < heap[parent].time else { break }
            heap.swapAt(child, parent)
            child = parent
        }
    }

    /// Removes and returns the earliest entry if it is due at `now`.
    mutating func popDue(_ now: Int64) -> (time: Int64, device: Int32)? {
        guard let first = heap.first, first.time <= now else { return nil }
        let last = heap.removeLast()
        if !heap.isEmpty {
            heap[0] = last
            var parent = 0
            while true {
                let left = 2 * parent + 1
                guard left < heap.count else { break }
                let right = left + 1
                let smaller = right < heap.count && heap[right].time < heap[left].time ? right : left
                guard heap[smaller].time < heap[parent].time else { break }
                heap.swapAt(parent, smaller)
                parent = smaller
            }
        }
        return first
    }
}
