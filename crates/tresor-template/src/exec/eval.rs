//! Evaluates pipelines, commands, field chains and function calls, checking arguments
//! against parameter types the way Go's `evalArg` and `validateType` do.

use std::borrow::Cow;

use super::{EvalError, Exec};
use crate::ast::{Command, Pipeline, Span, Term, TermKind};
use crate::error::RenderErrorKind;
use crate::funcs::{FuncDef, FuncError, Imp, Param};
use crate::number::NumberLit;
use crate::value::{NilKind, Value, MAX_STRING};

type EResult<T> = Result<T, EvalError>;

impl Exec<'_, '_> {
    fn term_text(&self, span: Span) -> &str {
        self.text.get(span.start..span.end).unwrap_or("")
    }

    /// Runs a pipeline; declared variables are pushed (or assigned).
    pub(super) fn eval_pipeline(&mut self, dot: &Value, pipe: &Pipeline) -> EResult<Value> {
        self.enter(pipe.span)?;
        let mut last: Option<Value> = None;
        for cmd in &pipe.cmds {
            self.step(cmd.span)?;
            let v = self.eval_command(dot, cmd, last.take())?;
            // Go digs the value out of an interface{}: a nil one becomes "no value".
            last = Some(v.dig());
        }
        let value = last.unwrap_or(Value::Missing);
        for var in &pipe.decl {
            if pipe.is_assign {
                self.set_var(var, value.clone(), pipe.span)?;
            } else {
                self.push_var(var, value.clone());
            }
        }
        self.leave();
        Ok(value)
    }

    fn not_a_function(&self, cmd: &Command, last: &Option<Value>) -> EResult<()> {
        if cmd.args.len() > 1 || last.is_some() {
            let first = cmd.args.first().map_or(cmd.span, |t| t.span);
            return Err(self.error(
                first,
                format!(
                    "can't give argument to non-function {}",
                    self.term_text(first)
                ),
            ));
        }
        Ok(())
    }

    fn eval_command(&mut self, dot: &Value, cmd: &Command, last: Option<Value>) -> EResult<Value> {
        let Some(first) = cmd.args.first() else {
            return Err(self.error(cmd.span, "empty command"));
        };
        match &first.kind {
            TermKind::Field(names) => {
                self.eval_field_chain(dot, names, &cmd.args, last, first.span)
            }
            TermKind::Chain(head, names) => {
                let receiver = self.eval_arg(dot, Param::Val, head)?;
                self.eval_field_chain(&receiver, names, &cmd.args, last, first.span)
            }
            TermKind::Variable(name, names) => {
                if names.is_empty() {
                    self.not_a_function(cmd, &last)?;
                }
                let value = self.var_ref(name, first.span)?;
                self.eval_field_chain(value, names, &cmd.args, last, first.span)
            }
            TermKind::Func(def) => {
                let args = cmd.args.get(1..).unwrap_or_default();
                self.eval_call(dot, def, args, last, first.span, cmd.span)
            }
            TermKind::Pipe(p) => {
                self.not_a_function(cmd, &last)?;
                self.eval_pipeline(dot, p)
            }
            TermKind::Bool(b) => {
                self.not_a_function(cmd, &last)?;
                Ok(Value::Bool(*b))
            }
            TermKind::Dot => {
                self.not_a_function(cmd, &last)?;
                Ok(dot.clone())
            }
            TermKind::Nil => {
                self.not_a_function(cmd, &last)?;
                Err(self.error(first.span, "nil is not a command"))
            }
            TermKind::Number(n) => {
                self.not_a_function(cmd, &last)?;
                self.ideal_constant(n, first.span)
            }
            TermKind::Str(s) => {
                self.not_a_function(cmd, &last)?;
                Ok(Value::Str(s.clone()))
            }
        }
    }

    /// A number literal with no type to guide it: float64 if written like a float,
    /// else int.
    fn ideal_constant(&self, n: &NumberLit, span: Span) -> EResult<Value> {
        if n.is_ideal_float() {
            if let Some(f) = n.float {
                return Ok(Value::Float(f));
            }
        }
        match n.int {
            Some(i) => Ok(Value::Int(i)),
            None => Err(self.error(span, format!("{} overflows int", n.text))),
        }
    }

