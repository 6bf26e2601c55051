//! `tresor policy fmt FILE`: checks a policy with the parser the server uses
//! (`tresor-policy`), then rewrites the file laid out canonically.
//!
//! The layout is a line pass that keeps every comment and token: two spaces of
//! indentation per open `{`/`[`, `key = value` with one space around `=`, the `=` of
//! consecutive one-line attributes aligned, trailing spaces dropped, runs of blank lines
//! collapsed (none just inside a block), one blank line between top-level blocks and one
//! newline at the end. Unlike the Vault CLI's HCL printer it does not split one-line
//! blocks or add trailing commas to lists. A JSON policy is checked and re-indented.

use super::context::{local, Run};
use super::data_args::io_text;
use std::process::ExitCode;

pub fn run(file: &str) -> Run {
    let path = expand_home(file.trim());
    let text = std::fs::read_to_string(&path)
        .map_err(|e| local(&format!("Error reading source file: {}", io_text(&e))))?;
    tresor_policy::Policy::parse("fmt", &text).map_err(|e| local(&e.to_string()))?;
    let out = if text.trim_start().starts_with('{') {
        let v: serde_json::Value = serde_json::from_str(&text)
            .map_err(|e| local(&format!("Error printing result: {e}")))?;
        format!("{}\n", crate::output::json(&v))
    } else {
        layout(&text)
    };
    std::fs::write(&path, out)
        .map_err(|e| local(&format!("Error writing result: {}", io_text(&e))))?;
    println!("Success! Formatted policy: {path}");
    Ok(ExitCode::SUCCESS)
}

fn expand_home(p: &str) -> String {
    match (p.strip_prefix("~/"), std::env::var("HOME")) {
        (Some(rest), Ok(home)) => format!("{home}/{rest}"),
        _ => p.to_owned(),
    }
}

/// One output line: its nesting depth and text, and for `key = value` lines the key
/// and the rest (aligned with their neighbours).
struct Line {
    depth: usize,
    text: String,
    assignment: Option<(String, String)>,
    closes_top: bool,
}

/// What a scan of one line found outside strings and comments.
#[derive(Default)]
struct Scan {
    net: i64,
    heredoc: Option<String>,
    opens_comment: bool,
    eq: Option<usize>,
}

fn layout(text: &str) -> String {
    let mut lines: Vec<Option<Line>> = Vec::new(); // None: a blank line
    let mut depth: i64 = 0;
    let mut verbatim_until: Option<String> = None;
    for raw in text.lines() {
        if let Some(end) = &verbatim_until {
            let done = if end == "*/" {
                raw.contains("*/")
            } else {
                raw.trim() == end
            };
            lines.push(Some(plain(usize::MAX, raw.trim_end())));
            if done {
                verbatim_until = None;
            }
            continue;
        }
        let line = raw.trim();
        if line.is_empty() {
            lines.push(None);
            continue;
        }
        let scan = scan(line);
        let leading = line.chars().take_while(|c| matches!(c, '}' | ']')).count();
        let at = usize::try_from((depth - leading as i64).max(0)).unwrap_or(0);
        depth = (depth + scan.net).max(0);
        let mut l = match line.strip_suffix('{') {
            Some(head) if scan.eq.is_none() => plain(at, &format!("{} {{", head.trim_end())),
            _ => plain(at, line),
        };
        l.closes_top = depth == 0 && (scan.net < 0 || (scan.net == 0 && line.ends_with('}')));
        if let Some(i) = scan.eq.filter(|_| scan.net == 0) {
            let (k, v) = (line.get(..i).unwrap_or(""), line.get(i + 1..).unwrap_or(""));
            l.assignment = Some((k.trim().to_owned(), v.trim().to_owned()));
        } else if let Some(i) = scan.eq {
            let (k, v) = (line.get(..i).unwrap_or(""), line.get(i + 1..).unwrap_or(""));
            l.text = format!("{} = {}", k.trim(), v.trim());
        }
        lines.push(Some(l));
        if scan.opens_comment {
            verbatim_until = Some("*/".to_owned());
        } else if scan.heredoc.is_some() {
            verbatim_until = scan.heredoc;
        }
    }
    render(tidy_blanks(lines))
}

fn plain(depth: usize, text: &str) -> Line {
    Line {
        depth,
        text: text.to_owned(),
        assignment: None,
        closes_top: false,
    }
}

/// Blank lines collapsed, none at the edges or just inside a block, one after each
/// top-level block.
fn tidy_blanks(lines: Vec<Option<Line>>) -> Vec<Option<Line>> {
    let mut out: Vec<Option<Line>> = Vec::new();
    let mut pending_blank = false;
    for line in lines {
        let Some(l) = line else {
            pending_blank = true;
            continue;
        };
        let prev = out.last().and_then(Option::as_ref);
        let after_open = prev.is_some_and(|p| p.text.ends_with(['{', '[']));
        let closing = l.text.starts_with(['}', ']']);
        let after_block = prev.is_some_and(|p| p.closes_top);
        if prev.is_some() && !after_open && !closing && (pending_blank || after_block) {
            out.push(None);
        }
        pending_blank = false;
        out.push(Some(l));
    }
    out
}

