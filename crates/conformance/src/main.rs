//! `idp-conformance`: runs conformance checks against a target and reports.

use clap::Parser;
use conformance::report::{self, Format};
use conformance::{Runner, Selection, Target, TargetOptions, TargetSpec};
use std::io::Write;
use std::process::ExitCode;
use std::time::Duration;

mod init_command;
mod opt;
mod start;

fn main() -> ExitCode {
    let cli = match opt::Cli::try_parse() {
        Ok(cli) => cli,
        Err(err) => {
            let code = if err.use_stderr() { 2 } else { 0 };
            let _ = err.print();
            return ExitCode::from(code);
        }
    };
    match run(cli) {
        Ok(code) => code,
        Err(message) => {
            eprintln!("idp-conformance: {message}");
            ExitCode::from(1)
        }
    }
}

fn run(cli: opt::Cli) -> Result<ExitCode, String> {
    match cli.command {
        opt::Command::List(args) => {
            let selection = Selection {
                suites: Selection::parse_suites(&args.suites).map_err(|e| e.to_string())?,
                checks: Vec::new(),
            };
            for check in selection.checks_selected().map_err(|e| e.to_string())? {
                println!(
                    "{:<9} {:<14} {:<6} {} [{}]",
                    check.id,
                    check.area.suite(),
                    check.level,
                    check.title,
                    check.spec
                );
            }
            Ok(ExitCode::SUCCESS)
        }
        opt::Command::Run(args) => run_checks(args),
        opt::Command::Diff(args) => diff(args),
        opt::Command::Start(args) => start::start(args),
        opt::Command::Init(args) => init_command::init(args),
    }
}

fn run_checks(args: opt::RunArgs) -> Result<ExitCode, String> {
    let format: Format = args
        .format
        .parse()
        .map_err(|err: report::UnknownFormat| err.to_string())?;
    let spec: TargetSpec = args
        .target
        .parse()
        .map_err(|e: conformance::TargetError| e.to_string())?;
    #[cfg(feature = "containers")]
    if let TargetSpec::Container(provider) = spec
        && !conformance::docker_engine_reachable()
    {
        println!("container:{provider}: skipped: no Docker engine reachable");
        return Ok(ExitCode::SUCCESS);
    }
    let options = target_options(args.world, args.realm, args.provider)?;
    let selection = Selection {
        suites: Selection::parse_suites(&args.suites).map_err(|e| e.to_string())?,
        checks: args.checks,
    };
    selection.checks_selected().map_err(|e| e.to_string())?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| format!("runtime: {e}"))?;
    let to_stdout = args.out.is_none() && format != Format::Text;
    let run = runtime.block_on(async {
        let target = Target::open(&spec, &options).await.map_err(|e| e.to_string())?;
        if let Some(detection) = target.detection() {
            if to_stdout {
                eprintln!("idp-conformance: {detection}");
            } else {
                println!("idp-conformance: {detection}");
            }
        }
        if !to_stdout {
            println!(
                "idp-conformance: {} ({}, issuer {})",
                target.name(),
                target.provider(),
                target.issuer()
            );
        }
        Runner::new(selection)
            .timeout(Duration::from_secs(args.timeout.max(1)))
            .run(&target, |result| {
                let line = report::progress_line(result);
                if to_stdout {
                    eprintln!("{line}");
                } else {
                    println!("{line}");
                }
            })
            .await
            .map_err(|e| e.to_string())
    })?;
    let rendered = report::render(&run, format);
    match (&args.out, format) {
        (Some(path), _) => {
            std::fs::write(path, rendered).map_err(|e| format!("cannot write {}: {e}", path.display()))?;
            println!("{}", report::summary_line(&run));
        }
        (None, Format::Text) => println!("{}", report::summary_line(&run)),
        (None, _) => {
            let mut stdout = std::io::stdout().lock();
            stdout.write_all(rendered.as_bytes()).map_err(|e| e.to_string())?;
            eprintln!("{}", report::summary_line(&run));
        }
    }
    Ok(if run.passed() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

/// The `--world`, `--realm` and `--provider` options of `run` and `diff`.
fn target_options(
    world: Option<std::path::PathBuf>,
    realm: Option<String>,
    provider: Option<String>,
) -> Result<TargetOptions, String> {
    let provider = provider
        .map(|p| p.parse::<conformance_provider::Provider>())
        .transpose()
        .map_err(|e| e.to_string())?;
    Ok(TargetOptions { world, realm, provider })
}

fn diff(args: opt::DiffArgs) -> Result<ExitCode, String> {
    use conformance::diff;
    let json = match args.format.as_str() {
        "text" => false,
        "json" => true,
        other => return Err(format!("unknown format `{other}` (expected text or json)")),
    };
    let options = target_options(args.world, args.realm, args.provider)?;
    let parse = |text: &str| text.parse::<TargetSpec>().map_err(|e| e.to_string());
    let (left_spec, right_spec) = (parse(&args.left)?, parse(&args.right)?);
    let timeout = Duration::from_secs(args.timeout.max(1));
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| format!("runtime: {e}"))?;
    let (left, right, real_provider) = runtime.block_on(async {
        let left = Target::open(&left_spec, &options).await.map_err(|e| e.to_string())?;
        let right = Target::open(&right_spec, &options).await.map_err(|e| e.to_string())?;
        for target in [&left, &right] {
            if let Some(detection) = target.detection() {
                eprintln!("idp-conformance: {}: {detection}", target.name());
            }
        }
        let real = [&left, &right]
            .into_iter()
            .find(|t| t.kind() == conformance::TargetKind::Real)
            .map(|t| t.provider());
        let l = diff::observe(&left, timeout).await.map_err(|e| e.to_string())?;
        let r = diff::observe(&right, timeout).await.map_err(|e| e.to_string())?;
        Ok::<_, String>((l, r, real))
    })?;
    let known_text = match (&args.known, real_provider) {
        (Some(path), _) => {
            Some(std::fs::read_to_string(path).map_err(|e| format!("cannot read {}: {e}", path.display()))?)
        }
        (None, _) if [&left_spec, &right_spec].contains(&&TargetSpec::ZitadelRef) => {
            Some(diff::KNOWN_ZITADEL_OIDC_REF.to_owned())
        }
        (None, Some(provider)) => diff::known_for(provider).map(str::to_owned),
        (None, None) => None,
    };
    let known = match known_text {
        Some(text) => diff::KnownDifferences::parse(&text).map_err(|err| err.to_string())?,
        None => diff::KnownDifferences::default(),
    };
    let differences = diff::compare(&left, &right, &known);
    if json {
        println!("{}", diff::json(&args.left, &args.right, &differences));
    } else {
        print!("{}", diff::text(&args.left, &args.right, &differences));
    }
    Ok(if diff::unexplained(&differences) == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

mod conformance_provider {
    pub(crate) use mock_idp::Provider;
}
