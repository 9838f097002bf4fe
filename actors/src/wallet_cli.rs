//! `bitcoin_rust wallet ...`: a command-line wallet and client that talks to a node through its
//! public HTTP API only (`docs/openapi.json`), never through its data directory: it creates a
//! key (0600), shows the address, reads balances and history, builds and signs transfers
//! (offline when nonce, balance and network are given), submits them and watches them to
//! confirmation, and checks Merkle inclusion proofs against headers like a light client
//! (`verify-proof`). `--json` prints one JSON document per command for scripts.
//!
//! Exit codes: 0 done, 1 the node refused or could not be reached (or a wait timed out, or a
//! proof does not hold), 2 a usage error (bad address, amount, missing key file).

use bitcoin_rust_core::address::Address;
use bitcoin_rust_core::amount::Amount;
use bitcoin_rust_core::params::NetworkParams;
use bitcoin_rust_core::state::Account;
use bitcoin_rust_core::transaction::Transfer;
use bitcoin_rust_core::wallet::Wallet;
use clap::{Args, Subcommand};
use serde_json::{json, Value};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

mod verify_proof;

/// Options shared by every wallet command.
#[derive(Debug, Clone, Args)]
pub struct WalletArgs {
    /// The node's HTTP API.
    #[arg(long, env = "BITCOIN_RUST_NODE", default_value = "http://127.0.0.1:3001", global = true)]
    pub node: String,
    /// The key file (hex secret, created with mode 0600 by `wallet new`). Default:
    /// $XDG_CONFIG_HOME/bitcoin_rust/wallet.key or ~/.config/bitcoin_rust/wallet.key.
    #[arg(long, env = "BITCOIN_RUST_WALLET", value_name = "FILE", global = true)]
    pub wallet: Option<PathBuf>,
    /// Bearer token for nodes that set http.auth_token.
    #[arg(long, env = "BITCOIN_RUST_TOKEN", hide_env_values = true, global = true)]
    pub token: Option<String>,
    /// Print JSON (one document per command) instead of text.
    #[arg(long, global = true)]
    pub json: bool,
    /// What to do.
    #[command(subcommand)]
    pub command: WalletCommand,
}

/// The wallet's commands.
#[derive(Debug, Clone, Subcommand)]
pub enum WalletCommand {
    /// Creates a new key file (refuses to overwrite one) and prints its address.
    New,
    /// Prints the wallet's address.
    Address,
    /// Prints the balance and nonce of the wallet (or of ADDRESS), and its pending transfer.
    Balance {
        /// Another address to look at.
        address: Option<String>,
    },
    /// Prints the confirmed history of the wallet (or of ADDRESS), newest first.
    History {
        /// Another address to look at.
        address: Option<String>,
        /// The most entries.
        #[arg(long, default_value_t = 20)]
        limit: u32,
    },
    /// Builds and signs a transfer without submitting it; prints the signed JSON.
    Build(TransferArgs),
    /// Submits a signed transfer (a file made by `build`, or `-` for standard input).
    Submit {
        /// The file.
        file: PathBuf,
        /// Whether and how long to wait.
        #[command(flatten)]
        wait: WaitArgs,
    },
    /// Builds, signs and submits a transfer.
    Send {
        /// What to send.
        #[command(flatten)]
        transfer: TransferArgs,
        /// Whether and how long to wait.
        #[command(flatten)]
        wait: WaitArgs,
    },
    /// Verifies a Merkle inclusion proof like a light (SPV) client: fetches the headers from the
    /// proof's block up to the node's tip and checks the path, each header's proof of work and
    /// their linkage itself. Exit 0 when the proof holds, 1 when it does not.
    VerifyProof {
        /// A proof file (the JSON of `GET /transactions/{txid}/proof`, `-` for standard input), or
        /// a transaction id whose proof is asked of the node.
        proof: String,
    },
    /// Waits until a transaction has enough confirmations.
    Watch {
        /// The transaction id.
        txid: String,
        /// How many confirmations.
        #[arg(long, default_value_t = 1)]
        confirmations: u64,
        /// Give up after this many seconds.
        #[arg(long, default_value_t = 300)]
        timeout: u64,
    },
}

/// `--wait` and its limits, for `submit` and `send`.
#[derive(Debug, Clone, Args)]
pub struct WaitArgs {
    /// Wait until it is confirmed.
    #[arg(long)]
    pub wait: bool,
    /// With --wait: how many confirmations.
    #[arg(long, default_value_t = 1)]
    pub confirmations: u64,
    /// With --wait: give up after this many seconds.
    #[arg(long, default_value_t = 300)]
    pub timeout: u64,
}

