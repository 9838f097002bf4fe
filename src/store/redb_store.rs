//! [`RedbStore`]: the node's [`ChainStore`] in one redb file (pure Rust, ACID, copy-on-write
//! B-trees with a checksummed commit). A [`ChainCommit`] is one redb write transaction committed
//! with immediate durability, so a kill at any instant leaves the old tip or the new one; in a
//! batch ([`ChainStore::begin_batch`]) the commits of many blocks share one write transaction,
//! which the store's own reads read through, committed once at the batch's end. What the writer
//! never reads back while it runs (the active chain, the accounts, the tip record) is merged in
//! memory over the batch and written once at its end (`Deferred`): the miner's account that
//! every block pays is one insert per batch, not one per block, and those three tables are
//! opened once per batch.
//!
//! Tables: `meta` (format version, genesis, tip), `blocks` (hash → block encoding), `headers`
//! (hash → header + invalid flag), `active` (height → hash), `undo` (hash → undo record),
//! `accounts` (address → balance, nonce), `txindex` (txid → height, index).

use super::*;
use crate::params::NetworkParams;
use redb::{Builder, Database, DatabaseError, ReadableTable, TableDefinition};
use std::cell::OnceCell;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

const META: TableDefinition<&str, &[u8]> = TableDefinition::new("meta");
const BLOCKS: TableDefinition<&[u8], &[u8]> = TableDefinition::new("blocks");
const HEADERS: TableDefinition<&[u8], &[u8]> = TableDefinition::new("headers");
const ACTIVE: TableDefinition<u64, &[u8]> = TableDefinition::new("active");
const UNDO: TableDefinition<&[u8], &[u8]> = TableDefinition::new("undo");
const ACCOUNTS: TableDefinition<&[u8], &[u8]> = TableDefinition::new("accounts");
const TXINDEX: TableDefinition<&[u8], &[u8]> = TableDefinition::new("txindex");

const KEY_FORMAT: &str = "format";
const KEY_GENESIS: &str = "genesis";
const KEY_TIP: &str = "tip";

/// The memory redb may use to cache pages of the file (read cache and write buffer together),
/// unless [`RedbStore::open_with_cache`] says otherwise. redb's own default is 1 GiB, which a
/// node fills as its chain grows (opening the chain reads every header and index entry once):
/// the cache would make the node's memory grow with the chain. 32 MiB holds the hot pages of
/// the tables (the top of every B-tree, recent blocks, the accounts being paid) with room to spare.
pub const DEFAULT_CACHE_BYTES: usize = 32 * 1024 * 1024;

/// A chain store in a redb database file.
pub struct RedbStore {
    db: Arc<Database>,
    params: NetworkParams,
    genesis: BlockHash,
    path: PathBuf,
    bulk: bool,
    /// The write transaction of the open batch ([`ChainStore::begin_batch`]): every write goes
    /// into it, the store's reads read through it, and its commit is the batch's one write.
    batch: Option<redb::WriteTransaction>,
    /// A write of the open batch failed: the batch must not be committed.
    batch_failed: bool,
    /// The open batch's writes to the active chain, the accounts and the tip, merged.
    deferred: Deferred,
}

/// The part of one or more chain switches the writer never reads back until the store is
/// opened again: the active chain, the accounts and the tip record. Merging the commits of a
/// batch in order gives what writing each in turn would have left.
#[derive(Debug, Default)]
struct Deferred {
    /// Active-chain entries set, by height.
    active: BTreeMap<u64, BlockHash>,
    /// The lowest tip height of the merged switches: stored entries above it are removed
    /// (those set again are in `active`).
    lowest_tip: Option<u64>,
    /// Accounts set (`Some`) or removed (`None`).
    accounts: HashMap<Address, Option<Account>>,
    /// The last switch's tip.
    tip: Option<BlockHash>,
}

