//! The page templates (minijinja), embedded in the binary.

use std::sync::LazyLock;

use minijinja::Environment;

/// Every template: name and source.
const SOURCES: [(&str, &str); 7] = [
    ("base.html", include_str!("../templates/base.html")),
    ("home.html", include_str!("../templates/home.html")),
    ("sign_in.html", include_str!("../templates/sign_in.html")),
    ("link.html", include_str!("../templates/link.html")),
    ("email_link.html", include_str!("../templates/email_link.html")),
    ("error.html", include_str!("../templates/error.html")),
    ("macros.html", include_str!("../templates/macros.html")),
];

/// The stylesheet served at `/static/app.css`.
pub(crate) const APP_CSS: &str = include_str!("../static/app.css");

/// The environment, or why a template did not parse (kept as text:
/// `minijinja::Error` is not `Clone`).
static ENVIRONMENT: LazyLock<Result<Environment<'static>, String>> = LazyLock::new(|| {
    let mut env = Environment::new();
    // A `{% %}` tag alone on its line leaves no blank line in the page.
    env.set_trim_blocks(true);
    env.set_lstrip_blocks(true);
    for (name, source) in SOURCES {
        env.add_template(name, source).map_err(|error| format!("{error:#}"))?;
    }
    Ok(env)
});

fn environment() -> Result<&'static Environment<'static>, minijinja::Error> {
    ENVIRONMENT.as_ref().map_err(|message| minijinja::Error::new(minijinja::ErrorKind::SyntaxError, message.clone()))
}

/// Fails if a template does not parse; called once at start-up.
pub(crate) fn check() -> Result<(), minijinja::Error> {
    environment().map(|_| ())
}

/// Renders the template `name` (HTML auto-escaped) with `context`.
pub(crate) fn render(name: &str, context: minijinja::Value) -> Result<String, minijinja::Error> {
    environment()?.get_template(name)?.render(context)
}
