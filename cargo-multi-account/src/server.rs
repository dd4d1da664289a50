//! Wiring the server: the config value after the database connection, the
//! routes on the app (`configure` / `merge`) and the session-token middleware
//! just inside the app's session middleware. Where the installer does not
//! find those, it changes nothing and says what to add.

use quote::ToTokens;
use syn::spanned::Spanned;
use syn::visit::Visit;

use crate::error::InstallError;
use crate::project::{Framework, Package};
use crate::source::{SourceFile, insert_all};

/// What the wiring of one file came to.
pub(crate) enum Wiring {
    /// The file's new text, and what was done.
    Wired { source: SourceFile, after: String, done: Vec<String> },
    /// Wired already (it names `MultiAccountConfig`).
    Already(std::path::PathBuf),
    /// Not found: the manual step.
    NotFound(String),
}

struct Names {
    /// `App::new` / `Router::new`.
    root: &'static str,
    /// The session middleware's type.
    session: &'static str,
    /// The method that adds it (`wrap` / `layer`).
    wrap: &'static str,
}

fn names(framework: Framework) -> Names {
    match framework {
        Framework::Actix => Names { root: "App", session: "SessionMiddleware", wrap: "wrap" },
        Framework::Axum => Names { root: "Router", session: "SessionManagerLayer", wrap: "layer" },
    }
}

/// Wires the server package's code for `model` (the user entity's `Model`,
/// as a path from the server's code).
pub(crate) fn wire(package: &Package, framework: Framework, model: &str) -> Result<Wiring, InstallError> {
    let names = names(framework);
    for path in package.rust_files() {
        let text = std::fs::read_to_string(&path).map_err(InstallError::io(&path))?;
        if !text.contains(&format!("{}::new", names.root)) {
            continue;
        }
        if text.contains("MultiAccountConfig") {
            return Ok(Wiring::Already(path));
        }
        if !text.contains(names.session) {
            continue;
        }
        let source = SourceFile::parse(&path, text)?;
        if let Some(wiring) = wire_file(source, &names, framework, model) {
            return Ok(wiring);
        }
    }
    Ok(Wiring::NotFound(format!(
        "No `{}::new()` with a `{}` was found in {}: add the wiring by hand (below).",
        names.root,
        names.session,
        package.dir.join("src").display()
    )))
}

/// What the visit found in one file.
#[derive(Default)]
struct Found {
    /// Names bound to the session middleware (`let session = SessionMiddleware::..`).
    session_bindings: Vec<String>,
    /// The database connection's binding, where its `let` ends, and its function.
    db: Option<(String, usize, usize)>,
    /// The session middleware's `.wrap(..)` / `.layer(..)`: where its `.` is.
    session_call: Option<usize>,
    /// The function the app's chain is in.
    chain_fn: Option<usize>,
    /// The end of the chain's `App::new()` / `Router::new()`.
    root_end: Option<usize>,
}

struct Finder<'a> {
    source: &'a SourceFile,
    names: &'a Names,
    found: Found,
    /// Functions seen so far, and the one being visited (its number).
    functions: usize,
    current_fn: usize,
}

impl Finder<'_> {
    fn in_function(&mut self, visit: impl FnOnce(&mut Self)) {
        let outer = self.current_fn;
        self.functions += 1;
        self.current_fn = self.functions;
        visit(self);
        self.current_fn = outer;
    }
}

