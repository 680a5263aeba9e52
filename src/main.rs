use clap::Parser;

// Rendering thousands of templates is allocation-bound; mimalloc measured faster than
// glibc malloc here (see the README's performance notes).
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() {
    let cli = dbtc::cli::Cli::parse();
    // RUST_LOG wins; otherwise --log-level (default: warnings only). Spans cover the
    // stages (load, warm, compile_project) and each node's renders (debug level).
    let filter = match std::env::var("RUST_LOG") {
        Ok(spec) => tracing_subscriber::EnvFilter::new(spec),
        Err(_) => tracing_subscriber::EnvFilter::new(format!("dbtc={}", cli.log_level)),
    };
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_span_events(tracing_subscriber::fmt::format::FmtSpan::CLOSE)
        .with_writer(std::io::stderr)
        .init();
    let code = dbtc::cli::run(cli);
    std::process::exit(code);
}
