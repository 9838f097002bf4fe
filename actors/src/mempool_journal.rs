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
//!
//! The file is written by one thread of its own (`mempool-journal`), never by the actor that
//! owns the pool: [`MempoolJournal::append`] and [`MempoolJournal::rewrite`] queue the work and
//! return an [`Ack`] to wait for (the pool hands the append's `Ack` to whoever submitted the
//! transfer, and the HTTP API and the wallet answer "accepted" only once it arrives). Appends queued together are written with one `write` (a group commit), each
//! acknowledged after it. The thread does the queued work strictly in order, so a rewrite holds
//! every transfer appended before it was asked for (the pool it was given had them), and a
//! transfer appended after lands in the new file: a compaction never loses a line, and an append
//! waits at most for one compaction. The pool asks for one compaction at a time.

use bitcoin_rust_core::transaction::Transfer;
use std::fs::{File, OpenOptions};
use std::future::Future;
use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::pin::Pin;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{mpsc, Arc};
use std::task::{Context, Poll};

/// The journal's file name in the data directory.
pub const JOURNAL_FILE: &str = "mempool.jsonl";
/// Lines beyond twice the pool size tolerated before a rewrite.
pub const COMPACT_SLACK: usize = 1_000;
/// The most bytes of queued appends written together (about 400 transfers).
const MAX_GROUP_BYTES: usize = 256 * 1024;

/// The append-only file of accepted transfers, written by its own thread.
#[derive(Debug)]
pub struct MempoolJournal {
    queue: Option<mpsc::Sender<Command>>,
    /// Lines in the file (kept by the writer thread).
    lines: Arc<AtomicUsize>,
    writer: Option<std::thread::JoinHandle<()>>,
}

/// What was read back at start-up.
#[derive(Debug, Default)]
pub struct Reloaded {
    /// The transfers, oldest first.
    pub transfers: Vec<Transfer>,
    /// Lines that were not a transfer (a line cut short by a crash mid-write).
    pub unreadable: usize,
}

/// Work for the writer thread.
enum Command {
    /// One line (newline included).
    Append(Vec<u8>, tokio::sync::oneshot::Sender<std::io::Result<()>>),
    /// Replace the file's contents with these transfers.
    Rewrite(Vec<Transfer>, tokio::sync::oneshot::Sender<std::io::Result<()>>),
}

/// The answer to a queued append or rewrite: await it, or [`Ack::wait`] outside async code.
#[derive(Debug)]
pub struct Ack(tokio::sync::oneshot::Receiver<std::io::Result<()>>);

fn writer_gone() -> std::io::Error {
    std::io::Error::other("the mempool journal's writer thread has stopped")
}

impl Ack {
    fn failed(e: std::io::Error) -> Ack {
        let (tx, rx) = tokio::sync::oneshot::channel();
        let _ = tx.send(Err(e));
        Ack(rx)
    }

    /// Blocks until the work is done (not from async code).
    ///
    /// # Errors
    /// The write failed, or the writer thread has stopped.
    pub fn wait(self) -> std::io::Result<()> {
        self.0.blocking_recv().unwrap_or_else(|_| Err(writer_gone()))
    }
}

impl Future for Ack {
    type Output = std::io::Result<()>;
    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        Pin::new(&mut self.0).poll(cx).map(|r| r.unwrap_or_else(|_| Err(writer_gone())))
    }
}

/// The writer thread's side: the file and its line count.
struct Writer {
    path: PathBuf,
    /// `None` after a rewrite whose new file could not be opened for appending: reopened at the
    /// next append (appending to the replaced file would lose the line).
    file: Option<File>,
    lines: Arc<AtomicUsize>,
    /// A write failed part-way: the file may end in a partial line.
    torn: bool,
}

impl Writer {
    /// Does the queued work in order. Appends queued together are one group: their lines are
    /// written with one `write`, then each is acknowledged (a busy pool pays one system call
    /// per group, not per transfer; an idle one still writes each line at once).
    fn run(mut self, queue: mpsc::Receiver<Command>) {
        let mut next = queue.recv().ok();
        while let Some(command) = next.take() {
            match command {
                Command::Append(line, ack) => {
                    let mut group = line;
                    let mut acks = vec![ack];
                    while group.len() < MAX_GROUP_BYTES {
                        match queue.try_recv() {
                            Ok(Command::Append(line, ack)) => {
                                group.extend_from_slice(&line);
                                acks.push(ack);
                            }
                            Ok(other) => {
                                next = Some(other);
                                break;
                            }
                            Err(_) => break,
                        }
                    }
                    let written = self.append(&group, acks.len());
                    for ack in acks {
                        let _ = ack.send(match &written {
                            Ok(()) => Ok(()),
                            Err(e) => Err(std::io::Error::new(e.kind(), e.to_string())),
                        });
                    }
                }
                Command::Rewrite(pool, ack) => {
                    let _ = ack.send(self.rewrite(&pool));
                }
            }
            if next.is_none() {
                next = queue.recv().ok();
            }
        }
    }

