//! The deployment's payments file (`REG_PAYMENTS_FILE`): which providers this province
//! takes, with their merchant accounts, keys and certificates. Keys are files (PEM), named
//! relative to the payments file; nothing secret is in the file itself, and nothing read
//! from it is ever logged. Anything malformed stops the start with a message naming the
//! provider and the file.
//!
//! ```json
//! {
//!   "wechat_pay": {
//!     "mchid": "1900000109", "appid": "wxd678efh567hg6787",
//!     "api_v3_key_file": "wechat/apiv3.key",
//!     "merchant_serial": "3775B6A45ACD588826D15E583A95F5DD",
//!     "merchant_private_key_file": "wechat/apiclient_key.pem",
//!     "platform_certificate_files": ["wechat/platform-2026.pem"],
//!     "platform_public_keys": [{"serial": "PUB_KEY_ID_011423…", "file": "wechat/pub_key.pem"}]
//!   },
//!   "alipay": {
//!     "app_id": "2021000122671234",
//!     "app_private_key_file": "alipay/app_private_key.pem",
//!     "alipay_public_key_file": "alipay/alipay_public_key.pem"
//!   },
//!   "unionpay": {
//!     "mer_id": "777290058110048",
//!     "signing_private_key_file": "unionpay/sign_key.pem",
//!     "signing_certificate_file": "unionpay/sign_cert.pem",
//!     "verify_certificate_files": ["unionpay/acp_prod_verify_sign.pem"]
//!   }
//! }
//! ```
//!
//! The API addresses default to the providers' production ones (`api_url`, `gateway_url`
//! override them: a provider's own test environment, or the tests' doubles).

use super::alipay::Alipay;
use super::sandbox::Sandbox;
use super::unionpay::UnionPay;
use super::wechat_pay::{PlatformKey, WeChatPay};
use super::{HttpClient, PaymentGateway};
use serde::Deserialize;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// WeChat Pay API v3's production address.
pub const WECHAT_PAY_API: &str = "https://api.mch.weixin.qq.com";
/// Alipay's production gateway.
pub const ALIPAY_GATEWAY: &str = "https://openapi.alipay.com/gateway.do";
/// UnionPay's production gateway.
pub const UNIONPAY_GATEWAY: &str = "https://gateway.95516.com";

