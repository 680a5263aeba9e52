use clap::Parser;
use tracing_subscriber::Layer;
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;

// Rendering thousands of templates is allocation-bound; mimalloc measured faster than
// glibc malloc here (see the README's performance notes).
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// Jinja's `log()` and `print()` (tracing events of target `dbtc::jinja`) go to the
/// running command's console, as dbt shows them.
struct JinjaLog;

#[derive(Default)]
struct Fields {
    message: String,
    info: bool,
    print: bool,
}

impl tracing::field::Visit for Fields {
    fn record_bool(&mut self, field: &tracing::field::Field, value: bool) {
        match field.name() {
            "info" => self.info = value,
            "print" => self.print = value,
            _ => {}
        }
    }

    fn record_str(&mut self, field: &tracing::field::Field, value: &str) {
        if field.name() == "message" {
            self.message = value.to_string();
        }
    }

    fn record_debug(&mut self, field: &tracing::field::Field, value: &dyn std::fmt::Debug) {
        if field.name() == "message" {
            self.message = format!("{value:?}");
        }
    }
}

impl<S: tracing::Subscriber> Layer<S> for JinjaLog {
    fn on_event(&self, event: &tracing::Event<'_>, _: tracing_subscriber::layer::Context<'_, S>) {
        let mut fields = Fields::default();
        event.record(&mut fields);
        dbtc::cli::jinja_message(&fields.message, fields.info, fields.print);
    }
}

fn main() {
    let cli = dbtc::cli::Cli::parse();
    // RUST_LOG wins; otherwise --log-level (default: warnings only). Spans cover the
    // stages (load, warm, compile_project) and each node's renders (debug level).
    let filter = match std::env::var("RUST_LOG") {
        Ok(spec) => tracing_subscriber::EnvFilter::new(spec),
        Err(_) => tracing_subscriber::EnvFilter::new(format!("dbtc={}", cli.log_level)),
    };
    let jinja =
        tracing_subscriber::filter::Targets::new().with_target("dbtc::jinja", tracing::Level::INFO);
    tracing_subscriber::registry()
        .with(
            tracing_subscriber::fmt::layer()
                .with_span_events(tracing_subscriber::fmt::format::FmtSpan::CLOSE)
                .with_writer(std::io::stderr)
                .with_filter(filter),
        )
        .with(JinjaLog.with_filter(jinja))
        .init();
    let code = dbtc::cli::run(cli);
    std::process::exit(code);
}
