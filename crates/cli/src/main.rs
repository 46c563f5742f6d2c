//! `clientele`: reads configuration, builds the state, serves the router. Nothing else.

mod bulk;
mod seed;

/// mimalloc instead of the system allocator: a bulk import allocates and frees several small
/// values per field of every row (docs/performance.md, "Bulk import and export").
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

use std::io::IsTerminal;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Duration;

use clap::error::{ContextKind, ContextValue};
use clap::{CommandFactory, Parser, Subcommand, ValueEnum};
use clientele_api::config::{parse_cors_origins, Config, Secret};
use clientele_api::jwt::JwtVerifier;
use clientele_api::ratelimit::{self, FailMode, RateLimiter};
use clientele_api::server::ServerLimits;
use clientele_api::{keys, AppState};
use clientele_core::bulk::Format;
use clientele_core::enums::Permission;
use clientele_core::store::ImportMode;
use clientele_core::tenant::{parse_permissions, RateLimit};
use clientele_core::types::{CurrencyCode, TenantName};
use clientele_core::{Store, StoreError};

const DEFAULT_DATABASE: &str = "sqlite://clientele.db";
/// In-flight requests get this long to finish after SIGTERM/SIGINT.
const DRAIN_TIMEOUT: Duration = Duration::from_secs(20);

#[derive(Parser)]
#[command(name = "clientele", version, about = "Client master-data service")]
struct Cli {
    /// Database URL: sqlite://FILE (created if missing) or postgres://...
    /// [env: CLIENTELE_DATABASE_URL, then DATABASE_URL] [default: sqlite://clientele.db]
    #[arg(long, global = true)]
    database: Option<String>,

    /// Log output format.
    #[arg(long, global = true, env = "CLIENTELE_LOG_FORMAT", value_enum, default_value_t = LogFormat::Pretty)]
    log_format: LogFormat,

    #[command(subcommand)]
    command: Command,
}

#[derive(Clone, Copy, ValueEnum)]
enum LogFormat {
    Pretty,
    Json,
}

#[derive(Subcommand)]
enum Command {
    /// Serve the API (applies pending migrations first).
    Serve(ServeArgs),
    /// Apply pending migrations and exit.
    Migrate,
    /// Manage tenants.
    Tenants {
        #[command(subcommand)]
        command: TenantCommand,
    },
    /// Manage API keys.
    Keys {
        #[command(subcommand)]
        command: KeyCommand,
    },
    /// Print the OpenAPI document.
    Openapi,
    /// Import clients from NDJSON (one POST /v1/clients body per line) or CSV (a header row of
    /// dotted field names); prints one summary line. Exit status 0 when no row failed, 1 when
    /// some did (or the import stopped), 2 on a usage error.
    Import {
        /// The file to read; `-` reads standard input.
        file: String,
        /// Tenant to import into.
        #[arg(long)]
        tenant: String,
        /// ndjson or csv; by default the file's extension (.csv, .ndjson, .jsonl), else ndjson.
        #[arg(long, value_parser = ["ndjson", "csv"])]
        format: Option<String>,
        /// create: every row creates a client (a taken external_id fails the row); upsert: a row
        /// whose external_id names a client replaces its fields.
        #[arg(long, value_parser = ["create", "upsert"], default_value = "create")]
        mode: String,
        /// Write each error of a failed row here as one JSON object per line (line, field,
        /// code, message); by default to standard error.
        #[arg(long = "errors", value_name = "ERRFILE")]
        errors: Option<PathBuf>,
    },
    /// Export the tenant's clients (archived ones too) to standard output, in creation order.
    Export {
        /// Tenant to export.
        #[arg(long)]
        tenant: String,
        /// ndjson (one client per line, as GET /v1/clients/{id} shows it) or csv.
        #[arg(long, value_parser = ["ndjson", "csv"])]
        format: String,
        /// A filter expression, as the list's `filter` parameter.
        #[arg(long)]
        filter: Option<String>,
    },
    /// Insert realistic demo clients (for trying the API and for benchmarks).
    SeedDemo {
        /// Tenant to fill; created if missing.
        #[arg(long)]
        tenant: String,
        /// How many clients to insert.
        #[arg(long)]
        count: u64,
        /// Seed of the generator: the same seed gives the same clients.
        #[arg(long, default_value_t = 1)]
        seed: u64,
        /// Do not draw the progress bar.
        #[arg(long)]
        quiet: bool,
    },
}