    fn append(&mut self, lines: &[u8], count: usize) -> std::io::Result<()> {
        if self.file.is_none() {
            self.file = Some(OpenOptions::new().create(true).append(true).open(&self.path)?);
        }
        if let Some(file) = self.file.as_mut() {
            if std::mem::take(&mut self.torn) {
                // The last write failed part-way: its partial line must not glue itself to
                // the first line of this one (reloading skips it as unreadable).
                file.write_all(b"\n").inspect_err(|_| self.torn = true)?;
            }
            file.write_all(lines).inspect_err(|_| self.torn = true)?;
        }
        self.lines.fetch_add(count, Ordering::Relaxed);
        Ok(())
    }

    fn rewrite(&mut self, pool: &[Transfer]) -> std::io::Result<()> {
        let tmp = self.path.with_extension("jsonl.tmp");
        let mut out = std::io::BufWriter::new(File::create(&tmp)?);
        for tx in pool {
            serde_json::to_writer(&mut out, tx).map_err(std::io::Error::other)?;
            out.write_all(b"\n")?;
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
        self.lines.store(pool.len(), Ordering::Relaxed);
        self.file = None;
        self.torn = false;
        self.file = Some(OpenOptions::new().append(true).open(&self.path)?);
        Ok(())
    }
}

impl MempoolJournal {
    /// Opens (or creates) the journal in `dir`, reads back what it holds, and starts its writer
    /// thread.
    ///
    /// # Errors
    /// The file cannot be read or opened for appending, or the thread cannot start.
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
        let lines = Arc::new(AtomicUsize::new(lines));
        let writer = Writer { path, file: Some(file), lines: lines.clone(), torn: false };
        let (queue, commands) = mpsc::channel();
        let handle = std::thread::Builder::new().name("mempool-journal".into()).spawn(move || writer.run(commands))?;
        Ok((MempoolJournal { queue: Some(queue), lines, writer: Some(handle) }, reloaded))
    }

    fn send(&self, command: impl FnOnce(tokio::sync::oneshot::Sender<std::io::Result<()>>) -> Command) -> Ack {
        let (tx, rx) = tokio::sync::oneshot::channel();
        match self.queue.as_ref().map(|q| q.send(command(tx))) {
            Some(Ok(())) => Ack(rx),
            _ => Ack::failed(writer_gone()),
        }
    }

    /// Queues one accepted transfer for appending; the [`Ack`] comes once it is written.
    pub fn append(&self, tx: &Transfer) -> Ack {
        let mut line = match serde_json::to_vec(tx) {
            Ok(line) => line,
            Err(e) => return Ack::failed(std::io::Error::other(e)),
        };
        line.push(b'\n');
        self.send(|ack| Command::Append(line, ack))
    }

    /// Returns true when the file holds many more lines than a pool of `pool_len`.
    pub fn wants_compaction(&self, pool_len: usize) -> bool {
        self.lines.load(Ordering::Relaxed) > pool_len * 2 + COMPACT_SLACK
    }

    /// Queues replacing the file's contents with `pool` (which must hold every pending transfer
    /// appended so far), atomically; appends queued after it go to the new file. If the new
    /// file cannot be written, synced or renamed, the old one stays in place (and in use).
    pub fn rewrite(&self, pool: Vec<Transfer>) -> Ack {
        self.send(|ack| Command::Rewrite(pool, ack))
    }
}

