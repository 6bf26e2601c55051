//! Parses tokens into a tree: text, actions and the control structures (`if`, `with`,
//! `range`, `define`, `template`, `block`, `break`, `continue`). Pipelines and operands
//! are in [`pipeline`].

mod pipeline;

use std::collections::HashMap;

use crate::ast::{Control, List, Node, Span};
use crate::lexer::{self, Keyword, Tok, Token};

/// How deeply control structures and parentheses may nest.
pub(crate) const MAX_NESTING: usize = 100;

/// A parsed template: the main body and the `define`d (and `block`) templates.
#[derive(Clone, Debug, Default)]
pub(crate) struct Parsed {
    pub root: List,
    pub defines: HashMap<String, List>,
}

/// A parse error: byte offset and message.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct SyntaxError {
    pub pos: usize,
    pub message: String,
}

pub(crate) type PResult<T> = Result<T, SyntaxError>;

pub(crate) fn parse(src: &str, left: &str, right: &str) -> PResult<Parsed> {
    let tokens = lexer::lex(src, left, right).map_err(|e| SyntaxError {
        pos: e.pos,
        message: e.message,
    })?;
    let mut p = Parser {
        tokens,
        i: 0,
        vars: vec!["$".to_string()],
        range_depth: 0,
        depth: 0,
        defines: HashMap::new(),
    };
    let root = p.top_level()?;
    Ok(Parsed {
        root,
        defines: p.defines,
    })
}

/// What ended a list of items.
enum Terminator {
    End,
    Else(usize),
}

enum Item {
    Node(Node),
    End(usize),
    Else(usize),
}

pub(crate) struct Parser {
    tokens: Vec<Token>,
    i: usize,
    /// Variables in scope, innermost last.
    vars: Vec<String>,
    range_depth: usize,
    depth: usize,
    defines: HashMap<String, List>,
}

fn describe(tok: &Tok) -> String {
    match tok {
        Tok::Text(_) => "text".into(),
        Tok::LeftDelim => "left delimiter".into(),
        Tok::RightDelim => "right delimiter".into(),
        Tok::Space => "space".into(),
        Tok::Identifier(s) | Tok::Variable(s) | Tok::Number(s) => format!("{s:?}"),
        Tok::Field(s) => format!("\".{s}\""),
        Tok::Keyword(k) => format!("<{}>", format!("{k:?}").to_lowercase()),
        Tok::Bool(b) => format!("{b:?}"),
        Tok::Nil => "nil".into(),
        Tok::Dot => "\".\"".into(),
        Tok::Str(_) => "string".into(),
        Tok::Char(_) => "character constant".into(),
        Tok::Pipe => "\"|\"".into(),
        Tok::LeftParen => "\"(\"".into(),
        Tok::RightParen => "\")\"".into(),
        Tok::Declare => "\":=\"".into(),
        Tok::Assign => "\"=\"".into(),
        Tok::Comma => "\",\"".into(),
        Tok::Eof => "EOF".into(),
    }
}

impl Parser {
    // ---- token access -------------------------------------------------------------

    pub(crate) fn peek(&self) -> &Token {
        static EOF: Token = Token {
            tok: Tok::Eof,
            pos: 0,
            end: 0,
        };
        self.tokens
            .get(self.i)
            .or(self.tokens.last())
            .unwrap_or(&EOF)
    }

    pub(crate) fn next(&mut self) -> Token {
        let t = self.peek().clone();
        if self.i < self.tokens.len() {
            self.i += 1;
        }
        t
    }

    pub(crate) fn backup(&mut self) {
        self.i = self.i.saturating_sub(1);
    }

    pub(crate) fn skip_space(&mut self) {
        while self.peek().tok == Tok::Space {
            self.i += 1;
        }
    }

    pub(crate) fn peek_non_space(&mut self) -> &Token {
        self.skip_space();
        self.peek()
    }

    pub(crate) fn next_non_space(&mut self) -> Token {
        self.skip_space();
        self.next()
    }