#[derive(clap::Args)]
struct ServeArgs {
    /// Address to listen on.
    #[arg(long, env = "CLIENTELE_BIND", default_value = "127.0.0.1:8080")]
    bind: SocketAddr,
    /// HS256 secret for JWT bearer tokens (at least 32 bytes).
    #[arg(long, env = "CLIENTELE_JWT_SECRET", hide_env_values = true)]
    jwt_secret: Option<Secret>,
    /// Path of a PEM public key for JWT bearer tokens: RSA (RS256) or P-256 EC (ES256).
    #[arg(long, env = "CLIENTELE_JWT_PUBLIC_KEY")]
    jwt_public_key: Option<PathBuf>,
    /// Default per-credential rate limit, e.g. 1200/min (units s, min, h).
    #[arg(long, env = "CLIENTELE_RATE_LIMIT", value_parser = parse_rate_limit, default_value = "1200/min")]
    rate_limit: RateLimit,
    /// Redis URL for rate-limit state shared by several instances (default: per instance).
    #[arg(long, env = "CLIENTELE_REDIS_URL", hide_env_values = true)]
    redis_url: Option<String>,
    /// Prefix of the rate limiter's Redis keys.
    #[arg(long, env = "CLIENTELE_REDIS_PREFIX", default_value = ratelimit::DEFAULT_REDIS_PREFIX)]
    redis_prefix: String,
    /// When Redis is unreachable: open = keep limiting per instance, closed = answer 503.
    #[arg(long, env = "CLIENTELE_REDIS_FAILURE", value_parser = parse_fail_mode, default_value = "open")]
    redis_failure: FailMode,
    /// Comma-separated origins allowed to call the API from browsers (CORS off when unset).
    #[arg(long, env = "CLIENTELE_CORS_ORIGINS", value_parser = parse_cors, default_value = "")]
    cors_origins: CorsOrigins,
    /// Highest rate limit a key created through POST /v1/api-keys may have (default: the
    /// --rate-limit value); `clientele keys create` is not bound by it.
    #[arg(long, env = "CLIENTELE_MAX_KEY_RATE_LIMIT", value_parser = parse_rate_limit)]
    max_key_rate_limit: Option<RateLimit>,
    /// Longest a request may take, in seconds, before it is answered with 503.
    #[arg(long, env = "CLIENTELE_REQUEST_TIMEOUT", value_parser = clap::value_parser!(u64).range(1..=3600), default_value_t = 30)]
    request_timeout: u64,
    /// Seconds a client has to send a request's headers, from their first byte (from the
    /// accept for a new connection); then 408 and the connection is closed.
    #[arg(long, env = "CLIENTELE_HEADER_TIMEOUT", value_parser = clap::value_parser!(u64).range(1..=3600), default_value_t = 10)]
    header_timeout: u64,
    /// Seconds a keep-alive connection may wait for its next request (or a client may leave a
    /// response unread) before it is closed.
    #[arg(long, env = "CLIENTELE_IDLE_TIMEOUT", value_parser = clap::value_parser!(u64).range(1..=86400), default_value_t = 60)]
    idle_timeout: u64,
    /// Most connections served at once; further ones wait until one closes. Keep it below the
    /// process's open-file limit.
    #[arg(long, env = "CLIENTELE_MAX_CONNECTIONS", value_parser = clap::value_parser!(u64).range(1..=1_000_000), default_value_t = 512)]
    max_connections: u64,
}

#[derive(Clone)]
struct CorsOrigins(Vec<axum::http::HeaderValue>);

fn parse_cors(s: &str) -> Result<CorsOrigins, String> {
    parse_cors_origins(s).map(CorsOrigins)
}
fn parse_fail_mode(s: &str) -> Result<FailMode, String> {
    FailMode::parse(s)
}

#[derive(Subcommand)]
enum TenantCommand {
    /// Create a tenant; NAME matches [a-z0-9][a-z0-9-]{0,62}.
    Create {
        #[arg(value_parser = parse_tenant_name)]
        name: TenantName,
        /// The tenant's default currency (ISO 4217): what a credit amount written without a
        /// currency takes when its client has none.
        #[arg(long, env = "CLIENTELE_CURRENCY", value_parser = parse_currency, default_value = "EUR")]
        currency: CurrencyCode,
    },
}

