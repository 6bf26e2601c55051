//! Scalars: choosing plain, single-quoted, double-quoted or literal style as libyaml's
//! emitter does, and writing them (with line folding past 80 columns).

use super::resolve::resolves_to_non_string;
use super::{column, start_line, BEST_WIDTH};

#[derive(Clone, Copy, PartialEq, Eq)]
enum Style {
    Plain,
    Single,
    Double,
    Literal,
}

pub(super) fn write_string(out: &mut String, s: &str, indent: usize, simple_key: bool) {
    let mut style = if s.contains('\n') {
        Style::Literal
    } else if resolves_to_non_string(s) {
        Style::Double
    } else {
        Style::Plain
    };
    let a = analyze(s);
    if style == Style::Plain && (!a.plain_allowed || (s.is_empty() && simple_key)) {
        style = Style::Single;
    }
    if style == Style::Single && !a.single_allowed {
        style = Style::Double;
    }
    if style == Style::Literal && (!a.block_allowed || simple_key) {
        style = Style::Double;
    }
    let breaks = !simple_key;
    match style {
        Style::Plain => write_folded(out, s, indent, breaks, false),
        Style::Single => {
            out.push('\'');
            write_folded(out, &s.replace('\'', "''"), indent, breaks, true);
            out.push('\'');
        }
        Style::Double => write_double(out, s, indent, breaks),
        Style::Literal => write_literal(out, s, indent),
    }
}

/// Plain and single-quoted text, breaking lines at a single space past 80 columns.
fn write_folded(out: &mut String, s: &str, indent: usize, breaks: bool, quoted: bool) {
    let chars: Vec<char> = s.chars().collect();
    let mut prev_space = false;
    for (i, &c) in chars.iter().enumerate() {
        if c == ' ' {
            let next_space = chars.get(i + 1) == Some(&' ');
            let inner = !quoted || (i != 0 && i + 1 != chars.len());
            if breaks && !prev_space && inner && !next_space && column(out) > BEST_WIDTH {
                start_line(out, indent);
            } else {
                out.push(' ');
            }
            prev_space = true;
        } else {
            out.push(c);
            prev_space = false;
        }
    }
}

fn write_double(out: &mut String, s: &str, indent: usize, breaks: bool) {
    out.push('"');
    let chars: Vec<char> = s.chars().collect();
    let mut prev_space = false;
    for (i, &c) in chars.iter().enumerate() {
        if c == ' ' {
            if breaks && !prev_space && column(out) > BEST_WIDTH && i != 0 && i + 1 != chars.len() {
                start_line(out, indent);
                if chars.get(i + 1) == Some(&' ') {
                    out.push('\\');
                }
            } else {
                out.push(' ');
            }
            prev_space = true;
            continue;
        }
        prev_space = false;
        if yaml_printable(c) && !is_break(c) && c != '"' && c != '\\' && c != '\u{feff}' {
            out.push(c);
            continue;
        }
        let esc = match c {
            '\0' => "\\0".to_string(),
            '\u{7}' => "\\a".into(),
            '\u{8}' => "\\b".into(),
            '\t' => "\\t".into(),
            '\n' => "\\n".into(),
            '\u{b}' => "\\v".into(),
            '\u{c}' => "\\f".into(),
            '\r' => "\\r".into(),
            '\u{1b}' => "\\e".into(),
            '"' => "\\\"".into(),
            '\\' => "\\\\".into(),
            '\u{85}' => "\\N".into(),
            '\u{a0}' => "\\_".into(),
            '\u{2028}' => "\\L".into(),
            '\u{2029}' => "\\P".into(),
            c if u32::from(c) <= 0xff => format!("\\x{:02X}", u32::from(c)),
            c if u32::from(c) <= 0xffff => format!("\\u{:04X}", u32::from(c)),
            c => format!("\\U{:08X}", u32::from(c)),
        };
        out.push_str(&esc);
    }
    out.push('"');
}

fn write_literal(out: &mut String, s: &str, indent: usize) {
    out.push('|');
    if s.starts_with([' ', '\n']) {
        out.push('2');
    }
    let trailing = s.len() - s.trim_end_matches('\n').len();
    if trailing == 0 {
        out.push('-');
    } else if trailing > 1 || s == "\n" {
        out.push('+');
    }
    let body = s.strip_suffix('\n').unwrap_or(s);
    for line in body.split('\n') {
        if line.is_empty() {
            out.push('\n');
        } else {
            start_line(out, indent);
            out.push_str(line);
        }
    }
}

fn is_break(c: char) -> bool {
    matches!(c, '\r' | '\n' | '\u{85}' | '\u{2028}' | '\u{2029}')
}

/// libyaml's `is_printable` (4-byte characters are not).
fn yaml_printable(c: char) -> bool {
    matches!(u32::from(c), 0x0A | 0x20..=0x7E | 0xA0..=0xD7FF | 0xE000..=0xFFFD) && c != '\u{feff}'
}

struct Analysis {
    plain_allowed: bool,
    single_allowed: bool,
    block_allowed: bool,
}

/// libyaml's scalar analysis, for block context.
fn analyze(s: &str) -> Analysis {
    if s.is_empty() {
        return Analysis {
            plain_allowed: true,
            single_allowed: true,
            block_allowed: false,
        };
    }
    let chars: Vec<char> = s.chars().collect();
    let mut block_indicators = s.starts_with("---") || s.starts_with("...");
    let (mut leading_space, mut leading_break, mut trailing_space, mut trailing_break) =
        (false, false, false, false);
    let (mut break_space, mut space_break, mut special, mut line_breaks) =
        (false, false, false, false);
    let (mut prev_space, mut prev_break) = (false, false);
    let mut preceded_by_ws = true;
    let last = chars.len() - 1;
    for (i, &c) in chars.iter().enumerate() {
        let followed_by_ws = chars.get(i + 1).is_none_or(|n| *n == ' ' || *n == '\t');
        if i == 0 {
            match c {
                '#' | ',' | '[' | ']' | '{' | '}' | '&' | '*' | '!' | '|' | '>' | '\'' | '"'
                | '%' | '@' | '`' => block_indicators = true,
                '?' | ':' | '-' if followed_by_ws => block_indicators = true,
                _ => {}
            }
        } else {
            match c {
                ':' if followed_by_ws => block_indicators = true,
                '#' if preceded_by_ws => block_indicators = true,
                _ => {}
            }
        }
        if !yaml_printable(c) {
            special = true;
        }
        if c == ' ' {
            leading_space |= i == 0;
            trailing_space |= i == last;
            break_space |= prev_break;
            prev_space = true;
            prev_break = false;
        } else if is_break(c) {
            line_breaks = true;
            leading_break |= i == 0;
            trailing_break |= i == last;
            space_break |= prev_space;
            prev_space = false;
            prev_break = true;
        } else {
            prev_space = false;
            prev_break = false;
        }
        preceded_by_ws = matches!(c, ' ' | '\t') || is_break(c);
    }
    let mut a = Analysis {
        plain_allowed: true,
        single_allowed: true,
        block_allowed: true,
    };
    if leading_space || leading_break || trailing_space || trailing_break {
        a.plain_allowed = false;
    }
    if trailing_space {
        a.block_allowed = false;
    }
    if break_space {
        a.plain_allowed = false;
        a.single_allowed = false;
    }
    if space_break || special {
        a.plain_allowed = false;
        a.single_allowed = false;
        a.block_allowed = false;
    }
    if line_breaks || block_indicators {
        a.plain_allowed = false;
    }
    a
}
