//! HCL1 text -> HCL2 text that hcl-rs parses with the same meaning: the one pre-pass
//! that every reader of Vault-style HCL (policies, server configuration) goes through.
//!
//! Vault writes HCL1, which also accepts what HCL2 refuses: several attributes or blocks
//! on one line (`path "a" { capabilities = ["read"] policy = "write" }`), commas between
//! attributes, and `${` / `%{` inside strings as plain text. This pass inserts the line
//! breaks HCL2 needs, escapes template openers inside strings, and leaves strings and
//! comments otherwise untouched.
//!
//! It also bounds what reaches hcl-rs: outside strings and comments only the literal
//! subset policies use is allowed (identifiers, numbers, strings, `= : , [ ] { }`), and
//! brackets nest at most [`MAX_DEPTH`] deep, so no input can drive the parser into deep
//! recursion. A map from output lines back to input lines keeps error lines truthful.
//!
#![forbid(unsafe_code)]

pub mod config_error;

/// Deepest nesting of `[` and `{` a policy may use.
pub const MAX_DEPTH: usize = 32;

/// The rewritten text and where each of its lines came from.
#[derive(Debug)]
pub struct Hcl2 {
    pub text: String,
    /// Output line (0-based) -> input line (1-based).
    lines: Vec<usize>,
}

impl Hcl2 {
    /// The input line of 1-based output line `line`.
    pub fn original_line(&self, line: usize) -> usize {
        line.checked_sub(1)
            .and_then(|i| self.lines.get(i))
            .or(self.lines.last())
            .copied()
            .unwrap_or(1)
    }
}

/// A character or construct the rewrite refuses, with its 1-based input line.
#[derive(Debug, PartialEq, Eq)]
pub struct LexError {
    pub line: usize,
    pub detail: String,
}

struct Writer {
    out: String,
    lines: Vec<usize>,
    line: usize,
}

impl Writer {
    /// A line break that was in the input.
    fn input_newline(&mut self) {
        self.line += 1;
        self.out.push('\n');
        self.lines.push(self.line);
    }

    /// A line break the rewrite adds.
    fn added_newline(&mut self) {
        self.out.push('\n');
        self.lines.push(self.line);
    }
}

/// Rewrites HCL1 `src` into HCL2.
pub fn to_hcl2(src: &str) -> Result<Hcl2, LexError> {
    let chars: Vec<char> = src
        .strip_prefix('\u{feff}')
        .unwrap_or(src)
        .chars()
        .collect();
    let mut w = Writer {
        out: String::with_capacity(src.len() + 64),
        lines: vec![1],
        line: 1,
    };
    let mut i = 0;
    // Open `[` and `{`, innermost last; `true` for `[`.
    let mut stack: Vec<bool> = Vec::new();
    // The last significant character on the current line, outside strings and comments.
    let mut last: Option<char> = None;
    while let Some(&c) = chars.get(i) {
        let in_list = stack.last() == Some(&true);
        match c {
            '"' => {
                i = copy_string(&chars, i, &mut w)?;
                last = Some('"');
                continue;
            }
            '#' => {
                i = copy_line_comment(&chars, i, &mut w);
                continue;
            }
            '/' if chars.get(i + 1) == Some(&'/') => {
                i = copy_line_comment(&chars, i, &mut w);
                continue;
            }
            '/' if chars.get(i + 1) == Some(&'*') => {
                i = copy_block_comment(&chars, i, &mut w);
                continue;
            }
            '\n' => {
                w.input_newline();
                last = None;
                i += 1;
                continue;
            }
            '[' | '{' => {
                stack.push(c == '[');
                if stack.len() > MAX_DEPTH {
                    return Err(lex_error(&w, "brackets nested too deeply".into()));
                }
                w.out.push(c);
                if c == '{' && !in_list {
                    w.added_newline();
                    last = None;
                } else {
                    last = Some(c);
                }
                i += 1;
                continue;
            }
            ']' | '}' => {
                stack.pop();
                let top_level = stack.last() != Some(&true);
                if c == '}' && top_level {
                    w.added_newline();
                    w.out.push('}');
                    w.added_newline();
                    last = None;
                } else {
                    w.out.push(c);
                    last = Some(c);
                }
                i += 1;
                continue;
            }
            ',' if !in_list => {
                w.added_newline();
                last = None;
                i += 1;
                continue;
            }
            s if s.is_whitespace() => {
                if !in_list && ends_value(last) && item_follows(&chars, i + 1) {
                    w.added_newline();
                    last = None;
                } else {
                    w.out.push(s);
                }
                i += 1;
                continue;
            }
            _ if allowed_outside_strings(c) => {}
            _ => {
                return Err(lex_error(&w, format!("unexpected character {c:?}")));
            }
        }
        last = Some(c);
        w.out.push(c);
        i += 1;
    }
    Ok(Hcl2 {
        text: w.out,
        lines: w.lines,
    })
}

