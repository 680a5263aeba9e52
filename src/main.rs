use clap::Parser;

fn main() {
    let cli = dbtc::cli::Cli::parse();
    tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::from_env("RUST_LOG"))
        .with_writer(std::io::stderr)
        .init();
    std::process::exit(dbtc::cli::run(cli));
}
