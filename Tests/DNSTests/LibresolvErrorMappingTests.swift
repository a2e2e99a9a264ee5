import Glibc
import Testing
@testable import DNS

@Suite("h_errno mapping")
struct LibresolvErrorMappingTests {
    @Test("Each libresolv outcome maps to permanent or transient as delivery needs")
    func mapping() {
        #expect(LibresolvQuery.error(for: HOST_NOT_FOUND, name: "x", type: .mx) == .nameNotFound(name: "x"))
        #expect(LibresolvQuery.error(for: NO_DATA, name: "x", type: .mx) == .noData(name: "x", type: .mx))
        #expect(LibresolvQuery.error(for: TRY_AGAIN, name: "x", type: .mx).isTransient)
        // REFUSED/FORMERR/NOTIMP say nothing about the name: never bounce on them.
        #expect(LibresolvQuery.error(for: NO_RECOVERY, name: "x", type: .mx).isTransient)
    }
}
