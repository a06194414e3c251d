//! The scaffolding of the harness's own HTML pages (the load, simulation and run reports): one
//! document shape, one stylesheet in the conformance report's look, and a table helper that
//! escapes every cell, so each report only writes its content.

use super::html::escape;
use std::fmt::Write as _;

/// The shared stylesheet: the conformance report's header bar, palette and tables.
const STYLE: &str = "
body{font:15px/1.45 system-ui,sans-serif;margin:0;color:#1d2330;background:#f6f7f9}
header{background:#1d2330;color:#fff;padding:18px 28px}header h1{margin:0;font-size:22px}
main{padding:6px 28px 18px;max-width:1200px}
h2{font-size:18px;margin:22px 0 6px}
a{color:#1f5fbf}
table{border-collapse:collapse;background:#fff;margin:8px 0}
th,td{border:1px solid #dde1e7;padding:4px 8px;text-align:left;vertical-align:top;font-size:13px}
th{background:#eef0f4}
table.num td,table.num th{text-align:right}
table.num td:first-child,table.num th:first-child{text-align:left}
table.wide{width:100%}
.pass{color:#176f2c}.fail{color:#b00020;font-weight:bold}
.head{font-size:1.4em;font-weight:bold}
pre{background:#fff;border:1px solid #dde1e7;padding:8px;overflow-x:auto;font-size:12px}
img{max-width:100%;background:#fff;border:1px solid #dde1e7}
";

/// An HTML page: a `<title>`, a header with the heading, and the content in order.
#[derive(Debug, Clone)]
pub struct Page {
    title: String,
    heading: String,
    main: String,
}

impl Page {
    /// A page titled `title` (the browser tab) whose header reads `heading`.
    pub fn new(title: &str, heading: &str) -> Page {
        Page {
            title: title.to_string(),
            heading: heading.to_string(),
            main: String::new(),
        }
    }

    /// A section heading (`<h2>`), from text.
    pub fn section(&mut self, heading: &str) -> &mut Page {
        let _ = write!(self.main, "<h2>{}</h2>", escape(heading));
        self
    }

    /// Markup the caller built (and escaped) itself.
    pub fn html(&mut self, markup: &str) -> &mut Page {
        self.main.push_str(markup);
        self
    }

    /// A table.
    pub fn table(&mut self, table: &Table) -> &mut Page {
        self.main.push_str(&table.render());
        self
    }

    /// The whole document.
    pub fn finish(&self) -> String {
        format!(
            "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\
             <meta name=\"viewport\" content=\"width=device-width\">\
             <title>{}</title><style>{STYLE}</style></head>\n\
             <body><header><h1>{}</h1></header><main>\n{}\n</main></body></html>\n",
            escape(&self.title),
            escape(&self.heading),
            self.main
        )
    }
}

/// One table cell: text (escaped when rendered) and an optional CSS class.
#[derive(Debug, Clone)]
pub struct Cell {
    text: String,
    class: Option<&'static str>,
}

impl Cell {
    /// A cell styled by `class` (e.g. `pass`, `fail`).
    pub fn with_class(text: impl Into<String>, class: &'static str) -> Cell {
        Cell {
            text: text.into(),
            class: Some(class),
        }
    }
}

impl From<String> for Cell {
    fn from(text: String) -> Cell {
        Cell { text, class: None }
    }
}

impl From<&str> for Cell {
    fn from(text: &str) -> Cell {
        Cell::from(text.to_string())
    }
}

/// A table with a header row; every cell is text, escaped when rendered.
#[derive(Debug, Clone)]
pub struct Table {
    headers: Vec<String>,
    rows: Vec<Vec<Cell>>,
    classes: Vec<&'static str>,
    when_empty: Option<String>,
}

impl Table {
    pub fn new(headers: &[&str]) -> Table {
        Table {
            headers: headers.iter().map(|h| h.to_string()).collect(),
            rows: Vec::new(),
            classes: Vec::new(),
            when_empty: None,
        }
    }

    /// Numbers: right-aligned, except the first column (the row's name).
    pub fn numeric(mut self) -> Table {
        self.classes.push("num");
        self
    }

    /// As wide as the page.
    pub fn wide(mut self) -> Table {
        self.classes.push("wide");
        self
    }

    /// The text of the one row shown when there are none (e.g. "none").
    pub fn when_empty(mut self, text: &str) -> Table {
        self.when_empty = Some(text.to_string());
        self
    }

    pub fn row<C: Into<Cell>>(&mut self, cells: impl IntoIterator<Item = C>) -> &mut Table {
        self.rows.push(cells.into_iter().map(Into::into).collect());
        self
    }

    /// The table's markup, for a page built around it.
    pub fn html(&self) -> String {
        self.render()
    }

    fn render(&self) -> String {
        let mut h = String::from("<table");
        if !self.classes.is_empty() {
            let _ = write!(h, " class=\"{}\"", self.classes.join(" "));
        }
        h.push_str("><tr>");
        for th in &self.headers {
            let _ = write!(h, "<th>{}</th>", escape(th));
        }
        h.push_str("</tr>");
        for row in &self.rows {
            h.push_str("<tr>");
            for c in row {
                match c.class {
                    Some(class) => {
                        let _ = write!(h, "<td class=\"{class}\">{}</td>", escape(&c.text));
                    }
                    None => {
                        let _ = write!(h, "<td>{}</td>", escape(&c.text));
                    }
                }
            }
            h.push_str("</tr>");
        }
        if let (true, Some(text)) = (self.rows.is_empty(), &self.when_empty) {
            let _ = write!(
                h,
                "<tr><td colspan=\"{}\">{}</td></tr>",
                self.headers.len().max(1),
                escape(text)
            );
        }
        h.push_str("</table>\n");
        h
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pages_escape_their_text_and_tables_their_cells() {
        let mut t = Table::new(&["name", "n"]).numeric();
        t.row(["<a>", "1"]);
        t.row([Cell::from("b"), Cell::with_class("ok", "pass")]);
        let mut p = Page::new("t & u", "Heading <x>");
        p.section("S\"1").table(&t);
        let html = p.finish();
        assert!(html.starts_with("<!doctype html>"));
        assert!(html.contains("<title>t &amp; u</title>"));
        assert!(html.contains("<h1>Heading &lt;x&gt;</h1>"));
        assert!(html.contains("<h2>S&quot;1</h2>"));
        assert!(html.contains("<table class=\"num\"><tr><th>name</th><th>n</th></tr>"));
        assert!(html.contains("<td>&lt;a&gt;</td><td>1</td>"));
        assert!(html.contains("<td class=\"pass\">ok</td>"));
    }

    #[test]
    fn an_empty_table_says_so() {
        let t = Table::new(&["cause", "count"]).when_empty("none");
        assert!(t.render().contains("<tr><td colspan=\"2\">none</td></tr>"));
    }
}
