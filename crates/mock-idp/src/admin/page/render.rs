//! The page's HTML, written through [`Html`] so every value is escaped.

use super::html::Html;
use crate::app::App;
use crate::jwt_view as jwt;
use crate::request_log::{LogFilter, LoggedRequest};

/// How many of the newest logged requests the page shows.
pub(crate) const LAST_REQUESTS: usize = 50;

/// At most this many users and clients are listed per realm.
pub(crate) const MAX_ROWS: usize = 200;

const STYLE: &str = "<style>
body{font:14px/1.45 system-ui,sans-serif;margin:0;color:#1d2329;background:#f6f7f9}
header{background:#1f3a5f;color:#fff;padding:12px 24px}
header h1{margin:0;font-size:20px}
main{padding:8px 24px 32px;max-width:1232px}
section{background:#fff;border:1px solid #d8dde3;border-radius:6px;margin:16px 0;padding:8px 16px 12px}
h2{font-size:17px;margin:8px 0}h3{font-size:15px;margin:12px 0 4px}
table{border-collapse:collapse;width:100%;margin:4px 0}
th,td{text-align:left;vertical-align:top;padding:3px 8px;border-bottom:1px solid #e6e9ed}
th{background:#eef1f4;font-weight:600}
code,pre{font:12px/1.4 ui-monospace,monospace}
pre{background:#f3f5f7;padding:6px;margin:2px 0;white-space:pre-wrap;word-break:break-all}
.muted{color:#5f6b76}.err{color:#b3261e;font-weight:600}.ok{color:#1f7a3a}
textarea{width:100%;height:60px;font:12px ui-monospace,monospace}
</style>";

/// The whole page; `token` is a token to decode, from the form.
pub(crate) fn page(app: &App, token: Option<&str>) -> String {
    let mut html = Html::default();
    html.raw("<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\">")
        .raw("<meta name=\"viewport\" content=\"width=device-width\"><title>mock-idp</title>")
        .raw(STYLE)
        .raw("</head><body><header><h1>mock-idp</h1><span>provider ")
        .text(&format!("{:?}", app.provider))
        .raw(" · ")
        .text(&app.public_url)
        .raw(" · admin API: <code>/_mock/openapi.json</code></span></header><main>");
    realms(&mut html, app);
    requests(&mut html, app);
    faults(&mut html, app);
    decoder(&mut html, token);
    html.raw("</main></body></html>");
    html.finish()
}

fn realms(html: &mut Html, app: &App) {
    html.raw("<section id=\"realms\"><h2>Realms</h2>");
    for name in app.world().realms.keys() {
        let issuer = app.site(name).issuer();
        html.raw("<h3 class=\"realm\">")
            .text(name)
            .raw("</h3><div class=\"muted\">issuer <code>")
            .text(&issuer)
            .raw("</code></div>");
        clients(html, app, name);
        users(html, app, name);
    }
    html.raw("</section>");
}

fn clients(html: &mut Html, app: &App, realm: &str) {
    let Ok(clients) = super::super::clients::list(app, realm) else {
        return;
    };
    html.raw("<table class=\"clients\"><tr><th>client</th><th>type</th><th>grant types</th><th>redirect URIs</th><th>scopes</th></tr>");
    for client in clients.iter().take(MAX_ROWS) {
        html.element("<tr><td><code>", &client.client_id, "</code></td>")
            .element("<td>", &format!("{:?}", client.kind).to_lowercase(), "</td>")
            .element(
                "<td>",
                &join(client.grant_types.iter().map(|g| format!("{g:?}"))),
                "</td>",
            )
            .element("<td>", &client.redirect_uris.join(" "), "</td>")
            .element("<td>", &client.scopes.join(" "), "</td></tr>");
    }
    html.raw("</table>");
    more(html, clients.len(), "clients");
}

fn users(html: &mut Html, app: &App, realm: &str) {
    let Ok(users) = super::super::users::list(app, realm) else {
        return;
    };
    html.raw("<table class=\"users\"><tr><th>user</th><th>sub</th><th>name</th><th>email</th><th>realm roles</th><th>enabled</th></tr>");
    for user in users.iter().take(MAX_ROWS) {
        html.element("<tr><td><code>", &user.username, "</code></td>")
            .element("<td><code>", &user.id, "</code></td>")
            .element("<td>", user.name.as_deref().unwrap_or(""), "</td>")
            .element("<td>", user.email.as_deref().unwrap_or(""), "</td>")
            .element("<td>", &user.realm_roles.join(" "), "</td>")
            .element("<td>", if user.enabled { "yes" } else { "no" }, "</td></tr>");
    }
    html.raw("</table>");
    more(html, users.len(), "users");
}

fn more(html: &mut Html, total: usize, what: &'static str) {
    if total > MAX_ROWS {
        html.raw("<div class=\"muted\">")
            .text(&format!("and {} more {what} (see the admin API)", total - MAX_ROWS))
            .raw("</div>");
    }
}

fn requests(html: &mut Html, app: &App) {
    let listing = app.request_log.list(&LogFilter::default());
    html.raw("<section id=\"requests\"><h2>Last requests</h2><div class=\"muted\">")
        .text(&format!(
            "newest first, {} of {} kept (log capacity {}, {} dropped); credentials, codes and tokens are masked by the log",
            listing.entries.len().min(LAST_REQUESTS),
            listing.entries.len(),
            listing.capacity,
            listing.dropped
        ))
        .raw("</div><table><tr><th>#</th><th>time</th><th>realm</th><th>request</th><th>client</th><th>status</th><th>parameters</th></tr>");
    for entry in listing.entries.iter().rev().take(LAST_REQUESTS) {
        request(html, entry);
    }
    html.raw("</table></section>");
}

fn request(html: &mut Html, entry: &LoggedRequest) {
    html.element("<tr class=\"request\"><td>", &entry.id.to_string(), "</td>")
        .element("<td>", &entry.time.to_string(), "</td>")
        .element("<td>", &entry.realm, "</td>")
        .raw("<td>")
        .text(&entry.endpoint)
        .raw("<br><code>")
        .text(&format!("{} {}", entry.method, entry.path))
        .raw("</code></td>")
        .element("<td>", entry.client.as_deref().unwrap_or(""), "</td>");
    if entry.status >= 400 {
        html.raw("<td class=\"err\">");
    } else {
        html.raw("<td class=\"ok\">");
    }
    html.text(&entry.status.to_string());
    if let Some(error) = &entry.error {
        html.raw(" ").text(error);
    }
    html.raw("</td><td>");
    let values = entry.params.iter().chain(entry.headers.iter());
    for (name, value) in values {
        html.raw("<div><code>")
            .text(name)
            .raw("=")
            .text(value)
            .raw("</code></div>");
    }
    for logged in &entry.tokens {
        html.element("<div class=\"muted\">", &logged.source, "</div>");
        token(html, &logged.header, logged.claims.as_ref());
    }
    html.raw("</td></tr>");
}

fn token(html: &mut Html, header: &serde_json::Value, claims: Option<&serde_json::Value>) {
    html.raw("<div class=\"token\">header<pre>")
        .text(&jwt::pretty(header))
        .raw("</pre>");
    match claims {
        Some(claims) => html.raw("claims<pre>").text(&jwt::pretty(claims)).raw("</pre>"),
        None => html.raw("<div class=\"muted\">claims: encrypted or not JSON</div>"),
    };
    html.raw("</div>");
}

fn faults(html: &mut Html, app: &App) {
    let active = app.faults.list();
    html.raw("<section id=\"faults\"><h2>Active faults</h2>");
    if active.is_empty() {
        html.raw("<div class=\"muted\">none</div>");
    } else {
        html.raw(
            "<table><tr><th>realm</th><th>endpoint</th><th>fault</th><th>scope</th><th>fired</th><th>hits</th></tr>",
        );
        for fault in active {
            let rule = &fault.rule;
            let hits = match &rule.realm {
                Some(realm) => app.faults.hits_in(realm, rule.endpoint),
                None => app.faults.hits(rule.endpoint),
            };
            html.element(
                "<tr class=\"fault\"><td>",
                rule.realm.as_deref().unwrap_or("(every realm)"),
                "</td>",
            )
            .element("<td>", &format!("{:?}", rule.endpoint), "</td>")
            .element("<td><code>", &format!("{:?}", rule.fault), "</code></td>")
            .element("<td>", &format!("{:?}", rule.scope), "</td>")
            .element("<td>", &fault.fired.to_string(), "</td>")
            .element("<td>", &hits.to_string(), "</td></tr>");
        }
        html.raw("</table>");
    }
    html.raw("</section>");
}

fn decoder(html: &mut Html, token: Option<&str>) {
    html.raw("<section id=\"decode\"><h2>Decode a token</h2>")
        .raw("<form method=\"get\"><textarea name=\"token\" placeholder=\"a compact JWT (header.payload.signature)\">")
        .text(token.unwrap_or(""))
        .raw("</textarea><button type=\"submit\">decode</button> <span class=\"muted\">decoded only, never verified</span></form>");
    if let Some(token) = token.filter(|token| !token.trim().is_empty()) {
        match jwt::decode(token) {
            Ok(decoded) => self::token(html, &decoded.header, decoded.claims.as_ref()),
            Err(err) => {
                html.element("<div class=\"err\">", &err.to_string(), "</div>");
            }
        }
    }
    html.raw("</section>");
}

fn join(items: impl Iterator<Item = String>) -> String {
    items.collect::<Vec<_>>().join(" ")
}
