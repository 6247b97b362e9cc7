/// Identifies a scheduled timer, for cancelling it.
public struct TimerID: Hashable, Sendable {
    let value: UInt64
}

/// The loop's timers: a binary min-heap on deadline, so scheduling and firing cost O(log n) and
/// the next wake-up is O(1). Cancelling only forgets the timer's ID (O(1)); its heap entry is
/// dropped when it reaches the top.
struct TimerQueue {
    private struct Entry {
        let deadline: ContinuousClock.Instant
        let id: UInt64
        let task: () -> Void
    }

    private var heap: [Entry] = []
    private var live: Set<UInt64> = []
    private var nextID: UInt64 = 1

    mutating func schedule(at deadline: ContinuousClock.Instant, _ task: @escaping () -> Void) -> TimerID {
        let id = nextID
        nextID += 1
        heap.append(Entry(deadline: deadline, id: id, task: task))
        live.insert(id)
        siftUp(heap.count - 1)
        return TimerID(value: id)
    }

    mutating func cancel(_ id: TimerID) {
        live.remove(id.value)
    }

    /// How long epoll may sleep: until the earliest deadline, rounded up to a millisecond, or -1
    /// (forever) without timers.
    mutating func millisecondsUntilNextDeadline(now: ContinuousClock.Instant) -> Int32 {
        dropCancelledTop()
        guard let first = heap.first else { return -1 }
        let remaining = first.deadline - now
        if remaining <= .zero { return 0 }
        let (seconds, attoseconds) = remaining.components
        let milliseconds = seconds * 1_000 + (attoseconds + 999_999_999_999_999) / 1_000_000_000_000_000
        return Int32(clamping: milliseconds)
    }

    /// Removes and returns the earliest timer whose deadline has passed. The caller runs it, so a
    /// timer's task can schedule and cancel timers without touching a queue that is being changed.
    mutating func popExpired(now: ContinuousClock.Instant) -> (() -> Void)? {
        dropCancelledTop()
        guard let first = heap.first, first.deadline <= now else { return nil }
        removeTop()
        live.remove(first.id)
        return first.task
    }

    private mutating func dropCancelledTop() {
        while let first = heap.first, !live.contains(first.id) {
            removeTop()
        }
    }

    private mutating func removeTop() {
        let last = heap.removeLast()
        guard !heap.isEmpty else { return }
        heap[0] = last
        siftDown(0)
    }

    private mutating func siftUp(_ start: Int) {
        var child = start
        while child > 0 {
            let parent = (child - 1) / 2
            guard heap[child].deadline < heap[parent].deadline else { return }
            heap.swapAt(child, parent)
            child = parent
        }
    }

    private mutating func siftDown(_ start: Int) {
        var parent = start
        while true {
            let left = 2 * parent + 1
            guard left < heap.count else { return }
            let right = left + 1
            let smaller = right < heap.count && heap[right].deadline < heap[left].deadline ? right : left
            guard heap[smaller].deadline < heap[parent].deadline else { return }
            heap.swapAt(parent, smaller)
            parent = smaller
        }
    }
}