impl Deferred {
    /// Adds `c`'s part, as if written after everything merged so far.
    fn merge(&mut self, c: &ChainCommit) {
        for (i, hash) in c.active_from.iter().enumerate() {
            self.active.insert(c.first_height.0 + i as u64, *hash);
        }
        // Entries above the new tip are gone, whichever switch set them.
        self.active.split_off(&(c.tip_height.0 + 1));
        self.lowest_tip = Some(self.lowest_tip.map_or(c.tip_height.0, |l| l.min(c.tip_height.0)));
        for (address, account) in &c.delta.accounts {
            self.accounts.insert(*address, *account);
        }
        self.tip = Some(c.tip);
    }

    /// Writes what was merged in `wtx` (nothing when nothing was).
    fn write(&self, wtx: &redb::WriteTransaction) -> Result<(), StoreError> {
        let Some(lowest_tip) = self.lowest_tip else {
            return Ok(());
        };
        let mut active = wtx.open_table(ACTIVE).map_err(backend)?;
        let stale: Vec<u64> = active
            .range(lowest_tip + 1..)
            .map_err(backend)?
            .map(|item| item.map(|(k, _)| k.value()))
            .collect::<Result<_, _>>()
            .map_err(backend)?;
        for height in stale.into_iter().filter(|h| !self.active.contains_key(h)) {
            active.remove(height).map_err(backend)?;
        }
        for (height, hash) in &self.active {
            active.insert(*height, hash.as_bytes().as_slice()).map_err(backend)?;
        }
        let mut accounts = wtx.open_table(ACCOUNTS).map_err(backend)?;
        for (a, acct) in &self.accounts {
            match acct {
                Some(acct) => {
                    accounts.insert(a.as_bytes().as_slice(), encode_account(acct).as_slice()).map_err(backend)?;
                }
                None => {
                    accounts.remove(a.as_bytes().as_slice()).map_err(backend)?;
                }
            }
        }
        if let Some(tip) = &self.tip {
            let mut meta = wtx.open_table(META).map_err(backend)?;
            meta.insert(KEY_TIP, tip.as_bytes().as_slice()).map_err(backend)?;
        }
        Ok(())
    }
}

impl std::fmt::Debug for RedbStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RedbStore").field("path", &self.path).field("genesis", &self.genesis).finish()
    }
}

fn backend(e: impl std::fmt::Display) -> StoreError {
    StoreError::Backend(e.to_string())
}

impl RedbStore {
    /// Opens (or creates) the database at `path` for the network of `params`.
    ///
    /// # Errors
    /// [`StoreError::Corrupt`] for a damaged or foreign file, [`StoreError::WrongNetwork`] for
    /// another network's database, [`StoreError::WrongFormat`], [`StoreError::Locked`] when another
    /// process has it open, [`StoreError::Backend`] for I/O failures.
    pub fn open(path: &Path, params: &NetworkParams) -> Result<RedbStore, StoreError> {
        RedbStore::open_with_cache(path, params, DEFAULT_CACHE_BYTES)
    }

    /// [`RedbStore::open`] with a page cache of `cache_bytes` (at least 1 MiB is used).
    ///
    /// # Errors
    /// As [`RedbStore::open`].
    pub fn open_with_cache(path: &Path, params: &NetworkParams, cache_bytes: usize) -> Result<RedbStore, StoreError> {
        let shown = path.display().to_string();
        let db = match Builder::new().set_cache_size(cache_bytes.max(1024 * 1024)).create(path) {
            Ok(db) => db,
            Err(DatabaseError::DatabaseAlreadyOpen) => return Err(StoreError::Locked { path: shown }),
            Err(DatabaseError::Storage(redb::StorageError::Io(e))) => {
                return Err(if e.kind() == std::io::ErrorKind::InvalidData {
                    StoreError::Corrupt { path: shown, reason: e.to_string() }
                } else {
                    StoreError::Backend(format!("{shown}: {e}"))
                })
            }
            Err(e) => return Err(StoreError::Corrupt { path: shown, reason: e.to_string() }),
        };
        let genesis_block = crate::block::genesis_block(params);
        let genesis = genesis_block.hash();
        let store = RedbStore {
            db: Arc::new(db),
            params: params.clone(),
            genesis,
            path: path.to_path_buf(),
            bulk: false,
            batch: None,
            batch_failed: false,
            deferred: Deferred::default(),
        };
        store.check_or_init(&genesis_block)?;
        Ok(store)
    }

