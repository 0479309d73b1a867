//! The payment providers as they really speak (issue 14), one module per provider. So far:
//! WeChat Pay API v3's notification — signature, replay window, decryption, the
//! transaction's checks. Not yet wired to `POST /v1/payments/{provider}/notify`, which
//! still takes the project's own signed JSON.

pub mod wechat_pay;