#[derive(Subcommand)]
enum KeyCommand {
    /// Create an API key; the key is printed alone on the last line, once.
    Create {
        #[arg(long)]
        tenant: String,
        /// Comma-separated: clients:read, clients:write, clients:delete, audit:read, admin.
        #[arg(long, value_parser = parse_permission_list)]
        permissions: PermissionList,
        /// Per-key rate limit, e.g. 600/min.
        #[arg(long, value_parser = parse_rate_limit)]
        rate_limit: Option<RateLimit>,
        /// A label to recognise the key by.
        #[arg(long)]
        name: Option<String>,
    },
    /// List a tenant's keys (never their plaintext).
    List {
        #[arg(long)]
        tenant: String,
    },
    /// Revoke a key by id; it answers 401 at once.
    Revoke {
        #[arg(value_parser = parse_uuid)]
        key_id: uuid::Uuid,
    },
}

#[derive(Clone)]
struct PermissionList(Vec<Permission>);

fn parse_tenant_name(s: &str) -> Result<TenantName, String> {
    TenantName::parse(s).map_err(|e| e.message)
}
fn parse_currency(s: &str) -> Result<CurrencyCode, String> {
    CurrencyCode::parse(s).map_err(|e| e.message)
}
fn parse_permission_list(s: &str) -> Result<PermissionList, String> {
    parse_permissions(s)
        .map(PermissionList)
        .map_err(|e| e.message)
}
fn parse_rate_limit(s: &str) -> Result<RateLimit, String> {
    RateLimit::parse(s).map_err(|e| e.message)
}
fn parse_uuid(s: &str) -> Result<uuid::Uuid, String> {
    uuid::Uuid::parse_str(s).map_err(|_| "must be a key id (UUID)".to_string())
}

fn database_url(flag: Option<String>) -> String {
    flag.or_else(|| std::env::var("CLIENTELE_DATABASE_URL").ok())
        .or_else(|| std::env::var("DATABASE_URL").ok())
        .filter(|s| !s.is_empty())
        .unwrap_or_else(|| DEFAULT_DATABASE.to_string())
}

fn init_logs(format: LogFormat) {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    // Colour only on a terminal: a log file or pipe gets plain text (and NO_COLOR is honoured).
    let colour = std::io::stderr().is_terminal() && std::env::var_os("NO_COLOR").is_none();
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(colour)
        .with_writer(std::io::stderr);
    match format {
        LogFormat::Json => builder.json().flatten_event(true).init(),
        LogFormat::Pretty => builder.init(),
    }
}

/// A failure the user can act on, printed as one line.
struct Fail(String);

impl From<StoreError> for Fail {
    fn from(e: StoreError) -> Self {
        Fail(match e {
            StoreError::Unavailable(m) | StoreError::Other(m) => m,
            other => other.to_string(),
        })
    }
}

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(c) => c,
        Err(e) => return usage_error(e),
    };
    init_logs(cli.log_format);
    clientele_api::logging::install_panic_hook();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(r) => r,
        Err(e) => {
            eprintln!("error: cannot start the runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(run(cli)) {
        Ok(code) => code,
        Err(Fail(msg)) => {
            eprintln!("error: {msg}");
            ExitCode::FAILURE
        }
    }
}

/// Prints clap's whole message: what is wrong, the accepted values, "did you mean", the usage;
/// for a missing subcommand, the help with the list of commands. `--help` and `--version` go to
/// stdout and succeed; everything else exits 2.
fn usage_error(mut e: clap::Error) -> ExitCode {
    if !e.use_stderr() {
        let _ = e.print();
        return ExitCode::SUCCESS;
    }
    if let Some((var, flag)) = value_from_environment(&e) {
        // clap names the flag even when the value came from its variable.
        e.insert(ContextKind::InvalidArg, ContextValue::String(var.clone()));
        let tip = format!("{var} is read when {flag} is not given: correct or unset it").into();
        let tips = match e.get(ContextKind::Suggested) {
            Some(ContextValue::StyledStrs(tips)) => tips.iter().cloned().chain([tip]).collect(),
            _ => vec![tip],
        };
        e.insert(ContextKind::Suggested, ContextValue::StyledStrs(tips));
    }
    let _ = e.print();
    ExitCode::from(u8::try_from(e.exit_code()).unwrap_or(2))
}