    fn corrupt(&self, reason: impl Into<String>) -> StoreError {
        StoreError::Corrupt { path: self.path.display().to_string(), reason: reason.into() }
    }

    fn check_or_init(&self, genesis_block: &Block) -> Result<(), StoreError> {
        use redb::ReadableTableMetadata;
        let rtx = self.db.begin_read().map_err(backend)?;
        let format = match rtx.open_table(META) {
            Ok(meta) => meta.get(KEY_FORMAT).map_err(backend)?.map(|v| v.value().to_vec()),
            Err(redb::TableError::TableDoesNotExist(_)) => None,
            Err(e) => return Err(self.corrupt(e.to_string())),
        };
        match format {
            Some(bytes) => {
                let found = u32::from_be_bytes(
                    bytes.as_slice().try_into().map_err(|_| self.corrupt("format record has a wrong length"))?,
                );
                if found != STORE_FORMAT_VERSION {
                    return Err(StoreError::WrongFormat { expected: STORE_FORMAT_VERSION, found });
                }
                let meta = rtx.open_table(META).map_err(backend)?;
                let stored =
                    meta.get(KEY_GENESIS).map_err(backend)?.ok_or_else(|| self.corrupt("no genesis record"))?;
                let found = BlockHash(decode_hash(stored.value()).map_err(|e| self.corrupt(e.to_string()))?);
                if found != self.genesis {
                    return Err(StoreError::WrongNetwork { expected: self.genesis, found });
                }
                Ok(())
            }
            None => {
                let foreign = rtx.list_tables().map_err(backend)?.count();
                if foreign > 0 {
                    return Err(self.corrupt("a redb database without bitcoin_rust metadata"));
                }
                drop(rtx);
                let hash = genesis_block.hash();
                let wtx = self.db.begin_write().map_err(backend)?;
                {
                    let mut meta = wtx.open_table(META).map_err(backend)?;
                    meta.insert(KEY_FORMAT, STORE_FORMAT_VERSION.to_be_bytes().as_slice()).map_err(backend)?;
                    meta.insert(KEY_GENESIS, hash.as_bytes().as_slice()).map_err(backend)?;
                    meta.insert(KEY_TIP, hash.as_bytes().as_slice()).map_err(backend)?;
                    let mut blocks = wtx.open_table(BLOCKS).map_err(backend)?;
                    blocks.insert(hash.as_bytes().as_slice(), genesis_block.encode().as_slice()).map_err(backend)?;
                    let mut headers = wtx.open_table(HEADERS).map_err(backend)?;
                    headers
                        .insert(
                            hash.as_bytes().as_slice(),
                            encode_header_record(&genesis_block.header, None).as_slice(),
                        )
                        .map_err(backend)?;
                    let mut active = wtx.open_table(ACTIVE).map_err(backend)?;
                    active.insert(0u64, hash.as_bytes().as_slice()).map_err(backend)?;
                    let mut accounts = wtx.open_table(ACCOUNTS).map_err(backend)?;
                    for a in &self.params.genesis_allocations {
                        let account = crate::state::Account { balance: a.amount, nonce: 0 };
                        accounts
                            .insert(a.address.as_bytes().as_slice(), encode_account(&account).as_slice())
                            .map_err(backend)?;
                    }
                    drop(accounts);
                    for def in [UNDO, ACCOUNTS, TXINDEX] {
                        let t = wtx.open_table(def).map_err(backend)?;
                        let _ = t.len().map_err(backend)?;
                    }
                }
                wtx.commit().map_err(backend)
            }
        }
    }

