// Token ids of the reference pairs for every fixture folder written by hf_models.py, from Hugging
// Face's Rust `tokenizers` (Node bindings, npm tokenizers 0.23.2): the library that
// sentence-transformers' CrossEncoder runs through transformers' fast tokenizers.
//
//   NODE_PATH=SCRATCH/node_modules node tests/reference/tokenize.mjs tests/fixtures/hf-models
//
// For each FOLDER/ref/tokenizer.json it encodes every pair of pairs.json with longest-first
// truncation at FOLDER/ref/settings.json's max_length (the folder's model_max_length, what
// CrossEncoder truncates to by default) and writes FOLDER/ref/ids.json.
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createRequire } from 'node:module';

const require = createRequire(join(process.env.NODE_PATH ?? '.', 'x.js'));
const { Tokenizer } = require('tokenizers');
const version = require('tokenizers/package.json').version;
const out = process.argv[2];
const pairs = JSON.parse(readFileSync(join(out, 'pairs.json'), 'utf8'));
for (const name of readdirSync(out).sort()) {
  const ref = join(out, name, 'ref');
  if (!existsSync(join(ref, 'tokenizer.json'))) continue;
  const tokenizer = Tokenizer.fromFile(join(ref, 'tokenizer.json'));
  const { max_length: maxLength } = JSON.parse(readFileSync(join(ref, 'settings.json'), 'utf8'));
  tokenizer.setTruncation(maxLength, { strategy: 'LongestFirst', direction: 'right', stride: 0 });
  const encoded = [];
  for (const [query, document] of pairs) {
    const e = await tokenizer.encode(query, document, { addSpecialTokens: true });
    encoded.push({ input_ids: e.getIds(), token_type_ids: e.getTypeIds() });
  }
  // A SentencePiece tokenizer is checked against SentencePiece itself (hf_models.py wrote its ids, fairseq-shifted).
  const spmPath = join(ref, 'spm_ids.json');
  if (existsSync(spmPath)) {
    tokenizer.setTruncation(100000);
    const spm = JSON.parse(readFileSync(spmPath, 'utf8'));
    const differ = [];
    for (const [text, ids] of Object.entries(spm)) {
      const e = await tokenizer.encode(text, null, { addSpecialTokens: false });
      if (JSON.stringify(e.getIds()) !== JSON.stringify(ids)) differ.push(text);
    }
    console.log(`${name}: SentencePiece and tokenizers agree on ${Object.keys(spm).length - differ.length} of ${Object.keys(spm).length} texts`);
    for (const t of differ) console.log(`  differ: ${JSON.stringify(t).slice(0, 80)}`);
  }
  writeFileSync(join(ref, 'ids.json'), JSON.stringify({ tokenizers: version, max_length: maxLength, pairs: encoded }));
  console.log(`${name}: ${encoded.length} pairs at max_length ${maxLength}`);
}
