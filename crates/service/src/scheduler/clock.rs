//! The scheduler's time source.

use std::path::PathBuf;

/// The time due work is measured against: the system clock, optionally shifted by a number of
/// seconds read from a file at each look (`clock_offset_file`). Only the operator of the server
/// can write that file; tests and demos use it to bring due work (a training due in a day)
/// forward without waiting.
#[derive(Debug, Clone, Default)]
pub struct Clock {
    offset_file: Option<PathBuf>,
}

impl Clock {
    /// The system clock.
    pub fn system() -> Clock {
        Clock::default()
    }

    /// The system clock plus the seconds written in `file` (a decimal number; a missing or empty
    /// file is no shift, an unreadable number is logged and taken as no shift).
    pub fn offset_by_file(file: PathBuf) -> Clock {
        Clock { offset_file: Some(file) }
    }

    /// Epoch seconds.
    pub fn now(&self) -> f64 {
        crate::resource::now() + self.offset()
    }

    fn offset(&self) -> f64 {
        let Some(file) = &self.offset_file else { return 0.0 };
        let Ok(text) = std::fs::read_to_string(file) else { return 0.0 };
        let text = text.trim();
        if text.is_empty() {
            return 0.0;
        }
        match text.parse::<f64>() {
            Ok(offset) if offset.is_finite() => offset,
            _ => {
                tracing::warn!(file = %file.display(), content = text, "clock offset is not a number; ignored");
                0.0
            }
        }
    }
}