/// For an invalid value: the environment variable it was read from and its flag, when the flag
/// was not on the command line and the variable is set.
fn value_from_environment(e: &clap::Error) -> Option<(String, String)> {
    let Some(ContextValue::String(arg)) = e.get(ContextKind::InvalidArg) else {
        return None;
    };
    // `--rate-limit <RATE_LIMIT>`
    let long = arg.split_whitespace().next()?.strip_prefix("--")?;
    let var = env_of(&Cli::command(), long)?;
    let flag = format!("--{long}");
    let on_command_line = std::env::args_os()
        .skip(1)
        .take_while(|a| a != "--")
        .any(|a| {
            let a = a.to_string_lossy();
            a == flag || a.starts_with(&format!("{flag}="))
        });
    (!on_command_line && std::env::var_os(&var).is_some()).then_some((var, flag))
}

/// The environment variable of the flag `--long`, in this command or a subcommand.
fn env_of(cmd: &clap::Command, long: &str) -> Option<String> {
    cmd.get_arguments()
        .filter(|a| a.get_long() == Some(long))
        .find_map(|a| a.get_env())
        .map(|v| v.to_string_lossy().into_owned())
        .or_else(|| cmd.get_subcommands().find_map(|s| env_of(s, long)))
}

async fn open_store(url: &str) -> Result<Arc<dyn Store>, Fail> {
    let store = clientele_store::open(url).map_err(|e| at_database(url, e))?;
    store.migrate().await.map_err(|e| at_database(url, e))?;
    Ok(store)
}

/// A failure to open the store, naming the database (without its password) unless the store's
/// message already does.
fn at_database(url: &str, e: StoreError) -> Fail {
    let Fail(msg) = e.into();
    let shown = redact_url(url);
    let place = shown.strip_prefix("sqlite://").unwrap_or(&shown);
    if msg.contains(place) {
        Fail(msg)
    } else {
        Fail(format!("{shown}: {msg}"))
    }
}

/// The URL without its password: `postgres://user:secret@host/db?password=x` →
/// `postgres://user@host/db`.
fn redact_url(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_string();
    };
    let (rest, query) = match rest.split_once('?') {
        Some((r, q)) => (r, Some(q)),
        None => (rest, None),
    };
    let authority_end = rest.find('/').unwrap_or(rest.len());
    let (authority, path) = rest.split_at(authority_end);
    let authority = match authority.rsplit_once('@') {
        Some((user_info, host)) => {
            let user = user_info.split(':').next().unwrap_or("");
            format!("{user}@{host}")
        }
        None => authority.to_string(),
    };
    let mut out = format!("{scheme}://{authority}{path}");
    let params: Vec<&str> = query
        .unwrap_or("")
        .split('&')
        .filter(|p| !p.is_empty())
        .filter(|p| {
            let key = p.split('=').next().unwrap_or("");
            !key.eq_ignore_ascii_case("password")
        })
        .collect();
    if !params.is_empty() {
        out.push('?');
        out.push_str(&params.join("&"));
    }
    out
}

async fn tenant(store: &dyn Store, name: &str) -> Result<clientele_core::Tenant, Fail> {
    store.tenant_by_name(name).await?.ok_or_else(|| {
        Fail(format!(
            "no tenant named {name:?}; create it with `clientele tenants create {name}`"
        ))
    })
}

