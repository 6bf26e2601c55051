//! Executes a parsed template: walks text and control structures, keeps the variable
//! stack, and enforces the limits. Pipelines, fields and calls are in [`eval`].

mod eval;

use std::collections::HashMap;

use crate::ast::{Control, List, Node, Pipeline, Span};
use crate::deps::Deps;
use crate::error::RenderErrorKind;
use crate::format::print::action_text;
use crate::template::RenderOptions;
use crate::value::Value;

/// How deeply evaluation may nest (control structures, parenthesized pipelines and
/// template calls together).
pub(crate) const MAX_DEPTH: usize = 200;

/// An evaluation error before it is placed in the template text.
#[derive(Debug)]
pub(crate) struct EvalError {
    pub span: Span,
    pub executing: String,
    pub kind: RenderErrorKind,
}

/// How a list of nodes ended.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Flow {
    Normal,
    Break,
    Continue,
}

pub(crate) struct Exec<'t, 's> {
    pub(crate) text: &'t str,
    defines: &'t HashMap<String, List>,
    opts: &'t RenderOptions,
    pub(crate) deps: Deps<'s>,
    out: String,
    vars: Vec<(String, Value)>,
    executing: String,
    depth: usize,
    steps: u64,
}

impl<'t, 's> Exec<'t, 's> {
    pub(crate) fn new(
        name: &str,
        text: &'t str,
        defines: &'t HashMap<String, List>,
        opts: &'t RenderOptions,
        deps: Deps<'s>,
    ) -> Exec<'t, 's> {
        Exec {
            text,
            defines,
            opts,
            deps,
            out: String::new(),
            vars: Vec::new(),
            executing: name.to_string(),
            depth: 0,
            steps: 0,
        }
    }

    /// Runs the main body with `$` and `.` set to `data`.
    pub(crate) fn run(&mut self, root: &List, data: Value) -> Result<(), EvalError> {
        self.vars = vec![("$".to_string(), data.clone())];
        self.walk(&data, root).map(|_| ())
    }

    pub(crate) fn into_parts(self) -> (String, Deps<'s>) {
        (self.out, self.deps)
    }

    pub(crate) fn fail(&self, span: Span, kind: RenderErrorKind) -> EvalError {
        EvalError {
            span,
            executing: self.executing.clone(),
            kind,
        }
    }

    pub(crate) fn error(&self, span: Span, message: impl Into<String>) -> EvalError {
        self.fail(span, RenderErrorKind::Eval(message.into()))
    }

    pub(crate) fn missing_key_is_error(&self) -> bool {
        self.opts.error_on_missing_key
    }

    fn step(&mut self, span: Span) -> Result<(), EvalError> {
        self.steps += 1;
        if self.steps > self.opts.max_steps {
            return Err(self.fail(span, RenderErrorKind::TooManySteps(self.opts.max_steps)));
        }
        Ok(())
    }