impl WaitArgs {
    fn limits(&self) -> Option<(u64, u64)> {
        self.wait.then_some((self.confirmations, self.timeout))
    }
}

/// A payment to build.
#[derive(Debug, Clone, Args)]
pub struct TransferArgs {
    /// The recipient's address (66 hex digits).
    pub recipient: String,
    /// Whole coins to send.
    pub amount: u64,
    /// The fee, in whole coins.
    #[arg(long, default_value_t = 1)]
    pub fee: u64,
    /// The wallet's nonce (offline: with --balance and --network the node is not asked).
    #[arg(long)]
    pub nonce: Option<u64>,
    /// The wallet's confirmed balance (offline).
    #[arg(long)]
    pub balance: Option<u64>,
    /// The network id (offline).
    #[arg(long)]
    pub network: Option<String>,
    /// Write the signed transfer to this file instead of standard output (`build` only).
    #[arg(long, short)]
    pub out: Option<PathBuf>,
}

/// A failed command: the message, and the exit code.
#[derive(Debug)]
struct Failure {
    code: i32,
    error: String,
    message: String,
}

impl Failure {
    fn usage(message: impl Into<String>) -> Failure {
        Failure { code: 2, error: "usage".into(), message: message.into() }
    }
    fn node(error: impl Into<String>, message: impl Into<String>) -> Failure {
        Failure { code: 1, error: error.into(), message: message.into() }
    }
}

/// Runs a wallet command; returns the exit code.
pub fn run(args: WalletArgs) -> i32 {
    let json_output = args.json;
    let system = actix::System::new();
    match system.block_on(execute(args)) {
        Ok(Output { json, text, code }) => {
            if json_output {
                println!("{json}");
            } else {
                println!("{text}");
            }
            code
        }
        Err(f) => {
            if json_output {
                eprintln!("{}", json!({"error": {"code": f.error, "message": f.message}}));
            } else {
                eprintln!("bitcoin_rust wallet: {} ({})", f.message, f.error);
            }
            f.code
        }
    }
}

struct Output {
    /// The exit code (0, or 1 for a check that failed, e.g. a proof that does not hold).
    code: i32,
    json: Value,
    text: String,
}