impl<'ast> Visit<'ast> for Finder<'_> {
    fn visit_item_fn(&mut self, item: &'ast syn::ItemFn) {
        self.in_function(|finder| syn::visit::visit_item_fn(finder, item));
    }

    fn visit_impl_item_fn(&mut self, item: &'ast syn::ImplItemFn) {
        self.in_function(|finder| syn::visit::visit_impl_item_fn(finder, item));
    }

    fn visit_local(&mut self, local: &'ast syn::Local) {
        if let (syn::Pat::Ident(binding), Some(init)) = (&local.pat, &local.init) {
            let init_text = init.expr.to_token_stream().to_string();
            if init_text.contains(self.names.session) {
                self.found.session_bindings.push(binding.ident.to_string());
            }
            if self.found.db.is_none() && init_text.contains("Database") && init_text.contains("connect") {
                let end = self.source.end_of(local.semi_token.span);
                self.found.db = Some((binding.ident.to_string(), end, self.current_fn));
            }
        }
        syn::visit::visit_local(self, local);
    }

    fn visit_expr_method_call(&mut self, call: &'ast syn::ExprMethodCall) {
        if call.method == self.names.wrap && self.found.session_call.is_none() {
            let arg = call.args.to_token_stream().to_string();
            // `session`, `session.clone()`..: the argument's first name.
            let first = arg.split(|c: char| !(c.is_alphanumeric() || c == '_')).next().unwrap_or_default();
            let is_session =
                arg.contains(self.names.session) || self.found.session_bindings.iter().any(|name| name == first);
            if is_session && let Some(root) = chain_root(&call.receiver, self.names.root) {
                self.found.session_call = Some(self.source.start_of(call.dot_token.span));
                self.found.root_end = Some(self.source.end_of(root.span()));
                self.found.chain_fn = Some(self.current_fn);
            }
        }
        syn::visit::visit_expr_method_call(self, call);
    }
}

/// The `Root::new()` call at the bottom of a method chain, if that is its root.
fn chain_root<'a>(mut expr: &'a syn::Expr, root: &str) -> Option<&'a syn::ExprCall> {
    loop {
        match expr {
            syn::Expr::MethodCall(call) => expr = &call.receiver,
            syn::Expr::Call(call) => {
                let syn::Expr::Path(path) = &*call.func else { return None };
                let segments: Vec<String> =
                    path.path.segments.iter().map(|segment| segment.ident.to_string()).collect();
                return (segments.len() >= 2
                    && segments[segments.len() - 2] == root
                    && segments[segments.len() - 1] == "new")
                    .then_some(call);
            }
            _ => return None,
        }
    }
}

fn wire_file(source: SourceFile, names: &Names, framework: Framework, model: &str) -> Option<Wiring> {
    let mut finder = Finder { source: &source, names, found: Found::default(), functions: 0, current_fn: 0 };
    finder.visit_file(&source.syntax);
    let found = finder.found;
    let (session_call, root_end) = (found.session_call?, found.root_end?);
    let Some((db, db_end, db_fn)) = found.db else {
        return Some(Wiring::NotFound(format!(
            "{}: no `let db = Database::connect(..)` found to build the config from: add the wiring by hand (below).",
            source.path.display()
        )));
    };
    // The config goes after the connection and is used in the chain: both
    // must be in one function, the connection first.
    if found.chain_fn != Some(db_fn) || db_end > root_end {
        return Some(Wiring::NotFound(format!(
            "{}: the database connection and the app are not built in one function, the connection first: \
             add the wiring by hand (below), passing the config to where the app is built.",
            source.path.display()
        )));
    }
    let (config_type, routes, token) = match framework {
        Framework::Actix => (
            "multi_account_actix::MultiAccountConfig",
            format!(".configure(multi_account.routes::<{model}>())"),
            ".wrap(multi_account_actix::SessionToken)".to_owned(),
        ),
        Framework::Axum => (
            "multi_account_axum::MultiAccountConfig",
            format!(".merge(multi_account.router::<{model}, _>())"),
            ".layer(multi_account.layer())".to_owned(),
        ),
    };
    let indent = source.indent_at(db_end).to_owned();
    let config = format!("\n{indent}let multi_account = {config_type}::new({db}.clone());");
    // A chain laid out one call per line gets one more line; one on a single
    // line, one more call on it.
    let on_own_line = |offset: usize| {
        source.text[..offset].ends_with([' ', '\t']) && {
            let line_start = source.text[..offset].rfind('\n').map_or(0, |newline| newline + 1);
            source.text[line_start..offset].trim().is_empty()
        }
    };
    let token_insert =
        if on_own_line(session_call) { format!("{token}\n{}", source.indent_at(session_call)) } else { token.clone() };
    let next_dot = source.text[root_end..].find('.').map(|at| at + root_end);
    let routes_insert = match next_dot {
        Some(dot) if on_own_line(dot) => format!("\n{}{routes}", source.indent_at(dot)),
        _ => routes.clone(),
    };
    let after =
        insert_all(&source.text, vec![(db_end, config), (root_end, routes_insert), (session_call, token_insert)]);
    let display = source.path.display().to_string();
    let done = vec![
        format!("{display}: `let multi_account = {config_type}::new({db}.clone());` after the database connection"),
        format!("{display}: `{routes}` on the app, `{token}` inside its session middleware"),
    ];
    Some(Wiring::Wired { source, after, done })
}

