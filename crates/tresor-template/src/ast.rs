//! The parse tree. Every node that can fail at run time keeps its span in the template
//! text, for error positions and context.

use crate::funcs::FuncDef;
use crate::number::NumberLit;

/// A byte range in the template text.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub(crate) struct Span {
    pub start: usize,
    pub end: usize,
}

pub(crate) type List = Vec<Node>;

#[derive(Clone, Debug)]
pub(crate) enum Node {
    Text(String),
    /// `{{pipeline}}`: prints the value unless the pipeline declares variables.
    Action(Pipeline),
    If(Control),
    With(Control),
    Range(Control),
    /// `{{template "name" pipeline}}` (also what `{{block}}` leaves in place).
    Template {
        name: String,
        pipe: Option<Pipeline>,
        span: Span,
    },
    Break,
    Continue,
}

/// The shared shape of `if`, `with` and `range`.
#[derive(Clone, Debug)]
pub(crate) struct Control {
    pub pipe: Pipeline,
    pub list: List,
    pub else_list: Option<List>,
    pub span: Span,
}

#[derive(Clone, Debug)]
pub(crate) struct Pipeline {
    /// Declared (or assigned) variables, with their `$`.
    pub decl: Vec<String>,
    pub is_assign: bool,
    pub cmds: Vec<Command>,
    pub span: Span,
}

#[derive(Clone, Debug)]
pub(crate) struct Command {
    pub args: Vec<Term>,
    pub span: Span,
}

#[derive(Clone, Debug)]
pub(crate) struct Term {
    pub kind: TermKind,
    pub span: Span,
}

#[derive(Clone, Debug)]
pub(crate) enum TermKind {
    Func(&'static FuncDef),
    Dot,
    Nil,
    Bool(bool),
    Number(NumberLit),
    Str(String),
    /// `.A.B.C`
    Field(Vec<String>),
    /// `$x.A.B` (fields may be empty).
    Variable(String, Vec<String>),
    /// `(pipeline).A.B` or `func.A`: a term followed by fields.
    Chain(Box<Term>, Vec<String>),
    Pipe(Box<Pipeline>),
}