fn lex_error(w: &Writer, detail: String) -> LexError {
    LexError {
        line: w.line,
        detail,
    }
}

fn allowed_outside_strings(c: char) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.' | '=' | ':' | ',')
}

fn ends_value(last: Option<char>) -> bool {
    matches!(last, Some(c) if c == '"' || c == ']' || c == '}' || c.is_ascii_alphanumeric())
}

/// After the whitespace at `i`, on the same line: the start of an attribute (`key =`,
/// `"key" =`, `key:`) or of a block (`ident "label"... {`).
fn item_follows(chars: &[char], i: usize) -> bool {
    let start = skip_blanks(chars, i);
    let (key_end, is_ident) = match chars.get(start) {
        Some('"') => match string_end(chars, start) {
            Some(end) => (end, false),
            None => return false,
        },
        Some(c) if c.is_ascii_alphabetic() || *c == '_' => {
            let len = chars
                .iter()
                .skip(start)
                .take_while(|c| c.is_ascii_alphanumeric() || **c == '_' || **c == '-')
                .count();
            (start + len, true)
        }
        _ => return false,
    };
    let mut j = skip_blanks(chars, key_end);
    match chars.get(j) {
        Some('=') => return chars.get(j + 1) != Some(&'='),
        Some(':') => return true,
        _ if !is_ident => return false,
        _ => {}
    }
    // `ident "label" ... {` opens a block.
    loop {
        match chars.get(j) {
            Some('{') => return true,
            Some('"') => match string_end(chars, j) {
                Some(end) => j = skip_blanks(chars, end),
                None => return false,
            },
            _ => return false,
        }
    }
}

fn skip_blanks(chars: &[char], mut i: usize) -> usize {
    while chars.get(i).is_some_and(|c| *c == ' ' || *c == '\t') {
        i += 1;
    }
    i
}

/// The index just past the string literal opening at `start`, if it closes on its line.
fn string_end(chars: &[char], start: usize) -> Option<usize> {
    let mut i = start + 1;
    loop {
        match chars.get(i)? {
            '\\' => i += 2,
            '"' => return Some(i + 1),
            '\n' => return None,
            _ => i += 1,
        }
    }
}

/// Copies the string literal at `start`, escaping `${` and `%{` so HCL2 keeps them as
/// text (HCL1 policies have no templates). Returns the index after the literal.
fn copy_string(chars: &[char], start: usize, w: &mut Writer) -> Result<usize, LexError> {
    w.out.push('"');
    let mut i = start + 1;
    loop {
        match chars.get(i) {
            None | Some('\n') => return Err(lex_error(w, "unterminated string".into())),
            Some('"') => {
                w.out.push('"');
                return Ok(i + 1);
            }
            Some('\\') => {
                w.out.push('\\');
                if let Some(&next) = chars.get(i + 1) {
                    if next == '\n' {
                        return Err(lex_error(w, "unterminated string".into()));
                    }
                    w.out.push(next);
                }
                i += 2;
            }
            Some(&c) => {
                if (c == '$' || c == '%') && chars.get(i + 1) == Some(&'{') {
                    w.out.push(c);
                }
                w.out.push(c);
                i += 1;
            }
        }
    }
}

