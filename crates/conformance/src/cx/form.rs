//! Reads the login form out of a provider's HTML page: its action and hidden fields.

/// A login form: its action and hidden fields.
pub(super) struct LoginForm {
    /// The `action` attribute, unescaped.
    pub(super) action: String,
    /// The hidden inputs' names and values.
    pub(super) hidden: Vec<(String, String)>,
}

/// The first form of `html` that has a password field.
pub(super) fn login_form(html: &str) -> Option<LoginForm> {
    let start = html.find("<form")?;
    let form = &html[start..];
    let end = form.find("</form>").unwrap_or(form.len());
    let form = &form[..end];
    let tag_end = form.find('>')?;
    let action = attribute(&form[..tag_end], "action")?;
    if !form.contains("name=\"password\"") {
        return None;
    }
    let mut hidden = Vec::new();
    for input in form.split("<input").skip(1) {
        let tag = &input[..input.find('>').unwrap_or(input.len())];
        if attribute(tag, "type").as_deref() == Some("hidden")
            && let Some(name) = attribute(tag, "name")
        {
            hidden.push((name, attribute(tag, "value").unwrap_or_default()));
        }
    }
    Some(LoginForm { action, hidden })
}

fn attribute(tag: &str, name: &str) -> Option<String> {
    let needle = format!("{name}=\"");
    let start = tag.find(&needle)? + needle.len();
    let value = &tag[start..];
    let end = value.find('"')?;
    Some(unescape(&value[..end]))
}

fn unescape(text: &str) -> String {
    text.replace("&amp;", "&")
        .replace("&quot;", "\"")
        .replace("&#39;", "'")
        .replace("&#x27;", "'")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
}