    /// Turns bulk mode on or off. In bulk mode commits are atomic but not flushed to disk
    /// (redb's `Durability::None`): a crash may lose the recent ones, but never leaves a mix.
    /// Turning it off makes everything so far durable. For importing many blocks at once.
    ///
    /// # Errors
    /// [`StoreError::Backend`] if the final durable commit fails.
    pub fn set_bulk_mode(&mut self, bulk: bool) -> Result<(), StoreError> {
        let was = self.bulk;
        self.bulk = bulk;
        if was && !bulk {
            let wtx = self.db.begin_write().map_err(backend)?;
            wtx.commit().map_err(backend)?;
        }
        Ok(())
    }

    fn begin_write(&self) -> Result<redb::WriteTransaction, StoreError> {
        let mut wtx = self.db.begin_write().map_err(backend)?;
        if self.bulk {
            wtx.set_durability(redb::Durability::None);
        }
        Ok(wtx)
    }

    /// Runs `write` in the open batch's transaction, or in a transaction of its own committed at
    /// once. A failed write in a batch marks the batch failed (it will not be committed).
    fn write(
        &mut self,
        write: impl FnOnce(&redb::WriteTransaction) -> Result<(), StoreError>,
    ) -> Result<(), StoreError> {
        match &self.batch {
            Some(wtx) => {
                let written = write(wtx);
                self.batch_failed |= written.is_err();
                written
            }
            None => {
                let wtx = self.begin_write()?;
                write(&wtx)?;
                wtx.commit().map_err(backend)
            }
        }
    }

    /// Reads the values of `keys` in `table` as the writer sees them: through the open batch's
    /// transaction, or from the last committed state.
    fn get_all(
        &self,
        table: TableDefinition<&'static [u8], &'static [u8]>,
        keys: &[&[u8]],
    ) -> Result<Vec<Option<Vec<u8>>>, StoreError> {
        fn get_in(
            t: &impl ReadableTable<&'static [u8], &'static [u8]>,
            keys: &[&[u8]],
        ) -> Result<Vec<Option<Vec<u8>>>, StoreError> {
            keys.iter().map(|k| Ok(t.get(*k).map_err(backend)?.map(|v| v.value().to_vec()))).collect()
        }
        match &self.batch {
            Some(wtx) => get_in(&wtx.open_table(table).map_err(backend)?, keys),
            None => get_in(&self.db.begin_read().map_err(backend)?.open_table(table).map_err(backend)?, keys),
        }
    }

    fn get_one(
        &self,
        table: TableDefinition<&'static [u8], &'static [u8]>,
        key: &[u8],
    ) -> Result<Option<Vec<u8>>, StoreError> {
        Ok(self.get_all(table, &[key])?.pop().flatten())
    }

    /// Returns a read-only handle on this database: the chain's read side, for other threads.
    pub fn reader(&self) -> RedbReader {
        RedbReader { db: Arc::clone(&self.db), params: Arc::new(self.params.clone()) }
    }

    /// Returns the stored tip.
    ///
    /// # Errors
    /// [`StoreError`] on a failure.
    pub fn tip(&self) -> Result<BlockHash, StoreError> {
        let rtx = self.db.begin_read().map_err(backend)?;
        let meta = rtx.open_table(META).map_err(backend)?;
        let tip = meta.get(KEY_TIP).map_err(backend)?.ok_or_else(|| self.corrupt("no tip record"))?;
        Ok(BlockHash(decode_hash(tip.value()).map_err(|e| self.corrupt(e.to_string()))?))
    }
}

impl ChainStore for RedbStore {
    fn genesis(&self) -> BlockHash {
        self.genesis
    }

