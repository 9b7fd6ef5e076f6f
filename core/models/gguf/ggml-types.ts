/** How ggml stores one tensor type: values come in blocks of `blockElements`, each `blockBytes` long. */
export type GgmlType = {
  readonly id: number;
  readonly name: string;
  readonly blockElements: number;
  readonly blockBytes: number;
};

// Every type a GGUF file may hold, by id, with the block sizes of ggml's `type_traits` (ggml.c) and
// the block structs of ggml-common.h. Ids 4, 5 and 31 to 38 were removed from ggml and are refused
// by llama.cpp, so they are absent here too. Sizes are listed even for types nothing here
// dequantises: they tell where each tensor's data ends, and so whether the file holds it whole.
const table: [name: string, id: number, blockElements: number, blockBytes: number][] = [
  ['F32', 0, 1, 4],
  ['F16', 1, 1, 2],
  ['Q4_0', 2, 32, 2 + 16],
  ['Q4_1', 3, 32, 2 + 2 + 16],
  ['Q5_0', 6, 32, 2 + 4 + 16],
  ['Q5_1', 7, 32, 2 + 2 + 4 + 16],
  ['Q8_0', 8, 32, 2 + 32],
  ['Q8_1', 9, 32, 2 + 2 + 32],
  ['Q2_K', 10, 256, 16 + 64 + 2 + 2],
  ['Q3_K', 11, 256, 32 + 64 + 12 + 2],
  ['Q4_K', 12, 256, 2 + 2 + 12 + 128],
  ['Q5_K', 13, 256, 2 + 2 + 12 + 32 + 128],
  ['Q6_K', 14, 256, 128 + 64 + 16 + 2],
  ['Q8_K', 15, 256, 4 + 256 + 32],
  ['IQ2_XXS', 16, 256, 2 + 64],
  ['IQ2_XS', 17, 256, 2 + 64 + 8],
  ['IQ3_XXS', 18, 256, 2 + 96],
  ['IQ1_S', 19, 256, 2 + 32 + 16],
  ['IQ4_NL', 20, 32, 2 + 16],
  ['IQ3_S', 21, 256, 2 + 64 + 8 + 32 + 4],
  ['IQ2_S', 22, 256, 2 + 64 + 8 + 8],
  ['IQ4_XS', 23, 256, 2 + 2 + 4 + 128],
  ['I8', 24, 1, 1],
  ['I16', 25, 1, 2],
  ['I32', 26, 1, 4],
  ['I64', 27, 1, 8],
  ['F64', 28, 1, 8],
  ['IQ1_M', 29, 256, 32 + 16 + 8],
  ['BF16', 30, 1, 2],
  ['TQ1_0', 34, 256, 48 + 4 + 2],
  ['TQ2_0', 35, 256, 64 + 2],
  ['MXFP4', 39, 32, 1 + 16],
  ['NVFP4', 40, 64, 4 + 32],
  ['Q1_0', 41, 128, 2 + 16],
  ['Q2_0', 42, 64, 2 + 16],
];

const byId = new Map<number, GgmlType>(
  table.map(([name, id, blockElements, blockBytes]) => [id, { id, name, blockElements, blockBytes }]),
);
const byName = new Map<string, GgmlType>([...byId.values()].map((type) => [type.name, type]));

/** The ggml type with this id, or undefined for an id ggml does not define (or no longer reads). */
export function ggmlTypeById(id: number): GgmlType | undefined {
  return byId.get(id);
}

/** The ggml type with this name (`Q4_K`, `F16`, …); throws for a name ggml does not define. */
export function ggmlTypeByName(name: string): GgmlType {
  const type = byName.get(name);
  if (!type) throw new RangeError(`${name} is not a ggml tensor type`);
  return type;
}

/** A tensor's size in bytes: its values fill whole blocks along each row, so `elements` is a multiple of the block. */
export function ggmlByteLength(type: GgmlType, elements: number): number {
  return (elements / type.blockElements) * type.blockBytes;
}
