//! Splits template text into text runs and the tokens of actions, applying the trim
//! markers (`{{- ` and ` -}}`) and dropping comments (`{{/* ... */}}`).

/// One token. `pos` is the byte offset of its first character in the template text.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Token {
    pub tok: Tok,
    pub pos: usize,
    /// Byte offset just past the token.
    pub end: usize,
}

#[derive(Clone, Debug, PartialEq)]
pub(crate) enum Tok {
    Text(String),
    LeftDelim,
    RightDelim,
    Space,
    Identifier(String),
    Keyword(Keyword),
    Bool(bool),
    Nil,
    Dot,
    /// `.Name`, without the dot.
    Field(String),
    /// `$name` with the dollar, or `$` alone.
    Variable(String),
    /// A quoted or raw string, already unquoted.
    Str(String),
    /// A character constant such as `'a'`, with its rune value.
    Char(char),
    /// A number as written; the parser interprets it.
    Number(String),
    Pipe,
    LeftParen,
    RightParen,
    Declare,
    Assign,
    Comma,
    Eof,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Keyword {
    Block,
    Break,
    Continue,
    Define,
    Else,
    End,
    If,
    Range,
    Template,
    With,
}

/// A lexing error: byte offset and message.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct LexError {
    pub pos: usize,
    pub message: String,
}

mod literal;

use literal::scan_number;
use literal::unescape;

/// The whitespace that trim markers remove and that separates operands.
fn is_space(c: char) -> bool {
    matches!(c, ' ' | '\t' | '\r' | '\n')
}

/// Letters, digits and underscore, as in Go identifiers.
pub(crate) fn is_alnum(c: char) -> bool {
    c == '_' || c.is_alphanumeric()
}

pub(crate) fn lex(src: &str, left: &str, right: &str) -> Result<Vec<Token>, LexError> {
    let mut lx = Lexer {
        src,
        left,
        right,
        pos: 0,
        tokens: Vec::new(),
        paren_depth: 0,
    };
    lx.run()?;
    lx.tokens.push(Token {
        tok: Tok::Eof,
        pos: src.len(),
        end: src.len(),
    });
    Ok(lx.tokens)
}

struct Lexer<'a> {
    src: &'a str,
    left: &'a str,
    right: &'a str,
    pos: usize,
    tokens: Vec<Token>,
    paren_depth: usize,
}

