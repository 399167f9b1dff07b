//! `GET /about`: what this server is, its rules and whom to contact. `/api/v2/instance`
//! advertises it as `configuration.urls.about`, so clients link to it.

use askama::Template;

use crate::render::{Layout, WebResult, ok};
use crate::session::Ctx;

#[derive(Template)]
#[template(path = "about.html")]
pub struct AboutPage {
    pub l: Layout,
    pub title: String,
    pub description: String,
    /// Empty when the operator configured none.
    pub contact_email: String,
    pub domain: String,
    /// The server's rules, in order (`#rules`, linked from sign-up).
    pub rules: Vec<String>,
}

/// `GET /about`
pub async fn page(ctx: Ctx) -> WebResult {
    let settings = ctx.services().settings();
    ok(&AboutPage {
        l: Layout::new(&ctx, "about", format!("About {}", settings.title)),
        title: settings.title.clone(),
        description: settings.description.clone(),
        contact_email: settings.contact_email.clone(),
        domain: settings.domain.clone(),
        rules: settings.texts.rules.clone(),
    })
}