async fn run(cli: Cli) -> Result<ExitCode, Fail> {
    let url = database_url(cli.database);
    match cli.command {
        Command::Import {
            file,
            tenant: name,
            format,
            mode,
            errors,
        } => {
            let format = format
                .as_deref()
                .and_then(Format::parse)
                .or_else(|| Format::from_file_name(&file))
                .unwrap_or(Format::Ndjson);
            let mode = if mode == "upsert" {
                ImportMode::Upsert
            } else {
                ImportMode::Create
            };
            let sink: Box<dyn std::io::Write + Send> = match &errors {
                Some(path) => Box::new(std::io::BufWriter::new(
                    std::fs::File::create(path)
                        .map_err(|e| Fail(format!("cannot create {}: {e}", path.display())))?,
                )),
                None => Box::new(std::io::stderr()),
            };
            let store = open_store(&url).await?;
            let t = tenant(store.as_ref(), &name).await?;
            // The import's id first (its audit records carry it), so that it is known even if
            // the import is interrupted; the summary stays the last line.
            let import_id = clientele_core::bulk::new_import_id();
            println!("import {import_id}");
            std::io::Write::flush(&mut std::io::stdout())
                .map_err(|e| Fail(format!("cannot write to standard output: {e}")))?;
            let imported = bulk::import(store.clone(), &t, &import_id, &file, format, mode, sink)
                .await
                .map_err(Fail);
            // Closing leaves the file at rest: the WAL folded in, the import's full-text
            // segments merged (the next server does not have to).
            store.close().await?;
            match imported? {
                bulk::ImportEnd::Done {
                    summary,
                    any_failed,
                } => {
                    println!("{summary}");
                    if any_failed {
                        return Ok(ExitCode::FAILURE);
                    }
                }
                bulk::ImportEnd::Stopped(message) => return Err(Fail(message)),
            }
        }
        Command::Export {
            tenant: name,
            format,
            filter,
        } => {
            let format = Format::parse(&format).unwrap_or(Format::Ndjson);
            let store = open_store(&url).await?;
            let t = tenant(store.as_ref(), &name).await?;
            bulk::export(store.as_ref(), &t, format, filter)
                .await
                .map_err(Fail)?;
        }
        Command::Openapi => {
            let doc = clientele_api::openapi();
            let text = serde_json::to_string_pretty(&doc).map_err(|e| Fail(e.to_string()))?;
            println!("{text}");
        }
        Command::Migrate => {
            let store = clientele_store::open(&url).map_err(|e| at_database(&url, e))?;
            let n = store.migrate().await.map_err(|e| at_database(&url, e))?;
            println!("applied {n} migration(s)");
        }
        Command::Tenants {
            command: TenantCommand::Create { name, currency },
        } => {
            let store = open_store(&url).await?;
            let created = store.create_tenant_with_currency(&name, &currency).await;
            let t = created.map_err(|e| match e {
                StoreError::Conflict(_) => Fail(format!("tenant \"{name}\" already exists")),
                other => other.into(),
            })?;
            println!(
                "created tenant {} ({}), default currency {}",
                t.name, t.id.0, t.default_currency
            );
        }
        Command::Keys { command } => keys_command(&url, command).await?,
        Command::Serve(args) => {
            // Every value is checked before the store is opened or the port bound.
            let config = server_config(&args)?;
            let limits = ServerLimits {
                header_timeout: Duration::from_secs(args.header_timeout),
                idle_timeout: Duration::from_secs(args.idle_timeout),
                max_connections: usize::try_from(args.max_connections).unwrap_or(usize::MAX),
            };
            serve(&url, args.bind, config, limits).await?
        }
        Command::SeedDemo {
            tenant: name,
            count,
            seed,
            quiet,
        } => {
            let store = open_store(&url).await?;
            let t = match store.tenant_by_name(&name).await? {
                Some(t) => t,
                None => {
                    let n = TenantName::parse(&name).map_err(|e| Fail(e.message))?;
                    store.create_tenant(&n).await?
                }
            };
            let ctx = clientele_core::WriteCtx {
                tenant: t.id,
                actor: "seed-demo".into(),
                idempotency: None,
                fill_currency: None,
                // The bulk import's path, so its records name it as an import's do.
                import_id: Some(clientele_core::bulk::new_import_id()),
            };
            let started = std::time::Instant::now();
            let n = seed::seed_demo(store.as_ref(), &ctx, count, seed, !quiet)
                .await
                .map_err(Fail)?;
            // As after an import: the file at rest, its full-text segments merged.
            store.close().await?;
            println!(
                "inserted {n} demo clients into tenant {} in {:.1} s (import {})",
                t.name,
                started.elapsed().as_secs_f64(),
                ctx.import_id.as_deref().unwrap_or_default()
            );
        }
    }
    Ok(ExitCode::SUCCESS)
}