    /// `.A.B.C` on `receiver`; `args` are the command's words (the chain first), and
    /// only the last field may receive them. Walks by reference: only the result is
    /// copied.
    fn eval_field_chain(
        &self,
        receiver: &Value,
        names: &[String],
        args: &[Term],
        last: Option<Value>,
        span: Span,
    ) -> EResult<Value> {
        let Some((final_name, leading)) = names.split_last() else {
            return Ok(receiver.clone());
        };
        let mut current = Cow::Borrowed(receiver);
        for name in leading {
            current = match current {
                Cow::Borrowed(r) => self.eval_field(name, r, &[], None, span)?,
                Cow::Owned(v) => {
                    Cow::Owned(self.eval_field(name, &v, &[], None, span)?.into_owned())
                }
            };
        }
        Ok(self
            .eval_field(final_name, &current, args, last, span)?
            .into_owned())
    }

    fn eval_field<'v>(
        &self,
        name: &str,
        receiver: &'v Value,
        args: &[Term],
        last: Option<Value>,
        span: Span,
    ) -> EResult<Cow<'v, Value>> {
        let has_args = args.len() > 1 || last.is_some();
        match receiver {
            Value::Missing => {
                if self.missing_key_is_error() {
                    return Err(self.error(span, format!("nil data; no entry for key {name:?}")));
                }
                Ok(Cow::Owned(Value::Missing))
            }
            Value::Nil => Err(self.error(
                span,
                format!("nil pointer evaluating interface {{}}.{name}"),
            )),
            Value::Struct(s) => {
                if s.kind.has_method(name) {
                    let got = args.len().saturating_sub(1) + usize::from(last.is_some());
                    if got != 0 {
                        return Err(self.error(
                            span,
                            format!("wrong number of args for {name}: want 0 got {got}"),
                        ));
                    }
                    return Ok(Cow::Borrowed(receiver));
                }
                match s.field(name) {
                    Some(_) if has_args => Err(self.error(
                        span,
                        format!("{name} has arguments but cannot be invoked as function"),
                    )),
                    Some(v) => Ok(Cow::Borrowed(v)),
                    None => Err(self.error(
                        span,
                        format!("can't evaluate field {name} in type {}", s.kind.type_name()),
                    )),
                }
            }
            Value::NilOf(NilKind::Ptr(kind)) => {
                let message = if kind.field_names().contains(&name) {
                    format!("nil pointer evaluating {}.{name}", kind.type_name())
                } else {
                    format!("can't evaluate field {name} in type {}", kind.type_name())
                };
                Err(self.error(span, message))
            }
            Value::Map(_) | Value::NilOf(NilKind::Map) => {
                if has_args {
                    return Err(
                        self.error(span, format!("{name} is not a method but has arguments"))
                    );
                }
                match receiver.as_map().and_then(|m| m.get(name)) {
                    Some(v) => Ok(Cow::Borrowed(v)),
                    None if self.missing_key_is_error() => {
                        Err(self.error(span, format!("map has no entry for key {name:?}")))
                    }
                    None => Ok(Cow::Owned(Value::Nil)),
                }
            }
            other => Err(self.error(
                span,
                format!("can't evaluate field {name} in type {}", other.type_name()),
            )),
        }
    }

    /// Calls a function. `span` is the function's name (for argument errors),
    /// `call_span` the whole command (for errors the function returns), as Go reports.
    fn eval_call(
        &mut self,
        dot: &Value,
        def: &FuncDef,
        args: &[Term],
        last: Option<Value>,
        span: Span,
        call_span: Span,
    ) -> EResult<Value> {
        let name = def.name;
        let num_in = args.len() + usize::from(last.is_some());
        let fixed = def.params.len();
        if def.variadic.is_some() {
            if num_in < fixed {
                return Err(self.error(
                    span,
                    format!(
                        "wrong number of args for {name}: want at least {fixed} got {}",
                        args.len()
                    ),
                ));
            }
        } else if num_in != fixed {
            return Err(self.error(
                span,
                format!("wrong number of args for {name}: want {fixed} got {num_in}"),
            ));
        }
        let f = match def.imp {
            Imp::And | Imp::Or => return self.and_or(dot, def, args, last),
            Imp::ExecuteTemplate => {
                let mut argv = Vec::with_capacity(num_in);
                for (i, a) in args.iter().enumerate() {
                    argv.push(self.eval_arg(dot, def.param(i), a)?);
                }
                if let Some(v) = last {
                    argv.push(self.validate(v, def.param(num_in - 1), span)?);
                }
                return self.execute_template(&argv, call_span);
            }
            Imp::Unsupported(why) => {
                return Err(self.error(call_span, format!("error calling {name}: {why}")));
            }
            Imp::Pure(f) => Ok(f),
            Imp::Ctx(f) => Err(f),
        };
        let mut argv = Vec::with_capacity(num_in);
        for (i, a) in args.iter().enumerate() {
            argv.push(self.eval_arg(dot, def.param(i), a)?);
        }
        if let Some(v) = last {
            argv.push(self.validate(v, def.param(num_in - 1), span)?);
        }
        let result = match f {
            Ok(pure) => pure(&argv).map_err(FuncError::Msg),
            Err(ctx) => ctx(&mut self.deps, &argv),
        };
        match result {
            Ok(v) if v.approx_size() > MAX_STRING => {
                Err(self.error(call_span, format!("error calling {name}: result too large")))
            }
            Ok(v) => Ok(v),
            Err(FuncError::Msg(m)) => {
                Err(self.error(call_span, format!("error calling {name}: {m}")))
            }
            // The dependency names the path and parameter keys; the call's text could
            // hold parameter values.
            Err(FuncError::Dependency { dep, reason }) => Err(self.fail(
                span,
                RenderErrorKind::Dependency {
                    dependency: Box::new(dep),
                    reason,
                },
            )),
        }
    }

    /// `and` and `or` stop at the first argument that decides.
    fn and_or(
        &mut self,
        dot: &Value,
        def: &FuncDef,
        args: &[Term],
        last: Option<Value>,
    ) -> EResult<Value> {
        let is_or = matches!(def.imp, Imp::Or);
        let mut v = Value::Missing;
        for a in args {
            v = self.eval_arg(dot, Param::Val, a)?;
            if v.is_true() == is_or {
                return Ok(v);
            }
        }
        if let Some(l) = last {
            v = l;
        }
        Ok(v)
    }

    /// An argument for a parameter of type `param`.
    pub(super) fn eval_arg(&mut self, dot: &Value, param: Param, term: &Term) -> EResult<Value> {
        let span = term.span;
        let value = match &term.kind {
            TermKind::Dot => dot.clone(),
            TermKind::Nil => {
                return match param {
                    Param::Any => Ok(Value::Nil),
                    Param::Val => Ok(Value::Missing),
                    Param::StrList => Ok(Value::NilOf(NilKind::Strings)),
                    Param::AnyList => Ok(Value::NilOf(NilKind::List)),
                    Param::Str | Param::Int => {
                        Err(self.error(span, format!("cannot assign nil to {}", param.go_name())))
                    }
                };
            }
            TermKind::Field(names) => {
                self.eval_field_chain(dot, names, std::slice::from_ref(term), None, span)?
            }
            TermKind::Variable(name, names) => {
                let v = self.var_ref(name, span)?;
                self.eval_field_chain(v, names, std::slice::from_ref(term), None, span)?
            }
            TermKind::Chain(head, names) => {
                let receiver = self.eval_arg(dot, Param::Val, head)?;
                self.eval_field_chain(&receiver, names, std::slice::from_ref(term), None, span)?
            }
            TermKind::Pipe(p) => self.eval_pipeline(dot, p)?,
            TermKind::Func(def) => self.eval_call(dot, def, &[], None, span, span)?,
            TermKind::Bool(_) | TermKind::Number(_) | TermKind::Str(_) => {
                return self.literal_arg(param, term);
            }
        };
        self.validate(value, param, span)
    }

    fn literal_arg(&self, param: Param, term: &Term) -> EResult<Value> {
        let span = term.span;
        let text = self.term_text(span);
        match (&term.kind, param) {
            (TermKind::Bool(b), Param::Any | Param::Val) => Ok(Value::Bool(*b)),
            (TermKind::Str(s), Param::Any | Param::Val | Param::Str) => Ok(Value::Str(s.clone())),
            (TermKind::Number(n), Param::Any | Param::Val) => self.ideal_constant(n, span),
            (TermKind::Number(n), Param::Int) => match n.int {
                Some(i) => Ok(Value::Int(i)),
                None => Err(self.error(span, format!("expected integer; found {text}"))),
            },
            (_, Param::Str) => Err(self.error(span, format!("expected string; found {text}"))),
            (_, Param::Int) => Err(self.error(span, format!("expected integer; found {text}"))),
            (_, _) => Err(self.error(
                span,
                format!("can't handle {text} for arg of type {}", param.go_name()),
            )),
        }
    }

    /// Go's `validateType`: is the value assignable to the parameter?
    fn validate(&self, value: Value, param: Param, span: Span) -> EResult<Value> {
        let ok = match (&value, param) {
            (_, Param::Val) => true,
            (Value::Missing, Param::Any) => return Ok(Value::Nil),
            (_, Param::Any) => true,
            (Value::Missing, Param::StrList) => return Ok(Value::NilOf(NilKind::Strings)),
            (Value::Missing, Param::AnyList) => return Ok(Value::NilOf(NilKind::List)),
            (Value::Missing, _) => {
                return Err(
                    self.error(span, format!("invalid value; expected {}", param.go_name()))
                );
            }
            (Value::Str(_), Param::Str) => true,
            (Value::Int(_), Param::Int) => true,
            (Value::Int64(i), Param::Int) => return Ok(Value::Int(*i)),
            (Value::Strings(_) | Value::NilOf(NilKind::Strings), Param::StrList) => true,
            (Value::List(_) | Value::NilOf(NilKind::List), Param::AnyList) => true,
            _ => false,
        };
        if ok {
            Ok(value)
        } else {
            Err(self.error(
                span,
                format!(
                    "wrong type for value; expected {}; got {}",
                    param.go_name(),
                    value.type_name()
                ),
            ))
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::template::RenderOptions;
    use crate::test_support::{render, render_with};

    #[test]
    fn fields_on_secrets_maps_and_nothing() {
        assert_eq!(
            render("{{with secret \"app\"}}{{.Data.data.user}} {{.Data.metadata.version}} {{.RequestID}}{{end}}")
                .as_deref(),
            Ok("admin 3 r1")
        );
        assert_eq!(
            render("{{(secret \"app\").Data.data.nope}}|{{.x.y}}").as_deref(),
            Ok("<no value>|<no value>")
        );
        let err = render("{{(secret \"app\").Nope}}").unwrap_err();
        assert!(
            err.ends_with("can't evaluate field Nope in type *dependency.Secret"),
            "{err}"
        );
        let strict = RenderOptions {
            error_on_missing_key: true,
            ..RenderOptions::default()
        };
        let err = render_with("{{(secret \"app\").Data.data.nope}}", &strict).unwrap_err();
        assert!(err.ends_with("map has no entry for key \"nope\""), "{err}");
    }

    #[test]
    fn arguments_are_checked_like_go() {
        for (text, want) in [
            ("{{toUpper 1}}", "expected string; found 1"),
            ("{{toUpper nil}}", "cannot assign nil to string"),
            ("{{toUpper .x}}", "invalid value; expected string"),
            (
                "{{join \",\" (parseJSON `[1]`)}}",
                "expected []string; got []interface {}",
            ),
            (
                "{{1 | toUpper}}",
                "wrong type for value; expected string; got int",
            ),
            ("{{indent 1.5 \"x\"}}", "expected integer; found 1.5"),
            (
                "{{toUpper}}",
                "wrong number of args for toUpper: want 1 got 0",
            ),
            (
                "{{printf}}",
                "wrong number of args for printf: want at least 1 got 0",
            ),
            (
                "{{\"x\" | \"y\"}}",
                "non executable command in pipeline stage 2",
            ),
            ("{{. 1}}", "can't give argument to non-function ."),
            (
                "{{with secret \"app\"}}{{.Data.x 1}}{{end}}",
                "x is not a method but has arguments",
            ),
            ("{{99999999999999999999}}", "integer overflow"),
            (
                "{{18446744073709551615}}",
                "18446744073709551615 overflows int",
            ),
        ] {
            let err = render(text).unwrap_err();
            assert!(err.contains(want), "{text}: {err}");
        }
    }

    #[test]
    fn and_or_short_circuit() {
        // The second argument would fail if it were evaluated.
        assert_eq!(render("{{or 1 (secret \"missing\")}}").as_deref(), Ok("1"));
        assert_eq!(render("{{and 0 (secret \"missing\")}}").as_deref(), Ok("0"));
        assert!(render("{{or 0 (secret \"missing\")}}").is_err());
    }

    #[test]
    fn pending_secrets_make_the_render_incomplete() {
        assert_eq!(
            render("{{with secret \"pending\"}}{{.Data.x}}{{end}}"),
            Err("incomplete".to_string())
        );
        assert_eq!(
            render("{{(secret \"pending\").Data.x | toUpper}}"),
            Err("incomplete".to_string())
        );
    }
}
