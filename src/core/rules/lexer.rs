//! Tokens of the rule condition language, each with the 1-based line and column it starts at.

use std::fmt;

/// Where a token or an error is in the condition text (1-based, in characters).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Pos {
    pub line: u32,
    pub column: u32,
}

#[derive(Clone, Debug, PartialEq)]
pub enum Tok {
    /// A bare word: a field, a keyword (`and`, `in`, `missing`…) or a function name.
    Ident(String),
    /// A backtick-quoted field name: `` `Lead Source` ``.
    Quoted(String),
    /// A double-quoted string literal.
    Str(String),
    Number(f64),
    /// A span of time like `30d`, `12h`, `2w`, in seconds.
    Duration(i64),
    /// A named list: `@freemail`.
    List(String),
    Op(&'static str),
    LParen,
    RParen,
    LBracket,
    RBracket,
    Comma,
    End,
}

impl fmt::Display for Tok {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Tok::Ident(s) => write!(f, "`{s}`"),
            Tok::Quoted(s) => write!(f, "`{s}`"),
            Tok::Str(s) => write!(f, "\"{s}\""),
            Tok::Number(n) => write!(f, "`{}`", crate::core::model::format_number(*n)),
            Tok::Duration(s) => write!(f, "`{}`", format_duration(*s)),
            Tok::List(s) => write!(f, "`@{s}`"),
            Tok::Op(o) => write!(f, "`{o}`"),
            Tok::LParen => f.write_str("`(`"),
            Tok::RParen => f.write_str("`)`"),
            Tok::LBracket => f.write_str("`[`"),
            Tok::RBracket => f.write_str("`]`"),
            Tok::Comma => f.write_str("`,`"),
            Tok::End => f.write_str("the end of the condition"),
        }
    }
}

/// `30d` or `12h`: a span in seconds as it is written in a condition.
pub fn format_duration(secs: i64) -> String {
    use crate::core::model::{DAY, HOUR};
    if secs % DAY == 0 {
        format!("{}d", secs / DAY)
    } else {
        format!("{}h", secs / HOUR)
    }
}

/// A lexing or parsing failure at a position.
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
#[error("line {}, column {}: {message}", .pos.line, .pos.column)]
pub struct ParseError {
    pub pos: Pos,
    pub message: String,
}

impl ParseError {
    pub fn new(pos: Pos, message: impl Into<String>) -> ParseError {
        ParseError {
            pos,
            message: message.into(),
        }
    }
}

/// Splits a condition into tokens; the last is always [`Tok::End`].
pub fn lex(text: &str) -> Result<Vec<(Tok, Pos)>, ParseError> {
    let chars: Vec<char> = text.chars().collect();
    let mut out = Vec::new();
    let (mut i, mut line, mut col) = (0usize, 1u32, 1u32);
    // Advances over `n` characters, keeping line and column.
    let advance = |i: &mut usize, line: &mut u32, col: &mut u32, n: usize| {
        for _ in 0..n {
            if chars.get(*i) == Some(&'\n') {
                *line += 1;
                *col = 1;
            } else {
                *col += 1;
            }
            *i += 1;
        }
    };
    while i < chars.len() {
        let c = chars[i];
        let pos = Pos { line, column: col };
        if c.is_whitespace() {
            advance(&mut i, &mut line, &mut col, 1);
            continue;
        }
        let next = chars.get(i + 1).copied();
        let (tok, len) = match c {
            '(' => (Tok::LParen, 1),
            ')' => (Tok::RParen, 1),
            '[' => (Tok::LBracket, 1),
            ']' => (Tok::RBracket, 1),
            ',' => (Tok::Comma, 1),
            '~' => (Tok::Op("~"), 1),
            '=' if next == Some('=') => (Tok::Op("="), 2),
            '=' => (Tok::Op("="), 1),
            '!' if next == Some('=') => (Tok::Op("!="), 2),
            '<' if next == Some('=') => (Tok::Op("<="), 2),
            '<' => (Tok::Op("<"), 1),
            '>' if next == Some('=') => (Tok::Op(">="), 2),
            '>' => (Tok::Op(">"), 1),
            '"' => {
                let (s, len) = lex_string(&chars[i..]).ok_or_else(|| {
                    ParseError::new(pos, "this string is not closed; add a `\"` at its end")
                })?;
                (Tok::Str(s), len)
            }
            '`' => {
                let end = chars[i + 1..].iter().position(|&c| c == '`' || c == '\n');
                match end {
                    Some(e) if chars[i + 1 + e] == '`' && e > 0 => {
                        (Tok::Quoted(chars[i + 1..i + 1 + e].iter().collect()), e + 2)
                    }
                    Some(0) => return Err(ParseError::new(pos, "empty field name ``")),
                    _ => {
                        return Err(ParseError::new(
                            pos,
                            "this field name is not closed; add a ``` ` ``` at its end",
                        ));
                    }
                }
            }
            '@' => {
                let len = word_len(&chars[i + 1..]);
                if len == 0 {
                    return Err(ParseError::new(
                        pos,
                        "expected a list name after `@`, e.g. @freemail",
                    ));
                }
                (
                    Tok::List(chars[i + 1..i + 1 + len].iter().collect()),
                    len + 1,
                )
            }
            c if c.is_ascii_digit()
                || (c == '-' || c == '.') && next.is_some_and(|n| n.is_ascii_digit()) =>
            {
                lex_number(&chars[i..], pos)?
            }
            c if c.is_alphabetic() || c == '_' => {
                let len = word_len(&chars[i..]);
                (Tok::Ident(chars[i..i + len].iter().collect()), len)
            }
            other => {
                return Err(ParseError::new(
                    pos,
                    format!("unexpected character {other:?}"),
                ));
            }
        };
        out.push((tok, pos));
        advance(&mut i, &mut line, &mut col, len);
    }
    out.push((Tok::End, Pos { line, column: col }));
    Ok(out)
}