impl Drop for MempoolJournal {
    /// Lets the writer finish the queued work (at most one compaction) before the file is
    /// given up, so a journal opened again sees every line.
    fn drop(&mut self) {
        self.queue = None;
        if let Some(writer) = self.writer.take() {
            let _ = writer.join();
        }
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
        let (j, r) = MempoolJournal::open(dir.path()).unwrap();
        assert!(r.transfers.is_empty());
        j.append(&transfer(0)).wait().unwrap();
        j.append(&transfer(1)).wait().unwrap();
        drop(j);
        // A crash in the middle of a write leaves half a line.
        let mut f = OpenOptions::new().append(true).open(dir.path().join(JOURNAL_FILE)).unwrap();
        f.write_all(br#"{"id":"ab"#).unwrap();
        drop(f);
        let (j, r) = MempoolJournal::open(dir.path()).unwrap();
        assert_eq!(r.transfers, vec![transfer(0), transfer(1)]);
        assert_eq!(r.unreadable, 1);
        // The next append starts on a line of its own.
        j.append(&transfer(2)).wait().unwrap();
        drop(j);
        let (_, r) = MempoolJournal::open(dir.path()).unwrap();
        assert_eq!(r.transfers, vec![transfer(0), transfer(1), transfer(2)]);
    }

    #[test]
    fn a_rewrite_keeps_only_the_pool() {
        let dir = tempfile::tempdir().unwrap();
        let (j, _) = MempoolJournal::open(dir.path()).unwrap();
        for n in 0..5 {
            j.append(&transfer(n)).wait().unwrap();
        }
        assert!(!j.wants_compaction(0));
        j.rewrite(vec![transfer(3)]).wait().unwrap();
        j.append(&transfer(9)).wait().unwrap();
        drop(j);
        let (_, r) = MempoolJournal::open(dir.path()).unwrap();
        assert_eq!(r.transfers, vec![transfer(3), transfer(9)]);
        assert!(!dir.path().join("mempool.jsonl.tmp").exists());
    }

    #[test]
    fn appends_queued_during_a_compaction_land_in_the_new_file() {
        let dir = tempfile::tempdir().unwrap();
        let (j, _) = MempoolJournal::open(dir.path()).unwrap();
        for n in 0..COMPACT_SLACK as u64 + 3 {
            j.append(&transfer(n)).wait().unwrap();
        }
        assert!(j.wants_compaction(1));
        // Nothing waits in between: the rewrite and the appends are only queued.
        let rewrite = j.rewrite(vec![transfer(3)]);
        let later: Vec<Ack> = (5_000..5_010).map(|n| j.append(&transfer(n))).collect();
        rewrite.wait().unwrap();
        for ack in later {
            ack.wait().unwrap();
        }
        assert!(!j.wants_compaction(1));
        drop(j);
        let (_, r) = MempoolJournal::open(dir.path()).unwrap();
        let mut want = vec![transfer(3)];
        want.extend((5_000..5_010).map(transfer));
        assert_eq!(r.transfers, want);
    }

    #[test]
    fn after_a_failed_write_the_next_line_starts_on_a_line_of_its_own() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(JOURNAL_FILE);
        let line = |n| {
            let mut l = serde_json::to_vec(&transfer(n)).unwrap();
            l.push(b'\n');
            l
        };
        // A partial line left by a write that failed part-way (the disk filled up).
        std::fs::write(&path, &line(0)[..40]).unwrap();
        let read_only = File::open(&path).unwrap();
        let mut w =
            Writer { path: path.clone(), file: Some(read_only), lines: Arc::new(AtomicUsize::new(0)), torn: false };
        assert!(w.append(&line(1), 1).is_err());
        assert!(w.torn);
        w.file = Some(OpenOptions::new().append(true).open(&path).unwrap());
        w.append(&line(2), 1).unwrap();
        drop(w);
        let (_, r) = MempoolJournal::open(dir.path()).unwrap();
        assert_eq!(r.transfers, vec![transfer(2)], "the acknowledged line is whole");
        assert_eq!(r.unreadable, 1);
    }

    #[test]
    fn appends_queued_together_are_written_in_order_around_a_rewrite_and_counted() {
        let dir = tempfile::tempdir().unwrap();
        let (j, _) = MempoolJournal::open(dir.path()).unwrap();
        // Queued without waiting: the writer takes them in groups (one `write` each).
        let mut acks: Vec<Ack> = (0..300).map(|n| j.append(&transfer(n))).collect();
        acks.push(j.rewrite(vec![transfer(7)]));
        acks.extend((1_000..1_300).map(|n| j.append(&transfer(n))));
        for ack in acks {
            ack.wait().unwrap();
        }
        assert_eq!(j.lines.load(Ordering::Relaxed), 301, "the rewrite's line and every append after it");
        drop(j);
        let (_, r) = MempoolJournal::open(dir.path()).unwrap();
        let mut want = vec![transfer(7)];
        want.extend((1_000..1_300).map(transfer));
        assert_eq!(r.transfers, want);
        assert_eq!(r.unreadable, 0);
    }
}