    fn load(&self) -> Result<LoadedChain, StoreError> {
        let dec = |what| move |source| StoreError::Decode { what, source };
        let rtx = self.db.begin_read().map_err(backend)?;
        let mut loaded = LoadedChain::default();
        let headers = rtx.open_table(HEADERS).map_err(backend)?;
        for item in headers.iter().map_err(backend)? {
            let (_, v) = item.map_err(backend)?;
            loaded.headers.push(decode_header_record(v.value()).map_err(dec("header"))?);
        }
        let active = rtx.open_table(ACTIVE).map_err(backend)?;
        for (expected, item) in active.iter().map_err(backend)?.enumerate() {
            let (k, v) = item.map_err(backend)?;
            if k.value() != expected as u64 {
                return Err(self.corrupt(format!("active chain has a gap at height {expected}")));
            }
            loaded.active.push(BlockHash(decode_hash(v.value()).map_err(dec("active entry"))?));
        }
        let tip = self.tip()?;
        if loaded.active.last() != Some(&tip) {
            return Err(self.corrupt("the tip is not the last block of the active chain"));
        }
        let accounts = rtx.open_table(ACCOUNTS).map_err(backend)?;
        for item in accounts.iter().map_err(backend)? {
            let (k, v) = item.map_err(backend)?;
            let a = decode_address(k.value()).map_err(dec("account key"))?;
            loaded.accounts.insert(a, decode_account(v.value()).map_err(dec("account"))?);
        }
        Ok(loaded)
    }

    fn indexed_txids(&self, ids: &[TxId]) -> Result<HashMap<TxId, TxLocation>, StoreError> {
        let mut found = HashMap::new();
        if ids.is_empty() {
            return Ok(found);
        }
        let keys: Vec<&[u8]> = ids.iter().map(|id| id.as_bytes().as_slice()).collect();
        for (id, v) in ids.iter().zip(self.get_all(TXINDEX, &keys)?) {
            if let Some(v) = v {
                let loc = decode_location(&v).map_err(|source| StoreError::Decode { what: "tx location", source })?;
                found.insert(*id, loc);
            }
        }
        Ok(found)
    }

    fn tx_index(&self) -> Result<HashMap<TxId, TxLocation>, StoreError> {
        fn read_all(
            t: &impl ReadableTable<&'static [u8], &'static [u8]>,
        ) -> Result<HashMap<TxId, TxLocation>, StoreError> {
            let dec = |what| move |source| StoreError::Decode { what, source };
            let mut index = HashMap::new();
            for item in t.iter().map_err(backend)? {
                let (k, v) = item.map_err(backend)?;
                let id = TxId(decode_hash(k.value()).map_err(dec("txid"))?);
                index.insert(id, decode_location(v.value()).map_err(dec("tx location"))?);
            }
            Ok(index)
        }
        match &self.batch {
            Some(wtx) => read_all(&wtx.open_table(TXINDEX).map_err(backend)?),
            None => read_all(&self.db.begin_read().map_err(backend)?.open_table(TXINDEX).map_err(backend)?),
        }
    }

    fn put_block(&mut self, block: &Block) -> Result<(), StoreError> {
        self.put_blocks(std::slice::from_ref(block))
    }

    fn put_blocks(&mut self, blocks: &[Block]) -> Result<(), StoreError> {
        self.write(|wtx| write_blocks(wtx, blocks))
    }

    fn block(&self, hash: &BlockHash) -> Result<Option<Block>, StoreError> {
        self.get_one(BLOCKS, hash.as_bytes().as_slice())?
            .map(|v| Block::decode(&v, &self.params).map_err(|source| StoreError::Decode { what: "block", source }))
            .transpose()
    }

    fn undo(&self, hash: &BlockHash) -> Result<Option<BlockUndo>, StoreError> {
        self.get_one(UNDO, hash.as_bytes().as_slice())?
            .map(|v| decode_undo(&v).map_err(|source| StoreError::Decode { what: "undo", source }))
            .transpose()
    }

    fn begin_batch(&mut self) -> Result<(), StoreError> {
        if self.batch.is_none() {
            self.batch = Some(self.begin_write()?);
            self.batch_failed = false;
            self.deferred = Deferred::default();
        }
        Ok(())
    }

    fn end_batch(&mut self) -> Result<(), StoreError> {
        let Some(wtx) = self.batch.take() else {
            return Ok(());
        };
        let deferred = std::mem::take(&mut self.deferred);
        if std::mem::take(&mut self.batch_failed) {
            wtx.abort().map_err(backend)?;
            return Err(StoreError::Backend("a write of the batch failed: nothing of it was stored".into()));
        }
        if let Err(e) = deferred.write(&wtx) {
            wtx.abort().map_err(backend)?;
            return Err(e);
        }
        wtx.commit().map_err(backend)
    }