fn render(lines: Vec<Option<Line>>) -> String {
    let mut out = String::new();
    // a run of one-line attributes at one depth shares the column of its `=`
    let mut run: Vec<&Line> = Vec::new();
    for line in &lines {
        let joins =
            |l: &Line| l.assignment.is_some() && run.first().is_none_or(|f| f.depth == l.depth);
        match line {
            Some(l) if joins(l) => run.push(l),
            other => {
                flush(&mut run, &mut out);
                match other {
                    Some(l) if l.assignment.is_some() => run.push(l),
                    Some(l) => emit(l, 0, &mut out),
                    None => out.push('\n'),
                }
            }
        }
    }
    flush(&mut run, &mut out);
    out
}

fn flush(run: &mut Vec<&Line>, out: &mut String) {
    let width = run
        .iter()
        .filter_map(|l| l.assignment.as_ref().map(|(k, _)| k.chars().count()))
        .max()
        .unwrap_or(0);
    for l in run.drain(..) {
        emit(l, width, out);
    }
}

fn emit(l: &Line, width: usize, out: &mut String) {
    if l.depth == usize::MAX {
        out.push_str(&format!("{}\n", l.text));
        return;
    }
    let text = match &l.assignment {
        Some((k, v)) => format!("{k:<width$} = {v}"),
        None => l.text.clone(),
    };
    out.push_str(&format!("{}{}\n", "  ".repeat(l.depth), text.trim_end()));
}

/// Brackets, the first top-level `=`, and a heredoc or block comment that starts here,
/// all outside strings and line comments.
fn scan(line: &str) -> Scan {
    let mut s = Scan::default();
    let mut in_string = false;
    let mut escaped = false;
    let mut depth_here: i64 = 0;
    let bytes = line.as_bytes();
    for (i, c) in line.char_indices() {
        if in_string {
            match (escaped, c) {
                (true, _) => escaped = false,
                (false, '\\') => escaped = true,
                (false, '"') => in_string = false,
                _ => {}
            }
            continue;
        }
        let next = bytes.get(i + 1).copied();
        match c {
            '"' => in_string = true,
            '#' => break,
            '/' if next == Some(b'/') => break,
            '/' if next == Some(b'*') => {
                s.opens_comment = !line.get(i + 2..).unwrap_or("").contains("*/");
                break;
            }
            '{' | '[' => depth_here += 1,
            '}' | ']' => depth_here -= 1,
            '=' if depth_here == 0 && s.eq.is_none() && next != Some(b'=') => s.eq = Some(i),
            '<' if next == Some(b'<') => {
                let tag = line.get(i + 2..).unwrap_or("").trim_start_matches('-');
                let tag: String = tag
                    .chars()
                    .take_while(|c| c.is_alphanumeric() || *c == '_')
                    .collect();
                s.heredoc = (!tag.is_empty()).then_some(tag);
                break;
            }
            _ => {}
        }
    }
    s.net = depth_here;
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lays_out_a_messy_policy() {
        let messy = "# top comment\npath \"secret/*\"   {\ncapabilities=[\"read\",\"list\"]\n    \
                     min_wrapping_ttl = \"1s\"   # trailing\n   allowed_parameters = {\n  \"foo\" = []\n\
                     \x20     \"x\"=[\"a\", \"b\"]\n  }\n}\n\n\n\npath \"sys/*\" { capabilities = [\"deny\"] }\n\
                     /* block\n   comment */\npath \"a\" {\n  capabilities = [\n    \"read\",\n  \"update\"\n  ]\n}\n";
        let want = "# top comment\npath \"secret/*\" {\n  capabilities     = [\"read\",\"list\"]\n  \
                    min_wrapping_ttl = \"1s\"   # trailing\n  allowed_parameters = {\n    \"foo\" = []\n    \
                    \"x\"   = [\"a\", \"b\"]\n  }\n}\n\npath \"sys/*\" { capabilities = [\"deny\"] }\n\n\
                    /* block\n   comment */\npath \"a\" {\n  capabilities = [\n    \"read\",\n    \"update\"\n  ]\n}\n";
        assert_eq!(layout(messy), want);
        assert_eq!(layout(want), want, "formatting is idempotent");
    }

    #[test]
    fn strings_and_heredocs_are_left_alone() {
        let text =
            "path \"a{b\" {\n  capabilities = [\"read\"] # } [\n}\nx = <<EOT\n  keep {\nEOT\n";
        assert_eq!(
            layout(text),
            "path \"a{b\" {\n  capabilities = [\"read\"] # } [\n}\n\nx = <<EOT\n  keep {\nEOT\n"
        );
    }
}
