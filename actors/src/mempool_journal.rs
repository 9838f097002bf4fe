//! [`MempoolJournal`]: the pending transfers on disk, so that a transfer the node accepted is
//! not lost when the process dies (a `kill -9`, a crash, a restart). `<data_dir>/mempool.jsonl`
//! holds one signed transfer as JSON per line. Every accepted transfer is appended with one
//! `write` before the acceptance is answered: the bytes are in the kernel's page cache when the
//! caller hears "accepted", which survives the death of the process (not a power cut; the
//! periodic rewrite is fsynced). Transfers that leave the pool are not journaled: the file is
//! rewritten from the pool (to a temporary file, fsynced, then renamed over the old one) when
//! it holds more than twice the pool plus [`COMPACT_SLACK`] lines, and after the reload at
//! start-up. At start-up every line is submitted again like a new transfer; those the chain has
//! since made invalid are refused for a stated reason (see `GET /transactions/{id}`).

use bitcoin_rust_core::transaction::Transfer;
use std::fs::{File, OpenOptions};
use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};

/// The journal's file name in the data directory.
pub const JOURNAL_FILE: &str = "mempool.jsonl";
/// Lines beyond twice the pool size tolerated before a rewrite.
pub const COMPACT_SLACK: usize = 1_000;

/// The append-only file of accepted transfers.
#[derive(Debug)]
pub struct MempoolJournal {
    path: PathBuf,
    file: File,
    lines: usize,
}

/// What was read back at start-up.
#[derive(Debug, Default)]
pub struct Reloaded {
    /// The transfers, oldest first.
    pub transfers: Vec<Transfer>,
    /// Lines that were not a transfer (a line cut short by a crash mid-write).
    pub unreadable: usize,
}

impl MempoolJournal {
    /// Opens (or creates) the journal in `dir` and reads back what it holds.
    ///
    /// # Errors
    /// The file cannot be read or opened for appending.
    pub fn open(dir: &Path) -> std::io::Result<(MempoolJournal, Reloaded)> {
        let path = dir.join(JOURNAL_FILE);
        let mut reloaded = Reloaded::default();
        let mut lines = 0;
        match File::open(&path) {
            Ok(f) => {
                for line in BufReader::new(f).split(b'\n') {
                    let line = line?;
                    if line.iter().all(u8::is_ascii_whitespace) {
                        continue;
                    }
                    lines += 1;
                    match serde_json::from_slice::<Transfer>(&line) {
                        Ok(t) => reloaded.transfers.push(t),
                        Err(_) => reloaded.unreadable += 1,
                    }
                }
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => return Err(e),
        }
        let mut file = OpenOptions::new().create(true).append(true).open(&path)?;
        // A line cut short by a crash must not glue itself to the next append.
        if lines > 0 || file.metadata()?.len() > 0 {
            file.write_all(b"\n")?;
        }
        Ok((MempoolJournal { path, file, lines }, reloaded))
    }

    /// Appends one accepted transfer.
    ///
    /// # Errors
    /// The write failed (disk full, I/O error).
    pub fn append(&mut self, tx: &Transfer) -> std::io::Result<()> {
        let mut line = serde_json::to_vec(tx).map_err(std::io::Error::other)?;
        line.push(b'\n');
        self.file.write_all(&line)?;
        self.lines += 1;
        Ok(())
    }

    /// Returns true when the file holds many more lines than a pool of `pool_len`.
    pub fn wants_compaction(&self, pool_len: usize) -> bool {
        self.lines > pool_len * 2 + COMPACT_SLACK
    }

    /// Replaces the file's contents with `pool`, atomically.
    ///
    /// # Errors
    /// The new file could not be written, synced or renamed; the old one is then still in place.
    pub fn rewrite<'a>(&mut self, pool: impl IntoIterator<Item = &'a Transfer>) -> std::io::Result<()> {
        let tmp = self.path.with_extension("jsonl.tmp");
        let mut out = std::io::BufWriter::new(File::create(&tmp)?);
        let mut lines = 0;
        for tx in pool {
            serde_json::to_writer(&mut out, tx).map_err(std::io::Error::other)?;
            out.write_all(b"\n")?;
            lines += 1;
        }
        let file = out.into_inner().map_err(|e| e.into_error())?;
        file.sync_all()?;
        std::fs::rename(&tmp, &self.path)?;
        if let Some(dir) = self.path.parent() {
            // Make the rename itself durable.
            if let Ok(d) = File::open(dir) {
                let _ = d.sync_all();
            }
        }
        self.file = OpenOptions::new().append(true).open(&self.path)?;
        self.lines = lines;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use bitcoin_rust_core::amount::Amount;
    use bitcoin_rust_core::transaction::TxOutput;

    fn transfer(nonce: u64) -> Transfer {
        let key = bitcoin_rust_core::testkit::key(1);
        let to = bitcoin_rust_core::testkit::address(2);
        Transfer::sign("j", &key, nonce, 0, Amount(100), Amount(1), vec![TxOutput { address: to, amount: Amount(99) }])
    }

    #[test]
    fn appended_transfers_come_back_and_a_torn_line_is_skipped() {
        let dir = tempfile::tempdir().unwrap();
        let (mut j, r) = MempoolJournal::open(dir.path()).unwrap();
        assert!(r.transfers.is_empty());
        j.append(&transfer(0)).unwrap();
        j.append(&transfer(1)).unwrap();
        drop(j);
        // A crash in the middle of a write leaves half a line.
        let mut f = OpenOptions::new().append(true).open(dir.path().join(JOURNAL_FILE)).unwrap();
        f.write_all(br#"{"id":"ab"#).unwrap();
        drop(f);
        let (mut j, r) = MempoolJournal::open(dir.path()).unwrap();
        assert_eq!(r.transfers, vec![transfer(0), transfer(1)]);
        assert_eq!(r.unreadable, 1);
        // The next append starts on a line of its own.
        j.append(&transfer(2)).unwrap();
        drop(j);
        let (_, r) = MempoolJournal::open(dir.path()).unwrap();
        assert_eq!(r.transfers, vec![transfer(0), transfer(1), transfer(2)]);
    }

    #[test]
    fn a_rewrite_keeps_only_the_pool() {
        let dir = tempfile::tempdir().unwrap();
        let (mut j, _) = MempoolJournal::open(dir.path()).unwrap();
        for n in 0..5 {
            j.append(&transfer(n)).unwrap();
        }
        assert!(!j.wants_compaction(0));
        let keep = [transfer(3)];
        j.rewrite(keep.iter()).unwrap();
        j.append(&transfer(9)).unwrap();
        drop(j);
        let (_, r) = MempoolJournal::open(dir.path()).unwrap();
        assert_eq!(r.transfers, vec![transfer(3), transfer(9)]);
        assert!(!dir.path().join("mempool.jsonl.tmp").exists());
    }
}