    fn abort_batch(&mut self) {
        self.batch_failed = false;
        self.deferred = Deferred::default();
        if let Some(wtx) = self.batch.take() {
            // An abort that fails leaves nothing committed either: the transaction is gone
            // and the file holds the last commit.
            let _ = wtx.abort();
        }
    }

    fn commit(&mut self, c: &ChainCommit) -> Result<(), StoreError> {
        if self.batch.is_some() {
            self.write(|wtx| write_commit(wtx, c))?;
            self.deferred.merge(c);
            Ok(())
        } else {
            self.write(|wtx| {
                write_commit(wtx, c)?;
                let mut state = Deferred::default();
                state.merge(c);
                state.write(wtx)
            })
        }
    }
}

/// Writes the part of one chain switch the writer may read back (blocks, undo records, the
/// transaction index, invalid marks) in `wtx`; the rest is [`Deferred`]'s.
fn write_commit(wtx: &redb::WriteTransaction, c: &ChainCommit) -> Result<(), StoreError> {
    write_blocks(wtx, &c.blocks)?;
    {
        let mut undo = wtx.open_table(UNDO).map_err(backend)?;
        for hash in &c.undo_delete {
            undo.remove(hash.as_bytes().as_slice()).map_err(backend)?;
        }
        for (hash, u) in &c.undo_put {
            undo.insert(hash.as_bytes().as_slice(), encode_undo(u).as_slice()).map_err(backend)?;
        }
        let mut txindex = wtx.open_table(TXINDEX).map_err(backend)?;
        for (id, loc) in &c.delta.txids {
            match loc {
                Some(loc) => {
                    txindex.insert(id.as_bytes().as_slice(), encode_location(loc).as_slice()).map_err(backend)?;
                }
                None => {
                    txindex.remove(id.as_bytes().as_slice()).map_err(backend)?;
                }
            }
        }
        // Most switches mark nothing invalid: the table is opened only when one does.
        if !c.invalid.is_empty() {
            let mut headers = wtx.open_table(HEADERS).map_err(backend)?;
            for (hash, why) in &c.invalid {
                let record = headers.get(hash.as_bytes().as_slice()).map_err(backend)?.map(|v| v.value().to_vec());
                if let Some(mut record) = record {
                    record.truncate(HEADER_LEN);
                    record.extend(encode_record_status(Some(why)));
                    headers.insert(hash.as_bytes().as_slice(), record.as_slice()).map_err(backend)?;
                }
            }
        }
    }
    Ok(())
}

/// Stores block bodies and their header records in `wtx`; a block already stored is left as
/// it is.
fn write_blocks(wtx: &redb::WriteTransaction, new: &[Block]) -> Result<(), StoreError> {
    if new.is_empty() {
        return Ok(());
    }
    let mut blocks = wtx.open_table(BLOCKS).map_err(backend)?;
    let mut headers = wtx.open_table(HEADERS).map_err(backend)?;
    for block in new {
        let hash = block.hash();
        if blocks.get(hash.as_bytes().as_slice()).map_err(backend)?.is_some() {
            continue;
        }
        blocks.insert(hash.as_bytes().as_slice(), block.encode().as_slice()).map_err(backend)?;
        headers
            .insert(hash.as_bytes().as_slice(), encode_header_record(&block.header, None).as_slice())
            .map_err(backend)?;
    }
    Ok(())
}

/// A read-only handle on a [`RedbStore`]'s database, shared with any thread: each
/// [`RedbReader::snapshot`] is one redb read transaction, which sees the last committed state and
/// never waits for the writer (redb's readers and its one writer do not block each other).
#[derive(Clone)]
pub struct RedbReader {
    db: Arc<Database>,
    params: Arc<NetworkParams>,
}

