//! A tiny HTML writer: markup is written as `&'static str` literals, and every value through
//! [`Html::text`], which escapes it, so no value can ever become markup.

/// An HTML document being written.
#[derive(Debug, Default)]
pub(crate) struct Html(String);

impl Html {
    /// Appends fixed markup (a literal of this crate, never a value).
    pub(crate) fn raw(&mut self, markup: &'static str) -> &mut Html {
        self.0.push_str(markup);
        self
    }

    /// Appends `value` as text, escaped for element content and quoted attribute values.
    pub(crate) fn text(&mut self, value: &str) -> &mut Html {
        for ch in value.chars() {
            match ch {
                '&' => self.0.push_str("&amp;"),
                '<' => self.0.push_str("&lt;"),
                '>' => self.0.push_str("&gt;"),
                '"' => self.0.push_str("&quot;"),
                '\'' => self.0.push_str("&#39;"),
                other => self.0.push(other),
            }
        }
        self
    }

    /// Appends `<tag>value</tag>` for a fixed `open`/`close` pair.
    pub(crate) fn element(&mut self, open: &'static str, value: &str, close: &'static str) -> &mut Html {
        self.raw(open).text(value).raw(close)
    }

    /// The document.
    pub(crate) fn finish(self) -> String {
        self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_are_escaped_and_markup_is_not() {
        let mut html = Html::default();
        html.raw("<p title=\"")
            .text("a\"b'c")
            .raw("\">")
            .text("<script>alert(1)</script> & more")
            .raw("</p>");
        assert_eq!(
            html.finish(),
            "<p title=\"a&quot;b&#39;c\">&lt;script&gt;alert(1)&lt;/script&gt; &amp; more</p>"
        );
    }
}
