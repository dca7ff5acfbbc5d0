// Token ids of the reference pairs for every fixture folder written by hf_models.py, from Hugging
// Face's Rust `tokenizers` (Node bindings, npm tokenizers 0.23.2): the library that
// sentence-transformers' CrossEncoder runs through transformers' fast tokenizers.
//
//   NODE_PATH=SCRATCH/node_modules node tests/reference/tokenize.mjs tests/fixtures/hf-models
//
// For each FOLDER/ref/tokenizer.json it encodes every pair of pairs.json with longest-first
// truncation at FOLDER/ref/settings.json's max_length (the folder's model_max_length, what
// CrossEncoder truncates to by default) and writes FOLDER/ref/ids.json. Two cross-checks are recorded there:
// the untruncated ids of every pair from transformers.js (npm @huggingface/transformers, which reads the same
// tokenizer.json with its own JavaScript implementation; skipped when it is not installed) and, for SentencePiece
// tokenizers, SentencePiece's own ids of every text (spm_ids.json, written by hf_models.py).
import { copyFileSync, existsSync, mkdtempSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createRequire } from 'node:module';

const require = createRequire(join(process.env.NODE_PATH ?? '.', 'x.js'));
const { Tokenizer } = require('tokenizers');
const version = require('tokenizers/package.json').version;
const out = process.argv[2];
let transformersJs = null;
try {
  transformersJs = require('@huggingface/transformers');
  transformersJs.env.allowRemoteModels = false;
  transformersJs.env.localModelPath = mkdtempSync(join(tmpdir(), 'tjs-'));
} catch {
  console.log('@huggingface/transformers not installed: the transformers.js cross-check is skipped');
}
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
  const checks = {};
  if (transformersJs) {
    const dir = join(transformersJs.env.localModelPath, name);
    mkdirSync(dir, { recursive: true });
    copyFileSync(join(ref, 'tokenizer.json'), join(dir, 'tokenizer.json'));
    copyFileSync(join(out, name, 'tokenizer_config.json'), join(dir, 'tokenizer_config.json'));
    const js = await transformersJs.AutoTokenizer.from_pretrained(name);
    const jsVersion = JSON.parse(readFileSync(join(process.env.NODE_PATH ?? '.', '@huggingface', 'transformers', 'package.json'), 'utf8')).version;
    tokenizer.setTruncation(100000);
    let same = 0;
    for (const [query, document] of pairs) {
      const a = js(query, { text_pair: document, add_special_tokens: true }).input_ids.tolist().flat().map(Number);
      const e = await tokenizer.encode(query, document, { addSpecialTokens: true });
      if (JSON.stringify(a) === JSON.stringify(e.getIds())) same++;
    }
    checks.transformers_js = `transformers.js ${jsVersion} gives the same untruncated ids on ${same} of ${pairs.length} pairs`;
    console.log(`${name}: ${checks.transformers_js}`);
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
    checks.sentencepiece = `SentencePiece gives the same ids on ${Object.keys(spm).length - differ.length} of ${Object.keys(spm).length} texts`;
    console.log(`${name}: ${checks.sentencepiece}`);
    for (const t of differ) console.log(`  differ: ${JSON.stringify(t).slice(0, 80)}`);
  }
  writeFileSync(join(ref, 'ids.json'), JSON.stringify({ tokenizers: version, max_length: maxLength, cross_checks: checks, pairs: encoded }));
  console.log(`${name}: ${encoded.length} pairs at max_length ${maxLength}`);
}
