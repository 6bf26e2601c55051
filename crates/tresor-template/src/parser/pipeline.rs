//! Pipelines (`$x := a | b c`), commands and their operands.

use super::{PResult, Parser};
use crate::ast::{Command, Pipeline, Span, Term, TermKind};
use crate::funcs;
use crate::lexer::Tok;
use crate::number::{parse_number, NumberLit};

impl Parser {
    /// A pipeline ending at `end` (a right delimiter or a right paren, consumed).
    pub(crate) fn pipeline(&mut self, context: &str, end: &Tok) -> PResult<Pipeline> {
        let start = self.peek_non_space().pos;
        let (decl, is_assign) = self.declarations(context)?;
        let mut cmds = Vec::new();
        loop {
            let t = self.next_non_space();
            if &t.tok == end {
                if cmds.is_empty() {
                    return self.error(t.pos, format!("missing value for {context}"));
                }
                self.check_stages(&cmds)?;
                return Ok(Pipeline {
                    decl,
                    is_assign,
                    cmds,
                    span: Span { start, end: t.pos },
                });
            }
            match t.tok {
                Tok::Bool(_)
                | Tok::Char(_)
                | Tok::Dot
                | Tok::Field(_)
                | Tok::Identifier(_)
                | Tok::Number(_)
                | Tok::Nil
                | Tok::Str(_)
                | Tok::Variable(_)
                | Tok::LeftParen => {
                    self.backup();
                    cmds.push(self.command()?);
                }
                _ => return self.unexpected(&t, context),
            }
        }
    }

    /// `$x :=`, `$x =` and, in a range, `$i, $v :=`.
    fn declarations(&mut self, context: &str) -> PResult<(Vec<String>, bool)> {
        let mut decl = Vec::new();
        loop {
            let save = self.i;
            let Tok::Variable(name) = self.peek_non_space().tok.clone() else {
                return Ok((decl, false));
            };
            self.next();
            let next = self.peek_non_space().clone();
            match next.tok {
                Tok::Declare | Tok::Assign => {
                    self.next();
                    // Assigning an undeclared variable fails when executed, as in Go.
                    self.declare(&name);
                    decl.push(name);
                    return Ok((decl, next.tok == Tok::Assign));
                }
                Tok::Comma => {
                    self.next();
                    self.declare(&name);
                    decl.push(name);
                    if context == "range" && decl.len() < 2 {
                        match self.peek_non_space().tok {
                            Tok::Variable(_) | Tok::RightDelim | Tok::RightParen => continue,
                            _ => {
                                return self.error(next.pos, "range can only initialize variables")
                            }
                        }
                    }
                    return self.error(next.pos, format!("too many declarations in {context}"));
                }
                _ => {
                    self.i = save;
                    return Ok((decl, false));
                }
            }
        }
    }

    /// Go rejects a literal, `.` or `nil` as anything but the first stage.
    fn check_stages(&self, cmds: &[Command]) -> PResult<()> {
        for (i, cmd) in cmds.iter().enumerate().skip(1) {
            if let Some(first) = cmd.args.first() {
                if matches!(
                    first.kind,
                    TermKind::Bool(_)
                        | TermKind::Dot
                        | TermKind::Nil
                        | TermKind::Number(_)
                        | TermKind::Str(_)
                ) {
                    return self.error(
                        first.span.start,
                        format!("non executable command in pipeline stage {}", i + 1),
                    );
                }
            }
        }
        Ok(())
    }

    fn command(&mut self) -> PResult<Command> {
        let start = self.peek_non_space().pos;
        let mut args = Vec::new();
        loop {
            self.skip_space();
            if let Some(term) = self.operand()? {
                args.push(term);
            }
            let t = self.next();
            match t.tok {
                Tok::Space => continue,
                Tok::RightDelim | Tok::RightParen => self.backup(),
                Tok::Pipe => {}
                _ => return self.unexpected(&t, "operand"),
            }
            break;
        }
        let Some(last) = args.last() else {
            return self.error(start, "empty command");
        };
        let end = last.span.end;
        Ok(Command {
            args,
            span: Span { start, end },
        })
    }

    /// A term, possibly followed by `.Field` accessors written right after it.
    fn operand(&mut self) -> PResult<Option<Term>> {
        let Some(term) = self.term()? else {
            return Ok(None);
        };
        let mut fields = Vec::new();
        let mut end = term.span.end;
        while let Tok::Field(f) = &self.peek().tok {
            fields.push(f.clone());
            end = self.peek().end;
            self.next();
        }
        if fields.is_empty() {
            return Ok(Some(term));
        }
        let span = Span {
            start: term.span.start,
            end,
        };
        let kind = match term.kind {
            TermKind::Field(mut head) => {
                head.extend(fields);
                TermKind::Field(head)
            }
            TermKind::Variable(name, mut head) => {
                head.extend(fields);
                TermKind::Variable(name, head)
            }
            TermKind::Bool(_)
            | TermKind::Str(_)
            | TermKind::Number(_)
            | TermKind::Nil
            | TermKind::Dot => {
                let text = match &term.kind {
                    TermKind::Number(n) => n.text.clone(),
                    TermKind::Bool(b) => b.to_string(),
                    TermKind::Nil => "nil".into(),
                    TermKind::Dot => ".".into(),
                    _ => "string".into(),
                };
                return self.error(term.span.start, format!("unexpected . after term {text:?}"));
            }
            _ => TermKind::Chain(Box::new(term), fields),
        };
        Ok(Some(Term { kind, span }))
    }

    fn term(&mut self) -> PResult<Option<Term>> {
        let t = self.next_non_space();
        let span = Span {
            start: t.pos,
            end: t.end,
        };
        let kind = match t.tok {
            Tok::Identifier(name) => match funcs::lookup(&name) {
                Some(def) => TermKind::Func(def),
                None => return self.error(t.pos, format!("function {name:?} not defined")),
            },
            Tok::Dot => TermKind::Dot,
            Tok::Nil => TermKind::Nil,
            Tok::Variable(name) => {
                if !self.is_declared(&name) {
                    return self.error(t.pos, format!("undefined variable {name:?}"));
                }
                TermKind::Variable(name, Vec::new())
            }
            Tok::Field(name) => TermKind::Field(vec![name]),
            Tok::Bool(b) => TermKind::Bool(b),
            Tok::Char(c) => TermKind::Number(NumberLit::from_char(c)),
            Tok::Number(text) => match parse_number(&text) {
                Ok(n) => TermKind::Number(n),
                Err(message) => return self.error(t.pos, message),
            },
            Tok::Str(s) => TermKind::Str(s),
            Tok::LeftParen => {
                self.enter(t.pos)?;
                let pipe = self.pipeline("parenthesized pipeline", &Tok::RightParen)?;
                self.leave();
                let end = pipe.span.end + 1;
                return Ok(Some(Term {
                    kind: TermKind::Pipe(Box::new(pipe)),
                    span: Span { start: t.pos, end },
                }));
            }
            _ => {
                self.backup();
                return Ok(None);
            }
        };
        Ok(Some(Term { kind, span }))
    }
}