    pub(crate) fn error<T>(&self, pos: usize, message: impl Into<String>) -> PResult<T> {
        Err(SyntaxError {
            pos,
            message: message.into(),
        })
    }

    pub(crate) fn unexpected<T>(&self, tok: &Token, context: &str) -> PResult<T> {
        self.error(
            tok.pos,
            format!("unexpected {} in {context}", describe(&tok.tok)),
        )
    }

    fn expect_right_delim(&mut self, context: &str) -> PResult<Token> {
        let t = self.next_non_space();
        if t.tok == Tok::RightDelim {
            Ok(t)
        } else {
            self.unexpected(&t, context)
        }
    }

    pub(crate) fn enter(&mut self, pos: usize) -> PResult<()> {
        self.depth += 1;
        if self.depth > MAX_NESTING {
            return self.error(pos, format!("nesting deeper than {MAX_NESTING} levels"));
        }
        Ok(())
    }

    pub(crate) fn leave(&mut self) {
        self.depth = self.depth.saturating_sub(1);
    }

    // ---- variables ------------------------------------------------------------------

    pub(crate) fn declare(&mut self, name: &str) {
        self.vars.push(name.to_string());
    }

    pub(crate) fn is_declared(&self, name: &str) -> bool {
        self.vars.iter().any(|v| v == name)
    }

    pub(crate) fn in_range(&self) -> bool {
        self.range_depth > 0
    }

    // ---- structure ----------------------------------------------------------------

    fn top_level(&mut self) -> PResult<List> {
        let mut list = Vec::new();
        loop {
            if self.peek().tok == Tok::Eof {
                return Ok(list);
            }
            if self.peek().tok == Tok::LeftDelim {
                let save = self.i;
                self.next();
                if self.peek_non_space().tok == Tok::Keyword(Keyword::Define) {
                    self.next();
                    self.definition()?;
                    continue;
                }
                self.i = save;
            }
            match self.text_or_action()? {
                Item::Node(n) => list.push(n),
                Item::End(pos) => return self.error(pos, "unexpected {{end}}"),
                Item::Else(pos) => return self.error(pos, "unexpected {{else}}"),
            }
        }
    }

    /// `{{define "name"}} ... {{end}}`: a template of its own, with fresh variables.
    fn definition(&mut self) -> PResult<()> {
        let name = self.template_name("define clause")?;
        self.expect_right_delim("define clause")?;
        let outer_vars = std::mem::replace(&mut self.vars, vec!["$".to_string()]);
        let (body, term) = self.item_list()?;
        self.vars = outer_vars;
        if let Terminator::Else(pos) = term {
            return self.error(pos, "unexpected {{else}} in define clause");
        }
        self.add_definition(name, body);
        Ok(())
    }

    /// Like Go, an empty (or whitespace-only) definition does not replace an earlier one.
    fn add_definition(&mut self, name: String, body: List) {
        let blank = body.iter().all(|n| match n {
            Node::Text(t) => t.trim().is_empty(),
            _ => false,
        });
        if blank && self.defines.contains_key(&name) {
            return;
        }
        self.defines.insert(name, body);
    }

    fn template_name(&mut self, context: &str) -> PResult<String> {
        let t = self.next_non_space();
        match t.tok {
            Tok::Str(s) => Ok(s),
            _ => self.unexpected(&t, context),
        }
    }

    /// Items up to (and including) the `{{end}}` or `{{else}}` that closes them.
    fn item_list(&mut self) -> PResult<(List, Terminator)> {
        let mut list = Vec::new();
        loop {
            match self.text_or_action()? {
                Item::Node(n) => list.push(n),
                Item::End(_) => return Ok((list, Terminator::End)),
                Item::Else(pos) => return Ok((list, Terminator::Else(pos))),
            }
        }
    }

    fn text_or_action(&mut self) -> PResult<Item> {
        let t = self.next_non_space();
        match t.tok {
            Tok::Text(s) => Ok(Item::Node(Node::Text(s))),
            Tok::LeftDelim => self.action(),
            Tok::Eof => self.error(t.pos, "unexpected EOF"),
            _ => self.unexpected(&t, "input"),
        }
    }

