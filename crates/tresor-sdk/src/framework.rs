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

/// The lower-cased capture `name` of `path` when its row has an existence check: the
/// object a backend's `exists` looks up (a role, a user).
pub fn existence_target<R>(table: &[PathSpec<R>], path: &str, name: &str) -> Option<String> {
    match find(table, path) {
        Some((spec, captures)) if spec.existence_check => {
            Some(captures.get(name).unwrap_or("").to_lowercase())
        }
        _ => None,
    }
}

/// The request without a trailing slash on its path: Vault serves most paths (and
/// the lists) with or without one.
pub fn without_trailing_slash<'a>(req: &BackendRequest<'a>) -> BackendRequest<'a> {
    BackendRequest {
        path: req.path.strip_suffix('/').unwrap_or(req.path),
        ..*req
    }
}

/// The first row whose pattern matches `path`.
pub fn find<'t, R>(table: &'t [PathSpec<R>], path: &str) -> Option<(&'t PathSpec<R>, Captures)> {
    table
        .iter()
        .find_map(|spec| pattern::matches(spec.pattern, path).map(|c| (spec, c)))
}
