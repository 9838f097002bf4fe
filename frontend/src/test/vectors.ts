// docs/PROTOCOL.md §7 (worked example) and §4.3.1, as test data: every hex value is copied from
// the document (which the node's own test `protocol_vectors` recomputes).
import type { BlockView, Reward, Transfer } from '../types';

export const NETWORK = 'bitcoin-rust-devnet';
export const KEY1 = '0279be667ef9dcbbac55a06295ce870b07029bfcdb2dce28d959f2815b16f81798';
export const KEY2 = '02c6047f9441ed7d6d3045406e95c07cd85c778e4b8cef3ca7abac09b95c709ee5';
export const GENESIS_HASH = '866596ecdee20686671fadf784c5f606b098ab63bbac285c1abfdc5aa6273e5e';
export const GENESIS_HEADER =
  '0000000100000000000000000000000000000000000000000000000000000000' +
  '0000000000000000000000004851946838db4152c934e0f43c2a46aaf631b785' +
  '77f62dc5c7cd010376af02d200000000000000001f0100000000000000000000';

// §7.1
export const REWARD1_PREIMAGE =
  '16626974636f696e2d727573742f7265776172642f763113626974636f696e2d' +
  '727573742d6465766e657400000000000000010279be667ef9dcbbac55a06295' +
  'ce870b07029bfcdb2dce28d959f2815b16f81798000000000000003200056865' +
  '6c6c6f';
export const REWARD1_ID = 'e2e15e3f07f7fbc21d76fc2c5869a5c81172a5640ffd2ef7d06f4e9da0358f52';
export const BLOCK1_ROOT = '90dfbabae6354576a52e1f8ddb46f39f56dbaa5264d4117129fc80bef44c5c65';
export const BLOCK1_HEADER =
  '000000010000000000000001866596ecdee20686671fadf784c5f606b098ab63' +
  'bbac285c1abfdc5aa6273e5e90dfbabae6354576a52e1f8ddb46f39f56dbaa52' +
  '64d4117129fc80bef44c5c650000018bcfe568001f0100000000000000005b87';
export const BLOCK1_HASH = '0000721190dd66b0e8853f138072b644d996a3614308c7e63de75b8cf737a32d';
export const TARGET_D4 = '0001000000000000000000000000000000000000000000000000000000000000';

// §7.2
export const TRANSFER_PREIMAGE =
  '18626974636f696e2d727573742f7472616e736665722f763113626974636f69' +
  '6e2d727573742d6465766e65740279be667ef9dcbbac55a06295ce870b07029b' +
  'fcdb2dce28d959f2815b16f8179800000000000000000000018bcfe57b880000' +
  '000000000032000000000000000100020279be667ef9dcbbac55a06295ce870b' +
  '07029bfcdb2dce28d959f2815b16f81798000000000000002702c6047f9441ed' +
  '7d6d3045406e95c07cd85c778e4b8cef3ca7abac09b95c709ee5000000000000' +
  '000a';
export const SIGHASH = '93b5767b1e2bf3a3953ef8575c8950573c368013c19d53cb2b47375cb5945986';
export const SIGNATURE =
  'f0f1d9131951ea303e1926705810a05d48bd6546329c740c68e6423edbb60eb536b2a7c62c65e9cb0e54feb81b35cbbbeddb73a462982e774f5f37cf14edb302';
export const TXID = '06060ddbd7b2ca638bdddf2df7e2e6241cf90c4c8a526a3fd7b5f3073175ecad';

// §7.3 / §7.4
export const REWARD2_ID = '70b87f2975c20175ad883ae7ad2137a720e8f430bfb509dd4b52c9e89012a5ce';
export const BLOCK2_LEAVES = [
  'c6ab706fe3aac51a98d18b60ae6b10efa365deebc36cc1abb6ac0756174efa83',
  '4548a826b234803d4b0c2057055013f25b4631a5b0b4e161b33107636feac224',
];
export const BLOCK2_ROOT = 'abd90549d83e438d05597c20fc9fb61e0e061bee814f2ddd898bed3834ee79ed';
export const BLOCK2_HASH = '0000cd74256dd9290aad352ee6c08f3b63798bced3597af2eac93cf0d839c6ea';

// §4.3.1: ids SHA-256(00), SHA-256(01), SHA-256(02)
export const PROOF_IDS = [
  '6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d',
  '4bf5122f344554c53bde2ebb8cd2b7e3d1600ad631c385a5d7cce23c7785459a',
  'dbc1b4c900ffe48d575b5da5c638040125f65db0fe3e24494b76ea986457d986',
];
export const PROOF_LEAVES = [
  'd9de27625445003d8a9739a851e3ff8d41c0683630b4d63a88327a6aaa37c409',
  '9d1843c1a24a654a39ff3448714bc9fe69da0170fa390b1ac67047377ba72f0e',
  '27d02c8f713c90ea0c37901129db86ac03186ee22a1f6f13da67e6b5bcee2044',
];
export const PROOF_LEVEL1_NODE = '604d540f09268b91672ab011394d5266ccd7d4484d0d109411a55848126a1b2c';
export const PROOF_ROOT = 'd1f13800048f5909d4043fc0c152f6643280cba608b672715e56ce159a20629f';

export const reward1: Reward = { id: REWARD1_ID, coinbase: { height: 1, data: 'hello' }, output: { address: KEY1, amount: 50 } };
export const reward2: Reward = { id: REWARD2_ID, coinbase: { height: 2, data: '' }, output: { address: KEY2, amount: 51 } };
export const transfer: Transfer = {
  id: TXID,
  input: { timestamp: 1700000005000, amount: 50, address: KEY1, nonce: 0, fee: 1, signature: SIGNATURE },
  outputs: [
    { address: KEY1, amount: 39 },
    { address: KEY2, amount: 10 },
  ],
};

const view = { confirmations: 1, in_best_chain: true, next_hash: null, subsidy: 50, fees: 0, size: 0 };

export const block1: BlockView = {
  ...view,
  block_number: 1,
  timestamp: 1700000000000,
  last_hash: GENESIS_HASH,
  hash: BLOCK1_HASH,
  data: [{ kind: 'Reward', tx: reward1 }],
  nonce: 23431,
  difficulty: 4,
  version: 1,
  merkle_root: BLOCK1_ROOT,
  bits: 0x1f010000,
  target: TARGET_D4,
  next_hash: BLOCK2_HASH,
  confirmations: 2,
};

export const block2: BlockView = {
  ...view,
  block_number: 2,
  timestamp: 1700000008000,
  last_hash: BLOCK1_HASH,
  hash: BLOCK2_HASH,
  data: [
    { kind: 'Reward', tx: reward2 },
    { kind: 'Normal', tx: transfer },
  ],
  nonce: 3388,
  difficulty: 4,
  version: 1,
  merkle_root: BLOCK2_ROOT,
  bits: 0x1f010000,
  target: TARGET_D4,
  fees: 1,
};
