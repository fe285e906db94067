//! Error types. Their `Display` text goes to API clients unchanged (as the
//! message of an `InvalidInputException`), so it must stand on its own.

use std::fmt;

/// What went wrong at a [`ParseError`]'s position.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ParseErrorKind {
    /// A token other than the ones the grammar allows here.
    Unexpected {
        /// Each entry is either a quoted token (`"IN"`) or a description (`a number`).
        expected: Vec<String>,
        /// The token found, quoted, or `end of input`.
        found: String,
    },
    /// A well-formed construct that the language rules forbid here.
    Invalid(String),
}

/// A syntax or language-rule error in a filter expression.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParseError {
    position: usize,
    column: usize,
    kind: ParseErrorKind,
}

impl ParseError {
    /// `position` must be a char boundary of `src`.
    pub(crate) fn new(src: &str, position: usize, kind: ParseErrorKind) -> Self {
        let column = src.get(..position).map_or(0, |s| s.chars().count()) + 1;
        ParseError { position, column, kind }
    }

    /// Byte offset of the offending token in the expression text.
    pub fn position(&self) -> usize {
        self.position
    }

    /// 1-based character column of the offending token (the expression is
    /// treated as one line; a newline counts as one character).
    pub fn column(&self) -> usize {
        self.column
    }

    /// What went wrong.
    pub fn kind(&self) -> &ParseErrorKind {
        &self.kind
    }
}

impl fmt::Display for ParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.kind {
            ParseErrorKind::Unexpected { expected, found } => {
                if expected.len() == 1 {
                    write!(f, "expected {}", expected[0])?;
                } else {
                    write!(f, "expected one of {}", expected.join(", "))?;
                }
                write!(f, " at column {}, found {found}", self.column)
            }
            ParseErrorKind::Invalid(msg) => write!(f, "{msg} at column {}", self.column),
        }
    }
}

impl std::error::Error for ParseError {}

/// Every error of this crate.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FilterError {
    /// The expression text is malformed (CreateFilter).
    #[error(transparent)]
    Parse(#[from] ParseError),
    /// The expression does not fit the dataset group's schemas (CreateFilter).
    #[error("{0}")]
    Validation(String),
    /// `filterValues` do not fit the filter (runtime request).
    #[error("{0}")]
    Binding(String),
    /// A record does not fit the attribute table's schema.
    #[error("{0}")]
    Data(String),
    /// An item-attribute query (batch segment jobs) is malformed.
    #[error("{0}")]
    Query(String),
    /// The filter was applied to the wrong kind of candidates.
    #[error("{0}")]
    Target(String),
}
