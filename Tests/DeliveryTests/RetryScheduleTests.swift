import Testing
@testable import Delivery

@Suite("RetrySchedule")
struct RetryScheduleTests {
    @Test("Default: 5 minutes, doubling, capped at an hour")
    func defaults() {
        let schedule = RetrySchedule()
        #expect((1...7).map { schedule.delay(afterAttempts: $0) } == [300, 600, 1200, 2400, 3600, 3600, 3600])
        #expect(schedule.delay(afterAttempts: 1000) == 3600)
    }

    @Test("Configured values are honoured and kept sane")
    func configured() {
        let schedule = RetrySchedule(initialDelay: 2, multiplier: 3, maximumDelay: 50)
        #expect((1...5).map { schedule.delay(afterAttempts: $0) } == [2, 6, 18, 50, 50])
        let silly = RetrySchedule(initialDelay: -1, multiplier: 0.5, maximumDelay: 0)
        #expect(silly.delay(afterAttempts: 3) == 0)
    }
}