impl std::fmt::Debug for RedbReader {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RedbReader").field("network", &self.params.network_id).finish()
    }
}

impl RedbReader {
    /// Opens a snapshot of the last committed state.
    ///
    /// # Errors
    /// [`StoreError::Backend`] when the database cannot start a read transaction.
    pub fn snapshot(&self) -> Result<RedbSnapshot, StoreError> {
        Ok(RedbSnapshot {
            rtx: self.db.begin_read().map_err(backend)?,
            params: Arc::clone(&self.params),
            active: OnceCell::new(),
            tables: Default::default(),
        })
    }
}

/// One committed state of a [`RedbStore`], read-only (see [`ChainSnapshot`]).
pub struct RedbSnapshot {
    rtx: redb::ReadTransaction,
    params: Arc<NetworkParams>,
    /// The tables, each opened on first use and kept for the snapshot's life.
    active: OnceCell<redb::ReadOnlyTable<u64, &'static [u8]>>,
    tables: [OnceCell<redb::ReadOnlyTable<&'static [u8], &'static [u8]>>; 4],
}

/// The byte-keyed tables a snapshot reads, by their slot in `RedbSnapshot::tables`.
const SNAPSHOT_TABLES: [TableDefinition<&[u8], &[u8]>; 4] = [BLOCKS, HEADERS, ACCOUNTS, TXINDEX];

impl RedbSnapshot {
    fn active(&self) -> Result<&redb::ReadOnlyTable<u64, &'static [u8]>, StoreError> {
        if let Some(t) = self.active.get() {
            return Ok(t);
        }
        let t = self.rtx.open_table(ACTIVE).map_err(backend)?;
        Ok(self.active.get_or_init(|| t))
    }

    fn get(&self, slot: usize, key: &[u8]) -> Result<Option<Vec<u8>>, StoreError> {
        let cell = &self.tables[slot];
        let table = match cell.get() {
            Some(t) => t,
            None => {
                let t = self.rtx.open_table(SNAPSHOT_TABLES[slot]).map_err(backend)?;
                cell.get_or_init(|| t)
            }
        };
        Ok(table.get(key).map_err(backend)?.map(|v| v.value().to_vec()))
    }
}

impl ChainSnapshot for RedbSnapshot {
    fn params(&self) -> &NetworkParams {
        &self.params
    }

    fn tip_height(&self) -> Result<Height, StoreError> {
        let last = self.active()?.last().map_err(backend)?;
        Ok(Height(last.map(|(k, _)| k.value()).unwrap_or(0)))
    }

    fn hash_at(&self, height: Height) -> Result<Option<BlockHash>, StoreError> {
        self.active()?
            .get(height.0)
            .map_err(backend)?
            .map(|v| {
                decode_hash(v.value())
                    .map(BlockHash)
                    .map_err(|source| StoreError::Decode { what: "active entry", source })
            })
            .transpose()
    }

    fn block(&self, hash: &BlockHash) -> Result<Option<Block>, StoreError> {
        self.get(0, hash.as_bytes())?
            .map(|v| Block::decode(&v, &self.params).map_err(|source| StoreError::Decode { what: "block", source }))
            .transpose()
    }

    fn header(&self, hash: &BlockHash) -> Result<Option<(BlockHeader, Option<Invalidity>)>, StoreError> {
        self.get(1, hash.as_bytes())?
            .map(|v| decode_header_record(&v).map_err(|source| StoreError::Decode { what: "header", source }))
            .transpose()
    }

    fn account(&self, address: &Address) -> Result<Account, StoreError> {
        self.get(2, address.as_bytes())?
            .map(|v| decode_account(&v).map_err(|source| StoreError::Decode { what: "account", source }))
            .transpose()
            .map(Option::unwrap_or_default)
    }

    fn tx_location(&self, id: &TxId) -> Result<Option<TxLocation>, StoreError> {
        self.get(3, id.as_bytes())?
            .map(|v| decode_location(&v).map_err(|source| StoreError::Decode { what: "tx location", source }))
            .transpose()
    }
}
