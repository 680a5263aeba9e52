//! Diagnostics are plain data (code, severity, message, file, span, hint), returned as values
//! from queries and rendered only at the edge: as snippets for people or JSON lines for tools.

use std::path::{Path, PathBuf};

use annotate_snippets::{AnnotationKind, Group, Level, Renderer, Snippet};

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Severity {
    Warning,
    Error,
}

/// Stable diagnostic codes. Ranges: 1xxx project/yaml, 2xxx jinja, 3xxx graph, 4xxx sql.
pub mod codes {
    pub const YAML: &str = "E1001";
    pub const PROJECT: &str = "E1002";
    pub const PROFILE: &str = "E1003";
    pub const DUPLICATE: &str = "E1004";
    pub const PROPERTIES: &str = "E1005";
    pub const JINJA_SYNTAX: &str = "E2001";
    pub const JINJA_RENDER: &str = "E2002";
    pub const COMPILER_ERROR: &str = "E2003";
    pub const UNKNOWN_REF: &str = "E3001";
    pub const UNKNOWN_SOURCE: &str = "E3002";
    pub const CYCLE: &str = "E3003";
    pub const UNKNOWN_MACRO: &str = "E2004";
    pub const WARN: &str = "W2001";
    pub const SQL_SYNTAX: &str = "E4001";
    pub const UNKNOWN_COLUMN: &str = "E4002";
    pub const AMBIGUOUS_COLUMN: &str = "E4003";
    pub const UNKNOWN_RELATION: &str = "E4004";
    pub const UNKNOWN_FUNCTION: &str = "E4005";
    pub const NO_OVERLOAD: &str = "E4006";
    pub const TYPE_MISMATCH: &str = "E4007";
    pub const NOT_GROUPED: &str = "E4008";
    pub const SET_OP_ARITY: &str = "E4009";
    pub const AGGREGATE_MISUSE: &str = "E4010";
}

/// A 1-based line/column position plus a byte range into the file's text.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default)]
pub struct Span {
    pub line: usize,
    pub column: usize,
    pub start: usize,
    pub end: usize,
}

impl Span {
    /// The span of `range` in `text`, computing line and column.
    pub fn from_range(text: &str, start: usize, end: usize) -> Span {
        let start = start.min(text.len());
        let end = end.clamp(start, text.len());
        let before = &text[..start];
        let line = before.matches('\n').count() + 1;
        let column = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
        Span {
            line,
            column,
            start,
            end,
        }
    }

    /// The span of a whole 1-based line.
    pub fn from_line(text: &str, line: usize) -> Span {
        let mut offset = 0;
        for (i, l) in text.split_inclusive('\n').enumerate() {
            if i + 1 == line {
                let trimmed = l.trim_end_matches(['\n', '\r']);
                return Span {
                    line,
                    column: 1,
                    start: offset,
                    end: offset + trimmed.len(),
                };
            }
            offset += l.len();
        }
        Span {
            line: line.max(1),
            column: 1,
            start: text.len(),
            end: text.len(),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Label {
    pub file: PathBuf,
    pub span: Span,
    pub message: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Diagnostic {
    pub code: &'static str,
    pub severity: Severity,
    pub message: String,
    /// The unique_id of the node the diagnostic belongs to, if any.
    pub node: Option<String>,
    pub file: Option<PathBuf>,
    pub span: Option<Span>,
    pub hint: Option<String>,
    /// Further places (e.g. macro frames), in call order.
    pub labels: Vec<Label>,
}

impl Diagnostic {
    pub fn error(code: &'static str, message: impl Into<String>) -> Diagnostic {
        Diagnostic {
            code,
            severity: Severity::Error,
            message: message.into(),
            node: None,
            file: None,
            span: None,
            hint: None,
            labels: Vec::new(),
        }
    }

    pub fn warning(code: &'static str, message: impl Into<String>) -> Diagnostic {
        Diagnostic {
            severity: Severity::Warning,
            ..Diagnostic::error(code, message)
        }
    }

    pub fn at(mut self, file: impl Into<PathBuf>, span: Option<Span>) -> Diagnostic {
        self.file = Some(file.into());
        self.span = span;
        self
    }

    pub fn with_hint(mut self, hint: impl Into<String>) -> Diagnostic {
        self.hint = Some(hint.into());
        self
    }

    pub fn for_node(mut self, unique_id: impl Into<String>) -> Diagnostic {
        self.node = Some(unique_id.into());
        self
    }

    pub fn with_label(mut self, file: PathBuf, span: Span, message: impl Into<String>) -> Self {
        self.labels.push(Label {
            file,
            span,
            message: message.into(),
        });
        self
    }

    pub fn is_error(&self) -> bool {
        self.severity == Severity::Error
    }

    /// One JSON object (for `--log-format json`), paths relative to `root`.
    pub fn to_json(&self, root: &Path) -> serde_json::Value {
        let rel = |p: &Path| p.strip_prefix(root).unwrap_or(p).display().to_string();
        serde_json::json!({
            "level": match self.severity { Severity::Error => "error", Severity::Warning => "warn" },
            "code": self.code,
            "message": self.message,
            "node": self.node,
            "file": self.file.as_deref().map(rel),
            "line": self.span.as_ref().map(|s| s.line),
            "column": self.span.as_ref().map(|s| s.column),
            "hint": self.hint,
        })
    }

    /// A human snippet (rustc style); `read` gives the text of a file for the excerpt.
    pub fn render(&self, root: &Path, read: &dyn Fn(&Path) -> Option<String>) -> String {
        let rel = |p: &Path| p.strip_prefix(root).unwrap_or(p).display().to_string();
        let level = match self.severity {
            Severity::Error => Level::ERROR,
            Severity::Warning => Level::WARNING,
        };
        let title = level.primary_title(self.message.as_str()).id(self.code);
        let mut texts = Vec::new();
        if let (Some(file), Some(span)) = (&self.file, &self.span)
            && let Some(text) = read(file)
        {
            texts.push((rel(file), text, span.clone(), String::new(), true));
        }
        for label in &self.labels {
            if let Some(text) = read(&label.file) {
                texts.push((
                    rel(&label.file),
                    text,
                    label.span.clone(),
                    label.message.clone(),
                    false,
                ));
            }
        }
        let mut group = Group::with_title(title);
        for (path, text, span, msg, primary) in &texts {
            let start = span.start.min(text.len());
            let end = span.end.clamp(start, text.len());
            let kind = if *primary {
                AnnotationKind::Primary
            } else {
                AnnotationKind::Context
            };
            group = group.element(
                Snippet::source(text.as_str())
                    .line_start(1)
                    .path(path.as_str())
                    .annotation(kind.span(start..end).label(msg.as_str())),
            );
        }
        let mut report = vec![group];
        if let Some(hint) = &self.hint {
            report.push(Group::with_title(
                Level::HELP.secondary_title(hint.as_str()),
            ));
        }
        let mut out = Renderer::plain().render(&report).to_string();
        if texts.is_empty() {
            if let (Some(file), Some(span)) = (&self.file, &self.span) {
                out.push_str(&format!(
                    "\n  --> {}:{}:{}",
                    rel(file),
                    span.line,
                    span.column
                ));
            } else if let Some(file) = &self.file {
                out.push_str(&format!("\n  --> {}", rel(file)));
            }
        }
        out
    }
}