    /// After a left delimiter: a keyword's structure, or a pipeline to print.
    fn action(&mut self) -> PResult<Item> {
        let t = self.peek_non_space().clone();
        let Tok::Keyword(k) = t.tok else {
            let pipe = self.pipeline("command", &Tok::RightDelim)?;
            return Ok(Item::Node(Node::Action(pipe)));
        };
        self.next();
        let node = match k {
            Keyword::End => {
                self.expect_right_delim("end")?;
                return Ok(Item::End(t.pos));
            }
            Keyword::Else => return Ok(Item::Else(t.pos)),
            Keyword::If => Node::If(self.control("if", t.pos)?),
            Keyword::With => Node::With(self.control("with", t.pos)?),
            Keyword::Range => Node::Range(self.control("range", t.pos)?),
            Keyword::Break | Keyword::Continue => self.loop_control(k, &t)?,
            Keyword::Template => self.template_call(t.pos)?,
            Keyword::Block => self.block(t.pos)?,
            Keyword::Define => return self.unexpected(&t, "command"),
        };
        Ok(Item::Node(node))
    }

    fn loop_control(&mut self, k: Keyword, t: &Token) -> PResult<Node> {
        let word = if k == Keyword::Break {
            "break"
        } else {
            "continue"
        };
        if !self.in_range() {
            return self.error(t.pos, format!("{{{{{word}}}}} outside {{{{range}}}}"));
        }
        let close = self.next_non_space();
        if close.tok != Tok::RightDelim {
            return self.unexpected(&close, &format!("{{{{{word}}}}}"));
        }
        Ok(if k == Keyword::Break {
            Node::Break
        } else {
            Node::Continue
        })
    }

    /// `if`, `with` and `range`: a pipeline, a body, an optional else (or else-if /
    /// else-with chain) and one `{{end}}`. Variables declared inside end with it.
    fn control(&mut self, context: &'static str, pos: usize) -> PResult<Control> {
        self.enter(pos)?;
        let mark = self.vars.len();
        let pipe = self.pipeline(context, &Tok::RightDelim)?;
        let is_range = context == "range";
        if is_range {
            self.range_depth += 1;
        }
        let body = self.item_list();
        if is_range {
            self.range_depth -= 1;
        }
        let (list, term) = body?;
        let else_list = match term {
            Terminator::End => None,
            Terminator::Else(_) => Some(self.else_branch(context)?),
        };
        self.vars.truncate(mark);
        self.leave();
        let span = Span {
            start: pos,
            end: pipe.span.end,
        };
        Ok(Control {
            pipe,
            list,
            else_list,
            span,
        })
    }

    fn else_branch(&mut self, context: &'static str) -> PResult<List> {
        let next = self.peek_non_space().clone();
        let chained = match (context, &next.tok) {
            ("if", Tok::Keyword(Keyword::If)) => Some(Node::If as fn(Control) -> Node),
            ("with", Tok::Keyword(Keyword::With)) => Some(Node::With as fn(Control) -> Node),
            _ => None,
        };
        if let Some(wrap) = chained {
            self.next();
            // The chained structure consumes the one {{end}}.
            return Ok(vec![wrap(self.control(context, next.pos)?)]);
        }
        self.expect_right_delim("else")?;
        let (list, term) = self.item_list()?;
        match term {
            Terminator::End => Ok(list),
            Terminator::Else(pos) => self.error(pos, "expected end; found {{else}}"),
        }
    }

    fn template_call(&mut self, pos: usize) -> PResult<Node> {
        let name = self.template_name("template clause")?;
        let close = self.peek_non_space().pos;
        let pipe = if self.peek().tok == Tok::RightDelim {
            self.next();
            None
        } else {
            Some(self.pipeline("template clause", &Tok::RightDelim)?)
        };
        let end = pipe.as_ref().map_or(close, |p| p.span.end);
        Ok(Node::Template {
            name,
            pipe,
            span: Span { start: pos, end },
        })
    }