async fn keys_command(url: &str, command: KeyCommand) -> Result<(), Fail> {
    let store = open_store(url).await?;
    match command {
        KeyCommand::Create {
            tenant: name,
            permissions,
            rate_limit,
            name: label,
        } => {
            let t = tenant(store.as_ref(), &name).await?;
            let (key, plaintext) =
                keys::issue_key(store.as_ref(), t.id, permissions.0, rate_limit, label).await?;
            let perms: Vec<&str> = key.permissions.iter().map(|p| p.as_str()).collect();
            println!(
                "created key {} for tenant {} with permissions {} (shown once; store it now):",
                key.id,
                t.name,
                perms.join(",")
            );
            println!("{plaintext}");
        }
        KeyCommand::List { tenant: name } => {
            let t = tenant(store.as_ref(), &name).await?;
            let keys = store.list_api_keys(t.id).await?;
            let rows = keys.into_iter().map(|k| {
                let perms: Vec<&str> = k.permissions.iter().map(|p| p.as_str()).collect();
                vec![
                    k.id.to_string(),
                    k.prefix,
                    if k.revoked_at.is_some() {
                        "revoked"
                    } else {
                        "active"
                    }
                    .to_string(),
                    k.rate_limit
                        .map(|r| r.to_string())
                        .unwrap_or_else(|| "default".into()),
                    k.created_at.to_rfc3339(),
                    perms.join(","),
                    k.name.unwrap_or_default(),
                ]
            });
            let header = [
                "ID",
                "PREFIX",
                "STATUS",
                "RATE",
                "CREATED",
                "PERMISSIONS",
                "NAME",
            ];
            print!("{}", table(&header, rows));
        }
        KeyCommand::Revoke { key_id } => {
            let k = store
                .revoke_api_key(None, key_id)
                .await
                .map_err(|e| match e {
                    StoreError::NotFound => Fail(format!(
                        "no key with id {key_id}; `clientele keys list --tenant NAME` shows the ids"
                    )),
                    other => other.into(),
                })?;
            println!("revoked key {}", k.id);
        }
    }
    Ok(())
}

/// Left-aligned columns as wide as their widest cell, two spaces apart, under a header; the last
/// column is not padded.
fn table(header: &[&str], rows: impl IntoIterator<Item = Vec<String>>) -> String {
    let rows: Vec<Vec<String>> = std::iter::once(header.iter().map(|h| h.to_string()).collect())
        .chain(rows)
        .collect();
    let width = |i: usize| {
        rows.iter()
            .filter_map(|r| r.get(i))
            .map(|c| c.chars().count())
            .max()
            .unwrap_or(0)
    };
    let widths: Vec<usize> = (0..header.len()).map(width).collect();
    let mut out = String::new();
    for row in &rows {
        let mut line = String::new();
        for (i, cell) in row.iter().enumerate() {
            if i + 1 < row.len() {
                line.push_str(&format!("{cell:<w$}  ", w = widths[i]));
            } else {
                line.push_str(cell);
            }
        }
        out.push_str(line.trim_end());
        out.push('\n');
    }
    out
}

/// On an empty store: tenant `default` and an `admin` key, so a first run is usable at once.
/// Several instances may start together on one database: the tenant name is unique, so exactly
/// one of them creates the tenant (and prints the key); the others find it taken and go on.
async fn bootstrap(store: &dyn Store) -> Result<(), Fail> {
    if store.tenant_count().await? > 0 {
        return Ok(());
    }
    let name = TenantName::parse("default").map_err(|e| Fail(e.message))?;
    let t = match store.create_tenant(&name).await {
        Ok(t) => t,
        Err(StoreError::Conflict(_)) => return Ok(()),
        Err(e) => return Err(e.into()),
    };
    let (_, plaintext) = keys::issue_key(
        store,
        t.id,
        vec![Permission::Admin],
        None,
        Some("bootstrap admin".into()),
    )
    .await?;
    println!("created tenant \"default\" and an admin API key (shown once; store it now):");
    println!("{plaintext}");
    Ok(())
}

