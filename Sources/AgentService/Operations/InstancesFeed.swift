import AgentProtocol
import HTTPService
import IO
import Logging

/// The instances page's event stream (`GET /events`): what `watch --output json` prints, as
/// Server-Sent Events of type `instance` with the time of each (and, in the first `added` of each
/// current instance, since when it has been there), then one `synced`, then live changes.
///
/// `@unchecked Sendable`: created and used on the agent's loop only.
final class InstancesFeed: @unchecked Sendable {
    private let agent: Agent
    private let hub: EventStreamHub
    /// When each current instance was added, for the snapshot a new client gets.
    private var since: [String: Int64] = [:]

    /// Follows `agent`'s events from now on; instances already there count from now. Call on the loop.
    init(agent: Agent, logger: Logger) {
        self.agent = agent
        hub = EventStreamHub(loop: agent.eventLoop, logger: logger)
        let now = Host.wallClockNanoseconds / 1_000_000
        for instance in agent.currentInstances { since[instance.name] = now }
        agent.observe { [weak self] event in self?.received(event) }
    }

    /// Clients connected.
    var clientCount: Int { hub.count }

    /// A new client's stream: the current instances, `synced`, then live events.
    func reply() -> HTTPServer.Reply {
        hub.reply { [weak self] stream in
            guard let self else { return }
            for instance in agent.currentInstances.sorted(by: { $0.name < $1.name }) {
                let event = InstanceEvent(.added, instance)
                stream.write(Self.event(event, time: since[instance.name]).bytes)
            }
            stream.write(Self.event(InstanceEvent(.synced, nil), time: nil).bytes)
        }
    }

    /// Closes every client's stream.
    func close() {
        hub.close()
    }

    private func received(_ event: InstanceEvent) {
        let now = Host.wallClockNanoseconds / 1_000_000
        if let name = event.instance?.name {
            switch event.kind {
            case .added: since[name] = now
            case .removed: since[name] = nil
            default: break
            }
        }
        hub.broadcast(Self.event(event, time: now))
    }

    private static func event(_ event: InstanceEvent, time: Int64?) -> ServerSentEvent {
        ServerSentEvent(type: "instance", data: event.json(time: time))
    }
}