/// Returns the default key file path.
pub fn default_wallet_path() -> PathBuf {
    let base = std::env::var_os("XDG_CONFIG_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".config")))
        .unwrap_or_else(|| PathBuf::from("."));
    base.join("bitcoin_rust").join("wallet.key")
}

fn load_wallet(path: &Path) -> Result<Wallet, Failure> {
    if !path.exists() {
        return Err(Failure::usage(format!(
            "no key file at {} (create one with `bitcoin_rust wallet new`)",
            path.display()
        )));
    }
    Wallet::load_or_create(path).map_err(|e| Failure::usage(e.to_string()))
}

fn parse_address(s: &str) -> Result<Address, Failure> {
    s.parse().map_err(|e: bitcoin_rust_core::address::AddressError| Failure::usage(format!("{s}: {e}")))
}

/// A small client of the node's HTTP API.
struct Client {
    http: awc::Client,
    base: String,
    token: Option<String>,
}

impl Client {
    fn new(base: &str, token: Option<String>) -> Client {
        let http = awc::Client::builder().timeout(Duration::from_secs(30)).finish();
        Client { http, base: base.trim_end_matches('/').to_string(), token }
    }

    async fn call(&self, method: &str, path: &str, body: Option<&Value>) -> Result<Value, Failure> {
        let url = format!("{}{}", self.base, path);
        let mut req = match method {
            "POST" => self.http.post(&url),
            _ => self.http.get(&url),
        };
        if let Some(t) = &self.token {
            req = req.insert_header(("Authorization", format!("Bearer {t}")));
        }
        let sent = match body {
            Some(b) => req.send_json(b).await,
            None => req.send().await,
        };
        let mut resp = sent.map_err(|e| Failure::node("unreachable", format!("{url}: {e}")))?;
        let bytes =
            resp.body().limit(64 * 1024 * 1024).await.map_err(|e| Failure::node("bad_response", e.to_string()))?;
        let value: Value = serde_json::from_slice(&bytes)
            .map_err(|e| Failure::node("bad_response", format!("{url} did not answer JSON: {e}")))?;
        if resp.status().is_success() {
            Ok(value)
        } else {
            let code = value["error"]["code"].as_str().unwrap_or("refused").to_string();
            let message = value["error"]["message"].as_str().unwrap_or("the node refused the call").to_string();
            Err(Failure::node(code, format!("{message} (HTTP {})", resp.status().as_u16())))
        }
    }

    async fn get(&self, path: &str) -> Result<Value, Failure> {
        self.call("GET", path, None).await
    }

    async fn post(&self, path: &str, body: &Value) -> Result<Value, Failure> {
        self.call("POST", path, Some(body)).await
    }
}

async fn execute(args: WalletArgs) -> Result<Output, Failure> {
    let path = args.wallet.clone().unwrap_or_else(default_wallet_path);
    let client = Client::new(&args.node, args.token.clone());
    match args.command {
        WalletCommand::New => {
            if path.exists() {
                return Err(Failure::usage(format!("{} exists: refusing to overwrite a key", path.display())));
            }
            let wallet = Wallet::load_or_create(&path).map_err(|e| Failure::usage(e.to_string()))?;
            let address = wallet.address().to_string();
            Ok(Output {
                code: 0,
                json: json!({"address": address, "key_file": path}),
                text: format!("{address}\n(key written to {}, mode 0600)", path.display()),
            })
        }
        WalletCommand::Address => {
            let address = load_wallet(&path)?.address().to_string();
            Ok(Output { code: 0, json: json!({"address": address}), text: address })
        }
        WalletCommand::Balance { address } => {
            let address = match address {
                Some(a) => parse_address(&a)?,
                None => load_wallet(&path)?.address(),
            };
            let info = client.get(&format!("/address/{address}?limit=1")).await?;
            let pending = &info["pending"];
            let text = format!(
                "address  {address}\nbalance  {}\nnonce    {}\npending  {}",
                info["balance"],
                info["nonce"],
                if pending.is_null() { "none".to_string() } else { pending["id"].as_str().unwrap_or("?").to_string() }
            );
            Ok(Output {
                code: 0,
                json: json!({"address": address, "balance": info["balance"], "nonce": info["nonce"], "pending": pending}),
                text,
            })
        }
        WalletCommand::History { address, limit } => {
            let address = match address {
                Some(a) => parse_address(&a)?,
                None => load_wallet(&path)?.address(),
            };
            if limit == 0 || limit > 500 {
                return Err(Failure::usage("--limit must be in 1..=500"));
            }
            let info = client.get(&format!("/address/{address}?limit={limit}")).await?;
            let history = info["history"].as_array().cloned().unwrap_or_default();
            let mut text = format!("{address}: balance {}, {} entries\n", info["balance"], history.len());
            for h in &history {
                text.push_str(&format!("{}\n", serde_json::to_string(h).unwrap_or_default()));
            }
            Ok(Output {
                code: 0,
                json: json!({"address": address, "balance": info["balance"], "history": history}),
                text: text.trim_end().to_string(),
            })
        }
        WalletCommand::Build(t) => {
            let wallet = load_wallet(&path)?;
            let tx = build(&client, &wallet, &t).await?;
            let body = serde_json::to_string_pretty(&tx).map_err(|e| Failure::usage(e.to_string()))?;
            if let Some(out) = &t.out {
                std::fs::write(out, format!("{body}\n"))
                    .map_err(|e| Failure::usage(format!("cannot write {}: {e}", out.display())))?;
                return Ok(Output {
                    code: 0,
                    json: json!({"id": tx.id, "file": out}),
                    text: format!("signed transfer {} written to {}", tx.id, out.display()),
                });
            }
            Ok(Output { code: 0, json: serde_json::to_value(&tx).unwrap_or_default(), text: body })
        }
        WalletCommand::Submit { file, wait } => {
            let text = if file.as_os_str() == "-" {
                std::io::read_to_string(std::io::stdin()).map_err(|e| Failure::usage(e.to_string()))?
            } else {
                std::fs::read_to_string(&file).map_err(|e| Failure::usage(format!("{}: {e}", file.display())))?
            };
            let tx: Transfer =
                serde_json::from_str(&text).map_err(|e| Failure::usage(format!("not a signed transfer: {e}")))?;
            submit_and_maybe_wait(&client, &tx, wait.limits()).await
        }
        WalletCommand::Send { transfer, wait } => {
            if transfer.out.is_some() {
                return Err(Failure::usage("--out is for `build`"));
            }
            let wallet = load_wallet(&path)?;
            let tx = build(&client, &wallet, &transfer).await?;
            submit_and_maybe_wait(&client, &tx, wait.limits()).await
        }
        WalletCommand::VerifyProof { proof } => verify_proof::run(&client, &proof).await,
        WalletCommand::Watch { txid, confirmations, timeout } => {
            let (status, text) = watch(&client, &txid, confirmations, timeout).await?;
            Ok(Output { code: 0, json: status, text })
        }
    }
}

/// Builds and signs a transfer: the nonce, balance and network come from the flags when all
/// three are given (offline), else from the node. A pending transfer of this wallet with the
/// same nonce is updated (amounts and fees add up), as the node's own wallet does.
async fn build(client: &Client, wallet: &Wallet, t: &TransferArgs) -> Result<Transfer, Failure> {
    let recipient = parse_address(&t.recipient)?;
    if !recipient.is_on_curve() {
        return Err(Failure::usage("the recipient is not a secp256k1 public key: its coins could never be spent"));
    }
    let defaults = NetworkParams::default();
    let (network, account, pending) = match (t.nonce, t.balance, &t.network) {
        (Some(nonce), Some(balance), Some(network)) => {
            (network.clone(), Account { balance: Amount(balance), nonce }, None)
        }
        (None, None, None) => {
            let status = client.get("/status").await?;
            let network = status["network"].as_str().unwrap_or_default().to_string();
            let info = client.get(&format!("/address/{}?limit=1", wallet.address())).await?;
            let balance = info["balance"].as_u64().ok_or_else(|| Failure::node("bad_response", "no balance"))?;
            let nonce = info["nonce"].as_u64().ok_or_else(|| Failure::node("bad_response", "no nonce"))?;
            let pending: Option<Transfer> =
                if info["pending"].is_null() { None } else { serde_json::from_value(info["pending"].clone()).ok() };
            (network, Account { balance: Amount(balance), nonce }, pending)
        }
        _ => return Err(Failure::usage("offline signing needs all of --nonce, --balance and --network")),
    };
    wallet
        .create_transfer(
            &network,
            defaults.max_outputs,
            account,
            pending.as_ref(),
            recipient,
            Amount(t.amount),
            Amount(t.fee),
            crate::clock::now_ms(),
        )
        .map_err(|e| Failure::usage(e.to_string()))
}

async fn submit_and_maybe_wait(client: &Client, tx: &Transfer, wait: Option<(u64, u64)>) -> Result<Output, Failure> {
    let body = serde_json::to_value(tx).map_err(|e| Failure::usage(e.to_string()))?;
    let answer = client.post("/transactions", &body).await?;
    let id = tx.id.to_string();
    match wait {
        None => Ok(Output {
            code: 0,
            json: json!({"id": id, "status": answer["status"], "replaced": answer["replaced"]}),
            text: format!("submitted {id} (pending)"),
        }),
        Some((confirmations, timeout)) => {
            let (status, text) = watch(client, &id, confirmations, timeout).await?;
            Ok(Output { code: 0, json: status, text: format!("submitted {id}\n{text}") })
        }
    }
}

/// Polls `GET /transactions/{id}` until it has `confirmations`.
async fn watch(client: &Client, txid: &str, confirmations: u64, timeout: u64) -> Result<(Value, String), Failure> {
    let deadline = Instant::now() + Duration::from_secs(timeout);
    loop {
        match client.get(&format!("/transactions/{txid}")).await {
            Ok(v) if v["status"] == "confirmed" && v["confirmations"].as_u64().unwrap_or(0) >= confirmations => {
                let text = format!(
                    "{txid} confirmed in block {} ({}) with {} confirmation(s)",
                    v["block_number"],
                    v["block_hash"].as_str().unwrap_or("?"),
                    v["confirmations"]
                );
                let json = json!({"id": txid, "status": "confirmed", "block_number": v["block_number"],
                    "block_hash": v["block_hash"], "confirmations": v["confirmations"]});
                return Ok((json, text));
            }
            Ok(_) => {}
            // Not yet seen (e.g. a reorg put it back and the pool refused it): keep looking
            // until the deadline, then say so.
            Err(f) if f.error == "not_found" => {}
            Err(f) => return Err(f),
        }
        if Instant::now() >= deadline {
            return Err(Failure::node(
                "timeout",
                format!("{txid} not confirmed {confirmations} time(s) in {timeout} s"),
            ));
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
}