/// The router's configuration from the flags; a bad value is one clear line.
fn server_config(args: &ServeArgs) -> Result<Config, Fail> {
    let jwt = match (&args.jwt_secret, &args.jwt_public_key) {
        (Some(_), Some(_)) => {
            return Err(Fail(
                "set either --jwt-secret (CLIENTELE_JWT_SECRET) or --jwt-public-key \
                 (CLIENTELE_JWT_PUBLIC_KEY), not both"
                    .into(),
            ))
        }
        (Some(secret), None) if !secret.expose().is_empty() => Some(
            JwtVerifier::hs256(secret).map_err(|e| Fail(format!("CLIENTELE_JWT_SECRET: {e}")))?,
        ),
        (None, Some(path)) => {
            let pem = std::fs::read(path).map_err(|e| {
                Fail(format!(
                    "cannot read the JWT public key {}: {e}",
                    path.display()
                ))
            })?;
            Some(
                JwtVerifier::from_public_key_pem(&pem)
                    .map_err(|e| Fail(format!("{}: {e}", path.display())))?,
            )
        }
        _ => None,
    };
    let rate_limiter = match args.redis_url.as_deref().filter(|u| !u.is_empty()) {
        Some(url) => RateLimiter::redis(url, &args.redis_prefix, args.redis_failure)
            .map_err(|e| Fail(format!("CLIENTELE_REDIS_URL: {e}")))?,
        None => RateLimiter::local(),
    };
    Ok(Config {
        jwt: jwt.map(Arc::new),
        default_rate_limit: args.rate_limit,
        rate_limiter: Arc::new(rate_limiter),
        cors_origins: args.cors_origins.0.clone(),
        request_timeout: Duration::from_secs(args.request_timeout),
        max_key_rate_limit: args.max_key_rate_limit,
        ..Config::default()
    })
}

async fn serve(
    url: &str,
    bind: SocketAddr,
    config: Config,
    limits: ServerLimits,
) -> Result<(), Fail> {
    // Bind first: a taken port must fail before anything is created or printed.
    let listener = tokio::net::TcpListener::bind(bind).await.map_err(|e| {
        Fail(format!(
            "cannot listen on {bind}: {e}; choose another address with --bind or CLIENTELE_BIND"
        ))
    })?;
    let local = listener.local_addr().map_err(|e| Fail(e.to_string()))?;
    let store = open_store(url).await?;
    bootstrap(store.as_ref()).await?;
    if let Some(jwt) = &config.jwt {
        tracing::info!(algorithm = jwt.algorithm(), "JWT bearer tokens accepted");
    }
    let state = AppState::with_config(store.clone(), config);
    let draining = state.draining.clone();
    let app = clientele_api::router(state);
    println!("listening on http://{local}");
    tracing::info!(%local, "serving");

    let (drained_tx, drained_rx) = tokio::sync::oneshot::channel::<()>();
    let shutdown = async move {
        shutdown_signal().await;
        tracing::info!("shutting down: draining in-flight requests");
        draining.store(true, Ordering::SeqCst);
        let _ = drained_tx.send(());
    };
    let server = clientele_api::server::serve(listener, app, limits, shutdown);
    tokio::select! {
        () = server => {},
        _ = async {
            let _ = drained_rx.await;
            tokio::time::sleep(DRAIN_TIMEOUT).await;
        } => tracing::warn!("drain timeout reached; closing remaining connections"),
    }
    // Commit what is queued, checkpoint the WAL and release the database file.
    store.close().await?;
    tracing::info!("stopped");
    Ok(())
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {},
        _ = term => {},
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tables_align_every_column_under_its_header() {
        let text = table(
            &["ID", "PERMISSIONS", "NAME"],
            [
                vec![
                    "1".into(),
                    "clients:read,clients:write,audit:read".into(),
                    "ci".into(),
                ],
                vec!["22".into(), "admin".into(), "".into()],
                vec!["333".into(), "clients:read".into(), "Malmö office".into()],
            ],
        );
        assert_eq!(
            text,
            "ID   PERMISSIONS                            NAME\n\
             1    clients:read,clients:write,audit:read  ci\n\
             22   admin\n\
             333  clients:read                           Malmö office\n"
        );
    }

    #[test]
    fn urls_are_shown_without_their_password() {
        for (url, shown) in [
            (
                "postgres://bob:s3cr:et@db.example:5432/app?pool_size=4",
                "postgres://bob@db.example:5432/app?pool_size=4",
            ),
            (
                "postgresql://bob@db/app?password=s3cret&sslmode=disable",
                "postgresql://bob@db/app?sslmode=disable",
            ),
            ("postgres://:s3cret@db", "postgres://@db"),
            ("sqlite://clientele.db", "sqlite://clientele.db"),
            ("sqlite:///var/lib/a@b.db", "sqlite:///var/lib/a@b.db"),
        ] {
            assert_eq!(redact_url(url), shown, "{url}");
            assert!(!redact_url(url).contains("s3cr"), "{url}");
        }
    }
}