impl<'a> Lexer<'a> {
    fn rest(&self) -> &'a str {
        self.src.get(self.pos..).unwrap_or("")
    }

    fn peek_char(&self) -> Option<char> {
        self.rest().chars().next()
    }

    fn emit(&mut self, tok: Tok, start: usize) {
        self.tokens.push(Token {
            tok,
            pos: start,
            end: self.pos,
        });
    }

    fn error<T>(&self, pos: usize, message: impl Into<String>) -> Result<T, LexError> {
        Err(LexError {
            pos,
            message: message.into(),
        })
    }

    fn run(&mut self) -> Result<(), LexError> {
        loop {
            let rest = self.rest();
            let Some(found) = rest.find(self.left) else {
                if !rest.is_empty() {
                    let start = self.pos;
                    self.pos = self.src.len();
                    self.emit(Tok::Text(rest.to_string()), start);
                }
                return Ok(());
            };
            let delim_at = self.pos + found;
            let after = delim_at + self.left.len();
            let trim = has_left_trim(self.src.get(after..).unwrap_or(""));
            let mut text = rest.get(..found).unwrap_or("");
            if trim {
                text = text.trim_end_matches(is_space);
            }
            if !text.is_empty() {
                let start = self.pos;
                self.pos = delim_at;
                self.emit(Tok::Text(text.to_string()), start);
            }
            self.pos = after + if trim { 2 } else { 0 };
            if self.rest().starts_with("/*") {
                self.comment(delim_at)?;
            } else {
                self.tokens.push(Token {
                    tok: Tok::LeftDelim,
                    pos: delim_at,
                    end: self.pos,
                });
                self.inside_action(delim_at)?;
            }
        }
    }

    /// Whether a right delimiter starts here; the flag says it carries a trim marker.
    fn at_right_delim(&self) -> Option<bool> {
        let rest = self.rest();
        let mut chars = rest.chars();
        if let (Some(c), Some('-')) = (chars.next(), chars.next()) {
            if is_space(c) && rest.get(2..).is_some_and(|r| r.starts_with(self.right)) {
                return Some(true);
            }
        }
        rest.starts_with(self.right).then_some(false)
    }

    /// Consumes a right delimiter (and, with a trim marker, the spaces after it).
    fn right_delim(&mut self, trim: bool) {
        let start = self.pos;
        self.pos += self.right.len() + if trim { 2 } else { 0 };
        self.emit(Tok::RightDelim, start);
        if trim {
            let rest = self.rest();
            self.pos += rest.len() - rest.trim_start_matches(is_space).len();
        }
    }

    fn comment(&mut self, delim_at: usize) -> Result<(), LexError> {
        let body = self.pos + 2;
        let Some(close) = self.src.get(body..).and_then(|r| r.find("*/")) else {
            return self.error(delim_at, "unclosed comment");
        };
        self.pos = body + close + 2;
        match self.at_right_delim() {
            Some(trim) => {
                self.right_delim(trim);
                // A comment leaves no token behind.
                self.tokens.pop();
                Ok(())
            }
            None => self.error(delim_at, "comment ends before closing delimiter"),
        }
    }

    fn inside_action(&mut self, delim_at: usize) -> Result<(), LexError> {
        self.paren_depth = 0;
        loop {
            if let Some(trim) = self.at_right_delim() {
                if self.paren_depth > 0 {
                    return self.error(self.pos, "unclosed left paren");
                }
                self.right_delim(trim);
                return Ok(());
            }
            let start = self.pos;
            let Some(c) = self.peek_char() else {
                return self.error(delim_at, "unclosed action");
            };
            match c {
                c if is_space(c) => self.space(),
                '=' => self.single(Tok::Assign, start),
                ':' => {
                    if self.rest().starts_with(":=") {
                        self.pos += 2;
                        self.emit(Tok::Declare, start);
                    } else {
                        return self.error(start, "expected :=");
                    }
                }
                '|' => self.single(Tok::Pipe, start),
                ',' => self.single(Tok::Comma, start),
                '(' => {
                    self.paren_depth += 1;
                    self.single(Tok::LeftParen, start);
                }
                ')' => {
                    if self.paren_depth == 0 {
                        return self.error(start, "unexpected right paren");
                    }
                    self.paren_depth -= 1;
                    self.single(Tok::RightParen, start);
                }
                '"' => self.quoted(start)?,
                '`' => self.raw_string(start)?,
                '\'' => self.char_constant(start)?,
                '$' => {
                    self.pos += 1;
                    let name = self.word();
                    self.check_terminator()?;
                    self.emit(Tok::Variable(format!("${name}")), start);
                }
                '.' => self.dot_or_field(start)?,
                '+' | '-' | '0'..='9' => self.number(start)?,
                c if is_alnum(c) => self.identifier(start)?,
                c if c.is_ascii_graphic() => {
                    return self.error(start, format!("unexpected {:?} in operand", c.to_string()));
                }
                c => {
                    return self.error(
                        start,
                        format!("unrecognized character in action: U+{:04X}", c as u32),
                    );
                }
            }
        }
    }

    fn single(&mut self, tok: Tok, start: usize) {
        self.pos += 1;
        self.emit(tok, start);
    }

    /// A run of spaces, stopping before a trim-marked right delimiter.
    fn space(&mut self) {
        let start = self.pos;
        while let Some(c) = self.peek_char() {
            if !is_space(c) || self.at_right_delim() == Some(true) {
                break;
            }
            self.pos += c.len_utf8();
        }
        if self.pos > start {
            self.emit(Tok::Space, start);
        }
    }

    fn word(&mut self) -> &'a str {
        let rest = self.rest();
        let len = rest.len() - rest.trim_start_matches(is_alnum).len();
        self.pos += len;
        rest.get(..len).unwrap_or("")
    }

    /// Go requires a word to be followed by a space, a delimiter or punctuation.
    fn check_terminator(&self) -> Result<(), LexError> {
        match self.peek_char() {
            None => Ok(()),
            Some(c) if is_space(c) || matches!(c, '.' | ',' | '|' | ':' | ')' | '(') => Ok(()),
            Some(_) if self.rest().starts_with(self.right) => Ok(()),
            Some(c) => self.error(self.pos, format!("bad character U+{:04X} {c:?}", c as u32)),
        }
    }

    fn identifier(&mut self, start: usize) -> Result<(), LexError> {
        let word = self.word();
        self.check_terminator()?;
        let tok = match word {
            "true" => Tok::Bool(true),
            "false" => Tok::Bool(false),
            "nil" => Tok::Nil,
            "block" => Tok::Keyword(Keyword::Block),
            "break" => Tok::Keyword(Keyword::Break),
            "continue" => Tok::Keyword(Keyword::Continue),
            "define" => Tok::Keyword(Keyword::Define),
            "else" => Tok::Keyword(Keyword::Else),
            "end" => Tok::Keyword(Keyword::End),
            "if" => Tok::Keyword(Keyword::If),
            "range" => Tok::Keyword(Keyword::Range),
            "template" => Tok::Keyword(Keyword::Template),
            "with" => Tok::Keyword(Keyword::With),
            _ => Tok::Identifier(word.to_string()),
        };
        self.emit(tok, start);
        Ok(())
    }

    fn dot_or_field(&mut self, start: usize) -> Result<(), LexError> {
        let next = self.rest().get(1..).and_then(|r| r.chars().next());
        match next {
            Some(d) if d.is_ascii_digit() => self.number(start),
            Some(c) if is_alnum(c) => {
                self.pos += 1;
                let name = self.word().to_string();
                self.check_terminator()?;
                self.emit(Tok::Field(name), start);
                Ok(())
            }
            _ => {
                self.single(Tok::Dot, start);
                Ok(())
            }
        }
    }

    fn number(&mut self, start: usize) -> Result<(), LexError> {
        let text = scan_number(self.rest());
        self.pos += text.len();
        if text.is_empty() || self.peek_char().is_some_and(is_alnum) {
            // Go shows the number up to and including the first bad character.
            let bad_end = self.pos + self.peek_char().map_or(0, char::len_utf8);
            let shown = self.src.get(start..bad_end).unwrap_or("");
            return self.error(start, format!("bad number syntax: {shown:?}"));
        }
        self.emit(Tok::Number(text.to_string()), start);
        Ok(())
    }

    fn quoted(&mut self, start: usize) -> Result<(), LexError> {
        let rest = self.rest();
        let mut escaped = false;
        let mut close = None;
        for (i, c) in rest.char_indices().skip(1) {
            if c == '\n' {
                break;
            }
            if escaped {
                escaped = false;
            } else if c == '\\' {
                escaped = true;
            } else if c == '"' {
                close = Some(i);
                break;
            }
        }
        let Some(close) = close else {
            return self.error(start, "unterminated quoted string");
        };
        let body = rest.get(1..close).unwrap_or("");
        let value = unescape(body, '"').map_err(|message| LexError {
            pos: start,
            message,
        })?;
        self.pos += close + 1;
        self.emit(Tok::Str(value), start);
        Ok(())
    }

    fn raw_string(&mut self, start: usize) -> Result<(), LexError> {
        let rest = self.rest();
        let Some(close) = rest.get(1..).and_then(|r| r.find('`')) else {
            return self.error(start, "unterminated raw quoted string");
        };
        // strconv.Unquote drops carriage returns from raw strings.
        let value: String = rest
            .get(1..close + 1)
            .unwrap_or("")
            .chars()
            .filter(|&c| c != '\r')
            .collect();
        self.pos += close + 2;
        self.emit(Tok::Str(value), start);
        Ok(())
    }

    fn char_constant(&mut self, start: usize) -> Result<(), LexError> {
        let rest = self.rest();
        let mut escaped = false;
        let mut close = None;
        for (i, c) in rest.char_indices().skip(1) {
            if c == '\n' {
                break;
            }
            if escaped {
                escaped = false;
            } else if c == '\\' {
                escaped = true;
            } else if c == '\'' {
                close = Some(i);
                break;
            }
        }
        let Some(close) = close else {
            return self.error(start, "unterminated character constant");
        };
        let body = rest.get(1..close).unwrap_or("");
        let value = unescape(body, '\'').map_err(|message| LexError {
            pos: start,
            message,
        })?;
        let mut chars = value.chars();
        let (Some(c), None) = (chars.next(), chars.next()) else {
            return self.error(start, format!("malformed character constant: {body:?}"));
        };
        self.pos += close + 1;
        self.emit(Tok::Char(c), start);
        Ok(())
    }
}