    /// `{{block "name" pipeline}} body {{end}}`: defines the template and calls it.
    fn block(&mut self, pos: usize) -> PResult<Node> {
        self.enter(pos)?;
        let name = self.template_name("block clause")?;
        let pipe = self.pipeline("block clause", &Tok::RightDelim)?;
        let outer_vars = std::mem::replace(&mut self.vars, vec!["$".to_string()]);
        let outer_range = std::mem::take(&mut self.range_depth);
        let body = self.item_list();
        self.vars = outer_vars;
        self.range_depth = outer_range;
        let (list, term) = body?;
        if let Terminator::Else(p) = term {
            return self.error(p, "unexpected {{else}} in block clause");
        }
        self.add_definition(name.clone(), list);
        self.leave();
        let span = Span {
            start: pos,
            end: pipe.span.end,
        };
        Ok(Node::Template {
            name,
            pipe: Some(pipe),
            span,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn err(src: &str) -> String {
        match parse(src, "{{", "}}") {
            Ok(_) => "ok".into(),
            Err(e) => e.message,
        }
    }

    #[test]
    fn structures_parse() {
        for src in [
            "a{{if .x}}b{{else if .y}}c{{else}}d{{end}}",
            "{{with $x := .a}}{{$x}}{{else with .b}}{{.}}{{end}}",
            "{{range $i, $v := .}}{{if $i}}{{break}}{{end}}{{continue}}{{else}}none{{end}}",
            "{{define \"t\"}}T{{.}}{{end}}{{template \"t\" .}}{{template \"t\"}}",
            "{{block \"b\" .}}B{{end}}",
            "{{$x := 1}}{{$x = 2}}{{$x}}",
            "{{ (print 1).Foo }}{{ $.a }}{{ .a | printf \"%s\" }}",
        ] {
            assert_eq!(err(src), "ok", "{src}");
        }
    }

    #[test]
    fn structure_errors() {
        for (src, msg) in [
            ("{{end}}", "unexpected {{end}}"),
            ("{{else}}", "unexpected {{else}}"),
            ("{{if .x}}", "unexpected EOF"),
            ("{{break}}", "{{break}} outside {{range}}"),
            (
                "{{range .}}{{else}}{{continue}}{{end}}",
                "{{continue}} outside {{range}}",
            ),
            (
                "{{if .}}{{else}}{{else}}{{end}}",
                "expected end; found {{else}}",
            ),
            ("{{$x}}", "undefined variable \"$x\""),
            ("{{if $x := 1}}{{end}}{{$x}}", "undefined variable \"$x\""),
            ("{{nosuch 1}}", "function \"nosuch\" not defined"),
            ("{{}}", "missing value for command"),
            ("{{if}}{{end}}", "missing value for if"),
            ("{{.x | 3}}", "non executable command in pipeline stage 2"),
            ("{{\"x\".Foo}}", "unexpected . after term \"string\""),
            ("{{3.Foo}}", "bad number syntax: \"3.F\""),
            ("{{template .x}}", "unexpected \".x\" in template clause"),
            (
                "{{ if 1 }}{{ define \"x\" }}{{ end }}{{ end }}",
                "unexpected <define> in command",
            ),
        ] {
            assert_eq!(err(src), msg, "{src}");
        }
    }

    #[test]
    fn nesting_is_bounded() {
        let deep = "{{if 1}}".repeat(MAX_NESTING + 1);
        assert!(err(&deep).starts_with("nesting deeper than"));
        let parens = format!("{{{{{}1{}}}}}", "(".repeat(500), ")".repeat(500));
        assert!(err(&parens).starts_with("nesting deeper than"));
    }

    #[test]
    fn defines_are_collected() {
        let p = parse(
            "{{define \"a\"}}A{{end}}{{define \"a\"}} {{end}}x",
            "{{",
            "}}",
        );
        let p = p.unwrap_or_default();
        assert!(p.defines.contains_key("a"));
        assert_eq!(p.root.len(), 1);
    }
}
