use super::*;

const DAY: f64 = 86_400.0;

#[test]
fn a_schedule_on_time_moves_one_period() {
    assert_eq!(next_due(1000.0, DAY, 1000.0), 1000.0 + DAY);
    assert_eq!(next_due(1000.0, DAY, 1500.0), 1000.0 + DAY);
}

#[test]
fn a_schedule_that_fell_behind_runs_once_and_keeps_its_phase() {
    // The server was down for three and a half periods: one run now, the next on the old phase.
    let due = 1000.0;
    let now = due + 3.5 * DAY;
    let next = next_due(due, DAY, now);
    assert_eq!(next, due + 4.0 * DAY);
    assert!(next > now);
    // Exactly on a later due time: that one counts as this run, the next is one period on.
    assert_eq!(next_due(due, DAY, due + 2.0 * DAY), due + 3.0 * DAY);
}

#[test]
fn a_clock_reads_its_offset_file_at_each_look() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("offset");
    let clock = Clock::offset_by_file(file.clone());
    let before = crate::resource::now();
    assert!((clock.now() - before).abs() < 60.0, "a missing file is no shift");
    std::fs::write(&file, "86400\n").unwrap();
    assert!((clock.now() - before - DAY).abs() < 60.0);
    std::fs::write(&file, "soon").unwrap();
    assert!((clock.now() - before).abs() < 60.0, "a non-number is no shift");
}