    pub(crate) fn enter(&mut self, span: Span) -> Result<(), EvalError> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return Err(self.fail(span, RenderErrorKind::TooDeep(MAX_DEPTH)));
        }
        Ok(())
    }

    pub(crate) fn leave(&mut self) {
        self.depth = self.depth.saturating_sub(1);
    }

    fn write(&mut self, s: &str, span: Span) -> Result<(), EvalError> {
        if self.out.len() + s.len() > self.opts.max_output_bytes {
            return Err(self.fail(
                span,
                RenderErrorKind::OutputTooLarge(self.opts.max_output_bytes),
            ));
        }
        self.out.push_str(s);
        Ok(())
    }

    // ---- variables ------------------------------------------------------------------

    pub(crate) fn push_var(&mut self, name: &str, value: Value) {
        self.vars.push((name.to_string(), value));
    }

    pub(crate) fn set_var(
        &mut self,
        name: &str,
        value: Value,
        span: Span,
    ) -> Result<(), EvalError> {
        match self.vars.iter_mut().rev().find(|(n, _)| n == name) {
            Some(slot) => {
                slot.1 = value;
                Ok(())
            }
            None => Err(self.error(span, format!("undefined variable: {name}"))),
        }
    }

    pub(crate) fn var_ref(&self, name: &str, span: Span) -> Result<&Value, EvalError> {
        self.vars
            .iter()
            .rev()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v)
            .ok_or_else(|| self.error(span, format!("undefined variable: {name}")))
    }

    fn set_top_var(&mut self, n: usize, value: Value) {
        if let Some(i) = self.vars.len().checked_sub(n) {
            if let Some(slot) = self.vars.get_mut(i) {
                slot.1 = value;
            }
        }
    }

    // ---- walking --------------------------------------------------------------------

    fn walk(&mut self, dot: &Value, list: &List) -> Result<Flow, EvalError> {
        for node in list {
            let flow = self.walk_node(dot, node)?;
            if flow != Flow::Normal {
                return Ok(flow);
            }
        }
        Ok(Flow::Normal)
    }

    fn walk_node(&mut self, dot: &Value, node: &Node) -> Result<Flow, EvalError> {
        match node {
            Node::Text(t) => {
                self.step(Span::default())?;
                self.write(t, Span::default())?;
            }
            Node::Action(pipe) => {
                self.step(pipe.span)?;
                // Variables declared here live until the end of the enclosing structure.
                let v = self.eval_pipeline(dot, pipe)?;
                if pipe.decl.is_empty() {
                    self.write(&action_text(&v), pipe.span)?;
                }
            }
            Node::If(c) => return self.walk_if_or_with(dot, c, false),
            Node::With(c) => return self.walk_if_or_with(dot, c, true),
            Node::Range(c) => self.walk_range(dot, c)?,
            Node::Template { name, pipe, span } => {
                self.walk_template(dot, name, pipe.as_ref(), *span)?;
            }
            Node::Break => return Ok(Flow::Break),
            Node::Continue => return Ok(Flow::Continue),
        }
        Ok(Flow::Normal)
    }

    fn walk_if_or_with(&mut self, dot: &Value, c: &Control, with: bool) -> Result<Flow, EvalError> {
        self.step(c.span)?;
        self.enter(c.span)?;
        let mark = self.vars.len();
        let v = self.eval_pipeline(dot, &c.pipe)?;
        let flow = if v.is_true() {
            if with {
                self.walk(&v, &c.list)?
            } else {
                self.walk(dot, &c.list)?
            }
        } else if let Some(else_list) = &c.else_list {
            self.walk(dot, else_list)?
        } else {
            Flow::Normal
        };
        self.vars.truncate(mark);
        self.leave();
        Ok(flow)
    }

    fn walk_range(&mut self, dot: &Value, c: &Control) -> Result<(), EvalError> {
        self.step(c.span)?;
        self.enter(c.span)?;
        let mark = self.vars.len();
        let v = self.eval_pipeline(dot, &c.pipe)?;
        let body_mark = self.vars.len();
        let decls = c.pipe.decl.len();
        let mut ran = false;
        let mut iteration =
            |this: &mut Self, index: Value, elem: Value| -> Result<bool, EvalError> {
                this.step(c.span)?;
                ran = true;
                if decls > 0 {
                    this.set_top_var(1, elem.clone());
                }
                if decls > 1 {
                    this.set_top_var(2, index);
                }
                let flow = this.walk(&elem, &c.list)?;
                this.vars.truncate(body_mark);
                Ok(flow != Flow::Break)
            };
        match &v {
            Value::List(items) => {
                for (i, item) in items.iter().enumerate() {
                    if !iteration(self, Value::Int(i as i64), item.clone())? {
                        break;
                    }
                }
            }
            Value::Strings(items) => {
                for (i, item) in items.iter().enumerate() {
                    if !iteration(self, Value::Int(i as i64), Value::Str(item.clone()))? {
                        break;
                    }
                }
            }
            Value::Map(m) => {
                for (k, item) in m {
                    if !iteration(self, Value::Str(k.clone()), item.clone())? {
                        break;
                    }
                }
            }
            Value::Int(n) | Value::Int64(n) => {
                if decls > 1 {
                    return Err(self.error(
                        c.pipe.span,
                        "can't use an integer to iterate over more than one variable",
                    ));
                }
                let make = |i: i64| match v {
                    Value::Int64(_) => Value::Int64(i),
                    _ => Value::Int(i),
                };
                for i in 0..*n {
                    if !iteration(self, make(i), make(i))? {
                        break;
                    }
                }
            }
            Value::Missing | Value::Nil | Value::NilOf(_) => {}
            other => {
                return Err(self.error(
                    c.pipe.span,
                    format!(
                        "range can't iterate over value of type {}",
                        other.type_name()
                    ),
                ));
            }
        }
        if !ran {
            if let Some(else_list) = &c.else_list {
                self.walk(dot, else_list)?;
            }
        }
        self.vars.truncate(mark);
        self.leave();
        Ok(())
    }

    /// consul-template's `executeTemplate`: runs a `define`d template into a string.
    pub(crate) fn execute_template(
        &mut self,
        argv: &[Value],
        span: Span,
    ) -> Result<Value, EvalError> {
        let (name, data) = match argv {
            [name] => (name, Value::Missing),
            [name, data] => (name, data.clone()),
            _ => {
                return Err(self.error(
                    span,
                    format!(
                        "error calling executeTemplate: wrong number of arguments, expected 1 or 2, but got {}",
                        argv.len()
                    ),
                ))
            }
        };
        let name = name.as_str().unwrap_or("");
        let defines = self.defines;
        let Some(body) = defines.get(name) else {
            // Not named: a computed name could come from a secret (the context shows
            // a name written in the template).
            return Err(self.error(span, "error calling executeTemplate: no such template"));
        };
        self.enter(span)?;
        let outer_out = std::mem::take(&mut self.out);
        let outer_vars = std::mem::replace(&mut self.vars, vec![("$".to_string(), data.clone())]);
        let outer_name = std::mem::replace(&mut self.executing, name.to_string());
        let result = self.walk(&data, body);
        let inner = std::mem::replace(&mut self.out, outer_out);
        self.vars = outer_vars;
        self.executing = outer_name;
        self.leave();
        result?;
        Ok(Value::Str(inner))
    }

    fn walk_template(
        &mut self,
        dot: &Value,
        name: &str,
        pipe: Option<&Pipeline>,
        span: Span,
    ) -> Result<(), EvalError> {
        self.step(span)?;
        let defines = self.defines;
        let Some(body) = defines.get(name) else {
            return Err(self.error(span, format!("template {name:?} not defined")));
        };
        self.enter(span)?;
        // Variables declared by the pipeline stay in the caller's scope.
        let new_dot = match pipe {
            Some(p) => self.eval_pipeline(dot, p)?,
            None => Value::Missing,
        };
        let outer_vars =
            std::mem::replace(&mut self.vars, vec![("$".to_string(), new_dot.clone())]);
        let outer_name = std::mem::replace(&mut self.executing, name.to_string());
        self.walk(&new_dot, body)?;
        self.vars = outer_vars;
        self.executing = outer_name;
        self.leave();
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use crate::template::RenderOptions;
    use crate::test_support::{render, render_with};

    #[test]
    fn variables_are_scoped_to_their_structure() {
        assert_eq!(
            render("{{$x := 1}}{{if 1}}{{$x := 2}}{{$y := 3}}{{$x}}{{end}}{{$x}}").as_deref(),
            Ok("21")
        );
        assert_eq!(
            render("{{$x := 1}}{{range 3}}{{$x = .}}{{end}}{{$x}}").as_deref(),
            Ok("2")
        );
        assert_eq!(
            render("{{define \"t\"}}{{$}}{{end}}{{$v := 7}}{{template \"t\" 8}}{{$v}}").as_deref(),
            Ok("87")
        );
    }

    #[test]
    fn range_flow_and_else() {
        assert_eq!(
            render("{{range $i, $v := split \",\" \"a,b,c\"}}{{if eq $i 1}}{{continue}}{{end}}{{$v}}{{end}}")
                .as_deref(),
            Ok("ac")
        );
        assert_eq!(
            render("{{range 0}}x{{else}}none{{end}}").as_deref(),
            Ok("none")
        );
        assert_eq!(
            render("{{range $k, $v := parseJSON `{\"b\":1,\"a\":2}`}}{{$k}}{{$v}}{{end}}")
                .as_deref(),
            Ok("a2b1")
        );
        assert!(render("{{range $i, $v := 3}}{{end}}").is_err());
    }

    #[test]
    fn limits_stop_runaway_templates() {
        let opts = RenderOptions {
            max_steps: 100,
            ..RenderOptions::default()
        };
        let err = render_with("{{range 1000}}x{{end}}", &opts).unwrap_err();
        assert!(err.contains("limit of 100 steps"), "{err}");
        let opts = RenderOptions {
            max_output_bytes: 10,
            ..RenderOptions::default()
        };
        let err = render_with("{{range 100}}x{{end}}", &opts).unwrap_err();
        assert!(err.contains("output exceeds"), "{err}");
        let err =
            render("{{define \"r\"}}{{template \"r\"}}{{end}}{{template \"r\"}}").unwrap_err();
        assert!(err.contains("maximum template depth"), "{err}");
    }

    #[test]
    fn execute_template_returns_a_string() {
        assert_eq!(
            render("{{define \"t\"}}<{{.}}>{{end}}{{executeTemplate \"t\" 1 | len}}").as_deref(),
            Ok("3")
        );
        assert!(render("{{executeTemplate \"nope\"}}").is_err());
    }
}
