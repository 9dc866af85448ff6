//! The recursive-descent parser of rule conditions: tokens in, a checked [`Expr`] out.

use std::sync::Arc;

use super::condition::{
    ALL_SIGNALS, CmpOp, Expr, Field, Lists, Literal, Operand, ValueList, mask_of,
};
use super::lexer::{ParseError, Pos, Tok, lex};
use crate::core::model::{DAY, Signal};

pub(crate) const MAX_DEPTH: usize = 64;
/// Compiled regexes larger than this are refused, so a rule cannot exhaust memory.
const REGEX_SIZE_LIMIT: usize = 1 << 20;

/// Parses a condition; `lists` are the named lists it may use.
pub fn parse(text: &str, lists: &Lists) -> Result<Expr, ParseError> {
    let toks = lex(text)?;
    let mut p = Parser {
        toks,
        at: 0,
        lists,
        depth: 0,
    };
    if p.peek() == &Tok::End {
        return Err(p.error_here("the condition is empty; write one like `title = \"CEO\"`"));
    }
    let expr = p.or()?;
    match p.peek() {
        Tok::End => Ok(expr),
        Tok::RParen => Err(p.error_here("this `)` has no matching `(`")),
        other => Err(p.error_here(format!(
            "expected `and`, `or` or the end of the condition, found {other}"
        ))),
    }
}

struct Parser<'a> {
    toks: Vec<(Tok, Pos)>,
    at: usize,
    lists: &'a Lists,
    depth: usize,
}

fn is_kw(tok: &Tok, kw: &str) -> bool {
    matches!(tok, Tok::Ident(w) if w.eq_ignore_ascii_case(kw))
}

