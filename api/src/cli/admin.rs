//! Bootstrap of the first platform administrator.

use anyhow::Context;
use hireledger_commands::CommandMetadata;
use hireledger_commands::identity::{Identity, NewUser};
use hireledger_domain::{Actor, EmailAddress, Role};
use hireledger_infra::CommonSettings;
use hireledger_infra::vault::Vault;

#[derive(clap::Args, Debug)]
pub(crate) struct CreateAdminArgs {
    /// The administrator's e-mail (login).
    #[arg(long, env = "HIRELEDGER_ADMIN_EMAIL")]
    email: String,
    /// Display name.
    #[arg(long, default_value = "Platform Administrator")]
    name: String,
}

pub(crate) async fn create_admin(
    common: CommonSettings,
    args: CreateAdminArgs,
) -> anyhow::Result<()> {
    let password = std::env::var("HIRELEDGER_ADMIN_PASSWORD")
        .context("set HIRELEDGER_ADMIN_PASSWORD to the administrator's password")?;
    let email = EmailAddress::parse(&args.email).context("invalid --email")?;
    let pool = hireledger_infra::db::connect(&common.database_url, 2).await?;
    let vault = Vault::new(pool.clone(), &common.master_key)?;
    let identity = Identity::new(pool, vault);
    if identity.email_in_use(&email).await? {
        println!("an account for that e-mail already exists; nothing to do");
        return Ok(());
    }
    let created = identity
        .create_user(
            Actor::System,
            NewUser {
                company_id: None,
                role: Role::SystemAdmin,
                name: args.name,
                email: args.email,
                password: Some(password),
            },
            &CommandMetadata::system("cli:create-admin"),
        )
        .await
        .context("creating the administrator")?;
    println!("created platform administrator {}", created.user_id);
    Ok(())
}
