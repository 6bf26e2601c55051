//! The declarative path framework: a backend lists its paths as a table (pattern,
//! operations, typed fields, help); [`route`] matches a request against the table,
//! answers 404/405 for what the table does not serve, and parses the fields. The backend
//! then dispatches on the matched route with a plain `match`.

mod fields;
mod pattern;

pub use fields::{FieldSpec, FieldType, Fields};
pub use pattern::Captures;

use crate::{BackendRequest, Error, Operation};

/// One row of a backend's path table. `R` is the backend's own route enum.
#[derive(Debug)]
pub struct PathSpec<R: 'static> {
    /// Literal segments, `{name}` for one segment, `{name*}` for the non-empty rest of
    /// the path, `{name?*}` for a rest that may be empty.
    pub pattern: &'static str,
    pub route: R,
    pub operations: &'static [Operation],
    pub fields: &'static [FieldSpec],
    /// Whether writes to this path get an existence check (create vs update).
    pub existence_check: bool,
    pub help: &'static str,
}

/// A request matched to a row of the table.
#[derive(Debug)]
pub struct Matched<'t, R: 'static> {
    pub spec: &'t PathSpec<R>,
    pub captures: Captures,
    pub fields: Fields,
}

impl<R: Copy> Matched<'_, R> {
    pub fn route(&self) -> R {
        self.spec.route
    }

    /// A captured path segment (`{name}` in the pattern); empty when absent.
    pub fn capture(&self, name: &str) -> &str {
        self.captures.get(name).unwrap_or("")
    }
}

/// Finds the row serving the request's path, checks the operation and parses fields.
pub fn route<'t, R>(
    table: &'t [PathSpec<R>],
    req: &BackendRequest<'_>,
) -> Result<Matched<'t, R>, Error> {
    let (spec, captures) = find(table, req.path).ok_or(Error::UnsupportedPath)?;
    let op = match req.operation {
        Operation::Create => Operation::Update,
        Operation::Head => Operation::Read,
        other => other,
    };
    if !spec.operations.contains(&op) {
        return Err(Error::UnsupportedOperation);
    }
    let fields = Fields::parse(spec.fields, req.data)?;
    Ok(Matched {
        spec,
        captures,
        fields,
    })
}

/// The first row whose pattern matches `path`.
pub fn find<'t, R>(table: &'t [PathSpec<R>], path: &str) -> Option<(&'t PathSpec<R>, Captures)> {
    table
        .iter()
        .find_map(|spec| pattern::matches(spec.pattern, path).map(|c| (spec, c)))
}
