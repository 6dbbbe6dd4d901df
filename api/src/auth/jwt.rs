//! Access tokens: HS256 JWTs with `{sub, role, company_id, iat, exp, jti, ugen, cgen}`.

use crate::error::ApiError;
use hireledger_commands::identity::AuthenticatedUser;
use hireledger_domain::Role;
use jsonwebtoken::errors::ErrorKind;
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Serialize};
use std::time::Duration;
use uuid::Uuid;

/// Clock skew tolerated when checking `exp`, in seconds.
const LEEWAY_SECS: u64 = 5;

/// What an access token says about its bearer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Claims {
    /// The user id.
    pub sub: Uuid,
    pub role: Role,
    /// `None` for platform administrators.
    pub company_id: Option<Uuid>,
    /// Issued at (seconds since the Unix epoch).
    pub iat: u64,
    /// Expires at (seconds since the Unix epoch).
    pub exp: u64,
    /// Unique token id.
    pub jti: Uuid,
    /// The user's session generation at issue (see [`crate::auth::rights`]).
    #[serde(default)]
    pub ugen: i64,
    /// The company's session generation at issue.
    #[serde(default)]
    pub cgen: i64,
}

/// Signs and checks access tokens. Cheap to clone.
#[derive(Clone)]
pub struct JwtKeys {
    encoding: EncodingKey,
    decoding: DecodingKey,
    validation: Validation,
    ttl: Duration,
}

impl std::fmt::Debug for JwtKeys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("JwtKeys")
            .field("ttl", &self.ttl)
            .finish_non_exhaustive()
    }
}

fn now_secs() -> u64 {
    jsonwebtoken::get_current_timestamp()
}

impl JwtKeys {
    pub fn new(secret: &SecretString, ttl: Duration) -> Self {
        let bytes = secret.expose_secret().as_bytes();
        let mut validation = Validation::new(Algorithm::HS256);
        validation.leeway = LEEWAY_SECS;
        validation.set_required_spec_claims(&["exp", "sub", "iat"]);
        Self {
            encoding: EncodingKey::from_secret(bytes),
            decoding: DecodingKey::from_secret(bytes),
            validation,
            ttl,
        }
    }

    /// Lifetime of the tokens this issues.
    pub fn ttl(&self) -> Duration {
        self.ttl
    }

    /// A fresh access token for `user`.
    pub fn issue(&self, user: &AuthenticatedUser) -> Result<String, ApiError> {
        let iat = now_secs();
        let claims = Claims {
            sub: user.user_id,
            role: user.role,
            company_id: user.company_id,
            iat,
            exp: iat + self.ttl.as_secs(),
            jti: Uuid::now_v7(),
            ugen: user.generations.user,
            cgen: user.generations.company,
        };
        self.sign(&claims)
    }

    /// Signs arbitrary claims (tests use it to make expired tokens).
    pub fn sign(&self, claims: &Claims) -> Result<String, ApiError> {
        jsonwebtoken::encode(&Header::new(Algorithm::HS256), claims, &self.encoding)
            .map_err(|e| ApiError::Internal(anyhow::Error::new(e).context("signing a JWT")))
    }

    /// Checks signature, algorithm and expiry. Expired → `TokenExpired`; anything else wrong →
    /// `Unauthenticated`.
    pub fn verify(&self, token: &str) -> Result<Claims, ApiError> {
        match jsonwebtoken::decode::<Claims>(token, &self.decoding, &self.validation) {
            Ok(data) => Ok(data.claims),
            Err(e) if matches!(e.kind(), ErrorKind::ExpiredSignature) => {
                Err(ApiError::TokenExpired)
            }
            Err(_) => Err(ApiError::Unauthenticated),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use hireledger_commands::sessions::SessionGenerations;

    fn keys() -> JwtKeys {
        JwtKeys::new(
            &SecretString::from("0123456789abcdef0123456789abcdef"),
            Duration::from_secs(900),
        )
    }

    fn user() -> AuthenticatedUser {
        AuthenticatedUser {
            user_id: Uuid::now_v7(),
            role: Role::Hr,
            company_id: Some(Uuid::now_v7()),
            generations: SessionGenerations {
                user: 3,
                company: 1,
            },
        }
    }

    #[test]
    fn round_trip() {
        let k = keys();
        let u = user();
        let claims = k.verify(&k.issue(&u).unwrap()).unwrap();
        assert_eq!(claims.sub, u.user_id);
        assert_eq!(claims.role, Role::Hr);
        assert_eq!(claims.company_id, u.company_id);
        assert_eq!(claims.exp - claims.iat, 900);
        assert_eq!((claims.ugen, claims.cgen), (3, 1));
    }

    #[test]
    fn expired_token_is_auth_002() {
        let k = keys();
        let iat = now_secs() - 3600;
        let claims = Claims {
            sub: Uuid::now_v7(),
            role: Role::Employee,
            company_id: None,
            iat,
            exp: iat + 60,
            jti: Uuid::now_v7(),
            ugen: 0,
            cgen: 0,
        };
        let err = k.verify(&k.sign(&claims).unwrap()).unwrap_err();
        assert_eq!(err.code(), "AUTH_002");
    }

    #[test]
    fn tampered_or_foreign_token_is_auth_005() {
        let k = keys();
        let other = JwtKeys::new(
            &SecretString::from("another-secret-another-secret-xx"),
            Duration::from_secs(900),
        );
        let token = other.issue(&user()).unwrap();
        assert_eq!(k.verify(&token).unwrap_err().code(), "AUTH_005");
        assert_eq!(k.verify("not.a.jwt").unwrap_err().code(), "AUTH_005");
        // alg=none must never be accepted.
        let none = "eyJhbGciOiJub25lIiwidHlwIjoiSldUIn0.e30.";
        assert_eq!(k.verify(none).unwrap_err().code(), "AUTH_005");
    }
}