fn has_left_trim(after_delim: &str) -> bool {
    let mut chars = after_delim.chars();
    matches!((chars.next(), chars.next()), (Some('-'), Some(c)) if is_space(c))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn toks(src: &str) -> Vec<Tok> {
        lex(src, "{{", "}}")
            .unwrap_or_default()
            .into_iter()
            .map(|t| t.tok)
            .collect()
    }

    #[test]
    fn text_and_simple_action() {
        assert_eq!(
            toks("a {{.X}} b"),
            vec![
                Tok::Text("a ".into()),
                Tok::LeftDelim,
                Tok::Field("X".into()),
                Tok::RightDelim,
                Tok::Text(" b".into()),
                Tok::Eof
            ]
        );
    }

    #[test]
    fn trim_markers_eat_surrounding_whitespace() {
        assert_eq!(
            toks("a \n {{- 3 -}} \n b"),
            vec![
                Tok::Text("a".into()),
                Tok::LeftDelim,
                Tok::Number("3".into()),
                Tok::RightDelim,
                Tok::Text("b".into()),
                Tok::Eof
            ]
        );
        // Without a space, "-3" is a number.
        assert_eq!(toks("{{-3}}")[1], Tok::Number("-3".into()));
    }

    #[test]
    fn comments_vanish_and_may_trim() {
        assert_eq!(
            toks("a {{- /* c */ -}} b"),
            vec![Tok::Text("a".into()), Tok::Text("b".into()), Tok::Eof]
        );
        let err = lex("{{/* c */ x}}", "{{", "}}").err().map(|e| e.message);
        assert_eq!(
            err.as_deref(),
            Some("comment ends before closing delimiter")
        );
        assert!(lex("{{/* c ", "{{", "}}").is_err());
    }

    #[test]
    fn custom_delimiters() {
        assert_eq!(toks("[[ .A ]]")[0], Tok::Text("[[ .A ]]".into()));
        let t: Vec<Tok> = lex("<< .A >>{{x}}", "<<", ">>")
            .unwrap_or_default()
            .into_iter()
            .map(|t| t.tok)
            .filter(|t| *t != Tok::Space)
            .collect();
        assert_eq!(
            t,
            vec![
                Tok::LeftDelim,
                Tok::Field("A".into()),
                Tok::RightDelim,
                Tok::Text("{{x}}".into()),
                Tok::Eof
            ]
        );
    }

    #[test]
    fn operands() {
        let t = toks(r#"{{$x := .a.b | f "q\n" `r` 'c' 1.5e3 $ . nil true (x) $y.z = ,}}"#);
        let t: Vec<Tok> = t.into_iter().filter(|t| *t != Tok::Space).collect();
        assert_eq!(
            t,
            vec![
                Tok::LeftDelim,
                Tok::Variable("$x".into()),
                Tok::Declare,
                Tok::Field("a".into()),
                Tok::Field("b".into()),
                Tok::Pipe,
                Tok::Identifier("f".into()),
                Tok::Str("q\n".into()),
                Tok::Str("r".into()),
                Tok::Char('c'),
                Tok::Number("1.5e3".into()),
                Tok::Variable("$".into()),
                Tok::Dot,
                Tok::Nil,
                Tok::Bool(true),
                Tok::LeftParen,
                Tok::Identifier("x".into()),
                Tok::RightParen,
                Tok::Variable("$y".into()),
                Tok::Field("z".into()),
                Tok::Assign,
                Tok::Comma,
                Tok::RightDelim,
                Tok::Eof
            ]
        );
    }

    #[test]
    fn lexing_errors() {
        for (src, msg) in [
            ("{{ .x ", "unclosed action"),
            ("{{ \"abc }}", "unterminated quoted string"),
            ("{{ ) }}", "unexpected right paren"),
            ("{{ ( }}", "unclosed left paren"),
            ("{{ 3xy }}", "bad number syntax: \"3x\""),
            ("{{ a: }}", "expected :="),
            ("{{ \"\\q\" }}", "invalid syntax"),
        ] {
            let err = lex(src, "{{", "}}").err().map(|e| e.message);
            assert_eq!(err.as_deref(), Some(msg), "{src}");
        }
    }
}
