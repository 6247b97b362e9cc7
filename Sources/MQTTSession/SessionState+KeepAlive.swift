import MQTTCodec

/// Keep alive and timeouts (MQTT 5.0 §3.1.2.10).
///
/// PINGREQ goes out when nothing was sent for a keep-alive period (the broker needs to hear from
/// us) and also when nothing was received for one (we need to hear from it: a connection that
/// only sends would otherwise never notice a dead broker). No packet from the broker for one and
/// a half periods ends the connection, so a half-open connection is dropped within 1.5 × keep
/// alive.
extension SessionState {
    /// The keep alive in force: the broker's Server Keep Alive if it sent one [MQTT-3.1.2-21].
    var keepAlive: Duration? {
        limits.keepAlive == 0 ? nil : .seconds(Int64(limits.keepAlive))
    }

    /// When ``tick(now:into:)`` must next run, or nil if nothing is timed.
    package var nextDeadline: Instant? {
        switch phase {
        case .idle, .stopping:
            return nil
        case .awaitingConnAck(let deadline):
            return deadline
        case .connected:
            guard let keepAlive else { return nil }
            let dead = lastReceived + keepAlive * 1.5
            guard !pingOutstanding else { return dead }
            return min(dead, min(lastSent, lastReceived) + keepAlive)
        }
    }

    /// Time has passed: send PINGREQ, or give up on a silent broker.
    package mutating func tick(now: Instant, into actions: inout [SessionAction]) {
        switch phase {
        case .idle, .stopping:
            return
        case .awaitingConnAck(let deadline):
            if now >= deadline {
                phase = .idle
                actions.append(
                    .close(.unreachable("no CONNACK within \(configuration.connectTimeout.components.seconds) s"))
                )
            }
        case .connected:
            guard let keepAlive else { return }
            if now - lastReceived >= keepAlive * 1.5 {
                actions.append(.close(.keepAliveTimeout))
            } else if !pingOutstanding && (now - lastSent >= keepAlive || now - lastReceived >= keepAlive) {
                pingOutstanding = true
                send(.pingreq, now: now, into: &actions)
            }
        }
    }
}
