//! Tokenizer. It never fails: malformed input becomes `Unknown` or
//! `Unterminated` tokens so the parser reports errors in text order.

#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Tok {
    /// `[A-Za-z_][A-Za-z0-9_]*`
    Word,
    /// `$` followed by `[A-Za-z0-9_]*` (the name may be empty: the parser rejects it).
    Param,
    /// A quoted string, unescaped.
    Str(String),
    /// Digits, optional fraction and exponent up to `num_end`, then any
    /// letters/digits glued on (`30d`), which only `NOW() - 30d` accepts.
    Num {
        num_end: usize,
    },
    LParen,
    RParen,
    Comma,
    Dot,
    Pipe,
    Eq,
    Lt,
    Le,
    Gt,
    Ge,
    Minus,
    Plus,
    Unknown,
    Unterminated,
    Eof,
}

#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Token {
    pub tok: Tok,
    pub start: usize,
    pub end: usize,
}

fn is_ident(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_'
}

pub(crate) fn lex(src: &str) -> Vec<Token> {
    let bytes = src.as_bytes();
    let len = bytes.len();
    let mut out = Vec::new();
    let mut i = 0;
    while let Some(c) = src[i..].chars().next() {
        if c.is_whitespace() {
            i += c.len_utf8();
            continue;
        }
        let start = i;
        let tok = match c {
            'A'..='Z' | 'a'..='z' | '_' => {
                while i < len && is_ident(bytes[i]) {
                    i += 1;
                }
                Tok::Word
            }
            '0'..='9' => {
                while i < len && bytes[i].is_ascii_digit() {
                    i += 1;
                }
                if i + 1 < len && bytes[i] == b'.' && bytes[i + 1].is_ascii_digit() {
                    i += 1;
                    while i < len && bytes[i].is_ascii_digit() {
                        i += 1;
                    }
                }
                if i < len && (bytes[i] == b'e' || bytes[i] == b'E') {
                    let mut j = i + 1;
                    if j < len && (bytes[j] == b'+' || bytes[j] == b'-') {
                        j += 1;
                    }
                    if j < len && bytes[j].is_ascii_digit() {
                        i = j;
                        while i < len && bytes[i].is_ascii_digit() {
                            i += 1;
                        }
                    }
                }
                let num_end = i;
                while i < len && is_ident(bytes[i]) {
                    i += 1;
                }
                Tok::Num { num_end }
            }
            '$' => {
                i += 1;
                while i < len && is_ident(bytes[i]) {
                    i += 1;
                }
                Tok::Param
            }
            '"' | '\'' => {
                i += 1;
                let mut s = String::new();
                let mut closed = false;
                let mut chars = src[i..].char_indices();
                while let Some((off, ch)) = chars.next() {
                    if ch == c {
                        i += off + 1;
                        closed = true;
                        break;
                    }
                    if ch == '\\' {
                        match chars.next() {
                            Some((_, e @ ('"' | '\'' | '\\'))) => s.push(e),
                            Some((_, e)) => {
                                s.push('\\');
                                s.push(e);
                            }
                            None => break,
                        }
                    } else {
                        s.push(ch);
                    }
                }
                if closed {
                    Tok::Str(s)
                } else {
                    i = len;
                    Tok::Unterminated
                }
            }
            _ => {
                i += c.len_utf8();
                match c {
                    '(' => Tok::LParen,
                    ')' => Tok::RParen,
                    ',' => Tok::Comma,
                    '.' => Tok::Dot,
                    '|' => Tok::Pipe,
                    '=' => Tok::Eq,
                    '-' => Tok::Minus,
                    '+' => Tok::Plus,
                    '<' | '>' => {
                        let eq = i < len && bytes[i] == b'=';
                        if eq {
                            i += 1;
                        }
                        match (c, eq) {
                            ('<', false) => Tok::Lt,
                            ('<', true) => Tok::Le,
                            (_, false) => Tok::Gt,
                            (_, true) => Tok::Ge,
                        }
                    }
                    _ => Tok::Unknown,
                }
            }
        };
        out.push(Token { tok, start, end: i });
    }
    out.push(Token { tok: Tok::Eof, start: len, end: len });
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kinds(s: &str) -> Vec<Tok> {
        lex(s).into_iter().map(|t| t.tok).collect()
    }

    #[test]
    fn tokens() {
        assert_eq!(
            kinds("Items.X<=$P|(1,'a')>= > < = - + ! \"q\\\"\""),
            vec![
                Tok::Word,
                Tok::Dot,
                Tok::Word,
                Tok::Le,
                Tok::Param,
                Tok::Pipe,
                Tok::LParen,
                Tok::Num { num_end: 14 },
                Tok::Comma,
                Tok::Str("a".into()),
                Tok::RParen,
                Tok::Ge,
                Tok::Gt,
                Tok::Lt,
                Tok::Eq,
                Tok::Minus,
                Tok::Plus,
                Tok::Unknown,
                Tok::Str("q\"".into()),
                Tok::Eof
            ]
        );
    }

    #[test]
    fn numbers_and_suffixes() {
        let t = lex("1.5e-3 30d 7 1e 2.x");
        assert_eq!(t[0].tok, Tok::Num { num_end: 6 });
        assert_eq!((t[1].tok.clone(), t[1].end), (Tok::Num { num_end: 9 }, 10));
        assert_eq!(t[2].tok, Tok::Num { num_end: 12 });
        // "1e" has no exponent digits: the "e" is a glued suffix
        assert_eq!((t[3].tok.clone(), t[3].end), (Tok::Num { num_end: 14 }, 15));
        assert_eq!(t[4].tok, Tok::Num { num_end: 17 });
        assert_eq!(t[5].tok, Tok::Dot);
    }

    #[test]
    fn strings() {
        assert_eq!(kinds(r#""a\\b\c""#)[0], Tok::Str(r"a\b\c".into()));
        assert_eq!(kinds("'it\\'s'")[0], Tok::Str("it's".into()));
        assert_eq!(kinds("\"héllo\"")[0], Tok::Str("héllo".into()));
        assert_eq!(kinds("\"open"), vec![Tok::Unterminated, Tok::Eof]);
        assert_eq!(kinds("\"open\\"), vec![Tok::Unterminated, Tok::Eof]);
        assert_eq!(kinds("é"), vec![Tok::Unknown, Tok::Eof]);
    }
}