impl Parser<'_> {
    fn peek(&self) -> &Tok {
        &self.toks[self.at.min(self.toks.len() - 1)].0
    }

    fn pos(&self) -> Pos {
        self.toks[self.at.min(self.toks.len() - 1)].1
    }

    fn bump(&mut self) -> Tok {
        let t = self.peek().clone();
        if self.at < self.toks.len() - 1 {
            self.at += 1;
        }
        t
    }

    fn error_here(&self, message: impl Into<String>) -> ParseError {
        ParseError::new(self.pos(), message)
    }

    fn eat_kw(&mut self, kw: &str) -> bool {
        let hit = is_kw(self.peek(), kw);
        if hit {
            self.bump();
        }
        hit
    }

    fn nested<T>(
        &mut self,
        f: impl FnOnce(&mut Self) -> Result<T, ParseError>,
    ) -> Result<T, ParseError> {
        if self.depth >= MAX_DEPTH {
            return Err(self.error_here(format!(
                "the condition nests deeper than {MAX_DEPTH} levels; simplify it"
            )));
        }
        self.depth += 1;
        let r = f(self);
        self.depth -= 1;
        r
    }

    fn or(&mut self) -> Result<Expr, ParseError> {
        let mut left = self.and()?;
        while self.eat_kw("or") {
            let right = self.and()?;
            left = Expr::Or(Box::new(left), Box::new(right));
        }
        Ok(left)
    }

    fn and(&mut self) -> Result<Expr, ParseError> {
        let mut left = self.unary()?;
        while self.eat_kw("and") {
            let right = self.unary()?;
            left = Expr::And(Box::new(left), Box::new(right));
        }
        Ok(left)
    }

    fn unary(&mut self) -> Result<Expr, ParseError> {
        self.nested(|p| {
            if p.eat_kw("not") {
                return Ok(Expr::Not(Box::new(p.unary()?)));
            }
            if p.peek() == &Tok::LParen {
                p.bump();
                let inner = p.or()?;
                if p.peek() != &Tok::RParen {
                    return Err(
                        p.error_here(format!("expected `)` to close the `(`, found {}", p.peek()))
                    );
                }
                p.bump();
                return Ok(inner);
            }
            p.predicate()
        })
    }

    fn operand(&mut self) -> Result<Operand, ParseError> {
        let pos = self.pos();
        match self.bump() {
            Tok::Quoted(name) => Ok(Operand::Named {
                field: Field::find(&name),
                name,
                quoted: true,
            }),
            Tok::Ident(word) if self.peek() == &Tok::LParen => self.function(&word, pos),
            Tok::Ident(word)
                if ["and", "or", "not", "in", "is", "contains", "missing"]
                    .iter()
                    .any(|k| k.eq_ignore_ascii_case(&word)) =>
            {
                Err(ParseError::new(
                    pos,
                    format!("expected a field name, found the keyword `{word}`"),
                ))
            }
            Tok::Ident(word) => Ok(Operand::Named {
                field: Field::find(&word),
                name: word,
                quoted: false,
            }),
            other => Err(ParseError::new(
                pos,
                format!(
                    "expected a field name (like title, `Lead Source` or visits(30d)), found {other}"
                ),
            )),
        }
    }

    /// `visits(30d)` or `last(activity)`; the `(` is next.
    fn function(&mut self, word: &str, pos: Pos) -> Result<Operand, ParseError> {
        let lower = word.to_ascii_lowercase();
        self.bump(); // (
        let arg_pos = self.pos();
        let operand = if lower == "last" {
            match self.bump() {
                Tok::Ident(a) if a.eq_ignore_ascii_case("activity") => {
                    Operand::Last { mask: ALL_SIGNALS }
                }
                Tok::Ident(a) if Signal::from_counter_name(&a.to_ascii_lowercase()).is_some() => {
                    let s = Signal::from_counter_name(&a.to_ascii_lowercase()).expect("checked");
                    Operand::Last { mask: mask_of(s) }
                }
                other => {
                    return Err(ParseError::new(
                        arg_pos,
                        format!(
                            "expected `activity` or a signal ({}) inside `last(…)`, found {other}",
                            counter_names()
                        ),
                    ));
                }
            }
        } else if let Some(signal) = Signal::from_counter_name(&lower) {
            match self.bump() {
                Tok::Duration(window) if window > 0 => Operand::Counter { signal, window },
                other => {
                    return Err(ParseError::new(
                        arg_pos,
                        format!("expected a span like 30d inside `{lower}(…)`, found {other}"),
                    ));
                }
            }
        } else {
            return Err(ParseError::new(
                pos,
                format!(
                    "unknown function `{word}`; expected last or a signal counter: {}",
                    counter_names()
                ),
            ));
        };
        if self.peek() != &Tok::RParen {
            return Err(self.error_here(format!("expected `)`, found {}", self.peek())));
        }
        self.bump();
        Ok(operand)
    }

    fn predicate(&mut self) -> Result<Expr, ParseError> {
        let operand = self.operand()?;
        let label = operand.label();
        let op_pos = self.pos();
        match self.bump() {
            Tok::Op("~") => {
                let pos = self.pos();
                match self.bump() {
                    Tok::Str(pattern) => {
                        let re = regex::RegexBuilder::new(&pattern)
                            .size_limit(REGEX_SIZE_LIMIT)
                            .build()
                            .map_err(|e| {
                                let detail = e.to_string();
                                let last = detail.lines().last().unwrap_or("").trim().to_string();
                                ParseError::new(pos, format!("invalid regular expression: {last}"))
                            })?;
                        self.text_only(&operand, op_pos, "~")?;
                        Ok(Expr::Regex { operand, re })
                    }
                    other => Err(ParseError::new(
                        pos,
                        format!("expected a quoted regular expression after `~`, found {other}"),
                    )),
                }
            }
            Tok::Op(sym) => {
                let op = match sym {
                    "=" => CmpOp::Eq,
                    "!=" => CmpOp::Ne,
                    "<" => CmpOp::Lt,
                    "<=" => CmpOp::Le,
                    ">" => CmpOp::Gt,
                    _ => CmpOp::Ge,
                };
                let value = self.literal(sym)?;
                let value = self.check_comparison(&operand, value, op_pos)?;
                Ok(Expr::Compare { operand, op, value })
            }
            Tok::Ident(w) if w.eq_ignore_ascii_case("contains") => {
                let pos = self.pos();
                match self.bump() {
                    Tok::Str(s) => {
                        self.text_only(&operand, op_pos, "contains")?;
                        Ok(Expr::Contains {
                            operand,
                            needle: s.to_lowercase(),
                        })
                    }
                    other => Err(ParseError::new(
                        pos,
                        format!("expected a quoted text after `contains`, found {other}"),
                    )),
                }
            }
            Tok::Ident(w) if w.eq_ignore_ascii_case("in") => self.in_list(operand, false),
            Tok::Ident(w) if w.eq_ignore_ascii_case("not") && is_kw(self.peek(), "in") => {
                self.bump();
                self.in_list(operand, true)
            }
            Tok::Ident(w) if w.eq_ignore_ascii_case("is") => {
                let negated = self.eat_kw("not");
                if !self.eat_kw("missing") {
                    return Err(self.error_here(format!(
                        "expected `missing` after `is{}`, found {}",
                        if negated { " not" } else { "" },
                        self.peek()
                    )));
                }
                if matches!(operand, Operand::Counter { .. }) {
                    return Err(ParseError::new(
                        op_pos,
                        format!(
                            "{label} is a count and is never missing; compare it with a number"
                        ),
                    ));
                }
                Ok(Expr::Missing { operand, negated })
            }
            other => Err(ParseError::new(
                op_pos,
                format!(
                    "expected an operator after {label} (one of = != < <= > >= ~ in contains is), found {other}"
                ),
            )),
        }
    }

    fn literal(&mut self, after: &str) -> Result<Literal, ParseError> {
        let pos = self.pos();
        match self.bump() {
            Tok::Str(raw) => Ok(Literal::Text {
                lower: raw.to_lowercase(),
                raw,
            }),
            Tok::Number(n) => Ok(Literal::Number(n)),
            Tok::Duration(d) => Ok(Literal::Duration(d)),
            Tok::Ident(w) if w.eq_ignore_ascii_case("true") => Ok(Literal::Bool(true)),
            Tok::Ident(w) if w.eq_ignore_ascii_case("false") => Ok(Literal::Bool(false)),
            Tok::Ident(w) => Err(ParseError::new(
                pos,
                format!("expected a value after `{after}`, found `{w}`; quote text like \"{w}\""),
            )),
            _ => Err(ParseError::new(
                pos,
                format!("expected a value after `{after}`"),
            )),
        }
    }

    fn check_comparison(
        &self,
        operand: &Operand,
        value: Literal,
        op_pos: Pos,
    ) -> Result<Literal, ParseError> {
        let label = operand.label();
        match (operand, value) {
            (Operand::Counter { .. }, v @ Literal::Number(_)) => Ok(v),
            (Operand::Counter { .. }, _) => Err(ParseError::new(
                op_pos,
                format!("{label} counts signals; compare it with a number, e.g. {label} >= 3"),
            )),
            (Operand::Last { .. }, v @ Literal::Duration(_)) => Ok(v),
            (Operand::Last { .. }, _) => Err(ParseError::new(
                op_pos,
                format!("{label} is a time span; compare it with a span, e.g. {label} < 14d"),
            )),
            (Operand::Named { field: Some(f), .. }, Literal::Duration(d)) if f.counts_days() => {
                Ok(Literal::Number(d as f64 / DAY as f64))
            }
            (Operand::Named { .. }, Literal::Duration(_)) => Err(ParseError::new(
                op_pos,
                format!(
                    "{label} is not a time span; spans like 14d compare with last(…), days_in_stage or age_days"
                ),
            )),
            (_, v) => Ok(v),
        }
    }

    fn text_only(&self, operand: &Operand, pos: Pos, op: &str) -> Result<(), ParseError> {
        match operand {
            Operand::Named { .. } => Ok(()),
            other => Err(ParseError::new(
                pos,
                format!("`{op}` works on text fields, not on {}", other.label()),
            )),
        }
    }

    fn in_list(&mut self, operand: Operand, negated: bool) -> Result<Expr, ParseError> {
        if !matches!(operand, Operand::Named { .. }) {
            return Err(
                self.error_here(format!("`in` works on fields, not on {}", operand.label()))
            );
        }
        let pos = self.pos();
        match self.bump() {
            Tok::List(name) => {
                let list = self.lists.get(&name.to_lowercase()).cloned().ok_or_else(|| {
                    let known: Vec<String> = self.lists.keys().map(|k| format!("@{k}")).collect();
                    ParseError::new(
                        pos,
                        format!(
                            "unknown list @{name}; known lists: {}. Define it under [lists] in the rules file",
                            known.join(", ")
                        ),
                    )
                })?;
                Ok(Expr::In {
                    operand,
                    list,
                    name: Some(name.to_lowercase()),
                    negated,
                })
            }
            Tok::LBracket => {
                let mut list = ValueList::default();
                loop {
                    if self.peek() == &Tok::RBracket {
                        self.bump();
                        break;
                    }
                    match self.literal("[")? {
                        Literal::Text { lower, .. } => {
                            list.texts.insert(lower.trim().to_string());
                        }
                        Literal::Number(n) => list.numbers.push(n),
                        Literal::Bool(b) => {
                            list.texts.insert(b.to_string());
                        }
                        Literal::Duration(_) => {
                            return Err(self.error_here("spans of time cannot be listed"));
                        }
                    }
                    match self.bump() {
                        Tok::Comma => {}
                        Tok::RBracket => break,
                        other => {
                            let at = self.toks[self.at.saturating_sub(1)].1;
                            let at = if other == Tok::End { self.pos() } else { at };
                            return Err(ParseError::new(
                                at,
                                format!("expected `,` or `]` in the list, found {other}"),
                            ));
                        }
                    }
                }
                Ok(Expr::In {
                    operand,
                    list: Arc::new(list),
                    name: None,
                    negated,
                })
            }
            other => Err(ParseError::new(
                pos,
                format!(
                    "expected a list like [\"A\", \"B\"] or @freemail after `in`, found {other}"
                ),
            )),
        }
    }
}

fn counter_names() -> String {
    Signal::ALL
        .iter()
        .map(|s| s.counter_name())
        .collect::<Vec<_>>()
        .join(", ")
}
