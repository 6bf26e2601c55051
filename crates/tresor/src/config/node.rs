//! The shape shared by HCL and JSON configuration files before typing: attributes with
//! scalar values, and labelled blocks.

/// A scalar attribute value.
#[derive(Debug, Clone, PartialEq)]
pub enum Scalar {
    Str(String),
    Bool(bool),
    Num(f64),
}

#[derive(Debug, Clone)]
pub struct Block {
    pub kind: String,
    pub label: Option<String>,
    /// A second label (`audit "file" "to-disk" { }`).
    pub label2: Option<String>,
    pub body: Node,
}

#[derive(Debug, Clone, Default)]
pub struct Node {
    pub attrs: Vec<(String, Scalar)>,
    pub blocks: Vec<Block>,
}
