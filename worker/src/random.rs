//! Cryptographically strong random bytes from the runtime's Web Crypto.

use wasm_bindgen::prelude::*;

#[wasm_bindgen]
extern "C" {
    #[wasm_bindgen(catch, js_namespace = crypto, js_name = getRandomValues)]
    fn get_random_values(buffer: &mut [u8]) -> Result<JsValue, JsValue>;
}

/// Sixteen random bytes, or an error if the runtime refused (it never should).
pub fn random_16() -> Result<[u8; 16], String> {
    let mut bytes = [0_u8; 16];
    get_random_values(&mut bytes).map_err(|e| format!("crypto.getRandomValues failed: {e:?}"))?;
    Ok(bytes)
}

/// 32 random hex digits: an id no one can guess (sessions, sign-in links, addresses).
pub fn hex_id() -> crate::error::AppResult<String> {
    Ok(shared::ids::hex(&random_16().map_err(crate::error::AppError::Internal)?))
}