fn word_len(chars: &[char]) -> usize {
    chars
        .iter()
        .take_while(|c| c.is_alphanumeric() || **c == '_' || **c == '.' || **c == '-')
        .count()
}

/// A double-quoted string with `\"`, `\\`, `\n` and `\t` escapes; returns it and its length.
fn lex_string(chars: &[char]) -> Option<(String, usize)> {
    let mut s = String::new();
    let mut i = 1;
    while i < chars.len() {
        match chars[i] {
            '"' => return Some((s, i + 1)),
            '\\' if i + 1 < chars.len() => {
                match chars[i + 1] {
                    'n' => s.push('\n'),
                    't' => s.push('\t'),
                    // Other escapes stay as written so that regex escapes (`\b`, `\d`) work.
                    '"' => s.push('"'),
                    '\\' => s.push('\\'),
                    other => {
                        s.push('\\');
                        s.push(other);
                    }
                }
                i += 2;
            }
            c => {
                s.push(c);
                i += 1;
            }
        }
    }
    None
}

fn lex_number(chars: &[char], pos: Pos) -> Result<(Tok, usize), ParseError> {
    let mut len = usize::from(chars[0] == '-');
    len += chars[len..]
        .iter()
        .take_while(|c| c.is_ascii_digit() || **c == '.' || **c == '_')
        .count();
    let digits: String = chars[..len].iter().filter(|c| **c != '_').collect();
    let value: f64 = digits
        .parse()
        .map_err(|_| ParseError::new(pos, format!("`{digits}` is not a number")))?;
    let unit = chars.get(len).copied();
    let after_unit = chars.get(len + 1).copied();
    let unit_ends = !after_unit.is_some_and(|c| c.is_alphanumeric() || c == '_');
    let secs = match unit {
        Some('d') if unit_ends => Some(crate::core::model::DAY),
        Some('h') if unit_ends => Some(crate::core::model::HOUR),
        Some('w') if unit_ends => Some(7 * crate::core::model::DAY),
        Some(c) if c.is_alphabetic() || c == '_' => {
            return Err(ParseError::new(
                pos,
                format!(
                    "`{digits}{c}…` is not a number or a span of time; spans are written like 30d, 12h or 2w"
                ),
            ));
        }
        _ => None,
    };
    match secs {
        Some(unit_secs) => {
            if !(0.0..=36_500.0).contains(&value) || value.fract() != 0.0 {
                return Err(ParseError::new(
                    pos,
                    "a span of time must be a whole number from 0 to 36500, like 30d",
                ));
            }
            Ok((Tok::Duration(value as i64 * unit_secs), len + 1))
        }
        None if value.is_finite() => Ok((Tok::Number(value), len)),
        None => Err(ParseError::new(pos, format!("`{digits}` is too large"))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn toks(text: &str) -> Vec<Tok> {
        lex(text).unwrap().into_iter().map(|(t, _)| t).collect()
    }

    #[test]
    fn tokens_cover_the_language() {
        assert_eq!(
            toks(r#"visits(30d) >= 3 and `Lead Source` = "Google" or x in @freemail"#),
            [
                Tok::Ident("visits".into()),
                Tok::LParen,
                Tok::Duration(30 * 86_400),
                Tok::RParen,
                Tok::Op(">="),
                Tok::Number(3.0),
                Tok::Ident("and".into()),
                Tok::Quoted("Lead Source".into()),
                Tok::Op("="),
                Tok::Str("Google".into()),
                Tok::Ident("or".into()),
                Tok::Ident("x".into()),
                Tok::Ident("in".into()),
                Tok::List("freemail".into()),
                Tok::End,
            ]
        );
        assert_eq!(
            toks("-2.5 12h 2w"),
            [
                Tok::Number(-2.5),
                Tok::Duration(12 * 3600),
                Tok::Duration(14 * 86_400),
                Tok::End
            ]
        );
        assert_eq!(
            toks(r#""a\"b\\b""#),
            [Tok::Str(r#"a"b\b"#.into()), Tok::End]
        );
    }

    #[test]
    fn positions_are_one_based_lines_and_columns() {
        let t = lex("a\n  b").unwrap();
        assert_eq!(t[0].1, Pos { line: 1, column: 1 });
        assert_eq!(t[1].1, Pos { line: 2, column: 3 });
        assert_eq!(t[2].1, Pos { line: 2, column: 4 });
    }

    #[test]
    fn lexing_errors_say_where_and_what() {
        let e = lex(r#"title = "VP"#).unwrap_err();
        assert_eq!(
            e.to_string(),
            "line 1, column 9: this string is not closed; add a `\"` at its end"
        );
        assert!(
            lex("x = 3x")
                .unwrap_err()
                .to_string()
                .starts_with("line 1, column 5:")
        );
        assert!(
            lex("x # 1")
                .unwrap_err()
                .to_string()
                .contains("unexpected character '#'")
        );
        assert!(lex("`open").is_err());
    }
}
