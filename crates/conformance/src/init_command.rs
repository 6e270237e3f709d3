//! `idp-conformance init --target url:<issuer>`: reads the provider's discovery document, says on
//! standard error which provider it recognised and why, and writes a World template for it.

use crate::opt::InitArgs;
use conformance::init::{self, TemplateInput};
use providers::Provider;
use std::process::ExitCode;

pub(crate) fn init(args: InitArgs) -> Result<ExitCode, String> {
    let issuer = args
        .target
        .strip_prefix("url:")
        .filter(|issuer| issuer.starts_with("http://") || issuer.starts_with("https://"))
        .ok_or_else(|| {
            format!(
                "init reads a running provider: --target url:<issuer>, not `{}`",
                args.target
            )
        })?;
    let given: Option<Provider> = args
        .provider
        .as_deref()
        .map(str::parse)
        .transpose()
        .map_err(|err| format!("{err}"))?;
    if let Some(out) = &args.out
        && out.exists()
        && !args.force
    {
        return Err(format!("{} exists (use --force to overwrite it)", out.display()));
    }
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|err| format!("runtime: {err}"))?;
    let inspection = runtime.block_on(init::inspect(issuer)).map_err(|err| err.to_string())?;
    let detection = &inspection.detection;
    let stated_issuer = inspection.discovery["issuer"].as_str().unwrap_or(issuer);
    let (provider, reason) = match given {
        Some(provider) if provider != detection.provider => {
            eprintln!(
                "idp-conformance: using --provider {provider} (detection said {}: {})",
                detection.provider, detection.reason
            );
            (provider, "given with --provider".to_owned())
        }
        Some(provider) => (
            provider,
            format!("given with --provider; detection agrees: {}", detection.reason),
        ),
        None => {
            eprintln!("idp-conformance: detected {}: {}", detection.provider, detection.reason);
            (detection.provider, format!("detected: {}", detection.reason))
        }
    };
    let realm = detection
        .realm
        .clone()
        .unwrap_or_else(|| default_realm_name(provider).to_owned());
    let template = init::template(&TemplateInput {
        provider,
        provider_reason: &reason,
        issuer: stated_issuer,
        realm: &realm,
        discovery: Some(&inspection.discovery),
    });
    match &args.out {
        Some(out) => {
            std::fs::write(out, template).map_err(|err| format!("cannot write {}: {err}", out.display()))?;
            eprintln!("idp-conformance: wrote {}", out.display());
        }
        None => print!("{template}"),
    }
    Ok(ExitCode::SUCCESS)
}

/// The name of a realm the issuer does not name: WSO2's super tenant; for ZITADEL (one issuer
/// per instance) the default World's organisation, whose name the mock derives its project id
/// from.
fn default_realm_name(provider: Provider) -> &'static str {
    match provider {
        Provider::Wso2 => "carbon.super",
        _ => "demo",
    }
}
