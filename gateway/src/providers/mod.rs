//! The payment providers as they really speak (issue 14), one module per provider. So far
//! their notifications: WeChat Pay API v3 (signature, replay window, decryption, the
//! transaction's checks) and Alipay RSA2 (sorted-parameter signature, exact yuan). Not yet
//! wired to `POST /v1/payments/{provider}/notify`, which still takes the project's own signed
//! JSON.

pub mod alipay;
pub mod wechat_pay;
