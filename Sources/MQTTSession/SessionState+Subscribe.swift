package import MQTTCodec

/// Subscriptions: the set the application wants, what the broker has confirmed, and making the
/// two agree after every (re)connection, without re-subscribing to a session the broker kept.
extension SessionState {
    /// Most filters per SUBSCRIBE, so one packet stays well within any broker's size limit.
    static let filtersPerPacket = 64

    /// The application subscribes. Completes once the broker has acknowledged every filter.
    package mutating func subscribe(
        _ subscriptions: [Subscription],
        token: RequestToken?,
        now: Instant,
        into actions: inout [SessionAction]
    ) {
        for subscription in subscriptions {
            var subscription = subscription
            if version == .v311 {
                subscription.noLocal = false
                subscription.retainAsPublished = false
                subscription.retainHandling = .sendOnSubscribe
            }
            if desired.updateValue(subscription, forKey: subscription.topicFilter) == nil {
                desiredOrder.append(subscription.topicFilter)
            }
            // New options replace the old ones on the broker; either way it must hear them.
            confirmed.remove(subscription.topicFilter)
            toUnsubscribe.remove(subscription.topicFilter)
            subscribeResults[subscription.topicFilter] = nil
        }
        if let token { subscribeWaiters.append((subscriptions.map(\.topicFilter), token)) }
        if phase == .connected {
            sendSubscribe(subscriptions.map(\.topicFilter), now: now, into: &actions)
        }
    }

    /// The application unsubscribes. Completes once the broker has acknowledged.
    package mutating func unsubscribe(
        _ filters: [String],
        token: RequestToken?,
        now: Instant,
        into actions: inout [SessionAction]
    ) {
        for filter in filters {
            if desired.removeValue(forKey: filter) != nil {
                desiredOrder.removeAll { $0 == filter }
            }
            confirmed.remove(filter)
            unsubscribeResults[filter] = nil
            toUnsubscribe.insert(filter)
        }
        if let token { unsubscribeWaiters.append((filters, token)) }
        if phase == .connected {
            sendPendingUnsubscribes(now: now, into: &actions)
        }
    }

    /// Subscribes whatever is wanted but not confirmed and not already asked for: everything when
    /// the broker lost the session, only new requests when it kept it.
    mutating func sendMissingSubscriptions(now: Instant, into actions: inout [SessionAction]) {
        let asked = Set(pendingSubscribes.values.joined())
        let missing = desiredOrder.filter { !confirmed.contains($0) && !asked.contains($0) }
        sendSubscribe(missing, now: now, into: &actions)
    }

    private mutating func sendSubscribe(_ filters: [String], now: Instant, into actions: inout [SessionAction]) {
        var start = 0
        while start < filters.count {
            let chunk = Array(filters[start..<min(filters.count, start + Self.filtersPerPacket)])
            start += chunk.count
            guard let identifier = packetIdentifiers.allocate() else { return }
            pendingSubscribes[identifier] = chunk
            let packet = SubscribePacket(packetIdentifier: identifier, subscriptions: chunk.compactMap { desired[$0] })
            send(.subscribe(packet), now: now, into: &actions)
        }
    }

    mutating func sendPendingUnsubscribes(now: Instant, into actions: inout [SessionAction]) {
        let asked = Set(pendingUnsubscribes.values.joined())
        let filters = toUnsubscribe.filter { !asked.contains($0) }.sorted()
        var start = 0
        while start < filters.count {
            let chunk = Array(filters[start..<min(filters.count, start + Self.filtersPerPacket)])
            start += chunk.count
            guard let identifier = packetIdentifiers.allocate() else { return }
            pendingUnsubscribes[identifier] = chunk
            send(
                .unsubscribe(UnsubscribePacket(packetIdentifier: identifier, topicFilters: chunk)),
                now: now,
                into: &actions
            )
        }
    }

    mutating func receivedSubAck(_ ack: SubAckPacket, now: Instant, into actions: inout [SessionAction]) {
        guard let filters = pendingSubscribes.removeValue(forKey: ack.packetIdentifier) else { return }
        packetIdentifiers.release(ack.packetIdentifier)
        guard ack.reasonCodes.count == filters.count else {
            violation(
                "SUBACK has \(ack.reasonCodes.count) reason codes for \(filters.count) topic filters",
                code: .protocolError,
                now: now,
                into: &actions
            )
            return
        }
        for (filter, code) in zip(filters, ack.reasonCodes) {
            subscribeResults[filter] = code
            if code.isFailure {
                // A refused filter is not retried on every reconnect.
                if desired.removeValue(forKey: filter) != nil { desiredOrder.removeAll { $0 == filter } }
            } else if desired[filter] != nil {
                confirmed.insert(filter)
            }
        }
        subscribeWaiters.removeAll { waiter in
            let codes = waiter.filters.compactMap { subscribeResults[$0] }
            guard codes.count == waiter.filters.count else { return false }
            actions.append(.complete(waiter.token, .subscribed(codes)))
            return true
        }
    }

    mutating func receivedUnsubAck(_ ack: SubAckPacket, now: Instant, into actions: inout [SessionAction]) {
        guard let filters = pendingUnsubscribes.removeValue(forKey: ack.packetIdentifier) else { return }
        packetIdentifiers.release(ack.packetIdentifier)
        // MQTT 3.1.1 UNSUBACK carries no codes: each filter counts as a success.
        let codes = version == .v5 ? ack.reasonCodes : Array(repeating: .success, count: filters.count)
        for (index, filter) in filters.enumerated() {
            toUnsubscribe.remove(filter)
            unsubscribeResults[filter] = index < codes.count ? codes[index] : .success
        }
        completeUnsubscribeWaiters(into: &actions)
    }

    /// A broker that lost the session holds no subscriptions to remove.
    mutating func completeUnsubscribeWaitersForLostSession(into actions: inout [SessionAction]) {
        for filter in toUnsubscribe { unsubscribeResults[filter] = .noSubscriptionExisted }
        toUnsubscribe = []
        completeUnsubscribeWaiters(into: &actions)
    }

    private mutating func completeUnsubscribeWaiters(into actions: inout [SessionAction]) {
        unsubscribeWaiters.removeAll { waiter in
            let codes = waiter.filters.compactMap { unsubscribeResults[$0] }
            guard codes.count == waiter.filters.count else { return false }
            actions.append(.complete(waiter.token, .unsubscribed(codes)))
            return true
        }
    }
}
