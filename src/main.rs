use clap::Parser;

// Rendering thousands of templates is allocation-bound; mimalloc measured faster than
// glibc malloc here (see the README's performance notes).
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() {
    let cli = dbtc::cli::Cli::parse();
    tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::from_env("RUST_LOG"))
        .with_writer(std::io::stderr)
        .init();
    let code = dbtc::cli::run(cli);
    std::process::exit(code);
}
