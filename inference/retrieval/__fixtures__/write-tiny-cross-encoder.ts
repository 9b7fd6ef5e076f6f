import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import {
  FLOAT,
  INT64,
  node,
  intAttribute,
  floatTensor,
  int64Tensor,
  valueInfo,
  varintField,
  bytesField,
  stringField,
  message,
} from '../../../core/adapters/embedders/__fixtures__/onnx-protobuf.ts';
import { writeBertTokenizer } from '../../../core/adapters/embedders/__fixtures__/write-bert-tokenizer.ts';

/**
 * Writes a tiny but real cross-encoder folder (config.json, tokenizer.json, tokenizer_config.json,
 * onnx/model.onnx) shaped like an exported ms-marco MiniLM reranker: a BertForSequenceClassification
 * taking `input_ids`, `attention_mask` and `token_type_ids` of a (query, passage) pair and returning
 * `logits` of shape [batch, 1]. No real weights can be downloaded here, so the graph is hand-made:
 * one-hot token vectors, averaged over the query segment (type 0) and the passage segment (type 1),
 * and the logit is their scaled dot product. Content words shared by query and passage raise it;
 * special tokens, stop words and unknown words count for nothing.
 * Same pattern as core's `write-tiny-onnx-model.ts` (ONNX protobuf encoded by hand).
 */
export const tinyCrossEncoderVocabulary: readonly string[] = [
  '[PAD]',
  '[UNK]',
  '[CLS]',
  '[SEP]',
  '[MASK]',
  ...". , ! ? ' - : ;".split(' '),
  ...'the a an of to and is are in on for with how why what do does i my you'.split(' '),
  ...[
    'rollback',
    'roll',
    'back',
    'model',
    'version',
    'alias',
    'production',
    'crawler',
    'robots',
    'polite',
    'host',
    'chunk',
    'chunks',
    'code',
    'size',
    'bread',
    'oven',
    'dog',
    'walk',
    'park',
    'feature',
    'store',
    'skew',
    'training',
    'serving',
    'fast',
    'seconds',
    'minutes',
  ],
];

/** Tokens whose vectors are zero: they never make a pair look relevant. */
const silent = new Set([
  '[PAD]',
  '[UNK]',
  '[CLS]',
  '[SEP]',
  '[MASK]',
  ...". , ! ? ' - : ;".split(' '),
  ...'the a an of to and is are in on for with how why what do does i my you'.split(' '),
]);

export async function writeTinyCrossEncoder(folder: string): Promise<string> {
  await mkdir(join(folder, 'onnx'), { recursive: true });
  await writeFile(join(folder, 'onnx', 'model.onnx'), encodeTinyCrossEncoder());
  await writeFile(
    join(folder, 'config.json'),
    JSON.stringify(
      {
        architectures: ['BertForSequenceClassification'],
        model_type: 'bert',
        hidden_size: tinyCrossEncoderVocabulary.length,
        vocab_size: tinyCrossEncoderVocabulary.length,
        max_position_embeddings: 128,
        num_attention_heads: 1,
        num_hidden_layers: 1,
        pad_token_id: 0,
        id2label: { 0: 'LABEL_0' },
        label2id: { LABEL_0: 0 },
      },
      null,
      2,
    ),
  );
  await writeBertTokenizer(folder, tinyCrossEncoderVocabulary, 128);
  return folder;
}

// ---- ONNX protobuf, hand-encoded: only the messages and fields this graph needs ----

function encodeTinyCrossEncoder(): Uint8Array {
  const size = tinyCrossEncoderVocabulary.length;
  const oneHot = new Float32Array(size * size);
  tinyCrossEncoderVocabulary.forEach((token, index) => {
    if (!silent.has(token)) oneHot[index * size + index] = 1;
  });
  const dynamic = ['batch_size', 'sequence_length'];
  const segmentMean = (mask: string, name: string) => [
    node('Unsqueeze', [mask, 'last_axis'], [`${name}_column`]),
    node('Mul', ['token_vectors', `${name}_column`], [`${name}_vectors`]),
    node('ReduceSum', [`${name}_vectors`, 'sequence_axis'], [`${name}_sum`]),
    node('ReduceSum', [`${name}_column`, 'sequence_axis'], [`${name}_count`]),
    node('Add', [`${name}_count`, 'epsilon'], [`${name}_safe_count`]),
    node('Div', [`${name}_sum`, `${name}_safe_count`], [`${name}_mean`]),
  ];

  const graph = message([
    ...[
      node('Gather', ['embeddings', 'input_ids'], ['token_vectors']),
      node('Cast', ['attention_mask'], ['mask'], [intAttribute('to', FLOAT)]),
      node('Cast', ['token_type_ids'], ['types'], [intAttribute('to', FLOAT)]),
      node('Mul', ['mask', 'types'], ['passage_mask']),
      node('Sub', ['mask', 'passage_mask'], ['query_mask']),
      ...segmentMean('query_mask', 'query'),
      ...segmentMean('passage_mask', 'passage'),
      node('Mul', ['query_mean', 'passage_mean'], ['products']),
      node('ReduceSum', ['products', 'hidden_axis'], ['overlap'], [intAttribute('keepdims', 0)]),
      node('Mul', ['overlap', 'scale'], ['logits']),
    ].map((encoded) => bytesField(1, encoded)),
    stringField(2, 'tiny_cross_encoder'),
    bytesField(5, floatTensor('embeddings', [size, size], oneHot)),
    bytesField(5, floatTensor('epsilon', [], Float32Array.of(1e-6))),
    bytesField(5, floatTensor('scale', [], Float32Array.of(100))),
    bytesField(5, int64Tensor('last_axis', [2])),
    bytesField(5, int64Tensor('sequence_axis', [1])),
    bytesField(5, int64Tensor('hidden_axis', [2])),
    bytesField(11, valueInfo('input_ids', INT64, dynamic)),
    bytesField(11, valueInfo('attention_mask', INT64, dynamic)),
    bytesField(11, valueInfo('token_type_ids', INT64, dynamic)),
    bytesField(12, valueInfo('logits', FLOAT, ['batch_size', 1])),
  ]);

  return message([
    varintField(1, 8), // ir_version
    stringField(2, 'llm-twin-tests'),
    bytesField(7, graph),
    bytesField(8, message([stringField(1, ''), varintField(2, 17)])), // opset_import: ai.onnx 17
  ]);
}
