import Testing

@testable import Discovery

@Suite("Device table")
struct DeviceTableTests {
    @Test("random inserts and removals agree with a dictionary, through growth and backward-shift deletion")
    func agreesWithDictionary() {
        var table = DeviceTable()
        var model: [String: Int32] = [:]
        var generator = SystemRandomNumberGenerator()
        var nextIndex: Int32 = 0
        for step in 0..<60_000 {
            let id = "d\(Int.random(in: 0..<3_000, using: &generator))"
            let hash = table.hash(group: 0, id: id)
            if let index = model[id], step % 3 != 0 {
                table.remove(hash, index)
                model[id] = nil
            } else if model[id] == nil {
                table.insert(hash, nextIndex)
                model[id] = nextIndex
                nextIndex += 1
            }
            if step % 1_000 == 0 {
                for (id, index) in model {
                    #expect(table.find(table.hash(group: 0, id: id)) { $0 == index } == index)
                }
            }
        }
        #expect(table.count == model.count)
        for (id, index) in model {
            #expect(table.find(table.hash(group: 0, id: id)) { $0 == index } == index)
        }
    }

    @Test("ids that differ only in their group hash differently")
    func groups() {
        let table = DeviceTable()
        #expect(table.hash(group: 0, id: "x") != table.hash(group: 1, id: "x"))
        #expect(table.hash(group: 0, id: "12345678") != table.hash(group: 0, id: "123456780"))
    }

    @Test(
        "an id hashes the same from its String and from its bytes (records made from a topic's bytes are removed by id)"
    )
    func bytesAndStringsAgree() {
        let table = DeviceTable()
        for id in ["", "a", "press7", "12345678", "123456789", "device-0000000000000001", "pumpe-ü-7", "東京/温度"] {
            var bytes = Array(id.utf8)
            let fromBytes = bytes.withUnsafeMutableBufferPointer { table.hash(group: 3, utf8: UnsafeBufferPointer($0)) }
            #expect(fromBytes == table.hash(group: 3, id: id), "\(id)")
        }
    }
}
