//! Vault's files are HCL1, which allows what HCL2 (and so hcl-rs) does not: several
//! attributes on one line (`listener "tcp" { address = "x" tls_disable = true }`) and
//! commas between them. This rewrites those forms into HCL2 line breaks, leaving strings
//! and comments untouched; everything else goes to hcl-rs unchanged.

pub fn to_hcl2(src: &str) -> String {
    let chars: Vec<char> = src.chars().collect();
    let mut out = String::with_capacity(src.len() + 32);
    let mut i = 0;
    let mut brackets = 0usize;
    // The last significant character on the current line, outside strings and comments.
    let mut last: Option<char> = None;
    while let Some(&c) = chars.get(i) {
        match c {
            '"' => {
                let end = string_end(&chars, i);
                out.extend(chars.get(i..end).unwrap_or_default());
                last = Some('"');
                i = end;
                continue;
            }
            '#' => {
                i = copy_until_newline(&chars, i, &mut out);
                continue;
            }
            '/' if chars.get(i + 1) == Some(&'/') => {
                i = copy_until_newline(&chars, i, &mut out);
                continue;
            }
            '/' if chars.get(i + 1) == Some(&'*') => {
                let end = find_seq(&chars, i + 2, &['*', '/']).map_or(chars.len(), |e| e + 2);
                out.extend(chars.get(i..end).unwrap_or_default());
                i = end;
                continue;
            }
            '\n' => last = None,
            '[' | '(' => brackets += 1,
            ']' | ')' => brackets = brackets.saturating_sub(1),
            '{' if brackets == 0 => {
                out.push_str("{\n");
                last = None;
                i += 1;
                continue;
            }
            '}' if brackets == 0 => {
                out.push_str("\n}");
                last = Some('}');
                i += 1;
                continue;
            }
            ',' if brackets == 0 => {
                out.push('\n');
                last = None;
                i += 1;
                continue;
            }
            w if w.is_whitespace()
                && brackets == 0
                && ends_value(last)
                && attribute_follows(&chars, i) =>
            {
                out.push('\n');
                last = None;
                i += 1;
                continue;
            }
            _ => {}
        }
        if !c.is_whitespace() {
            last = Some(c);
        }
        out.push(c);
        i += 1;
    }
    out
}

fn ends_value(last: Option<char>) -> bool {
    matches!(last, Some(c) if c == '"' || c == ']' || c == '}' || c.is_ascii_alphanumeric())
}

/// After the whitespace at `i`: an identifier, then `=` (not `==`).
fn attribute_follows(chars: &[char], mut i: usize) -> bool {
    while chars.get(i).is_some_and(|c| *c == ' ' || *c == '\t') {
        i += 1;
    }
    let start = i;
    while chars
        .get(i)
        .is_some_and(|c| c.is_ascii_alphanumeric() || *c == '_' || *c == '-')
    {
        i += 1;
    }
    if i == start
        || !chars
            .get(start)
            .is_some_and(|c| c.is_ascii_alphabetic() || *c == '_')
    {
        return false;
    }
    while chars.get(i).is_some_and(|c| *c == ' ' || *c == '\t') {
        i += 1;
    }
    chars.get(i) == Some(&'=') && chars.get(i + 1) != Some(&'=')
}

/// The index just past the string literal that starts at `start`.
fn string_end(chars: &[char], start: usize) -> usize {
    let mut i = start + 1;
    while let Some(&c) = chars.get(i) {
        match c {
            '\\' => i += 2,
            '"' => return i + 1,
            _ => i += 1,
        }
    }
    chars.len()
}

fn copy_until_newline(chars: &[char], start: usize, out: &mut String) -> usize {
    let end = chars
        .iter()
        .skip(start)
        .position(|c| *c == '\n')
        .map_or(chars.len(), |p| start + p);
    out.extend(chars.get(start..end).unwrap_or_default());
    end
}

fn find_seq(chars: &[char], from: usize, seq: &[char]) -> Option<usize> {
    (from..chars.len()).find(|&i| chars.get(i..i + seq.len()) == Some(seq))
}

#[cfg(test)]
mod tests {
    use super::to_hcl2;

    fn parses(src: &str) -> hcl::Body {
        hcl::parse(&to_hcl2(src)).unwrap_or_else(|e| panic!("{e}\n---\n{}", to_hcl2(src)))
    }

    #[test]
    fn one_line_blocks_with_several_attributes() {
        let body = parses(
            "listener \"tcp\" { address = \"127.0.0.1:8200\" tls_disable = true }\nui = true\n",
        );
        let block = body.blocks().next().unwrap();
        assert_eq!(block.body().attributes().count(), 2);
        assert_eq!(body.attributes().count(), 1);
    }

    #[test]
    fn commas_strings_and_comments_survive() {
        let src = "# a comment with = and { }\nstorage \"file\" { path = \"/a b/{c}=d\", node_id = \"x\" } // trailing\n/* block\ncomment */\nkey = [\"a\", \"b\"]\n";
        let body = parses(src);
        let block = body.blocks().next().unwrap();
        let path = block
            .body()
            .attributes()
            .find(|a| a.key() == "path")
            .unwrap();
        assert_eq!(path.expr(), &hcl::Expression::String("/a b/{c}=d".into()));
        assert_eq!(body.attributes().count(), 1);
    }

    #[test]
    fn hcl2_input_is_unchanged_in_meaning() {
        let src =
            "storage \"inmem\" {}\nlistener \"tcp\" {\n  address = \"x\"\n  tls_disable = 1\n}\n";
        assert_eq!(parses(src), hcl::parse(src).unwrap());
    }
}
