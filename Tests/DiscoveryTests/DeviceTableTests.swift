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
}
