//! Crash safety of the store: a writer process connecting blocks (and reorganising) is killed
//! with SIGKILL at random moments, 50 times; one round in five it writes batches as a syncing
//! node does (`Chain::process_batch`: one durable write transaction per batch), so the kill
//! lands mid-batch. After each kill the store must open, its chain must
//! be valid, its ledger must equal a replay of its blocks and the reference balance scan, and its
//! height must never go back (every committed switch only adds work and height here).

use bitcoin_rust_core::amount::Height;
use bitcoin_rust_core::block::Block;
use bitcoin_rust_core::chain::Chain;
use bitcoin_rust_core::oracle;
use bitcoin_rust_core::store::redb_store::RedbStore;
use bitcoin_rust_core::testkit::{address, easy_params};
use rand::{Rng, SeedableRng};
use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::Duration;

const KILLS: usize = 50;

#[test]
fn killing_the_writer_at_random_moments_never_corrupts_the_store() {
    let dir = tempfile::tempdir().expect("temp dir");
    let db = dir.path().join("chain.redb");
    let params = easy_params();
    let mut rng = rand::rngs::SmallRng::seed_from_u64(0x5eed);
    let mut last_height = 0u64;
    for round in 0..KILLS {
        let mut child = Command::new(env!("CARGO_BIN_EXE_store_writer"))
            .arg(&db)
            .arg(round.to_string())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("start store_writer");
        let stdout = child.stdout.take().expect("piped stdout");
        let mut line = String::new();
        BufReader::new(stdout).read_line(&mut line).expect("read ready line");
        assert!(line.starts_with("ready"), "writer did not start: {line:?}");
        std::thread::sleep(Duration::from_millis(rng.gen_range(5..250)));
        child.kill().expect("SIGKILL the writer");
        let status = child.wait().expect("reap the writer");
        assert!(!status.success(), "the writer died by itself in round {round}: {status}");

        let store = RedbStore::open(&db, &params).unwrap_or_else(|e| panic!("round {round}: reopen failed: {e}"));
        let chain = Chain::open(params.clone(), store).unwrap_or_else(|e| panic!("round {round}: {e}"));
        chain.verify_by_replay().unwrap_or_else(|e| panic!("round {round}: {e}"));
        let blocks: Vec<Block> = (0..=chain.height().0).map(|h| chain.block_at(Height(h)).unwrap().unwrap()).collect();
        for s in 0..5 {
            let a = address(s);
            assert_eq!(chain.account(&a).balance, oracle::balance(&blocks, &a), "round {round}");
            assert_eq!(chain.account(&a).nonce, oracle::nonce(&blocks, &a), "round {round}");
        }
        let height = chain.height().0;
        assert!(height >= last_height, "round {round}: height went back from {last_height} to {height}");
        last_height = height;
    }
    assert!(last_height > 20, "the writer made too little progress to mean anything: {last_height}");
}