fn copy_line_comment(chars: &[char], start: usize, w: &mut Writer) -> usize {
    let mut i = start;
    while let Some(&c) = chars.get(i) {
        if c == '\n' {
            break;
        }
        w.out.push(c);
        i += 1;
    }
    i
}

fn copy_block_comment(chars: &[char], start: usize, w: &mut Writer) -> usize {
    w.out.push_str("/*");
    let mut i = start + 2;
    while let Some(&c) = chars.get(i) {
        if c == '*' && chars.get(i + 1) == Some(&'/') {
            w.out.push_str("*/");
            return i + 2;
        }
        if c == '\n' {
            w.input_newline();
        } else {
            w.out.push(c);
        }
        i += 1;
    }
    i
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parses(src: &str) -> hcl::Body {
        let out = to_hcl2(src).unwrap();
        hcl::parse(&out.text).unwrap_or_else(|e| panic!("{e}\n---\n{}", out.text))
    }

    #[test]
    fn one_line_blocks_and_commas() {
        let body = parses(
            "path \"a\" { capabilities = [\"read\", \"list\"] policy = \"write\" } path \"b\" { capabilities = [\"deny\"], min_wrapping_ttl = \"1s\" }\n",
        );
        let blocks: Vec<_> = body.blocks().collect();
        assert_eq!(blocks.len(), 2);
        assert_eq!(blocks[0].body().attributes().count(), 2);
        assert_eq!(blocks[1].body().attributes().count(), 2);
    }

    #[test]
    fn one_line_objects_with_quoted_keys() {
        let body =
            parses("path \"a\" { allowed_parameters = { \"k\" = [\"v1\", \"v2\"] \"*\" = [] } }");
        let block = body.blocks().next().unwrap();
        let attr = block.body().attributes().next().unwrap();
        match attr.expr() {
            hcl::Expression::Object(o) => assert_eq!(o.len(), 2),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn strings_and_comments_survive() {
        let src = "# a comment with = and { } and (\nname = \"x\" // trailing\n/* block\ncomment */\npath \"a/{b}=c ${d} %{e}\" { capabilities = [] }\n";
        let body = parses(src);
        let label = body.blocks().next().unwrap().labels()[0]
            .as_str()
            .to_owned();
        assert_eq!(label, "a/{b}=c ${d} %{e}");
    }

    #[test]
    fn refuses_expressions_and_deep_nesting() {
        assert!(to_hcl2("a = f(1)").is_err());
        assert!(to_hcl2("a = 1 + 2").is_err());
        assert!(to_hcl2("a = <<EOF\nx\nEOF\n").is_err());
        assert!(to_hcl2("a = \"open\n\"").is_err());
        let deep = format!(
            "a = {}{}",
            "[".repeat(MAX_DEPTH + 1),
            "]".repeat(MAX_DEPTH + 1)
        );
        assert_eq!(
            to_hcl2(&deep).unwrap_err().detail,
            "brackets nested too deeply"
        );
        let ok = format!("a = {}{}", "[".repeat(MAX_DEPTH), "]".repeat(MAX_DEPTH));
        parses(&ok);
    }

    #[test]
    fn lines_map_back_to_the_input() {
        let out = to_hcl2("path \"a\" { policy = \"read\" }\n\npath \"b\" {\n x = 1 }").unwrap();
        let last = out.text.lines().count();
        assert_eq!(out.original_line(1), 1);
        assert_eq!(out.original_line(last), 4);
        let x = out.text.lines().position(|l| l.contains("x = 1")).unwrap();
        assert_eq!(out.original_line(x + 1), 4);
    }

    #[test]
    fn hcl2_input_keeps_its_meaning() {
        let src = "path \"secret/*\" {\n  capabilities = [\"read\",\n    \"list\"]\n  allowed_parameters = {\n    \"a\" = [1, 2]\n  }\n}\n";
        assert_eq!(parses(src), hcl::parse(src).unwrap());
    }
}