/// Why the payments file was refused.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// The file (or a key file it names) cannot be read.
    #[error("cannot read {path}: {source}")]
    Read {
        /// Which file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// The file is not the documented JSON.
    #[error("the payments file {path} is malformed: {message}")]
    Malformed {
        /// Which file.
        path: PathBuf,
        /// serde's account.
        message: String,
    },
    /// A provider's keys or certificates were refused.
    #[error("{provider} in {path}: {message}")]
    Provider {
        /// Which provider.
        provider: &'static str,
        /// Which file.
        path: PathBuf,
        /// What is wrong (never the key itself).
        message: String,
    },
    /// The file names no provider.
    #[error("the payments file {0} configures no provider")]
    Empty(PathBuf),
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct File {
    #[serde(default)]
    wechat_pay: Option<WeChatPayFile>,
    #[serde(default)]
    alipay: Option<AlipayFile>,
    #[serde(default)]
    unionpay: Option<UnionPayFile>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct WeChatPayFile {
    mchid: String,
    appid: String,
    api_v3_key_file: PathBuf,
    merchant_serial: String,
    merchant_private_key_file: PathBuf,
    #[serde(default)]
    platform_certificate_files: Vec<PathBuf>,
    #[serde(default)]
    platform_public_keys: Vec<PublicKeyFile>,
    #[serde(default)]
    api_url: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct PublicKeyFile {
    serial: String,
    file: PathBuf,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct AlipayFile {
    app_id: String,
    app_private_key_file: PathBuf,
    alipay_public_key_file: PathBuf,
    #[serde(default)]
    gateway_url: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct UnionPayFile {
    mer_id: String,
    signing_private_key_file: PathBuf,
    signing_certificate_file: PathBuf,
    verify_certificate_files: Vec<PathBuf>,
    #[serde(default)]
    gateway_url: Option<String>,
}

/// Where notifications for `provider` arrive.
fn notify_url(public_url: &str, provider: &str) -> String {
    format!(
        "{}/v1/payments/{provider}/notify",
        public_url.trim_end_matches('/')
    )
}

/// Reads the payments file at `path`; notifications come to `public_url`.
pub fn load(
    path: &Path,
    public_url: &str,
    http: HttpClient,
) -> Result<Vec<Box<dyn PaymentGateway>>, ConfigError> {
    let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
        path: path.to_owned(),
        source,
    })?;
    let file: File = serde_json::from_str(&text).map_err(|error| ConfigError::Malformed {
        path: path.to_owned(),
        message: error.to_string(),
    })?;
    let base = path.parent().unwrap_or(Path::new("."));
    let read = |name: &Path| {
        let full = base.join(name);
        std::fs::read_to_string(&full).map_err(|source| ConfigError::Read { path: full, source })
    };
    let refused = |provider: &'static str, message: String| ConfigError::Provider {
        provider,
        path: path.to_owned(),
        message,
    };
    let mut gateways: Vec<Box<dyn PaymentGateway>> = Vec::new();
    if let Some(wechat) = file.wechat_pay {
        let api_v3_key = read(&wechat.api_v3_key_file)?;
        let certificates = wechat
            .platform_certificate_files
            .iter()
            .map(|file| read(file))
            .collect::<Result<Vec<_>, _>>()?;
        let public_keys = wechat
            .platform_public_keys
            .iter()
            .map(|key| Ok((key.serial.clone(), read(&key.file)?)))
            .collect::<Result<Vec<_>, ConfigError>>()?;
        let platform: Vec<PlatformKey<'_>> = certificates
            .iter()
            .map(|pem| PlatformKey::Certificate(pem))
            .chain(
                public_keys
                    .iter()
                    .map(|(serial, pem)| PlatformKey::PublicKey(serial, pem)),
            )
            .collect();
        let gateway = WeChatPay::live(
            &wechat.mchid,
            &wechat.appid,
            api_v3_key.trim().as_bytes(),
            &platform,
            &wechat.merchant_serial,
            &read(&wechat.merchant_private_key_file)?,
            wechat.api_url.as_deref().unwrap_or(WECHAT_PAY_API),
            &notify_url(public_url, "wechat_pay"),
            http,
        )
        .map_err(|error| refused("wechat_pay", error.to_string()))?;
        gateways.push(Box::new(gateway));
    }
    if let Some(alipay) = file.alipay {
        let gateway = Alipay::live(
            &alipay.app_id,
            &read(&alipay.alipay_public_key_file)?,
            &read(&alipay.app_private_key_file)?,
            alipay.gateway_url.as_deref().unwrap_or(ALIPAY_GATEWAY),
            &notify_url(public_url, "alipay"),
            http,
        )
        .map_err(|error| refused("alipay", error.to_string()))?;
        gateways.push(Box::new(gateway));
    }
    if let Some(unionpay) = file.unionpay {
        let verify = unionpay
            .verify_certificate_files
            .iter()
            .map(|file| read(file))
            .collect::<Result<Vec<_>, _>>()?;
        let verify: Vec<&str> = verify.iter().map(String::as_str).collect();
        let gateway = UnionPay::live(
            &unionpay.mer_id,
            &verify,
            &read(&unionpay.signing_private_key_file)?,
            &read(&unionpay.signing_certificate_file)?,
            unionpay.gateway_url.as_deref().unwrap_or(UNIONPAY_GATEWAY),
            &notify_url(public_url, "unionpay"),
            public_url,
            http,
        )
        .map_err(|error| refused("unionpay", error.to_string()))?;
        gateways.push(Box::new(gateway));
    }
    if gateways.is_empty() {
        return Err(ConfigError::Empty(path.to_owned()));
    }
    Ok(gateways)
}

/// The demo's three providers, all in the sandbox.
pub fn sandbox(public_url: &str) -> (Vec<Box<dyn PaymentGateway>>, Arc<Sandbox>) {
    let sandbox = Arc::new(Sandbox::new(public_url));
    let gateways: Vec<Box<dyn PaymentGateway>> = vec![
        Box::new(WeChatPay::sandbox(
            Arc::clone(&sandbox),
            &notify_url(public_url, "wechat_pay"),
        )),
        Box::new(Alipay::sandbox(
            Arc::clone(&sandbox),
            &notify_url(public_url, "alipay"),
        )),
        Box::new(UnionPay::sandbox(
            Arc::clone(&sandbox),
            &notify_url(public_url, "unionpay"),
            public_url,
        )),
    ];
    (gateways, sandbox)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn keys() -> PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/keys")
    }

    fn write(directory: &Path, json: &serde_json::Value) -> PathBuf {
        let path = directory.join("payments.json");
        std::fs::write(&path, json.to_string()).expect("written");
        path
    }

    fn valid(directory: &Path) -> serde_json::Value {
        let keys = keys();
        let key = |name: &str| keys.join(name).display().to_string();
        std::fs::write(
            directory.join("apiv3.key"),
            "0123456789abcdef0123456789abcdef\n",
        )
        .expect("written");
        serde_json::json!({
            "wechat_pay": {"mchid": "1900000109", "appid": "wxd678efh567hg6787",
                "api_v3_key_file": "apiv3.key", "merchant_serial": "3775B6A45ACD588826D15E583A95F5DD",
                "merchant_private_key_file": key("wechat-merchant-test.pem"),
                "platform_certificate_files": [key("wechat-platform-test.crt")]},
            "alipay": {"app_id": "2021000122671234", "app_private_key_file": key("alipay-app-test.pem"),
                "alipay_public_key_file": key("alipay-platform-test.pub.pem")},
            "unionpay": {"mer_id": "777290058110048", "signing_private_key_file": key("unionpay-merchant-test.pem"),
                "signing_certificate_file": key("unionpay-merchant-test.crt"),
                "verify_certificate_files": [key("unionpay-sign-test.crt")]}
        })
    }

    #[test]
    fn a_valid_file_configures_each_provider_and_a_bad_one_names_what_is_wrong() {
        let directory = tempfile::tempdir().expect("directory");
        let http = HttpClient::new(std::time::Duration::from_secs(1));
        let path = write(directory.path(), &valid(directory.path()));
        let gateways = load(&path, "https://bm.example.cn", http).expect("valid");
        assert_eq!(gateways.len(), 3);
        assert!(gateways.iter().all(|gateway| !gateway.is_sandbox()));

        let refused = |change: &dyn Fn(&mut serde_json::Value)| {
            let mut json = valid(directory.path());
            change(&mut json);
            let path = write(directory.path(), &json);
            load(&path, "https://bm.example.cn", http)
                .err()
                .expect("refused")
                .to_string()
        };
        let message =
            refused(&|json| json["alipay"]["alipay_public_key_file"] = "missing.pem".into());
        assert!(message.contains("missing.pem"), "{message}");
        let message = refused(&|json| {
            json["wechat_pay"]["merchant_private_key_file"] = keys()
                .join("wechat-merchant-test.pub.pem")
                .display()
                .to_string()
                .into()
        });
        assert!(
            message.starts_with("wechat_pay in") && message.contains("merchant key"),
            "{message}"
        );
        let message = refused(&|json| json["unionpay"]["mer_idd"] = "typo".into());
        assert!(message.contains("mer_idd"), "{message}");
        let message = refused(&|json| *json = serde_json::json!({}));
        assert!(message.contains("configures no provider"), "{message}");
        let mut json = valid(directory.path());
        std::fs::write(directory.path().join("apiv3.key"), "short").expect("written");
        json["alipay"] = serde_json::Value::Null;
        let message = load(&write(directory.path(), &json), "u", http)
            .err()
            .expect("refused")
            .to_string();
        assert!(
            message.contains("APIv3 key") && !message.contains("short"),
            "{message}"
        );
    }
}
