//! HCL configuration files into [`Node`]s.

use super::node::{Block, Node, Scalar};
use super::ConfigError;

pub fn parse(file: &str, text: &str) -> Result<Node, ConfigError> {
    let syntax = |detail: String| ConfigError::Syntax {
        file: file.to_owned(),
        detail,
    };
    let rewritten =
        tresor_hcl::to_hcl2(text).map_err(|e| syntax(format!("line {}: {}", e.line, e.detail)))?;
    let body: hcl::Body = hcl::parse(&rewritten.text).map_err(|e| syntax(e.to_string()))?;
    node(file, "", &body)
}

fn node(file: &str, block: &str, body: &hcl::Body) -> Result<Node, ConfigError> {
    let mut out = Node::default();
    for attr in body.attributes() {
        let key = attr.key().to_owned();
        let value = scalar(attr.expr()).ok_or_else(|| ConfigError::Value {
            file: file.to_owned(),
            block: block.to_owned(),
            key: key.clone(),
            expected: "a string, number or boolean",
        })?;
        out.attrs.push((key, value));
    }
    for b in body.blocks() {
        let kind = b.identifier().to_owned();
        let labels: Vec<String> = b.labels().iter().map(|l| l.as_str().to_owned()).collect();
        if labels.len() > 2 || (labels.len() == 2 && kind != "audit") {
            return Err(ConfigError::Shape {
                file: file.to_owned(),
                block: kind,
                detail: "has too many labels".into(),
            });
        }
        let mut labels = labels.into_iter();
        let label = labels.next();
        let label2 = labels.next();
        let name = match &label {
            Some(l) => format!("{kind} \"{l}\""),
            None => kind.clone(),
        };
        out.blocks.push(Block {
            body: node(file, &name, b.body())?,
            kind,
            label,
            label2,
        });
    }
    Ok(out)
}

fn scalar(expr: &hcl::Expression) -> Option<Scalar> {
    match expr {
        hcl::Expression::String(s) => Some(Scalar::Str(s.clone())),
        hcl::Expression::Bool(b) => Some(Scalar::Bool(*b)),
        hcl::Expression::Number(n) => n.as_f64().map(Scalar::Num),
        hcl::Expression::TemplateExpr(t) => Some(Scalar::Str(t.to_string())),
        _ => None,
    }
}