/// The wiring as the manual step shows it.
pub(crate) fn manual_wiring(framework: Framework, model: &str) -> String {
    match framework {
        Framework::Actix => format!(
            "Wire the server (inside `HttpServer::new`, with your actix-session `SessionMiddleware`):\n\n    \
             let multi_account = multi_account_actix::MultiAccountConfig::new(db.clone());\n    \
             App::new()\n        \
             .configure(multi_account.routes::<{model}>())\n        \
             // .. your routes ..\n        \
             .wrap(multi_account_actix::SessionToken)\n        \
             .wrap(session_middleware)"
        ),
        Framework::Axum => format!(
            "Wire the router (with your tower-sessions `SessionManagerLayer`):\n\n    \
             let multi_account = multi_account_axum::MultiAccountConfig::new(db.clone());\n    \
             let app = Router::new()\n        \
             .merge(multi_account.router::<{model}, _>())\n        \
             // .. your routes ..\n        \
             .layer(multi_account.layer())\n        \
             .layer(session_layer);"
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn wired(framework: Framework, text: &str) -> String {
        let source = SourceFile::parse(std::path::Path::new("main.rs"), text.to_owned()).unwrap();
        match wire_file(source, &names(framework), framework, "crate::user::Model") {
            Some(Wiring::Wired { after, .. }) => after,
            _ => panic!("not wired:\n{text}"),
        }
    }

    #[test]
    fn a_session_layer_bound_to_a_name_and_cloned_is_found() {
        let text = "fn main() {\n    let db = Database::connect(url).await?;\n    let sessions = SessionManagerLayer::new(store);\n    \
                    let app = Router::new()\n        .route(\"/\", get(home))\n        .layer(sessions.clone());\n}\n";
        let after = wired(Framework::Axum, text);
        assert!(
            after.contains("    let multi_account = multi_account_axum::MultiAccountConfig::new(db.clone());\n"),
            "{after}"
        );
        assert!(
            after.contains(
                "Router::new()\n        .merge(multi_account.router::<crate::user::Model, _>())\n        .route(\"/\", get(home))\n        \
                 .layer(multi_account.layer())\n        .layer(sessions.clone());"
            ),
            "{after}"
        );
    }

    #[test]
    fn the_connection_is_the_let_that_calls_database_connect() {
        let chain = "HttpServer::new(move || App::new().wrap(SessionMiddleware::new(store(), key.clone())));";
        for text in [
            format!(
                "fn main() {{\n    let pool = connect_metrics();\n    let db = Database::connect(url);\n    {chain}\n}}\n"
            ),
            format!(
                "fn main() {{\n    let db = Database::connect(url);\n    let pool = connect_metrics();\n    {chain}\n}}\n"
            ),
        ] {
            let after = wired(Framework::Actix, &text);
            assert!(after.contains("MultiAccountConfig::new(db.clone());"), "{after}");
        }
    }

    #[test]
    fn no_connection_no_wiring() {
        let text = "fn main() {\n    let key = Key::generate();\n    \
                    HttpServer::new(move || App::new().wrap(SessionMiddleware::new(store(), key.clone())));\n}\n";
        let source = SourceFile::parse(std::path::Path::new("main.rs"), text.to_owned()).unwrap();
        let wiring = wire_file(source, &names(Framework::Actix), Framework::Actix, "crate::user::Model");
        assert!(
            matches!(wiring, Some(Wiring::NotFound(message)) if message.contains("no `let db = Database::connect(..)`"))
        );
    }

    #[test]
    fn only_the_apps_own_root_is_wired() {
        // A session middleware on a `Scope`, not on `App::new()`: not the app.
        let text = "fn main() {\n    let db = Database::connect(url);\n    \
                    let scope = web::Scope::new(\"/x\").wrap(SessionMiddleware::new(store(), key.clone()));\n}\n";
        let source = SourceFile::parse(std::path::Path::new("main.rs"), text.to_owned()).unwrap();
        assert!(wire_file(source, &names(Framework::Actix), Framework::Actix, "crate::user::Model").is_none());
        // Nor a bare `new()`.
        let text = "fn main() {\n    let db = Database::connect(url);\n    \
                    let app = new().wrap(SessionMiddleware::new(store(), key.clone()));\n}\n";
        let source = SourceFile::parse(std::path::Path::new("main.rs"), text.to_owned()).unwrap();
        assert!(wire_file(source, &names(Framework::Actix), Framework::Actix, "crate::user::Model").is_none());
    }

    #[test]
    fn a_chain_on_one_line_gets_its_calls_on_that_line() {
        let text = "fn main() {\n    let db = sea_orm::Database::connect(url).await.unwrap();\n    \
                    HttpServer::new(move || App::new().wrap(SessionMiddleware::new(store(), key.clone())));\n}\n";
        let after = wired(Framework::Actix, text);
        assert!(
            after.contains(
                "App::new().configure(multi_account.routes::<crate::user::Model>()).wrap(multi_account_actix::SessionToken).wrap(SessionMiddleware"
            ),
            "{after}"
        );
    }

    #[test]
    fn no_session_middleware_no_wiring() {
        let text = "fn main() {\n    let db = Database::connect(url);\n    let app = App::new().route(\"/\", web::get().to(home));\n}\n";
        let source = SourceFile::parse(std::path::Path::new("main.rs"), text.to_owned()).unwrap();
        assert!(wire_file(source, &names(Framework::Actix), Framework::Actix, "crate::user::Model").is_none());
    }

    #[test]
    fn an_app_built_in_another_function_than_the_connection_is_left_to_do() {
        let chain = "Router::new().layer(SessionManagerLayer::new(store))";
        let cases = [
            // The app's function first, or after the connection's.
            format!(
                "fn app() -> Router {{\n    {chain}\n}}\n\nasync fn main() {{\n    let db = Database::connect(url).await;\n}}\n"
            ),
            format!(
                "async fn main() {{\n    let db = Database::connect(url).await;\n}}\n\nfn app() -> Router {{\n    {chain}\n}}\n"
            ),
            // Two methods of one impl.
            format!(
                "impl Server {{\n    async fn db(&self) {{\n        let db = Database::connect(url).await;\n    }}\n\n    \
                 fn app(&self) -> Router {{\n        {chain}\n    }}\n}}\n"
            ),
            // One function, the app before the connection.
            format!("async fn main() {{\n    let app = {chain};\n    let db = Database::connect(url).await;\n}}\n"),
        ];
        for text in cases {
            let source = SourceFile::parse(std::path::Path::new("main.rs"), text.clone()).unwrap();
            let wiring = wire_file(source, &names(Framework::Axum), Framework::Axum, "crate::user::Model");
            assert!(
                matches!(&wiring, Some(Wiring::NotFound(message)) if message.contains("not built in one function")),
                "{text}\n{}",
                match wiring {
                    Some(Wiring::Wired { after, .. }) => after,
                    _ => "not wired, but no reason given".to_owned(),
                }
            );
        }
        // One function, the connection first: wired.
        let text =
            format!("async fn main() {{\n    let db = Database::connect(url).await;\n    let app = {chain};\n}}\n");
        let source = SourceFile::parse(std::path::Path::new("main.rs"), text).unwrap();
        let wiring = wire_file(source, &names(Framework::Axum), Framework::Axum, "crate::user::Model");
        assert!(matches!(wiring, Some(Wiring::Wired { .. })));
    }
}
