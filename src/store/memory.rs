//! [`MemoryStore`]: a [`ChainStore`] in memory, for unit tests. It keeps the same encoded records
//! as the database, so the encodings are exercised too.

use super::*;
use std::collections::BTreeMap;

/// A chain store held in memory.
#[derive(Debug, Clone)]
pub struct MemoryStore {
    params: NetworkParams,
    genesis: BlockHash,
    blocks: BTreeMap<BlockHash, Vec<u8>>,
    headers: BTreeMap<BlockHash, Vec<u8>>,
    active: BTreeMap<u64, BlockHash>,
    undo: BTreeMap<BlockHash, Vec<u8>>,
    accounts: BTreeMap<Address, [u8; 16]>,
    txids: BTreeMap<TxId, [u8; 12]>,
    tip: BlockHash,
    /// The store as it was when the open batch began ([`ChainStore::begin_batch`]): aborting
    /// the batch puts it back.
    before_batch: Option<Box<MemoryStore>>,
}

impl MemoryStore {
    /// Returns a store holding only the network's genesis block.
    pub fn new(params: &NetworkParams) -> MemoryStore {
        let genesis = crate::block::genesis_block(params);
        let hash = genesis.hash();
        let mut store = MemoryStore {
            params: params.clone(),
            genesis: hash,
            blocks: BTreeMap::new(),
            headers: BTreeMap::new(),
            active: BTreeMap::new(),
            undo: BTreeMap::new(),
            accounts: BTreeMap::new(),
            txids: BTreeMap::new(),
            tip: hash,
            before_batch: None,
        };
        store.blocks.insert(hash, genesis.encode());
        store.headers.insert(hash, encode_header_record(&genesis.header, None));
        store.active.insert(0, hash);
        for a in &params.genesis_allocations {
            let account = crate::state::Account { balance: a.amount, nonce: 0 };
            store.accounts.insert(a.address, encode_account(&account));
        }
        store
    }

    /// Returns the stored tip.
    pub fn tip(&self) -> BlockHash {
        self.tip
    }
}

impl ChainStore for MemoryStore {
    fn genesis(&self) -> BlockHash {
        self.genesis
    }

    fn begin_batch(&mut self) -> Result<(), StoreError> {
        if self.before_batch.is_none() {
            self.before_batch = Some(Box::new(self.clone()));
        }
        Ok(())
    }

    fn end_batch(&mut self) -> Result<(), StoreError> {
        self.before_batch = None;
        Ok(())
    }

    fn abort_batch(&mut self) {
        if let Some(before) = self.before_batch.take() {
            *self = *before;
        }
    }

    fn load(&self) -> Result<LoadedChain, StoreError> {
        let dec = |what| move |source| StoreError::Decode { what, source };
        let mut loaded = LoadedChain::default();
        for bytes in self.headers.values() {
            loaded.headers.push(decode_header_record(bytes).map_err(dec("header"))?);
        }
        loaded.active = self.active.values().copied().collect();
        for (a, bytes) in &self.accounts {
            loaded.accounts.insert(*a, decode_account(bytes).map_err(dec("account"))?);
        }
        Ok(loaded)
    }

    fn indexed_txids(&self, ids: &[TxId]) -> Result<HashMap<TxId, TxLocation>, StoreError> {
        let mut found = HashMap::new();
        for id in ids {
            if let Some(loc) = ChainSnapshot::tx_location(self, id)? {
                found.insert(*id, loc);
            }
        }
        Ok(found)
    }

    fn tx_index(&self) -> Result<HashMap<TxId, TxLocation>, StoreError> {
        let dec = |source| StoreError::Decode { what: "tx location", source };
        self.txids.iter().map(|(id, bytes)| Ok((*id, decode_location(bytes).map_err(dec)?))).collect()
    }

    fn put_block(&mut self, block: &Block) -> Result<(), StoreError> {
        let hash = block.hash();
        self.blocks.entry(hash).or_insert_with(|| block.encode());
        self.headers.entry(hash).or_insert_with(|| encode_header_record(&block.header, None));
        Ok(())
    }

    fn block(&self, hash: &BlockHash) -> Result<Option<Block>, StoreError> {
        self.blocks
            .get(hash)
            .map(|b| Block::decode(b, &self.params).map_err(|source| StoreError::Decode { what: "block", source }))
            .transpose()
    }

    fn undo(&self, hash: &BlockHash) -> Result<Option<BlockUndo>, StoreError> {
        self.undo
            .get(hash)
            .map(|u| decode_undo(u).map_err(|source| StoreError::Decode { what: "undo", source }))
            .transpose()
    }

    fn commit(&mut self, c: &ChainCommit) -> Result<(), StoreError> {
        for block in &c.blocks {
            self.put_block(block)?;
        }
        for (i, hash) in c.active_from.iter().enumerate() {
            self.active.insert(c.first_height.0 + i as u64, *hash);
        }
        let stale: Vec<u64> = self.active.range(c.tip_height.0 + 1..).map(|(h, _)| *h).collect();
        for h in stale {
            self.active.remove(&h);
        }
        for hash in &c.undo_delete {
            self.undo.remove(hash);
        }
        for (hash, undo) in &c.undo_put {
            self.undo.insert(*hash, encode_undo(undo));
        }
        for (a, acct) in &c.delta.accounts {
            match acct {
                Some(acct) => self.accounts.insert(*a, encode_account(acct)),
                None => self.accounts.remove(a),
            };
        }
        for (id, loc) in &c.delta.txids {
            match loc {
                Some(loc) => self.txids.insert(*id, encode_location(loc)),
                None => self.txids.remove(id),
            };
        }
        for (hash, why) in &c.invalid {
            if let Some(rec) = self.headers.get_mut(hash) {
                rec.truncate(HEADER_LEN);
                rec.extend(encode_record_status(Some(why)));
            }
        }
        self.tip = c.tip;
        Ok(())
    }
}

impl ChainSnapshot for MemoryStore {
    fn params(&self) -> &NetworkParams {
        &self.params
    }

    fn tip_height(&self) -> Result<Height, StoreError> {
        Ok(Height(self.active.keys().next_back().copied().unwrap_or(0)))
    }

    fn hash_at(&self, height: Height) -> Result<Option<BlockHash>, StoreError> {
        Ok(self.active.get(&height.0).copied())
    }

    fn block(&self, hash: &BlockHash) -> Result<Option<Block>, StoreError> {
        ChainStore::block(self, hash)
    }

    fn header(&self, hash: &BlockHash) -> Result<Option<(BlockHeader, Option<Invalidity>)>, StoreError> {
        self.headers
            .get(hash)
            .map(|r| decode_header_record(r).map_err(|source| StoreError::Decode { what: "header", source }))
            .transpose()
    }

    fn account(&self, address: &Address) -> Result<Account, StoreError> {
        self.accounts
            .get(address)
            .map(|a| decode_account(a).map_err(|source| StoreError::Decode { what: "account", source }))
            .transpose()
            .map(Option::unwrap_or_default)
    }

    fn tx_location(&self, id: &TxId) -> Result<Option<TxLocation>, StoreError> {
        self.txids
            .get(id)
            .map(|l| decode_location(l).map_err(|source| StoreError::Decode { what: "tx location", source }))
            .transpose()
    }
}
